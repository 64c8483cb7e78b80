// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The parts of the command-line convention that need no libbpf: seconds
 * values, the -p check, -c's command, the signals that end a run, the
 * report clock.
 * See cli.h.
 */
#define _GNU_SOURCE	/* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wordexp.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "cli.h"
#include "errors.h"

struct cli cli;

volatile sig_atomic_t cli_exiting;
volatile sig_atomic_t cli_signal;

/* ---- values ---- */

int cli_parse_seconds(const char *s, __u64 min_ns, __u64 max_ns, __u64 *ns)
{
	__u64 sec = 0, frac = 0, scale = NSEC_PER_SEC;
	int idigits = 0, fdigits = 0;
	const char *p = s;

	if (!s)
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++, idigits++) {
		if (sec > CLI_DURATION_MAX_NS / NSEC_PER_SEC) {
			/* too big anyway; keep checking the syntax */
			sec = CLI_DURATION_MAX_NS / NSEC_PER_SEC + 1;
			continue;
		}
		sec = sec * 10 + (*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, fdigits++) {
			if (fdigits >= 9)
				return -EINVAL;	/* below a nanosecond */
			scale /= 10;
			frac += (*p - '0') * scale;
		}
		if (!fdigits)
			return -EINVAL;		/* "1." */
	}
	if (*p || (!idigits && !fdigits))
		return -EINVAL;
	if (sec > CLI_DURATION_MAX_NS / NSEC_PER_SEC)
		return -ERANGE;
	sec = sec * NSEC_PER_SEC + frac;
	if (sec < min_ns || sec > max_ns)
		return -ERANGE;
	*ns = sec;
	return 0;
}

const char *cli_fmt_seconds(__u64 ns, char *buf, size_t len)
{
	int n;

	if (ns % NSEC_PER_SEC == 0) {
		snprintf(buf, len, "%llu", (unsigned long long)(ns / NSEC_PER_SEC));
		return buf;
	}
	n = snprintf(buf, len, "%llu.%09llu",
		     (unsigned long long)(ns / NSEC_PER_SEC),
		     (unsigned long long)(ns % NSEC_PER_SEC));
	if (n > 0 && (size_t)n < len)
		while (n > 0 && buf[n - 1] == '0')
			buf[--n] = '\0';
	return buf;
}

void cli_banner(const char *what, const char *source)
{
	char secs[32];

	fprintf(stderr, "Tracing %s (source %s", what, source);
	if (cli.command)
		fprintf(stderr, ", the command's VMs");
	else if (cli.pid)
		fprintf(stderr, ", pid %d", (int)cli.pid);
	if (cli.interval_ns)
		fprintf(stderr, ", %ss interval",
			cli_fmt_seconds(cli.interval_ns, secs, sizeof(secs)));
	if (cli.duration_ns)
		fprintf(stderr, ", for %ss",
			cli_fmt_seconds(cli.duration_ns, secs, sizeof(secs)));
	fprintf(stderr, "). Hit Ctrl-C to end.\n");
}

/* ---- -p ---- */

pid_t cli_pid_tgid(pid_t pid)
{
	char path[64], line[128];
	long tgid = -1;
	FILE *f;

	if (pid <= 0)
		return -ESRCH;
	/* EPERM: it exists, owned by someone else */
	if (kill(pid, 0) && errno == ESRCH)
		return -ESRCH;
	/* a thread's /proc/TID is there, only not listed in /proc */
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return pid;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %ld", &tgid) == 1)
			break;
	fclose(f);
	return tgid > 0 ? (pid_t)tgid : pid;
}

/* ---- -s, -n: the order of the VMs ---- */

static int cmp_vm_order(const void *pa, const void *pb)
{
	const struct cli_vm_order *a = pa, *b = pb;
	int c = 0;

	if (cli.sort_key == CLI_SORT_NAME)
		c = strcmp(a->name ? a->name : "", b->name ? b->name : "");
	else if (cli.sort_key == CLI_SORT_PID)
		c = (a->pid > b->pid) - (a->pid < b->pid);
	else if (cli.sort_key >= CLI_SORT_ASCENDING)
		c = (a->value < b->value) - (a->value > b->value);
	return c ? c : (a->index > b->index) - (a->index < b->index);
}

size_t cli_sort_vms(struct cli_vm_order *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_vm_order);
	return cli.top && cli.top < n ? cli.top : n;
}

/* ---- -c: the traced command ---- */

static wordexp_t cmd_words;
static bool cmd_split;
static pid_t cmd_pid;
static int cmd_go = -1;		/* write end: one byte lets the child exec */
static bool cmd_reaped;

int cli_command_check(const char *cmd)
{
	int err;

	if (cmd_split)
		wordfree(&cmd_words);
	err = wordexp(cmd, &cmd_words, WRDE_NOCMD);
	cmd_split = !err;
	if (cmd_split && cmd_words.we_wordc)
		return 0;
	if (cmd_split || err == WRDE_NOSPACE)
		wordfree(&cmd_words);
	cmd_split = false;
	return -EINVAL;
}

void cli_command_prepare(void)
{
	pid_t tool = getpid();
	int go[2];
	char c;

	if (!cli.command)
		return;
	if (pipe2(go, O_CLOEXEC)) {
		fprintf(stderr, "%s: pipe: %s\n", cli.tool, strerror(errno));
		exit(EXIT_RUNTIME);
	}
	fflush(NULL);
	cmd_pid = fork();
	if (cmd_pid < 0) {
		fprintf(stderr, "%s: fork: %s\n", cli.tool, strerror(errno));
		exit(EXIT_RUNTIME);
	}
	if (!cmd_pid) {
		close(go[1]);
		/* the tool killed outright: do not run on untraced */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != tool)
			_exit(127);
		/* EOF: the tool failed before its start, do not run */
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		/* -j: standard output is the tool's NDJSON */
		if (cli.json)
			dup2(STDERR_FILENO, STDOUT_FILENO);
		execvp(cmd_words.we_wordv[0], cmd_words.we_wordv);
		fprintf(stderr, "%s: cannot run '%s': %s\n", cli.tool,
			cmd_words.we_wordv[0], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	cmd_go = go[1];
	cli.pid = cmd_pid;
	/* an exit() on an error path must not leave it running */
	atexit(cli_command_finish);
}

void cli_command_start(void)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;

	if (cmd_go < 0)
		return;
	/* a child that died meanwhile: EPIPE, not a SIGPIPE that kills us */
	sigaction(SIGPIPE, &ign, &old);
	if (write(cmd_go, "g", 1) != 1)
		fprintf(stderr, "%s: cannot start the command: %s\n", cli.tool,
			strerror(errno));
	sigaction(SIGPIPE, &old, NULL);
	close(cmd_go);
	cmd_go = -1;
}

void cli_command_finish(void)
{
	bool started = cmd_go < 0;
	int status, i;
	pid_t r;

	if (!cmd_pid || cmd_reaped)
		return;
	if (!started) {		/* EOF makes it exit without running */
		close(cmd_go);
		cmd_go = -1;
	}
	for (i = 0; (r = waitpid(cmd_pid, &status, WNOHANG)) == 0; i++) {
		if (i == 0)
			kill(cmd_pid, SIGTERM);
		else if (i == 50)
			kill(cmd_pid, SIGKILL);
		usleep(100000);
	}
	cmd_reaped = true;
	if (r < 0 || !started)
		return;
	if (WIFEXITED(status))
		fprintf(stderr, "%s: command exited with status %d%s\n", cli.tool,
			WEXITSTATUS(status), i ? " after SIGTERM" : "");
	else if (WIFSIGNALED(status))
		fprintf(stderr, "%s: command killed by signal %d (%s)\n", cli.tool,
			WTERMSIG(status), strsignal(WTERMSIG(status)));
}

/* ---- signals and sleeping ---- */

/*
 * The deadline of the sleep in progress, read by the kernel when
 * clock_nanosleep() starts.  The handler sets it to 0 (long past on
 * CLOCK_MONOTONIC): a signal between the cli_exiting check and the start
 * of the sleep makes the sleep return at once instead of being lost.
 */
static volatile struct timespec sleep_ts;

static void on_signal(int sig)
{
	cli_signal = sig;
	cli_exiting = 1;
	sleep_ts.tv_sec = 0;
	sleep_ts.tv_nsec = 0;
}

void cli_signals_install(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = {}, old;
	size_t i;

	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;	/* sleeps still end with EINTR */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		/* nohup: whoever started us wants hangups ignored */
		if (sigs[i] == SIGHUP && !sigaction(SIGHUP, NULL, &old) &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
	/* -c: the command's exit ends the run; a stop does not */
	if (cmd_pid) {
		siginfo_t si = {};

		sa.sa_flags |= SA_NOCLDSTOP;
		sigaction(SIGCHLD, &sa, NULL);
		/* one that died before: its SIGCHLD was discarded */
		if (!waitid(P_PID, cmd_pid, &si, WEXITED | WNOHANG | WNOWAIT) &&
		    si.si_pid == cmd_pid)
			on_signal(SIGCHLD);
	}
}

__u64 cli_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

void cli_wall_clock(struct timespec *ts, char hms[CLI_HMS_LEN])
{
	struct timespec now;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	if (ts)
		*ts = now;
	localtime_r(&now.tv_sec, &tm);
	strftime(hms, CLI_HMS_LEN, "%H:%M:%S", &tm);
}

bool cli_sleep_until(__u64 deadline)
{
	while (!cli_exiting) {
		int err;

		if (deadline != CLI_FOREVER && cli_now_ns() >= deadline)
			return true;
		/* CLI_FOREVER is ~584 years: the kernel clamps it */
		sleep_ts.tv_sec = deadline / NSEC_PER_SEC;
		sleep_ts.tv_nsec = deadline % NSEC_PER_SEC;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		if (cli_exiting)
			break;
		err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
				      (const struct timespec *)&sleep_ts, NULL);
		if (err && err != EINTR)
			return true;	/* cannot sleep: do not spin */
	}
	return false;
}

/* ---- the report clock ---- */

void cli_ticker_start_at(struct cli_ticker *t, __u64 now)
{
	t->start = now;
	t->next = cli.interval_ns ? now + cli.interval_ns : CLI_FOREVER;
	t->end = cli.duration_ns ? now + cli.duration_ns : CLI_FOREVER;
	t->done = 0;
}

void cli_ticker_start(struct cli_ticker *t)
{
	cli_ticker_start_at(t, cli_now_ns());
}

__u64 cli_ticker_deadline(const struct cli_ticker *t)
{
	return t->next < t->end ? t->next : t->end;
}

bool cli_ticker_next_at(struct cli_ticker *t, __u64 now)
{
	t->done++;
	if (cli_exiting || now >= t->end ||
	    (cli.count && t->done >= cli.count))
		return true;
	if (cli.interval_ns) {
		/* from the tick, not from now: no drift */
		t->next += cli.interval_ns;
		if (t->next <= now)
			t->next += (now - t->next) / cli.interval_ns *
				   cli.interval_ns + cli.interval_ns;
	}
	return false;
}

bool cli_ticker_next(struct cli_ticker *t)
{
	return cli_ticker_next_at(t, cli_now_ns());
}

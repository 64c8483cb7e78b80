// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests of the libbpf-free part of the command-line convention
 * (cli_run.c): seconds values, the banner, the -p check, the signals that
 * end a run, the report clock, the order of the VMs (-s, -n).  Built and run
 * by "make -C tools check"; output as test-vmname.c.  Nothing here passes
 * or fails on how long things take: the report clock is driven with made-up
 * times.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "cli.h"
#include "test-check.h"


#define S(x) ((__u64)(x) * NSEC_PER_SEC)

static void seconds_ok(const char *s, __u64 want)
{
	__u64 ns = 0;
	int err = cli_parse_seconds(s, 1, S(1000000), &ns);

	check(!err && ns == want, "seconds '%s' = %llu ns (err %d, got %llu)",
	      s, (unsigned long long)want, err, (unsigned long long)ns);
}

static void seconds_bad(const char *s, int want_err)
{
	__u64 ns = 12345;
	int err = cli_parse_seconds(s, CLI_INTERVAL_MIN_NS, CLI_INTERVAL_MAX_NS,
				    &ns);

	check(err == want_err && ns == 12345, "seconds '%s' rejected (%d, "
	      "expected %d)", s ? s : "(null)", err, want_err);
}

static void fmt_is(__u64 ns, const char *want)
{
	char buf[32];

	cli_fmt_seconds(ns, buf, sizeof(buf));
	check(!strcmp(buf, want), "%llu ns prints as '%s' (got '%s')",
	      (unsigned long long)ns, want, buf);
}

/* cli_banner() with the given -p/-c/interval/-d, captured from stderr */
static void banner_is(pid_t pid, const char *cmd, __u64 interval_ns,
		      __u64 duration_ns, const char *want)
{
	char buf[256] = "";
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	if (!tmp || saved < 0) {
		check(false, "banner: tmpfile/dup: %s", strerror(errno));
		return;
	}
	cli.pid = pid;
	cli.command = cmd;
	cli.interval_ns = interval_ns;
	cli.duration_ns = duration_ns;
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	cli_banner("X", "src");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	cli.pid = 0;
	cli.command = NULL;
	cli.interval_ns = cli.duration_ns = 0;
	check(!strcmp(buf, want), "banner on stderr: '%s' (got '%s')", want,
	      buf);
}

static pid_t thread_tid;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool done;

static void *thread_fn(void *arg)
{
	pthread_mutex_lock(&mu);
	thread_tid = syscall(SYS_gettid);
	pthread_cond_broadcast(&cv);
	while (!done)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void test_pid(void)
{
	pthread_t th;
	pid_t nopid;

	check(cli_pid_tgid(getpid()) == getpid(), "-p: this process is a "
	      "process");
	check(cli_pid_tgid(1) == 1, "-p 1: exists, owned by whoever");
	check(cli_pid_tgid(0) == -ESRCH && cli_pid_tgid(-3) == -ESRCH,
	      "-p: 0 and negative are no process");
	for (nopid = 4194304; nopid > 1 && kill(nopid, 0) == 0; nopid--)
		;
	check(cli_pid_tgid(nopid) == -ESRCH, "-p %d: no such process",
	      (int)nopid);

	if (pthread_create(&th, NULL, thread_fn, NULL)) {
		check(false, "pthread_create");
		return;
	}
	pthread_mutex_lock(&mu);
	while (!thread_tid)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	check(cli_pid_tgid(thread_tid) == getpid(), "-p %d (a thread of this "
	      "process): its tgid is %d", (int)thread_tid, (int)getpid());
	pthread_mutex_lock(&mu);
	done = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(th, NULL);
}

static void test_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	/* sh starts background jobs with SIGINT ignored; nohup ignores HUP */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	cli_signals_install();
	sigaction(SIGINT, NULL, &sa);
	check(sa.sa_handler != SIG_IGN && sa.sa_handler != SIG_DFL,
	      "SIGINT ignored on entry is caught all the same");
	sigaction(SIGHUP, NULL, &sa);
	check(sa.sa_handler == SIG_IGN, "SIGHUP ignored on entry (nohup) "
	      "stays ignored");
	signal(SIGHUP, SIG_DFL);
	cli_signals_install();

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		cli_exiting = 0;
		cli_signal = 0;
		check(cli_sleep_until(cli_now_ns() - 1), "a deadline in the "
		      "past: no sleep, the deadline counts as reached");
		sigaction(sigs[i], NULL, &sa);
		check(sa.sa_flags & SA_RESTART, "%s: SA_RESTART",
		      strsignal(sigs[i]));
		raise(sigs[i]);
		check(cli_exiting && cli_signal == sigs[i], "%s sets the flag",
		      strsignal(sigs[i]));
		/* would hang forever if the flag were not looked at (or
		 * not set: then do not try) */
		check(cli_exiting && !cli_sleep_until(CLI_FOREVER), "%s: a "
		      "sleep without deadline returns at once, as interrupted",
		      strsignal(sigs[i]));
	}
	cli_exiting = 0;
}

/* made-up times: the clock arithmetic, not the machine's speed */
static void test_ticker(void)
{
	struct cli_ticker t;
	__u64 t0 = S(100);

	memset(&cli, 0, sizeof(cli));
	cli.interval_ns = S(1);
	cli_ticker_start_at(&t, t0);
	check(cli_ticker_deadline(&t) == t0 + S(1), "first tick at start + 1 s");
	check(!cli_ticker_next_at(&t, t0 + S(1) + S(1) / 3), "a late wake-up "
	      "is not the last report");
	check(cli_ticker_deadline(&t) == t0 + S(2), "the next tick stays at "
	      "start + 2 s (no drift)");
	check(!cli_ticker_next_at(&t, t0 + S(4) + S(1) / 2), "a report 2.5 "
	      "ticks late");
	check(cli_ticker_deadline(&t) == t0 + S(5), "missed ticks are "
	      "skipped, the phase is kept: start + 5 s");
	check(t.done == 2, "2 reports counted");

	cli.interval_ns = S(1) / 2;
	cli.count = 3;
	cli_ticker_start_at(&t, t0);
	check(cli_ticker_deadline(&t) == t0 + S(1) / 2, "0.5 s interval");
	check(!cli_ticker_next_at(&t, t0 + S(1) / 2), "count 3: report 1");
	check(!cli_ticker_next_at(&t, t0 + S(1)), "count 3: report 2");
	check(cli_ticker_next_at(&t, t0 + S(3) / 2), "count 3: report 3 is "
	      "the last");

	cli.interval_ns = S(1);
	cli.count = 0;
	cli.duration_ns = S(5) / 2;
	cli_ticker_start_at(&t, t0);
	check(!cli_ticker_next_at(&t, t0 + S(1)) &&
	      !cli_ticker_next_at(&t, t0 + S(2)), "-d 2.5, interval 1: two "
	      "full intervals");
	check(cli_ticker_deadline(&t) == t0 + S(5) / 2, "-d 2.5: the third "
	      "report is due at the end of -d, not at the tick");
	check(cli_ticker_next_at(&t, t0 + S(5) / 2), "-d 2.5: the report at "
	      "the end of -d is the last");

	cli.interval_ns = 0;
	cli_ticker_start_at(&t, t0);
	check(cli_ticker_deadline(&t) == t0 + S(5) / 2, "-d without interval: "
	      "one report, at the end");
	check(cli_ticker_next_at(&t, t0 + S(5) / 2), "... the last one");

	cli.duration_ns = 0;
	cli_ticker_start_at(&t, t0);
	check(cli_ticker_deadline(&t) == CLI_FOREVER, "neither interval nor "
	      "-d: no deadline (until a signal)");
	cli_exiting = 1;
	check(cli_ticker_next_at(&t, t0 + S(7)), "after a signal the report "
	      "is the last");
	cli.interval_ns = S(1);
	cli_ticker_start_at(&t, t0);
	check(cli_ticker_next_at(&t, t0 + S(1) / 10), "... also between "
	      "ticks");
	cli_exiting = 0;
	memset(&cli, 0, sizeof(cli));
}

/* -s KEY, -n N on four VMs; @want: their names in the order shown */
static void order_is(int key, unsigned long top, const char *want)
{
	static const struct { const char *name; __u64 pid, value; } vms[] = {
		{ "db", 300, 7 }, { "web", 100, 9 }, { "app", 200, 7 },
		{ "cache", 400, 0 },
	};
	struct cli_vm_order o[4];
	char got[64] = "";
	size_t i, n;

	for (i = 0; i < 4; i++)
		o[i] = (struct cli_vm_order){ .name = vms[i].name,
			.pid = vms[i].pid, .value = vms[i].value, .index = i };
	cli.sort_key = key;
	cli.top = top;
	n = cli_sort_vms(o, 4);
	for (i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
			 i ? " " : "", o[i].name);
	check(!strcmp(got, want), "-s %d -n %lu: '%s' (got '%s')", key, top,
	      want, got);
	cli.sort_key = -1;
	cli.top = 0;
}

static void test_order(void)
{
	/* no -s: as found; ties keep that order */
	order_is(-1, 0, "db web app cache");
	order_is(CLI_SORT_NAME, 0, "app cache db web");
	order_is(CLI_SORT_PID, 0, "web app db cache");
	order_is(CLI_SORT_ASCENDING, 0, "web db app cache");
	order_is(CLI_SORT_ASCENDING, 2, "web db");
	order_is(-1, 1, "db");
	order_is(CLI_SORT_NAME, 4, "app cache db web");
	order_is(CLI_SORT_NAME, 9, "app cache db web");
}

int main(void)
{
	__u64 now;

	test_check_init();

	seconds_ok("1", S(1));
	seconds_ok("0.5", S(1) / 2);
	seconds_ok(".25", S(1) / 4);
	seconds_ok("007", S(7));
	seconds_ok("86400", S(86400));
	seconds_ok("1.000000001", S(1) + 1);
	seconds_ok("2.5", S(5) / 2);
	seconds_bad("", -EINVAL);
	seconds_bad(NULL, -EINVAL);
	seconds_bad(".", -EINVAL);
	seconds_bad("1.", -EINVAL);
	seconds_bad("-1", -EINVAL);
	seconds_bad("+1", -EINVAL);
	seconds_bad(" 1", -EINVAL);
	seconds_bad("1 ", -EINVAL);
	seconds_bad("1e3", -EINVAL);
	seconds_bad("0x10", -EINVAL);
	seconds_bad("inf", -EINVAL);
	seconds_bad("nan", -EINVAL);
	seconds_bad("1,5", -EINVAL);
	seconds_bad("1.0000000001", -EINVAL);
	seconds_bad("0", -ERANGE);
	seconds_bad("0.009", -ERANGE);
	seconds_bad("86400.5", -ERANGE);
	seconds_bad("99999999999999999999999", -ERANGE);
	seconds_ok("0.01", S(1) / 100);

	fmt_is(S(1), "1");
	fmt_is(S(1) / 2, "0.5");
	fmt_is(S(1) / 8, "0.125");
	fmt_is(S(86400), "86400");
	fmt_is(S(3) + 1, "3.000000001");

	banner_is(0, NULL, 0, 0,
		  "Tracing X (source src). Hit Ctrl-C to end.\n");
	banner_is(42, NULL, S(1) / 2, S(30), "Tracing X (source src, pid 42, "
		  "0.5s interval, for 30s). Hit Ctrl-C to end.\n");
	banner_is(42, "true", S(1), 0, "Tracing X (source src, the command's "
		  "VMs, 1s interval). Hit Ctrl-C to end.\n");

	test_pid();
	test_signals();
	test_ticker();
	test_order();

	/* a real sleep: only that it does not end early */
	now = cli_now_ns();
	check(cli_sleep_until(now + S(1) / 50) && cli_now_ns() >= now + S(1) / 50,
	      "clock_nanosleep TIMER_ABSTIME: not woken before the deadline");

	return test_check_done();
}

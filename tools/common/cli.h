/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The command-line convention of the tools (Documentation/tools-cli.md):
 * the common options, the positional [interval [count]], -V, the exit-code
 * table at the end of --help (errors.h), the signals that end a run and
 * the report clock.
 *
 *	cli_init("lockstat", 0);	// default interval: none
 *	cli_parse(&argp, argc, argv);	// argp with cli_argp as a child;
 *					// exits 2 on bad arguments
 *	... checks, load, attach ...
 *	cli_signals_install();		// then the banner
 *	cli_ticker_start(&tk);
 *	for (;;) {
 *		cli_sleep_until(cli_ticker_deadline(&tk));
 *		last = cli_ticker_next(&tk);	// a signal, -d or count
 *		if (last)
 *			detach();
 *		report(last);
 *		if (last)
 *			break;
 *	}
 *
 * cli.c holds the argp parts (it needs libbpf for -V); cli_run.c the rest
 * (no libbpf: tools/common/test-cli.c links it alone).
 */
#ifndef __TOOLS_CLI_H
#define __TOOLS_CLI_H

#include <argp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <sys/types.h>
#include <linux/types.h>

/* the version of the tool set; -V prints "<tool> <version> (libbpf X.Y)" */
#define TOOLS_VERSION		"0.2"

#define NSEC_PER_SEC		1000000000ULL
/* a deadline that never comes */
#define CLI_FOREVER		(~0ULL)

/* accepted ranges of the interval and of -d, in ns */
#define CLI_INTERVAL_MIN_NS	(NSEC_PER_SEC / 100)		/* 0.01 s */
#define CLI_INTERVAL_MAX_NS	(86400 * NSEC_PER_SEC)		/* 1 day */
#define CLI_DURATION_MIN_NS	(NSEC_PER_SEC / 100)
#define CLI_DURATION_MAX_NS	(366 * 86400 * NSEC_PER_SEC)	/* 1 year */
#define CLI_COUNT_MAX		2147483647UL

struct prom;

struct cli {
	const char *tool;		/* name in messages, -V, --help */
	pid_t pid;			/* -p: 0 = every process */
	bool json;			/* -j, --json */
	bool verbose;			/* -v, --verbose */
	bool features;			/* --features */
	bool prog_stats;		/* --prog-stats */
	__u64 interval_ns;		/* 0: no interval, one report at the end */
	__u64 default_interval_ns;	/* the tool's default (0: none) */
	unsigned long count;		/* reports, 0: until -d or a signal */
	__u64 duration_ns;		/* -d, 0: no limit */
	const char *command;		/* -c: the command to run and trace */
	int sort_key;			/* -s: index in the tool's keys, -1: none */
	unsigned long top;		/* -n: VMs shown per report, 0: all */
	const char *prom_path;		/* --prom FILE */
	struct prom *prom;		/* its writer (prom.h), NULL: none */
};
extern struct cli cli;

/* ---- cli.c: argp ---- */

/*
 * The common options as an argp child: -p, -j, -v, -d, --prom, --features,
 * --prog-stats, -h and the positional [interval [count]] (-V/--version and
 * --help/--usage come from argp).  A tool puts it in its argp's children,
 * returns ARGP_ERR_UNKNOWN for ARGP_KEY_ARG and leaves args_doc to itself.
 */
extern const struct argp cli_argp;

/* set the tool name and default interval (0: none); call first */
void cli_init(const char *tool, __u64 default_interval_ns);
/*
 * The tool's -s keys, NULL-terminated, before cli_parse().  The first
 * CLI_SORT_ASCENDING keys sort ascending (name, pid), the others
 * descending.  Without keys -s is a usage error.
 */
void cli_set_sort_keys(const char *const *keys);
#define CLI_SORT_NAME		0	/* keys[0] must be "name" */
#define CLI_SORT_PID		1	/* keys[1] must be "pid" */
#define CLI_SORT_ASCENDING	2

/* a VM of a report, for cli_sort_vms() */
struct cli_vm_order {
	const char *name;
	__u64 pid;
	__u64 value;		/* the -s key's value if it is not name/pid */
	int index;		/* the tool's own: where the VM is */
};
/*
 * Order @v by -s (ties, and no -s: by @index, i.e. as the tool found
 * them) and return how many to show: -n, or all.
 */
size_t cli_sort_vms(struct cli_vm_order *v, size_t n);

/* replace the --help text of a common option (by its key: 'v', ...) */
void cli_set_option_doc(int key, const char *doc);
/*
 * argp_parse() with the convention: messages start with the tool name,
 * bad arguments exit 2 (EXIT_USAGE), --help and -V exit 0.  Returns only
 * if the arguments are good.
 */
void cli_parse(const struct argp *argp, int argc, char **argv);

/* ---- cli_run.c: values, -p, -c, signals, clock ---- */

/*
 * -c CMD: split CMD into words as the shell would (quotes, variables; no
 * command substitution, no shell: the command is the traced process).
 * 0, or -EINVAL if CMD has no word or cannot be split.
 */
int cli_command_check(const char *cmd);
/*
 * Fork the command, stopped before its exec, and point -p at it: call
 * before the BPF objects are loaded.  cli_command_start() lets it exec
 * (after the attach and the banner); the command's exit (SIGCHLD) ends the
 * run like a signal.  cli_command_finish(), after the final report, ends a
 * command that is still running (SIGTERM, SIGKILL after 5 s), reaps it
 * and says on stderr how it ended.  No-ops without -c.
 */
void cli_command_prepare(void);
void cli_command_start(void);
void cli_command_finish(void);

/*
 * Parse a number of seconds: decimal digits with an optional fraction
 * ("2", "0.5", ".25", at most 9 decimals; no sign, exponent or spaces)
 * into ns in [@min_ns, @max_ns].  0, -EINVAL or -ERANGE.
 */
int cli_parse_seconds(const char *s, __u64 min_ns, __u64 max_ns, __u64 *ns);
/* "2", "0.5", "0.125": @ns as seconds, without trailing zeros */
const char *cli_fmt_seconds(__u64 ns, char *buf, size_t len);

/*
 * The banner, on standard error in every output mode so that standard output
 * carries only reports: "Tracing @what (source @source[, pid N | , the
 * command's VMs][, Ns interval][, for Ns]). Hit Ctrl-C to end."  Scripts wait
 * for it before they signal or start a workload.
 */
void cli_banner(const char *what, const char *source);

/*
 * What -p PID names: the tgid of @pid (== @pid for a process; another
 * value when @pid is a thread of that process), or -ESRCH if there is no
 * such task.  @pid itself if it exists but /proc cannot tell.
 */
pid_t cli_pid_tgid(pid_t pid);

/* set by SIGINT, SIGTERM, SIGHUP (or -c's SIGCHLD) once cli_signals_install() ran */
extern volatile sig_atomic_t cli_exiting;
/* the signal that set it */
extern volatile sig_atomic_t cli_signal;

/*
 * SIGINT, SIGTERM and SIGHUP set cli_exiting and end a pending
 * cli_sleep_until(); nothing else happens in the handler.  SA_RESTART:
 * other system calls are restarted.  A SIGHUP ignored on entry (nohup)
 * stays ignored; SIGINT and SIGTERM are caught even then (sh starts
 * background jobs with SIGINT ignored).  Call it just before the banner.
 */
void cli_signals_install(void);

/* CLOCK_MONOTONIC in ns */
__u64 cli_now_ns(void);
/* a report's wall clock: CLOCK_REALTIME in @ts (if not NULL), its local
 * HH:MM:SS in @hms */
#define CLI_HMS_LEN	16
void cli_wall_clock(struct timespec *ts, char hms[CLI_HMS_LEN]);
/*
 * Sleep until @deadline (CLOCK_MONOTONIC ns, absolute: clock_nanosleep
 * TIMER_ABSTIME; CLI_FOREVER: until a signal).  true if the deadline
 * passed, false if cli_exiting is set.  A signal that comes after the
 * check of cli_exiting but before the sleep starts is not lost: its
 * handler moves the deadline of the pending sleep to the past.
 */
bool cli_sleep_until(__u64 deadline);

/* the report clock: deadlines start + k * interval, never drifting */
struct cli_ticker {
	__u64 start, next, end;		/* ns; CLI_FOREVER: none */
	unsigned long done;		/* reports so far */
};
void cli_ticker_start(struct cli_ticker *t);
void cli_ticker_start_at(struct cli_ticker *t, __u64 now);
/* when the next report is due: the next tick or the end of -d */
__u64 cli_ticker_deadline(const struct cli_ticker *t);
/*
 * A report is due (the deadline passed or a signal came): count it and
 * say whether it is the last one (a signal, -d over, count reached).  If
 * not, move to the next tick after now (ticks missed by a slow report are
 * skipped, not bunched).
 */
bool cli_ticker_next(struct cli_ticker *t);
bool cli_ticker_next_at(struct cli_ticker *t, __u64 now);

#endif /* __TOOLS_CLI_H */

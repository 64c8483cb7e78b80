/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Exit codes shared by the tools (trace-fastpf, lockstat).  Each has one
 * fixed one-line meaning; print it with tool_die()/exit_message().  The
 * table at the end of --help (cli.c) comes from exit_summary(); the man
 * pages' EXIT STATUS and Documentation/tools-cli.md list the same codes.
 */
#ifndef __TOOLS_ERRORS_H
#define __TOOLS_ERRORS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

enum tool_exit {
	EXIT_OK		= 0,	/* success */
	EXIT_RUNTIME	= 1,	/* runtime error (load, map read, ...) */
	EXIT_USAGE	= 2,	/* bad arguments / usage */
	EXIT_NOPERM	= 3,	/* missing privileges (EPERM, not root) */
	EXIT_NOBTF	= 4,	/* no kernel BTF (/sys/kernel/btf/vmlinux) */
	EXIT_NOPROBE	= 5,	/* none of the needed events/functions can
				 * be attached on this kernel */
	EXIT_NR,
};

/* one short line per code, for the table at the end of --help */
static inline const char *exit_summary(int code)
{
	switch (code) {
	case EXIT_OK:		return "ok (also when ended by SIGINT, SIGTERM "
					"or SIGHUP)";
	case EXIT_RUNTIME:	return "runtime error (BPF load, map read, "
					"...)";
	case EXIT_USAGE:	return "bad arguments (also: -p of a process "
					"that does not exist)";
	case EXIT_NOPERM:	return "missing privileges (root, or CAP_BPF "
					"and CAP_PERFMON)";
	case EXIT_NOBTF:	return "no kernel BTF: CO-RE impossible";
	case EXIT_NOPROBE:	return "required kernel tracepoints or "
					"functions missing";
	default:		return "unknown";
	}
}

static inline const char *exit_message(int code)
{
	switch (code) {
	case EXIT_OK:		return "ok";
	case EXIT_RUNTIME:	return "runtime error";
	case EXIT_USAGE:	return "bad arguments";
	case EXIT_NOPERM:	return "missing privileges: run as root "
					"(needs CAP_BPF and CAP_PERFMON, or "
					"CAP_SYS_ADMIN)";
	case EXIT_NOBTF:	return "kernel BTF not found at "
					"/sys/kernel/btf/vmlinux (needs "
					"CONFIG_DEBUG_INFO_BTF=y)";
	case EXIT_NOPROBE:	return "none of the needed kernel events or "
					"functions can be attached on this "
					"kernel";
	default:		return "unknown error";
	}
}

/*
 * Print "<tool>: <exit_message(code)>[: <detail>]" on stderr and exit with
 * @code.  @fmt may be NULL.
 */
static inline void __attribute__((noreturn, format(printf, 3, 4)))
tool_die(const char *tool, int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s", tool, exit_message(code));
	if (fmt) {
		fputs(": ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
	exit(code);
}

#endif /* __TOOLS_ERRORS_H */

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The common options of the tools as an argp child, -V, and the exit-code
 * table at the end of --help.  See cli.h and Documentation/tools-cli.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "cli.h"
#include "errors.h"
#include "prom.h"
#include "trace_helpers.h"

enum {
	CLI_OPT_FEATURES = 0x1000,
	CLI_OPT_PROM,
	CLI_OPT_PROG_STATS,
};

static struct argp_option cli_options[] = {
	{ "pid", 'p', "PID", 0,
	  "Only the VMs of this VMM process (a process id; the process need "
	  "not have a VM yet)", 0 },
	{ "command", 'c', "CMD", 0,
	  "Run CMD (split into words as by the shell, run without one) and "
	  "trace only its VMs; its exit ends the run", 0 },
	{ "sort", 's', "KEY", 0, NULL, 0 },
	{ "top", 'n', "N", 0,
	  "Show the first N VMs of each report (after -s); totals cover all",
	  0 },
	{ "duration", 'd', "SECONDS", 0,
	  "End after SECONDS (fractions allowed, e.g. 2.5) with the final "
	  "report", 0 },
	{ "json", 'j', NULL, 0,
	  "NDJSON on standard output: one object per line", 0 },
	{ "prom", CLI_OPT_PROM, "FILE", 0,
	  "Also write Prometheus metrics (totals since start) to FILE at each "
	  "report, replaced atomically: for node_exporter's textfile collector",
	  0 },
	{ "verbose", 'v', NULL, 0, "More detail, libbpf debug messages", 0 },
	{ "prog-stats", CLI_OPT_PROG_STATS, NULL, 0,
	  "Count what each BPF program of the tool costs (runs, ns per run) "
	  "and report it at the end", 0 },
	{ "features", CLI_OPT_FEATURES, NULL, 0,
	  "Report what this kernel supports, then exit", 0 },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Give this help list", 0 },
	{},
};

static int nr_args;
static const char *const *sort_keys;
static char sort_doc[256];

static void check_pid(struct argp_state *state)
{
	pid_t tgid = cli_pid_tgid(cli.pid);

	if (tgid == -ESRCH)
		argp_failure(state, EXIT_USAGE, 0, "no such process: %d",
			     (int)cli.pid);
	if (tgid != cli.pid)
		argp_failure(state, EXIT_USAGE, 0, "%d is a thread of process "
			     "%d: -p takes a process id", (int)cli.pid,
			     (int)tgid);
}

static error_t cli_parse_opt(int key, char *arg, struct argp_state *state)
{
	unsigned long v;
	__u64 ns;

	switch (key) {
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		break;
	case 'p':
		if (parse_ulong(arg, 1, 2147483647, &v))
			argp_error(state, "invalid PID: '%s' (a process id, 1 "
				   "or more)", arg);
		cli.pid = v;
		break;
	case 's':
		for (v = 0; sort_keys && sort_keys[v]; v++)
			if (!strcmp(arg, sort_keys[v]))
				break;
		if (!sort_keys || !sort_keys[v])
			argp_error(state, "invalid sort key: '%s' (%s)", arg,
				   sort_doc);
		cli.sort_key = v;
		break;
	case 'n':
		if (parse_ulong(arg, 1, 1000000, &v))
			argp_error(state, "invalid count of VMs: '%s' (1 to "
				   "1000000)", arg);
		cli.top = v;
		break;
	case 'c':
		if (cli_command_check(arg))
			argp_error(state, "invalid command: '%s' (a program and "
				   "its arguments)", arg);
		cli.command = arg;
		break;
	case 'd':
		if (cli_parse_seconds(arg, CLI_DURATION_MIN_NS,
				      CLI_DURATION_MAX_NS, &ns))
			argp_error(state, "invalid duration: '%s' (0.01 to "
				   "31622400 seconds)", arg);
		cli.duration_ns = ns;
		break;
	case 'j':
		cli.json = true;
		break;
	case 'v':
		cli.verbose = true;
		break;
	case CLI_OPT_FEATURES:
		cli.features = true;
		break;
	case CLI_OPT_PROG_STATS:
		cli.prog_stats = true;
		break;
	case CLI_OPT_PROM: {
		int err;

		prom_close(cli.prom);
		cli.prom = NULL;
		err = prom_open(&cli.prom, arg);
		if (err)
			argp_failure(state, EXIT_USAGE, 0, "--prom %s: cannot "
				     "write a file there: %s", arg,
				     err == -EINVAL ? "not a file name" :
				     strerror(-err));
		cli.prom_path = arg;
		break;
	}
	case ARGP_KEY_ARG:
		if (nr_args == 0) {
			if (cli_parse_seconds(arg, CLI_INTERVAL_MIN_NS,
					      CLI_INTERVAL_MAX_NS, &ns))
				argp_error(state, "invalid interval: '%s' (0.01 "
					   "to 86400 seconds)", arg);
			cli.interval_ns = ns;
		} else if (nr_args == 1) {
			if (parse_ulong(arg, 1, CLI_COUNT_MAX, &v))
				argp_error(state, "invalid count: '%s' (1 to "
					   "%lu)", arg, CLI_COUNT_MAX);
			cli.count = v;
		} else {
			argp_error(state, "unexpected argument: '%s'", arg);
		}
		nr_args++;
		break;
	case ARGP_KEY_END:
		if (cli.features &&
		    (nr_args || cli.duration_ns || cli.command ||
		     cli.sort_key >= 0 || cli.top || cli.prom))
			argp_error(state, "--features takes no interval, count, "
				   "-c, -d, -s, -n or --prom");
		if (cli.command && cli.pid)
			argp_error(state, "-c and -p exclude each other");
		if (cli.pid)
			check_pid(state);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* after the tool's own text: positional arguments, signals, exit codes */
static char *cli_help_filter(int key, const char *text, void *input)
{
	char *buf = NULL, secs[32], def[40];
	size_t len = 0;
	FILE *f;
	int i;

	if (key != ARGP_KEY_HELP_EXTRA)
		return (char *)text;
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	if (cli.default_interval_ns)
		snprintf(def, sizeof(def), "%s s", cli_fmt_seconds(
			 cli.default_interval_ns, secs, sizeof(secs)));
	fprintf(f,
		"Arguments:\n"
		"  interval   seconds between reports, fractions allowed (0.01 "
		"to 86400;\n"
		"             default: %s)\n"
		"  count      number of reports (default: until -d or a "
		"signal)\n"
		"\n"
		"SIGINT, SIGTERM and SIGHUP end the run: detach, print the "
		"final report,\n"
		"exit 0.  So does the exit of -c's command.\n"
		"\n"
		"Exit status:\n",
		cli.default_interval_ns ? def : "none, one report at the end");
	for (i = 0; i < EXIT_NR; i++)
		fprintf(f, "  %d  %s\n", i, exit_summary(i));
	fclose(f);
	/* argp adds a newline after the extra text */
	if (len && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	return buf;
}

const struct argp cli_argp = {
	.options = cli_options,
	.parser = cli_parse_opt,
	.help_filter = cli_help_filter,
};

static void cli_version(FILE *f, struct argp_state *state)
{
	fprintf(f, "%s %s (libbpf %u.%u)\n", cli.tool, TOOLS_VERSION,
		libbpf_major_version(), libbpf_minor_version());
}

void (*argp_program_version_hook)(FILE *, struct argp_state *) = cli_version;

void cli_set_sort_keys(const char *const *keys)
{
	size_t len;
	int i;

	sort_keys = keys;
	len = snprintf(sort_doc, sizeof(sort_doc), "one of:");
	for (i = 0; keys[i] && len < sizeof(sort_doc); i++)
		len += snprintf(sort_doc + len, sizeof(sort_doc) - len, "%s %s",
				i ? "," : "", keys[i]);
	if (len < sizeof(sort_doc))
		snprintf(sort_doc + len, sizeof(sort_doc) - len,
			 "; name and pid ascending, the others largest first");
	cli_set_option_doc('s', sort_doc);
}

void cli_init(const char *tool, __u64 default_interval_ns)
{
	cli.tool = tool;
	cli.sort_key = -1;
	cli.default_interval_ns = default_interval_ns;
	cli.interval_ns = default_interval_ns;
}

void cli_set_option_doc(int key, const char *doc)
{
	struct argp_option *o;

	for (o = cli_options; o->name || o->key; o++)
		if (o->key == key)
			o->doc = doc;
}

void cli_parse(const struct argp *argp, int argc, char **argv)
{
	argp_err_exit_status = EXIT_USAGE;
	/* getopt's own messages ("unrecognized option") name argv[0] */
	if (argc > 0)
		argv[0] = (char *)cli.tool;
	if (argp_parse(argp, argc, argv, 0, NULL, NULL))
		exit(EXIT_USAGE);
	cli_command_prepare();
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lockstat - who holds and who waits for kvm->mmu_lock, live, per VM,
 * per mode (read/write) and per call site.
 *
 * Every acquisition of a watched mmu_lock is counted (no sampling).  See
 * Documentation/lockstat.8 and bpf/lockstat.bpf.c.
 */
#include <errno.h>
#include <argp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "lockstat-int.h"
#include "lockstat.skel.h"
#include "cli.h"
#include "errors.h"
#include "json.h"
#include "progstats.h"
#include "ksyms.h"
#include "trace_helpers.h"

#define DEF_NSTACKS	0	/* no stack walks unless asked for */
#define MAX_NSTACKS	1000

/* the common options (-p, -j, -v, -d, ...) are in cli (cli.h) */
struct env env = {
	.nstacks = DEF_NSTACKS,
	.source = -1,
};

const char *source_names[] = {
	[LS_SRC_RAW] = "raw",
	[LS_SRC_LOCKDEP] = "lockdep",
	[LS_SRC_CONTENTION] = "contention",
};

const char *drop_names[LS_DROP_NR] = {
	[LS_DROP_HOLD_FULL] = "hold_map_full",
	[LS_DROP_HOLD_STALE] = "hold_start_overwritten",
	[LS_DROP_NO_START] = "release_without_start",
	[LS_DROP_NO_ENTRY] = "lock_entry_missed",
	[LS_DROP_ENTRY_PREEMPTED] = "entry_preempted",
	[LS_DROP_STACK] = "stack_failed",
	[LS_DROP_STACK_FULL] = "stack_map_full",
	[LS_DROP_SITE_FULL] = "callsite_map_full",
	[LS_DROP_WAIT_STALE] = "wait_start_overwritten",
	[LS_DROP_WAIT_NO_BEGIN] = "wait_end_without_begin",
	[LS_DROP_VM_FULL] = "vm_slots_full",
	[LS_DROP_WATCH_FULL] = "watch_map_full",
};

const char *mode_names[LS_NR_MODES] = { "read", "write" };

/* -s keys: name and pid first (cli.h), then largest first, both modes */
static const char *const sort_keys[] = {
	"name", "pid", "wait", "hold", "acq", "contended", NULL,
};

/* ------------------------------------------------------------------ */
/* arguments                                                           */

static const char doc[] =
"Who holds and who waits for kvm->mmu_lock: acquisitions, contentions,\n"
"wait and hold times per VM, mode (read/write) and call site.\n";

enum { OPT_SOURCE = 256, OPT_STACKS };

static const struct argp_option opts[] = {
	{ "stacks", OPT_STACKS, "N", 0, "Walk the kernel stack of every watched "
	  "acquisition (or contention) and show the top N call sites per VM "
	  "and mode (at most 1000; default 0: no stack walks, the cheapest)",
	  0 },
	{ "source", OPT_SOURCE, "SRC", 0,
	  "auto (default), raw, lockdep or contention", 0 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	unsigned long v;
	int i;

	switch (key) {
	case OPT_STACKS:
		if (parse_ulong(arg, 0, MAX_NSTACKS, &v))
			argp_error(state, "invalid number of call sites '%s' "
				   "(0-%d)", arg, MAX_NSTACKS);
		env.nstacks = v;
		break;
	case OPT_SOURCE:
		if (!strcmp(arg, "auto")) {
			env.source = -1;
			break;
		}
		for (i = 0; i < (int)(sizeof(source_names) /
				      sizeof(source_names[0])); i++)
			if (!strcmp(arg, source_names[i]))
				break;
		if (i == (int)(sizeof(source_names) / sizeof(source_names[0])))
			argp_error(state, "unknown source '%s' (auto, raw, "
				   "lockdep, contention)", arg);
		env.source = i;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void parse_args(int argc, char **argv)
{
	static const struct argp_child children[] = {
		{ &cli_argp, 0, NULL, 0 },
		{},
	};
	static const struct argp argp = {
		.options = opts,
		.parser = parse_opt,
		.args_doc = "[interval [count]]\n--features [-j] [-v]",
		.doc = doc,
		.children = children,
	};

	cli_init(TOOL, 0);
	cli_set_sort_keys(sort_keys);
	cli_set_option_doc('v', "Full call stacks, struct kvm addresses, the "
			   "feature report, libbpf debug messages");
	cli_parse(&argp, argc, argv);
}

/* ------------------------------------------------------------------ */

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list args)
{
	if (level == LIBBPF_DEBUG && !cli.verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static __u64 mono_ns(void)
{
	return cli_now_ns();
}

/*
 * Sleep until @deadline (CLOCK_MONOTONIC ns, absolute; CLI_FOREVER: no
 * deadline) or a signal.  Without a creation hook, new VMs are only found
 * by the iterator, so rescan every second meanwhile.
 */
static void sleep_until(__u64 deadline)
{
	__u64 scan = mono_ns() + NSEC_PER_SEC;

	if (!probes[PR_VM_CREATE].ok) {
		while (scan < deadline) {
			if (!cli_sleep_until(scan))
				return;		/* a signal */
			scan_vms();
			expire_unseen_vms();
			scan += NSEC_PER_SEC;
		}
	}
	cli_sleep_until(deadline);
}

int main(int argc, char **argv)
{
	struct cli_ticker tk;
	__u64 last;
	int err;

	parse_args(argc, argv);
	libbpf_set_print(libbpf_print);

	if (!have_caps() || bpf_privilege_check() == -EPERM)
		tool_die(TOOL, EXIT_NOPERM, NULL);
	if (!vmlinux_btf_available() || !kernel_btf())
		tool_die(TOOL, EXIT_NOBTF, NULL);

	ksyms = ksyms__load(NULL);
	if (!ksyms)
		fprintf(stderr, "%s: warning: /proc/kallsyms: %s; call sites "
			"will be raw addresses\n", TOOL, strerror(errno));
	probe_features();

	if (cli.features) {
		print_features(stdout, false);
		return feat.source >= 0 ? EXIT_OK : EXIT_NOPROBE;
	}
	if (feat.source < 0)
		tool_die(TOOL, EXIT_NOPROBE, "%s", feat.source_why);
	if (!cli.json)
		print_features(stderr, !cli.verbose);

	if (site_tab_init(&prev_sites) || site_tab_init(&cur_sites)) {
		fprintf(stderr, "%s: out of memory\n", TOOL);
		return EXIT_RUNTIME;
	}
	if (cli.json) {
		jw = json_new(stdout);
		if (!jw)
			return EXIT_RUNTIME;
	}

	err = setup_bpf();
	if (err)
		goto out;
	if (cli.prog_stats)
		prog_stats_start(TOOL);
	/* BPF programs and trampolines now have kallsyms entries */
	ksyms__free(ksyms);
	ksyms = ksyms__load(NULL);

	scan_vms();
	/* before the banner: whoever waits for it may signal right away */
	cli_signals_install();
	if (cli.json)
		json_features(jw);
	cli_banner("kvm->mmu_lock", source_names[feat.source]);
	if (!cli.json && !env.nstacks)
		fprintf(stderr, "No call sites: --stacks N walks a stack per "
			"event to find them.\n");

	cli_command_start();
	cli_ticker_start(&tk);
	last = tk.start;
	while (true) {
		struct report r = {};
		__u64 now;

		sleep_until(cli_ticker_deadline(&tk));
		r.final = cli_ticker_next(&tk);
		/* the final report counts what happened until the detach */
		if (r.final)
			detach_all();

		/* close the interval: later maxima go to the other slot */
		r.prev_epoch = skel->bss->epoch;
		__atomic_store_n(&skel->bss->epoch, r.prev_epoch + 1,
				 __ATOMIC_SEQ_CST);
		now = mono_ns();
		r.interval_ns = now - last;
		r.run_ns = now - tk.start;
		last = now;
		report(&r);
		{
			struct site_tab t = prev_sites;

			prev_sites = cur_sites;
			cur_sites = t;
		}
		if (r.final)
			break;
		/* VMs created since the last pass, gone ones */
		scan_vms();
		expire_unseen_vms();
	}
	err = EXIT_OK;
out:
	cli_command_finish();
	detach_all();
	lockstat_bpf__destroy(skel);
	json_free(jw);
	ksyms__free(ksyms);
	kernel_btf_free();
	free(prev_sites.e);
	free(cur_sites.e);
	free(cs_buf.v);
	return err;
}

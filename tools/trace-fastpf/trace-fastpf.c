// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * trace-fastpf: KVM x86 fast page faults, their retries and the
 * invalidation churn behind them, per VM and per vCPU.
 *
 * USAGE: trace-fastpf [-p PID] [-j] [-v] [-d SECONDS] [interval [count]]
 *
 * Full mode: the kvmmmu:fast_page_fault_pass, kvmmmu:kvm_mmu_fault_retry,
 * kvm:kvm_mmu_invalidate_{begin,end} and kvmmmu:kvm_mmu_wrprot_batch
 * tracepoints (added by this project's KVM series).  Fallback mode (any
 * other kernel): kvmmmu:fast_page_fault plus fentry/fexit on KVM functions.
 * What is live is decided probe by probe at run time.
 */
#include <argp.h>
#include <time.h>
#include "trace-fastpf-int.h"
#include "progstats.h"

/* the common options (-p, -j, -v, -d, ...) are in cli (cli.h) */
static struct env {
	unsigned long max_vms;
	unsigned long max_vcpus;
} env = {
	.max_vms = FPF_DEF_MAX_VMS,
	.max_vcpus = FPF_DEF_MAX_VCPUS,
};

static const char argp_program_doc[] =
"Trace KVM x86 fast page faults, retries and invalidations per VM and vCPU.\n"
"\n"
"Prints per-interval counts (default: every second until Ctrl-C) and,\n"
"on exit, the totals since start.  Unavailable metrics print n/a (null).\n"
"\v"
"Examples:\n"
"    trace-fastpf             # every second until Ctrl-C\n"
"    trace-fastpf 1 10        # ten 1-second intervals\n"
"    trace-fastpf 0.5 -d 30   # every half second for 30 s\n"
"    trace-fastpf -p 4321     # only the VM(s) of VMM process 4321\n"
"    trace-fastpf -j 5        # NDJSON, one object per 5 s interval\n"
"    trace-fastpf --features  # what this kernel supports, then exit\n";

enum {
	OPT_MAX_VMS = 0x100,
	OPT_MAX_VCPUS,
};

static const struct argp_option opts[] = {
	{ "max-vms", OPT_MAX_VMS, "N", 0,
	  "Track at most N VMs (default 64)", 0 },
	{ "max-vcpus", OPT_MAX_VCPUS, "N", 0,
	  "Track at most N vCPUs in all (default 1024)", 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	unsigned long v;

	switch (key) {
	case OPT_MAX_VMS:
		if (parse_ulong(arg, 1, 65536, &v))
			argp_error(state, "invalid --max-vms: '%s' (1..65536)",
				   arg);
		env.max_vms = v;
		break;
	case OPT_MAX_VCPUS:
		if (parse_ulong(arg, 1, 1 << 20, &v))
			argp_error(state,
				   "invalid --max-vcpus: '%s' (1..1048576)",
				   arg);
		env.max_vcpus = v;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int libbpf_print_fn(enum libbpf_print_level level, const char *fmt,
			   va_list args)
{
	if (level == LIBBPF_DEBUG && !cli.verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static double now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */

static struct bpf_program *prog_of(struct trace_fastpf_bpf *obj, int p)
{
	switch (p) {
	case P_FAST:		return obj->progs.fpf_fast_page_fault;
	case P_PASS:		return obj->progs.fpf_pass;
	case P_SPTEP_TDP:	return obj->progs.fpf_tdp_get_last_sptep;
	case P_SPTEP_LEGACY:	return obj->progs.fpf_legacy_get_last_sptep;
	case P_RETRY:		return obj->progs.fpf_fault_retry;
	case P_INV_BEGIN_TP:	return obj->progs.fpf_inval_begin_tp;
	case P_INV_END_TP:	return obj->progs.fpf_inval_end_tp;
	case P_INV_BEGIN_FN:	return obj->progs.fpf_inval_begin_fn;
	case P_INV_END_FN:	return obj->progs.fpf_inval_end_fn;
	case P_WRPROT:		return obj->progs.fpf_wrprot_batch;
	case P_PF_ENTRY:	return obj->progs.fpf_pf_start;
	case P_PF_EXIT:		return obj->progs.fpf_pf_resume;
	case P_NOTIFY_UNMAP:	return obj->progs.fpf_notify_unmap;
	case P_NOTIFY_AGE:	return obj->progs.fpf_notify_age;
	case P_NOTIFY_TEST_AGE:	return obj->progs.fpf_notify_test_age;
	case P_CREATE:		return obj->progs.fpf_create_vm;
	case P_DESTROY:		return obj->progs.fpf_destroy_vm;
	}
	return NULL;
}

static bool inval_hooks_wanted(void)
{
	return (probes[P_INV_BEGIN_TP].want && probes[P_INV_END_TP].want) ||
	       (probes[P_INV_BEGIN_FN].want && probes[P_INV_END_FN].want);
}

static bool any_probe_wanted(void)
{
	int i;

	for (i = 0; i < P_NR; i++)
		if (probes[i].want && i != P_DESTROY && i != P_CREATE)
			return true;
	return false;
}

/*
 * What every run needs: BPF privileges, kernel BTF, the CPU count.  0 or
 * the EXIT_* code to end with (a runtime error is explained here).
 */
static int check_env(void)
{
	int err = bpf_privilege_check();

	if (err == -EPERM)
		return EXIT_NOPERM;
	if (err) {
		fprintf(stderr, "%s: bpf(): %s\n", TOOL, strerror(-err));
		return EXIT_RUNTIME;
	}
	if (!vmlinux_btf_available() || !kernel_btf())
		return EXIT_NOBTF;
	nr_cpus = libbpf_num_possible_cpus();
	if (nr_cpus <= 0) {
		fprintf(stderr, "%s: cannot count CPUs\n", TOOL);
		return EXIT_RUNTIME;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp_child children[] = {
		{ &cli_argp, 0, NULL, 0 },
		{},
	};
	static const struct argp argp = {
		.options = opts,
		.parser = parse_arg,
		.args_doc = "[interval [count]]\n--features [-j] [-v]",
		.doc = argp_program_doc,
		.children = children,
	};
	struct trace_fastpf_bpf *obj = NULL;
	struct bpf_program *prog;
	struct json *j = NULL;
	struct cli_ticker tk;
	int err, i, nr_attached = 0;
	double t0, t1, t_start;

	cli_init(TOOL, NSEC_PER_SEC);
	cli_set_sort_keys(sort_keys);
	cli_set_option_doc('v', "Verbose output: struct kvm addresses, every "
			   "probe, libbpf debug messages");
	cli_parse(&argp, argc, argv);

	libbpf_set_print(libbpf_print_fn);

	err = check_env();
	if (err == EXIT_RUNTIME)
		return err;
	if (err)
		tool_die(TOOL, err, NULL);

	detect();
	if (!any_probe_wanted()) {
		decide_metrics();
		if (cli.features) {
			/* --features reports, it does not fail */
			j = cli.json ? json_new(stdout) : NULL;
			print_features(stdout, j, false);
			json_free(j);
			return EXIT_OK;
		}
		print_features(stderr, NULL, false);
		tool_die(TOOL, EXIT_NOPROBE, NULL);
	}

	obj = trace_fastpf_bpf__open();
	if (!obj)
		tool_die(TOOL, EXIT_RUNTIME, "failed to open BPF object: %s",
			 strerror(errno));
	obj->rodata->targ_tgid = cli.pid;
	obj->rodata->seq_at_faults = !inval_hooks_wanted() &&
				     probes[P_FAST].want;
	obj->rodata->pf_code_is_ept = pf_code_is_ept;
	obj->rodata->tdp_on = tdp_on;
	bpf_map__set_max_entries(obj->maps.vms, env.max_vms);

	bpf_map__set_max_entries(obj->maps.vcpus, env.max_vcpus);
	bpf_map__set_max_entries(obj->maps.threads,
				 env.max_vcpus * 4 > FPF_DEF_MAX_THREADS ?
				 env.max_vcpus * 4 : FPF_DEF_MAX_THREADS);
	obj->rodata->vm_fops = scan_vm_fops;
	obj->rodata->vcpu_fops = scan_vcpu_fops;
	bpf_object__for_each_program(prog, obj->obj)
		bpf_program__set_autoload(prog, false);
	for (i = 0; i < P_NR; i++) {
		probes[i].prog = prog_of(obj, i);
		bpf_program__set_autoload(probes[i].prog, probes[i].want);
	}
	bpf_program__set_autoload(obj->progs.fpf_scan, scan_supported);

	err = trace_fastpf_bpf__load(obj);
	if (err) {
		trace_fastpf_bpf__destroy(obj);
		if (err == -EPERM || err == -EACCES)
			tool_die(TOOL, EXIT_NOPERM, NULL);
		tool_die(TOOL, EXIT_RUNTIME,
			 "failed to load BPF programs: %s (try -v)",
			 strerror(-err));
	}
	stats_obj = obj->obj;
	{
		/* the host-wide entry exists before the map can be full */
		struct fpf_notify_counts zero = {};
		__u32 host = FPF_NOTIFY_HOST;

		bpf_map_update_elem(bpf_map__fd(obj->maps.notify), &host,
				    &zero, BPF_NOEXIST);
	}
	if (cli.prog_stats && !cli.features)
		prog_stats_start(TOOL);

	for (i = 0; i < P_NR; i++) {
		if (!probes[i].want)
			continue;
		probes[i].link = bpf_program__attach(probes[i].prog);
		probes[i].attached = probes[i].link != NULL;
		if (!probes[i].link) {
			err = -errno;
			set_why(i, "attach failed: %s", strerror(-err));
			fprintf(stderr, "%s: warning: %s: %s\n", TOOL,
				probes[i].desc, probes[i].why);
			continue;
		}
		if (i != P_DESTROY && i != P_CREATE)
			nr_attached++;
	}
	/* latency needs both ends */
	if (!attached(P_PF_ENTRY) || !attached(P_PF_EXIT)) {
		bpf_link__destroy(probes[P_PF_ENTRY].link);
		bpf_link__destroy(probes[P_PF_EXIT].link);
		probes[P_PF_ENTRY].link = probes[P_PF_EXIT].link = NULL;
		probes[P_PF_ENTRY].attached = probes[P_PF_EXIT].attached = false;
	}
	if (scan_supported)
		scan_link = vm_scan_attach(obj->progs.fpf_scan, cli.pid, TOOL);
	decide_metrics();

	if (cli.json) {
		j = json_new(stdout);
		if (!j)
			tool_die(TOOL, EXIT_RUNTIME, "out of memory");
	}
	if (!nr_attached && !cli.features) {
		print_features(stderr, NULL, false);
		trace_fastpf_bpf__destroy(obj);
		tool_die(TOOL, EXIT_NOPROBE, NULL);
	}

	if (cli.features) {
		print_features(stdout, j, false);
		goto cleanup;
	}
	/* before the banner: whoever waits for it may signal right away */
	cli_signals_install();

	if (j)
		print_features(NULL, j, false);
	else
		print_features(stderr, NULL, !cli.verbose);
	cli_banner("KVM page faults", mode_name());

	cli_command_start();
	/* the VMs that exist already: their VMM's notifier events are theirs */
	scan_vms(obj);
	cli_ticker_start(&tk);
	t_start = t0 = now_secs();
	while (true) {
		bool last;

		/* on absolute deadlines: reporting does not shift the next */
		cli_sleep_until(cli_ticker_deadline(&tk));
		last = cli_ticker_next(&tk);
		/* the final report counts what happened until the detach */
		if (last)
			detach_probes();
		t1 = now_secs();
		scan_vms(obj);
		if (read_maps(obj))
			tool_die(TOOL, EXIT_RUNTIME, "reading maps failed");
		expire_unseen_vms(obj);
		print_report(j, t1 - t0, false, last);
		/* the final one equals the summary: no read in between */
		write_prom();
		snapshot_done();
		retire_dead_vms(obj);
		t0 = t1;
		if (last)
			break;
	}
	/* totals: everything since attach, destroyed VMs included */
	print_report(j, now_secs() - t_start, true, true);
	cli_command_finish();

cleanup:
	for (i = 0; i < P_NR; i++)
		bpf_link__destroy(probes[i].link);
	bpf_link__destroy(scan_link);
	trace_fastpf_bpf__destroy(obj);
	json_free(j);
	kernel_btf_free();
	return EXIT_OK;
}

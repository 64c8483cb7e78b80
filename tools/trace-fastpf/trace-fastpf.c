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
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ctype.h>
#include <sys/prctl.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "trace-fastpf.h"
#include "trace-fastpf.skel.h"
#include "cli.h"
#include "errors.h"
#include "json.h"
#include "progstats.h"
#include "prom.h"
#include "trace_helpers.h"
#include "vmname.h"
#include "vmscan.h"

#define TOOL "trace-fastpf"
#define TDP_MMU_PARAM "/sys/module/kvm/parameters/tdp_mmu"
#define EPT_PARAM "/sys/module/kvm_intel/parameters/ept"
#define NPT_PARAM "/sys/module/kvm_amd/parameters/npt"

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

/* ------------------------------------------------------------------ */
/* probes and metrics                                                  */

enum probe_id {
	P_FAST, P_PASS, P_SPTEP_TDP, P_SPTEP_LEGACY, P_RETRY,
	P_INV_BEGIN_TP, P_INV_END_TP, P_INV_BEGIN_FN, P_INV_END_FN,
	P_WRPROT, P_PF_ENTRY, P_PF_EXIT, P_NOTIFY_UNMAP, P_NOTIFY_AGE,
	P_NOTIFY_TEST_AGE, P_CREATE, P_DESTROY, P_NR,
};

struct probe {
	const char *desc;
	struct bpf_program *prog;
	bool want;		/* passed the pre-load checks */
	struct bpf_link *link;	/* attached (NULL again after detach_probes()) */
	bool attached;		/* was attached: stays set after the detach */
	char why[160];		/* why not wanted / not attached */
	/* runs the kernel skipped (bpf_prog_info.recursion_misses): an
	 * fentry program preempted on a CPU blocks itself there */
	__u64 misses_cur, misses_prev;
};

static struct probe probes[P_NR] = {
	[P_FAST]	 = { "tp_btf/fast_page_fault" },
	[P_PASS]	 = { "tp_btf/fast_page_fault_pass" },
	[P_SPTEP_TDP]	 = { "fentry/kvm_tdp_mmu_fast_pf_get_last_sptep" },
	[P_SPTEP_LEGACY] = { "fentry/fast_pf_get_last_sptep" },
	[P_RETRY]	 = { "tp_btf/kvm_mmu_fault_retry" },
	[P_INV_BEGIN_TP] = { "tp_btf/kvm_mmu_invalidate_begin" },
	[P_INV_END_TP]	 = { "tp_btf/kvm_mmu_invalidate_end" },
	[P_INV_BEGIN_FN] = { "fentry/kvm_mmu_invalidate_begin" },
	[P_INV_END_FN]	 = { "fexit/kvm_mmu_invalidate_end" },
	[P_WRPROT]	 = { "tp_btf/kvm_mmu_wrprot_batch" },
	[P_PF_ENTRY]	 = { "tp_btf/kvm_page_fault" },
	[P_PF_EXIT]	 = { "tp_btf/kvm_entry" },
	[P_NOTIFY_UNMAP] = { "tp_btf/kvm_unmap_hva_range" },
	[P_NOTIFY_AGE]	 = { "tp_btf/kvm_age_hva" },
	[P_NOTIFY_TEST_AGE] = { "tp_btf/kvm_test_age_hva" },
	[P_CREATE]	 = { "fexit/kvm_arch_init_vm" },
	[P_DESTROY]	 = { "fentry/kvm_destroy_vm" },
};

enum metric_id {
	M_FAST, M_PASSES, M_RETRIES, M_CMPXCHG, M_SLOW_OUTCOME, M_STALE,
	M_INVAL, M_INVAL_SRC, M_SEQ, M_WRPROT, M_LATENCY, M_WP_FAULTS, M_MMU,
	M_NOTIFY, M_DISCOVERY, M_TEARDOWN, M_NR,
};

struct metric {
	const char *name;
	bool live;
	char info[320];	/* source if live, reason if not */
};

static struct metric metrics[M_NR] = {
	[M_FAST]	 = { "fast_outcomes" },
	[M_PASSES]	 = { "passes" },
	[M_RETRIES]	 = { "retries" },
	[M_CMPXCHG]	 = { "cmpxchg_lost" },
	[M_SLOW_OUTCOME] = { "slow_by_outcome" },
	[M_STALE]	 = { "stale_retries" },
	[M_INVAL]	 = { "invalidations" },
	[M_INVAL_SRC]	 = { "inval_by_source" },
	[M_SEQ]		 = { "seq_delta" },
	[M_WRPROT]	 = { "wrprot_batches" },
	[M_LATENCY]	 = { "fault_latency" },
	[M_WP_FAULTS]	 = { "wp_faults" },
	[M_MMU]		 = { "mmu" },
	[M_NOTIFY]	 = { "mmu_notifier" },
	[M_DISCOVERY]	 = { "vm_discovery" },
	[M_TEARDOWN]	 = { "vm_teardown" },
};

#define live(m) (metrics[m].live)

/* raw enum value -> display name, resolved from BTF by enumerator name */
struct enum_names {
	char *name[FPF_ENUM_SLOTS];
	bool resolved;
};

static struct enum_names outcome_names, reason_names, source_names;
static long long ret_pf_fixed = -1, ret_pf_spurious = -1;
static long long outcome_fixed = -1, outcome_spurious = -1;
static long long outcome_cmpxchg = -1;
static char ret_pf_src[64];
static bool full_mode;
static int tdp_mmu = -1;
/* kvm_page_fault's error code is an EPT exit qualification */
static bool pf_code_is_ept;
/* TDP (NPT or EPT) on: 1, off: 0, not known (no such module): -1 */
static int tdp_on = -1;
/* VM discovery: the task_file iterator (vmscan.h) */
static bool scan_supported;
static __u64 scan_vm_fops, scan_vcpu_fops;
static struct bpf_link *scan_link;
static const char *const notify_names[FPF_NOTIFY_NR] = {
	[FPF_NOTIFY_UNMAP] = "unmap",
	[FPF_NOTIFY_AGE] = "age",
	[FPF_NOTIFY_TEST_AGE] = "test_age",
};

/* "KVM_FAST_PF_NOT_PRESENT" minus "KVM_FAST_PF_" -> "not_present" */
static char *short_name(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	char *s, *p;

	if (!strncmp(name, prefix, n))
		name += n;
	s = strdup(name);
	for (p = s; p && *p; p++)
		*p = tolower((unsigned char)*p);
	return s;
}

static void resolve_enum(struct enum_names *en, const char *type,
			 const char *prefix)
{
	struct btf_enum_entry ents[64];
	char buf[32];
	int i, n;

	n = btf_enum_entries(type, ents, 64);
	for (i = 0; i < n; i++) {
		if (ents[i].value < 0 || ents[i].value >= FPF_ENUM_SLOTS)
			continue;
		en->name[ents[i].value] = short_name(ents[i].name, prefix);
	}
	en->resolved = n > 0;
	for (i = 0; i < FPF_ENUM_SLOTS; i++) {
		if (!en->name[i]) {
			snprintf(buf, sizeof(buf), "value_%d", i);
			en->name[i] = strdup(buf);
		}
	}
}

static long long enum_val(const char *name)
{
	long long v;

	return btf_enum_value(name, &v) ? -1 : v;
}

/*
 * RET_PF_FIXED / RET_PF_SPURIOUS: an anonymous enum whose values moved when
 * RET_PF_WRITE_PROTECTED was added.  BTF first; else the tracepoint's print
 * fmt, where TRACE_DEFINE_ENUM substituted the numbers:
 *   "... spurious %d fixed %d", ..., REC->ret == 6, REC->ret == 5
 */
static void resolve_ret_pf(void)
{
	long long v[2];
	char *fmt, *p;
	int n = 0;

	ret_pf_fixed = enum_val("RET_PF_FIXED");
	ret_pf_spurious = enum_val("RET_PF_SPURIOUS");
	if (ret_pf_fixed >= 0 && ret_pf_spurious >= 0) {
		snprintf(ret_pf_src, sizeof(ret_pf_src), "BTF");
		return;
	}
	ret_pf_fixed = ret_pf_spurious = -1;
	fmt = tracepoint_format("kvmmmu", "fast_page_fault");
	if (!fmt)
		return;
	if (strstr(fmt, "spurious %d fixed %d")) {
		for (p = fmt; n < 2 && (p = strstr(p, "REC->ret == ")); n++) {
			p += strlen("REC->ret == ");
			v[n] = strtoll(p, NULL, 0);
		}
	}
	if (n == 2) {
		ret_pf_spurious = v[0];
		ret_pf_fixed = v[1];
		snprintf(ret_pf_src, sizeof(ret_pf_src), "tracefs print fmt");
	}
	free(fmt);
}

static void set_why(int p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_why(int p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(probes[p].why, sizeof(probes[p].why), fmt, ap);
	va_end(ap);
}

/* a tp_btf probe is wanted if the tracepoint exists with @nargs args */
static void check_tp(int p, const char *tp, int nargs)
{
	int n = tp_btf_nr_args(tp);

	if (n < 0)
		set_why(p, "no %s tracepoint in kernel BTF", tp);
	else if (n != nargs)
		set_why(p, "%s has %d arguments, expected %d", tp, n, nargs);
	else
		probes[p].want = true;
}

/* a tp_btf probe whose first argument is the struct kvm_vcpu pointer */
static void check_tp_vcpu(int p, const char *tp)
{
	if (tp_btf_nr_args(tp) < 0)
		set_why(p, "no %s tracepoint in kernel BTF", tp);
	else if (!tp_btf_arg_is_struct_ptr(tp, 0, "kvm_vcpu"))
		set_why(p, "%s does not pass the vCPU (before 5.10)", tp);
	else
		probes[p].want = true;
}

static void check_fentry(int p, const char *func)
{
	int r = fentry_can_attach(func);

	/* privileges were checked first: EPERM here is a kernel policy */
	if (r == -EPERM)
		set_why(p, "fentry refused with EPERM by this kernel (LSM/lockdown policy?)");
	else if (r > 0)
		probes[p].want = true;
	else if (!btf_func_exists(func))
		set_why(p, "%s() not in kernel BTF (static/inlined?)", func);
	else
		set_why(p, "%s() cannot be attached", func);
}

/* @flag is in /proc/cpuinfo's first "flags" line */
static bool cpu_has_flag(const char *flag)
{
	char line[4096], *p;
	size_t n = strlen(flag);
	bool found = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		for (p = strstr(line, flag); p; p = strstr(p + 1, flag))
			if (p[-1] == ' ' && (p[n] == ' ' || p[n] == '\n'))
				found = true;
		break;
	}
	fclose(f);
	return found;
}

static void detect(void)
{
	int i;

	tdp_mmu = sysfs_read_bool(TDP_MMU_PARAM);
	full_mode = tp_btf_exists("fast_page_fault_pass");

	/* 5.16+ prototype: (vcpu, fault, sptep, old_spte, ret) */
	check_tp(P_FAST, "fast_page_fault", 5);
	resolve_ret_pf();

	check_tp(P_PASS, "fast_page_fault_pass", 8);
	if (probes[P_PASS].want) {
		resolve_enum(&outcome_names, "kvm_fast_pf_outcome",
			     "KVM_FAST_PF_");
		outcome_fixed = enum_val("KVM_FAST_PF_FIXED");
		outcome_spurious = enum_val("KVM_FAST_PF_SPURIOUS");
		outcome_cmpxchg = enum_val("KVM_FAST_PF_CMPXCHG_LOST");
	} else {
		/* fallback anchors: the SPTE lookup made once per pass */
		if (tdp_mmu == 0)
			set_why(P_SPTEP_TDP, "kvm.tdp_mmu=N: "
				"kvm_tdp_mmu_fast_pf_get_last_sptep() is not used");
		else
			check_fentry(P_SPTEP_TDP,
				     "kvm_tdp_mmu_fast_pf_get_last_sptep");
		if (tdp_mmu == 1)
			set_why(P_SPTEP_LEGACY, "kvm.tdp_mmu=Y: "
				"fast_pf_get_last_sptep() is not used");
		else
			check_fentry(P_SPTEP_LEGACY, "fast_pf_get_last_sptep");
	}

	check_tp(P_RETRY, "kvm_mmu_fault_retry", 3);
	if (probes[P_RETRY].want)
		resolve_enum(&reason_names, "kvm_mmu_retry_reason",
			     "KVM_MMU_RETRY_");

	check_tp(P_INV_BEGIN_TP, "kvm_mmu_invalidate_begin", 2);
	check_tp(P_INV_END_TP, "kvm_mmu_invalidate_end", 2);
	if (probes[P_INV_BEGIN_TP].want && probes[P_INV_END_TP].want) {
		resolve_enum(&source_names, "kvm_invalidate_source",
			     "KVM_INVALIDATE_");
	} else {
		/* use the pair or nothing: begin and end must match */
		probes[P_INV_BEGIN_TP].want = probes[P_INV_END_TP].want = false;
		check_fentry(P_INV_BEGIN_FN, "kvm_mmu_invalidate_begin");
		check_fentry(P_INV_END_FN, "kvm_mmu_invalidate_end");
		if (!probes[P_INV_BEGIN_FN].want || !probes[P_INV_END_FN].want)
			probes[P_INV_BEGIN_FN].want =
				probes[P_INV_END_FN].want = false;
	}

	check_tp(P_WRPROT, "kvm_mmu_wrprot_batch", 7);

	/* both with the vCPU first (5.10+), or neither */
	check_tp_vcpu(P_PF_ENTRY, "kvm_page_fault");
	check_tp_vcpu(P_PF_EXIT, "kvm_entry");
	if (!probes[P_PF_ENTRY].want || !probes[P_PF_EXIT].want) {
		probes[P_PF_ENTRY].want = probes[P_PF_EXIT].want = false;
		if (!probes[P_PF_ENTRY].why[0])
			strcpy(probes[P_PF_ENTRY].why, probes[P_PF_EXIT].why);
		if (!probes[P_PF_EXIT].why[0])
			strcpy(probes[P_PF_EXIT].why, probes[P_PF_ENTRY].why);
	}

	/*
	 * Which vendor module runs VMs, from the CPU's flags: with KVM built
	 * in, both modules' parameters exist.  Intel with EPT traces the
	 * exit qualification, not PFERR_* bits.
	 */
	if (cpu_has_flag("vmx")) {
		tdp_on = sysfs_read_bool(EPT_PARAM);
		pf_code_is_ept = tdp_on == 1;
	} else if (cpu_has_flag("svm")) {
		tdp_on = sysfs_read_bool(NPT_PARAM);
	}
	if (tdp_on < 0)
		tdp_on = -1;

	check_tp(P_NOTIFY_UNMAP, "kvm_unmap_hva_range", 2);
	check_tp(P_NOTIFY_AGE, "kvm_age_hva", 2);
	check_tp(P_NOTIFY_TEST_AGE, "kvm_test_age_hva", 1);

	check_fentry(P_CREATE, "kvm_arch_init_vm");
	check_fentry(P_DESTROY, "kvm_destroy_vm");

	scan_supported = vm_scan_supported();
	if (scan_supported)
		vm_scan_fops(&scan_vm_fops, &scan_vcpu_fops);

	for (i = 0; i < P_NR; i++)
		if (!probes[i].want && !probes[i].why[0])
			set_why(i, "not needed");
}

static bool attached(int p)
{
	return probes[p].attached;
}

/* end of tracing: the counters stop, the maps stay readable */
static void detach_probes(void)
{
	int i;

	for (i = 0; i < P_NR; i++) {
		bpf_link__destroy(probes[i].link);
		probes[i].link = NULL;
	}
}

static void set_metric(int m, bool is_live, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_metric(int m, bool is_live, const char *fmt, ...)
{
	va_list ap;

	metrics[m].live = is_live;
	va_start(ap, fmt);
	vsnprintf(metrics[m].info, sizeof(metrics[m].info), fmt, ap);
	va_end(ap);
}

/* a VM the scan no longer finds is gone: no teardown probe, whole passes */
static bool scan_expires(void)
{
	return scan_link && !attached(P_DESTROY) && vm_scan_sees_all();
}

/* after attach: what each metric is built from, or why it is n/a */
static void decide_metrics(void)
{
	const char *seq_field;
	bool have_seq;

	if (attached(P_FAST) && ret_pf_fixed >= 0 && ret_pf_spurious >= 0 &&
	    ret_pf_fixed < FPF_ENUM_SLOTS && ret_pf_spurious < FPF_ENUM_SLOTS)
		set_metric(M_FAST, true,
			   "%s; RET_PF_FIXED=%lld RET_PF_SPURIOUS=%lld (%s)",
			   probes[P_FAST].desc, ret_pf_fixed, ret_pf_spurious,
			   ret_pf_src);
	else if (attached(P_FAST))
		set_metric(M_FAST, false,
			   "RET_PF_FIXED/RET_PF_SPURIOUS not resolvable");
	else
		set_metric(M_FAST, false, "%s", probes[P_FAST].why);

	if (attached(P_PASS))
		set_metric(M_PASSES, true, "%s", probes[P_PASS].desc);
	else if (attached(P_SPTEP_TDP) && attached(P_SPTEP_LEGACY))
		set_metric(M_PASSES, true, "%s + %s", probes[P_SPTEP_TDP].desc,
			   probes[P_SPTEP_LEGACY].desc);
	else if (attached(P_SPTEP_TDP))
		set_metric(M_PASSES, true, "%s%s", probes[P_SPTEP_TDP].desc,
			   tdp_mmu < 0 ? " (TDP MMU only)" : "");
	else if (attached(P_SPTEP_LEGACY))
		set_metric(M_PASSES, true, "%s", probes[P_SPTEP_LEGACY].desc);
	else if (full_mode)
		set_metric(M_PASSES, false, "%s", probes[P_PASS].why);
	else
		set_metric(M_PASSES, false, "%s; %s",
			   probes[P_SPTEP_TDP].why, probes[P_SPTEP_LEGACY].why);

	if (live(M_PASSES) && attached(P_FAST))
		set_metric(M_RETRIES, true, "%s",
			   attached(P_PASS) ? "attempt of each fault's last pass"
					    : "passes - 1 per fast_page_fault event");
	else
		set_metric(M_RETRIES, false, "needs passes and %s",
			   probes[P_FAST].desc);

	if (attached(P_PASS) && outcome_cmpxchg >= 0 &&
	    outcome_cmpxchg < FPF_ENUM_SLOTS)
		set_metric(M_CMPXCHG, true, "passes with KVM_FAST_PF_CMPXCHG_LOST=%lld",
			   outcome_cmpxchg);
	else if (attached(P_PASS))
		set_metric(M_CMPXCHG, false,
			   "KVM_FAST_PF_CMPXCHG_LOST not in BTF");
	else
		set_metric(M_CMPXCHG, false,
			   "needs %s (each retry follows a lost cmpxchg)",
			   probes[P_PASS].desc);

	if (attached(P_PASS) && attached(P_FAST) && outcome_names.resolved)
		set_metric(M_SLOW_OUTCOME, true,
			   "outcome of the last pass (enum kvm_fast_pf_outcome)");
	else
		set_metric(M_SLOW_OUTCOME, false, "needs %s and %s",
			   probes[P_PASS].desc, probes[P_FAST].desc);

	if (attached(P_RETRY))
		set_metric(M_STALE, true, "%s", probes[P_RETRY].desc);
	else
		set_metric(M_STALE, false, "%s", probes[P_RETRY].why);

	if (attached(P_INV_BEGIN_TP) && attached(P_INV_END_TP))
		set_metric(M_INVAL, true, "%s + %s", probes[P_INV_BEGIN_TP].desc,
			   probes[P_INV_END_TP].desc);
	else if (attached(P_INV_BEGIN_FN) && attached(P_INV_END_FN))
		set_metric(M_INVAL, true, "%s + %s", probes[P_INV_BEGIN_FN].desc,
			   probes[P_INV_END_FN].desc);
	else
		set_metric(M_INVAL, false, "%s; %s%s",
			   probes[P_INV_BEGIN_TP].why,
			   probes[P_INV_BEGIN_FN].why[0] ?
			   probes[P_INV_BEGIN_FN].why : probes[P_INV_END_FN].why,
			   attached(P_NOTIFY_UNMAP) ? "; the mmu notifier's "
			   "unmaps are counted by mmu_notifier" : "");

	if (live(M_INVAL) && attached(P_INV_BEGIN_TP))
		set_metric(M_INVAL_SRC, true, "enum kvm_invalidate_source");
	else
		set_metric(M_INVAL_SRC, false, "needs %s",
			   probes[P_INV_BEGIN_TP].desc);

	have_seq = btf_struct_has_member("kvm", "mmu_invalidate_seq") ||
		   btf_struct_has_member("kvm", "mmu_notifier_seq");
	seq_field = btf_struct_has_member("kvm", "mmu_invalidate_seq") ?
		    "mmu_invalidate_seq" : "mmu_notifier_seq";
	if (live(M_INVAL) && have_seq)
		set_metric(M_SEQ, true, "kvm->%s (CO-RE) at invalidate end",
			   seq_field);
	else if (have_seq && attached(P_FAST))
		set_metric(M_SEQ, true, "kvm->%s (CO-RE) sampled at each "
			   "fast_page_fault event: a change is seen at the "
			   "VM's next fault", seq_field);
	else
		set_metric(M_SEQ, false, "%s",
			   have_seq ? "needs invalidation events"
				    : "struct kvm has no mmu_invalidate_seq");

	if (attached(P_WRPROT))
		set_metric(M_WRPROT, true, "%s", probes[P_WRPROT].desc);
	else
		set_metric(M_WRPROT, false, "%s", probes[P_WRPROT].why);

	if (attached(P_PF_ENTRY) && attached(P_PF_EXIT))
		set_metric(M_LATENCY, true, "%s -> the thread's next %s: a "
			   "page-fault exit until the guest runs again",
			   probes[P_PF_ENTRY].desc, probes[P_PF_EXIT].desc);
	else
		set_metric(M_LATENCY, false, "%s", probes[P_PF_ENTRY].why);

	if (live(M_LATENCY))
		set_metric(M_WP_FAULTS, true, "page-fault exits whose error "
			   "code says present and write (%s)", pf_code_is_ept ?
			   "EPT exit qualification: kvm_intel.ept=Y" :
			   "PFERR_PRESENT_MASK | PFERR_WRITE_MASK");
	else
		set_metric(M_WP_FAULTS, false, "needs %s and %s",
			   probes[P_PF_ENTRY].desc, probes[P_PF_EXIT].desc);
	if (live(M_LATENCY) && btf_struct_has_member("kvm_mmu", "root_role"))
		set_metric(M_MMU, true, "vcpu->arch.mmu->root_role.direct "
			   "(CO-RE) at each page-fault exit, TDP if %s: TDP or "
			   "shadow page tables%s", tdp_on == 1 ?
			   "NPT/EPT is on (it is)" : tdp_on == 0 ?
			   "NPT/EPT is on (it is off: all shadow)" :
			   "NPT/EPT is on (not known here: direct is trusted, "
			   "so a shadow-paged guest with paging off counts as "
			   "TDP)", tdp_mmu == 1 ? "; kvm.tdp_mmu=Y" :
			   tdp_mmu == 0 ? "; kvm.tdp_mmu=N" : "");
	else if (live(M_LATENCY))
		set_metric(M_MMU, false, "struct kvm_mmu has no root_role "
			   "(before 6.0)");
	else
		set_metric(M_MMU, false, "needs %s and %s",
			   probes[P_PF_ENTRY].desc, probes[P_PF_EXIT].desc);
	if (attached(P_NOTIFY_UNMAP) || attached(P_NOTIFY_AGE) ||
	    attached(P_NOTIFY_TEST_AGE))
		set_metric(M_NOTIFY, true, "kvm:kvm_unmap_hva_range, "
			   "kvm_age_hva, kvm_test_age_hva, counted per process "
			   "that runs the notifier and given at each report to "
			   "its oldest live VM; kernel threads, direct reclaim "
			   "or compaction, and processes without a known VM: "
			   "host-wide");
	else
		set_metric(M_NOTIFY, false, "%s", probes[P_NOTIFY_UNMAP].why);

	if (scan_link)
		set_metric(M_DISCOVERY, true, "task_file iterator at start and "
			   "before each report, files matched by %s; new VMs: "
			   "%s", scan_vm_fops ?
			   "f_op == kvm_vm_fops/kvm_vcpu_fops" :
			   "anon-inode name kvm-vm/kvm-vcpu",
			   attached(P_CREATE) ? "fexit kvm_arch_init_vm" :
			   "the next pass or their first event (their VMM's "
			   "notifier events in a report before that are "
			   "host-wide)");
	else
		set_metric(M_DISCOVERY, false, "%s; a VM is found only "
			   "through its events", scan_supported ?
			   "the task_file iterator cannot be attached" :
			   "no task_file iterator (before 5.8)");

	if (attached(P_DESTROY))
		set_metric(M_TEARDOWN, true, "%s", probes[P_DESTROY].desc);
	else if (scan_expires())
		set_metric(M_TEARDOWN, true, "a VM that two passes of the "
			   "task_file iterator no longer find is gone (%s)",
			   probes[P_DESTROY].why);
	else if (scan_link)
		set_metric(M_TEARDOWN, false, "%s; the iterator sees only this "
			   "pid namespace; a reused struct kvm address merges "
			   "VMs", probes[P_DESTROY].why);
	else
		set_metric(M_TEARDOWN, false,
			   "%s; a reused struct kvm address merges VMs",
			   probes[P_DESTROY].why);
}

/* print @text from column @indent, wrapping at spaces before @width */
static void print_wrapped(FILE *f, const char *text, int indent, int width)
{
	int col = indent, len;
	const char *p = text, *sp;

	while (*p) {
		sp = strchr(p, ' ');
		len = sp ? sp - p : (int)strlen(p);
		if (col > indent && col + 1 + len > width) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		}
		fprintf(f, " %.*s", len, p);
		col += 1 + len;
		p += len;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

static const char *mode_name(void)
{
	return full_mode ? "full" : "fallback";
}

static void print_features(FILE *f, struct json *j)
{
	int i;

	if (j) {
		json_begin_record(j, "features", TOOL);
		json_kv_string(j, "kernel", kernel_release());
		json_kv_string(j, "source", mode_name());
		json_kv_string(j, "source_detail", full_mode ?
			       "kvmmmu:fast_page_fault_pass: every fast-path pass" :
			       "no kvmmmu:fast_page_fault_pass in kernel BTF: "
			       "fast-path outcomes from the fault's return value");
		json_key(j, "metrics");
		json_begin_object(j);
		for (i = 0; i < M_NR; i++) {
			json_key(j, metrics[i].name);
			json_begin_object(j);
			json_kv_bool(j, "live", metrics[i].live);
			json_kv_string(j, metrics[i].live ? "source" : "reason",
				       metrics[i].info);
			json_end_object(j);
		}
		json_end_object(j);
		json_key(j, "probes");
		json_begin_array(j);
		for (i = 0; i < P_NR; i++) {
			json_begin_object(j);
			json_kv_string(j, "name", probes[i].desc);
			json_kv_bool(j, "available", attached(i));
			if (!attached(i))
				json_kv_string(j, "reason", probes[i].why);
			json_end_object(j);
		}
		json_end_array(j);
		if (tdp_mmu < 0)
			json_kv_null(j, "tdp_mmu");
		else
			json_kv_bool(j, "tdp_mmu", tdp_mmu);
		json_end_object(j);
		return;
	}
	fprintf(f, "%s: %s mode, kernel %s\n", TOOL, mode_name(),
		kernel_release());
	if (!full_mode)
		fprintf(f, "  (no kvmmmu:fast_page_fault_pass tracepoint in "
			"kernel BTF)\n");
	fprintf(f, "  %-16s %-5s %s\n", "METRIC", "STATE", "SOURCE / REASON");
	for (i = 0; i < M_NR; i++) {
		fprintf(f, "  %-16s %-5s", metrics[i].name,
			metrics[i].live ? "live" : "n/a");
		print_wrapped(f, metrics[i].info, 24, 79);
	}
	if (cli.verbose) {
		fprintf(f, "  probes:\n");
		for (i = 0; i < P_NR; i++)
			fprintf(f, "    %-44s %s\n", probes[i].desc,
				attached(i) ? "attached" : probes[i].why);
	}
}

/* ------------------------------------------------------------------ */
/* map snapshots                                                       */

struct vcpu_rec {
	__u32 vcpu_id;
	struct fpf_vcpu cur, prev;
};

struct vm_rec {
	__u64 kvm;
	int id;
	bool have_vm;		/* a vms map entry exists */
	bool retired;		/* VM destroyed, entries deleted */
	bool gone;		/* no longer found by the VM scan */
	struct fpf_vm cur, prev;
	/* mmu notifier events of its VMM process, given to it by user space */
	__u64 notify_cur[FPF_NOTIFY_NR], notify_prev[FPF_NOTIFY_NR];
	struct vcpu_rec *vcpus;
	int nr_vcpus, cap_vcpus;
	char name[VM_NAME_LEN];	/* taken once the pid is known: stable */
	char comm[16];		/* taken with the name */
};

/* destroyed (kvm_destroy_vm) or no longer found by the VM scan */
static bool rec_dead(const struct vm_rec *r)
{
	return r->cur.dead || r->gone;
}

static struct vm_rec **vm_recs;
static int nr_vm_recs, cap_vm_recs, next_vm_id;
static __u64 drops_cur[FPF_DROP_NR], drops_prev[FPF_DROP_NR];
/* mmu notifier events of tasks that are not a known VMM */
static __u64 notify_other_cur[FPF_NOTIFY_NR], notify_other_prev[FPF_NOTIFY_NR];
static int nr_cpus;

static const char *drop_names[FPF_DROP_NR] = {
	[FPF_DROP_VM] = "vm_map_full",
	[FPF_DROP_VCPU] = "vcpu_map_full",
	[FPF_DROP_THREAD] = "thread_map_full",
	[FPF_DROP_ENUM] = "enum_out_of_range",
	[FPF_DROP_NOTIFY] = "notify_map_full",
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		tool_die(TOOL, EXIT_RUNTIME, "out of memory");
	return p;
}

static struct vm_rec *vm_rec_get(__u64 kvm)
{
	struct vm_rec *r;
	int i;

	for (i = 0; i < nr_vm_recs; i++)
		if (vm_recs[i]->kvm == kvm && !vm_recs[i]->retired)
			return vm_recs[i];
	if (nr_vm_recs == cap_vm_recs) {
		cap_vm_recs = cap_vm_recs ? cap_vm_recs * 2 : 16;
		vm_recs = xrealloc(vm_recs, cap_vm_recs * sizeof(*vm_recs));
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		tool_die(TOOL, EXIT_RUNTIME, "out of memory");
	r->kvm = kvm;
	r->id = ++next_vm_id;
	vm_recs[nr_vm_recs++] = r;
	return r;
}

static struct vcpu_rec *vcpu_rec_get(struct vm_rec *vm, __u32 vcpu_id)
{
	struct vcpu_rec *v;
	int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].vcpu_id == vcpu_id)
			return &vm->vcpus[i];
	if (vm->nr_vcpus == vm->cap_vcpus) {
		vm->cap_vcpus = vm->cap_vcpus ? vm->cap_vcpus * 2 : 8;
		vm->vcpus = xrealloc(vm->vcpus,
				     vm->cap_vcpus * sizeof(*vm->vcpus));
	}
	/* keep vCPUs sorted by id */
	for (i = vm->nr_vcpus; i > 0 && vm->vcpus[i - 1].vcpu_id > vcpu_id; i--)
		vm->vcpus[i] = vm->vcpus[i - 1];
	v = &vm->vcpus[i];
	memset(v, 0, sizeof(*v));
	v->vcpu_id = vcpu_id;
	vm->nr_vcpus++;
	return v;
}

static void read_misses(void)
{
	struct bpf_prog_info info;
	__u32 len;
	int i;

	for (i = 0; i < P_NR; i++) {
		if (!attached(i))
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(bpf_program__fd(probes[i].prog),
					    &info, &len))
			probes[i].misses_cur = info.recursion_misses;
	}
}

/* the sum over CPUs of each of @n slots of a per-CPU array */
static void read_percpu(int fd, __u64 *out, __u32 n, __u64 *percpu)
{
	__u32 i;
	int c;

	for (i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(fd, &i, percpu))
			continue;
		out[i] = 0;
		for (c = 0; c < nr_cpus; c++)
			out[i] += percpu[c];
	}
}

/* a process's notifier counts as last read from the notify map */
struct notify_seen {
	__u32 tgid;
	__u64 n[FPF_NOTIFY_NR];
};

static struct notify_seen *seen;
static int nr_seen, cap_seen;

static struct notify_seen *seen_get(__u32 tgid)
{
	int i;

	for (i = 0; i < nr_seen; i++)
		if (seen[i].tgid == tgid)
			return &seen[i];
	if (nr_seen == cap_seen) {
		cap_seen = cap_seen ? cap_seen * 2 : 64;
		seen = xrealloc(seen, cap_seen * sizeof(*seen));
	}
	memset(&seen[nr_seen], 0, sizeof(seen[nr_seen]));
	seen[nr_seen].tgid = tgid;
	return &seen[nr_seen++];
}

static __u32 vm_pid(const struct vm_rec *r);

/*
 * The VM of process @tgid that takes its notifier events: its oldest live
 * one, so that the choice does not move when the process adds a VM; else
 * one destroyed since the last report (its last events are its own).
 */
static struct vm_rec *notify_owner(__u32 tgid)
{
	int i;

	struct vm_rec *best = NULL;

	if (tgid == FPF_NOTIFY_HOST)
		return NULL;
	for (i = 0; i < nr_vm_recs; i++) {
		struct vm_rec *r = vm_recs[i];

		if (r->retired || !r->have_vm || vm_pid(r) != tgid)
			continue;
		if (!best || rec_dead(best) > rec_dead(r) ||
		    (rec_dead(best) == rec_dead(r) &&
		     r->cur.created_ns < best->cur.created_ns))
			best = r;
	}
	return best;
}

/*
 * Give each process's new notifier events to its oldest live VM, the
 * others to the host-wide count.  Entries of processes that are gone and
 * own no live VM are deleted once counted (they cannot run again).
 */
static void read_notify(struct trace_fastpf_bpf *obj)
{
	int fd = bpf_map__fd(obj->maps.notify);
	__u32 key, next, *prev = NULL, gone[64];
	struct fpf_notify_counts c;
	struct notify_seen *s;
	struct vm_rec *r;
	int i, nr_gone = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &c))
			continue;
		s = seen_get(key);
		r = notify_owner(key);
		for (i = 0; i < FPF_NOTIFY_NR; i++) {
			__u64 d = c.n[i] - s->n[i];

			if (r)
				r->notify_cur[i] += d;
			else
				notify_other_cur[i] += d;
			s->n[i] = c.n[i];
		}
		/* kill() asks our pid namespace: keys are the initial one's */
		if (!r && key != FPF_NOTIFY_HOST && nr_gone < 64 &&
		    vm_scan_sees_all() && kill(key, 0) && errno == ESRCH)
			gone[nr_gone++] = key;
	}
	for (i = 0; i < nr_gone; i++) {
		bpf_map_delete_elem(fd, &gone[i]);
		struct notify_seen *t = seen_get(gone[i]);

		/* a new process with that tgid starts from 0 */
		*t = seen[nr_seen - 1];
		nr_seen--;
	}
}

static int read_maps(struct trace_fastpf_bpf *obj)
{
	int vms_fd = bpf_map__fd(obj->maps.vms);
	int vcpus_fd = bpf_map__fd(obj->maps.vcpus);
	struct fpf_vcpu_key vkey, *vprev = NULL;
	__u64 key, *prev = NULL;
	struct fpf_vcpu vval;
	struct fpf_vm val;
	__u64 *percpu;

	while (!bpf_map_get_next_key(vms_fd, prev, &key)) {
		prev = &key;
		if (bpf_map_lookup_elem(vms_fd, &key, &val))
			continue;	/* deleted meanwhile */
		struct vm_rec *r = vm_rec_get(key);

		r->cur = val;
		r->have_vm = true;
	}
	while (!bpf_map_get_next_key(vcpus_fd, vprev, &vkey)) {
		vprev = &vkey;
		if (bpf_map_lookup_elem(vcpus_fd, &vkey, &vval))
			continue;
		vcpu_rec_get(vm_rec_get(vkey.kvm), vkey.vcpu_id)->cur = vval;
	}

	read_misses();
	percpu = calloc(nr_cpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	read_percpu(bpf_map__fd(obj->maps.drops), drops_cur, FPF_DROP_NR,
		    percpu);
	free(percpu);
	read_notify(obj);
	return 0;
}

/* a pass that may have missed files: no VM is expired on its word */
static __u32 scan_failed_gen;

/* one pass of the VM scan: registers every VM with an open file */
static void scan_vms(struct trace_fastpf_bpf *obj)
{
	if (!scan_link)
		return;
	obj->bss->scan_gen++;
	if (vm_scan_run(scan_link, TOOL))
		scan_failed_gen = obj->bss->scan_gen;
}

/*
 * Without a teardown probe: a VM that the two whole passes since it was
 * last found (or created, for one found by an event) did not find is
 * gone.  Two, not one: a pass may run before the VM's first file is
 * installed, or while a file moves between processes.
 */
static void expire_unseen_vms(struct trace_fastpf_bpf *obj)
{
	__u32 gen = obj->bss->scan_gen;
	int i;

	if (!scan_expires())
		return;
	for (i = 0; i < nr_vm_recs; i++) {
		struct vm_rec *r = vm_recs[i];
		__u32 base = r->cur.scan_gen;

		/* whole passes only: count from the last failed one */
		if ((int)(scan_failed_gen - base) > 0)
			base = scan_failed_gen;
		if (!r->retired && r->have_vm && gen - base >= 2)
			r->gone = true;
	}
}

/* delete the map entries of destroyed VMs; their records stay for totals */
static void retire_dead_vms(struct trace_fastpf_bpf *obj)
{
	int vms_fd = bpf_map__fd(obj->maps.vms);
	int vcpus_fd = bpf_map__fd(obj->maps.vcpus);
	struct fpf_vcpu_key vkey;
	int i, j;

	for (i = 0; i < nr_vm_recs; i++) {
		struct vm_rec *r = vm_recs[i];

		if (r->retired || !r->have_vm || !rec_dead(r))
			continue;
		for (j = 0; j < r->nr_vcpus; j++) {
			memset(&vkey, 0, sizeof(vkey));
			vkey.kvm = r->kvm;
			vkey.vcpu_id = r->vcpus[j].vcpu_id;
			bpf_map_delete_elem(vcpus_fd, &vkey);
		}
		bpf_map_delete_elem(vms_fd, &r->kvm);
		r->retired = true;
	}
}

/* ------------------------------------------------------------------ */
/* derived values                                                      */

/* a - b over the u64 counters of a struct, from field @from to the end */
#define SUB_COUNTERS(type, d, a, b, from)				\
	do {								\
		size_t _o = offsetof(type, from), _k;			\
		__u64 *_d = (__u64 *)((char *)(d) + _o);		\
		const __u64 *_a = (const __u64 *)((const char *)(a) + _o); \
		const __u64 *_b = (const __u64 *)((const char *)(b) + _o); \
		for (_k = 0; _k < (sizeof(type) - _o) / 8; _k++)	\
			_d[_k] = _a[_k] - _b[_k];			\
	} while (0)

static void vcpu_delta(struct fpf_vcpu *d, const struct fpf_vcpu *a,
		       const struct fpf_vcpu *b)
{
	*d = *a;
	if (b)
		SUB_COUNTERS(struct fpf_vcpu, d, a, b, fast_calls);
}

static void vm_delta(struct fpf_vm *d, const struct fpf_vm *a,
		     const struct fpf_vm *b)
{
	*d = *a;
	if (b)
		SUB_COUNTERS(struct fpf_vm, d, a, b, inval_begin);
}

static void vcpu_add(struct fpf_vcpu *sum, const struct fpf_vcpu *v)
{
	size_t o = offsetof(struct fpf_vcpu, fast_calls), k;
	__u64 *s = (__u64 *)((char *)sum + o);
	const __u64 *a = (const __u64 *)((const char *)v + o);

	for (k = 0; k < (sizeof(*v) - o) / 8; k++)
		s[k] += a[k];
}

static __u64 sum_slots(const __u64 *a)
{
	__u64 s = 0;
	int i;

	for (i = 0; i < FPF_ENUM_SLOTS; i++)
		s += a[i];
	return s;
}

static __u64 fixed_of(const struct fpf_vcpu *v)
{
	return v->ret[ret_pf_fixed];
}

static __u64 spurious_of(const struct fpf_vcpu *v)
{
	return v->ret[ret_pf_spurious];
}

/*
 * fast_page_fault() returns RET_PF_INVALID, _FIXED or _SPURIOUS only: every
 * other return is a fallback.  Summed from ret[] alone, not from
 * fast_calls, which BPF bumps first: a copy of the map taken in between
 * would count one fallback too many, and the next report one less.
 */
static __u64 slow_of(const struct fpf_vcpu *v)
{
	__u64 s = 0;
	int i;

	for (i = 0; i < FPF_ENUM_SLOTS; i++)
		if (i != ret_pf_fixed && i != ret_pf_spurious)
			s += v->ret[i];
	return s;
}

static bool is_slow_outcome(int i)
{
	return i != outcome_fixed && i != outcome_spurious;
}

/* ------------------------------------------------------------------ */
/* output                                                              */

struct view {
	struct fpf_vm vm;	/* interval delta or cumulative */
	__u64 notify[FPF_NOTIFY_NR];	/* the VMM's notifier events */
	bool have_vm;
	__u64 seq_delta;
	struct fpf_vcpu all;	/* sum over vCPUs */
};

static void put_u64_or_na(char *buf, size_t sz, bool ok, __u64 v)
{
	if (ok)
		snprintf(buf, sz, "%llu", (unsigned long long)v);
	else
		snprintf(buf, sz, "n/a");
}

static void print_vcpu_row(const char *label, const struct fpf_vcpu *v)
{
	char fx[24], sp[24], sl[24], ps[24], rt[24], cx[24], st[24], fl[24];
	char avg[24];

	put_u64_or_na(fx, sizeof(fx), live(M_FAST), live(M_FAST) ?
		      fixed_of(v) : 0);
	put_u64_or_na(sp, sizeof(sp), live(M_FAST), live(M_FAST) ?
		      spurious_of(v) : 0);
	put_u64_or_na(sl, sizeof(sl), live(M_FAST), live(M_FAST) ?
		      slow_of(v) : 0);
	put_u64_or_na(ps, sizeof(ps), live(M_PASSES), v->passes);
	put_u64_or_na(rt, sizeof(rt), live(M_RETRIES), v->retries);
	put_u64_or_na(cx, sizeof(cx), live(M_CMPXCHG), live(M_CMPXCHG) ?
		      v->pass_outcome[outcome_cmpxchg] : 0);
	put_u64_or_na(st, sizeof(st), live(M_STALE), sum_slots(v->stale));
	put_u64_or_na(fl, sizeof(fl), live(M_LATENCY), v->faults);
	if (!live(M_LATENCY))
		snprintf(avg, sizeof(avg), "n/a");
	else if (!v->faults)
		snprintf(avg, sizeof(avg), "-");
	else
		snprintf(avg, sizeof(avg), "%.2f",
			 v->fault_ns / 1000.0 / v->faults);
	printf("%4s %8s %7s %7s %8s %7s %7s %7s %8s %7s\n", label, fx, sp, sl,
	       ps, rt, cx, st, fl, avg);
}

/* "name count, name count" for the non-zero slots; "none" if all zero */
static void print_enum_counts(const char *title, const __u64 *c,
			      const struct enum_names *names,
			      bool (*filter)(int))
{
	int i, col, n = 0;

	col = printf("  %s:", title);
	for (i = 0; i < FPF_ENUM_SLOTS; i++) {
		char item[64];
		int len;

		if (!c[i] || (filter && !filter(i)))
			continue;
		len = snprintf(item, sizeof(item), " %s %llu", names->name[i],
			       (unsigned long long)c[i]);
		if (col + len + 1 > 79) {
			col = printf("\n   ") - 1;
		}
		col += printf("%s%s", n ? "," : "", item) ;
		n++;
	}
	printf("%s\n", n ? "" : " none");
}

/* the VMM process of a VM */
static __u32 vm_pid(const struct vm_rec *r)
{
	return r->have_vm ? r->cur.pid :
	       (r->nr_vcpus ? r->vcpus[0].cur.tgid : 0);
}

/* the VM's name, kept once its pid is known: a pid reuse does not rename it */
static const char *rec_name(struct vm_rec *r)
{
	static char unknown[VM_NAME_LEN];

	if (r->name[0])
		return r->name;
	if (!vm_pid(r)) {
		vm_name(0, unknown, sizeof(unknown));
		return unknown;
	}
	vm_name(vm_pid(r), r->name, sizeof(r->name));
	vm_comm(vm_pid(r), r->comm, sizeof(r->comm));
	return r->name;
}

/*
 * The MMU a VM's page faults ran in, from its vCPUs' totals since start:
 * "tdp", "shadow", "tdp+shadow" (TDP, and shadow NPT/EPT for a nested
 * guest), "unknown" before its first fault; NULL if not live.
 */
static const char *vm_mmu(const struct vm_rec *r)
{
	__u64 faults = 0, tdp = 0;
	int k;

	if (!live(M_MMU))
		return NULL;
	for (k = 0; k < r->nr_vcpus; k++) {
		faults += r->vcpus[k].cur.faults;
		tdp += r->vcpus[k].cur.tdp_faults;
	}
	if (!faults)
		return "unknown";
	return tdp == faults ? "tdp" : tdp ? "tdp+shadow" : "shadow";
}

static const char *mmu_text(const char *mmu)
{
	if (!mmu)
		return "n/a";
	if (!strcmp(mmu, "tdp"))
		return tdp_mmu == 1 ? "TDP (the TDP MMU)" :
		       tdp_mmu == 0 ? "TDP (kvm.tdp_mmu=N: rmaps)" : "TDP";
	if (!strcmp(mmu, "shadow"))
		return "shadow paging";
	if (!strcmp(mmu, "tdp+shadow"))
		return "TDP, and shadow NPT/EPT for a nested guest";
	return "not known yet (no page fault seen)";
}

/* a notifier tracepoint's count is live if its probe attached */
static bool notify_live(int k)
{
	return attached(P_NOTIFY_UNMAP + k);
}

static void print_notify_counts(const char *title, const __u64 *c)
{
	int i;

	printf("%s:", title);
	for (i = 0; i < FPF_NOTIFY_NR; i++) {
		if (notify_live(i))
			printf("%s %s %llu", i ? "," : "", notify_names[i],
			       (unsigned long long)c[i]);
		else
			printf("%s %s n/a", i ? "," : "", notify_names[i]);
	}
	printf("\n");
}

static void print_vm_human(struct vm_rec *r, const char *name,
			   const struct view *v, double secs, bool cumulative)
{
	const struct fpf_vm *vm = &v->vm;
	char buf[32];
	struct fpf_vcpu d;
	int i;

	printf("VM %s  id %d  pid %u", name, r->id, vm_pid(r));
	if (cli.verbose)
		printf("  kvm 0x%llx", (unsigned long long)r->kvm);
	printf("  vcpus %d%s\n", r->nr_vcpus,
	       rec_dead(r) ? "  (destroyed)" : "");
	if (r->nr_vcpus) {
		printf("%4s %8s %7s %7s %8s %7s %7s %7s %8s %7s\n", "VCPU",
		       "FIXED", "SPUR", "SLOW", "PASSES", "RETRY", "CMPXCHG",
		       "STALE", "FAULTS", "AVG-us");
		for (i = 0; i < r->nr_vcpus; i++) {
			vcpu_delta(&d, &r->vcpus[i].cur,
				   cumulative ? NULL : &r->vcpus[i].prev);
			snprintf(buf, sizeof(buf), "%u", r->vcpus[i].vcpu_id);
			print_vcpu_row(buf, &d);
		}
		if (r->nr_vcpus > 1)
			print_vcpu_row("all", &v->all);
	}
	if (live(M_WP_FAULTS))
		printf("  MMU: %s; write-protect faults: %llu\n",
		       mmu_text(vm_mmu(r)),
		       (unsigned long long)v->all.wp_faults);
	/* write-protect faults, none in the fast path: a kernel without
	 * fast page faults for shadow paging or a nested guest */
	if (live(M_FAST) && live(M_WP_FAULTS) && v->all.wp_faults &&
	    !v->all.fast_calls)
		printf("  no fault entered the fast path: this kernel fixes "
		       "this VM's write-protect\n  faults in the slow path%s\n",
		       vm_mmu(r) && strcmp(vm_mmu(r), "tdp") ?
		       " (its fast path is for TDP faults only)" : "");

	if (live(M_SLOW_OUTCOME))
		print_enum_counts("slow path by outcome", v->all.final_outcome,
				  &outcome_names, is_slow_outcome);
	else
		printf("  slow path by outcome: n/a\n");

	if (live(M_STALE)) {
		__u64 n = sum_slots(v->all.stale);

		print_enum_counts("stale retries", v->all.stale,
				  &reason_names, NULL);
		if (n)
			printf("  stale retries: avg seq lag %.2f\n",
			       (double)v->all.stale_seq_lag / n);
	} else {
		printf("  stale retries: n/a\n");
	}

	if (!live(M_INVAL)) {
		printf("  invalidations: n/a%s", live(M_NOTIFY) ?
		       " (the notifier's are below)" : "");
		if (live(M_SEQ) && v->have_vm && vm->has_seq)
			printf(", seq +%llu (sampled at faults)",
			       (unsigned long long)v->seq_delta);
		printf("\n");
	} else if (!v->have_vm) {
		printf("  invalidations: n/a (VM map full)\n");
	} else {
		printf("  invalidations: %llu begin, %llu end",
		       (unsigned long long)vm->inval_begin,
		       (unsigned long long)vm->inval_end);
		if (secs > 0)
			printf(", %.1f/s", vm->inval_end / secs);
		if (live(M_SEQ) && vm->has_seq)
			printf(", seq +%llu", (unsigned long long)v->seq_delta);
		else
			printf(", seq n/a");
		printf("\n");
		if (live(M_INVAL_SRC))
			print_enum_counts("invalidations by source",
					  vm->inval_end_src, &source_names,
					  NULL);
	}

	if (!live(M_NOTIFY))
		printf("  mmu notifier: n/a\n");
	else if (v->have_vm)
		print_notify_counts("  mmu notifier (VMM process)",
				    v->notify);

	if (!live(M_WRPROT))
		printf("  write-protect batches: n/a\n");
	else if (v->have_vm)
		printf("  write-protect batches: no mmu_lock %llu (%llu "
		       "sptes), mmu_lock read %llu (%llu sptes), write %llu "
		       "(%llu sptes)\n",
		       (unsigned long long)vm->wrprot_batches[2],
		       (unsigned long long)vm->wrprot_changed[2],
		       (unsigned long long)vm->wrprot_batches[1],
		       (unsigned long long)vm->wrprot_changed[1],
		       (unsigned long long)vm->wrprot_batches[0],
		       (unsigned long long)vm->wrprot_changed[0]);

	if (v->have_vm && live(M_RETRIES) &&
	    hist_total(vm->hist[FPF_HIST_RETRIES], FPF_HIST_SLOTS)) {
		printf("  retries per fast-path fault:\n");
		print_log2_hist(stdout, vm->hist[FPF_HIST_RETRIES],
				FPF_HIST_SLOTS, "retries", 0);
	}
	if (v->have_vm && live(M_LATENCY) &&
	    hist_total(vm->hist[FPF_HIST_LATENCY], FPF_HIST_SLOTS)) {
		printf("  page-fault exit to next VM entry:\n");
		print_log2_hist(stdout, vm->hist[FPF_HIST_LATENCY],
				FPF_HIST_SLOTS, "nsecs", 0);
	}
}

static void json_enum_counts(struct json *j, const char *key, bool ok,
			     const __u64 *c, const struct enum_names *names,
			     bool (*filter)(int))
{
	int i;

	if (!json_kv_object_or_null(j, key, ok))
		return;
	for (i = 0; i < FPF_ENUM_SLOTS; i++) {
		if (filter && !filter(i))
			continue;
		/* named values always; unnamed ones only if they occurred */
		if (!c[i] && !strncmp(names->name[i], "value_", 6))
			continue;
		json_kv_u64(j, names->name[i], c[i]);
	}
	json_end_object(j);
}

static void json_fault_counters(struct json *j, const struct fpf_vcpu *v)
{
	if (json_kv_object_or_null(j, "fast", live(M_FAST))) {
		json_kv_u64(j, "fixed", fixed_of(v));
		json_kv_u64(j, "spurious", spurious_of(v));
		json_kv_u64(j, "slow", slow_of(v));
		json_kv_u64(j, "calls", v->fast_calls);
		json_end_object(j);
	}
	json_enum_counts(j, "slow_by_outcome", live(M_SLOW_OUTCOME),
			 v->final_outcome, &outcome_names, is_slow_outcome);
	json_kv_u64_or_null(j, "passes", live(M_PASSES), v->passes);
	json_kv_u64_or_null(j, "retries", live(M_RETRIES), v->retries);
	json_kv_u64_or_null(j, "retry_faults", live(M_RETRIES),
			    v->retry_faults);
	json_kv_u64_or_null(j, "cmpxchg_lost", live(M_CMPXCHG),
			    live(M_CMPXCHG) ? v->pass_outcome[outcome_cmpxchg] :
					      0);
	json_enum_counts(j, "pass_outcome", live(M_SLOW_OUTCOME),
			 v->pass_outcome, &outcome_names, NULL);
	json_enum_counts(j, "stale_retries", live(M_STALE), v->stale,
			 &reason_names, NULL);
	json_kv_u64_or_null(j, "stale_seq_lag", live(M_STALE),
			    v->stale_seq_lag);
	json_kv_u64_or_null(j, "faults", live(M_LATENCY), v->faults);
	json_kv_u64_or_null(j, "fault_ns", live(M_LATENCY), v->fault_ns);
	json_kv_u64_or_null(j, "wp_faults", live(M_WP_FAULTS), v->wp_faults);
	json_kv_u64_or_null(j, "tdp_faults", live(M_MMU), v->tdp_faults);
}

static void json_notify_counts(struct json *j, const char *key, bool ok,
			       const __u64 *c)
{
	int i;

	if (!json_kv_object_or_null(j, key, ok))
		return;
	for (i = 0; i < FPF_NOTIFY_NR; i++)
		json_kv_u64_or_null(j, notify_names[i], notify_live(i), c[i]);
	json_end_object(j);
}

static void print_vm_json(struct json *j, struct vm_rec *r, const char *name,
			  const struct view *v, double secs, bool cumulative)
{
	const struct fpf_vm *vm = &v->vm;
	char addr[24];
	struct fpf_vcpu d;
	int i;

	json_begin_object(j);
	json_kv_u64(j, "vm_id", r->id);
	json_kv_string(j, "name", name);
	json_kv_u64(j, "pid", vm_pid(r));
	json_kv_string(j, "comm", r->comm);
	json_kv_string(j, "state", rec_dead(r) ? "exited" : "live");
	if (cli.verbose) {
		snprintf(addr, sizeof(addr), "0x%llx",
			 (unsigned long long)r->kvm);
		json_kv_string(j, "kvm", addr);
	}
	if (vm_mmu(r))
		json_kv_string(j, "mmu", vm_mmu(r));
	else
		json_kv_null(j, "mmu");
	json_fault_counters(j, &v->all);

	json_kv_u64_or_null(j, "seq_delta",
			    live(M_SEQ) && v->have_vm && vm->has_seq,
			    v->seq_delta);
	if (json_kv_object_or_null(j, "invalidations",
				   live(M_INVAL) && v->have_vm)) {
		json_kv_u64(j, "begin", vm->inval_begin);
		json_kv_u64(j, "end", vm->inval_end);
		json_kv_double(j, "per_sec", secs > 0 ? vm->inval_end / secs
						      : 0.0 / 0.0);
		json_enum_counts(j, "by_source", live(M_INVAL_SRC),
				 vm->inval_end_src, &source_names, NULL);
		json_end_object(j);
	}

	if (json_kv_object_or_null(j, "wrprot", live(M_WRPROT) && v->have_vm)) {
		json_kv_u64(j, "batches_no_lock", vm->wrprot_batches[2]);
		json_kv_u64(j, "sptes_no_lock", vm->wrprot_changed[2]);
		json_kv_u64(j, "batches_read_lock", vm->wrprot_batches[1]);
		json_kv_u64(j, "sptes_read_lock", vm->wrprot_changed[1]);
		json_kv_u64(j, "batches_write_lock", vm->wrprot_batches[0]);
		json_kv_u64(j, "sptes_write_lock", vm->wrprot_changed[0]);
		json_end_object(j);
	}

	json_notify_counts(j, "mmu_notifier", live(M_NOTIFY) && v->have_vm,
			   v->notify);

	json_key(j, "retries_hist");
	if (live(M_RETRIES) && v->have_vm)
		json_log2_hist(j, vm->hist[FPF_HIST_RETRIES], FPF_HIST_SLOTS);
	else
		json_null(j);
	json_key(j, "latency_hist_ns");
	if (live(M_LATENCY) && v->have_vm)
		json_log2_hist(j, vm->hist[FPF_HIST_LATENCY], FPF_HIST_SLOTS);
	else
		json_null(j);

	json_key(j, "vcpus");
	json_begin_array(j);
	for (i = 0; i < r->nr_vcpus; i++) {
		vcpu_delta(&d, &r->vcpus[i].cur,
			   cumulative ? NULL : &r->vcpus[i].prev);
		json_begin_object(j);
		json_kv_u64(j, "vcpu", r->vcpus[i].vcpu_id);
		json_kv_u64(j, "tid", d.tid);
		json_fault_counters(j, &d);
		json_end_object(j);
	}
	json_end_array(j);
	json_end_object(j);
}

static void make_view(struct view *v, struct vm_rec *r, bool cumulative)
{
	struct fpf_vcpu d;
	int i;

	memset(v, 0, sizeof(*v));
	v->have_vm = r->have_vm;
	vm_delta(&v->vm, &r->cur, cumulative ? NULL : &r->prev);
	if (r->cur.has_seq) {
		__u64 cum = r->cur.seq_last - r->cur.seq_first;
		__u64 old = r->prev.has_seq ?
			    r->prev.seq_last - r->prev.seq_first : 0;

		v->seq_delta = cumulative ? cum : cum - old;
	}
	for (i = 0; i < FPF_NOTIFY_NR; i++)
		v->notify[i] = r->notify_cur[i] -
			       (cumulative ? 0 : r->notify_prev[i]);
	for (i = 0; i < r->nr_vcpus; i++) {
		vcpu_delta(&d, &r->vcpus[i].cur,
			   cumulative ? NULL : &r->vcpus[i].prev);
		vcpu_add(&v->all, &d);
	}
}

/*
 * --prom: the summary's totals (cumulative since attach, destroyed VMs
 * included) in the Prometheus text format, family by family.  Series are
 * labelled name, pid and vm_id (the JSON's "vm": a VMM may run several
 * VMs), plus vcpu, outcome, reason, source or lock.
 */
#define PROM_RETIRED	64	/* destroyed VMs kept in --prom's file */

struct prom_vm {
	struct vm_rec *r;
	struct view v;
	char name[VM_NAME_LEN];
	char pid[16], id[16];
};

/* name, pid, vm_id of @pv in l[0..2]; returns 3 */
static int pv_labels(struct prom_label *l, const struct prom_vm *pv)
{
	l[0] = (struct prom_label){ "name", pv->name };
	l[1] = (struct prom_label){ "pid", pv->pid };
	l[2] = (struct prom_label){ "vm_id", pv->id };
	return 3;
}

static __u64 pv_calls(const struct fpf_vcpu *v) { return v->fast_calls; }
static __u64 pv_passes(const struct fpf_vcpu *v) { return v->passes; }
static __u64 pv_retries(const struct fpf_vcpu *v) { return v->retries; }
static __u64 pv_faults(const struct fpf_vcpu *v) { return v->faults; }
static __u64 pv_wp_faults(const struct fpf_vcpu *v) { return v->wp_faults; }
static __u64 pv_tdp_faults(const struct fpf_vcpu *v) { return v->tdp_faults; }
static __u64 pv_cmpxchg(const struct fpf_vcpu *v)
{
	return v->pass_outcome[outcome_cmpxchg];
}

static const struct {
	const char *name, *help;
	int metric;
	__u64 (*get)(const struct fpf_vcpu *v);
} prom_vcpu_counters[] = {
	{ "kvm_fastpf_pf_fast_total", "Faults fixed by the fast path "
	  "(KVM's pf_fast).", M_FAST, fixed_of },
	{ "kvm_fastpf_pf_fast_spurious_total", "Faults the fast path found "
	  "already fixed.", M_FAST, spurious_of },
	{ "kvm_fastpf_fast_fallbacks_total", "fast_page_fault() calls that "
	  "left the fault to the slow path.", M_FAST, slow_of },
	{ "kvm_fastpf_fast_calls_total", "fast_page_fault() calls.", M_FAST,
	  pv_calls },
	{ "kvm_fastpf_fast_passes_total", "Passes of the fast page fault "
	  "loop.", M_PASSES, pv_passes },
	{ "kvm_fastpf_fast_retries_total", "Passes after the first.",
	  M_RETRIES, pv_retries },
	{ "kvm_fastpf_cmpxchg_lost_total", "Passes whose SPTE cmpxchg lost "
	  "a race.", M_CMPXCHG, pv_cmpxchg },
	{ "kvm_fastpf_page_faults_total", "Page-fault exits timed until the next VM entry.",
	  M_LATENCY, pv_faults },
	{ "kvm_fastpf_write_protect_faults_total", "Page-fault exits on a "
	  "present page for a write.", M_WP_FAULTS, pv_wp_faults },
	{ "kvm_fastpf_tdp_faults_total", "Page-fault exits taken in a TDP "
	  "(direct) MMU; the others were in shadow page tables.", M_MMU,
	  pv_tdp_faults },
};

static void prom_enum(struct prom *p, struct prom_vm *pv, int n,
		      const char *name, const char *help, const char *label,
		      const struct enum_names *names,
		      const __u64 *(*get)(const struct view *v))
{
	struct prom_label l[4];
	int i, k;

	prom_family(p, name, "counter", help);
	for (i = 0; i < n; i++) {
		const __u64 *c = get(&pv[i].v);

		pv_labels(l, &pv[i]);
		for (k = 0; k < FPF_ENUM_SLOTS; k++) {
			/* as in the JSON: unnamed values only if they occurred */
			if (!c[k] && !strncmp(names->name[k], "value_", 6))
				continue;
			l[3] = (struct prom_label){ label, names->name[k] };
			prom_u64(p, name, l, 4, c[k]);
		}
	}
}

static const __u64 *pv_pass_outcome(const struct view *v) { return v->all.pass_outcome; }
static const __u64 *pv_stale(const struct view *v) { return v->all.stale; }
static const __u64 *pv_inval_src(const struct view *v) { return v->vm.inval_end_src; }

static void write_prom(void)
{
	static const char *const lock_names[3] = { "write", "read", "none" };
	static struct prom_vm *pv;
	static int cap, warned;
	struct prom *p = cli.prom;
	struct prom_label l[4];
	int i, k, c, n = 0, err;

	if (!p)
		return;
	if (cap < nr_vm_recs) {
		cap = nr_vm_recs;
		pv = xrealloc(pv, cap * sizeof(*pv));
	}
	/* every live VM, and the last PROM_RETIRED destroyed ones */
	for (i = k = 0; i < nr_vm_recs; i++)
		k += vm_recs[i]->retired;
	for (i = 0; i < nr_vm_recs; i++) {
		if (vm_recs[i]->retired && k-- > PROM_RETIRED)
			continue;
		pv[n].r = vm_recs[i];
		make_view(&pv[n].v, vm_recs[i], true);
		snprintf(pv[n].name, sizeof(pv[n].name), "%s", rec_name(vm_recs[i]));
		snprintf(pv[n].pid, sizeof(pv[n].pid), "%u", vm_pid(vm_recs[i]));
		snprintf(pv[n].id, sizeof(pv[n].id), "%d", vm_recs[i]->id);
		n++;
	}
	if (prom_begin(p))
		goto out;

	prom_family(p, "kvm_fastpf_metric_live", "gauge", "1 if the "
		    "tool's source for the metric works on this kernel (see "
		    "--features), else 0.");
	for (i = 0; i < M_NR; i++) {
		l[0] = (struct prom_label){ "metric", metrics[i].name };
		prom_u64(p, "kvm_fastpf_metric_live", l, 1, metrics[i].live);
	}
	prom_family(p, "kvm_fastpf_vm_destroyed", "gauge", "1 once the VM "
		    "was destroyed; its totals stay until the tool exits.");
	for (i = 0; i < n; i++) {
		pv_labels(l, &pv[i]);
		prom_u64(p, "kvm_fastpf_vm_destroyed", l, 3, rec_dead(pv[i].r));
	}

	for (c = 0; c < (int)(sizeof(prom_vcpu_counters) / sizeof(prom_vcpu_counters[0])); c++) {
		const char *name = prom_vcpu_counters[c].name;

		if (!live(prom_vcpu_counters[c].metric))
			continue;
		prom_family(p, name, "counter", prom_vcpu_counters[c].help);
		for (i = 0; i < n; i++) {
			struct vm_rec *r = pv[i].r;

			for (k = 0; k < r->nr_vcpus; k++) {
				char vcpu[16];
				struct fpf_vcpu d;

				vcpu_delta(&d, &r->vcpus[k].cur, NULL);
				snprintf(vcpu, sizeof(vcpu), "%u",
					 r->vcpus[k].vcpu_id);
				pv_labels(l, &pv[i]);
				l[3] = (struct prom_label){ "vcpu", vcpu };
				prom_u64(p, name, l, 4,
					 prom_vcpu_counters[c].get(&d));
			}
		}
	}
	if (live(M_SLOW_OUTCOME))
		prom_enum(p, pv, n, "kvm_fastpf_pass_outcomes_total",
			  "Passes of the fast page fault loop by outcome.",
			  "outcome", &outcome_names, pv_pass_outcome);
	if (live(M_STALE))
		prom_enum(p, pv, n, "kvm_fastpf_stale_retries_total",
			  "Faults retried because an invalidation raced them, "
			  "by reason.", "reason", &reason_names, pv_stale);

	/* per VM: only VMs with a vms map entry have these */
	for (i = k = 0; i < n; i++)
		if (pv[i].v.have_vm)
			pv[k++] = pv[i];
	n = k;
	if (live(M_INVAL_SRC))
		prom_enum(p, pv, n, "kvm_fastpf_invalidations_total",
			  "Ended mmu invalidations, by source.", "source",
			  &source_names, pv_inval_src);
	else if (live(M_INVAL)) {
		prom_family(p, "kvm_fastpf_invalidations_total", "counter",
			    "Ended mmu invalidations.");
		for (i = 0; i < n; i++) {
			pv_labels(l, &pv[i]);
			prom_u64(p, "kvm_fastpf_invalidations_total", l, 3,
				 pv[i].v.vm.inval_end);
		}
	}
	if (live(M_WRPROT)) {
		static const char *const fam[2][2] = {
			{ "kvm_fastpf_wrprot_batches_total", "Dirty-log "
			  "write-protect batches, by how mmu_lock was held." },
			{ "kvm_fastpf_wrprot_sptes_total", "SPTEs those batches "
			  "write-protected, by how mmu_lock was held." },
		};

		for (c = 0; c < 2; c++) {
			prom_family(p, fam[c][0], "counter", fam[c][1]);
			for (i = 0; i < n; i++) {
				for (k = 0; k < 3; k++) {
					pv_labels(l, &pv[i]);
					l[3] = (struct prom_label){ "lock", lock_names[k] };
					prom_u64(p, fam[c][0], l, 4, c ?
						 pv[i].v.vm.wrprot_changed[k] :
						 pv[i].v.vm.wrprot_batches[k]);
				}
			}
		}
	}
	if (live(M_NOTIFY)) {
		prom_family(p, "kvm_fastpf_mmu_notifier_events_total",
			    "counter", "MMU notifier events run by the threads "
			    "of the VM's VMM process (on its oldest live VM), "
			    "by tracepoint.");
		for (i = 0; i < n; i++) {
			for (k = 0; k < FPF_NOTIFY_NR; k++) {
				if (!notify_live(k))
					continue;
				pv_labels(l, &pv[i]);
				l[3] = (struct prom_label){ "event", notify_names[k] };
				prom_u64(p, "kvm_fastpf_mmu_notifier_events_total",
					 l, 4, pv[i].v.notify[k]);
			}
		}
	}
	if (live(M_NOTIFY) && !cli.pid) {
		prom_family(p, "kvm_fastpf_host_mmu_notifier_events_total",
			    "counter", "MMU notifier events of kernel threads, "
			    "tasks in direct reclaim or compaction, and "
			    "processes without a known VM.");
		for (k = 0; k < FPF_NOTIFY_NR; k++) {
			if (!notify_live(k))
				continue;
			l[0] = (struct prom_label){ "event", notify_names[k] };
			prom_u64(p, "kvm_fastpf_host_mmu_notifier_events_total",
				 l, 1, notify_other_cur[k]);
		}
	}
	if (live(M_RETRIES)) {
		prom_family(p, "kvm_fastpf_fault_retries", "histogram",
			    "Retries per fast-path fault.");
		for (i = 0; i < n; i++) {
			pv_labels(l, &pv[i]);
			prom_log2_hist(p, "kvm_fastpf_fault_retries", l, 3,
				       pv[i].v.vm.hist[FPF_HIST_RETRIES],
				       FPF_HIST_SLOTS, 1, pv[i].v.all.retries);
		}
	}
	if (live(M_LATENCY)) {
		prom_family(p, "kvm_fastpf_page_fault_duration_seconds",
			    "histogram", "Page-fault exit to the next VM entry.");
		for (i = 0; i < n; i++) {
			pv_labels(l, &pv[i]);
			prom_log2_hist(p, "kvm_fastpf_page_fault_duration_seconds",
				       l, 3, pv[i].v.vm.hist[FPF_HIST_LATENCY],
				       FPF_HIST_SLOTS, 1e9, pv[i].v.all.fault_ns);
		}
	}

	prom_family(p, "kvm_fastpf_drops_total", "counter", "Events not "
		    "counted because a bounded map was full, by map.");
	for (i = 0; i < FPF_DROP_NR; i++) {
		l[0] = (struct prom_label){ "reason", drop_names[i] };
		prom_u64(p, "kvm_fastpf_drops_total", l, 1, drops_cur[i]);
	}
	prom_family(p, "kvm_fastpf_probe_missed_total", "counter", "Events "
		    "the kernel did not run an attached probe for.");
	for (i = 0; i < P_NR; i++) {
		if (!attached(i))
			continue;
		l[0] = (struct prom_label){ "probe", probes[i].desc };
		prom_u64(p, "kvm_fastpf_probe_missed_total", l, 1,
			 probes[i].misses_cur);
	}
out:
	err = prom_commit(p);
	if (err && !warned++)
		fprintf(stderr, "%s: --prom %s: %s (further errors not "
			"shown)\n", TOOL, cli.prom_path, strerror(-err));
}

/* -s keys: name and pid first (cli.h), then largest first */
enum { SORT_NAME, SORT_PID, SORT_FAULTS, SORT_FAST, SORT_FIXED, SORT_SLOW,
       SORT_RETRIES, SORT_INVAL, SORT_WP };
static const char *const sort_keys[] = {
	"name", "pid", "faults", "fast", "fixed", "slow", "retries", "inval",
	"wp", NULL,
};

static __u64 sort_value(const struct view *v)
{
	switch (cli.sort_key) {
	case SORT_FAULTS:	return v->all.faults;
	case SORT_FAST:		return v->all.fast_calls;
	case SORT_FIXED:	return fixed_of(&v->all);
	case SORT_SLOW:		return slow_of(&v->all);
	case SORT_RETRIES:	return v->all.retries;
	case SORT_INVAL:	return v->vm.inval_end;
	case SORT_WP:		return v->all.wp_faults;
	default:		return 0;
	}
}

/* --prog-stats: the loaded programs */
static struct bpf_object *stats_obj;

static void print_report(struct json *j, double secs, bool cumulative,
			 bool final)
{
	static struct cli_vm_order *order;
	static char (*names)[VM_NAME_LEN];
	static int cap_order;
	__u64 notify_d[FPF_NOTIFY_NR];
	struct fpf_vcpu total;
	char tbuf[CLI_HMS_LEN];
	struct view v;
	int i, n = 0, shown;
	__u64 d;

	cli_wall_clock(NULL, tbuf);

	if (j) {
		json_begin_record(j, cumulative ? "summary" : "interval", TOOL);
		json_record_head(j, (__u64)(secs * 1e9), final, mode_name());
		json_key(j, "vms");
		json_begin_array(j);
	} else {
		printf("\n%s  %s%s %.2f s\n", tbuf,
		       cumulative ? "totals since start" : "interval",
		       cumulative ? ", over" : "", secs);
	}

	if (cap_order < nr_vm_recs) {
		cap_order = nr_vm_recs;
		order = xrealloc(order, cap_order * sizeof(*order));
		names = xrealloc(names, cap_order * sizeof(*names));
	}
	for (i = 0; i < nr_vm_recs; i++) {
		struct vm_rec *r = vm_recs[i];

		/* retired VMs were shown in their last interval */
		if (r->retired && !cumulative)
			continue;
		make_view(&v, r, cumulative);
		snprintf(names[n], sizeof(names[n]), "%s", rec_name(r));
		order[n] = (struct cli_vm_order){ .name = names[n],
			.pid = vm_pid(r), .value = sort_value(&v), .index = i };
		n++;
	}
	shown = cli_sort_vms(order, n);
	memset(&total, 0, sizeof(total));
	for (i = 0; i < n; i++) {
		make_view(&v, vm_recs[order[i].index], cumulative);
		vcpu_add(&total, &v.all);
	}
	for (i = 0; i < shown; i++) {
		struct vm_rec *r = vm_recs[order[i].index];

		make_view(&v, r, cumulative);
		if (j)
			print_vm_json(j, r, order[i].name, &v, secs, cumulative);
		else
			print_vm_human(r, order[i].name, &v, secs, cumulative);
	}

	if (j) {
		json_end_array(j);
		json_kv_u64(j, "vms_not_shown", n - shown);
		/* every VM, whatever -n shows */
		json_key(j, "total");
		json_begin_object(j);
		json_fault_counters(j, &total);
		json_end_object(j);
		for (i = 0; i < FPF_NOTIFY_NR; i++)
			notify_d[i] = cumulative ? notify_other_cur[i] :
				notify_other_cur[i] - notify_other_prev[i];
		json_notify_counts(j, "mmu_notifier_other",
				   live(M_NOTIFY) && !cli.pid, notify_d);
		json_key(j, "drops");
		json_begin_object(j);
		for (i = 0; i < FPF_DROP_NR; i++)
			json_kv_u64(j, drop_names[i], cumulative ? drops_cur[i] :
				    drops_cur[i] - drops_prev[i]);
		json_end_object(j);
		/* per attached probe: events the kernel did not run it for */
		json_key(j, "missed");
		json_begin_object(j);
		for (i = 0; i < P_NR; i++) {
			if (!attached(i))
				continue;
			json_kv_u64(j, probes[i].desc, cumulative ?
				    probes[i].misses_cur :
				    probes[i].misses_cur - probes[i].misses_prev);
		}
		json_end_object(j);
		if (cumulative && cli.prog_stats && stats_obj)
			prog_stats_json(j, stats_obj);
		json_end_object(j);
		return;
	}
	if (n > shown)
		printf("%d more VM%s not shown (-n %lu)\n", n - shown,
		       n - shown > 1 ? "s" : "", cli.top);
	if (!n && live(M_DISCOVERY))
		printf("no KVM VM seen%s: no process has a KVM VM file "
		       "open\n", cli.pid ? " for this pid" : "");
	else if (!n)
		printf("no KVM VM seen%s: no live probe fired (a VM is found through its\n"
		       "  page faults and the other live sources, see --features)\n",
		       cli.pid ? " for this pid" : "");
	if (live(M_NOTIFY) && !cli.pid) {
		for (i = 0; i < FPF_NOTIFY_NR; i++)
			notify_d[i] = cumulative ? notify_other_cur[i] :
				notify_other_cur[i] - notify_other_prev[i];
		print_notify_counts("mmu notifier, other tasks (host-wide)",
				    notify_d);
	}
	for (i = 0; i < FPF_DROP_NR; i++) {
		d = cumulative ? drops_cur[i] : drops_cur[i] - drops_prev[i];
		if (d)
			printf("DROPPED: %s %llu\n", drop_names[i],
			       (unsigned long long)d);
	}
	for (i = 0; i < P_NR; i++) {
		d = cumulative ? probes[i].misses_cur :
		    probes[i].misses_cur - probes[i].misses_prev;
		if (attached(i) && d)
			printf("MISSED: %s did not run %llu times "
			       "(recursion protection)\n", probes[i].desc,
			       (unsigned long long)d);
	}
	if (cumulative && cli.prog_stats && stats_obj)
		prog_stats_print(stdout, stats_obj);
	fflush(stdout);
}

static void snapshot_done(void)
{
	int i, k;

	for (i = 0; i < nr_vm_recs; i++) {
		vm_recs[i]->prev = vm_recs[i]->cur;
		for (k = 0; k < vm_recs[i]->nr_vcpus; k++)
			vm_recs[i]->vcpus[k].prev = vm_recs[i]->vcpus[k].cur;
	}
	memcpy(drops_prev, drops_cur, sizeof(drops_prev));
	memcpy(notify_other_prev, notify_other_cur, sizeof(notify_other_prev));
	for (i = 0; i < nr_vm_recs; i++)
		memcpy(vm_recs[i]->notify_prev, vm_recs[i]->notify_cur,
		       sizeof(vm_recs[i]->notify_prev));
	for (i = 0; i < P_NR; i++)
		probes[i].misses_prev = probes[i].misses_cur;
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
			print_features(stdout, j);
			json_free(j);
			return EXIT_OK;
		}
		print_features(stderr, NULL);
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
		print_features(stderr, NULL);
		trace_fastpf_bpf__destroy(obj);
		tool_die(TOOL, EXIT_NOPROBE, NULL);
	}

	if (cli.features) {
		print_features(stdout, j);
		goto cleanup;
	}
	/* before the banner: whoever waits for it may signal right away */
	cli_signals_install();

	if (j)
		print_features(NULL, j);
	else
		print_features(stderr, NULL);
	if (!j)
		fprintf(stderr, "Tracing%s... Hit Ctrl-C to end.\n",
			cli.command ? " (the command's VMs)" :
			cli.pid ? " (filtered by pid)" : "");

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

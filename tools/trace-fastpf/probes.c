// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* trace-fastpf: which probes this kernel offers, and its enum values */
#include <ctype.h>
#include "trace-fastpf-int.h"

#define TDP_MMU_PARAM "/sys/module/kvm/parameters/tdp_mmu"
#define EPT_PARAM "/sys/module/kvm_intel/parameters/ept"
#define NPT_PARAM "/sys/module/kvm_amd/parameters/npt"

struct probe probes[P_NR] = {
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

struct metric metrics[M_NR] = {
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

struct enum_names outcome_names, reason_names, source_names;
long long ret_pf_fixed = -1, ret_pf_spurious = -1;
long long outcome_fixed = -1, outcome_spurious = -1;
long long outcome_cmpxchg = -1;
char ret_pf_src[64];
bool full_mode;
int tdp_mmu = -1;
/* kvm_page_fault's error code is an EPT exit qualification */
bool pf_code_is_ept;
/* TDP (NPT or EPT) on: 1, off: 0, not known (no such module): -1 */
int tdp_on = -1;
/* VM discovery: the task_file iterator (vmscan.h) */
bool scan_supported;
__u64 scan_vm_fops, scan_vcpu_fops;
struct bpf_link *scan_link;
const char *const notify_names[FPF_NOTIFY_NR] = {
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
void resolve_ret_pf(void)
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

void set_why(int p, const char *fmt, ...)
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

void detect(void)
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

bool attached(int p)
{
	return probes[p].attached;
}

/* end of tracing: the counters stop, the maps stay readable */
void detach_probes(void)
{
	int i;

	for (i = 0; i < P_NR; i++) {
		bpf_link__destroy(probes[i].link);
		probes[i].link = NULL;
	}
}

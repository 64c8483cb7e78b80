// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* trace-fastpf: what each metric is built from, and --features */
#include "trace-fastpf-int.h"

void set_metric(int m, bool is_live, const char *fmt, ...)
{
	va_list ap;

	metrics[m].live = is_live;
	va_start(ap, fmt);
	vsnprintf(metrics[m].info, sizeof(metrics[m].info), fmt, ap);
	va_end(ap);
}

/* a VM the scan no longer finds is gone: no teardown probe, whole passes */
bool scan_expires(void)
{
	return scan_link && !attached(P_DESTROY) && vm_scan_sees_all();
}

/* after attach: what each metric is built from, or why it is n/a */
void decide_metrics(void)
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

const char *mode_name(void)
{
	return full_mode ? "full" : "fallback";
}

/* --features: the table (@f) or the record (@j); with @brief, one line */
void print_features(FILE *f, struct json *j, bool brief)
{
	struct feature_metric fm[M_NR];
	struct feature_probe fp[P_NR];
	struct feature_report r = {
		.tool = TOOL,
		.kernel = kernel_release(),
		.source = mode_name(),
		.source_detail = full_mode ?
			"kvmmmu:fast_page_fault_pass: every fast-path pass" :
			"no kvmmmu:fast_page_fault_pass in kernel BTF: "
			"fast-path outcomes from the fault's return value",
		.metrics = fm,
		.nr_metrics = M_NR,
		.probes = fp,
		.nr_probes = P_NR,
	};
	int i;

	if (tdp_mmu >= 0)
		r.notes[0] = tdp_mmu ? "kvm.tdp_mmu=Y" : "kvm.tdp_mmu=N";
	for (i = 0; i < M_NR; i++)
		fm[i] = (struct feature_metric){ metrics[i].name,
						 metrics[i].live,
						 metrics[i].info };
	for (i = 0; i < P_NR; i++)
		fp[i] = (struct feature_probe){ probes[i].desc, attached(i),
						probes[i].why, NULL };
	if (!j) {
		if (brief)
			feature_report_brief(f, &r);
		else
			feature_report_text(f, &r);
		return;
	}
	feature_report_json(j, &r);
	if (tdp_mmu < 0)
		json_kv_null(j, "tdp_mmu");
	else
		json_kv_bool(j, "tdp_mmu", tdp_mmu);
	json_end_object(j);
}

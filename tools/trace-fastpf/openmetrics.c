// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* trace-fastpf: --prom: OpenMetrics for the textfile collector */
#include "trace-fastpf-int.h"

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

void write_prom(void)
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

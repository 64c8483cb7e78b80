// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lockstat: --prom: the OpenMetrics text of the VMs and their call sites */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lockstat-int.h"
#include "cli.h"
#include "ksyms.h"
#include "prom.h"

static void prom_vm_labels(struct prom_label *l, const struct vm_row *row,
			   char *pid, char *id, int m)
{
	sprintf(pid, "%u", row->vm.tgid);
	sprintf(id, "%u", row->vm.vm_id);
	l[0] = (struct prom_label){ "name", row->name };
	l[1] = (struct prom_label){ "pid", pid };
	l[2] = (struct prom_label){ "vm_id", id };
	l[3] = (struct prom_label){ "mode", mode_names[m] };
}

/*
 * --prom: every VM's totals since it was found (its first report's
 * figures, then growing), the call sites' too, family by family.  Labels:
 * name, pid, vm_id (the JSON's vm_id), mode, and caller for call sites.
 */
void write_prom(const struct vm_row *rows, int n,
		const struct report *r, bool wait, bool hold)
{
	static const char *const site_fam[3][2] = {
		{ "kvm_mmu_lock_callsite_acquisitions_total",
		  "mmu_lock acquisitions by the caller of the lock function." },
		{ "kvm_mmu_lock_callsite_contentions_total",
		  "Contended mmu_lock acquisitions by caller." },
		{ "kvm_mmu_lock_callsite_wait_seconds_total",
		  "Time waited for mmu_lock by caller." },
	};
	static int warned;
	struct prom *p = cli.prom;
	struct prom_label l[5];
	char pid[16], id[16], sym[256];
	int i, m, f, err;
	size_t k;

	if (!p)
		return;
	if (prom_begin(p))
		goto out;
	prom_family(p, "kvm_mmu_lock_source_info", "gauge", "The event "
		    "source lockstat uses on this kernel (see --features).");
	l[0] = (struct prom_label){ "source", source_names[feat.source] };
	prom_u64(p, "kvm_mmu_lock_source_info", l, 1, 1);
	prom_family(p, "kvm_mmu_lock_vm_exited", "gauge", "1 once the VM "
		    "exited: its final totals (the last 64 such VMs) stay.");
	for (i = 0; i < n; i++) {
		prom_vm_labels(l, &rows[i], pid, id, 0);
		prom_u64(p, "kvm_mmu_lock_vm_exited", l, 3, rows[i].gone ||
			 rows[i].vm.state == LS_VM_DEAD);
	}
	for (f = 0; f < 4; f++) {
		/* counters, then histograms (seconds) */
		static const struct {
			const char *name, *type, *help;
			bool hold;	/* needs hold times, else wait times */
		} fam[4] = {
			{ "kvm_mmu_lock_acquisitions_total", "counter",
			  "mmu_lock acquisitions.", true },
			{ "kvm_mmu_lock_contentions_total", "counter",
			  "mmu_lock acquisitions that had to wait.", false },
			{ "kvm_mmu_lock_wait_seconds", "histogram",
			  "Time waited for mmu_lock.", false },
			{ "kvm_mmu_lock_hold_seconds", "histogram",
			  "Time mmu_lock was held, from acquisition to release.",
			  true },
		};

		if (fam[f].hold ? !hold : !wait)
			continue;
		prom_family(p, fam[f].name, fam[f].type, fam[f].help);
		for (i = 0; i < n; i++)
			for (m = LS_NR_MODES - 1; m >= 0; m--) {
				const struct mode_delta *c = &rows[i].cum[m];

				prom_vm_labels(l, &rows[i], pid, id, m);
				if (f == 0)
					prom_u64(p, fam[f].name, l, 4, c->acquired);
				else if (f == 1)
					prom_u64(p, fam[f].name, l, 4, c->contended);
				else if (f == 2)
					prom_log2_hist(p, fam[f].name, l, 4, c->wait_hist,
						       LS_HIST_SLOTS, 1e9, c->wait_total);
				else
					prom_log2_hist(p, fam[f].name, l, 4, c->hold_hist,
						       LS_HIST_SLOTS, 1e9, c->hold_total);
			}
	}
	for (f = 0; env.nstacks && f < 3; f++) {
		if ((f == 0 && !hold) || (f > 0 && !wait))
			continue;
		prom_family(p, site_fam[f][0], "counter", site_fam[f][1]);
		for (i = 0; i < n; i++)
			for (m = LS_NR_MODES - 1; m >= 0; m--) {
				if (rows[i].gone)
					break;
				collect_sites(rows[i].vm.vm_id, m, r->prev_epoch,
					      &cs_buf, hold, true);
				for (k = 0; k < cs_buf.n; k++) {
					const struct callsite *c = &cs_buf.v[k];

					prom_vm_labels(l, &rows[i], pid, id, m);
					l[4] = (struct prom_label){ "caller",
						c->caller ? ksyms__format(ksyms,
						c->caller, sym, sizeof(sym)) :
						"unknown" };
					if (f == 0)
						prom_u64(p, site_fam[f][0], l, 5,
							 c->acquired);
					else if (f == 1)
						prom_u64(p, site_fam[f][0], l, 5,
							 c->contended);
					else
						prom_double(p, site_fam[f][0], l, 5,
							    c->wait_total / 1e9);
				}
			}
	}
	prom_family(p, "kvm_mmu_lock_drops_total", "counter", "Events not "
		    "counted because a bounded map was full, by map.");
	for (i = 0; i < LS_DROP_NR; i++) {
		l[0] = (struct prom_label){ "reason", drop_names[i] };
		prom_u64(p, "kvm_mmu_lock_drops_total", l, 1, r->drops[i]);
	}
	prom_family(p, "kvm_mmu_lock_bpf_recursion_misses_total", "counter",
		    "Events the kernel did not run a probe for.");
	prom_u64(p, "kvm_mmu_lock_bpf_recursion_misses_total", NULL, 0,
		 r->misses);
out:
	err = prom_commit(p);
	if (err && !warned++)
		fprintf(stderr, "lockstat: --prom %s: %s (further errors not "
			"shown)\n", cli.prom_path, strerror(-err));
}

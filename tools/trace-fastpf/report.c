// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* trace-fastpf: the text report, and what both outputs share */
#include "trace-fastpf-int.h"
#include "progstats.h"

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
__u32 vm_pid(const struct vm_rec *r)
{
	return r->have_vm ? r->cur.pid :
	       (r->nr_vcpus ? r->vcpus[0].cur.tgid : 0);
}

/* the VM's name, kept once its pid is known: a pid reuse does not rename it */
const char *rec_name(struct vm_rec *r)
{
	static char unknown[VM_NAME_LEN];

	if (r->name[0])
		return r->name;
	if (!vm_pid(r)) {
		vm_name(0, unknown, sizeof(unknown));
		return unknown;
	}
	/* the comm BPF took names a VM whose process is already gone */
	vm_name_comm(vm_pid(r), r->have_vm && r->cur.pid_from_vcpu ?
		     r->cur.comm : NULL, r->name, sizeof(r->name));
	vm_comm(vm_pid(r), r->comm, sizeof(r->comm));
	if (!r->comm[0] && r->have_vm && r->cur.pid_from_vcpu)
		snprintf(r->comm, sizeof(r->comm), "%.15s", r->cur.comm);
	return r->name;
}

/*
 * The MMU a VM's page faults ran in, from its vCPUs' totals since start:
 * "tdp", "shadow", "tdp+shadow" (TDP, and shadow NPT/EPT for a nested
 * guest), "unknown" before its first fault; NULL if not live.
 */
const char *vm_mmu(const struct vm_rec *r)
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
bool notify_live(int k)
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

void make_view(struct view *v, struct vm_rec *r, bool cumulative)
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

/* -s keys: name and pid first (cli.h), then largest first */
enum { SORT_NAME, SORT_PID, SORT_FAULTS, SORT_FAST, SORT_FIXED, SORT_SLOW,
       SORT_RETRIES, SORT_INVAL, SORT_WP };
const char *const sort_keys[] = {
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
struct bpf_object *stats_obj;

void print_report(struct json *j, double secs, bool cumulative,
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

void snapshot_done(void)
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

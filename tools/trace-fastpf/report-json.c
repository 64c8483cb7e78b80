// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* trace-fastpf: the NDJSON report */
#include "trace-fastpf-int.h"

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

void json_fault_counters(struct json *j, const struct fpf_vcpu *v)
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

void json_notify_counts(struct json *j, const char *key, bool ok,
			       const __u64 *c)
{
	int i;

	if (!json_kv_object_or_null(j, key, ok))
		return;
	for (i = 0; i < FPF_NOTIFY_NR; i++)
		json_kv_u64_or_null(j, notify_names[i], notify_live(i), c[i]);
	json_end_object(j);
}

void print_vm_json(struct json *j, struct vm_rec *r, const char *name,
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

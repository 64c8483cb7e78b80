// SPDX-License-Identifier: GPL-2.0
/*
 * trace-fastpf: KVM x86 fast page fault outcomes, retries and invalidation
 * churn, per VM and per vCPU.
 *
 * Every program below is optional; user space decides at run time which
 * ones load (bpf_program__set_autoload()).  Counting is exact: every event
 * is counted, nothing is sampled.  Maps are bounded; inserts that fail
 * because a map is full are counted in the "drops" per-CPU array.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "trace-fastpf.h"
#include "bits.bpf.h"
#include "maps.bpf.h"
#include "kvm_core.bpf.h"

const volatile __u32 targ_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FPF_DEF_MAX_VMS);
	__type(key, __u64);
	__type(value, struct fpf_vm);
} vms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FPF_DEF_MAX_VCPUS);
	__type(key, struct fpf_vcpu_key);
	__type(value, struct fpf_vcpu);
} vcpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FPF_DEF_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct fpf_thread);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FPF_DROP_NR);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

static const struct fpf_vm zero_vm;
static const struct fpf_vcpu zero_vcpu;
static const struct fpf_thread zero_thread;

static __always_inline void count_drop(__u32 why)
{
	__u64 *cnt = bpf_map_lookup_elem(&drops, &why);

	if (cnt)
		*cnt += 1;
}

static __always_inline void add(__u64 *p, __u64 v)
{
	__sync_fetch_and_add(p, v);
}

/* counters[val]++ for a raw enum value; out-of-range values are drops */
static __always_inline void count_enum(__u64 *counters, __u32 val)
{
	if (val < FPF_ENUM_SLOTS)
		add(&counters[val], 1);
	else
		count_drop(FPF_DROP_ENUM);
}

static __always_inline void hist_add(struct fpf_vm *vm, __u32 kind, __u64 v)
{
	__u32 slot = hist_slot(v, FPF_HIST_SLOTS);

	if (kind < FPF_HIST_NR)
		add(&vm->hist[kind][slot], 1);
}

/*
 * The VM entry for @kvm.  @tgid is the VMM's tgid when called from a vCPU
 * thread, or 0 from other contexts (mmu notifiers run in kswapd, khugepaged,
 * ...), where the VM's pid is kvm->userspace_pid.  In those contexts a VM
 * is only created if it passes the -p filter.
 */
static __always_inline struct fpf_vm *vm_get(void *kvm, __u32 tgid)
{
	__u64 key = (__u64)kvm;
	struct fpf_vm *vm;
	int status;
	__u32 pid;

	vm = bpf_map_lookup_elem(&vms, &key);
	if (!vm) {
		pid = tgid ?: kvm_core_userspace_pid(kvm);
		if (targ_tgid && pid != targ_tgid)
			return NULL;
		vm = lookup_or_try_init_status(&vms, &key, &zero_vm, &status);
		if (!vm) {
			count_drop(FPF_DROP_VM);
			return NULL;
		}
		if (status == MAP_ENTRY_CREATED) {
			vm->pid = pid;
			if (kvm_core_has_mmu_seq()) {
				vm->seq_first = kvm_core_mmu_seq(kvm);
				vm->seq_last = vm->seq_first;
				vm->has_seq = 1;
			}
		}
	}
	if (tgid && !vm->pid_from_vcpu) {
		vm->pid = tgid;
		vm->pid_from_vcpu = 1;
	}
	return vm;
}

/*
 * The vCPU entry for @vcpu, and its VM in *@vmp.  Returns NULL if the
 * current thread does not pass the -p filter or a map is full.
 */
static __always_inline struct fpf_vcpu *vcpu_get(void *vcpu,
						 struct fpf_vm **vmp)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct fpf_vcpu_key key = {};
	struct fpf_vcpu *vs;
	struct fpf_vm *vm;
	void *kvm;

	if (targ_tgid && tgid != targ_tgid)
		return NULL;
	kvm = kvm_core_vcpu_kvm(vcpu);
	vm = vm_get(kvm, tgid);
	if (!vm)
		return NULL;
	key.kvm = (__u64)kvm;
	key.vcpu_id = kvm_core_vcpu_id(vcpu);
	vs = lookup_or_try_init(&vcpus, &key, &zero_vcpu);
	if (!vs) {
		count_drop(FPF_DROP_VCPU);
		return NULL;
	}
	vs->tgid = tgid;
	vs->tid = (__u32)id;
	*vmp = vm;
	return vs;
}

static __always_inline struct fpf_thread *thread_get(__u32 tid)
{
	struct fpf_thread *t;

	t = lookup_or_try_init(&threads, &tid, &zero_thread);
	if (!t)
		count_drop(FPF_DROP_THREAD);
	return t;
}

/* ---- fast-path outcome: one event per fast_page_fault() call ---- */

SEC("tp_btf/fast_page_fault")
int BPF_PROG(fpf_fast_page_fault, void *vcpu, void *fault, u64 *sptep,
	     u64 old_spte, int ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, passes = 0, retries = 0, outcome = 0;
	bool have_outcome = false;
	struct fpf_thread *t;
	struct fpf_vcpu *vs;
	struct fpf_vm *vm;

	if (targ_tgid && (id >> 32) != targ_tgid)
		return 0;

	/* close the pass accounting of this fast_page_fault() call */
	t = bpf_map_lookup_elem(&threads, &tid);
	if (t) {
		passes = t->passes;
		have_outcome = t->have_outcome;
		retries = have_outcome ? t->last_attempt : passes - 1;
		outcome = t->last_outcome;
		t->passes = 0;
		t->have_outcome = 0;
		if (!t->start_ns)
			bpf_map_delete_elem(&threads, &tid);
	}

	vs = vcpu_get(vcpu, &vm);
	if (!vs)
		return 0;
	add(&vs->fast_calls, 1);
	count_enum(vs->ret, (__u32)ret);
	if (passes) {
		if (have_outcome)
			count_enum(vs->final_outcome, outcome);
		add(&vs->retries, retries);
		add(&vs->retry_faults, 1);
		hist_add(vm, FPF_HIST_RETRIES, retries);
	}
	return 0;
}

/* ---- passes, full mode: one event per pass of the fast-path loop ---- */

SEC("tp_btf/fast_page_fault_pass")
int BPF_PROG(fpf_pass, void *vcpu, u64 gfn, int level, int attempt,
	     u64 old_spte, u64 new_spte, u64 found_spte, int outcome)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct fpf_thread *t;
	struct fpf_vcpu *vs;
	struct fpf_vm *vm;

	vs = vcpu_get(vcpu, &vm);
	if (!vs)
		return 0;
	add(&vs->passes, 1);
	count_enum(vs->pass_outcome, (__u32)outcome);

	t = thread_get(tid);
	if (!t)
		return 0;
	t->passes++;
	t->last_attempt = attempt;
	t->last_outcome = outcome;
	t->have_outcome = 1;
	return 0;
}

/* ---- passes, fallback: the SPTE lookup runs once per pass ---- */

static __always_inline int count_pass(void *vcpu)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct fpf_thread *t;
	struct fpf_vcpu *vs;
	struct fpf_vm *vm;

	vs = vcpu_get(vcpu, &vm);
	if (!vs)
		return 0;
	add(&vs->passes, 1);
	t = thread_get(tid);
	if (t)
		t->passes++;
	return 0;
}

SEC("fentry/kvm_tdp_mmu_fast_pf_get_last_sptep")
int BPF_PROG(fpf_tdp_get_last_sptep, void *vcpu)
{
	return count_pass(vcpu);
}

SEC("fentry/fast_pf_get_last_sptep")
int BPF_PROG(fpf_legacy_get_last_sptep, void *vcpu)
{
	return count_pass(vcpu);
}

/* ---- stale faults retried instead of installed (full mode) ---- */

SEC("tp_btf/kvm_mmu_fault_retry")
int BPF_PROG(fpf_fault_retry, void *vcpu, void *fault, int reason)
{
	struct fpf_vcpu *vs;
	struct fpf_vm *vm;
	unsigned long seq, snap;

	vs = vcpu_get(vcpu, &vm);
	if (!vs)
		return 0;
	count_enum(vs->stale, (__u32)reason);
	if (kvm_core_has_mmu_seq()) {
		seq = kvm_core_mmu_seq(kvm_core_vcpu_kvm(vcpu));
		snap = kvm_core_fault_mmu_seq(fault);
		if (seq > snap)
			add(&vs->stale_seq_lag, seq - snap);
	}
	return 0;
}

/* ---- invalidations ---- */

static __always_inline void inval(void *kvm, bool end, int source)
{
	struct fpf_vm *vm = vm_get(kvm, 0);

	if (!vm)
		return;
	if (!end) {
		add(&vm->inval_begin, 1);
		if (source >= 0)
			count_enum(vm->inval_begin_src, source);
		return;
	}
	add(&vm->inval_end, 1);
	if (source >= 0)
		count_enum(vm->inval_end_src, source);
	/* end runs after the seq increment, with mmu_lock held for write */
	if (vm->has_seq)
		vm->seq_last = kvm_core_mmu_seq(kvm);
}

SEC("tp_btf/kvm_mmu_invalidate_begin")
int BPF_PROG(fpf_inval_begin_tp, void *kvm, int source)
{
	inval(kvm, false, source);
	return 0;
}

SEC("tp_btf/kvm_mmu_invalidate_end")
int BPF_PROG(fpf_inval_end_tp, void *kvm, int source)
{
	inval(kvm, true, source);
	return 0;
}

SEC("fentry/kvm_mmu_invalidate_begin")
int BPF_PROG(fpf_inval_begin_fn, void *kvm)
{
	inval(kvm, false, -1);
	return 0;
}

/* fexit: kvm_mmu_invalidate_end() increments the seq */
SEC("fexit/kvm_mmu_invalidate_end")
int BPF_PROG(fpf_inval_end_fn, void *kvm)
{
	inval(kvm, true, -1);
	return 0;
}

/* ---- dirty-log write-protect batches (full mode) ---- */

SEC("tp_btf/kvm_mmu_wrprot_batch")
int BPF_PROG(fpf_wrprot_batch, void *kvm, int slot_id, u64 start, u64 end,
	     unsigned int nr_changed, u64 tdp_mmu, u64 shared)
{
	struct fpf_vm *vm = vm_get(kvm, 0);
	__u32 mode = (shared & 0xff) ? 1 : 0;

	if (!vm)
		return 0;
	add(&vm->wrprot_batches[mode], 1);
	add(&vm->wrprot_changed[mode], nr_changed);
	return 0;
}

/* ---- whole-fault latency ---- */

SEC("fentry/kvm_mmu_page_fault")
int BPF_PROG(fpf_pf_entry, void *vcpu)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct fpf_thread *t;

	if (targ_tgid && (id >> 32) != targ_tgid)
		return 0;
	t = thread_get((__u32)id);
	if (t)
		t->start_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("fexit/kvm_mmu_page_fault")
int BPF_PROG(fpf_pf_exit, void *vcpu)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct fpf_thread *t;
	struct fpf_vcpu *vs;
	struct fpf_vm *vm;
	__u64 start, delta;

	t = bpf_map_lookup_elem(&threads, &tid);
	if (!t)
		return 0;
	start = t->start_ns;
	bpf_map_delete_elem(&threads, &tid);
	if (!start)
		return 0;
	delta = bpf_ktime_get_ns() - start;
	vs = vcpu_get(vcpu, &vm);
	if (!vs)
		return 0;
	add(&vs->faults, 1);
	add(&vs->fault_ns, delta);
	hist_add(vm, FPF_HIST_LATENCY, delta);
	return 0;
}

/* ---- VM teardown: lets user space retire a VM's entries ---- */

SEC("fentry/kvm_destroy_vm")
int BPF_PROG(fpf_destroy_vm, void *kvm)
{
	__u64 key = (__u64)kvm;
	struct fpf_vm *vm = bpf_map_lookup_elem(&vms, &key);

	if (vm)
		vm->dead = 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

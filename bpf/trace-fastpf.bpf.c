// SPDX-License-Identifier: GPL-2.0
/*
 * trace-fastpf: KVM x86 fast page fault outcomes, retries and invalidation
 * churn, per VM and per vCPU.
 *
 * Every program below is optional; user space decides at run time which
 * ones load (bpf_program__set_autoload()).  Every event a program runs
 * for is counted, nothing is sampled.  Maps are bounded; inserts that fail
 * because a map is full are counted in the "drops" per-CPU array.  Runs the
 * kernel skips (an fentry program preempted on a CPU blocks itself there)
 * are read by user space from bpf_prog_info.recursion_misses.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "trace-fastpf.h"
#include "bits.bpf.h"
#include "maps.bpf.h"
#include "kvm_core.bpf.h"
#include "kvm_scan.bpf.h"

const volatile __u32 targ_tgid = 0;
/* no invalidation hooks: sample kvm->mmu_invalidate_seq at vCPU events */
const volatile bool seq_at_faults = false;
/* kvm_page_fault's error code is an EPT exit qualification (Intel, ept=1) */
const volatile bool pf_code_is_ept = false;
/* kvm_amd.npt/kvm_intel.ept: 0 off, 1 on, -1 not known (trust direct) */
const volatile int tdp_on = -1;
/* task_file iterator pass number, set by user space */
__u32 scan_gen;

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

/*
 * mmu notifier events per process: their tracepoints do not name the VM
 * and run in the task that changed the mapping.  User space gives a
 * process's counts to its VM when it reads them, so events before the
 * tool knew the VM are not lost to it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FPF_DEF_MAX_NOTIFY);
	__type(key, __u32);
	__type(value, struct fpf_notify_counts);
} notify SEC(".maps");

/* a page-fault exit in progress: its start and FPF_PF_* flags */
struct pf_state {
	__u64 start;
	__u32 flags;
	__u32 pad;
};

/*
 * A page-fault exit's state, per vCPU thread, until the thread enters the
 * guest again.  Task storage, not a hash: no insert or delete per fault.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pf_state);
} pf_start SEC(".maps");

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

_Static_assert((FPF_ENUM_SLOTS & (FPF_ENUM_SLOTS - 1)) == 0,
	       "FPF_ENUM_SLOTS must be a power of two");

/*
 * counters[val]++ for a raw enum value; out-of-range values are drops.
 * The mask keeps the verifier's bounds even when clang reorders the check.
 */
static __always_inline void count_enum(__u64 *counters, __u32 val)
{
	if (val >= FPF_ENUM_SLOTS) {
		count_drop(FPF_DROP_ENUM);
		return;
	}
	barrier_var(val);
	add(&counters[val & (FPF_ENUM_SLOTS - 1)], 1);
}

static __always_inline void hist_add(struct fpf_vm *vm, __u32 kind, __u64 v)
{
	__u32 slot = hist_slot(v, FPF_HIST_SLOTS);

	/* check again after the barrier, where the verifier sees it */
	barrier_var(slot);
	if (kind < FPF_HIST_NR && slot < FPF_HIST_SLOTS)
		add(&vm->hist[kind][slot], 1);
}

/*
 * The VM entry for @kvm.  @tgid is the VMM's tgid when called from a vCPU
 * thread, at VM creation or for the owner of a VM file (the scan), or 0
 * from other contexts (invalidations run in kswapd, khugepaged, ...),
 * where the VM's pid is kvm->userspace_pid.  In those contexts a VM is
 * only created if it passes the -p filter.  @task is the scan's task, or
 * NULL for the current one: its comm is read once per VM, with the pid.
 */
static __always_inline struct fpf_vm *vm_get(void *kvm, __u32 tgid,
					     struct task_struct *task)
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
			/* the pass it was created after: expiry counts from it */
			vm->scan_gen = scan_gen;
			vm->created_ns = bpf_ktime_get_ns();
		}
	}
	if (tgid && !vm->pid_from_vcpu) {
		vm->pid = tgid;
		if (!task)
			task = (struct task_struct *)bpf_get_current_task();
		BPF_CORE_READ_STR_INTO(&vm->comm, task, group_leader, comm);
		vm->pid_from_vcpu = 1;
	}
	return vm;
}

/*
 * The vCPU entry for (@kvm, @vcpu_id), and its VM in *@vmp.  Returns NULL
 * if the current thread does not pass the -p filter or a map is full.
 */
static __always_inline struct fpf_vcpu *vcpu_get(void *kvm, __u32 vcpu_id,
						 struct fpf_vm **vmp)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct fpf_vcpu_key key = {};
	struct fpf_vcpu *vs;
	struct fpf_vm *vm;

	if (targ_tgid && tgid != targ_tgid)
		return NULL;
	vm = vm_get(kvm, tgid, NULL);
	if (!vm)
		return NULL;
	key.kvm = (__u64)kvm;
	key.vcpu_id = vcpu_id;
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

/*
 * The handlers take the VM and vCPU as scalars, so that the raw_tp test
 * programs at the end (test-trace-fastpf) can drive them.
 */

/* one fast_page_fault() call ended with RET_PF_* @ret */
static __always_inline int on_fast_pf(void *kvm, __u32 vcpu_id, int ret)
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
		bpf_map_delete_elem(&threads, &tid);
	}

	vs = vcpu_get(kvm, vcpu_id, &vm);
	if (!vs)
		return 0;
	if (seq_at_faults && vm->has_seq)
		vm->seq_last = kvm_core_mmu_seq(kvm);
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

/* one pass of the fast-path loop; @outcome < 0: not known (fallback) */
static __always_inline int on_pass(void *kvm, __u32 vcpu_id, int attempt,
				   int outcome)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct fpf_thread *t;
	struct fpf_vcpu *vs;
	struct fpf_vm *vm;

	vs = vcpu_get(kvm, vcpu_id, &vm);
	if (!vs)
		return 0;
	add(&vs->passes, 1);
	if (outcome >= 0)
		count_enum(vs->pass_outcome, (__u32)outcome);

	t = thread_get(tid);
	if (!t)
		return 0;
	t->passes++;
	if (outcome >= 0) {
		t->last_attempt = attempt;
		t->last_outcome = outcome;
		t->have_outcome = 1;
	}
	return 0;
}

/* a fault retried instead of installed; @lag: kvm seq - fault->mmu_seq */
static __always_inline int on_stale(void *kvm, __u32 vcpu_id, int reason,
				    __u64 lag)
{
	struct fpf_vcpu *vs;
	struct fpf_vm *vm;

	vs = vcpu_get(kvm, vcpu_id, &vm);
	if (!vs)
		return 0;
	count_enum(vs->stale, (__u32)reason);
	add(&vs->stale_seq_lag, lag);
	return 0;
}

/* invalidate begin/end; @source < 0: not known (fallback) */
static __always_inline int on_inval(void *kvm, bool end, int source)
{
	struct fpf_vm *vm = vm_get(kvm, 0, NULL);

	if (!vm)
		return 0;
	if (!end) {
		add(&vm->inval_begin, 1);
		if (source >= 0)
			count_enum(vm->inval_begin_src, source);
		return 0;
	}
	add(&vm->inval_end, 1);
	if (source >= 0)
		count_enum(vm->inval_end_src, source);
	/* end runs after the seq increment, with mmu_lock held for write */
	if (vm->has_seq)
		vm->seq_last = kvm_core_mmu_seq(kvm);
	return 0;
}

/* @lock: 0 mmu_lock held for write, 1 for read, 2 not held (the kernel's
 * KVM_WRPROT_LOCK_*; series versions with a bool "shared" give 0 and 1). */
static __always_inline int on_wrprot(void *kvm, __u32 nr_changed, __u32 lock)
{
	struct fpf_vm *vm = vm_get(kvm, 0, NULL);
	__u32 mode = lock;

	if (!vm)
		return 0;
	if (mode > 2) {
		count_drop(FPF_DROP_ENUM);
		return 0;
	}
	add(&vm->wrprot_batches[mode], 1);
	add(&vm->wrprot_changed[mode], nr_changed);
	return 0;
}

/*
 * FPF_PF_* flags of a kvm:kvm_page_fault event.  The error code holds
 * PFERR_* bits (#PF intercepts, AMD's NPF), or on Intel with EPT an exit
 * qualification: bit 1 a write, bits 3-5 the EPT entry's permissions
 * (any set: the GPA was present).
 */
static __always_inline __u32 pf_flags(void *vcpu, __u64 code)
{
	bool wp = pf_code_is_ept ? (code & 0x2) && (code & 0x38) :
				   (code & 0x3) == 0x3;

	/* a non-paging guest's shadow MMU is direct too: TDP needs tdp_on */
	return (wp ? FPF_PF_WRITE_PROTECT : 0) |
	       (tdp_on != 0 && kvm_core_vcpu_mmu_direct(vcpu) == 1 ?
		FPF_PF_TDP : 0);
}

/* a page-fault exit: stamp the vCPU thread */
static __always_inline int on_pf_start(__u32 flags)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pf_state *st;

	if (targ_tgid && (id >> 32) != targ_tgid)
		return 0;
	st = bpf_task_storage_get(&pf_start, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st) {
		count_drop(FPF_DROP_THREAD);
		return 0;
	}
	st->start = bpf_ktime_get_ns();
	st->flags = flags;
	return 0;
}

/* a VM entry: the thread's pending page-fault exit, if any, is over */
static __always_inline int on_resume(void *kvm, __u32 vcpu_id)
{
	struct pf_state *st;
	struct fpf_vcpu *vs;
	struct fpf_vm *vm;
	__u64 delta;
	__u32 flags;

	/* every entry comes here: no create, no hash for other threads */
	st = bpf_task_storage_get(&pf_start, bpf_get_current_task_btf(), 0, 0);
	if (!st || !st->start)
		return 0;
	delta = bpf_ktime_get_ns() - st->start;
	flags = st->flags;
	st->start = 0;
	vs = vcpu_get(kvm, vcpu_id, &vm);
	if (!vs)
		return 0;
	add(&vs->faults, 1);
	add(&vs->fault_ns, delta);
	if (flags & FPF_PF_WRITE_PROTECT)
		add(&vs->wp_faults, 1);
	if (flags & FPF_PF_TDP)
		add(&vs->tdp_faults, 1);
	hist_add(vm, FPF_HIST_LATENCY, delta);
	return 0;
}

#define FPF_PF_MEMALLOC	0x00000800	/* PF_MEMALLOC: direct reclaim */
#define FPF_PF_KTHREAD	0x00200000	/* PF_KTHREAD */

/*
 * An mmu notifier event, counted for the current process, or host-wide
 * (FPF_NOTIFY_HOST) from a kernel thread or a task in direct reclaim or
 * compaction, which changes other processes' memory.  With -p, only that
 * process's events count.
 */
static __always_inline int on_notify(__u32 kind)
{
	static const struct fpf_notify_counts zero;
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 key = bpf_get_current_pid_tgid() >> 32;
	struct fpf_notify_counts *c;

	if (kind >= FPF_NOTIFY_NR) {
		count_drop(FPF_DROP_ENUM);
		return 0;
	}
	if (task->flags & (FPF_PF_MEMALLOC | FPF_PF_KTHREAD))
		key = FPF_NOTIFY_HOST;
	if (targ_tgid && key != targ_tgid)
		return 0;
	c = lookup_or_try_init(&notify, &key, &zero);
	if (!c) {
		/* full: the host-wide entry, created first, takes it */
		key = FPF_NOTIFY_HOST;
		c = bpf_map_lookup_elem(&notify, &key);
		count_drop(FPF_DROP_NOTIFY);
		if (!c)
			return 0;
	}
	barrier_var(kind);
	if (kind < FPF_NOTIFY_NR)
		add(&c->n[kind], 1);
	return 0;
}

static __always_inline int on_destroy(void *kvm)
{
	__u64 key = (__u64)kvm;
	struct fpf_vm *vm = bpf_map_lookup_elem(&vms, &key);

	if (vm)
		vm->dead = 1;
	return 0;
}

/* ---- fast-path outcome: one event per fast_page_fault() call ---- */

SEC("tp_btf/fast_page_fault")
int BPF_PROG(fpf_fast_page_fault, void *vcpu, void *fault, u64 *sptep,
	     u64 old_spte, int ret)
{
	return on_fast_pf(kvm_core_vcpu_kvm(vcpu), kvm_core_vcpu_id(vcpu), ret);
}

/* ---- passes, full mode: one event per pass of the fast-path loop ---- */

SEC("tp_btf/fast_page_fault_pass")
int BPF_PROG(fpf_pass, void *vcpu, u64 gfn, int level, int attempt,
	     u64 old_spte, u64 new_spte, u64 found_spte, int outcome)
{
	return on_pass(kvm_core_vcpu_kvm(vcpu), kvm_core_vcpu_id(vcpu),
		       attempt, outcome & 0x7fffffff);
}

/* ---- passes, fallback: the SPTE lookup runs once per pass ---- */

SEC("fentry/kvm_tdp_mmu_fast_pf_get_last_sptep")
int BPF_PROG(fpf_tdp_get_last_sptep, void *vcpu)
{
	return on_pass(kvm_core_vcpu_kvm(vcpu), kvm_core_vcpu_id(vcpu), 0, -1);
}

SEC("fentry/fast_pf_get_last_sptep")
int BPF_PROG(fpf_legacy_get_last_sptep, void *vcpu)
{
	return on_pass(kvm_core_vcpu_kvm(vcpu), kvm_core_vcpu_id(vcpu), 0, -1);
}

/* ---- stale faults retried instead of installed (full mode) ---- */

SEC("tp_btf/kvm_mmu_fault_retry")
int BPF_PROG(fpf_fault_retry, void *vcpu, void *fault, int reason)
{
	void *kvm = kvm_core_vcpu_kvm(vcpu);
	unsigned long seq, snap;
	__u64 lag = 0;

	if (kvm_core_has_mmu_seq()) {
		seq = kvm_core_mmu_seq(kvm);
		snap = kvm_core_fault_mmu_seq(fault);
		if (seq > snap)
			lag = seq - snap;
	}
	return on_stale(kvm, kvm_core_vcpu_id(vcpu), reason, lag);
}

/* ---- invalidations ---- */

SEC("tp_btf/kvm_mmu_invalidate_begin")
int BPF_PROG(fpf_inval_begin_tp, void *kvm, int source)
{
	return on_inval(kvm, false, source & 0x7fffffff);
}

SEC("tp_btf/kvm_mmu_invalidate_end")
int BPF_PROG(fpf_inval_end_tp, void *kvm, int source)
{
	return on_inval(kvm, true, source & 0x7fffffff);
}

SEC("fentry/kvm_mmu_invalidate_begin")
int BPF_PROG(fpf_inval_begin_fn, void *kvm)
{
	return on_inval(kvm, false, -1);
}

/* fexit: kvm_mmu_invalidate_end() increments the seq */
SEC("fexit/kvm_mmu_invalidate_end")
int BPF_PROG(fpf_inval_end_fn, void *kvm)
{
	return on_inval(kvm, true, -1);
}

/* ---- dirty-log write-protect batches (full mode) ---- */

SEC("tp_btf/kvm_mmu_wrprot_batch")
int BPF_PROG(fpf_wrprot_batch, void *kvm, int slot_id, u64 start, u64 end,
	     unsigned int nr_changed, u64 tdp_mmu, u64 lock)
{
	return on_wrprot(kvm, nr_changed, lock & 0xff);
}

/*
 * ---- page-fault exits: from the exit handler to the next VM entry ----
 *
 * Tracepoints, not fentry/fexit on kvm_mmu_page_fault(): tracepoint
 * programs run with preemption off, so one vCPU thread preempted inside
 * the program cannot make the kernel skip it for another thread on that
 * CPU (a recursion miss, a hole in the histogram).
 */

SEC("tp_btf/kvm_page_fault")
int BPF_PROG(fpf_pf_start, void *vcpu, u64 fault_address, u64 error_code)
{
	/* -p before the flags' CO-RE reads: other VMMs' faults cost one compare */
	if (targ_tgid && (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return 0;
	return on_pf_start(pf_flags(vcpu, error_code));
}

SEC("tp_btf/kvm_entry")
int BPF_PROG(fpf_pf_resume, void *vcpu)
{
	return on_resume(kvm_core_vcpu_kvm(vcpu), kvm_core_vcpu_id(vcpu));
}

/* ---- mmu notifier events: tracepoints that do not name the VM ---- */

SEC("tp_btf/kvm_unmap_hva_range")
int BPF_PROG(fpf_notify_unmap, unsigned long start, unsigned long end)
{
	return on_notify(FPF_NOTIFY_UNMAP);
}

SEC("tp_btf/kvm_age_hva")
int BPF_PROG(fpf_notify_age, unsigned long start, unsigned long end)
{
	return on_notify(FPF_NOTIFY_AGE);
}

SEC("tp_btf/kvm_test_age_hva")
int BPF_PROG(fpf_notify_test_age, unsigned long hva)
{
	return on_notify(FPF_NOTIFY_TEST_AGE);
}

/*
 * ---- VM discovery: every open KVM VM or vCPU file (kvm_scan.bpf.h) ----
 *
 * Run by user space at start and before each report: a VM is found
 * whether or not a probe fires for it, and its VMM process is the owner
 * of the file.
 */
SEC("iter/task_file")
int fpf_scan(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task;
	struct fpf_vm *vm;
	const void *kvm;

	kvm = kvm_scan_ctx(ctx, targ_tgid, &task);
	if (!kvm)
		return 0;
	vm = vm_get((void *)kvm, task->tgid, task);
	if (vm)
		vm->scan_gen = scan_gen;
	return 0;
}

/*
 * ---- VM creation: known before its first notifier event ----
 *
 * fexit, and only on success: a VM that fails here is freed without
 * kvm_destroy_vm().  KVM registers its mmu notifier after this.
 */
SEC("fexit/kvm_arch_init_vm")
int BPF_PROG(fpf_create_vm, void *kvm, unsigned long type, int ret)
{
	if (!ret)
		vm_get(kvm, bpf_get_current_pid_tgid() >> 32, NULL);
	return 0;
}

/* ---- VM teardown: lets user space retire a VM's entries ---- */

SEC("fentry/kvm_destroy_vm")
int BPF_PROG(fpf_destroy_vm, void *kvm)
{
	return on_destroy(kvm);
}

/*
 * ---- self-test entry points (tools/trace-fastpf/test-trace-fastpf.c) ----
 *
 * raw_tp programs run with BPF_PROG_TEST_RUN on synthetic arguments; the
 * kvm "pointers" are small numbers, so CO-RE reads through them fail and
 * read as 0.  They exercise the same handlers as the real probes.
 */

SEC("raw_tp")
int BPF_PROG(fpf_test_fast_pf, u64 kvm, u64 vcpu_id, u64 ret)
{
	return on_fast_pf((void *)kvm, vcpu_id, ret);
}

SEC("raw_tp")
int BPF_PROG(fpf_test_pass, u64 kvm, u64 vcpu_id, u64 attempt, s64 outcome)
{
	return on_pass((void *)kvm, vcpu_id, attempt,
		       outcome < 0 ? -1 : (int)(outcome & 0x7fffffff));
}

SEC("raw_tp")
int BPF_PROG(fpf_test_stale, u64 kvm, u64 vcpu_id, u64 reason, u64 lag)
{
	return on_stale((void *)kvm, vcpu_id, reason, lag);
}

SEC("raw_tp")
int BPF_PROG(fpf_test_inval, u64 kvm, u64 end, s64 source)
{
	return on_inval((void *)kvm, end, source < 0 ? -1 :
			(int)(source & 0x7fffffff));
}

SEC("raw_tp")
int BPF_PROG(fpf_test_wrprot, u64 kvm, u64 nr_changed, u64 lock)
{
	return on_wrprot((void *)kvm, nr_changed, lock);
}

SEC("raw_tp")
int BPF_PROG(fpf_test_pf_start, u64 flags)
{
	return on_pf_start(flags);
}

SEC("raw_tp")
int BPF_PROG(fpf_test_notify, u64 kind)
{
	return on_notify(kind);
}

SEC("raw_tp")
int BPF_PROG(fpf_test_pf_resume, u64 kvm, u64 vcpu_id)
{
	return on_resume((void *)kvm, vcpu_id);
}

SEC("raw_tp")
int BPF_PROG(fpf_test_destroy, u64 kvm)
{
	return on_destroy((void *)kvm);
}

char LICENSE[] SEC("license") = "GPL";

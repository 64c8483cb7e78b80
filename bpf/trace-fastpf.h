/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by trace-fastpf.bpf.c and tools/trace-fastpf/.
 *
 * All counters in the maps are cumulative since attach; user space turns
 * them into per-interval deltas.  Enum-valued events (RET_PF_*, outcomes,
 * retry reasons, invalidation sources) are counted by their raw value;
 * user space maps values to names at run time from BTF.
 */
#ifndef __TRACE_FASTPF_H
#define __TRACE_FASTPF_H

#define FPF_ENUM_SLOTS		16	/* raw enum values 0..15 */
#define FPF_HIST_SLOTS		40	/* see hist_slot() in bits.bpf.h */

#define FPF_DEF_MAX_VMS		64
#define FPF_DEF_MAX_VCPUS	1024
#define FPF_DEF_MAX_THREADS	4096	/* vCPU threads inside a fault */

enum fpf_drop {
	FPF_DROP_VM,		/* vms map full */
	FPF_DROP_VCPU,		/* vcpus map full */
	FPF_DROP_THREAD,	/* threads map full (a fault's retries) or
				 * no task storage (its latency): not
				 * recorded */
	FPF_DROP_ENUM,		/* enum value >= FPF_ENUM_SLOTS */
	FPF_DROP_NOTIFY,	/* notify map full: a process's mmu
				 * notifier events count as host-wide */
	FPF_DROP_NR,
};

/*
 * mmu notifier events (kvm:kvm_unmap_hva_range, ...), by tracepoint, in
 * the notify map keyed by the tgid of the task that ran the notifier;
 * key FPF_NOTIFY_HOST for kernel threads and tasks in direct reclaim or
 * compaction, which change other processes' memory.
 */
#define FPF_NOTIFY_HOST		0
#define FPF_DEF_MAX_NOTIFY	1024	/* processes */

enum fpf_notify {
	FPF_NOTIFY_UNMAP,	/* kvm_unmap_hva_range: invalidate_range_start */
	FPF_NOTIFY_AGE,		/* kvm_age_hva: clear_young, clear_flush_young */
	FPF_NOTIFY_TEST_AGE,	/* kvm_test_age_hva: test_young */
	FPF_NOTIFY_NR,
};

/* notify map value */
struct fpf_notify_counts {
	__u64 n[FPF_NOTIFY_NR];
};

/* kvm:kvm_page_fault's error code, kept until the next VM entry */
#define FPF_PF_WRITE_PROTECT	1	/* present and write */
#define FPF_PF_TDP		2	/* vcpu->arch.mmu is a TDP MMU */

enum fpf_hist {
	FPF_HIST_RETRIES,	/* retries per fast-path fault */
	FPF_HIST_LATENCY,	/* kvm_mmu_page_fault() duration, ns */
	FPF_HIST_NR,
};

/* vms map value, keyed by the struct kvm address */
struct fpf_vm {
	__u32 pid;		/* VMM: tgid of a vCPU thread, else
				 * kvm->userspace_pid */
	__u32 pid_from_vcpu;	/* pid came from a vCPU thread or the scan */
	__u32 dead;		/* kvm_destroy_vm() seen */
	__u32 has_seq;		/* seq_first/seq_last are meaningful */
	__u32 scan_gen;		/* last iterator pass that found it, 0: none */
	__u32 pad;
	char comm[16];		/* the VMM's comm, taken with pid_from_vcpu:
				 * names a VM whose process is gone */
	__u64 seq_first;	/* mmu_invalidate_seq when first seen */
	__u64 seq_last;		/* ... after the latest invalidate end */
	__u64 created_ns;	/* when the tool first saw it */
	__u64 inval_begin;
	__u64 inval_end;
	__u64 inval_begin_src[FPF_ENUM_SLOTS];	/* full mode only */
	__u64 inval_end_src[FPF_ENUM_SLOTS];
	/* by how mmu_lock was held: [0] for write, [1] for read, [2] not held */
	__u64 wrprot_batches[3];
	__u64 wrprot_changed[3];
	__u64 hist[FPF_HIST_NR][FPF_HIST_SLOTS];
};

struct fpf_vcpu_key {
	__u64 kvm;
	__u32 vcpu_id;
	__u32 pad;
};

/* vcpus map value */
struct fpf_vcpu {
	__u32 tgid;
	__u32 tid;		/* thread that ran the vCPU last */
	__u64 fast_calls;	/* kvmmmu:fast_page_fault events */
	__u64 ret[FPF_ENUM_SLOTS];	/* ... by RET_PF_* value */
	__u64 passes;		/* fast-path loop passes */
	__u64 pass_outcome[FPF_ENUM_SLOTS];	/* full mode: per pass */
	__u64 final_outcome[FPF_ENUM_SLOTS];	/* full mode: last pass */
	__u64 retries;		/* sum of retries over retry_faults */
	__u64 retry_faults;	/* faults whose retries are known */
	__u64 stale[FPF_ENUM_SLOTS];	/* kvm_mmu_fault_retry by reason */
	__u64 stale_seq_lag;	/* sum of (kvm seq - fault->mmu_seq) */
	__u64 faults;		/* page-fault exits, until the next VM entry */
	__u64 fault_ns;		/* their total duration */
	__u64 wp_faults;	/* ... of them, present + write */
	__u64 tdp_faults;	/* ... of them, taken in a TDP (direct) MMU */
};

/* threads map value, keyed by tid: state of the fault in progress */
struct fpf_thread {
	__u32 passes;		/* passes seen in the current fast-path call */
	__u32 last_attempt;	/* full mode: attempt of the last pass */
	__u32 last_outcome;	/* full mode: outcome of the last pass */
	__u32 have_outcome;
};

#endif /* __TRACE_FASTPF_H */

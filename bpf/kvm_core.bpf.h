/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Small CO-RE "flavour" views of KVM types.
 *
 * A generic vmlinux.h may come from a kernel built without KVM, so the tools
 * never rely on its struct kvm.  libbpf ignores the ___suffix when it matches
 * these against the running kernel's BTF and relocates each field access;
 * fields that a kernel lacks are tested with bpf_core_field_exists() first.
 *
 * Include after vmlinux.h (or any header providing __u32/__u64) and
 * <bpf/bpf_core_read.h>.
 */
#ifndef __KVM_CORE_BPF_H
#define __KVM_CORE_BPF_H

#include <bpf/bpf_core_read.h>

/* struct kvm, 6.0 and later (commit 20ec3ebd707c renamed mmu_notifier_*) */
struct kvm___core {
	/* rwlock_t on x86/arm64/riscv, spinlock_t elsewhere: only its address
	 * is used, and any struct type matches for an offset relocation */
	struct { int __opaque; } mmu_lock;
	unsigned long mmu_invalidate_seq;
	long mmu_invalidate_in_progress;
	__u64 mmu_invalidate_range_start;	/* gfn_t */
	__u64 mmu_invalidate_range_end;		/* gfn_t */
	int userspace_pid;			/* pid_t */
} __attribute__((preserve_access_index));

/* struct kvm before the rename (5.19 and older) */
struct kvm___mmu_notifier {
	unsigned long mmu_notifier_seq;
	long mmu_notifier_count;
	unsigned long mmu_notifier_range_start;	/* hva, not gfn */
	unsigned long mmu_notifier_range_end;
} __attribute__((preserve_access_index));

struct kvm_vcpu___core {
	struct kvm___core *kvm;
	int vcpu_id;
	int vcpu_idx;
} __attribute__((preserve_access_index));

/*
 * x86: the MMU a vCPU faults in, vcpu->arch.mmu->root_role (6.0 and later).
 * direct is set for TDP (EPT/NPT), clear for shadow paging and for the
 * shadow NPT/EPT of a nested guest.  The pragma gives the anonymous struct
 * the attribute too.
 */
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
union kvm_mmu_page_role___core {
	__u32 word;
	struct {
		unsigned int level:4;
		unsigned int has_4_byte_gpte:1;
		unsigned int quadrant:2;
		unsigned int direct:1;
	};
};

struct kvm_mmu___core {
	union kvm_mmu_page_role___core root_role;
};

struct kvm_vcpu_arch___core {
	struct kvm_mmu___core *mmu;
};

struct kvm_vcpu___x86 {
	struct kvm_vcpu_arch___core arch;
};
#pragma clang attribute pop

/* arch/x86/kvm/mmu/mmu_internal.h (5.16 and later) */
struct kvm_page_fault___core {
	__u64 addr;		/* gpa_t */
	__u64 gfn;		/* gfn_t */
	unsigned long mmu_seq;
	_Bool write;
} __attribute__((preserve_access_index));

static __always_inline struct kvm___core *kvm_core_vcpu_kvm(const void *vcpu)
{
	return BPF_CORE_READ((const struct kvm_vcpu___core *)vcpu, kvm);
}

static __always_inline int kvm_core_vcpu_id(const void *vcpu)
{
	return BPF_CORE_READ((const struct kvm_vcpu___core *)vcpu, vcpu_id);
}

/* 1 if @vcpu faults in a TDP (direct) MMU, 0 if in shadow page tables,
 * -1 if the kernel has no kvm_mmu.root_role */
static __always_inline int kvm_core_vcpu_mmu_direct(const void *vcpu)
{
	const struct kvm_mmu___core *mmu;
	union kvm_mmu_page_role___core role;

	/* every field on the way, or a rename poisons the whole program */
	if (!bpf_core_field_exists(struct kvm_vcpu___x86, arch) ||
	    !bpf_core_field_exists(struct kvm_vcpu_arch___core, mmu) ||
	    !bpf_core_field_exists(struct kvm_mmu___core, root_role) ||
	    !bpf_core_field_exists(union kvm_mmu_page_role___core, direct))
		return -1;
	mmu = BPF_CORE_READ((const struct kvm_vcpu___x86 *)vcpu, arch.mmu);
	if (!mmu)
		return -1;
	/*
	 * Copy the role, then take the bit from the copy: the bitfield
	 * macros on &mmu->root_role would add root_role's offset twice (the
	 * relocation's byte offset counts from struct kvm_mmu).
	 */
	if (bpf_core_read(&role, sizeof(role), &mmu->root_role))
		return -1;
	return BPF_CORE_READ_BITFIELD(&role, direct);
}

/* true if kvm_core_mmu_seq() can read the invalidation sequence count */
static __always_inline _Bool kvm_core_has_mmu_seq(void)
{
	return bpf_core_field_exists(struct kvm___core, mmu_invalidate_seq) ||
	       bpf_core_field_exists(struct kvm___mmu_notifier, mmu_notifier_seq);
}

/* kvm->mmu_invalidate_seq (or mmu_notifier_seq); 0 if neither exists */
static __always_inline unsigned long kvm_core_mmu_seq(const void *kvm)
{
	if (bpf_core_field_exists(struct kvm___core, mmu_invalidate_seq))
		return BPF_CORE_READ((const struct kvm___core *)kvm,
				     mmu_invalidate_seq);
	if (bpf_core_field_exists(struct kvm___mmu_notifier, mmu_notifier_seq))
		return BPF_CORE_READ((const struct kvm___mmu_notifier *)kvm,
				     mmu_notifier_seq);
	return 0;
}

/* kvm->mmu_invalidate_in_progress (or mmu_notifier_count); 0 if absent */
static __always_inline long kvm_core_mmu_in_progress(const void *kvm)
{
	if (bpf_core_field_exists(struct kvm___core, mmu_invalidate_in_progress))
		return BPF_CORE_READ((const struct kvm___core *)kvm,
				     mmu_invalidate_in_progress);
	if (bpf_core_field_exists(struct kvm___mmu_notifier, mmu_notifier_count))
		return BPF_CORE_READ((const struct kvm___mmu_notifier *)kvm,
				     mmu_notifier_count);
	return 0;
}

/*
 * The range being invalidated, in gfns.  Returns 0 and fills @start/@end,
 * or -1 if the kernel has no gfn range (the pre-6.0 fields are hvas).
 */
static __always_inline int kvm_core_mmu_range(const void *kvm, __u64 *start,
					      __u64 *end)
{
	if (!bpf_core_field_exists(struct kvm___core, mmu_invalidate_range_start))
		return -1;
	*start = BPF_CORE_READ((const struct kvm___core *)kvm,
			       mmu_invalidate_range_start);
	*end = BPF_CORE_READ((const struct kvm___core *)kvm,
			     mmu_invalidate_range_end);
	return 0;
}

/* kvm->userspace_pid: the pid of the thread that created the VM; 0 if absent */
static __always_inline int kvm_core_userspace_pid(const void *kvm)
{
	if (bpf_core_field_exists(struct kvm___core, userspace_pid))
		return BPF_CORE_READ((const struct kvm___core *)kvm,
				     userspace_pid);
	return 0;
}

/* &kvm->mmu_lock, for matching lock addresses seen by lock tracepoints */
static __always_inline __u64 kvm_core_mmu_lock_addr(const void *kvm)
{
	return (__u64)kvm + bpf_core_field_offset(struct kvm___core, mmu_lock);
}

/* fault->mmu_seq: the invalidation sequence snapshot taken by the fault */
static __always_inline unsigned long kvm_core_fault_mmu_seq(const void *fault)
{
	return BPF_CORE_READ((const struct kvm_page_fault___core *)fault,
			     mmu_seq);
}

static __always_inline __u64 kvm_core_fault_gfn(const void *fault)
{
	return BPF_CORE_READ((const struct kvm_page_fault___core *)fault, gfn);
}

#endif /* __KVM_CORE_BPF_H */

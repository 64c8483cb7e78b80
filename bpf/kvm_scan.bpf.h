/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * VM discovery shared by the tools' task_file iterators: which open files
 * are KVM VMs and vCPUs, and their struct kvm.  User space runs the
 * iterator (tools/common/vmscan.c), so that a VM is found whether or not
 * any probe fires for it.
 *
 * Include after vmlinux.h and kvm_core.bpf.h.
 */
#ifndef __KVM_SCAN_BPF_H
#define __KVM_SCAN_BPF_H

/* &kvm_vm_fops and &kvm_vcpu_fops from kallsyms; 0: match by name */
const volatile __u64 vm_fops = 0;
const volatile __u64 vcpu_fops = 0;

static __always_inline bool kvm_scan_name_is(const char *buf,
					     const char *want, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (buf[i] != want[i])
			return false;
	return true;
}

/*
 * The struct kvm of @file if it is a "kvm-vm" file (its private_data is
 * the struct kvm) or a "kvm-vcpu:N" file (private_data is the vCPU), else
 * NULL.  Files are recognised by f_op when user space found the fops in
 * kallsyms, else by their anon-inode name.
 */
static __always_inline const void *kvm_scan_file(struct file *file)
{
	__u64 fop = (__u64)BPF_CORE_READ(file, f_op);
	bool is_vm, is_vcpu;
	const void *priv;
	char name[12] = {};

	if (vm_fops || vcpu_fops) {
		is_vm = vm_fops && fop == vm_fops;
		is_vcpu = vcpu_fops && fop == vcpu_fops;
	} else {
		bpf_probe_read_kernel_str(name, sizeof(name),
					  BPF_CORE_READ(file, f_path.dentry,
							d_name.name));
		is_vm = kvm_scan_name_is(name, "kvm-vm", 7);
		is_vcpu = kvm_scan_name_is(name, "kvm-vcpu:", 9);
	}
	if (!is_vm && !is_vcpu)
		return NULL;
	priv = BPF_CORE_READ(file, private_data);
	if (!priv)
		return NULL;
	return is_vm ? priv : (const void *)kvm_core_vcpu_kvm(priv);
}

/*
 * The struct kvm of the iterator's current file if it is a KVM file of a
 * task of process @targ (0: any), else NULL; the task in *@task.
 */
static __always_inline const void *
kvm_scan_ctx(struct bpf_iter__task_file *ctx, __u32 targ,
	     struct task_struct **task)
{
	struct file *file = ctx->file;	/* read once: null-checked */

	*task = ctx->task;
	if (!*task || !file)
		return NULL;
	if (targ && (*task)->tgid != targ)
		return NULL;
	return kvm_scan_file(file);
}

#endif /* __KVM_SCAN_BPF_H */

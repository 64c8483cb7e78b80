/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * VM discovery shared by the tools: a task_file iterator (its BPF side is
 * bpf/kvm_scan.bpf.h) that each tool runs at start and once per report,
 * so that a VM is found whether or not any probe fires for it, and a VM
 * it no longer finds is known to be gone on kernels where the teardown
 * functions cannot be traced.
 */
#ifndef __TOOLS_VMSCAN_H
#define __TOOLS_VMSCAN_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>

struct bpf_link;
struct bpf_program;

/* the kernel has task_file iterators (5.8 and later) */
bool vm_scan_supported(void);

/*
 * &kvm_vm_fops and &kvm_vcpu_fops from /proc/kallsyms, both or neither:
 * 0 when they are missing or kallsyms hides addresses (kptr_restrict);
 * the iterator then matches the files' anon-inode names.
 */
void vm_scan_fops(__u64 *vm_fops, __u64 *vcpu_fops);

/*
 * The iterator walks the tasks of the reader's pid namespace: only in the
 * initial one does a VM that a pass misses no longer exist.
 */
bool vm_scan_sees_all(void);

/*
 * Attach @prog (an iter/task_file program); with @pid, only that
 * process's files where the kernel can filter (6.1 and later).  NULL and
 * a warning on stderr if it cannot be attached.
 */
struct bpf_link *vm_scan_attach(struct bpf_program *prog, pid_t pid,
				const char *tool);

/*
 * One whole pass over every task's files; 0, or -errno (warned once) if
 * the pass may have missed files: it must not then expire any VM.
 */
int vm_scan_run(struct bpf_link *link, const char *tool);

#endif /* __TOOLS_VMSCAN_H */

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A VM name an operator recognizes, from the VMM process that owns the VM.
 * In order of preference:
 *
 *  1. the -name option in /proc/PID/cmdline, parsed as QEMU does:
 *	-name NAME, -name guest=NAME,debug-threads=on, -name NAME,process=P,
 *	also --name and -name=; ",," is an escaped comma; the last wins
 *  2. the libvirt domain from the systemd scope in /proc/PID/cgroup:
 *	.../machine-qemu\x2d3\x2dmy\x2dvm.scope/... -> my-vm
 *  3. COMM[PID], COMM from /proc/PID/comm
 *
 * A process that is gone keeps the name it had when last asked; one never
 * seen is "?[PID]".  Names are valid UTF-8 without control characters;
 * quotes and backslashes are left to the JSON writer (json.c) to escape.
 *
 * Results are cached per pid (bounded); a reused pid is told apart by the
 * process start time in /proc/PID/stat.  Not thread-safe.
 */
#ifndef __TOOLS_VMNAME_H
#define __TOOLS_VMNAME_H

#include <stddef.h>
#include <sys/types.h>

/* enough for any name vm_name() returns (longer ones are cut) */
#define VM_NAME_LEN	128

enum vm_name_source {
	VM_NAME_ARG = 1,	/* -name on the command line */
	VM_NAME_LIBVIRT,	/* libvirt's systemd scope */
	VM_NAME_COMM,		/* COMM[PID] */
	VM_NAME_PID,		/* ?[PID]: nothing known about the process */
};

/*
 * Write the name of the VMM process @pid into @buf (always terminated,
 * cut at a character boundary to fit @len).  Returns the vm_name_source
 * it came from, or -EINVAL if @len is 0.
 */
int vm_name(pid_t pid, char *buf, size_t len);
/*
 * The same, but a process that is gone before it was first named is
 * COMM[PID] with @comm (e.g. the task->comm BPF saw; may be NULL).
 */
int vm_name_comm(pid_t pid, const char *comm, char *buf, size_t len);

/* "cmdline", "libvirt", "comm", "pid" */
/* the process's comm (16 bytes with the NUL), "" if it is gone */
void vm_comm(pid_t pid, char *buf, size_t len);

const char *vm_name_source_str(int src);

/*
 * Read <root>/PID/... instead of /proc/PID/... (NULL: /proc again), for
 * tests with a fake /proc tree.  Empties the cache.
 */
void vm_name_set_proc_root(const char *root);

#endif /* __TOOLS_VMNAME_H */

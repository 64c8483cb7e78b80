// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "trace_helpers.h"
#include "vmscan.h"

bool vm_scan_supported(void)
{
	return kernel_btf_find("bpf_iter__task_file", BTF_KIND_STRUCT,
			       NULL, NULL) > 0;
}

void vm_scan_fops(__u64 *vm_fops, __u64 *vcpu_fops)
{
	unsigned long long addr;
	char type, name[128], line[256];
	FILE *f = fopen("/proc/kallsyms", "r");

	*vm_fops = *vcpu_fops = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		/* cheap filter first: the file has ~200k lines */
		if (!strstr(line, "_fops"))
			continue;
		if (sscanf(line, "%llx %c %127s", &addr, &type, name) != 3)
			continue;
		if (!strcmp(name, "kvm_vm_fops"))
			*vm_fops = addr;
		else if (!strcmp(name, "kvm_vcpu_fops"))
			*vcpu_fops = addr;
	}
	fclose(f);
	if (!*vm_fops || !*vcpu_fops)
		*vm_fops = *vcpu_fops = 0;
}

bool vm_scan_sees_all(void)
{
	char ns[64];
	ssize_t n = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);

	if (n <= 0)
		return false;
	ns[n] = 0;
	/* PROC_PID_INIT_INO */
	return !strcmp(ns, "pid:[4026531836]");
}

struct bpf_link *vm_scan_attach(struct bpf_program *prog, pid_t pid,
				const char *tool)
{
	union bpf_iter_link_info linfo = {};
	LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	struct bpf_link *link = NULL;

	if (pid) {
		/* only this process's files (6.1+), else all tasks */
		linfo.task.pid = pid;
		opts.link_info = &linfo;
		opts.link_info_len = sizeof(linfo);
		link = bpf_program__attach_iter(prog, &opts);
	}
	if (!link)
		link = bpf_program__attach_iter(prog, NULL);
	if (!link)
		fprintf(stderr, "%s: warning: task_file iterator: %s; VMs are "
			"found only through their events\n", tool,
			strerror(errno));
	return link;
}

int vm_scan_run(struct bpf_link *link, const char *tool)
{
	static int warned;
	char buf[4096];
	ssize_t n;
	int fd, err = 0;

	if (!link)
		return -ENOENT;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto warn;
	}
	/* EAGAIN: the kernel stopped after many files without output and
	 * resumes where it stopped at the next read */
	while ((n = read(fd, buf, sizeof(buf))) > 0 ||
	       (n < 0 && errno == EAGAIN))
		;
	if (n < 0)
		err = -errno;
	close(fd);
	if (!err)
		return 0;
warn:
	if (!warned++)
		fprintf(stderr, "%s: warning: task_file iterator: %s (further "
			"errors not shown)\n", tool, strerror(-err));
	return err;
}

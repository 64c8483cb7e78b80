// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests of vm_name() (vmname.c) against fake /proc trees, built and run by
 * "make -C tools check".  Output as the tools' test-*.sh: failures always,
 * passing checks with V=1, then "N passed, N failed"; exit 1 on failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "json.h"
#include "vmname.h"
#include "test-check.h"

static char root[64];

/* <root>/<pid>/<file> with @n bytes of @data (-1: a string) */
static void put(int pid, const char *file, const char *data, ssize_t n)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/%s", root, pid, file);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fwrite(data, 1, n < 0 ? strlen(data) : (size_t)n, f);
	fclose(f);
}

/* a process: stat (with @start), comm, and a cmdline of @n bytes */
static void proc(int pid, unsigned long long start, const char *comm,
		 const char *cmdline, size_t n)
{
	char buf[512];

	/* the comm in stat holds ") (" on purpose: parse from the last ')' */
	snprintf(buf, sizeof(buf), "%d (%s) (x) S 1 %d %d 0 -1 4194560 0 0 0 "
		 "0 0 0 0 0 20 0 1 0 %llu 1000 100\n", pid, comm, pid, pid,
		 start);
	put(pid, "stat", buf, -1);
	snprintf(buf, sizeof(buf), "%s\n", comm);
	put(pid, "comm", buf, -1);
	put(pid, "cmdline", cmdline, n);
	put(pid, "cgroup", "0::/user.slice/user-0.slice/session-1.scope\n", -1);
}

#define PROC(pid, comm, args) proc(pid, 1000 + pid, comm, args, sizeof(args) - 1)

/* vm_name(@pid) is @want from source @src */
static void expect(const char *what, int pid, const char *want, int src)
{
	char buf[VM_NAME_LEN];
	int r;

	memset(buf, 'X', sizeof(buf));
	r = vm_name(pid, buf, sizeof(buf));
	check(!strcmp(buf, want) && r == src, "%s: pid %d -> '%s' (%s), "
	      "expected '%s' (%s)", what, pid, buf, vm_name_source_str(r),
	      want, vm_name_source_str(src));
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

static void rm_tree(void)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* the JSON writer's rendering of @s */
static void json_of(const char *s, char *out, size_t size)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	struct json *j = json_new(f);

	json_string(j, s);
	json_free(j);
	fclose(f);
	snprintf(out, size, "%s", mem ? mem : "");
	free(mem);
}

int main(void)
{
	char buf[VM_NAME_LEN], want[VM_NAME_LEN], js[256], big[400], *long_arg;
	char comm[16] = "";
	int i, r;

	test_check_init();
	snprintf(root, sizeof(root), "/tmp/test-vmname.XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	atexit(rm_tree);
	vm_name_set_proc_root(root);

	/* ---- -name forms ---- */
	PROC(101, "qemu-system-x86",
	     "qemu-system-x86_64\0-name\0my-vm\0-m\0001G\0");
	expect("-name NAME", 101, "my-vm", VM_NAME_ARG);
	PROC(102, "qemu-system-x86",
	     "/usr/bin/qemu-system-x86_64\0-name\0"
	     "guest=web-01,debug-threads=on\0-S\0");
	expect("-name guest=NAME,debug-threads=on (libvirt)", 102, "web-01",
	       VM_NAME_ARG);
	PROC(103, "qemu-system-x86", "qemu\0-name\0db,process=qemu-db\0");
	expect("-name NAME,process=P", 103, "db", VM_NAME_ARG);
	PROC(104, "qemu-system-x86",
	     "qemu\0-name\0process=p,debug-threads=on,guest=late\0");
	expect("-name with guest= not first", 104, "late", VM_NAME_ARG);
	PROC(105, "qemu-system-x86", "qemu\0--name\0lab\0");
	expect("--name NAME", 105, "lab", VM_NAME_ARG);
	PROC(106, "qemu-system-x86", "qemu\0-name=eq-form\0");
	expect("-name=NAME", 106, "eq-form", VM_NAME_ARG);
	PROC(107, "qemu-system-x86", "qemu\0-name\0first\0-name\0second\0");
	expect("repeated -name: the last wins, as in QEMU", 107, "second",
	       VM_NAME_ARG);

	/* ---- escaped commas ---- */
	PROC(110, "qemu-system-x86",
	     "qemu\0-name\0guest=a,,b,debug-threads=on\0");
	expect("guest=a,,b: ',,' is a comma", 110, "a,b", VM_NAME_ARG);
	PROC(111, "qemu-system-x86", "qemu\0-name\0x,,y,,,,z,process=p\0");
	expect("implied name with ',,' (and '=' after it)", 111, "x,y,,z",
	       VM_NAME_ARG);
	PROC(112, "qemu-system-x86", "qemu\0-name\0k,,v=w\0");
	expect("'=' after an escaped comma is part of the name", 112, "k,v=w",
	       VM_NAME_ARG);

	/* ---- libvirt's systemd scope ---- */
	PROC(120, "qemu-system-x86", "qemu-system-x86_64\0-m\0001G\0");
	put(120, "cgroup", "0::/machine.slice/machine-qemu\\x2d3\\x2dmy"
	    "\\x2dvm.scope/libvirt/emulator\n", -1);
	expect("cgroup v2 machine-qemu\\x2d3\\x2dmy\\x2dvm.scope", 120,
	       "my-vm", VM_NAME_LIBVIRT);
	PROC(121, "qemu-system-x86", "qemu\0");
	put(121, "cgroup", "12:pids:/machine.slice/machine-qemu\\x2d17\\x2d"
	    "db\\x20one.scope/emulator\n"
	    "1:name=systemd:/machine.slice/machine-qemu\\x2d17\\x2ddb\\x20"
	    "one.scope/emulator\n0::/\n", -1);
	expect("cgroup v1, \\x20 decoded", 121, "db one", VM_NAME_LIBVIRT);
	PROC(122, "qemu-system-x86", "qemu\0");
	put(122, "cgroup", "0::/machine.slice/machine-qemu\\x2dold\\x2dvm"
	    ".scope\n", -1);
	expect("older libvirt: qemu-NAME without an id", 122, "old-vm",
	       VM_NAME_LIBVIRT);
	PROC(123, "lxc-start", "lxc-start\0");
	put(123, "cgroup", "0::/machine.slice/machine-lxc\\x2d5\\x2dct"
	    ".scope\n", -1);
	expect("a machine that is not qemu: comm", 123, "lxc-start[123]",
	       VM_NAME_COMM);
	PROC(124, "qemu-system-x86", "qemu\0-name\0guest=from-arg\0");
	put(124, "cgroup", "0::/machine.slice/machine-qemu\\x2d4\\x2d"
	    "from\\x2dcg.scope/libvirt\n", -1);
	expect("-name before the cgroup", 124, "from-arg", VM_NAME_ARG);
	PROC(125, "qemu-system-x86", "qemu\0");
	put(125, "cgroup", "0::/machine.slice/machine-qemu\\x2d4\\x2d.scope\n"
	    "0::/machine-qemu\\x2d9\\x2dtrunc\\x2", -1);
	expect("an empty or cut scope name is no name", 125,
	       "qemu-system-x86[125]", VM_NAME_COMM);

	/* ---- malformed command lines ---- */
	PROC(130, "qemu-system-x86", "qemu\0-m\0001G\0-name\0");
	expect("-name without a value (last argument)", 130,
	       "qemu-system-x86[130]", VM_NAME_COMM);
	PROC(131, "qemu-system-x86", "qemu\0-name\0process=p,debug-threads\0");
	expect("-name without a guest", 131, "qemu-system-x86[131]",
	       VM_NAME_COMM);
	PROC(132, "qemu-system-x86", "qemu\0-name\0guest=\0");
	expect("-name guest= (empty)", 132, "qemu-system-x86[132]",
	       VM_NAME_COMM);
	PROC(133, "vmm", "vmm -name rewritten by setproctitle");
	expect("cmdline rewritten into one string, no NUL", 133, "vmm[133]",
	       VM_NAME_COMM);
	PROC(134, "vmm", "");
	expect("empty cmdline (zombie)", 134, "vmm[134]", VM_NAME_COMM);
	PROC(135, "vmm", "\xff\xfe\0\0-\0--\0=,,\0-name");
	expect("binary garbage", 135, "vmm[135]", VM_NAME_COMM);
	/* a command line longer than vmname.c reads: the cut argument */
	long_arg = malloc(300 * 1024);
	memcpy(long_arg, "q\0-name\0", 8);
	memset(long_arg + 8, 'a', 300 * 1024 - 8);
	proc(136, 1136, "vmm", long_arg, 300 * 1024);
	free(long_arg);
	expect("a -name value cut off by the read limit is not used", 136,
	       "vmm[136]", VM_NAME_COMM);

	/* ---- sanitizing ---- */
	PROC(140, "qemu-system-x86",
	     "qemu\0-name\0ev\x1b[31mil\xff\"q\\\x7f\xc2\x9b.\0");
	expect("control characters and bad UTF-8 become '?'", 140,
	       "ev?[31mil?\"q\\??.", VM_NAME_ARG);
	vm_name(140, buf, sizeof(buf));
	json_of(buf, js, sizeof(js));
	check(!strcmp(js, "\"ev?[31mil?\\\"q\\\\??.\""),
	      "  ... quotes and backslashes escaped by json.c: %s", js);
	PROC(141, "qemu-system-x86", "qemu\0-name\0v\xc3\xa4m-\xe2\x82\xac\0");
	expect("UTF-8 is kept", 141, "v\xc3\xa4m-\xe2\x82\xac", VM_NAME_ARG);
	PROC(142, "qemu-system-x86", "qemu\0-name\0\x01\x02\x03\0");
	expect("a name of control characters only: next source", 142,
	       "qemu-system-x86[142]", VM_NAME_COMM);
	PROC(143, "evil\x1b" "comm", "evil\0");
	expect("control characters in comm", 143, "evil?comm[143]",
	       VM_NAME_COMM);
	PROC(144, "qemu-system-x86", "qemu\0-name\0\xc3\xa4\xc3\xa4\xc3\xa4\0");
	r = vm_name(144, buf, 4);
	check(!strcmp(buf, "\xc3\xa4") && r == VM_NAME_ARG,
	      "cut to a small buffer at a character boundary: '%s'", buf);
	memset(big, 'n', sizeof(big));
	memcpy(big, "qemu\0-name\0", 11);
	big[sizeof(big) - 1] = '\0';
	proc(145, 1145, "qemu-system-x86", big, sizeof(big));
	r = vm_name(145, buf, sizeof(buf));
	check(strlen(buf) == VM_NAME_LEN - 1 && r == VM_NAME_ARG,
	      "a long name is cut to VM_NAME_LEN - 1 (%zu)", strlen(buf));

	/* ---- fallback and exited processes ---- */
	PROC(150, "qemu-system-x86", "qemu-system-x86_64\0-m\0001G\0");
	expect("no name: COMM[PID]", 150, "qemu-system-x86[150]",
	       VM_NAME_COMM);
	expect("no /proc entry (exited, never seen)", 151, "?[151]",
	       VM_NAME_PID);
	put(152, "comm", "x\n", -1);
	expect("/proc entry without stat (exiting)", 152, "?[152]",
	       VM_NAME_PID);
	expect("pid 0", 0, "?[0]", VM_NAME_PID);
	r = vm_name_comm(151, "dirty_log\x01", buf, sizeof(buf));
	check(!strcmp(buf, "dirty_log?[151]") && r == VM_NAME_COMM,
	      "exited, never seen, with the caller's comm: '%s'", buf);
	r = vm_name_comm(150, "ignored", buf, sizeof(buf));
	check(!strcmp(buf, "qemu-system-x86[150]") && r == VM_NAME_COMM,
	      "the caller's comm is not used while /proc has one: '%s'", buf);
	r = vm_name_comm(151, "", buf, sizeof(buf));
	check(!strcmp(buf, "?[151]") && r == VM_NAME_PID,
	      "an empty comm from the caller: '%s'", buf);
	r = vm_name(150, buf, 0);
	check(r == -EINVAL, "len 0 is -EINVAL (%d)", r);

	/* ---- cache, pid reuse ---- */
	PROC(160, "qemu-system-x86", "qemu\0-name\0one\0");
	expect("cache: first", 160, "one", VM_NAME_ARG);
	PROC(160, "qemu-system-x86", "qemu\0-name\0two\0");
	expect("cache: same start time, cached name", 160, "one",
	       VM_NAME_ARG);
	proc(160, 99999, "other", "other\0", 6);
	expect("cache: new start time (pid reused), new name", 160,
	       "other[160]", VM_NAME_COMM);
	snprintf(want, sizeof(want), "%s/160/stat", root);
	unlink(want);
	expect("cache: exited, the name it had", 160, "other[160]",
	       VM_NAME_COMM);
	PROC(162, "qemu-system-x86", "qemu\0-name\0old\0");
	expect("reuse race: first process", 162, "old", VM_NAME_ARG);
	proc(162, 77777, "new", "new\0", 4);
	snprintf(want, sizeof(want), "%s/162/comm", root);
	unlink(want);
	expect("reuse race: new process gone while it was read", 162,
	       "?[162]", VM_NAME_PID);
	snprintf(want, sizeof(want), "%s/162/stat", root);
	unlink(want);
	expect("reuse race: then gone: not the old process's name", 162,
	       "?[162]", VM_NAME_PID);
	PROC(161, "qemu-system-x86", "qemu\0-name\0kept\0");
	expect("cache bound: first", 161, "kept", VM_NAME_ARG);
	PROC(161, "qemu-system-x86", "qemu\0-name\0reread\0");
	for (i = 0; i < 300; i++) {
		proc(1000 + i, 1, "filler", "filler\0", 7);
		vm_name(1000 + i, buf, sizeof(buf));
	}
	expect("cache bound: the oldest entry was evicted, read again", 161,
	       "reread", VM_NAME_ARG);
	snprintf(want, sizeof(want), "filler[%d]", 1000 + 299);
	expect("cache bound: a recent entry", 1299, want, VM_NAME_COMM);

	/* ---- the real /proc ---- */
	vm_name_set_proc_root(NULL);
	prctl(PR_GET_NAME, comm);
	snprintf(want, sizeof(want), "%s[%d]", comm, getpid());
	expect("real /proc: this process", getpid(), want, VM_NAME_COMM);

	return test_check_done();
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* VM names from /proc, see vmname.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vmname.h"

/* QEMU command lines run to a few KiB; beyond this only the tail is lost */
#define CMDLINE_MAX	(256 * 1024)
#define CGROUP_MAX	(16 * 1024)
/* more than any tool tracks VMs (lockstat: 64, trace-fastpf default 64) */
#define CACHE_SIZE	256

static char proc_root[256] = "/proc";

struct name_ent {
	pid_t pid;		/* 0: free */
	unsigned long long start;	/* /proc/PID/stat starttime */
	unsigned long long used;	/* LRU tick */
	int src;
	char name[VM_NAME_LEN];
};

static struct name_ent cache[CACHE_SIZE];
static unsigned long long tick;

void vm_name_set_proc_root(const char *root)
{
	snprintf(proc_root, sizeof(proc_root), "%s", root ? root : "/proc");
	memset(cache, 0, sizeof(cache));
}

const char *vm_name_source_str(int src)
{
	switch (src) {
	case VM_NAME_ARG:	return "cmdline";
	case VM_NAME_LIBVIRT:	return "libvirt";
	case VM_NAME_COMM:	return "comm";
	case VM_NAME_PID:	return "pid";
	}
	return "unknown";
}

/*
 * Read <root>/<pid>/<file> into @buf (not terminated).  Returns the number
 * of bytes, or -errno.  *@full is set if the file did not fit.
 */
static ssize_t read_proc(pid_t pid, const char *file, char *buf, size_t size,
			 bool *full)
{
	char path[PATH_MAX];
	size_t n = 0;
	ssize_t r;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%d/%s", proc_root, (int)pid,
		     file) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (n < size) {
		r = read(fd, buf + n, size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += r;
	}
	if (full) {
		char c;

		*full = n == size && read(fd, &c, 1) == 1;
	}
	close(fd);
	return n;
}

/* field 22 of /proc/PID/stat: unique per pid together with the pid */
static int start_time(pid_t pid, unsigned long long *start)
{
	char buf[1024], *p, *end;
	ssize_t n;
	int field;

	n = read_proc(pid, "stat", buf, sizeof(buf) - 1, NULL);
	if (n < 0)
		return n;
	buf[n] = '\0';
	/* the comm in "(...)" may hold spaces and parentheses */
	p = strrchr(buf, ')');
	if (!p)
		return -EINVAL;
	p++;
	for (field = 3; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EINVAL;
	}
	errno = 0;
	*start = strtoull(p + 1, &end, 10);
	if (errno || end == p + 1)
		return -EINVAL;
	return 0;
}

/* length of a valid UTF-8 sequence at @s (at most @n bytes), else 0 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	/* no overlong forms, surrogates or code points above U+10FFFF */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/*
 * Append @n bytes of @src to @dst (size @size, length *@pos): control
 * characters (C0, DEL, C1) and bytes that are not UTF-8 become '?', so the
 * name is safe in a terminal and valid in JSON; cut at a character
 * boundary.  Returns the number of characters kept as they were.
 */
static size_t put_clean(char *dst, size_t size, size_t *pos, const char *src,
			size_t n)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, len, kept = 0;

	while (i < n && s[i]) {
		len = utf8_len(s + i, n - i);
		if (*pos + (len ? len : 1) >= size)
			break;
		if (!len || s[i] < 0x20 || s[i] == 0x7f ||
		    (s[i] == 0xc2 && s[i + 1] < 0xa0)) {
			dst[(*pos)++] = '?';
			i += len ? len : 1;
			continue;
		}
		memcpy(dst + *pos, s + i, len);
		*pos += len;
		i += len;
		kept++;
	}
	dst[*pos] = '\0';
	return kept;
}

/*
 * QEMU's option value (get_opt_value()): up to a single ',', where ",,"
 * stands for ','.  Unescaped into @out (size @size, cut); returns the
 * position of the ending ',' or '\0'.
 */
static const char *opt_value(const char *p, char *out, size_t size)
{
	size_t n = 0;

	for (; *p; p++) {
		if (*p == ',') {
			if (p[1] != ',')
				break;
			p++;
		}
		if (n + 1 < size)
			out[n++] = *p;
	}
	out[n] = '\0';
	return p;
}

/*
 * The guest name in a -name argument, parsed as QEMU's opts_do_parse()
 * with the implied option "guest": the first element is the name unless
 * it is key=value.  Returns true if a non-empty guest= was found (the last
 * one wins, as for repeated keys in QEMU).
 */
static bool parse_name_opt(const char *p, char *out, size_t size)
{
	char val[VM_NAME_LEN * 2];
	bool first = true, found = false;
	size_t klen;

	while (*p) {
		klen = strcspn(p, "=,");
		if (p[klen] != '=') {
			if (!first) {
				/* a flag ("debug-threads"): no value */
				p += klen;
				goto next;
			}
			p = opt_value(p, val, sizeof(val));
		} else {
			bool guest = klen == 5 && !strncmp(p, "guest", 5);

			p = opt_value(p + klen + 1, val, sizeof(val));
			if (!guest)
				goto next;
		}
		if (val[0]) {
			snprintf(out, size, "%s", val);
			found = true;
		}
next:
		first = false;
		if (*p == ',')
			p++;
	}
	return found;
}

/* 1 and the name from the command line's -name, 0 if none, or -errno */
static int name_from_cmdline(pid_t pid, char *out, size_t size)
{
	const char *arg, *opt, *end;
	bool full, found = false;
	char *buf;
	ssize_t n;

	buf = malloc(CMDLINE_MAX + 1);
	if (!buf)
		return -ENOMEM;
	n = read_proc(pid, "cmdline", buf, CMDLINE_MAX, &full);
	if (n < 0) {
		free(buf);
		return n;
	}
	/* a cut-off last argument is not trusted */
	if (full)
		while (n > 0 && buf[n - 1])
			n--;
	buf[n] = '\0';
	end = buf + n;
	for (arg = buf; arg < end; arg += strlen(arg) + 1) {
		opt = NULL;
		/* QEMU takes --opt as -opt */
		if (arg[0] == '-' && arg[1] == '-')
			arg++;
		if (!strcmp(arg, "-name")) {
			arg += strlen(arg) + 1;
			if (arg >= end)
				break;
			opt = arg;
		} else if (!strncmp(arg, "-name=", 6)) {
			opt = arg + 6;
		}
		if (opt && parse_name_opt(opt, out, size))
			found = true;
	}
	free(buf);
	return found;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * "machine-qemu\x2d3\x2dmy\x2dvm.scope" (@n bytes) -> "my-vm": the unit
 * name of libvirt's machine, "qemu-ID-NAME" escaped by systemd (older
 * libvirt: "qemu-NAME").  libvirt may have shortened NAME or dropped
 * characters from it.
 */
static bool scope_name(const char *s, size_t n, char *out, size_t size)
{
	static const char pfx[] = "machine-qemu\\x2d", sfx[] = ".scope";
	char dec[VM_NAME_LEN * 2], *p;
	size_t i, k = 0;

	if (n <= strlen(pfx) + strlen(sfx) || strncmp(s, pfx, strlen(pfx)) ||
	    strncmp(s + n - strlen(sfx), sfx, strlen(sfx)))
		return false;
	s += strlen(pfx);
	n -= strlen(pfx) + strlen(sfx);
	for (i = 0; i < n && k + 1 < sizeof(dec); i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' &&
		    hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0) {
			dec[k++] = hexval(s[i + 2]) << 4 | hexval(s[i + 3]);
			i += 3;
		} else {
			dec[k++] = s[i];
		}
	}
	dec[k] = '\0';
	/* "ID-" */
	for (p = dec; *p >= '0' && *p <= '9'; p++)
		;
	if (p > dec && *p == '-')
		p++;
	else
		p = dec;
	if (!*p)
		return false;
	snprintf(out, size, "%s", p);
	return true;
}

/* 1 and the libvirt domain from the cgroup paths, 0 if none, or -errno */
static int name_from_cgroup(pid_t pid, char *out, size_t size)
{
	char buf[CGROUP_MAX + 1], *line, *next, *path, *c;
	ssize_t n;
	size_t len;

	n = read_proc(pid, "cgroup", buf, CGROUP_MAX, NULL);
	if (n < 0)
		return n;
	buf[n] = '\0';
	/* "ID:CONTROLLERS:PATH" per hierarchy; v2 has only "0::PATH" */
	for (line = buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		path = strchr(line, ':');
		path = path ? strchr(path + 1, ':') : NULL;
		if (!path)
			continue;
		for (c = path + 1; *c; c += len) {
			c += strspn(c, "/");
			len = strcspn(c, "/");
			if (len && scope_name(c, len, out, size))
				return 1;
		}
	}
	return 0;
}

/* resolve @pid into @e (without cache); false if the process is gone */
static bool resolve(pid_t pid, struct name_ent *e)
{
	char raw[VM_NAME_LEN * 2], comm[64];
	size_t pos = 0;
	ssize_t n;

	/* a name of nothing but control characters is no name */
	e->src = VM_NAME_ARG;
	if (name_from_cmdline(pid, raw, sizeof(raw)) == 1 &&
	    put_clean(e->name, sizeof(e->name), &pos, raw, strlen(raw)))
		return true;
	pos = 0;
	e->src = VM_NAME_LIBVIRT;
	if (name_from_cgroup(pid, raw, sizeof(raw)) == 1 &&
	    put_clean(e->name, sizeof(e->name), &pos, raw, strlen(raw)))
		return true;
	pos = 0;
	n = read_proc(pid, "comm", comm, sizeof(comm) - 1, NULL);
	if (n < 0)
		return false;
	while (n > 0 && comm[n - 1] == '\n')
		n--;
	put_clean(e->name, sizeof(e->name) - 16, &pos, comm, n);
	snprintf(e->name + pos, sizeof(e->name) - pos, "[%d]", (int)pid);
	e->src = VM_NAME_COMM;
	return true;
}

/* copy a clean name into @buf, cut at a character boundary */
static void copy_name(char *buf, size_t len, const char *name)
{
	size_t pos = 0;

	put_clean(buf, len, &pos, name, strlen(name));
}

void vm_comm(pid_t pid, char *buf, size_t len)
{
	ssize_t n = 0;

	if (!len)
		return;
	if (pid > 0)
		n = read_proc(pid, "comm", buf, len - 1, NULL);
	if (n < 0)
		n = 0;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
}

int vm_name(pid_t pid, char *buf, size_t len)
{
	return vm_name_comm(pid, NULL, buf, len);
}

int vm_name_comm(pid_t pid, const char *comm, char *buf, size_t len)
{
	struct name_ent *e, *victim = NULL, tmp;
	unsigned long long start, again;
	bool alive;
	int i;

	if (!len)
		return -EINVAL;
	alive = pid > 0 && !start_time(pid, &start);
	for (i = 0; pid > 0 && i < CACHE_SIZE; i++) {
		e = &cache[i];
		if (e->pid != pid)
			continue;
		/* gone: its last name; alive: the same process? */
		if (!alive || e->start == start) {
			e->used = ++tick;
			copy_name(buf, len, e->name);
			return e->src;
		}
		/* pid reused: the old name must not outlive the new process */
		e->pid = 0;
		victim = e;
		break;
	}
	if (!alive || !resolve(pid, &tmp)) {
		size_t pos = 0;

		/* gone before it was named: the caller's comm, if any */
		if (comm && len > 16 &&
		    put_clean(buf, len - 16, &pos, comm, strlen(comm))) {
			snprintf(buf + pos, len - pos, "[%d]", (int)pid);
			return VM_NAME_COMM;
		}
		snprintf(tmp.name, sizeof(tmp.name), "?[%d]", (int)pid);
		copy_name(buf, len, tmp.name);
		return VM_NAME_PID;
	}
	copy_name(buf, len, tmp.name);
	/* only what was read from one and the same process is kept */
	if (start_time(pid, &again) || again != start)
		return tmp.src;
	for (i = 0; !victim && i < CACHE_SIZE; i++)
		if (!cache[i].pid)
			victim = &cache[i];
	if (!victim) {
		victim = &cache[0];
		for (i = 1; i < CACHE_SIZE; i++)
			if (cache[i].used < victim->used)
				victim = &cache[i];
	}
	tmp.pid = pid;
	tmp.start = start;
	tmp.used = ++tick;
	*victim = tmp;
	return tmp.src;
}

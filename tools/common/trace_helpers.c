// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Helpers shared by the libbpf tools, see trace_helpers.h. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "json.h"
#include "trace_helpers.h"

/* ---- tracefs ---- */

static bool mounted_as(const char *dir, const char *fstype)
{
	char mnt[PATH_MAX], type[64], line[2 * PATH_MAX];
	bool found = false;
	FILE *f;

	f = fopen("/proc/mounts", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %4095s %63s", mnt, type) != 2)
			continue;
		if (!strcmp(mnt, dir) && !strcmp(type, fstype)) {
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

const char *tracefs_path(void)
{
	static const char *path;
	static bool tried;

	if (tried)
		return path;
	tried = true;
	if (mounted_as("/sys/kernel/tracing", "tracefs"))
		path = "/sys/kernel/tracing";
	else if (mounted_as("/sys/kernel/debug/tracing", "tracefs"))
		path = "/sys/kernel/debug/tracing";
	else if (!mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL))
		path = "/sys/kernel/tracing";
	return path;
}

static int event_file(char *buf, size_t sz, const char *cat, const char *ev,
		      const char *file)
{
	const char *tp = tracefs_path();

	if (!tp)
		return -ENOENT;
	if ((size_t)snprintf(buf, sz, "%s/events/%s/%s/%s", tp, cat, ev,
			     file) >= sz)
		return -ENAMETOOLONG;
	return 0;
}

bool tracepoint_exists(const char *category, const char *event)
{
	char path[PATH_MAX];

	if (event_file(path, sizeof(path), category, event, "format"))
		return false;
	return !access(path, R_OK);
}

char *tracepoint_format(const char *category, const char *event)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *f;

	if (event_file(path, sizeof(path), category, event, "format"))
		return NULL;
	f = fopen(path, "r");
	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *nbuf = realloc(buf, cap + 8192);

			if (!nbuf) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nbuf;
			cap += 8192;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* ---- kernel BTF ---- */

#define MAX_MODULE_BTFS 1024

static struct btf *vmlinux_btf;
static bool vmlinux_tried, modules_loaded;
static struct {
	char *name;
	struct btf *btf;
} mod_btfs[MAX_MODULE_BTFS];
static int nr_mod_btfs;

bool vmlinux_btf_available(void)
{
	return !access(VMLINUX_BTF_PATH, R_OK);
}

const struct btf *kernel_btf(void)
{
	if (!vmlinux_tried) {
		vmlinux_tried = true;
		vmlinux_btf = btf__parse(VMLINUX_BTF_PATH, NULL);
		if (!vmlinux_btf) /* libbpf's other locations */
			vmlinux_btf = btf__load_vmlinux_btf();
		if (!vmlinux_btf)
			vmlinux_btf = NULL;
	}
	return vmlinux_btf;
}

static void load_module_btfs(void)
{
	struct dirent *de;
	char path[PATH_MAX];
	struct btf *btf;
	DIR *dir;

	if (modules_loaded || !kernel_btf())
		return;
	modules_loaded = true;
	dir = opendir("/sys/kernel/btf");
	if (!dir)
		return;
	while ((de = readdir(dir)) && nr_mod_btfs < MAX_MODULE_BTFS) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux"))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/btf/%s", de->d_name);
		btf = btf__parse_split(path, vmlinux_btf);
		if (!btf)
			continue;
		mod_btfs[nr_mod_btfs].name = strdup(de->d_name);
		mod_btfs[nr_mod_btfs].btf = btf;
		nr_mod_btfs++;
	}
	closedir(dir);
}

int kernel_btf_find(const char *name, int kind, const struct btf **btfp,
		    const char **module)
{
	const struct btf *vml = kernel_btf();
	int i, id;

	if (!vml)
		return -ENOENT;
	id = btf__find_by_name_kind(vml, name, kind);
	if (id > 0) {
		if (btfp)
			*btfp = vml;
		if (module)
			*module = NULL;
		return id;
	}
	load_module_btfs();
	for (i = 0; i < nr_mod_btfs; i++) {
		id = btf__find_by_name_kind(mod_btfs[i].btf, name, kind);
		if (id > 0) {
			if (btfp)
				*btfp = mod_btfs[i].btf;
			if (module)
				*module = mod_btfs[i].name;
			return id;
		}
	}
	return -ENOENT;
}

void kernel_btf_free(void)
{
	int i;

	for (i = 0; i < nr_mod_btfs; i++) {
		btf__free(mod_btfs[i].btf);
		free(mod_btfs[i].name);
	}
	nr_mod_btfs = 0;
	modules_loaded = false;
	btf__free(vmlinux_btf);
	vmlinux_btf = NULL;
	vmlinux_tried = false;
}

bool btf_func_exists(const char *func)
{
	return kernel_btf_find(func, BTF_KIND_FUNC, NULL, NULL) > 0;
}

bool tp_btf_exists(const char *tp)
{
	return tp_btf_nr_args(tp) >= 0;
}

/* btf_trace_<tp>'s func proto (void *__data, TP_PROTO args), or NULL */
static const struct btf_type *tp_btf_proto(const char *tp,
					   const struct btf **btf)
{
	const struct btf_type *t;
	char name[256];
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = kernel_btf_find(name, BTF_KIND_TYPEDEF, btf, NULL);
	if (id < 0)
		return NULL;
	/* typedef -> pointer -> func proto */
	t = btf__type_by_id(*btf, id);
	t = btf__type_by_id(*btf, t->type);
	if (!t || !btf_is_ptr(t))
		return NULL;
	t = btf__type_by_id(*btf, t->type);
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 1)
		return NULL;
	return t;
}

int tp_btf_nr_args(const char *tp)
{
	const struct btf *btf;
	const struct btf_type *t = tp_btf_proto(tp, &btf);

	return t ? btf_vlen(t) - 1 : -ENOENT;
}

bool tp_btf_arg_is_struct_ptr(const char *tp, int arg, const char *st)
{
	const struct btf_type *t;
	const struct btf *btf;

	t = tp_btf_proto(tp, &btf);
	/* the first parameter is the tracepoint's void *__data */
	if (!t || btf_vlen(t) < arg + 2)
		return false;
	t = btf__type_by_id(btf, btf_params(t)[arg + 1].type);
	while (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_ptr(t))
		return false;
	t = btf__type_by_id(btf, t->type);
	while (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	return t && btf_is_struct(t) &&
	       !strcmp(btf__name_by_offset(btf, t->name_off), st);
}

/* byte offset of @member in @type (kind @kind, typedefs resolved); -1: none */
long btf_member_offset(const char *type, int kind, const char *member)
{
	const struct btf_member *m;
	const struct btf_type *t;
	const struct btf *btf;
	int id, i;

	id = kernel_btf_find(type, kind, &btf, NULL);
	if (id < 0)
		return -1;
	id = btf__resolve_type(btf, id);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id);
	if (!btf_is_composite(t))
		return -1;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), member))
			return btf_member_bit_offset(t, i) / 8;
	return -1;
}

bool btf_struct_has_member(const char *st, const char *member)
{
	return btf_member_offset(st, BTF_KIND_STRUCT, member) >= 0;
}

/* call @fn for every enumerator of enum type @t; stop when it returns true */
static bool enum_walk(const struct btf *btf, const struct btf_type *t,
		      bool (*fn)(const char *, long long, void *), void *arg)
{
	int i;

	if (btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t);
		bool is_signed = btf_kflag(t);

		for (i = 0; i < btf_vlen(t); i++, e++) {
			long long v = is_signed ? (long long)(__s32)e->val
						: (long long)(__u32)e->val;

			if (fn(btf__name_by_offset(btf, e->name_off), v, arg))
				return true;
		}
	} else if (btf_is_enum64(t)) {
		const struct btf_enum64 *e = btf_enum64(t);

		for (i = 0; i < btf_vlen(t); i++, e++) {
			if (fn(btf__name_by_offset(btf, e->name_off),
			       (long long)btf_enum64_value(e), arg))
				return true;
		}
	}
	return false;
}

struct enum_find {
	const char *name;
	long long val;
};

static bool enum_match(const char *name, long long v, void *arg)
{
	struct enum_find *f = arg;

	if (strcmp(name, f->name))
		return false;
	f->val = v;
	return true;
}

static bool enum_scan(const struct btf *btf, struct enum_find *f)
{
	const struct btf_type *t;
	__u32 id, n = btf__type_cnt(btf);

	for (id = 1; id < n; id++) {
		t = btf__type_by_id(btf, id);
		if (btf_is_any_enum(t) && enum_walk(btf, t, enum_match, f))
			return true;
	}
	return false;
}

int btf_enum_value(const char *name, long long *val)
{
	struct enum_find f = { .name = name };
	const struct btf *vml = kernel_btf();
	int i;

	if (!vml)
		return -ENOENT;
	if (!enum_scan(vml, &f)) {
		load_module_btfs();
		for (i = 0; i < nr_mod_btfs; i++)
			if (enum_scan(mod_btfs[i].btf, &f))
				break;
		if (i == nr_mod_btfs)
			return -ENOENT;
	}
	*val = f.val;
	return 0;
}

struct enum_collect {
	struct btf_enum_entry *ents;
	int max, n;
};

static bool enum_add(const char *name, long long v, void *arg)
{
	struct enum_collect *c = arg;

	if (c->n < c->max) {
		c->ents[c->n].name = name;
		c->ents[c->n].value = v;
	}
	c->n++;
	return false;
}

int btf_enum_entries(const char *enum_name, struct btf_enum_entry *ents,
		     int max)
{
	struct enum_collect c = { .ents = ents, .max = max };
	const struct btf *btf;
	int id;

	id = kernel_btf_find(enum_name, BTF_KIND_ENUM, &btf, NULL);
	if (id < 0)
		id = kernel_btf_find(enum_name, BTF_KIND_ENUM64, &btf, NULL);
	if (id < 0)
		return -ENOENT;
	enum_walk(btf, btf__type_by_id(btf, id), enum_add, &c);
	return c.n < max ? c.n : max;
}

/* ---- attach probes ---- */

int bpf_privilege_check(void)
{
	/* r0 = 0; exit */
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "priv_check", 4, 4, 1, NULL);
	if (fd < 0)
		return fd;
	close(fd);
	/* tracing program types need CAP_BPF + CAP_PERFMON */
	fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "priv_check", "GPL",
			   insns, sizeof(insns) / sizeof(insns[0]), NULL);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* fd of the kernel BTF object of @module, or -errno */
static int module_btf_fd(const char *module)
{
	char name[64];
	__u32 id = 0;
	int fd, err;

	while (!bpf_btf_get_next_id(id, &id)) {
		struct bpf_btf_info info = {};
		__u32 len = sizeof(info);

		fd = bpf_btf_get_fd_by_id(id);
		if (fd < 0)
			continue;
		name[0] = '\0';
		info.name = (__u64)(unsigned long)name;
		info.name_len = sizeof(name);
		err = bpf_obj_get_info_by_fd(fd, &info, &len);
		if (!err && info.kernel_btf && !strcmp(name, module))
			return fd;
		close(fd);
	}
	return -ENOENT;
}

int fentry_can_attach(const char *func)
{
	/* r0 = 0; exit */
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = BPF_TRACE_FENTRY);
	int id, prog_fd, link_fd, obj_fd = -1, ret = 0;
	const char *module;

	id = kernel_btf_find(func, BTF_KIND_FUNC, NULL, &module);
	if (id < 0)
		return 0;
	if (module) {
		obj_fd = module_btf_fd(module);
		if (obj_fd < 0)
			return 0;
		opts.attach_btf_obj_fd = obj_fd;
	}
	opts.attach_btf_id = id;
	prog_fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "fentry_probe", "GPL",
				insns, sizeof(insns) / sizeof(insns[0]),
				&opts);
	if (prog_fd < 0) {
		ret = prog_fd == -EPERM || prog_fd == -EACCES ? -EPERM : 0;
		goto out;
	}
	link_fd = bpf_raw_tracepoint_open(NULL, prog_fd);
	if (link_fd >= 0) {
		close(link_fd);
		ret = 1;
	} else if (link_fd == -EPERM) {
		ret = -EPERM;
	}
	close(prog_fd);
out:
	if (obj_fd >= 0)
		close(obj_fd);
	return ret;
}

int sysfs_read_bool(const char *path)
{
	char buf[8] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	switch (buf[0]) {
	case 'Y': case 'y': case '1':
		return 1;
	case 'N': case 'n': case '0':
		return 0;
	}
	return -1;
}

/* ---- log2 histograms ---- */

void hist_slot_range(int slot, unsigned long long *lo, unsigned long long *hi)
{
	if (slot <= 0) {
		*lo = *hi = 0;
		return;
	}
	*lo = 1ULL << (slot - 1);
	*hi = slot >= 64 ? ~0ULL : (1ULL << slot) - 1;
}

unsigned long long hist_total(const __u64 *slots, int nr_slots)
{
	unsigned long long sum = 0;
	int i;

	for (i = 0; i < nr_slots; i++)
		sum += slots[i];
	return sum;
}

#define HIST_STARS 30

void print_log2_hist(FILE *f, const __u64 *slots, int nr_slots,
		     const char *unit, int indent)
{
	char hi_str[24];
	unsigned long long lo, hi, max = 0;
	int i, first = -1, last = -1, nstars, width;

	for (i = 0; i < nr_slots; i++) {
		if (slots[i]) {
			if (first < 0)
				first = i;
			last = i;
			if (slots[i] > max)
				max = slots[i];
		}
	}
	if (last < 0)
		return;
	hist_slot_range(last, &lo, &hi);
	width = snprintf(NULL, 0, "%llu", last == nr_slots - 1 ? lo : hi);
	if (width < 5)
		width = 5;
	fprintf(f, "%*s%*s%-*s : count    distribution\n", indent, "",
		width + 1, "", width + 3, unit);
	for (i = first; i <= last; i++) {
		hist_slot_range(i, &lo, &hi);
		if (i == nr_slots - 1)
			snprintf(hi_str, sizeof(hi_str), "inf");
		else
			snprintf(hi_str, sizeof(hi_str), "%llu", hi);
		nstars = max ? (int)(slots[i] * HIST_STARS / max) : 0;
		if (slots[i] && !nstars)
			nstars = 1;
		fprintf(f, "%*s%*llu -> %-*s : %-8llu |%-*.*s|\n", indent, "",
			width + 1, lo, width, hi_str,
			(unsigned long long)slots[i], HIST_STARS, nstars,
			"******************************************");
	}
}

void json_log2_hist(struct json *j, const __u64 *slots, int nr_slots)
{
	unsigned long long lo, hi;
	int i;

	json_begin_array(j);
	for (i = 0; i < nr_slots; i++) {
		if (!slots[i])
			continue;
		hist_slot_range(i, &lo, &hi);
		json_begin_object(j);
		json_kv_u64(j, "lo", lo);
		json_kv_u64(j, "hi", hi);
		json_kv_u64(j, "count", slots[i]);
		json_end_object(j);
	}
	json_end_array(j);
}

/* ---- misc ---- */

int parse_ulong(const char *s, unsigned long min, unsigned long max,
		unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

const char *kernel_release(void)
{
	static struct utsname u;

	if (!u.release[0] && uname(&u))
		return "unknown";
	return u.release;
}

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Helpers shared by the libbpf tools: tracefs, kernel BTF probes, attach
 * probes, log2 histogram output, argument parsing.
 */
#ifndef __TOOLS_TRACE_HELPERS_H
#define __TOOLS_TRACE_HELPERS_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

struct btf;
struct json;

/* ---- tracefs ---- */

/*
 * The tracefs mount point: /sys/kernel/tracing or /sys/kernel/debug/tracing
 * if either is mounted, else tracefs is mounted at /sys/kernel/tracing.
 * NULL if that fails (no tracefs, no privileges).  Cached.
 */
const char *tracefs_path(void);
/* events/<category>/<event>/format exists */
bool tracepoint_exists(const char *category, const char *event);
/* the text of events/<category>/<event>/format (malloc'd), or NULL */
char *tracepoint_format(const char *category, const char *event);

/* ---- kernel BTF (vmlinux, plus module BTF under /sys/kernel/btf) ---- */

#define VMLINUX_BTF_PATH "/sys/kernel/btf/vmlinux"

/* /sys/kernel/btf/vmlinux is readable */
bool vmlinux_btf_available(void);
/* the vmlinux BTF, loaded once; NULL on failure */
const struct btf *kernel_btf(void);
/*
 * Find a named type of @kind (BTF_KIND_*) in vmlinux, then in module BTF.
 * Returns its id and sets *@btf (and *@module: NULL for vmlinux), or a
 * negative errno.
 */
int kernel_btf_find(const char *name, int kind, const struct btf **btf,
		    const char **module);
/* free everything loaded by the functions above */
void kernel_btf_free(void);

/* a BTF FUNC (a function in BTF; not proof that it can be attached) */
bool btf_func_exists(const char *func);
/* the btf_trace_<tp> typedef: the tracepoint can be used with tp_btf */
bool tp_btf_exists(const char *tp);
/* the number of arguments of tracepoint @tp (TP_PROTO), or -ENOENT */
int tp_btf_nr_args(const char *tp);
/* struct @st has a member called @member (only direct members) */
/* argument @arg (0: the first of TP_PROTO) of tracepoint @tp is a struct @st * */
bool tp_btf_arg_is_struct_ptr(const char *tp, int arg, const char *st);
bool btf_struct_has_member(const char *st, const char *member);
long btf_member_offset(const char *type, int kind, const char *member);
/* the value of enumerator @name in any kernel enum; 0 or -ENOENT */
int btf_enum_value(const char *name, long long *val);

struct btf_enum_entry {
	const char *name;	/* valid until kernel_btf_free() */
	long long value;
};
/*
 * The enumerators of the named enum @enum_name (up to @max); returns how
 * many, or -ENOENT.
 */
int btf_enum_entries(const char *enum_name, struct btf_enum_entry *ents,
		     int max);

/* ---- attach probes ---- */

/*
 * 0 if this process may load tracing BPF programs (a map and a trivial
 * raw_tracepoint program load), else -EPERM (or another -errno).
 */
int bpf_privilege_check(void);
/*
 * 1 if an fentry program can be loaded and attached to kernel function
 * @func (a real 2-insn trial), 0 if not, -EPERM if the load or attach was
 * refused with EPERM/EACCES: without privileges, or (after
 * bpf_privilege_check() passed) a kernel policy such as an LSM.
 * Note: a function that is also inlined at some call sites is attachable,
 * but only its out-of-line calls are seen.
 */
int fentry_can_attach(const char *func);

/* a Y/N (or 1/0) sysfs file: 1, 0, or -1 if unreadable */
int sysfs_read_bool(const char *path);

/* ---- log2 histograms ----
 *
 * Slot layout (hist_slot() in bpf/bits.bpf.h): slot 0 counts the value 0,
 * slot k >= 1 counts [2^(k-1), 2^k - 1].
 */
void hist_slot_range(int slot, unsigned long long *lo, unsigned long long *hi);
/*
 * Print "lo -> hi : count |****|" rows, first to last non-empty slot, each
 * indented by @indent spaces.  The last slot is open-ended (hist_slot()
 * clamps to it), so its upper bound prints as "inf".
 */
void print_log2_hist(FILE *f, const __u64 *slots, int nr_slots,
		     const char *unit, int indent);
/* [{"lo":..,"hi":..,"count":..}, ...] for the non-empty slots */
void json_log2_hist(struct json *j, const __u64 *slots, int nr_slots);
unsigned long long hist_total(const __u64 *slots, int nr_slots);

/* ---- misc ---- */

/*
 * Parse a decimal integer in [@min, @max]; the whole string must be a
 * number.  Returns 0, or -EINVAL / -ERANGE.
 */
int parse_ulong(const char *s, unsigned long min, unsigned long max,
		unsigned long *out);
/* uname -r */
const char *kernel_release(void);

#endif /* __TOOLS_TRACE_HELPERS_H */

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ksyms.h - kernel symbols from /proc/kallsyms, for symbolizing stack traces
 * and for finding the address of a (possibly static) kernel object.
 */
#ifndef __TOOLS_KSYMS_H
#define __TOOLS_KSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ksym {
	uint64_t addr;
	const char *name;
	const char *module;	/* NULL for vmlinux, "bpf" for BPF programs */
	char type;		/* kallsyms type letter: 't', 'T', 'd', ... */
};

struct ksyms;

/*
 * Load @path (NULL: /proc/kallsyms).  Returns NULL with errno set on
 * failure.  If every address reads as zero (kptr_restrict, no privileges)
 * the table is still returned but ksyms__addrs_hidden() reports it.
 */
struct ksyms *ksyms__load(const char *path);
void ksyms__free(struct ksyms *ks);

size_t ksyms__count(const struct ksyms *ks);
bool ksyms__addrs_hidden(const struct ksyms *ks);

/*
 * The symbol that contains @addr: the highest symbol at or below @addr
 * whose successor lies above @addr.  NULL if @addr is below the first
 * symbol or at/after the last one (no size is known for the last).
 */
const struct ksym *ksyms__map_addr(const struct ksyms *ks, uint64_t addr);

/* The first symbol named @name (any module); NULL if absent. */
const struct ksym *ksyms__get_symbol(const struct ksyms *ks, const char *name);

/*
 * Format @addr as "name+0xoff" (or "name+0xoff [module]"), or as
 * "0x<hex>" when unknown.  Returns @buf.
 */
char *ksyms__format(const struct ksyms *ks, uint64_t addr, char *buf,
		    size_t len);

#endif /* __TOOLS_KSYMS_H */

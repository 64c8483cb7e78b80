// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ksyms.c - a sorted table of /proc/kallsyms.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksyms.h"

struct ksyms {
	struct ksym *syms;
	size_t nr, cap;
	char *strs;		/* names and module names, NUL-separated */
	size_t strs_len, strs_cap;
	bool hidden;
};

static long add_str(struct ksyms *ks, const char *s)
{
	size_t n = strlen(s) + 1;
	long off;

	if (ks->strs_len + n > ks->strs_cap) {
		size_t cap = ks->strs_cap ? ks->strs_cap * 2 : 1 << 20;
		char *p;

		while (cap < ks->strs_len + n)
			cap *= 2;
		p = realloc(ks->strs, cap);
		if (!p)
			return -1;
		ks->strs = p;
		ks->strs_cap = cap;
	}
	off = ks->strs_len;
	memcpy(ks->strs + off, s, n);
	ks->strs_len += n;
	return off;
}

static int cmp_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* keep the order stable enough: prefer global names */
	return (y->type == 'T') - (x->type == 'T');
}

struct ksyms *ksyms__load(const char *path)
{
	struct ksyms *ks;
	char line[512], name[256], mod[128];
	FILE *f;
	size_t i;

	f = fopen(path ? path : "/proc/kallsyms", "re");
	if (!f)
		return NULL;
	ks = calloc(1, sizeof(*ks));
	if (!ks)
		goto err;
	ks->hidden = true;

	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		char type;
		long noff, moff = -1;
		int n;

		mod[0] = '\0';
		n = sscanf(line, "%llx %c %255s [%127[^]]]", &addr, &type, name,
			   mod);
		if (n < 3)
			continue;
		if (addr)
			ks->hidden = false;
		if (ks->nr == ks->cap) {
			size_t cap = ks->cap ? ks->cap * 2 : 65536;
			struct ksym *p = realloc(ks->syms, cap * sizeof(*p));

			if (!p)
				goto err;
			ks->syms = p;
			ks->cap = cap;
		}
		noff = add_str(ks, name);
		if (noff < 0)
			goto err;
		if (n == 4) {
			moff = add_str(ks, mod);
			if (moff < 0)
				goto err;
		}
		/* stash offsets; turned into pointers once strs stops moving */
		ks->syms[ks->nr].addr = addr;
		ks->syms[ks->nr].name = (const char *)(uintptr_t)noff;
		ks->syms[ks->nr].module = (const char *)(intptr_t)moff;
		ks->syms[ks->nr].type = type;
		ks->nr++;
	}
	fclose(f);
	f = NULL;

	for (i = 0; i < ks->nr; i++) {
		intptr_t moff = (intptr_t)ks->syms[i].module;

		ks->syms[i].name = ks->strs + (uintptr_t)ks->syms[i].name;
		ks->syms[i].module = moff < 0 ? NULL : ks->strs + moff;
	}
	qsort(ks->syms, ks->nr, sizeof(*ks->syms), cmp_addr);
	return ks;

err:
	if (f)
		fclose(f);
	ksyms__free(ks);
	errno = errno ? errno : ENOMEM;
	return NULL;
}

void ksyms__free(struct ksyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->strs);
	free(ks);
}

size_t ksyms__count(const struct ksyms *ks)
{
	return ks ? ks->nr : 0;
}

bool ksyms__addrs_hidden(const struct ksyms *ks)
{
	return !ks || ks->hidden;
}

const struct ksym *ksyms__map_addr(const struct ksyms *ks, uint64_t addr)
{
	size_t lo = 0, hi;

	if (!ks || !ks->nr || ks->hidden || addr < ks->syms[0].addr)
		return NULL;
	hi = ks->nr;
	/* find the last index with syms[i].addr <= addr */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	/* several names may share an address: take the first of them */
	while (lo > 0 && ks->syms[lo - 1].addr == ks->syms[lo].addr)
		lo--;
	{
		size_t next = lo + 1;

		while (next < ks->nr && ks->syms[next].addr == ks->syms[lo].addr)
			next++;
		if (next >= ks->nr)
			return NULL;	/* past the last symbol: size unknown */
	}
	return &ks->syms[lo];
}

const struct ksym *ksyms__get_symbol(const struct ksyms *ks, const char *name)
{
	size_t i;

	if (!ks)
		return NULL;
	for (i = 0; i < ks->nr; i++)
		if (!strcmp(ks->syms[i].name, name))
			return &ks->syms[i];
	return NULL;
}

char *ksyms__format(const struct ksyms *ks, uint64_t addr, char *buf,
		    size_t len)
{
	const struct ksym *s = ksyms__map_addr(ks, addr);

	if (!s)
		snprintf(buf, len, "0x%" PRIx64, addr);
	else if (s->module)
		snprintf(buf, len, "%s+0x%" PRIx64 " [%s]", s->name,
			 addr - s->addr, s->module);
	else
		snprintf(buf, len, "%s+0x%" PRIx64, s->name, addr - s->addr);
	return buf;
}

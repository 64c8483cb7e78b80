// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lockstat: call sites: the site table, stacks, callers and their output */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lockstat-int.h"
#include "lockstat.skel.h"
#include "cli.h"
#include "json.h"
#include "ksyms.h"

/* ------------------------------------------------------------------ */
/* the call-site table                                                 */

struct site_tab prev_sites, cur_sites;

static size_t site_hash(const struct ls_site_key *k, size_t cap)
{
	__u64 h = k->stack * 0x9e3779b97f4a7c15ULL;

	h ^= ((__u64)k->vm_id << 1 | k->mode) * 0xff51afd7ed558ccdULL;
	return (h ^ (h >> 31)) & (cap - 1);
}

static bool key_eq(const struct ls_site_key *a, const struct ls_site_key *b)
{
	return a->vm_id == b->vm_id && a->mode == b->mode &&
	       a->stack == b->stack;
}

static struct site_ent *site_find(struct site_tab *t,
				  const struct ls_site_key *k, bool add)
{
	size_t i = site_hash(k, t->cap), n;

	for (n = 0; n < t->cap; n++, i = (i + 1) & (t->cap - 1)) {
		struct site_ent *e = &t->e[i];

		if (!e->used) {
			if (!add)
				return NULL;
			e->used = true;
			e->key = *k;
			return e;
		}
		if (key_eq(&e->key, k))
			return e;
	}
	return NULL;
}

int site_tab_init(struct site_tab *t)
{
	t->cap = 2 * SITES_ENTRIES;	/* power of two, load <= 0.5 */
	t->e = calloc(t->cap, sizeof(*t->e));
	return t->e ? 0 : -ENOMEM;
}

void read_sites(void)
{
	struct ls_site_key key, next, *kp = NULL;
	int fd = bpf_map__fd(skel->maps.sites);
	struct ls_site val;
	struct site_ent *e;

	memset(cur_sites.e, 0, cur_sites.cap * sizeof(*cur_sites.e));
	while (!bpf_map_get_next_key(fd, kp, &next)) {
		key = next;
		kp = &key;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		e = site_find(&cur_sites, &key, true);
		if (e)
			e->val = val;
	}
}

void forget_vm_sites(__u32 vm_id)
{
	struct ls_site_key key, next, *kp = NULL;
	int fd = bpf_map__fd(skel->maps.sites);
	struct ls_site_key *del;
	size_t n = 0, cap = 256;

	del = malloc(cap * sizeof(*del));
	if (!del)
		return;
	while (!bpf_map_get_next_key(fd, kp, &next)) {
		key = next;
		kp = &key;
		if (key.vm_id != vm_id)
			continue;
		if (n == cap) {
			struct ls_site_key *p = realloc(del, 2 * cap * sizeof(*p));

			if (!p)
				break;
			del = p;
			cap *= 2;
		}
		del[n++] = key;
	}
	while (n--)
		bpf_map_delete_elem(fd, &del[n]);
	free(del);
}

/* ------------------------------------------------------------------ */
/* call sites                                                          */

static bool internal_frame(const char *name)
{
	static const char *const prefixes[] = {
		"bpf_", "__bpf_", "_raw_", "__raw_", "queued_", "do_raw_",
		"lock_acquire", "lock_acquired", "lock_contended",
		"lock_release", "__lock_acquire", "__cond_resched_rwlock",
		"__traceiter_", "__probestub_",
	};
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* index of the first frame outside BPF and the lock code, or -1 */
static int caller_index(const __u64 *ips, int n)
{
	int i;

	for (i = 0; i < n && ips[i]; i++) {
		const struct ksym *s = ksyms__map_addr(ksyms, ips[i]);

		if (!s || s->module || internal_frame(s->name))
			continue;
		return i;
	}
	return -1;
}

static bool stack_lookup(__u64 hash, struct ls_stack *st)
{
	if (!hash)
		return false;
	return !bpf_map_lookup_elem(bpf_map__fd(skel->maps.stack_text), &hash,
				    st);
}

void collect_sites(__u32 vm_id, int mode, __u64 prev_epoch,
		   struct callsites *cs, bool by_hold, bool cumulative)
{
	size_t i, k;

	cs->n = 0;
	cs->cumulative = cumulative;
	for (i = 0; i < cur_sites.cap; i++) {
		struct site_ent *e = &cur_sites.e[i], *p;
		struct ls_site d;
		struct ls_stack st;
		struct callsite *c = NULL;
		__u64 caller = 0, weight;
		int ci;

		if (!e->used || e->key.vm_id != vm_id || e->key.mode != (__u32)mode)
			continue;
		d = e->val;
		p = cumulative ? NULL : site_find(&prev_sites, &e->key, false);
		if (p) {
			d.acquired -= p->val.acquired;
			d.contended -= p->val.contended;
			d.wait_total -= p->val.wait_total;
			d.hold_total -= p->val.hold_total;
		}
		if (!d.acquired && !d.contended)
			continue;
		if (stack_lookup(e->key.stack, &st)) {
			ci = caller_index(st.ips, LS_MAX_STACK_DEPTH);
			caller = ci >= 0 ? st.ips[ci] : 0;
		}
		for (k = 0; k < cs->n; k++)
			if (cs->v[k].caller == caller) {
				c = &cs->v[k];
				break;
			}
		if (!c) {
			if (cs->n == cs->cap) {
				size_t cap = cs->cap ? cs->cap * 2 : 64;
				struct callsite *nv = realloc(cs->v, cap * sizeof(*nv));

				if (!nv)
					return;
				cs->v = nv;
				cs->cap = cap;
			}
			c = &cs->v[cs->n++];
			memset(c, 0, sizeof(*c));
			c->caller = caller;
		}
		c->acquired += d.acquired;
		c->contended += d.contended;
		c->wait_total += d.wait_total;
		c->hold_total += d.hold_total;
		if (d.hold_max[prev_epoch & 1].epoch == prev_epoch &&
		    d.hold_max[prev_epoch & 1].val > c->hold_max)
			c->hold_max = d.hold_max[prev_epoch & 1].val;
		weight = by_hold ? d.hold_total : d.wait_total;
		if (!c->top_stack || weight > c->top_weight) {
			c->top_stack = e->key.stack;
			c->top_weight = weight;
		}
	}
}

static bool sort_by_hold;

static int cmp_callsite(const void *a, const void *b)
{
	const struct callsite *x = a, *y = b;
	__u64 wx = sort_by_hold ? x->hold_total : x->wait_total;
	__u64 wy = sort_by_hold ? y->hold_total : y->wait_total;

	if (wx != wy)
		return wx < wy ? 1 : -1;
	if (x->acquired != y->acquired)
		return x->acquired < y->acquired ? 1 : -1;
	return x->contended < y->contended ? 1 : (x->contended > y->contended ? -1 : 0);
}

/* ------------------------------------------------------------------ */
/* output                                                              */

char *fmt_ns(__u64 ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.3fs", ns / 1e9);
	return buf;
}

static void print_frames(const struct ls_stack *st, int from, int indent)
{
	char buf[256];
	int i, n = 0, limit = cli.verbose ? LS_MAX_STACK_DEPTH : 2;

	for (i = from; i < LS_MAX_STACK_DEPTH && st->ips[i] && n < limit;
	     i++, n++)
		printf("%*s<- %s\n", indent, "",
		       ksyms__format(ksyms, st->ips[i], buf, sizeof(buf)));
}

void text_callsites(struct callsites *cs, int mode, bool by_hold)
{
	char b1[32], b2[32], b3[32], sym[256];
	size_t i, n;

	if (!cs->n || !env.nstacks)
		return;
	sort_by_hold = by_hold;
	qsort(cs->v, cs->n, sizeof(*cs->v), cmp_callsite);
	n = cs->n < (size_t)env.nstacks ? cs->n : (size_t)env.nstacks;
	printf("  top %s call sites by %s time:\n", mode_names[mode],
	       by_hold ? "hold" : "wait");
	if (by_hold)
		printf("    %10s %9s %9s %9s %10s  %s\n", "hold-total", "acq",
		       "hold-max", "contended", "wait-total", "caller");
	else
		printf("    %9s %10s  %s\n", "contended", "wait-total", "caller");
	for (i = 0; i < n; i++) {
		struct callsite *c = &cs->v[i];
		struct ls_stack st;
		int indent;

		if (c->caller)
			ksyms__format(ksyms, c->caller, sym, sizeof(sym));
		else
			snprintf(sym, sizeof(sym), "[unknown stack]");
		if (by_hold) {
			printf("    %10s %9llu %9s %9llu %10s  %s\n",
			       fmt_ns(c->hold_total, b1, sizeof(b1)),
			       (unsigned long long)c->acquired,
			       fmt_ns(c->hold_max, b2, sizeof(b2)),
			       (unsigned long long)c->contended,
			       fmt_ns(c->wait_total, b3, sizeof(b3)), sym);
			indent = 57;
		} else {
			printf("    %9llu %10s  %s\n",
			       (unsigned long long)c->contended,
			       fmt_ns(c->wait_total, b3, sizeof(b3)), sym);
			indent = 26;
		}
		if (c->caller && stack_lookup(c->top_stack, &st)) {
			int ci = caller_index(st.ips, LS_MAX_STACK_DEPTH);

			if (ci >= 0)
				print_frames(&st, ci + 1, indent);
		}
	}
}

void json_callsites(struct json *j, struct callsites *cs, bool by_hold)
{
	char sym[256];
	size_t i, n;
	int k;

	sort_by_hold = by_hold;
	if (cs->n)
		qsort(cs->v, cs->n, sizeof(*cs->v), cmp_callsite);
	n = cs->n < (size_t)env.nstacks ? cs->n : (size_t)env.nstacks;
	json_key(j, "callsites");
	json_begin_array(j);
	for (i = 0; i < n; i++) {
		struct callsite *c = &cs->v[i];
		struct ls_stack st;

		json_begin_object(j);
		if (c->caller) {
			json_kv_string(j, "caller", ksyms__format(ksyms, c->caller,
							sym, sizeof(sym)));
			snprintf(sym, sizeof(sym), "0x%llx",
				 (unsigned long long)c->caller);
			json_kv_string(j, "caller_addr", sym);
		} else {
			json_kv_null(j, "caller");
			json_kv_null(j, "caller_addr");
		}
		json_kv_u64(j, "acquired", c->acquired);
		json_kv_u64(j, "contended", c->contended);
		json_kv_u64(j, "wait_total_ns", c->wait_total);
		if (by_hold) {
			json_kv_u64(j, "hold_total_ns", c->hold_total);
			json_kv_u64_or_null(j, "hold_max_ns", !cs->cumulative,
					    c->hold_max);
		}
		json_key(j, "stack");
		json_begin_array(j);
		if (stack_lookup(c->top_stack, &st)) {
			int ci = caller_index(st.ips, LS_MAX_STACK_DEPTH);

			for (k = ci < 0 ? 0 : ci; k < LS_MAX_STACK_DEPTH &&
			     st.ips[k]; k++)
				json_string(j, ksyms__format(ksyms, st.ips[k],
							     sym, sizeof(sym)));
		}
		json_end_array(j);
		json_end_object(j);
	}
	json_end_array(j);
}

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * lockstat-int.h - what lockstat's source files share: types, globals and
 * functions of lockstat.c, probes.c, sites.c, report.c and openmetrics.c.
 * Private to tools/lockstat/; bpf/lockstat.h has the types of the BPF side.
 */
#ifndef __LOCKSTAT_INT_H
#define __LOCKSTAT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "lockstat.h"
#include "vmname.h"

struct json;
struct ksyms;
struct lockstat_bpf;

#define TOOL "lockstat"

#define HOLDS_ENTRIES	4096
#define SITES_ENTRIES	16384
#define STACKS_ENTRIES	8192

/* lockstat.c */

/* the common options (-p, -j, -v, -d, ...) are in cli (cli.h) */
struct env {
	int nstacks;
	int source;		/* -1: auto */
};
extern struct env env;

extern const char *source_names[];
extern const char *drop_names[LS_DROP_NR];
extern const char *mode_names[LS_NR_MODES];

/* -s keys: name and pid first (cli.h), then largest first, both modes */
enum { SORT_NAME, SORT_PID, SORT_WAIT, SORT_HOLD, SORT_ACQ, SORT_CONTENDED };

/* probes.c */

enum probe_kind { P_FENTRY, P_FEXIT, P_FENTRY_FEXIT, P_TP_BTF };

struct probe {
	const char *target;
	enum probe_kind kind;
	const char *role;
	bool ok;
	const char *why;	/* when !ok */
};

enum {
	PR_WRITE_LOCK, PR_READ_LOCK, PR_WRITE_UNLOCK, PR_READ_UNLOCK,
	PR_WRITE_LOCK_NESTED, PR_WRITE_TRYLOCK, PR_READ_TRYLOCK,
	PR_CONT_BEGIN, PR_CONT_END, PR_LOCK_CONTENDED,
	PR_VM_CREATE, PR_VM_FREE, PR_VM_DESTROY,
	PR_NR,
};

struct features {
	bool kvm_btf;
	const char *kvm_btf_where;
	long dep_map_off;		/* -1: rwlock_t has no dep_map */
	__u64 vm_fops, vcpu_fops;	/* from kallsyms, 0 if unknown */
	bool iter_task_file;
	bool hold_ok, raw_wait_ok, lockdep_wait_ok, cont_ok;
	int source;			/* chosen, -1 if none */
	const char *source_why;		/* why nothing (better) was chosen */
	const char *raw_why, *lockdep_why;
};

extern struct probe probes[PR_NR];
extern struct features feat;
extern struct lockstat_bpf *skel;
extern struct ksyms *ksyms;

bool have_caps(void);
void probe_features(void);
bool source_has_wait(int src);
bool source_has_hold(int src);
void json_features(struct json *j);
void print_features(FILE *f, bool brief);
int load_skel(bool stacks);
int setup_bpf(void);
void detach_all(void);
void scan_vms(void);
void expire_unseen_vms(void);

/* sites.c */

/* call-site counters: open-addressing table, rebuilt every report */
struct site_ent {
	struct ls_site_key key;
	struct ls_site val;
	bool used;
};

struct site_tab {
	struct site_ent *e;
	size_t cap;
};

struct callsite {
	__u64 caller;		/* 0: unknown */
	__u64 acquired, contended, wait_total, hold_total, hold_max;
	__u64 top_stack;	/* the heaviest stack of this caller */
	__u64 top_weight;
};

struct callsites {
	struct callsite *v;
	size_t n, cap;
	bool cumulative;	/* since the VM was found: no hold maximum */
};

extern struct site_tab prev_sites, cur_sites;

int site_tab_init(struct site_tab *t);
void read_sites(void);
void forget_vm_sites(__u32 vm_id);
void collect_sites(__u32 vm_id, int mode, __u64 prev_epoch,
		   struct callsites *cs, bool by_hold, bool cumulative);
char *fmt_ns(__u64 ns, char *buf, size_t len);
void text_callsites(struct callsites *cs, int mode, bool by_hold);
void json_callsites(struct json *j, struct callsites *cs, bool by_hold);

/* report.c */

struct mode_delta {
	__u64 acquired, contended, wait_total, hold_count, hold_total;
	__u64 wait_max, hold_max;
	__u64 wait_hist[LS_HIST_SLOTS], hold_hist[LS_HIST_SLOTS];
};

struct report {
	__u64 prev_epoch;
	__u64 interval_ns;
	__u64 run_ns;		/* since tracing started */
	bool final;
	struct mode_delta total[LS_NR_MODES];
	__u64 drops[LS_DROP_NR];
	__u64 misses;
	int nvms;
};

struct vm_row {
	int slot;
	struct ls_vm vm;
	struct mode_delta d[LS_NR_MODES];
	struct mode_delta cum[LS_NR_MODES];	/* since the VM was found */
	char name[VM_NAME_LEN];
	bool gone;	/* --prom: exited in an earlier report, slot freed */
};

extern struct json *jw;
extern struct callsites cs_buf;

void read_drops(__u64 *out);
void free_slot(int slot, __u32 vm_id);
void report(struct report *r);

/* openmetrics.c */

void write_prom(const struct vm_row *rows, int n,
		const struct report *r, bool wait, bool hold);

#endif /* __LOCKSTAT_INT_H */

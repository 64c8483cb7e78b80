/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * trace-fastpf's user-space parts, shared by its files: the probes and
 * metrics (probes.c, features.c), the VM records (vms.c) and the reports
 * (report.c, report-json.c, openmetrics.c).  Not an API.
 */
#ifndef TRACE_FASTPF_INT_H
#define TRACE_FASTPF_INT_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "trace-fastpf.h"
#include "trace-fastpf.skel.h"
#include "cli.h"
#include "errors.h"
#include "feature_report.h"
#include "json.h"
#include "prom.h"
#include "trace_helpers.h"
#include "vmname.h"
#include "vmscan.h"

#define TOOL "trace-fastpf"

/* probes.c: the BPF programs, each attached if this kernel offers it */
enum probe_id {
	P_FAST, P_PASS, P_SPTEP_TDP, P_SPTEP_LEGACY, P_RETRY,
	P_INV_BEGIN_TP, P_INV_END_TP, P_INV_BEGIN_FN, P_INV_END_FN,
	P_WRPROT, P_PF_ENTRY, P_PF_EXIT, P_NOTIFY_UNMAP, P_NOTIFY_AGE,
	P_NOTIFY_TEST_AGE, P_CREATE, P_DESTROY, P_NR,
};

struct probe {
	const char *desc;
	struct bpf_program *prog;
	bool want;		/* passed the pre-load checks */
	struct bpf_link *link;	/* attached (NULL again after detach_probes()) */
	bool attached;		/* was attached: stays set after the detach */
	char why[160];		/* why not wanted / not attached */
	/* runs the kernel skipped (bpf_prog_info.recursion_misses): an
	 * fentry program preempted on a CPU blocks itself there */
	__u64 misses_cur, misses_prev;
};

/* raw enum value -> display name, resolved from BTF by enumerator name */
struct enum_names {
	char *name[FPF_ENUM_SLOTS];
	bool resolved;
};

extern struct probe probes[P_NR];
extern struct enum_names outcome_names, reason_names, source_names;
extern long long ret_pf_fixed, ret_pf_spurious;
extern long long outcome_fixed, outcome_spurious, outcome_cmpxchg;
extern char ret_pf_src[64];
extern bool full_mode;
extern int tdp_mmu, tdp_on;
extern bool pf_code_is_ept;
extern bool scan_supported;
extern __u64 scan_vm_fops, scan_vcpu_fops;
extern struct bpf_link *scan_link;
extern const char *const notify_names[FPF_NOTIFY_NR];

void resolve_ret_pf(void);
void detect(void);
bool attached(int p);
void detach_probes(void);
void set_why(int p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* features.c: what each metric is built from, or why it is n/a */
enum metric_id {
	M_FAST, M_PASSES, M_RETRIES, M_CMPXCHG, M_SLOW_OUTCOME, M_STALE,
	M_INVAL, M_INVAL_SRC, M_SEQ, M_WRPROT, M_LATENCY, M_WP_FAULTS, M_MMU,
	M_NOTIFY, M_DISCOVERY, M_TEARDOWN, M_NR,
};

struct metric {
	const char *name;
	bool live;
	char info[320];	/* source if live, reason if not */
};

extern struct metric metrics[M_NR];
#define live(m) (metrics[m].live)

void set_metric(int m, bool is_live, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool scan_expires(void);
void decide_metrics(void);
const char *mode_name(void);
void print_features(FILE *f, struct json *j, bool brief);

/* vms.c: what the maps held at the last read, and at the one before */
struct vcpu_rec {
	__u32 vcpu_id;
	struct fpf_vcpu cur, prev;
};

struct vm_rec {
	__u64 kvm;
	int id;
	bool have_vm;		/* a vms map entry exists */
	bool retired;		/* VM destroyed, entries deleted */
	bool gone;		/* no longer found by the VM scan */
	struct fpf_vm cur, prev;
	/* mmu notifier events of its VMM process, given to it by user space */
	__u64 notify_cur[FPF_NOTIFY_NR], notify_prev[FPF_NOTIFY_NR];
	struct vcpu_rec *vcpus;
	int nr_vcpus, cap_vcpus;
	char name[VM_NAME_LEN];	/* taken once the pid is known: stable */
	char comm[16];		/* taken with the name */
};

extern struct vm_rec **vm_recs;
extern int nr_vm_recs;
extern __u64 drops_cur[FPF_DROP_NR], drops_prev[FPF_DROP_NR];
extern __u64 notify_other_cur[FPF_NOTIFY_NR], notify_other_prev[FPF_NOTIFY_NR];
extern int nr_cpus;
extern const char *drop_names[FPF_DROP_NR];

bool rec_dead(const struct vm_rec *r);
void *xrealloc(void *p, size_t n);
struct vm_rec *vm_rec_get(__u64 kvm);
struct vcpu_rec *vcpu_rec_get(struct vm_rec *vm, __u32 vcpu_id);
int read_maps(struct trace_fastpf_bpf *obj);
void scan_vms(struct trace_fastpf_bpf *obj);
void expire_unseen_vms(struct trace_fastpf_bpf *obj);
void retire_dead_vms(struct trace_fastpf_bpf *obj);
void vcpu_delta(struct fpf_vcpu *d, const struct fpf_vcpu *a,
		const struct fpf_vcpu *b);
void vm_delta(struct fpf_vm *d, const struct fpf_vm *a,
	      const struct fpf_vm *b);
void vcpu_add(struct fpf_vcpu *sum, const struct fpf_vcpu *v);
__u64 sum_slots(const __u64 *a);
__u64 fixed_of(const struct fpf_vcpu *v);
__u64 spurious_of(const struct fpf_vcpu *v);
__u64 slow_of(const struct fpf_vcpu *v);
bool is_slow_outcome(int i);

/* report.c, report-json.c, openmetrics.c */
struct view {
	struct fpf_vm vm;	/* interval delta or cumulative */
	__u64 notify[FPF_NOTIFY_NR];	/* the VMM's notifier events */
	bool have_vm;
	__u64 seq_delta;
	struct fpf_vcpu all;	/* sum over vCPUs */
};

extern const char *const sort_keys[];
extern struct bpf_object *stats_obj;	/* --prog-stats: the loaded programs */

__u32 vm_pid(const struct vm_rec *r);
const char *rec_name(struct vm_rec *r);
const char *vm_mmu(const struct vm_rec *r);
bool notify_live(int k);
void make_view(struct view *v, struct vm_rec *r, bool cumulative);
void print_report(struct json *j, double secs, bool cumulative, bool final);
void snapshot_done(void);
void json_fault_counters(struct json *j, const struct fpf_vcpu *v);
void json_notify_counts(struct json *j, const char *key, bool ok,
			const __u64 *c);
void print_vm_json(struct json *j, struct vm_rec *r, const char *name,
		   const struct view *v, double secs, bool cumulative);
void write_prom(void);

#endif /* TRACE_FASTPF_INT_H */

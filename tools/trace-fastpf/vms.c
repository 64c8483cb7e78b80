// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* trace-fastpf: the VM and vCPU records, read from the BPF maps */
#include <signal.h>
#include "trace-fastpf-int.h"

/* destroyed (kvm_destroy_vm) or no longer found by the VM scan */
bool rec_dead(const struct vm_rec *r)
{
	return r->cur.dead || r->gone;
}

struct vm_rec **vm_recs;
int nr_vm_recs;
static int cap_vm_recs, next_vm_id;
__u64 drops_cur[FPF_DROP_NR], drops_prev[FPF_DROP_NR];
/* mmu notifier events of tasks that are not a known VMM */
__u64 notify_other_cur[FPF_NOTIFY_NR], notify_other_prev[FPF_NOTIFY_NR];
int nr_cpus;

const char *drop_names[FPF_DROP_NR] = {
	[FPF_DROP_VM] = "vm_map_full",
	[FPF_DROP_VCPU] = "vcpu_map_full",
	[FPF_DROP_THREAD] = "thread_map_full",
	[FPF_DROP_ENUM] = "enum_out_of_range",
	[FPF_DROP_NOTIFY] = "notify_map_full",
};

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		tool_die(TOOL, EXIT_RUNTIME, "out of memory");
	return p;
}

struct vm_rec *vm_rec_get(__u64 kvm)
{
	struct vm_rec *r;
	int i;

	for (i = 0; i < nr_vm_recs; i++)
		if (vm_recs[i]->kvm == kvm && !vm_recs[i]->retired)
			return vm_recs[i];
	if (nr_vm_recs == cap_vm_recs) {
		cap_vm_recs = cap_vm_recs ? cap_vm_recs * 2 : 16;
		vm_recs = xrealloc(vm_recs, cap_vm_recs * sizeof(*vm_recs));
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		tool_die(TOOL, EXIT_RUNTIME, "out of memory");
	r->kvm = kvm;
	r->id = ++next_vm_id;
	vm_recs[nr_vm_recs++] = r;
	return r;
}

struct vcpu_rec *vcpu_rec_get(struct vm_rec *vm, __u32 vcpu_id)
{
	struct vcpu_rec *v;
	int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].vcpu_id == vcpu_id)
			return &vm->vcpus[i];
	if (vm->nr_vcpus == vm->cap_vcpus) {
		vm->cap_vcpus = vm->cap_vcpus ? vm->cap_vcpus * 2 : 8;
		vm->vcpus = xrealloc(vm->vcpus,
				     vm->cap_vcpus * sizeof(*vm->vcpus));
	}
	/* keep vCPUs sorted by id */
	for (i = vm->nr_vcpus; i > 0 && vm->vcpus[i - 1].vcpu_id > vcpu_id; i--)
		vm->vcpus[i] = vm->vcpus[i - 1];
	v = &vm->vcpus[i];
	memset(v, 0, sizeof(*v));
	v->vcpu_id = vcpu_id;
	vm->nr_vcpus++;
	return v;
}

static void read_misses(void)
{
	struct bpf_prog_info info;
	__u32 len;
	int i;

	for (i = 0; i < P_NR; i++) {
		if (!attached(i))
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(bpf_program__fd(probes[i].prog),
					    &info, &len))
			probes[i].misses_cur = info.recursion_misses;
	}
}

/* the sum over CPUs of each of @n slots of a per-CPU array */
static void read_percpu(int fd, __u64 *out, __u32 n, __u64 *percpu)
{
	__u32 i;
	int c;

	for (i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(fd, &i, percpu))
			continue;
		out[i] = 0;
		for (c = 0; c < nr_cpus; c++)
			out[i] += percpu[c];
	}
}

/* a process's notifier counts as last read from the notify map */
struct notify_seen {
	__u32 tgid;
	__u64 n[FPF_NOTIFY_NR];
};

static struct notify_seen *seen;
static int nr_seen, cap_seen;

static struct notify_seen *seen_get(__u32 tgid)
{
	int i;

	for (i = 0; i < nr_seen; i++)
		if (seen[i].tgid == tgid)
			return &seen[i];
	if (nr_seen == cap_seen) {
		cap_seen = cap_seen ? cap_seen * 2 : 64;
		seen = xrealloc(seen, cap_seen * sizeof(*seen));
	}
	memset(&seen[nr_seen], 0, sizeof(seen[nr_seen]));
	seen[nr_seen].tgid = tgid;
	return &seen[nr_seen++];
}

/*
 * The VM of process @tgid that takes its notifier events: its oldest live
 * one, so that the choice does not move when the process adds a VM; else
 * one destroyed since the last report (its last events are its own).
 */
static struct vm_rec *notify_owner(__u32 tgid)
{
	int i;

	struct vm_rec *best = NULL;

	if (tgid == FPF_NOTIFY_HOST)
		return NULL;
	for (i = 0; i < nr_vm_recs; i++) {
		struct vm_rec *r = vm_recs[i];

		if (r->retired || !r->have_vm || vm_pid(r) != tgid)
			continue;
		if (!best || rec_dead(best) > rec_dead(r) ||
		    (rec_dead(best) == rec_dead(r) &&
		     r->cur.created_ns < best->cur.created_ns))
			best = r;
	}
	return best;
}

/*
 * Give each process's new notifier events to its oldest live VM, the
 * others to the host-wide count.  Entries of processes that are gone and
 * own no live VM are deleted once counted (they cannot run again).
 */
static void read_notify(struct trace_fastpf_bpf *obj)
{
	int fd = bpf_map__fd(obj->maps.notify);
	__u32 key, next, *prev = NULL, gone[64];
	struct fpf_notify_counts c;
	struct notify_seen *s;
	struct vm_rec *r;
	int i, nr_gone = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &c))
			continue;
		s = seen_get(key);
		r = notify_owner(key);
		for (i = 0; i < FPF_NOTIFY_NR; i++) {
			__u64 d = c.n[i] - s->n[i];

			if (r)
				r->notify_cur[i] += d;
			else
				notify_other_cur[i] += d;
			s->n[i] = c.n[i];
		}
		/* kill() asks our pid namespace: keys are the initial one's */
		if (!r && key != FPF_NOTIFY_HOST && nr_gone < 64 &&
		    vm_scan_sees_all() && kill(key, 0) && errno == ESRCH)
			gone[nr_gone++] = key;
	}
	for (i = 0; i < nr_gone; i++) {
		bpf_map_delete_elem(fd, &gone[i]);
		struct notify_seen *t = seen_get(gone[i]);

		/* a new process with that tgid starts from 0 */
		*t = seen[nr_seen - 1];
		nr_seen--;
	}
}

int read_maps(struct trace_fastpf_bpf *obj)
{
	int vms_fd = bpf_map__fd(obj->maps.vms);
	int vcpus_fd = bpf_map__fd(obj->maps.vcpus);
	struct fpf_vcpu_key vkey, *vprev = NULL;
	__u64 key, *prev = NULL;
	struct fpf_vcpu vval;
	struct fpf_vm val;
	__u64 *percpu;

	while (!bpf_map_get_next_key(vms_fd, prev, &key)) {
		prev = &key;
		if (bpf_map_lookup_elem(vms_fd, &key, &val))
			continue;	/* deleted meanwhile */
		struct vm_rec *r = vm_rec_get(key);

		r->cur = val;
		r->have_vm = true;
	}
	while (!bpf_map_get_next_key(vcpus_fd, vprev, &vkey)) {
		vprev = &vkey;
		if (bpf_map_lookup_elem(vcpus_fd, &vkey, &vval))
			continue;
		vcpu_rec_get(vm_rec_get(vkey.kvm), vkey.vcpu_id)->cur = vval;
	}

	read_misses();
	percpu = calloc(nr_cpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	read_percpu(bpf_map__fd(obj->maps.drops), drops_cur, FPF_DROP_NR,
		    percpu);
	free(percpu);
	read_notify(obj);
	return 0;
}

/* a pass that may have missed files: no VM is expired on its word */
static __u32 scan_failed_gen;

/* one pass of the VM scan: registers every VM with an open file */
void scan_vms(struct trace_fastpf_bpf *obj)
{
	if (!scan_link)
		return;
	obj->bss->scan_gen++;
	if (vm_scan_run(scan_link, TOOL))
		scan_failed_gen = obj->bss->scan_gen;
}

/*
 * Without a teardown probe: a VM that the two whole passes since it was
 * last found (or created, for one found by an event) did not find is
 * gone.  Two, not one: a pass may run before the VM's first file is
 * installed, or while a file moves between processes.
 */
void expire_unseen_vms(struct trace_fastpf_bpf *obj)
{
	__u32 gen = obj->bss->scan_gen;
	int i;

	if (!scan_expires())
		return;
	for (i = 0; i < nr_vm_recs; i++) {
		struct vm_rec *r = vm_recs[i];
		__u32 base = r->cur.scan_gen;

		/* whole passes only: count from the last failed one */
		if ((int)(scan_failed_gen - base) > 0)
			base = scan_failed_gen;
		if (!r->retired && r->have_vm && gen - base >= 2)
			r->gone = true;
	}
}

/* delete the map entries of destroyed VMs; their records stay for totals */
void retire_dead_vms(struct trace_fastpf_bpf *obj)
{
	int vms_fd = bpf_map__fd(obj->maps.vms);
	int vcpus_fd = bpf_map__fd(obj->maps.vcpus);
	struct fpf_vcpu_key vkey;
	int i, j;

	for (i = 0; i < nr_vm_recs; i++) {
		struct vm_rec *r = vm_recs[i];

		if (r->retired || !r->have_vm || !rec_dead(r))
			continue;
		for (j = 0; j < r->nr_vcpus; j++) {
			memset(&vkey, 0, sizeof(vkey));
			vkey.kvm = r->kvm;
			vkey.vcpu_id = r->vcpus[j].vcpu_id;
			bpf_map_delete_elem(vcpus_fd, &vkey);
		}
		bpf_map_delete_elem(vms_fd, &r->kvm);
		r->retired = true;
	}
}

/* ------------------------------------------------------------------ */
/* derived values                                                      */

/* a - b over the u64 counters of a struct, from field @from to the end */
#define SUB_COUNTERS(type, d, a, b, from)				\
	do {								\
		size_t _o = offsetof(type, from), _k;			\
		__u64 *_d = (__u64 *)((char *)(d) + _o);		\
		const __u64 *_a = (const __u64 *)((const char *)(a) + _o); \
		const __u64 *_b = (const __u64 *)((const char *)(b) + _o); \
		for (_k = 0; _k < (sizeof(type) - _o) / 8; _k++)	\
			_d[_k] = _a[_k] - _b[_k];			\
	} while (0)

void vcpu_delta(struct fpf_vcpu *d, const struct fpf_vcpu *a,
		       const struct fpf_vcpu *b)
{
	*d = *a;
	if (b)
		SUB_COUNTERS(struct fpf_vcpu, d, a, b, fast_calls);
}

void vm_delta(struct fpf_vm *d, const struct fpf_vm *a,
		     const struct fpf_vm *b)
{
	*d = *a;
	if (b)
		SUB_COUNTERS(struct fpf_vm, d, a, b, inval_begin);
}

void vcpu_add(struct fpf_vcpu *sum, const struct fpf_vcpu *v)
{
	size_t o = offsetof(struct fpf_vcpu, fast_calls), k;
	__u64 *s = (__u64 *)((char *)sum + o);
	const __u64 *a = (const __u64 *)((const char *)v + o);

	for (k = 0; k < (sizeof(*v) - o) / 8; k++)
		s[k] += a[k];
}

__u64 sum_slots(const __u64 *a)
{
	__u64 s = 0;
	int i;

	for (i = 0; i < FPF_ENUM_SLOTS; i++)
		s += a[i];
	return s;
}

__u64 fixed_of(const struct fpf_vcpu *v)
{
	return v->ret[ret_pf_fixed];
}

__u64 spurious_of(const struct fpf_vcpu *v)
{
	return v->ret[ret_pf_spurious];
}

/*
 * fast_page_fault() returns RET_PF_INVALID, _FIXED or _SPURIOUS only: every
 * other return is a fallback.  Summed from ret[] alone, not from
 * fast_calls, which BPF bumps first: a copy of the map taken in between
 * would count one fallback too many, and the next report one less.
 */
__u64 slow_of(const struct fpf_vcpu *v)
{
	__u64 s = 0;
	int i;

	for (i = 0; i < FPF_ENUM_SLOTS; i++)
		if (i != ret_pf_fixed && i != ret_pf_spurious)
			s += v->ret[i];
	return s;
}

bool is_slow_outcome(int i)
{
	return i != outcome_fixed && i != outcome_spurious;
}

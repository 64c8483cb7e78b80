// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lockstat.bpf.c - who holds and who waits for kvm->mmu_lock.
 *
 * Every hook below fires for every rwlock (or every lock) on the host, so
 * each one first checks the lock address against the small hash map of
 * watched mmu_lock addresses and returns at once on a miss.
 *
 * Acquisitions and holds (sources raw and lockdep):
 *   fentry _raw_{read,write}_lock   notes the entry time, as late as possible
 *                                   (this program runs preemptible, so it
 *                                   does as little as it can);
 *   fexit  _raw_{read,write}_lock   counts the acquisition and takes the
 *                                   caller's stack.  Preemption is off here
 *                                   (the lock is held), so this program is
 *                                   never skipped for recursion on behalf of
 *                                   mmu_lock, which no interrupt takes;
 *   fexit  _raw_*_trylock           successful trylocks;
 *   fentry _raw_{read,write}_unlock ends the hold.
 * A hold runs from lock() entry, or from the end of its wait if it had to
 * wait, to unlock(): the points /proc/lock_stat uses.  lock_stat's clock
 * starts after lock() disabled preemption; the entry program runs before,
 * so a thread switched out in between would count its time off the CPU as
 * holding.  Its hold starts at the exit of lock() instead.
 *
 * Waits:
 *   raw        lock:contention_begin/end (the queued rwlock slow path);
 *   lockdep    lock:lock_contended (a failed trylock, which is what
 *              /proc/lock_stat counts) to lock:contention_end if the slow
 *              path ran, else to the exit of lock(): close to where
 *              lockdep's lock_acquired() takes its time; CONFIG_LOCK_STAT;
 *   contention contention_begin/end only: no acquisitions or holds.
 *
 * Counters are cumulative; user space prints differences between snapshots.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "bits.bpf.h"
#include "maps.bpf.h"
#include "kvm_core.bpf.h"
#include "kvm_scan.bpf.h"
#include "lockstat.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* set by user space before load */
const volatile __u32 source = LS_SRC_RAW;
const volatile __u32 targ_tgid = 0;		/* 0: every VM            */
const volatile __u64 dep_map_off = 0;		/* offsetof(rwlock_t, dep_map) */
const volatile bool want_stacks = true;
/* frames to walk: the unwinder stops there, and its cost is per frame */
const volatile __u32 stack_frames = LS_MAX_STACK_DEPTH;

/* shared with user space through the mmapped .bss */
struct ls_vm vms[LS_MAX_VMS];
struct ls_mode_stats stats[LS_MAX_VMS][LS_NR_MODES];
__u32 slot_gen[LS_MAX_VMS];	/* bumped by user space when a slot is freed */
__u64 epoch;			/* interval number, advanced by user space   */
__u32 scan_gen;			/* iterator pass number, set by user space   */

/* watched lock address -> VM slot */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LS_MAX_VMS);
	__type(key, __u64);
	__type(value, struct ls_watch);
} watched SEC(".maps");

/* slot allocator: an insert with BPF_NOEXIST claims the slot */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LS_MAX_VMS);
	__type(key, __u32);
	__type(value, __u64);
} slot_owner SEC(".maps");

/* per (lock, thread): readers hold one lock concurrently */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);		/* resized by user space */
	__type(key, struct ls_hold_key);
	__type(value, struct ls_hold);
} holds SEC(".maps");

/* wait start; a spinning waiter stays on its CPU (preemption is off) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ls_wait);
} wait_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);		/* resized by user space */
	__type(key, struct ls_site_key);
	__type(value, struct ls_site);
} sites SEC(".maps");

/*
 * Stacks are stored by a 64-bit hash of their frames, not with
 * bpf_get_stackid(): a stack map drops every stack whose bucket collides
 * with another (-EEXIST) for good, which would hide a hot call site.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);		/* resized by user space */
	__type(key, __u64);
	__type(value, struct ls_stack);
} stack_text SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ls_stack);
} stack_buf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LS_DROP_NR);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

static __always_inline void drop(__u32 why)
{
	__u64 *c = bpf_map_lookup_elem(&drops, &why);

	if (c)
		*c += 1;
}

/*
 * Interval maximum.  Two CPUs may race on the reset or the store; the cost
 * is a slightly low maximum, never a wrong count.
 */
static __always_inline void max_update(struct ls_max *mx, __u64 val)
{
	__u64 e = epoch;
	struct ls_max *m = &mx[e & 1];

	if (m->epoch != e) {
		m->epoch = e;
		m->val = val;
	} else if (val > m->val) {
		m->val = val;
	}
}

/* kernel stack of the current context -> hash (0 if unavailable) */
static __always_inline __u64 get_stack(void *ctx)
{
	struct ls_stack *buf;
	__u32 zero = 0;
	__u64 h = 0xcbf29ce484222325ULL;
	long n, err;
	int i;

	if (!want_stacks)
		return 0;
	buf = bpf_map_lookup_elem(&stack_buf, &zero);
	if (!buf)
		return 0;
	/*
	 * Zero-fills what it does not use of the size it is given; the
	 * frames past stack_frames are never written and stay zero.
	 */
	n = bpf_get_stack(ctx, buf->ips, (stack_frames < LS_MAX_STACK_DEPTH ?
			  stack_frames : LS_MAX_STACK_DEPTH) * sizeof(__u64), 0);
	if (n <= 0) {
		drop(LS_DROP_STACK);
		return 0;
	}
	for (i = 0; i < LS_MAX_STACK_DEPTH; i++) {
		h ^= buf->ips[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	if (!h)
		h = 1;
	if (!bpf_map_lookup_elem(&stack_text, &h)) {
		err = bpf_map_update_elem(&stack_text, &h, buf, BPF_NOEXIST);
		if (err && err != -EEXIST)
			drop(LS_DROP_STACK_FULL);
	}
	return h;
}

static __always_inline struct ls_mode_stats *vm_stats(__u32 slot, __u32 mode)
{
	return &stats[slot & (LS_MAX_VMS - 1)][mode & 1];
}

static __always_inline __u32 cur_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

/* voluntary + involuntary context switches of the current thread */
static __always_inline __u64 cur_switches(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(t, nvcsw) + BPF_CORE_READ(t, nivcsw);
}

/* ------------------------------------------------------------------ */
/* VM discovery                                                        */

static __always_inline __u64 watch_key(const void *kvm)
{
	return kvm_core_mmu_lock_addr(kvm);
}

static __always_inline void register_vm(const void *kvm, __u32 tgid,
					const char *comm, __u32 how)
{
	struct ls_watch *w, nw;
	__u64 key, owner = (__u64)kvm;
	struct ls_vm *vm;
	__u32 i, slot = LS_MAX_VMS;

	if (!kvm)
		return;
	if (targ_tgid && tgid != targ_tgid)
		return;

	key = watch_key(kvm);
	w = bpf_map_lookup_elem(&watched, &key);
	if (w) {
		vm = &vms[w->slot & (LS_MAX_VMS - 1)];
		vm->scan_gen = scan_gen;
		/* set by KVM only after kvm_arch_init_vm() */
		if (vm->userspace_pid == 0)
			vm->userspace_pid = kvm_core_userspace_pid(kvm);
		return;
	}

	for (i = 0; i < LS_MAX_VMS; i++) {
		__u32 k = i;

		if (vms[i].kvm)
			continue;
		if (bpf_map_update_elem(&slot_owner, &k, &owner, BPF_NOEXIST))
			continue;
		slot = i;
		break;
	}
	if (slot >= LS_MAX_VMS) {
		drop(LS_DROP_VM_FULL);
		return;
	}

	vm = &vms[slot];
	vm->kvm = owner;
	vm->lock = key;
	vm->created_ns = bpf_ktime_get_ns();
	vm->dead_ns = 0;
	vm->vm_id = slot_gen[slot] * LS_MAX_VMS + slot + 1;
	vm->tgid = tgid;
	if (bpf_core_field_exists(struct kvm___core, userspace_pid))
		vm->userspace_pid = kvm_core_userspace_pid(kvm);
	else
		vm->userspace_pid = -1;
	vm->found_by = how;
	vm->scan_gen = scan_gen;
	bpf_probe_read_kernel_str(vm->comm, sizeof(vm->comm), comm);

	nw.slot = slot;
	nw.vm_id = vm->vm_id;
	if (bpf_map_update_elem(&watched, &key, &nw, BPF_NOEXIST)) {
		/* lost a race for the same VM, or the map is full */
		if (!bpf_map_lookup_elem(&watched, &key))
			drop(LS_DROP_WATCH_FULL);
		vm->kvm = 0;
		bpf_map_delete_elem(&slot_owner, &slot);
		return;
	}
	vm->state = LS_VM_LIVE;
}

static __always_inline void unregister_vm(const void *kvm)
{
	__u64 key = watch_key(kvm);
	struct ls_watch *w;
	struct ls_vm *vm;
	__u32 slot;

	w = bpf_map_lookup_elem(&watched, &key);
	if (!w)
		return;
	slot = w->slot & (LS_MAX_VMS - 1);
	bpf_map_delete_elem(&watched, &key);
	vm = &vms[slot];
	vm->dead_ns = bpf_ktime_get_ns();
	vm->state = LS_VM_DEAD;
}

/* KVM_CREATE_VM: runs before KVM takes mmu_lock for the first time */
SEC("fentry/kvm_arch_init_vm")
int BPF_PROG(ls_vm_create, void *kvm, unsigned long type)
{
	char comm[LS_COMM_LEN];

	bpf_get_current_comm(comm, sizeof(comm));
	register_vm(kvm, bpf_get_current_pid_tgid() >> 32, comm,
		    LS_FOUND_CREATE);
	return 0;
}

/* kvm_arch_free_vm(): the last step of teardown, also on creation failure */
SEC("fentry/kvm_arch_free_vm")
int BPF_PROG(ls_vm_free, void *kvm)
{
	unregister_vm(kvm);
	return 0;
}

/* fallback when kvm_arch_free_vm is not attachable: after kvm_destroy_vm */
SEC("fexit/kvm_destroy_vm")
int BPF_PROG(ls_vm_destroy, void *kvm)
{
	unregister_vm(kvm);
	return 0;
}

/*
 * Walk every task's open files for KVM VMs and vCPUs (kvm_scan.bpf.h).
 * Run once at start and once per interval.
 */
SEC("iter/task_file")
int ls_scan(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task;
	const void *kvm;

	kvm = kvm_scan_ctx(ctx, targ_tgid, &task);
	if (!kvm)
		return 0;

	register_vm(kvm, task->tgid, task->comm, LS_FOUND_SCAN);
	BPF_SEQ_PRINTF(seq, "%d %d %llx\n", task->tgid, ctx->fd, (__u64)kvm);
	return 0;
}

/* ------------------------------------------------------------------ */
/* acquisition, wait and hold                                          */

static __always_inline struct ls_hold *hold_get(struct ls_hold_key *hk)
{
	static const struct ls_hold zero;
	struct ls_hold *h;

	h = bpf_map_lookup_elem(&holds, hk);
	if (h)
		return h;
	/* first acquisition by this thread: insert (takes a bucket lock) */
	bpf_map_update_elem(&holds, hk, &zero, BPF_NOEXIST);
	h = bpf_map_lookup_elem(&holds, hk);
	if (!h)
		drop(LS_DROP_HOLD_FULL);
	return h;
}

static __always_inline void wait_done(struct ls_wait *ws, __u64 now)
{
	struct ls_mode_stats *st = vm_stats(ws->slot, ws->mode);
	__u64 delta = now - ws->ts;

	__sync_fetch_and_add(&st->contended, 1);
	__sync_fetch_and_add(&st->wait_total, delta);
	__sync_fetch_and_add(&st->wait_hist[hist_slot(delta, LS_HIST_SLOTS)], 1);
	max_update(st->wait_max, delta);
}

/* lock() entered: note the time, nothing else (this runs preemptible) */
static __always_inline void on_entry(__u64 lock, __u32 mode, __u32 tid)
{
	struct ls_hold_key hk = { .lock = lock, .tid = tid };
	struct ls_hold *h;

	if (!bpf_map_lookup_elem(&watched, &lock))
		return;
	h = hold_get(&hk);
	if (!h)
		return;
	h->wait_end = 0;
	h->wait = 0;
	h->mode = mode;
	h->entry_nsw = cur_switches();
	h->entry = bpf_ktime_get_ns();
}

/*
 * lock() returned (or a trylock succeeded): count it, take the stack.  In
 * the lockdep source a pending wait (lock_contended) ends here.
 */
static __always_inline void on_acquired(void *ctx, __u64 lock, __u32 mode,
					__u32 tid, bool trylock)
{
	struct ls_hold_key hk = { .lock = lock, .tid = tid };
	struct ls_mode_stats *st;
	struct ls_watch *w;
	struct ls_wait *ws;
	struct ls_hold *h;
	__u32 zero = 0;
	__u64 now, start;

	w = bpf_map_lookup_elem(&watched, &lock);
	if (!w)
		return;
	now = bpf_ktime_get_ns();

	st = vm_stats(w->slot, mode);
	__sync_fetch_and_add(&st->acquired, 1);

	h = hold_get(&hk);
	if (!h)
		return;
	if (trylock) {
		h->entry = 0;
		h->wait_end = 0;
	}

	ws = bpf_map_lookup_elem(&wait_start, &zero);
	if (ws && ws->lock == lock) {
		/*
		 * lockdep source: the wait ends where lock_acquired() runs,
		 * right after the slow path's contention_end if there was
		 * one, else (the lock was free again after the failed
		 * trylock) here.
		 */
		__u64 end = ws->end ? ws->end : now;

		ws->lock = 0;
		ws->mode = mode;
		wait_done(ws, end);
		h->wait_end = end;
		h->wait = end - ws->ts;
	}

	if (h->start)
		drop(LS_DROP_HOLD_STALE);
	/* wait_end is only set between this acquisition's entry and now */
	h->contended = h->wait_end != 0;
	if (h->wait_end) {
		start = h->wait_end;
	} else if (h->entry && h->entry_nsw != cur_switches()) {
		/* off the CPU before preempt_disable(): not a hold */
		start = now;
		drop(LS_DROP_ENTRY_PREEMPTED);
	} else if (h->entry) {
		start = h->entry;
	} else {
		start = now;
		if (!trylock)
			drop(LS_DROP_NO_ENTRY);
	}
	h->entry = 0;
	h->wait_end = 0;
	h->slot = w->slot;
	h->vm_id = w->vm_id;
	h->mode = mode;
	h->stack = get_stack(ctx);
	h->start = start;
}

static __always_inline void on_release(__u64 lock, __u32 tid)
{
	struct ls_hold_key hk = { .lock = lock, .tid = tid };
	struct ls_site_key sk = {};
	struct ls_site zero = {}, *s;
	struct ls_mode_stats *st;
	struct ls_hold *h;
	struct ls_watch *w;
	__u64 now, delta;

	w = bpf_map_lookup_elem(&watched, &lock);
	if (!w)
		return;
	h = bpf_map_lookup_elem(&holds, &hk);
	if (!h || !h->start || h->vm_id != w->vm_id) {
		drop(LS_DROP_NO_START);
		if (h)
			h->start = 0;
		return;
	}

	sk.vm_id = h->vm_id;
	sk.mode = h->mode;
	sk.stack = h->stack;
	s = lookup_or_try_init(&sites, &sk, &zero);

	/* as late as possible: lock_stat's release point follows this program */
	now = bpf_ktime_get_ns();
	delta = now - h->start;
	h->start = 0;

	st = vm_stats(h->slot, h->mode);
	__sync_fetch_and_add(&st->hold_count, 1);
	__sync_fetch_and_add(&st->hold_total, delta);
	__sync_fetch_and_add(&st->hold_hist[hist_slot(delta, LS_HIST_SLOTS)], 1);
	max_update(st->hold_max, delta);

	if (!s) {
		drop(LS_DROP_SITE_FULL);
		return;
	}
	__sync_fetch_and_add(&s->acquired, 1);
	__sync_fetch_and_add(&s->hold_total, delta);
	max_update(s->hold_max, delta);
	if (h->contended) {
		__sync_fetch_and_add(&s->contended, 1);
		__sync_fetch_and_add(&s->wait_total, h->wait);
	}
}

/* a wait starts; @mode < 0: not known yet (lockdep source) */
static __always_inline void on_wait_begin(void *ctx, __u64 lock, int mode,
					  __u32 tid)
{
	struct ls_wait *ws;
	struct ls_watch *w;
	__u32 zero = 0;

	w = bpf_map_lookup_elem(&watched, &lock);	/* filter first */
	if (!w)
		return;

	/* mode < 0 (lock_contended): the exit of lock() supplies it */
	ws = bpf_map_lookup_elem(&wait_start, &zero);
	if (!ws)
		return;
	if (ws->lock)
		drop(LS_DROP_WAIT_STALE);
	ws->lock = lock;
	ws->slot = w->slot;
	ws->vm_id = w->vm_id;
	ws->mode = mode < 0 ? LS_NR_MODES : mode;
	ws->stack = 0;
	ws->end = 0;
	if (source == LS_SRC_CONTENTION)
		ws->stack = get_stack(ctx);
	ws->ts = bpf_ktime_get_ns();
}

/* lock:contention_end */
static __always_inline void on_wait_end(__u64 lock, __u32 tid)
{
	struct ls_hold_key hk = { .lock = lock, .tid = tid };
	struct ls_wait *ws;
	struct ls_hold *h;
	__u32 zero = 0;
	__u64 now;

	ws = bpf_map_lookup_elem(&wait_start, &zero);
	if (!ws)
		return;
	if (ws->lock != lock) {
		/* cheap per-CPU check first; the hash only on a mismatch */
		if (bpf_map_lookup_elem(&watched, &lock))
			drop(LS_DROP_WAIT_NO_BEGIN);
		return;
	}
	if (source == LS_SRC_LOCKDEP) {
		/* lock_contended began it; the exit of lock() accounts it */
		ws->end = bpf_ktime_get_ns();
		return;
	}
	ws->lock = 0;

	if (source == LS_SRC_CONTENTION) {
		struct ls_site_key sk = {
			.vm_id = ws->vm_id, .mode = ws->mode,
			.stack = ws->stack,
		};
		struct ls_site sz = {}, *s;

		now = bpf_ktime_get_ns();
		wait_done(ws, now);
		s = lookup_or_try_init(&sites, &sk, &sz);
		if (!s) {
			drop(LS_DROP_SITE_FULL);
			return;
		}
		__sync_fetch_and_add(&s->contended, 1);
		__sync_fetch_and_add(&s->wait_total, now - ws->ts);
		return;
	}

	h = hold_get(&hk);
	now = bpf_ktime_get_ns();
	wait_done(ws, now);
	if (h) {
		/* the hold starts when the wait ends, as lock_stat's does */
		h->wait_end = now;
		h->wait = now - ws->ts;
	}
}

/* --- lock and unlock hooks (raw and lockdep sources) ---------------- */

SEC("fentry/_raw_write_lock")
int BPF_PROG(ls_wl_entry, void *lock)
{
	on_entry((__u64)lock, LS_WRITE, cur_tid());
	return 0;
}

SEC("fexit/_raw_write_lock")
int BPF_PROG(ls_wl_exit, void *lock)
{
	on_acquired(ctx, (__u64)lock, LS_WRITE, cur_tid(), false);
	return 0;
}

SEC("fentry/_raw_read_lock")
int BPF_PROG(ls_rl_entry, void *lock)
{
	on_entry((__u64)lock, LS_READ, cur_tid());
	return 0;
}

SEC("fexit/_raw_read_lock")
int BPF_PROG(ls_rl_exit, void *lock)
{
	on_acquired(ctx, (__u64)lock, LS_READ, cur_tid(), false);
	return 0;
}

/* only a real function on CONFIG_DEBUG_LOCK_ALLOC kernels */
SEC("fentry/_raw_write_lock_nested")
int BPF_PROG(ls_wln_entry, void *lock, int subclass)
{
	on_entry((__u64)lock, LS_WRITE, cur_tid());
	return 0;
}

SEC("fexit/_raw_write_lock_nested")
int BPF_PROG(ls_wln_exit, void *lock, int subclass)
{
	on_acquired(ctx, (__u64)lock, LS_WRITE, cur_tid(), false);
	return 0;
}

SEC("fexit/_raw_write_trylock")
int BPF_PROG(ls_wtry_exit, void *lock, int ret)
{
	if (ret)
		on_acquired(ctx, (__u64)lock, LS_WRITE, cur_tid(), true);
	return 0;
}

SEC("fexit/_raw_read_trylock")
int BPF_PROG(ls_rtry_exit, void *lock, int ret)
{
	if (ret)
		on_acquired(ctx, (__u64)lock, LS_READ, cur_tid(), true);
	return 0;
}

SEC("fentry/_raw_write_unlock")
int BPF_PROG(ls_wu_entry, void *lock)
{
	on_release((__u64)lock, cur_tid());
	return 0;
}

SEC("fentry/_raw_read_unlock")
int BPF_PROG(ls_ru_entry, void *lock)
{
	on_release((__u64)lock, cur_tid());
	return 0;
}

/* --- waits ----------------------------------------------------------- */

SEC("tp_btf/contention_begin")
int BPF_PROG(ls_contention_begin, void *lock, unsigned int flags)
{
	if (!(flags & (LS_LCB_F_READ | LS_LCB_F_WRITE)))
		return 0;	/* not an rwlock wait */
	on_wait_begin(ctx, (__u64)lock,
		      (flags & LS_LCB_F_WRITE) ? LS_WRITE : LS_READ, cur_tid());
	return 0;
}

SEC("tp_btf/contention_end")
int BPF_PROG(ls_contention_end, void *lock, int ret)
{
	on_wait_end((__u64)lock, cur_tid());
	return 0;
}

/*
 * CONFIG_LOCK_STAT: LOCK_CONTENDED() calls lock_contended(&lock->dep_map)
 * when the trylock fails.  Addresses of other lock types minus the offset
 * miss the watch map.
 */
SEC("tp_btf/lock_contended")
int BPF_PROG(ls_lock_contended, void *dep_map, unsigned long ip)
{
	on_wait_begin(ctx, (__u64)dep_map - dep_map_off, -1, cur_tid());
	return 0;
}

/* --- self-test entry points (tools/lockstat/test-lockstat.c) -------
 *
 * raw_tp programs are never attached: user space runs them with
 * BPF_PROG_TEST_RUN and synthetic arguments, which drives the accounting
 * above exactly as the real hooks do, on kernels where those hooks cannot
 * be attached.  The kvm "pointers" are fake: reads through them fail
 * safely (bpf_probe_read_kernel) and only their value is used.
 */

SEC("raw_tp")
int BPF_PROG(ls_t_register, void *kvm, __u32 tgid)
{
	register_vm(kvm, tgid, "lockstat-test", LS_FOUND_CREATE);
	return 0;
}

SEC("raw_tp")
int BPF_PROG(ls_t_unregister, void *kvm)
{
	unregister_vm(kvm);
	return 0;
}

SEC("raw_tp")
int BPF_PROG(ls_t_entry, __u64 lock, __u32 mode, __u32 tid)
{
	on_entry(lock, mode & 1, tid);
	return 0;
}

SEC("raw_tp")
int BPF_PROG(ls_t_acquired, __u64 lock, __u32 mode, __u32 tid, __u32 trylock)
{
	on_acquired(ctx, lock, mode & 1, tid, trylock);
	return 0;
}

SEC("raw_tp")
int BPF_PROG(ls_t_release, __u64 lock, __u32 tid)
{
	on_release(lock, tid);
	return 0;
}

/* mode -1: left to the exit of lock(), as for lock:lock_contended */
SEC("raw_tp")
int BPF_PROG(ls_t_wait_begin, __u64 lock, int mode, __u32 tid)
{
	on_wait_begin(ctx, lock, mode, tid);
	return 0;
}

SEC("raw_tp")
int BPF_PROG(ls_t_wait_end, __u64 lock, __u32 tid)
{
	on_wait_end(lock, tid);
	return 0;
}

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * lockstat.h - types shared by lockstat.bpf.c and tools/lockstat/
 *
 * The BPF side keeps cumulative counters only.  User space takes a snapshot
 * each interval and prints the difference, so nothing is ever cleared under
 * a running program and no acquisition is lost at an interval boundary.
 * Per-interval maxima use a two-slot buffer tagged with an epoch that user
 * space advances (see struct ls_max).
 */
#ifndef __LOCKSTAT_H
#define __LOCKSTAT_H

#define LS_MAX_VMS		64	/* power of two: slot index is masked */
#define LS_HIST_SLOTS		32	/* log2(ns) buckets: [0,1] ... [2^31,inf) */
#define LS_MAX_STACK_DEPTH	32
/*
 * Frames walked without -v: enough for the BPF, tracepoint and lock
 * frames, the caller and the two frames shown after it.  The unwinder's
 * cost grows with the frames it walks (Documentation/lockstat.8, OVERHEAD).
 */
#define LS_SITE_FRAMES		12
#define LS_COMM_LEN		16

/* lock:contention_begin flags, include/trace/events/lock.h */
#define LS_LCB_F_SPIN		(1U << 0)
#define LS_LCB_F_READ		(1U << 1)
#define LS_LCB_F_WRITE		(1U << 2)

enum ls_mode {
	LS_READ = 0,
	LS_WRITE = 1,
	LS_NR_MODES,
};

enum ls_vm_state {
	LS_VM_FREE = 0,		/* slot unused (kvm == 0)              */
	LS_VM_LIVE = 1,		/* lock address is in the watch map    */
	LS_VM_DEAD = 2,		/* VM freed; final stats not yet shown */
};

enum ls_found_by {
	LS_FOUND_CREATE = 1,	/* creation hook while the tool ran    */
	LS_FOUND_SCAN = 2,	/* task_file iterator (existing VM)    */
};

/* Reasons an event could not be fully accounted; per-CPU counters. */
enum ls_drop {
	LS_DROP_HOLD_FULL,	/* hold map full: acquisition counted, not timed */
	LS_DROP_HOLD_STALE,	/* still held at the next acquisition (missed
				 * release, or a recursive read)         */
	LS_DROP_NO_START,	/* release without a recorded acquisition   */
	LS_DROP_NO_ENTRY,	/* lock() entry missed: hold starts at its exit */
	LS_DROP_ENTRY_PREEMPTED,/* switched out between lock() entry and the
				 * acquisition: hold starts at lock() exit */
	LS_DROP_STACK,		/* bpf_get_stack() failed                    */
	LS_DROP_STACK_FULL,	/* stack text map full: frames unknown       */
	LS_DROP_SITE_FULL,	/* call-site map full                        */
	LS_DROP_WAIT_STALE,	/* wait-begin slot overwritten                */
	LS_DROP_WAIT_NO_BEGIN,	/* wait end without a begin                  */
	LS_DROP_VM_FULL,	/* no free VM slot                           */
	LS_DROP_WATCH_FULL,	/* watch map full                            */
	LS_DROP_NR,
};

/*
 * Which hooks feed the accounting (rodata "source").  RAW and LOCKDEP
 * count acquisitions and holds the same way (fentry+fexit on
 * _raw_{read,write}_lock, fexit on the trylocks, fentry on the unlocks);
 * they differ in what a contention is.
 */
enum ls_source {
	LS_SRC_RAW = 0,		/* wait = queued rwlock slow path:
				 * lock:contention_begin/end             */
	LS_SRC_LOCKDEP = 1,	/* wait = failed trylock, as /proc/lock_stat:
				 * lock:lock_contended .. lock() exit
				 * (CONFIG_LOCK_STAT kernels)            */
	LS_SRC_CONTENTION = 2,	/* contention tracepoints only: no
				 * acquisitions, no holds                */
};

/*
 * Maximum for one interval.  BPF writes mx[epoch & 1]; when it finds a stale
 * tag it restarts that slot.  User space bumps the epoch, then reads the slot
 * of the epoch that just ended.
 */
struct ls_max {
	__u64 epoch;
	__u64 val;
};

struct ls_mode_stats {
	__u64 acquired;		/* lock() calls (all of them, not sampled) */
	__u64 contended;	/* acquisitions that had to wait           */
	__u64 wait_total;	/* ns                                      */
	__u64 hold_count;	/* releases with a matching start          */
	__u64 hold_total;	/* ns                                      */
	struct ls_max wait_max[2];
	struct ls_max hold_max[2];
	__u64 wait_hist[LS_HIST_SLOTS];
	__u64 hold_hist[LS_HIST_SLOTS];
};

struct ls_vm {
	__u64 kvm;		/* struct kvm *; 0 = slot free             */
	__u64 lock;		/* watch key: &kvm->mmu_lock (+dep_map off) */
	__u64 created_ns;	/* bpf_ktime_get_ns() when found           */
	__u64 dead_ns;
	__u32 state;		/* enum ls_vm_state                        */
	__u32 vm_id;		/* unique for the tool's lifetime, from 1  */
	__u32 tgid;		/* VMM process that owns/created the VM    */
	__s32 userspace_pid;	/* kvm->userspace_pid, -1 if unknown       */
	__u32 found_by;		/* enum ls_found_by                        */
	__u32 scan_gen;		/* last iterator pass that saw it          */
	char comm[LS_COMM_LEN];
};

struct ls_watch {
	__u32 slot;
	__u32 vm_id;
};

struct ls_hold_key {
	__u64 lock;
	__u32 tid;
	__u32 pad;
};

/*
 * One record per (lock, thread), reused across acquisitions (LRU map, never
 * deleted in the hot path).
 */
struct ls_hold {
	__u64 entry;		/* lock() entered (end of the entry program);
				 * 0 once consumed                         */
	__u64 entry_nsw;	/* the thread's context switches at entry  */
	__u64 start;		/* hold start; 0 = not held                */
	__u64 wait_end;		/* the current acquisition's wait ended    */
	__u64 wait;		/* ... after this many ns                  */
	__u64 stack;		/* stack hash, key of stack_text; 0 = none */
	__u32 slot;
	__u32 vm_id;
	__u8 mode;
	__u8 contended;		/* the current acquisition waited          */
	__u16 pad;
	__u32 pad2;
};

/* per-CPU: a spinning waiter cannot migrate between begin and end */
struct ls_wait {
	__u64 lock;
	__u64 ts;
	__u32 slot;
	__u32 vm_id;
	__u32 mode;
	__u32 pad;
	__u64 stack;		/* waiter's stack, contention-only source */
	__u64 end;		/* lockdep source: contention_end seen at  */
};

struct ls_site_key {
	__u32 vm_id;
	__u32 mode;
	__u64 stack;		/* 0: no stack collected */
};

struct ls_stack {
	__u64 ips[LS_MAX_STACK_DEPTH];	/* zero-padded */
};

struct ls_site {
	__u64 acquired;
	__u64 contended;
	__u64 wait_total;
	__u64 hold_total;
	struct ls_max hold_max[2];
};

#endif /* __LOCKSTAT_H */

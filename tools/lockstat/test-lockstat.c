// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lockstat's BPF self-test: synthetic lock events through the tool's real
 * BPF programs (BPF_PROG_TEST_RUN) and its real accounting.  It includes
 * the tool's main file and links its other objects, so that the harness
 * is beside the tool and not in it.  Needs root (CAP_BPF and CAP_PERFMON): without, it says so and
 * skips.  V=1 prints every check.
 */
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#define main lockstat_main
#include "lockstat.c"
#undef main
#include "test-check.h"

#define ST_HOLD_TRIES	1000

static int st_run4(struct bpf_program *prog, __u64 a0, __u64 a1, __u64 a2,
		   __u64 a3)
{
	__u64 args[4] = { a0, a1, a2, a3 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args,
		    .ctx_size_in = sizeof(args));
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	if (err)
		check(false, "test run of %s: %s", bpf_program__name(prog),
		      strerror(-err));
	return err;
}

#define st_run(prog, a0, a1, a2) st_run4(prog, a0, a1, a2, 0)

static int st_find_slot(__u64 kvm)
{
	int i;

	for (i = 0; i < LS_MAX_VMS; i++)
		if (skel->bss->vms[i].kvm == kvm &&
		    skel->bss->vms[i].state != LS_VM_FREE)
			return i;
	return -1;
}

static __u64 st_drop(int why)
{
	__u64 d[LS_DROP_NR];

	read_drops(d);
	return d[why];
}

static void st_sites(__u32 vm_id, int mode, __u64 *acq, __u64 *cont,
		     __u64 *hold, size_t *nstack)
{
	struct ls_site_key key, next, *kp = NULL;
	int fd = bpf_map__fd(skel->maps.sites);
	struct ls_site v;

	*acq = *cont = *hold = 0;
	*nstack = 0;
	while (!bpf_map_get_next_key(fd, kp, &next)) {
		key = next;
		kp = &key;
		if (key.vm_id != vm_id || key.mode != (__u32)mode ||
		    bpf_map_lookup_elem(fd, &key, &v))
			continue;
		*acq += v.acquired;
		*cont += v.contended;
		*hold += v.hold_total;
		if (key.stack)
			(*nstack)++;
	}
}

static __u64 mono_ns(void);

static void st_spin(__u64 ns)
{
	__u64 end = mono_ns() + ns;

	while (mono_ns() < end)
		;
}

/* a skeleton with only the test programs, for @source */
static int st_load(int source)
{
	struct bpf_program *prog;

	lockstat_bpf__destroy(skel);
	skel = lockstat_bpf__open();
	if (!skel)
		return EXIT_RUNTIME;
	skel->rodata->source = source;
	skel->rodata->want_stacks = true;
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog,
			!strncmp(bpf_program__name(prog), "ls_t_", 5));
	return load_skel(true);
}

static int run_selftest(void)
{
	long off = btf_member_offset("kvm", BTF_KIND_STRUCT, "mmu_lock");
	const __u64 kvm1 = 0xffff888012340000ULL, kvm2 = 0xffff888056780000ULL;
	__u64 lock1, acq, cont, hold, d0, hist, t0, t1, extra;
	struct ls_mode_stats *w, *r;
	struct ls_watch watch;
	size_t nstack;
	int slot1, slot2, i, err, regs;
	__u32 id1;

	if (off < 0) {
		fprintf(stderr, "%s: struct kvm has no mmu_lock in BTF\n", TOOL);
		return EXIT_NOBTF;
	}
	lock1 = kvm1 + off;

	err = st_load(LS_SRC_RAW);
	if (err)
		return err;
#define P(name) skel->progs.name

	/* 1: registration */
	st_run(P(ls_t_register), kvm1, 4242, 0);
	slot1 = st_find_slot(kvm1);
	check(slot1 >= 0, "VM registered in a slot");
	if (slot1 < 0)
		goto out;
	id1 = skel->bss->vms[slot1].vm_id;
	check(skel->bss->vms[slot1].state == LS_VM_LIVE &&
		 skel->bss->vms[slot1].tgid == 4242 &&
		 skel->bss->vms[slot1].lock == lock1,
		 "slot is live, tgid 4242, lock = kvm + %ld", off);
	check(!bpf_map_lookup_elem(bpf_map__fd(skel->maps.watched), &lock1,
				      &watch) && watch.slot == (__u32)slot1,
		 "lock address is watched");
	st_run(P(ls_t_register), kvm1, 4242, 0);
	check(st_find_slot(kvm1) == slot1 && id1 == skel->bss->vms[slot1].vm_id,
		 "registering the same VM again is a no-op");
	w = &skel->bss->stats[slot1][LS_WRITE];
	r = &skel->bss->stats[slot1][LS_READ];

	/* 2: other locks are ignored */
	st_run(P(ls_t_entry), lock1 + 64, LS_WRITE, 100);
	st_run4(P(ls_t_acquired), lock1 + 64, LS_WRITE, 100, 0);
	st_run(P(ls_t_release), lock1 + 64, 100, 0);
	check(!w->acquired && !r->acquired && !st_drop(LS_DROP_NO_START),
		 "an unwatched lock is not counted");

	/* 3: write acquisitions and holds */
	for (i = 0; i < 50; i++) {
		st_run(P(ls_t_entry), lock1, LS_WRITE, 100);
		st_run4(P(ls_t_acquired), lock1, LS_WRITE, 100, 0);
		st_spin(2000);
		st_run(P(ls_t_release), lock1, 100, 0);
	}
	for (hist = 0, i = 0; i < LS_HIST_SLOTS; i++)
		hist += w->hold_hist[i];
	check(w->acquired == 50 && w->hold_count == 50 && hist == 50,
		 "50 write acquisitions, 50 holds, 50 in the histogram "
		 "(got %llu/%llu/%llu)", (unsigned long long)w->acquired,
		 (unsigned long long)w->hold_count, (unsigned long long)hist);
	check(w->hold_total >= 50 * 2000ULL &&
		 w->hold_max[1].epoch == 1 && w->hold_max[1].val >= 2000,
		 "hold total >= 50 x 2us (%llu ns), interval max >= 2us",
		 (unsigned long long)w->hold_total);
	check(!r->acquired && !w->contended && !st_drop(LS_DROP_NO_ENTRY),
		 "no reads, no contention, no missed entries");

	/*
	 * 4: an uncontended hold starts at lock() entry, as lock_stat's,
	 * unless the thread was switched out before the acquisition: a
	 * switch during the spin makes that try inconclusive, so try again.
	 */
	/*
	 * A loaded machine (make check beside a kernel build) switched out
	 * all 20 tries of 100 us once: spin 20 us, and try up to
	 * ST_HOLD_TRIES times (each try that is switched out is not a result).
	 */
	for (i = 0; i < ST_HOLD_TRIES; i++) {
		__u64 pre = st_drop(LS_DROP_ENTRY_PREEMPTED);

		d0 = w->hold_total;
		st_run(P(ls_t_entry), lock1, LS_WRITE, 100);
		st_spin(20000);
		st_run4(P(ls_t_acquired), lock1, LS_WRITE, 100, 0);
		st_run(P(ls_t_release), lock1, 100, 0);
		if (st_drop(LS_DROP_ENTRY_PREEMPTED) == pre)
			break;
	}
	extra = i < ST_HOLD_TRIES ? i : ST_HOLD_TRIES - 1;	/* tries beyond the first */
	check(i < ST_HOLD_TRIES && w->hold_total - d0 >= 20000,
		 "uncontended hold counts from lock() entry (%llu ns, %d "
		 "tries)", (unsigned long long)(w->hold_total - d0), i + 1);

	/*
	 * 4b: switched out between entry and acquisition (a sleep is a
	 * context switch for certain): the hold starts at the acquisition.
	 */
	{
		struct ls_hold_key hk = { .lock = lock1, .tid = 100 };
		__u64 pre = st_drop(LS_DROP_ENTRY_PREEMPTED);
		struct ls_hold hv = {};

		st_run(P(ls_t_entry), lock1, LS_WRITE, 100);
		usleep(1000);
		t0 = mono_ns();
		st_run4(P(ls_t_acquired), lock1, LS_WRITE, 100, 0);
		err = bpf_map_lookup_elem(bpf_map__fd(skel->maps.holds), &hk,
					  &hv);
		st_run(P(ls_t_release), lock1, 100, 0);
		check(!err && hv.start >= t0 &&
			 st_drop(LS_DROP_ENTRY_PREEMPTED) == pre + 1,
			 "a thread switched out before the acquisition holds "
			 "from lock() exit, counted as entry_preempted");
		extra++;
	}

	/* 5: readers hold the lock at the same time, released out of order */
	for (i = 201; i <= 203; i++) {
		st_run(P(ls_t_entry), lock1, LS_READ, i);
		st_run4(P(ls_t_acquired), lock1, LS_READ, i, 0);
	}
	st_run(P(ls_t_release), lock1, 202, 0);
	st_run(P(ls_t_release), lock1, 201, 0);
	st_run(P(ls_t_release), lock1, 203, 0);
	check(r->acquired == 3 && r->hold_count == 3 &&
		 !st_drop(LS_DROP_NO_START) && !st_drop(LS_DROP_HOLD_STALE),
		 "3 concurrent readers: 3 acquisitions, 3 holds, no drops");

	/* 6: raw source: contention_begin/end inside lock() */
	d0 = w->hold_total;
	t0 = mono_ns();
	st_run(P(ls_t_entry), lock1, LS_WRITE, 300);
	st_run(P(ls_t_wait_begin), lock1, LS_WRITE, 300);
	st_spin(200000);
	st_run(P(ls_t_wait_end), lock1, 300, 0);
	st_run4(P(ls_t_acquired), lock1, LS_WRITE, 300, 0);
	st_run(P(ls_t_release), lock1, 300, 0);
	t1 = mono_ns();
	check(w->contended == 1 && w->wait_total >= 200000 &&
		 w->wait_max[1].val >= 200000,
		 "contended write: 1 contention, wait >= 200us (%llu ns)",
		 (unsigned long long)w->wait_total);
	check(w->hold_total - d0 <= t1 - t0 - w->wait_total,
		 "a contended hold starts when the wait ends (%llu ns of "
		 "%llu)", (unsigned long long)(w->hold_total - d0),
		 (unsigned long long)(t1 - t0));

	/* 7: a wait whose mode is only known at lock() exit */
	d0 = w->wait_total;
	st_run(P(ls_t_entry), lock1, LS_WRITE, 301);
	st_run(P(ls_t_wait_begin), lock1, -1, 301);
	st_spin(50000);
	st_run4(P(ls_t_acquired), lock1, LS_WRITE, 301, 0);
	st_run(P(ls_t_release), lock1, 301, 0);
	check(w->contended == 2 && w->wait_total - d0 >= 50000 &&
		 !st_drop(LS_DROP_WAIT_NO_BEGIN),
		 "a wait of unknown mode is counted at lock() exit (%llu ns)",
		 (unsigned long long)(w->wait_total - d0));

	/* 8: a successful trylock has no entry and no wait */
	st_run4(P(ls_t_acquired), lock1, LS_WRITE, 302, 1);
	st_run(P(ls_t_release), lock1, 302, 0);
	check(w->acquired == 54 + extra && w->hold_count == 54 + extra &&
		 !st_drop(LS_DROP_NO_ENTRY),
		 "trylock counted (%llu acquisitions)",
		 (unsigned long long)w->acquired);

	/* 9: drop accounting */
	st_run(P(ls_t_release), lock1, 999, 0);
	check(st_drop(LS_DROP_NO_START) == 1,
		 "release without acquisition is counted as a drop");
	st_run4(P(ls_t_acquired), lock1, LS_WRITE, 401, 0);
	st_run(P(ls_t_release), lock1, 401, 0);
	check(st_drop(LS_DROP_NO_ENTRY) == 1 && w->acquired == 55 + extra &&
		 w->hold_count == 55 + extra,
		 "a missed lock() entry is a drop; still counted and timed");
	st_run(P(ls_t_entry), lock1, LS_WRITE, 400);
	st_run4(P(ls_t_acquired), lock1, LS_WRITE, 400, 0);
	st_run(P(ls_t_entry), lock1, LS_WRITE, 400);
	st_run4(P(ls_t_acquired), lock1, LS_WRITE, 400, 0);
	st_run(P(ls_t_release), lock1, 400, 0);
	check(st_drop(LS_DROP_HOLD_STALE) == 1 && w->acquired == 57 + extra &&
		 w->hold_count == 56 + extra,
		 "a missed release is a drop; both acquisitions counted");
	st_run(P(ls_t_wait_end), lock1, 500, 0);
	check(st_drop(LS_DROP_WAIT_NO_BEGIN) == 1,
		 "contention end without begin is a drop");

	/* 10: call sites add up to the per-VM totals */
	st_sites(id1, LS_WRITE, &acq, &cont, &hold, &nstack);
	check(acq == w->hold_count && cont == w->contended &&
		 hold == w->hold_total,
		 "write call sites sum to the VM totals (%llu acq, %zu stacks)",
		 (unsigned long long)acq, nstack);
	check(nstack >= 1 && !st_drop(LS_DROP_STACK),
		 "stacks were collected");
	st_sites(id1, LS_READ, &acq, &cont, &hold, &nstack);
	check(acq == 3 && hold == r->hold_total,
		 "read call sites sum to the VM totals");

	/* 11: interval maxima move to the other slot with the epoch */
	__atomic_store_n(&skel->bss->epoch, 2, __ATOMIC_SEQ_CST);
	st_run(P(ls_t_entry), lock1, LS_WRITE, 600);
	st_run4(P(ls_t_acquired), lock1, LS_WRITE, 600, 0);
	st_run(P(ls_t_release), lock1, 600, 0);
	check(w->hold_max[0].epoch == 2 && w->hold_max[1].epoch == 1 &&
		 w->hold_max[0].val < w->hold_max[1].val,
		 "epoch 2 restarts the maximum in its own slot");

	/* 12: teardown, slot reuse */
	st_run(P(ls_t_unregister), kvm1, 0, 0);
	check(skel->bss->vms[slot1].state == LS_VM_DEAD &&
		 bpf_map_lookup_elem(bpf_map__fd(skel->maps.watched), &lock1,
				     &watch),
		 "teardown marks the VM exited and unwatches its lock");
	d0 = w->acquired;
	st_run(P(ls_t_entry), lock1, LS_WRITE, 700);
	st_run4(P(ls_t_acquired), lock1, LS_WRITE, 700, 0);
	st_run(P(ls_t_release), lock1, 700, 0);
	check(w->acquired == d0, "an exited VM's lock is not counted");

	st_run(P(ls_t_register), kvm2, 4343, 0);
	slot2 = st_find_slot(kvm2);
	check(slot2 >= 0 && slot2 != slot1,
		 "a new VM gets another slot while the exited one is shown");
	free_slot(slot1, id1);
	st_sites(id1, LS_WRITE, &acq, &cont, &hold, &nstack);
	check(!acq && !w->acquired && st_find_slot(kvm1) < 0,
		 "freeing the slot clears its stats and call sites");
	st_run(P(ls_t_register), kvm1, 4242, 0);
	i = st_find_slot(kvm1);
	check(i >= 0 && skel->bss->vms[i].vm_id != id1,
		 "a re-created VM at the same address gets a new vm_id");

	/* 13: capacity */
	for (regs = 0, i = 0; i < LS_MAX_VMS; i++) {
		st_run(P(ls_t_register), kvm2 + 0x100000ULL * (i + 1), 1, 0);
		regs++;
	}
	check(st_drop(LS_DROP_VM_FULL) == 2,
		 "VMs beyond %d slots are counted as drops (%llu)", LS_MAX_VMS,
		 (unsigned long long)st_drop(LS_DROP_VM_FULL));

	/* 14: lockdep source: lock_contended, then contention_end or exit */
	err = st_load(LS_SRC_LOCKDEP);
	if (err)
		goto out;
	st_run(P(ls_t_register), kvm1, 4242, 0);
	slot1 = st_find_slot(kvm1);
	check(slot1 >= 0, "lockdep source: VM registered");
	if (slot1 < 0)
		goto out;
	w = &skel->bss->stats[slot1][LS_WRITE];
	r = &skel->bss->stats[slot1][LS_READ];
	st_run(P(ls_t_entry), lock1, LS_WRITE, 10);
	t0 = mono_ns();
	st_run(P(ls_t_wait_begin), lock1, -1, 10);
	st_spin(50000);
	st_run(P(ls_t_wait_end), lock1, 10, 0);
	t1 = mono_ns();
	st_spin(100000);
	st_run4(P(ls_t_acquired), lock1, LS_WRITE, 10, 0);
	st_run(P(ls_t_release), lock1, 10, 0);
	check(w->contended == 1 && w->wait_total >= 50000 &&
		 w->wait_total <= t1 - t0,
		 "the slow path's end ends the wait (%llu ns of %llu)",
		 (unsigned long long)w->wait_total,
		 (unsigned long long)(t1 - t0));
	check(w->hold_total >= 100000,
		 "... and starts the hold (%llu ns)",
		 (unsigned long long)w->hold_total);
	st_run(P(ls_t_entry), lock1, LS_READ, 11);
	st_run(P(ls_t_wait_begin), lock1, -1, 11);
	st_spin(30000);
	st_run4(P(ls_t_acquired), lock1, LS_READ, 11, 0);
	st_run(P(ls_t_release), lock1, 11, 0);
	check(r->contended == 1 && r->wait_total >= 30000 &&
		 w->contended == 1 && r->acquired == 1,
		 "without a slow path lock() exit ends it; read mode from exit");
	check(!st_drop(LS_DROP_WAIT_NO_BEGIN) && !st_drop(LS_DROP_NO_ENTRY),
		 "lockdep source: no drops");
#undef P
out:

	lockstat_bpf__destroy(skel);
	skel = NULL;
	return test_check_done();
}

int main(void)
{
	test_check_init();
	cli.verbose = verbose;
	if (!have_caps() || bpf_privilege_check() == -EPERM) {
		printf("SKIP: not root (CAP_BPF and CAP_PERFMON needed)\n");
		return 0;
	}
	if (!vmlinux_btf_available() || !kernel_btf())
		tool_die(TOOL, EXIT_NOBTF, NULL);
	return run_selftest();
}

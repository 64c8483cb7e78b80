// SPDX-License-Identifier: GPL-2.0-only
/*
 * nested_svm_dirty_log_test: writes of an L2 guest through KVM's shadow NPT
 * (nested paging on SVM) must be logged at the L1 gfn they reach.
 *
 * L1 runs L2 with nested paging.  The NPT, built by the host in L1 memory,
 * maps L1's memslot 0 1:1 with 2M leaves, and L2 gpa GPA_L2 + i to L1 gpa
 * GPA_L1 + i with 4K leaves, so every test page has a shadow SPTE of its
 * own.  GPA_L1 is TEST_SLOT, dirty logged; GPA_L2 is in no memslot, so a
 * write sent to the L2 gpa instead of the L1 gpa exits to userspace as MMIO
 * and fails the run.  L2 uses L1's page tables, in which TEST_GVA maps
 * GPA_L2.  Invariants checked, on L1 gfns:
 *
 *  get, clear (-i ROUNDS, default 8):
 *    In round R, L2 writes VAL(R, P) to test page P iff (P + R) % 3 != 0,
 *    and touches no other test page, then VMMCALLs; L1 does GUEST_SYNC(R)
 *    and re-enters L2 for the next round.  The host fetches the log of
 *    TEST_SLOT (get: KVM_GET_DIRTY_LOG, which write-protects; clear: manual
 *    protect with initially-set, GET then KVM_CLEAR_DIRTY_LOG of the slot),
 *    and checks that:
 *      - the dirty pages are exactly the pages L2 wrote in round R;
 *      - every test page holds the value of the last round that wrote it.
 *    From round 2 on, L2 writes pages whose SPTEs the previous fetch
 *    write-protected: write-protect faults on shadow-NPT SPTEs, which the
 *    series fixes in fast_page_fault().  A fixed fault that does not log its
 *    gfn is a missing page.  Clear mode checks round 1 for missing pages
 *    only: with KVM_DIRTY_LOG_INITIALLY_SET every bit starts set.
 *
 *  rw (READ=>WRITE through an L2 alias; -i ROUNDS, rounded up to 4k):
 *    The NPT also maps L2 gpa GPA_L2_ALIAS + i to L1 gpa GPA_L1 + i, and
 *    L2 reaches it at ALIAS_GVA; every NPT leaf has D preset.  Odd rounds
 *    read every test page, even rounds write every test page, through
 *    the same L2 gpa as the read before: GPA_L2 in rounds 1-2, the alias in
 *    rounds 3-4, and so on.  The read faults on an NPT entry that is
 *    already dirty, so KVM may install a writable shadow-NPT SPTE for it,
 *    and must then log the L1 gfn.  Checked, after each KVM_GET_DIRTY_LOG:
 *      - every page written in an even round is in that round's log:
 *        a writable SPTE that the read installed without logging is not
 *        write-protected by the read round's GET, so the write goes
 *        through unlogged;
 *      - in odd rounds any page may be dirty (a logged read fault);
 *      - every test page holds the last write round's value.
 *    Round 1 reads pages the host has never written, whose pfn is the
 *    shared zero page: the SPTE is read-only.  Round 3 is the first read
 *    of populated pages through a new L2 gpa, and makes TEST_NPAGES
 *    writable SPTEs; later reads find SPTEs that a GET write-protected.
 *    The number of pages the read rounds logged is printed: 0 means KVM
 *    installed read-only SPTEs and the READ=>WRITE path did not run.
 *    Logging only write faults in mmu_set_spte() fails round 4.
 *
 *  race (defect 3 regression; -i ROUNDS attempts, a fresh VM each):
 *    TEST_SLOT is 64M, THP backed and not yet dirty logged, and the NPT
 *    maps L2's test pages to its last 2M.  Before any VMRUN, L1 writes each
 *    2M of the slot through its own 2M mapping of GPA_L1: the TDP MMU maps
 *    the slot with 32 2M SPTEs, and the VM has no rmaps.  The host then
 *    enables dirty logging with manual protect and initially-set (no write
 *    protection: the 2M SPTEs stay) and starts a thread that loops { GET;
 *    CLEAR what it got, the whole slot in one ioctl; record what each page
 *    it cleared holds }, while L1 does its first VMRUN and L2 writes every
 *    test page RACE_PASSES times, a new value each pass, last page first.
 *    With tdp_mmu=1 the first CLEAR holds mmu_lock for read ("no rmaps")
 *    and drops it for each of the 32 splits before it reaches the last 2M.
 *    The first nested VMRUN can allocate rmaps and install writable
 *    shadow-NPT SPTEs meanwhile, which the rest of the CLEAR's batches,
 *    walking the TDP MMU only, would not write-protect.  A write through
 *    such an SPTE after its bit was cleared must be logged.  After L2
 *    exits, the thread stops and a last GET, checked:
 *      - a slot page that changed after the CLEAR of its bit is in a later
 *        GET;
 *      - every slot page is in some GET, every test page holds the last
 *        pass's value.
 *    The second alone proves little (the first GET returns every bit,
 *    initially set).  The window is not forced: a pass does not prove it
 *    was hit (vm/plans/nested-race runs it many times).

 * After each mode the vCPU stats pf_fast and pf_taken are printed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/bitmap.h>
#include <linux/bitops.h>

#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"
#include "test_util.h"
#include "ucall_common.h"

#define TEST_SLOT	1
#define TEST_NPAGES	512ul			/* pages L2 writes: 2M */
#define RACE_NPAGES	16384ul			/* race: slot of 64M, 32 huge pages */
#define RACE_FIRST	(RACE_NPAGES - TEST_NPAGES)	/* race: L2 writes the last 2M */
#define HPAGE		(2ul << 20)
#define GPA_L1		(4ul << 30)		/* TEST_SLOT */
#define GPA_L2		(5ul << 30)		/* in no memslot */
#define GPA_L2_ALIAS	(6ul << 30)		/* rw: in no memslot, to GPA_L1 too */
#define TEST_GVA	(3ul << 30)		/* 4K pages to GPA_L2, for L2 */
#define ALIAS_GVA	(TEST_GVA + HPAGE)	/* rw: 4K pages to GPA_L2_ALIAS */
#define L1_TEST_GVA	(2ul << 30)		/* 2M page to GPA_L1, for L1 (race) */

#define L1_TAG		0x1111ul
#define ROUND_TAG	0x5a5aul
#define RACE_TAG	0x7aceul
#define VAL(tag, n, page)	((tag) << 48 | (u64)(n) << 16 | (page))

#define RACE_PASSES	4
#define L2_STACK_SIZE	256
#define STAGE_DONE	(~0ul)
#define MANUAL_FLAGS	(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET)

/*
 * NPT entries, x86-64 format.  NPT walks are user accesses: U/S on every
 * level.  A preset everywhere and D in leaves, so that KVM's walker of
 * L1's NPT never writes the NPT pages and the NPT does not change while L2
 * runs.  D lets a read fault install a writable SPTE, which the rw mode
 * wants; the other modes never read TEST_SLOT from L2, and prefetch skips
 * dirty-logged slots.
 */
#define NPT_TABLE	(PTE_PRESENT_MASK | PTE_WRITABLE_MASK | PTE_USER_MASK | \
			 PTE_ACCESSED_MASK)
#define NPT_LEAF	(NPT_TABLE | PTE_DIRTY_MASK)

enum mode { M_GET, M_CLEAR, M_RW, M_RACE, NR_MODES };
static const char * const mode_name[NR_MODES] = { "get", "clear", "rw", "race" };

/* Guest globals, set by the host. */
static u64 nr_rounds;
static u64 slot_npages;			/* TEST_NPAGES, or RACE_NPAGES */
static bool race;
static bool rw;
static u64 rw_sink;
static u64 l1_vmrun_now;		/* race: L1 is about to VMRUN */

static u64 *test_mem;		/* host mapping of GPA_L1 */
static u64 l2_first;		/* slot page that L2's page 0 maps */

static inline bool l2_writes(u64 page, u64 round)
{
	if (rw)
		return !(round % 2);
	return (page + round) % 3;
}

/* rw: rounds 1-2 through GPA_L2, 3-4 through the alias, ... */
static inline u64 *l2_page_in(u64 page, u64 round)
{
	u64 gva = rw && (round - 1) / 2 % 2 ? ALIAS_GVA : TEST_GVA;

	return (u64 *)(gva + page * PAGE_SIZE);
}

static inline u64 *l2_page(u64 page)
{
	return l2_page_in(page, 1);
}

static void l2_guest_code(void)
{
	u64 r, p;

	if (race) {
		/* Last page first: the last batch of a whole-slot CLEAR. */
		for (r = 0; r < RACE_PASSES; r++)
			for (p = TEST_NPAGES; p--; )
				WRITE_ONCE(*l2_page(p), VAL(RACE_TAG, r, p));
		vmmcall();
	} else {
		for (r = 1; r <= nr_rounds; r++) {
			for (p = 0; p < TEST_NPAGES; p++) {
				if (l2_writes(p, r))
					WRITE_ONCE(*l2_page_in(p, r), VAL(ROUND_TAG, r, p));
				else if (rw)
					rw_sink += READ_ONCE(*l2_page_in(p, r));
			}
			vmmcall();
		}
	}
	GUEST_FAIL("L2 resumed after its last round");
}

static void l1_guest_code(struct svm_test_data *svm, u64 npt_root)
{
	unsigned long l2_stack[L2_STACK_SIZE] __aligned(16);
	struct vmcb *vmcb = svm->vmcb;
	u64 r, p;

	/* L2's rsp as after a call: 8 mod 16. */
	generic_svm_setup(svm, l2_guest_code, &l2_stack[L2_STACK_SIZE - 1]);
	vmcb->control.nested_ctl |= SVM_NESTED_CTL_NP_ENABLE;
	vmcb->control.nested_cr3 = npt_root;

	if (race) {
		GUEST_SYNC(0);		/* the host counts 2M SPTEs before... */
		for (p = 0; p < slot_npages; p += HPAGE / PAGE_SIZE)
			WRITE_ONCE(*(u64 *)(L1_TEST_GVA + p * PAGE_SIZE),
				   VAL(L1_TAG, 0, p));
		GUEST_SYNC(0);		/* ...and after L1's writes */
		WRITE_ONCE(l1_vmrun_now, 1);
	}
	for (r = 1; r <= nr_rounds; r++) {
		run_guest(vmcb, svm->vmcb_gpa);
		__GUEST_ASSERT(vmcb->control.exit_code == SVM_EXIT_VMMCALL,
			       "round %lu: L2 exit code 0x%x (info1 0x%lx info2 0x%lx), expected VMMCALL",
			       r, vmcb->control.exit_code, vmcb->control.exit_info_1,
			       vmcb->control.exit_info_2);
		vmcb->save.rip += 3;	/* past VMMCALL */
		GUEST_SYNC(r);
	}
	GUEST_DONE();
}

/* @page: a page of the slot. */
static u64 slot_val(u64 page)
{
	return READ_ONCE(test_mem[page * PAGE_SIZE / sizeof(u64)]);
}

/* @page: a page L2 writes. */
static u64 page_val(u64 page)
{
	return slot_val(l2_first + page);
}

static u64 npt_alloc_table(struct kvm_vm *vm)
{
	u64 gpa = vm_alloc_page_table(vm);

	memset(addr_gpa2hva(vm, gpa), 0, PAGE_SIZE);
	return gpa;
}

static u64 *npt_entry(struct kvm_vm *vm, u64 table, u64 gpa, int level)
{
	u64 *t = addr_gpa2hva(vm, table);

	return &t[(gpa >> PG_LEVEL_SHIFT(level)) & 0x1ff];
}

/* Map L2 gpa @l2 to L1 gpa @l1 with a leaf at @level (4K or 2M). */
static void npt_map(struct kvm_vm *vm, u64 root, u64 l2, u64 l1,
		    int level)
{
	u64 table = root, *e;
	int l;

	for (l = PG_LEVEL_512G; l > level; l--) {
		e = npt_entry(vm, table, l2, l);
		if (!(*e & PTE_PRESENT_MASK))
			*e = npt_alloc_table(vm) | NPT_TABLE;
		TEST_ASSERT(!(*e & PTE_LARGE_MASK), "NPT: gpa 0x%lx under a leaf", l2);
		table = PTE_GET_PA(*e);
	}
	e = npt_entry(vm, table, l2, level);
	TEST_ASSERT(!*e, "NPT: gpa 0x%lx mapped twice", l2);
	*e = l1 | NPT_LEAF | (level > PG_LEVEL_4K ? PTE_LARGE_MASK : 0);
}

/* The NPT root: slot 0 (code, data, stacks, page tables) 1:1, the test region shifted. */
static u64 npt_build(struct kvm_vm *vm)
{
	struct userspace_mem_region *slot0 = memslot2region(vm, 0);
	u64 start = slot0->region.guest_phys_addr;
	u64 end = start + slot0->region.memory_size;
	u64 root = npt_alloc_table(vm), gpa, p;

	/* Tables allocated below come from slot 0 too: its size is fixed. */
	for (gpa = start & ~(HPAGE - 1); gpa < end; gpa += HPAGE)
		npt_map(vm, root, gpa, gpa, PG_LEVEL_2M);
	for (p = 0; p < TEST_NPAGES; p++) {
		npt_map(vm, root, GPA_L2 + p * PAGE_SIZE,
			GPA_L1 + (l2_first + p) * PAGE_SIZE, PG_LEVEL_4K);
		if (rw)
			npt_map(vm, root, GPA_L2_ALIAS + p * PAGE_SIZE,
				GPA_L1 + (l2_first + p) * PAGE_SIZE, PG_LEVEL_4K);
	}
	return root;
}

static struct kvm_vm *create_vm(enum mode m, struct kvm_vcpu **vcpu, u64 rounds)
{
	enum vm_mem_backing_src_type src = VM_MEM_SRC_ANONYMOUS;
	struct kvm_vm *vm;
	vm_vaddr_t svm_gva;

	vm = vm_create_with_one_vcpu(vcpu, l1_guest_code);
	rw = m == M_RW;
	if (m != M_GET && m != M_RW)
		vm_enable_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, MANUAL_FLAGS);
	/* Without THP configured ANONYMOUS_THP asserts; race still runs, 4K only. */
	if (m == M_RACE && thp_configured())
		src = VM_MEM_SRC_ANONYMOUS_THP;
	/* race: dirty logging from the start would forbid the 2M SPTE. */
	slot_npages = m == M_RACE ? RACE_NPAGES : TEST_NPAGES;
	l2_first = m == M_RACE ? RACE_FIRST : 0;
	vm_userspace_mem_region_add(vm, src, GPA_L1, TEST_SLOT, slot_npages,
				    m == M_RACE ? 0 : KVM_MEM_LOG_DIRTY_PAGES);
	test_mem = addr_gpa2hva(vm, GPA_L1);
	virt_map(vm, TEST_GVA, GPA_L2, TEST_NPAGES);
	if (rw)
		virt_map(vm, ALIAS_GVA, GPA_L2_ALIAS, TEST_NPAGES);
	if (m == M_RACE)
		virt_map_level(vm, L1_TEST_GVA, GPA_L1, slot_npages * PAGE_SIZE, PG_LEVEL_2M);

	vcpu_alloc_svm(vm, &svm_gva);
	vcpu_args_set(*vcpu, 2, svm_gva, npt_build(vm));
	race = m == M_RACE;
	nr_rounds = race ? 1 : rounds;
	sync_global_to_guest(vm, race);
	sync_global_to_guest(vm, rw);
	sync_global_to_guest(vm, nr_rounds);
	sync_global_to_guest(vm, slot_npages);
	return vm;
}

/* Run to GUEST_SYNC(@stage), or to GUEST_DONE if @stage is STAGE_DONE. */
static void run_to(struct kvm_vcpu *vcpu, const char *mode, u64 stage)
{
	struct kvm_run *run = vcpu->run;
	struct ucall uc = {};
	u64 cmd;

	vcpu_run(vcpu);
	cmd = get_ucall(vcpu, &uc);
	if (cmd == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	TEST_ASSERT(stage == STAGE_DONE ? cmd == UCALL_DONE :
		    cmd == UCALL_SYNC && uc.args[1] == stage,
		    "FAIL %s: round %ld: expected %s, got exit %s (MMIO gpa 0x%llx), ucall %lu arg %lu",
		    mode, (long)stage, stage == STAGE_DONE ? "GUEST_DONE" : "GUEST_SYNC",
		    exit_reason_str(run->exit_reason),
		    run->exit_reason == KVM_EXIT_MMIO ? run->mmio.phys_addr : 0,
		    cmd, uc.args[1]);
}

/* Add the vCPU stat @name to *@st; false if this KVM has no such stat. */
static bool add_stat(struct kvm_vcpu *vcpu, const char *name, u64 *st)
{
	struct kvm_stats_desc *descs, *d;
	struct kvm_stats_header h;
	int fd = vcpu_get_stats_fd(vcpu), i;
	u64 v;
	bool found = false;

	read_stats_header(fd, &h);
	descs = read_stats_descriptors(fd, &h);
	for (i = 0; i < h.num_desc && !found; i++) {
		d = get_stats_descriptor(descs, i, &h);
		found = !strcmp(d->name, name);
		if (found) {
			read_stat_data(fd, &h, d, &v, 1);
			*st += v;
		}
	}
	free(descs);
	close(fd);
	return found;
}

static u64 stats[2];
static bool have_taken;

static void add_stats(struct kvm_vcpu *vcpu)
{
	add_stat(vcpu, "pf_fast", &stats[0]);
	have_taken = add_stat(vcpu, "pf_taken", &stats[1]);
}

static void test_rounds(enum mode m, u64 rounds)
{
	static u64 expect[TEST_NPAGES];
	unsigned long *bm = bitmap_zalloc(TEST_NPAGES);
	const char *name = mode_name[m];
	u64 r, p, v, writes = 0, read_logged = 0;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	bool wrote, dirty;

	memset(expect, 0, sizeof(expect));
	vm = create_vm(m, &vcpu, rounds);
	for (r = 1; r <= rounds; r++) {
		run_to(vcpu, name, r);
		kvm_vm_get_dirty_log(vm, TEST_SLOT, bm);
		if (m == M_CLEAR)
			kvm_vm_clear_dirty_log(vm, TEST_SLOT, bm, 0, TEST_NPAGES);

		for (p = 0; p < TEST_NPAGES; p++) {
			wrote = l2_writes(p, r);
			dirty = test_bit(p, bm);
			if (wrote) {
				expect[p] = VAL(ROUND_TAG, r, p);
				writes++;
			}
			TEST_ASSERT(dirty || !wrote,
				    "FAIL %s: round %lu page %lu: written by L2 but not in the dirty log",
				    name, r, p);
			read_logged += m == M_RW && dirty && !wrote;
			/*
			 * Initially-set: in round 1 every bit may be set.  rw: a
			 * read fault may log.
			 */
			TEST_ASSERT(!dirty || wrote || (m == M_CLEAR && r == 1) || m == M_RW,
				    "FAIL %s: round %lu page %lu: dirty but not written by L2 this round",
				    name, r, p);
			v = page_val(p);
			TEST_ASSERT(v == expect[p],
				    "FAIL %s: round %lu page %lu: holds 0x%lx, expected 0x%lx",
				    name, r, p, v, expect[p]);
		}
	}
	run_to(vcpu, name, STAGE_DONE);
	add_stats(vcpu);
	kvm_vm_free(vm);
	free(bm);
	if (m == M_RW)
		ksft_print_msg("rw: the read rounds logged %lu of %lu page reads\n",
			       read_logged, rounds / 2 * TEST_NPAGES);
	ksft_print_msg("PASS %s: %lu rounds, %lu page checks, %lu L2 writes logged\n",
		       name, rounds, rounds * TEST_NPAGES, writes);
}

struct race_log {
	struct kvm_vm *vm;
	unsigned long *bm, *all;	/* the last GET, the union of all GETs */
	u64 snap[RACE_NPAGES];	/* a slot page's value after its last CLEAR */
	bool armed[RACE_NPAGES];	/* cleared, not reported since */
	u64 *vmrun_now;
	bool stop;
	u64 clears;
};

static void race_get(struct race_log *rl)
{
	u64 p;

	kvm_vm_get_dirty_log(rl->vm, TEST_SLOT, rl->bm);
	for (p = 0; p < RACE_NPAGES; p++) {
		if (test_bit(p, rl->bm)) {
			__set_bit(p, rl->all);
			rl->armed[p] = false;
		}
	}
}

static void *race_collector(void *arg)
{
	struct race_log *rl = arg;
	u64 p;

	while (!READ_ONCE(*rl->vmrun_now) && !READ_ONCE(rl->stop))
		cpu_relax();
	while (!READ_ONCE(rl->stop)) {
		race_get(rl);
		/*
		 * One ioctl of 256 64-page batches: the lock mode is chosen once
		 * per ioctl, and the first CLEAR splits 32 2M SPTEs, dropping
		 * mmu_lock for each, before it reaches the last 2M, which L2
		 * writes.  Rmaps that appear meanwhile meet the later batches in
		 * the same ioctl.  A 64-page CLEAR would choose afresh per batch.
		 */
		kvm_vm_clear_dirty_log(rl->vm, TEST_SLOT, rl->bm, 0, RACE_NPAGES);
		/* Write-protected and flushed now: any later change must be logged. */
		for (p = 0; p < RACE_NPAGES; p++) {
			if (test_bit(p, rl->bm)) {
				rl->snap[p] = slot_val(p);
				rl->armed[p] = true;
			}
		}
		rl->clears++;
	}
	return NULL;
}

static void test_race(u64 attempts)
{
	static struct race_log rl;
	u64 a, p, v, want, clears = 0, huge = 0;
	struct kvm_vcpu *vcpu;
	pthread_t thread;

	rl.bm = bitmap_zalloc(RACE_NPAGES);
	rl.all = bitmap_zalloc(RACE_NPAGES);
	for (a = 1; a <= attempts; a++) {
		rl.vm = create_vm(M_RACE, &vcpu, 1);
		run_to(vcpu, "race", 0);
		huge -= vm_get_stat(rl.vm, "pages_2m");
		run_to(vcpu, "race", 0);	/* L1 wrote every 2M of the slot */
		huge += vm_get_stat(rl.vm, "pages_2m");
		vm_mem_region_set_flags(rl.vm, TEST_SLOT, KVM_MEM_LOG_DIRTY_PAGES);

		bitmap_zero(rl.all, RACE_NPAGES);
		memset(rl.armed, 0, sizeof(rl.armed));
		rl.stop = false;
		rl.clears = 0;
		rl.vmrun_now = addr_gva2hva(rl.vm, (vm_vaddr_t)&l1_vmrun_now);
		pthread_create(&thread, NULL, race_collector, &rl);
		run_to(vcpu, "race", 1);	/* L2 wrote every page RACE_PASSES times */
		WRITE_ONCE(rl.stop, true);
		pthread_join(thread, NULL);
		race_get(&rl);
		clears += rl.clears;

		for (p = 0; p < RACE_NPAGES; p++) {
			v = slot_val(p);
			TEST_ASSERT(!rl.armed[p] || v == rl.snap[p],
				    "FAIL race: round %lu slot page %lu: changed from 0x%lx to 0x%lx after a CLEAR re-armed it, but no later GET reported it",
				    a, p, rl.snap[p], v);
			TEST_ASSERT(test_bit(p, rl.all),
				    "FAIL race: round %lu slot page %lu: in no GET", a, p);
		}
		for (p = 0; p < TEST_NPAGES; p++) {
			v = page_val(p);
			want = VAL(RACE_TAG, RACE_PASSES - 1, p);
			TEST_ASSERT(v == want,
				    "FAIL race: round %lu page %lu: holds 0x%lx, expected 0x%lx",
				    a, p, v, want);
		}
		run_to(vcpu, "race", STAGE_DONE);
		add_stats(vcpu);
		kvm_vm_free(rl.vm);
	}
	free(rl.bm);
	free(rl.all);
	/* 32 2M SPTEs per VM: the first CLEAR splits them, the window is open. */
	ksft_print_msg("race: 2M SPTEs from L1: %lu in %lu VMs (of %lu each)%s; %lu CLEARs\n",
		       huge, attempts, (u64)(RACE_NPAGES * PAGE_SIZE / HPAGE),
		       thp_configured() ? "" : " (no THP)", clears);
	ksft_print_msg("PASS race: %lu rounds, %lu slot page checks, %d L2 passes each\n",
		       attempts, attempts * RACE_NPAGES, RACE_PASSES);
}

int main(int argc, char *argv[])
{
	u64 rounds = 8;
	int opt, m, only = -1;
	bool manual;

	while ((opt = getopt(argc, argv, "M:i:h")) != -1) {
		switch (opt) {
		case 'M':
			for (m = 0; m < NR_MODES; m++)
				if (!strcmp(optarg, mode_name[m]))
					only = m;
			TEST_ASSERT(only >= 0, "unknown mode '%s'", optarg);
			break;
		case 'i':
			rounds = atoi_positive("rounds", optarg);
			break;
		default:
			printf("usage: %s [-M get|clear|rw|race] [-i ROUNDS]\n", argv[0]);
			exit(opt == 'h' ? KSFT_PASS : KSFT_FAIL);
		}
	}

	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_SVM));
	__TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_NPT),
		       "KVM does not expose NPT to L1 (kvm_amd.npt=0?): no nested paging to test");

	ksft_print_header();
	ksft_set_plan(only < 0 ? NR_MODES : 1);
	ksft_print_msg("kvm_amd.npt=%d kvm.tdp_mmu=%d\n", get_kvm_amd_param_bool("npt"),
		       get_kvm_param_bool("tdp_mmu"));

	manual = (kvm_check_cap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) & MANUAL_FLAGS) == MANUAL_FLAGS;
	for (m = 0; m < NR_MODES; m++) {
		if (only >= 0 && m != only)
			continue;
		if (m != M_GET && m != M_RW && !manual) {
			ksft_test_result_skip("%s: no manual protect with initially-set\n",
					      mode_name[m]);
			continue;
		}
		memset(stats, 0, sizeof(stats));
		if (m == M_RACE)
			test_race(rounds);
		else if (m == M_RW)
			test_rounds(m, (rounds + 3) & ~3ul);
		else
			test_rounds(m, rounds);
		if (have_taken)
			ksft_print_msg("stats %s: pf_fast=%lu pf_taken=%lu\n",
				       mode_name[m], stats[0], stats[1]);
		else
			ksft_print_msg("stats %s: pf_fast=%lu\n", mode_name[m], stats[0]);
		ksft_test_result_pass("%s\n", mode_name[m]);
	}
	ksft_finished();
}

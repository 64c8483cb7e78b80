// SPDX-License-Identifier: GPL-2.0-only
/*
 * fastpf_shadow_regress_test: fast_page_fault() on shadow paging must not
 * act on an SPTE whose translation the guest has changed behind KVM's back.
 *
 * Under shadow paging (npt=0/ept=0) the host writes the guest PDE of a 2M
 * guest page G directly in guest memory, as a DMA write would: the write is
 * not trapped, so the shadow entries built from the old PDE stay stale.  The
 * next guest write to G takes a write-protect fault whose guest walk returns
 * the new gfn (fault->gfn), while the SPTE found by the lockless shadow walk
 * still maps the old one.  Invariants checked:
 *
 *  pde_remap, pde_remap_invlpg:
 *    The PDE maps G to A, in a slot with dirty logging on from the start,
 *    so KVM maps G with a direct child shadow page of 4K SPTEs under the
 *    indirect PD shadow page.  The guest writes V1 to G+k; KVM_GET_DIRTY_LOG
 *    reports A+k and write-protects its SPTE (MMU-writable kept).  The host
 *    points the PDE at X (same slot, same flags); the guest writes V2 to
 *    G+k, after INVLPG G in the _invlpg variant.  Then:
 *      - X+k holds V2 and A+k still holds V1: the write goes where the
 *        guest page tables say, not through the stale SPTE of A+k;
 *      - X+k is set in the dirty log.
 *    A fast path that makes the stale SPTE writable because its shadow page
 *    is direct puts V2 in A+k and logs X+k: A+k changes without being
 *    logged.
 *
 *  pde_noslot_huge:
 *    The slot is THP backed, the PDE maps G to A, and a guest write to G
 *    before dirty logging is enabled makes KVM map G with a 2M SPTE.
 *    Enabling dirty logging write-protects it (MMU-writable kept).  The host
 *    points the PDE at N, a 2M-aligned gpa with no memslot; the guest does
 *    INVLPG G and writes to G+k.  The write must exit to userspace as
 *    KVM_EXIT_MMIO at N+k.  The fault has fault->slot == NULL; a fast path
 *    that looks at the slot's dirty-log flags because the stale SPTE is
 *    huge dereferences NULL (host oops).  Without THP the SPTE is 4K and
 *    the stale-SPTE write of pde_remap happens instead: no MMIO exit, the
 *    write lands in A+k.
 *
 *  alias_remap:
 *    Slot TEST_SLOT at A and slot ALIAS_SLOT at B alias one host mapping
 *    (same userspace_addr), both 2M with dirty logging on from the start.
 *    Here G is a 4K gva page, mapped by a 4K guest PTE to A+p, p the page
 *    of k; the guest accesses G at k's offset in its page (gpa A+k).  The
 *    guest writes V1; KVM_GET_DIRTY_LOG of slot A reports A+k and
 *    write-protects its SPTE (MMU-writable kept).  The host points the PTE
 *    at B+p (same host page, other slot) and the guest writes V2 at the
 *    same gva, without INVLPG.
 *    The write-protect fault's guest walk gives B+k while the SPTE found by
 *    address still records A+k and maps the same pfn: the fast path must
 *    see the gfn change (gfn_changed) and leave the fault to the slow path.
 *    Then:
 *      - the shared host page holds V2 at k;
 *      - B+k is set in slot B's dirty log: the write went through the
 *        guest's translation to B+k.
 *    Whether slot A logged A+k in that round is reported, not checked
 *    (the slow path logs only B+k, fast_pf_fix_spte() would log both).
 *    The shared page cannot show a misdirected write: both gfns have the
 *    same pfn.
 *
 *  read_then_write:
 *    A dirty-logged 2M slot, a 4K guest PTE of G to A+p whose Accessed
 *    and Dirty bits the host sets before the guest runs; the log is
 *    fetched once to start clean.  The guest reads A+k through G: with the
 *    gPTE already dirty the shadow MMU may install a writable SPTE for the
 *    read fault, and must then log A+k.  The log is fetched (round 1), the
 *    guest writes V3 there, the log is fetched (round 2).  A+k must be in
 *    round 1 or round 2, and hold V3: a writable SPTE installed without
 *    logging lets the write through unseen, and round 1 does not
 *    write-protect a page it did not report.
 *
 *  stale_user_smap (needs SMAP, skipped without it):
 *    A 4K guest PTE of G to A+p in the same slot as read_then_write; the
 *    host sets U/S in the PTE and in the PDE, PDPTE and PML4E of G before
 *    the guest runs, so G is a user page.  The guest sets CR0.WP, then
 *    writes V1 to G with CR4.SMAP clear: under shadow paging KVM builds a
 *    writable SPTE with U=1.  The host clears U/S in the PTE only, behind
 *    KVM's back; the guest does INVLPG G, sets CR4.SMAP with EFLAGS.AC
 *    clear and writes V2 to G, now a supervisor page: the write is allowed.
 *    The stale SPTE still has U=1, so the CPU raises an SMAP #PF, which
 *    KVM intercepts under shadow paging.  The write must complete within
 *    20 s and A+k hold V2: the SPTE is writable, so a fast path that only
 *    checks W and X calls the fault spurious and the vCPU retries it
 *    forever.  CR0.WP is set first because the shadow page role has
 *    smap_andnot_wp = SMAP && !WP: with WP clear (the selftest default)
 *    setting SMAP would switch to new shadow pages and rebuild the SPTE
 *    from the guest PTE, hiding the bug.
 *
 *  initset_huge_pt (shadow paging only, skipped under TDP):
 *    The slot is THP backed; the guest maps G to A and G2 to A+2M with 2M
 *    PDEs and writes to both, so KVM maps them with writable 2M SPTEs H and
 *    H2.  Dirty logging is enabled with KVM_DIRTY_LOG_INITIALLY_SET, which
 *    leaves them writable, and the host clears the log of the first 64
 *    pages of each: KVM write-protects H and H2 under mmu_lock and flushes
 *    TLBs only when the whole CLEAR_DIRTY_LOG is done.  The host then makes
 *    page P of A a guest page table: it fills P with a PTE to X and points
 *    the non-present PDE of gva W at P, behind KVM's back.  The guest reads
 *    W.  KVM shadows P (account_shadowed()) and write-protects P's gfn,
 *    which H maps: that must flush TLBs.  account_shadowed() flushes only
 *    if it clears MMU-writable, so a dirty log write protection that
 *    cleared MMU-writable on H, with its own flush still pending while the
 *    rest of the ioctl runs without mmu_lock, would leave another vCPU
 *    writing P through a stale writable TLB entry, unseen by the new
 *    shadow page.  The race itself cannot be forced here; the flush that
 *    closes it is checked: remote_tlb_flush_requests must rise over the
 *    read (by exactly 1 in every run so far; "at least 1" is checked,
 *    because an mmu notifier invalidation of the VM's memory in that
 *    window, from khugepaged or compaction, would add one).  The read must
 *    return what the host put at X.  Then the guest writes to G2, which
 *    must appear in the dirty log: the CLEAR did make the huge SPTEs
 *    read-only (H2 is not touched by the shadowing of P).  This checks the
 *    flush that this series relies on (spte.h's rule); a kernel that
 *    instead flushed before releasing mmu_lock in the CLEAR would fail it
 *    and would be correct.
 *
 * With TDP (npt=1/ept=1, either MMU) the guest page tables are not shadowed
 * and every sub-test passes trivially; alias_remap and read_then_write then
 * check plain dirty logging, and stale_user_smap a plain SMAP-allowed write
 * (its INVLPG drops the guest's TLB entry with the old U bit).  pde_remap
 * and alias_remap (no INVLPG) then rely on the TLB flush done by
 * KVM_GET_DIRTY_LOG to drop the guest's cached translation of G, which KVM
 * does whenever it write-protects a page.
 *
 * pde_noslot_huge runs last, as it oopses a host without the fix.
 * -t NAME runs one sub-test.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/bitmap.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"

#define TEST_SLOT	1
#define HPAGE		(2ul << 20)
#define TEST_GPA	(4ul << 30)		/* 1G aligned, above slot 0 */
#define TEST_HPAGES	3
#define TEST_SIZE	(TEST_HPAGES * HPAGE)
#define TEST_NPAGES	(TEST_SIZE / 4096)
#define TEST_GVA	(3ul << 30)		/* 1G aligned: a PD page of its own */

#define GPA_A		(TEST_GPA)		/* PDE target before the remap */
#define GPA_X		(TEST_GPA + 2 * HPAGE)	/* PDE target after, same slot */
#define GPA_NOSLOT	(TEST_GPA + TEST_SIZE)	/* first 2M gpa after the slot */
#define OFF		(5 * 4096ul + 0x88)	/* k: 5 pages into G, qword aligned */

#define K_PAGE		(OFF & ~0xffful)	/* p: the page of k */
#define K_IN_PAGE	(OFF & 0xffful)

/* alias_remap, read_then_write: slot TEST_SLOT is 2M, G is mapped 4K. */
#define SLOT4K_NPAGES	(HPAGE / 4096)
#define ALIAS_SLOT	2
#define GPA_B		(TEST_GPA + (1ul << 30))	/* slot ALIAS_SLOT */

#define V1		0x1111aaaa00000001ul
#define V2		0x2222bbbb00000002ul
#define V3		0x3333cccc00000003ul
#define X_INIT		0x5a5a5a5a5a5a5a5aul	/* host-written before the run */

#define SMAP_TIMEOUT_S	20	/* stale_user_smap: bound on the SMAP write */

static inline void guest_invlpg(uint64_t gva)
{
	asm volatile("invlpg (%0)" :: "r"(gva) : "memory");
}

static inline void guest_set_cr0(uint64_t val)
{
	asm volatile("mov %0, %%cr0" :: "r"(val) : "memory");
}

/*
 * Write @v1 to @addr, stop (the host rewrites the PDE of @gva), optionally
 * INVLPG @gva, write @v2 to @addr.  Plain movs: the noslot case is emulated.
 */
static void guest_code(uint64_t gva, uint64_t addr, uint64_t v1, uint64_t v2,
		       uint64_t invlpg)
{
	WRITE_ONCE(*(uint64_t *)addr, v1);
	GUEST_SYNC(1);
	if (invlpg)
		guest_invlpg(gva);
	WRITE_ONCE(*(uint64_t *)addr, v2);
	GUEST_DONE();
}

/* Read @addr (passed back in GUEST_SYNC(1)), stop, write @v3 to @addr, stop. */
static void guest_read_then_write(uint64_t addr, uint64_t v3)
{
	uint64_t v = READ_ONCE(*(uint64_t *)addr);

	GUEST_SYNC_ARGS(1, v, 0, 0, 0);
	WRITE_ONCE(*(uint64_t *)addr, v3);
	GUEST_SYNC(2);
	GUEST_DONE();
}

/*
 * Set CR0.WP, write @v1 to @addr in the user page @gva with SMAP off, stop
 * (the host clears U/S in the PTE of @gva), INVLPG @gva, set CR4.SMAP with
 * EFLAGS.AC clear, write @v2 to @addr, now in a supervisor page.
 *
 * CR0.WP is set before the first access to @gva: the shadow page role has
 * smap_andnot_wp = CR4.SMAP && !CR0.WP, so with WP clear (the selftest
 * default) setting SMAP would switch to shadow pages of another role, and
 * the SPTE of @gva would be rebuilt from the guest PTE.  With WP set the
 * role does not change with SMAP; kvm_post_set_cr4() reloads the same root.
 *
 * The INVLPG is for TDP, where the hardware walks the guest PTE and its TLB
 * may still hold @gva with U=1.  Under shadow paging it does not hide the
 * bug: kvm_mmu_invlpg() -> __kvm_mmu_invalidate_addr() resyncs SPTEs only
 * in unsync shadow pages (sp->unsync) and stops at the root when it has no
 * unsync_children.  The guest page-table page of @gva stays sync (write
 * protected): the guest never writes it, so KVM never unsyncs it, and the
 * host write that clears U/S is not trapped.  So the stale SPTE survives
 * the INVLPG, and the CR4 write, whose root reload syncs unsync pages only.
 */
static void guest_stale_user_smap(uint64_t gva, uint64_t addr, uint64_t v1,
				  uint64_t v2)
{
	GUEST_ASSERT(this_cpu_has(X86_FEATURE_SMAP));
	guest_set_cr0(get_cr0() | X86_CR0_WP);
	WRITE_ONCE(*(uint64_t *)addr, v1);
	GUEST_SYNC(1);
	guest_invlpg(gva);
	set_cr4(get_cr4() | X86_CR4_SMAP);
	asm volatile("clac" ::: "memory");
	WRITE_ONCE(*(uint64_t *)addr, v2);
	GUEST_DONE();
}

/*
 * Write @v1 to @addr (in G) and @addr2 (in G2), stop; read @w (its PT is P,
 * in G), stop; write @v2 to @addr2, stop.
 */
static void guest_huge_pt(uint64_t addr, uint64_t addr2, uint64_t w,
			  uint64_t v1, uint64_t v2)
{
	WRITE_ONCE(*(uint64_t *)addr, v1);
	WRITE_ONCE(*(uint64_t *)addr2, v1);
	GUEST_SYNC(1);
	GUEST_SYNC_ARGS(2, READ_ONCE(*(uint64_t *)w), 0, 0, 0);
	WRITE_ONCE(*(uint64_t *)addr2, v2);
	GUEST_SYNC(3);
	GUEST_DONE();
}

static char read_param(const char *path)
{
	char c = '?';
	FILE *f = fopen(path, "r");

	if (f) {
		if (fread(&c, 1, 1, f) != 1)
			c = '?';
		fclose(f);
	}
	return c;
}

static void print_mmu_mode(void)
{
	char npt = read_param("/sys/module/kvm_amd/parameters/npt");
	char ept = read_param("/sys/module/kvm_intel/parameters/ept");
	char tdp_mmu = read_param("/sys/module/kvm/parameters/tdp_mmu");
	char tdp = npt != '?' ? npt : ept;

	ksft_print_msg("MMU: kvm_amd.npt=%c kvm_intel.ept=%c kvm.tdp_mmu=%c: %s\n",
		       npt, ept, tdp_mmu,
		       tdp == 'N' ? "shadow paging, the guest page tables are shadowed" :
		       tdp == 'Y' ? "TDP, guest page tables not shadowed (passes trivially)" :
		       "unknown");
}

/* Does KVM shadow the guest page tables (npt=0 or ept=0)? */
static bool shadow_paging(void)
{
	char npt = read_param("/sys/module/kvm_amd/parameters/npt");
	char ept = read_param("/sys/module/kvm_intel/parameters/ept");

	return (npt != '?' ? npt : ept) == 'N';
}

static bool thp_usable(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	ksft_print_msg("THP: %s\n", buf[0] ? buf : "not configured");
	return strstr(buf, "[always]") || strstr(buf, "[madvise]");
}

/* Is @gpa set in @bm, the dirty bitmap of the slot that starts at @base? */
static bool logged_in(const unsigned long *bm, uint64_t base, uint64_t gpa)
{
	uint64_t n = (gpa - base) / PAGE_SIZE;

	return (bm[n / (8 * sizeof(long))] >> (n % (8 * sizeof(long)))) & 1;
}

static bool logged(const unsigned long *bm, uint64_t gpa)
{
	return logged_in(bm, TEST_GPA, gpa);
}

static uint64_t *hva64(struct kvm_vm *vm, uint64_t gpa)
{
	return addr_gpa2hva(vm, gpa);
}

static struct kvm_vm *create_vm(struct kvm_vcpu **vcpu,
				enum vm_mem_backing_src_type src, uint32_t flags)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_code);

	TEST_ASSERT((GPA_NOSLOT + HPAGE - 1) >> vm->page_shift <= vm->max_gfn,
		    "gpa 0x%lx above the guest MAXPHYADDR", GPA_NOSLOT);
	vm_userspace_mem_region_add(vm, src, TEST_GPA, TEST_SLOT, TEST_NPAGES,
				    flags);
	virt_map_level(vm, TEST_GVA, GPA_A, HPAGE, PG_LEVEL_2M);
	return vm;
}

/*
 * A VM running @guest_fn with the 2M slot TEST_SLOT at TEST_GPA, dirty
 * logged from the start, and the 4K page @gva mapped to @gpa.  @max_gpa
 * is the highest gpa the sub-test uses.
 */
static struct kvm_vm *create_vm_4k(struct kvm_vcpu **vcpu, void *guest_fn,
				   uint64_t gva, uint64_t gpa, uint64_t max_gpa)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_fn);

	TEST_ASSERT(max_gpa >> vm->page_shift <= vm->max_gfn,
		    "gpa 0x%lx above the guest MAXPHYADDR", max_gpa);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, TEST_GPA, TEST_SLOT,
				    SLOT4K_NPAGES, KVM_MEM_LOG_DIRTY_PAGES);
	virt_pg_map(vm, gva, gpa);
	return vm;
}

/* Run to GUEST_SYNC(@stage), its ucall in *@out; anything else is a broken setup. */
static void run_to_stage(struct kvm_vcpu *vcpu, const char *name, uint64_t stage,
			 struct ucall *out)
{
	struct ucall uc;

	vcpu_run(vcpu);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		TEST_ASSERT(uc.args[1] == stage, "%s: GUEST_SYNC(%lu), expected %lu",
			    name, uc.args[1], stage);
		if (out)
			*out = uc;
		return;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
	default:
		TEST_FAIL("%s: expected GUEST_SYNC(%lu), got exit %s, ucall %lu",
			  name, stage, exit_reason_str(vcpu->run->exit_reason), uc.cmd);
	}
}

/* Run to GUEST_SYNC(1); anything else is a broken setup. */
static void run_to_sync(struct kvm_vcpu *vcpu, const char *name)
{
	run_to_stage(vcpu, name, 1, NULL);
}

/* Run to GUEST_DONE; false (reported) on anything else. */
static bool run_to_done(struct kvm_vcpu *vcpu, const char *name, const char *after)
{
	struct ucall uc;
	uint64_t cmd;

	vcpu_run(vcpu);
	cmd = get_ucall(vcpu, &uc);
	if (cmd == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	if (cmd != UCALL_DONE) {
		ksft_print_msg("FAIL %s: expected GUEST_DONE %s, got exit %s, ucall %lu\n",
			       name, after, exit_reason_str(vcpu->run->exit_reason), cmd);
		return false;
	}
	return true;
}

/* The 4K guest PTE of @gva, which must map @gpa. */
static uint64_t *get_pte_4k(struct kvm_vm *vm, const char *name, uint64_t gva,
			    uint64_t gpa)
{
	int level = PG_LEVEL_4K;
	uint64_t *pte = __vm_get_page_table_entry(vm, gva, &level);

	TEST_ASSERT(level == PG_LEVEL_4K && (*pte & PTE_PRESENT_MASK) &&
		    PTE_GET_PA(*pte) == gpa,
		    "%s: PTE of gva 0x%lx is 0x%lx, expected a 4K PTE to gpa 0x%lx",
		    name, gva, *pte, gpa);
	return pte;
}

/* Point the 4K guest PTE of @gva from @old_gpa to @new_gpa, keeping its flags. */
static void remap_pte(struct kvm_vm *vm, const char *name, uint64_t gva,
		      uint64_t old_gpa, uint64_t new_gpa)
{
	uint64_t *pte = get_pte_4k(vm, name, gva, old_gpa);
	uint64_t old = *pte;

	TEST_ASSERT(!(new_gpa & (PAGE_SIZE - 1)) && !(new_gpa & ~PHYSICAL_PAGE_MASK),
		    "bad 4K gpa 0x%lx", new_gpa);
	WRITE_ONCE(*pte, (old & ~PHYSICAL_PAGE_MASK) | new_gpa);
	ksft_print_msg("%s: host rewrote the PTE of gva 0x%lx (at gpa 0x%lx): 0x%lx -> 0x%lx\n",
		       name, gva, addr_hva2gpa(vm, pte), old, *pte);
}

/*
 * Set U/S in the PML4E, PDPTE, PDE and 4K PTE of @gva, which must map @gpa:
 * a user page needs U/S at every level.
 */
static void set_user_walk(struct kvm_vm *vm, const char *name, uint64_t gva,
			  uint64_t gpa)
{
	static const char * const entry_name[PG_LEVEL_NUM] = {
		[PG_LEVEL_4K] = "PTE", [PG_LEVEL_2M] = "PDE",
		[PG_LEVEL_1G] = "PDPTE", [PG_LEVEL_512G] = "PML4E",
	};
	uint64_t *e, old;
	int l, level;

	for (l = PG_LEVEL_512G; l >= PG_LEVEL_4K; l--) {
		level = l;
		if (l == PG_LEVEL_4K) {
			e = get_pte_4k(vm, name, gva, gpa);
		} else {
			e = __vm_get_page_table_entry(vm, gva, &level);
			TEST_ASSERT(level == l && (*e & PTE_PRESENT_MASK) &&
				    !(*e & PTE_LARGE_MASK),
				    "%s: %s of gva 0x%lx is 0x%lx, expected a present non-leaf entry",
				    name, entry_name[l], gva, *e);
		}
		old = *e;
		WRITE_ONCE(*e, old | PTE_USER_MASK);
		ksft_print_msg("%s: host set U/S in the %s of gva 0x%lx (at gpa 0x%lx): 0x%lx -> 0x%lx\n",
			       name, entry_name[l], gva, addr_hva2gpa(vm, e), old, *e);
	}
}

/* Point the guest PDE of @gva from @old_gpa to @new_gpa, keeping its flags. */
static void remap_pde(struct kvm_vm *vm, const char *name, uint64_t gva,
		      uint64_t old_gpa, uint64_t new_gpa)
{
	int level = PG_LEVEL_2M;
	uint64_t *pde = __vm_get_page_table_entry(vm, gva, &level);
	uint64_t old = *pde;

	TEST_ASSERT(level == PG_LEVEL_2M && (old & PTE_PRESENT_MASK) &&
		    (old & PTE_LARGE_MASK) && PTE_GET_PA(old) == old_gpa,
		    "%s: PDE of gva 0x%lx is 0x%lx, expected a 2M PDE to gpa 0x%lx",
		    name, gva, old, old_gpa);
	TEST_ASSERT(!(new_gpa & (HPAGE - 1)) && !(new_gpa & ~PHYSICAL_PAGE_MASK),
		    "bad 2M gpa 0x%lx", new_gpa);
	WRITE_ONCE(*pde, (old & ~PHYSICAL_PAGE_MASK) | new_gpa);
	ksft_print_msg("%s: host rewrote the PDE of gva 0x%lx (at gpa 0x%lx): 0x%lx -> 0x%lx\n",
		       name, gva, addr_hva2gpa(vm, pde), old, *pde);
}

static bool test_pde_remap(const char *name, bool invlpg)
{
	uint64_t a_k = GPA_A + OFF, x_k = GPA_X + OFF;
	unsigned long *bm = bitmap_zalloc(TEST_NPAGES);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	uint64_t a, x, cmd;
	bool pass = true, la, lx;

	TEST_ASSERT(bm, "ENOMEM");
	vm = create_vm(&vcpu, VM_MEM_SRC_ANONYMOUS, KVM_MEM_LOG_DIRTY_PAGES);
	vcpu_args_set(vcpu, 5, TEST_GVA, TEST_GVA + OFF, V1, V2, (uint64_t)invlpg);
	*hva64(vm, x_k) = X_INIT;

	/* V1 through the PDE to A, then fetch (and write-protect) the log. */
	run_to_sync(vcpu, name);
	kvm_vm_get_dirty_log(vm, TEST_SLOT, bm);
	a = *hva64(vm, a_k);
	la = logged(bm, a_k);
	if (a != V1 || !la) {
		ksft_print_msg("FAIL %s: after the first guest write of 0x%lx to gva 0x%lx: "
			       "gpa 0x%lx holds 0x%lx, dirty %d (expected 0x%lx, dirty 1)\n",
			       name, V1, TEST_GVA + OFF, a_k, a, la, V1);
		pass = false;
		goto out;
	}

	remap_pde(vm, name, TEST_GVA, GPA_A, GPA_X);

	/* V2 through the PDE to X. */
	vcpu_run(vcpu);
	cmd = get_ucall(vcpu, &uc);
	if (cmd == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	if (cmd != UCALL_DONE) {
		ksft_print_msg("FAIL %s: expected GUEST_DONE after the second write, got exit %s, ucall %lu\n",
			       name, exit_reason_str(vcpu->run->exit_reason), cmd);
		pass = false;
	}

	kvm_vm_get_dirty_log(vm, TEST_SLOT, bm);
	a = *hva64(vm, a_k);
	x = *hva64(vm, x_k);
	la = logged(bm, a_k);
	lx = logged(bm, x_k);
	ksft_print_msg("%s: after the guest write of 0x%lx to gva 0x%lx%s: "
		       "gpa 0x%lx (X+k) = 0x%lx dirty %d, gpa 0x%lx (A+k) = 0x%lx dirty %d\n",
		       name, V2, TEST_GVA + OFF, invlpg ? " (after INVLPG)" : "",
		       x_k, x, lx, a_k, a, la);

	if (x != V2 || a != V1) {
		if (x == X_INIT && a == V2)
			ksft_print_msg("FAIL %s: the guest write of 0x%lx to gva 0x%lx went through the stale SPTE "
				       "to gpa 0x%lx (A+k, old PDE target) instead of gpa 0x%lx (X+k, guest PDE target)%s\n",
				       name, V2, TEST_GVA + OFF, a_k, x_k,
				       la ? "" : "; gpa A+k changed but is not in the dirty log");
		else
			ksft_print_msg("FAIL %s: expected gpa 0x%lx (X+k) = 0x%lx and gpa 0x%lx (A+k) = 0x%lx\n",
				       name, x_k, V2, a_k, V1);
		pass = false;
	}
	if (!lx) {
		ksft_print_msg("FAIL %s: gpa 0x%lx (X+k) is not in the dirty log\n", name, x_k);
		pass = false;
	}
out:
	kvm_vm_free(vm);
	free(bm);
	return pass;
}

static bool test_alias_remap(const char *name)
{
	uint64_t a_p = TEST_GPA + K_PAGE, b_p = GPA_B + K_PAGE;
	uint64_t a_k = TEST_GPA + OFF, b_k = GPA_B + OFF;
	uint64_t gva_k = TEST_GVA + K_IN_PAGE;
	unsigned long *bma = bitmap_zalloc(SLOT4K_NPAGES);
	unsigned long *bmb = bitmap_zalloc(SLOT4K_NPAGES);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t *shared, v;
	bool pass = true, la, lb;

	TEST_ASSERT(bma && bmb, "ENOMEM");
	vm = create_vm_4k(&vcpu, guest_code, TEST_GVA, a_p, GPA_B + HPAGE - 1);
	/* Slot B: the host memory of slot A at another gpa, also dirty logged. */
	vm_set_user_memory_region(vm, ALIAS_SLOT, KVM_MEM_LOG_DIRTY_PAGES, GPA_B,
				  HPAGE, addr_gpa2hva(vm, TEST_GPA));
	ksft_print_msg("%s: slot %d at gpa 0x%lx and slot %d at gpa 0x%lx alias one host mapping\n",
		       name, TEST_SLOT, TEST_GPA, ALIAS_SLOT, GPA_B);
	vcpu_args_set(vcpu, 5, TEST_GVA, gva_k, V1, V2, 0ul);
	shared = hva64(vm, a_k);	/* the host qword of both A+k and B+k */
	*shared = X_INIT;

	/* V1 through the PTE to A+p, then fetch (and write-protect) the logs. */
	run_to_sync(vcpu, name);
	kvm_vm_get_dirty_log(vm, TEST_SLOT, bma);
	kvm_vm_get_dirty_log(vm, ALIAS_SLOT, bmb);
	v = *shared;
	la = logged_in(bma, TEST_GPA, a_k);
	lb = logged_in(bmb, GPA_B, b_k);
	if (v != V1 || !la) {
		ksft_print_msg("FAIL %s: after the first guest write of 0x%lx to gva 0x%lx: "
			       "gpa 0x%lx holds 0x%lx, dirty %d in slot %d (expected 0x%lx, dirty 1)\n",
			       name, V1, gva_k, a_k, v, la, TEST_SLOT, V1);
		pass = false;
		goto out;
	}
	if (lb)
		ksft_print_msg("%s: note: gpa 0x%lx already dirty in slot %d before the remap\n",
			       name, b_k, ALIAS_SLOT);

	remap_pte(vm, name, TEST_GVA, a_p, b_p);

	/* V2 through the PTE to B+p: the same host page, the other slot. */
	if (!run_to_done(vcpu, name, "after the second write"))
		pass = false;

	kvm_vm_get_dirty_log(vm, TEST_SLOT, bma);
	kvm_vm_get_dirty_log(vm, ALIAS_SLOT, bmb);
	v = *shared;
	la = logged_in(bma, TEST_GPA, a_k);
	lb = logged_in(bmb, GPA_B, b_k);
	ksft_print_msg("%s: after the guest write of 0x%lx to gva 0x%lx: host qword of gpa 0x%lx/0x%lx = 0x%lx; "
		       "gpa 0x%lx (B+k) dirty %d in slot %d; gpa 0x%lx (A+k) dirty %d in slot %d (reported only)\n",
		       name, V2, gva_k, a_k, b_k, v, b_k, lb, ALIAS_SLOT, a_k, la, TEST_SLOT);

	if (v != V2) {
		ksft_print_msg("FAIL %s: the host page shared by gpa 0x%lx (slot %d) and gpa 0x%lx (slot %d) "
			       "holds 0x%lx, expected 0x%lx\n",
			       name, a_k, TEST_SLOT, b_k, ALIAS_SLOT, v, V2);
		pass = false;
	}
	if (!lb) {
		ksft_print_msg("FAIL %s: gpa 0x%lx (slot %d) is not in the dirty log after the guest wrote 0x%lx "
			       "through its PTE to it; it aliases gpa 0x%lx (slot %d, old PTE target, dirty %d)\n",
			       name, b_k, ALIAS_SLOT, V2, a_k, TEST_SLOT, la);
		pass = false;
	}
out:
	vm_set_user_memory_region(vm, ALIAS_SLOT, 0, GPA_B, 0, NULL);
	kvm_vm_free(vm);
	free(bma);
	free(bmb);
	return pass;
}

static bool test_read_then_write(const char *name)
{
	uint64_t a_p = TEST_GPA + K_PAGE, a_k = TEST_GPA + OFF;
	uint64_t gva_k = TEST_GVA + K_IN_PAGE;
	unsigned long *bm = bitmap_zalloc(SLOT4K_NPAGES);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	uint64_t *pte, old, r, v;
	bool pass = true, d1, d2;

	TEST_ASSERT(bm, "ENOMEM");
	vm = create_vm_4k(&vcpu, guest_read_then_write, TEST_GVA, a_p,
			  TEST_GPA + HPAGE - 1);
	vcpu_args_set(vcpu, 2, gva_k, V3);
	*hva64(vm, a_k) = X_INIT;

	/* The guest PTE is already Accessed and Dirty when the guest reads. */
	pte = get_pte_4k(vm, name, TEST_GVA, a_p);
	old = *pte;
	WRITE_ONCE(*pte, old | PTE_ACCESSED_MASK | PTE_DIRTY_MASK);
	ksft_print_msg("%s: host set A and D in the PTE of gva 0x%lx (at gpa 0x%lx): 0x%lx -> 0x%lx\n",
		       name, TEST_GVA, addr_hva2gpa(vm, pte), old, *pte);

	/* Start from a clean log. */
	kvm_vm_get_dirty_log(vm, TEST_SLOT, bm);

	/* Round 1: the read. */
	run_to_stage(vcpu, name, 1, &uc);
	r = uc.args[2];
	kvm_vm_get_dirty_log(vm, TEST_SLOT, bm);
	d1 = logged(bm, a_k);
	ksft_print_msg("%s: the guest read 0x%lx from gva 0x%lx; gpa 0x%lx dirty after the read: %d\n",
		       name, r, gva_k, a_k, d1);
	if (r != X_INIT) {
		ksft_print_msg("FAIL %s: the guest read 0x%lx from gva 0x%lx (gpa 0x%lx), expected 0x%lx\n",
			       name, r, gva_k, a_k, X_INIT);
		pass = false;
		goto out;
	}

	/* Round 2: the write. */
	run_to_stage(vcpu, name, 2, NULL);
	kvm_vm_get_dirty_log(vm, TEST_SLOT, bm);
	d2 = logged(bm, a_k);
	v = *hva64(vm, a_k);
	ksft_print_msg("%s: after the guest write of 0x%lx to gva 0x%lx: gpa 0x%lx = 0x%lx, dirty after the write: %d; "
		       "reported by %s\n",
		       name, V3, gva_k, a_k, v, d2,
		       d1 && d2 ? "both rounds" : d1 ? "the read round only" :
		       d2 ? "the write round only" : "no round");

	if (!d1 && !d2) {
		ksft_print_msg("FAIL %s: the guest write of 0x%lx to gva 0x%lx (gpa 0x%lx) is in no dirty log round "
			       "(after the read: 0, after the write: 0)\n",
			       name, V3, gva_k, a_k);
		pass = false;
	}
	if (v != V3) {
		ksft_print_msg("FAIL %s: gpa 0x%lx holds 0x%lx after the guest write, expected 0x%lx\n",
			       name, a_k, v, V3);
		pass = false;
	}
	if (!run_to_done(vcpu, name, "after the write"))
		pass = false;
out:
	kvm_vm_free(vm);
	free(bm);
	return pass;
}

static void alarm_nop(int sig)
{
}

static int test_stale_user_smap(const char *name)
{
	uint64_t a_p = TEST_GPA + K_PAGE, a_k = TEST_GPA + OFF;
	uint64_t gva_k = TEST_GVA + K_IN_PAGE;
	struct sigaction sa = { .sa_handler = alarm_nop }, old_sa;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	uint64_t *pte, old, v, cmd;
	bool pass = true;
	int r, err;

	if (!kvm_cpu_has(X86_FEATURE_SMAP)) {
		ksft_print_msg("SKIP %s: no SMAP\n", name);
		return KSFT_SKIP;
	}

	vm = create_vm_4k(&vcpu, guest_stale_user_smap, TEST_GVA, a_p,
			  TEST_GPA + HPAGE - 1);
	vcpu_args_set(vcpu, 4, TEST_GVA, gva_k, V1, V2);
	*hva64(vm, a_k) = X_INIT;

	/* G is a user page: U/S at every level of its walk. */
	set_user_walk(vm, name, TEST_GVA, a_p);

	/* V1 with SMAP off: under shadow paging KVM maps G with U=1. */
	run_to_sync(vcpu, name);
	v = *hva64(vm, a_k);
	if (v != V1) {
		ksft_print_msg("FAIL %s: gpa 0x%lx holds 0x%lx after the guest wrote 0x%lx to gva 0x%lx, "
			       "expected 0x%lx\n", name, a_k, v, V1, gva_k, V1);
		pass = false;
		goto out;
	}

	/* Clear U/S in the PTE only, behind KVM's back: the SPTE keeps U=1. */
	pte = get_pte_4k(vm, name, TEST_GVA, a_p);
	old = *pte;
	WRITE_ONCE(*pte, old & ~PTE_USER_MASK);
	ksft_print_msg("%s: host cleared U/S in the PTE of gva 0x%lx (at gpa 0x%lx): 0x%lx -> 0x%lx\n",
		       name, TEST_GVA, addr_hva2gpa(vm, pte), old, *pte);
	ksft_print_msg("%s: guest sets CR4.SMAP and writes 0x%lx to gva 0x%lx, now a supervisor page; "
		       "a kernel with the bug livelocks here (%d s timeout)\n",
		       name, V2, gva_k, SMAP_TIMEOUT_S);
	fflush(stdout);

	/*
	 * Bound the run: no SA_RESTART, so the alarm makes KVM_RUN return
	 * -EINTR.  __vcpu_run(), as _vcpu_run() retries on EINTR.
	 */
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	TEST_ASSERT(!sigaction(SIGALRM, &sa, &old_sa), "sigaction(SIGALRM): %s",
		    strerror(errno));
	alarm(SMAP_TIMEOUT_S);
	r = __vcpu_run(vcpu);
	err = errno;
	alarm(0);
	TEST_ASSERT(!sigaction(SIGALRM, &old_sa, NULL), "sigaction(SIGALRM): %s",
		    strerror(errno));

	v = *hva64(vm, a_k);
	if (r == -1 && err == EINTR) {
		if (v != V2) {
			ksft_print_msg("%s: KVM_RUN interrupted by the alarm, exit %s; gpa 0x%lx holds 0x%lx\n",
				       name, exit_reason_str(vcpu->run->exit_reason), a_k, v);
			ksft_print_msg("FAIL %s: the vCPU made no progress for %d s on a supervisor write to gva 0x%lx "
				       "after its PTE's U bit was cleared (SMAP fault on a stale SPTE reported "
				       "spurious forever)\n",
				       name, SMAP_TIMEOUT_S, gva_k);
			pass = false;
			goto out;
		}
		/* The write landed as the alarm fired: let the guest finish. */
		ksft_print_msg("%s: KVM_RUN interrupted after the write of 0x%lx completed\n",
			       name, V2);
		if (!run_to_done(vcpu, name, "after the SMAP write"))
			pass = false;
	} else {
		TEST_ASSERT(!r, "%s: KVM_RUN failed, rc: %d errno: %d (%s)",
			    name, r, err, strerror(err));
		cmd = get_ucall(vcpu, &uc);
		if (cmd == UCALL_ABORT)
			REPORT_GUEST_ASSERT(uc);
		if (cmd != UCALL_DONE) {
			ksft_print_msg("FAIL %s: expected GUEST_DONE after the SMAP write, got exit %s, ucall %lu\n",
				       name, exit_reason_str(vcpu->run->exit_reason), cmd);
			pass = false;
		}
	}

	v = *hva64(vm, a_k);
	ksft_print_msg("%s: after the guest write of 0x%lx to gva 0x%lx with SMAP on: gpa 0x%lx = 0x%lx\n",
		       name, V2, gva_k, a_k, v);
	if (v != V2) {
		ksft_print_msg("FAIL %s: gpa 0x%lx holds 0x%lx after the SMAP write, expected 0x%lx\n",
			       name, a_k, v, V2);
		pass = false;
	}
out:
	kvm_vm_free(vm);
	return pass ? KSFT_PASS : KSFT_FAIL;
}

static bool test_pde_noslot_huge(const char *name)
{
	uint64_t a_k = GPA_A + OFF, n_k = GPA_NOSLOT + OFF;
	bool thp = thp_usable();
	struct kvm_vcpu *vcpu;
	struct kvm_run *run;
	struct kvm_vm *vm;
	struct ucall uc;
	uint64_t a, cmd, huge0, huge1;
	bool pass = true;

	/* Without THP configured, ANONYMOUS_THP would assert; 4K is still a test. */
	vm = create_vm(&vcpu, thp_configured() ? VM_MEM_SRC_ANONYMOUS_THP :
		       VM_MEM_SRC_ANONYMOUS, 0);
	run = vcpu->run;
	vcpu_args_set(vcpu, 5, TEST_GVA, TEST_GVA + OFF, V1, V2, 1ul);

	/* V1 through the PDE to A, no dirty logging yet: a 2M SPTE if THP. */
	huge0 = vm_get_stat(vm, "pages_2m");
	run_to_sync(vcpu, name);
	huge1 = vm_get_stat(vm, "pages_2m");
	a = *hva64(vm, a_k);
	TEST_ASSERT(a == V1, "%s: gpa 0x%lx holds 0x%lx after the first write, expected 0x%lx",
		    name, a_k, a, V1);
	ksft_print_msg("%s: 2M SPTEs (pages_2m) %lu -> %lu after the first write: %s\n",
		       name, huge0, huge1,
		       huge1 > huge0 ? "G is mapped huge, testing the NULL-slot huge SPTE case" :
		       thp ? "no huge SPTE although THP is on (no THP page?), testing the 4K case" :
		       "THP unavailable, testing the 4K case");

	vm_mem_region_set_flags(vm, TEST_SLOT, KVM_MEM_LOG_DIRTY_PAGES);
	remap_pde(vm, name, TEST_GVA, GPA_A, GPA_NOSLOT);
	ksft_print_msg("%s: guest writes 0x%lx to gva 0x%lx, now gpa 0x%lx (no memslot); "
		       "a kernel without the fix oopses here if G is mapped huge\n",
		       name, V2, TEST_GVA + OFF, n_k);
	fflush(stdout);

	vcpu_run(vcpu);
	if (run->exit_reason != KVM_EXIT_MMIO) {
		cmd = get_ucall(vcpu, &uc);
		if (cmd == UCALL_ABORT)
			REPORT_GUEST_ASSERT(uc);
		a = *hva64(vm, a_k);
		ksft_print_msg("FAIL %s: expected a KVM_EXIT_MMIO write of 0x%lx at gpa 0x%lx, got exit %s, "
			       "ucall %lu; gpa 0x%lx (A+k, old PDE target) holds 0x%lx%s\n",
			       name, V2, n_k, exit_reason_str(run->exit_reason), cmd,
			       a_k, a, a == V2 ? ": the write went through the stale SPTE" : "");
		pass = false;
		goto out;
	}

	ksft_print_msg("%s: KVM_EXIT_MMIO phys_addr 0x%llx len %u is_write %u data 0x%lx\n",
		       name, run->mmio.phys_addr, run->mmio.len, run->mmio.is_write,
		       *(uint64_t *)run->mmio.data);
	if (run->mmio.phys_addr != n_k || !run->mmio.is_write || run->mmio.len != 8 ||
	    memcmp(run->mmio.data, &(uint64_t){ V2 }, 8)) {
		ksft_print_msg("FAIL %s: expected a KVM_EXIT_MMIO write of 0x%lx, 8 bytes, at gpa 0x%lx\n",
			       name, V2, n_k);
		pass = false;
		goto out;
	}

	/* The MMIO write completes on re-entry; the guest finishes. */
	if (!run_to_done(vcpu, name, "after the MMIO exit"))
		pass = false;
	a = *hva64(vm, a_k);
	if (a != V1) {
		ksft_print_msg("FAIL %s: gpa 0x%lx (A+k, old PDE target) changed to 0x%lx\n",
			       name, a_k, a);
		pass = false;
	}
out:
	kvm_vm_free(vm);
	return pass;
}

#define HUGE_PT_OFF	(7 * 4096ul)		/* P: a page of G, not k's */
#define HUGE_PT_W	(TEST_GVA + 4 * HPAGE)	/* W: a PDE of G's PD page */
#define HUGE_G2		(TEST_GVA + HPAGE)	/* G2: the second 2M page */
#define GPA_A2		(GPA_A + HPAGE)

static int test_initset_huge_pt(const char *name)
{
	uint64_t a_k = GPA_A + OFF, a2_k = GPA_A2 + OFF, p = GPA_A + HUGE_PT_OFF;
	unsigned long *bm = bitmap_zalloc(TEST_NPAGES);
	uint64_t huge0, huge1, flush0, flush1, *pde;
	int level = PG_LEVEL_2M, ret = KSFT_PASS;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_ASSERT(bm, "ENOMEM");
	if (!shadow_paging()) {
		ksft_print_msg("%s: TDP: KVM does not shadow guest page tables, skipped\n",
			       name);
		free(bm);
		return KSFT_SKIP;
	}
	if (!thp_usable() || !thp_configured() ||
	    !kvm_check_cap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)) {
		ksft_print_msg("%s: needs THP and KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, skipped\n",
			       name);
		free(bm);
		return KSFT_SKIP;
	}

	vm = create_vm(&vcpu, VM_MEM_SRC_ANONYMOUS_THP, 0);
	virt_map_level(vm, HUGE_G2, GPA_A2, HPAGE, PG_LEVEL_2M);
	vcpu_arch_set_entry_point(vcpu, guest_huge_pt);
	vcpu_args_set(vcpu, 5, TEST_GVA + OFF, HUGE_G2 + OFF, HUGE_PT_W, V1, V2);
	*hva64(vm, GPA_X) = X_INIT;

	/* V1 to G and G2, no dirty logging yet: writable 2M SPTEs H and H2. */
	huge0 = vm_get_stat(vm, "pages_2m");
	run_to_stage(vcpu, name, 1, NULL);
	huge1 = vm_get_stat(vm, "pages_2m");
	if (huge1 < huge0 + 2 || *hva64(vm, a_k) != V1 || *hva64(vm, a2_k) != V1) {
		ksft_print_msg("%s: G and G2 not both mapped by 2M SPTEs (pages_2m %lu -> %lu, "
			       "no THP page?), skipped\n", name, huge0, huge1);
		ret = KSFT_SKIP;
		goto out;
	}

	/*
	 * Log initially all set: H and H2 stay writable until their gfns are
	 * cleared.  Clear the first 64 pages of each.
	 */
	vm_enable_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
		      KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET);
	vm_mem_region_set_flags(vm, TEST_SLOT, KVM_MEM_LOG_DIRTY_PAGES);
	bm[0] = ~0ul;					/* pages 0-63 of G */
	bm[HPAGE / PAGE_SIZE / BITS_PER_LONG] = ~0ul;	/* and of G2 */
	kvm_vm_clear_dirty_log(vm, TEST_SLOT, bm, 0, HPAGE / PAGE_SIZE + 64);

	/* P becomes the guest PT of W, behind KVM's back. */
	*hva64(vm, p) = GPA_X | PTE_PRESENT_MASK | PTE_WRITABLE_MASK;
	pde = __vm_get_page_table_entry(vm, HUGE_PT_W, &level);
	TEST_ASSERT(level == PG_LEVEL_2M && !(*pde & PTE_PRESENT_MASK),
		    "%s: PDE of gva 0x%lx is 0x%lx, expected a non-present PDE",
		    name, HUGE_PT_W, *pde);
	WRITE_ONCE(*pde, p | PTE_PRESENT_MASK | PTE_WRITABLE_MASK);
	ksft_print_msg("%s: host made gpa 0x%lx (in G, mapped by the 2M SPTE) the PT of gva 0x%lx\n",
		       name, p, HUGE_PT_W);

	flush0 = vm_get_stat(vm, "remote_tlb_flush_requests");
	run_to_stage(vcpu, name, 2, &uc);
	flush1 = vm_get_stat(vm, "remote_tlb_flush_requests");
	ksft_print_msg("%s: guest read 0x%lx at gva 0x%lx; remote_tlb_flush_requests %lu -> %lu\n",
		       name, uc.args[2], HUGE_PT_W, flush0, flush1);
	if (uc.args[2] != X_INIT) {
		ksft_print_msg("FAIL %s: read 0x%lx through the new PT, expected 0x%lx\n",
			       name, uc.args[2], X_INIT);
		ret = KSFT_FAIL;
	}
	if (flush1 == flush0) {
		ksft_print_msg("FAIL %s: shadowing a gfn under the 2M SPTE that dirty logging made "
			       "read-only flushed TLBs 0 times, expected at least 1: the write "
			       "protection cleared MMU-writable without a flush under mmu_lock\n",
			       name);
		ret = KSFT_FAIL;
	}

	/* V2 to G2: the CLEAR made H2 read-only, so the write is logged. */
	run_to_stage(vcpu, name, 3, NULL);
	kvm_vm_get_dirty_log(vm, TEST_SLOT, bm);
	ksft_print_msg("%s: guest wrote 0x%lx to gva 0x%lx (gpa 0x%lx, in G2): 0x%lx, dirty %d\n",
		       name, V2, HUGE_G2 + OFF, a2_k, *hva64(vm, a2_k), logged(bm, a2_k));
	if (*hva64(vm, a2_k) != V2 || !logged(bm, a2_k)) {
		ksft_print_msg("FAIL %s: the write to G2 after the CLEAR is %s: the CLEAR left "
			       "the 2M SPTE writable\n", name,
			       *hva64(vm, a2_k) != V2 ? "missing" : "not in the dirty log");
		ret = KSFT_FAIL;
	}
	if (!run_to_done(vcpu, name, "after the write to G2"))
		ret = KSFT_FAIL;
out:
	kvm_vm_free(vm);
	free(bm);
	return ret;
}

/* pde_noslot_huge stays last: it oopses a host without the fix. */
enum { T_REMAP, T_REMAP_INVLPG, T_ALIAS_REMAP, T_READ_THEN_WRITE,
       T_STALE_USER_SMAP, T_INITSET_HUGE_PT, T_NOSLOT_HUGE, NR_TESTS };

static const char * const test_name[NR_TESTS] = {
	"pde_remap", "pde_remap_invlpg", "alias_remap", "read_then_write",
	"stale_user_smap", "initset_huge_pt", "pde_noslot_huge",
};

/* KSFT_PASS, KSFT_FAIL or KSFT_SKIP. */
static int run_test(int t)
{
	bool pass;

	switch (t) {
	case T_REMAP:
		pass = test_pde_remap(test_name[t], false);
		break;
	case T_REMAP_INVLPG:
		pass = test_pde_remap(test_name[t], true);
		break;
	case T_ALIAS_REMAP:
		pass = test_alias_remap(test_name[t]);
		break;
	case T_READ_THEN_WRITE:
		pass = test_read_then_write(test_name[t]);
		break;
	case T_STALE_USER_SMAP:
		return test_stale_user_smap(test_name[t]);
	case T_INITSET_HUGE_PT:
		return test_initset_huge_pt(test_name[t]);
	default:
		pass = test_pde_noslot_huge(test_name[t]);
		break;
	}
	return pass ? KSFT_PASS : KSFT_FAIL;
}

int main(int argc, char *argv[])
{
	int opt, t, only = -1;

	while ((opt = getopt(argc, argv, "t:h")) != -1) {
		switch (opt) {
		case 't':
			for (t = 0; t < NR_TESTS; t++)
				if (!strcmp(optarg, test_name[t]))
					only = t;
			TEST_ASSERT(only >= 0, "unknown sub-test '%s'", optarg);
			break;
		default:
			printf("usage: %s [-t pde_remap|pde_remap_invlpg|alias_remap|"
			       "read_then_write|stale_user_smap|initset_huge_pt|pde_noslot_huge]\n", argv[0]);
			exit(opt == 'h' ? KSFT_PASS : KSFT_FAIL);
		}
	}

	ksft_print_header();
	ksft_set_plan(only < 0 ? NR_TESTS : 1);
	print_mmu_mode();

	for (t = 0; t < NR_TESTS; t++) {
		if (only >= 0 && t != only)
			continue;
		switch (run_test(t)) {
		case KSFT_PASS:
			ksft_test_result_pass("%s\n", test_name[t]);
			break;
		case KSFT_SKIP:
			ksft_test_result_skip("%s\n", test_name[t]);
			break;
		default:
			ksft_test_result_fail("%s\n", test_name[t]);
		}
	}
	ksft_finished();
}

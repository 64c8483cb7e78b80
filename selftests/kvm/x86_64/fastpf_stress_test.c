// SPDX-License-Identifier: GPL-2.0-only
/*
 * fastpf_stress_test: race vCPU writes against dirty-log write protection
 * and MMU invalidations, and verify that no dirty page is ever missing from
 * the dirty log.
 *
 * N vCPUs write unique 64-bit values ((vcpu_id + 1) << 48 | counter) into
 * the 4K pages of a dedicated memslot with KVM_MEM_LOG_DIRTY_PAGES, either
 * all over the region (default; several vCPUs write the same pages) or into
 * disjoint per-vCPU partitions (-d).  Every guest write therefore changes
 * the page it hits.  The main thread collects the dirty log in a loop with
 * KVM_GET_DIRTY_LOG (get-log), KVM_GET_DIRTY_LOG + chunked
 * KVM_CLEAR_DIRTY_LOG (clear-log, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) or the
 * per-vCPU dirty rings + KVM_RESET_DIRTY_RINGS (dirty-ring), and ORs every
 * collected bitmap into a union.
 *
 * Every -r rounds the main thread quiesces the vCPUs: it bumps a generation
 * number in guest memory, each guest sees it between two writes and does a
 * GUEST_SYNC, and its vCPU thread parks outside KVM_RUN.  With no vCPU in
 * the guest and the churn threads paused, a final collection makes the log
 * complete, and the invariant is checked exactly, without any timing
 * assumption:
 *
 *   every page whose content differs from the snapshot taken at the
 *   previous quiesce point is set in the union of everything collected
 *   since that quiesce point.
 *
 * Then a new snapshot is taken, the union is cleared, and the vCPUs resume.
 *
 * At the same points guest memory itself is checked.  The guest's PRNG is
 * deterministic, so the host replays every vCPU's writes up to the count it
 * reported at GUEST_SYNC and knows, for every qword of the region, the last
 * value each vCPU wrote there.  The qword must hold one of those values (the
 * last write to it in memory order is some vCPU's last write), or zero if no
 * vCPU wrote it or -D dropped its page.  A write that went through a stale
 * or wrong SPTE to another gfn, or was lost, fails this check.
 *
 * Why this holds for a correct KVM: at a quiesce point the final collection
 * fetches and clears every dirty bit (or harvests and resets every ring
 * entry), which also write-protects the pages again.  A guest write after
 * that point hits either a write-protected SPTE (fault -> the page is marked
 * dirty, then the SPTE becomes writable) or a writable SPTE, and a writable
 * SPTE exists only while the page's bit is set (or its ring entry is not yet
 * reset).  The test only ever clears bits/entries that it has collected into
 * the union, so each such write is in the union by the next quiesce point.
 * A lost dirty bit (write through a writable SPTE whose dirty bit was
 * cleared without write-protecting it, or a write-protect fault fixed
 * without marking the page dirty) makes a changed page missing from the
 * union, and the test fails printing the gfn, the old and the new value.
 *
 * Churn, each a host thread racing with the vCPUs:
 *  -D  madvise(MADV_DONTNEED) random chunks of the slot's host mapping (mmu
 *      notifier invalidation, SPTEs zapped; the page then reads as zeros).
 *      Pages dropped since the last quiesce point whose content is now all
 *      zeros are excluded from the check (a host-made change); a dropped
 *      page with non-zero content was written by the guest after the drop
 *      and is checked like any other page.
 *  -P  mprotect(PROT_READ) random chunks for a short time, then PROT_RW
 *      again (notifier invalidation; a guest write to the chunk meanwhile
 *      makes KVM_RUN fail with EFAULT).  The protect thread keeps a sequence
 *      count (odd while a chunk is read-only); a vCPU thread that gets
 *      EFAULT accepts it only if a protection window overlapped its KVM_RUN,
 *      waits until the chunk is writable again and re-enters KVM_RUN, which
 *      re-executes the faulting write.  Any other EFAULT fails the test.
 *      If KVM emulates the write instead (forced emulation, or hosts that
 *      emulate write-protect faults, e.g. PVM), the emulated write to the
 *      read-only chunk comes back as a KVM_EXIT_MMIO write inside the
 *      region; the write is dropped (the page does not change) and the vCPU
 *      is resumed ("mmio_drops").  An MMIO exit anywhere else fails.
 *  -G  the guest rewrites its own page tables: each vCPU owns a window of
 *      GVAs whose leaf PTEs it points at other gfns of the region (followed
 *      by INVLPG) and writes through them.  Under shadow paging (npt=0/ept=0,
 *      PVM) these are writes to shadowed guest page tables.  With -H each
 *      vCPU also owns a 2M GVA window whose large PDE it points at other 2M
 *      chunks of the region, present to present (INVLPG after each), and
 *      half of the window writes go through it: a huge guest page whose
 *      translation changes under a huge or split SPTE.
 *  -M  with -G: one retarget in 8 points the window PTE (or, with -H, the
 *      2M window PDE) at a gfn with no memslot, MMIO_GAP below the region;
 *      writes through it exit to userspace as KVM_EXIT_MMIO and change no
 *      page.  Each such exit must carry the vCPU's own value at its
 *      qword's offset, and each vCPU's count of them must be what the
 *      replay predicts (a range with -N).  A write-protect fault whose guest walk ends in no memslot,
 *      over a stale SPTE of the old gfn (review defect 1 under npt=0).
 *  -L  memslot churn: a scratch memslot (its own slot, SCRATCH_BYTES, not
 *      checked) is created, moved between two gpas, has dirty logging
 *      turned on and off, has its dirty log fetched, and is deleted, in
 *      random order, while the vCPUs also read and write it.  On x86 a
 *      move or delete zaps every SPTE of the VM (KVM_X86_QUIRK_SLOT_ZAP_ALL),
 *      so the dirty-logged region's rmaps are torn down and rebuilt under
 *      the lockless write protection; turning the log on write-protects the
 *      scratch slot with mmu_lock.  A guest access to the scratch gpa while
 *      the slot is elsewhere or gone is an MMIO exit, completed with zeros
 *      (a read) or dropped (a write); any other MMIO exit still fails.
 *  -N  with -G: one retarget in 4 is not followed by INVLPG before the
 *      write through the window, only after it.  That write may go through
 *      the old translation or the new one (a TLB is not coherent with the
 *      page tables), so the content check accepts its value in either
 *      page, or in neither, until the next check, where the ambiguity is
 *      settled from memory.  A write that KVM drops altogether is not
 *      caught there.  The dirty-log check stays exact: the page it changed
 *      must be logged.
 *
 *  -H  huge pages: the slot is THP backed, the guest maps the region with
 *      2M pages, and dirty logging is off for the first HUGE_WARMUP seconds,
 *      so that KVM maps the region with 2M SPTEs (npt=1) or shadows the
 *      guest's 2M pages (npt=0) while the vCPUs write.  At the first
 *      quiesce point the slot gets KVM_MEM_LOG_DIRTY_PAGES: get-log and
 *      dirty-ring write-protect (or split) the huge SPTEs then, clear-log
 *      with initially-set leaves them to the CLEARs, which split them
 *      while the vCPUs write.  The warm-up is not checked (no log), guest
 *      memory is; at least one interval with the log on is checked after
 *      it, even past -t or -i.  -D and -P start with the log, and break
 *      host huge pages from then on.
 *
 *  -E  re-enable the log under writes: after every checked interval the
 *      slot loses KVM_MEM_LOG_DIRTY_PAGES at the quiesce point, the vCPUs
 *      write for half an interval with no log (KVM makes their SPTEs
 *      writable again), and the host turns the log back on while they
 *      write, which write-protects the whole slot against the running
 *      vCPUs.  That interval is not checked (its early writes are not
 *      logged); the next one is.  An SPTE that the enable left writable
 *      stays so until its page is logged, so its writes in the next
 *      interval are missing there.  With initially-set (clear-log) the
 *      enable write-protects nothing and the CLEARs do it instead.
 *
 *  -X  self-check: inject a lost dirty bit.  From the second check interval
 *      on, one gfn reported by the first collection of the interval is
 *      masked out of the union; the test must fail.
 *  -Y  self-check: at the third check the host writes a value no vCPU wrote
 *      into guest memory, after the dirty-log check; the content check must
 *      fail.
 *
 * Usage: one KTAP test per dirty-log mode (-m all, the default, runs every
 * supported mode; -t is per mode).  See -h.
 *
 * At the end of each mode the KVM per-vCPU binary stats (summed) and some
 * per-VM MMU stats are printed in one "# stats: name=value ..." line, and
 * the counters of the test in one "# result: ..." line.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/bitmap.h>
#include <linux/bitops.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"

#define TEST_SLOT		10
#define MAX_VCPUS		64
#define WIN_SLOTS		8	/* -G: window pages per vCPU */
#define MAX_PT_ALIAS		16	/* -G: guest PT pages mapped for the guest */
#define TEST_GVA		0xc0000000ul
#define QUIESCE_TIMEOUT		120	/* seconds; a stuck vCPU fails the test */
#define HUGE_WARMUP		1.0	/* -H: seconds of writes before the log is on */
#define HPAGE			(1ul << 21)
#define HPAGE_PAGES		(HPAGE / PAGE_SIZE)
#define MMIO_GAP		(1ul << 30)	/* -M: the MMIO gfns, below the region */
#define SCRATCH_SLOT		11		/* -L */
#define SCRATCH_BYTES		(2ul << 20)
#define SCRATCH_GAP		(64ul << 20)	/* -L: gpas A and B, below the region */

enum log_mode {
	MODE_GET_LOG,
	MODE_CLEAR_LOG,
	MODE_DIRTY_RING,
	NR_MODES,
	MODE_ALL = NR_MODES,
};

static const char * const mode_name[NR_MODES] = {
	"get-log", "clear-log", "dirty-ring",
};

/* Shared with the guest (set with sync_global_to_guest()). */
struct guest_params {
	uint64_t gva;		/* test region GVA */
	uint64_t gpa;		/* test region GPA */
	uint64_t npages;
	uint64_t nr_vcpus;
	uint64_t disjoint;
	uint64_t stride;	/* 0: random order */
	uint64_t remap;		/* -G */
	uint64_t win_gva;	/* -G: window base, WIN_SLOTS pages per vCPU */
	uint64_t hwin_gva;	/* -G -H: 2M window per vCPU, 0: none */
	uint64_t mmio_gpa;	/* -M: MMIO gfns, 0: none */
	uint64_t lazy;		/* -N */
	uint64_t scratch_gva;	/* -L: maps gpa A, 0: none */
	uint64_t seed;
	uint64_t pte_gva[MAX_VCPUS * WIN_SLOTS];
	uint64_t pde_gva[MAX_VCPUS];	/* -G -H: the 2M window's PDE */
};

static struct guest_params gp;

/* Written by the host through its HVA, read by the guest. */
static uint64_t quiesce_gen;

static inline void guest_invlpg(uint64_t gva)
{
	asm volatile("invlpg (%0)" :: "r"(gva) : "memory");
}

/*
 * Guest PRNG kept in a register: an out-of-line guest_random_u32() keeps its
 * state on the guest stack, and every stack write costs an exit on hosts
 * that write-track the stack page (seen with PVM).
 */
static inline uint64_t guest_xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* -G: where a retarget points, for region page @page: its gpa, or MMIO (-M). */
static inline bool remap_to_mmio(uint64_t r)
{
	return ((r >> 40) & 7) == 0;
}

/* -N: this retarget is followed by the write, then INVLPG */
static inline bool remap_lazy(uint64_t r)
{
	return ((r >> 44) & 3) == 0;
}

static inline uint64_t remap_gpa(uint64_t page, uint64_t r)
{
	uint64_t base = gp.mmio_gpa && remap_to_mmio(r) ? gp.mmio_gpa : gp.gpa;

	return base + page * PAGE_SIZE;
}

static void guest_code(uint64_t id)
{
	uint64_t rng = (gp.seed + 1) * 0x9e3779b97f4a7c15ull + id * 0x632be59bd9b4e019ull;
	uint64_t first = 0, n = gp.npages, pos, seen = 0, count = 0, remaps = 0;
	uint64_t *ptes = &gp.pte_gva[id * WIN_SLOTS];
	uint64_t win = gp.win_gva + id * WIN_SLOTS * PAGE_SIZE;

	if (!rng)
		rng = 1;
	if (gp.disjoint) {
		n = gp.npages / gp.nr_vcpus;
		first = id * n;
	}
	pos = (id * n) / gp.nr_vcpus;

	for (;;) {
		uint64_t q = READ_ONCE(quiesce_gen);
		uint64_t page, addr, wval, r, flush = 0;

		if (q != seen) {
			seen = q;
			GUEST_SYNC3(q, count, remaps);
			continue;
		}

		r = guest_xorshift(&rng);
		if (gp.stride) {
			pos = (pos + gp.stride) % n;
			page = first + pos;
		} else {
			page = first + (r >> 16) % n;
		}
		addr = gp.gva + page * PAGE_SIZE;

		if (gp.remap && gp.hwin_gva && (r & 7) >= 2 && (r & 7) < 4) {
			uint64_t *pde = (uint64_t *)gp.pde_gva[id];
			uint64_t hwin = gp.hwin_gva + id * HPAGE;

			if ((r & 7) == 2) {
				/* Point the 2M window at @page's chunk. */
				WRITE_ONCE(*pde, (READ_ONCE(*pde) & ~PHYSICAL_PAGE_MASK) |
					   remap_gpa(page & ~(HPAGE_PAGES - 1), r));
				if (gp.lazy && remap_lazy(r))
					flush = hwin;
				else
					guest_invlpg(hwin);
				remaps++;
			}
			addr = hwin + (page % HPAGE_PAGES) * PAGE_SIZE;
		} else if (gp.remap && (r & 7) < 4) {
			uint64_t slot = (r >> 3) % WIN_SLOTS;
			uint64_t *pte = (uint64_t *)ptes[slot];

			addr = win + slot * PAGE_SIZE;
			if ((r & 7) == 0) {
				/* Point the window page at @page. */
				WRITE_ONCE(*pte, (READ_ONCE(*pte) & ~PHYSICAL_PAGE_MASK) |
					   remap_gpa(page, r));
				if (gp.lazy && remap_lazy(r))
					flush = addr;
				else
					guest_invlpg(addr);
				remaps++;
			}
			/* else: write through the current window mapping */
		}

		/* Not "val": vcpu_arch_put_guest() declares its own "val". */
		wval = ((id + 1) << 48) | ++count;
		addr += ((count + id) % (PAGE_SIZE / 8)) * 8;
		vcpu_arch_put_guest(*(uint64_t *)addr, wval);
		if (flush)
			guest_invlpg(flush);
		/* -L: one iteration in 8 also reads or writes the scratch slot. */
		if (gp.scratch_gva && ((r >> 52) & 7) == 0) {
			uint64_t *p = (uint64_t *)(gp.scratch_gva +
						   ((r >> 24) % (SCRATCH_BYTES / PAGE_SIZE)) * PAGE_SIZE);

			if ((r >> 55) & 1)
				WRITE_ONCE(*p, wval);
			else
				(void)READ_ONCE(*p);
		}
	}
}

/* Options */
static int nr_vcpus = 2;
static uint64_t region_bytes = 4ul << 20;
static enum log_mode opt_mode = MODE_ALL;
static int rounds_per_check = 8;
static uint64_t opt_rounds;		/* 0: time limited */
static double opt_seconds = 2.0;
static bool opt_disjoint, opt_dontneed, opt_protect, opt_remap, opt_inject;
static bool opt_inject_content, opt_huge, opt_mmio, opt_lazy, opt_memslot;
static bool logging_on;		/* -H: off until the first quiesce point */
static bool opt_relog;
static uint64_t relog_round;		/* -E: re-enable the log at this round */
static bool relog_unchecked;		/* -E: the log went on mid-interval */
static uint64_t opt_stride;
static uint32_t opt_seed;
static bool seed_given;
static int opt_interval_us = 500;
static uint32_t ring_entries = 1024;
static uint64_t opt_gpa;		/* 0: top of the guest physical space */

/* Run state */
static struct kvm_vm *vm;
static struct kvm_vcpu *vcpus[MAX_VCPUS];
static pthread_t vcpu_threads[MAX_VCPUS];
static enum log_mode mode;
static uint64_t npages, region_gpa;
static uint8_t *host_mem, *snapshot;
static unsigned long *union_bmap, *scratch_bmap, *dropped_bmap;

/* Replay of the guest's writes, see guest_code(). */
struct replay {
	uint64_t rng, pos, count, first, n;
	int64_t win_page[WIN_SLOTS];	/* -1: MMIO */
	int64_t hwin_page;		/* the 2M window's first page, -1: MMIO */
};
static struct replay replay[MAX_VCPUS];
static uint64_t *last_val;		/* [vcpu][qword of the region] */
static uint64_t *alt_val;		/* -N: as last_val, see replay_put() */
static unsigned long *ever_dropped_bmap;
static uint64_t cnt_qwords_checked, cnt_bad_content;
static uint64_t *host_quiesce_gen;

static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_cond = PTHREAD_COND_INITIALIZER;
static int nr_parked;
static uint64_t resume_gen;
static bool vcpu_quit;
static uint64_t guest_writes[MAX_VCPUS], guest_remaps[MAX_VCPUS];
/* -M: MMIO write exits per vCPU, and how many the replay allows */
static uint64_t mmio_writes[MAX_VCPUS], mmio_min[MAX_VCPUS], mmio_max[MAX_VCPUS];

/* -P */
static uint64_t prot_seq;		/* odd while a chunk is read-only */
/* dirty ring */
static uint32_t ring_fetch[MAX_VCPUS];
static uint64_t ring_reset_gen;
static uint64_t ring_harvested, ring_cleared;

/* churn threads */
static bool churn_stop;
static int churn_pause_req, churn_paused;
static int nr_churn;
static pthread_t churn_threads[3];
/* -L: the scratch slot's memory and its two gpas */
static uint8_t *scratch_mem;
static uint64_t scratch_gpa[2];

/* counters */
static uint64_t cnt_rounds, cnt_checks, cnt_checked, cnt_dirty, cnt_reported,
		cnt_spurious, cnt_excluded, cnt_missing, cnt_efault, cnt_ringfull,
		cnt_drops, cnt_protects, cnt_mmio_drop, cnt_injected, cnt_mmio_remap,
		cnt_slot_ops, cnt_scratch_mmio,
		cnt_relogs;

/* -X */
static int64_t inject_gfn = -1;
static bool inject_armed;

/*
 * Own bit helpers: in the 6.12 tools headers, x86 clear_bit() is
 * test_and_clear_bit(), which is implemented with "btc" (a toggle) in
 * tools/arch/x86/include/asm/atomic.h, so clearing a clear bit sets it.
 */
static inline void bm_set(unsigned long *bm, uint64_t nr)
{
	__atomic_fetch_or(&bm[nr / BITS_PER_LONG], 1ul << (nr % BITS_PER_LONG),
			  __ATOMIC_RELAXED);
}

static inline void bm_clear(unsigned long *bm, uint64_t nr)
{
	__atomic_fetch_and(&bm[nr / BITS_PER_LONG], ~(1ul << (nr % BITS_PER_LONG)),
			   __ATOMIC_RELAXED);
}

static inline bool bm_test(const unsigned long *bm, uint64_t nr)
{
	return (__atomic_load_n(&bm[nr / BITS_PER_LONG], __ATOMIC_RELAXED) >>
		(nr % BITS_PER_LONG)) & 1;
}

static inline uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* -M: the MMIO gfns cover the region, and a 2M window at its last chunk. */
static uint64_t mmio_bytes(void)
{
	return align_up(npages * PAGE_SIZE, HPAGE);
}

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of @t in seconds (0 if its clock cannot be read) */
static double thread_cpu_sec(pthread_t t)
{
	struct timespec ts;
	clockid_t cid;

	if (pthread_getcpuclockid(t, &cid) || clock_gettime(cid, &ts))
		return 0;
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *vcpu_thread_fn(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	struct kvm_run *run = vcpu->run;
	int id = vcpu->id;
	struct ucall uc;

	for (;;) {
		uint64_t s0 = __atomic_load_n(&prot_seq, __ATOMIC_SEQ_CST);
		int ret = __vcpu_run(vcpu);

		if (ret) {
			int err = errno;
			uint64_t s1 = __atomic_load_n(&prot_seq, __ATOMIC_SEQ_CST);

			TEST_ASSERT(err == EFAULT && opt_protect,
				    "vCPU %d: KVM_RUN failed, errno %d (%s)", id,
				    err, strerror(err));
			TEST_ASSERT(s0 != s1 || (s0 & 1),
				    "vCPU %d: EFAULT with no read-only window during KVM_RUN (seq %lu)",
				    id, s0);
			__atomic_add_fetch(&cnt_efault, 1, __ATOMIC_RELAXED);
			while (__atomic_load_n(&prot_seq, __ATOMIC_SEQ_CST) & 1)
				usleep(10);
			continue;
		}

		switch (run->exit_reason) {
		case KVM_EXIT_DIRTY_RING_FULL: {
			uint64_t g = __atomic_load_n(&ring_reset_gen, __ATOMIC_ACQUIRE);

			__atomic_add_fetch(&cnt_ringfull, 1, __ATOMIC_RELAXED);
			while (__atomic_load_n(&ring_reset_gen, __ATOMIC_ACQUIRE) == g)
				usleep(10);
			continue;
		}
		case KVM_EXIT_MMIO:
			/* -L: the scratch gpa while its slot is moved or deleted. */
			if (opt_memslot && run->mmio.phys_addr >= scratch_gpa[0] &&
			    run->mmio.phys_addr < scratch_gpa[0] + SCRATCH_BYTES) {
				if (!run->mmio.is_write)
					memset(run->mmio.data, 0, run->mmio.len);
				__atomic_add_fetch(&cnt_scratch_mmio, 1, __ATOMIC_RELAXED);
				continue;
			}
			/*
			 * -M: an access through a window retargeted at MMIO:
			 * this vCPU's value at its qword (a read only with
			 * forced emulation, whose cmpxchg reads first).
			 */
			if (gp.mmio_gpa && run->mmio.phys_addr >= gp.mmio_gpa &&
			    run->mmio.phys_addr < gp.mmio_gpa + mmio_bytes()) {
				uint64_t val;

				TEST_ASSERT(run->mmio.len == 8,
					    "vCPU %d: MMIO access of %u bytes at 0x%llx",
					    id, run->mmio.len, run->mmio.phys_addr);
				if (!run->mmio.is_write) {
					memset(run->mmio.data, 0, 8);
					continue;
				}
				memcpy(&val, run->mmio.data, 8);
				TEST_ASSERT(val >> 48 == (uint64_t)id + 1 &&
					    (run->mmio.phys_addr & (PAGE_SIZE - 1)) ==
					    (((val & ((1ul << 48) - 1)) + id) % (PAGE_SIZE / 8)) * 8,
					    "vCPU %d: MMIO write of 0x%lx at 0x%llx: not this vCPU's value at its qword",
					    id, val, run->mmio.phys_addr);
				mmio_writes[id]++;
				__atomic_add_fetch(&cnt_mmio_remap, 1, __ATOMIC_RELAXED);
				continue;
			}
			/*
			 * Only with forced emulation (kvm.force_emulation_prefix):
			 * an emulated write to a chunk made read-only by -P is
			 * turned into an MMIO exit.  The write is dropped, so the
			 * page content does not change; nothing to check.
			 */
			TEST_ASSERT(opt_protect && run->mmio.is_write &&
				    run->mmio.phys_addr >= region_gpa &&
				    run->mmio.phys_addr < region_gpa + npages * PAGE_SIZE,
				    "vCPU %d: unexpected MMIO exit at 0x%llx", id,
				    run->mmio.phys_addr);
			__atomic_add_fetch(&cnt_mmio_drop, 1, __ATOMIC_RELAXED);
			continue;
		default:
			break;
		}

		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			guest_writes[id] = uc.args[1];
			guest_remaps[id] = uc.args[2];
			pthread_mutex_lock(&park_lock);
			nr_parked++;
			pthread_cond_broadcast(&park_cond);
			while (resume_gen < uc.args[0] && !vcpu_quit)
				pthread_cond_wait(&park_cond, &park_lock);
			pthread_mutex_unlock(&park_lock);
			if (READ_ONCE(vcpu_quit))
				return NULL;
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		default: {
			/* Where the guest was, for a triple fault (SHUTDOWN). */
			struct kvm_regs regs;
			struct kvm_sregs sregs;

			vcpu_regs_get(vcpu, &regs);
			vcpu_sregs_get(vcpu, &sregs);
			TEST_FAIL("vCPU %d: unexpected exit %s, ucall %lu; rip 0x%llx "
				  "rsp 0x%llx cr2 0x%llx cr3 0x%llx, %lu writes, %lu remaps "
				  "at the last sync", id, exit_reason_str(run->exit_reason),
				  uc.cmd, regs.rip, regs.rsp, sregs.cr2, sregs.cr3,
				  guest_writes[id], guest_remaps[id]);
		}
		}
	}
}

/* Churn threads: pause between operations on request. */
static bool churn_checkpoint(void)
{
	if (__atomic_load_n(&churn_pause_req, __ATOMIC_ACQUIRE)) {
		__atomic_add_fetch(&churn_paused, 1, __ATOMIC_ACQ_REL);
		while (__atomic_load_n(&churn_pause_req, __ATOMIC_ACQUIRE) &&
		       !__atomic_load_n(&churn_stop, __ATOMIC_ACQUIRE))
			usleep(20);
		__atomic_sub_fetch(&churn_paused, 1, __ATOMIC_ACQ_REL);
	}
	return !__atomic_load_n(&churn_stop, __ATOMIC_ACQUIRE);
}

static void random_chunk(uint64_t *rs, uint64_t *start, uint64_t *len)
{
	uint64_t max = npages < 64 ? npages : 64;

	*len = 1 + xorshift64(rs) % max;
	*start = xorshift64(rs) % (npages - *len + 1);
}

static void *dontneed_fn(void *arg)
{
	uint64_t rs = (uint64_t)opt_seed * 0x9e3779b97f4a7c15ull + 1;

	while (churn_checkpoint()) {
		uint64_t start, len, i;

		random_chunk(&rs, &start, &len);
		/* Record before dropping: the checker must know. */
		for (i = start; i < start + len; i++) {
			bm_set(dropped_bmap, i);
			bm_set(ever_dropped_bmap, i);
		}
		TEST_ASSERT(!madvise(host_mem + start * PAGE_SIZE, len * PAGE_SIZE,
				     MADV_DONTNEED), "madvise(DONTNEED) failed");
		cnt_drops++;
		usleep(100 + xorshift64(&rs) % 400);
	}
	return NULL;
}

static void *protect_fn(void *arg)
{
	uint64_t rs = (uint64_t)opt_seed * 0xbf58476d1ce4e5b9ull + 3;

	while (churn_checkpoint()) {
		uint64_t start, len;
		void *p;

		random_chunk(&rs, &start, &len);
		p = host_mem + start * PAGE_SIZE;
		__atomic_add_fetch(&prot_seq, 1, __ATOMIC_SEQ_CST);
		TEST_ASSERT(!mprotect(p, len * PAGE_SIZE, PROT_READ),
			    "mprotect(PROT_READ) failed");
		usleep(50 + xorshift64(&rs) % 200);
		TEST_ASSERT(!mprotect(p, len * PAGE_SIZE, PROT_READ | PROT_WRITE),
			    "mprotect(PROT_READ|PROT_WRITE) failed");
		__atomic_add_fetch(&prot_seq, 1, __ATOMIC_SEQ_CST);
		cnt_protects++;
		usleep(100 + xorshift64(&rs) % 400);
	}
	return NULL;
}

/*
 * -L: one memslot operation at a time, on SCRATCH_SLOT, with raw ioctls:
 * the selftest library's region list is not thread-safe, and the vCPU
 * threads use it (ucalls).
 */
static void *memslot_fn(void *arg)
{
	uint64_t rs = (uint64_t)opt_seed * 0x94d049bb133111ebull + 5;
	bool present = false, log = false;
	int at = 0;

	while (churn_checkpoint()) {
		uint64_t op = xorshift64(&rs) % 8;
		uint32_t flags = log ? KVM_MEM_LOG_DIRTY_PAGES : 0;
		uint64_t size = SCRATCH_BYTES;
		int ret;

		if (!present) {
			log = xorshift64(&rs) & 1;
			flags = log ? KVM_MEM_LOG_DIRTY_PAGES : 0;
			at = 0;
		} else if (op < 2) {
			at ^= 1;			/* move */
		} else if (op < 4) {
			log = !log;			/* flags only */
			flags = log ? KVM_MEM_LOG_DIRTY_PAGES : 0;
		} else if (op < 6 && log && mode != MODE_DIRTY_RING) {
			unsigned long bmap[SCRATCH_BYTES / PAGE_SIZE / 64];

			kvm_vm_get_dirty_log(vm, SCRATCH_SLOT, bmap);
			cnt_slot_ops++;
			usleep(200 + xorshift64(&rs) % 800);
			continue;
		} else {
			size = 0;			/* delete */
		}
		ret = __vm_set_user_memory_region(vm, SCRATCH_SLOT, flags, scratch_gpa[at],
						  size, scratch_mem);
		TEST_ASSERT(!ret, "-L: KVM_SET_USER_MEMORY_REGION(slot %u, gpa 0x%lx, size 0x%lx, "
			    "flags 0x%x) failed, errno %d", SCRATCH_SLOT, scratch_gpa[at], size,
			    flags, errno);
		present = size != 0;
		cnt_slot_ops++;
		usleep(200 + xorshift64(&rs) % 800);
	}
	if (present)
		TEST_ASSERT(!__vm_set_user_memory_region(vm, SCRATCH_SLOT, 0, scratch_gpa[at], 0,
							 scratch_mem), "-L: delete failed");
	return NULL;
}

static void churn_pause(void)
{
	if (!nr_churn)
		return;
	__atomic_store_n(&churn_pause_req, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&churn_paused, __ATOMIC_ACQUIRE) != nr_churn)
		usleep(10);
}

static void churn_resume(void)
{
	if (!nr_churn)
		return;
	__atomic_store_n(&churn_pause_req, 0, __ATOMIC_RELEASE);
	while (__atomic_load_n(&churn_paused, __ATOMIC_ACQUIRE))
		usleep(10);
}

/* ---- dirty log collection ---- */

static uint64_t bm_weight(const unsigned long *bm)
{
	uint64_t i, n = 0;

	for (i = 0; i < BITS_TO_LONGS(npages); i++)
		n += __builtin_popcountl(bm[i]);
	return n;
}

static void add_to_union(unsigned long *bm)
{
	uint64_t i;

	if (opt_inject && inject_armed) {
		/* Pick the victim from the first non-empty collection. */
		if (inject_gfn < 0) {
			uint64_t n = bm_weight(bm), k;

			if (n) {
				k = random() % n;
				for (i = 0; i < npages; i++)
					if (bm_test(bm, i) && !k--)
						break;
				inject_gfn = i;
				cnt_injected++;
			}
		}
		if (inject_gfn >= 0)
			bm_clear(bm, inject_gfn);
	}
	for (i = 0; i < BITS_TO_LONGS(npages); i++)
		union_bmap[i] |= bm[i];
}

static void collect_get_log(void)
{
	kvm_vm_get_dirty_log(vm, TEST_SLOT, scratch_bmap);
	add_to_union(scratch_bmap);
}

static void collect_clear_log(bool full)
{
	uint64_t first = 0;

	kvm_vm_get_dirty_log(vm, TEST_SLOT, scratch_bmap);

	/*
	 * Clear (and re-protect) what was reported, in chunks of 64..1024
	 * pages, sometimes with a pause in between; sometimes leave the tail
	 * for a later round.  Only collected bits are ever cleared.
	 */
	while (first < npages) {
		uint64_t len = 64 * (1 + random() % 16);

		if (first + len > npages)
			len = npages - first;
		if (!full && random() % 16 == 0)
			break;
		kvm_vm_clear_dirty_log(vm, TEST_SLOT, scratch_bmap + first / 64,
				       first, len);
		first += len;
		if (!full && random() % 8 == 0)
			usleep(random() % 50);
	}
	add_to_union(scratch_bmap);
}

static void collect_dirty_ring(bool full)
{
	uint32_t harvested = 0, cleared;
	int v;

	bitmap_zero(scratch_bmap, npages);
	for (v = 0; v < nr_vcpus; v++) {
		struct kvm_dirty_gfn *ring = vcpu_map_dirty_ring(vcpus[v]);
		uint32_t count = vcpus[v]->dirty_gfns_count;

		for (;;) {
			struct kvm_dirty_gfn *e = &ring[ring_fetch[v] % count];

			if (__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) !=
			    KVM_DIRTY_GFN_F_DIRTY)
				break;
			TEST_ASSERT(e->slot == TEST_SLOT ||
				    (opt_memslot && e->slot == SCRATCH_SLOT),
				    "dirty ring: slot %u != %u", e->slot, TEST_SLOT);
			TEST_ASSERT(e->slot != TEST_SLOT || e->offset < npages,
				    "dirty ring: offset 0x%llx >= 0x%lx", e->offset, npages);
			if (e->slot == TEST_SLOT)
				bm_set(scratch_bmap, e->offset);
			__atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET,
					 __ATOMIC_RELEASE);
			ring_fetch[v]++;
			harvested++;
		}
	}
	ring_harvested += harvested;

	do {
		cleared = kvm_vm_reset_dirty_ring(vm);
		ring_cleared += cleared;
	} while (full && cleared);

	__atomic_add_fetch(&ring_reset_gen, 1, __ATOMIC_RELEASE);
	add_to_union(scratch_bmap);

	if (full)
		TEST_ASSERT(ring_cleared == ring_harvested,
			    "dirty ring: reset %lu entries, harvested %lu",
			    ring_cleared, ring_harvested);
}

static void collect(bool full)
{
	if (!logging_on)
		return;
	switch (mode) {
	case MODE_GET_LOG:
		collect_get_log();
		break;
	case MODE_CLEAR_LOG:
		collect_clear_log(full);
		break;
	case MODE_DIRTY_RING:
		collect_dirty_ring(full);
		break;
	default:
		TEST_FAIL("bad mode");
	}
}

/* ---- quiesce and check ---- */

static bool page_is_zero(const uint64_t *p)
{
	int i;

	for (i = 0; i < PAGE_SIZE / 8; i++)
		if (p[i])
			return false;
	return true;
}

/* -G -H: the first page of the chunk that vCPU @v's 2M window maps at first. */
static int64_t hwin_first_page(int v)
{
	return (v * 7 % (npages / HPAGE_PAGES)) * HPAGE_PAGES;
}

static void replay_init(void)
{
	int v, s;

	for (v = 0; v < nr_vcpus; v++) {
		struct replay *rp = &replay[v];

		/* As guest_code() starts. */
		rp->rng = (gp.seed + 1) * 0x9e3779b97f4a7c15ull +
			  v * 0x632be59bd9b4e019ull;
		if (!rp->rng)
			rp->rng = 1;
		rp->n = gp.disjoint ? npages / nr_vcpus : npages;
		rp->first = gp.disjoint ? v * rp->n : 0;
		rp->pos = (v * rp->n) / nr_vcpus;
		rp->count = 0;
		/* As setup_remap_windows() maps the windows. */
		for (s = 0; s < WIN_SLOTS; s++)
			rp->win_page[s] = rp->first + (s * 131 + v) % rp->n;
		rp->hwin_page = gp.hwin_gva ? hwin_first_page(v) : -1;
	}
}

/*
 * vCPU @v's write number @count, to region page @page (-1: MMIO), as
 * guest_code() makes it.  @maybe (-N): the write may or may not have
 * landed there; its value is then accepted besides the last certain write,
 * and two such writes with no certain one between make any value
 * acceptable.
 */
#define ALT_ANY		(~0ull)

static void replay_put(int v, int64_t page, uint64_t count, bool maybe)
{
	uint64_t nq = npages * (PAGE_SIZE / 8), q, val;

	if (page < 0)	/* an MMIO write: no page changes */
		return;
	q = v * nq + page * (PAGE_SIZE / 8) + (count + v) % (PAGE_SIZE / 8);
	val = ((uint64_t)(v + 1) << 48) | count;
	if (maybe) {
		alt_val[q] = alt_val[q] ? ALT_ANY : val;
	} else {
		last_val[q] = val;
		if (alt_val)
			alt_val[q] = 0;
	}
}

/* Replay vCPU @v's writes up to its @count'th, as guest_code() makes them. */
static void replay_to(int v, uint64_t count)
{
	struct replay *rp = &replay[v];

	while (rp->count < count) {
		uint64_t r = xorshift64(&rp->rng);
		int64_t page, old = -2;	/* -N: the mapping before a lazy retarget */

		if (gp.stride) {
			rp->pos = (rp->pos + gp.stride) % rp->n;
			page = rp->first + rp->pos;
		} else {
			page = rp->first + (r >> 16) % rp->n;
		}
		if (gp.remap && gp.hwin_gva && (r & 7) >= 2 && (r & 7) < 4) {
			uint64_t sub = page % HPAGE_PAGES;

			if ((r & 7) == 2) {
				if (gp.lazy && remap_lazy(r))
					old = rp->hwin_page < 0 ? -1 : rp->hwin_page + sub;
				rp->hwin_page = gp.mmio_gpa && remap_to_mmio(r) ? -1 :
						page & ~(HPAGE_PAGES - 1);
			}
			page = rp->hwin_page < 0 ? -1 : rp->hwin_page + sub;
		} else if (gp.remap && (r & 7) < 4) {
			uint64_t slot = (r >> 3) % WIN_SLOTS;

			if ((r & 7) == 0) {
				if (gp.lazy && remap_lazy(r))
					old = rp->win_page[slot];
				rp->win_page[slot] = gp.mmio_gpa && remap_to_mmio(r) ? -1 : page;
			}
			page = rp->win_page[slot];
		}
		rp->count++;
		if (old == -2 || old == page) {
			replay_put(v, page, rp->count, false);
			mmio_min[v] += page < 0;
			mmio_max[v] += page < 0;
		} else {
			mmio_max[v] += page < 0 || old < 0;
			replay_put(v, page, rp->count, true);
			replay_put(v, old, rp->count, true);
		}
	}
}

/*
 * -N, after a check: a write that may have landed either did (the qword
 * still holds it: it is now the vCPU's last) or is forgotten, so that an
 * ambiguity lasts one check interval at most.
 */
static void settle_alt(void)
{
	const uint64_t *mem = (const uint64_t *)host_mem;
	uint64_t q, nq = npages * (PAGE_SIZE / 8);
	int v;

	for (v = 0; alt_val && v < nr_vcpus; v++) {
		for (q = 0; q < nq; q++) {
			uint64_t *alt = &alt_val[v * nq + q];

			if (!*alt)
				continue;
			if (*alt == mem[q] ||
			    (*alt == ALT_ANY && mem[q] >> 48 == (uint64_t)v + 1))
				last_val[v * nq + q] = mem[q];
			*alt = 0;
		}
	}
}

/* Guest memory against the replayed writes; returns the bad qwords. */
static uint64_t check_content(void)
{
	const uint64_t *mem = (const uint64_t *)host_mem;
	uint64_t q, nq = npages * (PAGE_SIZE / 8), bad = 0;
	int v;

	for (v = 0; v < nr_vcpus; v++) {
		replay_to(v, guest_writes[v]);
		if (mmio_writes[v] >= mmio_min[v] && mmio_writes[v] <= mmio_max[v])
			continue;
		bad++;
		ksft_print_msg("WRONG MMIO: vCPU %d made %lu MMIO writes in its first %lu writes, the replay allows %lu to %lu\n",
			       v, mmio_writes[v], guest_writes[v], mmio_min[v], mmio_max[v]);
	}

	for (q = 0; q < nq; q++) {
		uint64_t found = mem[q];
		bool ok = false, written = false;

		for (v = 0; v < nr_vcpus && !ok; v++) {
			uint64_t want = last_val[v * nq + q];
			uint64_t alt = alt_val ? alt_val[v * nq + q] : 0;

			written |= want != 0;
			ok = found && (found == want || found == alt || alt == ALT_ANY);
		}
		if (!found)
			ok = !written ||
			     bm_test(ever_dropped_bmap, q / (PAGE_SIZE / 8));
		if (ok)
			continue;
		if (++bad > 16)
			continue;
		ksft_print_msg("WRONG CONTENT: gfn 0x%lx qword %lu holds 0x%lx (vcpu %ld, write #%lu); "
			       "last writes there: vcpu0 0x%lx, vcpu1 0x%lx%s\n",
			       (uint64_t)(region_gpa / PAGE_SIZE + q / (PAGE_SIZE / 8)),
			       (uint64_t)(q % (PAGE_SIZE / 8)), found, (int64_t)(found >> 48) - 1,
			       found & ((1ul << 48) - 1), last_val[q],
			       nr_vcpus > 1 ? last_val[nq + q] : 0,
			       nr_vcpus > 2 ? " ..." : "");
	}
	settle_alt();
	cnt_qwords_checked += nq;
	cnt_bad_content += bad;
	if (bad)
		ksft_print_msg("check %lu: %lu qword(s) hold a value no vCPU wrote last\n",
			       cnt_checks, bad);
	return bad;
}

static int check_interval(void)
{
	uint64_t p, missing = 0;

	for (p = 0; p < npages; p++) {
		uint64_t *cur = (uint64_t *)(host_mem + p * PAGE_SIZE);
		uint64_t *old = (uint64_t *)(snapshot + p * PAGE_SIZE);
		bool reported = bm_test(union_bmap, p);
		int off;

		cnt_checked++;
		if (!memcmp(cur, old, PAGE_SIZE)) {
			if (reported)
				cnt_spurious++;
			continue;
		}
		cnt_dirty++;
		if (reported)
			continue;
		if (bm_test(dropped_bmap, p) && page_is_zero(cur)) {
			cnt_excluded++;
			continue;
		}
		missing++;
		if (missing > 16)
			continue;
		for (off = 0; off < PAGE_SIZE / 8; off++)
			if (cur[off] != old[off])
				break;
		ksft_print_msg("MISSING dirty bit: gfn 0x%lx (page %lu of slot %d), qword %d: "
			       "0x%lx -> 0x%lx (vcpu %lu, write #%lu)%s%s\n",
			       (uint64_t)(region_gpa / PAGE_SIZE) + p, p, TEST_SLOT, off,
			       old[off], cur[off], (cur[off] >> 48) - 1,
			       cur[off] & ((1ul << 48) - 1),
			       bm_test(dropped_bmap, p) ? " [dropped by -D this interval]" : "",
			       (int64_t)p == inject_gfn ? " [bit removed by -X]" : "");
	}
	cnt_reported += bm_weight(union_bmap);
	cnt_missing += missing;
	if (missing)
		ksft_print_msg("check %lu: %lu changed page(s) missing from the dirty log\n",
			       cnt_checks + 1, missing);
	cnt_checks++;
	return missing;
}

/*
 * Stop all vCPUs at a GUEST_SYNC, complete the log, check the interval,
 * snapshot, and (unless @last) let the vCPUs run again.
 */
static int quiesce_and_check(uint64_t *gen, bool last)
{
	bool checked = false;
	int missing;
	double t0;

	(*gen)++;
	WRITE_ONCE(*host_quiesce_gen, *gen);

	/* Keep collecting while waiting: a ring-full vCPU needs it. */
	for (t0 = now_sec();;) {
		int parked;

		pthread_mutex_lock(&park_lock);
		parked = nr_parked;
		pthread_mutex_unlock(&park_lock);
		if (parked == nr_vcpus)
			break;
		TEST_ASSERT(now_sec() - t0 < QUIESCE_TIMEOUT,
			    "quiesce %lu: only %d of %d vCPUs reached GUEST_SYNC in %d s",
			    *gen, parked, nr_vcpus, QUIESCE_TIMEOUT);
		collect(false);
		usleep(50);
	}
	churn_pause();

	if (logging_on && relog_unchecked) {
		/* -E: writes before the log went on are not logged: no check. */
		collect(true);
		relog_unchecked = false;
		missing = 0;
	} else if (logging_on) {
		collect(true);
		missing = check_interval();
		checked = true;
	} else {
		/* -H: no log yet; the huge SPTEs of the interval are up now. */
		ksft_print_msg("-H: %lu 2M SPTEs before dirty logging, now enabled\n",
			       vm_get_stat(vm, "pages_2m"));
		vm_mem_region_set_flags(vm, TEST_SLOT, KVM_MEM_LOG_DIRTY_PAGES);
		logging_on = true;
		missing = 0;
	}
	/*
	 * A write dropped as MMIO (-P under forced emulation) never reaches
	 * memory; the replay cannot tell which one.
	 */
	if (opt_inject_content && cnt_checks == 2) {
		/* -Y: a qword no vCPU wrote, seen only by check_content(). */
		((uint64_t *)host_mem)[npages * (PAGE_SIZE / 8) / 2] = 0xbad;
		cnt_injected++;
	}
	if (!cnt_mmio_drop && check_content())
		missing++;

	memcpy(snapshot, host_mem, npages * PAGE_SIZE);
	bitmap_zero(union_bmap, npages);
	bitmap_zero(dropped_bmap, npages);
	inject_gfn = -1;
	inject_armed = true;	/* from the second interval on */

	if (last || missing)
		return missing;

	if (opt_relog && checked) {
		/* -E: off now, back on under writes half an interval later. */
		vm_mem_region_set_flags(vm, TEST_SLOT, 0);
		logging_on = false;
		relog_round = cnt_rounds + rounds_per_check / 2 + 1;
	}

	churn_resume();
	pthread_mutex_lock(&park_lock);
	nr_parked = 0;
	resume_gen = *gen;
	pthread_cond_broadcast(&park_cond);
	pthread_mutex_unlock(&park_lock);
	return 0;
}

/* ---- stats ---- */

struct stat_acc {
	char name[64];
	uint64_t val;
};

static int read_stats(int fd, struct stat_acc *acc, int nacc, int max,
		      bool (*want)(const char *))
{
	struct kvm_stats_header header;
	struct kvm_stats_desc *descs, *d;
	int i, j;

	read_stats_header(fd, &header);
	descs = read_stats_descriptors(fd, &header);
	for (i = 0; i < header.num_desc; i++) {
		uint64_t v;

		d = get_stats_descriptor(descs, i, &header);
		if (!want(d->name) || !d->size)
			continue;
		read_stat_data(fd, &header, d, &v, 1);
		for (j = 0; j < nacc; j++)
			if (!strcmp(acc[j].name, d->name))
				break;
		if (j == nacc) {
			if (nacc == max)
				continue;
			snprintf(acc[j].name, sizeof(acc[j].name), "%s", d->name);
			acc[j].val = 0;
			nacc++;
		}
		acc[j].val += v;
	}
	free(descs);
	return nacc;
}

static bool want_vcpu_stat(const char *n)
{
	return !strncmp(n, "pf_", 3) || !strcmp(n, "exits") ||
	       !strcmp(n, "invlpg") || !strcmp(n, "tlb_flush") ||
	       !strcmp(n, "insn_emulation");
}

static bool want_vm_stat(const char *n)
{
	return !strncmp(n, "mmu_", 4) || !strcmp(n, "remote_tlb_flush") ||
	       !strcmp(n, "pages_4k");
}

static void print_stats(void)
{
	struct stat_acc acc[64];
	char line[2048];
	int nacc = 0, i, v, fd, len = 0;

	for (v = 0; v < nr_vcpus; v++) {
		fd = vcpu_get_stats_fd(vcpus[v]);
		nacc = read_stats(fd, acc, nacc, 64, want_vcpu_stat);
		close(fd);
	}
	fd = vm_get_stats_fd(vm);
	nacc = read_stats(fd, acc, nacc, 64, want_vm_stat);
	close(fd);

	for (i = 0; i < nacc && len < (int)sizeof(line) - 100; i++)
		len += snprintf(line + len, sizeof(line) - len, "%s%s=%lu",
				i ? " " : "", acc[i].name, acc[i].val);
	ksft_print_msg("stats: %s\n", line);
}

/* ---- setup / run ---- */

static bool mode_supported(enum log_mode m)
{
	switch (m) {
	case MODE_GET_LOG:
		return true;
	case MODE_CLEAR_LOG:
		return kvm_has_cap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
	case MODE_DIRTY_RING:
		return kvm_has_cap(KVM_CAP_DIRTY_LOG_RING) ||
		       kvm_has_cap(KVM_CAP_DIRTY_LOG_RING_ACQ_REL);
	default:
		return false;
	}
}

static void setup_remap_windows(uint64_t region_gva)
{
	uint64_t pt_pages[MAX_PT_ALIAS], alias_gva;
	int nr_pt = 0, v, s, k;

	gp.win_gva = align_up(region_gva + npages * PAGE_SIZE, 1ul << 30);
	alias_gva = gp.win_gva + (1ul << 21) * ((nr_vcpus * WIN_SLOTS * PAGE_SIZE >> 21) + 1);

	for (v = 0; v < nr_vcpus; v++) {
		uint64_t n = opt_disjoint ? npages / nr_vcpus : npages;
		uint64_t first = opt_disjoint ? v * n : 0;

		for (s = 0; s < WIN_SLOTS; s++) {
			uint64_t gva = gp.win_gva + (v * WIN_SLOTS + s) * PAGE_SIZE;
			uint64_t page = first + (s * 131 + v) % n;
			uint64_t *pte;
			vm_paddr_t pte_gpa;

			virt_map(vm, gva, region_gpa + page * PAGE_SIZE, 1);
			pte = vm_get_page_table_entry(vm, gva);
			pte_gpa = addr_hva2gpa(vm, pte);
			for (k = 0; k < nr_pt; k++)
				if (pt_pages[k] == (pte_gpa & ~(PAGE_SIZE - 1)))
					break;
			if (k == nr_pt) {
				TEST_ASSERT(nr_pt < MAX_PT_ALIAS, "too many PT pages");
				pt_pages[nr_pt++] = pte_gpa & ~(PAGE_SIZE - 1);
			}
			/* Alias GVA of the PT page is mapped below. */
			gp.pte_gva[v * WIN_SLOTS + s] = alias_gva + k * PAGE_SIZE +
							(pte_gpa & (PAGE_SIZE - 1));
		}
	}
	/* -H: a 2M window per vCPU, 1G above the 4K windows. */
	gp.hwin_gva = opt_huge ? gp.win_gva + (1ul << 30) : 0;
	for (v = 0; gp.hwin_gva && v < nr_vcpus; v++) {
		uint64_t gva = gp.hwin_gva + v * HPAGE, *pde;
		vm_paddr_t pde_gpa;
		int level = PG_LEVEL_2M;

		virt_map_level(vm, gva, region_gpa + hwin_first_page(v) * PAGE_SIZE,
			       HPAGE, PG_LEVEL_2M);
		pde = __vm_get_page_table_entry(vm, gva, &level);
		pde_gpa = addr_hva2gpa(vm, pde);
		for (k = 0; k < nr_pt; k++)
			if (pt_pages[k] == (pde_gpa & ~(PAGE_SIZE - 1)))
				break;
		if (k == nr_pt) {
			TEST_ASSERT(nr_pt < MAX_PT_ALIAS, "too many PT pages");
			pt_pages[nr_pt++] = pde_gpa & ~(PAGE_SIZE - 1);
		}
		gp.pde_gva[v] = alias_gva + k * PAGE_SIZE + (pde_gpa & (PAGE_SIZE - 1));
	}
	for (k = 0; k < nr_pt; k++)
		virt_map(vm, alias_gva + k * PAGE_SIZE, pt_pages[k], 1);
}

static void start_churn(void)
{
	if (opt_dontneed)
		pthread_create(&churn_threads[nr_churn++], NULL, dontneed_fn, NULL);
	if (opt_protect)
		pthread_create(&churn_threads[nr_churn++], NULL, protect_fn, NULL);
	if (opt_memslot)
		pthread_create(&churn_threads[nr_churn++], NULL, memslot_fn, NULL);
}

static int run_mode(enum log_mode m)
{
	double cpu_wall, cpu_host, cpu_vcpus = 0;
	uint64_t region_gva = TEST_GVA, gen = 0, extra, i;
	double t_end, t_log;
	int v, missing = 0;

	mode = m;
	npages = region_bytes / PAGE_SIZE;
	extra = npages + nr_vcpus * 64 + 512;

	vm = __vm_create(VM_SHAPE_DEFAULT, nr_vcpus, extra);
	if (m == MODE_CLEAR_LOG) {
		uint64_t caps = kvm_check_cap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);

		caps &= KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET;
		vm_enable_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, caps);
	} else if (m == MODE_DIRTY_RING) {
		vm_enable_dirty_ring(vm, ring_entries * sizeof(struct kvm_dirty_gfn));
	}
	for (v = 0; v < nr_vcpus; v++) {
		vcpus[v] = vm_vcpu_add(vm, v, guest_code);
		vcpu_args_set(vcpus[v], 1, (uint64_t)v);
	}

	/* Test region at the top of the guest physical address space. */
	if (opt_gpa) {
		region_gpa = opt_gpa;
	} else {
		region_gpa = (vm->max_gfn - npages - 1) * PAGE_SIZE;
		region_gpa = align_down(region_gpa, 1ul << 21);
	}
	TEST_ASSERT(!opt_huge || !(region_gpa % (1ul << 21)), "-H needs a 2M aligned -p");
	logging_on = !opt_huge;
	vm_userspace_mem_region_add(vm, opt_huge ? VM_MEM_SRC_ANONYMOUS_THP : VM_MEM_SRC_ANONYMOUS,
				    region_gpa, TEST_SLOT, npages,
				    logging_on ? KVM_MEM_LOG_DIRTY_PAGES : 0);
	if (opt_huge)
		virt_map_level(vm, region_gva, region_gpa, npages * PAGE_SIZE, PG_LEVEL_2M);
	else
		virt_map(vm, region_gva, region_gpa, npages);
	host_mem = addr_gpa2hva(vm, region_gpa);
	/*
	 * Allocate every page now.  A page the host only read (the snapshot
	 * below) maps the shared zero page, and the guest's first write to it
	 * is a COW, i.e. an mmu_notifier invalidation: without this, a run with
	 * no churn would still see invalidations.
	 */
	for (i = 0; i < npages; i++)
		WRITE_ONCE(host_mem[i * PAGE_SIZE], 0);

	memset(&gp, 0, sizeof(gp));
	gp.gva = region_gva;
	gp.gpa = region_gpa;
	gp.npages = npages;
	gp.nr_vcpus = nr_vcpus;
	gp.disjoint = opt_disjoint;
	gp.stride = opt_stride;
	gp.remap = opt_remap;
	gp.seed = opt_seed;
	gp.lazy = opt_lazy;
	if (opt_mmio) {
		struct userspace_mem_region *rg;
		int bkt;

		/* Above 4G (no APIC page or other KVM-internal slot), in no memslot. */
		gp.mmio_gpa = align_down(region_gpa - MMIO_GAP, HPAGE);
		TEST_ASSERT(region_gpa >= MMIO_GAP + (4ul << 30) &&
			    gp.mmio_gpa + mmio_bytes() <= region_gpa,
			    "-M: no room for the MMIO gfns between 4G and the region");
		hash_for_each(vm->regions.slot_hash, bkt, rg, slot_node)
			TEST_ASSERT(rg->region.guest_phys_addr >= gp.mmio_gpa + mmio_bytes() ||
				    rg->region.guest_phys_addr + rg->region.memory_size <= gp.mmio_gpa,
				    "-M: memslot %u overlaps the MMIO gfns", rg->region.slot);
	}
	if (opt_memslot) {
		struct userspace_mem_region *rg;
		int bkt, k;

		/* Above 4G, clear of the -M gfns and of every other slot. */
		scratch_gpa[0] = region_gpa - SCRATCH_GAP;
		scratch_gpa[1] = region_gpa - 2 * SCRATCH_GAP;
		TEST_ASSERT(region_gpa >= 2 * SCRATCH_GAP + (4ul << 30) &&
			    (!opt_mmio || gp.mmio_gpa + mmio_bytes() <= scratch_gpa[1]),
			    "-L: no room for the scratch slot below the region");
		for (k = 0; k < 2; k++)
			hash_for_each(vm->regions.slot_hash, bkt, rg, slot_node)
				TEST_ASSERT(rg->region.guest_phys_addr >= scratch_gpa[k] + SCRATCH_BYTES ||
					    rg->region.guest_phys_addr + rg->region.memory_size <=
					    scratch_gpa[k], "-L: memslot %u overlaps the scratch slot",
					    rg->region.slot);
		scratch_mem = mmap(NULL, SCRATCH_BYTES, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		TEST_ASSERT(scratch_mem != MAP_FAILED, "-L: mmap failed");
		gp.scratch_gva = align_up(region_gva + npages * PAGE_SIZE, 1ul << 30) + (4ul << 30);
		virt_map(vm, gp.scratch_gva, scratch_gpa[0], SCRATCH_BYTES / PAGE_SIZE);
	}
	if (opt_remap)
		setup_remap_windows(region_gva);
	sync_global_to_guest(vm, gp);
	quiesce_gen = 0;
	sync_global_to_guest(vm, quiesce_gen);
	host_quiesce_gen = addr_gva2hva(vm, (vm_vaddr_t)&quiesce_gen);

	snapshot = calloc(npages, PAGE_SIZE);
	union_bmap = bitmap_zalloc(npages);
	scratch_bmap = bitmap_zalloc(npages);
	dropped_bmap = bitmap_zalloc(npages);
	ever_dropped_bmap = bitmap_zalloc(npages);
	last_val = calloc((size_t)nr_vcpus * npages, PAGE_SIZE);
	alt_val = opt_lazy ? calloc((size_t)nr_vcpus * npages, PAGE_SIZE) : NULL;
	TEST_ASSERT(snapshot && union_bmap && scratch_bmap && dropped_bmap &&
		    ever_dropped_bmap && last_val && (alt_val || !opt_lazy), "ENOMEM");
	replay_init();
	memcpy(snapshot, host_mem, npages * PAGE_SIZE);

	/* Reset run state. */
	nr_parked = 0;
	resume_gen = 0;
	vcpu_quit = false;
	prot_seq = 0;
	memset(ring_fetch, 0, sizeof(ring_fetch));
	ring_reset_gen = ring_harvested = ring_cleared = 0;
	churn_stop = false;
	churn_pause_req = churn_paused = 0;
	nr_churn = 0;
	inject_gfn = -1;
	inject_armed = false;
	cnt_rounds = cnt_checks = cnt_checked = cnt_dirty = cnt_reported = 0;
	cnt_spurious = cnt_excluded = cnt_missing = cnt_efault = cnt_ringfull = 0;
	cnt_drops = cnt_protects = cnt_mmio_drop = cnt_injected = cnt_mmio_remap = 0;
	cnt_slot_ops = cnt_scratch_mmio = cnt_relogs = 0;
	relog_round = 0;
	relog_unchecked = false;
	cnt_qwords_checked = cnt_bad_content = 0;
	memset(guest_writes, 0, sizeof(guest_writes));
	memset(mmio_writes, 0, sizeof(mmio_writes));
	memset(mmio_min, 0, sizeof(mmio_min));
	memset(mmio_max, 0, sizeof(mmio_max));
	memset(guest_remaps, 0, sizeof(guest_remaps));

	ksft_print_msg("mode %s: %d vCPUs, %lu pages (%lu KiB) at gpa 0x%lx, %s%s, "
		       "check every %d rounds, churn:%s%s%s%s%s%s%s%s%s, seed 0x%x\n",
		       mode_name[m], nr_vcpus, npages, (uint64_t)(npages * PAGE_SIZE) >> 10,
		       region_gpa, opt_disjoint ? "disjoint pages" : "shared pages",
		       opt_stride ? " (strided)" : " (random order)", rounds_per_check,
		       opt_dontneed ? " -D" : "", opt_relog ? " -E" : "",
		       opt_protect ? " -P" : "",
		       opt_remap ? (gp.hwin_gva ? " -G (4K and 2M windows)" : " -G") : "",
		       opt_mmio ? " -M" : "", opt_lazy ? " -N" : "", opt_memslot ? " -L" : "",
		       !(opt_dontneed || opt_relog || opt_protect || opt_remap || opt_memslot) ?
		       " none" : "",
		       opt_inject ? ", -X (inject lost bit)" : "",
		       opt_seed);

	for (v = 0; v < nr_vcpus; v++)
		pthread_create(&vcpu_threads[v], NULL, vcpu_thread_fn, vcpus[v]);
	/* -H: host huge pages stay whole until the log is on. */
	if (!opt_huge)
		start_churn();

	t_end = now_sec() + opt_seconds;
	t_log = now_sec() + HUGE_WARMUP;
	/* who got the CPU while the log loop ran: vCPU threads or this one */
	cpu_wall = now_sec();
	cpu_host = thread_cpu_sec(pthread_self());
	for (v = 0; v < nr_vcpus; v++)
		cpu_vcpus -= thread_cpu_sec(vcpu_threads[v]);
	for (i = 1; ; i++) {
		bool done;

		if (opt_interval_us)
			usleep(opt_interval_us);
		collect(false);
		cnt_rounds++;
		if (relog_round && cnt_rounds >= relog_round) {
			/* -E: write-protect the slot against running vCPUs. */
			vm_mem_region_set_flags(vm, TEST_SLOT, KVM_MEM_LOG_DIRTY_PAGES);
			logging_on = true;
			relog_unchecked = true;
			relog_round = 0;
			cnt_relogs++;
		}
		done = opt_rounds ? i >= opt_rounds : now_sec() >= t_end;
		/* -H, -E: at least one interval with the log on gets checked. */
		if (done && logging_on && !relog_unchecked)
			break;
		if (logging_on ? i % rounds_per_check == 0 :
		    !relog_round && (done || now_sec() >= t_log)) {
			missing = quiesce_and_check(&gen, false);
			if (missing)
				break;
			if (opt_huge && !nr_churn)
				start_churn();
		}
	}
	cpu_wall = now_sec() - cpu_wall;
	cpu_host = thread_cpu_sec(pthread_self()) - cpu_host;
	for (v = 0; v < nr_vcpus; v++)
		cpu_vcpus += thread_cpu_sec(vcpu_threads[v]);
	if (!missing)
		missing = quiesce_and_check(&gen, true);

	/* Tear down: vCPUs are parked, churn threads paused. */
	__atomic_store_n(&churn_stop, true, __ATOMIC_RELEASE);
	for (v = 0; v < nr_churn; v++)
		pthread_join(churn_threads[v], NULL);
	pthread_mutex_lock(&park_lock);
	vcpu_quit = true;
	pthread_cond_broadcast(&park_cond);
	pthread_mutex_unlock(&park_lock);
	for (v = 0; v < nr_vcpus; v++)
		pthread_join(vcpu_threads[v], NULL);

	{
		uint64_t writes = 0, remaps = 0;

		for (v = 0; v < nr_vcpus; v++) {
			writes += guest_writes[v];
			remaps += guest_remaps[v];
		}
		ksft_print_msg("result: mode=%s rounds=%lu checks=%lu pages_checked=%lu "
			       "pages_dirty=%lu pages_reported=%lu reported_unchanged=%lu "
			       "excluded_dropped=%lu missing=%lu guest_writes=%lu "
			       "efault_retries=%lu ring_full_exits=%lu dontneed_ops=%lu "
			       "mprotect_ops=%lu mmio_drops=%lu guest_pte_rewrites=%lu "
			       "mmio_remap_writes=%lu memslot_ops=%lu scratch_mmio_exits=%lu "
			       "injected=%lu qwords_checked=%lu bad_content=%lu "
			       "log_reenables=%lu\n",
			       mode_name[m], cnt_rounds, cnt_checks, cnt_checked,
			       cnt_dirty, cnt_reported, cnt_spurious, cnt_excluded,
			       cnt_missing, writes, cnt_efault, cnt_ringfull,
			       cnt_drops, cnt_protects, cnt_mmio_drop, remaps,
			       cnt_mmio_remap, cnt_slot_ops, cnt_scratch_mmio, cnt_injected,
			       cnt_qwords_checked, cnt_bad_content, cnt_relogs);
	}
	print_stats();
	ksft_print_msg("cpu: loop_s=%.3f host_thread_s=%.3f vcpu_threads_s=%.3f\n",
		       cpu_wall, cpu_host, cpu_vcpus);

	free(snapshot);
	free(union_bmap);
	free(scratch_bmap);
	free(dropped_bmap);
	free(ever_dropped_bmap);
	free(last_val);
	free(alt_val);
	if (scratch_mem)
		munmap(scratch_mem, SCRATCH_BYTES);
	scratch_mem = NULL;
	kvm_vm_free(vm);
	vm = NULL;
	return missing;
}

/* -h exits 0; a bad option exits KSFT_FAIL, so a plan with a typo fails. */
static void help(const char *name, int status)
{
	printf("usage: %s [-m get-log|clear-log|dirty-ring|all] [-v vcpus] [-b bytes]\n"
	       "          [-t seconds | -i rounds] [-r rounds] [-I usec] [-S stride]\n"
	       "          [-c ring_entries] [-p gpa] [-d] [-D] [-E] [-P] [-G] [-H] [-L] [-M]\n"
	       "          [-N] [-X] [-Y]\n"
	       "          [-s seed] [-h]\n\n", name);
	puts(" -m: dirty log mode (default: all supported modes, one KTAP test each)\n"
	     "     get-log:    KVM_GET_DIRTY_LOG (fetch, clear and write-protect)\n"
	     "     clear-log:  MANUAL_DIRTY_LOG_PROTECT2: GET, then CLEAR in chunks\n"
	     "     dirty-ring: per-vCPU dirty rings, harvest + KVM_RESET_DIRTY_RINGS\n"
	     " -v: number of vCPUs (default 2, max 64)\n"
	     " -b: size of the dirty-logged region, e.g. 4M, 64M (default 4M)\n"
	     " -t: seconds per mode (default 2)\n"
	     " -i: collection rounds per mode (overrides -t)\n"
	     " -r: collection rounds between two quiesce+check points (default 8)\n"
	     " -I: sleep between collection rounds, in microseconds (default 500)\n"
	     " -S: strided access with this stride in pages (default: random)\n"
	     " -c: dirty ring entries per vCPU, power of 2 (default 1024)\n"
	     " -p: guest physical address of the region (default: top of the\n"
	     "     guest physical address space)\n"
	     " -d: disjoint: each vCPU writes its own partition (default: all vCPUs\n"
	     "     write the whole region)\n"
	     " -D: churn: madvise(MADV_DONTNEED) random chunks while vCPUs write\n"
	     " -E: turn the log off after each check, and on again under writes\n"
	     " -P: churn: mprotect(PROT_READ) random chunks for a while, then RW\n"
	     " -G: guest rewrites its own PTEs (per-vCPU GVA window + INVLPG)\n"
	     " -H: huge pages: THP backed slot, guest 2M mappings of the region\n"
	     "     (with -G: also a 2M window per vCPU, its PDE retargeted)\n"
	     " -L: churn: create, move, re-flag and delete a scratch memslot\n"
	     " -M: with -G, some retargets point at gfns with no memslot (MMIO)\n"
	     " -N: with -G, some retargets get their INVLPG only after the write\n"
	     " -X: self-check: inject a lost dirty bit; the test must FAIL\n"
	     " -Y: self-check: corrupt one qword of guest memory; the test must FAIL\n"
	     " -s: random seed (default: time based)\n"
	     " -h: this help");
	exit(status);
}

int main(int argc, char *argv[])
{
	int opt, m, failed = 0, nr_tests = 0;

	while ((opt = getopt(argc, argv, "m:v:b:t:i:r:I:S:c:p:dDEPGHLMNXYs:h")) != -1) {
		switch (opt) {
		case 'm':
			if (!strcmp(optarg, "all")) {
				opt_mode = MODE_ALL;
				break;
			}
			for (m = 0; m < NR_MODES; m++)
				if (!strcmp(optarg, mode_name[m]))
					break;
			TEST_ASSERT(m < NR_MODES, "unknown mode '%s'", optarg);
			opt_mode = m;
			break;
		case 'v':
			nr_vcpus = atoi_positive("vCPUs", optarg);
			TEST_ASSERT(nr_vcpus <= MAX_VCPUS, "at most %d vCPUs", MAX_VCPUS);
			break;
		case 'b':
			region_bytes = parse_size(optarg);
			break;
		case 't':
			opt_seconds = atof(optarg);
			break;
		case 'i':
			opt_rounds = atoi_positive("rounds", optarg);
			break;
		case 'r':
			rounds_per_check = atoi_positive("rounds per check", optarg);
			break;
		case 'I':
			opt_interval_us = atoi_non_negative("interval", optarg);
			break;
		case 'S':
			opt_stride = atoi_positive("stride", optarg);
			break;
		case 'c':
			ring_entries = atoi_positive("ring entries", optarg);
			break;
		case 'p':
			opt_gpa = strtoull(optarg, NULL, 0);
			TEST_ASSERT(!(opt_gpa % PAGE_SIZE), "-p must be page aligned");
			break;
		case 'd':
			opt_disjoint = true;
			break;
		case 'D':
			opt_dontneed = true;
			break;
		case 'E':
			opt_relog = true;
			break;
		case 'P':
			opt_protect = true;
			break;
		case 'G':
			opt_remap = true;
			break;
		case 'H':
			opt_huge = true;
			break;
		case 'L':
			opt_memslot = true;
			break;
		case 'M':
			opt_mmio = true;
			break;
		case 'N':
			opt_lazy = true;
			break;
		case 'X':
			opt_inject = true;
			break;
		case 'Y':
			opt_inject_content = true;
			break;
		case 's':
			opt_seed = strtoul(optarg, NULL, 0);
			seed_given = true;
			break;
		case 'h':
			help(argv[0], KSFT_PASS);
		default:
			help(argv[0], KSFT_FAIL);
		}
	}

	TEST_ASSERT(region_bytes >= PAGE_SIZE && region_bytes % PAGE_SIZE == 0,
		    "-b must be a multiple of 4K");
	TEST_ASSERT(!opt_huge || region_bytes % (1ul << 21) == 0,
		    "-H needs -b to be a multiple of 2M");
	TEST_ASSERT(!opt_mmio || opt_remap, "-M needs -G");
	TEST_ASSERT(!opt_lazy || opt_remap, "-N needs -G");
	TEST_ASSERT(!opt_mmio || region_bytes <= MMIO_GAP, "-M: -b is at most 1G");
	TEST_ASSERT(!opt_disjoint || region_bytes / PAGE_SIZE >= (uint64_t)nr_vcpus,
		    "-d needs at least one page per vCPU");
	if (!seed_given)
		opt_seed = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	srandom(opt_seed);

	for (m = 0; m < NR_MODES; m++)
		if (opt_mode == MODE_ALL || opt_mode == m)
			nr_tests++;

	ksft_print_header();
	ksft_set_plan(nr_tests);

	for (m = 0; m < NR_MODES; m++) {
		if (opt_mode != MODE_ALL && opt_mode != m)
			continue;
		if (!mode_supported(m)) {
			ksft_test_result_skip("%s: not supported by this KVM\n", mode_name[m]);
			continue;
		}
		if (run_mode(m)) {
			failed++;
			ksft_test_result_fail("%s: dirty log or guest memory check failed%s\n",
					      mode_name[m],
					      opt_inject || opt_inject_content ?
					      " (expected: -X/-Y injected a fault)" : "");
		} else {
			ksft_test_result_pass("%s\n", mode_name[m]);
		}
	}
	if (failed)
		ksft_exit_fail();
	if (ksft_get_pass_cnt() == 0)
		ksft_exit_skip("no supported dirty log mode\n");
	ksft_exit_pass();
}

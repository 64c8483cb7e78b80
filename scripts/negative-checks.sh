#!/bin/bash
# Show that the pipeline fails, with a clear message, where it must:
#   1. a series with a patch that does not apply;
#   2. a kernel WARN in the dirty-log path (the console scan must catch it);
#   3. a guest that never powers off;
#   4. a kernel that logs a gfn before its SPTE is on its rmap (the ordering
#      that lockless rmap write protection relies on): the stress test must
#      find the dirty page it loses.
#   5. a lockless shadow walk that the remote TLB flush does not wait for (a
#      simulated enlightened flush): with shadow pages freed at once KASAN
#      must report a use-after-free, and with patch 13's grace period the
#      same kernel must pass (the control half of the check).
#   6. enabling dirty logging on a slot that leaves its 4KiB rmap SPTEs
#      writable (patch 14's walk starting one level too high): the stress
#      test's -E must find the writes that are never logged.
#   7. a CLEAR_DIRTY_LOG that write-protects a huge SPTE (log initially set)
#      and clears MMU-writable while its TLB flush waits for the end of the
#      ioctl (patch 12 before the fourth review): the regression test's
#      initset_huge_pt must see that shadowing a gfn under it flushes
#      nothing.
# Each check passes only if the step under test FAILS.  Prints N passed, N failed.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
tree=$build/linux
pass=0 fail=0
result() { if [ "$1" = 0 ]; then pass=$((pass + 1)); echo "negative: ok - $2"; else
	fail=$((fail + 1)); echo "negative: NOT OK - $2"; fi; }

want() { case ",${NEG:-1,2,3,4,5,6,7}," in *",$1,"*) return 0 ;; esac; return 1; }

# 1. A patch that does not apply, on a scratch worktree at the base.
if want 1; then
neg=$build/neg-tree neg_patches=$build/neg-patches
rm -rf "$neg_patches"; mkdir -p "$neg_patches"
git -C "$tree" worktree remove --force "$neg" >/dev/null 2>&1 || rm -rf "$neg"
git -C "$tree" worktree prune
git -C "$tree" worktree add -q --detach "$neg" linux-source
cp "$top"/patches/*.patch "$neg_patches/" 2>/dev/null || true
cat > "$neg_patches/0999-does-not-apply.patch" <<'PATCH'
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Negative Check <negative@localhost>
Subject: [PATCH] KVM: a patch whose context is not in the tree

---
 virt/kvm/kvm_main.c | 1 +
 1 file changed, 1 insertion(+)

diff --git a/virt/kvm/kvm_main.c b/virt/kvm/kvm_main.c
--- a/virt/kvm/kvm_main.c
+++ b/virt/kvm/kvm_main.c
@@ -1,3 +1,4 @@
 this line is not in kvm_main.c
 nor is this one
+int negative_check;
 and not this one either
PATCH
out=$(PATCHES_DIR=$neg_patches "$top/scripts/mktree.sh" "$neg" 2>&1)
rc=$?
echo "$out" | sed 's/^/    /'
[ $rc != 0 ] && echo "$out" | grep -q '0999-does-not-apply.patch'
result $? "a patch that does not apply fails 'make tree' and is named"
git -C "$tree" worktree remove --force "$neg" >/dev/null 2>&1
rm -rf "$neg_patches"
fi

# 2. WARN_ON(1) in the dirty-log path: plant it in the tree (uncommitted),
#    rebuild incrementally, boot, then restore the tree and rebuild.
if want 2; then
# The generic entry point: with the series, a TDP MMU VM re-arms dirty logging
# through kvm_arch_mmu_enable_log_dirty_pt_masked_shared(), so a WARN planted
# in the x86 write-locked function would never run in that mode.
mmu=$tree/virt/kvm/kvm_main.c
kdebug=$build/kernel-debug
sed -i '/^void kvm_dirty_log_protect_masked(/,/^{/ s/^{$/{\n\tWARN_ON(1);/' "$mmu"
grep -q 'WARN_ON(1);' "$mmu" || { echo "negative: could not plant WARN_ON"; exit 1; }
if flock "$build/.build.lock" "$top/scripts/build-kernel.sh" "$tree" "$kdebug" debug >"$build/neg-warn-build.log" 2>&1; then
	python3 "$top/scripts/vmtest.py" --kernel "$kdebug/arch/x86/boot/bzImage" \
		--initrd "$build/initramfs.cpio.gz" --plan smoke --modes tdp \
		--timeout 600 --logdir "$build/negative-warn" --expect-fail
	result $? "a WARN_ON(1) in the dirty-log path fails the console scan"
else
	tail -20 "$build/neg-warn-build.log"
	result 1 "a WARN_ON(1) in the dirty-log path fails the console scan (build failed)"
fi
git -C "$tree" checkout -q -- virt/kvm/kvm_main.c
flock "$build/.build.lock" "$top/scripts/build-kernel.sh" "$tree" "$kdebug" debug >"$build/neg-warn-build.log" 2>&1 ||
	echo "negative: WARNING: rebuilding the restored kernel failed, see $build/neg-warn-build.log"
fi

# 3. A guest that never powers off.
if want 3; then
python3 "$top/scripts/vmtest.py" --kernel "$build/kernel-debug/arch/x86/boot/bzImage" \
	--initrd "$build/initramfs.cpio.gz" --plan smoke --modes tdp \
	--timeout 200 --append fastpf.hang=1 --logdir "$build/negative-hang" --expect-fail
result $? "a guest that never powers off fails with a timeout"
fi

# 4. mmu_set_spte() logging before rmap_add(), with the window widened by a
#    udelay so that a concurrent CLEAR_DIRTY_LOG reliably falls into it.  Built
#    into its own directory from the tree with the mutation planted, then the
#    tree is restored.
if want 4; then
mmu=$tree/arch/x86/kvm/mmu/mmu.c
kmut=$build/kernel-mut
python3 - "$mmu" <<'PYEOF2'
import sys
p = sys.argv[1]
s = open(p).read()
old = """	if (!was_rmapped) {
		WARN_ON_ONCE(ret == RET_PF_SPURIOUS);
		rmap_add(vcpu, slot, sptep, gfn, pte_access);
	} else {
		/* Already rmapped but the pte_access bits may have changed. */
		kvm_mmu_page_set_access(sp, spte_index(sptep), pte_access);
	}

	/* Only once the SPTE is on its rmap, see kvm_mmu_log_writable_spte(). */
	kvm_mmu_log_writable_spte(vcpu, slot, gfn, spte, level);"""
new = """	kvm_mmu_log_writable_spte(vcpu, slot, gfn, spte, level);
	if (!was_rmapped && (spte & PT_WRITABLE_MASK))
		udelay(200);
	if (!was_rmapped) {
		WARN_ON_ONCE(ret == RET_PF_SPURIOUS);
		rmap_add(vcpu, slot, sptep, gfn, pte_access);
	} else {
		kvm_mmu_page_set_access(sp, spte_index(sptep), pte_access);
	}"""
if old not in s:
    sys.exit("negative: mmu_set_spte() not as expected")
s = s.replace(old, new, 1).replace("#include <linux/kvm_host.h>\n",
                                   "#include <linux/kvm_host.h>\n#include <linux/delay.h>\n", 1)
open(p, "w").write(s)
PYEOF2
if [ $? = 0 ] && flock "$build/.build.lock" "$top/scripts/build-kernel.sh" "$tree" "$kmut" debug >"$build/neg-mut-build.log" 2>&1; then
	python3 "$top/scripts/vmtest.py" --kernel "$kmut/arch/x86/boot/bzImage" \
		--initrd "$build/initramfs.cpio.gz" --plan mut-logorder --modes shadow \
		--timeout 900 --logdir "$build/negative-logorder" --expect-fail
	result $? "logging a gfn before rmap_add() loses a dirty page the stress test finds"
else
	tail -20 "$build/neg-mut-build.log"
	result 1 "logging a gfn before rmap_add() loses a dirty page (mutation or build failed)"
fi
git -C "$tree" checkout -q -- arch/x86/kvm/mmu/mmu.c
fi

# 5. Patch 13 under a simulated enlightened flush (kvm.mut_enlightened,
#    on by default in this kernel): the shadow MMU's lockless walker no
#    longer sets READING_SHADOW_PAGE_TABLES, so kvm_flush_remote_tlbs() does
#    not wait for it (vCPUs in the guest are still flushed), and
#    remote_tlb_flush_waits_for_walkers() says so; the fast path's and the
#    MMIO walk hold 500 us at every level, between reading an SPTE and
#    following it.  kvm.mut_free_now=1 frees zapped shadow pages
#    at once, as before patch 13.  KASAN kernel, tdp_mmu=0 (the direct fast
#    path walks shadow-MMU pages), multi-threaded TCG so that the zapper
#    really runs during the held walk.
if want 5; then
mmu=$tree/arch/x86/kvm/mmu/mmu.c
kmut=$build/kernel-mut-rcu
python3 - "$mmu" <<'PYEOF2'
import sys
p = sys.argv[1]
s = open(p).read()
edits = [
    ("#include <linux/kvm_host.h>\n",
     "#include <linux/kvm_host.h>\n#include <linux/delay.h>\n"
     "static bool mut_enlightened = true;\nmodule_param(mut_enlightened, bool, 0644);\n"
     "static bool mut_free_now;\nmodule_param(mut_free_now, bool, 0644);\n"),
    ("""static bool remote_tlb_flush_waits_for_walkers(void)
{
""",
     """static bool remote_tlb_flush_waits_for_walkers(void)
{
	if (READ_ONCE(mut_enlightened))
		return false;
"""),
    ("""		smp_store_mb(vcpu->mode, READING_SHADOW_PAGE_TABLES);""",
     """		if (!READ_ONCE(mut_enlightened))
			smp_store_mb(vcpu->mode, READING_SHADOW_PAGE_TABLES);"""),
    ("""	if (remote_tlb_flush_waits_for_walkers())
		kvm_mmu_free_shadow_page_rcu(&sp->rcu_head);""",
     """	if (READ_ONCE(mut_free_now) || remote_tlb_flush_waits_for_walkers())
		kvm_mmu_free_shadow_page_rcu(&sp->rcu_head);"""),
    ("""		sptep = iterator.sptep;
		*spte = old_spte;
""",
     """		sptep = iterator.sptep;
		*spte = old_spte;
		if (READ_ONCE(mut_enlightened))
			udelay(500);
"""),
    ("""		sptes[leaf] = spte;
""",
     """		sptes[leaf] = spte;
		if (READ_ONCE(mut_enlightened))
			udelay(500);
"""),
]
for old, new in edits:
    if s.count(old) != 1:
        sys.exit("negative: mmu.c not as expected at: " + old.strip().splitlines()[0])
    s = s.replace(old, new, 1)
open(p, "w").write(s)
PYEOF2
if [ $? = 0 ] && flock "$build/.build.lock" "$top/scripts/build-kernel.sh" "$tree" "$kmut" kasan >"$build/neg-mut-rcu-build.log" 2>&1; then
	python3 "$top/scripts/vmtest.py" --kernel "$kmut/arch/x86/boot/bzImage" \
		--initrd "$build/initramfs.cpio.gz" --plan mut-rcufree --modes legacy-tdp \
		--accel tcg,thread=multi --cpu0 --append "kvm.mut_free_now=1" \
		--timeout 900 --logdir "$build/negative-rcufree" --expect-fail &&
		grep -aqE 'KASAN: (slab-)?use-after-free' "$build/negative-rcufree/legacy-tdp.console.log"
	result $? "a shadow page freed under a lockless walk the flush did not wait for: KASAN reports a use-after-free"
	python3 "$top/scripts/vmtest.py" --kernel "$kmut/arch/x86/boot/bzImage" \
		--initrd "$build/initramfs.cpio.gz" --plan mut-rcufree --modes legacy-tdp \
		--accel tcg,thread=multi --cpu0 \
		--timeout 900 --logdir "$build/negative-rcufree-control"
	result $? "control: the same walk with shadow pages freed after a grace period is clean"
else
	tail -20 "$build/neg-mut-rcu-build.log"
	result 1 "a shadow page freed under a lockless walk (mutation or build failed)"
fi
git -C "$tree" checkout -q -- arch/x86/kvm/mmu/mmu.c
fi
# 6. Patch 14 with an off-by-one start level: the lockless walk that enables
#    dirty logging skips the 4KiB rmaps.  Same mutant directory as check 4.
if want 6; then
mmu=$tree/arch/x86/kvm/mmu/mmu.c
kmut=$build/kernel-mut
python3 - "$mmu" <<'PYEOF2'
import sys
p = sys.argv[1]
s = open(p).read()
old = "for_each_slot_rmap_range(slot, start_level, KVM_MAX_HUGEPAGE_LEVEL,"
if s.count(old) != 1:
    sys.exit("negative: rmap_write_protect_slot_lockless() not as expected")
open(p, "w").write(s.replace(old, old.replace("start_level,", "start_level + 1,")))
PYEOF2
if [ $? = 0 ] && flock "$build/.build.lock" "$top/scripts/build-kernel.sh" "$tree" "$kmut" debug >"$build/neg-mut-relog-build.log" 2>&1; then
	python3 "$top/scripts/vmtest.py" --kernel "$kmut/arch/x86/boot/bzImage" \
		--initrd "$build/initramfs.cpio.gz" --plan mut-relog --modes shadow \
		--timeout 900 --logdir "$build/negative-relog" \
		--expect-fail &&
		grep -aq 'MISSING dirty bit' "$build/negative-relog/shadow.console.log"
	result $? "enabling dirty logging that leaves 4KiB rmap SPTEs writable loses dirty pages the stress test finds"
else
	tail -20 "$build/neg-mut-relog-build.log"
	result 1 "enabling dirty logging that leaves 4KiB SPTEs writable (mutation or build failed)"
fi
git -C "$tree" checkout -q -- arch/x86/kvm/mmu/mmu.c
fi

# 7. Patch 12's huge SPTE write protection clearing MMU-writable again.
#    Same mutant directory as check 4.
if want 7; then
mmu=$tree/arch/x86/kvm/mmu/mmu.c
kmut=$build/kernel-mut
python3 - "$mmu" <<'PYEOF3'
import sys
p = sys.argv[1]
s = open(p).read()
old = ["rmap_write_protect(gfn_to_rmap(start, level, slot), false);",
       "rmap_write_protect(gfn_to_rmap(end, level, slot), false);"]
if any(s.count(o) != 1 for o in old):
    sys.exit("negative: rmap_protect_huge_spte_locked() not as expected")
for o in old:
    s = s.replace(o, o.replace("false);", "true);"))
open(p, "w").write(s)
PYEOF3
if [ $? = 0 ] && flock "$build/.build.lock" "$top/scripts/build-kernel.sh" "$tree" "$kmut" debug >"$build/neg-mut-hugept-build.log" 2>&1; then
	python3 "$top/scripts/vmtest.py" --kernel "$kmut/arch/x86/boot/bzImage" \
		--initrd "$build/initramfs.cpio.gz" --plan mut-hugept --modes shadow \
		--timeout 900 --logdir "$build/negative-hugept" \
		--expect-fail &&
		grep -aq 'FAIL initset_huge_pt: .* flushed TLBs 0 times' \
			"$build/negative-hugept/shadow.console.log"
	result $? "a huge SPTE write protection that clears MMU-writable without a flush fails initset_huge_pt"
else
	tail -20 "$build/neg-mut-hugept-build.log"
	result 1 "a huge SPTE write protection that clears MMU-writable (mutation or build failed)"
fi
git -C "$tree" checkout -q -- arch/x86/kvm/mmu/mmu.c
fi
echo "$pass passed, $fail failed"
[ $fail = 0 ]

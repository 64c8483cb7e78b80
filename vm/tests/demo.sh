#!/bin/sh
# make demo, in the guest: trace-fastpf and lockstat watch one dirty-logging
# workload together; their final reports are printed, then a few plain
# lines read from their --prom files: the workload VM's fast-path share of
# write-protect faults, and who took mmu_lock for write and why.
#
# usage: demo.sh [dirty_log_perf_test options...]
# BIN holds the tools, TESTS the test (both default .): scripts/demo-host.sh runs
# this on the host too, where KVM can run a VM.
set -u
. "$(dirname "$0")/lib.sh"
BIN=${BIN:-.} TESTS=${TESTS:-.}
out=/tmp/demo.$$
mkdir -p $out
W=dirty_log_perf_	# the workload's comm (15 characters)

# One report each, at the end: an interval longer than the run.
$BIN/trace-fastpf -n 3 --prom $out/tf.prom 3600 > $out/tf.txt 2> $out/tf.err &
tf=$!
$BIN/lockstat --stacks 4 -n 3 --prom $out/ls.prom > $out/ls.txt 2> $out/ls.err &
ls=$!
# never leave a tool attached behind an early exit
trap 'kill -INT $tf $ls 2> /dev/null' EXIT
wait_attached $tf $out/tf.err 'Tracing KVM page faults' || exit 1
wait_attached $ls $out/ls.err 'Tracing kvm->mmu_lock' || exit 1
$TESTS/dirty_log_perf_test "$@" > $out/test.out 2>&1
rc=$?
stop_tools $out $tf $ls || exit 1
[ $rc = 0 ] || { echo "dirty_log_perf_test failed ($rc)"; tail -n 20 $out/test.out; exit 1; }

echo "== trace-fastpf (final report)"
sed -n '/totals since start/,$p' $out/tf.txt
echo "== lockstat --stacks 4 (final report)"
cat $out/ls.txt

# sample FILE METRIC [LABEL=VALUE...]: the sum of METRIC's samples for the
# workload's VM whose labels contain every LABEL="VALUE" given
sample() {
	_f=$1 _m=$2; shift 2
	awk -v m="$_m" -v w="$W" -v want="$*" '
		index($0, m "{") == 1 && index($0, "name=\"" w) {
			n = split(want, kv, " ")
			for (i = 1; i <= n; i++) {
				split(kv[i], p, "=")
				if (!index($0, p[1] "=\"" p[2] "\"")) next
			}
			s += $NF
		}
		END { printf "%d\n", s }' "$_f"
}

# the workload's VM must be in both files: a missing VM is not zeros
for f in tf ls; do
	grep -q "^kvm_[a-z_]*{name=\"$W" $out/$f.prom ||
		{ echo "no VM named $W... in $out/$f.prom"; head -n 40 $out/$f.prom; exit 1; }
done
mode=$(sed -n 's/.*fastpf.mode=\([a-z-]*\).*/\1/p' /proc/cmdline)
[ -n "$mode" ] || mode="this host's"
wp=$(sample $out/tf.prom kvm_fastpf_write_protect_faults_total)
fixed=$(sample $out/tf.prom kvm_fastpf_pf_fast_total)
faults=$(sample $out/tf.prom kvm_fastpf_page_faults_total)
echo "== what this shows ($mode MMU mode)"
if [ "$wp" -gt 0 ]; then
	echo "  The workload's vCPUs took $faults page-fault exits; $wp were writes to write-protected"
	echo "  pages (dirty logging).  The fast path fixed $fixed of them without mmu_lock" \
		"($((100 * fixed / wp))%)."
else
	echo "  The workload's vCPUs took $faults page-fault exits and no write-protect fault."
fi
bw=$(sample $out/tf.prom kvm_fastpf_wrprot_batches_total lock=write)
br=$(sample $out/tf.prom kvm_fastpf_wrprot_batches_total lock=read)
bn=$(sample $out/tf.prom kvm_fastpf_wrprot_batches_total lock=none)
if grep -q '^kvm_fastpf_metric_live{metric="wrprot_batches"} 1' $out/tf.prom; then
	echo "  Dirty-log write protection ran in $((bw + br + bn)) batches: $bw under mmu_lock for write," \
		"$br for read, $bn without it."
else
	echo "  How dirty-log write protection held mmu_lock: not traceable on this kernel" \
		"(no kvm_mmu_wrprot_batch tracepoint)."
fi
wacq=$(sample $out/ls.prom kvm_mmu_lock_acquisitions_total mode=write)
racq=$(sample $out/ls.prom kvm_mmu_lock_acquisitions_total mode=read)
wcon=$(sample $out/ls.prom kvm_mmu_lock_contentions_total mode=write)
# lockstat's contention source counts no acquisitions, the raw source
# without lock tracepoints no contentions: say so rather than print 0
grep -q '^kvm_mmu_lock_acquisitions_total{' $out/ls.prom || wacq=n/a racq=n/a
grep -q '^kvm_mmu_lock_contentions_total{' $out/ls.prom || wcon=n/a
echo "  mmu_lock: $wacq write and $racq read acquisitions by the workload's VM; $wcon writes waited."
echo "  Top write holders (call site: acquisitions, why):"
grep "^kvm_mmu_lock_callsite_acquisitions_total{.*name=\"$W.*mode=\"write\"" $out/ls.prom |
	sed 's/.*caller="\([^"+]*\)[^"]*".* \([0-9]*\)$/\2 \1/' | sort -rn | head -n 4 > $out/holders
[ -s $out/holders ] ||
	echo "    none known: no write acquisition, or a source without acquisitions (--features)"
while read -r n fn; do
	case "$fn" in
	*dirty_log*|*write_access*|*wrprot*|*clear_dirty*)
		why="dirty-log write protection (enabling the log, GET/CLEAR_DIRTY_LOG)" ;;
	*collapsible*) why="the log was disabled: 4K SPTEs zapped so that huge pages come back" ;;
	*notifier*) why="an MMU notifier: the host changed or freed the VM's memory" ;;
	*flush_shadow_memslot*) why="a memslot was deleted or moved: its SPTEs zapped" ;;
	*page_fault*) why="a slow-path page fault installing a mapping" ;;
	*change_mmu_pages*) why="a memslot changed: the shadow-page limit is recomputed" ;;
	*mmu_load*|*alloc_*roots*) why="a vCPU loading its root page table" ;;
	*) why="see Documentation/virt/kvm/locking.rst" ;;
	esac
	echo "    $fn: $n, $why"
done < $out/holders

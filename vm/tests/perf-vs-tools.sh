#!/bin/sh
# perf against both tools over the same window, in the guest.
#
# usage: perf-vs-tools.sh [dirty_log_perf_test options...]
#
# trace-fastpf and lockstat --source contention attach first; then
#   perf stat -a -e kvmmmu:fast_page_fault_pass --filter 'outcome == FIXED'
#     -- perf record -a -e lock:contention_begin -- dirty_log_perf_test ...
# runs the workload, and the tools are stopped after perf.  Only the
# workload's VM runs vCPUs (vm/init's holdvm VM has none), so:
#   - perf stat's count equals trace-fastpf's "fixed" for the workload's VM,
#     which the tool must still name after its process exited;
#   - the perf record samples whose lock_addr is the workload VM's mmu_lock
#     (lockstat -v gives its address) equal lockstat's contentions of that
#     VM, read and write: both are lock:contention_begin.
# Counts of the same events: compared exactly.  perf record's lost events
# fail the test rather than make it pass by chance.
#
# How many waits mmu_lock sees is timing, and timing is no pass/fail
# criterion.  Without the TDP MMU, five runs had 100 to 234, two runs
# with perf record filtered to rwlock waits (flags & 6) had none, and
# the demo's runs without perf had 0 or 703.  So 0 = 0 is reported as
# not exercised, not as a match; a wrong lock address would show as that
# on every run.
set -u
. ./lib.sh
command -v perf > /dev/null || { echo "no perf in the initramfs (scripts/deps.sh: linux-perf)"; exit 4; }
out=/tmp/perfvs.$$
mkdir -p $out
W=dirty_log_perf_

# the number the kernel gives fast_page_fault_pass's "fixed" outcome
fmt=/sys/kernel/tracing/events/kvmmmu/fast_page_fault_pass/format
fixed=$(grep -o '{ *[0-9]*, *"fixed" *}' $fmt 2>/dev/null | grep -o '[0-9][0-9]*' | head -n 1)
[ -n "$fixed" ] || { echo "no kvmmmu:fast_page_fault_pass: not the patched kernel"; exit 4; }

./trace-fastpf --json 3600 > $out/tf.json 2> $out/tf.err &
tf=$!
./lockstat --source contention -v --json 3600 > $out/ls.json 2> $out/ls.err &
ls=$!
# never leave a tool attached behind an early exit
trap 'kill -INT $tf $ls 2> /dev/null' EXIT
wait_attached $tf $out/tf.json '"type":"features"' || exit 1
wait_attached $ls $out/ls.err 'Tracing kvm->mmu_lock' || exit 1

perf stat -a -x, -o $out/stat.csv -e kvmmmu:fast_page_fault_pass --filter "outcome == $fixed" -- \
	perf record -q -a -m 1024 -e lock:contention_begin -o $out/perf.data -- \
	./dirty_log_perf_test "$@" > $out/test.out 2>&1
rc=$?
stop_tools $out $tf $ls || exit 1
[ $rc = 0 ] || { echo "perf or dirty_log_perf_test failed ($rc)"; tail -n 20 $out/test.out; exit 1; }

# trace-fastpf: "fixed" of the workload's VM, the first "fixed" of its
# object (its sum over its vCPUs).  The tool's one report comes after the
# workload exited: the VM must still have its name, not "?[PID]".
tool_fixed=$(grep '"type":"summary"' $out/tf.json | tail -n 1 | sed 's/{"vm_id":/\n&/g' |
	grep "^{\"vm_id\":[0-9]*,\"name\":\"$W\[" | grep -o '"fixed":[0-9]*' | head -n 1 | cut -d: -f2)
[ -n "$tool_fixed" ] || { echo "no VM named $W[PID] in trace-fastpf's summary";
	grep '"type":"summary"' $out/tf.json | head -c 1500; exit 1; }
perf_fixed=$(grep 'kvmmmu:fast_page_fault_pass' $out/stat.csv | cut -d, -f1)
echo "  fast path fixed: trace-fastpf $tool_fixed; perf stat $perf_fixed"
[ -n "$perf_fixed" ] && [ "$tool_fixed" = "$perf_fixed" ] && [ "$perf_fixed" -gt 0 ] ||
	{ echo "MISMATCH (or none): fast-path fixed faults"; cat $out/stat.csv; exit 1; }
echo "  match: trace-fastpf == perf stat"

# lockstat: the workload VM's lock address and contentions, both modes
# (the interval's all-VM "total" follows the last VM: cut it off)
vm=$(grep '"type":"interval"' $out/ls.json | tail -n 1 | sed 's/,"total":.*//; s/{"vm_id":/\n&/g' |
	grep "\"name\":\"$W")
lock=$(echo "$vm" | grep -o '"lock":"0x[0-9a-f]*"' | head -n 1 | cut -d'"' -f4)
ls_cont=$(echo "$vm" | grep -o '"contended":[0-9]*' | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }')
[ -n "$lock" ] || { echo "no lock address of $W in lockstat -v --json"; head -c 2000 $out/ls.json; exit 1; }
perf script -i $out/perf.data --show-lost-events > $out/script.txt 2> $out/script.err ||
	{ echo "perf script failed"; cat $out/script.err; exit 1; }
if grep -q 'LOST' $out/script.txt; then
	echo "perf record lost events"; grep LOST $out/script.txt | head -n 3; exit 1
fi
perf_cont=$(grep -c -i "contention_begin:.* $lock[ ,]" $out/script.txt)
echo "  mmu_lock $lock contentions: lockstat $ls_cont; perf record $perf_cont" \
	"(of $(grep -c contention_begin $out/script.txt) lock:contention_begin samples)"
[ "$ls_cont" = "$perf_cont" ] || {
	echo "MISMATCH: mmu_lock contentions"; grep contention_begin $out/script.txt | head -n 5; exit 1; }
if [ "$perf_cont" = 0 ]; then
	echo "  not exercised: no wait on this VM's mmu_lock in this run"
	exit 0
fi
echo "  match: lockstat == perf record"

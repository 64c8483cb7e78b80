#!/bin/sh
# trace-fastpf against KVM's own per-VM binary stats, in the guest.
#
# usage: trace-fastpf-vs-stats.sh VCPUS [stress test options...]
#
# Runs fastpf_stress_test (one VM, clear-log) while trace-fastpf --json
# watches, then requires fixed + spurious fast-path faults in the tool's
# summary to equal the test's pf_fast stat exactly: both are counts of the
# same events.  With one vCPU it also requires zero lost cmpxchgs and zero
# retries.  The latency probes must miss no page-fault exit: the summary's
# faults, and its latency histogram's total, equal the kvm:kvm_page_fault
# events of the vCPU threads that vm/init's tracefs histogram counted
# (skipped when that histogram is off, fastpf.hist=0).  So must its
# write-protect faults: those exits whose error code has PFERR_PRESENT and
# PFERR_WRITE.  The VM's MMU must be "tdp" with npt=1 and "shadow" with
# npt=0, and its MMU notifier events must equal the tracefs counts of the
# test's threads over the run.  Prints the figures either way.
set -u
. ./lib.sh
vcpus=$1; shift
out=/tmp/tfstats.$$
mkdir -p $out
T=/sys/kernel/tracing/events/kvm
COMM=fastpf_stress_t	# the test's threads (comm is 15 characters)

# "unmap age test_age": tracefs hits of the test's threads, or "" if any
# of the three histograms is off
notify_hits() {
	_h=
	for ev in kvm_unmap_hva_range kvm_age_hva kvm_test_age_hva; do
		[ -r $T/$ev/hist ] && grep -q hitcount $T/$ev/hist || return 0
		_h="$_h$(awk -v comm="$COMM" '/hitcount:/ && index($0, "common_pid: " comm " [") {
			s += $NF } END { printf "%d ", s }' $T/$ev/hist)"
	done
	echo "$_h"
}

./trace-fastpf --json --prom $out/tool.prom > $out/tool.json 2> $out/tool.err &
tool=$!
# The features line comes once the BPF programs are attached.
wait_attached $tool $out/tool.json '"type":"features"' || exit 1

before=$(notify_hits)
./fastpf_stress_test -m clear-log -v "$vcpus" "$@" > $out/test.out 2>&1
rc=$?
after=$(notify_hits)
kill -INT $tool; wait $tool
trc=$?
sed 's/^/  test: /' $out/test.out | grep -E 'result:|stats:|ok ' | head -5
[ $rc = 0 ] || { echo "fastpf_stress_test failed ($rc)"; cat $out/test.out; exit 1; }
[ $trc = 0 ] || { echo "trace-fastpf exited $trc"; cat $out/tool.err; exit 1; }

whole=$(grep '"type":"summary"' $out/tool.json | tail -n 1)
# The test's VM: the summary's VM object whose comm is the test's (there is
# also vm/init's idle VM, holdvm), up to the next VM.  The first occurrence
# of a counter in it is the VM's, summed over its vCPUs (the per-vCPU
# objects follow it).
summary=$(echo "$whole" | sed 's/{"vm_id":/\n&/g' | grep "\"comm\":\"$COMM\"" | head -n 1)
[ -n "$summary" ] || { echo "no VM of $COMM in the summary"; echo "$whole" | head -c 2000; exit 1; }
# The scan finds a VM that no probe fires for: holdvm's idle VM.
if pidof holdvm > /dev/null; then
	echo "$whole" | grep -q '"comm":"holdvm"' ||
		{ echo "MISSING: holdvm's idle VM was not found"; exit 1; }
	echo "  found: holdvm's idle VM"
fi
num() { echo "$summary" | grep -o "\"$1\":[0-9]*" | head -n 1 | cut -d: -f2; }
fixed=$(num fixed); spurious=$(num spurious)
retries=$(num retries); passes=$(num passes)
# Not "slow_by_outcome"'s cmpxchg_lost (faults that gave up), which comes
# first: the count of lost cmpxchgs follows "retry_faults".
cmpxchg=$(echo "$summary" | grep -o '"retry_faults":[0-9]*,"cmpxchg_lost":[0-9]*' |
	head -n 1 | sed 's/.*://')
stale=$(echo "$summary" | sed -n 's/.*"stale_retries":\({[^}]*}\).*/\1/p' | head -n 1)
pf_fast=$(sed -n 's/.*stats: .* pf_fast=\([0-9]*\).*/\1/p' $out/test.out | head -n 1)

echo "  vcpus=$vcpus tool: fixed=$fixed spurious=$spurious passes=$passes" \
	"retries=$retries cmpxchg_lost=$cmpxchg stale=$stale; kvm stats: pf_fast=$pf_fast"
[ -n "$fixed" ] && [ -n "$pf_fast" ] || { echo "could not read the figures"; head -c 2000 $out/tool.json; exit 1; }
if [ $((fixed + spurious)) != "$pf_fast" ]; then
	echo "MISMATCH: fixed + spurious = $((fixed + spurious)), pf_fast = $pf_fast"; exit 1
fi
# Every retry follows a lost cmpxchg (a fault that gives up after the last
# retry loses one more).
if [ -z "$cmpxchg" ] || [ "$cmpxchg" -lt "$retries" ]; then
	echo "cmpxchg_lost=$cmpxchg < retries=$retries"; exit 1
fi
if [ "$vcpus" = 1 ] && { [ "$cmpxchg" != 0 ] || [ "$retries" != 0 ]; }; then
	echo "single vCPU, yet cmpxchg_lost=$cmpxchg retries=$retries"; exit 1
fi
echo "  match: fixed + spurious == pf_fast"

hist=/sys/kernel/tracing/events/kvm/kvm_page_fault/hist
if [ -r $hist ] && grep -q hitcount $hist; then
	faults=$(num faults)
	wp=$(num wp_faults)
	tids=$(echo "$summary" | grep -o '"tid":[0-9]*' | cut -d: -f2 | sort -u | tr '\n' ' ')
	# "exits wp": a write-protect fault's error code has bits 0 and 1 set
	set -- $(awk -v tids=" $tids" '
		/hitcount:/ {
			if (!match($0, /\[ *[0-9]+\]/)) next
			pid = substr($0, RSTART + 1, RLENGTH - 2) + 0
			if (!index(tids, " " pid " ")) next
			sum += $NF
			if (match($0, /error_code: *[0-9]+/)) {
				code = substr($0, RSTART, RLENGTH)
				sub(/.*: */, "", code)
				if (code % 4 == 3) wp += $NF
			}
		}
		END { print sum + 0, wp + 0 }' $hist)
	exits=$1 wpexits=$2
	hsum=$(echo "$summary" | sed -n 's/.*"latency_hist_ns":\(\[[^]]*\]\).*/\1/p' | head -n 1 |
		grep -o '"count":[0-9]*' | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }')
	echo "  latency: faults=$faults histogram=$hsum; tracefs kvm_page_fault of vCPU threads ($tids): $exits"
	if [ "$faults" != "$exits" ] || [ "$hsum" != "$exits" ]; then
		echo "MISMATCH: the latency probes missed page-fault exits"; exit 1
	fi
	echo "  match: every page-fault exit has a latency sample"
	if [ -e /sys/module/kvm_amd/parameters/npt ]; then
		echo "  write-protect faults: tool $wp; tracefs (error code present+write): $wpexits"
		if [ "$wp" != "$wpexits" ] || [ "$wpexits" = 0 ]; then
			echo "MISMATCH: write-protect faults (or none at all)"; exit 1
		fi
		echo "  match: write-protect faults"
	else
		echo "  write-protect faults not checked: not AMD (the error code is decoded as PFERR bits here)"
	fi
else
	echo "  latency completeness not checked: no kvm_page_fault histogram"
fi

# The MMU the VM's faults ran in: all TDP with npt=1, none with npt=0.
npt=$(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null || echo none)
mmu=$(echo "$summary" | grep -o '"mmu":"[a-z+]*"' | head -n 1 | cut -d'"' -f4)
faults=$(num faults); tdpf=$(num tdp_faults)
echo "  mmu: $mmu (tdp_faults=$tdpf of faults=$faults), kvm_amd.npt=$npt"
case "$npt:$mmu" in
Y:tdp|1:tdp) [ "$tdpf" = "$faults" ] ;;
# npt=N: the tool counts no TDP fault when NPT is off, so this part only
# checks that faults were seen; npt=Y checks root_role.direct.
N:shadow|0:shadow) [ "$tdpf" = 0 ] ;;
none:*) echo "  (not AMD: the MMU is not checked)" ;;
*) false ;;
esac || { echo "MISMATCH: the VM's MMU"; exit 1; }
echo "  match: the VM's MMU"

# MMU notifier events of the test's threads: the VM's, over the run.
if [ -n "$before" ]; then
	set -- $before; b1=$1 b2=$2 b3=$3
	set -- $after
	want="$(($1 - b1)) $(($2 - b2)) $(($3 - b3))"
	got=$(echo "$summary" | grep -o '"mmu_notifier":{[^}]*}' | head -n 1 |
		grep -o '[0-9][0-9]*' | tr '\n' ' ' | sed 's/ $//')
	echo "  mmu notifier (unmap age test_age): tool $got; tracefs of the test's threads: $want"
	[ "$got" = "$want" ] || { echo "MISMATCH: mmu notifier events"; exit 1; }
	echo "  match: mmu notifier events"
else
	echo "  mmu notifier events not checked: no histograms"
fi
prom_dump trace-fastpf $out/tool.prom $out/tool.json '"type":"(summary|features)"' || exit 1

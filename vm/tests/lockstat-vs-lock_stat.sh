#!/bin/sh
# lockstat against /proc/lock_stat (CONFIG_LOCK_STAT) for &(kvm)->mmu_lock.
#
# usage: lockstat-vs-lock_stat.sh [NVMS]
#
# Clears /proc/lock_stat, runs NVMS (default 1) dirty_log_perf_test VMs at
# once while lockstat --json watches, then compares, per mode (write, read),
# lockstat's totals summed over its intervals and VMs with lock_stat's class
# row (one class for every VM's mmu_lock).
#
# Acquisitions and contentions are counts of the same events: they must be
# equal.  Total wait and hold times are taken with two clocks at points a
# few instructions apart (lockdep's stamps inside lock()/unlock(), the BPF
# programs' at their entry or exit).  Those instructions are normally
# nanoseconds, but the vCPU running them can lose its host CPU for as long
# as any hold lasts, which then lands in one total and not the other; and
# lockdep's own work sits between the stamps of every hold.  So a total may
# differ by 5% of the larger total (many holds) plus twice the longest
# single hold or wait either side saw (few holds): the bound holds for 1
# hold and for 10^6.  With NVMS > 1 each workload VM must also appear on
# its own, with its own acquisitions.
set -u
nvms=${1:-1}
. ./lib.sh
out=/tmp/lockstat.$$
mkdir -p $out
[ -e /proc/lock_stat ] || { echo "no /proc/lock_stat: not a LOCK_STAT kernel"; exit 4; }

echo 0 > /proc/lock_stat
./lockstat --json --prom $out/tool.prom 1 > $out/tool.json 2> $out/tool.err &
tool=$!
wait_attached $tool $out/tool.err 'Tracing kvm->mmu_lock (source' || exit 1
# Only the VM's lock is compared: clear once more now that the tool is
# attached, so both start from the same moment.
echo 0 > /proc/lock_stat
pids=""
i=1
while [ $i -le "$nvms" ]; do
	./dirty_log_perf_test -v 2 -i 3 -b 16M > $out/test.$i.out 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do
	wait $p || { echo "dirty_log_perf_test failed"; cat $out/test.*.out; exit 1; }
done
grep 'mmu_lock' /proc/lock_stat | grep -v '\[<' > $out/lock_stat
kill -INT $tool; wait $tool || { echo "lockstat exited $?"; cat $out/tool.err; exit 1; }

# lockstat: sum the "total" object of every interval, per mode; the drops
# since start are in the summary.
awk '
function field(obj, key,   m) {
	if (match(obj, "\"" key "\":[0-9]+")) {
		m = substr(obj, RSTART, RLENGTH); sub(/.*:/, "", m); return m + 0
	}
	return 0
}
/"type":"interval"/ {
	t = $0; sub(/.*"total":/, "", t)
	for (i = 1; i <= 2; i++) {
		mode = (i == 1) ? "write" : "read"
		o = t
		if (!match(o, "\"" mode "\":\\{[^}]*")) continue
		o = substr(o, RSTART, RLENGTH)
		acq[mode] += field(o, "acquired"); con[mode] += field(o, "contended")
		wt[mode] += field(o, "wait_total_ns"); ht[mode] += field(o, "hold_total_ns")
		v = field(o, "wait_max_ns"); if (v > wm[mode]) wm[mode] = v
		v = field(o, "hold_max_ns"); if (v > hm[mode]) hm[mode] = v
	}
}
/"type":"summary"/ {
	d = $0; sub(/.*"drops":/, "", d); sub(/}.*/, "", d); drops = d
}
END {
	for (m in acq) printf "tool %s %d %d %.0f %.0f %.0f %.0f\n", m, acq[m], con[m],
		wt[m] / 1000, ht[m] / 1000, wm[m] / 1000, hm[m] / 1000
	print "drops " drops > "/dev/stderr"
}' $out/tool.json > $out/tool.sum 2> $out/tool.drops

# lock_stat: -W / -R rows, or a bare row when only one mode occurred.
awk '{
	name = $1; mode = "write"
	if (name ~ /-R:$/) mode = "read"
	printf "lock_stat %s %d %d %.0f %.0f %.0f %.0f\n", mode, $9, $3, $6, $12, $5, $11
}' $out/lock_stat > $out/ls.sum
cat $out/tool.sum $out/ls.sum $out/tool.drops | sed 's/^/  /'
echo "  (columns: mode acquisitions contentions wait_total_us hold_total_us wait_max_us hold_max_us)"

# Per VM: acquisitions of each workload VM (comm dirty_log_perf_), summed
# over the intervals.
awk '
/"type":"interval"/ {
	v = $0; sub(/"total":.*/, "", v)
	n = split(v, part, "\"vm_id\":")
	for (i = 2; i <= n; i++) {
		id = part[i] + 0
		if (part[i] !~ /"comm":"dirty_log_perf_/) continue
		for (k = 1; k <= 2; k++) {
			mode = (k == 1) ? "write" : "read"
			if (match(part[i], "\"" mode "\":\\{\"acquired\":[0-9]+")) {
				m = substr(part[i], RSTART, RLENGTH); sub(/.*:/, "", m)
				acq[id] += m
			}
		}
	}
}
END { for (id in acq) printf "vm %d acquisitions %d\n", id, acq[id] }' $out/tool.json > $out/vms
sed 's/^/  tool /' $out/vms
fail=0
seen=$(awk '$4 > 0' $out/vms | wc -l)
if [ "$seen" -lt "$nvms" ]; then
	echo "  only $seen workload VM(s) with acquisitions, expected $nvms"; fail=1
fi

equal() {	# name a b
	if [ "$2" = "$3" ]; then r=ok; else r=DIFFERS; fail=1; fi
	printf "  %-28s tool %-12s lock_stat %-12s %s\n" "$1" "$2" "$3" $r
}
within() {	# name a b max_a max_b
	awk -v n="$1" -v a="$2" -v b="$3" -v ma="$4" -v mb="$5" 'BEGIN {
		d = a - b; if (d < 0) d = -d
		big = (a > b) ? a : b; mx = (ma > mb) ? ma : mb
		lim = big * 5 / 100 + 2 * mx
		ok = d <= lim
		printf "  %-28s tool %-12s lock_stat %-12s diff %.0f, allowed %.0f: %s\n",
			n, a, b, d, lim, ok ? "ok" : "DIFFERS"
		exit !ok }' || fail=1
}
for mode in write read; do
	# A mode lock_stat has no row for was never taken: compare with zeros.
	t=$(grep "^tool $mode " $out/tool.sum); l=$(grep "^lock_stat $mode " $out/ls.sum)
	[ -n "$t" ] || t="tool $mode 0 0 0 0 0 0"
	[ -n "$l" ] || l="lock_stat $mode 0 0 0 0 0 0"
	set -- $t; ta=$3 tc=$4 tw=$5 th=$6 twm=$7 thm=$8
	set -- $l; la=$3 lc=$4 lw=$5 lh=$6 lwm=$7 lhm=$8
	[ "$ta$tc$la$lc" = 0000 ] && continue
	equal "$mode acquisitions" $ta $la
	equal "$mode contentions" $tc $lc
	within "$mode wait total (us)" $tw $lw $twm $lwm
	within "$mode hold total (us)" $th $lh $thm $lhm
done
prom_dump lockstat $out/tool.prom $out/tool.json '"type":"(interval|summary)"' || exit 1
exit $fail

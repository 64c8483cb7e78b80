#!/bin/sh
# The cost of a tool to the workload it watches: dirty_log_perf_test's
# iteration dirty-memory times with no tool, with trace-fastpf and with
# lockstat attached, alternating, REPS times.  Prints one line per run:
#   overhead: tool=<none|trace-fastpf|lockstat> rep=N dirty_s=<median of iterations 2..>
# The host takes medians and ratios; nothing here passes or fails on time.
reps=${1:-3}
. ./lib.sh
run() {
	./dirty_log_perf_test -v 2 -i 4 -b 16M 2>&1 |
		sed -n 's/.*Iteration \([2-9]\) dirty memory time: \([0-9.]*\)s/\2/p' |
		sort -n | sed -n '2p'
}
# with_tool PATTERN TOOL ARGS...: the run with TOOL attached (PATTERN in its
# output says so)
with_tool() {
	pat=$1; shift
	"$@" > /tmp/ovh.log 2>&1 &
	t=$!
	wait_attached $t /tmp/ovh.log "$pat" || exit 1
	v=$(run)
	kill -INT $t; wait $t
	echo "$v"
}
i=1
while [ $i -le "$reps" ]; do
	echo "overhead: tool=none rep=$i dirty_s=$(run)"
	echo "overhead: tool=trace-fastpf rep=$i dirty_s=$(with_tool 'Tracing KVM page faults' ./trace-fastpf 1)"
	echo "overhead: tool=lockstat rep=$i dirty_s=$(with_tool 'Tracing kvm->mmu_lock (source' ./lockstat 1)"
	i=$((i + 1))
done

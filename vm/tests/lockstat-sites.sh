#!/bin/sh
# Who takes kvm->mmu_lock, and in which mode, for the dirty-log ioctls:
# lockstat watches dirty_log_perf_test (KVM_GET_DIRTY_LOG + KVM_CLEAR_DIRTY_LOG
# every iteration) and the acquisitions whose call site or stack is one of
# the dirty-log write-protect paths are summed per lock mode.  Prints
#   lockstat-sites: dirty-log write_acq=N read_acq=N
# last, after the head of lockstat's own report and the dirty-log sites.  A measurement: nothing here fails on the
# figures, only on the tool or the workload failing.
set -u
. ./lib.sh
out=/tmp/lssites.$$
mkdir -p $out

./lockstat -s 12 3600 > $out/tool.txt 2> $out/tool.err &
tool=$!
wait_attached $tool $out/tool.txt 'kvm->mmu_lock (source' || exit 1
./dirty_log_perf_test -v 2 -i 5 -b 16M > $out/test.out 2>&1
rc=$?
kill -INT $tool; wait $tool
trc=$?
[ $rc = 0 ] || { echo "dirty_log_perf_test failed ($rc)"; tail -20 $out/test.out; exit 1; }
[ $trc = 0 ] || { echo "lockstat exited $trc"; cat $out/tool.err; exit 1; }

# Sites are "hold acq hold-max contended wait caller" lines under "top MODE
# call sites by hold time", each followed by "<- frame" lines.
awk '
/top write call sites by hold/ { mode = "write"; holds = 1; next }
/top read call sites by hold/  { mode = "read"; holds = 1; next }
/call sites by wait/           { mode = ""; next }
mode != "" && $1 != "<-" && $2 ~ /^[0-9]+$/ { acq = $2; site = $NF; counted = 0 }
mode != "" && /kvm_clear_dirty_log_protect|kvm_get_dirty_log_protect|kvm_dirty_ring_reset|kvm_dirty_log_protect_lock|kvm_vm_ioctl_reset_dirty_pages/ {
	if (!counted) {
		sum[mode] += acq; counted = 1
		printf "lockstat-sites: %s acq=%d site %s\n", mode, acq, site
	}
}
END {
	if (!holds)
		print "lockstat-sites: no acquisition counts (lockstat reports contention only here)"
	else
		printf "lockstat-sites: dirty-log write_acq=%d read_acq=%d\n", sum["write"], sum["read"]
}
' $out/tool.txt > $out/sum
# The guest keeps a test's last lines: the summary goes last.
sed 's/^/  | /' $out/tool.txt | head -40
cat $out/sum

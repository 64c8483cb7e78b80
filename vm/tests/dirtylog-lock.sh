#!/bin/sh
# kvm->mmu_lock under one dirty-logging workload, from /proc/lock_stat: a
# measurement (issue 11's figures), nothing here fails on the numbers.
#   dirtylog-lock.sh [dirty_log_perf_test args]   (default -v 4 -i 5 -b 32M)
# Prints each lock mode's row (acquisitions, contentions, wait) and the
# contention points, i.e. who waited where: a vCPU fault path waiting is
# kvm_mmu_page_fault() or its callees, the dirty-log ioctls are
# kvm_clear_dirty_log_protect(), kvm_get_dirty_log_protect() and
# kvm_dirty_ring_reset().  Last line:
#   dirtylog-lock: write_acq=N write_con=N write_wait_us=N read_acq=N read_con=N read_wait_us=N
set -u
[ -e /proc/lock_stat ] || { echo "no /proc/lock_stat (CONFIG_LOCK_STAT)"; exit 4; }
[ $# -gt 0 ] || set -- -v 4 -i 5 -b 32M
out=/tmp/dllock.$$
mkdir -p $out

echo 0 > /proc/lock_stat
./dirty_log_perf_test "$@" > $out/test.out 2>&1
rc=$?
cp /proc/lock_stat $out/lock_stat
[ $rc = 0 ] || { echo "dirty_log_perf_test failed ($rc)"; tail -20 $out/test.out; exit 1; }
grep -E 'Populate memory time|Iteration 2 dirty memory time|dirty log over' $out/test.out

# The mmu_lock block: its class rows, then contention points up to the
# dotted separator.  lock_stat times are in microseconds.
awk '
/^\.\.\.\.\.\.\.\./ { if (inblk) exit }
/mmu_lock/ { inblk = 1 }
inblk { print }
' $out/lock_stat > $out/block
sed 's/^/  | /' $out/block
awk '
$1 ~ /mmu_lock(-[RW])?:$/ {
	mode = ($1 ~ /-R:$/) ? "read" : "write"
	acq[mode] = $9; con[mode] = $3; wt[mode] = $6
}
END {
	printf "dirtylog-lock: write_acq=%d write_con=%d write_wait_us=%.0f read_acq=%d read_con=%d read_wait_us=%.0f\n",
		acq["write"], con["write"], wt["write"], acq["read"], con["read"], wt["read"]
}' $out/block
rm -rf $out

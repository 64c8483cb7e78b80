#!/bin/sh
# Who takes kvm->mmu_lock, and in which mode, for the dirty-log ioctls:
# lockstat --json watches dirty_log_perf_test (KVM_GET_DIRTY_LOG + KVM_CLEAR_DIRTY_LOG
# every iteration) and the acquisitions whose call site or stack is one of
# the dirty-log write-protect paths are summed per lock mode (-v: whole
# stacks, the paths lie deeper than the call site), and so are
# those of enabling dirty logging on the slot.  The test runs twice: as is
# (MANUAL_DIRTY_LOG_PROTECT2 with INITIALLY_SET: enabling write-protects
# nothing), then with -g (no manual protect: enabling the log write-protects
# the populated slot, and GET_DIRTY_LOG re-protects).
# Prints
#   lockstat-sites: enable-log write_acq=N read_acq=N
#   lockstat-sites: dirty-log write_acq=N read_acq=N
# last, after the sites.  A measurement: nothing here fails on the
# figures, only on the tool or the workload failing.
set -u
. ./lib.sh
out=/tmp/lssites.$$
mkdir -p $out

./lockstat --json -v --stacks=12 3600 > $out/tool.json 2> $out/tool.err &
tool=$!
wait_attached $tool $out/tool.err 'Tracing kvm->mmu_lock (source' || exit 1
./dirty_log_perf_test -v 2 -i 5 -b 16M > $out/test.out 2>&1
rc=$?
if [ $rc = 0 ]; then
	./dirty_log_perf_test -g -v 2 -i 3 -b 16M >> $out/test.out 2>&1
	rc=$?
fi
kill -INT $tool; wait $tool
trc=$?
[ $rc = 0 ] || { echo "dirty_log_perf_test failed ($rc)"; tail -20 $out/test.out; exit 1; }
[ $trc = 0 ] || { echo "lockstat exited $trc"; cat $out/tool.err; exit 1; }

# One "interval" object (the final one, at Ctrl-C).  Each VM's modes.write and
# modes.read carry "callsites" (top by hold time when hold times are live),
# each with "acquired" and its heaviest "stack".  Cut the line at every mode
# object and every call site, then sum the sites whose stack passes through
# a dirty-log write-protect path.  "acquired":null means no hold source.
awk '
/"type":"interval"/ {
	line = $0
	gsub(/"write":\{"acquired"/, "\nMODE write\n\"acquired\"", line)
	gsub(/"read":\{"acquired"/, "\nMODE read\n\"acquired\"", line)
	gsub(/\{"caller"/, "\nSITE\n\"caller\"", line)
	n = split(line, part, "\n")
	for (i = 1; i <= n; i++) {
		if (part[i] == "MODE write" || part[i] == "MODE read") {
			mode = substr(part[i], 6)
			if (part[i + 1] ~ /^"acquired":null/)
				nohold = 1
			continue
		}
		if (part[i] != "SITE" || i == n)
			continue
		site = part[i + 1]
		if (site ~ /kvm_clear_dirty_log_protect|kvm_get_dirty_log_protect|kvm_dirty_ring_reset|kvm_dirty_log_protect_lock|kvm_vm_ioctl_reset_dirty_pages/)
			path = "dirty-log"
		else if (site ~ /kvm_mmu_slot_remove_write_access|kvm_mmu_slot_try_split_huge_pages|kvm_mmu_slot_leaf_clear_dirty/)
			path = "enable-log"
		else
			continue
		if (!match(site, /"acquired":[0-9]+/))
			continue
		acq = substr(site, RSTART + 11, RLENGTH - 11) + 0
		match(site, /"caller":"[^"]*"/)
		caller = substr(site, RSTART + 10, RLENGTH - 11)
		sum[path, mode] += acq
		printf "lockstat-sites: %s %s acq=%d site %s\n", path, mode, acq, caller
	}
	intervals++
}
END {
	if (!intervals)
		print "lockstat-sites: lockstat printed no interval"
	else if (nohold)
		print "lockstat-sites: no acquisition counts (lockstat reports contention only here)"
	else {
		printf "lockstat-sites: enable-log write_acq=%d read_acq=%d\n",
			sum["enable-log", "write"], sum["enable-log", "read"]
		printf "lockstat-sites: dirty-log write_acq=%d read_acq=%d\n",
			sum["dirty-log", "write"], sum["dirty-log", "read"]
	}
}
' $out/tool.json > $out/sum
# The guest keeps a test's last lines: the summary goes last.
head -c 1500 $out/tool.json | sed 's/^/  | /'
echo
cat $out/sum

#!/bin/sh
# The recipes of Documentation/perf.md, run as written on a dirty-logging
# workload, so that the document shows what they print on this kernel.
# A figure, not a check: it fails only when there is no perf.
set -u
command -v perf > /dev/null || { echo "no perf in the initramfs"; exit 4; }
out=/tmp/recipes.$$
mkdir -p $out
W="./dirty_log_perf_test -v 2 -i 2 -b 16M"

recipe() { echo "\$ $*" | sed "s|$out/||g"; }

# a workload VM that outlives the live recipes (killed after them); sets $vmm
start_vm() {
	./dirty_log_perf_test -v 2 -i 100 -b 16M > /dev/null 2>&1 &
	vmm=$!
	sleep 3
}

recipe perf stat -a -e kvmmmu:fast_page_fault_pass --filter "'outcome == 0'" \
	-e kvmmmu:fast_page_fault -e kvm:kvm_page_fault -- $W
perf stat -a -e kvmmmu:fast_page_fault_pass --filter 'outcome == 0' \
	-e kvmmmu:fast_page_fault -e kvm:kvm_page_fault -- $W 2>&1 > /dev/null | grep -E 'kvm|elapsed'

start_vm
recipe perf stat -p VMM -e kvmmmu:fast_page_fault_pass -e kvm:kvm_page_fault -- sleep 2
perf stat -p $vmm -e kvmmmu:fast_page_fault_pass -e kvm:kvm_page_fault -- sleep 2 2>&1 | grep -E 'kvm|elapsed'
recipe perf stat -a -e kvm:kvm_mmu_invalidate_begin --filter "'userspace_pid == VMM'" \
	-e kvmmmu:kvm_mmu_wrprot_batch --filter "'userspace_pid == VMM'" -- sleep 2
perf stat -a -e kvm:kvm_mmu_invalidate_begin --filter "userspace_pid == $vmm" \
	-e kvmmmu:kvm_mmu_wrprot_batch --filter "userspace_pid == $vmm" -- sleep 2 2>&1 | grep -E 'kvm|elapsed'
recipe perf stat -a -e kvmmmu:kvm_mmu_wrprot_batch --filter "'lock == 0'" -- sleep 2
perf stat -a -e kvmmmu:kvm_mmu_wrprot_batch --filter 'lock == 0' -- sleep 2 2>&1 | grep -E 'kvm|elapsed'
# one VM's mmu_lock, live: its address from lockstat -v --json
lock=$(./lockstat -v --json -d 1 2>/dev/null | sed 's/{"vm_id":/\n&/g' | grep "\"pid\":$vmm," |
	grep -o '"lock":"0x[0-9a-f]*"' | head -n 1 | cut -d'"' -f4)
recipe perf stat -a -e lock:contention_begin --filter "'lock_addr == LOCK'" -- sleep 2
echo "(LOCK = $lock, from lockstat -v --json)"
perf stat -a -e lock:contention_begin --filter "lock_addr == $lock" -- sleep 2 2>&1 | grep -E 'lock:|elapsed'
kill $vmm; wait $vmm

recipe perf record -g -a -e kvmmmu:fast_page_fault_pass -- $W
perf record -q -g -a -e kvmmmu:fast_page_fault_pass -o $out/g.data -- $W > /dev/null 2>&1
recipe perf report --stdio --no-children
perf report -i $out/g.data --stdio --no-children 2>&1 | grep -v '^$' | grep -v '^#' | head -n 12

recipe perf record -a -e lock:contention_begin -e lock:contention_end -- $W
perf record -q -a -e lock:contention_begin -e lock:contention_end -o $out/l.data -- $W > /dev/null 2>&1
recipe perf lock contention -i perf.data -k wait_total
perf lock contention -i $out/l.data -k wait_total 2>&1 | sed -n '/contended/,/^$/p'
rm -rf $out

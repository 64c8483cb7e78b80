#!/bin/sh
# trace-fastpf's per-VM MMU, in the guest, against what the VM must use:
# nested_svm_dirty_log_test runs L2 under L1's NPT, so with kvm_amd.npt=Y
# its VM's faults are in the TDP MMU (L1) and in shadow NPT (L2): "mmu" is
# "tdp+shadow" and 0 < tdp_faults < faults.  With npt=N every fault is in
# shadow page tables: "shadow" and tdp_faults = 0.  The test is traced with
# -c, so that only its VM is reported.
set -u
. ./lib.sh
out=/tmp/tfmmu.$$
mkdir -p $out

./trace-fastpf --json -c ./nested_svm_dirty_log_test > $out/tool.json 2> $out/tool.err
rc=$?
[ $rc = 0 ] || { echo "trace-fastpf -c exited $rc"; cat $out/tool.err; exit 1; }
st=$(sed -n 's/.*command exited with status \([0-9]*\).*/\1/p' $out/tool.err)
case "$st" in
0) ;;
4) echo "nested_svm_dirty_log_test skipped (4): nothing to check"; exit 0 ;;
*) echo "nested_svm_dirty_log_test failed: ${st:-no status}"; cat $out/tool.err; exit 1 ;;
esac
summary=$(grep '"type":"summary"' $out/tool.json | tail -n 1)
num() { echo "$summary" | grep -o "\"$1\":[0-9]*" | head -n 1 | cut -d: -f2; }
mmu=$(echo "$summary" | grep -o '"mmu":"[a-z+]*"' | head -n 1 | cut -d'"' -f4)
faults=$(num faults); tdpf=$(num tdp_faults); wp=$(num wp_faults)
npt=$(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null)
echo "  kvm_amd.npt=$npt: mmu=$mmu faults=$faults tdp_faults=$tdpf wp_faults=$wp"
case "$npt" in
Y|1) [ "$mmu" = "tdp+shadow" ] && [ "$tdpf" -gt 0 ] && [ "$tdpf" -lt "$faults" ] ;;
# npt=N: no TDP fault is counted with NPT off: only faults > 0 can fail
*) [ "$mmu" = shadow ] && [ "$tdpf" = 0 ] && [ "$faults" -gt 0 ] ;;
esac || { echo "MISMATCH: the VM's MMU"; head -c 3000 $out/tool.json; exit 1; }
echo "  match: the VM's MMU"

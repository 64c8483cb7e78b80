#!/bin/sh
# make demo, first part: both tools on this machine's own kernel, with no
# emulator.  With /dev/kvm, they watch a KVM selftest (vm/tests/demo.sh);
# without it, they say what they would attach to, and run for two seconds.
#
# usage: demo-host.sh TOOLS_BIN SELFTESTS_DIR
set -u
bin=$1 tests=$2
top=$(cd "$(dirname "$0")/.." && pwd)

echo "==== make demo, part 1: this machine ($(uname -r)), no emulator"
if [ "$(id -u)" != 0 ]; then
	echo "not root: skipped (the tools need root, or CAP_BPF and CAP_PERFMON)"
	exit 0
fi
for t in trace-fastpf lockstat; do
	echo "== $t --features"
	"$bin/$t" --features
done
if [ -c /dev/kvm ] && [ -x "$tests/dirty_log_perf_test" ]; then
	BIN=$bin TESTS=$tests sh "$top/vm/tests/demo.sh" -v 2 -i 3 -b 64M
	exit
fi
if [ -c /dev/kvm ]; then
	why="no $tests/dirty_log_perf_test (make selftests)"
else
	why="this machine has no /dev/kvm: no VM can run here"
fi
echo "== no KVM selftest on the host: $why."
echo "   What each tool sees, for two seconds:"
for t in trace-fastpf lockstat; do
	echo "== $t -d 2"
	"$bin/$t" -d 2 2>&1
done

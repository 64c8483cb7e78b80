#!/bin/bash
# Build KVM (arch/x86/kvm/, which includes virt/kvm/) at every commit of the
# series, so that each patch is known to build on its own (CONFIG_WERROR and
# CONFIG_KVM_WERROR are on in the debug flavour).  Incremental: only what a
# patch touches is rebuilt.  Leaves the tree at the series head.
#
# usage: bisect-build.sh TREE KERNEL_BUILD
set -euo pipefail

tree=$(realpath "$1") out=$(realpath "$2")
export CCACHE_BASEDIR=$(dirname "$tree") CCACHE_NOHASHDIR=1
export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
export PATH=/usr/lib/ccache:$PATH

head=$(git -C "$tree" rev-parse HEAD)
restore() { git -C "$tree" checkout -q -f "$head"; git -C "$tree" checkout -q -B series "$head"; }
trap restore EXIT

n=0 fail=0
for c in $(git -C "$tree" rev-list --reverse linux-source.."$head"); do
	n=$((n + 1))
	subject=$(git -C "$tree" log -1 --format=%s "$c")
	git -C "$tree" checkout -q -f "$c"
	if make -C "$tree" O="$out" -j"$(nproc)" -s arch/x86/kvm/ \
		> "$out/.bisect-$n.log" 2>&1; then
		echo "ok     $n $subject"
	else
		echo "FAILED $n $subject (see $out/.bisect-$n.log)"
		tail -20 "$out/.bisect-$n.log" | sed 's/^/       /'
		fail=1
	fi
done
echo "bisect-build: $n commit(s), $([ $fail = 0 ] && echo all built || echo some FAILED)"
exit $fail

#!/bin/bash
# Build KVM (arch/x86/kvm/, which includes virt/kvm/) at every commit of the
# series, for x86_64 (the debug flavour's build, CONFIG_WERROR and
# CONFIG_KVM_WERROR on) and for i386 (defconfig + config/kvm-i386.config, in
# its own build directory), so that each patch is known to build on its own
# on both.  Incremental: only what a patch touches is rebuilt.  Leaves the
# tree at the series head.
#
# usage: bisect-build.sh TREE KERNEL_BUILD I386_BUILD
set -euo pipefail

tree=$(realpath "$1") out=$(realpath "$2") out32=$(realpath -m "$3")
top=$(cd "$(dirname "$0")/.." && pwd)
export CCACHE_BASEDIR=$(dirname "$tree") CCACHE_NOHASHDIR=1
export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
export PATH=/usr/lib/ccache:$PATH

mkdir -p "$out32"
frag32=$top/config/kvm-i386.config
if [ ! -f "$out32/.config" ] || ! cmp -s "$frag32" "$out32/.fragment"; then
	make -C "$tree" O="$out32" ARCH=i386 -s i386_defconfig
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$out32" "$out32/.config" "$frag32" >/dev/null
	make -C "$tree" O="$out32" ARCH=i386 -s olddefconfig
	grep -qx 'CONFIG_KVM=y' "$out32/.config" && grep -qx 'CONFIG_X86_32=y' "$out32/.config" ||
		{ echo "bisect-build: no 32-bit KVM configuration in $out32" >&2; exit 1; }
	cp "$frag32" "$out32/.fragment"
fi

head=$(git -C "$tree" rev-parse HEAD)
restore() { git -C "$tree" checkout -q -f "$head"; git -C "$tree" checkout -q -B series "$head"; }
trap restore EXIT

# A directory build does not link.  KVM is built in (CONFIG_KVM=y), so a
# symbol that arch/x86/kvm/built-in.a uses and does not define must come
# from the rest of the kernel: one that only the other arch's KVM defines
# (a 64-bit-only file such as tdp_mmu.o) would not link.
syms() { local d=$1; shift; nm "$@" "$d/arch/x86/kvm/built-in.a" 2>/dev/null | awk 'NF { print $NF }' | sort -u; }
links() {
	local other=$out
	[ "$1" = "$out" ] && other=$out32
	[ -f "$other/arch/x86/kvm/built-in.a" ] || return 0
	local missing
	missing=$(comm -12 <(comm -23 <(syms "$1" -u) <(syms "$1" --defined-only)) \
		<(syms "$other" --defined-only))
	[ -z "$missing" ] && return 0
	echo "undefined in this KVM, defined only in the other arch's KVM (would not link):"
	echo "$missing" | sed 's/^/  /'
	return 1
}

n=0 fail=0
for c in $(git -C "$tree" rev-list --reverse linux-source.."$head"); do
	n=$((n + 1))
	subject=$(git -C "$tree" log -1 --format=%s "$c")
	git -C "$tree" checkout -q -f "$c"
	for arch in x86_64 i386; do
		o=$out; [ $arch = i386 ] && o=$out32
		if make -C "$tree" O="$o" ARCH=$arch -j"$(nproc)" -s arch/x86/kvm/ \
			> "$o/.bisect-$n.log" 2>&1 && links "$o" >> "$o/.bisect-$n.log" 2>&1; then
			echo "ok     $n $arch $subject"
		else
			echo "FAILED $n $arch $subject (see $o/.bisect-$n.log)"
			tail -20 "$o/.bisect-$n.log" | sed 's/^/       /'
			fail=1
		fi
	done
done
echo "bisect-build: $n commit(s), $([ $fail = 0 ] && echo all built || echo some FAILED)"
exit $fail

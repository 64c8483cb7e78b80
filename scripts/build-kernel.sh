#!/bin/bash
# Build a bzImage from defconfig + the committed fragments, with ccache.
#
# usage: build-kernel.sh SRC OUT FLAVOUR
#   debug    : patched tree, kvm.config + debug.config (what the tests run)
#   baseline : unpatched tree, same configuration, for side-by-side runs
#   kcsan    : debug + kcsan.config (data races)
#   kasan    : debug + kasan.config (KASAN and KFENCE)
#   kcsan-strict : kcsan + kcsan-strict.config (CONFIG_KCSAN_STRICT)
#   release  : kvm.config only
set -euo pipefail

src=$(realpath "$1") out=$(realpath -m "$2") flavour=$3
top=$(cd "$(dirname "$0")/.." && pwd)
frags=("$top/config/kvm.config")
case "$flavour" in
debug | baseline) frags+=("$top/config/debug.config") ;;
kcsan | kasan) frags+=("$top/config/debug.config" "$top/config/$flavour.config") ;;
kcsan-strict) frags+=("$top/config/debug.config" "$top/config/kcsan.config" "$top/config/kcsan-strict.config") ;;
release) ;;
*) echo "build-kernel: unknown flavour $flavour" >&2; exit 2 ;;
esac

mkdir -p "$out"
# Instrumented flavours compile every object differently: their own cache,
# so that they do not evict the debug flavour's.
case "$flavour" in kcsan | kasan | kcsan-strict)
	export CCACHE_DIR=${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ccache}-$flavour ;;
esac
export CCACHE_BASEDIR=$(dirname "$src")
export CCACHE_NOHASHDIR=1
export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
export KBUILD_BUILD_TIMESTAMP='2000-01-01' KBUILD_BUILD_USER=kvm KBUILD_BUILD_HOST=fastpf
export PATH=/usr/lib/ccache:$PATH
# Quiet unless V=1: errors and warnings still reach stderr.
mk=(make -C "$src" O="$out" -j"$(nproc)")
if [ "${V:-}" = 1 ]; then mk+=(V=1); else mk+=(-s); fi

# An in-tree build (e.g. a plain `make headers_install` in the tree) leaves
# files that stop every O= build; clean them away.
if [ -e "$src/.config" ] || [ -d "$src/include/config" ] ||
	[ -d "$src/arch/x86/include/generated" ]; then
	echo "kernel: $src has in-tree build output; running make mrproper there"
	make -C "$src" -s mrproper
fi

cat "${frags[@]}" > "$out/.fragments.new"
if [ ! -f "$out/.config" ] || ! cmp -s "$out/.fragments.new" "$out/.fragments"; then
	"${mk[@]}" -s defconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${frags[@]}" >/dev/null
	"${mk[@]}" -s olddefconfig
	# merge_config cannot see dependencies: check every fragment line stuck.
	bad=0
	while read -r line; do
		case "$line" in CONFIG_*=n) sym=${line%=n}
			grep -q "^$sym=" "$out/.config" && { echo "config: $sym should be off" >&2; bad=1; } ;;
		CONFIG_*) grep -qx "$line" "$out/.config" || { echo "config: $line did not stick" >&2; bad=1; } ;;
		esac
	done < <(grep -h '^CONFIG_' "${frags[@]}")
	[ $bad = 0 ] || exit 1
	mv "$out/.fragments.new" "$out/.fragments"
fi
"${mk[@]}" bzImage
echo "kernel: $out/arch/x86/boot/bzImage ($flavour)"

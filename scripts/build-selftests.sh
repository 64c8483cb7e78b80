#!/bin/bash
# Build the tree's KVM selftests statically, together with the project's own
# tests in selftests/kvm/, with the tree's selftest framework.
#
# usage: build-selftests.sh TREE KERNEL_BUILD OUT
#
# The project's tests are linked into the tree's tools/testing/selftests/kvm
# and listed in its Makefile (a marked block, outside any commit), so that on
# a real host `make -C tools/testing/selftests TARGETS=kvm run_tests` runs
# them as well.
set -euo pipefail

tree=$(realpath "$1") kbuild=$(realpath "$2") out=$(realpath -m "$3")
top=$(cd "$(dirname "$0")/.." && pwd)
kvmdir=$tree/tools/testing/selftests/kvm
marker='# fastpf project tests: added by make selftests, not part of the series'

make -C "$tree" O="$kbuild" -s headers_install

progs=()
for src in "$top"/selftests/kvm/x86_64/*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	ln -sfn "$src" "$kvmdir/x86_64/$name.c"
	progs+=("x86_64/$name")
	excl="tools/testing/selftests/kvm/x86_64/$name.c"
	grep -qxF "$excl" "$tree/.git/info/exclude" 2>/dev/null ||
		echo "$excl" >> "$tree/.git/info/exclude"
done
sed -i "/^$marker\$/,\$d" "$kvmdir/Makefile.kvm" 2>/dev/null || true
mk=$kvmdir/Makefile
[ -f "$kvmdir/Makefile.kvm" ] && mk=$kvmdir/Makefile.kvm
sed -i "/^$marker\$/,/^# end fastpf\$/d" "$mk"
if [ ${#progs[@]} -gt 0 ]; then
	# Insert before the per-arch list is folded into TEST_GEN_PROGS.
	block="$marker"
	for p in "${progs[@]}"; do block+="\nTEST_GEN_PROGS_x86_64 += $p"; done
	block+="\n# end fastpf"
	awk -v blk="$block" '/^TEST_GEN_PROGS \+= \$\(TEST_GEN_PROGS_\$\(ARCH_DIR\)\)/ && !done {
		gsub(/\\n/, "\n", blk); print blk; done=1 } { print }' "$mk" > "$mk.new"
	mv "$mk.new" "$mk"
fi

mkdir -p "$out"
mk=(make -C "$kvmdir" -j"$(nproc)" OUTPUT="$out"
	KHDR_INCLUDES="-isystem $kbuild/usr/include"
	LINUX_HDR_PATH="$kbuild/usr/include/"
	EXTRA_LDFLAGS=-static USERLDFLAGS=-static LDLIBS+=" -ldl")
# The selftests' Makefile prints every gcc command: keep that in a log
# unless V=1, and show its end if the build fails.
if [ "${V:-}" = 1 ]; then
	"${mk[@]}" V=1
elif ! "${mk[@]}" > "$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	echo "selftests: build FAILED, full log: $out/build.log" >&2
	exit 1
else
	grep -i 'warning:' "$out/build.log" >&2 || true
fi
echo "selftests: $out"

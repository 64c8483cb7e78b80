#!/bin/bash
# Build the guest initramfs: busybox, /init, the test plans, the selftests and
# the BPF tools.
#
# usage: mkinitramfs.sh OUT.cpio.gz SELFTESTS_DIR [TOOLS_DIR]
set -euo pipefail

out=$(realpath -m "$1") selftests=$(realpath "$2") tools=${3:-}
top=$(cd "$(dirname "$0")/.." && pwd)
tests=(dirty_log_test dirty_log_perf_test set_memory_region_test
	memslot_modification_stress_test access_tracking_perf_test
	demand_paging_test kvm_binary_stats_test x86_64/xapic_ipi_test)

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,proc,sys,dev,tmp,tests,plans,etc}
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
install -m 0755 "$top/vm/init" "$root/init"
gcc -O2 -static -o "$root/bin/holdvm" "$top/vm/holdvm.c"
gcc -O2 -static -o "$root/bin/fpuloop" "$top/vm/fpuloop.c"
install -m 0755 "$top"/vm/tests/*.sh "$root/tests/"
cp "$top"/vm/plans/* "$root/plans/"
for t in "${tests[@]}"; do
	install -m 0755 "$selftests/$t" "$root/tests/$(basename "$t")"
done
for t in "$selftests"/x86_64/*; do
	[ -x "$t" ] && [ -f "$top/selftests/kvm/x86_64/$(basename "$t").c" ] &&
		install -m 0755 "$t" "$root/tests/$(basename "$t")"
done
if [ -n "$tools" ] && [ -d "$tools" ]; then
	# the tools, and their BPF self-tests (tools/<tool>/test-<tool>.c)
	for t in "$tools"/bin/* "$tools"/*.d/test-*; do
		[ -f "$t" ] && [ -x "$t" ] &&
			install -m 0755 "$t" "$root/tests/$(basename "$t")"
	done
fi
for t in "$root"/tests/*; do
	case "$t" in *.sh) continue ;; esac
	if file "$t" | grep -q 'dynamically linked'; then
		echo "initramfs: $(basename "$t") is not static: it cannot run in the guest" >&2
		exit 1
	fi
done
# perf, for vm/tests/perf-vs-tools.sh and the recipes of
# Documentation/perf.md: Debian's build, with the libraries it links.
perf=$(command -v perf) ||
	{ echo "initramfs: no perf (scripts/deps.sh installs linux-perf)" >&2; exit 1; }
install -D -m 0755 "$(realpath "$perf")" "$root/usr/bin/perf"
for lib in $(ldd "$perf" | grep -o '/[^ ]*'); do
	install -D -m 0755 "$lib" "$root$lib"
done
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
echo "initramfs: $out ($(du -h "$out" | cut -f1))"

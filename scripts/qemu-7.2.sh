#!/bin/bash
# Unpack bookworm's QEMU 7.2 into DIR, next to the system's QEMU 10 from
# bookworm-backports, for side-by-side emulator runs (make ... QEMU=7.2).
# The binary finds its firmware relative to itself (DIR/usr/share/qemu,
# DIR/usr/share/seabios, DIR/usr/lib/ipxe/qemu); its TCG accelerator is a
# module, which the wrapper DIR/qemu-system-x86_64 points it at with
# QEMU_MODULE_DIR (else it would load QEMU 10's and fail).
#
# usage: qemu-7.2.sh DIR      prints DIR/qemu-system-x86_64, the wrapper
set -euo pipefail

dir=$(realpath -m "$1")
bin=$dir/usr/bin/qemu-system-x86_64
wrapper=$dir/qemu-system-x86_64

# The accelerator loads and the monitor answers: the module is found.
works() {
	[ -x "$wrapper" ] && "$wrapper" --version | grep -q 'version 7\.2\.' &&
		echo quit | "$wrapper" -M none -accel tcg -display none -monitor stdio > /dev/null 2>&1
}
if works; then
	echo "$wrapper"
	exit 0
fi

# The exact bookworm versions: the ones the project ran before QEMU 10.
version() {
	apt-cache madison "$1" | awk -F'|' '$3 ~ /bookworm\/main/ { gsub(/ /, "", $2); print $2; exit }'
}
pkgs=()
for p in qemu-system-x86 qemu-system-common qemu-system-data seabios ipxe-qemu; do
	v=$(version "$p")
	[ -n "$v" ] || { echo "qemu-7.2: no bookworm version of $p in apt's lists" >&2; exit 1; }
	pkgs+=("$p=$v")
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download -qq "${pkgs[@]}" 2>/dev/null) || {
	echo "qemu-7.2: apt-get download ${pkgs[*]} failed" >&2
	exit 1
}
# Its shared libraries are bookworm's; QEMU 10 may not have pulled them in.
libs=()
for p in $(dpkg-deb -f "$tmp"/qemu-system-x86_*.deb Depends | tr ',|' '\n' |
	   sed 's/^ *//; s/ .*//' | grep '^lib'); do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		libs+=("$p")
done
if [ ${#libs[@]} -gt 0 ]; then
	echo "qemu-7.2: installing its libraries: ${libs[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${libs[@]}" > "$tmp/apt.log" 2>&1 || {
		tail -n 20 "$tmp/apt.log" >&2
		echo "qemu-7.2: apt-get install ${libs[*]} failed" >&2
		exit 1
	}
fi
rm -rf "$dir" && mkdir -p "$dir"
for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$dir"; done
missing=$(ldd "$bin" | awk '/not found/ { print $1 }')
if [ -n "$missing" ]; then
	echo "qemu-7.2: $bin needs libraries that are not installed: $missing" >&2
	exit 1
fi
cat > "$wrapper" <<EOS
#!/bin/sh
QEMU_MODULE_DIR=$dir/usr/lib/x86_64-linux-gnu/qemu exec $bin "\$@"
EOS
chmod +x "$wrapper"
works || { echo "qemu-7.2: $wrapper does not start a TCG machine" >&2; exit 1; }
echo "$wrapper"

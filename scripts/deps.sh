#!/bin/bash
# Install the Debian packages the project needs, only those that are missing.
# QEMU comes from bookworm-backports (10.x): the script adds that source.
# Bookworm's QEMU 7.2 stays available beside it, unpacked into build/ by
# scripts/qemu-7.2.sh when a run asks for QEMU=7.2.
set -euo pipefail

BACKPORTS_LIST=/etc/apt/sources.list.d/bookworm-backports.sources
QEMU_MIN=10

PKGS=(
	linux-source-6.12 build-essential bc bison flex libelf-dev libssl-dev
	dwarves ccache cpio xz-utils zstd kmod rsync git python3
	busybox-static
	clang llvm libbpf-dev bpftool libcap-dev zlib1g-dev pkg-config
	gnuplot-nox file
	prometheus prometheus-node-exporter linux-perf
)

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

qemu_ok() {
	local v
	installed qemu-system-x86 || return 1
	v=$(dpkg-query -W -f='${Version}' qemu-system-x86)
	v=${v#*:}
	[ "${v%%.*}" -ge "$QEMU_MIN" ] 2>/dev/null
}

missing=()
for p in "${PKGS[@]}"; do
	installed "$p" || missing+=("$p")
done
need_qemu=0
qemu_ok || need_qemu=1
[ ${#missing[@]} -eq 0 ] && [ $need_qemu = 0 ] && exit 0

echo "deps: installing ${missing[*]}${missing[*]:+ }$([ $need_qemu = 1 ] && echo "qemu-system-x86 (>= $QEMU_MIN, bookworm-backports)")"
if [ "$(id -u)" != 0 ]; then
	echo "deps: not root; install these packages first: ${missing[*]}" \
		"$([ $need_qemu = 1 ] && echo "qemu-system-x86/bookworm-backports")" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if [ $need_qemu = 1 ] && [ ! -e "$BACKPORTS_LIST" ]; then
	cat > "$BACKPORTS_LIST" <<-EOS
	Types: deb
	URIs: http://deb.debian.org/debian
	Suites: bookworm-backports
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOS
fi

install() {
	local q=("$@")

	apt-get update "${q[@]}"
	[ ${#missing[@]} -eq 0 ] || apt-get install -y "${q[@]}" --no-install-recommends "${missing[@]}"
	[ $need_qemu = 0 ] ||
		apt-get install -y "${q[@]}" --no-install-recommends -t bookworm-backports qemu-system-x86
}
log=$(mktemp /tmp/deps.XXXXXX.log)
# apt prints a line per package set up: keep it in a log unless V=1.
if [ "${V:-}" = 1 ]; then
	install
elif ! install -qq > "$log" 2>&1; then
	tail -n 30 "$log" >&2
	echo "deps: apt-get FAILED, full log: $log" >&2
	exit 1
fi
qemu_ok || { echo "deps: qemu-system-x86 is not >= $QEMU_MIN after the install" >&2; exit 1; }

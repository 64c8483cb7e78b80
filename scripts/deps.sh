#!/bin/bash
# Install the Debian packages the project needs, only those that are missing.
set -euo pipefail

PKGS=(
	linux-source-6.12 build-essential bc bison flex libelf-dev libssl-dev
	dwarves ccache cpio xz-utils zstd kmod rsync git python3
	qemu-system-x86 busybox-static
	clang llvm libbpf-dev bpftool libcap-dev zlib1g-dev pkg-config
	gnuplot-nox file
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
	echo "deps: not root; install these packages first: ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/deps.XXXXXX.log)
# apt prints a line per package set up: keep it in a log unless V=1.
if [ "${V:-}" = 1 ]; then
	apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"
elif ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } > "$log" 2>&1; then
	tail -n 30 "$log" >&2
	echo "deps: apt-get FAILED, full log: $log" >&2
	exit 1
fi

#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Argument and exit-code tests for lockstat (POSIX sh, busybox-friendly).
#   usage: test-args.sh [path/to/lockstat]
#
# Exit codes (tools/common/errors.h): 0 ok, 1 runtime error, 2 bad
# arguments, 3 no privileges, 4 no kernel BTF, 5 nothing attachable.
# Tests that need root (BPF loads, the exit-3/4 simulations) are skipped
# otherwise.  Prints "N passed, N failed"; exits 1 if anything failed.

here=$(cd "$(dirname "$0")" && pwd)
tool=${1:-$here/../../build/tools/bin/lockstat}
tmp=$(mktemp -d /tmp/test-lockstat.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
. "$here/../common/test-lib.sh"
require_tool

# ---- bad arguments: exit 2 before anything else ----
nopid=4194304
while [ -e /proc/$nopid ]; do nopid=$((nopid - 1)); done
for args in "-p abc" "-p 0" "-p -5" "-p 12x" "-p 4194305" "-p $nopid" \
	    "-s abc" "-s -1" "-s 1001" "0" "abc" "1.5" "-1" "1 0" "1 x" \
	    "1 2 3" "86401" "--bogus" "-x" "--source bogus" "--source" \
	    "--features 1" "--selftest 2" "--features --selftest" "-p"; do
	# shellcheck disable=SC2086
	run "$tool" $args
	want 2 "bad arguments '$args'"
	want_msg
done

run "$tool" --help
want 0 "--help"
has "Usage:" "$tmp/out"
run "$tool" -h
want 0 "-h"

if [ "$(id -u)" != 0 ]; then
	run "$tool" 1 1
	want 3 "not root"
	want_msg
	skipped "root-only tests"
	summary
	exit
fi

# ---- exit 3: no privileges (drop to nobody) ----
if command -v setpriv > /dev/null 2>&1; then
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all "$tool" 1 1
	want 3 "unprivileged user"
	want_msg
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all "$tool" -s bad
	want 2 "bad arguments are reported before privileges"
else
	skipped "exit 3: no setpriv"
fi

# ---- exit 4: no kernel BTF (hide /sys/kernel/btf in a mount namespace) ----
if command -v unshare > /dev/null 2>&1 &&
   unshare -m true > /dev/null 2>&1; then
	run unshare -m sh -c \
		'mount -t tmpfs none /sys/kernel/btf && exec "$0" 1 1' "$tool"
	want 4 "no /sys/kernel/btf/vmlinux"
	want_msg
else
	skipped "exit 4: no unshare -m"
fi

# ---- features ----
run "$tool" --features
want 0 "--features"
has "^source" "$tmp/out"
cp "$tmp/out" "$tmp/features"
run "$tool" --features --json
want 0 "--features --json"
has '"type":"features"' "$tmp/out"
json_lines "$tmp/out"

# ---- exit 5: a source the kernel cannot provide ----
for src in raw lockdep; do
	if grep -q "^source *$src" "$tmp/features"; then
		skipped "exit 5 with --source $src: available here"
		continue
	fi
	run "$tool" --source "$src" 1 1
	if grep -q "^source *NONE" "$tmp/features" ||
	   ! grep -q "^source" "$tmp/features"; then
		want 5 "--source $src (nothing attachable)"
	else
		# auto picked something else; an explicit $src must fail
		want 5 "--source $src unavailable"
	fi
	want_msg
done

# ---- BPF accounting self-test ----
run "$tool" --selftest
want 0 "--selftest"
has " 0 failed" "$tmp/out"

# ---- runs ----
run "$tool" 1 1
want 0 "one 1s interval"
has "interval 1" "$tmp/out"
has "(final)" "$tmp/out"

run "$tool" -p $$ 1 1
want 0 "-p (a process without VMs)"
has "no VMs of this process" "$tmp/out"

run "$tool" --json 1 2
want 0 "--json 1 2"
n=$(grep -c '"type":"interval"' "$tmp/out")
if [ "$n" = 2 ]; then ok "  ... 2 interval objects"; else
	bad "  ... $n interval objects, expected 2"; fi
json_lines "$tmp/out"
has '"final":true' "$tmp/out"

# sigint_when_ready ARGS...: start the tool, SIGINT it once it says it is
# tracing (its signal handlers are installed by then), however long
# attaching takes on this machine
sigint_when_ready() {
	# the banner of an earlier run must not count
	rm -f "$tmp/out" "$tmp/err"
	"$tool" "$@" > "$tmp/out" 2> "$tmp/err" &
	pid=$!
	wait_for 'racing kvm->mmu_lock' "$tmp/out" "$tmp/err"
	kill -INT "$pid"
	wait "$pid"
	rc=$?
}

sigint_when_ready
want 0 "SIGINT ends the run cleanly"
has "(final)" "$tmp/out"
sigint_when_ready --json 10
want 0 "SIGINT during a long interval, --json"
has '"final":true' "$tmp/out"
json_lines "$tmp/out"

summary

#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Argument and exit-code tests for lockstat (POSIX sh, busybox-friendly).
#   usage: test-args.sh [path/to/lockstat]
#
# Exit codes (tools/common/errors.h): 0 ok, 1 runtime error, 2 bad
# arguments, 3 no privileges, 4 no kernel BTF, 5 nothing attachable.
# The command-line convention shared with trace-fastpf
# (Documentation/tools-cli.md) is checked by cli_usage_checks and
# cli_run_checks (tools/common/test-lib.sh).
# Tests that need root (BPF loads, the exit-3/4 simulations) are skipped
# otherwise.  Prints "N passed, N failed"; exits 1 if anything failed.

here=$(cd "$(dirname "$0")" && pwd)
tool=${1:-$here/../../build/tools/bin/lockstat}
name=lockstat
tmp=$(mktemp -d /tmp/test-lockstat.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
. "$here/../common/test-lib.sh"
require_tool

# ---- bad arguments: exit 2 before anything else ----
# (-p, interval, count and -d values: cli_usage_checks below; every run
# there ends even if a bad value were taken)
for args in "--stacks=abc 1 1" "--stacks=-1 1 1" "--stacks=1001 1 1" \
	    "-s abc 1 1" "-s stacks 1 1" "-n 0 1 1" "-n x 1 1" "1 2 3" "--bogus" "-x" \
	    "--source bogus 1 1" "--source" "--features 1" "-p"; do
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

# ---- the convention shared with trace-fastpf: -p, -V, --help, values ----
cli_usage_checks

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
has "^lockstat: source .*, kernel " "$tmp/out"
has "^  METRIC  *STATE" "$tmp/out"
has "^  PROBE  *STATE" "$tmp/out"
cp "$tmp/out" "$tmp/features"
run "$tool" --features --json
want 0 "--features --json"
has '"type":"features"' "$tmp/out"
json_lines "$tmp/out"
json_schema "$tmp/out"

# ---- exit 5: a source the kernel cannot provide ----
for src in raw lockdep; do
	if grep -q "^lockstat: source $src" "$tmp/features"; then
		skipped "exit 5 with --source $src: available here"
		continue
	fi
	run "$tool" --source "$src" 1 1
	if grep -q "^lockstat: source NONE" "$tmp/features"; then
		want 5 "--source $src (nothing attachable)"
	else
		# auto picked something else; an explicit $src must fail
		want 5 "--source $src unavailable"
	fi
	want_msg
done

# ---- runs ----
run "$tool" 1 1
want 0 "one 1s interval"
has "interval 1" "$tmp/out"
has "(final)" "$tmp/out"
has "^lockstat: source .*, kernel .*\(every metric live\|n/a: \)" "$tmp/err"

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
json_schema "$tmp/out"

signal_when_ready INT 'racing kvm->mmu_lock'
want 0 "SIGINT ends the run cleanly"
has "(final)" "$tmp/out"
signal_when_ready INT 'racing kvm->mmu_lock' --json 10
want 0 "SIGINT during a long interval, --json"
has '"final":true' "$tmp/out"
json_lines "$tmp/out"
json_schema "$tmp/out"

# ---- sub-second intervals, -d, -p, SIGHUP/SIGTERM/SIGINT (shared) ----
run "$tool" 0.5 1
want 0 "0.5 1"
has "0.5s interval" "$tmp/err"
cli_run_checks '(final)' '"final":true' 'racing kvm->mmu_lock' \
	'racing kvm->mmu_lock'

summary

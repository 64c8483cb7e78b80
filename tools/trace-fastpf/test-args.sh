#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Argument and exit-code tests for trace-fastpf (POSIX sh; runs under
# busybox too).  Usage: test-args.sh [path/to/trace-fastpf]
#
# Exit codes under test (tools/common/errors.h):
#   0 ok, 1 runtime error, 2 bad arguments, 3 missing privileges,
#   4 no kernel BTF, 5 nothing attachable.
# The command-line convention shared with lockstat
# (Documentation/tools-cli.md) is checked by cli_usage_checks and
# cli_run_checks (tools/common/test-lib.sh).
# The BPF parts need root; without root they are skipped.  Prints
# "N passed, N failed" and exits 1 if anything failed.

here=$(cd "$(dirname "$0")" && pwd)
tool=${1:-$here/../../build/tools/bin/trace-fastpf}
name=trace-fastpf
tmp=$(mktemp -d /tmp/test-fastpf.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
. "$here/../common/test-lib.sh"
require_tool

# ---- usage errors: exit 2, no BPF needed ----
# (-p, interval, count and -d values: cli_usage_checks below; every run
# there ends even if a bad value were taken)
for args in "1 2 3" "--bogus" "-x" "--max-vms 0 1 1" "--max-vcpus abc 1 1"; do
	# shellcheck disable=SC2086
	expect 2 "bad arguments '$args'" -- $args
	want_msg
done
expect 2 "missing -p value" -- -p
want_msg

expect 0 "--help" -- --help
has "Usage:" "$tmp/out"
expect 0 "-h" -- -h
has "Usage:" "$tmp/out"

# ---- the convention shared with lockstat: -p, -V, --help, values ----
cli_usage_checks

if [ "$(id -u)" != 0 ]; then
	skipped "BPF tests: not root"
	summary
	exit
fi

# ---- runs (root) ----
expect 0 "--features" -- --features
has "^trace-fastpf: source .*, kernel " "$tmp/out"
has "^  METRIC  *STATE" "$tmp/out"
has "^  fast_outcomes " "$tmp/out"
has "^  PROBE  *STATE" "$tmp/out"
expect 0 "--features --json" -- --features --json
has '^{"type":"features",.*"metrics":{' "$tmp/out"
json_schema "$tmp/out"

expect 0 "two 1 s intervals" -- 1 2
has "interval 1.00 s" "$tmp/out"
has "^trace-fastpf: source .*, kernel .*\(every metric live\|n/a: \)" "$tmp/err"
has "totals since start" "$tmp/out"
n=$(grep -c "interval 1\." "$tmp/out")
[ "$n" = 2 ] && ok "  ... 2 interval reports" || bad "  ... $n interval reports, expected 2"

expect 0 "--json 1 2" -- --json 1 2
n=$(grep -c '^{"type":"interval",' "$tmp/out")
[ "$n" = 2 ] && ok "  ... 2 interval objects" || bad "  ... $n interval objects, expected 2"
has '^{"type":"summary",.*"final":true' "$tmp/out"
n=$(wc -l < "$tmp/out")
[ "$n" = 4 ] && ok "  ... 4 NDJSON lines" || bad "  ... $n lines, expected 4"
json_lines "$tmp/out"
json_schema "$tmp/out"

# SIGINT / SIGTERM: detach, print the final interval and totals, exit 0
for sig in INT TERM; do
	signal_when_ready "$sig" '"type":"features"' --json 10
	[ "$rc" = 0 ] && ok "SIG$sig ends cleanly (exit 0)" ||
		bad "SIG$sig: exit $rc, expected 0"
	has '^{"type":"interval",' "$tmp/out"
	has '^{"type":"summary",' "$tmp/out"
	json_schema "$tmp/out"
done

# ---- sub-second intervals, -d, -p, SIGHUP/SIGTERM/SIGINT (shared) ----
cli_run_checks 'totals since start' '"type":"summary"' 'Hit Ctrl-C' \
	'"type":"features"'

# ---- exit 3: no privileges ----
drop_privs="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all"
if command -v setpriv > /dev/null 2>&1 && $drop_privs true 2> /dev/null; then
	run $drop_privs "$tool" 1 1
	want 3 "unprivileged user"
	want_msg
else
	skipped "exit 3: no (GNU) setpriv to drop privileges"
fi

# ---- exit 4 and 5: fake /sys/kernel/btf in a private mount namespace ----
if command -v unshare > /dev/null 2>&1 &&
   unshare -m true 2> /dev/null; then
	unshare -m sh -c 'mount --make-rprivate / 2>/dev/null;
		mount -t tmpfs none /sys/kernel/btf && exec "$0" 1 1' \
		"$tool" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	[ "$rc" = 4 ] && ok "no /sys/kernel/btf/vmlinux (exit 4)" ||
		bad "no kernel BTF: exit $rc, expected 4"
	want_msg

	# a valid BTF blob with a single 'int': no KVM anywhere
	printf '\237\353\001\000\030\000\000\000\000\000\000\000\020\000\000\000\020\000\000\000\005\000\000\000\001\000\000\000\000\000\000\001\004\000\000\000\040\000\000\001\000int\000' \
		> "$tmp/fake.btf"
	unshare -m sh -c 'mount --make-rprivate / 2>/dev/null;
		mount -o bind "$1" /sys/kernel/btf/vmlinux && exec "$0" 1 1' \
		"$tool" "$tmp/fake.btf" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	[ "$rc" = 5 ] && ok "kernel without KVM events/functions (exit 5)" ||
		bad "nothing attachable: exit $rc, expected 5"
	has "can be attached" "$tmp/err"
else
	skipped "exit 4/5: no unshare -m"
fi

summary

# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Helpers for the tools' test-args.sh scripts (POSIX sh; runs under busybox).
# The caller sets $tool and $tmp (a scratch directory) before sourcing this.

pass=0 fail=0 skip=0

# Passing checks are listed with V=1 only; failures and skips always.
ok() {
	pass=$((pass + 1))
	if [ "${V:-}" = 1 ]; then echo "ok   $*"; fi
}
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
skipped() { skip=$((skip + 1)); echo "skip $*"; }

# run CMD...: run it, keep stdout, stderr and exit code
run() {
	"$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
}

# want CODE DESC: check the exit code of the last run
want() {
	if [ "$rc" = "$1" ]; then
		ok "$2 (exit $rc)"
	else
		bad "$2: exit $rc, expected $1"
		sed 's/^/     | /' "$tmp/err" | head -5
	fi
}

# expect CODE DESC -- ARGS...: run the tool with ARGS, check its exit code
expect() {
	code=$1 desc=$2
	shift 3
	run "$tool" "$@"
	want "$code" "$desc"
}

# the last run printed a reason on stderr and nothing on stdout
want_msg() {
	if [ -s "$tmp/err" ] && [ ! -s "$tmp/out" ]; then
		ok "  ... message: $(head -1 "$tmp/err")"
	else
		bad "  ... expected a message on stderr only"
	fi
}

# has PATTERN FILE
has() {
	if grep -q -- "$1" "$2"; then
		ok "  ... output has '$1'"
	else
		bad "  ... output lacks '$1'"
		sed 's/^/     | /' "$2" | head -8
	fi
}

# every line of FILE is a JSON object (python3 if present, else a shape check)
json_lines() {
	if command -v python3 > /dev/null 2>&1; then
		if python3 -c 'import json,sys
for l in open(sys.argv[1]):
    json.loads(l)' "$1" 2> "$tmp/jerr"; then
			ok "  ... every line parses as JSON"
		else
			bad "  ... invalid JSON: $(tail -1 "$tmp/jerr")"
		fi
	elif ! grep -qv '^{.*}$' "$1"; then
		ok "  ... every line is a {...} object"
	else
		bad "  ... a line is not a JSON object"
	fi
}

require_tool() {
	if [ ! -x "$tool" ]; then
		echo "no executable $tool"
		echo "0 passed, 1 failed"
		exit 1
	fi
}

# print the totals; the exit status is 0 only if nothing failed
# wait_for PATTERN FILE...: until one FILE has a line matching PATTERN, or
# 120 s have passed (attaching can take that long on a loaded machine).  For
# signalling a tool once it is ready, rather than after a guessed delay.
# Remove FILE first: a line left by an earlier run would match at once, and
# a signal sent before the tool installs its handlers is lost (sh starts
# background commands with SIGINT ignored).
wait_for() {
	_pat=$1
	shift
	_i=0
	while ! grep -q -e "$_pat" "$@" 2> /dev/null && [ $_i -lt 1200 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}

summary() {
	[ "$skip" = 0 ] || echo "$skip skipped"
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
}

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

# json_schema FILE: FILE holds one -j run of $tool (or --features -j) in the
# schema both tools share (tools/common/json_schema.py, also used by
# scripts/prom-check.py).  Skipped without python3.
json_schema() {
	command -v python3 > /dev/null 2>&1 || { skipped "  ... schema (no python3)"; return; }
	if python3 "$here/../common/json_schema.py" "$1" "$(basename "$tool")" \
		> "$tmp/jerr" 2>&1; then
		ok "  ... the shared JSON schema"
	else
		bad "  ... JSON schema: $(head -1 "$tmp/jerr")"
	fi
}

require_tool() {
	if [ ! -x "$tool" ]; then
		echo "no executable $tool"
		echo "0 passed, 1 failed"
		exit 1
	fi
}

# wait_for [-p PID] PATTERN FILE...: until one FILE has a line matching
# PATTERN, or 120 s have passed (attaching can take that long on a loaded
# machine), or, with -p, process PID is gone (it will print nothing more).
# For signalling a tool once it is ready, rather than after a guessed delay.
# Remove FILE first: a line left by an earlier run would match at once, and
# a signal sent before the tool installs its handlers is lost (sh starts
# background commands with SIGINT ignored).
wait_for() {
	_wpid=
	if [ "$1" = -p ]; then
		_wpid=$2
		shift 2
	fi
	_pat=$1
	shift
	_i=0
	while ! grep -q -e "$_pat" "$@" 2> /dev/null && [ $_i -lt 1200 ]; do
		if [ -n "$_wpid" ] && ! kill -0 "$_wpid" 2> /dev/null; then
			break
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
}

# wait_exit PID: until background process PID has ended, or 120 s have
# passed; then it is killed (SIGKILL: exit 137), so that a tool that
# ignores a signal fails its check instead of hanging the tests
wait_exit() {
	_i=0
	while kill -0 "$1" 2> /dev/null && [ $_i -lt 1200 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	kill -s KILL "$1" 2> /dev/null
}

# true if this shell, and so every tool it starts, has SIGHUP ignored
# (started under nohup): bit 0 of SigIgn is signal 1
hup_ignored() {
	_ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status)
	[ -n "$_ign" ] && [ $(( 0x$_ign & 1 )) = 1 ]
}

# signal_when_ready SIG PATTERN ARGS...: start the tool with ARGS, send it
# SIG once PATTERN (its banner) is in its stdout or stderr, wait for it to
# end; $rc, $tmp/out and $tmp/err as after run
signal_when_ready() {
	_sig=$1 _pat=$2
	shift 2
	rm -f "$tmp/out" "$tmp/err"	# an earlier run's banner must not count
	"$tool" "$@" > "$tmp/out" 2> "$tmp/err" &
	_pid=$!
	wait_for -p "$_pid" "$_pat" "$tmp/out" "$tmp/err"
	kill -s "$_sig" "$_pid" 2> /dev/null
	wait_exit "$_pid"
	wait "$_pid"
	rc=$?
}

# ---- the command-line convention (Documentation/tools-cli.md) ----
#
# The same checks for every tool, so that they agree.  $name is the tool's
# name as it prints it.

# the exit-code table at the end of --help, one "  CODE  meaning" a line
exit_table='0  ok
1  runtime error
2  bad arguments
3  missing privileges
4  no kernel BTF
5  required kernel tracepoints or functions missing'

# a pid that does not exist
no_such_pid() {
	_p=4194304
	while [ -e /proc/$_p ]; do _p=$((_p - 1)); done
	echo $_p
}

# a thread that is not its process's leader (its tid is not a process id),
# or nothing
thread_id() {
	for _t in /proc/[0-9]*/task/[0-9]*; do
		_pid=${_t#/proc/}
		_pid=${_pid%%/*}
		if [ "${_t##*/}" != "$_pid" ]; then
			echo "${_t##*/} $_pid"
			return
		fi
	done
}

# bad PATTERN ARGS...: exit 2, a message matching PATTERN on stderr only
bad_args() {
	_pat=$1
	shift
	run "$tool" "$@"
	want 2 "bad arguments '$*'"
	if [ -s "$tmp/err" ] && [ ! -s "$tmp/out" ] &&
	   grep -q -- "$_pat" "$tmp/err"; then
		ok "  ... message: $(head -1 "$tmp/err")"
	else
		bad "  ... expected '$_pat' on stderr only"
		sed 's/^/     | /' "$tmp/err" | head -3
	fi
}

# the checks that need no privileges: everything is decided while the
# arguments are parsed.  Each run that would trace if an argument were
# wrongly accepted has a count or -d, so that it ends.
cli_usage_checks() {
	nopid=$(no_such_pid)

	# -p: not a number, <= 0 -> exit 2
	for a in abc 0 -5 12x 1.5 0x10 "" " 7" 2147483648; do
		bad_args "invalid PID: '$a'" -p "$a" 1 1
	done
	# -p: no such process -> exit 2, one message, the same in all tools
	run "$tool" -p "$nopid" 1 1
	want 2 "-p $nopid (no such process)"
	if [ "$(cat "$tmp/err")" = "$name: no such process: $nopid" ] &&
	   [ ! -s "$tmp/out" ]; then
		ok "  ... message: $(cat "$tmp/err")"
	else
		bad "  ... expected exactly '$name: no such process: $nopid'"
		sed 's/^/     | /' "$tmp/err" | head -3
	fi
	bad_args "no such process: $nopid" --pid="$nopid" --json 1 1
	# -p of a thread: it names a process that is not what -p filters on
	set -- $(thread_id)
	if [ $# = 2 ]; then
		bad_args "$1 is a thread of process $2" -p "$1" 1 1
	else
		skipped "-p of a thread: no multi-threaded process here"
	fi

	# -V: "<tool> <version> (libbpf X.Y)", exit 0
	for v in -V --version; do
		run "$tool" $v
		want 0 "$v"
		if [ "$(wc -l < "$tmp/out")" = 1 ] && [ ! -s "$tmp/err" ] &&
		   grep -q "^$name [0-9][0-9.]* (libbpf [0-9][0-9]*\.[0-9][0-9]*)\$" \
			"$tmp/out"; then
			ok "  ... $(cat "$tmp/out")"
		else
			bad "  ... expected '$name <version> (libbpf X.Y)', got:"
			sed 's/^/     | /' "$tmp/out" "$tmp/err" | head -3
		fi
	done

	# --help ends with the exit codes
	run "$tool" --help
	want 0 "--help"
	has "^Exit status:" "$tmp/out"
	echo "$exit_table" | while IFS= read -r line; do
		grep -q "^  $line" "$tmp/out" || echo "$line"
	done > "$tmp/missing"
	if [ ! -s "$tmp/missing" ]; then
		ok "  ... lists exit codes 0-5"
	else
		bad "  ... exit codes missing from --help: $(tr '\n' ';' < "$tmp/missing")"
	fi
	if tail -1 "$tmp/out" | grep -q "^  5  "; then
		ok "  ... the table ends the help"
	else
		bad "  ... the help does not end with the exit-code table"
	fi
	has "SIGHUP" "$tmp/out"
	cp "$tmp/out" "$tmp/help"
	run "$tool" -h
	want 0 "-h"
	if cmp -s "$tmp/out" "$tmp/help"; then ok "  ... same as --help"
	else bad "  ... -h differs from --help"; fi

	# interval, count, -d: exit 2
	for a in 0 0.0 0.009 abc 1e3 1. . 0x10 86401 86400.5 1.0000000001 inf; do
		bad_args "invalid interval: '$a'" -d 2 "$a" 1
	done
	bad_args "invalid option" -1
	for a in 0 x 1.5 2147483648; do
		bad_args "invalid count: '$a'" -d 2 1 "$a"
	done
	for a in 0 0.001 abc 1e3 1. -1 31622401; do
		bad_args "invalid duration: '$a'" -d "$a" 1 1
	done
	bad_args "invalid duration: 'x'" --duration=x 1 1
	bad_args "requires an argument" -d
	bad_args "takes no interval, count, -c, -d, -s, -n or --prom" --features 1
	bad_args "takes no interval, count, -c, -d, -s, -n or --prom" --features -d 1
	bad_args "unrecognized option" --selftest
	bad_args "takes no interval, count, -c, -d, -s, -n or --prom" --features -c true
	bad_args "takes no interval, count, -c, -d, -s, -n or --prom" --features -n 1

	# -s KEY: the tool's keys only; -n N: 1 or more
	bad_args "invalid sort key: 'bogus' (one of: name, pid," -s bogus 1 1
	bad_args "invalid count of VMs: '0'" -n 0 1 1
	bad_args "invalid count of VMs: '-1'" -n -1 1 1
	bad_args "takes no interval, count, -c, -d, -s, -n or --prom" --features --prom "$tmp/m.prom"

	# --prom FILE: refused before anything is attached if FILE cannot be written
	bad_args "--prom $tmp/nodir/m.prom: cannot write a file there: No such file or directory" \
		--prom "$tmp/nodir/m.prom" 1 1
	bad_args "--prom $tmp/: cannot write a file there: not a file name" --prom "$tmp/" 1 1
	bad_args "requires an argument" --prom

	# -c: a program and its arguments, split as by the shell, no shell
	bad_args "invalid command: ''" -c ""
	bad_args "invalid command: ' '" -c " "
	bad_args "invalid command" -c 'echo $(id)'
	bad_args "invalid command" -c 'echo "unterminated'
	bad_args "-c and -p exclude each other" -c true -p 1
	bad_args "requires an argument" -c
}

# cli_run_checks FINAL-TEXT FINAL-JSON BANNER-TEXT BANNER-JSON: root only.
# FINAL-*: a line only the final report has; BANNER-*: the tool's "tracing"
# line in text and JSON mode (stdout or stderr)
cli_run_checks() {
	_ft=$1 _fj=$2 _bt=$3 _bj=$4

	# sub-second interval, count, -d
	run "$tool" 0.5 2
	want 0 "0.5 2 (sub-second interval)"
	has "$_ft" "$tmp/out"
	run "$tool" --json 0.25 2
	want 0 "--json 0.25 2"
	n=$(grep -c '"type":"interval"' "$tmp/out")
	[ "$n" = 2 ] && ok "  ... 2 interval objects" ||
		bad "  ... $n interval objects, expected 2"
	has "$_fj" "$tmp/out"
	json_lines "$tmp/out"
	json_schema "$tmp/out"
	# -d ends the run with the final report.  Every run has a count
	# too, so that it ends even if -d did not; the checks count reports,
	# which cannot depend on timing: a run that ends at -d has at most one
	# report per tick and one at the end of -d, never more.
	run "$tool" -d 0.5 60 2
	want 0 "-d 0.5 60 2"
	has "$_ft" "$tmp/out"
	run "$tool" --json -d 0.5 60 2
	want 0 "--json -d 0.5 60 2"
	n=$(grep -c '"type":"interval"' "$tmp/out")
	[ "$n" = 1 ] && ok "  ... 1 interval object: -d ended the run" ||
		bad "  ... $n interval objects, expected 1 (at the end of -d)"
	has "$_fj" "$tmp/out"
	run "$tool" --json --duration=0.5 0.2 50
	want 0 "--json --duration=0.5 0.2 50"
	n=$(grep -c '"type":"interval"' "$tmp/out")
	[ "$n" -ge 1 ] && [ "$n" -le 3 ] &&
		ok "  ... $n interval objects (0.2, 0.4 and 0.5 s at most)" ||
		bad "  ... $n interval objects, expected 1 to 3"
	has "$_fj" "$tmp/out"
	json_lines "$tmp/out"
	json_schema "$tmp/out"
	run "$tool" -d 3600 0.2 1
	want 0 "count ends a run before -d"
	has "$_ft" "$tmp/out"

	# -s and -n: accepted with every key that the message of a bad key
	# lists (name, pid and the tool's own), JSON counts what -n left out
	run "$tool" -s bogus
	keys=$(sed -n 's/.*one of: \([a-z, ]*\);.*/\1/p' "$tmp/err" | tr -d ',')
	set -- $keys
	[ $# -ge 3 ] && [ "$1 $2" = "name pid" ] &&
		ok "  ... sort keys: $keys" ||
		bad "  ... sort keys not listed as 'one of: name, pid, ...': $keys"
	for k in $keys; do
		run "$tool" -s "$k" -n 1 0.2 1
		want 0 "-s $k -n 1"
	done
	run "$tool" --json -s name -n 3 0.2 1
	want 0 "--json -s name -n 3"
	has '"vms_not_shown":0' "$tmp/out"

	# -c: the command's exit ends the run with the final report, exit 0;
	# its status goes to stderr
	run "$tool" -c "sh -c 'sleep 0.3; exit 3'" 3600
	want 0 "-c: the command's exit ends the run"
	has "$_ft" "$tmp/out"
	has "command exited with status 3" "$tmp/err"
	run "$tool" --json -c "sleep 0.3" 3600
	want 0 "-c, --json"
	has "$_fj" "$tmp/out"
	has "command exited with status 0" "$tmp/err"
	json_lines "$tmp/out"
	# a run that ends first ends the command
	run "$tool" -c "sleep 3600" 0.2 1
	want 0 "-c: count ends the run and the command"
	has "$_ft" "$tmp/out"
	has "command killed by signal 15" "$tmp/err"
	run "$tool" -c "/nonexistent/$name-cmd a b" 3600
	want 0 "-c of a program that does not exist"
	has "cannot run '/nonexistent/$name-cmd'" "$tmp/err"
	has "command exited with status 127" "$tmp/err"
	# it shares the tool's standard output; with --json its own goes to
	# standard error, not into the NDJSON
	run "$tool" -c "sh -c 'echo cmd-out'" 3600
	want 0 "-c: the command's output"
	has "^cmd-out" "$tmp/out"
	run "$tool" --json -c "sh -c 'echo cmd-out'" 3600
	want 0 "-c --json: the command's output"
	has "^cmd-out" "$tmp/err"
	json_lines "$tmp/out"
	# the tool killed outright: the command does not run on untraced
	marker=$(( $$ % 1000 + 7000 )).5
	rm -f "$tmp/out" "$tmp/err"
	"$tool" -c "sleep $marker" 3600 > "$tmp/out" 2> "$tmp/err" &
	_pid=$!
	wait_for -p "$_pid" "$_bt" "$tmp/out" "$tmp/err"
	alive() { ps -eo args | grep -q "^sleep $marker\$"; }
	if grep -q -e "$_bt" "$tmp/out" "$tmp/err" && alive; then
		kill -KILL "$_pid"
		wait "$_pid" 2> /dev/null
		i=0
		while alive && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		alive && bad "-c: the command outlived a SIGKILLed tool" ||
			ok "-c: a SIGKILLed tool takes its command with it"
	else
		kill -KILL "$_pid" 2> /dev/null
		bad "-c: no banner, or the command is not running"
	fi


	# -p of a process without VMs: allowed, it may create one later
	run "$tool" -p $$ 0.5 1
	want 0 "-p \$\$ (a process without VMs)"
	has "$_ft" "$tmp/out"

	# signals: detach, final report, exit 0.  Under nohup the tools keep
	# SIGHUP ignored, as nohup asks, and the shell cannot undo that.
	_sigs="HUP TERM INT"
	if hup_ignored; then
		skipped "SIGHUP: ignored where the tests run (nohup), the tools keep it so"
		_sigs="TERM INT"
	fi
	for sig in $_sigs; do
		signal_when_ready $sig "$_bt" 3600
		want 0 "SIG$sig ends the run"
		has "$_ft" "$tmp/out"
		signal_when_ready $sig "$_bj" --json 3600
		want 0 "SIG$sig ends the run, --json"
		has "$_fj" "$tmp/out"
		json_lines "$tmp/out"
	done
	if ! hup_ignored; then
		signal_when_ready HUP "$_bt" -d 3600
		want 0 "SIGHUP before -d is over"
		has "$_ft" "$tmp/out"
	fi

	# bad arguments are reported before missing privileges
	if command -v setpriv > /dev/null 2>&1 &&
	   setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all true 2> /dev/null; then
		run setpriv --reuid=65534 --regid=65534 --clear-groups \
			--inh-caps=-all "$tool" -p "$(no_such_pid)" 1 1
		want 2 "no such process, unprivileged: exit 2, not 3"
		has "no such process" "$tmp/err"
	else
		skipped "-p unprivileged: no (GNU) setpriv"
	fi
}

# print the totals; the exit status is 0 only if nothing failed
summary() {
	[ "$skip" = 0 ] || echo "$skip skipped"
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
}

# Sourced by the guest-side comparison tests (busybox sh).

# wait_attached PID FILE PATTERN: wait until a tool started in the background
# as PID prints PATTERN into FILE, i.e. its BPF programs are attached, so that
# the workload starts after the tool.  Attaching takes seconds under TCG and
# longer while the other vCPU is busy: allow two minutes.
wait_attached() {
	_i=0
	while ! grep -q "$3" "$2" 2>/dev/null; do
		_i=$((_i + 1))
		if [ $_i -gt 1200 ] || ! kill -0 "$1" 2>/dev/null; then
			echo "$(basename "$0"): the tool did not start; its stderr:"
			cat "${2%.*}.err" 2>/dev/null
			return 1
		fi
		sleep 0.1
	done
}

# prom_dump TOOL PROMFILE JSONFILE PATTERN (grep -E): with PROM_DUMP=1, keep the
# tool's last --prom file and its JSON lines matching PATTERN in
# /tmp/dumps, which vm/init prints whole after the plan, for
# scripts/prom-check.py on the host (promtool, node_exporter, the values
# against the JSON).  A missing or empty --prom file fails the test.
prom_dump() {
	[ "${PROM_DUMP:-0}" = 1 ] || return 0
	if [ ! -s "$2" ]; then
		echo "$(basename "$0"): $1 wrote no --prom file $2"
		return 1
	fi
	mkdir -p /tmp/dumps
	cp "$2" "/tmp/dumps/$1.prom"
	grep -E "$4" "$3" > "/tmp/dumps/$1.json"
	echo "  --prom file kept for the host: $(wc -l < "$2") lines"
}

# stop_tools DIR PID...: end the tools started in the background as PID...
# with SIGINT (their final report) and wait for each; any exit status but
# 0 fails, with the tools' stderr files from DIR.
stop_tools() {
	_d=$1; shift
	kill -INT "$@"
	_bad=
	for _p in "$@"; do
		wait "$_p" || _bad="$_bad $_p:$?"
	done
	[ -z "$_bad" ] && return 0
	echo "$(basename "$0"): a tool failed (pid:status):$_bad"
	cat "$_d"/*.err
	return 1
}

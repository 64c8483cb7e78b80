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

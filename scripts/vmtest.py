#!/usr/bin/env python3
"""Boot a kernel under QEMU TCG once per MMU mode, run a test plan in the
guest, and judge the result from the guest's KTAP report and its kernel log.

A mode fails if any test fails, if the guest never reports, or if the kernel
log holds a WARNING, BUG, lockdep report, KASAN report or hung task.
"""
import argparse
import os
import re
import subprocess
import sys
import time

ACCEL = "tcg,thread=multi"

MODES = {
    "tdp": "kvm_amd.npt=1 kvm.tdp_mmu=1",
    "legacy-tdp": "kvm_amd.npt=1 kvm.tdp_mmu=0",
    "shadow": "kvm_amd.npt=0",
}

# What fails a run even if every test passed.
BAD_KERNEL_LINES = re.compile(
    r"WARNING:|BUG:|\bOops\b|Kernel panic|kernel BUG|"
    r"-\[ cut here \]-|lockdep is turned off|DEBUG_LOCKS_WARN_ON|"
    r"possible recursive locking|"
    r"possible circular locking|inconsistent lock state|"
    r"suspicious RCU usage|KASAN:|UBSAN:|blocked for more than|"
    r"general protection fault|refcount_t:|list_add corruption|"
    r"list_del corruption")

# Where vmtest.py appends the kernel's console (ttyS0) to a mode's log.
KERNEL_CONSOLE = "# ---- kernel console (ttyS0) ----"

KTAP = re.compile(r"^(ok|not ok) (\d+) (\S+)(?: # (.*))?$")
COUNTER = re.compile(r"^# counter (\S+) \{ (\w+)(?:\.\w+)?: *(.*?) *\} hitcount: *(\d+)")


def run_mode(args, mode):
    """Boot once; under multi-threaded TCG only, boot again, once, if the
    guest died before reaching /init or took the emulator's stale-int3 Oops.

    Under multi-threaded TCG a guest has been seen to reset a few seconds into
    boot with nothing on the console, before any test or any KVM guest ran.
    Such a boot is retried once and reported; a second one fails the mode.
    Single-threaded TCG (make check's default) never showed either, and
    there every failure counts the first time.
    """
    r = boot_once(args, mode)
    if not multi_threaded(args) or r["qemu_failed"]:
        return r
    why = None
    if r["died_before_init"]:
        why = (f"the guest died during boot, before /init (qemu exit "
               f"{r['qemu_rc']})")
    elif stale_int3(r["text"]) and not other_problems(r):
        why = ("the guest took an int3 Oops on an instruction that no longer "
               "holds an int3: a stale translation of cross-modified code "
               "under multi-threaded TCG, not a kernel bug")
    if why:
        print(f"vmtest: mode {mode}: {why}; log kept as {r['log']}.emulator; "
              f"running the mode once more", flush=True)
        os.replace(r["log"], r["log"] + ".emulator")
        r = boot_once(args, mode)
        r["retried"] = why
    return r


def multi_threaded(args):
    """-accel tcg runs one host thread per vCPU unless thread=single."""
    return "thread=single" not in args.accel


def pin_off_cpu0(args):
    """Under multi-threaded TCG, QEMU's FXRSTOR/XRSTOR helpers on any vCPU
    thread clear IGNNE with an unlocked read-modify-write of the first CPU's
    hflags2, which can undo that CPU's own VMRUN, #VMEXIT, STGI or CLGI:
    a KVM vCPU on L1's CPU 0 then triple-faults or runs on L1's state.  The
    plan's commands run on the other CPUs (vm/init, fastpf.cpus), unless
    --cpu0 asks to reproduce it."""
    return multi_threaded(args) and not args.cpu0 and args.smp > 1


def default_smp(args):
    """Two CPUs for the plan's commands either way: under multi-threaded TCG
    CPU 0 is kept free of them (pin_off_cpu0), so it gets a third."""
    return 3 if multi_threaded(args) and not args.cpu0 else 2


def stale_int3(text):
    """An "Oops: int3" whose Code: line shows no 0xcc before the trapping RIP.

    text_poke_bp() patches kernel text (static keys, BPF trampolines) with a
    temporary int3 that it removes before releasing its handler.  A CPU can
    only trap on an int3 that is gone from memory if it executed a stale copy
    of the code, which real CPUs never do after the sync_core() IPIs, but
    QEMU's multi-threaded TCG can.
    """
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if "Oops: int3" not in line:
            continue
        for code in lines[i:i + 8]:
            m = re.search(r"Code: (.*)", code)
            if m:
                before = m.group(1).split("<")[0].split()
                return bool(before) and before[-1].lower() != "cc"
    return False


def other_problems(r):
    """Problems other than the fallout of one Oops: its report and the panic."""
    benign = re.compile(r"Oops: int3|Kernel panic - not syncing: Fatal exception|"
                        r"guest stopped without reporting|planned tests reported")
    return [p for p in r["problems"] if not benign.search(p)]


def boot_once(args, mode):
    append = " ".join([
        "console=ttyS0", "fastpf.out=ttyS1", "panic=-1", "loglevel=5",
        "log_buf_len=8M",
        "sysctl.kernel.hung_task_timeout_secs=60",
        # Under a loaded TCG host the clocksource watchdog can mark the TSC
        # unstable mid-plan; the switch to hpet then flips the
        # sched_clock_stable static key, and text patching under MTTCG has
        # killed the guest (seen: a silent stop right after that message).
        "tsc=reliable",
        MODES[mode], f"fastpf.plan={args.plan}", f"fastpf.mode={mode}",
        # Multi-threaded TCG: the plan's commands stay off CPU 0, whose
        # hflags2 other vCPU threads rewrite (Documentation/qemu-bug-ignne-hflags2.md).
        f"fastpf.cpus=1-{args.smp - 1}" if pin_off_cpu0(args) else "",
        args.append,
    ]).strip()
    log_path = os.path.join(args.logdir, f"{mode}.console.log")
    kernel_log = os.path.join(args.logdir, f"{mode}.ttyS0.log")
    # Two serial ports: ttyS0 carries the kernel's console (to a file), ttyS1
    # the plan's output (vm/init, fastpf.out=ttyS1).  On one shared port a
    # kernel message raised in the tty write path under the port's lock (a
    # KCSAN report in the 8250 driver) deadlocks: serial8250_console_write()
    # spins on the lock its own caller holds.  Two files, not one stream: the
    # UARTs' bytes would interleave, and a kernel line could split a KTAP line.
    cmd = [args.qemu, "-accel", args.accel, "-cpu", "max",
           "-smp", str(args.smp), "-m", args.mem, "-display", "none",
           "-serial", f"file:{kernel_log}", "-serial", "stdio",
           "-monitor", "none", "-no-reboot",
           "-kernel", args.kernel, "-initrd", args.initrd, "-append", append]
    t0 = time.monotonic()
    timed_out = False
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        try:
            proc.wait(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            proc.kill()
            proc.wait()
    elapsed = time.monotonic() - t0
    # One log to read: the plan's output, then the kernel's console.
    try:
        with open(kernel_log, "rb") as f:
            console = f.read()
        os.unlink(kernel_log)
    except FileNotFoundError:
        console = b""
    with open(log_path, "ab") as log:
        log.write(b"\n" + KERNEL_CONSOLE.encode() + b"\n" + console)
    with open(log_path, "rb") as f:
        text = f.read().decode("utf-8", "replace").replace("\r", "")
    res = parse(text, mode, timed_out, elapsed, log_path, args.timeout)
    res["qemu_rc"] = proc.returncode
    res["died_before_init"] = (not timed_out and "KTAP version 1" not in text
                               and not res["problems"][1:])
    # QEMU itself gave up (bad option, missing module): nothing booted.
    res["qemu_failed"] = (not timed_out and proc.returncode != 0
                          and "Linux version" not in text)
    if res["qemu_failed"]:
        first = text.strip().splitlines()[:1] or ["(no output)"]
        res["problems"].insert(0, f"QEMU did not start the guest (exit "
                                  f"{proc.returncode}): {first[0]}")
    return res


def parse(text, mode, timed_out, elapsed, log_path, limit):
    res = {"mode": mode, "tests": {}, "counters": {}, "problems": [],
           "elapsed": elapsed, "log": log_path, "planned": None, "lock_stat": [],
           "text": text, "fail_tail": {}, "enums": {}, "output": {}}
    in_dmesg = False
    done = False
    recent = []
    for line in text.splitlines():
        if line.startswith("# ---- dmesg begin"):
            in_dmesg = True
            continue
        if line.startswith("# ---- dmesg end") or line == KERNEL_CONSOLE:
            in_dmesg = False
            continue
        if line.startswith("# fastpf: done") or line.startswith("# fastpf.hang=1"):
            done = True
        m = re.match(r"^1\.\.(\d+)$", line)
        if m and not in_dmesg:
            res["planned"] = int(m.group(1))
        m = KTAP.match(line)
        if m and not in_dmesg:
            ok, _, name, directive = m.groups()
            res["tests"][name] = (ok == "ok", directive or "")
            res["output"][name] = [t[2:] for t in recent
                                   if not t.startswith("# fastpf ")]
            if ok != "ok":
                res["fail_tail"][name] = recent[-8:]
            recent = []
            continue
        if not in_dmesg and line.startswith("#"):
            recent.append(line.rstrip())
        m = re.match(r"^# enum (\S+) (.*)$", line)
        if m:
            res["enums"][m.group(1)] = dict(
                kv.split("=", 1) for kv in m.group(2).split())
            continue
        m = COUNTER.match(line)
        if m:
            ev, key, val, hits = m.groups()
            val = re.sub(r"\s+", " ", val)
            res["counters"][(ev, val)] = res["counters"].get((ev, val), 0) + int(hits)
            continue
        m = re.match(r"^# retpf spurious=(\d+) fixed=(\d+)", line)
        if m:
            res["retpf"] = {"spurious": m.group(1), "fixed": m.group(2)}
            continue
        if line.startswith("# lock_stat "):
            res["lock_stat"].append(line[len("# lock_stat "):])
            continue
        # Kernel messages: the dmesg dump, or anything printed outside KTAP
        # (a panic never reaches the dump).
        if in_dmesg or re.match(r"^\[ *\d+\.\d+\]", line):
            if BAD_KERNEL_LINES.search(line):
                res["problems"].append(line.strip())
    if timed_out:
        res["problems"].insert(0, f"guest did not power off within {limit}s "
                               f"(timeout; see {log_path})")
    elif not done:
        res["problems"].insert(0, f"guest stopped without reporting "
                               f"(crash, reset or early exit; see {log_path})")
    if res["planned"] is not None and len(res["tests"]) < res["planned"]:
        res["problems"].append(f"only {len(res['tests'])} of {res['planned']} "
                               f"planned tests reported")
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--plan", default="check")
    ap.add_argument("--modes", default="tdp,legacy-tdp,shadow")
    ap.add_argument("--timeout", type=int, default=1200,
                    help="seconds before a guest is declared hung")
    ap.add_argument("--logdir", default="build/vmtest")
    ap.add_argument("--append", default="", help="extra kernel parameters")
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--accel", default=ACCEL,
                    help="QEMU -accel; tcg,thread=single runs all vCPUs on "
                         "one host thread, to tell multi-threaded TCG's "
                         "failures from the kernel's")
    ap.add_argument("--smp", type=int, default=None,
                    help="L1 CPUs (default: 2, or 3 under multi-threaded TCG, "
                         "where CPU 0 runs no test)")
    ap.add_argument("--cpu0", action="store_true",
                    help="multi-threaded TCG: let tests run on CPU 0 too, "
                         "which QEMU's hflags2 race can corrupt "
                         "(Documentation/qemu-bug-ignne-hflags2.md)")
    ap.add_argument("--mem", default="4G",
                    help="4G keeps max_pfn 64-aligned: page_idle returns 0 bytes for the partial last chunk below an unaligned max_pfn")
    ap.add_argument("--show-output", action="store_true",
                    help="print each test's output (its last fastpf.tail lines, "
                         "default 60) before the table: make demo")
    ap.add_argument("--expect-fail", action="store_true",
                    help="negative check: exit 0 only if the run fails")
    args = ap.parse_args()
    if args.smp is None:
        args.smp = default_smp(args)
    os.makedirs(args.logdir, exist_ok=True)

    try:
        ver = subprocess.run([args.qemu, "--version"], capture_output=True,
                             text=True, check=True).stdout.splitlines()[0]
    except (OSError, subprocess.CalledProcessError, IndexError) as e:
        print(f"vmtest: cannot run {args.qemu}: {e}", file=sys.stderr)
        return 2
    print(f"vmtest: {ver}, -accel {args.accel}", flush=True)

    results = []
    for mode in args.modes.split(","):
        print(f"vmtest: mode {mode} ({MODES[mode]}), plan {args.plan} ...", flush=True)
        r = run_mode(args, mode)
        results.append(r)
        status = "FAIL" if r["problems"] or not all(ok for ok, _ in r["tests"].values()) else "ok"
        print(f"vmtest: mode {mode}: {status} in {r['elapsed']:.0f}s", flush=True)
    if args.show_output:
        show_output(results)
    failed_runs = report(results)
    if args.expect_fail:
        print("vmtest: negative check " + ("failed as expected" if failed_runs else
                                           "DID NOT FAIL: the check is broken"))
        return 0 if failed_runs else 1
    return 1 if failed_runs else 0


def show_output(results):
    for r in results:
        for name, lines in r["output"].items():
            print(f"\n---- {name}, mode {r['mode']} ({MODES[r['mode']]}) ----")
            for t in lines:
                print(t)


def report(results):
    names = []
    for r in results:
        for n in r["tests"]:
            if n not in names:
                names.append(n)
    w = max([len(n) for n in names] + [24])
    print()
    print(f"{'test':<{w}} " + " ".join(f"{r['mode']:>12}" for r in results))
    passed = failed = 0
    for n in names:
        cells = []
        for r in results:
            if n not in r["tests"]:
                cells.append("missing")
                failed += 1
                continue
            ok, directive = r["tests"][n]
            if ok and "SKIP" in directive:
                cells.append("skip")
            elif ok:
                cells.append("ok")
                passed += 1
            else:
                cells.append("FAIL" if "TIMEOUT" not in directive else "TIMEOUT")
                failed += 1
        print(f"{n:<{w}} " + " ".join(f"{c:>12}" for c in cells))

    print()
    print("Fault paths (exact counts from tracefs histogram triggers):")
    for r in results:
        c = r["counters"]
        fast = {v: h for (ev, v), h in c.items() if ev == "kvmmmu/fast_page_fault"}
        pf = sum(h for (ev, _), h in c.items() if ev == "kvm/kvm_page_fault")
        retpf = r.get("retpf")
        if not retpf:
            print(f"  {r['mode']:>10}: fast_page_fault format not reported: "
                  f"fixed/spurious unknown")
            continue
        fixed = fast.get(retpf["fixed"], 0)
        spurious = fast.get(retpf["spurious"], 0)
        print(f"  {r['mode']:>10}: kvm_page_fault={pf} fast-path fixed={fixed} "
              f"spurious={spurious} fast_page_fault calls={sum(fast.values())}")
        extra = sorted((ev, v, h) for (ev, v), h in c.items()
                       if ev not in ("kvmmmu/fast_page_fault", "kvm/kvm_page_fault"))
        outcome = r["enums"].get("fast_page_fault_pass", {})
        for ev, v, h in extra:
            name = outcome.get(v, "") if ev == "kvmmmu/fast_page_fault_pass" else ""
            print(f"  {'':>10}  {ev} {v}{' ' + name if name else ''}: {h}")
        if outcome:
            byname = {outcome.get(v, v): h for (ev, v), h in c.items()
                      if ev == "kvmmmu/fast_page_fault_pass"}
            # Write faults on an MMU-writable, write-protected SPTE: the ones
            # dirty logging causes.  The fast path fixes them unless it must
            # defer to the slow path (huge SPTE, gfn changed) or gives up
            # after losing the cmpxchg too often.
            wp = sum(byname.get(k, 0) for k in
                     ("fixed", "gfn_changed", "huge_dirty_log"))
            if wp:
                print(f"  {'':>10}  write-protect faults fixed in the fast path: "
                      f"{byname.get('fixed', 0)} of {wp} "
                      f"({100.0 * byname.get('fixed', 0) / wp:.1f}%)")
        for line in r["lock_stat"]:
            print(f"  {'':>10}  lock_stat {line}")

    for r in results:
        if r.get("retried"):
            print(f"\nmode {r['mode']}: ran twice: {r['retried']} "
                  f"(see {r['log']}.emulator)")
    bad_runs = 0
    for r in results:
        if r["problems"]:
            bad_runs += 1
            print(f"\nmode {r['mode']}: kernel log / runner problems "
                  f"(these fail the mode):")
            for p in r["problems"][:40]:
                print(f"  {p}")
            failed += 1
    for r in results:
        for name, tail in r["fail_tail"].items():
            print(f"\nFAILED: {name} in mode {r['mode']}; its last lines:")
            for t in tail:
                print(f"  {t}")
    print()
    print(f"{passed} passed, {failed} failed")
    return failed


if __name__ == "__main__":
    sys.exit(main())

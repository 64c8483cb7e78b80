#!/usr/bin/env python3
"""make bench: the unpatched and the patched kernel side by side in one run.

Boots the baseline and the patched kernel alternately in the same emulator,
REPS times per MMU mode, runs the bench plan in each boot, and reports for
every metric the median per kernel, the spread (min-max) and the ratio
patched/baseline.  Absolute times under QEMU TCG are not hardware figures;
only the ratios, measured in the same run, are meant to carry.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmtest  # noqa: E402

# metric name -> (test name in the plan, regex on its output, how to reduce)
METRICS = {
    "populate_s": ("perf", r"Populate memory time: ([\d.]+)s", "first"),
    # KVM_SET_USER_MEMORY_REGION turning the log on: write-protects the slot.
    "enable_log_s": ("perf", r"Enabling dirty logging time: ([\d.]+)s", "first"),
    "dirty_memory_s": ("perf", r"Iteration (\d+) dirty memory time: ([\d.]+)s", "iter2+"),
    "clear_log_avg_s": ("perf", r"Clear dirty log over .* \(Avg ([\d.]+)s/iteration\)", "first"),
    "get_log_avg_s": ("perf", r"Get dirty log over .* \(Avg ([\d.]+)s/iteration\)", "first"),
    # vCPU writes completed in a fixed 5 s while the host loops GET+CLEAR:
    # higher is better.
    "stress_guest_writes_5s": ("stress", r"result: mode=clear-log .*guest_writes=(\d+)", "first"),
    "stress_log_rounds_5s": ("stress", r"result: mode=clear-log rounds=(\d+)", "first"),
    # Not a time: mmu_lock acquisitions by the dirty-log paths, per mode.
    "dirtylog_write_acq": ("lockstat-sites", r"lockstat-sites: dirty-log write_acq=(\d+)", "first"),
    "dirtylog_read_acq": ("lockstat-sites", r"lockstat-sites: dirty-log .*read_acq=(\d+)", "first"),
    "enablelog_write_acq": ("lockstat-sites", r"lockstat-sites: enable-log write_acq=(\d+)", "first"),
    "enablelog_read_acq": ("lockstat-sites", r"lockstat-sites: enable-log .*read_acq=(\d+)", "first"),
}


# Counts, not times: reported side by side, never as a ratio or plotted.
COUNTS = ("dirtylog_write_acq", "dirtylog_read_acq", "enablelog_write_acq",
          "enablelog_read_acq")
# Rates: more is better.  Every other metric is a time: less is better.
RATES = ("stress_guest_writes_5s", "stress_log_rounds_5s")


def gain(metric, patched, baseline):
    """How much better the patched kernel is: > 1 is better, for every metric
    (baseline/patched for times, patched/baseline for rates)."""
    if not patched or not baseline:
        return None
    return patched / baseline if metric in RATES else baseline / patched


def quartiles(xs):
    """First and third quartiles (inclusive method), None below 2 values."""
    if len(xs) < 2:
        return (None, None)
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return (q[0], q[2])


def fmt_ratio(x):
    return f"{x:.3f}" if x is not None else "n/a"


def extract(text, test, regex, how):
    """Values of a metric in one boot's console text, for one test."""
    # The guest indents each test's output with "# " just before its KTAP
    # line; take the block that ends with "ok N <test>".
    lines = text.splitlines()
    block, cur = {}, []
    for line in lines:
        m = vmtest.KTAP.match(line)
        if m:
            block[m.group(3)] = cur
            cur = []
        elif line.startswith("# "):
            cur.append(line[2:])
    out = block.get(test, [])
    vals = []
    for line in out:
        m = re.search(regex, line)
        if not m:
            continue
        if how == "iter2+":
            if int(m.group(1)) >= 2:
                vals.append(float(m.group(2)))
        else:
            vals.append(float(m.group(1)))
    if not vals:
        return None
    return statistics.median(vals) if how == "iter2+" else vals[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--patched", required=True)
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--modes", default="tdp,legacy-tdp,shadow")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--out", default="build/bench")
    ap.add_argument("--timeout", type=int, default=900)
    ap.add_argument("--plan", default="bench")
    # Histogram triggers enable the events they count, and the patched kernel
    # has more of them on the fault path: none in timed runs.
    ap.add_argument("--append", default="fastpf.hist=0",
                    help="extra kernel parameters")
    ap.add_argument("--from-logs", action="store_true",
                    help="boot nothing: recompute the report from the console "
                         "logs a previous run kept in --out")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    kernels = {"baseline": args.baseline, "patched": args.patched}
    by_rep = {}   # (mode, metric, kernel, rep) -> value
    failures = []
    for mode in args.modes.split(","):
        for rep in range(args.reps):
            for name in ("baseline", "patched"):   # alternate, same emulator
                ns = argparse.Namespace(
                    kernel=kernels[name], initrd=args.initrd, plan=args.plan,
                    timeout=args.timeout, logdir=os.path.join(args.out, name),
                    append=args.append, qemu="qemu-system-x86_64", accel=vmtest.ACCEL,
                    smp=None, cpu0=False, mem="4G")
                ns.smp = vmtest.default_smp(ns)
                os.makedirs(ns.logdir, exist_ok=True)
                kept = os.path.join(ns.logdir, f"{mode}.{rep}.console.log")
                if args.from_logs:
                    if not os.path.exists(kept):
                        continue
                    with open(kept, errors="replace") as f:
                        r = vmtest.parse(f.read(), mode, False, 0, kept, 0)
                else:
                    r = vmtest.run_mode(ns, mode)
                    os.replace(r["log"], kept)
                failed = [t for t, (o, _) in r["tests"].items() if not o]
                ok = not r["problems"] and r["tests"] and not failed
                print(f"bench: {mode} rep {rep} {name}: {'ok' if ok else 'FAILED'} "
                      f"({r['elapsed']:.0f}s)", flush=True)
                if r["problems"] or not r["tests"]:
                    # A kernel problem taints the whole boot.
                    failures.append(f"{mode} rep {rep} {name}: {r['problems'][:3]}")
                    continue
                if failed:
                    failures.append(f"{mode} rep {rep} {name}: test(s) failed, "
                                    f"not counted: {', '.join(failed)}")
                for metric, (test, regex, how) in METRICS.items():
                    if test in failed:
                        continue
                    v = extract(r["text"], test, regex, how)
                    if v is not None:
                        by_rep[(mode, metric, name, rep)] = v

    rows = []
    for mode in args.modes.split(","):
        for metric in METRICS:
            b, p = ([by_rep[(mode, metric, name, i)] for i in range(args.reps)
                     if (mode, metric, name, i) in by_rep]
                    for name in ("baseline", "patched"))
            if not b or not p:
                continue
            mb, mp = statistics.median(b), statistics.median(p)
            # The two boots of one rep run back to back: their ratio cancels
            # the emulator's drift over the run.
            paired = [by_rep[(mode, metric, "patched", i)] /
                      by_rep[(mode, metric, "baseline", i)]
                      for i in range(args.reps)
                      if (mode, metric, "patched", i) in by_rep
                      and by_rep.get((mode, metric, "baseline", i))]
            paired_gain = [gain(metric, x, 1.0) for x in paired if x]
            rows.append({
                "mode": mode, "metric": metric, "n_baseline": len(b), "n_patched": len(p),
                "baseline_median": mb, "patched_median": mp,
                "baseline_min": min(b), "baseline_max": max(b),
                "patched_min": min(p), "patched_max": max(p),
                "ratio": mp / mb if mb else None,
                # spread of the ratio: the extremes of the two samples
                "ratio_lo": min(p) / max(b) if max(b) else None,
                "ratio_hi": max(p) / min(b) if min(b) else None,
                "baseline": b, "patched": p,
                "paired": paired,
                "paired_median": statistics.median(paired) if paired else None,
                # The same, as a gain: > 1 is better whatever the metric.
                "gain": gain(metric, mp, mb),
                "gain_lo": min(gain(metric, x, y) for x in p for y in b
                               if x and y) if all(p) and all(b) else None,
                "gain_hi": max(gain(metric, x, y) for x in p for y in b
                               if x and y) if all(p) and all(b) else None,
                # Per boot pair, as gains: median and quartiles (inclusive).
                "paired_gain": paired_gain,
                "paired_gain_median": statistics.median(paired_gain) if paired_gain else None,
                "paired_gain_q1": quartiles(paired_gain)[0],
                "paired_gain_q3": quartiles(paired_gain)[1],
            })

    print()
    print("Absolute times under QEMU TCG are not hardware figures; only the ratios carry.")
    print("ratio = patched/baseline (medians); gain = how much better the patched kernel "
          "is, > 1 better\n(baseline/patched for times, patched/baseline for rates), "
          "with its extremes over all boot pairs.")
    print(f"{'mode':<11} {'metric':<22} {'baseline':>10} {'patched':>10} {'ratio':>7} "
          f"{'gain':>6}  gain extremes    paired ratios: median [min, max]  "
          f"paired gains: median (q1-q3)")
    for r in rows:
        if r["metric"] in COUNTS:
            continue
        print(f"{r['mode']:<11} {r['metric']:<22} {r['baseline_median']:>10.4f} "
              f"{r['patched_median']:>10.4f} {fmt_ratio(r['ratio']):>7} "
              f"{fmt_ratio(r['gain']):>6}  "
              f"[{fmt_ratio(r['gain_lo'])}, {fmt_ratio(r['gain_hi'])}]  "
              f"n={r['n_baseline']}/{r['n_patched']}  "
              f"{fmt_ratio(r['paired_median'])} "
              f"[{fmt_ratio(min(r['paired'], default=None))}, "
              f"{fmt_ratio(max(r['paired'], default=None))}] n={len(r['paired'])}  "
              f"{fmt_ratio(r['paired_gain_median'])} "
              f"({fmt_ratio(r['paired_gain_q1'])}-{fmt_ratio(r['paired_gain_q3'])})")
    counts = [r for r in rows if r["metric"] in COUNTS]
    if counts:
        print("\nmmu_lock acquisitions by the dirty-log ioctls and by enabling the "
              "log (lockstat; dirty_log_perf_test -i 5, then -g -i 3, per boot; all "
              "boots listed):")
        for r in counts:
            print(f"{r['mode']:<11} {r['metric']:<22} baseline {r['baseline']}  "
                  f"patched {r['patched']}")
    with open(os.path.join(args.out, "bench.json"), "w") as f:
        json.dump({"reps": args.reps, "rows": rows, "failures": failures,
                   "note": "QEMU TCG; ratios patched/baseline; medians"}, f, indent=1)
    plot(rows, args.out)
    if failures:
        print("\nbench: failed boots (not counted):")
        for f in failures:
            print("  " + f)
    print(f"\nbench: {os.path.join(args.out, 'bench.json')}, {os.path.join(args.out, 'bench.png')}")
    return 1 if failures else 0


def plot(rows, out):
    if not rows:
        return
    rows = [r for r in rows if r["metric"] not in COUNTS and r["gain"] is not None
            and r["gain_lo"] is not None and r["gain_hi"] is not None]
    if not rows:
        return
    dat = os.path.join(out, "bench.dat")
    with open(dat, "w") as f:
        for i, r in enumerate(rows):
            f.write(f"{i} {r['gain']:.4f} {r['gain_lo']:.4f} {r['gain_hi']:.4f} "
                    f"\"{r['mode']}:{r['metric']}\"\n")
    # One direction for every metric: above 1 the patched kernel is better.
    script = f"""
set terminal pngcairo size 1200,600 noenhanced
set xrange [-0.5:{len(rows) - 0.5}]
set bmargin 12
set lmargin 18
set output '{os.path.join(out, "bench.png")}'
set title 'gain of the patched kernel over the baseline (median; bars: extremes over boot pairs; log scale), QEMU TCG'
set ylabel "gain, > 1 is better\\n(times: baseline/patched\\nrates: patched/baseline)" offset -2,0
set xtics rotate by -40 font ',8'
set grid ytics
# Log scale: a gain of 2 and a loss of 2 (0.5) lie equally far from 1.
set logscale y 2
set yrange [*:*]
plot '{dat}' using 1:2:3:4:xtic(5) with yerrorbars title 'gain', 1 with lines title ''
"""
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"bench: gnuplot failed: {e}")


if __name__ == "__main__":
    sys.exit(main())

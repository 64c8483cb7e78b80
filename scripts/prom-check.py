#!/usr/bin/env python3
"""The tools' --prom output, checked with real parts, on the host.

usage: prom-check.py CONSOLE_LOG...

In make check's VM boots, trace-fastpf-vs-stats.sh and
lockstat-vs-lock_stat.sh (PROM_DUMP=1) keep each tool's last --prom file
and its JSON reports, and vm/init prints them whole ("# dump-begin NAME" ..
"# dump-end NAME").  For every boot (MMU mode) and tool this checks that:

  - promtool check metrics accepts the file (Debian's prometheus package);
  - every value equals the JSON: trace-fastpf's summary (cumulative, as the
    file) and features object (metric_live), lockstat's interval reports
    summed per VM (the file holds totals since the VM was found), its VM
    states and source; every JSON VM is in the file; no series of a compared
    family lacks a JSON counterpart.  Not compared: lockstat's call-site
    families (its JSON lists only the top call sites of each interval);
  - a real prometheus-node-exporter on 127.0.0.1 with only the textfile
    collector serves every sample of the file, with the same value, to curl,
    and reports no textfile scrape error.

Counts are compared exactly.  Prints one line per check and
"prom-check: N passed, N failed"; exit 1 if anything failed.
"""
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tools", "common"))
sys.dont_write_bytecode = True
import json_schema  # noqa: E402

passed = failed = 0


def result(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
    print(f"prom-check: {'ok' if ok else 'FAIL'} - {what}"
          + (f": {detail}" if detail and not ok else ""), flush=True)
    return ok


def dumps(path):
    """{name: text} of the dump blocks in a console log."""
    out, cur, lines = {}, None, []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n")
            m = re.match(r"# dump-(begin|end) (\S+)$", line)
            if m and m.group(1) == "begin":
                cur, lines = m.group(2), []
            elif m and cur:
                out[cur] = "".join(lines)
                cur = None
            elif cur is not None and line.startswith("#"):
                # dump lines are "# "-prefixed: a kernel message is not one
                lines.append((line[2:] if line.startswith("# ") else line[1:]) + "\n")
    return out


LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def unescape(v):
    """A label value as written, in one pass (a backslash then n stays so)."""
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), v)


def label_key(raw):
    """Sorted (label, value) pairs; le as a number (node_exporter reformats it)."""
    out = []
    for k, v in LABEL.findall(raw or ""):
        v = unescape(v)
        if k == "le":
            v = repr(math.inf if v == "+Inf" else float(v))
        out.append((k, v))
    return tuple(sorted(out))


def parse_prom(text):
    """{(name, ((label, value), ...)): float}; duplicates raise."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        if not m:
            raise ValueError(f"bad sample line: {line!r}")
        key = (m.group(1), label_key(m.group(3)))
        if key in samples:
            raise ValueError(f"duplicate series: {line!r}")
        v = m.group(4)
        samples[key] = math.inf if v == "+Inf" else float(v)
    return samples


class Expect:
    """The samples the JSON predicts; compare() checks them both ways."""

    def __init__(self):
        self.want = {}

    def add(self, name, labels, value):
        key = (name, tuple(sorted(labels.items())))
        self.want[key] = value

    def hist(self, name, labels, slots, total_sum, div, nr_slots):
        """slots: {lo: count} as json_log2_hist prints the non-empty ones;
        a bucket per slot but the last (open) one, then +Inf."""
        cum = 0
        for k in range(0, nr_slots - 1):
            lo = 0 if k == 0 else 1 << (k - 1)
            cum += slots.get(lo, 0)
            le = float(f"{((1 << k) - 1) / div:.12g}")
            self.want[(name + "_bucket",
                       tuple(sorted(dict(labels, le=repr(le)).items())))] = cum
        total = sum(slots.values())
        self.want[(name + "_bucket",
                   tuple(sorted(dict(labels, le=repr(math.inf)).items())))] = total
        self.want[(name + "_count", tuple(sorted(labels.items())))] = total
        self.want[(name + "_sum", tuple(sorted(labels.items())))] = total_sum / div

    def compare(self, got, prefixes, what):
        bad = self.mismatches(got, prefixes)
        n = len([k for k in self.want if k in got])
        result(not bad, f"{what}: {n} samples equal the JSON",
               "; ".join(bad[:5]) + (f" (+{len(bad) - 5} more)" if len(bad) > 5 else ""))
        # The comparison must be able to fail: one value changed, one
        # series added, must each be caught.
        key = next((k for k in self.want if k in got and not k[0].endswith("_bucket")), None)
        if key is not None:
            changed = dict(got)
            changed[key] = got[key] + 1
            extra = dict(got)
            extra[(key[0], key[1] + (("zz_extra", "1"),))] = 0
            result(bool(self.mismatches(changed, prefixes)) and
                   bool(self.mismatches(extra, prefixes)),
                   f"{what}: a changed value and an extra series are caught")

    def mismatches(self, got, prefixes):
        bad = []
        for key, v in self.want.items():
            g = got.get(key)
            if g is None:
                bad.append(f"missing {fmt(key)} (JSON {v})")
            elif not same(g, v):
                bad.append(f"{fmt(key)} = {g}, JSON {v}")
        for key in got:
            if key[0].startswith(prefixes) and key not in self.want:
                bad.append(f"{fmt(key)} has no JSON counterpart")
        return bad


def same(a, b):
    if isinstance(b, float) and not b.is_integer():
        return a == b or abs(a - b) <= 1e-15 * max(abs(a), abs(b))
    return a == b


def fmt(key):
    return key[0] + "{" + ",".join(f'{k}="{v}"' for k, v in key[1]) + "}"


def slots_of(hist):
    return {h["lo"]: h["count"] for h in (hist or [])}


def schema(lines, tool, what):
    """The shared schema (tools/common/json_schema.py) on records with real
    VMs in them; the dump is a subset of a run."""
    bad = json_schema.problems(lines, tool, False)
    vms = sum(len(o.get("vms", [])) for o in lines)
    result(not bad and vms > 0, f"{what}: the shared JSON schema ({vms} VM objects)",
           "; ".join(bad[:5]) or "no VM in the JSON")


def expect_trace_fastpf(json_text, got, what):
    lines = [json.loads(x) for x in json_text.splitlines() if x.strip()]
    schema(lines, "trace-fastpf", what)
    s = [x for x in lines if x["type"] == "summary"][-1]
    feats = [x for x in lines if x["type"] == "features"]
    e = Expect()
    for name, m in (feats[-1]["metrics"] if feats else {}).items():
        e.add("kvm_fastpf_metric_live", {"metric": name}, 1 if m["live"] else 0)
    result(bool(feats), f"{what}: the features object is in the dump")
    destroyed = sum(1 for vm in s["vms"] if vm["state"] == "exited")
    ids = {dict(k[1]).get("vm_id") for k in got if k[0] == "kvm_fastpf_vm_destroyed"}
    lost = [vm["vm_id"] for vm in s["vms"] if str(vm["vm_id"]) not in ids]
    result(not lost or destroyed > 64, f"{what}: every JSON VM is in the file",
           f"VMs {lost} missing")
    for vm in s["vms"]:
        if str(vm["vm_id"]) not in ids:
            continue
        base = {"name": vm["name"], "pid": str(vm["pid"]), "vm_id": str(vm["vm_id"])}
        for c in vm["vcpus"]:
            lv = dict(base, vcpu=str(c["vcpu"]))
            if c["fast"] is not None:
                e.add("kvm_fastpf_pf_fast_total", lv, c["fast"]["fixed"])
                e.add("kvm_fastpf_pf_fast_spurious_total", lv, c["fast"]["spurious"])
                e.add("kvm_fastpf_fast_fallbacks_total", lv, c["fast"]["slow"])
                e.add("kvm_fastpf_fast_calls_total", lv, c["fast"]["calls"])
            for j, p in (("passes", "kvm_fastpf_fast_passes_total"),
                         ("retries", "kvm_fastpf_fast_retries_total"),
                         ("cmpxchg_lost", "kvm_fastpf_cmpxchg_lost_total"),
                         ("faults", "kvm_fastpf_page_faults_total"),
                         ("wp_faults", "kvm_fastpf_write_protect_faults_total"),
                         ("tdp_faults", "kvm_fastpf_tdp_faults_total")):
                if c.get(j) is not None:
                    e.add(p, lv, c[j])
        for j, p, lab in (("pass_outcome", "kvm_fastpf_pass_outcomes_total", "outcome"),
                          ("stale_retries", "kvm_fastpf_stale_retries_total", "reason")):
            for k, v in (vm[j] or {}).items():
                e.add(p, dict(base, **{lab: k}), v)
        e.add("kvm_fastpf_vm_destroyed", base, 1 if vm["state"] == "exited" else 0)
        inv = vm["invalidations"]
        if inv is not None:
            if inv.get("by_source") is not None:
                for k, v in inv["by_source"].items():
                    e.add("kvm_fastpf_invalidations_total", dict(base, source=k), v)
            else:
                e.add("kvm_fastpf_invalidations_total", base, inv["end"])
        w = vm["wrprot"]
        if w is not None:
            for lock, j in (("none", "no_lock"), ("read", "read_lock"), ("write", "write_lock")):
                e.add("kvm_fastpf_wrprot_batches_total", dict(base, lock=lock), w["batches_" + j])
                e.add("kvm_fastpf_wrprot_sptes_total", dict(base, lock=lock), w["sptes_" + j])
        for k, v in (vm.get("mmu_notifier") or {}).items():
            if v is not None:
                e.add("kvm_fastpf_mmu_notifier_events_total", dict(base, event=k), v)
        if vm["retries_hist"] is not None:
            e.hist("kvm_fastpf_fault_retries", base, slots_of(vm["retries_hist"]),
                   vm["retries"] or 0, 1, 40)
        if vm["latency_hist_ns"] is not None:
            e.hist("kvm_fastpf_page_fault_duration_seconds", base,
                   slots_of(vm["latency_hist_ns"]), vm["fault_ns"] or 0, 1e9, 40)
    for k, v in (s.get("mmu_notifier_other") or {}).items():
        if v is not None:
            e.add("kvm_fastpf_host_mmu_notifier_events_total", {"event": k}, v)
    for k, v in s["drops"].items():
        e.add("kvm_fastpf_drops_total", {"reason": k}, v)
    for k, v in s["missed"].items():
        e.add("kvm_fastpf_probe_missed_total", {"probe": k}, v)
    e.compare(got, ("kvm_fastpf_pf", "kvm_fastpf_fast", "kvm_fastpf_cmpxchg",
                    "kvm_fastpf_page", "kvm_fastpf_wrprot", "kvm_fastpf_inval",
                    "kvm_fastpf_drops", "kvm_fastpf_fault", "kvm_fastpf_vm",
                    "kvm_fastpf_pass", "kvm_fastpf_stale", "kvm_fastpf_probe",
                    "kvm_fastpf_metric", "kvm_fastpf_write", "kvm_fastpf_tdp",
                    "kvm_fastpf_mmu", "kvm_fastpf_host"),
              f"{what}: the summary")
    return len(s["vms"])


def expect_lockstat(json_text, got, what):
    lines = [json.loads(x) for x in json_text.splitlines() if x.strip()]
    schema(lines, "lockstat", what)
    summary = [x for x in lines if x["type"] == "summary"]
    lines = [x for x in lines if x["type"] == "interval"]
    ids = {dict(k[1]).get("vm_id") for k in got if k[0] == "kvm_mmu_lock_vm_exited"}
    acc = {}
    for rep in lines:
        for vm in rep["vms"]:
            a = acc.setdefault(str(vm["vm_id"]), {"vm": vm, "modes": {}})
            a["vm"] = vm    # the last appearance: its state
            for mode, d in vm["modes"].items():
                t = a["modes"].setdefault(mode, {"wh": {}, "hh": {}})
                for f in ("acquired", "contended", "wait_total_ns", "hold_total_ns"):
                    if d.get(f) is not None:
                        t[f] = t.get(f, 0) + d[f]
                for f, h in (("wait_hist_ns", "wh"), ("hold_hist_ns", "hh")):
                    if f in d:
                        t[h + "_on"] = True
                        for lo, c in slots_of(d[f]).items():
                            t[h][lo] = t[h].get(lo, 0) + c
    e = Expect()
    exited = sum(1 for a in acc.values() if a["vm"]["state"] == "exited")
    lost = [v for v in acc if v not in ids]
    result(not lost or exited > 64, f"{what}: every JSON VM is in the file",
           f"VMs {lost} missing")
    e.add("kvm_mmu_lock_source_info", {"source": lines[-1]["source"]}, 1)
    for vid, a in acc.items():
        vm = a["vm"]
        if vid not in ids:
            continue
        e.add("kvm_mmu_lock_vm_exited", {"name": vm["name"], "pid": str(vm["pid"]),
                                         "vm_id": vid}, 1 if vm["state"] == "exited" else 0)
        for mode, t in a["modes"].items():
            lv = {"name": vm["name"], "pid": str(vm["pid"]), "vm_id": vid, "mode": mode}
            if "acquired" in t:
                e.add("kvm_mmu_lock_acquisitions_total", lv, t["acquired"])
            if "contended" in t:
                e.add("kvm_mmu_lock_contentions_total", lv, t["contended"])
            if t.get("wh_on"):
                e.hist("kvm_mmu_lock_wait_seconds", lv, t["wh"], t.get("wait_total_ns", 0), 1e9, 32)
            if t.get("hh_on"):
                e.hist("kvm_mmu_lock_hold_seconds", lv, t["hh"], t.get("hold_total_ns", 0), 1e9, 32)
    # loss counters: per interval in "interval", since start in "summary"
    for k in lines[-1]["drops"]:
        e.add("kvm_mmu_lock_drops_total", {"reason": k},
              sum(x["drops"][k] for x in lines))
    e.add("kvm_mmu_lock_bpf_recursion_misses_total", {},
          sum(sum(x["missed"].values()) for x in lines))
    if summary:
        same_totals(summary[-1], lines, what)
    e.compare(got, ("kvm_mmu_lock_acq", "kvm_mmu_lock_cont", "kvm_mmu_lock_wait",
                    "kvm_mmu_lock_hold", "kvm_mmu_lock_drops", "kvm_mmu_lock_bpf",
                    "kvm_mmu_lock_vm", "kvm_mmu_lock_source"),
              f"{what}: {len(lines)} interval reports summed per VM")
    return len(acc)


def same_totals(s, intervals, what):
    """The summary's counts are the intervals' sums, VM by VM (the last
    64 exited VMs are kept), and its loss counters too."""
    want = {}
    for rep in intervals:
        for vm in rep["vms"]:
            for mode, d in vm["modes"].items():
                for f in ("acquired", "contended", "hold_count"):
                    if d.get(f) is not None:
                        k = (vm["vm_id"], mode, f)
                        want[k] = want.get(k, 0) + d[f]
    have = {}
    for vm in s["vms"]:
        for mode, d in vm["modes"].items():
            for f in ("acquired", "contended", "hold_count"):
                if d.get(f) is not None:
                    have[(vm["vm_id"], mode, f)] = d[f]
    # a VM found by a scan before the first report counts from then on:
    # the summary may only miss VMs, never disagree on one it lists
    diff = [(k, want.get(k, 0), v) for k, v in have.items() if want.get(k, 0) != v]
    for k in ("drops", "missed"):
        for name, v in s[k].items():
            w = sum(x[k].get(name, 0) for x in intervals)
            if w != v:
                diff.append(((k, name), w, v))
    result(not diff, f"{what}: the summary equals the sum of the intervals",
           f"(key, intervals, summary): {diff[:5]}")


def promtool(text, what):
    tool = shutil.which("promtool")
    if not tool:
        return result(False, f"{what}: promtool check metrics",
                      "no promtool (scripts/deps.sh installs prometheus)")
    p = subprocess.run([tool, "check", "metrics"], input=text, text=True,
                       capture_output=True)
    return result(p.returncode == 0, f"{what}: promtool check metrics",
                  (p.stdout + p.stderr).strip()[:300])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_exporter(files, what):
    exe = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
    curl = shutil.which("curl")
    if not exe or not curl:
        return result(False, f"{what}: node_exporter serves the files",
                      "no prometheus-node-exporter or curl (scripts/deps.sh)")
    with tempfile.TemporaryDirectory() as d:
        for name, text in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        port = free_port()
        proc = subprocess.Popen(
            [exe, f"--web.listen-address=127.0.0.1:{port}",
             "--collector.disable-defaults", "--collector.textfile",
             f"--collector.textfile.directory={d}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            served, deadline = None, time.monotonic() + 20
            while time.monotonic() < deadline and proc.poll() is None:
                p = subprocess.run([curl, "-sf", "--max-time", "5",
                                    f"http://127.0.0.1:{port}/metrics"],
                                   capture_output=True, text=True)
                if p.returncode == 0:
                    served = p.stdout
                    break
                time.sleep(0.2)
        finally:
            proc.terminate()
            try:
                _, err = proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
        if served is None:
            return result(False, f"{what}: node_exporter serves the files",
                          f"no answer on 127.0.0.1:{port}; {err.strip()[-300:]}")
        got = {}
        for line in served.splitlines():
            m = LINE.match(line)
            if m and not line.startswith("#"):
                v = m.group(4)
                got[(m.group(1), label_key(m.group(3)))] = \
                    math.inf if v == "+Inf" else float(v)
        bad, n = [], 0
        for name, text in files.items():
            for key, v in parse_prom(text).items():
                g = got.get(key)
                if g is None or not same(g, v):
                    bad.append(f"{fmt(key)}: file {v}, served {g}")
                n += 1
        errs = [v for k, v in got.items() if k[0] == "node_textfile_scrape_error"]
        ok = not bad and errs == [0.0]
        return result(ok, f"{what}: node_exporter serves all {n} samples with their values",
                      "; ".join(bad[:5]) + f" (scrape_error {errs})")


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    for log in sys.argv[1:]:
        mode = os.path.basename(log).split(".")[0]
        d = dumps(log)
        files = {}
        for tool, fn in (("trace-fastpf", expect_trace_fastpf), ("lockstat", expect_lockstat)):
            what = f"{mode} {tool}"
            if not result(f"{tool}.prom" in d and f"{tool}.json" in d,
                          f"{what}: --prom file and JSON in the console log",
                          "no dump (did the test run with PROM_DUMP=1?)"):
                continue
            text = d[f"{tool}.prom"]
            files[f"{tool}.prom"] = text
            promtool(text, what)
            try:
                got = parse_prom(text)
            except ValueError as e:
                result(False, f"{what}: parse", str(e))
                continue
            try:
                nvms = fn(d[f"{tool}.json"], got, what)
                result(nvms > 0, f"{what}: the file has a VM ({nvms})")
            except (KeyError, ValueError, IndexError, TypeError) as e:
                result(False, f"{what}: JSON comparison", repr(e))
        if files:
            node_exporter(files, mode)
    print(f"prom-check: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

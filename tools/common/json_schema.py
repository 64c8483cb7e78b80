# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The NDJSON schema lockstat and trace-fastpf share
(Documentation/tools-cli.md, "JSON output"): one checker for the tools'
argument tests (test-lib.sh json_schema) and for scripts/prom-check.py.

    python3 json_schema.py FILE TOOL    # FILE: one whole -j run
"""
import json
import sys

HEAD = ["ts_ns", "time", "interval_ns", "final", "source"]
TAIL = ("vms", "vms_not_shown", "total", "drops", "missed")
VM = ("vm_id", "name", "pid", "comm", "state")


def problems(lines, tool, whole_run):
    """What in @lines (parsed objects) breaks the schema.  @whole_run: the
    lines are a whole -j run (features first, one final summary last);
    else any subset of its records."""
    bad = []
    for n, o in enumerate(lines, 1):
        if list(o)[:3] != ["type", "tool", "schema"] or o["tool"] != tool \
                or o["schema"] != 1:
            bad.append(f"line {n}: starts {list(o)[:3]}")
            continue
        t = o["type"]
        if t == "features":
            bad += [f"line {n}: features without {k}"
                    for k in ("kernel", "source", "source_detail", "metrics", "probes")
                    if k not in o]
            for m, v in o.get("metrics", {}).items():
                if not isinstance(v.get("live"), bool) or \
                        not ("source" in v or "reason" in v):
                    bad.append(f"line {n}: metric {m}: {v}")
            for p in o.get("probes", []):
                if not isinstance(p.get("name"), str) or \
                        not isinstance(p.get("available"), bool) or \
                        not (p["available"] or "reason" in p):
                    bad.append(f"line {n}: probe {p}")
            continue
        if t not in ("interval", "summary"):
            bad.append(f"line {n}: type {t}")
            continue
        if list(o)[3:8] != HEAD or not isinstance(o["final"], bool):
            bad.append(f"line {n}: head {list(o)[3:8]}")
        bad += [f"line {n}: {t} without {k}" for k in TAIL if k not in o]
        for vm in o.get("vms", []):
            miss = [k for k in VM if k not in vm]
            if miss or vm.get("state") not in ("live", "exited") or "kvm" in vm:
                bad.append(f"line {n}: VM {vm.get('vm_id')}: missing {miss}, state "
                           f"{vm.get('state')} or an address without -v")
    if whole_run:
        rec = [o for o in lines if o.get("type") != "features"]
        iv = [o for o in rec if o.get("type") == "interval"]
        if not lines or lines[0].get("type") != "features":
            bad.append("the first record is not 'features'")
        if rec and (rec[-1].get("type") != "summary" or not rec[-1].get("final")):
            bad.append("the last record is not a final summary")
        if rec and (len(rec) != len(iv) + 1 or not iv or not iv[-1].get("final")
                    or any(o.get("final") for o in iv[:-1])):
            bad.append("not intervals with final on the last only, then one summary")
    return bad


def main():
    with open(sys.argv[1]) as f:
        lines = [json.loads(x) for x in f if x.strip()]
    bad = problems(lines, sys.argv[2], True)
    if not lines:
        bad.append("no output")
    for b in bad[:5]:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

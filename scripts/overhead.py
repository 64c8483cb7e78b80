#!/usr/bin/env python3
"""Medians and ratios of the tool-overhead plan's output, per MMU mode."""
import re
import statistics
import sys

for path in sys.argv[1:]:
    runs = {}
    for line in open(path, errors="replace"):
        m = re.search(r"overhead: tool=(\S+) rep=\d+ dirty_s=([\d.]+)", line)
        if m:
            runs.setdefault(m.group(1), []).append(float(m.group(2)))
    if "none" not in runs:
        print(f"{path}: no baseline runs")
        continue
    base = statistics.median(runs["none"])
    print(f"{path}: dirty_log_perf_test -v 2 -b 16M, iteration dirty-memory time")
    for tool, vals in sorted(runs.items()):
        med = statistics.median(vals)
        print(f"  {tool:<13} median {med:.4f}s  ratio {med / base:.3f}  "
              f"runs {' '.join(f'{v:.4f}' for v in vals)}")

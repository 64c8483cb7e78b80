/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --prog-stats: what each of the tool's BPF programs cost, from the
 * kernel's own accounting (bpf_prog_info run_cnt and run_time_ns, kept
 * while run-time statistics are enabled: BPF_ENABLE_STATS, as
 * kernel.bpf_stats_enabled=1 does host-wide).
 *
 *	prog_stats_enable();		// before the programs run
 *	...
 *	prog_stats_print(stdout, obj);	// or prog_stats_json(j, obj)
 */
#ifndef __TOOLS_PROGSTATS_H
#define __TOOLS_PROGSTATS_H

#include <stdio.h>

struct bpf_object;
struct json;

/*
 * Turn on run-time statistics for as long as the tool runs.  0, or -errno
 * (then only a host-wide kernel.bpf_stats_enabled=1 gives numbers).
 */
int prog_stats_enable(void);
/* prog_stats_enable() with a warning on stderr if no costs can be counted */
void prog_stats_start(const char *tool);
/* whether run times are being counted (by us or host-wide) */
int prog_stats_on(void);
/* a table: program, runs, mean ns per run, total ms; loaded programs only */
void prog_stats_print(FILE *f, struct bpf_object *obj);
/* "prog_stats": {PROGRAM: {"runs", "run_ns"}} in the current object */
void prog_stats_json(struct json *j, struct bpf_object *obj);

#endif /* __TOOLS_PROGSTATS_H */

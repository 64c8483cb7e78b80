/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --prom FILE: the Prometheus text exposition format (0.0.4, what
 * node_exporter's textfile collector reads), rewritten atomically at each
 * report: the exposition goes to a temporary file in FILE's directory,
 * which is then renamed over FILE, so a reader never sees half of one.
 *
 *	struct prom *p;
 *	if (prom_open(&p, path))		// before attaching: bad path = usage error
 *		...
 *	prom_begin(p);
 *	prom_family(p, "x_faults_total", "counter", "Faults.");
 *	prom_u64(p, "x_faults_total", labels, nlabels, 42);
 *	prom_commit(p);				// 0 or -errno
 *	prom_close(p);
 *
 * All samples of a family follow its prom_family() (the format requires
 * it), so a tool writes family by family, each over all its VMs.
 * Counters are totals (since the tool started, or since it found the VM),
 * as Prometheus expects: they only grow.
 */
#ifndef __TOOLS_PROM_H
#define __TOOLS_PROM_H

#include <linux/types.h>

struct prom;

struct prom_label {
	const char *name;
	const char *value;
};

/* 0, or -errno if no temporary file can be created beside @path */
int prom_open(struct prom **pp, const char *path);
/* removes a temporary file left by a failed commit */
void prom_close(struct prom *p);

/* start an exposition; 0 or -errno */
int prom_begin(struct prom *p);
/* "# HELP" and "# TYPE" lines; @type: counter, gauge or histogram */
void prom_family(struct prom *p, const char *name, const char *type,
		 const char *help);
void prom_u64(struct prom *p, const char *name, const struct prom_label *l,
	      int nl, __u64 v);
void prom_double(struct prom *p, const char *name,
		 const struct prom_label *l, int nl, double v);
/*
 * A histogram from log2 slots (bits.bpf.h: slot 0 holds 0, slot k holds
 * [2^(k-1), 2^k - 1], the last slot everything above): cumulative
 * @name_bucket{le=...} with le = (2^k - 1) / @div for every slot but the
 * last, then le="+Inf", @name_sum = @sum / @div and @name_count.  @div
 * converts the unit (1e9: ns to seconds); dividing keeps 100 ns 1e-07.
 */
void prom_log2_hist(struct prom *p, const char *name,
		    const struct prom_label *l, int nl, const __u64 *slots,
		    int nr_slots, double div, __u64 sum);
/* write, fsync and rename over the file; 0 or -errno (the file is kept) */
int prom_commit(struct prom *p);

#endif /* __TOOLS_PROM_H */

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lockstat: the reports: per-VM deltas, text and JSON, the summary */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lockstat-int.h"
#include "lockstat.skel.h"
#include "cli.h"
#include "json.h"
#include "progstats.h"
#include "trace_helpers.h"
#include "vmname.h"

/* ------------------------------------------------------------------ */
/* snapshots                                                           */

/* stats of one VM slot at the previous report */
static struct prev_vm {
	__u32 vm_id;
	struct ls_mode_stats st[LS_NR_MODES];
	__u64 wait_max[LS_NR_MODES], hold_max[LS_NR_MODES];	/* since found */
} prev_vm[LS_MAX_VMS];

void read_drops(__u64 *out)
{
	int ncpu = libbpf_num_possible_cpus(), fd, i, c;
	__u64 *vals;

	memset(out, 0, LS_DROP_NR * sizeof(*out));
	if (ncpu <= 0)
		return;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return;
	fd = bpf_map__fd(skel->maps.drops);
	for (i = 0; i < LS_DROP_NR; i++) {
		__u32 k = i;

		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	free(vals);
}

/* per program, in bpf_object__for_each_program() order */
#define LS_MAX_PROGS	64
static __u64 misses_cur[LS_MAX_PROGS], misses_prev[LS_MAX_PROGS];

static __u64 prog_misses(void)
{
	struct bpf_program *prog;
	__u64 sum = 0;
	int i = 0;

	bpf_object__for_each_program(prog, skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (i >= LS_MAX_PROGS)
			break;
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			misses_cur[i] = info.recursion_misses;
		sum += misses_cur[i++];
	}
	return sum;
}

/* ------------------------------------------------------------------ */
/* output                                                              */

static void print_hist(const __u64 *slots, const char *title)
{
	if (!hist_total(slots, LS_HIST_SLOTS))
		return;
	printf("    %s\n", title);
	print_log2_hist(stdout, slots, LS_HIST_SLOTS, "nsecs", 4);
}

static void mode_diff(const struct ls_mode_stats *cur,
		      const struct ls_mode_stats *prev, __u64 prev_epoch,
		      struct mode_delta *d)
{
	int i;

	d->acquired = cur->acquired - prev->acquired;
	d->contended = cur->contended - prev->contended;
	d->wait_total = cur->wait_total - prev->wait_total;
	d->hold_count = cur->hold_count - prev->hold_count;
	d->hold_total = cur->hold_total - prev->hold_total;
	for (i = 0; i < LS_HIST_SLOTS; i++) {
		d->wait_hist[i] = cur->wait_hist[i] - prev->wait_hist[i];
		d->hold_hist[i] = cur->hold_hist[i] - prev->hold_hist[i];
	}
	d->wait_max = cur->wait_max[prev_epoch & 1].epoch == prev_epoch ?
		      cur->wait_max[prev_epoch & 1].val : 0;
	d->hold_max = cur->hold_max[prev_epoch & 1].epoch == prev_epoch ?
		      cur->hold_max[prev_epoch & 1].val : 0;
}

static void json_mode(struct json *j, const struct mode_delta *d, bool wait,
		      bool hold, struct callsites *cs)
{
	json_begin_object(j);
	json_kv_u64_or_null(j, "acquired", hold, d->acquired);
	if (wait) {
		json_kv_u64(j, "contended", d->contended);
		json_kv_u64(j, "wait_total_ns", d->wait_total);
		json_kv_u64(j, "wait_avg_ns", d->contended ?
			    d->wait_total / d->contended : 0);
		json_kv_u64(j, "wait_max_ns", d->wait_max);
	} else {
		json_kv_null(j, "contended");
		json_kv_null(j, "wait_total_ns");
	}
	if (hold) {
		json_kv_u64(j, "hold_count", d->hold_count);
		json_kv_u64(j, "hold_total_ns", d->hold_total);
		json_kv_u64(j, "hold_avg_ns", d->hold_count ?
			    d->hold_total / d->hold_count : 0);
		json_kv_u64(j, "hold_max_ns", d->hold_max);
	} else {
		json_kv_null(j, "hold_total_ns");
	}
	if (wait) {
		json_key(j, "wait_hist_ns");
		json_log2_hist(j, d->wait_hist, LS_HIST_SLOTS);
	}
	if (hold) {
		json_key(j, "hold_hist_ns");
		json_log2_hist(j, d->hold_hist, LS_HIST_SLOTS);
	}
	if (cs && env.nstacks)
		json_callsites(j, cs, hold);
	json_end_object(j);
}

static void text_mode_row(int mode, const struct mode_delta *d, bool wait,
			  bool hold)
{
	char acq[32], cont[32], wt[32], wa[32], wm[32], ht[32], ha[32], hm[32];

	snprintf(acq, sizeof(acq), "%llu", (unsigned long long)d->acquired);
	snprintf(cont, sizeof(cont), "%llu", (unsigned long long)d->contended);
	fmt_ns(d->wait_total, wt, sizeof(wt));
	fmt_ns(d->contended ? d->wait_total / d->contended : 0, wa, sizeof(wa));
	fmt_ns(d->wait_max, wm, sizeof(wm));
	fmt_ns(d->hold_total, ht, sizeof(ht));
	fmt_ns(d->hold_count ? d->hold_total / d->hold_count : 0, ha, sizeof(ha));
	fmt_ns(d->hold_max, hm, sizeof(hm));
	printf("  %-5s %9s %9s %10s %9s %9s %10s %9s %9s\n", mode_names[mode],
	       hold ? acq : "-", wait ? cont : "-", wait ? wt : "-",
	       wait && d->contended ? wa : "-",
	       wait && d->contended ? wm : "-", hold ? ht : "-",
	       hold && d->hold_count ? ha : "-",
	       hold && d->hold_count ? hm : "-");
}

static void add_total(struct mode_delta *t, const struct mode_delta *d)
{
	int i;

	t->acquired += d->acquired;
	t->contended += d->contended;
	t->wait_total += d->wait_total;
	t->hold_count += d->hold_count;
	t->hold_total += d->hold_total;
	if (d->wait_max > t->wait_max)
		t->wait_max = d->wait_max;
	if (d->hold_max > t->hold_max)
		t->hold_max = d->hold_max;
	for (i = 0; i < LS_HIST_SLOTS; i++) {
		t->wait_hist[i] += d->wait_hist[i];
		t->hold_hist[i] += d->hold_hist[i];
	}
}

struct json *jw;
struct callsites cs_buf;

void free_slot(int slot, __u32 vm_id)
{
	struct ls_vm *vm = &skel->bss->vms[slot];
	__u32 key = slot;

	forget_vm_sites(vm_id);
	memset(&skel->bss->stats[slot], 0, sizeof(skel->bss->stats[slot]));
	memset(&prev_vm[slot], 0, sizeof(prev_vm[slot]));
	skel->bss->slot_gen[slot]++;
	vm->state = LS_VM_FREE;
	__atomic_store_n(&vm->kvm, 0, __ATOMIC_SEQ_CST);
	bpf_map_delete_elem(bpf_map__fd(skel->maps.slot_owner), &key);
}

/* the -s key of a VM: both modes */
static __u64 sort_value(const struct mode_delta *d)
{
	__u64 v = 0;
	int m;

	for (m = 0; m < LS_NR_MODES; m++) {
		switch (cli.sort_key) {
		case SORT_WAIT:		v += d[m].wait_total; break;
		case SORT_HOLD:		v += d[m].hold_total; break;
		case SORT_ACQ:		v += d[m].acquired; break;
		case SORT_CONTENDED:	v += d[m].contended; break;
		}
	}
	return v;
}

/*
 * --prom keeps the final totals of the last LS_PROM_EXITED VMs that exited
 * (in earlier reports), so that a scrape after a VM's exit still sees what
 * it did; their call sites are gone with their slots.
 */
#define LS_PROM_EXITED	64
static struct vm_row prom_rows[LS_MAX_VMS + LS_PROM_EXITED];
static struct vm_row prom_exited[LS_PROM_EXITED];
static int nr_prom_exited, next_prom_exited;

static __u64 drops_prev[LS_DROP_NR];

/* one VM of an "interval" (@d: its deltas) or of the "summary" (cumulative) */
static void json_vm(struct json *j, const struct vm_row *row,
		    const struct mode_delta *d, __u64 prev_epoch,
		    bool cumulative, bool wait, bool hold)
{
	const struct ls_vm *vm = &row->vm;
	char sbuf[32];
	int m;

	json_begin_object(j);
	json_kv_u64(j, "vm_id", vm->vm_id);
	json_kv_string(j, "name", row->name);
	json_kv_u64(j, "pid", vm->tgid);
	json_kv_string(j, "comm", vm->comm);
	json_kv_string(j, "state", row->gone || vm->state == LS_VM_DEAD ?
		       "exited" : "live");
	if (cli.verbose) {
		snprintf(sbuf, sizeof(sbuf), "0x%llx",
			 (unsigned long long)vm->kvm);
		json_kv_string(j, "kvm", sbuf);
		snprintf(sbuf, sizeof(sbuf), "0x%llx",
			 (unsigned long long)vm->lock);
		json_kv_string(j, "lock", sbuf);
	}
	if (vm->userspace_pid > 0)
		json_kv_s64(j, "userspace_pid", vm->userspace_pid);
	else
		json_kv_null(j, "userspace_pid");
	json_kv_string(j, "found_by", vm->found_by == LS_FOUND_CREATE ?
		       "create" : "scan");
	json_key(j, "modes");
	json_begin_object(j);
	for (m = LS_NR_MODES - 1; m >= 0; m--) {
		/* an exited VM's call sites went with its slot */
		cs_buf.n = 0;
		if (!row->gone)
			collect_sites(vm->vm_id, m, prev_epoch, &cs_buf, hold,
				      cumulative);
		json_key(j, mode_names[m]);
		json_mode(j, &d[m], wait, hold, &cs_buf);
	}
	json_end_object(j);
	json_end_object(j);
}

/* "total", "drops" and "missed": per interval, or since start */
static void json_tail(struct json *j, const struct mode_delta *total,
		      const __u64 *drops, bool wait, bool hold, bool cumulative)
{
	struct bpf_program *prog;
	int i = 0, m;

	json_key(j, "total");
	json_begin_object(j);
	for (m = LS_NR_MODES - 1; m >= 0; m--) {
		json_key(j, mode_names[m]);
		json_mode(j, &total[m], wait, hold, NULL);
	}
	json_end_object(j);
	json_key(j, "drops");
	json_begin_object(j);
	for (i = 0; i < LS_DROP_NR; i++)
		json_kv_u64(j, drop_names[i], drops[i] -
			    (cumulative ? 0 : drops_prev[i]));
	json_end_object(j);
	/* per program: events the kernel did not run it for (recursion) */
	json_key(j, "missed");
	json_begin_object(j);
	i = 0;
	bpf_object__for_each_program(prog, skel->obj) {
		if (i >= LS_MAX_PROGS)
			break;
		if (bpf_program__fd(prog) >= 0)
			json_kv_u64(j, bpf_program__name(prog), misses_cur[i] -
				    (cumulative ? 0 : misses_prev[i]));
		i++;
	}
	json_end_object(j);
}

/* after the final interval: every VM since it was found, and run totals */
static void json_summary(const struct report *r, const struct vm_row *rows,
			 int n, bool wait, bool hold)
{
	static struct cli_vm_order order[LS_MAX_VMS + LS_PROM_EXITED];
	struct mode_delta total[LS_NR_MODES] = {};
	int i, m, shown;

	for (i = 0; i < n; i++) {
		for (m = 0; m < LS_NR_MODES; m++)
			add_total(&total[m], &rows[i].cum[m]);
		order[i] = (struct cli_vm_order){ .name = rows[i].name,
			.pid = rows[i].vm.tgid, .value = sort_value(rows[i].cum),
			.index = i };
	}
	shown = cli_sort_vms(order, n);
	json_begin_record(jw, "summary", TOOL);
	json_record_head(jw, r->run_ns, true, source_names[feat.source]);
	json_key(jw, "vms");
	json_begin_array(jw);
	for (i = 0; i < shown; i++)
		json_vm(jw, &rows[order[i].index], rows[order[i].index].cum,
			r->prev_epoch, true, wait, hold);
	json_end_array(jw);
	json_kv_u64(jw, "vms_not_shown", n - shown);
	json_tail(jw, total, r->drops, wait, hold, true);
	if (cli.prog_stats)
		prog_stats_json(jw, skel->obj);
	json_end_object(jw);
}

void report(struct report *r)
{
	bool wait = source_has_wait(feat.source);
	bool hold = source_has_hold(feat.source);
	static struct vm_row vm_rows[LS_MAX_VMS];
	static struct cli_vm_order order[LS_MAX_VMS];
	char tbuf[CLI_HMS_LEN];
	int slot, m, i, nvms = 0, shown;

	cli_wall_clock(NULL, tbuf);
	read_sites();
	read_drops(r->drops);
	r->misses = prog_misses();

	if (cli.json) {
		json_begin_record(jw, "interval", TOOL);
		json_record_head(jw, r->interval_ns, r->final,
				 source_names[feat.source]);
		json_key(jw, "vms");
		json_begin_array(jw);
	} else {
		printf("\n%s  interval %.2fs  source %s%s\n", tbuf,
		       r->interval_ns / 1e9, source_names[feat.source],
		       r->final ? "  (final)" : "");
	}

	/* every VM counts in the totals; -s orders them, -n cuts the list */
	for (slot = 0; slot < LS_MAX_VMS; slot++) {
		struct ls_vm vm = skel->bss->vms[slot];
		struct ls_mode_stats cur[LS_NR_MODES];
		struct mode_delta *d = vm_rows[nvms].d;

		if (!vm.kvm || (vm.state != LS_VM_LIVE && vm.state != LS_VM_DEAD))
			continue;
		memcpy(cur, skel->bss->stats[slot], sizeof(cur));
		if (prev_vm[slot].vm_id != vm.vm_id) {
			memset(&prev_vm[slot], 0, sizeof(prev_vm[slot]));
			prev_vm[slot].vm_id = vm.vm_id;
		}
		for (m = 0; m < LS_NR_MODES; m++) {
			static const struct ls_mode_stats zero;

			mode_diff(&cur[m], &prev_vm[slot].st[m], r->prev_epoch,
				  &d[m]);
			mode_diff(&cur[m], &zero, r->prev_epoch,
				  &vm_rows[nvms].cum[m]);
			if (d[m].wait_max > prev_vm[slot].wait_max[m])
				prev_vm[slot].wait_max[m] = d[m].wait_max;
			if (d[m].hold_max > prev_vm[slot].hold_max[m])
				prev_vm[slot].hold_max[m] = d[m].hold_max;
			vm_rows[nvms].cum[m].wait_max = prev_vm[slot].wait_max[m];
			vm_rows[nvms].cum[m].hold_max = prev_vm[slot].hold_max[m];
			add_total(&r->total[m], &d[m]);
		}
		memcpy(prev_vm[slot].st, cur, sizeof(cur));
		vm_rows[nvms].slot = slot;
		vm_rows[nvms].vm = vm;
		vm_name_comm(vm.tgid, vm.comm, vm_rows[nvms].name,
			     sizeof(vm_rows[nvms].name));
		order[nvms] = (struct cli_vm_order){
			.name = vm_rows[nvms].name, .pid = vm.tgid,
			.value = sort_value(d), .index = nvms };
		nvms++;
	}
	r->nvms = nvms;
	shown = cli_sort_vms(order, nvms);

	for (i = 0; i < shown; i++) {
		const struct ls_vm vm = vm_rows[order[i].index].vm;
		const struct mode_delta *d = vm_rows[order[i].index].d;
		const char *name = vm_rows[order[i].index].name;

		if (cli.json) {
			json_vm(jw, &vm_rows[order[i].index], d, r->prev_epoch,
				false, wait, hold);
		} else {
			printf("VM %s  id %u  pid %u", name, vm.vm_id, vm.tgid);
			if (cli.verbose)
				printf("  kvm 0x%llx", (unsigned long long)vm.kvm);
			printf("%s%s\n",
			       vm.found_by == LS_FOUND_CREATE ? "  new" : "",
			       vm.state == LS_VM_DEAD ? "  exited" : "");
			if (!d[0].acquired && !d[1].acquired &&
			    !d[0].contended && !d[1].contended &&
			    !d[0].hold_count && !d[1].hold_count) {
				printf("  no mmu_lock activity\n");
				continue;
			}
			printf("  %-5s %9s %9s %10s %9s %9s %10s %9s %9s\n",
			       "mode", "acq", "contended", "wait-total",
			       "wait-avg", "wait-max", "hold-total",
			       "hold-avg", "hold-max");
			for (m = LS_NR_MODES - 1; m >= 0; m--)
				text_mode_row(m, &d[m], wait, hold);
			for (m = LS_NR_MODES - 1; m >= 0; m--) {
				if (!d[m].acquired && !d[m].contended)
					continue;
				collect_sites(vm.vm_id, m, r->prev_epoch, &cs_buf,
					      hold, false);
				text_callsites(&cs_buf, m, hold);
			}
			for (m = LS_NR_MODES - 1; m >= 0; m--) {
				char title[64];

				snprintf(title, sizeof(title), "%s hold time:",
					 mode_names[m]);
				if (hold)
					print_hist(d[m].hold_hist, title);
				snprintf(title, sizeof(title), "%s wait time:",
					 mode_names[m]);
				if (wait)
					print_hist(d[m].wait_hist, title);
			}
		}
	}
	/* --prom and the JSON summary: these VMs and the exited ones */
	memcpy(prom_rows, vm_rows, nvms * sizeof(*vm_rows));
	memcpy(prom_rows + nvms, prom_exited,
	       nr_prom_exited * sizeof(*prom_exited));
	if (cli.prom)
		write_prom(prom_rows, nvms + nr_prom_exited, r, wait, hold);

	if (cli.json) {
		json_end_array(jw);
		json_kv_u64(jw, "vms_not_shown", nvms - shown);
		json_tail(jw, r->total, r->drops, wait, hold, false);
		json_end_object(jw);
		if (r->final)
			json_summary(r, prom_rows, nvms + nr_prom_exited, wait,
				     hold);
	} else {
		bool any = false;

		if (nvms > shown)
			printf("%d more VM%s not shown (-n %lu)\n", nvms - shown,
			       nvms - shown > 1 ? "s" : "", cli.top);
		if (!r->nvms)
			printf("no VMs%s\n", cli.pid ? " of this process" : "");
		else if (r->nvms > 1) {
			printf("all VMs:\n");
			printf("  %-5s %9s %9s %10s %9s %9s %10s %9s %9s\n",
			       "mode", "acq", "contended", "wait-total",
			       "wait-avg", "wait-max", "hold-total",
			       "hold-avg", "hold-max");
			for (m = LS_NR_MODES - 1; m >= 0; m--)
				text_mode_row(m, &r->total[m], wait, hold);
		}
		for (i = 0; i < LS_DROP_NR; i++)
			if (r->drops[i]) {
				printf("%s%s=%llu", any ? " " : "dropped (since start): ",
				       drop_names[i],
				       (unsigned long long)r->drops[i]);
				any = true;
			}
		if (any)
			printf("\n");
		if (cli.verbose && r->misses)
			printf("BPF recursion misses (not mmu_lock events): %llu\n",
			       (unsigned long long)r->misses);
		if (r->final && cli.prog_stats)
			prog_stats_print(stdout, skel->obj);
		fflush(stdout);
	}
	memcpy(drops_prev, r->drops, sizeof(drops_prev));
	memcpy(misses_prev, misses_cur, sizeof(misses_prev));

	/* exited VMs were reported once: their slots can go */
	for (i = 0; i < nvms; i++) {
		if (vm_rows[i].vm.state != LS_VM_DEAD)
			continue;
		free_slot(vm_rows[i].slot, vm_rows[i].vm.vm_id);
		if (!cli.prom && !cli.json)
			continue;
		prom_exited[next_prom_exited] = vm_rows[i];
		prom_exited[next_prom_exited].gone = true;
		next_prom_exited = (next_prom_exited + 1) % LS_PROM_EXITED;
		if (nr_prom_exited < LS_PROM_EXITED)
			nr_prom_exited++;
	}
}

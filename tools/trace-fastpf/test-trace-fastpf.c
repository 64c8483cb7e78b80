// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * trace-fastpf's BPF self-test: synthetic events through the tool's real
 * BPF handlers (the raw_tp entry points at the end of trace-fastpf.bpf.c,
 * run with BPF_PROG_TEST_RUN) and through its real map reading, deltas
 * and JSON.  It includes the tool's main file and links its other
 * objects, so that the harness is beside the tool and not in it.  Needs root (CAP_BPF and CAP_PERFMON): without,
 * it says so and skips.  V=1 prints every check.
 */
#include <sys/prctl.h>
#include <unistd.h>
#define main trace_fastpf_main
#include "trace-fastpf.c"
#undef main
#include "test-check.h"

#define CHECK_EQ(what, got, want)					\
	do {								\
		unsigned long long _g = (got), _w = (want);		\
		if (_g == _w)						\
			check(true, "%s = %llu", what, _g);		\
		else							\
			check(false, "%s = %llu, expected %llu", what,	\
			      _g, _w);					\
	} while (0)

static int test_run(struct bpf_program *prog, int n, ...)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	__u64 args[8] = {};
	va_list ap;
	int i, err;

	va_start(ap, n);
	for (i = 0; i < n && i < 8; i++)
		args[i] = va_arg(ap, __u64);
	va_end(ap);
	opts.ctx_in = args;
	opts.ctx_size_in = n * sizeof(__u64);
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	if (err)
		check(false, "test run of %s: %s", bpf_program__name(prog),
		      strerror(-err));
	return err;
}

static struct vm_rec *find_rec(__u64 kvm)
{
	int i;

	for (i = 0; i < nr_vm_recs; i++)
		if (vm_recs[i]->kvm == kvm && !vm_recs[i]->retired)
			return vm_recs[i];
	return NULL;
}

static struct fpf_vcpu *find_vcpu(struct vm_rec *r, __u32 id)
{
	int i;

	for (i = 0; r && i < r->nr_vcpus; i++)
		if (r->vcpus[i].vcpu_id == id)
			return &r->vcpus[i].cur;
	return NULL;
}

static const struct fpf_vcpu no_vcpu;

static struct trace_fastpf_bpf *selftest_open(__u32 targ)
{
	struct trace_fastpf_bpf *obj;
	struct bpf_program *prog;
	int err;

	obj = trace_fastpf_bpf__open();
	if (!obj)
		tool_die(TOOL, EXIT_RUNTIME, "failed to open BPF object");
	obj->rodata->targ_tgid = targ;
	bpf_object__for_each_program(prog, obj->obj)
		bpf_program__set_autoload(prog, !strncmp(
			bpf_program__name(prog), "fpf_test_", 9));
	err = trace_fastpf_bpf__load(obj);
	if (err) {
		trace_fastpf_bpf__destroy(obj);
		if (err == -EPERM || err == -EACCES)
			tool_die(TOOL, EXIT_NOPERM, NULL);
		tool_die(TOOL, EXIT_RUNTIME, "selftest load failed: %s (try -v)",
			 strerror(-err));
	}
	return obj;
}

/* the notify map's count of @kind for process @tgid; 0 without an entry */
static __u64 notify_entry(struct trace_fastpf_bpf *obj, __u32 tgid, int kind)
{
	struct fpf_notify_counts c;

	if (bpf_map_lookup_elem(bpf_map__fd(obj->maps.notify), &tgid, &c))
		return 0;
	return c.n[kind];
}

static int run_selftest(void)
{
	enum { FIXED = 0, SPUR = 1, LOST = 2, NOT_PRESENT = 3 };
	const __u64 A = 0x1000, B = 0x2000;
	struct trace_fastpf_bpf *obj;
	const struct fpf_vcpu *a0, *a1, *b0;
	struct fpf_vcpu d, sum;
	struct vm_rec *ra, *rb;
	__u64 r_fixed, r_spur, r_inval = 4;
	int i, old_b_id;

	/* the values this kernel's BTF gives, else the 6.12+ ones */
	resolve_ret_pf();
	if (ret_pf_fixed < 0 || ret_pf_spurious < 0) {
		ret_pf_fixed = 5;
		ret_pf_spurious = 6;
	}
	r_fixed = ret_pf_fixed;
	r_spur = ret_pf_spurious;
	/* synthetic outcome enum */
	outcome_fixed = FIXED;
	outcome_spurious = SPUR;
	outcome_cmpxchg = LOST;
	for (i = 0; i < FPF_ENUM_SLOTS; i++) {
		char buf[32];

		snprintf(buf, sizeof(buf), "value_%d", i);
		outcome_names.name[i] = strdup(buf);
		reason_names.name[i] = strdup(buf);
		source_names.name[i] = strdup(buf);
	}
	outcome_names.resolved = true;
	for (i = 0; i < M_NR; i++)
		metrics[i].live = true;

	obj = selftest_open(0);
#define P(name) obj->progs.fpf_test_##name
	/* before any VM of this process: host-wide when read */
	test_run(P(notify), 1, FPF_NOTIFY_AGE);
	if (read_maps(obj))
		tool_die(TOOL, EXIT_RUNTIME, "reading maps failed");
	CHECK_EQ("no VM yet: the notifier event is host-wide",
		 notify_other_cur[FPF_NOTIFY_AGE], 1);
	/* A/0: full mode, two lost cmpxchgs then fixed */
	test_run(P(pass), 4, A, 0, 0, LOST);
	test_run(P(pass), 4, A, 0, 1, LOST);
	test_run(P(pass), 4, A, 0, 2, FIXED);
	test_run(P(fast_pf), 3, A, 0, r_fixed);
	/* A/0: spurious at once */
	test_run(P(pass), 4, A, 0, 0, SPUR);
	test_run(P(fast_pf), 3, A, 0, r_spur);
	/* A/1: not present -> slow path */
	test_run(P(pass), 4, A, 1, 0, NOT_PRESENT);
	test_run(P(fast_pf), 3, A, 1, r_inval);
	/* B/0: fallback style passes (no outcome), one retry */
	test_run(P(pass), 4, B, 0, 0, (__u64)-1);
	test_run(P(pass), 4, B, 0, 0, (__u64)-1);
	test_run(P(fast_pf), 3, B, 0, r_fixed);
	/* B/0: a fault with no pass seen: retries unknown */
	test_run(P(fast_pf), 3, B, 0, r_fixed);
	/* stale retries, invalidations, wrprot, latency, bad enum */
	test_run(P(stale), 4, A, 0, 1, 3);
	test_run(P(stale), 4, A, 0, 1, 3);
	for (i = 0; i < 3; i++) {
		test_run(P(inval), 3, A, 0, 0);
		test_run(P(inval), 3, A, 1, 0);
	}
	test_run(P(inval), 3, A, 0, (__u64)-1);
	test_run(P(inval), 3, A, 1, (__u64)-1);
	test_run(P(wrprot), 3, A, 10, 1);
	test_run(P(wrprot), 3, A, 5, 0);
	test_run(P(wrprot), 3, A, 7, 2);
	test_run(P(wrprot), 3, A, 7, 3);	/* no such mode: a drop */
	test_run(P(pf_start), 1, FPF_PF_WRITE_PROTECT | FPF_PF_TDP);
	test_run(P(pf_resume), 2, A, 0);
	test_run(P(pf_resume), 2, A, 0);	/* no fault pending: ignored */
	test_run(P(pf_start), 1, 0);
	test_run(P(pf_resume), 2, A, 1);
	test_run(P(fast_pf), 3, A, 0, 99);
	/* this process's oldest VM is A: its notifier events go there */
	test_run(P(notify), 1, FPF_NOTIFY_UNMAP);
	test_run(P(notify), 1, FPF_NOTIFY_UNMAP);
	test_run(P(notify), 1, FPF_NOTIFY_TEST_AGE);
	CHECK_EQ("notify map: this process's unmaps",
		 notify_entry(obj, getpid(), FPF_NOTIFY_UNMAP), 2);
	test_run(P(notify), 1, FPF_NOTIFY_NR);	/* out of range: a drop */

	if (read_maps(obj))
		tool_die(TOOL, EXIT_RUNTIME, "reading maps failed");
	ra = find_rec(A);
	rb = find_rec(B);
	CHECK_EQ("VM A and B found", !!ra + !!rb, 2);
	if (!ra || !rb)
		goto out;
	a0 = find_vcpu(ra, 0) ?: &no_vcpu;
	a1 = find_vcpu(ra, 1) ?: &no_vcpu;
	b0 = find_vcpu(rb, 0) ?: &no_vcpu;
	CHECK_EQ("VM A pid (tgid of the vCPU thread)", ra->cur.pid, getpid());
	CHECK_EQ("VM A vcpus", ra->nr_vcpus, 2);
	CHECK_EQ("A/0 fast calls", a0->fast_calls, 3);
	CHECK_EQ("A/0 fixed", fixed_of(a0), 1);
	CHECK_EQ("A/0 spurious", spurious_of(a0), 1);
	/* ret 99 is out of the enum: a drop, not a guessed fallback */
	CHECK_EQ("A/0 slow", slow_of(a0), 0);
	CHECK_EQ("A/0 passes", a0->passes, 4);
	CHECK_EQ("A/0 cmpxchg lost", a0->pass_outcome[LOST], 2);
	CHECK_EQ("A/0 retries", a0->retries, 2);
	CHECK_EQ("A/0 retry faults", a0->retry_faults, 2);
	CHECK_EQ("A/0 final fixed", a0->final_outcome[FIXED], 1);
	CHECK_EQ("A/0 final spurious", a0->final_outcome[SPUR], 1);
	CHECK_EQ("A/0 stale reason 1", a0->stale[1], 2);
	CHECK_EQ("A/0 stale seq lag", a0->stale_seq_lag, 6);
	CHECK_EQ("A/0 faults (latency)", a0->faults, 1);
	CHECK_EQ("A/0 write-protect faults", a0->wp_faults, 1);
	CHECK_EQ("A/0 TDP faults", a0->tdp_faults, 1);
	CHECK_EQ("A/1 faults, wp, TDP", a1->faults * 100 + a1->wp_faults * 10 +
		 a1->tdp_faults, 100);
	CHECK_EQ("A notifier unmap", ra->notify_cur[FPF_NOTIFY_UNMAP], 2);
	CHECK_EQ("A notifier test_age", ra->notify_cur[FPF_NOTIFY_TEST_AGE], 1);
	CHECK_EQ("B notifier (not the oldest VM)", rb->notify_cur[0] +
		 rb->notify_cur[1] + rb->notify_cur[2], 0);
	CHECK_EQ("host-wide: only the event before any VM",
		 notify_other_cur[FPF_NOTIFY_UNMAP] * 100 +
		 notify_other_cur[FPF_NOTIFY_AGE] * 10 +
		 notify_other_cur[FPF_NOTIFY_TEST_AGE], 10);
	CHECK_EQ("A/1 slow", slow_of(a1), 1);
	CHECK_EQ("A/1 slow by outcome not_present",
		 a1->final_outcome[NOT_PRESENT], 1);
	CHECK_EQ("B/0 fixed", fixed_of(b0), 2);
	CHECK_EQ("B/0 passes", b0->passes, 2);
	CHECK_EQ("B/0 retries (passes - 1)", b0->retries, 1);
	CHECK_EQ("B/0 retry faults", b0->retry_faults, 1);
	CHECK_EQ("A retries hist [0]", ra->cur.hist[FPF_HIST_RETRIES][0], 2);
	CHECK_EQ("A retries hist [2,3]", ra->cur.hist[FPF_HIST_RETRIES][2], 1);
	CHECK_EQ("B retries hist [1]", rb->cur.hist[FPF_HIST_RETRIES][1], 1);
	CHECK_EQ("A latency hist total",
		 hist_total(ra->cur.hist[FPF_HIST_LATENCY], FPF_HIST_SLOTS), 2);
	CHECK_EQ("A inval begin", ra->cur.inval_begin, 4);
	CHECK_EQ("A inval end", ra->cur.inval_end, 4);
	CHECK_EQ("A inval end by source 0", ra->cur.inval_end_src[0], 3);
	CHECK_EQ("A wrprot read-lock batches", ra->cur.wrprot_batches[1], 1);
	CHECK_EQ("A wrprot read-lock sptes", ra->cur.wrprot_changed[1], 10);
	CHECK_EQ("A wrprot write-lock sptes", ra->cur.wrprot_changed[0], 5);
	CHECK_EQ("A wrprot no-lock batches", ra->cur.wrprot_batches[2], 1);
	CHECK_EQ("A wrprot no-lock sptes", ra->cur.wrprot_changed[2], 7);
	CHECK_EQ("drops: enum out of range", drops_cur[FPF_DROP_ENUM], 3);
	CHECK_EQ("drops: vm map full", drops_cur[FPF_DROP_VM], 0);
	CHECK_EQ("no thread state left", bpf_map_get_next_key(
		 bpf_map__fd(obj->maps.threads), NULL, &d) != 0, 1);
	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < ra->nr_vcpus; i++)
		vcpu_add(&sum, &ra->vcpus[i].cur);
	CHECK_EQ("A all fixed+spurious (== pf_fast)",
		 fixed_of(&sum) + spurious_of(&sum), 2);
	/* the VMM of A is this process: named COMM[PID] (no -name here) */
	{
		char *mem = NULL, want[64], comm[16] = "", name[VM_NAME_LEN];
		size_t len = 0;
		FILE *f = open_memstream(&mem, &len);
		struct json *jj = f ? json_new(f) : NULL;
		struct view v;

		if (jj) {
			make_view(&v, ra, true);
			vm_name(vm_pid(ra), name, sizeof(name));
			print_vm_json(jj, ra, name, &v, 1.0, true);
		}
		json_free(jj);
		if (f)
			fclose(f);
		prctl(PR_GET_NAME, comm);
		snprintf(want, sizeof(want), "\"name\":\"%s[%d]\"", comm,
			 getpid());
		CHECK_EQ("JSON: VM A has \"name\":\"COMM[PID]\"",
			 mem && strstr(mem, want), 1);
		CHECK_EQ("JSON: \"kvm\" address only with -v",
			 mem && strstr(mem, "\"kvm\":\"0x1000\""), cli.verbose);
		free(mem);
	}

	/* interval deltas */
	snapshot_done();
	test_run(P(fast_pf), 3, A, 0, r_fixed);
	test_run(P(inval), 3, A, 1, 0);
	if (read_maps(obj))
		tool_die(TOOL, EXIT_RUNTIME, "reading maps failed");
	vcpu_delta(&d, &ra->vcpus[0].cur, &ra->vcpus[0].prev);
	CHECK_EQ("interval: A/0 fixed", fixed_of(&d), 1);
	CHECK_EQ("interval: A/0 spurious", spurious_of(&d), 0);
	CHECK_EQ("interval: A/0 passes", d.passes, 0);
	CHECK_EQ("cumulative: A/0 fixed", fixed_of(&ra->vcpus[0].cur), 2);
	{
		struct view v;

		make_view(&v, ra, false);
		CHECK_EQ("interval: A inval end", v.vm.inval_end, 1);
		CHECK_EQ("interval: A inval begin", v.vm.inval_begin, 0);
		CHECK_EQ("interval: A retries hist total",
			 hist_total(v.vm.hist[FPF_HIST_RETRIES],
				    FPF_HIST_SLOTS), 0);
	}

	/* VM teardown: B is retired, a new VM at the same address is new */
	snapshot_done();
	test_run(P(destroy), 1, B);
	if (read_maps(obj))
		tool_die(TOOL, EXIT_RUNTIME, "reading maps failed");
	CHECK_EQ("B marked destroyed", rb->cur.dead, 1);
	old_b_id = rb->id;
	retire_dead_vms(obj);
	CHECK_EQ("B retired", rb->retired, 1);
	/* the process's remaining VM, A, still gets its notifier events */
	test_run(P(notify), 1, FPF_NOTIFY_AGE);
	if (read_maps(obj))
		tool_die(TOOL, EXIT_RUNTIME, "reading maps failed");
	CHECK_EQ("after B's teardown: A notifier age",
		 ra->notify_cur[FPF_NOTIFY_AGE], 1);
	test_run(P(fast_pf), 3, B, 0, r_spur);
	if (read_maps(obj))
		tool_die(TOOL, EXIT_RUNTIME, "reading maps failed");
	rb = find_rec(B);
	CHECK_EQ("reused B address is a new VM", rb && rb->id != old_b_id, 1);
	b0 = rb ? find_vcpu(rb, 0) : NULL;
	CHECK_EQ("new B/0 spurious", b0 ? spurious_of(b0) : 0, 1);
	CHECK_EQ("new B/0 fixed", b0 ? fixed_of(b0) : 99, 0);

	/* every VM of the process destroyed since the last report: their
	 * last notifier events are still theirs, not host-wide */
	snapshot_done();
	test_run(P(destroy), 1, A);
	test_run(P(destroy), 1, B);
	test_run(P(notify), 1, FPF_NOTIFY_UNMAP);
	if (read_maps(obj))
		tool_die(TOOL, EXIT_RUNTIME, "reading maps failed");
	CHECK_EQ("destroyed, not yet retired: A notifier unmap",
		 ra->notify_cur[FPF_NOTIFY_UNMAP], 3);
	CHECK_EQ("destroyed, not yet retired: not host-wide",
		 notify_other_cur[FPF_NOTIFY_UNMAP], 0);
	if (cli.verbose) {
		cli.json = false;
		print_report(NULL, 1.0, true, true);
	}
out:
	trace_fastpf_bpf__destroy(obj);

	/* -p filter: events from other processes are not counted */
	obj = selftest_open(getpid() + 1);
	test_run(obj->progs.fpf_test_fast_pf, 3, A, 0, r_fixed);
	test_run(obj->progs.fpf_test_inval, 3, A, 1, (__u64)-1);
	test_run(obj->progs.fpf_test_notify, 1, FPF_NOTIFY_UNMAP);
	{
		__u64 k;

		CHECK_EQ("-p filter: no VM entry", bpf_map_get_next_key(
			 bpf_map__fd(obj->maps.vms), NULL, &k) != 0, 1);
	}
	{
		__u32 k;

		CHECK_EQ("-p filter: another process's notifier event not "
			 "counted (notify map empty)", bpf_map_get_next_key(
			 bpf_map__fd(obj->maps.notify), NULL, &k) != 0, 1);
	}
	trace_fastpf_bpf__destroy(obj);
#undef P
	return test_check_done();
}

int main(void)
{
	int err;

	test_check_init();
	cli.verbose = verbose;
	err = check_env();
	if (err == EXIT_NOPERM) {
		printf("SKIP: not root (CAP_BPF and CAP_PERFMON needed)\n");
		return 0;
	}
	if (err == EXIT_RUNTIME)
		return err;
	if (err)
		tool_die(TOOL, err, NULL);
	return run_selftest();
}

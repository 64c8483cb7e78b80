// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lockstat: privileges, kernel features, BPF setup and the VM scan */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "lockstat-int.h"
#include "lockstat.skel.h"
#include "cli.h"
#include "errors.h"
#include "feature_report.h"
#include "json.h"
#include "vmscan.h"
#include "trace_helpers.h"

/* ------------------------------------------------------------------ */
/* privileges and features                                             */

bool have_caps(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};
	__u64 eff;

	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0;
	eff = data[0].effective | ((__u64)data[1].effective << 32);
#define CAPB(c) (1ULL << (c))
	if (eff & CAPB(CAP_SYS_ADMIN))
		return true;
	/* CAP_PERFMON 38, CAP_BPF 39 */
	return (eff & CAPB(38)) && (eff & CAPB(39));
#undef CAPB
}

struct probe probes[PR_NR] = {
	[PR_WRITE_LOCK] = { "_raw_write_lock", P_FENTRY_FEXIT, "write acquire" },
	[PR_READ_LOCK] = { "_raw_read_lock", P_FENTRY_FEXIT, "read acquire" },
	[PR_WRITE_UNLOCK] = { "_raw_write_unlock", P_FENTRY, "write release" },
	[PR_READ_UNLOCK] = { "_raw_read_unlock", P_FENTRY, "read release" },
	[PR_WRITE_LOCK_NESTED] = { "_raw_write_lock_nested", P_FENTRY_FEXIT,
				   "write acquire (lockdep kernels)" },
	[PR_WRITE_TRYLOCK] = { "_raw_write_trylock", P_FEXIT, "write trylock" },
	[PR_READ_TRYLOCK] = { "_raw_read_trylock", P_FEXIT, "read trylock" },
	[PR_CONT_BEGIN] = { "contention_begin", P_TP_BTF,
			    "wait start (raw, contention)" },
	[PR_CONT_END] = { "contention_end", P_TP_BTF, "wait end" },
	[PR_LOCK_CONTENDED] = { "lock_contended", P_TP_BTF,
				"wait start (lockdep; CONFIG_LOCK_STAT)" },
	[PR_VM_CREATE] = { "kvm_arch_init_vm", P_FENTRY, "VM creation" },
	[PR_VM_FREE] = { "kvm_arch_free_vm", P_FENTRY, "VM teardown" },
	[PR_VM_DESTROY] = { "kvm_destroy_vm", P_FEXIT, "VM teardown (fallback)" },
};

struct features feat;

void probe_features(void)
{
	static char raw_why[160];
	const char *mod = NULL;
	int i;

	feat.kvm_btf = kernel_btf_find("kvm", BTF_KIND_STRUCT, NULL, &mod) > 0;
	feat.kvm_btf_where = mod ? mod : "vmlinux";

	for (i = 0; i < PR_NR; i++) {
		struct probe *p = &probes[i];
		int r;

		if (p->kind == P_TP_BTF) {
			p->ok = tp_btf_exists(p->target);
			if (!p->ok)
				p->why = "no such tracepoint in kernel BTF";
			continue;
		}
		if (!btf_func_exists(p->target)) {
			p->why = "not in kernel BTF (inlined or absent)";
			continue;
		}
		/* fexit needs the same trampoline as fentry */
		r = fentry_can_attach(p->target);
		p->ok = r == 1;
		if (!p->ok)
			p->why = r == -EPERM ? "no permission (EPERM)"
					     : "in BTF but not attachable";
	}

	feat.dep_map_off = btf_member_offset("rwlock_t", BTF_KIND_TYPEDEF,
					     "dep_map");
	vm_scan_fops(&feat.vm_fops, &feat.vcpu_fops);
	feat.iter_task_file = vm_scan_supported();

	feat.hold_ok = probes[PR_WRITE_LOCK].ok && probes[PR_READ_LOCK].ok &&
		       probes[PR_WRITE_UNLOCK].ok && probes[PR_READ_UNLOCK].ok;
	feat.raw_wait_ok = probes[PR_CONT_BEGIN].ok && probes[PR_CONT_END].ok;
	feat.cont_ok = feat.raw_wait_ok;
	feat.lockdep_wait_ok = probes[PR_LOCK_CONTENDED].ok &&
			       feat.dep_map_off >= 0;

	if (!feat.hold_ok) {
		for (i = PR_WRITE_LOCK; i <= PR_READ_UNLOCK; i++)
			if (!probes[i].ok)
				break;
		snprintf(raw_why, sizeof(raw_why), "%s: %s (acquisitions and "
			 "holds need _raw_{read,write}_{lock,unlock})",
			 probes[i].target, probes[i].why);
		feat.raw_why = feat.lockdep_why = raw_why;
	} else if (!feat.lockdep_wait_ok) {
		feat.lockdep_why = "no lock:lock_contended (needs "
				   "CONFIG_LOCK_STAT)";
	}

	feat.source = -1;
	if (!feat.kvm_btf) {
		feat.source_why = "struct kvm is not in kernel BTF: KVM is "
				  "not built in or its module is not loaded";
		return;
	}
	switch (env.source) {
	case LS_SRC_RAW:
		if (feat.hold_ok)
			feat.source = LS_SRC_RAW;
		feat.source_why = feat.raw_why;
		return;
	case LS_SRC_LOCKDEP:
		if (feat.hold_ok && feat.lockdep_wait_ok)
			feat.source = LS_SRC_LOCKDEP;
		feat.source_why = feat.lockdep_why;
		return;
	case LS_SRC_CONTENTION:
		if (feat.cont_ok)
			feat.source = LS_SRC_CONTENTION;
		feat.source_why = "no lock:contention_begin/end";
		return;
	}
	/*
	 * auto: on a CONFIG_LOCK_STAT kernel count contentions as
	 * /proc/lock_stat does; else the production slow-path definition.
	 */
	if (feat.hold_ok && feat.lockdep_wait_ok)
		feat.source = LS_SRC_LOCKDEP;
	else if (feat.hold_ok)
		feat.source = LS_SRC_RAW;
	else if (feat.cont_ok)
		feat.source = LS_SRC_CONTENTION;
	else
		feat.source_why = "no lock hooks: _raw_* fentry/fexit and "
				  "lock:contention_* are all unavailable";
}

static bool vm_free_hook(void)
{
	return probes[PR_VM_FREE].ok || probes[PR_VM_DESTROY].ok;
}

static const char *source_desc(int src)
{
	switch (src) {
	case LS_SRC_RAW:
		return feat.raw_wait_ok ?
			"acquire: fentry+fexit _raw_{read,write}_lock, release: "
			"fentry _raw_{read,write}_unlock; wait: queued rwlock "
			"slow path, lock:contention_begin/end" :
			"acquire: fentry+fexit _raw_{read,write}_lock, release: "
			"fentry _raw_{read,write}_unlock; wait: unavailable "
			"(no lock:contention_*)";
	case LS_SRC_LOCKDEP:
		return "acquire: fentry+fexit _raw_{read,write}_lock, release: "
		       "fentry _raw_{read,write}_unlock; wait: failed trylock "
		       "as /proc/lock_stat, lock:lock_contended to "
		       "lock:contention_end or lock() exit";
	case LS_SRC_CONTENTION:
		return "wait only: lock:contention_begin/end (no acquisition "
		       "counts or hold times)";
	}
	return "none";
}

bool source_has_wait(int src)
{
	return src == LS_SRC_LOCKDEP || feat.raw_wait_ok;
}

bool source_has_hold(int src)
{
	return src == LS_SRC_RAW || src == LS_SRC_LOCKDEP;
}

static const char *discovery_desc(void)
{
	static char buf[320];

	snprintf(buf, sizeof(buf), "%s; %s; %s",
		 probes[PR_VM_CREATE].ok ?
			"new VMs: fentry kvm_arch_init_vm (before their first "
			"acquisition)" :
			"new VMs: next rescan only (first acquisitions missed)",
		 probes[PR_VM_FREE].ok ? "teardown: fentry kvm_arch_free_vm" :
		 probes[PR_VM_DESTROY].ok ? "teardown: fexit kvm_destroy_vm" :
			"teardown: VM no longer found by the rescan",
		 feat.iter_task_file ?
			(feat.vm_fops ? "existing VMs: task_file iterator, "
				"f_op == kvm_vm_fops/kvm_vcpu_fops" :
			 "existing VMs: task_file iterator, anon-inode name "
				"kvm-vm/kvm-vcpu") :
			"existing VMs: not found (no task_file iterator)");
	return buf;
}

static const char *kind_names[] = {
	[P_FENTRY] = "fentry", [P_FEXIT] = "fexit",
	[P_FENTRY_FEXIT] = "fentry+fexit", [P_TP_BTF] = "tp_btf",
};

/* what --features reports, text or JSON; the strings live in static buffers */
static void features_report(struct feature_report *r)
{
	static struct feature_metric fm[4];
	static struct feature_probe fp[PR_NR];
	static char names[PR_NR][96], btf[128], depmap[96], source[64];
	static char raw[256], lockdep[256];
	bool ok = feat.source >= 0;
	bool wait = ok && source_has_wait(feat.source);
	bool hold = ok && source_has_hold(feat.source);
	int i, n = 0;

	memset(r, 0, sizeof(*r));
	r->tool = TOOL;
	r->kernel = kernel_release();
	if (ok) {
		snprintf(source, sizeof(source), "%s%s",
			 source_names[feat.source],
			 env.source < 0 ? " (auto)" : "");
		r->source = source;
	}
	r->source_detail = ok ? source_desc(feat.source) : feat.source_why;

	snprintf(btf, sizeof(btf), "kernel BTF: yes; struct kvm: %s",
		 feat.kvm_btf ? feat.kvm_btf_where : "NOT FOUND");
	r->notes[n++] = btf;
	if (feat.dep_map_off >= 0)
		snprintf(depmap, sizeof(depmap),
			 "rwlock_t: dep_map at offset %ld (lockdep kernel)",
			 feat.dep_map_off);
	else
		snprintf(depmap, sizeof(depmap),
			 "rwlock_t: no dep_map (no lockdep)");
	r->notes[n++] = depmap;
	if (feat.source != LS_SRC_RAW && feat.raw_why) {
		snprintf(raw, sizeof(raw), "raw not possible: %s",
			 feat.raw_why);
		r->notes[n++] = raw;
	}
	if (feat.source != LS_SRC_LOCKDEP && feat.lockdep_why) {
		snprintf(lockdep, sizeof(lockdep), "lockdep not possible: %s",
			 feat.lockdep_why);
		r->notes[n++] = lockdep;
	}

	fm[0] = (struct feature_metric){ "wait_times", wait, wait ?
		source_desc(feat.source) : "not measured by this source" };
	fm[1] = (struct feature_metric){ "hold_times", hold, hold ?
		source_desc(feat.source) : "not measured by this source" };
	fm[2] = (struct feature_metric){ "vm_discovery", true,
		discovery_desc() };
	fm[3] = (struct feature_metric){ "call_sites", env.nstacks > 0,
		env.nstacks > 0 ? (cli.verbose ?
		"kernel stack of each watched event, 32 frames" :
		"kernel stack of each watched event, 12 frames") :
		"off: --stacks N walks a kernel stack per watched event" };
	r->metrics = fm;
	r->nr_metrics = 4;

	for (i = 0; i < PR_NR; i++) {
		snprintf(names[i], sizeof(names[i]), "%s/%s",
			 kind_names[probes[i].kind], probes[i].target);
		fp[i] = (struct feature_probe){ names[i], probes[i].ok,
						probes[i].why, probes[i].role };
	}
	r->probes = fp;
	r->nr_probes = PR_NR;
}

/* the "features" record: --features -j, and the first line of every -j run */
void json_features(struct json *j)
{
	struct feature_report r;

	features_report(&r);
	/* JSON keeps the source's name alone: "(auto)" is text only */
	r.source = feat.source >= 0 ? source_names[feat.source] : NULL;
	feature_report_json(j, &r);
	json_kv_bool(j, "btf", true);
	json_kv_bool(j, "kvm_btf", feat.kvm_btf);
	json_kv_s64(j, "rwlock_dep_map_offset", feat.dep_map_off);
	json_kv_bool(j, "iter_task_file", feat.iter_task_file);
	json_kv_bool(j, "kallsyms_kvm_fops", feat.vm_fops != 0);
	json_end_object(j);
}

/* --features (@brief false), or the line at the start of a text run */
void print_features(FILE *f, bool brief)
{
	struct feature_report r;

	if (cli.json && !brief) {
		struct json *j = json_new(f);

		json_features(j);
		json_free(j);
		return;
	}
	features_report(&r);
	if (brief)
		feature_report_brief(f, &r);
	else
		feature_report_text(f, &r);
}

/* ------------------------------------------------------------------ */
/* BPF setup                                                           */

struct lockstat_bpf *skel;
static struct bpf_link *iter_link;
static struct bpf_link *links[32];
static int nr_links;
struct ksyms *ksyms;

/* the programs of a probe: up to two (fentry and fexit) */
static int probe_progs(int i, struct bpf_program **p)
{
	p[1] = NULL;
	switch (i) {
	case PR_WRITE_LOCK:
		p[0] = skel->progs.ls_wl_entry; p[1] = skel->progs.ls_wl_exit;
		return 2;
	case PR_READ_LOCK:
		p[0] = skel->progs.ls_rl_entry; p[1] = skel->progs.ls_rl_exit;
		return 2;
	case PR_WRITE_LOCK_NESTED:
		p[0] = skel->progs.ls_wln_entry; p[1] = skel->progs.ls_wln_exit;
		return 2;
	case PR_WRITE_UNLOCK: p[0] = skel->progs.ls_wu_entry; return 1;
	case PR_READ_UNLOCK: p[0] = skel->progs.ls_ru_entry; return 1;
	case PR_WRITE_TRYLOCK: p[0] = skel->progs.ls_wtry_exit; return 1;
	case PR_READ_TRYLOCK: p[0] = skel->progs.ls_rtry_exit; return 1;
	case PR_CONT_BEGIN: p[0] = skel->progs.ls_contention_begin; return 1;
	case PR_CONT_END: p[0] = skel->progs.ls_contention_end; return 1;
	case PR_LOCK_CONTENDED: p[0] = skel->progs.ls_lock_contended; return 1;
	case PR_VM_CREATE: p[0] = skel->progs.ls_vm_create; return 1;
	case PR_VM_FREE: p[0] = skel->progs.ls_vm_free; return 1;
	case PR_VM_DESTROY: p[0] = skel->progs.ls_vm_destroy; return 1;
	}
	return 0;
}

/* which probes the chosen source uses; @required ones must attach */
static bool probe_wanted(int i, bool *required)
{
	int src = feat.source;
	bool holds = src == LS_SRC_RAW || src == LS_SRC_LOCKDEP;

	*required = false;
	switch (i) {
	case PR_WRITE_LOCK: case PR_READ_LOCK:
	case PR_WRITE_UNLOCK: case PR_READ_UNLOCK:
		*required = true;
		return holds;
	case PR_WRITE_LOCK_NESTED: case PR_WRITE_TRYLOCK: case PR_READ_TRYLOCK:
		return holds && probes[i].ok;
	case PR_CONT_BEGIN:
		*required = src == LS_SRC_CONTENTION;
		return (src == LS_SRC_RAW || src == LS_SRC_CONTENTION) &&
		       probes[i].ok;
	case PR_CONT_END:
		/* lockdep: the end of the slow path ends the wait */
		*required = src == LS_SRC_CONTENTION;
		return probes[i].ok;
	case PR_LOCK_CONTENDED:
		*required = true;
		return src == LS_SRC_LOCKDEP;
	case PR_VM_CREATE: case PR_VM_FREE:
		return probes[i].ok;
	case PR_VM_DESTROY:
		return !probes[PR_VM_FREE].ok && probes[i].ok;
	}
	return false;
}

/*
 * Attach order: VM hooks, then release and wait-end hooks before the
 * acquire hooks, so that no acquisition is seen without its release hook.
 */
static const int attach_order[] = {
	PR_VM_FREE, PR_VM_DESTROY, PR_VM_CREATE,
	PR_WRITE_UNLOCK, PR_READ_UNLOCK,
	PR_CONT_END, PR_CONT_BEGIN, PR_LOCK_CONTENDED,
	PR_WRITE_LOCK, PR_READ_LOCK, PR_WRITE_LOCK_NESTED,
	PR_WRITE_TRYLOCK, PR_READ_TRYLOCK,
};

void detach_all(void)
{
	/* acquire hooks first, in reverse attach order */
	while (nr_links > 0)
		bpf_link__destroy(links[--nr_links]);
	bpf_link__destroy(iter_link);
	iter_link = NULL;
}

/* size the maps, load the programs set to autoload, start epoch 1 */
int load_skel(bool stacks)
{
	int err;

	bpf_map__set_max_entries(skel->maps.holds, HOLDS_ENTRIES);
	bpf_map__set_max_entries(skel->maps.sites, SITES_ENTRIES);
	bpf_map__set_max_entries(skel->maps.stack_text,
				 stacks ? STACKS_ENTRIES : 1);
	err = lockstat_bpf__load(skel);
	if (err) {
		fprintf(stderr, "%s: failed to load BPF programs: %s\n", TOOL,
			strerror(-err));
		return err == -EPERM ? EXIT_NOPERM : EXIT_RUNTIME;
	}
	skel->bss->epoch = 1;
	return 0;
}

int setup_bpf(void)
{
	struct bpf_program *prog, *pp[2];
	bool req;
	int i, k, n, err;

	skel = lockstat_bpf__open();
	if (!skel) {
		fprintf(stderr, "%s: failed to open BPF object: %s\n", TOOL,
			strerror(errno));
		return EXIT_RUNTIME;
	}

	skel->rodata->source = feat.source;
	skel->rodata->targ_tgid = cli.pid;
	skel->rodata->dep_map_off = feat.dep_map_off > 0 ? feat.dep_map_off : 0;
	skel->rodata->vm_fops = feat.vm_fops;
	skel->rodata->vcpu_fops = feat.vcpu_fops;
	skel->rodata->want_stacks = env.nstacks > 0;
	/* -v prints whole stacks; call sites need the first frames only */
	skel->rodata->stack_frames = cli.verbose ? LS_MAX_STACK_DEPTH :
				     LS_SITE_FRAMES;

	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, false);
	for (i = 0; i < PR_NR; i++) {
		if (!probe_wanted(i, &req))
			continue;
		n = probe_progs(i, pp);
		for (k = 0; k < n; k++)
			bpf_program__set_autoload(pp[k], true);
	}
	bpf_program__set_autoload(skel->progs.ls_scan, feat.iter_task_file);
	err = load_skel(env.nstacks > 0);
	if (err)
		return err;

	for (i = 0; i < (int)(sizeof(attach_order) / sizeof(attach_order[0]));
	     i++) {
		int p = attach_order[i];

		if (!probe_wanted(p, &req))
			continue;
		n = probe_progs(p, pp);
		/* fexit before fentry: an entry is never left without exit */
		for (k = n - 1; k >= 0; k--) {
			struct bpf_link *link = bpf_program__attach(pp[k]);

			if (link) {
				links[nr_links++] = link;
				continue;
			}
			err = -errno;
			if (req) {
				fprintf(stderr, "%s: %s: cannot attach %s %s: %s\n",
					TOOL, exit_message(EXIT_NOPROBE),
					kind_names[probes[p].kind],
					probes[p].target, strerror(-err));
				return err == -EPERM ? EXIT_NOPERM
						     : EXIT_NOPROBE;
			}
			fprintf(stderr, "%s: warning: cannot attach %s (%s): %s\n",
				TOOL, probes[p].target, probes[p].role,
				strerror(-err));
			probes[p].ok = false;
			probes[p].why = "attach failed";
			break;
		}
	}

	if (feat.iter_task_file)
		iter_link = vm_scan_attach(skel->progs.ls_scan, cli.pid, TOOL);
	return 0;
}

/* a pass that may have missed files: no VM is expired on its word */
static __u32 scan_failed_gen;

/* run the iterator once: registers every VM it finds */
void scan_vms(void)
{
	if (!iter_link)
		return;
	skel->bss->scan_gen++;
	if (vm_scan_run(iter_link, TOOL))
		scan_failed_gen = skel->bss->scan_gen;
}

/* without a teardown hook: a VM the rescan no longer finds is gone */
void expire_unseen_vms(void)
{
	__u32 gen = skel->bss->scan_gen;
	int i;

	if (vm_free_hook() || !iter_link || !vm_scan_sees_all())
		return;
	for (i = 0; i < LS_MAX_VMS; i++) {
		struct ls_vm *vm = &skel->bss->vms[i];
		__u32 base = vm->scan_gen;

		if (vm->state != LS_VM_LIVE || !vm->kvm)
			continue;
		/* whole passes only: count from the last failed one */
		if ((int)(scan_failed_gen - base) > 0)
			base = scan_failed_gen;
		if (gen - base < 2)
			continue;
		bpf_map_delete_elem(bpf_map__fd(skel->maps.watched), &vm->lock);
		vm->dead_ns = 0;
		vm->state = LS_VM_DEAD;
	}
}

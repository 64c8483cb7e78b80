// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lockstat - who holds and who waits for kvm->mmu_lock, live, per VM,
 * per mode (read/write) and per call site.
 *
 * Every acquisition of a watched mmu_lock is counted (no sampling).  See
 * Documentation/lockstat.8 and bpf/lockstat.bpf.c.
 */
#include <errno.h>
#include <argp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "lockstat.h"
#include "lockstat.skel.h"
#include "cli.h"
#include "errors.h"
#include "json.h"
#include "progstats.h"
#include "prom.h"
#include "ksyms.h"
#include "vmscan.h"
#include "trace_helpers.h"
#include "vmname.h"

#define TOOL "lockstat"

#define DEF_NSTACKS	0	/* no stack walks unless asked for */
#define MAX_NSTACKS	1000
#define HOLDS_ENTRIES	4096
#define SITES_ENTRIES	16384
#define STACKS_ENTRIES	8192

/* the common options (-p, -j, -v, -d, ...) are in cli (cli.h) */
static struct env {
	int nstacks;
	int source;		/* -1: auto */
} env = {
	.nstacks = DEF_NSTACKS,
	.source = -1,
};


static const char *source_names[] = {
	[LS_SRC_RAW] = "raw",
	[LS_SRC_LOCKDEP] = "lockdep",
	[LS_SRC_CONTENTION] = "contention",
};

static const char *drop_names[LS_DROP_NR] = {
	[LS_DROP_HOLD_FULL] = "hold_map_full",
	[LS_DROP_HOLD_STALE] = "hold_start_overwritten",
	[LS_DROP_NO_START] = "release_without_start",
	[LS_DROP_NO_ENTRY] = "lock_entry_missed",
	[LS_DROP_ENTRY_PREEMPTED] = "entry_preempted",
	[LS_DROP_STACK] = "stack_failed",
	[LS_DROP_STACK_FULL] = "stack_map_full",
	[LS_DROP_SITE_FULL] = "callsite_map_full",
	[LS_DROP_WAIT_STALE] = "wait_start_overwritten",
	[LS_DROP_WAIT_NO_BEGIN] = "wait_end_without_begin",
	[LS_DROP_VM_FULL] = "vm_slots_full",
	[LS_DROP_WATCH_FULL] = "watch_map_full",
};

static const char *mode_names[LS_NR_MODES] = { "read", "write" };

/* -s keys: name and pid first (cli.h), then largest first, both modes */
enum { SORT_NAME, SORT_PID, SORT_WAIT, SORT_HOLD, SORT_ACQ, SORT_CONTENDED };
static const char *const sort_keys[] = {
	"name", "pid", "wait", "hold", "acq", "contended", NULL,
};

/* ------------------------------------------------------------------ */
/* arguments                                                           */

static const char doc[] =
"Who holds and who waits for kvm->mmu_lock: acquisitions, contentions,\n"
"wait and hold times per VM, mode (read/write) and call site.\n";

enum { OPT_SOURCE = 256, OPT_STACKS };

static const struct argp_option opts[] = {
	{ "stacks", OPT_STACKS, "N", 0, "Walk the kernel stack of every watched "
	  "acquisition (or contention) and show the top N call sites per VM "
	  "and mode (at most 1000; default 0: no stack walks, the cheapest)",
	  0 },
	{ "source", OPT_SOURCE, "SRC", 0,
	  "auto (default), raw, lockdep or contention", 0 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	unsigned long v;
	int i;

	switch (key) {
	case OPT_STACKS:
		if (parse_ulong(arg, 0, MAX_NSTACKS, &v))
			argp_error(state, "invalid number of call sites '%s' "
				   "(0-%d)", arg, MAX_NSTACKS);
		env.nstacks = v;
		break;
	case OPT_SOURCE:
		if (!strcmp(arg, "auto")) {
			env.source = -1;
			break;
		}
		for (i = 0; i < (int)(sizeof(source_names) /
				      sizeof(source_names[0])); i++)
			if (!strcmp(arg, source_names[i]))
				break;
		if (i == (int)(sizeof(source_names) / sizeof(source_names[0])))
			argp_error(state, "unknown source '%s' (auto, raw, "
				   "lockdep, contention)", arg);
		env.source = i;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void parse_args(int argc, char **argv)
{
	static const struct argp_child children[] = {
		{ &cli_argp, 0, NULL, 0 },
		{},
	};
	static const struct argp argp = {
		.options = opts,
		.parser = parse_opt,
		.args_doc = "[interval [count]]\n--features [-j] [-v]",
		.doc = doc,
		.children = children,
	};

	cli_init(TOOL, 0);
	cli_set_sort_keys(sort_keys);
	cli_set_option_doc('v', "Full call stacks, struct kvm addresses, the "
			   "feature report, libbpf debug messages");
	cli_parse(&argp, argc, argv);
}

/* ------------------------------------------------------------------ */
/* privileges and features                                             */

static bool have_caps(void)
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

enum probe_kind { P_FENTRY, P_FEXIT, P_FENTRY_FEXIT, P_TP_BTF };

struct probe {
	const char *target;
	enum probe_kind kind;
	const char *role;
	bool ok;
	const char *why;	/* when !ok */
};

enum {
	PR_WRITE_LOCK, PR_READ_LOCK, PR_WRITE_UNLOCK, PR_READ_UNLOCK,
	PR_WRITE_LOCK_NESTED, PR_WRITE_TRYLOCK, PR_READ_TRYLOCK,
	PR_CONT_BEGIN, PR_CONT_END, PR_LOCK_CONTENDED,
	PR_VM_CREATE, PR_VM_FREE, PR_VM_DESTROY,
	PR_NR,
};

static struct probe probes[PR_NR] = {
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

static struct features {
	bool kvm_btf;
	const char *kvm_btf_where;
	long dep_map_off;		/* -1: rwlock_t has no dep_map */
	__u64 vm_fops, vcpu_fops;	/* from kallsyms, 0 if unknown */
	bool iter_task_file;
	bool hold_ok, raw_wait_ok, lockdep_wait_ok, cont_ok;
	int source;			/* chosen, -1 if none */
	const char *source_why;		/* why nothing (better) was chosen */
	const char *raw_why, *lockdep_why;
} feat;

static long btf_member_offset(const char *type, int kind, const char *member)
{
	const struct btf_member *m;
	const struct btf_type *t;
	const struct btf *btf;
	int id, i;

	id = kernel_btf_find(type, kind, &btf, NULL);
	if (id < 0)
		return -1;
	id = btf__resolve_type(btf, id);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id);
	if (!btf_is_composite(t))
		return -1;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), member))
			return btf_member_bit_offset(t, i) / 8;
	return -1;
}

static void probe_features(void)
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

static bool source_has_wait(int src)
{
	return src == LS_SRC_LOCKDEP || feat.raw_wait_ok;
}

static bool source_has_hold(int src)
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

static void metric_json(struct json *j, const char *name, bool live,
			const char *info)
{
	json_key(j, name);
	json_begin_object(j);
	json_kv_bool(j, "live", live);
	json_kv_string(j, live ? "source" : "reason", info);
	json_end_object(j);
}

/* the "features" record: --features -j, and the first line of every -j run */
static void json_features(struct json *j)
{
	bool ok = feat.source >= 0;
	char name[96];
	int i;

	json_begin_record(j, "features", TOOL);
	json_kv_string(j, "kernel", kernel_release());
	if (ok)
		json_kv_string(j, "source", source_names[feat.source]);
	else
		json_kv_null(j, "source");
	json_kv_string(j, "source_detail", ok ? source_desc(feat.source) :
		       feat.source_why);
	json_key(j, "metrics");
	json_begin_object(j);
	metric_json(j, "wait_times", ok && source_has_wait(feat.source),
		    ok && source_has_wait(feat.source) ?
		    source_desc(feat.source) : "not measured by this source");
	metric_json(j, "hold_times", ok && source_has_hold(feat.source),
		    ok && source_has_hold(feat.source) ?
		    source_desc(feat.source) : "not measured by this source");
	metric_json(j, "vm_discovery", true, discovery_desc());
	metric_json(j, "call_sites", env.nstacks > 0, env.nstacks > 0 ?
		    (cli.verbose ? "kernel stack of each watched event, 32 frames" :
		     "kernel stack of each watched event, 12 frames") :
		    "off: --stacks N walks a kernel stack per watched event");
	json_end_object(j);
	json_key(j, "probes");
	json_begin_array(j);
	for (i = 0; i < PR_NR; i++) {
		snprintf(name, sizeof(name), "%s/%s",
			 kind_names[probes[i].kind], probes[i].target);
		json_begin_object(j);
		json_kv_string(j, "name", name);
		json_kv_bool(j, "available", probes[i].ok);
		if (!probes[i].ok)
			json_kv_string(j, "reason", probes[i].why);
		json_kv_string(j, "role", probes[i].role);
		json_end_object(j);
	}
	json_end_array(j);
	json_kv_bool(j, "btf", true);
	json_kv_bool(j, "kvm_btf", feat.kvm_btf);
	json_kv_s64(j, "rwlock_dep_map_offset", feat.dep_map_off);
	json_kv_bool(j, "iter_task_file", feat.iter_task_file);
	json_kv_bool(j, "kallsyms_kvm_fops", feat.vm_fops != 0);
	json_end_object(j);
}

static void print_features(void)
{
	int i;

	if (cli.json) {
		struct json *j = json_new(stdout);

		json_features(j);
		json_free(j);
		return;
	}

	printf("kernel          %s\n", kernel_release());
	printf("kernel BTF      yes; struct kvm: %s\n",
	       feat.kvm_btf ? feat.kvm_btf_where : "NOT FOUND");
	for (i = 0; i < PR_NR; i++)
		printf("%-12s %-22s %-4s %s%s%s\n", kind_names[probes[i].kind],
		       probes[i].target, probes[i].ok ? "yes" : "no",
		       probes[i].role, probes[i].ok ? "" : ": ",
		       probes[i].ok ? "" : probes[i].why);
	if (feat.dep_map_off >= 0)
		printf("rwlock_t        dep_map at offset %ld (lockdep kernel)\n",
		       feat.dep_map_off);
	else
		printf("rwlock_t        no dep_map (no lockdep)\n");
	printf("source          %s%s\n",
	       feat.source >= 0 ? source_names[feat.source] : "NONE",
	       env.source < 0 ? " (auto)" : "");
	printf("                %s\n", feat.source >= 0 ?
	       source_desc(feat.source) : feat.source_why);
	if (feat.source != LS_SRC_RAW && feat.raw_why)
		printf("                (raw not possible: %s)\n", feat.raw_why);
	if (feat.source != LS_SRC_LOCKDEP && feat.lockdep_why)
		printf("                (lockdep not possible: %s)\n",
		       feat.lockdep_why);
	printf("VM discovery    %s\n", discovery_desc());
	printf("call sites      %s\n", env.nstacks > 0 ?
	       (cli.verbose ? "on: 32-frame stack walk per watched event" :
		"on: 12-frame stack walk per watched event") :
	       "off (--stacks N: a stack walk per watched event)");
}

/* ------------------------------------------------------------------ */
/* BPF setup                                                           */

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list args)
{
	if (level == LIBBPF_DEBUG && !cli.verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static struct lockstat_bpf *skel;
static struct bpf_link *iter_link;
static struct bpf_link *links[32];
static int nr_links;
static struct ksyms *ksyms;

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

static void detach_all(void)
{
	/* acquire hooks first, in reverse attach order */
	while (nr_links > 0)
		bpf_link__destroy(links[--nr_links]);
	bpf_link__destroy(iter_link);
	iter_link = NULL;
}

/* size the maps, load the programs set to autoload, start epoch 1 */
static int load_skel(bool stacks)
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

static int setup_bpf(void)
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
static void scan_vms(void)
{
	if (!iter_link)
		return;
	skel->bss->scan_gen++;
	if (vm_scan_run(iter_link, TOOL))
		scan_failed_gen = skel->bss->scan_gen;
}

/* ------------------------------------------------------------------ */
/* snapshots                                                           */

/* stats of one VM slot at the previous report */
static struct prev_vm {
	__u32 vm_id;
	struct ls_mode_stats st[LS_NR_MODES];
	__u64 wait_max[LS_NR_MODES], hold_max[LS_NR_MODES];	/* since found */
} prev_vm[LS_MAX_VMS];

/* call-site counters: open-addressing table, rebuilt every report */
struct site_ent {
	struct ls_site_key key;
	struct ls_site val;
	bool used;
};

struct site_tab {
	struct site_ent *e;
	size_t cap;
};

static struct site_tab prev_sites, cur_sites;

static size_t site_hash(const struct ls_site_key *k, size_t cap)
{
	__u64 h = k->stack * 0x9e3779b97f4a7c15ULL;

	h ^= ((__u64)k->vm_id << 1 | k->mode) * 0xff51afd7ed558ccdULL;
	return (h ^ (h >> 31)) & (cap - 1);
}

static bool key_eq(const struct ls_site_key *a, const struct ls_site_key *b)
{
	return a->vm_id == b->vm_id && a->mode == b->mode &&
	       a->stack == b->stack;
}

static struct site_ent *site_find(struct site_tab *t,
				  const struct ls_site_key *k, bool add)
{
	size_t i = site_hash(k, t->cap), n;

	for (n = 0; n < t->cap; n++, i = (i + 1) & (t->cap - 1)) {
		struct site_ent *e = &t->e[i];

		if (!e->used) {
			if (!add)
				return NULL;
			e->used = true;
			e->key = *k;
			return e;
		}
		if (key_eq(&e->key, k))
			return e;
	}
	return NULL;
}

static int site_tab_init(struct site_tab *t)
{
	t->cap = 2 * SITES_ENTRIES;	/* power of two, load <= 0.5 */
	t->e = calloc(t->cap, sizeof(*t->e));
	return t->e ? 0 : -ENOMEM;
}

static void read_sites(void)
{
	struct ls_site_key key, next, *kp = NULL;
	int fd = bpf_map__fd(skel->maps.sites);
	struct ls_site val;
	struct site_ent *e;

	memset(cur_sites.e, 0, cur_sites.cap * sizeof(*cur_sites.e));
	while (!bpf_map_get_next_key(fd, kp, &next)) {
		key = next;
		kp = &key;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		e = site_find(&cur_sites, &key, true);
		if (e)
			e->val = val;
	}
}

static void forget_vm_sites(__u32 vm_id)
{
	struct ls_site_key key, next, *kp = NULL;
	int fd = bpf_map__fd(skel->maps.sites);
	struct ls_site_key *del;
	size_t n = 0, cap = 256;

	del = malloc(cap * sizeof(*del));
	if (!del)
		return;
	while (!bpf_map_get_next_key(fd, kp, &next)) {
		key = next;
		kp = &key;
		if (key.vm_id != vm_id)
			continue;
		if (n == cap) {
			struct ls_site_key *p = realloc(del, 2 * cap * sizeof(*p));

			if (!p)
				break;
			del = p;
			cap *= 2;
		}
		del[n++] = key;
	}
	while (n--)
		bpf_map_delete_elem(fd, &del[n]);
	free(del);
}

static void read_drops(__u64 *out)
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
/* call sites                                                          */

static bool internal_frame(const char *name)
{
	static const char *const prefixes[] = {
		"bpf_", "__bpf_", "_raw_", "__raw_", "queued_", "do_raw_",
		"lock_acquire", "lock_acquired", "lock_contended",
		"lock_release", "__lock_acquire", "__cond_resched_rwlock",
		"__traceiter_", "__probestub_",
	};
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* index of the first frame outside BPF and the lock code, or -1 */
static int caller_index(const __u64 *ips, int n)
{
	int i;

	for (i = 0; i < n && ips[i]; i++) {
		const struct ksym *s = ksyms__map_addr(ksyms, ips[i]);

		if (!s || s->module || internal_frame(s->name))
			continue;
		return i;
	}
	return -1;
}

struct callsite {
	__u64 caller;		/* 0: unknown */
	__u64 acquired, contended, wait_total, hold_total, hold_max;
	__u64 top_stack;	/* the heaviest stack of this caller */
	__u64 top_weight;
};

struct callsites {
	struct callsite *v;
	size_t n, cap;
	bool cumulative;	/* since the VM was found: no hold maximum */
};

static bool stack_lookup(__u64 hash, struct ls_stack *st)
{
	if (!hash)
		return false;
	return !bpf_map_lookup_elem(bpf_map__fd(skel->maps.stack_text), &hash,
				    st);
}

static void collect_sites(__u32 vm_id, int mode, __u64 prev_epoch,
			  struct callsites *cs, bool by_hold, bool cumulative)
{
	size_t i, k;

	cs->n = 0;
	cs->cumulative = cumulative;
	for (i = 0; i < cur_sites.cap; i++) {
		struct site_ent *e = &cur_sites.e[i], *p;
		struct ls_site d;
		struct ls_stack st;
		struct callsite *c = NULL;
		__u64 caller = 0, weight;
		int ci;

		if (!e->used || e->key.vm_id != vm_id || e->key.mode != (__u32)mode)
			continue;
		d = e->val;
		p = cumulative ? NULL : site_find(&prev_sites, &e->key, false);
		if (p) {
			d.acquired -= p->val.acquired;
			d.contended -= p->val.contended;
			d.wait_total -= p->val.wait_total;
			d.hold_total -= p->val.hold_total;
		}
		if (!d.acquired && !d.contended)
			continue;
		if (stack_lookup(e->key.stack, &st)) {
			ci = caller_index(st.ips, LS_MAX_STACK_DEPTH);
			caller = ci >= 0 ? st.ips[ci] : 0;
		}
		for (k = 0; k < cs->n; k++)
			if (cs->v[k].caller == caller) {
				c = &cs->v[k];
				break;
			}
		if (!c) {
			if (cs->n == cs->cap) {
				size_t cap = cs->cap ? cs->cap * 2 : 64;
				struct callsite *nv = realloc(cs->v, cap * sizeof(*nv));

				if (!nv)
					return;
				cs->v = nv;
				cs->cap = cap;
			}
			c = &cs->v[cs->n++];
			memset(c, 0, sizeof(*c));
			c->caller = caller;
		}
		c->acquired += d.acquired;
		c->contended += d.contended;
		c->wait_total += d.wait_total;
		c->hold_total += d.hold_total;
		if (d.hold_max[prev_epoch & 1].epoch == prev_epoch &&
		    d.hold_max[prev_epoch & 1].val > c->hold_max)
			c->hold_max = d.hold_max[prev_epoch & 1].val;
		weight = by_hold ? d.hold_total : d.wait_total;
		if (!c->top_stack || weight > c->top_weight) {
			c->top_stack = e->key.stack;
			c->top_weight = weight;
		}
	}
}

static bool sort_by_hold;

static int cmp_callsite(const void *a, const void *b)
{
	const struct callsite *x = a, *y = b;
	__u64 wx = sort_by_hold ? x->hold_total : x->wait_total;
	__u64 wy = sort_by_hold ? y->hold_total : y->wait_total;

	if (wx != wy)
		return wx < wy ? 1 : -1;
	if (x->acquired != y->acquired)
		return x->acquired < y->acquired ? 1 : -1;
	return x->contended < y->contended ? 1 : (x->contended > y->contended ? -1 : 0);
}

/* ------------------------------------------------------------------ */
/* output                                                              */

static char *fmt_ns(__u64 ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.3fs", ns / 1e9);
	return buf;
}

static void print_hist(const __u64 *slots, const char *title)
{
	if (!hist_total(slots, LS_HIST_SLOTS))
		return;
	printf("    %s\n", title);
	print_log2_hist(stdout, slots, LS_HIST_SLOTS, "nsecs", 4);
}

struct mode_delta {
	__u64 acquired, contended, wait_total, hold_count, hold_total;
	__u64 wait_max, hold_max;
	__u64 wait_hist[LS_HIST_SLOTS], hold_hist[LS_HIST_SLOTS];
};

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

static void print_frames(const struct ls_stack *st, int from, int indent)
{
	char buf[256];
	int i, n = 0, limit = cli.verbose ? LS_MAX_STACK_DEPTH : 2;

	for (i = from; i < LS_MAX_STACK_DEPTH && st->ips[i] && n < limit;
	     i++, n++)
		printf("%*s<- %s\n", indent, "",
		       ksyms__format(ksyms, st->ips[i], buf, sizeof(buf)));
}

static void text_callsites(struct callsites *cs, int mode, bool by_hold)
{
	char b1[32], b2[32], b3[32], sym[256];
	size_t i, n;

	if (!cs->n || !env.nstacks)
		return;
	sort_by_hold = by_hold;
	qsort(cs->v, cs->n, sizeof(*cs->v), cmp_callsite);
	n = cs->n < (size_t)env.nstacks ? cs->n : (size_t)env.nstacks;
	printf("  top %s call sites by %s time:\n", mode_names[mode],
	       by_hold ? "hold" : "wait");
	if (by_hold)
		printf("    %10s %9s %9s %9s %10s  %s\n", "hold-total", "acq",
		       "hold-max", "contended", "wait-total", "caller");
	else
		printf("    %9s %10s  %s\n", "contended", "wait-total", "caller");
	for (i = 0; i < n; i++) {
		struct callsite *c = &cs->v[i];
		struct ls_stack st;
		int indent;

		if (c->caller)
			ksyms__format(ksyms, c->caller, sym, sizeof(sym));
		else
			snprintf(sym, sizeof(sym), "[unknown stack]");
		if (by_hold) {
			printf("    %10s %9llu %9s %9llu %10s  %s\n",
			       fmt_ns(c->hold_total, b1, sizeof(b1)),
			       (unsigned long long)c->acquired,
			       fmt_ns(c->hold_max, b2, sizeof(b2)),
			       (unsigned long long)c->contended,
			       fmt_ns(c->wait_total, b3, sizeof(b3)), sym);
			indent = 57;
		} else {
			printf("    %9llu %10s  %s\n",
			       (unsigned long long)c->contended,
			       fmt_ns(c->wait_total, b3, sizeof(b3)), sym);
			indent = 26;
		}
		if (c->caller && stack_lookup(c->top_stack, &st)) {
			int ci = caller_index(st.ips, LS_MAX_STACK_DEPTH);

			if (ci >= 0)
				print_frames(&st, ci + 1, indent);
		}
	}
}

static void json_callsites(struct json *j, struct callsites *cs, bool by_hold)
{
	char sym[256];
	size_t i, n;
	int k;

	sort_by_hold = by_hold;
	if (cs->n)
		qsort(cs->v, cs->n, sizeof(*cs->v), cmp_callsite);
	n = cs->n < (size_t)env.nstacks ? cs->n : (size_t)env.nstacks;
	json_key(j, "callsites");
	json_begin_array(j);
	for (i = 0; i < n; i++) {
		struct callsite *c = &cs->v[i];
		struct ls_stack st;

		json_begin_object(j);
		if (c->caller) {
			json_kv_string(j, "caller", ksyms__format(ksyms, c->caller,
							sym, sizeof(sym)));
			snprintf(sym, sizeof(sym), "0x%llx",
				 (unsigned long long)c->caller);
			json_kv_string(j, "caller_addr", sym);
		} else {
			json_kv_null(j, "caller");
			json_kv_null(j, "caller_addr");
		}
		json_kv_u64(j, "acquired", c->acquired);
		json_kv_u64(j, "contended", c->contended);
		json_kv_u64(j, "wait_total_ns", c->wait_total);
		if (by_hold) {
			json_kv_u64(j, "hold_total_ns", c->hold_total);
			json_kv_u64_or_null(j, "hold_max_ns", !cs->cumulative,
					    c->hold_max);
		}
		json_key(j, "stack");
		json_begin_array(j);
		if (stack_lookup(c->top_stack, &st)) {
			int ci = caller_index(st.ips, LS_MAX_STACK_DEPTH);

			for (k = ci < 0 ? 0 : ci; k < LS_MAX_STACK_DEPTH &&
			     st.ips[k]; k++)
				json_string(j, ksyms__format(ksyms, st.ips[k],
							     sym, sizeof(sym)));
		}
		json_end_array(j);
		json_end_object(j);
	}
	json_end_array(j);
}

struct report {
	__u64 prev_epoch;
	__u64 interval_ns;
	__u64 run_ns;		/* since tracing started */
	bool final;
	struct mode_delta total[LS_NR_MODES];
	__u64 drops[LS_DROP_NR];
	__u64 misses;
	int nvms;
};

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

static struct json *jw;
static struct callsites cs_buf;

static void free_slot(int slot, __u32 vm_id)
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

/* without a teardown hook: a VM the rescan no longer finds is gone */
static void expire_unseen_vms(void)
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

struct vm_row {
	int slot;
	struct ls_vm vm;
	struct mode_delta d[LS_NR_MODES];
	struct mode_delta cum[LS_NR_MODES];	/* since the VM was found */
	char name[VM_NAME_LEN];
	bool gone;	/* --prom: exited in an earlier report, slot freed */
};

/*
 * --prom keeps the final totals of the last LS_PROM_EXITED VMs that exited
 * (in earlier reports), so that a scrape after a VM's exit still sees what
 * it did; their call sites are gone with their slots.
 */
#define LS_PROM_EXITED	64
static struct vm_row prom_rows[LS_MAX_VMS + LS_PROM_EXITED];
static struct vm_row prom_exited[LS_PROM_EXITED];
static int nr_prom_exited, next_prom_exited;

static void prom_vm_labels(struct prom_label *l, const struct vm_row *row,
			   char *pid, char *id, int m)
{
	sprintf(pid, "%u", row->vm.tgid);
	sprintf(id, "%u", row->vm.vm_id);
	l[0] = (struct prom_label){ "name", row->name };
	l[1] = (struct prom_label){ "pid", pid };
	l[2] = (struct prom_label){ "vm_id", id };
	l[3] = (struct prom_label){ "mode", mode_names[m] };
}

/*
 * --prom: every VM's totals since it was found (its first report's
 * figures, then growing), the call sites' too, family by family.  Labels:
 * name, pid, vm_id (the JSON's vm_id), mode, and caller for call sites.
 */
static void write_prom(const struct vm_row *rows, int n,
		       const struct report *r, bool wait, bool hold)
{
	static const char *const site_fam[3][2] = {
		{ "kvm_mmu_lock_callsite_acquisitions_total",
		  "mmu_lock acquisitions by the caller of the lock function." },
		{ "kvm_mmu_lock_callsite_contentions_total",
		  "Contended mmu_lock acquisitions by caller." },
		{ "kvm_mmu_lock_callsite_wait_seconds_total",
		  "Time waited for mmu_lock by caller." },
	};
	static int warned;
	struct prom *p = cli.prom;
	struct prom_label l[5];
	char pid[16], id[16], sym[256];
	int i, m, f, err;
	size_t k;

	if (!p)
		return;
	if (prom_begin(p))
		goto out;
	prom_family(p, "kvm_mmu_lock_source_info", "gauge", "The event "
		    "source lockstat uses on this kernel (see --features).");
	l[0] = (struct prom_label){ "source", source_names[feat.source] };
	prom_u64(p, "kvm_mmu_lock_source_info", l, 1, 1);
	prom_family(p, "kvm_mmu_lock_vm_exited", "gauge", "1 once the VM "
		    "exited: its final totals (the last 64 such VMs) stay.");
	for (i = 0; i < n; i++) {
		prom_vm_labels(l, &rows[i], pid, id, 0);
		prom_u64(p, "kvm_mmu_lock_vm_exited", l, 3, rows[i].gone ||
			 rows[i].vm.state == LS_VM_DEAD);
	}
	for (f = 0; f < 4; f++) {
		/* counters, then histograms (seconds) */
		static const struct {
			const char *name, *type, *help;
			bool hold;	/* needs hold times, else wait times */
		} fam[4] = {
			{ "kvm_mmu_lock_acquisitions_total", "counter",
			  "mmu_lock acquisitions.", true },
			{ "kvm_mmu_lock_contentions_total", "counter",
			  "mmu_lock acquisitions that had to wait.", false },
			{ "kvm_mmu_lock_wait_seconds", "histogram",
			  "Time waited for mmu_lock.", false },
			{ "kvm_mmu_lock_hold_seconds", "histogram",
			  "Time mmu_lock was held, from acquisition to release.",
			  true },
		};

		if (fam[f].hold ? !hold : !wait)
			continue;
		prom_family(p, fam[f].name, fam[f].type, fam[f].help);
		for (i = 0; i < n; i++)
			for (m = LS_NR_MODES - 1; m >= 0; m--) {
				const struct mode_delta *c = &rows[i].cum[m];

				prom_vm_labels(l, &rows[i], pid, id, m);
				if (f == 0)
					prom_u64(p, fam[f].name, l, 4, c->acquired);
				else if (f == 1)
					prom_u64(p, fam[f].name, l, 4, c->contended);
				else if (f == 2)
					prom_log2_hist(p, fam[f].name, l, 4, c->wait_hist,
						       LS_HIST_SLOTS, 1e9, c->wait_total);
				else
					prom_log2_hist(p, fam[f].name, l, 4, c->hold_hist,
						       LS_HIST_SLOTS, 1e9, c->hold_total);
			}
	}
	for (f = 0; env.nstacks && f < 3; f++) {
		if ((f == 0 && !hold) || (f > 0 && !wait))
			continue;
		prom_family(p, site_fam[f][0], "counter", site_fam[f][1]);
		for (i = 0; i < n; i++)
			for (m = LS_NR_MODES - 1; m >= 0; m--) {
				if (rows[i].gone)
					break;
				collect_sites(rows[i].vm.vm_id, m, r->prev_epoch,
					      &cs_buf, hold, true);
				for (k = 0; k < cs_buf.n; k++) {
					const struct callsite *c = &cs_buf.v[k];

					prom_vm_labels(l, &rows[i], pid, id, m);
					l[4] = (struct prom_label){ "caller",
						c->caller ? ksyms__format(ksyms,
						c->caller, sym, sizeof(sym)) :
						"unknown" };
					if (f == 0)
						prom_u64(p, site_fam[f][0], l, 5,
							 c->acquired);
					else if (f == 1)
						prom_u64(p, site_fam[f][0], l, 5,
							 c->contended);
					else
						prom_double(p, site_fam[f][0], l, 5,
							    c->wait_total / 1e9);
				}
			}
	}
	prom_family(p, "kvm_mmu_lock_drops_total", "counter", "Events not "
		    "counted because a bounded map was full, by map.");
	for (i = 0; i < LS_DROP_NR; i++) {
		l[0] = (struct prom_label){ "reason", drop_names[i] };
		prom_u64(p, "kvm_mmu_lock_drops_total", l, 1, r->drops[i]);
	}
	prom_family(p, "kvm_mmu_lock_bpf_recursion_misses_total", "counter",
		    "Events the kernel did not run a probe for.");
	prom_u64(p, "kvm_mmu_lock_bpf_recursion_misses_total", NULL, 0,
		 r->misses);
out:
	err = prom_commit(p);
	if (err && !warned++)
		fprintf(stderr, "lockstat: --prom %s: %s (further errors not "
			"shown)\n", cli.prom_path, strerror(-err));
}

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

static void report(struct report *r)
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

/* ------------------------------------------------------------------ */

static __u64 mono_ns(void)
{
	return cli_now_ns();
}

/*
 * Sleep until @deadline (CLOCK_MONOTONIC ns, absolute; CLI_FOREVER: no
 * deadline) or a signal.  Without a creation hook, new VMs are only found
 * by the iterator, so rescan every second meanwhile.
 */
static void sleep_until(__u64 deadline)
{
	__u64 scan = mono_ns() + NSEC_PER_SEC;

	if (!probes[PR_VM_CREATE].ok) {
		while (scan < deadline) {
			if (!cli_sleep_until(scan))
				return;		/* a signal */
			scan_vms();
			expire_unseen_vms();
			scan += NSEC_PER_SEC;
		}
	}
	cli_sleep_until(deadline);
}

int main(int argc, char **argv)
{
	struct cli_ticker tk;
	char secs[32];
	__u64 last;
	int err;

	parse_args(argc, argv);
	libbpf_set_print(libbpf_print);

	if (!have_caps() || bpf_privilege_check() == -EPERM)
		tool_die(TOOL, EXIT_NOPERM, NULL);
	if (!vmlinux_btf_available() || !kernel_btf())
		tool_die(TOOL, EXIT_NOBTF, NULL);

	ksyms = ksyms__load(NULL);
	if (!ksyms)
		fprintf(stderr, "%s: warning: /proc/kallsyms: %s; call sites "
			"will be raw addresses\n", TOOL, strerror(errno));
	probe_features();

	if (cli.features) {
		print_features();
		return feat.source >= 0 ? EXIT_OK : EXIT_NOPROBE;
	}
	if (feat.source < 0)
		tool_die(TOOL, EXIT_NOPROBE, "%s", feat.source_why);
	if (cli.verbose)
		print_features();

	if (site_tab_init(&prev_sites) || site_tab_init(&cur_sites)) {
		fprintf(stderr, "%s: out of memory\n", TOOL);
		return EXIT_RUNTIME;
	}
	if (cli.json) {
		jw = json_new(stdout);
		if (!jw)
			return EXIT_RUNTIME;
	}

	err = setup_bpf();
	if (err)
		goto out;
	if (cli.prog_stats)
		prog_stats_start(TOOL);
	/* BPF programs and trampolines now have kallsyms entries */
	ksyms__free(ksyms);
	ksyms = ksyms__load(NULL);

	scan_vms();
	/* before the banner: whoever waits for it may signal right away */
	cli_signals_install();
	if (cli.json) {
		json_features(jw);
		fprintf(stderr, "%s: tracing kvm->mmu_lock (source %s)\n", TOOL,
			source_names[feat.source]);
	} else {
		printf("Tracing kvm->mmu_lock (source %s%s)", source_names[feat.source],
		       cli.pid ? ", one VMM" : "");
		if (cli.interval_ns)
			printf(", %ss interval", cli_fmt_seconds(cli.interval_ns,
				secs, sizeof(secs)));
		if (cli.duration_ns)
			printf(", for %ss", cli_fmt_seconds(cli.duration_ns,
				secs, sizeof(secs)));
		printf(". Hit Ctrl-C to end.\n");
		if (!env.nstacks)
			printf("No call sites: --stacks N walks a stack per "
			       "event to find them.\n");
		fflush(stdout);
	}

	cli_command_start();
	cli_ticker_start(&tk);
	last = tk.start;
	while (true) {
		struct report r = {};
		__u64 now;

		sleep_until(cli_ticker_deadline(&tk));
		r.final = cli_ticker_next(&tk);
		/* the final report counts what happened until the detach */
		if (r.final)
			detach_all();

		/* close the interval: later maxima go to the other slot */
		r.prev_epoch = skel->bss->epoch;
		__atomic_store_n(&skel->bss->epoch, r.prev_epoch + 1,
				 __ATOMIC_SEQ_CST);
		now = mono_ns();
		r.interval_ns = now - last;
		r.run_ns = now - tk.start;
		last = now;
		report(&r);
		{
			struct site_tab t = prev_sites;

			prev_sites = cur_sites;
			cur_sites = t;
		}
		if (r.final)
			break;
		/* VMs created since the last pass, gone ones */
		scan_vms();
		expire_unseen_vms();
	}
	err = EXIT_OK;
out:
	cli_command_finish();
	detach_all();
	lockstat_bpf__destroy(skel);
	json_free(jw);
	ksyms__free(ksyms);
	kernel_btf_free();
	free(prev_sites.e);
	free(cur_sites.e);
	free(cs_buf.v);
	return err;
}

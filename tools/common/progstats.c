// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --prog-stats, see progstats.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "json.h"
#include "progstats.h"

static int stats_fd = -1;

int prog_stats_enable(void)
{
	if (stats_fd >= 0)
		return 0;
	/* the fd keeps the statistics on; closed at exit */
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	return stats_fd < 0 ? -errno : 0;
}

void prog_stats_start(const char *tool)
{
	int err = prog_stats_enable();

	if (err && !prog_stats_on())
		fprintf(stderr, "%s: warning: --prog-stats: BPF_ENABLE_STATS: "
			"%s; no costs unless kernel.bpf_stats_enabled=1\n",
			tool, strerror(-err));
}

int prog_stats_on(void)
{
	char c = '0';
	int fd;

	if (stats_fd >= 0)
		return 1;
	fd = open("/proc/sys/kernel/bpf_stats_enabled", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c == '1';
}

static int prog_info(struct bpf_program *prog, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);
	int fd = bpf_program__fd(prog);

	memset(info, 0, sizeof(*info));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, info, &len))
		return -1;
	return 0;
}

void prog_stats_print(FILE *f, struct bpf_object *obj)
{
	struct bpf_program *prog;
	struct bpf_prog_info info;

	if (!prog_stats_on()) {
		fprintf(f, "BPF program costs: not counted (BPF_ENABLE_STATS "
			"refused, kernel.bpf_stats_enabled=0)\n");
		return;
	}
	fprintf(f, "BPF program costs (the kernel's run-time statistics):\n");
	fprintf(f, "  %-32s %12s %9s %10s\n", "PROGRAM", "RUNS", "AVG-ns",
		"TOTAL-ms");
	bpf_object__for_each_program(prog, obj) {
		if (prog_info(prog, &info))
			continue;
		fprintf(f, "  %-32s %12llu %9llu %10.1f\n",
			bpf_program__name(prog),
			(unsigned long long)info.run_cnt,
			(unsigned long long)(info.run_cnt ?
				info.run_time_ns / info.run_cnt : 0),
			info.run_time_ns / 1e6);
	}
}

void prog_stats_json(struct json *j, struct bpf_object *obj)
{
	struct bpf_program *prog;
	struct bpf_prog_info info;

	json_key(j, "prog_stats");
	if (!prog_stats_on()) {
		json_null(j);
		return;
	}
	json_begin_object(j);
	bpf_object__for_each_program(prog, obj) {
		if (prog_info(prog, &info))
			continue;
		json_key(j, bpf_program__name(prog));
		json_begin_object(j);
		json_kv_u64(j, "runs", info.run_cnt);
		json_kv_u64(j, "run_ns", info.run_time_ns);
		json_end_object(j);
	}
	json_end_object(j);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests of the Prometheus writer (prom.c): the exact text of an
 * exposition (escaping, histogram buckets), the atomic replacement of the
 * file, errors for unusable paths.  With promtool in PATH (Debian's
 * prometheus package, installed by scripts/deps.sh) the exposition must
 * also pass "promtool check metrics"; without it that check FAILS unless
 * PROMTOOL=skip says it may be left out.  Built and run by
 * "make -C tools check"; output as test-cli.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "prom.h"
#include "test-check.h"

static char dir[] = "/tmp/test-prom.XXXXXX";

static char *slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static int nr_files(void)
{
	char cmd[128];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", dir);
	p = popen(cmd, "r");
	if (p) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	return n;
}

static const char expected[] =
	"# HELP t_faults_total Faults, with a \\\\ and a\\nnewline.\n"
	"# TYPE t_faults_total counter\n"
	"t_faults_total{vm=\"a \\\"q\\\" \\\\ \\n\",pid=\"7\"} 42\n"
	"t_faults_total 0\n"
	"# HELP t_ratio Ratio.\n"
	"# TYPE t_ratio gauge\n"
	"t_ratio{vm=\"b\"} 0.5\n"
	"# HELP t_latency_seconds Latency.\n"
	"# TYPE t_latency_seconds histogram\n"
	"t_latency_seconds_bucket{vm=\"b\",le=\"0\"} 1\n"
	"t_latency_seconds_bucket{vm=\"b\",le=\"1e-09\"} 1\n"
	"t_latency_seconds_bucket{vm=\"b\",le=\"3e-09\"} 4\n"
	"t_latency_seconds_bucket{vm=\"b\",le=\"7e-09\"} 4\n"
	"t_latency_seconds_bucket{vm=\"b\",le=\"+Inf\"} 9\n"
	"t_latency_seconds_sum{vm=\"b\"} 1e-07\n"
	"t_latency_seconds_count{vm=\"b\"} 9\n"
	"# HELP t_retries Retries.\n"
	"# TYPE t_retries histogram\n"
	"t_retries_bucket{le=\"0\"} 2\n"
	"t_retries_bucket{le=\"+Inf\"} 3\n"
	"t_retries_sum 5\n"
	"t_retries_count 3\n";

static void write_one(struct prom *p, __u64 faults)
{
	struct prom_label l1[] = { { "vm", "a \"q\" \\ \n" }, { "pid", "7" } };
	struct prom_label l2[] = { { "vm", "b" } };
	/* slot 0: 0, slot 1: 1, slot 2: 2-3, slot 3: 4-7, slot 4: 8+ */
	__u64 lat[5] = { 1, 0, 3, 0, 5 };
	__u64 retries[2] = { 2, 1 };

	check(!prom_begin(p), "prom_begin");
	prom_family(p, "t_faults_total", "counter",
		    "Faults, with a \\ and a\nnewline.");
	prom_u64(p, "t_faults_total", l1, 2, faults);
	prom_u64(p, "t_faults_total", NULL, 0, 0);
	prom_family(p, "t_ratio", "gauge", "Ratio.");
	prom_double(p, "t_ratio", l2, 1, 0.5);
	prom_family(p, "t_latency_seconds", "histogram", "Latency.");
	prom_log2_hist(p, "t_latency_seconds", l2, 1, lat, 5, 1e9, 100);
	prom_family(p, "t_retries", "histogram", "Retries.");
	prom_log2_hist(p, "t_retries", NULL, 0, retries, 2, 1, 5);
}

static void promtool_check(const char *path)
{
	const char *mode = getenv("PROMTOOL");
	char cmd[512];
	int rc;

	if (mode && !strcmp(mode, "skip")) {
		printf("promtool check: skipped (PROMTOOL=skip)\n");
		return;
	}
	if (system("command -v promtool >/dev/null 2>&1")) {
		check(false, "promtool in PATH (scripts/deps.sh installs prometheus; "
		      "PROMTOOL=skip leaves this check out)");
		return;
	}
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
	rc = system(cmd);
	check(rc == 0, "promtool check metrics accepts the exposition (rc %d)", rc);
}

int main(void)
{
	char path[256], bad[256];
	struct prom *p = NULL;
	const char *got;
	int err;

	test_check_init();
	check(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(path, sizeof(path), "%s/tools.prom", dir);

	snprintf(bad, sizeof(bad), "%s/no/such/dir/x.prom", dir);
	err = prom_open(&p, bad);
	check(err == -ENOENT, "a missing directory is refused at open (%d)", err);
	check(prom_open(&p, "") == -EINVAL, "an empty path is refused");
	check(prom_open(&p, "/tmp/") == -EINVAL, "a directory path is refused");
	if (getuid()) {
		snprintf(bad, sizeof(bad), "%s/ro", dir);
		mkdir(bad, 0555);
		strcat(bad, "/x.prom");
		err = prom_open(&p, bad);
		check(err == -EACCES, "a read-only directory is refused at open (%d)", err);
	}

	err = prom_open(&p, path);
	check(!err, "prom_open(%s) = %d", path, err);
	if (err)
		return test_check_done();
	check(nr_files() == 0, "open leaves no file behind");

	write_one(p, 41);
	check(access(path, F_OK) != 0, "nothing is visible before the commit");
	check(!prom_commit(p), "prom_commit");
	check(nr_files() == 1, "after a commit only the file is there");

	write_one(p, 42);
	got = slurp(path);
	check(got && strstr(got, "} 41\n"), "the old exposition stays until the commit");
	check(!prom_commit(p), "second prom_commit");
	got = slurp(path);
	check(got && !strcmp(got, expected), "exact text of the exposition");
	if (got && strcmp(got, expected))
		printf("--- got:\n%s--- expected:\n%s", got, expected);
	check(nr_files() == 1, "the rewrite leaves no temporary file");
	promtool_check(path);

	/* the file is readable by node_exporter's user whatever the umask */
	{
		struct stat st;
		mode_t old = umask(077);

		check(!prom_begin(p) && !prom_commit(p), "commit under umask 077");
		umask(old);
		check(!stat(path, &st) && (st.st_mode & 0777) == 0644,
		      "the file is 0644 under umask 077 (%o)", st.st_mode & 0777);
	}

	/* a symlink planted at the temporary name is not followed */
	{
		char tmp[300], victim[300];
		FILE *v;

		snprintf(tmp, sizeof(tmp), "%s/.tools.prom.tmp.%d", dir, (int)getpid());
		snprintf(victim, sizeof(victim), "%s/victim", dir);
		v = fopen(victim, "w");
		if (v) {
			fputs("keep\n", v);
			fclose(v);
		}
		check(!symlink(victim, tmp), "plant a symlink at %s", tmp);
		write_one(p, 42);
		check(!prom_commit(p), "commit with a planted symlink");
		got = slurp(victim);
		check(got && !strcmp(got, "keep\n"), "the symlink's target is untouched");
		got = slurp(path);
		check(got && !strcmp(got, expected), "and the file is right");
		unlink(victim);
	}
	snprintf(bad, sizeof(bad), "%s", dir);
	check(prom_open(&(struct prom *){ NULL }, bad) == -EINVAL,
	      "an existing directory is refused as FILE");

	/* a family with no sample yet (no VM) is still declared */
	check(!prom_begin(p), "prom_begin again");
	prom_family(p, "t_x", "gauge", "X.");
	check(!prom_commit(p), "commit of a one-family exposition");
	got = slurp(path);
	check(got && !strcmp(got, "# HELP t_x X.\n# TYPE t_x gauge\n"),
	      "a family with no sample is written as is");
	prom_close(p);

	snprintf(bad, sizeof(bad), "rm -rf %s", dir);
	if (system(bad))
		check(false, "cleanup of %s", dir);
	return test_check_done();
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests of the --features layout (feature_report.c) that both tools print,
 * built and run by "make -C tools check".
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "feature_report.h"
#include "json.h"
#include "test-check.h"

static const struct feature_metric metrics[] = {
	{ "waits", true, "tp_btf/contention_begin and contention_end" },
	{ "holds", false, "fentry refused with EPERM by this kernel, so the "
			  "acquisitions and releases cannot be timed at all" },
};

static const struct feature_probe probes[] = {
	{ "tp_btf/contention_begin", true, NULL, "wait start" },
	{ "fentry/_raw_write_lock", false, "EPERM", "write acquire" },
	{ "fentry/kvm_destroy_vm", false, "EPERM", NULL },
};

static char *render(void (*fn)(FILE *, const struct feature_report *),
		    const struct feature_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(f, r);
	fclose(f);
	return buf;
}

static char *render_json(const struct feature_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json *j = json_new(f);

	feature_report_json(j, r);
	json_kv_bool(j, "extra", true);
	json_end_object(j);
	json_free(j);
	fclose(f);
	return buf;
}

/* every line of @s is at most @width columns */
static bool fits(const char *s, int width)
{
	const char *nl;

	for (; *s; s = nl + 1) {
		nl = strchrnul(s, '\n');
		if (nl - s > width)
			return false;
		if (!*nl)
			break;
	}
	return true;
}

int main(void)
{
	struct feature_report r = {
		.tool = "t", .kernel = "6.12.0", .source = "raw",
		.source_detail = "fentry and fexit on the rwlock functions",
		.notes = { "kernel BTF: yes" },
		.metrics = metrics, .nr_metrics = 2,
		.probes = probes, .nr_probes = 3,
	};
	const char *expect_text =
		"t: source raw, kernel 6.12.0\n"
		"  fentry and fexit on the rwlock functions\n"
		"  kernel BTF: yes\n"
		"  METRIC           STATE SOURCE / REASON\n"
		"  waits            live  tp_btf/contention_begin and contention_end\n"
		"  holds            n/a   fentry refused with EPERM by this kernel, so the\n"
		"                         acquisitions and releases cannot be timed at all\n"
		"  PROBE                   STATE ROLE / REASON\n"
		"  tp_btf/contention_begin yes   wait start\n"
		"  fentry/_raw_write_lock  no    write acquire: EPERM\n"
		"  fentry/kvm_destroy_vm   no    EPERM\n";
	char *s;

	test_check_init();

	s = render(feature_report_text, &r);
	check(!strcmp(s, expect_text), "text layout:\n%s", s);
	check(fits(s, 79), "metric lines wrap within 79 columns");
	free(s);

	s = render(feature_report_brief, &r);
	check(!strcmp(s, "t: source raw, kernel 6.12.0; n/a: holds "
			 "(--features says why)\n"), "brief, one n/a: %s", s);
	free(s);

	r.nr_metrics = 1;
	s = render(feature_report_brief, &r);
	check(!strcmp(s, "t: source raw, kernel 6.12.0; every metric live\n"),
	      "brief, all live: %s", s);
	free(s);

	r.source = NULL;
	r.nr_metrics = 2;
	s = render(feature_report_text, &r);
	check(!strncmp(s, "t: source NONE, kernel 6.12.0\n", 30),
	      "no source: NONE: %.40s", s);
	free(s);

	s = render_json(&r);
	check(strstr(s, "{\"type\":\"features\",\"tool\":\"t\",\"schema\":") == s,
	      "json: record head: %.60s", s);
	check(strstr(s, "\"source\":null") != NULL, "json: source null");
	check(strstr(s, "\"holds\":{\"live\":false,\"reason\":\"fentry") != NULL,
	      "json: n/a metric has a reason");
	check(strstr(s, "{\"name\":\"tp_btf/contention_begin\",\"available\":"
			"true,\"role\":\"wait start\"}") != NULL,
	      "json: available probe: role, no reason");
	check(strstr(s, "{\"name\":\"fentry/kvm_destroy_vm\",\"available\":"
			"false,\"reason\":\"EPERM\"}") != NULL,
	      "json: probe without role");
	check(strstr(s, ",\"extra\":true}\n") != NULL,
	      "json: the tool's own keys follow, one line");
	free(s);

	return test_check_done();
}

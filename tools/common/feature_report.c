// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --features in one layout for every tool: see feature_report.h */
#include <string.h>
#include "feature_report.h"
#include "json.h"

#define FEATURE_WIDTH 79

void print_wrapped(FILE *f, const char *text, int indent, int width)
{
	int col = indent, len;
	const char *p = text, *sp;

	while (*p == ' ')
		p++;
	while (*p) {
		sp = strchr(p, ' ');
		len = sp ? sp - p : (int)strlen(p);
		if (col > indent && col + 1 + len > width) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		}
		fprintf(f, "%s%.*s", col > indent ? " " : "", len, p);
		col += (col > indent ? 1 : 0) + len;
		p += len;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

static int probe_name_width(const struct feature_report *r)
{
	int i, w = (int)strlen("PROBE");

	for (i = 0; i < r->nr_probes; i++)
		if ((int)strlen(r->probes[i].name) > w)
			w = strlen(r->probes[i].name);
	return w;
}

void feature_report_text(FILE *f, const struct feature_report *r)
{
	int i, w;

	fprintf(f, "%s: source %s, kernel %s\n", r->tool,
		r->source ? r->source : "NONE", r->kernel);
	if (r->source_detail) {
		fputs("  ", f);
		print_wrapped(f, r->source_detail, 2, FEATURE_WIDTH);
	}
	for (i = 0; i < FEATURE_MAX_NOTES && r->notes[i]; i++) {
		fputs("  ", f);
		print_wrapped(f, r->notes[i], 4, FEATURE_WIDTH);
	}

	fprintf(f, "  %-16s %-5s %s\n", "METRIC", "STATE", "SOURCE / REASON");
	for (i = 0; i < r->nr_metrics; i++) {
		fprintf(f, "  %-16s %-5s ", r->metrics[i].name,
			r->metrics[i].live ? "live" : "n/a");
		print_wrapped(f, r->metrics[i].info, 25, FEATURE_WIDTH);
	}

	w = probe_name_width(r);
	fprintf(f, "  %-*s %-5s %s\n", w, "PROBE", "STATE",
		"ROLE / REASON");
	for (i = 0; i < r->nr_probes; i++) {
		const struct feature_probe *p = &r->probes[i];

		fprintf(f, "  %-*s %-5s ", w, p->name,
			p->available ? "yes" : "no");
		/* one line per probe: a table to grep, not to read wrapped */
		if (p->available)
			fprintf(f, "%s\n", p->role ? p->role : "attached");
		else
			fprintf(f, "%s%s%s\n", p->role ? p->role : "",
				p->role ? ": " : "",
				p->reason ? p->reason : "not attached");
	}
}

void feature_report_json(struct json *j, const struct feature_report *r)
{
	int i;

	json_begin_record(j, "features", r->tool);
	json_kv_string(j, "kernel", r->kernel);
	if (r->source)
		json_kv_string(j, "source", r->source);
	else
		json_kv_null(j, "source");
	json_kv_string(j, "source_detail", r->source_detail);
	json_key(j, "metrics");
	json_begin_object(j);
	for (i = 0; i < r->nr_metrics; i++)
		json_feature_metric(j, r->metrics[i].name, r->metrics[i].live,
				    r->metrics[i].info);
	json_end_object(j);
	json_key(j, "probes");
	json_begin_array(j);
	for (i = 0; i < r->nr_probes; i++) {
		const struct feature_probe *p = &r->probes[i];

		json_begin_object(j);
		json_kv_string(j, "name", p->name);
		json_kv_bool(j, "available", p->available);
		if (!p->available)
			json_kv_string(j, "reason", p->reason);
		if (p->role)
			json_kv_string(j, "role", p->role);
		json_end_object(j);
	}
	json_end_array(j);
}

void feature_report_brief(FILE *f, const struct feature_report *r)
{
	int i, na = 0;

	fprintf(f, "%s: source %s, kernel %s", r->tool,
		r->source ? r->source : "NONE", r->kernel);
	for (i = 0; i < r->nr_metrics; i++) {
		if (r->metrics[i].live)
			continue;
		fprintf(f, "%s%s", na++ ? ", " : "; n/a: ", r->metrics[i].name);
	}
	fprintf(f, na ? " (--features says why)\n" : "; every metric live\n");
}

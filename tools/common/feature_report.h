/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --features: what each metric is built from on this kernel, and which
 * probes attached, in one layout for every tool.  A tool fills a
 * struct feature_report and prints it as text or as the "features" record.
 *
 * Text:
 *	TOOL: source SOURCE, kernel RELEASE
 *	  SOURCE_DETAIL
 *	  NOTE ...
 *	  METRIC           STATE SOURCE / REASON
 *	  wait_times       live  tp_btf/contention_begin ...
 *	  PROBE                                  STATE ROLE / REASON
 *	  tp_btf/contention_begin                yes   wait start
 *
 * JSON: {"type":"features","tool":..,"schema":..,"kernel":..,"source":..,
 * "source_detail":..,"metrics":{NAME:{"live":..,"source"|"reason":..}},
 * "probes":[{"name":..,"available":..,"reason":..,"role":..}], then the
 * tool's own keys, then the caller closes the object.
 */
#ifndef __TOOLS_FEATURE_REPORT_H
#define __TOOLS_FEATURE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

struct json;

struct feature_metric {
	const char *name;
	bool live;
	const char *info;	/* where it comes from, or why it is n/a */
};

struct feature_probe {
	const char *name;	/* "tp_btf/contention_begin" */
	bool available;
	const char *reason;	/* why not, when !available */
	const char *role;	/* what it is for; may be NULL */
};

#define FEATURE_MAX_NOTES 8

struct feature_report {
	const char *tool;
	const char *kernel;
	const char *source;		/* NULL: no source works */
	const char *source_detail;
	const char *notes[FEATURE_MAX_NOTES];	/* text only, NULL-ended */
	const struct feature_metric *metrics;
	int nr_metrics;
	const struct feature_probe *probes;
	int nr_probes;
};

void feature_report_text(FILE *f, const struct feature_report *r);
/* one line for the start of a run: source, kernel, the metrics not live */
void feature_report_brief(FILE *f, const struct feature_report *r);
/* opens the "features" record and writes the common keys; close it with
 * json_end_object() after the tool's own keys */
void feature_report_json(struct json *j, const struct feature_report *r);

/* @text from column @indent, wrapped at spaces before column @width */
void print_wrapped(FILE *f, const char *text, int indent, int width);

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Minimal NDJSON writer: one JSON value per line.  When the outermost
 * object or array is closed, a newline is written and the stream flushed,
 * so every top-level value is one complete line.
 *
 *	struct json *j = json_new(stdout);
 *	json_begin_object(j);
 *	json_kv_u64(j, "count", 3);
 *	json_key(j, "list"); json_begin_array(j); json_u64(j, 1);
 *	json_end_array(j);
 *	json_end_object(j);		-> {"count":3,"list":[1]}\n
 */
#ifndef __TOOLS_JSON_H
#define __TOOLS_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json;

struct json *json_new(FILE *out);
void json_free(struct json *j);

void json_begin_object(struct json *j);
void json_end_object(struct json *j);
void json_begin_array(struct json *j);
void json_end_array(struct json *j);
/* the key of the next value; only inside an object */
void json_key(struct json *j, const char *key);

void json_u64(struct json *j, uint64_t v);
void json_s64(struct json *j, int64_t v);
/* NaN and infinities are written as null */
void json_double(struct json *j, double v);
void json_string(struct json *j, const char *s);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* key + value shorthands */
void json_kv_u64(struct json *j, const char *key, uint64_t v);
void json_kv_s64(struct json *j, const char *key, int64_t v);
void json_kv_double(struct json *j, const char *key, double v);
void json_kv_string(struct json *j, const char *key, const char *s);
void json_kv_bool(struct json *j, const char *key, bool v);
void json_kv_null(struct json *j, const char *key);
/* a metric whose source is not live is null, never a silent 0 */
void json_kv_u64_or_null(struct json *j, const char *key, bool ok, uint64_t v);
/* @ok: writes key and '{' and returns true; else key:null, false */
bool json_kv_object_or_null(struct json *j, const char *key, bool ok);

/*
 * The one NDJSON schema of both tools (Documentation/tools-cli.md, "JSON
 * output").  Every record opens with
 *	{"type":TYPE,"tool":TOOL,"schema":JSON_SCHEMA
 * and an "interval" or "summary" record continues with
 *	,"ts_ns":..,"time":"HH:MM:SS","interval_ns":..,"final":..,"source":..
 * before the tool's own keys.  JSON_SCHEMA changes when a common key
 * changes its name or meaning.
 */
#define JSON_SCHEMA	1

void json_begin_record(struct json *j, const char *type, const char *tool);
/* a "features" record's metric: "NAME":{"live":..,"source"|"reason":INFO} */
void json_feature_metric(struct json *j, const char *name, bool live,
			 const char *info);
/* @interval_ns: the interval's length, or for "summary" the run's */
void json_record_head(struct json *j, uint64_t interval_ns, bool final,
		      const char *source);

#endif /* __TOOLS_JSON_H */

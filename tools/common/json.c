// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Minimal NDJSON writer, see json.h. */
#include <math.h>
#include <time.h>
#include <stdlib.h>
#include <inttypes.h>
#include "cli.h"
#include "json.h"

#define JSON_MAX_DEPTH 32

struct json {
	FILE *out;
	int depth;
	/* per nesting level: a value was already written (comma needed) */
	bool has_value[JSON_MAX_DEPTH];
	bool after_key;
};

struct json *json_new(FILE *out)
{
	struct json *j = calloc(1, sizeof(*j));

	if (j)
		j->out = out;
	return j;
}

void json_free(struct json *j)
{
	free(j);
}

/* separator before a value (or a key) at the current level */
static void sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0 && j->has_value[j->depth - 1])
		fputc(',', j->out);
	if (j->depth > 0)
		j->has_value[j->depth - 1] = true;
}

static void put_string(struct json *j, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', j->out);
	for (; *p; p++) {
		switch (*p) {
		case '"':  fputs("\\\"", j->out); break;
		case '\\': fputs("\\\\", j->out); break;
		case '\n': fputs("\\n", j->out); break;
		case '\r': fputs("\\r", j->out); break;
		case '\t': fputs("\\t", j->out); break;
		default:
			if (*p < 0x20)
				fprintf(j->out, "\\u%04x", *p);
			else
				fputc(*p, j->out);
		}
	}
	fputc('"', j->out);
}

static void open_level(struct json *j, char c)
{
	sep(j);
	fputc(c, j->out);
	if (j->depth < JSON_MAX_DEPTH)
		j->has_value[j->depth] = false;
	j->depth++;
}

static void close_level(struct json *j, char c)
{
	fputc(c, j->out);
	if (j->depth > 0)
		j->depth--;
	if (j->depth == 0) {
		fputc('\n', j->out);
		fflush(j->out);
	}
}

void json_begin_object(struct json *j) { open_level(j, '{'); }
void json_end_object(struct json *j)   { close_level(j, '}'); }
void json_begin_array(struct json *j)  { open_level(j, '['); }
void json_end_array(struct json *j)    { close_level(j, ']'); }

void json_key(struct json *j, const char *key)
{
	sep(j);
	put_string(j, key);
	fputc(':', j->out);
	j->after_key = true;
}

void json_u64(struct json *j, uint64_t v)
{
	sep(j);
	fprintf(j->out, "%" PRIu64, v);
}

void json_s64(struct json *j, int64_t v)
{
	sep(j);
	fprintf(j->out, "%" PRId64, v);
}

void json_double(struct json *j, double v)
{
	sep(j);
	if (isnan(v) || isinf(v))
		fputs("null", j->out);
	else
		fprintf(j->out, "%.6g", v);
}

void json_string(struct json *j, const char *s)
{
	sep(j);
	put_string(j, s ? s : "");
}

void json_bool(struct json *j, bool v)
{
	sep(j);
	fputs(v ? "true" : "false", j->out);
}

void json_null(struct json *j)
{
	sep(j);
	fputs("null", j->out);
}

void json_kv_u64(struct json *j, const char *k, uint64_t v)
{
	json_key(j, k);
	json_u64(j, v);
}

void json_kv_s64(struct json *j, const char *k, int64_t v)
{
	json_key(j, k);
	json_s64(j, v);
}

void json_kv_double(struct json *j, const char *k, double v)
{
	json_key(j, k);
	json_double(j, v);
}

void json_kv_string(struct json *j, const char *k, const char *s)
{
	json_key(j, k);
	json_string(j, s);
}

void json_kv_bool(struct json *j, const char *k, bool v)
{
	json_key(j, k);
	json_bool(j, v);
}

void json_kv_null(struct json *j, const char *k)
{
	json_key(j, k);
	json_null(j);
}

void json_kv_u64_or_null(struct json *j, const char *k, bool ok, uint64_t v)
{
	if (ok)
		json_kv_u64(j, k, v);
	else
		json_kv_null(j, k);
}

bool json_kv_object_or_null(struct json *j, const char *k, bool ok)
{
	json_key(j, k);
	if (ok)
		json_begin_object(j);
	else
		json_null(j);
	return ok;
}

void json_feature_metric(struct json *j, const char *name, bool live,
			 const char *info)
{
	json_key(j, name);
	json_begin_object(j);
	json_kv_bool(j, "live", live);
	json_kv_string(j, live ? "source" : "reason", info);
	json_end_object(j);
}

void json_begin_record(struct json *j, const char *type, const char *tool)
{
	json_begin_object(j);
	json_kv_string(j, "type", type);
	json_kv_string(j, "tool", tool);
	json_kv_u64(j, "schema", JSON_SCHEMA);
}

void json_record_head(struct json *j, uint64_t interval_ns, bool final,
		      const char *source)
{
	char tbuf[CLI_HMS_LEN];
	struct timespec ts;

	cli_wall_clock(&ts, tbuf);
	json_kv_u64(j, "ts_ns", (uint64_t)ts.tv_sec * 1000000000ULL +
		    ts.tv_nsec);
	json_kv_string(j, "time", tbuf);
	json_kv_u64(j, "interval_ns", interval_ns);
	json_kv_bool(j, "final", final);
	json_kv_string(j, "source", source);
}

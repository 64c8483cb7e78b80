// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The Prometheus text format, rewritten atomically: see prom.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "prom.h"

struct prom {
	char *path;
	char *tmp;
	char *dir;		/* for the fsync after the rename */
	FILE *f;
};

/*
 * The temporary file, created anew: O_EXCL|O_NOFOLLOW so that a planted
 * symlink is not followed (one left behind is removed first), mode 0644
 * whatever the umask, so that node_exporter's user can read the result.
 */
static int open_tmp(const char *tmp)
{
	int fd, i;

	for (i = 0; i < 2; i++) {
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			  0644);
		if (fd >= 0)
			break;
		if (errno != EEXIST || unlink(tmp))
			return -errno;
	}
	if (fd < 0)
		return -EEXIST;
	if (fchmod(fd, 0644)) {
		int err = -errno;

		close(fd);
		unlink(tmp);
		return err;
	}
	return fd;
}

int prom_open(struct prom **pp, const char *path)
{
	struct prom *p;
	const char *slash;
	struct stat st;
	int fd;

	if (!path || !*path || path[strlen(path) - 1] == '/' ||
	    (!stat(path, &st) && S_ISDIR(st.st_mode)))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->path = strdup(path);
	/* ".<name>.tmp.<pid>" in the same directory: rename() stays atomic */
	slash = strrchr(path, '/');
	if (p->path && asprintf(&p->tmp, "%.*s.%s.tmp.%d",
				slash ? (int)(slash - path + 1) : 0, path,
				slash ? slash + 1 : path, (int)getpid()) < 0)
		p->tmp = NULL;
	if (p->path && asprintf(&p->dir, "%.*s",
				slash ? (int)(slash - path + 1) : 1,
				slash ? path : ".") < 0)
		p->dir = NULL;
	if (!p->path || !p->tmp || !p->dir) {
		prom_close(p);
		return -ENOMEM;
	}
	/* fail now, not at the first report, if the directory is not usable */
	fd = open_tmp(p->tmp);
	if (fd < 0) {
		prom_close(p);
		return fd;
	}
	close(fd);
	unlink(p->tmp);
	*pp = p;
	return 0;
}

void prom_close(struct prom *p)
{
	if (!p)
		return;
	if (p->f) {
		fclose(p->f);
		unlink(p->tmp);
	}
	free(p->path);
	free(p->tmp);
	free(p->dir);
	free(p);
}

int prom_begin(struct prom *p)
{
	int fd, err;

	if (p->f) {
		fclose(p->f);
		p->f = NULL;
	}
	fd = open_tmp(p->tmp);
	if (fd < 0)
		return fd;
	p->f = fdopen(fd, "w");
	if (!p->f) {
		err = -errno;
		close(fd);
		unlink(p->tmp);
		return err;
	}
	return 0;
}

/* backslash and newline escaped; double quotes too in label values */
static void put_escaped(FILE *f, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\' || (quote && *s == '"'))
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

void prom_family(struct prom *p, const char *name, const char *type,
		 const char *help)
{
	if (!p->f)
		return;
	fprintf(p->f, "# HELP %s ", name);
	put_escaped(p->f, help, false);
	fprintf(p->f, "\n# TYPE %s %s\n", name, type);
}

/* name{l1="v1",...,extra="ev"} with no braces if there is no label */
static void put_series(FILE *f, const char *name, const char *suffix,
		       const struct prom_label *l, int nl, const char *extra,
		       const char *extra_value)
{
	int i;

	fprintf(f, "%s%s", name, suffix);
	if (!nl && !extra)
		return;
	fputc('{', f);
	for (i = 0; i < nl; i++) {
		fprintf(f, "%s%s=\"", i ? "," : "", l[i].name);
		put_escaped(f, l[i].value ? l[i].value : "", true);
		fputc('"', f);
	}
	if (extra)
		fprintf(f, "%s%s=\"%s\"", nl ? "," : "", extra, extra_value);
	fputc('}', f);
}

void prom_u64(struct prom *p, const char *name, const struct prom_label *l,
	      int nl, __u64 v)
{
	if (!p->f)
		return;
	put_series(p->f, name, "", l, nl, NULL, NULL);
	fprintf(p->f, " %llu\n", (unsigned long long)v);
}

static void put_double(FILE *f, double v)
{
	if (isnan(v))
		fputs("NaN", f);
	else if (isinf(v))
		fputs(v > 0 ? "+Inf" : "-Inf", f);
	else {
		char buf[32];

		/* the shortest form that reads back as the same double */
		snprintf(buf, sizeof(buf), "%.15g", v);
		if (strtod(buf, NULL) != v)
			snprintf(buf, sizeof(buf), "%.17g", v);
		fputs(buf, f);
	}
}

void prom_double(struct prom *p, const char *name,
		 const struct prom_label *l, int nl, double v)
{
	if (!p->f)
		return;
	put_series(p->f, name, "", l, nl, NULL, NULL);
	fputc(' ', p->f);
	put_double(p->f, v);
	fputc('\n', p->f);
}

void prom_log2_hist(struct prom *p, const char *name,
		    const struct prom_label *l, int nl, const __u64 *slots,
		    int nr_slots, double div, __u64 sum)
{
	__u64 cum = 0;
	char le[48];
	int k;

	if (!p->f)
		return;
	for (k = 0; k < nr_slots; k++) {
		cum += slots[k];
		if (k == nr_slots - 1)
			break;		/* the last slot is open: +Inf only */
		/* slot k's upper bound, 2^k - 1 (exact in a double to 2^53) */
		snprintf(le, sizeof(le), "%.12g",
			 (double)((k < 64 ? (1ULL << k) : 0) - 1) / div);
		put_series(p->f, name, "_bucket", l, nl, "le", le);
		fprintf(p->f, " %llu\n", (unsigned long long)cum);
	}
	put_series(p->f, name, "_bucket", l, nl, "le", "+Inf");
	fprintf(p->f, " %llu\n", (unsigned long long)cum);
	put_series(p->f, name, "_sum", l, nl, NULL, NULL);
	fputc(' ', p->f);
	put_double(p->f, (double)sum / div);
	fputc('\n', p->f);
	put_series(p->f, name, "_count", l, nl, NULL, NULL);
	fprintf(p->f, " %llu\n", (unsigned long long)cum);
}

int prom_commit(struct prom *p)
{
	int err = 0, dfd;

	if (!p->f)
		return -EBADF;	/* prom_begin() failed */
	/* each errno is read right after the call that set it */
	if (fflush(p->f))
		err = -errno;
	else if (ferror(p->f))
		err = -EIO;
	else if (fsync(fileno(p->f)))
		err = -errno;
	if (fclose(p->f) && !err)
		err = -errno;
	p->f = NULL;
	if (!err && rename(p->tmp, p->path))
		err = -errno;
	if (err) {
		unlink(p->tmp);
		return err;
	}
	/* the rename itself, on disk */
	dfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

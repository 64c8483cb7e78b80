/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The pass/fail harness of the common code's test programs (test-*.c):
 * check() counts, prints failures always and passes with V=1; main() ends
 * with test_check_done().
 */
#ifndef __TOOLS_TEST_CHECK_H
#define __TOOLS_TEST_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int pass, fail;
static bool verbose;

static void check(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		pass++;
	else
		fail++;
	if (ok && !verbose)
		return;
	fputs(ok ? "ok   " : "FAIL ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static inline void test_check_init(void)
{
	verbose = getenv("V") && !strcmp(getenv("V"), "1");
}

static inline int test_check_done(void)
{
	printf("%d passed, %d failed\n", pass, fail);
	return fail ? 1 : 0;
}

#endif /* __TOOLS_TEST_CHECK_H */

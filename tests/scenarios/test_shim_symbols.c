/* SPDX-License-Identifier: MIT */
/* test_shim_symbols.c -- keeps the signal zone honest (STYLE §5): the shim
 * imports only what preload/ALLOWED_IMPORTS lists, exports only its
 * interposers (and ASan's __asan_default_options hook, asan_options.c),
 * and links nothing but libc.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

static char *nm(const char *flags)
{
	char *argv[] = { "nm", "-D", (char *)flags, getenv("TMWATCH_SHIM"),
			 NULL };
	char *out = NULL;
	int st;

	assert_non_null(argv[3]);
	st = tu_run(argv, NULL, &out, NULL, 30000);
	assert_int_equal(st, 0);
	return out;
}

/* Each line of nm output ends in NAME or NAME@VERSION. */
static int next_symbol(char **p, char *name, size_t cap)
{
	while (**p) {
		char *nl = strchr(*p, '\n'), *sym, *at;
		size_t len;

		if (nl)
			*nl = '\0';
		sym = strrchr(*p, ' ');
		sym = sym ? sym + 1 : *p;
		at = strchr(sym, '@');
		len = at ? (size_t)(at - sym) : strlen(sym);
		*p = nl ? nl + 1 : *p + strlen(*p);
		if (len == 0 || len >= cap)
			continue;
		memcpy(name, sym, len);
		name[len] = '\0';
		return 1;
	}
	return 0;
}

static int listed(const char *allowed, const char *name)
{
	const char *p = allowed;
	size_t n = strlen(name);

	while ((p = strstr(p, name))) {
		if ((p == allowed || p[-1] == '\n') &&
		    (p[n] == '\n' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

static void shim_imports_only_allowed_symbols(void **state)
{
	char *path = tu_path(getenv("TMWATCH_SRC"), "preload/ALLOWED_IMPORTS");
	char *allowed = tu_read_file(path, NULL);
	char *out = nm("--undefined-only"), *p = out;
	char name[256];
	int bad = 0;

	(void)state;
	assert_non_null(allowed);
	while (next_symbol(&p, name, sizeof(name))) {
		if (!listed(allowed, name)) {
			fprintf(stderr, "shim imports '%s', not in "
				"preload/ALLOWED_IMPORTS\n", name);
			bad = 1;
		}
	}
	assert_int_equal(bad, 0);
	free(out);
	free(allowed);
	free(path);
}

/* The interposers, one per file in preload/. */
static const char *const interposers[] = {
	"sigaction", "signal", "bsd_signal", "ssignal", "sysv_signal",
	"__sysv_signal",
	"sigset", "sigaltstack", "pthread_create",
	/* Not an interposer: ASan's hook, so an ASan program starts under
	 * preload-only mode (asan_options.c). */
	"__asan_default_options",
};

static void shim_exports_only_its_interposers(void **state)
{
	char *out = nm("--defined-only"), *p = out;
	size_t ni = sizeof(interposers) / sizeof(interposers[0]), i;
	char name[256];
	size_t n = 0;

	(void)state;
	while (next_symbol(&p, name, sizeof(name))) {
		for (i = 0; i < ni && strcmp(name, interposers[i]); i++)
			;
		if (i == ni)
			fail_msg("shim exports '%s'", name);
		n++;
	}
	assert_int_equal(n, ni);
	free(out);
}

static void shim_links_nothing_but_libc(void **state)
{
	char *argv[] = { "readelf", "-d", getenv("TMWATCH_SHIM"), NULL };
	char *out = NULL, *p;
	int n = 0;

	(void)state;
	assert_int_equal(tu_run(argv, NULL, &out, NULL, 30000), 0);
	for (p = out; (p = strstr(p, "(NEEDED)")); p++) {
		if (!strstr(p, "[libc.so.6]") ||
		    strchr(p, '\n') < strstr(p, "[libc.so.6]"))
			fail_msg("shim needs more than libc:\n%s", out);
		n++;
	}
	assert_int_equal(n, 1);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shim_imports_only_allowed_symbols),
		cmocka_unit_test(shim_exports_only_its_interposers),
		cmocka_unit_test(shim_links_nothing_but_libc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* test_stackcounter_inproc.c -- tm_stack_counter_inc in a program that
 * links libtmwatch (issue 12): libtmwatch needs libc only and loads the
 * symbolizer module (libtmwatch-sym.so, with libdw) on the first stack
 * counter, found next to libtmwatch.so, so
 *   - a -g program gets DWARF names with +N line offsets, exactly;
 *   - a program stripped of debug info gets symbol-only frames;
 *   - libdw is not mapped before the first stack counter;
 *   - a fully static program (no dynamic loader) gets module-only frames.
 * Each run uses a fresh store; examples/stack_counter_site.c counts one
 * site three times. $TMWATCH_SYM_MODULE is unset for the children, so the
 * module is found the way an installed program finds it.
 */
#define _GNU_SOURCE
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "stackutil.h"
#include "testutil.h"

#define RUN_TIMEOUT_MS 60000
#define HEX "\\+0x[0-9a-f]+"

/* Runs example PROG in a fresh store and returns its one "test/site"
 * counter's name (malloc'd); fails unless it was counted 3 times and the
 * program printed WANT_OUT. */
static char *run_site(const char *prog, const char *want_out)
{
	char *store = tu_fresh_store("inproc-store");
	char *state = tu_tmpdir("inproc-state"), *xdg, *out = NULL, **names;
	char *path = su_example(prog), **progs, *name;
	char *argv[] = { path, NULL };
	char *env[] = { NULL, "TMWATCH_SYM_MODULE", "LD_PRELOAD",
			"TMWATCH_FD", NULL };
	uint64_t *values;
	size_t n;
	int st;

	if (asprintf(&xdg, "XDG_STATE_HOME=%s", state) < 0)
		fail();
	env[0] = xdg;
	st = tu_run(argv, env, &out, NULL, RUN_TIMEOUT_MS);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("%s ended with %s", prog, tu_describe_status(st));
	if (want_out && (!out || strstr(out, want_out) == NULL))
		fail_msg("%s printed '%s', want '%s'", prog, out ? out : "",
			 want_out);
	n = su_counters(store, "test/site", &names, &values, &progs);
	if (n != 1 || values[0] != 3) {
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "%llu %s\n",
				(unsigned long long)values[i], names[i]);
		fail_msg("%s: want one test/site counter read 3, got %zu",
			 prog, n);
	}
	name = strdup(names[0]);
	su_free_list(names, n);
	su_free_list(progs, n);
	free(values);
	tu_rmrf(store);
	tu_rmrf(state);
	free(store);
	free(state);
	free(path);
	free(xdg);
	free(out);
	return name;
}

static void expect_name(const char *name, const char *re)
{
	regex_t rx;
	int ok;

	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
		fail_msg("bad regex %s", re);
	ok = regexec(&rx, name, 0, NULL, 0) == 0;
	regfree(&rx);
	if (!ok)
		fail_msg("recorded\n%s\n--- expected (regex)\n%s", name, re);
}

static void debug_build_names_lines_exactly(void **s)
{
	char *name = run_site("stack_counter_site", "libdw before 0 after 1");

	(void)s;
	expect_name(name, "^test/site\ninner_site:\\+2," HEX
		    "\nouter_site:\\+3," HEX "\nmain:\\+4," HEX "$");
	free(name);
}

static void stripped_build_names_symbols_only(void **s)
{
	char *name = run_site("stack_counter_site_stripped", NULL);

	(void)s;
	expect_name(name, "^test/site\ninner_site:" HEX "\nouter_site:" HEX
		    "\nmain:" HEX "$");
	free(name);
}

static void static_program_names_modules_only(void **s)
{
	char *name = run_site("stack_counter_site_static",
			      "libdw before 0 after 0");

	(void)s;
	/* No dynamic loader, so no symbolizer module: every frame by the
	 * program's file name and offset, innermost first. */
	expect_name(name, "^test/site\n(stack_counter_site_static:" HEX
		    "\n){3}");
	free(name);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(debug_build_names_lines_exactly),
		cmocka_unit_test(stripped_build_names_symbols_only),
		cmocka_unit_test(static_program_names_modules_only),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

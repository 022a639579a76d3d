/* SPDX-License-Identifier: MIT */
/* test_stackcounter_inproc.c -- tm_stack_counter_inc in a program that
 * links libtmwatch (issue 12): libtmwatch needs libc only and loads the
 * symbolizer module (libtmwatch-sym.so, with libdw) on the first stack
 * counter, found next to libtmwatch.so, so
 *   - a -g program gets DWARF names with +N line offsets, exactly;
 *   - a program stripped of debug info gets symbol-only frames;
 *   - libdw is not mapped before the first stack counter;
 *   - a fully static program (no dynamic loader) gets module-only frames;
 *   - a module next to libtmwatch that another user owns is not loaded.
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

static char *run_site_env(const char *prog, const char *want_out,
			  const char *extra_env);

/* Runs example PROG in a fresh store and returns its one "test/site"
 * counter's name (malloc'd); fails unless it was counted 3 times and the
 * program printed WANT_OUT. */
static char *run_site(const char *prog, const char *want_out)
{
	return run_site_env(prog, want_out, NULL);
}

/* run_site with EXTRA_ENV ("NAME=VALUE", may be NULL) for the child. */
static char *run_site_env(const char *prog, const char *want_out,
			  const char *extra_env)
{
	char *store = tu_fresh_store("inproc-store");
	char *state = tu_tmpdir("inproc-state"), *xdg, *out = NULL, **names;
	char *path = su_example(prog), **progs, *name;
	char *argv[] = { path, NULL };
	char *env[] = { NULL, "TMWATCH_SYM_MODULE", "LD_PRELOAD",
			"TMWATCH_FD", (char *)extra_env, NULL };
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

/* Runs CMD (a shell line); fails the test unless it succeeds. */
static void sh(const char *cmd)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	char *err = NULL;
	int st = tu_run(argv, NULL, NULL, &err, RUN_TIMEOUT_MS);

	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("'%s' failed: %s", cmd, err ? err : "");
	free(err);
}

static void module_of_another_user_is_not_loaded(void **s)
{
	char *dir = tu_tmpdir("inproc-lib"), *cmd, *env, *name;
	const char *lib = su_env_or_die("TMWATCH_SYM_MODULE");

	(void)s;
	/* libtmwatch.so.0 and the module side by side, found first through
	 * LD_LIBRARY_PATH; the module belongs to nobody (65534). */
	if (asprintf(&cmd, "d=$(dirname '%s') && cp \"$d\"/libtmwatch.so.0 "
		     "'%s'/ && cp '%s' '%s'/libtmwatch-sym.so && chown "
		     "65534:65534 '%s'/libtmwatch-sym.so", lib, dir, lib, dir,
		     dir) < 0 ||
	    asprintf(&env, "LD_LIBRARY_PATH=%s", dir) < 0)
		fail();
	sh(cmd);
	name = run_site_env("stack_counter_site", "libdw before 0 after 0",
			    env);
	expect_name(name, "^test/site\n(stack_counter_site:" HEX "\n){3}");
	free(name);
	free(cmd);
	/* The same file, ours again: loaded, and the watchdog's names. */
	if (asprintf(&cmd, "chown 0:0 '%s'/libtmwatch-sym.so", dir) < 0)
		fail();
	sh(cmd);
	name = run_site_env("stack_counter_site", "libdw before 0 after 1",
			    env);
	expect_name(name, "^test/site\ninner_site:\\+2," HEX);
	free(name);
	free(cmd);
	free(env);
	tu_rmrf(dir);
	free(dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(debug_build_names_lines_exactly),
		cmocka_unit_test(stripped_build_names_symbols_only),
		cmocka_unit_test(static_program_names_modules_only),
		cmocka_unit_test(module_of_another_user_is_not_loaded),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

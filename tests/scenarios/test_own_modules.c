/* SPDX-License-Identifier: MIT */
/* test_own_modules.c -- issue 9: a library a program's upload config
 * names in OwnModules is classified as the program's own, wherever it is
 * installed, so its frames keep FUNCTION:+N,+0xOFF.
 *
 * ownmod_prog calls into libownmod.so, copied into a fresh directory
 * that is neither next to the program nor in its RUNPATH and found
 * through LD_LIBRARY_PATH, as a system library would be. Each case runs
 * the program bare (it must crash with SIGSEGV, or count and exit 0) and
 * under the real tmwatch or with libtmwatch's in-process stack counter,
 * each with a fresh store:
 *   - without a config the library's frame is its exported name alone;
 *   - with a config naming it (TMWATCH_UPLOAD_CONFIG_DIRS, or the user's
 *     T/upload.d) it is ownmod_crash:+2,+0xOFF, N from its debug info;
 *   - a config naming another version of the program changes nothing;
 *   - tm_stack_counter_inc in the library follows the same rule.
 */
#define _GNU_SOURCE
#include <regex.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "stackutil.h"
#include "testutil.h"

#define RUN_TIMEOUT_MS 60000
#define HEX "\\+0x[0-9a-f]+"

/* Where a case puts its upload config. */
enum where { NO_CONFIG, ENV_DIR, STORE_DIR };

struct run {
	char *store, *state, *libdir, *confdir;
	char *env[12];
	size_t nenv;
};

static void add_env(struct run *r, const char *fmt, const char *val)
{
	char *s;

	if (asprintf(&s, fmt, val) < 0)
		fail();
	r->env[r->nenv++] = s;
}

/* Sets up a fresh store, the library's directory and, per WHERE, a
 * config naming ownmod_prog at VERSIONS (a JSON array, or NULL for any
 * version) with OwnModules PATTERN. */
static void setup(struct run *r, enum where where, const char *pattern,
		  const char *versions)
{
	char *lib, *data = NULL, *path;
	size_t len;

	memset(r, 0, sizeof *r);
	r->store = tu_fresh_store("own-store");
	r->state = tu_tmpdir("own-state");
	r->libdir = tu_tmpdir("own-lib");
	/* The library, copied where nothing says it is the program's. */
	lib = tu_read_file(OWNMOD_LIB, &len);
	path = tu_path(r->libdir, "libownmod.so");
	if (!lib || tu_write_file(path, lib, len) != 0)
		fail_msg("cannot copy %s to %s", OWNMOD_LIB, path);
	free(lib);
	free(path);
	add_env(r, "LD_LIBRARY_PATH=%s", r->libdir);
	add_env(r, "XDG_STATE_HOME=%s", r->state);
	r->env[r->nenv++] = strdup("TMWATCH_FD");
	r->env[r->nenv++] = strdup("TMWATCH_FD_INO");
	r->env[r->nenv++] = strdup("LD_PRELOAD");
	r->env[r->nenv++] = strdup("TMWATCH_PROGRAM_VERSION");
	if (where == STORE_DIR) {
		r->confdir = tu_path(r->store, "upload.d");
		if (mkdir(r->confdir, 0700) != 0)
			fail_msg("mkdir %s failed", r->confdir);
		r->env[r->nenv++] = strdup("TMWATCH_UPLOAD_CONFIG_DIRS");
	} else {
		r->confdir = tu_tmpdir("own-conf");
		add_env(r, "TMWATCH_UPLOAD_CONFIG_DIRS=%s", r->confdir);
	}
	if (where != NO_CONFIG) {
		if (asprintf(&data,
			     "{\"Version\": \"own-1\", \"Endpoint\": "
			     "\"http://127.0.0.1:9/up\", \"Programs\": [{"
			     "\"Name\": \"ownmod_prog\", %s%s%s"
			     "\"OwnModules\": [\"libnothing.so.*\", \"%s\"],"
			     "\"Stacks\": [{\"Name\": \"crash/crash\"}]}]}",
			     versions ? "\"Versions\": " : "",
			     versions ? versions : "", versions ? ", " : "",
			     pattern) < 0)
			fail();
		path = tu_path(r->confdir, "ownmod.json");
		if (tu_write_file(path, data, strlen(data)) != 0)
			fail_msg("cannot write %s", path);
		free(path);
		free(data);
	}
}

static void teardown_run(struct run *r)
{
	for (size_t i = 0; i < r->nenv; i++)
		free(r->env[i]);
	tu_rmrf(r->store);
	tu_rmrf(r->state);
	tu_rmrf(r->libdir);
	tu_rmrf(r->confdir);
	free(r->store);
	free(r->state);
	free(r->libdir);
	free(r->confdir);
}

/* Returns the one counter PREFIX of R's store (malloc'd), counted WANT
 * times in ownmod_prog's file. */
static char *one_counter(struct run *r, const char *prefix, uint64_t want)
{
	char **names, **progs, *name;
	uint64_t *values;
	size_t n = su_counters(r->store, prefix, &names, &values, &progs);

	if (n != 1 || values[0] != want) {
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "%llu %s\n",
				(unsigned long long)values[i], names[i]);
		fail_msg("want one %s counter read %llu, got %zu", prefix,
			 (unsigned long long)want, n);
	}
	if (strcmp(progs[0], "ownmod_prog") != 0)
		fail_msg("counted in the file of '%s'", progs[0]);
	name = strdup(names[0]);
	su_free_list(names, n);
	su_free_list(progs, n);
	free(values);
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

/* Crashes ownmod_prog bare and under tmwatch; returns the crash/crash
 * name the watchdog counted. */
static char *crash_name(enum where where, const char *pattern,
			const char *versions)
{
	struct run r;
	char *bare[] = { OWNMOD_PROG, "crash", NULL };
	char *wrap[] = { (char *)su_env_or_die("TMWATCH_BIN"), "-q",
			 OWNMOD_PROG, "crash", NULL };
	char *name;
	int st;

	setup(&r, where, pattern, versions);
	r.env[r.nenv] = NULL;
	st = tu_run(bare, r.env, NULL, NULL, RUN_TIMEOUT_MS);
	if (st == -1 || !WIFSIGNALED(st) || WTERMSIG(st) != SIGSEGV)
		fail_msg("bare ownmod_prog ended with %s, want signal 11",
			 tu_describe_status(st));
	st = tu_run(wrap, r.env, NULL, NULL, RUN_TIMEOUT_MS);
	if (st == -1 || !WIFSIGNALED(st) || WTERMSIG(st) != SIGSEGV)
		fail_msg("tmwatch ownmod_prog ended with %s, want signal 11",
			 tu_describe_status(st));
	name = one_counter(&r, "crash/crash", 1);
	teardown_run(&r);
	return name;
}

/* Runs ownmod_prog count bare (libtmwatch counts in process); returns
 * the test/ownmod name, counted 3 times. */
static char *count_name(enum where where, const char *pattern)
{
	struct run r;
	char *argv[] = { OWNMOD_PROG, "count", NULL };
	char *name;
	int st;

	setup(&r, where, pattern, NULL);
	r.env[r.nenv++] = strdup("TMWATCH_SYM_MODULE");
	r.env[r.nenv] = NULL;
	st = tu_run(argv, r.env, NULL, NULL, RUN_TIMEOUT_MS);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("ownmod_prog count ended with %s",
			 tu_describe_status(st));
	name = one_counter(&r, "test/ownmod", 3);
	teardown_run(&r);
	return name;
}

#define SYSTEM_CRASH "^crash/crash\nownmod_crash\nmain:\\+7," HEX "$"
#define OWN_CRASH "^crash/crash\nownmod_crash:\\+2," HEX "\nmain:\\+7," \
	HEX "$"

static void crash_without_config_names_library_export(void **s)
{
	char *name = crash_name(NO_CONFIG, NULL, NULL);

	(void)s;
	expect_name(name, SYSTEM_CRASH);
	free(name);
}

static void crash_with_own_modules_keeps_line_offsets(void **s)
{
	char *name = crash_name(ENV_DIR, "libownmod.so*", NULL);

	(void)s;
	expect_name(name, OWN_CRASH);
	free(name);
}

static void crash_with_config_in_store_keeps_line_offsets(void **s)
{
	char *name = crash_name(STORE_DIR, "libown?od.so", "[\"*\"]");

	(void)s;
	expect_name(name, OWN_CRASH);
	free(name);
}

static void config_of_another_version_changes_nothing(void **s)
{
	char *name = crash_name(ENV_DIR, "libownmod.so*",
				"[\"0-not-this-build\"]");

	(void)s;
	expect_name(name, SYSTEM_CRASH);
	free(name);
}

static void pattern_not_matching_changes_nothing(void **s)
{
	char *name = crash_name(ENV_DIR, "libownmod.so.1*", NULL);

	(void)s;
	expect_name(name, SYSTEM_CRASH);
	free(name);
}

static void stack_counter_follows_own_modules(void **s)
{
	char *name = count_name(NO_CONFIG, NULL);

	(void)s;
	expect_name(name, "^test/ownmod\nownmod_count\nmain:\\+4," HEX "$");
	free(name);
	name = count_name(ENV_DIR, "libownmod.so");
	expect_name(name, "^test/ownmod\nownmod_count:\\+2," HEX
		    "\nmain:\\+4," HEX "$");
	free(name);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crash_without_config_names_library_export),
		cmocka_unit_test(crash_with_own_modules_keeps_line_offsets),
		cmocka_unit_test(crash_with_config_in_store_keeps_line_offsets),
		cmocka_unit_test(config_of_another_version_changes_nothing),
		cmocka_unit_test(pattern_not_matching_changes_nothing),
		cmocka_unit_test(stack_counter_follows_own_modules),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

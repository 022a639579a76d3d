/* SPDX-License-Identifier: MIT */
/* test_count.c -- crash counters land in the crashing program's own
 * counter file, exactly once per crash, and nothing private reaches the
 * store: not the path, argv, environment, thread name or abort message.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
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

#include "count.h"
#include "counterparse.h"
#include "crashlog.h"
#include "pipeline_util.h"
#include "testutil.h"
#include "tmwatch/common.h"

static char *store, *state;

static int setup(void **st)
{
	store = tu_fresh_store("pipeline-count");
	state = tu_tmpdir("pipeline-state");
	setenv("XDG_STATE_HOME", state, 1);
	return 0;
}

static int teardown(void **st)
{
	tu_rmrf(store);
	tu_rmrf(state);
	free(store);
	free(state);
	return 0;
}

/* The watchdog's count stage, run while the child waits. */
static void count_it(struct pipeline_run *r, void *arg)
{
	struct tm__identity id;
	char sig[64];

	assert_int_equal(count_identify(r->pid, r->rec.exe, &id), 0);
	assert_int_equal(count_add(&id, r->name), 0);
	assert_true(name_signal(r->rec.hdr.signo, sig, sizeof sig) > 0);
	assert_int_equal(count_add(&id, sig), 0);
	if (arg)
		*(struct tm__identity *)arg = id;
}

/* Path of the only counter file in the store; fails if not one. */
static char *only_count_file(void)
{
	char *local = tu_path(store, "local"), *found = NULL;
	struct dirent *e;
	DIR *d = opendir(local);
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		if (!strstr(e->d_name, ".v1.count"))
			continue;
		free(found);
		found = tu_path(local, e->d_name);
		n++;
	}
	closedir(d);
	free(local);
	assert_int_equal(n, 1);
	return found;
}

static uint64_t value_of(const struct tm__parsed_file *pf, const char *name)
{
	for (size_t i = 0; i < pf->ncounters; i++)
		if (strcmp(pf->counters[i].name, name) == 0)
			return pf->counters[i].value;
	return 0;
}

static void three_crashes_count_three_in_the_program_file(void **st)
{
	char *argv[] = { CRASHER_O0, "segv", NULL };
	struct tm__parsed_file pf;
	struct pipeline_run r;
	char first[NAME_BUF_SIZE] = "", why[128], *path;

	for (int i = 0; i < 3; i++) {
		pu_start(argv, NULL, &r);
		pu_collect(&r, count_it, NULL);
		assert_true(WIFSIGNALED(r.status));
		if (i == 0)
			snprintf(first, sizeof first, "%s", r.name);
		assert_string_equal(r.name, first);
		pu_free(&r);
	}
	path = only_count_file();
	assert_non_null(strstr(path, "/pipeline_crasher_o0@"));
	assert_int_equal(tm__counterparse_path(path, &pf, why, sizeof why),
			 0);
	assert_int_equal(value_of(&pf, first), 3);
	assert_int_equal(value_of(&pf, "crash/signal:SIGSEGV"), 3);
	assert_int_equal(pf.ncounters, 2);
	tm__counterparse_free(&pf);
	free(path);
}

static void version_comes_from_the_child_environment(void **st)
{
	char *argv[] = { CRASHER_O0, "segv", NULL };
	char *env[] = { "TMWATCH_PROGRAM_VERSION=7.1.2", NULL };
	struct tm__identity id;
	struct pipeline_run r;
	char *path;

	pu_start(argv, env, &r);
	pu_collect(&r, count_it, &id);
	pu_free(&r);
	assert_string_equal(id.version, "7.1.2");
	assert_string_equal(id.program, "pipeline_crasher_o0");
	path = only_count_file();
	assert_non_null(strstr(path, "/pipeline_crasher_o0@7.1.2-"));
	free(path);
}

/* Fails if SECRET occurs in any file under DIR (recursively). */
static void assert_absent_under(const char *dir, const char *secret)
{
	struct dirent *e;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((e = readdir(d))) {
		char *p;
		struct stat sb;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (strstr(e->d_name, secret))
			fail_msg("'%s' in file name %s/%s", secret, dir,
				 e->d_name);
		p = tu_path(dir, e->d_name);
		assert_int_equal(lstat(p, &sb), 0);
		if (S_ISDIR(sb.st_mode)) {
			assert_absent_under(p, secret);
		} else if (S_ISREG(sb.st_mode)) {
			size_t len;
			char *data = tu_read_file(p, &len);

			assert_non_null(data);
			if (memmem(data, len, secret, strlen(secret)))
				fail_msg("'%s' found in %s", secret, p);
			free(data);
		}
		free(p);
	}
	closedir(d);
}

struct privacy {
	char log[4096];
};

static void count_and_log(struct pipeline_run *r, void *arg)
{
	struct privacy *pv = arg;
	struct tm__identity id;
	struct crashlog_info ci = { 0 };

	count_it(r, &id);
	ci.program = id.program;
	ci.exe_path = r->rec.exe;
	ci.pid = r->pid;
	ci.signo = r->rec.hdr.signo;
	ci.abort_msg = r->rec.abort_msg;
	ci.thread_name = r->rec.thread_name;
	ci.counter_name = r->name;
	ci.frames = &r->frames;
	assert_int_equal(crashlog_write(&ci, NULL, pv->log, sizeof pv->log),
			 0);
}

static void no_path_argv_env_or_message_reaches_the_store(void **st)
{
	char secret[64], *dir, *prog, env_var[128], *log;
	struct privacy pv;
	struct pipeline_run r;

	snprintf(secret, sizeof secret, "Zq7secret%d", (int)getpid());
	snprintf(env_var, sizeof env_var, "TMWATCH_TEST_SECRET=%s", secret);
	dir = tu_path(state, secret);
	assert_int_equal(mkdir(dir, 0755), 0);
	prog = tu_path(dir, "pipeline_crasher_o0");
	pu_copy(CRASHER_O0, prog);
	{
		/* argv[2] becomes the abort message and thread name. */
		char *argv[] = { prog, "segv", secret, NULL };
		char *env[] = { env_var, NULL };

		pu_start(argv, env, &r);
		pu_collect(&r, count_and_log, &pv);
	}
	assert_true(WIFSIGNALED(r.status));
	assert_non_null(strstr(r.rec.abort_msg, secret));
	assert_non_null(strstr(r.rec.thread_name, "Zq7secret"));
	assert_null(strstr(r.name, secret));
	pu_free(&r);
	assert_absent_under(store, secret);
	assert_absent_under(store, "Zq7secret");
	/* The local log may say it all: it is for the user only. */
	log = tu_read_file(pv.log, NULL);
	assert_non_null(log);
	assert_non_null(strstr(log, secret));
	free(log);
	free(prog);
	free(dir);
}

static void fixed_names_for_signals_and_failures(void **st)
{
	char buf[64];

	assert_int_equal(name_signal(SIGSEGV, buf, sizeof buf), 20);
	assert_string_equal(buf, "crash/signal:SIGSEGV");
	name_no_record(SIGABRT, buf, sizeof buf);
	assert_string_equal(buf, "crash/no-record:SIGABRT");
	name_signal(SIGSYS, buf, sizeof buf);
	assert_string_equal(buf, "crash/signal:SIGSYS");
	assert_string_equal(name_signal_name(34), "SIGRTMIN");
	assert_string_equal(name_signal_name(64), "SIGRTMAX");
	assert_string_equal(name_signal_name(0), "SIG?");
	assert_string_equal(name_signal_name(999), "SIG?");
	assert_string_equal(NAME_MALFORMED, "crash/malformed");
	assert_int_equal(name_signal(SIGSEGV, buf, 8), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			three_crashes_count_three_in_the_program_file, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			version_comes_from_the_child_environment, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			no_path_argv_env_or_message_reaches_the_store, setup,
			teardown),
		cmocka_unit_test(fixed_names_for_signals_and_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

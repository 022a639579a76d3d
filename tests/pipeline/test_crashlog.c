/* SPDX-License-Identifier: MIT */
/* test_crashlog.c -- the local crash log of a real crash: where it goes,
 * what it says (file:line, unwinder, counter), the --crash-output copy
 * and the one line after the crash.
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

#include "crashlog.h"
#include "pipeline_util.h"
#include "testutil.h"
#include "tmwatch/common.h"

static char *state;

static int setup(void **st)
{
	state = tu_tmpdir("pipeline-crashlog");
	setenv("XDG_STATE_HOME", state, 1);
	return 0;
}

static int teardown(void **st)
{
	if (!getenv("PIPELINE_KEEP"))
		tu_rmrf(state);
	free(state);
	return 0;
}

struct logged {
	char path[4096];
	char line[1024];
	const char *copy;
};

static void write_log(struct pipeline_run *r, void *arg)
{
	struct logged *lg = arg;
	struct crashlog_info ci = { 0 };

	ci.program = "pipeline_crasher_o0";
	ci.exe_path = r->rec.exe;
	ci.pid = r->pid;
	ci.tid = r->rec.hdr.tid;
	ci.signo = r->rec.hdr.signo;
	ci.si_code = r->rec.hdr.si_code;
	ci.fault_addr = r->rec.hdr.fault_addr;
	ci.unwinder = unwind_method_name(r->st.method);
	ci.counter_name = r->name;
	ci.identity = "pipeline_crasher_o0@devel-gcc-linux-amd64";
	ci.frames = &r->frames;
	ci.when = 1795400000;
	assert_int_equal(crashlog_write(&ci, lg->copy, lg->path,
					sizeof lg->path), 0);
	assert_true(crashlog_line(&ci, lg->path, lg->line,
				  sizeof lg->line) > 0);
}

static void log_has_stack_with_file_and_line(void **st)
{
	char *argv[] = { CRASHER_O0, "segv", NULL };
	char *copy = tu_path(state, "copy.txt"), *text, *again, *dir;
	char expect_line[8192];
	struct pipeline_run r;
	struct logged lg = { .copy = copy };

	pu_start(argv, NULL, &r);
	pu_collect(&r, write_log, &lg);
	dir = tu_path(state, "tmwatch/crashes/");
	assert_memory_equal(lg.path, dir, strlen(dir));
	assert_non_null(strstr(lg.path, "-pipeline_crasher_o0-"));
	text = tu_read_file(lg.path, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "program:   pipeline_crasher_o0\n"));
	assert_non_null(strstr(text, "unwinder:  libunwind\n"));
	assert_non_null(strstr(text, "signal:    SIGSEGV (Segmentation fault), "
				 "si_code 1, raised by a fault at 0x0\n"));
	assert_non_null(strstr(text, "  crash/crash\n  level2:+2,+0x"));
	assert_non_null(strstr(text, " level2:+2,+0x"));
	assert_non_null(strstr(text, "tests/pipeline/crasher.c:33\n"));
	assert_non_null(strstr(text, "time:      2026-11-23T02:13:20Z\n"));
	again = tu_read_file(copy, NULL);
	assert_non_null(again);
	assert_string_equal(again, text);
	{
		const char *frame = strchr(r.name, '\n') + 1;

		snprintf(expect_line, sizeof expect_line,
			 "'pipeline_crasher_o0' crashed with SIGSEGV in %.*s; "
			 "counted as crash/crash; log '%s'",
			 (int)strcspn(frame, "\n"), frame, lg.path);
	}
	assert_string_equal(lg.line, expect_line);
	pu_free(&r);
	free(text);
	free(again);
	free(dir);
	free(copy);
}

static void unwritable_state_dir_is_reported(void **st)
{
	struct crashlog_info ci = { 0 };
	char path[4096], *file = tu_path(state, "tmwatch");

	/* A file where the directory should be. */
	assert_int_equal(tu_write_file(file, "x", 1), 0);
	ci.program = "p";
	ci.when = 0;
	assert_int_equal(crashlog_write(&ci, NULL, path, sizeof path),
			 -ENOTDIR);
	assert_string_equal(path, "");
	free(file);
}

/* A handler aborted while handling the fault recorded: the log says
 * both, the line names the signal that killed (as crash/signal:). */
static void log_names_the_signal_a_handler_died_of(void **st)
{
	struct crashlog_info ci = { 0 };
	char path[4096], line[1024], *text;

	(void)st;
	ci.program = "p";
	ci.signo = SIGSEGV;
	ci.kill_signo = SIGABRT;
	ci.si_code = 1;
	ci.counter_name = "crash/crash\nwrite_null:+2,+0xc";
	ci.when = 0;
	assert_int_equal(crashlog_write(&ci, NULL, path, sizeof path), 0);
	text = tu_read_file(path, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "signal:    SIGSEGV (Segmentation fault), "
				 "si_code 1, raised by a fault at 0x0\n"
				 "died of:   SIGABRT, sent from the program's "
				 "handler\n"));
	assert_true(crashlog_line(&ci, path, line, sizeof line) > 0);
	assert_non_null(strstr(line, "'p' crashed with SIGABRT in "
				 "write_null:+2,+0xc;"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			log_has_stack_with_file_and_line, setup, teardown),
		cmocka_unit_test_setup_teardown(
			unwritable_state_dir_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(
			log_names_the_signal_a_handler_died_of, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

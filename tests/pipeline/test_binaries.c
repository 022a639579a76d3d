/* SPDX-License-Identifier: MIT */
/* test_binaries.c -- symbolization fallbacks on real crashes: a binary
 * without DWARF (.symtab), without any symbols (module names), with its
 * DWARF in a separate file found by build-id, a stripped dlopen'd
 * library (.dynsym and module frames), a binary replaced on disk while
 * it runs, and libdw's unwinder as the fallback.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "pipeline_util.h"
#include "testutil.h"

static char *dir;

static int setup(void **state)
{
	dir = tu_tmpdir("pipeline-binaries");
	return 0;
}

static int teardown(void **state)
{
	tu_rmrf(dir);
	free(dir);
	unsetenv("TMWATCH_DEBUG_DIRS");
	unsetenv("TMWATCH_UNWINDER");
	return 0;
}

static void run(const char *prog, const char *scenario, const char *arg,
		const char *arg2, const char *expected)
{
	char *argv[] = { (char *)prog, (char *)scenario, (char *)arg,
			 (char *)arg2, NULL };
	struct pipeline_run r;

	pu_crash(argv, NULL, &r);
	assert_true(WIFSIGNALED(r.status));
	pu_expect_name(r.name, expected);
	pu_free(&r);
}

static void binary_without_dwarf_uses_the_symbol_table(void **state)
{
	char cmd[4096];
	char *prog = tu_path(dir, "nodebug");

	snprintf(cmd, sizeof cmd, "objcopy --strip-debug '%s' '%s'",
		 CRASHER_O0, prog);
	pu_sh(cmd);
	run(prog, "segv", NULL, NULL, "crash/crash\n"
	    "level2:+0x*\n"
	    "level1:+0x*\n"
	    "main:+0x*");
	free(prog);
}

static void binary_without_symbols_gives_module_frames(void **state)
{
	char cmd[4096];
	char *prog = tu_path(dir, "stripped");

	snprintf(cmd, sizeof cmd, "strip -o '%s' '%s'", prog, CRASHER_O0);
	pu_sh(cmd);
	run(prog, "segv", NULL, NULL, "crash/crash\n"
	    "stripped:+0x*\n"
	    "stripped:+0x*\n"
	    "stripped:+0x*");
	free(prog);
}

static void separate_debug_info_is_found_by_build_id(void **state)
{
	char cmd[8192];
	char *prog = tu_path(dir, "sepdebug");
	char *dbg = tu_path(dir, "dbg");

	snprintf(cmd, sizeof cmd,
		 "set -e; objcopy --only-keep-debug '%s' '%s.debug'; "
		 "objcopy --strip-debug '%s' '%s'; "
		 "id=$(readelf -n '%s' | awk '/Build ID/ {print $3}'); "
		 "test -n \"$id\"; "
		 "d=$(echo $id | cut -c1-2); r=$(echo $id | cut -c3-); "
		 "mkdir -p '%s'/.build-id/$d; "
		 "mv '%s.debug' '%s'/.build-id/$d/$r.debug",
		 CRASHER_O0, prog, CRASHER_O0, prog, prog, dbg, prog, dbg);
	pu_sh(cmd);
	/* A relative entry is ignored, an absolute one searched. */
	snprintf(cmd, sizeof cmd, "relative/dir:%s", dbg);
	setenv("TMWATCH_DEBUG_DIRS", cmd, 1);
	run(prog, "segv", NULL, NULL, "crash/crash\n"
	    "level2:+2,+0x*\n"
	    "level1:+2,+0x*\n"
	    "main:+9,+0x*");
	unsetenv("TMWATCH_DEBUG_DIRS");
	free(dbg);
	free(prog);
}

static void stripped_dlopened_library_uses_dynsym_and_module(void **state)
{
	char cmd[4096];
	char *lib = tu_path(dir, "libstripped.so");

	snprintf(cmd, sizeof cmd, "strip -o '%s' '%s'", lib, CRASHLIB);
	pu_sh(cmd);
	/* The library lies outside the program's directories: a system
	 * library by naming rule v2, named by exported symbol or soname,
	 * without offsets. dl_crash(1) calls crashlib_crash through the
	 * PLT: the copy linked into the crasher, with DWARF. */
	run(CRASHER_O0, "dlopen", lib, "1", "crash/crash\n"
	    "lib_hidden:+2,+0x*\n"
	    "crashlib_crash:+2,+0x*\n"
	    "dl_crash\n"
	    "main:+*,+0x*");
	/* dl_crash(2) calls its own static lib_hidden: no symbol, the
	 * library's soname (not its file name). */
	run(CRASHER_O0, "dlopen", lib, "2", "crash/crash\n"
	    "libpipeline_crashlib.so\n"
	    "dl_crash\n"
	    "main:+*,+0x*");
	free(lib);
}

static void check_changed(struct pipeline_run *r, void *arg)
{
	int seen = 0;

	for (size_t i = 0; i < r->frames.n; i++) {
		const struct tm__frame_info *in = &r->frames.info[i];

		if (in->module && strcmp(in->module, "replaced") == 0) {
			assert_true(in->module_changed);
			assert_non_null(in->debug_file);
			assert_non_null(strstr(in->debug_file, "map_files"));
			seen = 1;
		}
	}
	assert_true(seen);
}

static void binary_replaced_on_disk_is_read_from_map_files(void **state)
{
	char *prog = tu_path(dir, "replaced");
	char *next = tu_path(dir, "replaced.new");
	char *argv[] = { prog, "late", NULL };
	struct pipeline_run r;

	pu_copy(CRASHER_O0, prog);
	pu_start(argv, NULL, &r);
	pu_wait_ready(&r);
	/* Another build (another build-id) takes the name, as a package
	 * upgrade would, while the old one still runs. */
	pu_copy(CRASHER_O2, next);
	assert_int_equal(rename(next, prog), 0);
	pu_go(&r);
	pu_collect(&r, check_changed, NULL);
	assert_true(WIFSIGNALED(r.status));
	pu_expect_name(r.name, "crash/crash\n"
		       "level2:+2,+0x*\n"
		       "level1:+2,+0x*\n"
		       "main:+12,+0x*");
	pu_free(&r);
	free(next);
	free(prog);
}

static void libdw_unwinder_gives_the_same_stack(void **state)
{
	char *argv[] = { CRASHER_O2, "segv", NULL };
	struct pipeline_run r;

	setenv("TMWATCH_UNWINDER", "libdw", 1);
	pu_crash(argv, NULL, &r);
	unsetenv("TMWATCH_UNWINDER");
	assert_int_equal(r.st.method, UNWIND_LIBDW);
	pu_expect_name(r.name, "crash/crash\n"
		       "level2:+2,+0x*\n"
		       "level1:+2,+0x*\n"
		       "main:+9,+0x*");
	pu_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			binary_without_dwarf_uses_the_symbol_table, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			binary_without_symbols_gives_module_frames, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			separate_debug_info_is_found_by_build_id, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			stripped_dlopened_library_uses_dynsym_and_module,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			binary_replaced_on_disk_is_read_from_map_files, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			libdw_unwinder_gives_the_same_stack, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

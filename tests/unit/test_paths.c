/* SPDX-License-Identifier: MIT */
/* test_paths.c -- the store and state directory rules of lib/paths.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "paths.h"
#include "testutil.h"
#include "tmwatch/common.h"
#include "tmwatch/telemetry.h"

/* Every test starts from a known environment: no tmwatch or XDG
 * variables and a made-up HOME (nothing here touches the file system). */
static int clean_env(void **state)
{
	(void)state;
	unsetenv("TMWATCH_DIR");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/alice", 1);
	return 0;
}

static void expect_store(const char *want)
{
	char buf[PATH_MAX];

	assert_int_equal(tm__paths_store_dir(buf, sizeof buf), 0);
	assert_string_equal(buf, want);
}

static void expect_state(const char *want)
{
	char buf[PATH_MAX];

	assert_int_equal(tm__paths_state_dir(buf, sizeof buf), 0);
	assert_string_equal(buf, want);
}

static void store_dir_prefers_tmwatch_dir_over_everything(void **state)
{
	setenv("TMWATCH_DIR", "/srv/tm", 1);
	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	expect_store("/srv/tm");
}

static void store_dir_uses_xdg_config_home_without_tmwatch_dir(void **state)
{
	setenv("XDG_CONFIG_HOME", "/xdg/conf", 1);
	expect_store("/xdg/conf/tmwatch");
}

static void store_dir_does_not_double_a_trailing_slash(void **state)
{
	setenv("XDG_CONFIG_HOME", "/xdg/conf/", 1);
	expect_store("/xdg/conf/tmwatch");
}

static void store_dir_falls_back_to_home_dot_config(void **state)
{
	expect_store("/home/alice/.config/tmwatch");
}

static void store_dir_ignores_empty_variables(void **state)
{
	setenv("TMWATCH_DIR", "", 1);
	setenv("XDG_CONFIG_HOME", "", 1);
	expect_store("/home/alice/.config/tmwatch");
}

static void store_dir_ignores_relative_xdg_config_home(void **state)
{
	setenv("XDG_CONFIG_HOME", "relative/conf", 1);
	expect_store("/home/alice/.config/tmwatch");
}

static void store_dir_reads_password_database_without_home(void **state)
{
	struct passwd *pw = getpwuid(getuid());
	char want[PATH_MAX];

	assert_non_null(pw);
	snprintf(want, sizeof want, "%s%s.config/tmwatch", pw->pw_dir,
		 strcmp(pw->pw_dir, "/") == 0 ? "" : "/");
	unsetenv("HOME");
	expect_store(want);
	setenv("HOME", "", 1);
	expect_store(want);
}

/* A uid without a passwd entry and no HOME: nothing to go on. Runs in a
 * child because it drops root for good. */
static void store_dir_fails_when_no_home_is_known(void **state)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[PATH_MAX];

		unsetenv("HOME");
		if (setgid(54321) < 0 || setuid(54321) < 0)
			_exit(2);
		if (getpwuid(54321) != NULL)
			_exit(3);	/* the uid exists after all */
		_exit(tm__paths_store_dir(buf, sizeof buf) == TM_EINVAL &&
		      tm__paths_state_dir(buf, sizeof buf) == TM_EINVAL ?
		      0 : 1);
	}
	assert_int_equal(tu_wait(pid, &status, 10000), 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
		skip();
	assert_string_equal(tu_describe_status(status), "exit 0");
}

static void store_dir_reports_a_buffer_too_small(void **state)
{
	char buf[16];

	setenv("TMWATCH_DIR", "/a/path/longer/than/sixteen", 1);
	assert_int_equal(tm__paths_store_dir(buf, sizeof buf),
			 -ENAMETOOLONG);
	assert_string_equal(buf, "");
	unsetenv("TMWATCH_DIR");
	/* "/home/alice/.config/tmwatch" needs 28 bytes. */
	assert_int_equal(tm__paths_store_dir(buf, sizeof buf),
			 -ENAMETOOLONG);
	char exact[28];

	assert_int_equal(tm__paths_store_dir(exact, sizeof exact), 0);
	assert_int_equal(tm__paths_store_dir(exact, sizeof exact - 1),
			 -ENAMETOOLONG);
}

static void state_dir_uses_xdg_state_home(void **state)
{
	setenv("XDG_STATE_HOME", "/xdg/state", 1);
	setenv("TMWATCH_DIR", "/srv/tm", 1);	/* store only */
	expect_state("/xdg/state/tmwatch");
}

static void state_dir_falls_back_to_home_local_state(void **state)
{
	expect_state("/home/alice/.local/state/tmwatch");
	setenv("XDG_STATE_HOME", "not/absolute", 1);
	expect_state("/home/alice/.local/state/tmwatch");
}

static void join_puts_exactly_one_slash_between(void **state)
{
	char buf[64];

	assert_int_equal(tm__paths_join(buf, sizeof buf, "/a/b", "c"), 0);
	assert_string_equal(buf, "/a/b/c");
	assert_int_equal(tm__paths_join(buf, sizeof buf, "/a/b/", "c"), 0);
	assert_string_equal(buf, "/a/b/c");
	assert_int_equal(tm__paths_join(buf, sizeof buf, "/", "c"), 0);
	assert_string_equal(buf, "/c");
	assert_int_equal(tm__paths_join(buf, sizeof buf, "/a", ""), 0);
	assert_string_equal(buf, "/a");
}

static void join_accepts_its_own_buffer_as_first_part(void **state)
{
	char buf[64] = "/x/y";

	assert_int_equal(tm__paths_join(buf, sizeof buf, buf, "z"), 0);
	assert_string_equal(buf, "/x/y/z");
}

static void join_reports_a_buffer_too_small(void **state)
{
	char buf[7];

	assert_int_equal(tm__paths_join(buf, sizeof buf, "/a/b", "c"), 0);
	assert_int_equal(tm__paths_join(buf, sizeof buf, "/a/b", "cd"),
			 -ENAMETOOLONG);
	assert_string_equal(buf, "");
	assert_int_equal(tm__paths_join(buf, 0, "", ""), -ENAMETOOLONG);
}

static void telemetry_dir_is_the_store_dir(void **state)
{
	char buf[PATH_MAX];

	setenv("XDG_CONFIG_HOME", "/cfg", 1);
	assert_int_equal(tm_telemetry_dir(buf, sizeof buf), 0);
	assert_string_equal(buf, "/cfg/tmwatch");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup(f, clean_env)
		T(store_dir_prefers_tmwatch_dir_over_everything),
		T(store_dir_uses_xdg_config_home_without_tmwatch_dir),
		T(store_dir_does_not_double_a_trailing_slash),
		T(store_dir_falls_back_to_home_dot_config),
		T(store_dir_ignores_empty_variables),
		T(store_dir_ignores_relative_xdg_config_home),
		T(store_dir_reads_password_database_without_home),
		T(store_dir_fails_when_no_home_is_known),
		T(store_dir_reports_a_buffer_too_small),
		T(state_dir_uses_xdg_state_home),
		T(state_dir_falls_back_to_home_local_state),
		T(join_puts_exactly_one_slash_between),
		T(join_accepts_its_own_buffer_as_first_part),
		T(join_reports_a_buffer_too_small),
		T(telemetry_dir_is_the_store_dir),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

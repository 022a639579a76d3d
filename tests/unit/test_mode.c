/* SPDX-License-Identifier: MIT */
/* test_mode.c -- the mode file, its overrides and the public tm_telemetry_*
 * functions, on a fresh store directory per test. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "mode.h"
#include "testutil.h"
#include "tmwatch/common.h"
#include "tmwatch/telemetry.h"

/* 2026-11-23T13:45:07Z */
#define NOW ((time_t)1795441507)

struct fixture {
	char *root;	/* fresh, exists */
	char *store;	/* root/tmwatch, created by each test as needed */
	char *mode;	/* store/mode */
};

static int fresh(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	f->root = tu_fresh_store("mode");
	f->store = tu_path(f->root, "tmwatch");
	f->mode = tu_path(f->store, "mode");
	setenv("TMWATCH_DIR", f->store, 1);
	unsetenv("TMWATCH_NOW");
	*state = f;
	return 0;
}

static int cleanup(void **state)
{
	struct fixture *f = *state;

	tu_rmrf(f->root);
	free(f->root);
	free(f->store);
	free(f->mode);
	free(f);
	unsetenv("TMWATCH_TELEMETRY");
	unsetenv("DO_NOT_TRACK");
	return 0;
}

static void write_mode_file(struct fixture *f, const char *text)
{
	mkdir(f->store, 0755);
	assert_int_equal(tu_write_file(f->mode, text, strlen(text)), 0);
}

static void load(struct fixture *f, struct tm__mode_info *info)
{
	memset(info, 0x5a, sizeof *info);
	assert_int_equal(tm__mode_load(f->store, info), 0);
}

static void expect_dir_absent(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0)
		fail_msg("'%s' was created", path);
	assert_int_equal(errno, ENOENT);
}

static void store_and_load_round_trip_every_mode(void **state)
{
	static const struct {
		enum tm_mode mode;
		const char *text;
	} cases[] = {
		{ TM_MODE_ON, "on 2026-11-23\n" },
		{ TM_MODE_LOCAL, "local 2026-11-23\n" },
		{ TM_MODE_OFF, "off 2026-11-23\n" },
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct tm__mode_info info;
		char *text;

		assert_int_equal(tm__mode_store(f->store, cases[i].mode, NOW),
				 0);
		text = tu_read_file(f->mode, NULL);
		assert_non_null(text);
		assert_string_equal(text, cases[i].text);
		free(text);
		load(f, &info);
		assert_int_equal(info.recorded, cases[i].mode);
		assert_int_equal(info.effective, cases[i].mode);
		assert_string_equal(info.date, "2026-11-23");
		assert_null(info.forced_by);
		assert_int_equal(info.file_error, 0);
		assert_int_equal(info.env_error, 0);
	}
}

static void store_creates_the_store_dir_and_nothing_inside(void **state)
{
	struct fixture *f = *state;
	char *deep = tu_path(f->root, "a/b/tmwatch");
	char *mode = tu_path(deep, "mode");
	char *text;

	assert_int_equal(tm__mode_store(deep, TM_MODE_LOCAL, NOW), 0);
	text = tu_read_file(mode, NULL);
	assert_non_null(text);
	assert_string_equal(text, "local 2026-11-23\n");
	free(text);
	char *local = tu_path(deep, "local");

	expect_dir_absent(local);
	free(local);
	free(mode);
	free(deep);
}

static void store_fails_when_a_file_is_in_the_way(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(tu_write_file(f->store, "x", 1), 0);
	assert_int_equal(tm__mode_store(f->store, TM_MODE_ON, NOW),
			 -ENOTDIR);
}

static void store_rejects_an_invalid_mode(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(tm__mode_store(f->store, (enum tm_mode)7, NOW),
			 TM_EINVAL);
	expect_dir_absent(f->store);
}

static void missing_mode_file_means_local(void **state)
{
	struct fixture *f = *state;
	struct tm__mode_info info;

	load(f, &info);
	assert_int_equal(info.recorded, TM_MODE_LOCAL);
	assert_int_equal(info.effective, TM_MODE_LOCAL);
	assert_string_equal(info.date, "");
	assert_null(info.forced_by);
	assert_int_equal(info.file_error, 0);
}

static void reading_the_mode_creates_nothing(void **state)
{
	struct fixture *f = *state;
	struct tm__mode_info info;

	load(f, &info);
	assert_int_equal(tm_telemetry_mode(), TM_MODE_LOCAL);
	setenv("TMWATCH_TELEMETRY", "off", 1);
	assert_int_equal(tm_telemetry_mode(), TM_MODE_OFF);
	load(f, &info);
	expect_dir_absent(f->store);
}

static void garbage_mode_file_means_local_never_on(void **state)
{
	static const char *bad[] = {
		"yes\n", "on\n", "on", "ON 2026-11-23\n", "on 2026-13-01\n",
		"on 2026-11-23 extra\n", "on  2026-11-23\n", "on 20261123\n",
		"on 1795441507\n", "\n", "", "on\0002026-11-23",
		"local 2026-11-23 on\n",
		"on 2026-11-23\n                                              "
		"                           \n",
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct tm__mode_info info;

		write_mode_file(f, bad[i]);
		load(f, &info);
		if (info.file_error != TM_EBADMODE)
			fail_msg("mode file '%s': file_error %d", bad[i],
				 info.file_error);
		assert_int_equal(info.recorded, TM_MODE_LOCAL);
		assert_int_equal(info.effective, TM_MODE_LOCAL);
		assert_string_equal(info.date, "");
	}
}

static void mode_file_without_date_is_fine_for_off_and_local(void **state)
{
	struct fixture *f = *state;
	struct tm__mode_info info;

	write_mode_file(f, "off\n");
	load(f, &info);
	assert_int_equal(info.file_error, 0);
	assert_int_equal(info.recorded, TM_MODE_OFF);
	assert_string_equal(info.date, "");
	write_mode_file(f, "local");
	load(f, &info);
	assert_int_equal(info.file_error, 0);
	assert_int_equal(info.recorded, TM_MODE_LOCAL);
	write_mode_file(f, "on 2026-01-02\r\n");
	load(f, &info);
	assert_int_equal(info.file_error, 0);
	assert_int_equal(info.recorded, TM_MODE_ON);
	assert_string_equal(info.date, "2026-01-02");
}

static void unreadable_mode_file_means_local_with_its_error(void **state)
{
	struct fixture *f = *state;
	struct tm__mode_info info;

	assert_int_equal(mkdir(f->store, 0755), 0);
	assert_int_equal(mkdir(f->mode, 0755), 0);
	load(f, &info);
	assert_int_equal(info.file_error, -EISDIR);
	assert_int_equal(info.recorded, TM_MODE_LOCAL);
	assert_int_equal(info.effective, TM_MODE_LOCAL);
}

static void tmwatch_telemetry_lowers_the_mode(void **state)
{
	struct fixture *f = *state;
	struct tm__mode_info info;

	assert_int_equal(tm__mode_store(f->store, TM_MODE_ON, NOW), 0);
	setenv("TMWATCH_TELEMETRY", "off", 1);
	load(f, &info);
	assert_int_equal(info.recorded, TM_MODE_ON);
	assert_int_equal(info.effective, TM_MODE_OFF);
	assert_string_equal(info.forced_by, "TMWATCH_TELEMETRY");
	setenv("TMWATCH_TELEMETRY", "local", 1);
	load(f, &info);
	assert_int_equal(info.effective, TM_MODE_LOCAL);
	assert_string_equal(info.forced_by, "TMWATCH_TELEMETRY");
	assert_int_equal(info.env_error, 0);
}

static void tmwatch_telemetry_never_raises_the_mode(void **state)
{
	struct fixture *f = *state;
	struct tm__mode_info info;

	assert_int_equal(tm__mode_store(f->store, TM_MODE_OFF, NOW), 0);
	setenv("TMWATCH_TELEMETRY", "local", 1);
	load(f, &info);
	assert_int_equal(info.effective, TM_MODE_OFF);
	assert_null(info.forced_by);
	assert_int_equal(info.env_error, 0);

	assert_int_equal(tm__mode_store(f->store, TM_MODE_LOCAL, NOW), 0);
	setenv("TMWATCH_TELEMETRY", "on", 1);
	load(f, &info);
	assert_int_equal(info.effective, TM_MODE_LOCAL);
	assert_null(info.forced_by);
	assert_int_equal(info.env_error, TM_EBADMODE);
}

static void tmwatch_telemetry_with_a_bad_value_is_ignored(void **state)
{
	struct fixture *f = *state;
	struct tm__mode_info info;

	assert_int_equal(tm__mode_store(f->store, TM_MODE_ON, NOW), 0);
	setenv("TMWATCH_TELEMETRY", "Off", 1);
	load(f, &info);
	assert_int_equal(info.effective, TM_MODE_ON);
	assert_null(info.forced_by);
	assert_int_equal(info.env_error, TM_EBADMODE);
	assert_int_equal(info.file_error, 0);
	setenv("TMWATCH_TELEMETRY", "", 1);
	load(f, &info);
	assert_int_equal(info.env_error, 0);
}

static void do_not_track_lowers_on_to_local(void **state)
{
	struct fixture *f = *state;
	struct tm__mode_info info;

	assert_int_equal(tm__mode_store(f->store, TM_MODE_ON, NOW), 0);
	setenv("DO_NOT_TRACK", "1", 1);
	load(f, &info);
	assert_int_equal(info.recorded, TM_MODE_ON);
	assert_int_equal(info.effective, TM_MODE_LOCAL);
	assert_string_equal(info.forced_by, "DO_NOT_TRACK");
	setenv("DO_NOT_TRACK", "0", 1);
	load(f, &info);
	assert_int_equal(info.effective, TM_MODE_ON);
	assert_null(info.forced_by);
}

static void do_not_track_leaves_off_and_local_alone(void **state)
{
	struct fixture *f = *state;
	struct tm__mode_info info;

	setenv("DO_NOT_TRACK", "1", 1);
	assert_int_equal(tm__mode_store(f->store, TM_MODE_OFF, NOW), 0);
	load(f, &info);
	assert_int_equal(info.effective, TM_MODE_OFF);
	assert_null(info.forced_by);
	assert_int_equal(tm__mode_store(f->store, TM_MODE_LOCAL, NOW), 0);
	load(f, &info);
	assert_int_equal(info.effective, TM_MODE_LOCAL);
	assert_null(info.forced_by);
}

static void tmwatch_telemetry_off_wins_over_do_not_track(void **state)
{
	struct fixture *f = *state;
	struct tm__mode_info info;

	assert_int_equal(tm__mode_store(f->store, TM_MODE_ON, NOW), 0);
	setenv("DO_NOT_TRACK", "1", 1);
	setenv("TMWATCH_TELEMETRY", "off", 1);
	load(f, &info);
	assert_int_equal(info.effective, TM_MODE_OFF);
	assert_string_equal(info.forced_by, "TMWATCH_TELEMETRY");
}

static void public_api_sets_and_reads_the_mode(void **state)
{
	struct fixture *f = *state;
	char dir[PATH_MAX], *text;

	setenv("TMWATCH_NOW", "2026-11-23T08:00:00Z", 1);
	assert_int_equal(tm_telemetry_set_mode(TM_MODE_ON), 0);
	text = tu_read_file(f->mode, NULL);
	assert_non_null(text);
	assert_string_equal(text, "on 2026-11-23\n");
	free(text);
	assert_int_equal(tm_telemetry_mode(), TM_MODE_ON);
	setenv("DO_NOT_TRACK", "1", 1);
	assert_int_equal(tm_telemetry_mode(), TM_MODE_LOCAL);
	unsetenv("DO_NOT_TRACK");
	assert_int_equal(tm_telemetry_set_mode(TM_MODE_OFF), 0);
	assert_int_equal(tm_telemetry_mode(), TM_MODE_OFF);
	assert_int_equal(tm_telemetry_dir(dir, sizeof dir), 0);
	assert_string_equal(dir, f->store);
	unsetenv("TMWATCH_NOW");
}

static void mode_names_and_parse_agree(void **state)
{
	enum tm_mode m = TM_MODE_LOCAL;

	for (int i = TM_MODE_OFF; i <= TM_MODE_ON; i++) {
		assert_int_equal(tm__mode_parse(tm__mode_name(i), &m), 0);
		assert_int_equal(m, i);
	}
	assert_string_equal(tm__mode_name(TM_MODE_OFF), "off");
	assert_string_equal(tm__mode_name(TM_MODE_LOCAL), "local");
	assert_string_equal(tm__mode_name(TM_MODE_ON), "on");
	assert_string_equal(tm__mode_name((enum tm_mode)9), "unknown");
	m = TM_MODE_LOCAL;
	assert_int_equal(tm__mode_parse("On", &m), TM_EBADMODE);
	assert_int_equal(tm__mode_parse("", &m), TM_EBADMODE);
	assert_int_equal(tm__mode_parse("of", &m), TM_EBADMODE);
	assert_int_equal(tm__mode_parse("on ", &m), TM_EBADMODE);
	assert_int_equal(tm__mode_parse(NULL, &m), TM_EBADMODE);
	assert_int_equal(m, TM_MODE_LOCAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fresh, cleanup)
		T(store_and_load_round_trip_every_mode),
		T(store_creates_the_store_dir_and_nothing_inside),
		T(store_fails_when_a_file_is_in_the_way),
		T(store_rejects_an_invalid_mode),
		T(missing_mode_file_means_local),
		T(reading_the_mode_creates_nothing),
		T(garbage_mode_file_means_local_never_on),
		T(mode_file_without_date_is_fine_for_off_and_local),
		T(unreadable_mode_file_means_local_with_its_error),
		T(tmwatch_telemetry_lowers_the_mode),
		T(tmwatch_telemetry_never_raises_the_mode),
		T(tmwatch_telemetry_with_a_bad_value_is_ignored),
		T(do_not_track_lowers_on_to_local),
		T(do_not_track_leaves_off_and_local_alone),
		T(tmwatch_telemetry_off_wins_over_do_not_track),
		T(public_api_sets_and_reads_the_mode),
		T(mode_names_and_parse_agree),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* test_clock.c -- TMWATCH_NOW, the two date forms and their parser. The
 * expected epoch values come from GNU date (date -u -d ... +%s). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "clock.h"
#include "tmwatch/common.h"

static void expect_parse(const char *s, long long want)
{
	time_t t = -7;

	if (tm__clock_parse(s, &t) != 0)
		fail_msg("'%s' did not parse", s);
	assert_int_equal((long long)t, want);
}

static void expect_reject(const char *s)
{
	time_t t = -7;

	if (tm__clock_parse(s, &t) != TM_EINVAL)
		fail_msg("'%s' parsed as %lld", s, (long long)t);
	assert_int_equal((long long)t, -7);
}

static void parse_reads_dates_as_utc_midnight(void **state)
{
	expect_parse("2026-11-23", 1795392000);
	expect_parse("2024-02-29", 1709164800);
	expect_parse("2000-03-01", 951868800);
	expect_parse("2100-02-28", 4107456000LL);
	expect_parse("1970-01-01", 0);
}

static void parse_reads_rfc3339_utc(void **state)
{
	expect_parse("2026-11-23T13:45:07Z", 1795441507);
	expect_parse("9999-12-31T23:59:59Z", 253402300799LL);
}

static void parse_reads_epoch_seconds(void **state)
{
	expect_parse("1700000000", 1700000000);
	expect_parse("0", 0);
	expect_parse("1795392000", 1795392000);
}

static void parse_rejects_malformed_text(void **state)
{
	expect_reject("");
	expect_reject("2026-11-3");
	expect_reject("2026/11/23");
	expect_reject("2026-13-01");
	expect_reject("2026-00-10");
	expect_reject("2026-11-00");
	expect_reject("2026-11-31");
	expect_reject("2025-02-29");	/* not a leap year */
	expect_reject("2100-02-29");	/* nor is 2100 */
	expect_reject("1969-12-31");
	expect_reject("2026-11-23T24:00:00Z");
	expect_reject("2026-11-23T23:60:00Z");
	expect_reject("2026-11-23T23:59:60Z");
	expect_reject("2026-11-23T13:45:07+01");
	expect_reject("2026-11-23T13:45:07.5Z");
	expect_reject("2026-11-23 13:45:07Z");
	expect_reject("-5");
	expect_reject("12ab");
	expect_reject("999999999999999999999");
	expect_reject("253402300800");	/* past year 9999 */
	expect_reject(" 2026-11-23");
	expect_reject(NULL);
}

static void date_prints_utc_dates(void **state)
{
	char d[11];

	tm__clock_date(1795441507, d);
	assert_string_equal(d, "2026-11-23");
	tm__clock_date(1709164800 + 86399, d);
	assert_string_equal(d, "2024-02-29");
	tm__clock_date(0, d);
	assert_string_equal(d, "1970-01-01");
	tm__clock_date(-1, d);
	assert_string_equal(d, "1969-12-31");
}

static void rfc3339_prints_like_go_for_utc(void **state)
{
	char s[21];

	tm__clock_rfc3339(1795392000, s);
	assert_string_equal(s, "2026-11-23T00:00:00Z");
	tm__clock_rfc3339(1700000000, s);
	assert_string_equal(s, "2023-11-14T22:13:20Z");
	tm__clock_rfc3339(-1, s);
	assert_string_equal(s, "1969-12-31T23:59:59Z");
}

static void date_forms_round_trip_through_parse(void **state)
{
	for (long long t = 0; t < 253402300799LL; t += 7777777) {
		char d[11], s[21];
		time_t back;

		tm__clock_rfc3339((time_t)t, s);
		assert_int_equal(tm__clock_parse(s, &back), 0);
		assert_int_equal((long long)back, t);
		tm__clock_date((time_t)t, d);
		assert_int_equal(tm__clock_parse(d, &back), 0);
		assert_int_equal((long long)back, t - t % 86400);
	}
}

static void dates_outside_four_digit_years_are_clamped(void **state)
{
	char d[11], s[21];

	tm__clock_date((time_t)253402300800LL * 10, d);
	assert_string_equal(d, "9999-12-31");
	tm__clock_rfc3339((time_t)-99999999999LL, s);
	assert_string_equal(s, "0000-01-01T00:00:00Z");
}

static void midnight_floors_before_and_after_1970(void **state)
{
	assert_int_equal((long long)tm__clock_midnight(1795441507),
			 1795392000);
	assert_int_equal((long long)tm__clock_midnight(-1), -86400);
	assert_int_equal((long long)tm__clock_midnight(-86400), -86400);
}

static void now_follows_tmwatch_now(void **state)
{
	time_t before, t;

	setenv("TMWATCH_NOW", "2026-11-23", 1);
	assert_int_equal((long long)tm__clock_now(), 1795392000);
	setenv("TMWATCH_NOW", "2026-11-23T13:45:07Z", 1);
	assert_int_equal((long long)tm__clock_now(), 1795441507);
	setenv("TMWATCH_NOW", "1700000000", 1);
	assert_int_equal((long long)tm__clock_now(), 1700000000);
	/* Garbage is ignored: the real clock. */
	setenv("TMWATCH_NOW", "yesterday", 1);
	before = time(NULL);
	t = tm__clock_now();
	assert_true(t >= before && t <= time(NULL));
	unsetenv("TMWATCH_NOW");
	before = time(NULL);
	t = tm__clock_now();
	assert_true(t >= before && t <= time(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_reads_dates_as_utc_midnight),
		cmocka_unit_test(parse_reads_rfc3339_utc),
		cmocka_unit_test(parse_reads_epoch_seconds),
		cmocka_unit_test(parse_rejects_malformed_text),
		cmocka_unit_test(date_prints_utc_dates),
		cmocka_unit_test(rfc3339_prints_like_go_for_utc),
		cmocka_unit_test(date_forms_round_trip_through_parse),
		cmocka_unit_test(dates_outside_four_digit_years_are_clamped),
		cmocka_unit_test(midnight_floors_before_and_after_1970),
		cmocka_unit_test(now_follows_tmwatch_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

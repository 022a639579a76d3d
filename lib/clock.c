/* SPDX-License-Identifier: MIT */
/* clock.c -- UTC dates without the C library's time zone state.
 *
 * gmtime_r and timegm would do, but they consult TZ state and timegm is
 * not in POSIX; the civil-calendar arithmetic below (proleptic Gregorian,
 * days since 1970-01-01) is a few lines, exact for every year, and easy to
 * test. TMWATCH_NOW lets tests (and users checking week boundaries) pin the
 * clock; docs/store-layout.md lists it. Never prints.
 */
#define _GNU_SOURCE
#include "clock.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tmwatch/common.h"

#define DAY_SECONDS 86400
/* 0000-01-01 and 9999-12-31T23:59:59Z: the range four year digits hold. */
#define MIN_TIME (-62167219200LL)
#define MAX_TIME (253402300799LL)

/* Days from 1970-01-01 to Y-M-D (months 1..12), any year. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse of days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(int64_t y, unsigned m)
{
	static const unsigned char days[12] = { 31, 28, 31, 30, 31, 30,
						31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Reads exactly N decimal digits at S into *V. */
static int digits(const char *s, int n, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

static int parse_epoch(const char *s, time_t *out)
{
	int64_t v = 0;

	if (!*s || strlen(s) > 12)	/* 12 digits pass year 9999 */
		return TM_EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return TM_EINVAL;
		v = v * 10 + (*p - '0');
	}
	if (v > MAX_TIME)
		return TM_EINVAL;
	*out = (time_t)v;
	return 0;
}

int tm__clock_parse(const char *s, time_t *out)
{
	unsigned y, mo, d, h = 0, mi = 0, se = 0;
	size_t n;

	if (!s || !out)
		return TM_EINVAL;
	n = strlen(s);
	if (strspn(s, "0123456789") == n)
		return parse_epoch(s, out);
	if (n != 10 && n != 20)
		return TM_EINVAL;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d))
		return TM_EINVAL;
	if (n == 20 && (s[10] != 'T' || digits(s + 11, 2, &h) ||
			s[13] != ':' || digits(s + 14, 2, &mi) ||
			s[16] != ':' || digits(s + 17, 2, &se) ||
			s[19] != 'Z'))
		return TM_EINVAL;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > month_days(y, mo) || h > 23 || mi > 59 || se > 59)
		return TM_EINVAL;
	*out = (time_t)(days_from_civil(y, mo, d) * DAY_SECONDS +
			h * 3600 + mi * 60 + se);
	return 0;
}

time_t tm__clock_now(void)
{
	const char *env = getenv("TMWATCH_NOW");
	time_t t;

	if (env && *env && tm__clock_parse(env, &t) == 0)
		return t;
	return time(NULL);
}

time_t tm__clock_midnight(time_t t)
{
	int64_t days = (int64_t)t / DAY_SECONDS;

	if ((int64_t)t % DAY_SECONDS < 0)
		days--;		/* floor, not truncation, before 1970 */
	return (time_t)(days * DAY_SECONDS);
}

/* Splits T (clamped to years 0..9999) into a civil date and a time. */
static void split_time(time_t t, int64_t *y, unsigned *mo, unsigned *d,
		       unsigned *secs)
{
	int64_t v = (int64_t)t;

	if (v < MIN_TIME)
		v = MIN_TIME;
	if (v > MAX_TIME)
		v = MAX_TIME;
	int64_t mid = (int64_t)tm__clock_midnight((time_t)v);

	civil_from_days(mid / DAY_SECONDS, y, mo, d);
	*secs = (unsigned)(v - mid);
}

/* Writes V as exactly N decimal digits, zero-padded. Not snprintf: a
 * process's first count must not map libc's vfprintf (strbuild.h). */
static void put_digits(char *out, unsigned v, int n)
{
	while (n-- > 0) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

void tm__clock_date(time_t t, char out[11])
{
	int64_t y;
	unsigned mo, d, secs;

	split_time(t, &y, &mo, &d, &secs);
	put_digits(out, (unsigned)y % 10000u, 4);
	out[4] = '-';
	put_digits(out + 5, mo % 100u, 2);
	out[7] = '-';
	put_digits(out + 8, d % 100u, 2);
	out[10] = '\0';
}

void tm__clock_rfc3339(time_t t, char out[21])
{
	int64_t y;
	unsigned mo, d, secs;

	tm__clock_date(t, out);
	split_time(t, &y, &mo, &d, &secs);
	out[10] = 'T';
	put_digits(out + 11, (secs / 3600) % 100u, 2);
	out[13] = ':';
	put_digits(out + 14, (secs / 60) % 60u, 2);
	out[16] = ':';
	put_digits(out + 17, secs % 60u, 2);
	out[19] = 'Z';
	out[20] = '\0';
}

/* SPDX-License-Identifier: MIT */
/* weeks.c -- the random weekly end day and the span of a counter file.
 *
 * DESIGN §6.3: T/local/weekends holds one digit 0-6 (0 = Sunday) and a
 * newline, the same file Go telemetry keeps. A counter file begun on day D
 * is valid until midnight UTC of the next such weekday strictly after D,
 * so files last 1 to 7 days and every week ends on the user's day.
 * Layout: docs/store-layout.md. This file never creates LOCALDIR (with
 * telemetry off nothing may be written) and never prints.
 */
#define _GNU_SOURCE
#include "weeks.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fsutil.h"
#include "paths.h"
#include "tmwatch/common.h"

#define DAY_SECONDS 86400
/* Creation and repair races are settled within a couple of rounds; the
 * bound keeps a file that keeps changing under us from looping forever. */
#define WEEKDAY_TRIES 8

int tm__weeks_parse(const char *text, size_t len)
{
	if ((len != 1 && len != 2) || text[0] < '0' || text[0] > '6' ||
	    (len == 2 && text[1] != '\n'))
		return TM_ECORRUPT;
	return text[0] - '0';
}

/* A uniformly random weekday. 252 = 36 * 7: bytes at or above it are
 * redrawn so no day is favoured. */
static int random_weekday(void)
{
	for (int i = 0; i < 32; i++) {
		unsigned char b;

		if (getrandom(&b, 1, GRND_NONBLOCK) != 1)
			break;
		if (b < 252)
			return b % 7;
	}
	/* No entropy yet (early boot): spreading users is all we need. */
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int)(((unsigned long)ts.tv_nsec ^ (unsigned long)getpid()) %
		     7);
}

/* Reads and checks NAME relative to DIRFD: the digit, TM_ECORRUPT, or
 * -errno. */
static int read_weekday(int dirfd, const char *name)
{
	char buf[8];
	size_t len;
	int r = tm__fs_read_small_at(dirfd, name, buf, sizeof buf, &len, NULL);

	if (r == -EFBIG)
		return TM_ECORRUPT;
	if (r < 0)
		return r;
	return tm__weeks_parse(buf, len);
}

int tm__weeks_weekday(const char *localdir, int *weekday)
{
	return tm__weeks_weekday_at(AT_FDCWD, localdir, weekday);
}

int tm__weeks_weekday_at(int localfd, const char *localdir, int *weekday)
{
	char path[PATH_MAX];
	int r;

	/* The common case, a readable file, needs no path. */
	if (localfd != AT_FDCWD &&
	    (r = read_weekday(localfd, "weekends")) >= 0) {
		*weekday = r;
		return 0;
	}
	r = tm__paths_join(path, sizeof path, localdir, "weekends");
	if (r < 0)
		return r;
	for (int i = 0; i < WEEKDAY_TRIES; i++) {
		char text[2] = { 0, '\n' };

		r = read_weekday(AT_FDCWD, path);
		if (r >= 0) {
			*weekday = r;
			return 0;
		}
		text[0] = (char)('0' + random_weekday());
		if (r == -ENOENT) {
			/* First use: exactly one racing process links its
			 * file; the losers (EEXIST) read the winner's. */
			r = tm__fs_create_new(path, text, sizeof text, 0644,
					      1);
			if (r < 0 && r != -EEXIST)
				return r;
		} else if (r == TM_ECORRUPT) {
			/* Replace, then read back: a concurrent repair may
			 * have renamed a different digit over ours. */
			r = tm__fs_write_atomic(path, text, sizeof text, 0644,
						1);
			if (r < 0)
				return r;
		} else {
			return r;
		}
	}
	return -EAGAIN;
}

void tm__weeks_span(time_t now, int weekday, time_t *begin, time_t *end)
{
	time_t b = tm__clock_midnight(now);
	int64_t days = (int64_t)b / DAY_SECONDS;
	/* 1970-01-01 was a Thursday (4); floor modulo for earlier dates. */
	int wday = (int)(((days % 7) + 7 + 4) % 7);
	int incr;

	weekday = ((weekday % 7) + 7) % 7;
	incr = weekday - wday;
	if (incr <= 0)
		incr += 7;	/* strictly after begin */
	*begin = b;
	*end = b + (time_t)incr * DAY_SECONDS;
}

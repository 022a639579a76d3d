/* SPDX-License-Identifier: MIT */
/* dailytoken.c -- the once-a-day token of reports and uploads.
 *
 * One copy of the rule for the three places that ask it: the light
 * watchdog deciding whether to start the daily job at all (watchdog/
 * daily.c, libc only: this file is part of the libc-only core), the
 * detached job itself (tool/upload.c), and the report builder that takes
 * the token (tool/report.c). Never prints.
 */
#define _GNU_SOURCE
#include "dailytoken.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int token_path(const char *store_dir, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s/local/daily.token", store_dir);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int tm__dailytoken_due(const char *store_dir, time_t now)
{
	char path[4200];
	struct stat st;

	if (token_path(store_dir, path, sizeof path) || stat(path, &st) != 0)
		return 1;
	return st.st_mtime > now ||
	       now - st.st_mtime >= TM__DAILYTOKEN_PERIOD_S;
}

int tm__dailytoken_take(const char *store_dir, time_t now)
{
	struct timespec ts[2] = { { now, 0 }, { now, 0 } };
	char path[4200];
	int fd, r = 0;

	r = token_path(store_dir, path, sizeof path);
	if (r)
		return r;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	if (futimens(fd, ts) != 0)
		r = -errno;
	close(fd);
	return r;
}

/* SPDX-License-Identifier: MIT */
/* store.c -- make an accepted report durable as DATA/WEEK/X.json.
 *
 * The collector answers 200 only after this returns: the bytes are in a
 * temp file, fsync'd, linked to their final name (link(2) fails if the
 * name exists, so two racing uploads of one report store one object), and
 * the directory is fsync'd. The layout is the canonical dataset (DESIGN
 * §10, docs/collector.md).
 */
#define _GNU_SOURCE
#include "collector.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int same_bytes(const char *path, const char *body, size_t len)
{
	char *buf = malloc(len + 2);
	size_t got = 0;
	int same = 0;

	if (!buf)
		return -ENOMEM;
	if (!tm__fs_read_small(path, buf, len + 2, &got))
		same = got == len && !memcmp(buf, body, len);
	free(buf);
	return same;
}

int store_report(const char *datadir, const char *week, const char *key,
		 const char *body, size_t len)
{
	char dir[4096], path[4200];
	struct stat st;
	int rc;

	if ((size_t)snprintf(dir, sizeof dir, "%s/%s", datadir, week) >=
	    sizeof dir)
		return -ENAMETOOLONG;
	snprintf(path, sizeof path, "%s/%s.json", dir, key);
	if (stat(dir, &st) != 0) {
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		/* The new directory entry must survive a crash too. */
		if ((rc = fsync_dir(datadir)))
			return rc;
	}
	rc = tm__fs_create_new(path, body, len, 0644, 1);
	if (rc == -EEXIST) {
		int same = same_bytes(path, body, len);

		if (same < 0)
			return same;
		return same ? 1 : -EEXIST;
	}
	if (rc)
		return rc;
	return fsync_dir(dir);
}

/* SPDX-License-Identifier: MIT */
/* store_file.c -- the file store: each report as DATA/WEEK/X.json.
 *
 * The collector answers 200 only after this returns: the bytes are in a
 * temp file, fsync'd, linked to their final name (link(2) fails if the
 * name exists, so two racing uploads of one report store one object), and
 * the directory is fsync'd. The layout is the canonical dataset (DESIGN
 * §10, docs/collector.md). The merged dataset is merge.c's
 * DATA/merged/DAY.json; this file only wires both behind store.h.
 */
#define _GNU_SOURCE
#include "collector.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "merge.h"
#include "tmwatch/common.h"

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

struct file_store {
	struct store base;
	char *dir;
};

static int file_put(struct store *s, const char *week, const char *key,
		    const char *body, size_t len)
{
	return store_report(((struct file_store *)s)->dir, week, key, body,
			    len);
}

static int file_list_days(struct store *s, char ***days, size_t *n)
{
	return merge_list_days(((struct file_store *)s)->dir, days, n);
}

static int file_open_merged(struct store *s, const char *day, int *fd)
{
	const char *dir = ((struct file_store *)s)->dir;
	char daydir[4200], path[4200];
	struct stat st;

	snprintf(daydir, sizeof daydir, "%s/%s", dir, day);
	if (stat(daydir, &st) != 0)
		return -ENOENT;
	if (merge_is_stale(dir, day)) {
		struct merge_result r;
		int rc = merge_day(dir, day, &r);

		if (rc)
			return rc == -ENOENT ? -EIO : rc;
	}
	snprintf(path, sizeof path, "%s/merged/%s.json", dir, day);
	if ((*fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -errno;
	return 0;
}

static int file_merge_day(struct store *s, const char *day,
			  struct merge_result *res)
{
	return merge_day(((struct file_store *)s)->dir, day, res);
}

static int file_merge_stale(struct store *s, FILE *log, pthread_mutex_t *mu)
{
	return merge_stale(((struct file_store *)s)->dir, log, mu);
}

static void file_close(struct store *s)
{
	free(((struct file_store *)s)->dir);
	free(s);
}

static const struct store_ops file_ops = {
	.put = file_put,
	.list_days = file_list_days,
	.open_merged = file_open_merged,
	.merge_day = file_merge_day,
	.merge_stale = file_merge_stale,
	.close = file_close,
};

int store_file_open(const char *dir, struct store **out, char *why,
		    size_t whycap)
{
	struct file_store *f = calloc(1, sizeof *f);
	int rc;

	if (!f || !(f->dir = strdup(dir))) {
		free(f);
		snprintf(why, whycap, "out of memory");
		return -ENOMEM;
	}
	if ((rc = tm__fs_mkdirs(dir, 0755))) {
		snprintf(why, whycap, "cannot create data directory '%s': %s",
			 dir, tm_strerror(rc));
		free(f->dir);
		free(f);
		return rc;
	}
	f->base.ops = &file_ops;
	snprintf(f->base.name, sizeof f->base.name, "file:%s", dir);
	*out = &f->base;
	return 0;
}

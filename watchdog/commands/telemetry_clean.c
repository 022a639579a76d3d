/* SPDX-License-Identifier: MIT */
/* telemetry_clean.c -- `tmwatch telemetry clean`: deletes the files tmwatch
 * wrote in the store, and only those.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include "fsutil.h"
#include "paths.h"
#include "cmd.h"
#include "cmdutil.h"
#include "msg.h"
#include "tmwatch/common.h"

static const char CMD[] = "tmwatch telemetry";

/* "YYYY-MM-DD" at S (digits and dashes only; the date is not checked). */
static int is_date(const char *s)
{
	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 7 ? s[i] != '-' :
		    (s[i] < '0' || s[i] > '9'))
			return 0;
	}
	return 1;
}

/* Whether NAME in local/ (LOCAL) or upload/ is a file tmwatch writes
 * there (docs/store-layout.md): only those are ever deleted. weekends is
 * ours too but kept: it is the user's identity-free schedule, and weeks
 * stay aligned. */
static int is_ours(const char *name, int local)
{
	size_t n = strlen(name);

	if (name[0] == '.')
		return 0;
	if (!local)
		return n == 15 && is_date(name) && !strcmp(name + 10, ".json");
	if (cmdutil_has_suffix(name, ".v1.count") || cmdutil_has_suffix(name, ".v1.count.corrupt"))
		return 1;
	if (!strcmp(name, "report.lock") || !strcmp(name, "daily.token"))
		return 1;
	if (n > 6 && !strncmp(name, "local.", 6) && is_date(name + 6))
		return !strcmp(name + 16, ".json");
	return n >= 10 && is_date(name) &&
	       (!strcmp(name + 10, ".json") || !strcmp(name + 10, ".json.lock") ||
		!strcmp(name + 10, ".upload"));
}

/* Removes our files from SUB of the store open at TOPFD. SUB is opened
 * with O_NOFOLLOW and must be ours and writable by nobody else; every
 * name is unlinked relative to its descriptor, so a symlink put in place
 * of SUB (or swapped in meanwhile) cannot point the deletion elsewhere.
 * Entries that are not regular files are left alone. *BAD gets SUB's
 * path on failure. */
static int clean_dir(int topfd, const char *dir, const char *sub,
		     size_t *removed, char *bad, size_t cap)
{
	struct dirent *e;
	int fd, dfd;
	DIR *d;

	snprintf(bad, cap, "%s/%s", dir, sub);
	fd = tm__fs_open_dir(topfd, sub, 1);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	dfd = dup(fd);
	d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d) {
		int err = -errno;

		if (dfd >= 0)
			close(dfd);
		close(fd);
		return err;
	}
	while ((e = readdir(d))) {
		struct stat st;

		if (!is_ours(e->d_name, !strcmp(sub, "local")) ||
		    fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(fd, e->d_name, 0) == 0)
			(*removed)++;
	}
	closedir(d);
	close(fd);
	return 0;
}

int telemetry_clean_main(int argc, char **argv)
{
	char dir[PATH_MAX], bad[PATH_MAX + 16];
	size_t removed = 0;
	int err, topfd;

	if (cmdutil_wants_help(argc, argv)) {
		printf("usage: tmwatch telemetry clean\n\nDeletes the "
		       "counter files and reports under the store's local/ "
		       "and\nupload/ directories. The mode and upload "
		       "configs stay.\n");
		return MSG_EXIT_OK;
	}
	if (argc > 1)
		return msg_usage(CMD, "unexpected argument '%s'", argv[1]);
	if (cmdutil_store_dir(dir, sizeof dir))
		return MSG_EXIT_FAIL;
	snprintf(bad, sizeof bad, "%s", dir);
	topfd = tm__fs_open_dir(AT_FDCWD, dir, 0);
	if (topfd == -ENOENT) {
		printf("removed 0 files from '%s'\n", dir);
		return MSG_EXIT_OK;
	}
	err = topfd < 0 ? topfd : 0;
	if (!err)
		err = clean_dir(topfd, dir, "local", &removed, bad, sizeof bad);
	if (!err)
		err = clean_dir(topfd, dir, "upload", &removed, bad, sizeof bad);
	if (topfd >= 0)
		close(topfd);
	if (err == TM_EUNSAFE) {
		msg_error("cannot clean '%s': it is a symbolic link, owned by "
			  "another user or writable by others; remove or fix "
			  "it by hand (chown, chmod go-w)", bad);
		return MSG_EXIT_FAIL;
	}
	if (err) {
		msg_error("cannot clean '%s': %s; fix its permissions or set "
			  "TMWATCH_DIR", bad, tm_strerror(err));
		return MSG_EXIT_FAIL;
	}
	printf("removed %zu files from '%s'\n", removed, dir);
	return MSG_EXIT_OK;
}

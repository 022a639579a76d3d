/* SPDX-License-Identifier: MIT */
/* telemetry_clean.c -- `tmwatch telemetry clean`: deletes the files tmwatch
 * wrote in the store, and only those; with --all the crash logs and the
 * symbol cache of the state directory too.
 *
 * Every name is unlinked relative to a directory opened with O_NOFOLLOW
 * and checked to be ours (docs/security.md), so a symlink cannot point the
 * deletion elsewhere. Each file that cannot be removed is named on stderr
 * and the command exits 1: "removed 0 files" never hides a failure.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "cmdutil.h"
#include "fsutil.h"
#include "msg.h"
#include "paths.h"
#include "tmwatch/common.h"

static const char CMD[] = "tmwatch telemetry";

/* Which files of a directory are ours to delete. */
enum kind { KIND_LOCAL, KIND_UPLOAD, KIND_CRASHES, KIND_SYMCACHE };

/* What one run did, for the summary line and the exit status. */
struct tally {
	int dry_run;
	size_t removed, failed;
};

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

/* A temp file of tm__fs_write_atomic (".NAME.<16 hex>.tmp") left by a
 * writer killed mid-write: garbage once older than a minute
 * (docs/store-layout.md); a younger one may still be renamed. */
static int is_stale_temp(const char *name, const struct stat *st)
{
	return name[0] == '.' && cmdutil_has_suffix(name, ".tmp") &&
	       st->st_mtime < time(NULL) - 60;
}

/* Whether NAME in a directory of KIND is a file tmwatch writes there
 * (docs/store-layout.md): only those are ever deleted. weekends is ours
 * too but kept: it is the user's identity-free schedule, and weeks stay
 * aligned. A counter file of a program whose name starts with a dot is a
 * counter file all the same. */
static int is_ours(const char *name, enum kind kind)
{
	size_t n = strlen(name);

	switch (kind) {
	case KIND_UPLOAD:
		return n == 15 && is_date(name) &&
		       !strcmp(name + 10, ".json");
	case KIND_CRASHES:
		return name[0] != '.' && cmdutil_has_suffix(name, ".log");
	case KIND_SYMCACHE:
		return name[0] != '.';
	case KIND_LOCAL:
		break;
	}
	if (cmdutil_has_suffix(name, ".v1.count") ||
	    cmdutil_has_suffix(name, ".v1.count.corrupt"))
		return 1;
	if (!strcmp(name, "report.lock") || !strcmp(name, "daily.token"))
		return 1;
	if (n > 6 && !strncmp(name, "local.", 6) && is_date(name + 6))
		return !strcmp(name + 16, ".json");
	return n >= 10 && is_date(name) &&
	       (!strcmp(name + 10, ".json") ||
		!strcmp(name + 10, ".json.lock") ||
		!strcmp(name + 10, ".upload"));
}

/* Removes (or lists, in a dry run) our files in SUB of the directory
 * open at TOPFD, whose path is DIR. Returns 0, or the code that kept SUB
 * from being opened or listed (a missing SUB is empty). */
static int clean_dir(int topfd, const char *dir, const char *sub,
		     enum kind kind, struct tally *t)
{
	struct dirent *e;
	int fd, dfd;
	DIR *d;

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

		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (!is_ours(e->d_name, kind) && !is_stale_temp(e->d_name, &st))
			continue;
		if (t->dry_run) {
			printf("would remove '%s/%s/%s'\n", dir, sub,
			       e->d_name);
			t->removed++;
		} else if (unlinkat(fd, e->d_name, 0) == 0) {
			t->removed++;
		} else {
			msg_error("cannot remove '%s/%s/%s': %s; fix the "
				  "permissions of '%s/%s'", dir, sub,
				  e->d_name, tm_strerror(-errno), dir, sub);
			t->failed++;
		}
	}
	closedir(d);
	close(fd);
	return 0;
}

/* Cleans the SUBS of the directory DIR (store or state); prints a line
 * and counts a failure when one cannot be opened. */
static void clean_tree(const char *dir, const char *const *subs,
		       const enum kind *kinds, size_t n, const char *var,
		       struct tally *t)
{
	int topfd = tm__fs_open_dir(AT_FDCWD, dir, 0), err = 0;
	size_t i = 0;

	if (topfd == -ENOENT)
		return;
	if (topfd < 0)
		err = topfd;
	for (; !err && i < n; i++)
		err = clean_dir(topfd, dir, subs[i], kinds[i], t);
	if (topfd >= 0)
		close(topfd);
	if (!err)
		return;
	t->failed++;
	if (i > 0)
		i--;
	if (err == TM_EUNSAFE)
		msg_error("cannot clean '%s%s%s': it is a symbolic link, owned "
			  "by another user or writable by others; remove or "
			  "fix it by hand (chown, chmod go-w)", dir,
			  topfd < 0 ? "" : "/", topfd < 0 ? "" : subs[i]);
	else
		msg_error("cannot clean '%s%s%s': %s; fix its permissions or "
			  "set %s", dir, topfd < 0 ? "" : "/",
			  topfd < 0 ? "" : subs[i], tm_strerror(err), var);
}

int telemetry_clean_main(int argc, char **argv)
{
	static const char *const store_subs[] = { "local", "upload" };
	static const enum kind store_kinds[] = { KIND_LOCAL, KIND_UPLOAD };
	static const char *const state_subs[] = { "crashes", "symcache" };
	static const enum kind state_kinds[] = { KIND_CRASHES,
						 KIND_SYMCACHE };
	struct tally t = { 0, 0, 0 };
	char dir[PATH_MAX], state[PATH_MAX];
	int all = 0;

	if (cmdutil_wants_help(argc, argv)) {
		printf("usage: tmwatch telemetry clean [--all] [--dry-run]\n"
		       "\nDeletes the counter files and reports under the "
		       "store's local/ and\nupload/ directories. The mode and "
		       "upload configs stay. --all also deletes\nthe crash "
		       "logs and the symbol cache of the state directory. "
		       "--dry-run\nprints what would be deleted. Exits 1 "
		       "when a file could not be deleted.\n");
		return MSG_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--all") == 0)
			all = 1;
		else if (strcmp(argv[i], "--dry-run") == 0)
			t.dry_run = 1;
		else
			return msg_usage(CMD, "unexpected argument '%s'",
					 argv[i]);
	}
	if (cmdutil_store_dir(dir, sizeof dir))
		return MSG_EXIT_FAIL;
	clean_tree(dir, store_subs, store_kinds, 2, "TMWATCH_DIR", &t);
	if (all) {
		int err = tm__paths_state_dir(state, sizeof state);

		if (err) {
			msg_error("cannot find the state directory: %s; set "
				  "XDG_STATE_HOME or HOME", tm_strerror(err));
			t.failed++;
		} else {
			clean_tree(state, state_subs, state_kinds, 2,
				   "XDG_STATE_HOME", &t);
		}
	}
	printf("%s %zu file%s from '%s'%s%s%s\n",
	       t.dry_run ? "would remove" : "removed", t.removed,
	       t.removed == 1 ? "" : "s", dir, all ? " and '" : "",
	       all ? state : "", all ? "'" : "");
	if (t.failed) {
		msg_error("%zu file%s or director%s could not be cleaned (see "
			  "above)", t.failed, t.failed == 1 ? "" : "s",
			  t.failed == 1 ? "y" : "ies");
		return MSG_EXIT_FAIL;
	}
	return MSG_EXIT_OK;
}

/* SPDX-License-Identifier: MIT */
/* cmd_crashes.c -- `tmwatch crashes`: the local crash logs, newest first.
 *
 * The logs are written by the watchdog after each crash (DESIGN §5.4) under
 * $XDG_STATE_HOME/tmwatch/crashes/; they never leave the machine.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd.h"
#include "msg.h"
#include "paths.h"
#include "tmwatch/common.h"

struct log_entry {
	char path[PATH_MAX];
	struct timespec mtime;
};

static int newest_first(const void *a, const void *b)
{
	const struct log_entry *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? 1 : -1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? 1 : -1;
	return strcmp(y->path, x->path);
}

int cmd_crashes_main(int argc, char **argv)
{
	char state[PATH_MAX], dir[PATH_MAX];
	struct log_entry *logs = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;
	int err;

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
			 strcmp(argv[1], "--help") == 0)) {
		printf("usage: tmwatch crashes\n\nLists the local crash logs "
		       "(one file per crash, never uploaded),\nnewest first: "
		       "time, then the log's path.\n");
		return MSG_EXIT_OK;
	}
	if (argc > 1)
		return msg_usage("tmwatch crashes", "unexpected argument '%s'",
				 argv[1]);
	err = tm__paths_state_dir(state, sizeof state);
	if (!err)
		err = tm__paths_join(dir, sizeof dir, state, "crashes");
	if (err) {
		msg_error("cannot find the crash log directory: %s; set "
			  "XDG_STATE_HOME or HOME", tm_strerror(err));
		return MSG_EXIT_FAIL;
	}
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT) {
			printf("no crashes recorded in '%s'\n", dir);
			return MSG_EXIT_OK;
		}
		msg_error("cannot read crash logs '%s': %s", dir,
			  tm_strerror(-errno));
		return MSG_EXIT_FAIL;
	}
	while ((e = readdir(d))) {
		struct stat st;
		struct log_entry *l;

		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			l = realloc(logs, cap * sizeof *logs);
			if (!l)
				break;
			logs = l;
		}
		l = &logs[n];
		if (tm__paths_join(l->path, sizeof l->path, dir, e->d_name) ||
		    lstat(l->path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		l->mtime = st.st_mtim;
		n++;
	}
	closedir(d);
	if (n == 0)
		printf("no crashes recorded in '%s'\n", dir);
	qsort(logs, n, sizeof *logs, newest_first);
	for (size_t i = 0; i < n; i++) {
		char when[32];
		struct tm tm;

		localtime_r(&logs[i].mtime.tv_sec, &tm);
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
		printf("%s  %s\n", when, logs[i].path);
	}
	free(logs);
	return MSG_EXIT_OK;
}

/* SPDX-License-Identifier: MIT */
/* crashlogdir.c -- lists and bounds the crash log directory
 * (crashlogdir.h). Never prints: callers say what happened.
 */
#define _GNU_SOURCE
#include "crashlogdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"

int crashlogdir_path(char *dir, size_t cap)
{
	char state[PATH_MAX];
	int err = tm__paths_state_dir(state, sizeof state);

	return err ? err : tm__paths_join(dir, cap, state, "crashes");
}

static int newest_first(const void *a, const void *b)
{
	const struct crashlogdir_entry *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? 1 : -1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? 1 : -1;
	return strcmp(y->name, x->name);
}

static int is_log_name(const char *s)
{
	size_t n = strlen(s);

	return s[0] != '.' && n > 4 && strcmp(s + n - 4, ".log") == 0 &&
	       n < sizeof ((struct crashlogdir_entry *)0)->name;
}

int crashlogdir_list(int dfd, struct crashlogdir_entry **out, size_t *n)
{
	struct crashlogdir_entry *v = NULL;
	size_t cap = 0;
	struct dirent *e;
	int fd = dup(dfd), err = 0;
	DIR *d = fd < 0 ? NULL : fdopendir(fd);

	*out = NULL;
	*n = 0;
	if (!d) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return err;
	}
	rewinddir(d);
	while ((e = readdir(d))) {
		struct stat st;

		if (!is_log_name(e->d_name) ||
		    fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (*n == cap) {
			struct crashlogdir_entry *w;

			cap = cap ? cap * 2 : 32;
			w = realloc(v, cap * sizeof *v);
			if (!w) {
				err = -ENOMEM;
				break;
			}
			v = w;
		}
		memcpy(v[*n].name, e->d_name, strlen(e->d_name) + 1);
		v[*n].mtime = st.st_mtim;
		v[*n].size = st.st_size;
		(*n)++;
	}
	closedir(d);
	if (err) {
		free(v);
		*n = 0;
		return err;
	}
	if (*n)
		qsort(v, *n, sizeof *v, newest_first);
	*out = v;
	return 0;
}

/* A decimal count with an optional K, M or G suffix (powers of 1024). */
static int parse_size(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'G': x *= 1024; /* fall through */
	case 'M': x *= 1024; /* fall through */
	case 'K': x *= 1024; end++; break;
	default: break;
	}
	if (*end)
		return -1;
	*v = x;
	return 0;
}

void crashlogdir_limits(size_t *max_logs, uint64_t *max_bytes,
			const char **bad)
{
	const char *s = getenv("TMWATCH_CRASH_LOGS_MAX");
	uint64_t v;

	*max_logs = CRASHLOGDIR_DEFAULT_MAX_LOGS;
	*max_bytes = CRASHLOGDIR_DEFAULT_MAX_BYTES;
	if (bad)
		*bad = NULL;
	if (s && *s) {
		char *end;
		unsigned long long x;

		errno = 0;
		x = strtoull(s, &end, 10);
		if (*s >= '0' && *s <= '9' && !errno && !*end)
			*max_logs = (size_t)x;
		else if (bad)
			*bad = "TMWATCH_CRASH_LOGS_MAX";
	}
	s = getenv("TMWATCH_CRASH_LOGS_MAX_BYTES");
	if (s && *s) {
		if (parse_size(s, &v) == 0)
			*max_bytes = v;
		else if (bad)
			*bad = "TMWATCH_CRASH_LOGS_MAX_BYTES";
	}
}

int crashlogdir_prune(const char *dir, size_t max_logs, uint64_t max_bytes,
		      size_t *removed)
{
	struct crashlogdir_entry *v;
	uint64_t bytes = 0;
	size_t n, k;
	int dfd, err;

	if (removed)
		*removed = 0;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	err = crashlogdir_list(dfd, &v, &n);
	if (err) {
		close(dfd);
		return err;
	}
	/* Keep the newest while both limits hold; the first log is kept
	 * whatever its size: it is the crash the user just saw. */
	for (k = 0; k < n; k++) {
		bytes += (uint64_t)v[k].size;
		if (k > 0 && ((max_logs && k >= max_logs) ||
			      (max_bytes && bytes > max_bytes)))
			break;
	}
	for (; k < n; k++) {
		if (unlinkat(dfd, v[k].name, 0) == 0) {
			if (removed)
				(*removed)++;
		} else if (!err && errno != ENOENT) {
			err = -errno;
		}
	}
	free(v);
	close(dfd);
	return err;
}

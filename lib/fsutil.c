/* SPDX-License-Identifier: MIT */
/* fsutil.c -- mkdir -p, atomic file replacement and bounded small reads.
 *
 * STYLE §4: a persistent write goes to a temp file, then rename (plus fsync
 * where loss matters). Temp files are named ".NAME.XXXXXXXXXXXXXXXX.tmp" in
 * the target's directory, so they are on the same file system (rename and
 * link are atomic only there) and readers that list "*.count" or "*.json"
 * never pick them up (docs/store-layout.md). This file never prints.
 */
#define _GNU_SOURCE
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tmwatch/common.h"


/* Bounded retries when a random temp name is taken: 16 collisions of a
 * 64-bit random name mean something is badly wrong, not bad luck. */
#define TEMP_TRIES 16

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int tm__fs_mkdirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0)
		return -ENOENT;
	if (n >= sizeof buf)
		return -ENAMETOOLONG;
	/* The common case: the directory exists already (one syscall). */
	if (is_dir(path))
		return 0;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		if (buf[i - 1] == '/')
			continue;	/* "a//b": skip the empty component */
		char c = buf[i];

		buf[i] = '\0';
		if (mkdir(buf, mode) < 0) {
			int err = errno;
			struct stat st;

			/* EEXIST, but also EACCES or EROFS on an existing
			 * parent (say / read-only): what exists decides. */
			if (stat(buf, &st) == 0) {
				if (!S_ISDIR(st.st_mode))
					return -ENOTDIR;
			} else if (err == EEXIST) {
				return -ENOTDIR; /* a dangling symlink */
			} else {
				return -err;
			}
		}
		buf[i] = c;
	}
	return 0;
}

/* Splits PATH into its directory (into DIR, "." when none) and returns a
 * pointer to the last component inside PATH. */
static const char *split(const char *path, char *dir, size_t cap)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash) {
		snprintf(dir, cap, ".");
		return path;
	}
	n = (size_t)(slash - path);
	if (n == 0)
		n = 1;	/* "/name" lives in "/" */
	if (n >= cap)
		n = cap - 1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return slash + 1;
}

static uint64_t temp_salt(void)
{
	static atomic_uint_fast64_t seq;
	uint64_t r = 0;
	struct timespec ts;

	/* GRND_NONBLOCK: early in boot the pool may not be ready, and a
	 * temp name needs uniqueness, not secrecy. */
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) == (ssize_t)sizeof r)
		return r;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^
	       ((uint64_t)ts.tv_sec << 20) ^ atomic_fetch_add(&seq, 1);
}

/* Creates a fresh temp file next to PATH; its name goes into TMP. Returns
 * the fd or -errno. */
static int temp_open(const char *path, char *tmp, size_t cap, mode_t mode)
{
	char dir[PATH_MAX];
	const char *base = split(path, dir, sizeof dir);

	if (strlen(path) >= PATH_MAX || *base == '\0')
		return *base ? -ENAMETOOLONG : -EISDIR;
	for (int i = 0; i < TEMP_TRIES; i++) {
		char name[32];
		int fd;

		snprintf(name, sizeof name, "%016llx.tmp",
			 (unsigned long long)temp_salt());
		if (snprintf(tmp, cap, "%s/.%s.%s", dir, base, name) >=
		    (int)cap)
			return -ENAMETOOLONG;
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
			  O_NOCTTY, mode);
		if (fd >= 0)
			return fd;
		if (errno == ENAMETOOLONG) {
			/* NAME_MAX hit by our prefix and suffix: fall back to
			 * a short name that is still hidden and ".tmp". */
			if (snprintf(tmp, cap, "%s/.%s", dir, name) >=
			    (int)cap)
				return -ENAMETOOLONG;
			fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL |
				  O_CLOEXEC | O_NOCTTY, mode);
			if (fd >= 0)
				return fd;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsyncs the directory holding PATH so a rename or link survives a power
 * cut (rename(2) is atomic, but only durable once the directory is). */
static int sync_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd, r = 0;

	split(path, dir, sizeof dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Some file systems cannot fsync a directory (EINVAL): nothing
	 * more can be done there, and the data itself is synced. */
	if (fsync(fd) < 0 && errno != EINVAL)
		r = -errno;
	close(fd);
	return r;
}

/* Writes DATA to a new temp file next to PATH (name in TMP). On failure
 * the temp file is already removed. */
static int temp_write(const char *path, char *tmp, size_t cap,
		      const void *data, size_t len, mode_t mode, int do_fsync)
{
	int fd = temp_open(path, tmp, cap, mode);
	int r;

	if (fd < 0)
		return fd;
	r = write_all(fd, data, len);
	if (r == 0 && do_fsync && fsync(fd) < 0)
		r = -errno;
	/* close can report a delayed write error (NFS): it counts. */
	if (close(fd) < 0 && r == 0 && errno != EINTR)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int tm__fs_write_atomic(const char *path, const void *data, size_t len,
			mode_t mode, int do_fsync)
{
	char tmp[PATH_MAX];
	int r = temp_write(path, tmp, sizeof tmp, data, len, mode, do_fsync);

	if (r < 0)
		return r;
	if (rename(tmp, path) < 0) {
		r = -errno;
		unlink(tmp);
		return r;
	}
	return do_fsync ? sync_dir(path) : 0;
}

int tm__fs_create_new(const char *path, const void *data, size_t len,
		      mode_t mode, int do_fsync)
{
	char tmp[PATH_MAX];
	int r = temp_write(path, tmp, sizeof tmp, data, len, mode, do_fsync);

	if (r < 0)
		return r;
	/* link(2) fails with EEXIST instead of replacing: the first
	 * process to link wins, and its file is complete when it appears. */
	if (link(tmp, path) < 0)
		r = -errno;
	unlink(tmp);
	if (r == 0 && do_fsync)
		r = sync_dir(path);
	return r;
}

int tm__fs_check_owner(const struct stat *st)
{
	if (st->st_uid != geteuid() && st->st_uid != 0)
		return TM_EUNSAFE;
	/* A sticky world-writable directory (/tmp) is no better: others may
	 * still create the names we are about to open. */
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return TM_EUNSAFE;
	return 0;
}

int tm__fs_open_dir(int dirfd, const char *name, int nofollow)
{
	struct stat st;
	int fd, r;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
		    (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0) {
		r = -errno;
		/* O_DIRECTORY|O_NOFOLLOW on a symlink fails with ENOTDIR
		 * (ELOOP without O_DIRECTORY): say what it is. */
		if (nofollow && (r == -ENOTDIR || r == -ELOOP) &&
		    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode))
			r = TM_EUNSAFE;
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if ((r = tm__fs_check_owner(&st)) < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* tm__fs_open_file: see fsutil.h. */
int tm__fs_open_file(const char *path)
{
	struct stat before, st;
	int fd, fl;

	if (stat(path, &before) != 0)
		return -errno;
	if (!S_ISREG(before.st_mode))
		return -EINVAL;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_dev != before.st_dev || st.st_ino != before.st_ino) {
		close(fd);
		return -EINVAL;
	}
	/* Regular files ignore O_NONBLOCK, but the descriptor goes to
	 * libraries that may not expect it. */
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

int tm__fs_read_small(const char *path, char *buf, size_t cap, size_t *len)
{
	return tm__fs_read_small_st(path, buf, cap, len, NULL);
}

int tm__fs_read_small_st(const char *path, char *buf, size_t cap,
			 size_t *len, struct stat *stp)
{
	return tm__fs_read_small_at(AT_FDCWD, path, buf, cap, len, stp);
}

int tm__fs_read_small_at(int dirfd, const char *name, char *buf, size_t cap,
			 size_t *len, struct stat *stp)
{
	struct stat st;
	size_t n = 0;
	int fd, r = 0;

	if (len)
		*len = 0;
	if (cap == 0)
		return -EINVAL;
	buf[0] = '\0';
	/* O_NONBLOCK: a FIFO planted at a store path must not hang us. */
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (stp)
		*stp = st;
	if (S_ISDIR(st.st_mode) || !S_ISREG(st.st_mode)) {
		r = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	while (n < cap - 1) {
		ssize_t got = read(fd, buf + n, cap - 1 - n);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		/* All that fstat saw: an EOF read would only confirm it
		 * (one syscall less on a program's first count). A file
		 * that grows meanwhile races either way. */
		if (n == (size_t)st.st_size && n < cap - 1)
			break;
	}
	if (n == cap - 1) {
		char extra;
		ssize_t got;

		do
			got = read(fd, &extra, 1);
		while (got < 0 && errno == EINTR);
		if (got != 0) {
			r = got > 0 ? -EFBIG : -errno;
			goto out;
		}
	}
	buf[n] = '\0';
	if (len)
		*len = n;
out:
	if (r < 0)
		buf[0] = '\0';
	close(fd);
	return r;
}

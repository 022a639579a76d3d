/* SPDX-License-Identifier: MIT */
/* fsutil.h -- small file helpers: mkdir -p, atomic replace, bounded read.
 *
 * Every persistent write in libtmwatch goes through tm__fs_write_atomic or
 * tm__fs_create_new, so a reader never sees a half-written file and a
 * failed write (ENOSPC, EIO) never leaves a temp file behind. None of these
 * print; all return 0 or -errno. Thread-safe; not for signal handlers.
 */
#ifndef TMWATCH_FSUTIL_H
#define TMWATCH_FSUTIL_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* tm__fs_mkdirs creates PATH and any missing parents with MODE (minus the
 * umask), like mkdir -p. An existing directory is fine. Returns 0, -ENOTDIR
 * when a component exists but is not a directory, -ENAMETOOLONG, or another
 * -errno from mkdir. */
int tm__fs_mkdirs(const char *path, mode_t mode);

/* tm__fs_write_atomic replaces PATH with LEN bytes of DATA: it writes a
 * unique temp file in the same directory (O_EXCL), fsyncs it when DO_FSYNC,
 * renames it over PATH, then fsyncs the directory when DO_FSYNC. The file
 * gets MODE (minus the umask). Returns 0 or -errno; on every failure the
 * temp file is removed and PATH is unchanged. The directory must exist. */
int tm__fs_write_atomic(const char *path, const void *data, size_t len,
			mode_t mode, int do_fsync);

/* tm__fs_create_new creates PATH with DATA only if it does not exist yet:
 * temp file + link(2), so the file appears complete or not at all and
 * exactly one of several racing processes wins. Returns 0, -EEXIST when
 * PATH already existed (the caller reads the winner's file), or -errno.
 * The temp file is removed on every path. */
int tm__fs_create_new(const char *path, const void *data, size_t len,
		      mode_t mode, int do_fsync);

/* tm__fs_read_small reads a small regular file into BUF: at most CAP-1
 * bytes, then a NUL. *LEN (when not NULL) gets the byte count. Returns 0,
 * -EFBIG when the file holds CAP bytes or more, -EISDIR, -EINVAL for
 * something that is not a regular file (a FIFO must not block us), or
 * another -errno (-ENOENT when missing). BUF holds "" on failure. */
int tm__fs_read_small(const char *path, char *buf, size_t cap, size_t *len);

/* tm__fs_check_owner says whether a store object with status ST may be
 * trusted: it belongs to the caller's effective user (or to root, who can
 * write anything anyway) and nobody else may write it (no group or other
 * write bit). Returns 0 or TM_EUNSAFE. See docs/security.md. */
int tm__fs_check_owner(const struct stat *st);

/* tm__fs_open_dir opens the directory NAME relative to DIRFD (AT_FDCWD for
 * a path) with O_DIRECTORY, and O_NOFOLLOW when NOFOLLOW (a symlink is then
 * TM_EUNSAFE), then checks it with tm__fs_check_owner. Returns the
 * descriptor, or -errno / TM_EUNSAFE. */
int tm__fs_open_dir(int dirfd, const char *name, int nofollow);

/* tm__fs_open_file opens PATH read-only only if it is a regular file:
 * stat first, so a FIFO, socket or device is never opened (a FIFO would
 * block the caller, a device open can have effects), then open with
 * O_NONBLOCK|O_NOCTTY and check that the same regular file was opened.
 * For paths another process may have planted (/proc/PID/maps entries).
 * Returns the descriptor (close-on-exec, blocking) or -errno (-EINVAL for
 * a file that is not regular or changed under us). */
int tm__fs_open_file(const char *path);

/* tm__fs_read_small_st is tm__fs_read_small that also returns the file's
 * status in *ST (when not NULL and the file was opened). */
int tm__fs_read_small_st(const char *path, char *buf, size_t cap,
			 size_t *len, struct stat *st);

/* tm__fs_read_small_at is tm__fs_read_small_st for NAME relative to DIRFD
 * (AT_FDCWD for a path): one lookup from an open directory, as a
 * process's first count reads the store's small files. */
int tm__fs_read_small_at(int dirfd, const char *name, char *buf, size_t cap,
			 size_t *len, struct stat *st);

#endif

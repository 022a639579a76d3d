/* SPDX-License-Identifier: MIT */
/* symcache.c -- the watchdog's persistent symbolization cache (issue 4):
 * record encoding, validation, and the cache files' reads and appends.
 *
 * A cache file is untrusted: anyone with the user's uid may have written
 * it, and a crash may have torn it. Every length is checked against the
 * record and the record against the file before a byte is used; a record
 * with a bad checksum is skipped, a bad header ends the scan (its length
 * cannot be trusted to find the next one). Nothing here prints; no
 * symlink is followed in the cache directory. Format below and in
 * docs/stack-counters.md ("Symbolization cache").
 *
 * Record (integers little-endian):
 *   off  size  meaning
 *   0    4     magic "TSC1": tells a record from garbage, versions it
 *   4    4     record length, header to checksum: skips to the next one
 *   8    8     module identity (path + inode hash): a stripped copy with
 *              the same build-id keeps its own names
 *   16   8     looked-up address minus the load bias (exactness applied:
 *              a return address is looked up as PC - 1)
 *   24   2     frames, 1..TM__SYMBOLIZE_INLINE_MAX (inline levels)
 *   26   2     flags: bit 0, debug info was findable for the module
 *              (a name made while none could be is not reused once
 *              some can); other bits zero
 *   28   ...   frames, innermost first, each:
 *                0  8  offset (struct tm__frame)
 *                8  8  line_offset, two's complement
 *                16 4  source line, 0 unknown
 *                20 1  source (enum tm__sym_source)
 *                21 1  bit 0 has_line, bit 1 is_inlined
 *                22    function, file, debug file: each a 2-byte length
 *                      (0xffff: none) then that many bytes, no NUL
 *   len-4 4    FNV-1a 32 of bytes 0..len-4: a torn or edited record
 */
#define _GNU_SOURCE
#include "symcache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "tmwatch/common.h"

#define HEADER_SIZE 28
#define FRAME_FIXED 22
#define CHECK_SIZE 4
#define NO_STRING 0xffff

static const unsigned char MAGIC[4] = { 'T', 'S', 'C', '1' };

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t fnv32(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

uint64_t tm__symcache_ident(const char *path, unsigned long inode)
{
	uint64_t h = 14695981039346656037ull;
	unsigned char ino[8];

	for (const char *c = path; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	h = (h ^ 0) * 1099511628211ull;
	put64(ino, inode);
	for (int i = 0; i < 8; i++)
		h = (h ^ ino[i]) * 1099511628211ull;
	return h;
}

/* Appends string S (NULL: none) at *POS. 0 or -E2BIG. */
static int put_string(unsigned char *buf, size_t cap, size_t *pos,
		      const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (s && n >= TM__SYMCACHE_STRING_MAX)
		return -E2BIG;
	if (cap - *pos < 2 + n)
		return -E2BIG;
	put16(buf + *pos, s ? (uint16_t)n : NO_STRING);
	memcpy(buf + *pos + 2, s ? s : "", n);
	*pos += 2 + n;
	return 0;
}

long tm__symcache_encode(uint64_t ident, uint64_t rel,
			 const struct tm__frame *frames,
			 const struct tm__frame_info *info, size_t n,
			 int had_debug, unsigned char *buf, size_t cap)
{
	size_t pos = HEADER_SIZE;

	if (n == 0 || n > TM__SYMBOLIZE_INLINE_MAX)
		return TM_EINVAL;
	if (cap > TM__SYMCACHE_RECORD_MAX)
		cap = TM__SYMCACHE_RECORD_MAX;
	if (cap < HEADER_SIZE + CHECK_SIZE)
		return -E2BIG;
	cap -= CHECK_SIZE;
	memcpy(buf, MAGIC, 4);
	put64(buf + 8, ident);
	put64(buf + 16, rel);
	put16(buf + 24, (uint16_t)n);
	put16(buf + 26, had_debug ? 1 : 0);
	for (size_t i = 0; i < n; i++) {
		unsigned char *p = buf + pos;

		if (cap - pos < FRAME_FIXED || info[i].line < 0 ||
		    (unsigned)info[i].source > TM__SYM_DWARF)
			return -E2BIG;
		put64(p, frames[i].offset);
		put64(p + 8, (uint64_t)(int64_t)frames[i].line_offset);
		put32(p + 16, (uint32_t)info[i].line);
		p[20] = (unsigned char)info[i].source;
		p[21] = (unsigned char)((frames[i].has_line ? 1 : 0) |
					(info[i].is_inlined ? 2 : 0));
		pos += FRAME_FIXED;
		if (put_string(buf, cap, &pos, info[i].function) ||
		    put_string(buf, cap, &pos, info[i].file) ||
		    put_string(buf, cap, &pos, info[i].debug_file))
			return -E2BIG;
	}
	put32(buf + 4, (uint32_t)(pos + CHECK_SIZE));
	put32(buf + pos, fnv32(buf, pos));
	return (long)(pos + CHECK_SIZE);
}

/* Reads a string at *POS of the LEN-byte frame area P. 0 or -1. */
static int get_string(const unsigned char *p, size_t len, size_t *pos,
		      const char **s, size_t *n)
{
	size_t l;

	if (len - *pos < 2)
		return -1;
	l = get16(p + *pos);
	*pos += 2;
	if (l == NO_STRING) {
		*s = NULL;
		*n = 0;
		return 0;
	}
	if (l >= TM__SYMCACHE_STRING_MAX || len - *pos < l ||
	    memchr(p + *pos, 0, l))
		return -1;
	*s = (const char *)p + *pos;
	*n = l;
	*pos += l;
	return 0;
}

/* Decodes the frame at HIT->pos. 0, or -1 when it is malformed. */
static int decode_frame(struct tm__symcache_hit *hit,
			struct tm__symcache_frame *f)
{
	const unsigned char *p = hit->p;
	size_t pos = hit->pos;

	if (hit->len - pos < FRAME_FIXED)
		return -1;
	memset(f, 0, sizeof *f);
	f->offset = get64(p + pos);
	f->line_offset = (long)(int64_t)get64(p + pos + 8);
	f->line = (int)get32(p + pos + 16);
	f->source = (enum tm__sym_source)p[pos + 20];
	f->has_line = p[pos + 21] & 1;
	f->is_inlined = (p[pos + 21] >> 1) & 1;
	if (get32(p + pos + 16) > 0x7fffffff || p[pos + 20] > TM__SYM_DWARF ||
	    p[pos + 21] > 3)
		return -1;
	pos += FRAME_FIXED;
	if (get_string(p, hit->len, &pos, &f->function, &f->function_len) ||
	    get_string(p, hit->len, &pos, &f->file, &f->file_len) ||
	    get_string(p, hit->len, &pos, &f->debug_file,
		       &f->debug_file_len))
		return -1;
	hit->pos = pos;
	return 0;
}

/* Whether the record P (LEN bytes, checksum excluded) decodes whole. */
static int record_is_valid(const unsigned char *p, size_t len, size_t n)
{
	struct tm__symcache_hit h = { p, len, HEADER_SIZE, n, n, 0 };
	struct tm__symcache_frame f;

	for (size_t i = 0; i < n; i++)
		if (decode_frame(&h, &f) != 0)
			return 0;
	return h.pos == len;
}

int tm__symcache_find(const unsigned char *buf, size_t len, uint64_t ident,
		      uint64_t rel, struct tm__symcache_hit *hit)
{
	size_t off = 0;
	int found = 0;

	/* Each pass moves OFF forward by at least HEADER_SIZE bytes. */
	while (len - off >= HEADER_SIZE + CHECK_SIZE) {
		const unsigned char *p = buf + off;
		size_t rl = get32(p + 4), n = get16(p + 24);

		if (memcmp(p, MAGIC, 4) != 0 ||
		    rl < HEADER_SIZE + CHECK_SIZE ||
		    rl > TM__SYMCACHE_RECORD_MAX || rl > len - off)
			break;
		off += rl;
		if (get64(p + 8) != ident || get64(p + 16) != rel ||
		    n == 0 || n > TM__SYMBOLIZE_INLINE_MAX ||
		    get16(p + 26) > 1 ||
		    get32(p + rl - CHECK_SIZE) != fnv32(p, rl - CHECK_SIZE) ||
		    !record_is_valid(p, rl - CHECK_SIZE, n))
			continue;
		hit->p = p;
		hit->len = rl - CHECK_SIZE;
		hit->pos = HEADER_SIZE;
		hit->left = n;
		hit->nframes = n;
		hit->had_debug = get16(p + 26) & 1;
		found = 1;
	}
	return found ? 0 : -ENOENT;
}

void tm__symcache_rewind(struct tm__symcache_hit *hit)
{
	hit->pos = HEADER_SIZE;
	hit->left = hit->nframes;
}

int tm__symcache_next(struct tm__symcache_hit *hit,
		      struct tm__symcache_frame *f)
{
	if (hit->left == 0 || decode_frame(hit, f) != 0)
		return -ENOENT;
	hit->left--;
	return 0;
}

/* The file name of build-id ID: lowercase hex, then the generation of
 * the symbolizer's results (symcache.h): a file an older tmwatch wrote
 * holds names the current one would not give, so it is never read. 0 or
 * TM_EINVAL. */
static int id_name(const unsigned char *id, size_t id_len, char *name)
{
	if (id_len == 0 || id_len > TM__SYMCACHE_ID_MAX)
		return TM_EINVAL;
	for (size_t i = 0; i < id_len; i++)
		sprintf(name + 2 * i, "%02x", id[i]);
	strcpy(name + 2 * id_len, TM__SYMCACHE_GENERATION);
	return 0;
}

/* Opens DIR itself without following a symlink there. fd or -errno. */
static int open_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int tm__symcache_load(const char *dir, const unsigned char *id,
		      size_t id_len, unsigned char **buf, size_t *len_out)
{
	char name[2 * TM__SYMCACHE_ID_MAX + sizeof TM__SYMCACHE_GENERATION];
	unsigned char *b = NULL;
	struct stat st;
	size_t got = 0;
	int dfd, fd = -1, r;

	*buf = NULL;
	*len_out = 0;
	r = id_name(id, id_len, name);
	if (r != 0)
		return r;
	dfd = open_dir(dir);
	if (dfd < 0)
		return dfd;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	/* Racing appenders may have passed the cap by a record or two:
	 * read the first TM__SYMCACHE_FILE_MAX bytes only. */
	if (st.st_size > TM__SYMCACHE_FILE_MAX)
		st.st_size = TM__SYMCACHE_FILE_MAX;
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		r = -ENOMEM;
		goto out;
	}
	/* Read what is there now, up to the size seen (a concurrent
	 * append only adds whole records past it). */
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	*buf = b;
	*len_out = got;
	b = NULL;
	r = 0;
out:
	free(b);
	if (fd >= 0)
		close(fd);
	close(dfd);
	return r;
}

int tm__symcache_append(const char *dir, const unsigned char *id,
			size_t id_len, const void *rec, size_t len)
{
	char name[2 * TM__SYMCACHE_ID_MAX + sizeof TM__SYMCACHE_GENERATION];
	struct stat st;
	ssize_t n;
	int dfd, fd = -1, r;

	r = id_name(id, id_len, name);
	if (r != 0)
		return r;
	if (len > TM__SYMCACHE_RECORD_MAX)
		return -E2BIG;
	r = tm__fs_mkdirs(dir, 0700);
	if (r != 0)
		return r;
	dfd = open_dir(dir);
	if (dfd < 0)
		return dfd;
	fd = openat(dfd, name, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
		    O_CLOEXEC | O_NONBLOCK, 0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	/* Racing appenders may pass the cap by a few records: it bounds
	 * what is read, and tm__symcache_load refuses bigger files. */
	if (st.st_size + (off_t)len > TM__SYMCACHE_FILE_MAX) {
		r = TM_EFULL;
		goto out;
	}
	/* One write of the whole record: O_APPEND makes concurrent
	 * watchdogs' records land one after the other, never mixed. */
	n = write(fd, rec, len);
	r = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
out:
	if (fd >= 0)
		close(fd);
	close(dfd);
	return r;
}

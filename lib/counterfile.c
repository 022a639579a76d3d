/* SPDX-License-Identifier: MIT */
/* counterfile.c -- create, map and count into one Go-telemetry v1 counter
 * file, lock-free and shared by every process that counts into it.
 *
 * This file owns the writer side of the format: atomic creation, the
 * header check, space allocation with CAS on "limit", publication with CAS
 * on a bucket head, and growth. It never prints, exits or aborts, and it
 * treats the file as untrusted: every offset read from it is bound-checked
 * against a file size verified with fstat, and every chain walk is bounded,
 * so a corrupt or truncated file yields TM_ECORRUPT rather than a loop or a
 * stray write. The format is documented in docs/counter-file.md; the
 * layout table is below. It is byte-compatible with golang.org/x/telemetry
 * internal/counter/file.go.
 */
#define _GNU_SOURCE
#include "counterfile.h"

#include "busguard.h"
#include "fsutil.h"
#include "strbuild.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * Layout (host byte order; H = header length, a multiple of 32):
 *
 * offset      size  meaning (why)
 * 0           28    "# telemetry/counter file v1\n" (identifies the format
 *                   and its version; a reader rejects anything else)
 * 28          4     H = round_up(32 + len(meta), 32) (so the body can
 *                   start at a fixed, aligned place after variable text)
 * 32          ...   metadata "Key: value\n" lines then "\n" (which week,
 *                   program and toolchain the counts belong to; part of
 *                   the header compared on open so two identities never
 *                   share a file), zero padding up to H
 * H           4     limit: end of the last claimed record, 0 = none yet
 *                   (the allocator: claimed with CAS, so processes never
 *                   hand out the same bytes twice)
 * H+4         2048  512 bucket heads: offset of the newest record of each
 *                   hash chain, 0 = empty (published with CAS, so a record
 *                   becomes visible only once it is complete)
 * R=round_up(H+4+2048, 32): records, each 32-byte aligned:
 *   +0        8     count (the atomic counter itself; 8-aligned)
 *   +8        4     name length | 0xFF000000 (the high byte is Go's marker
 *                   that the record was written)
 *   +12       4     next record in the chain, 0 = end, 0xFFFFFFFF = dead
 *                   (a duplicate that lost the publication race)
 *   +16       len   name bytes (1..4096), zero padding to the 32-byte unit
 *
 * The file is at least 16 KiB and grows by 16 KiB pages. No record ends on
 * or crosses a page boundary, so the last 4 bytes of each page are never
 * part of a record: growth writes 4 zero bytes there, as Go does.
 */
#define CF_MAGIC "# telemetry/counter file v1\n"
#define CF_MAGIC_LEN 28u
#define CF_HDRLEN_OFF 28u
#define CF_META_OFF 32u
#define CF_NBUCKET 512u
#define CF_UNIT 32u
#define CF_REC_HDR 16u
#define CF_LEN_MARK 0xFF000000u
#define CF_LEN_MASK 0x00FFFFFFu
#define CF_DEAD 0xFFFFFFFFu
#define CF_PAGE ((uint32_t)TM__COUNTERFILE_PAGE)
#define CF_MAX ((uint32_t)TM__COUNTERFILE_MAX_SIZE)

struct tm__counterfile {
	int fd;
	unsigned char *base;	/* CF_MAX bytes of MAP_SHARED address space */
	uint32_t hdr_len;	/* H */
	uint32_t rec_start;	/* R */
	uint32_t size;		/* verified file size (atomic, only grows) */
	int guard;		/* busguard slot watching base */
	int pooled;		/* 1 + index in pool[], 0 when malloc'd */
	char name[NAME_MAX + 1]; /* filename as opened */
};

/* The first handles come from here, not malloc: a process's first count
 * then never initialises the heap (three page faults and two brk calls in
 * a program that had not used it; bench/bench_startup.c). The store keeps
 * one handle per week a process lives through, so a few cover nearly
 * every process. */
#define CF_POOL 4
static struct tm__counterfile pool[CF_POOL];
static int pool_busy[CF_POOL];

static struct tm__counterfile *handle_new(void)
{
	struct tm__counterfile *f;

	for (int i = 0; i < CF_POOL; i++) {
		int idle = 0;

		if (__atomic_compare_exchange_n(&pool_busy[i], &idle, 1, 0,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED)) {
			f = &pool[i];
			memset(f, 0, sizeof *f);
			f->pooled = i + 1;
			return f;
		}
	}
	return calloc(1, sizeof *f);
}

static void handle_free(struct tm__counterfile *f)
{
	if (f->pooled)
		__atomic_store_n(&pool_busy[f->pooled - 1], 0,
				 __ATOMIC_RELEASE);
	else
		free(f);
}

static uint64_t round_up(uint64_t x, uint64_t unit)
{
	return (x + unit - 1) / unit * unit;
}

static uint32_t load32(struct tm__counterfile *f, uint32_t off)
{
	return __atomic_load_n((uint32_t *)(f->base + off), __ATOMIC_ACQUIRE);
}

static void store32(struct tm__counterfile *f, uint32_t off, uint32_t v)
{
	__atomic_store_n((uint32_t *)(f->base + off), v, __ATOMIC_RELEASE);
}

static int cas32(struct tm__counterfile *f, uint32_t off, uint32_t old,
		 uint32_t new)
{
	return __atomic_compare_exchange_n((uint32_t *)(f->base + off), &old,
					   new, 0, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

static uint32_t verified_size(struct tm__counterfile *f)
{
	return __atomic_load_n(&f->size, __ATOMIC_ACQUIRE);
}

uint32_t tm__counterfile_bucket(const char *name, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a 32 offset basis */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	return (h ^ (h >> 16)) % CF_NBUCKET;
}

static int has_newline(const char *s)
{
	return strchr(s, '\n') != NULL;
}

int tm__counterfile_meta(char *buf, size_t cap, const char *time_begin,
			 const char *time_end, const char *program,
			 const char *version, const char *toolchain,
			 const char *goarch)
{
	/* Labels and values alternate; GOOS is always linux. */
	const char *v[] = { "TimeBegin: ", time_begin, "\nTimeEnd: ",
			    time_end, "\nProgram: ", program, "\nVersion: ",
			    version, "\nGoVersion: ", toolchain,
			    "\nGOOS: linux\nGOARCH: ", goarch, "\n\n" };
	struct tm__sb b;
	long n;

	if (!buf)
		return TM_EINVAL;
	for (size_t i = 1; i < sizeof(v) / sizeof(v[0]); i += 2) {
		/* A newline would forge a metadata line of its own. */
		if (!v[i] || has_newline(v[i]))
			return TM_EINVAL;
	}
	tm__sb_init(&b, buf, cap);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		tm__sb_str(&b, v[i]);
	n = tm__sb_end(&b);
	if (n < 0 || n > (long)TM__COUNTERFILE_MAX_META)
		return TM_EINVAL;
	return (int)n;
}

/* Re-reads the file size. The file may have grown (another process) or,
 * if someone truncated it behind our back, shrunk: then every mapped byte
 * past the new end would SIGBUS, so we refuse to go on. */
static int refresh_size(struct tm__counterfile *f)
{
	/* Read before fstat: another thread may raise it meanwhile, and a
	 * size fstat saw earlier is no evidence of truncation. */
	uint32_t cur = verified_size(f), want;
	struct stat st;

	/* The guard replaced our mapping after a SIGBUS: nothing in it is
	 * the file any more. */
	if (tm__busguard_broken(f->guard))
		return TM_ECORRUPT;
	if (fstat(f->fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size < cur)
		return TM_ECORRUPT;
	want = st.st_size > (off_t)CF_MAX ? CF_MAX : (uint32_t)st.st_size;
	while (cur < want &&
	       !__atomic_compare_exchange_n(&f->size, &cur, want, 0,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
	return 0;
}

/* Checks that a record at OFF lies inside the verified size, re-checking
 * the size once when it does not (a record published by another process
 * may sit in a page it added after our last fstat). On success returns 0
 * with the name length. */
static int check_record(struct tm__counterfile *f, uint32_t off,
			uint32_t *name_len)
{
	uint64_t end;
	uint32_t n;
	int r;

	if (off % CF_UNIT || off < f->rec_start)
		return TM_ECORRUPT;
	for (int pass = 0; pass < 2; pass++) {
		if ((uint64_t)off + CF_REC_HDR <= verified_size(f)) {
			n = load32(f, off + 8) & CF_LEN_MASK;
			if (n == 0 || n > TM__COUNTERFILE_MAX_NAME)
				return TM_ECORRUPT;
			end = (uint64_t)off + CF_REC_HDR + n;
			if (end <= verified_size(f)) {
				*name_len = n;
				return 0;
			}
		}
		if (pass == 0 && (r = refresh_size(f)) < 0)
			return r;
	}
	return TM_ECORRUPT;
}

/* Any chain longer than the number of 32-byte units in the largest file
 * must contain a cycle. */
static uint32_t max_chain(void)
{
	return CF_MAX / CF_UNIT;
}

/* Walks the chain from OFF until STOP (0 for the whole chain), looking for
 * NAME. Returns 0 with *FOUND set to the record or 0, or TM_ECORRUPT. */
static int walk(struct tm__counterfile *f, uint32_t off, uint32_t stop,
		const char *name, size_t len, uint32_t *found)
{
	uint32_t steps = 0, n;
	int r;

	*found = 0;
	while (off != stop) {
		if (off == 0 || off == CF_DEAD) {
			/* The chain ended without reaching STOP: only a
			 * corrupt file rewires a chain other than at its
			 * head. */
			return stop == 0 ? 0 : TM_ECORRUPT;
		}
		if (++steps > max_chain())
			return TM_ECORRUPT;
		if ((r = check_record(f, off, &n)) < 0)
			return r;
		if (n == len && memcmp(f->base + off + CF_REC_HDR, name,
				       len) == 0) {
			*found = off;
			return 0;
		}
		off = load32(f, off + 12);
	}
	return 0;
}

/* Grows the file so that it holds END, page by page. fallocate makes a
 * full disk fail here with -ENOSPC rather than with SIGBUS when a later
 * store faults in a sparse page. */
static int grow(struct tm__counterfile *f, uint64_t end)
{
	static const unsigned char zero[4];
	uint64_t want = round_up(end, CF_PAGE);
	uint64_t seen = verified_size(f), cur, next;
	struct stat st;

	if (want > CF_MAX)
		return TM_EFULL;
	if (fstat(f->fd, &st) < 0)
		return -errno;
	cur = (uint64_t)st.st_size;
	if (cur < seen)
		return TM_ECORRUPT;
	while (cur < want) {
		next = (cur / CF_PAGE + 1) * CF_PAGE;
		if (fallocate(f->fd, 0, (off_t)cur, (off_t)(next - cur)) < 0 &&
		    errno != EOPNOTSUPP && errno != ENOSYS)
			return -errno;
		/* Go's growth step; also the whole step where fallocate is
		 * unsupported. The last 4 bytes of a page are never part of
		 * a record, so this cannot clobber another process's data. */
		if (pwrite(f->fd, zero, sizeof(zero), (off_t)(next - 4)) !=
		    (ssize_t)sizeof(zero))
			return errno ? -errno : -EIO;
		cur = next;
	}
	return refresh_size(f);
}

/* Where a record of NAME_LEN bytes goes when the last one ends at LIMIT
 * (the placement rule of the format, shared with every other writer). */
static void place(struct tm__counterfile *f, uint32_t limit, size_t name_len,
		  uint64_t *start, uint64_t *end)
{
	uint64_t n = round_up(CF_REC_HDR + name_len, CF_UNIT);
	uint64_t s;

	if (limit == 0)
		limit = f->rec_start;
	s = round_up(limit, CF_UNIT);
	if (s / CF_PAGE != (s + n) / CF_PAGE)
		s = round_up(limit, CF_PAGE);
	*start = s;
	*end = s + n;
}

static int lookup(struct tm__counterfile *f, const char *name, size_t len,
		  uint32_t *head_off, uint32_t *head, uint32_t *found)
{
	*head_off = f->hdr_len + 4 + 4 * tm__counterfile_bucket(name, len);
	*head = load32(f, *head_off);
	return walk(f, *head, 0, name, len, found);
}

static int check_name(const char *name, size_t len)
{
	if (!name || len == 0)
		return TM_EINVAL;
	if (len > TM__COUNTERFILE_MAX_NAME)
		return TM_ENAMETOOLONG;
	return 0;
}

int tm__counterfile_find(struct tm__counterfile *f, const char *name,
			 size_t len, uint64_t **count)
{
	uint32_t head_off, head, found;
	int r;

	if (!f || !count)
		return TM_EINVAL;
	*count = NULL;
	if ((r = check_name(name, len)) < 0 || (r = refresh_size(f)) < 0 ||
	    (r = lookup(f, name, len, &head_off, &head, &found)) < 0)
		return r;
	if (found)
		*count = (uint64_t *)(f->base + found);
	return 0;
}

/* Claims [start, end) for a new record by moving "limit" with CAS,
 * growing the file first when the record would not fit. */
static int claim(struct tm__counterfile *f, size_t len, uint32_t *start)
{
	uint64_t s, e;
	uint32_t limit;
	int r;

	/* Every failed CAS means another writer claimed a record, and a
	 * file holds at most max_chain() of them. */
	for (uint32_t tries = 0; tries <= max_chain(); tries++) {
		limit = load32(f, f->hdr_len);
		if (limit != 0 && limit < f->rec_start)
			return TM_ECORRUPT;
		/* Writers grow the file before moving limit, so a limit past
		 * the end (after a fresh fstat) is corruption, not a reason
		 * to grow the file to it. */
		if (limit > verified_size(f) && (r = refresh_size(f)) < 0)
			return r;
		if (limit > verified_size(f))
			return TM_ECORRUPT;
		place(f, limit, len, &s, &e);
		if (e > CF_MAX)
			return TM_EFULL;
		if (e > verified_size(f) && (r = refresh_size(f)) < 0)
			return r;
		if (e > verified_size(f)) {
			if ((r = grow(f, e)) < 0)
				return r;
			continue;
		}
		if (cas32(f, f->hdr_len, limit, (uint32_t)e)) {
			*start = (uint32_t)s;
			return 0;
		}
	}
	return TM_ECORRUPT;
}

int tm__counterfile_counter(struct tm__counterfile *f, const char *name,
			    size_t len, uint64_t **count)
{
	uint32_t head_off, head, old, found, start;
	int r;

	if (!f || !count)
		return TM_EINVAL;
	*count = NULL;
	if ((r = check_name(name, len)) < 0 || (r = refresh_size(f)) < 0 ||
	    (r = lookup(f, name, len, &head_off, &head, &found)) < 0)
		return r;
	if (found) {
		*count = (uint64_t *)(f->base + found);
		return 0;
	}
	if ((r = claim(f, len, &start)) < 0)
		return r;

	/* Write the whole record before anyone can reach it. */
	memcpy(f->base + start + CF_REC_HDR, name, len);
	__atomic_store_n((uint64_t *)(f->base + start), 0, __ATOMIC_RELAXED);
	store32(f, start + 8, (uint32_t)len | CF_LEN_MARK);

	for (uint32_t tries = 0; tries <= max_chain(); tries++) {
		store32(f, start + 12, head);
		if (cas32(f, head_off, head, start)) {
			*count = (uint64_t *)(f->base + start);
			return 0;
		}
		/* Someone published first: we know NAME is not in the
		 * chain from the old head on, so only the new part needs
		 * checking for a writer that created the same name. */
		old = head;
		head = load32(f, head_off);
		r = walk(f, head, old, name, len, &found);
		if (r < 0 || found) {
			store32(f, start + 12, CF_DEAD);
			if (found)
				*count = (uint64_t *)(f->base + found);
			return r < 0 ? r : 0;
		}
	}
	store32(f, start + 12, CF_DEAD);
	return TM_ECORRUPT;
}

/* Builds the complete first page (HDR, HDR_LEN bytes, then zeros) under a
 * unique temporary name and links it into place, so that no process ever
 * sees the file without its whole header. Returns 0, -EEXIST when another
 * process won, or -errno. */
static int create(int dirfd, const char *filename, const unsigned char *hdr,
		  uint32_t hdr_len)
{
	static unsigned seq;
	struct timespec ts;
	unsigned char *page;
	char tmp[96];
	size_t done = 0;
	ssize_t w;
	int fd, r = 0;

	page = calloc(1, CF_PAGE);
	if (!page)
		return -ENOMEM;
	memcpy(page, hdr, hdr_len);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(tmp, sizeof(tmp), ".tmwatch-count-%ld-%u-%lx.tmp",
		 (long)getpid(), __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED),
		 (unsigned long)ts.tv_nsec);
	/* 0644: only our own processes write counts (docs/security.md); a
	 * group-writable file would be refused on open. */
	fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		free(page);
		return r;
	}
	/* Written, not sparse: a full disk fails here, not on a page fault. */
	while (done < CF_PAGE) {
		w = pwrite(fd, page + done, CF_PAGE - done, (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = w < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)w;
	}
	free(page);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && linkat(dirfd, tmp, dirfd, filename, 0) < 0)
		r = -errno;
	unlinkat(dirfd, tmp, 0);
	return r;
}

/* Compares the file's header with ours. A wrong magic or a file too short
 * to hold a header is corrupt; a well-formed header for another identity
 * is a mismatch. */
static int check_header(int fd, const unsigned char *want, uint32_t hdr_len)
{
	unsigned char got[TM__COUNTERFILE_MAX_META + 64];
	ssize_t n;

	do
		n = pread(fd, got, hdr_len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n < hdr_len || memcmp(got, want, CF_MAGIC_LEN) != 0)
		return TM_ECORRUPT;
	if (memcmp(got, want, hdr_len) != 0)
		return TM_EMISMATCH;
	return 0;
}

int tm__counterfile_open(int dirfd, const char *filename, const char *meta,
			 size_t meta_len, struct tm__counterfile **out)
{
	/* The header alone, not the whole first page: only create() needs
	 * the page, and 16 KiB of fresh memory is four page faults. */
	unsigned char hdr[CF_META_OFF + TM__COUNTERFILE_MAX_META + CF_UNIT];
	struct tm__counterfile *f = NULL;
	uint32_t hdr_len;
	struct stat st;
	int fd = -1, r;

	if (!out)
		return TM_EINVAL;
	*out = NULL;
	/* No '/': the temporary file must be in the same directory for
	 * link() to be atomic. */
	if (!filename || !*filename || strchr(filename, '/') || !meta ||
	    meta_len > TM__COUNTERFILE_MAX_META)
		return TM_EINVAL;
	if (strlen(filename) > NAME_MAX)
		return -ENAMETOOLONG;
	hdr_len = (uint32_t)round_up(CF_META_OFF + meta_len, CF_UNIT);
	memset(hdr, 0, hdr_len);
	memcpy(hdr, CF_MAGIC, CF_MAGIC_LEN);
	memcpy(hdr + CF_HDRLEN_OFF, &hdr_len, 4);
	memcpy(hdr + CF_META_OFF, meta, meta_len);

	/* Bounded: each round either opens the file or creates it; only a
	 * concurrent unlink can make it vanish between the two. */
	for (int attempt = 0; fd < 0; attempt++) {
		fd = openat(dirfd, filename, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			break;
		r = -errno;
		if (r != -ENOENT || attempt == 4)
			goto fail;
		r = create(dirfd, filename, hdr, hdr_len);
		if (r < 0 && r != -EEXIST)
			goto fail;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)CF_PAGE) {
		r = TM_ECORRUPT;
		goto fail;
	}
	/* A file another user can write (or owns) could be truncated under
	 * our mapping or filled with lies: refuse it, as ssh refuses keys. */
	if ((r = tm__fs_check_owner(&st)) < 0)
		goto fail;
	if ((r = check_header(fd, hdr, hdr_len)) < 0)
		goto fail;

	r = -ENOMEM;
	f = handle_new();
	if (!f)
		goto fail;
	memcpy(f->name, filename, strlen(filename) + 1);
	/* One fixed reserve: pages past the end of the file are never
	 * touched until fstat says the file covers them, and count pointers
	 * stay put when the file grows. */
	f->base = mmap(NULL, CF_MAX, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       0);
	if (f->base == MAP_FAILED) {
		r = -errno;
		f->base = NULL;
		goto fail;
	}
	/* A truncation by another process must cost counts, never the
	 * program: the guard turns a SIGBUS in the reserve into zero pages. */
	f->guard = tm__busguard_register(f->base, CF_MAX,
					 TM__COUNTERFILE_CLOSED_OFF);
	if (f->guard < 0) {
		r = f->guard;
		munmap(f->base, CF_MAX);
		f->base = NULL;
		goto fail;
	}
	f->fd = fd;
	f->hdr_len = hdr_len;
	f->rec_start = (uint32_t)round_up(hdr_len + 4 + 4 * CF_NBUCKET,
					  CF_UNIT);
	f->size = st.st_size > (off_t)CF_MAX ? CF_MAX : (uint32_t)st.st_size;
	*out = f;
	return 0;
fail:
	if (f)
		handle_free(f);
	if (fd >= 0)
		close(fd);
	return r;
}

void tm__counterfile_close(struct tm__counterfile *f)
{
	if (!f)
		return;
	if (f->base) {
		tm__busguard_unregister(f->guard);
		munmap(f->base, CF_MAX);
	}
	close(f->fd);
	handle_free(f);
}

const uint32_t *tm__counterfile_closed_word(const struct tm__counterfile *f)
{
	return (const uint32_t *)(f->base + TM__COUNTERFILE_CLOSED_OFF);
}

int tm__counterfile_mark_closed(const char *path)
{
	unsigned char magic[CF_MAGIC_LEN];
	uint32_t word, one = 1;
	struct stat st;
	int fd, r;

	fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	r = TM_ECORRUPT;
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)CF_PAGE ||
	    pread(fd, magic, sizeof magic, 0) != (ssize_t)sizeof magic ||
	    memcmp(magic, CF_MAGIC, CF_MAGIC_LEN) != 0 ||
	    pread(fd, &word, 4, TM__COUNTERFILE_CLOSED_OFF) != 4)
		goto out;
	r = 0;
	if (word != 0)
		goto out;
	/* pwrite and the writers' MAP_SHARED mappings share the page cache,
	 * so every mapping sees the word at once. */
	if (pwrite(fd, &one, 4, TM__COUNTERFILE_CLOSED_OFF) != 4) {
		r = errno ? -errno : -EIO;
		goto out;
	}
	r = 1;
out:
	close(fd);
	return r;
}

const char *tm__counterfile_name(const struct tm__counterfile *f)
{
	return f ? f->name : NULL;
}

int tm__counterfile_broken(const struct tm__counterfile *f)
{
	return f && f->base && tm__busguard_broken(f->guard);
}

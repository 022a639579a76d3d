/* SPDX-License-Identifier: MIT */
/* counterfile.h -- write one Go-telemetry v1 counter file, shared by every
 * process that counts into it.
 *
 * A struct tm__counterfile is one open, memory-mapped .count file. The
 * format and the lock-free protocol are in docs/counter-file.md and next to
 * the code in counterfile.c; the bounded reader is counterparse.h.
 *
 * Lifecycle: tm__counterfile_open creates or opens the file and maps a fixed
 * TM__COUNTERFILE_MAX_SIZE reserve of address space, so count pointers
 * handed out stay valid (and never move, even when the file grows) until
 * tm__counterfile_close. The struct may be used by many threads at once
 * (everything but close is lock-free) and by many processes on the same
 * file; after fork the child may keep using the parent's struct. Nothing
 * here may run in a signal handler. Nothing here prints or aborts: a
 * corrupt file yields TM_ECORRUPT, a full disk -ENOSPC, the size cap
 * TM_EFULL.
 */
#ifndef TM_COUNTERFILE_H
#define TM_COUNTERFILE_H

#include <stddef.h>
#include <stdint.h>

#include "tmwatch/common.h"

#define TM__COUNTERFILE_PAGE 16384
#define TM__COUNTERFILE_MAX_NAME 4096
#define TM__COUNTERFILE_MAX_META 512
/* Our cap on a file (Go has none): growth past it returns TM_EFULL. */
#define TM__COUNTERFILE_MAX_SIZE (64u << 20)

struct tm__counterfile; /* opaque */

/* tm__counterfile_meta formats the metadata block exactly as Go telemetry
 * does ("TimeBegin: ...\n...GOARCH: A\n\n"; GOOS is always linux) into
 * BUF, NUL-terminated. Returns its length (without the NUL), or TM_EINVAL
 * when it would exceed TM__COUNTERFILE_MAX_META bytes or CAP. Any thread. */
int tm__counterfile_meta(char *buf, size_t cap, const char *time_begin,
			 const char *time_end, const char *program,
			 const char *version, const char *toolchain,
			 const char *goarch);

/* tm__counterfile_open opens FILENAME relative to DIRFD for counting,
 * creating it atomically (complete header, then link()) when absent. META
 * is the block from tm__counterfile_meta; an existing file must carry the
 * same header. Returns 0 and *OUT (free with tm__counterfile_close),
 * -ELOOP for a symlink at the path, TM_EMISMATCH for another header,
 * TM_ECORRUPT for a short, corrupt or non-regular file, TM_EINVAL for bad
 * arguments, or -errno. DIRFD is not kept. Any thread. */
int tm__counterfile_open(int dirfd, const char *filename, const char *meta,
			 size_t meta_len, struct tm__counterfile **out);

/* tm__counterfile_counter finds or creates the counter NAME[0..LEN) and
 * stores in *COUNT a pointer to its 64-bit count inside the mapping, valid
 * until close. Returns 0, TM_EINVAL for an empty name, TM_ENAMETOOLONG
 * over 4096 bytes, TM_ECORRUPT (corrupt or truncated file), TM_EFULL,
 * -ENOSPC or another -errno. Costs an fstat and a chain walk. Any thread. */
int tm__counterfile_counter(struct tm__counterfile *f, const char *name,
			    size_t len, uint64_t **count);

/* tm__counterfile_find looks NAME up without creating it: returns 0 with
 * *COUNT NULL when absent, else as tm__counterfile_counter. */
int tm__counterfile_find(struct tm__counterfile *f, const char *name,
			 size_t len, uint64_t **count);

/* tm__counterfile_close unmaps and closes F (NULL is fine). Every count
 * pointer from F becomes invalid; no other thread may be using F. */
void tm__counterfile_close(struct tm__counterfile *f);

/* tm__counterfile_name returns the filename as passed to open, owned by F. */
const char *tm__counterfile_name(const struct tm__counterfile *f);

/* tm__counterfile_broken returns 1 once F's mapping was replaced by zero
 * pages after a SIGBUS (the file was truncated by another process,
 * busguard.h): counts into it are lost, and the store must reopen and
 * re-check the file. */
int tm__counterfile_broken(const struct tm__counterfile *f);

/* tm__counterfile_bucket returns the hash-table bucket of a name: 32-bit
 * FNV-1a folded as (h ^ (h >> 16)) % 512, fixed by the v1 format. */
uint32_t tm__counterfile_bucket(const char *name, size_t len);

/* tm__counterfile_add adds N to the mapped count, saturating at UINT64_MAX.
 * One fetch-add, then a fix-up when it wrapped: a CAS loop costs about
 * twice as much on the hot path (bench/bench_counter.c). Near the cap a
 * reader may briefly see a wrapped value before the fix-up lands; every
 * adder that wraps stores the cap, so the count ends saturated. Lock-free,
 * any thread, any process. */
static inline void tm__counterfile_add(uint64_t *count, uint64_t n)
{
	uint64_t old = __atomic_fetch_add(count, n, __ATOMIC_RELAXED);

	if (__builtin_expect(old + n < old, 0))
		__atomic_store_n(count, UINT64_MAX, __ATOMIC_RELAXED);
}

/* The "closed" word: the last 4 bytes of the first 16 KiB page. The v1
 * format reserves the end of every page (no record may end on or cross a
 * page boundary) and Go's writers only ever write zeros there, when they
 * create the file. tmwatch's report builder sets it, before reading a file
 * whose week has ended, to tell every process still counting into the file
 * to move to the next week's file. Readers ignore it. */
#define TM__COUNTERFILE_CLOSED_OFF (TM__COUNTERFILE_PAGE - 4)

/* tm__counterfile_closed_word returns the mapped closed word of F (nonzero
 * once the file is closed), valid until close. Any thread. */
const uint32_t *tm__counterfile_closed_word(const struct tm__counterfile *f);

/* tm__counterfile_mark_closed sets the closed word of the counter file at
 * PATH (never following a symlink). Returns 1 when this call closed it, 0
 * when it was already closed, TM_ECORRUPT when PATH is not a counter file
 * (wrong magic, too short, not regular), or -errno. Any thread. */
int tm__counterfile_mark_closed(const char *path);

#endif

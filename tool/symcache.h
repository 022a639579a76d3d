/* SPDX-License-Identifier: MIT */
/* symcache.h -- the watchdog's persistent symbolization cache: what an
 * earlier watchdog found for a PC of a module, by build-id, so that a
 * fresh watchdog names it without opening the module's DWARF (issue 4:
 * decompressing libc's debug info costs ~40 ms per cold crash).
 *
 * One file per module build-id (lowercase hex, then the generation) in a
 * directory the caller names (the watchdog:
 * $XDG_STATE_HOME/tmwatch/symcache, mode 0700),
 * holding whole records appended with one write(2) each (O_APPEND), so
 * concurrent watchdogs never interleave. Files are untrusted input: each
 * record is length- and checksum-checked before use, a bad one is
 * skipped, a bad header ends the scan, a file is at most
 * TM__SYMCACHE_FILE_MAX bytes (appending stops there). The record layout
 * is in symcache.c and docs/stack-counters.md ("Symbolization cache").
 *
 * Only the watchdog uses it (tm__symbolize_set_cache_dir); a program
 * symbolizing itself (tm_stack_counter_inc) never reads or writes it.
 * Everything here is thread-safe (no state), never prints, and is not for
 * signal handlers.
 */
#ifndef TMWATCH_LIB_SYMCACHE_H
#define TMWATCH_LIB_SYMCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "symbolize.h"

/* Largest cache file read or appended to. */
#define TM__SYMCACHE_FILE_MAX (1024 * 1024)
/* Largest record (header, frames, strings, checksum). */
#define TM__SYMCACHE_RECORD_MAX 65536
/* Longest string kept in a record; longer ones make the PC uncached. */
#define TM__SYMCACHE_STRING_MAX 4096
/* Longest build-id named by a file. */
#define TM__SYMCACHE_ID_MAX 64
/* Appended to every file name: the generation of the symbolizer's
 * results. Bumped whenever the same module and address would now get
 * other frames (2: lld's offset-0 segments, clang's DWARF without
 * .debug_aranges, Rust's functions inside namespaces), so that no machine keeps serving an older name for a
 * crash another machine names anew. Older files are never read; `tmwatch
 * telemetry clean --all` deletes them. */
#define TM__SYMCACHE_GENERATION ".2"

/* One decoded frame. The strings point into the cache bytes, are not
 * NUL-terminated, and are NULL (length 0) when the frame had none. */
struct tm__symcache_frame {
	uint64_t offset;
	long line_offset;
	int has_line;
	int line;
	int is_inlined;
	enum tm__sym_source source;
	const char *function;
	size_t function_len;
	const char *file;
	size_t file_len;
	const char *debug_file;
	size_t debug_file_len;
};

/* A record found by tm__symcache_find, already validated whole; walk its
 * frames with tm__symcache_next. */
struct tm__symcache_hit {
	const unsigned char *p;	/* private */
	size_t len;		/* private */
	size_t pos;		/* private */
	size_t left;		/* private */
	size_t nframes;	/* frames in the record (1..inline max) */
	int had_debug;	/* debug info was findable for the module */
};

/* tm__symcache_ident returns the module identity a record is bound to: a
 * hash of PATH and INODE, so that a stripped copy of a binary (same
 * build-id, another file) never borrows the original's names. */
uint64_t tm__symcache_ident(const char *path, unsigned long inode);

/* tm__symcache_encode writes the record of one PC into BUF (CAP bytes):
 * module IDENT, REL the looked-up address minus the module's load bias,
 * and the N frames FRAMES/INFO of that PC (innermost first, as
 * tm__symbolize_pcs gives them; function names taken from INFO), and
 * HAD_DEBUG: whether debug info could be found for the module (a name
 * made while none could be is not reused once some can). Returns
 * its length, -E2BIG when it does not fit in CAP or TM__SYMCACHE_RECORD_MAX
 * or a string is too long, TM_EINVAL for N 0 or over the inline max. */
long tm__symcache_encode(uint64_t ident, uint64_t rel,
			 const struct tm__frame *frames,
			 const struct tm__frame_info *info, size_t n,
			 int had_debug, unsigned char *buf, size_t cap);

/* tm__symcache_find looks for the last valid record of IDENT and REL in
 * the LEN bytes of cache BUF (a file's contents). Returns 0 with *HIT
 * set (pointing into BUF, which must outlive it), or -ENOENT. Never
 * reads outside BUF; bounded by LEN. */
int tm__symcache_find(const unsigned char *buf, size_t len, uint64_t ident,
		      uint64_t rel, struct tm__symcache_hit *hit);

/* tm__symcache_rewind makes HIT's next frame its first again. */
void tm__symcache_rewind(struct tm__symcache_hit *hit);

/* tm__symcache_next decodes the next frame of HIT into *F. Returns 0, or
 * -ENOENT past the last frame. */
int tm__symcache_next(struct tm__symcache_hit *hit,
		      struct tm__symcache_frame *f);

/* tm__symcache_load reads the cache file of build-id ID (LEN bytes) in
 * DIR into *BUF (malloc'd, caller frees) and *LEN_OUT: at most its
 * first TM__SYMCACHE_FILE_MAX bytes. A symlink or a non-regular file is
 * not read. Returns 0, -ENOENT, or another -errno. Creates nothing. */
int tm__symcache_load(const char *dir, const unsigned char *id,
		      size_t id_len, unsigned char **buf, size_t *len_out);

/* tm__symcache_append appends the record REC (LEN bytes) to the cache
 * file of build-id ID in DIR with a single O_APPEND write, creating DIR
 * (0700, with parents) and the file (0600) as needed; no symlink is
 * followed at the last two levels. Returns 0, TM_EFULL when the file
 * would pass TM__SYMCACHE_FILE_MAX, or -errno. */
int tm__symcache_append(const char *dir, const unsigned char *id,
			size_t id_len, const void *rec, size_t len);

#endif

/* SPDX-License-Identifier: MIT */
/* counterparse.h -- the bounded, validating reader of v1 counter files.
 *
 * The one validator for counter files (DESIGN §6.1, docs/counter-file.md):
 * any file, however hostile or concurrently truncated, yields either a
 * complete list of counters or TM_ECORRUPT with a one-phrase reason. It
 * never maps the file, never loops unboundedly and never prints. The
 * result is plain heap memory owned by the caller (free it with
 * tm__counterparse_free); it may be used from any thread, not from a
 * signal handler.
 */
#ifndef TM_COUNTERPARSE_H
#define TM_COUNTERPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "tmwatch/common.h"

/* One counter: NAME is malloc'd, NUL-terminated (it may also contain NUL
 * bytes: use NAME_LEN) and ditto-expanded for stack counters. */
struct tm__parsed_counter {
	char *name;
	size_t name_len;
	uint64_t value;
};

/* A parsed file: metadata key/value pairs in file order, and the counters
 * in bucket order (bucket 0 first, newest first within a bucket). */
struct tm__parsed_file {
	size_t nmeta;
	char **meta_keys;
	char **meta_values;
	size_t ncounters;
	struct tm__parsed_counter *counters;
};

/* tm__counterparse_buf parses LEN bytes of a counter file. Returns 0 and
 * fills *OUT, TM_ECORRUPT with a one-phrase reason in WHY (NUL-terminated,
 * cut to WHYCAP; WHY may be NULL), or -ENOMEM. *OUT is zeroed on error. */
int tm__counterparse_buf(const void *data, size_t len,
			 struct tm__parsed_file *out, char *why,
			 size_t whycap);

/* tm__counterparse_path reads the regular file PATH with read() (never
 * mmap: a file truncated while we read must not SIGBUS us), refusing one
 * over TM__COUNTERFILE_MAX_SIZE, and parses it as tm__counterparse_buf.
 * Returns as tm__counterparse_buf, or -errno. */
int tm__counterparse_path(const char *path, struct tm__parsed_file *out,
			  char *why, size_t whycap);

/* tm__parsed_meta returns the value of metadata KEY (the last one if it
 * repeats, as Go's map does), or NULL if absent. Owned by F. */
const char *tm__parsed_meta(const struct tm__parsed_file *f, const char *key);

/* tm__counterparse_free frees everything *F owns and zeroes it. */
void tm__counterparse_free(struct tm__parsed_file *f);

#endif

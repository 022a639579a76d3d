/* SPDX-License-Identifier: MIT */
/* counter.h -- count events in the shared, memory-mapped counter store.
 *
 * Counters live in the calling program's weekly counter file under
 * $TMWATCH_DIR/local (format: docs/counter-file.md, byte-compatible with Go
 * telemetry's v1 .count files). Every process of the user shares those files;
 * increments are lock-free atomic adds on the mapping and saturate at
 * UINT64_MAX.
 *
 * Lifecycle: nothing to create or free. The store opens itself on the first
 * increment (mode, program identity, week file) and stays mapped for the
 * life of the process; a long-running process moves to a new file when the
 * week ends. All functions are thread-safe and fork-safe (a child keeps
 * counting into the same file). None may be called from a signal handler.
 * None ever aborts or prints, apart from one warning line per process when
 * the store cannot be used (silenced by TMWATCH_QUIET=1); in mode off they
 * do nothing at all.
 */
#ifndef TMWATCH_COUNTER_H
#define TMWATCH_COUNTER_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest counter name, in bytes, as in Go telemetry. */
#define TM_COUNTER_NAME_MAX 4096

/* tm_counter_add adds n to the counter NAME (created on first use).
 * Cost: a hash-chain walk in the mapped file plus one atomic add; use a
 * struct tm_counter handle on hot paths. */
TM_API void tm_counter_add(const char *name, uint64_t n);
TM_API void tm_counter_inc(const char *name);

/* A counter handle resolves its name once and then costs about one atomic
 * add per increment. Define it statically:
 *
 *     static struct tm_counter cache_miss = TM_COUNTER_INIT("mytool/miss");
 *     tm_counter_handle_inc(&cache_miss);
 *
 * The name must outlive the handle (a string literal is ideal). Handles may
 * be shared by threads; do not copy one after its first use. Fields other
 * than name are private. */
struct tm_counter {
	const char *name;
	uint64_t *tm_private_count;     /* resolved count, or NULL */
	unsigned long tm_private_gen;   /* store generation it belongs to */
};
#define TM_COUNTER_INIT(NAME) { (NAME), 0, 0 }

TM_API void tm_counter_handle_add(struct tm_counter *c, uint64_t n);
TM_API void tm_counter_handle_inc(struct tm_counter *c);

/* tm_stack_counter_inc increments the stack counter "PREFIX\n<frames>"
 * naming the caller's stack in the crash/crash frame format
 * (docs/stack-counters.md), for conditions that should never happen, as
 * gopls/bug does. Costs an unwind and symbolization on first use of each
 * distinct stack; later uses of the same stack cost a lookup. */
TM_API void tm_stack_counter_inc(const char *prefix);

/* tm_counter_read stores in *value the current count of NAME in this
 * process's current counter file (0 if absent). Returns 0, TM_EOFF, or
 * another error code if the store is unusable. */
TM_API int tm_counter_read(const char *name, uint64_t *value);

/* One counter of a parsed counter file, handed to a visitor. name is not
 * NUL-terminated (stack counter names contain newlines); it is valid only
 * during the call. */
struct tm_counter_entry {
	const char *name;
	size_t name_len;
	uint64_t value;
};
typedef int (*tm_counter_visit_fn)(const struct tm_counter_entry *entry,
				   void *arg);

/* tm_counter_file_foreach reads the counter file at PATH (any program's)
 * with a bounded, validating reader and calls FN for each counter; a
 * non-zero return from FN stops the walk and is returned. Returns 0,
 * TM_ECORRUPT for a corrupt or truncated file, or -errno. Safe on any file,
 * however hostile. */
TM_API int tm_counter_file_foreach(const char *path, tm_counter_visit_fn fn,
				   void *arg);

/* tm_counter_file_path copies into BUF the path of this process's current
 * counter file, opening the store if needed. Returns 0 or an error code. */
TM_API int tm_counter_file_path(char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif

/* SPDX-License-Identifier: MIT */
/* strbuild.h -- bounded string building for a process's first count.
 *
 * The store's first open builds a file name and a metadata block. With
 * snprintf, that first call maps libc's whole vfprintf machinery into a
 * program that may never print: four page faults, about 15 us of a
 * 700 us process start (bench/bench_startup.c). These appenders cover the
 * one shape we need, strings one after another, and nothing else (dates
 * are written digit by digit in clock.c).
 * Thread-safe (state is the caller's); never prints.
 */
#ifndef TMWATCH_STRBUILD_H
#define TMWATCH_STRBUILD_H

#include <stddef.h>
#include <string.h>

struct tm__sb {
	char *buf;
	size_t cap;	/* bytes at buf, the NUL included */
	size_t len;	/* bytes written so far, not counting a NUL */
	int over;	/* something did not fit */
};

static inline void tm__sb_init(struct tm__sb *b, char *buf, size_t cap)
{
	b->buf = buf;
	b->cap = cap;
	b->len = 0;
	b->over = cap == 0;
	if (cap)
		buf[0] = '\0';
}

/* Appends N bytes of S; what does not fit is cut, as snprintf cuts, and
 * remembered (tm__sb_end). */
static inline void tm__sb_mem(struct tm__sb *b, const char *s, size_t n)
{
	if (b->cap == 0)
		return;
	if (n >= b->cap - b->len) {
		n = b->cap - 1 - b->len;
		b->over = 1;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

static inline void tm__sb_str(struct tm__sb *b, const char *s)
{
	tm__sb_mem(b, s, strlen(s));
}

/* Returns the length written, or -1 when something did not fit (the
 * buffer then holds what did, like snprintf's). */
static inline long tm__sb_end(const struct tm__sb *b)
{
	return b->over ? -1 : (long)b->len;
}

#endif

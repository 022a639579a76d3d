/* SPDX-License-Identifier: MIT */
/* stackname.c -- builds stack counter names from symbolized frames.
 *
 * The frame grammar is fixed by DESIGN §5.3 and documented with examples in
 * docs/stack-counters.md:
 *   FUNCTION:+N,+0xOFF   with DWARF line info (N from the declaration line)
 *   FUNCTION:+0xOFF      symbol only
 *   MODULE:+0xOFF        no symbol
 * Nothing here sees a path, an address or an argument: callers pass module
 * file names and offsets only. Pure string work; any thread; not for
 * signal handlers.
 */
#include "stackname.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The collapse marker, U+2026, as DESIGN §5.3 writes it. */
static const char ELLIPSIS[] = "\xe2\x80\xa6";
static const char TRUNCATED[] = "\ntruncated\n";

/* Copies S into BUF replacing control bytes, so a hostile symbol cannot
 * add lines to a counter name. Returns bytes written or -1 if no room. */
static int put_clean(char *buf, size_t cap, const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		if (i + 1 >= cap)
			return -1;
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ?
			'?' : s[i];
	}
	if (cap)
		buf[i] = 0;
	return (int)i;
}

int tm__stackname_frame(const struct tm__frame *f, char *buf, size_t cap)
{
	const char *who = f->function && *f->function ?
		tm__stackname_fold(f->function) :
		f->module && *f->module ? f->module : "?";
	int n = put_clean(buf, cap, who), m;

	if (n < 0)
		return -ENAMETOOLONG;
	if (f->is_system)
		return n;
	if (f->function && *f->function && f->has_line)
		m = snprintf(buf + n, cap - (size_t)n, ":%+ld,+0x%" PRIx64,
			     f->line_offset, f->offset);
	else
		m = snprintf(buf + n, cap - (size_t)n, ":+0x%" PRIx64,
			     f->offset);
	if (m < 0 || (size_t)m >= cap - (size_t)n)
		return -ENAMETOOLONG;
	return n + m;
}

const char *tm__stackname_fold(const char *fn)
{
	if (fn && strncmp(fn, "__GI_", 5) == 0 && fn[5])
		return fn + 5;
	return fn;
}

/* The shim's file name (preload/CMakeLists.txt): its frames are ours. */
static const char SHIM_MODULE[] = "libtmwatch-preload.so";

int tm__stackname_is_listed(const struct tm__frame *f)
{
	int has_fn = f->function && *f->function;
	int has_mod = f->module && *f->module;

	if (f->detail_only || (!has_fn && !has_mod))
		return 0;
	if (has_mod && strcmp(f->module, SHIM_MODULE) == 0)
		return 0;
	if (has_fn && strcmp(tm__stackname_fold(f->function),
			     "__restore_rt") == 0)
		return 0;
	return 1;
}

/* Functions below a program's entry or a thread's start routine, as
 * glibc's symbol tables and debug info name them. */
static int is_below_entry(const struct tm__frame *f)
{
	static const char *const below[] = {
		"_start", "__libc_start_main", "__libc_start_main_impl",
		"__libc_start_main_alias_2", "__libc_start_call_main",
		"start_thread", "clone", "clone3", "__clone", "__clone3",
		"__clone_internal", "thread_start",
	};
	const char *fn = f->function && *f->function ?
		tm__stackname_fold(f->function) : NULL;

	if (!fn)
		return 0;
	for (size_t i = 0; i < sizeof below / sizeof below[0]; i++)
		if (strcmp(fn, below[i]) == 0)
			return 1;
	return 0;
}

static int is_unnamed(const struct tm__frame *f)
{
	return !f->function || !*f->function;
}

/* An unnamed frame of libc or the dynamic loader: below the entry when
 * at the bottom of a stack (__libc_start_call_main, start_thread and
 * clone3 are local symbols, named only by debug info). */
static int is_unnamed_libc(const struct tm__frame *f)
{
	return is_unnamed(f) && f->is_system && f->module &&
		(strncmp(f->module, "libc.so", 7) == 0 ||
		 strncmp(f->module, "ld-linux", 8) == 0 ||
		 strncmp(f->module, "ld.so", 5) == 0);
}

size_t tm__stackname_select(const struct tm__frame *in, size_t n,
			    struct tm__frame *out)
{
	size_t k = 0, last_main = SIZE_MAX;

	for (size_t i = 0; i < n; i++) {
		struct tm__frame f = in[i];

		if (!tm__stackname_is_listed(&f))
			continue;
		if (f.function && *f.function)
			f.function = tm__stackname_fold(f.function);
		/* Unnamed frames of one system library in a row say no
		 * more than one. */
		if (k > 0 && f.is_system && out[k - 1].is_system &&
		    is_unnamed(&f) && is_unnamed(&out[k - 1]) && f.module &&
		    out[k - 1].module &&
		    strcmp(f.module, out[k - 1].module) == 0)
			continue;
		if (f.function && strcmp(f.function, "main") == 0)
			last_main = k;
		out[k++] = f;
	}
	if (last_main != SIZE_MAX)
		return last_main + 1;
	/* No main (a thread, a stripped executable): trim the bottom. */
	if (k >= 2 && is_unnamed(&out[k - 1]) && !out[k - 1].is_system &&
	    (is_below_entry(&out[k - 2]) || is_unnamed_libc(&out[k - 2])))
		k--;
	while (k > 0 && (is_below_entry(&out[k - 1]) ||
			 is_unnamed_libc(&out[k - 1])))
		k--;
	return k;
}

/* Appends "\n" and LINE to BUF at *len; a name that would outgrow the
 * limit is marked for truncation instead. */
static void append_line(char *buf, size_t *len, int *over, const char *line)
{
	size_t l = strlen(line);

	if (*over)
		return;
	if (*len + 1 + l > TM__STACKNAME_MAX_LEN) {
		*over = 1;
		/* Keep what fits, as Go does: cut the name, not the line. */
		size_t room = TM__STACKNAME_MAX_LEN - *len;
		if (room > 0) {
			buf[(*len)++] = '\n';
			room--;
			memcpy(buf + *len, line, room);
			*len += room;
		}
		return;
	}
	buf[(*len)++] = '\n';
	memcpy(buf + *len, line, l);
	*len += l;
}

int tm__stackname_build(const char *prefix, const struct tm__frame *frames,
			size_t n, char *buf, size_t cap)
{
	char line[1024], prev[1024] = "";
	size_t len, lines = 0;
	int over = 0, collapsed = 0;

	if (cap < TM__STACKNAME_MAX_LEN + 1)
		return -EINVAL;
	len = strlen(prefix);
	if (len > TM__STACKNAME_MAX_LEN - sizeof TRUNCATED)
		return -ENAMETOOLONG;
	memcpy(buf, prefix, len);
	for (size_t i = 0; i < n && lines < TM__STACKNAME_MAX_FRAMES; i++) {
		if (tm__stackname_frame(&frames[i], line, sizeof line) < 0)
			snprintf(line, sizeof line, "?:+0x0");
		if (i > 0 && strcmp(line, prev) == 0) {
			/* A run of one frame (recursion): one marker. */
			if (!collapsed) {
				append_line(buf, &len, &over, ELLIPSIS);
				lines++;
				collapsed = 1;
			}
			continue;
		}
		collapsed = 0;
		append_line(buf, &len, &over, line);
		lines++;
		memcpy(prev, line, sizeof prev);
	}
	if (over) {
		size_t keep = TM__STACKNAME_MAX_LEN - (sizeof TRUNCATED - 1);
		memcpy(buf + keep, TRUNCATED, sizeof TRUNCATED - 1);
		len = TM__STACKNAME_MAX_LEN;
	}
	buf[len] = 0;
	return (int)len;
}

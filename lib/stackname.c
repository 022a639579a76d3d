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
	const char *who = f->function && *f->function ? f->function :
		f->module && *f->module ? f->module : "?";
	int n = put_clean(buf, cap, who), m;

	if (n < 0)
		return -ENAMETOOLONG;
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

/* SPDX-License-Identifier: MIT */
/* crashsummary.c -- reads the fields `tmwatch crashes` lists out of a
 * crash log's text (crashlog.c writes it; docs/stack-counters.md has the
 * layout). The text is untrusted (any file in the log directory): every
 * field is cut to its buffer, nothing is assumed present, and the
 * fuzz target tests/fuzz/fuzz_crashlog.c feeds it anything.
 */
#define _GNU_SOURCE
#include "crashsummary.h"

#include <stdlib.h>
#include <string.h>

/* Copies the rest of the line at S into BUF, control bytes dropped. */
static void copy_line(char *buf, size_t cap, const char *s)
{
	size_t n = 0;

	for (; *s && *s != '\n' && n + 1 < cap; s++)
		if ((unsigned char)*s >= 0x20)
			buf[n++] = *s;
	buf[n] = 0;
}

/* The value of the "KEY:   value" line, or NULL. */
static const char *field(const char *text, const char *key)
{
	size_t k = strlen(key);

	for (const char *l = text; l; l = strchr(l, '\n')) {
		if (*l == '\n')
			l++;
		if (strncmp(l, key, k) == 0 && l[k] == ':') {
			l += k + 1;
			while (*l == ' ')
				l++;
			return l;
		}
	}
	return NULL;
}

void crashsummary_parse(const char *text, struct crash_summary *s)
{
	const char *v, *at;

	strcpy(s->program, "?");
	strcpy(s->version, "-");
	strcpy(s->sig, "?");
	strcpy(s->frame, "-");
	s->pid = 0;
	if (!text)
		return;
	if ((v = field(text, "program")))
		copy_line(s->program, sizeof s->program, v);
	if ((v = field(text, "pid")))
		s->pid = strtol(v, NULL, 10);
	if ((v = field(text, "signal"))) {
		copy_line(s->sig, sizeof s->sig, v);
		s->sig[strcspn(s->sig, " (")] = 0;
	}
	/* counted: yes, in the counters of PROGRAM@VERSION-TC-OS-ARCH */
	v = field(text, "counted");
	if (v && (v = strstr(v, "in the counters of ")) &&
	    (at = strchr(v, '@')) && at < v + strcspn(v, "\n")) {
		copy_line(s->version, sizeof s->version, at + 1);
		for (int i = 0; i < 3; i++) {
			char *dash = strrchr(s->version, '-');

			if (dash)
				*dash = 0;
		}
		if (!s->version[0])
			strcpy(s->version, "-");
	}
	/* The first stack line: "  #0   0x0123... FUNC[ at FILE:LINE]". */
	v = strstr(text, "\n  #");
	if (v) {
		const char *p = strstr(v, " 0x");
		char *cut;

		if (p && p < v + strcspn(v + 1, "\n") + 1) {
			p += 3 + strspn(p + 3, "0123456789abcdef");
			while (*p == ' ')
				p++;
			if (strncmp(p, "[inlined] ", 10) == 0)
				p += 10;
			copy_line(s->frame, sizeof s->frame, p);
			cut = strstr(s->frame, " at ");
			if (cut)
				*cut = 0;
		}
	}
}


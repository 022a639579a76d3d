/* SPDX-License-Identifier: MIT */
/* body.c -- the collector's strict reading of an upload body's syntax:
 * exactly one JSON object and one spelling of X.
 *
 * cJSON_ParseWithLength stops at the end of the first value and ignores
 * what follows, and treats every control byte as whitespace, so
 * `{report}}}GARBAGE` was stored verbatim (issue 14). This scanner walks
 * the body once by RFC 8259's grammar (whitespace is space, tab, CR, LF;
 * numbers, strings, escapes and literals exactly as the RFC spells them),
 * bounded in depth and never looping: one pass, each byte looked at once.
 * It only judges syntax and finds the raw text of the top-level "X"; what
 * the fields mean stays with the report reader (lib/report.c).
 *
 * X names the stored file (DATA/WEEK/X.json), so one value must have one
 * spelling: the one tmwatch's report writer (cJSON's number printer, the
 * same library on both ends) gives it. `-0.0`, `0.50`, `5e-1`, `1E-1` are
 * refused; so is anything outside [0,1) or not finite. Pure: no globals,
 * no I/O; fuzzed through tests/fuzz/fuzz_collector.c. Docs:
 * docs/collector.md "Protocol".
 */
#define _GNU_SOURCE
#include "collector.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32		/* a report nests 4 deep */
#define BODY_NODE_COST 128	/* bytes per value parsed, allocator's included */

struct scan {
	const char *p, *end;
	const char *why;
	size_t nvalues;
};

static int fail(struct scan *s, const char *why)
{
	if (!s->why)
		s->why = why;
	return -1;
}

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
				 *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* string reads a string starting at '"'; *HAS_ESCAPE tells whether it
 * holds a backslash. */
static int string(struct scan *s, int *has_escape)
{
	*has_escape = 0;
	s->p++;
	while (s->p < s->end) {
		unsigned char c = (unsigned char)*s->p++;

		if (c == '"')
			return 0;
		if (c < 0x20)
			return fail(s, "control character inside a string");
		if (c != '\\')
			continue;
		*has_escape = 1;
		if (s->p == s->end)
			break;
		c = (unsigned char)*s->p++;
		if (c == 'u') {
			for (int i = 0; i < 4; i++)
				if (s->p == s->end || !is_hex(*s->p++))
					return fail(s, "bad \\u escape");
		} else if (!strchr("\"\\/bfnrt", c) || !c) {
			return fail(s, "bad escape in a string");
		}
	}
	return fail(s, "unterminated string");
}

static int number(struct scan *s)
{
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p == s->end || !is_digit(*s->p))
		return fail(s, "bad number");
	if (*s->p++ != '0')
		while (s->p < s->end && is_digit(*s->p))
			s->p++;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (s->p == s->end || !is_digit(*s->p))
			return fail(s, "bad number");
		while (s->p < s->end && is_digit(*s->p))
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p == s->end || !is_digit(*s->p))
			return fail(s, "bad number");
		while (s->p < s->end && is_digit(*s->p))
			s->p++;
	}
	return 0;
}

static int literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n))
		return fail(s, "not JSON");
	s->p += n;
	return 0;
}

static int value(struct scan *s, int depth);

/* container reads an object or an array (s->p at its bracket). At
 * depth 0 (the report itself) it also checks the keys and finds X. */
static int container(struct scan *s, int depth, const char **x,
		     size_t *xlen)
{
	const char *keys[16];
	size_t klen[16], nkeys = 0;
	int is_object = *s->p == '{', esc;
	char close = is_object ? '}' : ']';

	if (depth >= MAX_DEPTH)
		return fail(s, "nested too deep");
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return 0;
	}
	for (;;) {
		if (is_object) {
			const char *k;

			if (s->p == s->end || *s->p != '"')
				return fail(s, "expected a field name");
			k = s->p + 1;
			if (string(s, &esc))
				return -1;
			if (depth == 0) {
				size_t n = (size_t)(s->p - 1 - k);

				if (esc)
					return fail(s, "a field name of the "
						    "report holds an escape");
				for (size_t i = 0; i < nkeys; i++)
					if (klen[i] == n &&
					    !memcmp(keys[i], k, n))
						return fail(s, "a field of the "
							    "report appears "
							    "twice");
				if (nkeys == 16)
					return fail(s, "too many fields");
				keys[nkeys] = k;
				klen[nkeys++] = n;
				if (n == 1 && *k == 'X') {
					skip_ws(s);
					if (s->p == s->end || *s->p != ':')
						return fail(s, "expected ':'");
					s->p++;
					skip_ws(s);
					*x = s->p;
					if (value(s, depth + 1))
						return -1;
					*xlen = (size_t)(s->p - *x);
					goto next;
				}
			}
			skip_ws(s);
			if (s->p == s->end || *s->p != ':')
				return fail(s, "expected ':'");
			s->p++;
			skip_ws(s);
		}
		if (value(s, depth + 1))
			return -1;
next:
		skip_ws(s);
		if (s->p == s->end)
			return fail(s, "truncated");
		if (*s->p == close) {
			s->p++;
			return 0;
		}
		if (*s->p != ',')
			return fail(s, "expected ',' or a closing bracket");
		s->p++;
		skip_ws(s);
	}
}

static int value(struct scan *s, int depth)
{
	const char *x;
	size_t xlen;
	int esc;

	if (s->p == s->end)
		return fail(s, "truncated");
	s->nvalues++;
	switch (*s->p) {
	case '{':
	case '[':
		return container(s, depth, &x, &xlen);
	case '"':
		return string(s, &esc);
	case 't':
		return literal(s, "true");
	case 'f':
		return literal(s, "false");
	case 'n':
		return literal(s, "null");
	default:
		return number(s);
	}
}

/* scan_body runs the scanner over the whole body into S. */
static const char *scan_body(struct scan *s, const char **x, size_t *xlen)
{
	*x = NULL;
	*xlen = 0;
	if (!s->p)
		return "empty body";
	skip_ws(s);
	if (s->p == s->end || *s->p != '{')
		return "must be one JSON object";
	if (container(s, 0, x, xlen))
		return s->why;
	skip_ws(s);
	if (s->p != s->end)
		return "bytes after the JSON object";
	return NULL;
}

const char *body_check(const char *body, size_t len, const char **x,
		       size_t *xlen)
{
	struct scan s = { body, body + len, NULL, 0 };

	return scan_body(&s, x, xlen);
}

size_t body_parse_cost(const char *body, size_t len)
{
	struct scan s = { body, body + len, NULL, 0 };
	const char *x;
	size_t xlen;

	if (scan_body(&s, &x, &xlen))
		return 0;
	/* cJSON: one 64-byte node (80 with malloc's header) per value,
	 * plus a copy of each string; the report reader copies the names
	 * once more. Strings are bounded by the text, so: */
	return 2 * len + s.nvalues * BODY_NODE_COST;
}

int body_x_is_canonical(const char *text, size_t len)
{
	char buf[64], *end, *printed;
	cJSON *n;
	double d;
	int same;

	if (len == 0 || len >= sizeof buf)
		return 0;
	memcpy(buf, text, len);
	buf[len] = '\0';
	d = strtod(buf, &end);
	if (*end || !isfinite(d) || signbit(d) || !(d >= 0) || !(d < 1))
		return 0;
	/* What the client's writer prints for this value: cJSON_Print of
	 * the number, as tm__report_format does. */
	n = cJSON_CreateNumber(d);
	printed = n ? cJSON_PrintUnformatted(n) : NULL;
	same = printed && !strcmp(printed, buf);
	cJSON_free(printed);
	cJSON_Delete(n);
	return same;
}

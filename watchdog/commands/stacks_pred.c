/* SPDX-License-Identifier: MIT */
/* stacks_pred.c -- the predicate language of issue files' ```#!stacks
 * blocks (docs/maintainers.md "Claiming stacks"), after Go's cmd/stacks.
 *
 *   expr    := and { "||" and }
 *   and     := unary { "&&" unary }
 *   unary   := "!" unary | "(" expr ")" | string
 *   string  := '"' { char | '\"' | '\\' } '"'
 *
 * A string holds for a stack when it occurs in the stack text as a whole
 * word: the character before it and the one after it (when the literal
 * starts or ends with an identifier character) are not identifier
 * characters [A-Za-z0-9_]. "run" then matches the frame run:+3,+0x2f
 * but not run_all:+1,+0x4. Issue files are the maintainer's, yet parsed
 * as untrusted: bounded length and depth, no recursion past the bound,
 * fuzzed (tests/fuzz/fuzz_stackpred.c). Never prints.
 */
#define _GNU_SOURCE
#include "stacks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRED_MAX_TEXT 65536
#define PRED_MAX_DEPTH 64

enum op { LIT, NOT, AND, OR };

struct stacks_pred {
	enum op op;
	char *lit;		/* LIT */
	size_t litlen;
	struct stacks_pred *a, *b;
};

struct parser {
	const char *start, *p, *end;
	char *why;
	size_t whycap;
	int depth;
	int failed;
};

static struct stacks_pred *parse_or(struct parser *ps);

static void error(struct parser *ps, const char *what)
{
	if (!ps->failed)
		snprintf(ps->why, ps->whycap, "%s at offset %ld", what,
			 (long)(ps->p - ps->start));
	ps->failed = 1;
}

static void skip_space(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
				   *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static struct stacks_pred *node(enum op op, struct stacks_pred *a,
				struct stacks_pred *b)
{
	struct stacks_pred *n = calloc(1, sizeof *n);

	if (!n) {
		stacks_pred_free(a);
		stacks_pred_free(b);
		return NULL;
	}
	n->op = op;
	n->a = a;
	n->b = b;
	return n;
}

static struct stacks_pred *parse_string(struct parser *ps)
{
	struct stacks_pred *n;
	char *buf, *o;

	ps->p++;	/* the opening quote */
	if (!(buf = malloc((size_t)(ps->end - ps->p) + 1))) {
		error(ps, "out of memory");
		return NULL;
	}
	o = buf;
	while (ps->p < ps->end && *ps->p != '"') {
		if (*ps->p == '\\') {
			if (ps->p + 1 >= ps->end ||
			    (ps->p[1] != '"' && ps->p[1] != '\\')) {
				free(buf);
				error(ps, "unknown escape (only \\\" "
					  "and \\\\)");
				return NULL;
			}
			ps->p++;
		}
		*o++ = *ps->p++;
	}
	if (ps->p >= ps->end) {
		free(buf);
		error(ps, "unterminated string");
		return NULL;
	}
	ps->p++;
	if (o == buf) {
		free(buf);
		error(ps, "empty string");
		return NULL;
	}
	*o = '\0';
	if (!(n = node(LIT, NULL, NULL))) {
		free(buf);
		error(ps, "out of memory");
		return NULL;
	}
	n->lit = buf;
	n->litlen = (size_t)(o - buf);
	return n;
}

static struct stacks_pred *parse_unary(struct parser *ps)
{
	struct stacks_pred *n;

	skip_space(ps);
	if (ps->p >= ps->end) {
		error(ps, "expected a string, '!' or '('");
		return NULL;
	}
	if (++ps->depth > PRED_MAX_DEPTH) {
		error(ps, "nested too deeply");
		return NULL;
	}
	if (*ps->p == '!') {
		ps->p++;
		n = parse_unary(ps);
		n = n ? node(NOT, n, NULL) : NULL;
	} else if (*ps->p == '(') {
		ps->p++;
		n = parse_or(ps);
		skip_space(ps);
		if (n && (ps->p >= ps->end || *ps->p != ')')) {
			stacks_pred_free(n);
			n = NULL;
			error(ps, "expected ')'");
		} else if (n) {
			ps->p++;
		}
	} else if (*ps->p == '"') {
		n = parse_string(ps);
	} else {
		error(ps, "expected a string, '!' or '('");
		n = NULL;
	}
	ps->depth--;
	if (!n)
		error(ps, "out of memory");
	return n;
}

static struct stacks_pred *parse_and(struct parser *ps)
{
	struct stacks_pred *n = parse_unary(ps);

	while (n) {
		skip_space(ps);
		if (ps->end - ps->p < 2 || memcmp(ps->p, "&&", 2))
			break;
		ps->p += 2;
		struct stacks_pred *r = parse_unary(ps);

		if (!r) {
			stacks_pred_free(n);
			return NULL;
		}
		n = node(AND, n, r);
	}
	return n;
}

static struct stacks_pred *parse_or(struct parser *ps)
{
	struct stacks_pred *n = parse_and(ps);

	while (n) {
		skip_space(ps);
		if (ps->end - ps->p < 2 || memcmp(ps->p, "||", 2))
			break;
		ps->p += 2;
		struct stacks_pred *r = parse_and(ps);

		if (!r) {
			stacks_pred_free(n);
			return NULL;
		}
		n = node(OR, n, r);
	}
	return n;
}

struct stacks_pred *stacks_pred_parse(const char *text, char *why,
				      size_t whycap)
{
	size_t len = strlen(text);
	struct parser ps = { text, text, text + len, why, whycap, 0, 0 };
	struct stacks_pred *n;

	if (len > PRED_MAX_TEXT) {
		snprintf(why, whycap, "predicate longer than %d bytes",
			 PRED_MAX_TEXT);
		return NULL;
	}
	n = parse_or(&ps);
	skip_space(&ps);
	if (n && ps.p != ps.end) {
		error(&ps, "unexpected text after the predicate");
		stacks_pred_free(n);
		return NULL;
	}
	if (!n && !ps.failed)
		snprintf(why, whycap, "out of memory");
	return n;
}

static int is_ident(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

static int has_word(const char *stack, const char *lit, size_t n)
{
	const char *p = stack;
	int check_before = is_ident((unsigned char)lit[0]);
	int check_after = is_ident((unsigned char)lit[n - 1]);

	while ((p = strstr(p, lit))) {
		int ok = 1;

		if (check_before && p > stack && is_ident((unsigned char)p[-1]))
			ok = 0;
		if (check_after && is_ident((unsigned char)p[n]))
			ok = 0;
		if (ok)
			return 1;
		p++;
	}
	return 0;
}

int stacks_pred_match(const struct stacks_pred *p, const char *stack)
{
	switch (p->op) {
	case LIT:
		return has_word(stack, p->lit, p->litlen);
	case NOT:
		return !stacks_pred_match(p->a, stack);
	case AND:
		return stacks_pred_match(p->a, stack) &&
		       stacks_pred_match(p->b, stack);
	case OR:
		return stacks_pred_match(p->a, stack) ||
		       stacks_pred_match(p->b, stack);
	}
	return 0;
}

void stacks_pred_free(struct stacks_pred *p)
{
	if (!p)
		return;
	stacks_pred_free(p->a);
	stacks_pred_free(p->b);
	free(p->lit);
	free(p);
}

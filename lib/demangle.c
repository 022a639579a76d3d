/* SPDX-License-Identifier: MIT */
/* demangle.c -- raw symbol names to frame names (DESIGN §5.2).
 *
 * A frame name must say which function it is and nothing else: no symbol
 * version, no compiler clone suffix, no parameter types (they make one
 * function look like many and grow names past Go's 4096-byte limit).
 * __cxa_demangle comes from libstdc++, which C programs linking libtmwatch
 * do not have: it is a weak reference, then looked up in the process, and
 * libstdc++ is loaded only when a mangled name needs it. Never prints;
 * any thread; not for signal handlers. Rules: docs/stack-counters.md.
 */
#define _GNU_SOURCE
#include "demangle.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);

/* Weak: resolved when the program links libstdc++ (C++ programs, the
 * watchdog if it ever does); NULL in C programs, so none need it. */
extern char *__cxa_demangle(const char *, char *, size_t *, int *)
	__attribute__((weak));

static _Atomic(demangle_fn) found;
static atomic_int looked;

static demangle_fn demangler(void)
{
	demangle_fn fn = atomic_load(&found);
	void *h;

	if (fn || atomic_load(&looked))
		return fn;
	if (__cxa_demangle) {
		fn = __cxa_demangle;
	} else {
		fn = (demangle_fn)dlsym(RTLD_DEFAULT, "__cxa_demangle");
		/* Loaded once, never closed: a crash log may come later. */
		h = fn ? NULL : dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL);
		if (h)
			fn = (demangle_fn)dlsym(h, "__cxa_demangle");
	}
	atomic_store(&found, fn);
	atomic_store(&looked, 1);
	return fn;
}

/* Returns 1 when S[0..len) is ".NAME" or ".NAME.DIGITS" for a clone. */
static int is_clone_suffix(const char *s, size_t len)
{
	static const char *const kinds[] = {
		"isra", "constprop", "part", "cold", "lto_priv",
		"localalias", "llvm", "clone", "specialized",
	};
	size_t i, k;

	if (len < 2 || s[0] != '.')
		return 0;
	for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		size_t kl = strlen(kinds[k]);

		if (len < 1 + kl || memcmp(s + 1, kinds[k], kl) != 0)
			continue;
		if (len == 1 + kl)
			return 1;
		if (s[1 + kl] != '.' || len == 2 + kl)
			continue;
		for (i = 2 + kl; i < len && isdigit((unsigned char)s[i]); i++)
			;
		if (i == len)
			return 1;
	}
	return 0;
}

void tm__demangle_strip_suffixes(char *name)
{
	char *at = strchr(name, '@');
	size_t len;

	if (at && at != name)
		*at = 0;
	/* Peel one suffix at a time from the end: ".isra.0.cold" is two. */
	for (;;) {
		char *dot;
		int cut = 0;

		len = strlen(name);
		/* A suffix is ".kind" or ".kind.N": try both last dots. */
		dot = memrchr(name, '.', len);
		if (!dot || dot == name)
			return;
		if (is_clone_suffix(dot, len - (size_t)(dot - name))) {
			*dot = 0;
			cut = 1;
		} else if (dot > name + 1) {
			char *prev = memrchr(name, '.', (size_t)(dot - name));

			if (prev && prev != name &&
			    is_clone_suffix(prev,
					    len - (size_t)(prev - name))) {
				*prev = 0;
				cut = 1;
			}
		}
		if (!cut)
			return;
	}
}

/* Output buffer that never overflows and remembers that it was cut. */
struct out {
	char *buf;
	size_t cap, len;
	int cut;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		n = o->cap > o->len + 1 ? o->cap - o->len - 1 : 0;
		o->cut = 1;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = 0;
}

static int is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$';
}

/* Length of "operator<sym>" at S (S starts with "operator" on an
 * identifier boundary), so '<', '>' and '(' inside operator names are
 * not taken for brackets. 0 when S is no operator. */
static size_t operator_len(const char *s)
{
	static const char *const syms[] = {
		"<=>", "<<=", ">>=", "->*", "()", "[]", "<<", ">>", "<=",
		">=", "->", "==", "!=", "&&", "||", "++", "--", "+=", "-=",
		"*=", "/=", "%=", "&=", "|=", "^=", "<", ">", "+", "-", "*",
		"/", "%", "&", "|", "^", "!", "~", "=", ",",
	};
	size_t i;

	if (strncmp(s, "operator", 8) != 0 || is_ident(s[8]))
		return 0;
	for (i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		size_t l = strlen(syms[i]);

		if (strncmp(s + 8, syms[i], l) == 0)
			return 8 + l;
	}
	return 8; /* "operator new", "operator int": a word follows */
}

/* Index of the bracket closing the one at S[0] ('<', '(' or '{'), with
 * operator names skipped; or the string's length when unbalanced. */
static size_t closing(const char *s)
{
	int depth = 0;
	size_t i = 0;

	while (s[i]) {
		size_t op = (i == 0 || !is_ident(s[i - 1])) ?
			operator_len(s + i) : 0;

		if (op) {
			i += op;
			continue;
		}
		if (s[i] == '<' || s[i] == '(' || s[i] == '{' || s[i] == '[')
			depth++;
		else if (s[i] == '>' || s[i] == ')' || s[i] == '}' ||
			 s[i] == ']')
			depth--;
		if (depth == 0)
			return i;
		i++;
	}
	return i;
}

int tm__demangle_reduce(const char *sig, char *out, size_t cap)
{
	static const char anon[] = "(anonymous namespace)";
	struct out o = { out, cap, 0, 0 };
	size_t i = 0, n = strlen(sig), start = 0;

	if (cap == 0)
		return -ENAMETOOLONG;
	out[0] = 0;
	while (i < n) {
		const char *p = sig + i;
		size_t op = (i == 0 || !is_ident(sig[i - 1])) ?
			operator_len(p) : 0;

		if (op) {
			put(&o, p, op);
			i += op;
			/* "operator new[]", "operator int": keep the word. */
			if (op == 8 && sig[i] == ' ') {
				size_t w = 1;

				while (i + w < n && (is_ident(sig[i + w]) ||
						     sig[i + w] == '[' ||
						     sig[i + w] == ']'))
					w++;
				put(&o, sig + i, w);
				i += w;
			}
			/* "operator< <int>": not a return type's space. */
			if (op > 8 && sig[i] == ' ' && sig[i + 1] == '<')
				i++;
			continue;
		}
		if (strncmp(p, anon, sizeof anon - 1) == 0) {
			put(&o, p, sizeof anon - 1);
			i += sizeof anon - 1;
			continue;
		}
		if (strncmp(p, "[abi:", 5) == 0 ||
		    strncmp(p, " [clone", 7) == 0) {
			size_t c = *p == ' ' ? 1 + closing(p + 1) :
				closing(p);

			i += c < n - i ? c + 1 : n - i;
			continue;
		}
		if (*p == '<') {
			size_t c = closing(p);
			size_t inner = c > 1 ? c - 1 : 0;

			if (c < n - i && inner <= TM__DEMANGLE_TEMPLATE_MAX &&
			    !memchr(p + 1, '<', inner) &&
			    !memchr(p + 1, '(', inner))
				put(&o, p, c + 1);
			else
				put(&o, "<...>", 5);
			i += c < n - i ? c + 1 : n - i;
			continue;
		}
		if (*p == '{') {
			size_t c = closing(p);

			put(&o, p, c < n - i ? c + 1 : n - i);
			i += c < n - i ? c + 1 : n - i;
			continue;
		}
		if (*p == '(') {
			size_t c = closing(p);

			/* "f()::Local::g(int)": a function as a scope. */
			if (c < n - i && strncmp(p + c + 1, "::", 2) == 0) {
				i += c + 1;
				continue;
			}
			break;
		}
		if (*p == ' ') {
			/* A top-level space ends a return type: drop it. */
			o.len = start;
			o.buf[o.len] = 0;
			i++;
			continue;
		}
		put(&o, p, 1);
		i++;
	}
	return o.cut ? -ENAMETOOLONG : (int)o.len;
}

int tm__demangle_name(const char *raw, char *out, size_t cap)
{
	size_t len = strlen(raw);
	char *copy, *dem = NULL;
	demangle_fn fn;
	int r, status = -1;

	if (cap == 0)
		return -ENAMETOOLONG;
	copy = malloc(len + 1);
	if (!copy) {
		/* Still a name: the raw text, cut to fit. */
		snprintf(out, cap, "%s", raw);
		return len < cap ? (int)len : -ENAMETOOLONG;
	}
	memcpy(copy, raw, len + 1);
	tm__demangle_strip_suffixes(copy);
	if (strncmp(copy, "_Z", 2) == 0 && (fn = demangler()))
		dem = fn(copy, NULL, NULL, &status);
	if (dem && status == 0) {
		r = tm__demangle_reduce(dem, out, cap);
		/* An empty reduction (odd input) keeps the mangled name. */
		if (r == 0)
			dem[0] = 0;
	} else {
		r = 0;
	}
	if (r == 0) {
		len = strlen(copy);
		snprintf(out, cap, "%s", copy);
		r = len < cap ? (int)len : -ENAMETOOLONG;
	}
	free(dem);
	free(copy);
	return r;
}

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
#include <stdint.h>
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
	if (n)
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

/* Rust's legacy mangling: _ZN, length-prefixed components, a last
 * component h<16 hex digits> (a hash of the crate's build, dropped), E;
 * components escape punctuation ($LT$, $u7b$, ".."). Writes the path
 * into O; returns 1, or 0 when SYM is not one (nothing written). */
static int rust_legacy(const char *sym, struct out *o)
{
	static const struct {
		const char *code, *text;
	} esc[] = {
		{ "SP", "@" }, { "BP", "*" }, { "RF", "&" }, { "LT", "<" },
		{ "GT", ">" }, { "LP", "(" }, { "RP", ")" }, { "C", "," },
	};
	const char *p = sym + 3, *hash = NULL;
	size_t start = o->len;

	if (strncmp(sym, "_ZN", 3) != 0)
		return 0;
	/* First pass: the shape, and the hash as last component. */
	for (const char *q = p; *q != 'E';) {
		char *end;
		unsigned long len = strtoul(q, &end, 10);

		if (end == q || len == 0 || len > strlen(end))
			return 0;
		if (end[len] == 'E' && len == 17 && end[0] == 'h' &&
		    strspn(end + 1, "0123456789abcdef") >= 16)
			hash = end;
		q = end + len;
	}
	if (!hash || hash[17] != 'E' || hash[18])
		return 0;
	while (*p != 'E') {
		char *end;
		unsigned long len = strtoul(p, &end, 10);
		const char *c = end, *stop = end + len;

		if (c == hash)
			break;
		if (o->len > start)
			put(o, "::", 2);
		if (c[0] == '_' && c[1] == '$')
			c++;
		while (c < stop) {
			if (c + 1 < stop && c[0] == '.' && c[1] == '.') {
				put(o, "::", 2);
				c += 2;
			} else if (*c == '$') {
				const char *close =
					memchr(c + 1, '$',
					       (size_t)(stop - c - 1));
				size_t cl = close ? (size_t)(close - c - 1) : 0;
				size_t k, done = 0;

				if (!close)
					goto bad;
				for (k = 0; k < sizeof esc / sizeof esc[0]; k++) {
					if (strlen(esc[k].code) != cl ||
					    memcmp(c + 1, esc[k].code, cl))
						continue;
					put(o, esc[k].text, 1);
					done = 1;
				}
				if (!done && cl >= 2 && c[1] == 'u') {
					char hex[8] = "";
					unsigned long ch;

					if (cl - 1 >= sizeof hex)
						goto bad;
					memcpy(hex, c + 2, cl - 1);
					hex[cl - 1] = 0;
					ch = strtoul(hex, NULL, 16);
					if (ch < 0x20 || ch > 0x7e)
						goto bad;
					{
						char b = (char)ch;

						put(o, &b, 1);
					}
					done = 1;
				}
				if (!done)
					goto bad;
				c = close + 1;
			} else {
				put(o, c, 1);
				c++;
			}
		}
		p = stop;
	}
	return 1;
bad:
	o->len = start;
	o->buf[start] = 0;
	return 0;
}

/* Rust's v0 mangling (RFC 2603), the parts that name a function: crate
 * roots, nested paths, closures and shims ({closure#N}), impl paths
 * (<Type>, <Type as Trait>) with their types; generic arguments are
 * parsed and written "<...>", as for C++ (one function, one name, what
 * ever it was instantiated with). Punycode identifiers are not decoded:
 * such a symbol keeps its mangled name. */
struct v0 {
	const char *s;
	size_t i, n;
	struct out *o;
	int quiet, fail, depth;
	unsigned steps;		/* bounds the work backrefs can cause */
};

/* Nesting and total work allowed for one symbol: back references may
 * point at parts with back references of their own. */
#define V0_DEPTH_MAX 64
#define V0_STEPS_MAX 20000

/* Enters one level; fails the parse past the bounds. */
static int v0_enter(struct v0 *v)
{
	if (v->fail || ++v->depth > V0_DEPTH_MAX ||
	    ++v->steps > V0_STEPS_MAX) {
		v->fail = 1;
		return 0;
	}
	return 1;
}

static void v0_put(struct v0 *v, const char *t, size_t n)
{
	if (!v->quiet)
		put(v->o, t, n);
}

static int v0_peek(const struct v0 *v)
{
	return v->i < v->n ? v->s[v->i] : 0;
}

static int v0_eat(struct v0 *v, char c)
{
	if (v0_peek(v) == c) {
		v->i++;
		return 1;
	}
	return 0;
}

static uint64_t v0_base62(struct v0 *v)
{
	uint64_t x = 0;

	if (v0_eat(v, '_'))
		return 0;
	while (!v->fail) {
		int c = v0_peek(v), d;

		v->i++;
		if (c == '_')
			return x + 1;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'z')
			d = 10 + c - 'a';
		else if (c >= 'A' && c <= 'Z')
			d = 36 + c - 'A';
		else
			break;
		if (x > UINT64_MAX / 62)
			break;
		x = x * 62 + (uint64_t)d;
	}
	v->fail = 1;
	return 0;
}

static uint64_t v0_disambiguator(struct v0 *v)
{
	return v0_eat(v, 's') ? v0_base62(v) + 1 : 0;
}

/* An identifier: writes it (unless quiet) and returns its length. */
static size_t v0_ident(struct v0 *v, const char **at)
{
	unsigned long len = 0;
	int puny = v0_eat(v, 'u');

	(void)v0_disambiguator(v);
	if (v0_peek(v) < '0' || v0_peek(v) > '9') {
		v->fail = 1;
		return 0;
	}
	/* decimal-number: "0" alone, or no leading zero. */
	if (v0_eat(v, '0'))
		len = 0;
	else
		while (v0_peek(v) >= '0' && v0_peek(v) <= '9' &&
		       len < 100000)
			len = len * 10 + (unsigned long)(v->s[v->i++] - '0');
	(void)v0_eat(v, '_');
	if (puny || len > v->n - v->i) {
		v->fail = 1;
		return 0;
	}
	*at = v->s + v->i;
	v->i += len;
	return len;
}

static void v0_path(struct v0 *v);
static void v0_type(struct v0 *v);

static void v0_backref(struct v0 *v, void (*fn)(struct v0 *))
{
	size_t save, to = (size_t)v0_base62(v) + 2;

	if (!v0_enter(v) || to >= v->i) {
		v->fail = 1;
		return;
	}
	save = v->i;
	v->i = to;
	fn(v);
	v->i = save;
	v->depth--;
}

static void v0_const(struct v0 *v)
{
	if (v0_eat(v, 'p'))
		return;
	if (v0_eat(v, 'B')) {
		v0_backref(v, v0_const);
		return;
	}
	v0_type(v);
	(void)v0_eat(v, 'n');
	while (!v->fail && v0_peek(v) && v0_peek(v) != '_')
		v->i++;
	if (!v0_eat(v, '_'))
		v->fail = 1;
}

static void v0_generic_arg(struct v0 *v)
{
	if (v0_eat(v, 'L'))
		(void)v0_base62(v);
	else if (v0_eat(v, 'K'))
		v0_const(v);
	else
		v0_type(v);
}

static void v0_type(struct v0 *v)
{
	static const char basic[] = "abcdefhijlmnostuvxyzp";
	static const char *const names[] = {
		"i8", "bool", "char", "f64", "str", "f32", "u8", "isize",
		"usize", "i32", "u32", "i128", "u128", "i16", "u16", "()",
		"...", "i64", "u64", "!", "_",
	};
	int c = v0_peek(v);
	const char *b = c ? strchr(basic, c) : NULL;

	if (!v0_enter(v))
		return;
	if (b) {
		v->i++;
		v0_put(v, names[b - basic], strlen(names[b - basic]));
	} else if (v0_eat(v, 'R') || v0_eat(v, 'Q')) {
		v0_put(v, "&", 1);
		if (c == 'Q')
			v0_put(v, "mut ", 4);
		if (v0_eat(v, 'L'))
			(void)v0_base62(v);
		v0_type(v);
	} else if (v0_eat(v, 'P') || v0_eat(v, 'O')) {
		v0_put(v, c == 'P' ? "*const " : "*mut ", c == 'P' ? 7 : 5);
		v0_type(v);
	} else if (v0_eat(v, 'A') || v0_eat(v, 'S')) {
		v0_put(v, "[", 1);
		v0_type(v);
		if (c == 'A') {
			int q = v->quiet;

			v0_put(v, "; _", 3);
			v->quiet = 1;
			v0_const(v);
			v->quiet = q;
		}
		v0_put(v, "]", 1);
	} else if (v0_eat(v, 'T')) {
		v0_put(v, "(", 1);
		for (int k = 0; !v->fail && !v0_eat(v, 'E'); k++) {
			if (k)
				v0_put(v, ", ", 2);
			v0_type(v);
		}
		v0_put(v, ")", 1);
	} else if (v0_eat(v, 'F')) {
		int q = v->quiet;

		v0_put(v, "fn(...)", 7);
		v->quiet = 1;
		if (v0_eat(v, 'G'))
			(void)v0_base62(v);
		(void)v0_eat(v, 'U');
		if (v0_eat(v, 'K') && !v0_eat(v, 'C')) {
			const char *at;

			(void)v0_ident(v, &at);
		}
		while (!v->fail && !v0_eat(v, 'E'))
			v0_type(v);
		v0_type(v);
		v->quiet = q;
	} else if (v0_eat(v, 'D')) {
		v0_put(v, "dyn ", 4);
		if (v0_eat(v, 'G'))
			(void)v0_base62(v);
		for (int k = 0; !v->fail && !v0_eat(v, 'E'); k++) {
			if (k)
				v0_put(v, " + ", 3);
			v0_path(v);
			while (!v->fail && v0_eat(v, 'p')) {
				const char *at;
				int q = v->quiet;

				v->quiet = 1;
				(void)v0_ident(v, &at);
				v0_type(v);
				v->quiet = q;
			}
		}
		if (!v0_eat(v, 'L'))
			v->fail = 1;
		else
			(void)v0_base62(v);
	} else if (v0_eat(v, 'B')) {
		v0_backref(v, v0_type);
	} else {
		v0_path(v);
	}
	v->depth--;
}

static void v0_path(struct v0 *v)
{
	int c = v0_peek(v);
	const char *at = NULL;
	size_t len;

	if (!v0_enter(v))
		return;
	v->i++;
	switch (c) {
	case 'C':
		len = v0_ident(v, &at);
		v0_put(v, at, len);
		break;
	case 'N': {
		int ns = v0_peek(v);
		uint64_t dis;

		v->i++;
		v0_path(v);
		/* The identifier's disambiguator numbers closures. */
		dis = v0_peek(v) == 's' ? (v->i++, v0_base62(v) + 1) : 0;
		len = v0_ident(v, &at);
		if (ns >= 'A' && ns <= 'Z') {
			char num[32];

			v0_put(v, "::{", 3);
			if (ns == 'C')
				v0_put(v, "closure", 7);
			else if (ns == 'S')
				v0_put(v, "shim", 4);
			else
				v0_put(v, (const char *)&ns, 1);
			if (len) {
				v0_put(v, ":", 1);
				v0_put(v, at, len);
			}
			snprintf(num, sizeof num, "#%llu}",
				 (unsigned long long)dis);
			v0_put(v, num, strlen(num));
		} else if (len) {
			v0_put(v, "::", 2);
			v0_put(v, at, len);
		}
		break;
	}
	case 'M':
	case 'X': {
		int q = v->quiet;

		(void)v0_disambiguator(v);
		v->quiet = 1;
		v0_path(v);	/* the impl's own path: not shown */
		v->quiet = q;
		v0_put(v, "<", 1);
		v0_type(v);
		if (c == 'X') {
			v0_put(v, " as ", 4);
			v0_path(v);
		}
		v0_put(v, ">", 1);
		break;
	}
	case 'Y':
		v0_put(v, "<", 1);
		v0_type(v);
		v0_put(v, " as ", 4);
		v0_path(v);
		v0_put(v, ">", 1);
		break;
	case 'I': {
		int q = v->quiet;

		v0_path(v);
		v0_put(v, "<...>", 5);
		v->quiet = 1;
		while (!v->fail && !v0_eat(v, 'E'))
			v0_generic_arg(v);
		v->quiet = q;
		break;
	}
	case 'B':
		v0_backref(v, v0_path);
		break;
	default:
		v->fail = 1;
	}
	v->depth--;
}

/* Rust v0: writes the path into O; returns 1, or 0 (nothing written)
 * when SYM is not one this demangler reads. */
static int rust_v0(const char *sym, struct out *o)
{
	struct v0 v = { sym, 2, strlen(sym), o, 0, 0, 0, 0 };
	size_t start = o->len;

	if (strncmp(sym, "_R", 2) != 0)
		return 0;
	while (v0_peek(&v) >= '0' && v0_peek(&v) <= '9')
		v.i++;
	v0_path(&v);
	if (v.fail || o->cut) {
		o->len = start;
		o->buf[start] = 0;
		return 0;
	}
	return 1;
}

/* Go's generic functions carry their shape ("main.Map[go.shape.int]"):
 * written "[...]", as Go's tracebacks print them. */
static int go_shape(const char *sym, struct out *o)
{
	const char *open = strstr(sym, "[go.shape.");
	const char *close;
	size_t depth = 0;

	if (!open)
		return 0;
	for (close = open; *close; close++) {
		depth += *close == '[';
		depth -= *close == ']';
		if (!depth)
			break;
	}
	if (!*close)
		return 0;
	put(o, sym, (size_t)(open - sym));
	put(o, "[...]", 5);
	put(o, close + 1, strlen(close + 1));
	return 1;
}

/* tm__demangle_other writes RAW demangled as Rust (legacy or v0) or Go
 * generic names into OUT; returns the length, or 0 when RAW is none of
 * these. */
static int demangle_other(const char *raw, char *out, size_t cap)
{
	struct out o = { out, cap, 0, 0 };

	out[0] = 0;
	if (rust_legacy(raw, &o) || rust_v0(raw, &o) || go_shape(raw, &o))
		return o.cut ? -ENAMETOOLONG : (int)o.len;
	return 0;
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
	r = demangle_other(copy, out, cap);
	if (r != 0) {
		free(copy);
		return r;
	}
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

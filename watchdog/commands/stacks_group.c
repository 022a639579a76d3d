/* SPDX-License-Identifier: MIT */
/* stacks_group.c -- stack IDs, signatures and groups for `tmwatch stacks`.
 *
 * A group is one stack counter name of one program, summed over reports:
 * its ID is the first 8 characters of base64url(FNV-1a-64(name)), the
 * 8 hash bytes most significant first (docs/maintainers.md "Stack IDs":
 * stable, so an ID written in an issue keeps matching). The signature
 * drops offsets (":+N,+0xOFF") and so joins one crash site across
 * releases. Names are untrusted bytes: hashed and compared, shown only
 * through stacks_escape. Never prints.
 */
#define _GNU_SOURCE
#include "stacks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t stacks_fnv64(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void id_of_hash(uint64_t h, char out[9])
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				  "qrstuvwxyz0123456789-_";
	unsigned char b[9];

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(h >> (56 - 8 * i));
	b[8] = 0;
	/* 8 characters take 6 bytes: two full 3-byte groups. */
	for (int g = 0; g < 2; g++) {
		unsigned v = (unsigned)b[3 * g] << 16 |
			     (unsigned)b[3 * g + 1] << 8 | b[3 * g + 2];

		out[4 * g] = b64[v >> 18 & 63];
		out[4 * g + 1] = b64[v >> 12 & 63];
		out[4 * g + 2] = b64[v >> 6 & 63];
		out[4 * g + 3] = b64[v & 63];
	}
	out[8] = '\0';
}

void stacks_id(const char *s, size_t len, char out[9])
{
	id_of_hash(stacks_fnv64(s, len), out);
}

char *stacks_frame_func(const char *f)
{
	const char *c = strstr(f, ":+");

	return strndup(f, c ? (size_t)(c - f) : strlen(f));
}

char *stacks_signature(const char *name)
{
	size_t len = strlen(name);
	char *out = malloc(len + 1), *o = out;
	const char *p = name;
	int first = 1;

	if (!out)
		return NULL;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *cut = first ? NULL : memmem(p, n, ":+", 2);

		if (cut)
			n = (size_t)(cut - p);
		memcpy(o, p, n);
		o += n;
		if (!nl)
			break;
		*o++ = '\n';
		p = nl + 1;
		first = 0;
	}
	*o = '\0';
	return out;
}

int stacks_frame_is_valid(const char *f)
{
	for (const unsigned char *p = (const unsigned char *)f; *p; p++) {
		if (p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0xa6) {
			p += 2;	/* "…" */
			continue;
		}
		if (*p < 0x20 || *p > 0x7e)
			return 0;
	}
	return 1;
}

char *stacks_escape(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(4 * n + 1), *o = out;

	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0xa6) {
			memcpy(o, p, 3);
			o += 3;
			p += 2;
		} else if (*p < 0x20 || *p > 0x7e || *p == '`' ||
			   *p == '\\' || *p == '|') {
			o += sprintf(o, "\\x%02x", *p);
		} else {
			*o++ = (char)*p;
		}
	}
	*o = '\0';
	return out;
}

static int kv_add(struct stacks_kv **v, size_t *n, const char *key,
		  uint64_t add)
{
	size_t lo = 0, hi = *n;
	struct stacks_kv *nv;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp((*v)[mid].key, key);

		if (c == 0) {
			(*v)[mid].n = (*v)[mid].n + add < add ? UINT64_MAX :
				      (*v)[mid].n + add;
			return 0;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!(nv = realloc(*v, (*n + 1) * sizeof *nv)))
		return -ENOMEM;
	*v = nv;
	memmove(nv + lo + 1, nv + lo, (*n - lo) * sizeof *nv);
	if (!(nv[lo].key = strdup(key))) {
		memmove(nv + lo, nv + lo + 1, (*n - lo) * sizeof *nv);
		return -ENOMEM;
	}
	nv[lo].n = add;
	(*n)++;
	return 0;
}

static void kv_free(struct stacks_kv *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].key);
	free(v);
}

static void group_free(struct stacks_group *g)
{
	if (g->src)
		for (size_t j = 0; j < g->nframes; j++) {
			free(g->src[j].file);
			free(g->src[j].why);
			free(g->src[j].binary);
		}
	free(g->src);
	free(g->frames_buf);
	free(g->frames);
	free(g->symbols_version);
	kv_free(g->versions, g->nversions);
	kv_free(g->arches, g->narches);
	kv_free(g->days, g->ndays);
	free(g->claims);
	free(g->name);
	free(g->signature);
	free(g->program);
	free(g);
}

static struct stacks_group *group_new(const char *name, uint64_t h,
				      const char *program)
{
	struct stacks_group *g = calloc(1, sizeof *g);
	char *copy, *p;
	size_t cap = 0;

	if (!g)
		return NULL;
	g->hash = h;
	g->own_frame = -1;
	if (!(g->name = strdup(name)) || !(g->signature =
	    stacks_signature(name)) || !(g->program = strdup(program)))
		goto oom;
	id_of_hash(h, g->id);
	stacks_id(g->signature, strlen(g->signature), g->sig_id);
	/* Frames: the lines after the first, pointing into one copy. */
	if (!(copy = strdup(name)))
		goto oom;
	g->frames_buf = copy;
	p = strchr(copy, '\n');
	while (p) {
		char *line = p + 1, *nl = strchr(line, '\n');

		*p = '\0';
		if (g->nframes == cap) {
			char **nf = realloc(g->frames, (cap ? cap * 2 : 8) *
						       sizeof *nf);

			if (!nf)
				goto oom;
			g->frames = nf;
			cap = cap ? cap * 2 : 8;
		}
		g->frames[g->nframes++] = line;
		p = nl;
	}
	return g;
oom:
	group_free(g);
	return NULL;
}

static int grow(struct stacks_set *s)
{
	size_t nb = s->nbuckets ? s->nbuckets * 2 : 1024;
	struct stacks_group **b = calloc(nb, sizeof *b);

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		struct stacks_group *g = s->groups[i];

		g->next = b[g->hash & (nb - 1)];
		b[g->hash & (nb - 1)] = g;
	}
	free(s->buckets);
	s->buckets = b;
	s->nbuckets = nb;
	return 0;
}

int stacks_add(struct stacks_set *s, const char *name, const char *version,
	       const char *arch, const char *day, uint64_t n)
{
	size_t len = strlen(name);
	uint64_t h = stacks_fnv64(name, len);
	struct stacks_group *g = NULL;
	const char *program = s->program ? s->program : "";

	if (s->n >= s->nbuckets / 2 && grow(s))
		return -ENOMEM;
	for (g = s->buckets[h & (s->nbuckets - 1)]; g; g = g->next)
		if (g->hash == h && !strcmp(g->name, name))
			break;
	if (!g) {
		struct stacks_group **ng;

		if (!(g = group_new(name, h, program)))
			return -ENOMEM;
		if (s->n == s->gcap) {
			size_t nc = s->gcap ? s->gcap * 2 : 256;

			ng = realloc(s->groups, nc * sizeof *ng);
			if (!ng) {
				group_free(g);
				return -ENOMEM;
			}
			s->groups = ng;
			s->gcap = nc;
		}
		s->groups[s->n++] = g;
		g->next = s->buckets[h & (s->nbuckets - 1)];
		s->buckets[h & (s->nbuckets - 1)] = g;
	}
	g->total = g->total + n < n ? UINT64_MAX : g->total + n;
	if (kv_add(&g->versions, &g->nversions, version, n) ||
	    kv_add(&g->arches, &g->narches, arch, n) ||
	    kv_add(&g->days, &g->ndays, day, n))
		return -ENOMEM;
	if (!g->first_day[0] || strcmp(day, g->first_day) < 0)
		snprintf(g->first_day, sizeof g->first_day, "%s", day);
	if (strcmp(day, g->last_day) > 0)
		snprintf(g->last_day, sizeof g->last_day, "%s", day);
	return 0;
}

static int by_rank(const void *a, const void *b)
{
	const struct stacks_group *x = *(struct stacks_group *const *)a;
	const struct stacks_group *y = *(struct stacks_group *const *)b;

	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strcmp(x->id, y->id) ? strcmp(x->id, y->id) :
	       strcmp(x->name, y->name);
}

void stacks_rank(struct stacks_set *s)
{
	if (s->n)
		qsort(s->groups, s->n, sizeof *s->groups, by_rank);
}

void stacks_free(struct stacks_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		group_free(s->groups[i]);
	free(s->groups);
	free(s->buckets);
	for (size_t i = 0; i < s->ndays_read; i++)
		free(s->days_read[i]);
	free(s->days_read);
	s->groups = NULL;
	s->buckets = NULL;
	s->days_read = NULL;
	s->n = s->gcap = s->nbuckets = s->ndays_read = 0;
}

/* SPDX-License-Identifier: MIT */
/* counterparse.c -- read a v1 counter file into plain memory, validating
 * every offset, and expand Go's ditto-compressed stack counter names.
 *
 * The single validator for counter files (STYLE §4): it treats the bytes
 * as hostile, checks every length and offset before use, marks each
 * record it visits so no chain can loop, and rejects with TM_ECORRUPT and
 * a one-phrase reason. It reads files with read(), never mmap, so a file
 * truncated under it cannot SIGBUS the caller. Never prints. The format is
 * in docs/counter-file.md; the writer is counterfile.c. Also home of the
 * public tm_counter_file_foreach (include/tmwatch/counter.h).
 */
#define _GNU_SOURCE
#include "counterparse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "counterfile.h"
#include "tmwatch/counter.h"

/*
 * What the reader reads (host byte order; H = header length):
 *
 * offset      size  meaning (why it is checked)
 * 0           28    magic "# telemetry/counter file v1\n" (anything else
 *                   is not a v1 counter file)
 * 28          4     H: a multiple of 32 inside the file, leaving room for
 *                   the hash table in the first page (all later offsets
 *                   hang off it)
 * 32          H-32  metadata "Key: value\n" lines up to the first NUL
 *                   (every non-empty line needs ": ")
 * H           4     limit: 0 or an offset past the hash table and inside
 *                   the file (a writer grows the file before moving it, so
 *                   a limit past the end means the file was truncated)
 * H+4         2048  512 chain heads, each 0 or a record offset
 * record      16+n  count (8), n | 0xFF000000 (4), next (4), name (n):
 *                   32-byte aligned, at or after round_up(H+2052, 32), n in
 *                   1..4096, wholly inside the file, reached at most once;
 *                   next 0 ends the chain, and so does 0xFFFFFFFF (the dead
 *                   mark, which a live chain never contains)
 * Names must be unique across the file.
 */
#define CP_MAGIC "# telemetry/counter file v1\n"
#define CP_MAGIC_LEN 28u
#define CP_NBUCKET 512u
#define CP_UNIT 32u
#define CP_DEAD 0xFFFFFFFFu
/* Bounds on ditto expansion, which can multiply a name's size: generous
 * for real stacks, small enough that a hostile file cannot exhaust memory. */
#define CP_EXPAND_MAX (16u * TM__COUNTERFILE_MAX_NAME)
#define CP_EXPAND_SLACK (1u << 20)

struct raw_record {
	uint32_t off;
	uint32_t len;
};

static int corrupt(char *why, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int corrupt(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (why && cap) {
		va_start(ap, fmt);
		vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	return TM_ECORRUPT;
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static int add_meta(struct tm__parsed_file *out, const char *line,
		    size_t len, char *why, size_t whycap)
{
	const char *sep = memmem(line, len, ": ", 2);
	char **k, **v;

	if (!sep)
		return corrupt(why, whycap, "metadata line without ': '");
	k = realloc(out->meta_keys, (out->nmeta + 1) * sizeof(*k));
	if (!k)
		return -ENOMEM;
	out->meta_keys = k;
	v = realloc(out->meta_values, (out->nmeta + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	out->meta_values = v;
	k[out->nmeta] = strndup(line, (size_t)(sep - line));
	v[out->nmeta] = strndup(sep + 2, len - (size_t)(sep - line) - 2);
	out->nmeta++;
	if (!k[out->nmeta - 1] || !v[out->nmeta - 1])
		return -ENOMEM;
	return 0;
}

static int parse_meta(const unsigned char *d, uint32_t hdr_len,
		      struct tm__parsed_file *out, char *why, size_t whycap)
{
	const char *p = (const char *)d + 32;
	const char *end = (const char *)d + hdr_len;
	const char *nul = memchr(p, 0, (size_t)(end - p));
	const char *nl;
	int r;

	if (nul)
		end = nul;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (nl > p && (r = add_meta(out, p, (size_t)(nl - p), why,
					    whycap)) < 0)
			return r;
		p = nl + 1;
	}
	return 0;
}

static int is_set(const unsigned char *bits, uint32_t i)
{
	return bits[i / 8] & (1u << (i % 8));
}

/* Tells a cycle from a record shared by two chains, for the reason text:
 * re-walks the current chain (already validated) for STEPS records. */
static int on_chain(const unsigned char *d, uint32_t head, uint32_t steps,
		    uint32_t off)
{
	for (uint32_t i = 0; i < steps; i++) {
		if (head == off)
			return 1;
		head = get32(d + head + 12);
	}
	return 0;
}

static int walk_buckets(const unsigned char *d, size_t len, uint32_t hdr_len,
			uint32_t rec_start, unsigned char *seen,
			struct raw_record *recs, size_t *nrecs, char *why,
			size_t whycap)
{
	uint32_t head, off, n, steps;

	for (uint32_t b = 0; b < CP_NBUCKET; b++) {
		head = get32(d + hdr_len + 4 + 4 * b);
		off = head;
		steps = 0;
		while (off != 0 && off != CP_DEAD) {
			if (off % CP_UNIT)
				return corrupt(why, whycap,
					       "unaligned record pointer 0x%x "
					       "in bucket %u", off, b);
			if (off < rec_start)
				return corrupt(why, whycap,
					       "record pointer 0x%x into the "
					       "header or hash table (bucket "
					       "%u)", off, b);
			if ((uint64_t)off + 16 > len)
				return corrupt(why, whycap, "record at 0x%x "
					       "crosses end of file", off);
			if (is_set(seen, off / CP_UNIT)) {
				if (on_chain(d, head, steps, off))
					return corrupt(why, whycap,
						       "chain cycle in bucket "
						       "%u", b);
				return corrupt(why, whycap,
					       "record at 0x%x in two chains",
					       off);
			}
			seen[off / CP_UNIT / 8] |= 1u << (off / CP_UNIT % 8);
			n = get32(d + off + 8) & 0x00FFFFFFu;
			if (n == 0)
				return corrupt(why, whycap,
					       "zero-length name at 0x%x", off);
			if (n > TM__COUNTERFILE_MAX_NAME)
				return corrupt(why, whycap,
					       "name length %u over %u", n,
					       TM__COUNTERFILE_MAX_NAME);
			if ((uint64_t)off + 16 + n > len)
				return corrupt(why, whycap, "record at 0x%x "
					       "crosses end of file", off);
			recs[*nrecs].off = off;
			recs[*nrecs].len = n;
			(*nrecs)++;
			steps++;
			off = get32(d + off + 12);
		}
	}
	return 0;
}

static int cmp_record(const void *a, const void *b, void *data)
{
	const struct raw_record *x = a, *y = b;
	const unsigned char *d = data;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(d + x->off + 16, d + y->off + 16, x->len);
}

/* Expands Go's ditto compression (DecodeStack in golang.org/x/telemetry
 * internal/counter/stackcounter.go) of the name S[0..N): in a name with a
 * newline, a line whose text before its last '.' is exactly '"' takes the
 * path (through that '.') of the last line that had one. Lines without a
 * '.' or starting with it are kept and do not set the path. With OUT NULL
 * only measures. Returns the expanded length. */
static size_t expand(const unsigned char *s, size_t n, char *out)
{
	const unsigned char *path = NULL, *a = s, *b, *dot;
	size_t path_len = 0, o = 0;

	if (!memchr(s, '\n', n)) {
		if (out)
			memcpy(out, s, n);
		return n;
	}
	while (a <= s + n) {
		b = memchr(a, '\n', (size_t)(s + n - a));
		if (!b)
			b = s + n;
		dot = memrchr(a, '.', (size_t)(b - a));
		if (dot && dot == a + 1 && *a == '"') {
			if (out && path_len)
				memcpy(out + o, path, path_len);
			o += path_len;
			a = dot + 1; /* the rest of the line follows */
		} else if (dot && dot > a) {
			path = a;
			path_len = (size_t)(dot - a) + 1;
		}
		if (out)
			memcpy(out + o, a, (size_t)(b - a));
		o += (size_t)(b - a);
		if (b == s + n)
			break;
		if (out)
			out[o] = '\n';
		o++;
		a = b + 1;
	}
	return o;
}

static int build_counters(const unsigned char *d, size_t len,
			  const struct raw_record *recs, size_t nrecs,
			  struct tm__parsed_file *out, char *why,
			  size_t whycap)
{
	uint64_t total = 0;
	size_t n;

	out->counters = calloc(nrecs ? nrecs : 1, sizeof(*out->counters));
	if (!out->counters)
		return -ENOMEM;
	for (size_t i = 0; i < nrecs; i++) {
		const unsigned char *name = d + recs[i].off + 16;
		struct tm__parsed_counter *c = &out->counters[i];

		n = expand(name, recs[i].len, NULL);
		total += n;
		if (n > CP_EXPAND_MAX)
			return corrupt(why, whycap, "stack name at 0x%x "
				       "expands past %u bytes", recs[i].off,
				       CP_EXPAND_MAX);
		if (total > 8 * (uint64_t)len + CP_EXPAND_SLACK)
			return corrupt(why, whycap, "stack names expand past "
				       "%llu bytes", (unsigned long long)
				       (8 * (uint64_t)len + CP_EXPAND_SLACK));
		c->name = malloc(n + 1);
		if (!c->name)
			return -ENOMEM;
		expand(name, recs[i].len, c->name);
		c->name[n] = '\0';
		c->name_len = n;
		c->value = get64(d + recs[i].off);
		out->ncounters++;
	}
	return 0;
}

int tm__counterparse_buf(const void *data, size_t len,
			 struct tm__parsed_file *out, char *why, size_t whycap)
{
	const unsigned char *d = data;
	struct raw_record *recs = NULL, *sorted = NULL;
	unsigned char *seen = NULL;
	uint32_t hdr_len, rec_start, limit;
	size_t nrecs = 0;
	int r;

	if (!out)
		return TM_EINVAL;
	memset(out, 0, sizeof(*out));
	if (why && whycap)
		why[0] = '\0';
	if (!d && len)
		return TM_EINVAL;
	if (len < CP_MAGIC_LEN || memcmp(d, CP_MAGIC, CP_MAGIC_LEN) != 0)
		return corrupt(why, whycap, "wrong magic");
	if (len < TM__COUNTERFILE_PAGE)
		return corrupt(why, whycap, "file too short (%zu bytes)", len);
	if (len > TM__COUNTERFILE_MAX_SIZE)
		return corrupt(why, whycap, "file size %zu over the %u-byte "
			       "cap", len, TM__COUNTERFILE_MAX_SIZE);
	hdr_len = get32(d + 28);
	if (hdr_len > len)
		return corrupt(why, whycap, "header length %u past end of file "
			       "(%zu bytes)", hdr_len, len);
	if (hdr_len < 32 || hdr_len % CP_UNIT)
		return corrupt(why, whycap, "header length %u not a multiple "
			       "of 32", hdr_len);
	if (hdr_len + 4 + 4 * CP_NBUCKET > TM__COUNTERFILE_PAGE)
		return corrupt(why, whycap, "header length %u leaves no room "
			       "for the hash table", hdr_len);
	rec_start = (hdr_len + 4 + 4 * CP_NBUCKET + CP_UNIT - 1) / CP_UNIT *
		    CP_UNIT;
	limit = get32(d + hdr_len);
	if (limit > len)
		return corrupt(why, whycap, "limit 0x%x past end of file (%zu "
			       "bytes)", limit, len);
	if (limit != 0 && limit < rec_start)
		return corrupt(why, whycap, "limit 0x%x inside the header or "
			       "hash table", limit);

	if ((r = parse_meta(d, hdr_len, out, why, whycap)) < 0)
		goto fail;
	r = -ENOMEM;
	seen = calloc(len / CP_UNIT / 8 + 1, 1);
	/* Each record is reached at most once, so there are at most as many
	 * as 32-byte units in the file. */
	recs = malloc((len / CP_UNIT + 1) * sizeof(*recs));
	if (!seen || !recs)
		goto fail;
	r = walk_buckets(d, len, hdr_len, rec_start, seen, recs, &nrecs, why,
			 whycap);
	if (r < 0)
		goto fail;

	r = -ENOMEM;
	sorted = malloc((nrecs ? nrecs : 1) * sizeof(*sorted));
	if (!sorted)
		goto fail;
	memcpy(sorted, recs, nrecs * sizeof(*sorted));
	qsort_r(sorted, nrecs, sizeof(*sorted), cmp_record, (void *)d);
	for (size_t i = 1; i < nrecs; i++) {
		if (cmp_record(&sorted[i - 1], &sorted[i], (void *)d) == 0) {
			r = corrupt(why, whycap, "duplicate counter name");
			goto fail;
		}
	}
	if ((r = build_counters(d, len, recs, nrecs, out, why, whycap)) < 0)
		goto fail;
	r = 0;
fail:
	free(sorted);
	free(recs);
	free(seen);
	if (r < 0)
		tm__counterparse_free(out);
	return r;
}

/* Reads the whole file into a malloc'd buffer, up to EOF rather than to
 * the size fstat saw: a writer grows the file before it moves "limit", so
 * reading to EOF guarantees every claimed record is inside the buffer. */
static int slurp(int fd, unsigned char **buf, size_t *len, char *why,
		 size_t whycap)
{
	const size_t cap_max = (size_t)TM__COUNTERFILE_MAX_SIZE + 1;
	struct stat st;
	unsigned char *b, *nb;
	size_t cap, n = 0;
	ssize_t got;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return corrupt(why, whycap, "not a regular file");
	if ((uint64_t)st.st_size > TM__COUNTERFILE_MAX_SIZE)
		return corrupt(why, whycap, "file size %llu over the %u-byte "
			       "cap", (unsigned long long)st.st_size,
			       TM__COUNTERFILE_MAX_SIZE);
	cap = (size_t)st.st_size + TM__COUNTERFILE_PAGE;
	if (cap > cap_max)
		cap = cap_max;
	b = malloc(cap);
	if (!b)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			if (cap >= cap_max) {
				free(b);
				return corrupt(why, whycap, "file size over "
					       "the %u-byte cap",
					       TM__COUNTERFILE_MAX_SIZE);
			}
			cap = cap * 2 > cap_max ? cap_max : cap * 2;
			nb = realloc(b, cap);
			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
		}
		got = read(fd, b + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = -errno;

			free(b);
			return e;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	*buf = b;
	*len = n;
	return 0;
}

int tm__counterparse_path(const char *path, struct tm__parsed_file *out,
			  char *why, size_t whycap)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int fd, r = 0;

	if (!out)
		return TM_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!path)
		return TM_EINVAL;
	/* Two tries: read() is not atomic against a writer's stores, so a
	 * live file can, very rarely, be copied with a torn chain pointer.
	 * A really corrupt file fails twice. */
	for (int attempt = 0; attempt < 2; attempt++) {
		/* O_NONBLOCK: a FIFO planted at PATH must not hang us. */
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			return -errno;
		r = slurp(fd, &buf, &len, why, whycap);
		close(fd);
		if (r < 0)
			return r;
		r = tm__counterparse_buf(buf, len, out, why, whycap);
		free(buf);
		buf = NULL;
		if (r != TM_ECORRUPT)
			break;
	}
	return r;
}

const char *tm__parsed_meta(const struct tm__parsed_file *f, const char *key)
{
	if (!f || !key)
		return NULL;
	for (size_t i = f->nmeta; i-- > 0;) {
		if (strcmp(f->meta_keys[i], key) == 0)
			return f->meta_values[i];
	}
	return NULL;
}

void tm__counterparse_free(struct tm__parsed_file *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nmeta; i++) {
		if (f->meta_keys)
			free(f->meta_keys[i]);
		if (f->meta_values)
			free(f->meta_values[i]);
	}
	free(f->meta_keys);
	free(f->meta_values);
	for (size_t i = 0; i < f->ncounters; i++)
		free(f->counters[i].name);
	free(f->counters);
	memset(f, 0, sizeof(*f));
}

/* Public: see include/tmwatch/counter.h. Any thread; not in a signal
 * handler; costs one read of the file and a copy of every name. */
TM_API int tm_counter_file_foreach(const char *path, tm_counter_visit_fn fn,
				   void *arg)
{
	struct tm__parsed_file pf;
	struct tm_counter_entry e;
	int r;

	if (!path || !fn)
		return TM_EINVAL;
	r = tm__counterparse_path(path, &pf, NULL, 0);
	if (r < 0)
		return r;
	for (size_t i = 0; i < pf.ncounters && r == 0; i++) {
		e.name = pf.counters[i].name;
		e.name_len = pf.counters[i].name_len;
		e.value = pf.counters[i].value;
		r = fn(&e, arg);
	}
	tm__counterparse_free(&pf);
	return r;
}

/* SPDX-License-Identifier: MIT */
/* report.c -- build weekly reports from counter files; read, write and
 * filter report JSON.
 *
 * Owns DESIGN §8.1: which counter files are due, how they merge (one
 * Programs[] entry per program identity, counts summed, saturating), the
 * durable write before any counter file is deleted, the daily token and
 * the upload candidate (mode on only, configs applied, the mode date rule,
 * the 21-day limit). The report reader is the one validator of report JSON
 * (fuzzed by tests/fuzz/fuzz_report.c) and also serves tmwatch-collector.
 * Never prints: actions go to the caller's tm__log_fn. Layout of the store
 * and of the JSON: docs/upload.md.
 *
 * Report JSON (Go telemetry's, field for field):
 *
 *   field      type            meaning
 *   Week       "YYYY-MM-DD"    day the week ended (counter files' TimeEnd)
 *   LastWeek   "YYYY-MM-DD"|"" Week of the newest report uploaded before
 *   X          number [0,1)    random; a counter is sent when X <= Rate
 *   Programs   array           one per Program/Version/GoVersion/GOOS/GOARCH
 *     Counters {name: count}   plain counters
 *     Stacks   {name: count}   names containing '\n' (crash/crash …)
 *   Config     string          versions of the upload configs applied
 */
#define _GNU_SOURCE
#include "report.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "counterfile.h"
#include "counterparse.h"
#include "dailytoken.h"
#include "fsutil.h"
#include "mode.h"
#include "paths.h"
#include "tmwatch/common.h"

#define MAX_COUNT_FILES 100000
/* How long a newly closed counter file is left before it is read: a writer
 * that saw it open may be between that check and its atomic add
 * (store.c); only a preempted writer takes longer than a few ns. */
#define CLOSE_GRACE_MS 500
#define LOCK_WAIT_MS 60000
/* Room for the store path (< 4096) plus a file name. */
#define PATHCAP 4400

static int bad(char *why, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (why && cap) {
		va_start(ap, fmt);
		vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	return TM_EBADREPORT;
}

/* ---- memory ---------------------------------------------------------- */

static void free_counters(struct tm__report_counter *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

static void free_program(struct tm__report_program *p)
{
	free(p->program);
	free(p->version);
	free(p->goversion);
	free(p->goos);
	free(p->goarch);
	free_counters(p->counters, p->ncounters);
	free_counters(p->stacks, p->nstacks);
	memset(p, 0, sizeof *p);
}

void tm__report_free(struct tm__report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nprograms; i++)
		free_program(&r->programs[i]);
	free(r->programs);
	free(r->config);
	memset(r, 0, sizeof *r);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static int cmp_counter(const void *a, const void *b)
{
	return strcmp(((const struct tm__report_counter *)a)->name,
		      ((const struct tm__report_counter *)b)->name);
}

/* Sort V by name and sum equal names; returns the new length. */
static size_t sort_merge(struct tm__report_counter *v, size_t n)
{
	size_t w = 0;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, cmp_counter);
	for (size_t i = 1; i < n; i++) {
		if (!strcmp(v[i].name, v[w].name)) {
			v[w].count = sat_add(v[w].count, v[i].count);
			free(v[i].name);
		} else {
			v[++w] = v[i];
		}
	}
	return w + 1;
}

static int push(struct tm__report_counter **v, size_t *n, size_t *cap,
		const char *name, size_t len, uint64_t count)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct tm__report_counter *nv = realloc(*v, nc * sizeof *nv);

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = nc;
	}
	(*v)[*n].name = strndup(name, len);
	if (!(*v)[*n].name)
		return -ENOMEM;
	(*v)[*n].count = count;
	(*n)++;
	return 0;
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

static int cmp_program(const void *a, const void *b)
{
	const struct tm__report_program *x = a, *y = b;
	int c;

	if ((c = strcmp(x->program, y->program)) ||
	    (c = strcmp(x->version, y->version)) ||
	    (c = strcmp(x->goversion, y->goversion)) ||
	    (c = strcmp(x->goos, y->goos)))
		return c;
	return strcmp(x->goarch, y->goarch);
}

/* ---- JSON reader ----------------------------------------------------- */

static int is_date(const char *s)
{
	time_t t;
	char back[11];

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	if (tm__clock_parse(s, &t))
		return 0;
	tm__clock_date(t, back);
	return !strcmp(back, s);
}

static int get_str(const cJSON *obj, const char *key, int required,
		   char **out, const char *where, char *why, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!v && !required) {
		*out = strdup("");
		return *out ? 0 : -ENOMEM;
	}
	if (!cJSON_IsString(v) || strlen(v->valuestring) > TM__REPORT_MAX_FIELD)
		return bad(why, cap, "%s%s: must be a string of at most %d "
			   "bytes", where, key, TM__REPORT_MAX_FIELD);
	*out = strdup(v->valuestring);
	return *out ? 0 : -ENOMEM;
}

static int get_counts(const cJSON *obj, const char *key, int stacks,
		      struct tm__report_counter **out, size_t *nout,
		      const char *where, char *why, size_t cap)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, key);
	const cJSON *it;
	size_t n = 0, c = 0;
	int rc;

	*out = NULL;
	*nout = 0;
	if (!m || cJSON_IsNull(m))
		return 0;
	if (!cJSON_IsObject(m))
		return bad(why, cap, "%s%s: must be an object", where, key);
	cJSON_ArrayForEach(it, m) {
		double d = it->valuedouble;
		size_t len = strlen(it->string);
		int is_cap;

		if (len == 0 || len > TM__REPORT_MAX_NAME) {
			rc = bad(why, cap, "%s%s: name empty or too long",
				 where, key);
			goto fail;
		}
		if (!stacks != !strchr(it->string, '\n')) {
			rc = bad(why, cap, "%s%s: '%.60s': %s", where, key,
				 it->string, stacks ? "a stack needs a newline"
				 : "a counter must be one line");
			goto fail;
		}
		/* Our writer caps counts at INT64_MAX (Go's int64), which
		 * a double rounds up to 2^63: that is the cap, or one
		 * saturated counter would set the whole week aside. */
		is_cap = cJSON_IsNumber(it) && d == 9223372036854775808.0;
		/* Range first: casting an out-of-range double is undefined. */
		if (!is_cap && (!cJSON_IsNumber(it) ||
				!(d >= 0 && d <= 9.2e18) ||
				d != (double)(int64_t)d)) {
			rc = bad(why, cap, "%s%s: '%.60s': count must be a "
				 "non-negative integer", where, key,
				 it->string);
			goto fail;
		}
		rc = push(out, &n, &c, it->string, len,
			  is_cap ? (uint64_t)INT64_MAX : (uint64_t)d);
		if (rc)
			goto fail;
	}
	*nout = n;
	if (n > 1) {
		qsort(*out, n, sizeof **out, cmp_counter);
		for (size_t i = 1; i < n; i++)
			if (!strcmp((*out)[i - 1].name, (*out)[i].name)) {
				rc = bad(why, cap, "%s%s: '%.60s' appears "
					 "twice", where, key, (*out)[i].name);
				goto fail;
			}
	}
	return 0;
fail:
	free_counters(*out, n);
	*out = NULL;
	*nout = 0;
	return rc;
}

static int check_keys(const cJSON *obj, const char *const *keys,
		      const char **badkey)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, obj) {
		size_t i;

		for (i = 0; keys[i]; i++)
			if (!strcmp(it->string, keys[i]))
				break;
		if (!keys[i]) {
			*badkey = it->string;
			return -1;
		}
	}
	return 0;
}

static int parse_program(const cJSON *o, size_t i,
			 struct tm__report_program *p, char *why, size_t cap)
{
	static const char *const keys[] = { "Program", "Version", "GoVersion",
		"GOOS", "GOARCH", "Counters", "Stacks", NULL };
	char where[48];
	const char *badkey;
	int rc;

	snprintf(where, sizeof where, "Programs[%zu].", i);
	if (!cJSON_IsObject(o))
		return bad(why, cap, "Programs[%zu]: must be an object", i);
	if (check_keys(o, keys, &badkey))
		return bad(why, cap, "%s%.60s: unknown field", where, badkey);
	if ((rc = get_str(o, "Program", 1, &p->program, where, why, cap)) ||
	    (rc = get_str(o, "Version", 0, &p->version, where, why, cap)) ||
	    (rc = get_str(o, "GoVersion", 0, &p->goversion, where, why, cap)) ||
	    (rc = get_str(o, "GOOS", 0, &p->goos, where, why, cap)) ||
	    (rc = get_str(o, "GOARCH", 0, &p->goarch, where, why, cap)))
		return rc;
	if (!*p->program || strchr(p->program, '/'))
		return bad(why, cap, "%sProgram: must be a file name", where);
	if ((rc = get_counts(o, "Counters", 0, &p->counters, &p->ncounters,
			     where, why, cap)))
		return rc;
	return get_counts(o, "Stacks", 1, &p->stacks, &p->nstacks, where,
			  why, cap);
}

int tm__report_parse(const char *json, size_t len, struct tm__report *out,
		     char *why, size_t whycap)
{
	static const char *const keys[] = { "Week", "LastWeek", "X",
		"Programs", "Config", NULL };
	const cJSON *week, *last, *x, *progs, *cfg, *it;
	const char *badkey;
	cJSON *root;
	size_t i = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if (why && whycap)
		why[0] = '\0';
	root = cJSON_ParseWithLength(json, len);
	if (!root)
		return bad(why, whycap, "not valid JSON");
	if (!cJSON_IsObject(root)) {
		rc = bad(why, whycap, "must be a JSON object");
		goto out;
	}
	if (check_keys(root, keys, &badkey)) {
		rc = bad(why, whycap, "%.60s: unknown field", badkey);
		goto out;
	}
	week = cJSON_GetObjectItemCaseSensitive(root, "Week");
	last = cJSON_GetObjectItemCaseSensitive(root, "LastWeek");
	x = cJSON_GetObjectItemCaseSensitive(root, "X");
	progs = cJSON_GetObjectItemCaseSensitive(root, "Programs");
	cfg = cJSON_GetObjectItemCaseSensitive(root, "Config");
	if (!cJSON_IsString(week) || !is_date(week->valuestring)) {
		rc = bad(why, whycap, "Week: must be a date YYYY-MM-DD");
		goto out;
	}
	if (last && (!cJSON_IsString(last) || (*last->valuestring &&
					       !is_date(last->valuestring)))) {
		rc = bad(why, whycap, "LastWeek: must be empty or a date");
		goto out;
	}
	if (!cJSON_IsNumber(x) || !(x->valuedouble >= 0) ||
	    !(x->valuedouble < 1)) {
		rc = bad(why, whycap, "X: must be a number in [0,1)");
		goto out;
	}
	if (cfg && (!cJSON_IsString(cfg) ||
		    strlen(cfg->valuestring) > 4 * TM__REPORT_MAX_FIELD)) {
		rc = bad(why, whycap, "Config: must be a short string");
		goto out;
	}
	if (!cJSON_IsArray(progs) && !cJSON_IsNull(progs)) {
		rc = bad(why, whycap, "Programs: must be an array");
		goto out;
	}
	if (cJSON_GetArraySize(progs) > TM__REPORT_MAX_PROGRAMS) {
		rc = bad(why, whycap, "Programs: more than %d entries",
			 TM__REPORT_MAX_PROGRAMS);
		goto out;
	}
	memcpy(out->week, week->valuestring, 11);
	if (last)
		snprintf(out->last_week, sizeof out->last_week, "%s",
			 last->valuestring);
	out->x = x->valuedouble;
	out->config = strdup(cfg ? cfg->valuestring : "");
	out->programs = calloc((size_t)cJSON_GetArraySize(progs) + 1,
			       sizeof *out->programs);
	if (!out->config || !out->programs) {
		rc = -ENOMEM;
		goto out;
	}
	cJSON_ArrayForEach(it, progs) {
		out->nprograms = i + 1;
		rc = parse_program(it, i, &out->programs[i], why, whycap);
		if (rc)
			goto out;
		i++;
	}
	for (i = 1; i < out->nprograms; i++)
		for (size_t j = 0; j < i; j++)
			if (!cmp_program(&out->programs[i],
					 &out->programs[j])) {
				rc = bad(why, whycap, "Programs[%zu]: same "
					 "program as Programs[%zu]", i, j);
				goto out;
			}
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc)
		tm__report_free(out);
	return rc;
}

/* ---- JSON writer ----------------------------------------------------- */

static cJSON *counts_json(const struct tm__report_counter *v, size_t n)
{
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; o && i < n; i++) {
		char num[24];
		cJSON *raw;

		/* Raw keeps counts exact: a double would round above 2^53.
		 * Go's int64 caps at INT64_MAX. */
		snprintf(num, sizeof num, "%" PRIu64,
			 v[i].count > INT64_MAX ? (uint64_t)INT64_MAX :
			 v[i].count);
		raw = cJSON_CreateRaw(num);
		if (!raw) {
			cJSON_Delete(o);
			return NULL;
		}
		cJSON_AddItemToObject(o, v[i].name, raw);
	}
	return o;
}

int tm__report_format(const struct tm__report *r, char **out, size_t *len)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *progs;
	struct tm__report_program *sorted = NULL;
	int rc = -ENOMEM;

	*out = NULL;
	if (!root)
		return -ENOMEM;
	if (!cJSON_AddStringToObject(root, "Week", r->week) ||
	    !cJSON_AddStringToObject(root, "LastWeek", r->last_week) ||
	    !cJSON_AddNumberToObject(root, "X", r->x) ||
	    !(progs = cJSON_AddArrayToObject(root, "Programs")))
		goto out;
	if (r->nprograms) {
		sorted = malloc(r->nprograms * sizeof *sorted);
		if (!sorted)
			goto out;
		memcpy(sorted, r->programs, r->nprograms * sizeof *sorted);
		qsort(sorted, r->nprograms, sizeof *sorted, cmp_program);
	}
	for (size_t i = 0; i < r->nprograms; i++) {
		const struct tm__report_program *p = &sorted[i];
		cJSON *o = cJSON_CreateObject(), *c, *s;

		if (!o)
			goto out;
		cJSON_AddItemToArray(progs, o);
		if (!cJSON_AddStringToObject(o, "Program", nz(p->program)) ||
		    !cJSON_AddStringToObject(o, "Version", nz(p->version)) ||
		    !cJSON_AddStringToObject(o, "GoVersion",
					     nz(p->goversion)) ||
		    !cJSON_AddStringToObject(o, "GOOS", nz(p->goos)) ||
		    !cJSON_AddStringToObject(o, "GOARCH", nz(p->goarch)))
			goto out;
		c = counts_json(p->counters, p->ncounters);
		s = counts_json(p->stacks, p->nstacks);
		if (!c || !s) {
			cJSON_Delete(c);
			cJSON_Delete(s);
			goto out;
		}
		cJSON_AddItemToObject(o, "Counters", c);
		cJSON_AddItemToObject(o, "Stacks", s);
	}
	if (!cJSON_AddStringToObject(root, "Config", nz(r->config)))
		goto out;
	*out = cJSON_Print(root);
	if (*out) {
		if (len)
			*len = strlen(*out);
		rc = 0;
	}
out:
	free(sorted);
	cJSON_Delete(root);
	return rc;
}

/* ---- filtering by upload configs ------------------------------------- */

/* cut_stack keeps the first line and DEPTH frames of NAME; the length. */
static size_t cut_stack(const char *name, int depth)
{
	const char *p = strchr(name, '\n');
	int frames = 0;

	while (p) {
		const char *nl = strchr(p + 1, '\n');

		if (++frames > depth)
			return (size_t)(p - name);
		p = nl;
	}
	return strlen(name);
}

static int filter_program(const struct tm__report *in,
			  const struct tm__report_program *p,
			  const struct tm__upload_config *const *cfgs,
			  size_t ncfg, int *used, struct tm__report_program *o)
{
	size_t cc = 0, sc = 0;
	int rc;

	for (size_t i = 0; i < p->ncounters; i++) {
		int keep = 0;

		for (size_t k = 0; k < ncfg; k++) {
			const struct tm__uc_program *cp;
			const struct tm__uc_counter *r;

			if (in->x > cfgs[k]->sample_rate)
				continue;
			cp = tm__uploadconfig_program(cfgs[k], p->program,
						      p->version);
			r = cp ? tm__uploadconfig_counter(cp,
					p->counters[i].name) : NULL;
			if (r && in->x <= r->rate) {
				keep = 1;
				used[k] = 1;
			}
		}
		if (keep && (rc = push(&o->counters, &o->ncounters, &cc,
				       p->counters[i].name,
				       strlen(p->counters[i].name),
				       p->counters[i].count)))
			return rc;
	}
	for (size_t i = 0; i < p->nstacks; i++) {
		int depth = 0;

		for (size_t k = 0; k < ncfg; k++) {
			const struct tm__uc_program *cp;
			const struct tm__uc_stack *r;

			if (in->x > cfgs[k]->sample_rate)
				continue;
			cp = tm__uploadconfig_program(cfgs[k], p->program,
						      p->version);
			r = cp ? tm__uploadconfig_stack(cp,
					p->stacks[i].name) : NULL;
			if (r && in->x <= r->rate && r->depth > depth) {
				depth = r->depth;
				used[k] = 1;
			}
		}
		if (depth && (rc = push(&o->stacks, &o->nstacks, &sc,
					p->stacks[i].name,
					cut_stack(p->stacks[i].name, depth),
					p->stacks[i].count)))
			return rc;
	}
	o->ncounters = sort_merge(o->counters, o->ncounters);
	o->nstacks = sort_merge(o->stacks, o->nstacks);
	return 0;
}

static int copy_identity(const struct tm__report_program *p,
			 struct tm__report_program *o)
{
	o->program = strdup(nz(p->program));
	o->version = strdup(nz(p->version));
	o->goversion = strdup(nz(p->goversion));
	o->goos = strdup(nz(p->goos));
	o->goarch = strdup(nz(p->goarch));
	return o->program && o->version && o->goversion && o->goos &&
	       o->goarch ? 0 : -ENOMEM;
}

static char *join_versions(const struct tm__upload_config *const *cfgs,
			   size_t ncfg, const int *used)
{
	size_t len = 1;
	char *s;

	for (size_t k = 0; k < ncfg; k++)
		if (used[k])
			len += strlen(cfgs[k]->version) + 1;
	s = calloc(1, len);
	if (!s)
		return NULL;
	for (size_t k = 0; k < ncfg; k++) {
		int dup = 0;

		if (!used[k])
			continue;
		for (size_t j = 0; j < k; j++)
			if (used[j] && !strcmp(cfgs[j]->version,
					       cfgs[k]->version))
				dup = 1;
		if (dup)
			continue;
		if (*s)
			strcat(s, ",");
		strcat(s, cfgs[k]->version);
	}
	return s;
}

int tm__report_filter(const struct tm__report *in,
		      const struct tm__upload_config *const *cfgs, size_t ncfg,
		      struct tm__report *out)
{
	int *used = calloc(ncfg + 1, sizeof *used);
	int rc = -ENOMEM;

	memset(out, 0, sizeof *out);
	if (!used)
		return -ENOMEM;
	memcpy(out->week, in->week, sizeof out->week);
	memcpy(out->last_week, in->last_week, sizeof out->last_week);
	out->x = in->x;
	out->programs = calloc(in->nprograms + 1, sizeof *out->programs);
	if (!out->programs)
		goto out;
	for (size_t i = 0; i < in->nprograms; i++) {
		struct tm__report_program *o = &out->programs[out->nprograms];

		rc = filter_program(in, &in->programs[i], cfgs, ncfg, used, o);
		if (!rc && (o->ncounters || o->nstacks))
			rc = copy_identity(&in->programs[i], o);
		if (o->ncounters || o->nstacks || o->program)
			out->nprograms++;
		else
			free_program(o);
		if (rc)
			goto out;
	}
	out->config = join_versions(cfgs, ncfg, used);
	rc = out->config ? 0 : -ENOMEM;
out:
	free(used);
	if (rc)
		tm__report_free(out);
	return rc;
}

double tm__report_random_x(void)
{
	uint64_t r = 0;
	size_t got = 0;

	/* getrandom(2) on the urandom pool; it only blocks before the pool
	 * is first initialised, early at boot. */
	while (got < sizeof r) {
		ssize_t n = getrandom((char *)&r + got, sizeof r - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return (double)(r >> 11) * 0x1.0p-53;
}

long tm__report_week_age_days(const char *week, time_t now)
{
	time_t t;

	if (!is_date(week) || tm__clock_parse(week, &t))
		return -1;
	if (now < t)
		return 0;
	return (long)((now - t) / 86400);
}

/* ---- the store rule for reports and uploads ------------------------- */

int tm__report_check_dir(const char *store, const char *sub, char *bad,
			 size_t badcap)
{
	char copy[256], *save = NULL, *part;
	size_t used;
	int fd, next, rc = 0;

	if (bad && badcap)
		snprintf(bad, badcap, "%s", store);
	if (strlen(sub) >= sizeof copy)
		return -ENAMETOOLONG;
	snprintf(copy, sizeof copy, "%s", sub);
	/* T may be a symlink the user made; what is under it may not. */
	fd = tm__fs_open_dir(AT_FDCWD, store, 0);
	used = strlen(store);
	for (part = strtok_r(copy, "/", &save); fd >= 0 && part;
	     part = strtok_r(NULL, "/", &save)) {
		if (bad && badcap && used < badcap)
			used += (size_t)snprintf(bad + used, badcap - used,
						 "/%s", part);
		next = tm__fs_open_dir(fd, part, 1);
		close(fd);
		fd = next;
	}
	if (fd < 0)
		rc = fd;
	else
		close(fd);
	return rc;
}

int tm__report_file_ok(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return TM_EUNSAFE;
	return tm__fs_check_owner(&st);
}

void tm__report_unsafe_line(tm__log_fn log, void *arg, const char *bad)
{
	tm__logf(log, arg, "'%s' is a symbolic link, owned by another user "
		 "or writable by others; no report is built or sent from it: "
		 "make it yours (chown, chmod go-w) or set TMWATCH_DIR", bad);
}

int tm__report_check_store(const char *store, tm__log_fn log, void *arg)
{
	static const char *const subs[] = { "local", "upload",
					    "local/rejected" };
	char bad[PATHCAP];

	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		int rc = tm__report_check_dir(store, subs[i], bad,
					      sizeof bad);

		if (rc == -ENOENT)
			continue;
		if (rc == TM_EUNSAFE)
			tm__report_unsafe_line(log, arg, bad);
		else if (rc)
			tm__logf(log, arg, "cannot open '%s': %s", bad,
				 tm_strerror(rc));
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- building -------------------------------------------------------- */

struct countfile {
	char *name;		/* file name in local/ */
	struct tm__parsed_file pf;
	char week[11];
	char begin[11];
	int closed_now;		/* this run closed it: read it again */
};

struct acc {			/* one Programs[] entry being merged */
	struct tm__report_program p;
	size_t ccap, scap;
};

void tm__report_result_free(struct tm__report_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->npaths; i++)
		free(res->paths[i]);
	free(res->paths);
	memset(res, 0, sizeof *res);
}

static int add_path(struct tm__report_result *res, const char *path)
{
	char **np = realloc(res->paths, (res->npaths + 1) * sizeof *np);

	if (!np)
		return -ENOMEM;
	res->paths = np;
	np[res->npaths] = strdup(path);
	if (!np[res->npaths])
		return -ENOMEM;
	res->npaths++;
	return 0;
}

static int exists(const char *dir, const char *a, const char *b)
{
	char path[PATHCAP];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s%s", dir, a, b);
	return stat(path, &st) == 0;
}

/* merge adds the counters of the files F[0..N) selected by PICK into R. */
static int merge(struct countfile **f, size_t n, const int *pick,
		 struct tm__report *r)
{
	struct acc *acc = NULL;
	size_t nacc = 0;
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++) {
		const struct tm__parsed_file *pf = &f[i]->pf;
		struct tm__report_program key = {
			.program = (char *)nz(tm__parsed_meta(pf, "Program")),
			.version = (char *)nz(tm__parsed_meta(pf, "Version")),
			.goversion = (char *)nz(tm__parsed_meta(pf,
								"GoVersion")),
			.goos = (char *)nz(tm__parsed_meta(pf, "GOOS")),
			.goarch = (char *)nz(tm__parsed_meta(pf, "GOARCH")),
		};
		struct acc *a = NULL;

		if (pick && !pick[i])
			continue;
		if (pf->ncounters == 0)
			continue;
		/* Files come sorted by name, which starts with the program:
		 * try the newest entry first, so the merge stays linear. */
		if (nacc && !cmp_program(&acc[nacc - 1].p, &key))
			a = &acc[nacc - 1];
		for (size_t k = 0; !a && k < nacc; k++)
			if (!cmp_program(&acc[k].p, &key))
				a = &acc[k];
		if (!a) {
			struct acc *na = realloc(acc, (nacc + 1) * sizeof *na);

			if (!na) {
				rc = -ENOMEM;
				break;
			}
			acc = na;
			a = &acc[nacc++];
			memset(a, 0, sizeof *a);
			if ((rc = copy_identity(&key, &a->p)))
				break;
		}
		for (size_t c = 0; c < pf->ncounters && !rc; c++) {
			const struct tm__parsed_counter *pc = &pf->counters[c];
			size_t len = strnlen(pc->name, pc->name_len);

			if (memchr(pc->name, '\n', len))
				rc = push(&a->p.stacks, &a->p.nstacks,
					  &a->scap, pc->name, len, pc->value);
			else
				rc = push(&a->p.counters, &a->p.ncounters,
					  &a->ccap, pc->name, len, pc->value);
		}
	}
	r->programs = calloc(nacc + 1, sizeof *r->programs);
	if (!r->programs)
		rc = -ENOMEM;
	for (size_t k = 0; k < nacc; k++) {
		acc[k].p.ncounters = sort_merge(acc[k].p.counters,
						acc[k].p.ncounters);
		acc[k].p.nstacks = sort_merge(acc[k].p.stacks,
					      acc[k].p.nstacks);
		if (r->programs)
			r->programs[r->nprograms++] = acc[k].p;
		else
			free_program(&acc[k].p);
	}
	free(acc);
	if (!r->programs)
		return -ENOMEM;
	qsort(r->programs, r->nprograms, sizeof *r->programs, cmp_program);
	return rc;
}

/* last_week finds the newest Week uploaded before WEEK (upload/W.json). */
static void last_week(const char *store, const char *week, char out[11])
{
	char dir[PATHCAP];
	struct dirent *de;
	DIR *d;

	out[0] = '\0';
	snprintf(dir, sizeof dir, "%s/upload", store);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char date[11];

		if (strlen(de->d_name) != 15 ||
		    strcmp(de->d_name + 10, ".json"))
			continue;
		memcpy(date, de->d_name, 10);
		date[10] = '\0';
		if (is_date(date) && strcmp(date, week) < 0 &&
		    strcmp(date, out) > 0)
			memcpy(out, date, 11);
	}
	closedir(d);
}

static int write_report(const char *path, const struct tm__report *r)
{
	char *json;
	size_t len;
	int rc = tm__report_format(r, &json, &len);

	if (rc)
		return rc;
	rc = tm__fs_write_atomic(path, json, len, 0644, 1);
	free(json);
	return rc;
}

/* read_x returns the X of an existing candidate, so rebuilding the local
 * report after a crash keeps both files consistent. */
static int read_x(const char *path, double *x)
{
	char *buf = malloc(16u << 20);
	struct tm__report r;
	size_t len;
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = tm__report_file_ok(path);
	if (!rc)
		rc = tm__fs_read_small(path, buf, 16u << 20, &len);
	if (!rc)
		rc = tm__report_parse(buf, len, &r, NULL, 0);
	free(buf);
	if (!rc) {
		*x = r.x;
		tm__report_free(&r);
	}
	return rc;
}

static int any_data(const struct tm__report *r)
{
	for (size_t i = 0; i < r->nprograms; i++)
		if (r->programs[i].ncounters || r->programs[i].nstacks)
			return 1;
	return 0;
}

struct ctx {
	const char *store;
	char local[4096];
	struct tm__mode_info mode;
	struct tm__upload_configs cfgs;
	int cfgs_loaded;
	time_t now;
	tm__log_fn log;
	void *arg;
	struct tm__report_result *res;
};

static int build_candidate(struct ctx *c, struct countfile **f, size_t n,
			   const char *week, double x, const char *lastw)
{
	struct tm__report all = { 0 }, cand = { 0 };
	const struct tm__upload_config **cv = NULL;
	int *pick = calloc(n + 1, sizeof *pick);
	char path[PATHCAP];
	size_t npick = 0;
	int rc = -ENOMEM;

	if (!pick)
		return -ENOMEM;
	/* DESIGN §7: only data collected after the day uploading was
	 * turned on, so a file begun on that day or before stays local. */
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i]->begin, c->mode.date) > 0)
			npick += pick[i] = 1;
	if (!npick) {
		tm__logf(c->log, c->arg, "week %s: collected before uploading "
		      "was turned on (%s); not uploaded", week, c->mode.date);
		rc = 0;
		goto out;
	}
	if (!c->cfgs_loaded) {
		rc = tm__uploadconfig_load_all(c->store, &c->cfgs);
		if (rc)
			goto out;
		c->cfgs_loaded = 1;
		for (size_t i = 0; i < c->cfgs.nerrors; i++)
			tm__logf(c->log, c->arg, "upload config skipped: %s",
			      c->cfgs.errors[i]);
	}
	cv = calloc(c->cfgs.n + 1, sizeof *cv);
	if (!cv)
		goto out;
	for (size_t k = 0; k < c->cfgs.n; k++)
		cv[k] = &c->cfgs.v[k];
	memcpy(all.week, week, 11);
	memcpy(all.last_week, lastw, 11);
	all.x = x;
	if ((rc = merge(f, n, pick, &all)) ||
	    (rc = tm__report_filter(&all, cv, c->cfgs.n, &cand)))
		goto out;
	if (!any_data(&cand)) {
		tm__logf(c->log, c->arg, "week %s: no upload config allows any "
		      "of its counters; nothing to upload", week);
		goto out;
	}
	snprintf(path, sizeof path, "%s/%s.json", c->local, week);
	rc = write_report(path, &cand);
	if (rc)
		goto out;
	c->res->ncandidates++;
	rc = add_path(c->res, path);
	tm__logf(c->log, c->arg, "week %s: upload candidate '%s' written", week,
	      path);
out:
	free(cv);
	free(pick);
	tm__report_free(&all);
	tm__report_free(&cand);
	return rc;
}

static void delete_files(struct ctx *c, struct countfile **f, size_t n)
{
	char path[PATHCAP];
	int fd;

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", c->local, f[i]->name);
		if (unlink(path) == 0)
			c->res->ndeleted++;
	}
	/* Make the deletions durable too, so a crash cannot resurrect a
	 * counter file whose counts are already in a report. */
	fd = open(c->local, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static int build_week(struct ctx *c, struct countfile **f, size_t n)
{
	const char *week = f[0]->week;
	struct tm__report r = { 0 };
	char path[PATHCAP], cand[PATHCAP];
	long age = tm__report_week_age_days(week, c->now);
	int rc;

	snprintf(path, sizeof path, "%s/local.%s.json", c->local, week);
	/* Only our own files say anything (a planted one is replaced). */
	if (tm__report_file_ok(path) == 0) {
		/* A run that crashed after writing the report but before
		 * deleting the counter files: the counts are in it. */
		tm__logf(c->log, c->arg, "week %s: already reported; removing "
		      "its %zu counter file(s)", week, n);
		delete_files(c, f, n);
		return 0;
	}
	memcpy(r.week, week, 11);
	last_week(c->store, week, r.last_week);
	r.x = tm__report_random_x();
	snprintf(cand, sizeof cand, "%s/%s.json", c->local, week);
	if (tm__report_file_ok(cand) == 0)
		read_x(cand, &r.x);
	rc = merge(f, n, NULL, &r);
	if (rc)
		goto out;
	if (!any_data(&r)) {
		tm__logf(c->log, c->arg, "week %s: counter files hold no "
		      "counters; removed", week);
		delete_files(c, f, n);
		goto out;
	}
	if (c->mode.effective == TM_MODE_ON &&
	    tm__report_file_ok(cand) != 0 &&
	    !exists(c->store, "upload/", week) &&
	    !exists(c->local, "rejected/", week)) {
		if (age > TM__REPORT_MAX_AGE_DAYS)
			tm__logf(c->log, c->arg, "week %s: more than %d days "
			      "old; never uploaded", week,
			      TM__REPORT_MAX_AGE_DAYS);
		else if ((rc = build_candidate(c, f, n, week, r.x,
					       r.last_week)))
			goto out;
	}
	rc = write_report(path, &r);
	if (rc) {
		tm__logf(c->log, c->arg, "week %s: cannot write '%s': %s; "
		      "counter files kept", week, path, tm_strerror(rc));
		goto out;
	}
	c->res->nbuilt++;
	rc = add_path(c->res, path);
	tm__logf(c->log, c->arg, "week %s: report '%s' written from %zu counter "
	      "file(s)", week, path, n);
	delete_files(c, f, n);
out:
	tm__report_free(&r);
	return rc;
}

static int cmp_file(const void *a, const void *b)
{
	const struct countfile *x = *(struct countfile *const *)a;
	const struct countfile *y = *(struct countfile *const *)b;
	int c = strcmp(x->week, y->week);

	return c ? c : strcmp(x->name, y->name);
}

static int is_count_name(const char *n)
{
	size_t l = strlen(n);

	return n[0] != '.' && l > 9 && !strcmp(n + l - 9, ".v1.count");
}

/* begin_from_name extracts the YYYY-MM-DD before ".v1.count". */
static int begin_from_name(const char *n, char out[11])
{
	size_t l = strlen(n);

	if (l < 19)
		return -1;
	memcpy(out, n + l - 19, 10);
	out[10] = '\0';
	return is_date(out) ? 0 : -1;
}

/* load_file parses one counter file; returns 1 when it is due. */
static int load_file(struct ctx *c, const char *name, struct countfile *cf)
{
	char path[PATHCAP], why[256], from[11];
	const char *te, *tb;
	time_t tend, tbeg;
	int rc;

	snprintf(path, sizeof path, "%s/%s", c->local, name);
	/* A file planted while local/ was open to others (or a symlink) is
	 * neither read, nor set aside, nor deleted. */
	rc = tm__report_file_ok(path);
	if (rc == TM_EUNSAFE) {
		tm__logf(c->log, c->arg, "counter file '%s' is not a regular "
		      "file of yours (%s); skipped: remove it", path,
		      tm_strerror(rc));
		return 0;
	}
	if (rc)
		return 0; /* gone since the listing */
	rc = tm__counterparse_path(path, &cf->pf, why, sizeof why);
	if (rc == TM_ECORRUPT) {
		time_t begin;

		/* Only set aside a file whose week surely ended: a week
		 * lasts at most 7 days from the begin date in its name. */
		if (!begin_from_name(name, from) &&
		    !tm__clock_parse(from, &begin) &&
		    c->now >= begin + 7 * 86400) {
			char aside[PATHCAP + 16];

			snprintf(aside, sizeof aside, "%s.corrupt", path);
			if (rename(path, aside) == 0)
				c->res->ncorrupt++;
			tm__logf(c->log, c->arg, "counter file '%s' is corrupt "
			      "(%s); set aside as '%s'", path, why, aside);
		}
		return 0;
	}
	if (rc) {
		tm__logf(c->log, c->arg, "cannot read counter file '%s': %s",
		      path, tm_strerror(rc));
		return 0;
	}
	te = tm__parsed_meta(&cf->pf, "TimeEnd");
	tb = tm__parsed_meta(&cf->pf, "TimeBegin");
	if (!te || !tb || tm__clock_parse(te, &tend) ||
	    tm__clock_parse(tb, &tbeg)) {
		tm__logf(c->log, c->arg, "counter file '%s' has no valid "
		      "TimeBegin/TimeEnd; skipped", path);
		tm__counterparse_free(&cf->pf);
		return 0;
	}
	if (c->now < tend) {
		tm__counterparse_free(&cf->pf);
		return 0;
	}
	/* Tell writers still counting into it to move on (counterfile.h)
	 * before its counts are taken. */
	cf->closed_now = tm__counterfile_mark_closed(path) == 1;
	tm__clock_date(tend, cf->week);
	tm__clock_date(tbeg, cf->begin);
	cf->name = strdup(name);
	if (!cf->name) {
		tm__counterparse_free(&cf->pf);
		return -ENOMEM;
	}
	return 1;
}

/* reread_closed waits out the grace once, then parses again every file this
 * run closed, so increments made just before the close are reported. */
static int reread_closed(struct ctx *c, struct countfile **files, size_t n)
{
	struct timespec grace = { CLOSE_GRACE_MS / 1000,
				  (CLOSE_GRACE_MS % 1000) * 1000000L };
	char path[PATHCAP], why[256];
	size_t i;

	for (i = 0; i < n && !files[i]->closed_now; i++)
		;
	if (i == n)
		return 0;
	while (nanosleep(&grace, &grace) < 0 && errno == EINTR)
		;
	for (i = 0; i < n; i++) {
		struct tm__parsed_file pf;

		if (!files[i]->closed_now)
			continue;
		snprintf(path, sizeof path, "%s/%s", c->local, files[i]->name);
		/* Keep the first reading if the second fails: it was valid. */
		if (tm__counterparse_path(path, &pf, why, sizeof why) == 0) {
			tm__counterparse_free(&files[i]->pf);
			files[i]->pf = pf;
		}
	}
	return 0;
}

static int lock_store(const char *local, int blocking)
{
	char path[PATHCAP];
	int fd, waited = 0;

	snprintf(path, sizeof path, "%s/report.lock", local);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	for (;;) {
		struct timespec ts = { 0, 20 * 1000000L };

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int e = -errno;

			close(fd);
			return e;
		}
		/* Bounded: a builder's work is bounded, but a stopped
		 * process could hold the lock for ever. */
		if (!blocking || waited >= LOCK_WAIT_MS) {
			close(fd);
			return TM_ELOCKED;
		}
		nanosleep(&ts, NULL);
		waited += 20;
	}
}

/* take_token returns 1 when the daily work is due (always, unless DAILY),
 * and marks it done. */
static int take_token(const char *store, time_t now, int daily)
{
	if (daily && !tm__dailytoken_due(store, now))
		return 0;
	(void)tm__dailytoken_take(store, now);
	return 1;
}

int tm__report_build(const char *store_dir, unsigned flags, tm__log_fn log,
		     void *arg, struct tm__report_result *res)
{
	struct ctx c = { .store = store_dir, .log = log, .arg = arg,
			 .res = res };
	struct countfile **files = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d = NULL;
	int lockfd = -1, rc;

	memset(res, 0, sizeof *res);
	c.now = tm__clock_now();
	rc = tm__mode_load(store_dir, &c.mode);
	if (rc)
		return rc;
	if (c.mode.effective == TM_MODE_OFF)
		return TM_EOFF;
	if (tm__paths_join(c.local, sizeof c.local, store_dir, "local"))
		return -ENAMETOOLONG;
	/* docs/security.md §4: never from a local/ or upload/ others may
	 * write, never through a symlink there. */
	rc = tm__report_check_store(store_dir, log, arg);
	if (rc)
		return rc;
	d = opendir(c.local);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	lockfd = lock_store(c.local, !(flags & TM__REPORT_DAILY));
	if (lockfd == TM_ELOCKED && (flags & TM__REPORT_DAILY)) {
		res->not_due = 1;
		rc = 0;
		goto out;
	}
	if (lockfd < 0) {
		rc = lockfd;
		goto out;
	}
	if (!take_token(store_dir, c.now, flags & TM__REPORT_DAILY)) {
		res->not_due = 1;
		rc = 0;
		goto out;
	}
	while ((de = readdir(d)) && n < MAX_COUNT_FILES) {
		struct countfile *cf;

		if (!is_count_name(de->d_name))
			continue;
		cf = calloc(1, sizeof *cf);
		if (!cf) {
			rc = -ENOMEM;
			goto out;
		}
		rc = load_file(&c, de->d_name, cf);
		if (rc <= 0) {
			free(cf);
			if (rc < 0)
				goto out;
			continue;
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct countfile **nf = realloc(files,
							nc * sizeof *nf);

			if (!nf) {
				tm__counterparse_free(&cf->pf);
				free(cf->name);
				free(cf);
				rc = -ENOMEM;
				goto out;
			}
			files = nf;
			cap = nc;
		}
		files[n++] = cf;
	}
	rc = reread_closed(&c, files, n);
	if (rc)
		goto out;
	if (n)
		qsort(files, n, sizeof *files, cmp_file);
	for (size_t i = 0; i < n; ) {
		size_t j = i;
		int wrc;

		while (j < n && !strcmp(files[j]->week, files[i]->week))
			j++;
		/* One week's failure must not hold back the others. */
		wrc = build_week(&c, files + i, j - i);
		if (wrc && !rc)
			rc = wrc;
		i = j;
	}
out:
	for (size_t i = 0; i < n; i++) {
		tm__counterparse_free(&files[i]->pf);
		free(files[i]->name);
		free(files[i]);
	}
	free(files);
	if (c.cfgs_loaded)
		tm__uploadconfig_free_all(&c.cfgs);
	if (lockfd >= 0)
		close(lockfd);
	closedir(d);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/* uploadconfig.c -- read, validate and query upload configs.
 *
 * Owns the one validator of the upload config format (DESIGN §8.2,
 * docs/upload-config.md): the client uses it to decide what may leave the
 * machine, the collector to decide what it accepts. Configs are untrusted:
 * every field is checked for type and range, unknown fields are errors (a
 * typo must not silently widen or narrow what is sent), and sizes are
 * capped. Never prints; errors come back as "FILE: Field.Path: reason".
 *
 * The format, one JSON object:
 *
 *   field       type              meaning
 *   Version     string, required  the config's version, echoed as Config
 *   Endpoint    string, required  https URL (http only to loopback)
 *   SampleRate  number 0..1       report sent when X <= SampleRate (1)
 *   Programs    array, required   one object per program:
 *     Name      string            the executable's file name
 *     Versions  array of string   exact versions, "*" = any (absent: any)
 *     Counters  array of object   {Name, Rate}; Name may end in
 *                                 "prefix:{a,b}" to list several
 *     Stacks    array of object   {Name, Rate, Depth}; Name is the first
 *                                 line of the stack counter
 */
#define _GNU_SOURCE
#include "uploadconfig.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "paths.h"
#include "tmwatch/common.h"

#ifndef TMWATCH_DATADIR
#define TMWATCH_DATADIR "/usr/local/share/tmwatch"
#endif

#define NAME_MAX_BYTES 4096

static int fail(char *why, size_t cap, const char *label, const char *fmt,
		...)
{
	va_list ap;
	int n;

	if (why && cap) {
		n = snprintf(why, cap, "%s: ", label ? label : "config");
		if (n < 0 || (size_t)n >= cap)
			n = 0;
		va_start(ap, fmt);
		vsnprintf(why + n, cap - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return TM_EBADCONFIG;
}

static int is_rate(const cJSON *v)
{
	return cJSON_IsNumber(v) && v->valuedouble >= 0.0 &&
	       v->valuedouble <= 1.0;
}

static int check_keys(const cJSON *obj, const char *const *keys,
		      const cJSON **bad)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, obj) {
		int ok = 0;

		for (size_t i = 0; keys[i]; i++)
			if (it->string && !strcmp(it->string, keys[i]))
				ok = 1;
		if (!ok) {
			*bad = it;
			return -1;
		}
	}
	return 0;
}

/* A counter or stack name: printable, no newline, bounded. */
static int name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_BYTES)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* expand turns "prefix:{a,b}" into prefix:a and prefix:b (Go telemetry's
 * notation). A name without braces expands to itself. Returns the number
 * of names (stored in a malloc'd array of malloc'd strings), or -1 with a
 * reason in WHY. */
static long expand(const char *pat, char ***out, const char **why)
{
	const char *lb = strchr(pat, '{');
	const char *rb = strchr(pat, '}');
	size_t plen, n = 0;
	char **v = NULL;
	const char *p;

	*out = NULL;
	if (!lb && !rb) {
		v = calloc(1, sizeof *v);
		if (!v || !(v[0] = strdup(pat))) {
			free(v);
			*why = "out of memory";
			return -1;
		}
		*out = v;
		return 1;
	}
	if (!lb || !rb || rb < lb || rb[1] != '\0' ||
	    strchr(lb + 1, '{') || strchr(rb + 1, '}') || lb == pat) {
		*why = "braces must close one {a,b} list at the end of the "
		       "name";
		return -1;
	}
	plen = (size_t)(lb - pat);
	for (p = lb + 1; p <= rb; ) {
		const char *e = p;
		char **nv;

		while (e < rb && *e != ',')
			e++;
		if (e == p) {
			*why = "empty element in {a,b} list";
			goto bad;
		}
		if (n >= TM__UC_MAX_EXPAND) {
			*why = "{a,b} list too long";
			goto bad;
		}
		nv = realloc(v, (n + 1) * sizeof *v);
		if (!nv)
			goto oom;
		v = nv;
		v[n] = malloc(plen + (size_t)(e - p) + 1);
		if (!v[n])
			goto oom;
		memcpy(v[n], pat, plen);
		memcpy(v[n] + plen, p, (size_t)(e - p));
		v[n][plen + (size_t)(e - p)] = '\0';
		n++;
		p = e + 1;
	}
	*out = v;
	return (long)n;
oom:
	*why = "out of memory";
bad:
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return -1;
}

static void free_program(struct tm__uc_program *p)
{
	free(p->name);
	for (size_t i = 0; i < p->nversions; i++)
		free(p->versions[i]);
	free(p->versions);
	for (size_t i = 0; i < p->ncounters; i++)
		free(p->counters[i].name);
	free(p->counters);
	for (size_t i = 0; i < p->nstacks; i++)
		free(p->stacks[i].name);
	free(p->stacks);
	for (size_t i = 0; i < p->nown; i++)
		free(p->own[i]);
	free(p->own);
}

void tm__uploadconfig_free(struct tm__upload_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nprograms; i++)
		free_program(&c->programs[i]);
	free(c->programs);
	free(c->path);
	free(c->endpoint);
	free(c->version);
	memset(c, 0, sizeof *c);
}

static int parse_counters(const cJSON *arr, struct tm__uc_program *p,
			  size_t pi, const char *label, char *why,
			  size_t whycap)
{
	static const char *const keys[] = { "Name", "Rate", NULL };
	const cJSON *it, *bad;
	size_t ci = 0;

	if (!cJSON_IsArray(arr))
		return fail(why, whycap, label,
			    "Programs[%zu].Counters: must be an array", pi);
	cJSON_ArrayForEach(it, arr) {
		const cJSON *name =
			cJSON_GetObjectItemCaseSensitive(it, "Name");
		const cJSON *rate =
			cJSON_GetObjectItemCaseSensitive(it, "Rate");
		const char *reason = NULL;
		char **names;
		long n;
		struct tm__uc_counter *nc;

		if (!cJSON_IsObject(it))
			return fail(why, whycap, label,
				    "Programs[%zu].Counters[%zu]: must be an "
				    "object", pi, ci);
		if (check_keys(it, keys, &bad))
			return fail(why, whycap, label,
				    "Programs[%zu].Counters[%zu].%s: unknown "
				    "field", pi, ci, bad->string);
		if (!cJSON_IsString(name) || !name_ok(name->valuestring) ||
		    strchr(name->valuestring, '\n'))
			return fail(why, whycap, label,
				    "Programs[%zu].Counters[%zu].Name: must be "
				    "a non-empty one-line string", pi, ci);
		if (rate && !is_rate(rate))
			return fail(why, whycap, label,
				    "Programs[%zu].Counters[%zu].Rate: must be "
				    "a number from 0 to 1", pi, ci);
		n = expand(name->valuestring, &names, &reason);
		if (n < 0)
			return fail(why, whycap, label,
				    "Programs[%zu].Counters[%zu].Name: %s", pi,
				    ci, reason);
		if (p->ncounters + (size_t)n > 64 * TM__UC_MAX_EXPAND) {
			for (long i = 0; i < n; i++)
				free(names[i]);
			free(names);
			return fail(why, whycap, label,
				    "Programs[%zu].Counters: too many", pi);
		}
		nc = realloc(p->counters,
			     (p->ncounters + (size_t)n) * sizeof *nc);
		if (!nc) {
			for (long i = 0; i < n; i++)
				free(names[i]);
			free(names);
			return -ENOMEM;
		}
		p->counters = nc;
		for (long i = 0; i < n; i++) {
			nc[p->ncounters].name = names[i];
			nc[p->ncounters].rate = rate ? rate->valuedouble : 1.0;
			p->ncounters++;
		}
		free(names);
		ci++;
	}
	return 0;
}

static int parse_stacks(const cJSON *arr, struct tm__uc_program *p,
			size_t pi, const char *label, char *why,
			size_t whycap)
{
	static const char *const keys[] = { "Name", "Rate", "Depth", NULL };
	const cJSON *it, *bad;
	size_t si = 0;

	if (!cJSON_IsArray(arr))
		return fail(why, whycap, label,
			    "Programs[%zu].Stacks: must be an array", pi);
	p->stacks = calloc((size_t)cJSON_GetArraySize(arr) + 1,
			   sizeof *p->stacks);
	if (!p->stacks)
		return -ENOMEM;
	cJSON_ArrayForEach(it, arr) {
		const cJSON *name =
			cJSON_GetObjectItemCaseSensitive(it, "Name");
		const cJSON *rate =
			cJSON_GetObjectItemCaseSensitive(it, "Rate");
		const cJSON *depth =
			cJSON_GetObjectItemCaseSensitive(it, "Depth");

		if (!cJSON_IsObject(it))
			return fail(why, whycap, label,
				    "Programs[%zu].Stacks[%zu]: must be an "
				    "object", pi, si);
		if (check_keys(it, keys, &bad))
			return fail(why, whycap, label,
				    "Programs[%zu].Stacks[%zu].%s: unknown "
				    "field", pi, si, bad->string);
		if (!cJSON_IsString(name) || !name_ok(name->valuestring) ||
		    strchr(name->valuestring, '{') ||
		    strchr(name->valuestring, '}'))
			return fail(why, whycap, label,
				    "Programs[%zu].Stacks[%zu].Name: must be "
				    "a non-empty one-line string without "
				    "braces", pi, si);
		if (rate && !is_rate(rate))
			return fail(why, whycap, label,
				    "Programs[%zu].Stacks[%zu].Rate: must be a "
				    "number from 0 to 1", pi, si);
		if (depth && (!cJSON_IsNumber(depth) ||
			      depth->valuedouble < 1 ||
			      depth->valuedouble > TM__UC_MAX_DEPTH ||
			      depth->valuedouble != (int)depth->valuedouble))
			return fail(why, whycap, label,
				    "Programs[%zu].Stacks[%zu].Depth: must be "
				    "an integer from 1 to %d", pi, si,
				    TM__UC_MAX_DEPTH);
		p->stacks[si].name = strdup(name->valuestring);
		if (!p->stacks[si].name)
			return -ENOMEM;
		p->stacks[si].rate = rate ? rate->valuedouble : 1.0;
		p->stacks[si].depth = depth ? (int)depth->valuedouble : 16;
		p->nstacks = ++si;
	}
	return 0;
}

/* OwnModules: file name patterns (fnmatch) of the program's own
 * libraries, e.g. "libclang-cpp.so.*": no '/', short, one line. */
static int parse_own(const cJSON *arr, struct tm__uc_program *p, size_t pi,
		     const char *label, char *why, size_t whycap)
{
	const cJSON *it;
	size_t oi = 0;

	if (!cJSON_IsArray(arr) ||
	    cJSON_GetArraySize(arr) > TM__UC_MAX_OWN)
		return fail(why, whycap, label,
			    "Programs[%zu].OwnModules: must be an array of at "
			    "most %d file name patterns", pi, TM__UC_MAX_OWN);
	p->own = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof *p->own);
	if (!p->own)
		return -ENOMEM;
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsString(it) || !name_ok(it->valuestring) ||
		    strlen(it->valuestring) > TM__UC_MAX_OWN_LEN ||
		    strchr(it->valuestring, '/'))
			return fail(why, whycap, label,
				    "Programs[%zu].OwnModules[%zu]: must be a "
				    "file name pattern (no '/', at most %d "
				    "bytes)", pi, oi, TM__UC_MAX_OWN_LEN);
		p->own[oi] = strdup(it->valuestring);
		if (!p->own[oi])
			return -ENOMEM;
		p->nown = ++oi;
	}
	return 0;
}

static int parse_program(const cJSON *it, struct tm__uc_program *p,
			 size_t pi, const char *label, char *why,
			 size_t whycap)
{
	static const char *const keys[] = { "Name", "Versions", "Counters",
					    "Stacks", "OwnModules", NULL };
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "Name");
	const cJSON *vers = cJSON_GetObjectItemCaseSensitive(it, "Versions");
	const cJSON *ctrs = cJSON_GetObjectItemCaseSensitive(it, "Counters");
	const cJSON *stks = cJSON_GetObjectItemCaseSensitive(it, "Stacks");
	const cJSON *own = cJSON_GetObjectItemCaseSensitive(it, "OwnModules");
	const cJSON *v, *bad;
	int rc;

	if (!cJSON_IsObject(it))
		return fail(why, whycap, label,
			    "Programs[%zu]: must be an object", pi);
	if (check_keys(it, keys, &bad))
		return fail(why, whycap, label,
			    "Programs[%zu].%s: unknown field", pi, bad->string);
	if (!cJSON_IsString(name) || !name_ok(name->valuestring) ||
	    strchr(name->valuestring, '/'))
		return fail(why, whycap, label,
			    "Programs[%zu].Name: must be a program file name",
			    pi);
	p->name = strdup(name->valuestring);
	if (!p->name)
		return -ENOMEM;
	if (vers) {
		size_t vi = 0;

		if (!cJSON_IsArray(vers))
			return fail(why, whycap, label,
				    "Programs[%zu].Versions: must be an array "
				    "of strings", pi);
		p->versions = calloc((size_t)cJSON_GetArraySize(vers) + 1,
				     sizeof *p->versions);
		if (!p->versions)
			return -ENOMEM;
		cJSON_ArrayForEach(v, vers) {
			if (!cJSON_IsString(v) || !name_ok(v->valuestring))
				return fail(why, whycap, label,
					    "Programs[%zu].Versions[%zu]: must "
					    "be a non-empty string", pi, vi);
			p->versions[vi] = strdup(v->valuestring);
			if (!p->versions[vi])
				return -ENOMEM;
			p->nversions = ++vi;
		}
	}
	if (ctrs && (rc = parse_counters(ctrs, p, pi, label, why, whycap)))
		return rc;
	if (stks && (rc = parse_stacks(stks, p, pi, label, why, whycap)))
		return rc;
	if (own && (rc = parse_own(own, p, pi, label, why, whycap)))
		return rc;
	return 0;
}

int tm__uploadconfig_parse_with(const char *json, size_t len,
				const char *label, tm__uc_check_fn *check,
				struct tm__upload_config *out, char *why,
				size_t whycap)
{
	static const char *const keys[] = { "Version", "Endpoint",
					    "SampleRate", "Programs", NULL };
	const cJSON *ver, *ep, *sr, *progs, *it, *bad;
	char reason[256];
	cJSON *root;
	size_t pi = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if (why && whycap)
		why[0] = '\0';
	if (len > TM__UC_MAX_BYTES)
		return fail(why, whycap, label, "larger than %u bytes",
			    TM__UC_MAX_BYTES);
	root = cJSON_ParseWithLength(json, len);
	if (!root)
		return fail(why, whycap, label, "not valid JSON");
	if (!cJSON_IsObject(root)) {
		rc = fail(why, whycap, label, "must be a JSON object");
		goto out;
	}
	if (check_keys(root, keys, &bad)) {
		rc = fail(why, whycap, label, "%s: unknown field",
			  bad->string);
		goto out;
	}
	ver = cJSON_GetObjectItemCaseSensitive(root, "Version");
	ep = cJSON_GetObjectItemCaseSensitive(root, "Endpoint");
	sr = cJSON_GetObjectItemCaseSensitive(root, "SampleRate");
	progs = cJSON_GetObjectItemCaseSensitive(root, "Programs");
	if (!cJSON_IsString(ver) || !name_ok(ver->valuestring) ||
	    strlen(ver->valuestring) > 256) {
		rc = fail(why, whycap, label,
			  "Version: required, a short non-empty string");
		goto out;
	}
	if (!cJSON_IsString(ep)) {
		rc = fail(why, whycap, label,
			  "Endpoint: required, an https URL");
		goto out;
	}
	rc = check ? check(ep->valuestring, reason, sizeof reason) : 0;
	if (rc == TM_EBADCONFIG) {
		/* reason starts with "config: " from fail(). */
		rc = fail(why, whycap, label, "Endpoint: %s",
			  reason + strlen("config: "));
		goto out;
	} else if (rc) {
		goto out;
	}
	if (sr && !is_rate(sr)) {
		rc = fail(why, whycap, label,
			  "SampleRate: must be a number from 0 to 1");
		goto out;
	}
	if (!cJSON_IsArray(progs) || cJSON_GetArraySize(progs) == 0) {
		rc = fail(why, whycap, label,
			  "Programs: required, a non-empty array");
		goto out;
	}
	out->version = strdup(ver->valuestring);
	out->endpoint = strdup(ep->valuestring);
	out->path = strdup(label ? label : "config");
	out->sample_rate = sr ? sr->valuedouble : 1.0;
	out->programs = calloc((size_t)cJSON_GetArraySize(progs),
			       sizeof *out->programs);
	if (!out->version || !out->endpoint || !out->path || !out->programs) {
		rc = -ENOMEM;
		goto out;
	}
	/* Strip one trailing slash so ENDPOINT/DATE has exactly one. */
	if (strlen(out->endpoint) > 1 &&
	    out->endpoint[strlen(out->endpoint) - 1] == '/')
		out->endpoint[strlen(out->endpoint) - 1] = '\0';
	cJSON_ArrayForEach(it, progs) {
		out->nprograms = pi + 1;
		rc = parse_program(it, &out->programs[pi], pi, label, why,
				   whycap);
		if (rc)
			goto out;
		pi++;
	}
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc)
		tm__uploadconfig_free(out);
	if (rc == -ENOMEM && why && whycap)
		snprintf(why, whycap, "%s: out of memory", label);
	return rc;
}

void tm__uploadconfig_free_all(struct tm__upload_configs *cs)
{
	if (!cs)
		return;
	for (size_t i = 0; i < cs->n; i++)
		tm__uploadconfig_free(&cs->v[i]);
	free(cs->v);
	for (size_t i = 0; i < cs->nerrors; i++)
		free(cs->errors[i]);
	free(cs->errors);
	memset(cs, 0, sizeof *cs);
}

int tm__uploadconfig_dirs(const char *store_dir, char *buf, size_t cap)
{
	const char *env = getenv("TMWATCH_UPLOAD_CONFIG_DIRS");
	int n;

	if (env && *env)
		n = snprintf(buf, cap, "%s", env);
	else
		n = snprintf(buf, cap, "%s/upload.d:/etc/tmwatch/upload.d:%s"
			     "/upload.d", store_dir, TMWATCH_DATADIR);
	if (n < 0 || (size_t)n >= cap) {
		if (cap)
			buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}

static int add_error(struct tm__upload_configs *cs, const char *msg)
{
	char **ne = realloc(cs->errors, (cs->nerrors + 1) * sizeof *ne);

	if (!ne)
		return -ENOMEM;
	cs->errors = ne;
	ne[cs->nerrors] = strdup(msg);
	if (!ne[cs->nerrors])
		return -ENOMEM;
	cs->nerrors++;
	return 0;
}

static int seen_name(const struct tm__upload_configs *cs, const char *base)
{
	for (size_t i = 0; i < cs->n; i++) {
		const char *s = strrchr(cs->v[i].path, '/');

		if (!strcmp(s ? s + 1 : cs->v[i].path, base))
			return 1;
	}
	return 0;
}

static int load_file(struct tm__upload_configs *cs, const char *path,
		     tm__uc_check_fn *check)
{
	char why[512];
	char *buf = malloc(TM__UC_MAX_BYTES + 1);
	struct tm__upload_config c, *nv;
	size_t len;
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = tm__fs_read_small(path, buf, TM__UC_MAX_BYTES + 1, &len);
	if (rc) {
		snprintf(why, sizeof why, "%s: cannot read: %s", path,
			 tm_strerror(rc));
		free(buf);
		return add_error(cs, why);
	}
	rc = tm__uploadconfig_parse_with(buf, len, path, check, &c, why,
					 sizeof why);
	free(buf);
	if (rc == -ENOMEM)
		return rc;
	if (rc)
		return add_error(cs, why);
	nv = realloc(cs->v, (cs->n + 1) * sizeof *nv);
	if (!nv) {
		tm__uploadconfig_free(&c);
		return -ENOMEM;
	}
	cs->v = nv;
	nv[cs->n++] = c;
	return 0;
}

static int is_json_name(const char *n)
{
	size_t l = strlen(n);

	return n[0] != '.' && l > 5 && !strcmp(n + l - 5, ".json");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir(struct tm__upload_configs *cs, const char *dir,
		    tm__uc_check_fn *check)
{
	char *names[TM__UC_MAX_FILES];
	size_t n = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	if (stat(dir, &st) == 0 && S_ISREG(st.st_mode))
		return load_file(cs, dir, check);
	d = opendir(dir);
	if (!d)
		return 0; /* a missing directory just holds no configs */
	while ((de = readdir(d)) && n < TM__UC_MAX_FILES) {
		if (!is_json_name(de->d_name))
			continue;
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			rc = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof names[0], cmp_str);
	for (size_t i = 0; i < n; i++) {
		char path[4096];

		if (!rc && !seen_name(cs, names[i]) &&
		    !tm__paths_join(path, sizeof path, dir, names[i]))
			rc = load_file(cs, path, check);
		free(names[i]);
	}
	return rc;
}

int tm__uploadconfig_load_dirs_with(const char *dirs, tm__uc_check_fn *check,
				    struct tm__upload_configs *out)
{
	char *copy = strdup(dirs ? dirs : "");
	char *save = NULL, *d;
	int rc = 0;

	memset(out, 0, sizeof *out);
	if (!copy)
		return -ENOMEM;
	for (d = strtok_r(copy, ":", &save); d && !rc;
	     d = strtok_r(NULL, ":", &save))
		rc = load_dir(out, d, check);
	free(copy);
	if (rc)
		tm__uploadconfig_free_all(out);
	return rc;
}

int tm__uploadconfig_load_all_with(const char *store_dir,
				   tm__uc_check_fn *check,
				   struct tm__upload_configs *out)
{
	char dirs[8192];
	int rc = tm__uploadconfig_dirs(store_dir, dirs, sizeof dirs);

	if (rc) {
		memset(out, 0, sizeof *out);
		return rc;
	}
	return tm__uploadconfig_load_dirs_with(dirs, check, out);
}

const struct tm__uc_program *
tm__uploadconfig_program(const struct tm__upload_config *c,
			 const char *program, const char *version)
{
	for (size_t i = 0; i < c->nprograms; i++) {
		const struct tm__uc_program *p = &c->programs[i];

		if (strcmp(p->name, program))
			continue;
		if (p->nversions == 0)
			return p;
		for (size_t v = 0; v < p->nversions; v++)
			if (!strcmp(p->versions[v], "*") ||
			    !strcmp(p->versions[v], version ? version : ""))
				return p;
	}
	return NULL;
}

const struct tm__uc_counter *
tm__uploadconfig_counter(const struct tm__uc_program *p, const char *name)
{
	for (size_t i = 0; i < p->ncounters; i++)
		if (!strcmp(p->counters[i].name, name))
			return &p->counters[i];
	return NULL;
}

const struct tm__uc_stack *
tm__uploadconfig_stack(const struct tm__uc_program *p, const char *name)
{
	const char *nl = strchr(name, '\n');
	size_t first = nl ? (size_t)(nl - name) : strlen(name);

	for (size_t i = 0; i < p->nstacks; i++)
		if (strlen(p->stacks[i].name) == first &&
		    !memcmp(p->stacks[i].name, name, first))
			return &p->stacks[i];
	return NULL;
}

size_t tm__uploadconfig_own_modules(const struct tm__upload_configs *cs,
				    const char *program, const char *version,
				    const char **out, size_t cap)
{
	size_t n = 0;

	for (size_t c = 0; c < cs->n; c++) {
		const struct tm__uc_program *p =
			tm__uploadconfig_program(&cs->v[c], program, version);

		for (size_t i = 0; p && i < p->nown; i++) {
			size_t k = 0;

			while (k < n && strcmp(out[k], p->own[i]))
				k++;
			if (k == n && n < cap)
				out[n++] = p->own[i];
		}
	}
	return n;
}

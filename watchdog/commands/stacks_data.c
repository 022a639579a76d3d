/* SPDX-License-Identifier: MIT */
/* stacks_data.c -- read merged datasets for `tmwatch stacks`.
 *
 * A source is a directory holding merged/DAY.json files (a collector's
 * --data, or a copy of it) or a collector's URL, read with
 * GET /merged/index.json and GET /merged/DAY.json (docs/merged-dataset.md);
 * a PostgreSQL store is stacks_pg.c's.
 * Each line must be a report the client's own validator accepts
 * (lib/report.c); other lines are counted and skipped. One day is held in
 * memory at a time. Never prints.
 */
#define _GNU_SOURCE
#include "stacks.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
#include "tmwatch/common.h"

/* A merged day larger than this is refused (about ten million reports). */
#define MAX_DAY_BYTES ((size_t)4 << 30)

static int is_date(const char *s, size_t n)
{
	if (n != 10)
		return 0;
	for (size_t i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' :
		    (s[i] < '0' || s[i] > '9'))
			return 0;
	return 1;
}

static int stack_wanted(const struct stacks_set *s, const char *name)
{
	const char *prefix = s->prefix ? s->prefix : "crash/crash";
	size_t n = strlen(prefix);

	if (!*prefix)
		return 1;
	return !strncmp(name, prefix, n) && (name[n] == '\n' || !name[n]);
}

int stacks_read_merged(struct stacks_set *s, const char *day,
		       const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct tm__report r;
		char why[200];
		int rc;

		if (n == 0) {
			p += 1;
			continue;
		}
		rc = tm__report_parse(p, n, &r, why, sizeof why);
		p += n + (nl ? 1 : 0);
		if (rc == -ENOMEM)
			return rc;
		if (rc) {
			s->nbad_lines++;
			continue;
		}
		s->nreports++;
		for (size_t i = 0; i < r.nprograms && !rc; i++) {
			const struct tm__report_program *pr = &r.programs[i];

			if (s->program && strcmp(pr->program, s->program))
				continue;
			for (size_t j = 0; j < pr->nstacks && !rc; j++)
				if (stack_wanted(s, pr->stacks[j].name))
					rc = stacks_add(s, pr->stacks[j].name,
							pr->version,
							pr->goarch, day,
							pr->stacks[j].count);
		}
		tm__report_free(&r);
		if (rc)
			return rc;
	}
	return 0;
}

int stacks_note_day(struct stacks_set *s, const char *day)
{
	if (s->ndays_read == s->ndays_alloc) {
		size_t nc = s->ndays_alloc ? s->ndays_alloc * 2 : 32;
		char **nd = realloc(s->days_read, nc * sizeof *nd);

		if (!nd)
			return -ENOMEM;
		s->days_read = nd;
		s->ndays_alloc = nc;
	}
	if (!(s->days_read[s->ndays_read] = strdup(day)))
		return -ENOMEM;
	s->ndays_read++;
	return 0;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* load_dir reads DIR/merged/DAY.json for FROM <= DAY <= TO. */
static int load_dir(struct stacks_set *s, const char *dir, const char *from,
		    const char *to, char *why, size_t whycap)
{
	char mdir[4096], **days = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if ((size_t)snprintf(mdir, sizeof mdir, "%s/merged", dir) >=
	    sizeof mdir) {
		snprintf(why, whycap, "path '%s' too long", dir);
		return -ENAMETOOLONG;
	}
	if (!(d = opendir(mdir))) {
		rc = -errno;
		snprintf(why, whycap, "cannot read merged data '%s': %s; give "
			 "the collector's --data directory or its URL", mdir,
			 tm_strerror(rc));
		return rc;
	}
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		char day[11];

		if (l != 15 || strcmp(e->d_name + 10, ".json") ||
		    !is_date(e->d_name, 10))
			continue;
		memcpy(day, e->d_name, 10);
		day[10] = '\0';
		if (strcmp(day, from) < 0 || strcmp(day, to) > 0)
			continue;
		if (n == cap) {
			char **nd = realloc(days, (cap = cap ? cap * 2 : 32) *
						  sizeof *nd);

			if (!nd) {
				rc = -ENOMEM;
				break;
			}
			days = nd;
		}
		if (!(days[n] = strdup(day))) {
			rc = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (n)
		qsort(days, n, sizeof *days, by_str);
	for (size_t i = 0; i < n && !rc; i++) {
		char path[4200];
		struct stat st;
		char *buf;
		size_t got = 0;
		int fd;

		snprintf(path, sizeof path, "%s/%s.json", mdir, days[i]);
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
		    (size_t)st.st_size > MAX_DAY_BYTES) {
			rc = fd < 0 ? -errno : -EINVAL;
			snprintf(why, whycap, "cannot read '%s': %s", path,
				 tm_strerror(rc));
			if (fd >= 0)
				close(fd);
			break;
		}
		if (!(buf = malloc((size_t)st.st_size + 1))) {
			close(fd);
			rc = -ENOMEM;
			break;
		}
		while (got < (size_t)st.st_size) {
			ssize_t r = read(fd, buf + got,
					 (size_t)st.st_size - got);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		close(fd);
		rc = stacks_read_merged(s, days[i], buf, got);
		free(buf);
		if (!rc)
			rc = stacks_note_day(s, days[i]);
	}
	for (size_t i = 0; i < n; i++)
		free(days[i]);
	free(days);
	if (rc == -ENOMEM)
		snprintf(why, whycap, "out of memory");
	return rc;
}

struct body {
	char *p;
	size_t len, cap;
	int too_big;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;

	if (b->len + n > MAX_DAY_BYTES) {
		b->too_big = 1;
		return 0;
	}
	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 65536;
		char *np;

		while (nc < b->len + n + 1)
			nc *= 2;
		if (!(np = realloc(b->p, nc)))
			return 0;
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, ptr, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

/* http_get fetches URL into B; 0, or -EIO with WHY. A 404 gives 1. */
static int http_get(CURL *h, const char *url, struct body *b, char *why,
		    size_t whycap)
{
	char ebuf[CURL_ERROR_SIZE] = "";
	long code = 0;
	CURLcode cc;

	b->len = 0;
	b->too_big = 0;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		snprintf(why, whycap, "cannot GET '%s': %s", url,
			 b->too_big ? "answer too large" :
			 ebuf[0] ? ebuf : curl_easy_strerror(cc));
		return -EIO;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (code == 404)
		return 1;
	if (code != 200) {
		snprintf(why, whycap, "cannot GET '%s': HTTP %ld", url, code);
		return -EIO;
	}
	return 0;
}

static int load_http(struct stacks_set *s, const char *base,
		     const char *from, const char *to, char *why,
		     size_t whycap)
{
	struct body b = { 0 };
	char url[4200];
	size_t blen = strlen(base);
	cJSON *idx = NULL, *it;
	CURL *h;
	int rc;

	while (blen && base[blen - 1] == '/')
		blen--;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) || !(h = curl_easy_init())) {
		snprintf(why, whycap, "cannot start libcurl");
		return -ENOMEM;
	}
	curl_easy_setopt(h, CURLOPT_USERAGENT,
			 "tmwatch-stacks/" TMWATCH_VERSION);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 600000L);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	snprintf(url, sizeof url, "%.*s/merged/index.json", (int)blen, base);
	if ((rc = http_get(h, url, &b, why, whycap)) != 0) {
		if (rc == 1)
			snprintf(why, whycap, "'%s' has no merged data (404); "
				 "give the collector's base URL", url);
		rc = -EIO;
		goto out;
	}
	idx = cJSON_ParseWithLength(b.p, b.len);
	if (!cJSON_IsArray(idx)) {
		snprintf(why, whycap, "'%s' is not a JSON array of days",
			 url);
		rc = TM_EBADREPORT;
		goto out;
	}
	cJSON_ArrayForEach(it, idx) {
		const char *day = cJSON_GetStringValue(it);

		if (!day || !is_date(day, strlen(day)) ||
		    strcmp(day, from) < 0 || strcmp(day, to) > 0)
			continue;
		snprintf(url, sizeof url, "%.*s/merged/%s.json", (int)blen,
			 base, day);
		rc = http_get(h, url, &b, why, whycap);
		if (rc == 1)
			continue;
		if (rc)
			goto out;
		if ((rc = stacks_read_merged(s, day, b.p ? b.p : "", b.len)) ||
		    (rc = stacks_note_day(s, day))) {
			snprintf(why, whycap, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	cJSON_Delete(idx);
	free(b.p);
	curl_easy_cleanup(h);
	return rc;
}

int stacks_load(struct stacks_set *s, const char *source, const char *from,
		const char *to, char *why, size_t whycap)
{
	if (!strncmp(source, "http://", 7) || !strncmp(source, "https://", 8))
		return load_http(s, source, from, to, why, whycap);
	return load_dir(s, source, from, to, why, whycap);
}

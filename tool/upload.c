/* SPDX-License-Identifier: MIT */
/* upload.c -- consented upload of weekly reports with libcurl.
 *
 * Owns DESIGN §8.3: which report goes where (split per endpoint by the
 * current upload configs), the HTTP exchange (https except to loopback,
 * connect and total timeouts, proxies from the environment as libcurl
 * reads them but never for loopback, no redirects), what each answer
 * means (200 sent, 4xx but 408/429 rejected, the rest retried with
 * backoff and Retry-After), the per-report lock and the per-report state
 * file. Also the detached daily run for the watchdog. Never prints; never
 * uploads outside mode on.
 *
 * State file STORE/local/WEEK.upload (ours, still parsed defensively):
 *   {"Endpoints":[{"Endpoint":URL, "Status":"pending"|"sent"|"rejected",
 *                  "Attempts":N, "NextAttempt":EPOCH, "Time":EPOCH,
 *                  "Reason":TEXT}]}
 * Layout and rules: docs/upload.md.
 */
#define _GNU_SOURCE
#include "upload.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "dailytoken.h"
#include "detach.h"
#include "fsutil.h"
#include "mode.h"
#include "paths.h"
#include "tmwatch/common.h"

#ifndef TMWATCH_VERSION
#define TMWATCH_VERSION "0"
#endif

#define PATHCAP 4400
#define MAX_ENDPOINTS 64
#define MAX_REPORT_BYTES (64u << 20)
#define MAX_STATE_BYTES (256u << 10)
#define REPLY_CAP 300

/* ---- state file ------------------------------------------------------ */

enum ep_status { EP_PENDING, EP_SENT, EP_REJECTED };

struct ep_state {
	char *endpoint;
	enum ep_status status;
	int attempts;
	time_t next;
	time_t when;
	char *reason;
};

struct state {
	size_t n;
	struct ep_state v[MAX_ENDPOINTS];
};

static const char *const status_names[] = { "pending", "sent", "rejected" };

static void state_free(struct state *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].endpoint);
		free(s->v[i].reason);
	}
	memset(s, 0, sizeof *s);
}

static time_t num_field(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) && v->valuedouble >= 0 &&
	       v->valuedouble < 1e12 ? (time_t)v->valuedouble : 0;
}

/* state_load reads PATH; a missing or unreadable file is an empty state
 * (the worst case is one more attempt, which the server deduplicates). */
static void state_load(const char *path, struct state *s)
{
	char *buf = malloc(MAX_STATE_BYTES);
	const cJSON *arr, *it;
	cJSON *root = NULL;
	size_t len;

	memset(s, 0, sizeof *s);
	if (!buf)
		return;
	if (tm__fs_read_small(path, buf, MAX_STATE_BYTES, &len) == 0)
		root = cJSON_ParseWithLength(buf, len);
	free(buf);
	arr = cJSON_GetObjectItemCaseSensitive(root, "Endpoints");
	if (!cJSON_IsArray(arr))
		arr = NULL;
	cJSON_ArrayForEach(it, arr) {
		const cJSON *ep = cJSON_GetObjectItemCaseSensitive(it,
								   "Endpoint");
		const cJSON *st =
			cJSON_GetObjectItemCaseSensitive(it, "Status");
		const cJSON *re =
			cJSON_GetObjectItemCaseSensitive(it, "Reason");
		struct ep_state *e;

		if (s->n == MAX_ENDPOINTS || !cJSON_IsString(ep) ||
		    !cJSON_IsString(st))
			continue;
		e = &s->v[s->n];
		memset(e, 0, sizeof *e);
		e->endpoint = strdup(ep->valuestring);
		if (!e->endpoint)
			continue;
		for (int k = 0; k < 3; k++)
			if (!strcmp(st->valuestring, status_names[k]))
				e->status = (enum ep_status)k;
		e->attempts = (int)num_field(it, "Attempts");
		e->next = num_field(it, "NextAttempt");
		e->when = num_field(it, "Time");
		if (cJSON_IsString(re))
			e->reason = strndup(re->valuestring, 1024);
		s->n++;
	}
	cJSON_Delete(root);
}

static int state_save(const char *path, const struct state *s)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(root, "Endpoints");
	char *text = NULL;
	int rc = -ENOMEM;

	if (!root || !arr)
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		const struct ep_state *e = &s->v[i];
		cJSON *o = cJSON_CreateObject();

		if (!o)
			goto out;
		cJSON_AddItemToArray(arr, o);
		cJSON_AddStringToObject(o, "Endpoint", e->endpoint);
		cJSON_AddStringToObject(o, "Status", status_names[e->status]);
		cJSON_AddNumberToObject(o, "Attempts", e->attempts);
		cJSON_AddNumberToObject(o, "NextAttempt", (double)e->next);
		cJSON_AddNumberToObject(o, "Time", (double)e->when);
		if (e->reason)
			cJSON_AddStringToObject(o, "Reason", e->reason);
	}
	text = cJSON_Print(root);
	if (text)
		rc = tm__fs_write_atomic(path, text, strlen(text), 0644, 1);
out:
	free(text);
	cJSON_Delete(root);
	return rc;
}

static struct ep_state *state_get(struct state *s, const char *endpoint)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].endpoint, endpoint))
			return &s->v[i];
	if (s->n == MAX_ENDPOINTS)
		return NULL;
	memset(&s->v[s->n], 0, sizeof s->v[0]);
	s->v[s->n].endpoint = strdup(endpoint);
	if (!s->v[s->n].endpoint)
		return NULL;
	return &s->v[s->n++];
}

static void set_reason(struct ep_state *e, const char *reason)
{
	free(e->reason);
	e->reason = reason ? strdup(reason) : NULL;
}

/* ---- HTTP ------------------------------------------------------------ */

struct reply {
	char text[REPLY_CAP];
	size_t len;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n;
	size_t room = sizeof r->text - 1 - r->len;

	memcpy(r->text + r->len, p, len < room ? len : room);
	r->len += len < room ? len : room;
	r->text[r->len] = '\0';
	return len;
}

static long env_ms(const char *name, long def)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return def;
	v = strtol(s, &end, 10);
	return *end || v < 100 || v > 600000 ? def : v;
}

/* one_line makes server text safe for a log line: printable, no
 * newlines, cut short. */
static void one_line(char *s)
{
	size_t w = 0;

	for (size_t i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		if (c < 0x20 || c == 0x7f)
			continue;
		if (c == ' ' && (w == 0 || s[w - 1] == ' '))
			continue;
		s[w++] = (char)c;
	}
	while (w && s[w - 1] == ' ')
		w--;
	s[w] = '\0';
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* post sends BODY to URL. Returns the HTTP status (> 0), or 0 when no
 * answer came (ERR then says why). *RETRY_AFTER gets the server's
 * Retry-After in seconds (0 if none); REPLY its text. */
static long post(const char *url, const char *body, size_t len,
		 long *retry_after, struct reply *reply, char *err,
		 size_t errcap)
{
	char ebuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdr = NULL;
	curl_off_t ra = 0;
	long status = 0;
	CURLcode cc;
	CURL *h;

	*retry_after = 0;
	reply->len = 0;
	reply->text[0] = '\0';
	pthread_once(&curl_once, curl_init);
	h = curl_easy_init();
	if (!h) {
		snprintf(err, errcap, "cannot start libcurl");
		return 0;
	}
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	/* No "Expect: 100-continue": reports are small, and a server that
	 * ignores it would cost us a second of waiting. */
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "tmwatch/" TMWATCH_VERSION);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	/* Plain http may only go to loopback (uploadconfig.c); through a
	 * proxy it would leave the machine in cleartext, and a proxy's
	 * "127.0.0.1" is not ours anyway. An empty CURLOPT_PROXY overrides
	 * every proxy variable (CURLOPT_PROXY(3)); NOPROXY "*" says the same
	 * again should a later libcurl read the variables differently. Other
	 * https endpoints keep honouring the proxy variables (issue 14). */
	if (!strncmp(url, "http://", 7) ||
	    tm__uploadconfig_is_loopback_url(url)) {
		curl_easy_setopt(h, CURLOPT_PROXY, "");
		curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	}
	/* NOSIGNAL: libcurl must not use SIGALRM for DNS timeouts inside
	 * other people's processes (libcurl-tutorial, "Multi-threading"). */
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 env_ms("TMWATCH_UPLOAD_CONNECT_TIMEOUT_MS",
				TM__UPLOAD_CONNECT_TIMEOUT_MS));
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
			 env_ms("TMWATCH_UPLOAD_TIMEOUT_MS",
				TM__UPLOAD_TIMEOUT_MS));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	cc = curl_easy_perform(h);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		/* libcurl parses both Retry-After forms (7.66+). */
		if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) ==
		    CURLE_OK && ra > 0)
			*retry_after = ra > TM__UPLOAD_RETRY_AFTER_MAX_S ?
				       TM__UPLOAD_RETRY_AFTER_MAX_S : (long)ra;
	} else {
		snprintf(err, errcap, "%s", *ebuf ? ebuf :
			 curl_easy_strerror(cc));
		one_line(err);
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	one_line(reply->text);
	return status;
}

/* ---- one report ------------------------------------------------------ */

struct run {
	const char *store;
	char local[4096];
	time_t now;
	tm__log_fn log;
	void *arg;
	struct tm__upload_configs cfgs;
	size_t nendpoints;
	const char *endpoints[MAX_ENDPOINTS];
	struct tm__upload_result *res;
};

static time_t backoff(int attempts, long retry_after)
{
	time_t b = TM__UPLOAD_BACKOFF_S;

	for (int i = 1; i < attempts && b < TM__UPLOAD_BACKOFF_MAX_S; i++)
		b *= 2;
	if (b > TM__UPLOAD_BACKOFF_MAX_S)
		b = TM__UPLOAD_BACKOFF_MAX_S;
	return retry_after > b ? retry_after : b;
}

static int split_for(struct run *u, const struct tm__report *r,
		     const char *endpoint, struct tm__report *out)
{
	const struct tm__upload_config *cv[MAX_ENDPOINTS * 4];
	size_t n = 0;

	for (size_t k = 0; k < u->cfgs.n && n < sizeof cv / sizeof cv[0]; k++)
		if (!strcmp(u->cfgs.v[k].endpoint, endpoint))
			cv[n++] = &u->cfgs.v[k];
	return tm__report_filter(r, cv, n, out);
}

static int has_data(const struct tm__report *r)
{
	for (size_t i = 0; i < r->nprograms; i++)
		if (r->programs[i].ncounters || r->programs[i].nstacks)
			return 1;
	return 0;
}

/* send_one handles one (report, endpoint) pair; updates E. */
static int send_one(struct run *u, const struct tm__report *split,
		    struct ep_state *e)
{
	char url[4200], err[CURL_ERROR_SIZE + 64] = "", why[600];
	struct reply reply;
	long status, ra;
	char *body;
	size_t len;
	int rc;

	if (tm__uploadconfig_check_endpoint(e->endpoint, why, sizeof why)) {
		/* Configs are validated at load; this guards the state. */
		e->status = EP_REJECTED;
		set_reason(e, "endpoint is not https");
		return 0;
	}
	rc = tm__report_format(split, &body, &len);
	if (rc)
		return rc;
	snprintf(url, sizeof url, "%s/%s", e->endpoint, split->week);
	status = post(url, body, len, &ra, &reply, err, sizeof err);
	free(body);
	e->when = u->now;
	if (status == 200) {
		e->status = EP_SENT;
		set_reason(e, NULL);
		u->res->nsent++;
		tm__logf(u->log, u->arg, "week %s: sent to '%s' (%zu bytes)",
		      split->week, url, len);
		return 0;
	}
	if (status >= 400 && status < 500 && status != 408 && status != 429) {
		snprintf(why, sizeof why, "HTTP %ld: %s", status,
			 *reply.text ? reply.text : "no reason given");
		e->status = EP_REJECTED;
		set_reason(e, why);
		u->res->nrejected++;
		tm__logf(u->log, u->arg, "week %s: rejected by '%s': %s; set "
		      "aside, not retried", split->week, url, why);
		return 0;
	}
	if (status)
		snprintf(why, sizeof why, "HTTP %ld: %s", status,
			 *reply.text ? reply.text : "no reason given");
	else
		snprintf(why, sizeof why, "%s", err);
	e->attempts++;
	e->next = u->now + backoff(e->attempts, ra);
	set_reason(e, why);
	u->res->nfailed++;
	{
		char when[21];

		tm__clock_rfc3339(e->next, when);
		tm__logf(u->log, u->arg, "week %s: upload to '%s' failed: %s; "
		      "retrying after %s", split->week, url, why, when);
	}
	return 0;
}

static int move_done(struct run *u, const char *week, int any_sent)
{
	char from[PATHCAP], to[PATHCAP + 32], dir[PATHCAP], bad[PATHCAP];
	int rc;

	snprintf(from, sizeof from, "%s/%s.json", u->local, week);
	if (any_sent)
		snprintf(dir, sizeof dir, "%s/upload", u->store);
	else
		snprintf(dir, sizeof dir, "%s/rejected", u->local);
	if (tm__fs_mkdirs(dir, 0755))
		return -errno;
	rc = tm__report_check_dir(u->store, any_sent ? "upload" :
				  "local/rejected", bad, sizeof bad);
	if (rc) {
		if (rc == TM_EUNSAFE)
			tm__report_unsafe_line(u->log, u->arg, bad);
		return rc;
	}
	snprintf(to, sizeof to, "%s/%s.json", dir, week);
	if (rename(from, to) < 0)
		return -errno;
	tm__logf(u->log, u->arg, "week %s: moved to '%s'", week, to);
	return 0;
}

/* lock_report takes local/WEEK.json.lock; returns the fd, TM_ELOCKED, or
 * -errno. The fd's inode must still be the path's: a holder unlinks the
 * lock file when done, and we must not lock an orphan. */
static int lock_report(const char *lockpath)
{
	for (int tries = 0; tries < 3; tries++) {
		struct stat a, b;
		int fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC |
			      O_NOFOLLOW, 0644);

		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int e = errno;

			close(fd);
			return e == EWOULDBLOCK ? TM_ELOCKED : -e;
		}
		if (fstat(fd, &a) == 0 && stat(lockpath, &b) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
			char who[64];
			int n = snprintf(who, sizeof who, "%ld\n",
					 (long)getpid());

			if (ftruncate(fd, 0) == 0 &&
			    write(fd, who, (size_t)n) < 0)
				(void)0; /* the pid is only a hint */
			return fd;
		}
		close(fd);
	}
	return TM_ELOCKED;
}

static int upload_report(struct run *u, const char *week)
{
	char path[PATHCAP], lock[PATHCAP + 8], spath[PATHCAP], why[300];
	struct tm__report r;
	struct state st;
	char *buf = NULL;
	size_t len;
	int fd, rc, pending = 0, any_sent = 0, any_data = 0;

	snprintf(path, sizeof path, "%s/%s.json", u->local, week);
	snprintf(lock, sizeof lock, "%s.lock", path);
	snprintf(spath, sizeof spath, "%s/%s.upload", u->local, week);
	fd = lock_report(lock);
	if (fd == TM_ELOCKED) {
		u->res->nlocked++;
		tm__logf(u->log, u->arg, "week %s: being uploaded by another "
		      "process; skipped", week);
		return 0;
	}
	if (fd < 0)
		return fd;
	buf = malloc(MAX_REPORT_BYTES);
	if (!buf) {
		rc = -ENOMEM;
		goto unlock;
	}
	rc = tm__report_file_ok(path);
	if (rc == TM_EUNSAFE) {
		tm__logf(u->log, u->arg, "report '%s' is not a regular file of "
			 "yours; never sent: remove it", path);
		rc = 0;
		goto unlock;
	}
	if (!rc)
		rc = tm__report_file_ok(spath) == TM_EUNSAFE ? TM_EUNSAFE : 0;
	if (rc == TM_EUNSAFE) {
		tm__logf(u->log, u->arg, "upload state '%s' is not a regular "
			 "file of yours; week %s not sent: remove it", spath,
			 week);
		goto unlock;
	}
	rc = tm__fs_read_small(path, buf, MAX_REPORT_BYTES, &len);
	if (rc == -ENOENT) {
		/* Another process finished it between listing and lock. */
		unlink(lock);
		rc = 0;
		goto unlock;
	}
	if (!rc)
		rc = tm__report_parse(buf, len, &r, why, sizeof why);
	if (rc == TM_EBADREPORT) {
		/* Never send what we cannot read; keep it for inspection. */
		tm__logf(u->log, u->arg, "week %s: '%s' is not a valid report "
		      "(%s); set aside", week, path, why);
		u->res->nrejected++;
		rc = move_done(u, week, 0);
		goto unlock;
	}
	if (rc) {
		tm__logf(u->log, u->arg, "week %s: cannot read '%s': %s", week,
		      path, tm_strerror(rc));
		goto unlock;
	}
	state_load(spath, &st);
	for (size_t i = 0; i < u->nendpoints; i++) {
		struct tm__report split;
		struct ep_state *e;

		rc = split_for(u, &r, u->endpoints[i], &split);
		if (rc)
			break;
		if (!has_data(&split)) {
			tm__report_free(&split);
			continue;
		}
		any_data = 1;
		e = state_get(&st, u->endpoints[i]);
		if (!e) {
			tm__report_free(&split);
			rc = -ENOMEM;
			break;
		}
		if (e->status == EP_PENDING && e->next > u->now) {
			char when[21];

			tm__clock_rfc3339(e->next, when);
			u->res->ndeferred++;
			pending = 1;
			tm__logf(u->log, u->arg, "week %s: next attempt to '%s' "
			      "not before %s", week, e->endpoint, when);
		} else if (e->status == EP_PENDING) {
			rc = send_one(u, &split, e);
			/* Record every outcome at once: a crash right after
			 * a 200 must not lead to a second upload. */
			if (!rc)
				rc = state_save(spath, &st);
			if (e->status == EP_PENDING)
				pending = 1;
		}
		if (e->status == EP_SENT)
			any_sent = 1;
		tm__report_free(&split);
		if (rc)
			break;
	}
	if (!rc && !any_data) {
		u->res->nunsendable++;
		tm__logf(u->log, u->arg, "week %s: no current upload config "
		      "allows any of it; kept", week);
	} else if (!rc && !pending) {
		for (size_t i = 0; i < st.n; i++)
			if (st.v[i].status == EP_SENT)
				any_sent = 1;
		rc = move_done(u, week, any_sent);
		if (!rc)
			unlink(lock);
	}
	state_free(&st);
	tm__report_free(&r);
unlock:
	free(buf);
	close(fd);
	return rc;
}

static int is_candidate(const char *n)
{
	return strlen(n) == 15 && !strcmp(n + 10, ".json") &&
	       n[4] == '-' && n[7] == '-';
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* list_candidates returns the sorted weeks with a pending report. A
 * candidate that is not a regular file of ours (planted while local/ was
 * open to others, or a symlink) is never listed, so never sent; LOG (may
 * be NULL) says so. */
static int list_candidates(const char *local, char ***out, size_t *n,
			   tm__log_fn log, void *arg)
{
	size_t cap = 0;
	struct dirent *de;
	DIR *d = opendir(local);
	char path[PATHCAP];

	*out = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)) && *n < 10000) {
		if (!is_candidate(de->d_name))
			continue;
		snprintf(path, sizeof path, "%s/%s", local, de->d_name);
		if (tm__report_file_ok(path) == TM_EUNSAFE) {
			tm__logf(log, arg, "report '%s' is not a regular file "
				 "of yours; never sent: remove it", path);
			continue;
		}
		if (*n == cap) {
			char **nv = realloc(*out, (cap = cap ? cap * 2 : 16) *
					    sizeof *nv);

			if (!nv)
				break;
			*out = nv;
		}
		(*out)[*n] = strndup(de->d_name, 10);
		if ((*out)[*n])
			(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(*out, *n, sizeof **out, cmp_str);
	return 0;
}

void tm__upload_result_free(struct tm__upload_result *res)
{
	if (res)
		tm__report_result_free(&res->reports);
}

int tm__upload_run(const char *store_dir, unsigned flags, tm__log_fn log,
		   void *arg, struct tm__upload_result *res)
{
	struct run u = { .store = store_dir, .log = log, .arg = arg,
			 .res = res };
	struct tm__mode_info mode;
	char **weeks = NULL;
	size_t nweeks = 0;
	int rc;

	memset(res, 0, sizeof *res);
	rc = tm__mode_load(store_dir, &mode);
	if (rc)
		return rc;
	if (mode.effective == TM_MODE_OFF)
		return TM_EOFF;
	rc = tm__report_build(store_dir, flags & TM__UPLOAD_DAILY ?
			      TM__REPORT_DAILY : 0, log, arg, &res->reports);
	if (rc == TM_EUNSAFE)
		return rc; /* the report step said which directory */
	if (rc && rc != TM_EOFF)
		tm__logf(log, arg, "building reports: %s", tm_strerror(rc));
	if (res->reports.not_due)
		return 0;
	if (mode.effective != TM_MODE_ON) {
		tm__logf(log, arg, "uploading is off (mode %s%s%s); nothing sent",
		      tm__mode_name(mode.effective),
		      mode.forced_by ? ", set by " : "",
		      mode.forced_by ? mode.forced_by : "");
		return rc;
	}
	u.now = tm__clock_now();
	if (tm__paths_join(u.local, sizeof u.local, store_dir, "local"))
		return -ENAMETOOLONG;
	rc = tm__uploadconfig_load_all(store_dir, &u.cfgs);
	if (rc)
		return rc;
	for (size_t i = 0; i < u.cfgs.nerrors; i++)
		tm__logf(log, arg, "upload config skipped: %s", u.cfgs.errors[i]);
	for (size_t k = 0; k < u.cfgs.n; k++) {
		size_t j;

		for (j = 0; j < u.nendpoints; j++)
			if (!strcmp(u.endpoints[j], u.cfgs.v[k].endpoint))
				break;
		if (j == u.nendpoints && u.nendpoints < MAX_ENDPOINTS)
			u.endpoints[u.nendpoints++] = u.cfgs.v[k].endpoint;
	}
	rc = tm__report_check_store(store_dir, log, arg);
	if (rc) {
		tm__uploadconfig_free_all(&u.cfgs);
		return rc;
	}
	rc = list_candidates(u.local, &weeks, &nweeks, log, arg);
	for (size_t i = 0; i < nweeks; i++) {
		long age = tm__report_week_age_days(weeks[i], u.now);
		int wrc;

		if (age > TM__REPORT_MAX_AGE_DAYS) {
			res->ntoo_old++;
			tm__logf(log, arg, "week %s: more than %d days old; never "
			      "uploaded", weeks[i], TM__REPORT_MAX_AGE_DAYS);
			continue;
		}
		/* One report's trouble must not hold back the others. */
		wrc = upload_report(&u, weeks[i]);
		if (wrc && !rc)
			rc = wrc;
	}
	for (size_t i = 0; i < nweeks; i++)
		free(weeks[i]);
	free(weeks);
	if (nweeks == 0)
		tm__logf(log, arg, "no report waiting for upload");
	tm__uploadconfig_free_all(&u.cfgs);
	return rc;
}

/* ---- status ---------------------------------------------------------- */

static int add_entry(struct tm__upload_entry **v, size_t *n,
		     const char *week, const struct ep_state *e)
{
	struct tm__upload_entry *nv = realloc(*v, (*n + 1) * sizeof *nv);
	struct tm__upload_entry *x;

	if (!nv)
		return -ENOMEM;
	*v = nv;
	x = &nv[*n];
	memset(x, 0, sizeof *x);
	snprintf(x->week, sizeof x->week, "%s", week);
	if (e) {
		x->endpoint = e->endpoint ? strdup(e->endpoint) : NULL;
		x->reason = e->reason ? strdup(e->reason) : NULL;
		x->attempts = e->attempts;
		x->next_attempt = e->next;
		x->when = e->when;
	}
	(*n)++;
	return 0;
}

static void free_entries(struct tm__upload_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].endpoint);
		free(v[i].reason);
	}
	free(v);
}

void tm__upload_status_free(struct tm__upload_status *st)
{
	if (!st)
		return;
	free_entries(st->pending, st->npending);
	free_entries(st->rejected, st->nrejected);
	free(st->last_endpoint);
	memset(st, 0, sizeof *st);
}

static int status_week(struct tm__upload_status *st, const char *local,
		       const char *week, int is_pending, time_t now)
{
	char spath[PATHCAP];
	struct state s;
	int rc = 0, listed = 0;

	snprintf(spath, sizeof spath, "%s/%s.upload", local, week);
	state_load(spath, &s);
	if (is_pending && tm__report_week_age_days(week, now) >
	    TM__REPORT_MAX_AGE_DAYS) {
		st->ntoo_old++;
		is_pending = 0;
	}
	for (size_t i = 0; i < s.n && !rc; i++) {
		const struct ep_state *e = &s.v[i];

		if (e->status == EP_REJECTED)
			rc = add_entry(&st->rejected, &st->nrejected, week, e);
		else if (e->status == EP_PENDING && is_pending) {
			rc = add_entry(&st->pending, &st->npending, week, e);
			listed = 1;
		} else if (e->status == EP_SENT &&
			   (strcmp(week, st->last_week) > 0 ||
			    (!strcmp(week, st->last_week) &&
			     e->when > st->last_time))) {
			snprintf(st->last_week, sizeof st->last_week, "%s",
				 week);
			st->last_time = e->when;
			free(st->last_endpoint);
			st->last_endpoint = strdup(e->endpoint);
		}
	}
	if (!rc && is_pending && !listed)
		rc = add_entry(&st->pending, &st->npending, week, NULL);
	state_free(&s);
	return rc;
}

int tm__upload_status(const char *store_dir, struct tm__upload_status *st)
{
	char local[4096], dir[PATHCAP];
	char **weeks;
	size_t n;
	time_t now = tm__clock_now();
	int rc;

	memset(st, 0, sizeof *st);
	if (tm__paths_join(local, sizeof local, store_dir, "local"))
		return -ENAMETOOLONG;
	rc = list_candidates(local, &weeks, &n, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		if (!rc)
			rc = status_week(st, local, weeks[i], 1, now);
		free(weeks[i]);
	}
	free(weeks);
	snprintf(dir, sizeof dir, "%s/rejected", local);
	if (!rc && !(rc = list_candidates(dir, &weeks, &n, NULL, NULL))) {
		for (size_t i = 0; i < n; i++) {
			if (!rc)
				rc = status_week(st, local, weeks[i], 0, now);
			free(weeks[i]);
		}
		free(weeks);
	}
	snprintf(dir, sizeof dir, "%s/upload", store_dir);
	if (!rc && !(rc = list_candidates(dir, &weeks, &n, NULL, NULL))) {
		st->nuploaded = n;
		for (size_t i = 0; i < n; i++) {
			if (!rc)
				rc = status_week(st, local, weeks[i], 0, now);
			if (!rc && strcmp(weeks[i], st->last_week) > 0) {
				memcpy(st->last_week, weeks[i], 11);
				st->last_time = 0;
				free(st->last_endpoint);
				st->last_endpoint = NULL;
			}
			free(weeks[i]);
		}
		free(weeks);
	}
	if (rc)
		tm__upload_status_free(st);
	return rc;
}

/* ---- the watchdog's background run ------------------------------------ */

static void daily_child(const char *store)
{
	struct tm__upload_result res;
	struct sigaction sa = { .sa_handler = SIG_DFL };

	tm__detach_process();
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* The hard bound: whatever hangs, the default SIGALRM ends us. */
	alarm(TM__UPLOAD_DAILY_MAX_S);
	setpriority(PRIO_PROCESS, 0, 10);
	tm__upload_run(store, TM__UPLOAD_DAILY, NULL, NULL, &res);
	tm__upload_result_free(&res);
}

int tm__upload_daily_spawn(void)
{
	struct tm__mode_info mode;
	char store[4096];
	int rc, status;
	pid_t pid;

	rc = tm__paths_store_dir(store, sizeof store);
	if (rc)
		return rc;
	rc = tm__mode_load(store, &mode);
	if (rc)
		return rc;
	if (mode.effective == TM_MODE_OFF)
		return TM_EOFF;
	/* Most exits stop here: one stat, no fork. */
	if (!tm__dailytoken_due(store, tm__clock_now()))
		return 0;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		pid_t gc = fork();

		if (gc == 0) {
			daily_child(store);
			_exit(0);
		}
		_exit(gc < 0 ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

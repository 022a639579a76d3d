/* SPDX-License-Identifier: MIT */
/* store_pg.c -- the PostgreSQL store: reports in one database that any
 * number of collectors share.
 *
 * Owns the schema (a list of migrations applied in order at start, under
 * an advisory lock, the version in tmwatch_schema), a small pool of libpq
 * connections (libpq connections are not shared between threads), and
 * the mapping of database failures to "unreachable, retry" (-EAGAIN, the
 * collector's 503 with Retry-After): a connection found broken is dropped
 * and the next request opens a new one, so a collector reconnects by
 * itself once the database is back. A report is one INSERT ... ON
 * CONFLICT DO NOTHING in its own transaction, committed before put
 * returns. The merged day is built here from the stored bytes with the
 * file store's rules (merge.c: order of "X.json" names, whitespace
 * removed, validated again), so both stores give the same bytes; the
 * daily merge runs in the one collector holding an advisory lock. Never
 * prints, except merge_stale's log lines; never logs the URI (it may name
 * a user; a password is refused). Schema: docs/collector.md.
 */
#define _GNU_SOURCE
#include "store.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "merge.h"
#include "report.h"
#include "tmwatch/common.h"

/* Connections one collector holds at most (requests beyond wait). */
#define POOL_MAX 16
/* Advisory lock keys ("tmwatchs", "tmwatchm"): the schema migration and
 * the daily merge, one collector at a time per database. */
#define LOCK_SCHEMA "8398309428420519027"
#define LOCK_MERGE "8398309428420519021"

/* migrations[i] brings the schema from version i to i + 1, in one
 * transaction. Append; never edit a released one. */
static const char *const migrations[] = {
	/* 1: reports keyed by (week, X) with their exact bytes and the
	 * parsed fields; merged days; per-day totals as views. */
	"CREATE TABLE reports ("
	" week date NOT NULL,"
	" x text NOT NULL,"
	" body bytea NOT NULL,"
	" fields jsonb NOT NULL,"
	" received_at timestamptz NOT NULL DEFAULT now(),"
	" PRIMARY KEY (week, x));"
	"CREATE TABLE merged ("
	" day date PRIMARY KEY,"
	" nsource bigint NOT NULL,"
	" nreports bigint NOT NULL,"
	" nskipped bigint NOT NULL,"
	" body bytea NOT NULL,"
	" merged_at timestamptz NOT NULL DEFAULT now());"
	"CREATE VIEW program_counters AS"
	" SELECT r.week AS day, p->>'Program' AS program,"
	" p->>'Version' AS version, c.key AS counter,"
	" sum(c.value::numeric) AS total, count(*) AS reports"
	" FROM reports r, jsonb_array_elements(r.fields->'Programs') p,"
	" jsonb_each(p->'Counters') c GROUP BY 1, 2, 3, 4;"
	"CREATE VIEW program_stacks AS"
	" SELECT r.week AS day, p->>'Program' AS program,"
	" p->>'Version' AS version, s.key AS stack,"
	" sum(s.value::numeric) AS total, count(*) AS reports"
	" FROM reports r, jsonb_array_elements(r.fields->'Programs') p,"
	" jsonb_each(p->'Stacks') s GROUP BY 1, 2, 3, 4;",
};
#define SCHEMA_VERSION (sizeof migrations / sizeof migrations[0])

struct pg_store {
	struct store base;
	char *uri;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	PGconn *idle[POOL_MAX];
	size_t nidle, nopen;
};

static void ignore_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static PGconn *connect_db(const char *uri)
{
	/* Ours first: what the URI says overrides them (libpq applies
	 * later keywords over earlier ones). UTF8, so a body that is not
	 * UTF-8 is refused by convert_from below, not stored. */
	static const char *const kw[] = { "connect_timeout",
					  "application_name",
					  "client_encoding", "dbname", NULL };
	const char *val[] = { "10", "tmwatch-collector", "UTF8", uri, NULL };
	PGconn *c = PQconnectdbParams(kw, val, 1);

	/* NOTICEs ("already exists, skipping") are not the log's business;
	 * libpq would print them on stderr. */
	if (c)
		PQsetNoticeProcessor(c, ignore_notice, NULL);
	return c;
}

/* pool_get gives a connection that was working when last used, or a new
 * one; NULL when the database is unreachable. */
static PGconn *pool_get(struct pg_store *p)
{
	PGconn *c = NULL;

	pthread_mutex_lock(&p->mu);
	while (!p->nidle && p->nopen >= POOL_MAX)
		pthread_cond_wait(&p->cv, &p->mu);
	if (p->nidle)
		c = p->idle[--p->nidle];
	else
		p->nopen++;
	pthread_mutex_unlock(&p->mu);
	if (!c)
		c = connect_db(p->uri);
	if (!c || PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		pthread_mutex_lock(&p->mu);
		p->nopen--;
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
		return NULL;
	}
	return c;
}

/* pool_put gives C back, or drops it when it is broken or mid-way
 * through a transaction. */
static void pool_put(struct pg_store *p, PGconn *c)
{
	if (PQstatus(c) != CONNECTION_OK ||
	    PQtransactionStatus(c) != PQTRANS_IDLE) {
		PQfinish(c);
		c = NULL;
	}
	pthread_mutex_lock(&p->mu);
	if (c)
		p->idle[p->nidle++] = c;
	else
		p->nopen--;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* failure maps a failed result to a code: -EAGAIN when the database is
 * unreachable or shutting down (class 08, 57P0x), TM_EINVAL for data it
 * refuses (class 22: not UTF-8, not JSON), -ENOSPC for class 53, else
 * -EIO. */
static int failure(PGconn *c, const PGresult *r)
{
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	if (PQstatus(c) != CONNECTION_OK || !st)
		return -EAGAIN;
	if (!strncmp(st, "08", 2) || !strncmp(st, "57P0", 4))
		return -EAGAIN;
	if (!strncmp(st, "22", 2))
		return TM_EINVAL;
	if (!strncmp(st, "53", 2))
		return -ENOSPC;
	return -EIO;
}

/* exec_ok runs SQL without parameters; 0 or a failure() code. */
static int exec_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType s = PQresultStatus(r);
	int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? 0 :
		 failure(c, r);

	PQclear(r);
	return rc;
}

static int put_once(PGconn *c, const char *week, const char *key,
		    const char *body, size_t len)
{
	const char *vals[3] = { week, key, body };
	int lens[3] = { 0, 0, (int)len };
	int fmts[3] = { 0, 0, 1 };
	PGresult *r;
	int rc;

	r = PQexecParams(c, "INSERT INTO reports (week, x, body, fields) "
			 "VALUES ($1::date, $2, $3::bytea, "
			 "convert_from($3::bytea, 'UTF8')::jsonb) "
			 "ON CONFLICT DO NOTHING", 3, NULL, vals, lens, fmts,
			 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		rc = failure(c, r);
		PQclear(r);
		return rc;
	}
	rc = strcmp(PQcmdTuples(r), "1") ? 1 : 0;
	PQclear(r);
	if (!rc)
		return 0;
	/* Someone stored that key first: the same bytes, or not. */
	r = PQexecParams(c, "SELECT body = $3::bytea FROM reports "
			 "WHERE week = $1::date AND x = $2", 3, NULL, vals,
			 lens, fmts, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		rc = PQresultStatus(r) == PGRES_TUPLES_OK ? -EIO :
		     failure(c, r);
		PQclear(r);
		return rc;
	}
	rc = !strcmp(PQgetvalue(r, 0, 0), "t") ? 1 : -EEXIST;
	PQclear(r);
	return rc;
}

static int pg_put(struct store *s, const char *week, const char *key,
		  const char *body, size_t len)
{
	struct pg_store *p = (struct pg_store *)s;
	int rc = -EAGAIN;

	if (len > INT32_MAX)
		return -EFBIG;
	/* Twice: an idle connection may have been cut while the database
	 * restarted; the second try opens a new one. */
	for (int attempt = 0; attempt < 2 && rc == -EAGAIN; attempt++) {
		PGconn *c = pool_get(p);

		if (!c)
			return -EAGAIN;
		rc = put_once(c, week, key, body, len);
		pool_put(p, c);
	}
	return rc;
}

/* query runs SQL with text parameters (binary results when BINARY) on a
 * pooled connection, retrying once on a cut connection. Returns the
 * result (caller clears it and puts *C back) or NULL with *RC. */
static PGresult *query(struct pg_store *p, PGconn **c, const char *sql,
		       int n, const char *const *vals, int binary, int *rc)
{
	*rc = -EAGAIN;
	for (int attempt = 0; attempt < 2 && *rc == -EAGAIN; attempt++) {
		PGresult *r;

		if (!(*c = pool_get(p)))
			return NULL;
		r = PQexecParams(*c, sql, n, NULL, vals, NULL, NULL, binary);
		if (PQresultStatus(r) == PGRES_TUPLES_OK ||
		    PQresultStatus(r) == PGRES_COMMAND_OK) {
			*rc = 0;
			return r;
		}
		*rc = failure(*c, r);
		PQclear(r);
		pool_put(p, *c);
		*c = NULL;
	}
	return NULL;
}

static int pg_list_days(struct store *s, char ***days, size_t *n)
{
	struct pg_store *p = (struct pg_store *)s;
	PGconn *c;
	PGresult *r;
	int rc;

	*days = NULL;
	*n = 0;
	r = query(p, &c, "SELECT DISTINCT week::text FROM reports "
		  "ORDER BY 1", 0, NULL, 0, &rc);
	if (!r)
		return rc;
	if (PQntuples(r) && !(*days = calloc((size_t)PQntuples(r),
					     sizeof **days)))
		rc = -ENOMEM;
	for (int i = 0; !rc && i < PQntuples(r); i++) {
		if (!((*days)[i] = strdup(PQgetvalue(r, i, 0))))
			rc = -ENOMEM;
		else
			(*n)++;
	}
	PQclear(r);
	pool_put(p, c);
	if (rc) {
		merge_free_days(*days, *n);
		*days = NULL;
		*n = 0;
	}
	return rc;
}

/* build_day merges DAY's stored reports into a malloc'd *OUT (*LEN
 * bytes): the file store's bytes for the same reports. *NSOURCE gets the
 * number of rows read. 0 or a code. */
static int build_day(struct pg_store *p, const char *day, char **out,
		     size_t *len, long long *nsource, struct merge_result *res)
{
	const char *vals[1] = { day };
	size_t cap = 0;
	char *buf = NULL;
	PGconn *c;
	PGresult *r;
	int rc = 0;

	memset(res, 0, sizeof *res);
	/* Byte order of the file names "X.json", as merge.c sorts them
	 * ("0.json" sorts after "0.25.json"). */
	r = query(p, &c, "SELECT body FROM reports WHERE week = $1::date "
		  "ORDER BY (x || '.json') COLLATE \"C\"", 1, vals, 1, &rc);
	if (!r)
		return rc;
	*nsource = PQntuples(r);
	for (int i = 0; i < PQntuples(r); i++) {
		size_t n = (size_t)PQgetlength(r, i, 0);
		struct tm__report rep;
		char why[64];

		if (*len + n + 1 > cap) {
			size_t nc = cap ? cap : 1 << 16;
			char *nb;

			while (nc < *len + n + 1)
				nc *= 2;
			if (!(nb = realloc(buf, nc))) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
			cap = nc;
		}
		memcpy(buf + *len, PQgetvalue(r, i, 0), n);
		rc = tm__report_parse(buf + *len, n, &rep, why, sizeof why);
		if (rc == -ENOMEM)
			break;
		if (rc) {
			rc = 0;
			res->nskipped++;
			continue;
		}
		tm__report_free(&rep);
		n = merge_minify(buf + *len, n);
		buf[*len + n] = '\n';
		*len += n + 1;
		res->nreports++;
	}
	PQclear(r);
	pool_put(p, c);
	if (rc) {
		free(buf);
		return rc;
	}
	res->nbytes = *len;
	*out = buf;
	return 0;
}

/* merge_to_db builds DAY and stores it in merged; OUT and LEN get the bytes
 * when OUT is not NULL. */
static int merge_to_db(struct pg_store *p, const char *day,
		       struct merge_result *res, char **out, size_t *len)
{
	char *buf = NULL, ns[24], nr[24], nk[24];
	size_t n = 0;
	long long nsource = 0;
	PGconn *c;
	PGresult *r;
	int rc;

	if (!merge_is_date(day))
		return TM_EINVAL;
	if ((rc = build_day(p, day, &buf, &n, &nsource, res)))
		return rc;
	if (!nsource) {
		/* A day without reports: nothing to keep (the file store
		 * writes an empty file; its readers see no day either). */
		if (out) {
			*out = buf;
			*len = 0;
		}
		return 0;
	}
	snprintf(ns, sizeof ns, "%lld", nsource);
	snprintf(nr, sizeof nr, "%zu", res->nreports);
	snprintf(nk, sizeof nk, "%zu", res->nskipped);
	{
		const char *vals[5] = { day, ns, nr, nk, buf ? buf : "" };
		int lens[5] = { 0, 0, 0, 0, (int)n };
		int fmts[5] = { 0, 0, 0, 0, 1 };

		rc = -EAGAIN;
		for (int a = 0; a < 2 && rc == -EAGAIN; a++) {
			if (!(c = pool_get(p)))
				break;
			r = PQexecParams(c, "INSERT INTO merged (day, nsource,"
					 " nreports, nskipped, body) VALUES "
					 "($1::date, $2, $3, $4, $5::bytea) "
					 "ON CONFLICT (day) DO UPDATE SET "
					 "nsource = $2, nreports = $3, "
					 "nskipped = $4, body = $5::bytea, "
					 "merged_at = now()", 5, NULL, vals,
					 lens, fmts, 0);
			rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 :
			     failure(c, r);
			PQclear(r);
			pool_put(p, c);
		}
	}
	if (!rc && out) {
		*out = buf;
		*len = n;
	} else {
		free(buf);
	}
	return rc;
}

static int pg_merge_day(struct store *s, const char *day,
			struct merge_result *res)
{
	return merge_to_db((struct pg_store *)s, day, res, NULL, NULL);
}

/* to_memfd gives a readable fd holding LEN bytes of BUF. */
static int to_memfd(const char *buf, size_t len, int *fd)
{
	int f = memfd_create("tmwatch-merged", MFD_CLOEXEC);
	size_t off = 0;

	if (f < 0)
		return -errno;
	while (off < len) {
		ssize_t w = write(f, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = -errno;

			close(f);
			return e;
		}
		off += (size_t)w;
	}
	lseek(f, 0, SEEK_SET);
	*fd = f;
	return 0;
}

static int pg_open_merged(struct store *s, const char *day, int *fd)
{
	struct pg_store *p = (struct pg_store *)s;
	const char *vals[1] = { day };
	struct merge_result res;
	char *buf = NULL;
	size_t len = 0;
	PGconn *c;
	PGresult *r;
	int rc;

	/* Fresh when the merged row was built from as many reports as the
	 * day holds now: reports are only ever added. */
	r = query(p, &c, "SELECT m.body FROM merged m WHERE m.day = "
		  "$1::date AND m.nsource = (SELECT count(*) FROM reports "
		  "WHERE week = $1::date) AND m.nsource > 0", 1, vals, 1,
		  &rc);
	if (!r)
		return rc;
	if (PQntuples(r) == 1) {
		rc = to_memfd(PQgetvalue(r, 0, 0),
			      (size_t)PQgetlength(r, 0, 0), fd);
		PQclear(r);
		pool_put(p, c);
		return rc;
	}
	PQclear(r);
	pool_put(p, c);
	if ((rc = merge_to_db(p, day, &res, &buf, &len)))
		return rc;
	if (!res.nreports && !res.nskipped) {
		free(buf);
		return -ENOENT;
	}
	rc = to_memfd(buf ? buf : "", len, fd);
	free(buf);
	return rc;
}

/* say writes one line to LOG (may be NULL) under MU (may be NULL). */
static void say(FILE *log, pthread_mutex_t *mu, const char *fmt, ...)
{
	va_list ap;

	if (!log)
		return;
	if (mu)
		pthread_mutex_lock(mu);
	va_start(ap, fmt);
	vfprintf(log, fmt, ap);
	va_end(ap);
	fflush(log);
	if (mu)
		pthread_mutex_unlock(mu);
}

static int pg_merge_stale(struct store *s, FILE *log, pthread_mutex_t *mu)
{
	struct pg_store *p = (struct pg_store *)s;
	PGconn *lk, *c;
	PGresult *r;
	int rc, merged = 0;

	/* One collector merges; the others find the lock taken, or nothing
	 * stale once it is released. */
	r = query(p, &lk, "SELECT pg_try_advisory_lock(" LOCK_MERGE ")", 0,
		  NULL, 0, &rc);
	if (!r)
		return rc;
	if (strcmp(PQgetvalue(r, 0, 0), "t")) {
		PQclear(r);
		pool_put(p, lk);
		say(log, mu, "tmwatch-collector: daily merge: another "
		    "collector holds the merge lock of %s\n", p->base.name);
		return 0;
	}
	PQclear(r);
	r = query(p, &c, "SELECT d.week::text FROM (SELECT week, count(*) "
		  "AS n FROM reports GROUP BY week) d LEFT JOIN merged m ON "
		  "m.day = d.week WHERE m.nsource IS DISTINCT FROM d.n "
		  "ORDER BY 1", 0, NULL, 0, &rc);
	if (r) {
		for (int i = 0; i < PQntuples(r); i++) {
			const char *day = PQgetvalue(r, i, 0);
			struct merge_result mr;
			int mrc = merge_to_db(p, day, &mr, NULL, NULL);

			if (mrc)
				say(log, mu, "tmwatch-collector: cannot merge "
				    "day %s: %s; retrying tomorrow or on the "
				    "next GET /merged/%s.json\n", day,
				    tm_strerror(mrc), day);
			else
				say(log, mu, "tmwatch-collector: merged %s: "
				    "%zu reports, %zu skipped, %zu bytes\n",
				    day, mr.nreports, mr.nskipped, mr.nbytes);
			if (!mrc)
				merged++;
		}
		PQclear(r);
		pool_put(p, c);
	}
	exec_ok(lk, "SELECT pg_advisory_unlock(" LOCK_MERGE ")");
	pool_put(p, lk);
	if (r)
		say(log, mu, "tmwatch-collector: daily merge done: %d days "
		    "merged\n", merged);
	return r ? merged : rc;
}

static void pg_close(struct store *s)
{
	struct pg_store *p = (struct pg_store *)s;

	for (size_t i = 0; i < p->nidle; i++)
		PQfinish(p->idle[i]);
	free(p->uri);
	free(p);
}

static const struct store_ops pg_ops = {
	.put = pg_put,
	.list_days = pg_list_days,
	.open_merged = pg_open_merged,
	.merge_day = pg_merge_day,
	.merge_stale = pg_merge_stale,
	.close = pg_close,
};

/* first_line copies libpq's message up to its first newline. */
static void first_line(char *dst, size_t cap, const char *msg)
{
	size_t n = strcspn(msg, "\n");

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, msg, n);
	dst[n] = '\0';
}

/* migrate brings the schema to SCHEMA_VERSION, one migration per
 * transaction, under an advisory lock so collectors starting together
 * apply each once. */
static int migrate(PGconn *c, char *why, size_t whycap)
{
	PGresult *r;
	long v;
	int rc;

	if ((rc = exec_ok(c, "SELECT pg_advisory_lock(" LOCK_SCHEMA ")")) ||
	    (rc = exec_ok(c, "CREATE TABLE IF NOT EXISTS tmwatch_schema "
			  "(version integer NOT NULL)")))
		goto fail;
	r = PQexec(c, "SELECT coalesce(max(version), 0) FROM "
		   "tmwatch_schema");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = failure(c, r);
		PQclear(r);
		goto fail;
	}
	v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	if (v > (long)SCHEMA_VERSION) {
		snprintf(why, whycap, "the database's schema is version %ld, "
			 "newer than this collector's %zu; upgrade "
			 "tmwatch-collector", v, SCHEMA_VERSION);
		exec_ok(c, "SELECT pg_advisory_unlock(" LOCK_SCHEMA ")");
		return TM_EINVAL;
	}
	for (; v < (long)SCHEMA_VERSION; v++) {
		char ins[96];

		snprintf(ins, sizeof ins, "INSERT INTO tmwatch_schema VALUES "
			 "(%ld)", v + 1);
		if ((rc = exec_ok(c, "BEGIN")) ||
		    (rc = exec_ok(c, migrations[v])) ||
		    (rc = exec_ok(c, ins)) || (rc = exec_ok(c, "COMMIT"))) {
			exec_ok(c, "ROLLBACK");
			goto fail;
		}
	}
	return exec_ok(c, "SELECT pg_advisory_unlock(" LOCK_SCHEMA ")");
fail:
	{
		char msg[256];

		first_line(msg, sizeof msg, PQerrorMessage(c));
		snprintf(why, whycap, "cannot set up the database schema: %s",
			 msg);
	}
	return rc ? rc : -EIO;
}

int store_pg_open(const char *uri, struct store **out, char *why,
		  size_t whycap)
{
	PQconninfoOption *opts;
	struct pg_store *p;
	char *err = NULL;
	PGconn *c;
	int rc;

	/* A password on the command line is visible to every user (ps);
	 * libpq reads it from PGPASSFILE or ~/.pgpass instead. */
	if (!(opts = PQconninfoParse(uri, &err))) {
		char msg[256];

		first_line(msg, sizeof msg, err ? err : "out of memory");
		snprintf(why, whycap, "--store: not a valid PostgreSQL URI: "
			 "%s", msg);
		PQfreemem(err);
		return TM_EINVAL;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && *o->val) {
			PQconninfoFree(opts);
			snprintf(why, whycap, "--store: the URI holds a "
				 "password; put it in PGPASSFILE or ~/.pgpass "
				 "instead");
			return TM_EINVAL;
		}
	PQconninfoFree(opts);
	if (!(p = calloc(1, sizeof *p)) || !(p->uri = strdup(uri))) {
		free(p);
		snprintf(why, whycap, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->base.ops = &pg_ops;
	c = connect_db(uri);
	if (!c || PQstatus(c) != CONNECTION_OK) {
		char msg[256];

		first_line(msg, sizeof msg, c ? PQerrorMessage(c) :
			   "out of memory");
		snprintf(why, whycap, "cannot connect to the PostgreSQL "
			 "store: %s; check --store and that the server runs",
			 msg);
		PQfinish(c);
		pg_close(&p->base);
		return -EAGAIN;
	}
	/* What logs show: where, never who or how. */
	snprintf(p->base.name, sizeof p->base.name, "postgresql://%s/%s",
		 PQhost(c) ? PQhost(c) : "", PQdb(c) ? PQdb(c) : "");
	if ((rc = migrate(c, why, whycap))) {
		PQfinish(c);
		pg_close(&p->base);
		return rc;
	}
	p->idle[p->nidle++] = c;
	p->nopen = 1;
	*out = &p->base;
	return 0;
}

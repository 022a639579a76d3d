/* SPDX-License-Identifier: MIT */
/* stacks_pg.c -- read the days of a collector's PostgreSQL store for
 * `tmwatch stacks --data postgresql://...`.
 *
 * Reads the reports table the collector writes (collector/store_pg.c,
 * docs/collector.md) directly: each day's reports, in the merged
 * dataset's order, as the lines of that day's merged file, so the groups
 * are those `tmwatch stacks` finds in the file store's merged files for
 * the same uploads. Rows arrive one at a time (libpq single-row mode):
 * one day is held in memory at a time. Never prints; a password belongs
 * in PGPASSFILE or ~/.pgpass, never in the URI.
 */
#define _GNU_SOURCE
#include "stacks.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "tmwatch/common.h"

struct day_buf {
	char day[11];
	char *p;
	size_t len, cap;
};

/* flush hands the day gathered so far to stacks_read_merged. */
static int flush(struct stacks_set *s, struct day_buf *d)
{
	int rc = 0;

	if (d->day[0]) {
		rc = stacks_read_merged(s, d->day, d->p ? d->p : "", d->len);
		if (!rc)
			rc = stacks_note_day(s, d->day);
	}
	d->len = 0;
	d->day[0] = '\0';
	return rc;
}

/* add_line appends one stored report as one line: a JSON document's raw
 * newlines are whitespace (inside strings they are escaped), so they
 * become spaces. */
static int add_line(struct day_buf *d, const char *body, size_t n)
{
	if (d->len + n + 1 > d->cap) {
		size_t nc = d->cap ? d->cap : 1 << 16;
		char *np;

		while (nc < d->len + n + 1)
			nc *= 2;
		if (!(np = realloc(d->p, nc)))
			return -ENOMEM;
		d->p = np;
		d->cap = nc;
	}
	for (size_t i = 0; i < n; i++)
		d->p[d->len + i] = body[i] == '\n' ? ' ' : body[i];
	d->len += n;
	d->p[d->len++] = '\n';
	return 0;
}

int stacks_load_pg(struct stacks_set *s, const char *uri, const char *from,
		   const char *to, char *why, size_t whycap)
{
	static const char *const kw[] = { "connect_timeout",
					  "application_name", "dbname", NULL };
	const char *val[] = { "10", "tmwatch-stacks", uri, NULL };
	const char *params[2] = { from, to };
	struct day_buf d = { .day = "" };
	PQconninfoOption *opts = PQconninfoParse(uri, NULL);
	PGconn *c;
	PGresult *r;
	int rc = 0;

	/* A password on the command line is visible to every user (ps). */
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && *o->val)
			rc = TM_EINVAL;
	PQconninfoFree(opts);
	if (rc) {
		snprintf(why, whycap, "--data: the URI holds a password; put "
			 "it in PGPASSFILE or ~/.pgpass instead");
		return rc;
	}
	c = PQconnectdbParams(kw, val, 1);
	if (!c || PQstatus(c) != CONNECTION_OK) {
		const char *m = c ? PQerrorMessage(c) : "out of memory";

		snprintf(why, whycap, "cannot connect to the PostgreSQL store: "
			 "%.*s; check --data and that the server runs",
			 (int)strcspn(m, "\n"), m);
		PQfinish(c);
		return -EIO;
	}
	/* The merged dataset's order: days, then the file names "X.json"
	 * in byte order (collector/merge.c). */
	if (!PQsendQueryParams(c, "SELECT week::text, body FROM reports "
			       "WHERE week BETWEEN $1::date AND $2::date "
			       "ORDER BY week, (x || '.json') COLLATE \"C\"",
			       2, NULL, params, NULL, NULL, 1) ||
	    !PQsetSingleRowMode(c)) {
		snprintf(why, whycap, "cannot query the PostgreSQL store: %.*s",
			 (int)strcspn(PQerrorMessage(c), "\n"),
			 PQerrorMessage(c));
		PQfinish(c);
		return -EIO;
	}
	while ((r = PQgetResult(c))) {
		ExecStatusType st = PQresultStatus(r);

		if (st == PGRES_SINGLE_TUPLE && !rc) {
			const char *day = PQgetvalue(r, 0, 0);

			if (PQgetlength(r, 0, 0) != 10)
				rc = TM_EBADREPORT;
			else if (strncmp(d.day, day, 10))
				rc = flush(s, &d);
			if (!rc && !d.day[0]) {
				memcpy(d.day, day, 10);
				d.day[10] = '\0';
			}
			if (!rc)
				rc = add_line(&d, PQgetvalue(r, 0, 1),
					      (size_t)PQgetlength(r, 0, 1));
		} else if (st != PGRES_TUPLES_OK && st != PGRES_SINGLE_TUPLE &&
			   !rc) {
			const char *m = PQresultErrorMessage(r);

			snprintf(why, whycap, "cannot read the reports from "
				 "the PostgreSQL store: %.*s; is it a "
				 "tmwatch-collector store?",
				 (int)strcspn(m, "\n"), m);
			rc = -EIO;
		}
		PQclear(r);
	}
	if (!rc)
		rc = flush(s, &d);
	if (rc == -ENOMEM)
		snprintf(why, whycap, "out of memory");
	else if (rc == TM_EBADREPORT)
		snprintf(why, whycap, "the PostgreSQL store holds a week that "
			 "is not a date");
	free(d.p);
	PQfinish(c);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/* check.c -- decide what tmwatch-collector answers to one request.
 *
 * Pure: no disk, no network, no globals, so the fuzz target can drive it
 * with arbitrary bytes. The report is validated by the client's own reader
 * (lib/report.c) and the allow-list by the client's own config code
 * (lib/uploadconfig.c): both ends agree by construction on what may be
 * sent (DESIGN §10, docs/collector.md). body.c first holds the body to
 * strict JSON syntax and X to its one spelling.
 */
#define _GNU_SOURCE
#include "collector.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "report.h"

static void answer(struct collector_verdict *v, int status, const char *why)
{
	v->status = status;
	snprintf(v->reason, sizeof v->reason, "%s", why);
}

int check_path(const char *url, char date[11])
{
	static const char pre[] = "/upload/";
	char back[11];
	time_t t;

	if (!url || strncmp(url, pre, sizeof pre - 1) ||
	    strlen(url) != sizeof pre - 1 + 10)
		return 0;
	memcpy(date, url + sizeof pre - 1, 10);
	date[10] = '\0';
	for (int i = 0; i < 10; i++)
		if (!((i == 4 || i == 7) ? date[i] == '-' :
		      (date[i] >= '0' && date[i] <= '9')))
			return 0;
	/* The same round trip the report reader uses for Week. */
	if (tm__clock_parse(date, &t))
		return 0;
	tm__clock_date(t, back);
	if (strcmp(back, date))
		return 0;
	return 1;
}

static int is_json_type(const char *ct)
{
	static const char want[] = "application/json";

	if (!ct || strncasecmp(ct, want, sizeof want - 1))
		return 0;
	ct += sizeof want - 1;
	return *ct == '\0' || *ct == ';' || *ct == ' ';
}

static const struct tm__report_program *
find_program(const struct tm__report *r, const struct tm__report_program *p)
{
	for (size_t i = 0; i < r->nprograms; i++) {
		const struct tm__report_program *q = &r->programs[i];

		if (!strcmp(q->program, p->program) &&
		    !strcmp(q->version, p->version) &&
		    !strcmp(q->goversion, p->goversion) &&
		    !strcmp(q->goos, p->goos) && !strcmp(q->goarch, p->goarch))
			return q;
	}
	return NULL;
}

static int has(const struct tm__report_counter *v, size_t n,
	       const struct tm__report_counter *c)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, c->name))
			return v[i].count == c->count;
	return 0;
}

/* first_disallowed compares a report with what the configs let through:
 * everything sent must survive the filter unchanged. */
static int first_disallowed(const struct tm__report *in,
			    const struct tm__report *ok, char *why, size_t cap)
{
	for (size_t i = 0; i < in->nprograms; i++) {
		const struct tm__report_program *p = &in->programs[i];
		const struct tm__report_program *q = find_program(ok, p);

		if (!q && (p->ncounters || p->nstacks)) {
			snprintf(why, cap, "program '%.64s' version '%.64s' "
				 "is not in any upload config (or X is over "
				 "its rates)", p->program, p->version);
			return 1;
		}
		for (size_t c = 0; c < p->ncounters; c++)
			if (!has(q->counters, q->ncounters, &p->counters[c])) {
				snprintf(why, cap, "counter '%.80s' of '%.64s'"
					 " is not allowed by any upload config",
					 p->counters[c].name, p->program);
				return 1;
			}
		for (size_t c = 0; c < p->nstacks; c++)
			if (!has(q->stacks, q->nstacks, &p->stacks[c])) {
				const char *nl = strchr(p->stacks[c].name,
							'\n');

				snprintf(why, cap, "stack '%.*s…' of '%.64s' "
					 "is not allowed by any upload config "
					 "(name, rate or depth)",
					 (int)(nl - p->stacks[c].name),
					 p->stacks[c].name, p->program);
				return 1;
			}
	}
	return 0;
}

void check_request(const struct tm__upload_configs *cfgs, const char *method,
		   const char *url, const char *content_type,
		   const char *body, size_t len, struct collector_verdict *v)
{
	const struct tm__upload_config **cv = NULL;
	struct tm__report r, ok;
	char date[11], why[256];
	const char *bad, *xtext;
	size_t xlen;
	int rc;

	memset(v, 0, sizeof *v);
	if (!check_path(url, date))
		return answer(v, 404, "not found: POST /upload/YYYY-MM-DD");
	if (!method || strcmp(method, "POST"))
		return answer(v, 405, "method not allowed: use POST");
	if (!is_json_type(content_type))
		return answer(v, 415, "content type must be application/json");
	/* Syntax first, strictly: the reader below would stop at the end
	 * of the object and keep whatever follows (issue 14). */
	if ((bad = body_check(body, len, &xtext, &xlen))) {
		v->status = 400;
		snprintf(v->reason, sizeof v->reason, "invalid report: %s",
			 bad);
		return;
	}
	rc = tm__report_parse(body ? body : "", len, &r, why, sizeof why);
	if (rc == -ENOMEM)
		return answer(v, 503, "out of memory; retry later");
	if (rc) {
		v->status = 400;
		snprintf(v->reason, sizeof v->reason, "invalid report: %s",
			 why);
		return;
	}
	/* X names the stored file: one value, one spelling. */
	if (!xtext || !body_x_is_canonical(xtext, xlen)) {
		answer(v, 400, "invalid report: X: not written as tmwatch "
		       "writes it (a plain number in [0,1), e.g. 0.25)");
		goto out;
	}
	if (strcmp(r.week, date)) {
		answer(v, 400, "Week in the report differs from the date in "
		       "the path");
		goto out;
	}
	cv = calloc(cfgs->n + 1, sizeof *cv);
	if (!cv) {
		answer(v, 503, "out of memory; retry later");
		goto out;
	}
	for (size_t i = 0; i < cfgs->n; i++)
		cv[i] = &cfgs->v[i];
	if (tm__report_filter(&r, cv, cfgs->n, &ok)) {
		answer(v, 503, "out of memory; retry later");
		goto out;
	}
	if (first_disallowed(&r, &ok, why, sizeof why)) {
		v->status = 400;
		snprintf(v->reason, sizeof v->reason, "rejected: %s", why);
	} else {
		v->status = 200;
		memcpy(v->week, r.week, sizeof v->week);
		/* %.17g round-trips a double: the same X always gives the
		 * same key, so a repeated upload lands on the same file. */
		snprintf(v->key, sizeof v->key, "%.17g", r.x);
		snprintf(v->reason, sizeof v->reason, "ok");
	}
	tm__report_free(&ok);
out:
	free(cv);
	tm__report_free(&r);
}

/* SPDX-License-Identifier: MIT */
/* upload.h -- send weekly reports to the endpoints of upload configs.
 *
 * DESIGN §8.3, docs/upload.md. Only in mode on, only what configs allow,
 * only to https (or http to loopback), with libcurl. Each report's outcome
 * per endpoint is kept in STORE/local/WEEK.upload (sent, rejected with the
 * reason, or to retry after a time), so runs are idempotent and a report
 * is never sent twice to one endpoint. Nothing here prints: progress goes
 * to a tm__log_fn. Not for signal handlers. Several processes may run
 * uploads at once: a per-report lock (flock on local/WEEK.json.lock) lets
 * exactly one of them handle a report.
 */
#ifndef TMWATCH_UPLOAD_H
#define TMWATCH_UPLOAD_H

#include <stddef.h>
#include <time.h>

#include "report.h"

/* Flags for tm__upload_run. */
#define TM__UPLOAD_DAILY 1u	/* the background run: only when the daily
				 * token is due */

/* Defaults, overridable by TMWATCH_UPLOAD_CONNECT_TIMEOUT_MS and
 * TMWATCH_UPLOAD_TIMEOUT_MS (100 ms .. 10 min). */
#define TM__UPLOAD_CONNECT_TIMEOUT_MS 10000
#define TM__UPLOAD_TIMEOUT_MS 60000
/* Retries: 5 minutes after the first failure, doubling, at most a day;
 * a server's Retry-After is honoured up to a week. */
#define TM__UPLOAD_BACKOFF_S 300
#define TM__UPLOAD_BACKOFF_MAX_S 86400
#define TM__UPLOAD_RETRY_AFTER_MAX_S (7 * 86400)
/* The background run is killed (SIGALRM) if it lasts longer than this. */
#define TM__UPLOAD_DAILY_MAX_S 600

struct tm__upload_result {
	struct tm__report_result reports; /* what the report step did */
	int nsent;		/* (report, endpoint) pairs accepted now */
	int nrejected;		/* refused now with a 4xx: set aside */
	int nfailed;		/* failed now: retried on a later run */
	int ndeferred;		/* not tried: backoff or Retry-After */
	int nlocked;		/* handled by another process right now */
	int ntoo_old;		/* over 21 days old: never sent */
	int nunsendable;	/* no config allows any of it any more */
};

/* tm__upload_run builds due reports (tm__report_build) and then, in mode
 * on, uploads every pending report under STORE/local to the endpoints of
 * the current upload configs: 200 moves it to STORE/upload once every
 * endpoint is done; 4xx (but 408/429) records a rejection with the
 * server's reason (a report refused everywhere moves to
 * STORE/local/rejected); anything else is retried on a later run with
 * exponential backoff and Retry-After. In mode local (or DO_NOT_TRACK=1)
 * it opens no connection; in mode off it touches nothing and returns
 * TM_EOFF. With TM__UPLOAD_DAILY nothing at all happens unless the daily
 * token is due. LOG (may be NULL) gets one line per action. Returns 0
 * when every step ran (failed uploads are counted in RES, not errors), or
 * an error code. Free RES with tm__upload_result_free. */
int tm__upload_run(const char *store_dir, unsigned flags, tm__log_fn log,
		   void *arg, struct tm__upload_result *res);

void tm__upload_result_free(struct tm__upload_result *res);

/* One report as seen by tm__upload_status. */
struct tm__upload_entry {
	char week[11];
	char *endpoint;		/* NULL: no attempt yet */
	int attempts;		/* failed attempts so far */
	time_t next_attempt;	/* not before this (0: now) */
	time_t when;		/* time it was sent or rejected */
	char *reason;		/* last failure or rejection, or NULL */
};

struct tm__upload_status {
	size_t npending;	/* waiting in STORE/local */
	struct tm__upload_entry *pending;	/* one per report/endpoint */
	size_t nrejected;
	struct tm__upload_entry *rejected;	/* refused by an endpoint */
	size_t ntoo_old;	/* candidates over 21 days old */
	size_t nuploaded;	/* reports in STORE/upload */
	char last_week[11];	/* newest uploaded Week, or "" */
	time_t last_time;	/* when it was accepted (0: unknown) */
	char *last_endpoint;	/* where, or NULL */
};

/* tm__upload_status describes STORE's pending, rejected and last uploads
 * without writing anything or opening a connection. Returns 0 or -ENOMEM;
 * free with tm__upload_status_free. */
int tm__upload_status(const char *store_dir, struct tm__upload_status *st);

void tm__upload_status_free(struct tm__upload_status *st);

/* tm__upload_daily_spawn is for the watchdog after its child exited: when
 * telemetry is not off and the daily token is due, it starts the daily
 * work (tm__upload_run with TM__UPLOAD_DAILY) in a detached grandchild
 * (double fork, setsid, stdio on /dev/null, other fds closed, killed by
 * SIGALRM after TM__UPLOAD_DAILY_MAX_S) and returns at once; the
 * grandchild does one bounded run and exits. In mode off it forks nothing
 * and writes nothing (TM_EOFF). Returns 0 (also when nothing was due),
 * TM_EOFF, or -errno when fork fails. Call from a single-threaded process
 * (the watchdog). */
int tm__upload_daily_spawn(void);

#endif

/* SPDX-License-Identifier: MIT */
/* store.h -- where tmwatch-collector keeps reports: the storage interface
 * and its two implementations.
 *
 * store_file.c keeps each report as DATA/WEEK/X.json and each day's
 * merged dataset as DATA/merged/DAY.json (the default, needs nothing);
 * store_pg.c keeps them in PostgreSQL (libpq), shared by any number of
 * collectors. main.c (uploads), dashboard.c (GET) and merge.c (the daily
 * merge) see only this interface. Both give the same answers and the same
 * merged bytes for the same uploads. docs/collector.md.
 */
#ifndef TMWATCH_COLLECTOR_STORE_H
#define TMWATCH_COLLECTOR_STORE_H

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

struct merge_result;
struct store;

/* The operations of a store. Every one may run on any thread at once; a
 * return of -EAGAIN means "the store is unreachable now, retry later"
 * (the collector answers 503 with Retry-After). */
struct store_ops {
	/* put stores BODY (LEN bytes) under WEEK and KEY durably before it
	 * returns: 0 stored now, 1 the same bytes were stored before,
	 * -EEXIST a different report holds the key, TM_EINVAL the store
	 * refuses the bytes, -EAGAIN unreachable, or -errno. */
	int (*put)(struct store *s, const char *week, const char *key,
		   const char *body, size_t len);
	/* list_days gives the days holding reports, ascending (merge.h's
	 * merge_free_days frees them). 0 or -errno. */
	int (*list_days)(struct store *s, char ***days, size_t *n);
	/* open_merged gives a readable fd positioned at the start of DAY's
	 * merged dataset, merged first when a report arrived since. The
	 * caller closes it. -ENOENT for a day without reports. */
	int (*open_merged)(struct store *s, const char *day, int *fd);
	/* merge_day merges DAY now, stale or not. 0 with *RES, or -errno. */
	int (*merge_day)(struct store *s, const char *day,
			 struct merge_result *res);
	/* merge_stale merges every stale day (the daily job); LOG (may be
	 * NULL) gets one line per day under MU. Returns the number of days
	 * merged or -errno. */
	int (*merge_stale)(struct store *s, FILE *log, pthread_mutex_t *mu);
	void (*close)(struct store *s);
};

/* Every store starts with this. NAME is what logs show: never a
 * password. */
struct store {
	const struct store_ops *ops;
	char name[256];
};

/* store_open opens the store SPEC names: "file:DIR", a bare DIR, or a
 * libpq URI "postgresql://..." / "postgres://...". A PostgreSQL store
 * applies its schema migrations first. Returns 0 with *OUT, or -errno /
 * a TM_E* code with a one-line reason in WHY. */
int store_open(const char *spec, struct store **out, char *why,
	       size_t whycap);

/* store_is_pg tells whether SPEC names a PostgreSQL store. 1 or 0. */
int store_is_pg(const char *spec);

/* The implementations' constructors (store_open chooses). */
int store_file_open(const char *dir, struct store **out, char *why,
		    size_t whycap);
int store_pg_open(const char *uri, struct store **out, char *why,
		  size_t whycap);

#endif

/* SPDX-License-Identifier: MIT */
/* merge.h -- the merged dataset: each day's reports in one file.
 *
 * DATA/DAY/X.json (one stored report each, store_file.c) becomes
 * DATA/merged/DAY.json: newline-delimited JSON, one report per line, in
 * the order of their file names, each report's bytes as stored with the
 * whitespace between tokens removed. DAY is the date of the upload path
 * (POST /upload/DAY), which the collector checks equals the report's
 * Week, as Go's telemetry server does. Written temp + fsync + rename;
 * merging a day twice gives the same bytes. Format: docs/merged-dataset.md.
 * Nothing here speaks HTTP or prints, except merge_daily's log lines.
 */
#ifndef TMWATCH_COLLECTOR_MERGE_H
#define TMWATCH_COLLECTOR_MERGE_H

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

struct merge_result {
	size_t nreports;	/* lines written */
	size_t nskipped;	/* stored files that are not valid reports */
	size_t nbytes;		/* size of the merged file */
};

/* merge_is_date tells whether S is exactly YYYY-MM-DD with a real
 * calendar date. Returns 1 or 0. */
int merge_is_date(const char *s);

/* merge_day writes DATADIR/merged/DATE.json from DATADIR/DATE/ (a day
 * without a directory gives an empty file). Returns 0 with *RES filled,
 * TM_EINVAL for a DATE that is not a date, or -errno. Any thread: two
 * merges of one day at once each write a complete file; the last rename
 * wins, and both hold the same bytes. */
int merge_day(const char *datadir, const char *date,
	      struct merge_result *res);

/* merge_is_stale tells whether DATADIR/merged/DATE.json is missing or
 * was not written from the day's directory as it is now: merge_day sets
 * the merged file's mtime to the directory's at listing time, and a
 * report linked in since changes the directory's. 1 or 0. */
int merge_is_stale(const char *datadir, const char *date);

/* merge_list_days returns the days that have a report directory, sorted
 * ascending, as a malloc'd array of malloc'd strings (*N of them).
 * Returns 0 or -errno. Free with merge_free_days. */
int merge_list_days(const char *datadir, char ***days, size_t *n);
void merge_free_days(char **days, size_t n);

/* merge_stale merges every stale day of DATADIR. LOG (may be NULL, then
 * nothing is printed) gets one line per day merged, under MU when MU is
 * not NULL. Returns how many days were merged, or -errno. */
int merge_stale(const char *datadir, FILE *log, pthread_mutex_t *mu);

/* merge_minify removes, in place, the whitespace between the JSON tokens
 * of a valid document (strings are copied byte for byte). Returns the new
 * length. The merged dataset's lines are minified reports, whatever the
 * store. */
size_t merge_minify(char *s, size_t len);

/* merge_daily_start starts a thread that runs ST's merge_stale at once and
 * then every day just after midnight UTC until merge_daily_stop. Returns
 * 0 or -errno. */
struct store;
int merge_daily_start(struct store *st, FILE *log, pthread_mutex_t *mu);
void merge_daily_stop(void);

/* merge_main is `tmwatch-collector merge --store STORE [--date DAY]
 * [--out DIR]` (--data DIR is the file store): ARGV[0]
 * is "merge". Returns the exit status (0, 1 failure, 2 usage). */
int merge_main(int argc, char **argv);

#endif

/* SPDX-License-Identifier: MIT */
/* report.h -- weekly reports: build them from counter files, read and
 * write their JSON, and cut them down to what upload configs allow.
 *
 * A report is Go telemetry's weekly report (DESIGN §8.1, format in
 * docs/upload.md): Week, LastWeek, X, Programs[] and Config. The JSON reader
 * is the one validator of reports, shared with tmwatch-collector. Nothing
 * here prints: progress goes to an optional tm__log_fn. Structures are plain
 * heap memory owned by the caller. Not for signal handlers; the builder
 * takes a file lock and may run in several processes at once.
 */
#ifndef TMWATCH_REPORT_H
#define TMWATCH_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "logline.h"
#include "uploadconfig.h"


#define TM__REPORT_MAX_PROGRAMS 4096
#define TM__REPORT_MAX_NAME 8192
#define TM__REPORT_MAX_FIELD 256
/* Reports more than this many days old are never uploaded (DESIGN §8.1). */
#define TM__REPORT_MAX_AGE_DAYS 21

struct tm__report_counter {
	char *name;
	uint64_t count;
};

struct tm__report_program {
	char *program;
	char *version;
	char *goversion;	/* our toolchain string */
	char *goos;
	char *goarch;
	size_t ncounters;
	struct tm__report_counter *counters;	/* sorted by name */
	size_t nstacks;
	struct tm__report_counter *stacks;	/* sorted by name */
};

struct tm__report {
	char week[11];		/* YYYY-MM-DD: the day the week ended */
	char last_week[11];	/* Week of the last uploaded report, or "" */
	double x;		/* uniform in [0,1), decides sampling */
	size_t nprograms;
	struct tm__report_program *programs;
	char *config;		/* versions of the configs used, or "" */
};

/* tm__report_parse validates LEN bytes of report JSON into *OUT. Returns 0,
 * TM_EBADREPORT with a reason in WHY (field path first), or -ENOMEM. Counts
 * above 2^53 lose precision (JSON numbers are doubles in cJSON). Free with
 * tm__report_free. Any thread. */
int tm__report_parse(const char *json, size_t len, struct tm__report *out,
		     char *why, size_t whycap);

/* tm__report_format renders R as JSON (tab-indented, programs and names in
 * sorted order, counts exact) into a malloc'd, NUL-terminated *OUT. Returns
 * 0 or -ENOMEM. */
int tm__report_format(const struct tm__report *r, char **out, size_t *len);

/* tm__report_free releases everything R owns and zeroes it. */
void tm__report_free(struct tm__report *r);

/* tm__report_filter writes into *OUT the part of IN that the NCFG configs
 * CFGS allow (DESIGN §8.2): a program some config names at that version, a
 * config whose SampleRate >= X, counters listed with Rate >= X, stacks
 * whose first line is listed with Rate >= X, cut to the largest Depth
 * (stacks equal after the cut are summed). Programs left empty are
 * dropped; OUT->config lists the versions of the configs used. Returns 0
 * or -ENOMEM. */
int tm__report_filter(const struct tm__report *in,
		      const struct tm__upload_config *const *cfgs, size_t ncfg,
		      struct tm__report *out);

/* tm__report_random_x returns a uniform double in [0,1) from getrandom(2)
 * (53 random bits). */
double tm__report_random_x(void);

/* Flags for tm__report_build. */
/* Flag: do nothing unless the daily token is due. */
#define TM__REPORT_DAILY 1u

struct tm__report_result {
	int not_due;		/* DAILY, and the token is under a day old */
	int nbuilt;		/* local.DATE.json written this run */
	int ncandidates;	/* DATE.json (upload candidates) written */
	int ncorrupt;		/* counter files set aside as corrupt */
	int ndeleted;		/* counter files deleted once reported */
	size_t npaths;
	char **paths;		/* every report file written, malloc'd */
};

/* tm__report_build merges every counter file in STORE/local whose week has
 * ended (TimeEnd <= now, tm__clock_now) into STORE/local/local.WEEK.json
 * and, in mode on, into the upload candidate STORE/local/WEEK.json: only
 * counter files begun after the day uploading was turned on, only what
 * some upload config allows, never for a week over 21 days old. Each
 * report is written durably (temp, fsync, rename) before its counter files
 * are deleted; a corrupt counter file is renamed to NAME.corrupt and does
 * not hold back its week or others. In mode off it touches nothing and
 * returns TM_EOFF. With TM__REPORT_DAILY it returns 0 with res->not_due set
 * when it ran less than a day ago (token STORE/local/daily.token, whose
 * mtime is set to now). LOG (may be NULL) gets one line per action.
 * Returns 0 or an error code; free RES with tm__report_result_free. Safe to
 * run in several processes at once (STORE/local/report.lock, flock). */
int tm__report_build(const char *store_dir, unsigned flags, tm__log_fn log,
		     void *arg, struct tm__report_result *res);

void tm__report_result_free(struct tm__report_result *res);

/* tm__report_check_dir applies the store rule (docs/security.md §4) to
 * STORE/SUB for reports and uploads: STORE is opened with O_DIRECTORY,
 * then each component of SUB ("local", "upload", "local/rejected") with
 * O_DIRECTORY|O_NOFOLLOW, and each must be owned by the effective user
 * (or root) and not writable by group or others. Nobody else can then
 * change what the paths below it name for the rest of the run. Returns
 * 0, -ENOENT when a component is missing, TM_EUNSAFE (a symlink, another
 * owner, g/o write) with the offending directory's path in BAD, or
 * -errno. */
int tm__report_check_dir(const char *store, const char *sub, char *bad,
			 size_t badcap);

/* tm__report_file_ok says whether the entry PATH of a checked directory
 * may be read as ours: a regular file (lstat: never a symlink, FIFO or
 * device) owned by the effective user or root, not writable by group or
 * others. Returns 0, TM_EUNSAFE, or -errno (-ENOENT when missing). */
int tm__report_file_ok(const char *path);

/* tm__report_unsafe_line logs the one line saying why STORE's directory
 * BAD was refused for reports and uploads. */
void tm__report_unsafe_line(tm__log_fn log, void *arg, const char *bad);

/* tm__report_check_store applies tm__report_check_dir to STORE/local,
 * STORE/upload and STORE/local/rejected (a missing one is fine: it is
 * created ours). Returns 0, or TM_EUNSAFE (or -errno) after logging to
 * LOG which directory was refused and what to do. */
int tm__report_check_store(const char *store, tm__log_fn log, void *arg);

/* tm__report_week_age_days returns how many whole days lie between WEEK
 * ("YYYY-MM-DD") and NOW, or -1 when WEEK is not a date. */
long tm__report_week_age_days(const char *week, time_t now);

#endif

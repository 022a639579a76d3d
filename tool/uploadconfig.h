/* SPDX-License-Identifier: MIT */
/* uploadconfig.h -- upload configs: who may receive which counters.
 *
 * An upload config is a JSON file shipped by a tool's maintainers naming an
 * endpoint and the programs, versions, counters and stacks it may receive
 * (DESIGN §8.2; format and rules in docs/upload-config.md). Nothing is ever
 * uploaded for a program no config names. The same parser serves the client
 * (tool/report.c, tool/upload.c) and tmwatch-collector, so both sides agree on
 * what a config allows.
 *
 * Configs are untrusted input: every field is type- and range-checked, and
 * an error names the file and the field. Nothing here prints. Parsed
 * structures are plain heap memory owned by the caller; they may be read by
 * several threads at once once built. Not for signal handlers.
 */
#ifndef TMWATCH_UPLOADCONFIG_H
#define TMWATCH_UPLOADCONFIG_H

#include <stddef.h>

/* Limits on untrusted configs, so a hostile file cannot make us allocate or
 * loop without bound. */
#define TM__UC_MAX_BYTES (1u << 20)	/* one config file */
#define TM__UC_MAX_FILES 256		/* per directory */
#define TM__UC_MAX_EXPAND 1024		/* names from one {a,b} pattern */
#define TM__UC_MAX_DEPTH 1024		/* stack frames kept */
#define TM__UC_MAX_OWN 16		/* OwnModules patterns per program */
#define TM__UC_MAX_OWN_LEN 255		/* bytes of one pattern */

/* One allowed counter, after {a,b} expansion. */
struct tm__uc_counter {
	char *name;
	double rate;		/* kept when the report's X <= rate */
};

/* One allowed stack counter: NAME is the first line ("crash/crash"). */
struct tm__uc_stack {
	char *name;
	double rate;
	int depth;		/* frames kept after the first line */
};

struct tm__uc_program {
	char *name;
	size_t nversions;	/* 0: any version */
	char **versions;	/* exact, or "*" for any */
	size_t ncounters;
	struct tm__uc_counter *counters;
	size_t nstacks;
	struct tm__uc_stack *stacks;
	size_t nown;
	char **own;		/* OwnModules: file name patterns (fnmatch)
				   of the program's own libraries */
};

struct tm__upload_config {
	char *path;		/* where it was read from (for messages) */
	char *endpoint;		/* https URL, or http to loopback */
	char *version;		/* the config's own version ("Config") */
	double sample_rate;	/* whole report sent when X <= sample_rate */
	size_t nprograms;
	struct tm__uc_program *programs;
};

/* Every config found, plus one message per file that was rejected. */
struct tm__upload_configs {
	size_t n;
	struct tm__upload_config *v;
	size_t nerrors;
	char **errors;		/* "FILE: FIELD: reason" */
};

/* tm__uploadconfig_parse validates LEN bytes of JSON (LABEL names it in
 * errors, usually its path) and fills *OUT. Returns 0, or TM_EBADCONFIG
 * with WHY holding "LABEL: Field.Path: reason" (OUT is then empty). Free
 * OUT with tm__uploadconfig_free. Any thread. */
int tm__uploadconfig_parse(const char *json, size_t len, const char *label,
			   struct tm__upload_config *out, char *why,
			   size_t whycap);

/* An endpoint check: 0, or TM_EBADCONFIG with "config: REASON" in WHY. */
typedef int tm__uc_check_fn(const char *url, char *why, size_t whycap);

/* tm__uploadconfig_parse_with is tm__uploadconfig_parse with the endpoint
 * URL checked by CHECK; NULL only requires a string. For code that never
 * connects and reads OwnModules alone (the crash module,
 * libtmwatch-sym.so): it needs no libcurl, which only
 * tm__uploadconfig_check_endpoint (uploadconfig_url.c) uses. Never for
 * what decides where a report goes. */
int tm__uploadconfig_parse_with(const char *json, size_t len,
				const char *label, tm__uc_check_fn *check,
				struct tm__upload_config *out, char *why,
				size_t whycap);

/* tm__uploadconfig_free releases everything C owns and zeroes it. */
void tm__uploadconfig_free(struct tm__upload_config *c);

/* tm__uploadconfig_dirs writes the config directories searched, in order
 * of precedence, separated by ':', into BUF: $TMWATCH_UPLOAD_CONFIG_DIRS
 * when set (tests, packagers), else STORE/upload.d, /etc/tmwatch/upload.d
 * and DATADIR/upload.d. Returns 0 or -ENAMETOOLONG. */
int tm__uploadconfig_dirs(const char *store_dir, char *buf, size_t cap);

/* tm__uploadconfig_load_all reads every *.json in the config directories
 * (a file name found in an earlier directory hides later ones, so a user
 * can override a packaged config) into *OUT, sorted by file name within a
 * directory. Invalid files are skipped and described in OUT->errors.
 * Missing directories are fine. Returns 0 or -ENOMEM; free OUT with
 * tm__uploadconfig_free_all. */
int tm__uploadconfig_load_all(const char *store_dir,
			      struct tm__upload_configs *out);

/* tm__uploadconfig_load_dirs is load_all with an explicit ':'-separated
 * list of directories or single files (the collector's --config). */
int tm__uploadconfig_load_dirs(const char *dirs,
			       struct tm__upload_configs *out);

/* The two loaders with the endpoint check CHECK (see parse_with). */
int tm__uploadconfig_load_dirs_with(const char *dirs, tm__uc_check_fn *check,
				    struct tm__upload_configs *out);
int tm__uploadconfig_load_all_with(const char *store_dir,
				   tm__uc_check_fn *check,
				   struct tm__upload_configs *out);

void tm__uploadconfig_free_all(struct tm__upload_configs *cs);

/* tm__uploadconfig_program returns the entry of C allowing PROGRAM at
 * VERSION, or NULL. */
const struct tm__uc_program *
tm__uploadconfig_program(const struct tm__upload_config *c,
			 const char *program, const char *version);

/* tm__uploadconfig_counter returns the rule allowing counter NAME in P,
 * or NULL. */
const struct tm__uc_counter *
tm__uploadconfig_counter(const struct tm__uc_program *p, const char *name);

/* tm__uploadconfig_stack returns the rule allowing the stack counter NAME
 * (whose first line must equal the rule's name), or NULL. */
const struct tm__uc_stack *
tm__uploadconfig_stack(const struct tm__uc_program *p, const char *name);

/* tm__uploadconfig_own_modules puts in OUT (at most CAP, no duplicates)
 * the OwnModules patterns of every config in CS naming PROGRAM at
 * VERSION (they point into CS) and returns their number. The crash path
 * and stack counters classify libraries matching them as the program's
 * own (modclass.h, docs/stack-counters.md). */
size_t tm__uploadconfig_own_modules(const struct tm__upload_configs *cs,
				    const char *program, const char *version,
				    const char **out, size_t cap);

/* tm__uploadconfig_is_loopback_url tells whether URL is http(s) to
 * localhost, 127.0.0.0/8 or [::1] (the only places plain http may go). */
int tm__uploadconfig_is_loopback_url(const char *url);

/* tm__uploadconfig_check_endpoint returns 0 when URL may be an endpoint
 * (https, or http to loopback; no credentials, query or fragment), else
 * TM_EBADCONFIG with the reason in WHY. */
int tm__uploadconfig_check_endpoint(const char *url, char *why,
				    size_t whycap);

#endif

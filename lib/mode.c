/* SPDX-License-Identifier: MIT */
/* mode.c -- the telemetry mode file T/mode and its environment overrides.
 *
 * DESIGN §7: "on YYYY-MM-DD", "local YYYY-MM-DD" or "off YYYY-MM-DD", the
 * UTC date of the change (uploads cover only data after it). A missing
 * file is local. Anything we cannot read or understand is local too, never
 * on: the privacy promise outranks a user's garbled file. The overrides
 * TMWATCH_TELEMETRY=off|local and DO_NOT_TRACK only ever lower the mode.
 * Reading creates nothing, so with mode off no directory appears. Also
 * implements the public tm_telemetry_* functions. Never prints; the format
 * is documented in docs/store-layout.md.
 */
#define _GNU_SOURCE
#include "mode.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>

#include "clock.h"
#include "fsutil.h"
#include "paths.h"
#include "tmwatch/common.h"

/* "local YYYY-MM-DD\n" is 17 bytes; room for trailing blanks, and a file
 * far larger than that is not a mode file. */
#define MODE_FILE_MAX 64

const char *tm__mode_name(enum tm_mode m)
{
	switch (m) {
	case TM_MODE_OFF:
		return "off";
	case TM_MODE_LOCAL:
		return "local";
	case TM_MODE_ON:
		return "on";
	}
	return "unknown";
}

int tm__mode_parse(const char *s, enum tm_mode *out)
{
	static const enum tm_mode all[] = { TM_MODE_OFF, TM_MODE_LOCAL,
					    TM_MODE_ON };

	if (!s)
		return TM_EBADMODE;
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		if (strcmp(s, tm__mode_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	}
	return TM_EBADMODE;
}

/* Parses the mode file's TEXT. The date is optional for off and local
 * (older or hand-written files) but required for on: without it we could
 * not tell which data the user agreed to upload. */
static int parse_file(char *text, enum tm_mode *mode, char date[11])
{
	size_t n = strlen(text);
	char *sp;
	time_t t;

	while (n > 0 && strchr(" \t\r\n", text[n - 1]))
		text[--n] = '\0';
	sp = strchr(text, ' ');
	if (sp)
		*sp = '\0';
	if (tm__mode_parse(text, mode) < 0)
		return TM_EBADMODE;
	date[0] = '\0';
	if (!sp)
		return *mode == TM_MODE_ON ? TM_EBADMODE : 0;
	if (strlen(sp + 1) != 10 || strchr(sp + 1, '-') == NULL ||
	    tm__clock_parse(sp + 1, &t) < 0)
		return TM_EBADMODE;
	memcpy(date, sp + 1, 11);
	return 0;
}

/* DO_NOT_TRACK (consoledonottrack.com) is meant as "1", but people also
 * write "true" or "yes": any value other than empty or "0" counts. */
static int is_do_not_track(void)
{
	const char *v = getenv("DO_NOT_TRACK");

	return v && *v && strcmp(v, "0") != 0;
}

/* Applies the overrides to OUT->recorded. They lower, never raise: a
 * script setting TMWATCH_TELEMETRY=local must not resume writing for a
 * user who chose off. */
static void apply_env(struct tm__mode_info *out)
{
	const char *v = getenv("TMWATCH_TELEMETRY");
	enum tm_mode forced;

	out->effective = out->recorded;
	out->forced_by = NULL;
	out->env_error = 0;
	if (v && *v) {
		if (tm__mode_parse(v, &forced) < 0 || forced == TM_MODE_ON) {
			out->env_error = TM_EBADMODE;
		} else if (forced < out->effective) {
			out->effective = forced;
			out->forced_by = "TMWATCH_TELEMETRY";
		}
	}
	if (out->effective == TM_MODE_ON && is_do_not_track()) {
		out->effective = TM_MODE_LOCAL;
		out->forced_by = "DO_NOT_TRACK";
	}
}

/* The mode file and the store directory holding it are the user's own
 * and nobody else may write them (docs/security.md). */
static int mode_trusted(const char *store_dir, const struct stat *st)
{
	struct stat dst;

	return tm__fs_check_owner(st) == 0 && stat(store_dir, &dst) == 0 &&
	       tm__fs_check_owner(&dst) == 0;
}

int tm__mode_load(const char *store_dir, struct tm__mode_info *out)
{
	char path[PATH_MAX];

	if (!out)
		return TM_EINVAL;
	if (!store_dir || tm__paths_join(path, sizeof path, store_dir,
					 "mode") < 0) {
		memset(out, 0, sizeof *out);
		out->recorded = TM_MODE_LOCAL;
		out->file_error = store_dir ? -ENAMETOOLONG : 0;
		apply_env(out);
		return store_dir ? 0 : TM_EINVAL;
	}
	return tm__mode_load_at(AT_FDCWD, path, store_dir, out);
}

int tm__mode_load_at(int dirfd, const char *name, const char *store_dir,
		     struct tm__mode_info *out)
{
	char text[MODE_FILE_MAX];
	struct stat st;
	int r;

	if (!out)
		return TM_EINVAL;
	memset(out, 0, sizeof *out);
	out->recorded = TM_MODE_LOCAL;
	r = tm__fs_read_small_at(dirfd, name, text, sizeof text, NULL, &st);
	if (r == 0) {
		enum tm_mode m;

		r = parse_file(text, &m, out->date);
		if (r == 0)
			out->recorded = m;
		else
			out->date[0] = '\0';
		/* Consent must come from the user: "on" in a file (or a
		 * store) that another user owns or may write counts as
		 * local; "off" and "local" only lower, so they stand. */
		if (r == 0 && m == TM_MODE_ON && !mode_trusted(store_dir, &st)) {
			out->recorded = TM_MODE_LOCAL;
			r = TM_EUNSAFE;
		}
	}
	if (r == -EFBIG)
		r = TM_EBADMODE;
	out->file_error = r == -ENOENT ? 0 : r;
	apply_env(out);
	return 0;
}

int tm__mode_store(const char *store_dir, enum tm_mode mode, time_t now)
{
	char path[PATH_MAX], date[11], text[32];
	int n, r;

	if (!store_dir || (mode != TM_MODE_OFF && mode != TM_MODE_LOCAL &&
			   mode != TM_MODE_ON))
		return TM_EINVAL;
	r = tm__paths_join(path, sizeof path, store_dir, "mode");
	if (r < 0)
		return r;
	r = tm__fs_mkdirs(store_dir, 0755);
	if (r < 0)
		return r;
	tm__clock_date(now, date);
	n = snprintf(text, sizeof text, "%s %s\n", tm__mode_name(mode), date);
	/* fsync: the user's consent (or its withdrawal) must survive a
	 * crash right after the command returns. */
	return tm__fs_write_atomic(path, text, (size_t)n, 0644, 1);
}

enum tm_mode tm_telemetry_mode(void)
{
	char dir[PATH_MAX];
	struct tm__mode_info info;

	/* Overrides first: with TMWATCH_TELEMETRY=off not even the mode
	 * file is opened. */
	const char *v = getenv("TMWATCH_TELEMETRY");

	if (v && strcmp(v, "off") == 0)
		return TM_MODE_OFF;
	if (tm__paths_store_dir(dir, sizeof dir) < 0) {
		tm__mode_load(NULL, &info);
		return info.effective;
	}
	tm__mode_load(dir, &info);
	return info.effective;
}

int tm_telemetry_set_mode(enum tm_mode mode)
{
	char dir[PATH_MAX];
	int r;

	/* A setuid or setgid program: the environment that names the store
	 * is the invoking user's, the privileges are not (store.c). */
	if (getauxval(AT_SECURE))
		return -EPERM;
	r = tm__paths_store_dir(dir, sizeof dir);
	if (r < 0)
		return r;
	return tm__mode_store(dir, mode, tm__clock_now());
}

int tm_telemetry_dir(char *buf, size_t cap)
{
	if (!buf)
		return TM_EINVAL;
	return tm__paths_store_dir(buf, cap);
}

/* SPDX-License-Identifier: MIT */
/* mode.h -- the telemetry mode: the mode file and its overrides.
 *
 * DESIGN §7. T/mode holds "on YYYY-MM-DD", "local YYYY-MM-DD" or
 * "off YYYY-MM-DD" (UTC date of the change); a missing file means local.
 * TMWATCH_TELEMETRY=off|local and DO_NOT_TRACK can only lower the mode.
 * Reading never creates anything. Thread-safe; not for signal handlers;
 * never prints. Format: docs/store-layout.md.
 */
#ifndef TMWATCH_MODE_H
#define TMWATCH_MODE_H

#include <time.h>

#include "tmwatch/telemetry.h"

struct tm__mode_info {
	enum tm_mode effective;	/* what may happen now, overrides applied */
	enum tm_mode recorded;	/* what the mode file says (local if missing) */
	char date[11];		/* date in the mode file, "" if none */
	const char *forced_by;	/* "TMWATCH_TELEMETRY", "DO_NOT_TRACK" or
				 * NULL: the variable that lowered the mode
				 * below the recorded one */
	int file_error;		/* 0, or why the mode file could not be used
				 * (then recorded = local): -errno, or
				 * TM_EBADMODE for bad content */
	int env_error;		/* 0, or TM_EBADMODE when TMWATCH_TELEMETRY
				 * holds a value we ignored ("on", typos) */
};

/* tm__mode_load reads STORE_DIR/mode and the environment into *OUT. It
 * never creates a file or directory. A missing file is local with
 * file_error 0; an unreadable or invalid one is local with file_error set
 * (never on by accident). The file is read even under TMWATCH_TELEMETRY=off
 * so that status can show what it records (reading writes nothing;
 * tm_telemetry_mode skips it). Returns 0, or TM_EINVAL for NULL arguments
 * (with STORE_DIR NULL, *OUT is still local with the overrides applied). */
int tm__mode_load(const char *store_dir, struct tm__mode_info *out);

/* tm__mode_load_at is tm__mode_load reading the mode file NAME relative to
 * DIRFD (the open store directory and "mode", for the store's first open:
 * one lookup, no path to build); STORE_DIR is the store's path, checked
 * when the file says on. */
int tm__mode_load_at(int dirfd, const char *name, const char *store_dir,
		     struct tm__mode_info *out);

/* tm__mode_store writes "MODE YYYY-MM-DD\n" (NOW's UTC date) to
 * STORE_DIR/mode atomically, with fsync. STORE_DIR (and its missing
 * parents, as ~/.config may not exist yet) is created, nothing inside it.
 * Returns 0, TM_EINVAL for a bad mode, or -errno. */
int tm__mode_store(const char *store_dir, enum tm_mode mode, time_t now);

/* tm__mode_name returns "off", "local" or "on" (static), "unknown" for
 * anything else. */
const char *tm__mode_name(enum tm_mode m);

/* tm__mode_parse maps "off", "local" or "on" (exactly, lower case) to the
 * mode in *OUT. Returns 0 or TM_EBADMODE (*OUT untouched). */
int tm__mode_parse(const char *s, enum tm_mode *out);

#endif

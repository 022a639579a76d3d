/* SPDX-License-Identifier: MIT */
/* cmdutil.h -- the argument and output helpers the commands share (one
 * small set, so every command reads its store, its options and prints
 * JSON the same way). Single-threaded command processes only. */
#ifndef TMWATCH_WATCHDOG_CMDUTIL_H
#define TMWATCH_WATCHDOG_CMDUTIL_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct cJSON;
struct tm__mode_info;
struct tm__parsed_file;

/* One counter file found in the store's local directory. */
struct cmdutil_count_file {
	char path[PATH_MAX];
	off_t size;
};

/* Whether -h or --help comes before any "--" in ARGV[1..]. */
int cmdutil_wants_help(int argc, char **argv);

/* Whether ARGV[1..] holds OPT before any "--"; it is then removed from
 * ARGV (ARGC updated), so the rest parses as before. */
int cmdutil_take_flag(int *argc, char **argv, const char *opt);

/* Resolves the store directory into DIR, or prints why not (one line
 * naming TMWATCH_DIR). Returns 0 or a negative code. */
int cmdutil_store_dir(char *dir, size_t cap);

/* Loads the mode of the store DIR, printing a line for a bad mode file.
 * Returns 0 or a negative code (printed). */
int cmdutil_load_mode(const char *dir, struct tm__mode_info *mode);

/* Prints one line (once) when TMWATCH_TELEMETRY is set to a value the
 * mode ignores (MODE->env_error). */
void cmdutil_check_mode_env(const struct tm__mode_info *mode);

/* "on (since 2026-01-05)" or "off (set by ...; the mode file says on)". */
void cmdutil_print_mode_line(FILE *out, const struct tm__mode_info *m);

int cmdutil_has_suffix(const char *s, const char *suffix);

/* The local/ counter files of the store DIR sorted by name into *OUT
 * (malloc'd, caller frees). A missing directory is an empty store. */
int cmdutil_list_count_files(const char *dir,
			     struct cmdutil_count_file **out, size_t *n);

/* The files named in ARGV, or every counter file of the store. */
int cmdutil_collect_files(int argc, char **argv,
			  struct cmdutil_count_file **out, size_t *n);

/* Parses PATH, printing one line when it is corrupt or unreadable. */
int cmdutil_parse_or_complain(const char *path, struct tm__parsed_file *pf);

/* Prints J formatted on stdout with a newline and frees it. Returns
 * MSG_EXIT_OK, or MSG_EXIT_FAIL when out of memory. */
int cmdutil_print_json(struct cJSON *j);

/* Adds the unsigned V to object O under KEY as a JSON integer: exact
 * beyond 2^53, where a double would round it. */
void cmdutil_json_add_u64(struct cJSON *o, const char *key,
			  unsigned long long v);

#endif

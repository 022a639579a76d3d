/* SPDX-License-Identifier: MIT */
/* cmdutil.c -- the small argument and output helpers every command shares:
 * --help detection, the store and its mode, the counter files of the
 * store, and JSON printing. Prints only through msg.c and stdout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include <cjson/cJSON.h>

#include "cmdutil.h"
#include "counterparse.h"
#include "mode.h"
#include "msg.h"
#include "paths.h"
#include "tmwatch/common.h"

int cmdutil_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

/* Resolves the store directory, or prints why not. TMWATCH_DIR gets its
 * own lines: advice to "set TMWATCH_DIR" is no help when it is what is
 * wrong (issue 11). */
int cmdutil_store_dir(char *dir, size_t cap)
{
	const char *env = getenv("TMWATCH_DIR");
	static int warned;
	struct stat st;
	int err;

	if (env && *env && env[0] != '/' && !warned) {
		/* The library uses it as given (docs/store-layout.md). */
		warned = 1;
		msg_error("TMWATCH_DIR='%s' is a relative path: each working "
			  "directory gets a store of its own; set it to an "
			  "absolute path", env);
	}
	err = tm__paths_store_dir(dir, cap);
	if (err) {
		msg_error("cannot find the telemetry directory: %s; set "
			  "TMWATCH_DIR or HOME", tm_strerror(err));
		return err;
	}
	if (env && *env && stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		msg_error("TMWATCH_DIR='%s' is not a directory; point it at a "
			  "directory (created if missing) or unset it to use "
			  "the default store", env);
		return -ENOTDIR;
	}
	return 0;
}

void cmdutil_check_mode_env(const struct tm__mode_info *mode)
{
	const char *v = getenv("TMWATCH_TELEMETRY");
	static int warned;

	if (!mode->env_error || warned || !v)
		return;
	warned = 1;
	if (strcmp(v, "on") == 0)
		msg_error("ignoring TMWATCH_TELEMETRY=on: the variable can "
			  "only lower the mode (off, local); run 'tmwatch "
			  "telemetry on' to upload");
	else
		msg_error("ignoring TMWATCH_TELEMETRY='%s': not a mode; set it "
			  "to off or local, or unset it", v);
}

int cmdutil_load_mode(const char *dir, struct tm__mode_info *mode)
{
	char path[PATH_MAX];
	int err = tm__mode_load(dir, mode);

	if (err) {
		msg_error("cannot read the telemetry mode in '%s': %s; fix it "
			  "or set TMWATCH_DIR", dir, tm_strerror(err));
		return err;
	}
	cmdutil_check_mode_env(mode);
	if (mode->file_error &&
	    tm__paths_join(path, sizeof path, dir, "mode") == 0)
		msg_error("ignoring mode file '%s': %s; using local; run "
			  "'tmwatch telemetry local' to rewrite it", path,
			  tm_strerror(mode->file_error));
	return 0;
}

void cmdutil_print_mode_line(FILE *out, const struct tm__mode_info *m)
{
	fprintf(out, "%s", tm__mode_name(m->effective));
	if (m->forced_by)
		fprintf(out, " (set by %s; the mode file says %s)",
			m->forced_by, tm__mode_name(m->recorded));
	else if (m->date[0])
		fprintf(out, " (since %s)", m->date);
	fputc('\n', out);
}

int cmdutil_has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct cmdutil_count_file *)a)->path,
		      ((const struct cmdutil_count_file *)b)->path);
}

/* Lists the T/local .v1.count files sorted by name into *out (malloc'd).
 * A missing directory is an empty store; anything else unreadable is an
 * error. */
int cmdutil_list_count_files(const char *dir, struct cmdutil_count_file **out,
			    size_t *n)
{
	char local[PATH_MAX];
	struct dirent *e;
	size_t cap = 0;
	DIR *d;

	*out = NULL;
	*n = 0;
	if (tm__paths_join(local, sizeof local, dir, "local"))
		return -ENAMETOOLONG;
	d = opendir(local);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		msg_error("cannot read counter store '%s': %s; fix it or set "
			  "TMWATCH_DIR", local, tm_strerror(-errno));
		return -errno;
	}
	while ((e = readdir(d))) {
		struct stat st;
		struct cmdutil_count_file *f;

		if (!cmdutil_has_suffix(e->d_name, ".v1.count"))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			f = realloc(*out, cap * sizeof **out);
			if (!f)
				break;
			*out = f;
		}
		f = &(*out)[*n];
		if (tm__paths_join(f->path, sizeof f->path, local, e->d_name))
			continue;
		if (lstat(f->path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		f->size = st.st_size;
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(*out, *n, sizeof **out, by_path);
	return 0;
}

/* Files named on the command line, or every counter file of the store. */
int cmdutil_collect_files(int argc, char **argv,
			  struct cmdutil_count_file **out,
			 size_t *n)
{
	char dir[PATH_MAX];

	if (argc == 0) {
		if (cmdutil_store_dir(dir, sizeof dir))
			return -1;
		return cmdutil_list_count_files(dir, out, n);
	}
	*out = calloc((size_t)argc, sizeof **out);
	if (!*out)
		return -ENOMEM;
	for (int i = 0; i < argc; i++)
		snprintf((*out)[i].path, sizeof (*out)[i].path, "%s", argv[i]);
	*n = (size_t)argc;
	return 0;
}

int cmdutil_parse_or_complain(const char *path, struct tm__parsed_file *pf)
{
	char why[256] = "";
	int err = tm__counterparse_path(path, pf, why, sizeof why);

	if (err == TM_ECORRUPT)
		msg_error("skipping corrupt counter file '%s': %s", path, why);
	else if (err)
		msg_error("cannot read counter file '%s': %s", path,
			  tm_strerror(err));
	return err;
}

int cmdutil_take_flag(int *argc, char **argv, const char *opt)
{
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], opt) == 0) {
			memmove(&argv[i], &argv[i + 1],
				(size_t)(*argc - i) * sizeof *argv);
			(*argc)--;
			return 1;
		}
	}
	return 0;
}

int cmdutil_print_json(cJSON *j)
{
	char *s = j ? cJSON_Print(j) : NULL;

	cJSON_Delete(j);
	if (!s) {
		msg_error("cannot format JSON output: out of memory");
		return MSG_EXIT_FAIL;
	}
	printf("%s\n", s);
	free(s);
	return MSG_EXIT_OK;
}

/* cJSON keeps numbers as doubles: 2^53+1 would print as 9.007e+15. A
 * raw item carries the decimal digits exactly. */
void cmdutil_json_add_u64(cJSON *o, const char *key, unsigned long long v)
{
	char buf[24];

	snprintf(buf, sizeof buf, "%llu", v);
	cJSON_AddRawToObject(o, key, buf);
}

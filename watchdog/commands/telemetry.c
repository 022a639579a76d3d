/* SPDX-License-Identifier: MIT */
/* cmd_telemetry.c -- `tmwatch telemetry`: the mode and the counter store.
 *
 * Subcommands (docs/tmwatch-telemetry.md): none (print the mode), on, local,
 * off, status, env, dump, csv, clean, upload, count. Every subcommand takes
 * --help; usage errors exit 2 with one line; a bad store exits 1 with one
 * line naming the path.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "cmd.h"
#include "counterparse.h"
#include "fsutil.h"
#include "identity.h"
#include "mode.h"
#include "msg.h"
#include "paths.h"
#include "store.h"
#include "telemetry_upload.h"
#include "tmwatch/counter.h"
#include "weeks.h"

static const char CMD[] = "tmwatch telemetry";

static void usage(FILE *out)
{
	fputs("usage: tmwatch telemetry [COMMAND] [ARGS...]\n"
	      "\n"
	      "With no command, prints the effective mode: on, local or off.\n"
	      "\n"
	      "commands:\n"
	      "  on|local|off           set the mode (on also uploads weekly "
	      "reports)\n"
	      "  status                 mode, store, counter files, reports, "
	      "uploads, crashes\n"
	      "  env                    the environment variables and paths in "
	      "effect\n"
	      "  dump [--json] [FILE...] print counter files (default: all in "
	      "the store)\n"
	      "  csv [FILE...]          print counters as CSV\n"
	      "  clean                  delete local counter files and "
	      "reports\n"
	      "  upload                 build due reports and upload them now "
	      "(mode on)\n"
	      "  count [--program P] [--version V] NAME [N]\n"
	      "                         add N (default 1) to counter NAME\n"
	      "\n"
	      "Each command takes --help. See docs/tmwatch-telemetry.md.\n",
	      out);
}

static int wants_help(int argc, char **argv)
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

/* Resolves the store directory, or prints why not. */
static int store_dir(char *dir, size_t cap)
{
	int err = tm__paths_store_dir(dir, cap);

	if (err)
		msg_error("cannot find the telemetry directory: %s; set "
			  "TMWATCH_DIR or HOME", tm_strerror(err));
	return err;
}

static int load_mode(const char *dir, struct tm__mode_info *mode)
{
	char path[PATH_MAX];
	int err = tm__mode_load(dir, mode);

	if (err) {
		msg_error("cannot read the telemetry mode in '%s': %s; fix it "
			  "or set TMWATCH_DIR", dir, tm_strerror(err));
		return err;
	}
	if (mode->file_error &&
	    tm__paths_join(path, sizeof path, dir, "mode") == 0)
		msg_error("ignoring mode file '%s': %s; using local; run "
			  "'tmwatch telemetry local' to rewrite it", path,
			  tm_strerror(mode->file_error));
	return 0;
}

static void print_mode_line(FILE *out, const struct tm__mode_info *m)
{
	fprintf(out, "%s", tm__mode_name(m->effective));
	if (m->forced_by)
		fprintf(out, " (set by %s; the mode file says %s)",
			m->forced_by, tm__mode_name(m->recorded));
	else if (m->date[0])
		fprintf(out, " (since %s)", m->date);
	fputc('\n', out);
}

static int cmd_show(int argc, char **argv)
{
	struct tm__mode_info mode;
	char dir[PATH_MAX];

	(void)argc; (void)argv;
	if (store_dir(dir, sizeof dir) || load_mode(dir, &mode))
		return MSG_EXIT_FAIL;
	printf("%s\n", tm__mode_name(mode.effective));
	return MSG_EXIT_OK;
}

static int cmd_set(int argc, char **argv)
{
	struct tm__mode_info mode;
	enum tm_mode want;
	char dir[PATH_MAX], date[11];
	int err;

	if (wants_help(argc, argv)) {
		printf("usage: tmwatch telemetry on|local|off\n\n"
		       "Records the mode with today's date in the mode "
		       "file.\n  on     count locally and upload weekly reports "
		       "to the endpoints of\n         installed upload "
		       "configs (data collected after today only)\n"
		       "  local  count and build reports locally; upload "
		       "nothing (the default)\n"
		       "  off    write nothing at all\n");
		return MSG_EXIT_OK;
	}
	if (argc > 1)
		return msg_usage(CMD, "unexpected argument '%s' after '%s'",
				 argv[1], argv[0]);
	if (tm__mode_parse(argv[0], &want))
		return msg_usage(CMD, "unknown mode '%s'", argv[0]);
	if (store_dir(dir, sizeof dir))
		return MSG_EXIT_FAIL;
	err = tm__mode_store(dir, want, tm__clock_now());
	if (err) {
		msg_error("cannot write the mode file in '%s': %s; fix it or "
			  "set TMWATCH_DIR", dir, tm_strerror(err));
		return MSG_EXIT_FAIL;
	}
	tm__clock_date(tm__clock_now(), date);
	printf("telemetry mode is now %s (since %s)\n", argv[0], date);
	if (want == TM_MODE_ON) {
		printf("Weekly reports of counters for programs with an "
		       "upload config will be\nuploaded: event counts and "
		       "crash stacks (function names and line offsets;\n"
		       "never paths, arguments, addresses or data), only "
		       "for data collected\nafter %s.\n", date);
		telemetry_upload_describe_endpoints(stdout, dir);
		printf("To stop uploading: tmwatch telemetry local (or off "
		       "to stop counting too).\n");
	}
	if (tm__mode_load(dir, &mode) == 0 && mode.forced_by &&
	    mode.effective != want)
		msg_error("note: %s is set, so the effective mode stays %s",
			  mode.forced_by, tm__mode_name(mode.effective));
	return MSG_EXIT_OK;
}

/* One counter file found in the store's local directory. */
struct count_file {
	char path[PATH_MAX];
	off_t size;
};

static int has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct count_file *)a)->path,
		      ((const struct count_file *)b)->path);
}

/* Lists the T/local .v1.count files sorted by name into *out (malloc'd). A missing
 * directory is an empty store; anything else unreadable is an error. */
static int list_count_files(const char *dir, struct count_file **out,
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
		struct count_file *f;

		if (!has_suffix(e->d_name, ".v1.count"))
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
static int collect_files(int argc, char **argv, struct count_file **out,
			 size_t *n)
{
	char dir[PATH_MAX];

	if (argc == 0) {
		if (store_dir(dir, sizeof dir))
			return -1;
		return list_count_files(dir, out, n);
	}
	*out = calloc((size_t)argc, sizeof **out);
	if (!*out)
		return -ENOMEM;
	for (int i = 0; i < argc; i++)
		snprintf((*out)[i].path, sizeof (*out)[i].path, "%s", argv[i]);
	*n = (size_t)argc;
	return 0;
}

static int parse_or_complain(const char *path, struct tm__parsed_file *pf)
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

/* Text dump: a header line per file, its metadata, then "VALUE NAME" per
 * counter; a stack counter's frames follow on lines indented by a tab. */
static void dump_text(const char *path, const struct tm__parsed_file *pf)
{
	printf("# %s\n", path);
	for (size_t i = 0; i < pf->nmeta; i++)
		printf("# %s: %s\n", pf->meta_keys[i], pf->meta_values[i]);
	for (size_t i = 0; i < pf->ncounters; i++) {
		const struct tm__parsed_counter *c = &pf->counters[i];
		const char *nl = memchr(c->name, '\n', c->name_len);

		if (!nl) {
			printf("%" PRIu64 "\t%s\n", c->value, c->name);
			continue;
		}
		printf("%" PRIu64 "\t%.*s\n", c->value, (int)(nl - c->name),
		       c->name);
		for (const char *line = nl + 1; *line;) {
			const char *end = strchr(line, '\n');
			int len = end ? (int)(end - line) : (int)strlen(line);

			if (len > 0)
				printf("\t  %.*s\n", len, line);
			line += len + (end ? 1 : 0);
		}
	}
}

static cJSON *file_json(const char *path, const struct tm__parsed_file *pf)
{
	cJSON *o = cJSON_CreateObject(), *meta, *counters;

	cJSON_AddStringToObject(o, "Path", path);
	meta = cJSON_AddObjectToObject(o, "Meta");
	for (size_t i = 0; i < pf->nmeta; i++)
		cJSON_AddStringToObject(meta, pf->meta_keys[i],
					pf->meta_values[i]);
	counters = cJSON_AddObjectToObject(o, "Count");
	for (size_t i = 0; i < pf->ncounters; i++)
		cJSON_AddNumberToObject(counters, pf->counters[i].name,
					(double)pf->counters[i].value);
	return o;
}

static int cmd_dump(int argc, char **argv)
{
	struct count_file *files;
	cJSON *all = NULL;
	size_t n;
	int json = 0, failed = 0, i;

	if (wants_help(argc, argv)) {
		printf("usage: tmwatch telemetry dump [--json] [FILE...]\n\n"
		       "Prints counter files: every file in the store's "
		       "local directory, or the\nFILEs given. Text: '# "
		       "file' and '# Key: value' metadata lines, then\n"
		       "'VALUE<TAB>NAME' per counter, stack frames indented "
		       "below. --json prints\n[{\"Path\",\"Meta\",\"Count\"}]. "
		       "Corrupt files are reported and skipped (exit 1).\n");
		return MSG_EXIT_OK;
	}
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else
			return msg_usage(CMD, "unknown option '%s' for dump",
					 argv[i]);
	}
	if (collect_files(argc - i, argv + i, &files, &n))
		return MSG_EXIT_FAIL;
	if (json)
		all = cJSON_CreateArray();
	for (size_t k = 0; k < n; k++) {
		struct tm__parsed_file pf;

		if (parse_or_complain(files[k].path, &pf)) {
			failed = 1;
			continue;
		}
		if (json)
			cJSON_AddItemToArray(all, file_json(files[k].path, &pf));
		else
			dump_text(files[k].path, &pf);
		tm__counterparse_free(&pf);
	}
	if (json) {
		char *s = cJSON_Print(all);
		if (s)
			printf("%s\n", s);
		free(s);
		cJSON_Delete(all);
	}
	free(files);
	return failed ? MSG_EXIT_FAIL : MSG_EXIT_OK;
}

/* Writes S as one RFC 4180 CSV field (quoted: names contain newlines). */
static void csv_field(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static int cmd_csv(int argc, char **argv)
{
	static const char *const keys[] = { "Program", "Version", "GoVersion",
		"GOOS", "GOARCH", "TimeBegin", "TimeEnd" };
	struct count_file *files;
	size_t n;
	int failed = 0, i = 1;

	if (wants_help(argc, argv)) {
		printf("usage: tmwatch telemetry csv [FILE...]\n\nPrints one "
		       "CSV row per counter: program, version, toolchain, os,"
		       " arch,\nweek begin, week end, counter name (stack "
		       "counters keep their newlines,\nquoted), value.\n");
		return MSG_EXIT_OK;
	}
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	else if (i < argc && argv[i][0] == '-')
		return msg_usage(CMD, "unknown option '%s' for csv", argv[i]);
	if (collect_files(argc - i, argv + i, &files, &n))
		return MSG_EXIT_FAIL;
	printf("program,version,toolchain,goos,goarch,begin,end,counter,"
	       "value\n");
	for (size_t k = 0; k < n; k++) {
		struct tm__parsed_file pf;

		if (parse_or_complain(files[k].path, &pf)) {
			failed = 1;
			continue;
		}
		for (size_t c = 0; c < pf.ncounters; c++) {
			for (size_t j = 0; j < sizeof keys / sizeof keys[0];
			     j++) {
				const char *v = tm__parsed_meta(&pf, keys[j]);
				csv_field(v ? v : "");
				putchar(',');
			}
			csv_field(pf.counters[c].name);
			printf(",%" PRIu64 "\n", pf.counters[c].value);
		}
		tm__counterparse_free(&pf);
	}
	free(files);
	return failed ? MSG_EXIT_FAIL : MSG_EXIT_OK;
}

/* Sums crash/crash stack counters in the files whose week holds NOW. */
static uint64_t crashes_this_week(const struct count_file *files, size_t n,
				  time_t now)
{
	uint64_t total = 0;

	for (size_t k = 0; k < n; k++) {
		struct tm__parsed_file pf;
		char why[128];
		time_t begin, end;
		const char *b, *e;

		if (tm__counterparse_path(files[k].path, &pf, why, sizeof why))
			continue;
		b = tm__parsed_meta(&pf, "TimeBegin");
		e = tm__parsed_meta(&pf, "TimeEnd");
		if (b && e && tm__clock_parse(b, &begin) == 0 &&
		    tm__clock_parse(e, &end) == 0 && begin <= now &&
		    now < end)
			for (size_t c = 0; c < pf.ncounters; c++)
				if (strncmp(pf.counters[c].name,
					    "crash/crash\n", 12) == 0)
					total += pf.counters[c].value;
		tm__counterparse_free(&pf);
	}
	return total;
}

/* Prints one line per counter file that fails validation: every later
 * count (and crash) of that program this week is lost until it goes. */
static void print_corrupt(const struct count_file *files, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		struct tm__parsed_file pf;
		char why[256] = "";
		int err = tm__counterparse_path(files[k].path, &pf, why,
						sizeof why);

		if (err == 0)
			tm__counterparse_free(&pf);
		else if (err == TM_ECORRUPT)
			printf("corrupt counter file: '%s': %s; its program "
			       "counts nothing this week: delete it\n",
			       files[k].path, why);
	}
}

/* Prints a line when the store or its local/ could not be trusted: the
 * library then refuses to count there (docs/security.md). */
static void print_unsafe(const char *dir)
{
	int top = tm__fs_open_dir(AT_FDCWD, dir, 0), fd = -1;
	const char *what = dir;
	char local[PATH_MAX];

	if (top >= 0) {
		fd = tm__fs_open_dir(top, "local", 1);
		close(top);
		if (fd >= 0)
			close(fd);
		if (tm__paths_join(local, sizeof local, dir, "local") == 0)
			what = local;
	}
	if (top == TM_EUNSAFE || fd == TM_EUNSAFE)
		printf("unsafe store: '%s' is a symbolic link, owned by another "
		       "user or writable by others; nothing is counted there: "
		       "make it yours (chown, chmod go-w) or set TMWATCH_DIR\n",
		       top == TM_EUNSAFE ? dir : what);
}

static int cmd_status(int argc, char **argv)
{
	struct tm__mode_info mode;
	struct count_file *files;
	char dir[PATH_MAX];
	off_t bytes = 0;
	size_t n;

	if (wants_help(argc, argv)) {
		printf("usage: tmwatch telemetry status\n\nShows the mode, "
		       "the store directory, counter files, reports,\n"
		       "uploads and the crashes recorded this week.\n");
		return MSG_EXIT_OK;
	}
	if (argc > 1)
		return msg_usage(CMD, "unexpected argument '%s'", argv[1]);
	if (store_dir(dir, sizeof dir) || load_mode(dir, &mode))
		return MSG_EXIT_FAIL;
	if (list_count_files(dir, &files, &n))
		return MSG_EXIT_FAIL;
	for (size_t k = 0; k < n; k++)
		bytes += files[k].size;
	printf("mode: ");
	print_mode_line(stdout, &mode);
	printf("directory: %s\n", dir);
	printf("counter files: %zu (%lld KiB)\n", n,
	       (long long)(bytes + 1023) / 1024);
	telemetry_upload_status(stdout, dir);
	printf("crashes this week: %" PRIu64 "\n",
	       crashes_this_week(files, n, tm__clock_now()));
	print_corrupt(files, n);
	print_unsafe(dir);
	free(files);
	return MSG_EXIT_OK;
}

static int cmd_env(int argc, char **argv)
{
	static const char *const vars[] = { "TMWATCH_DIR", "TMWATCH_TELEMETRY",
		"DO_NOT_TRACK", "TMWATCH_DISABLE", "TMWATCH_QUIET",
		"TMWATCH_PROGRAM_VERSION", "TMWATCH_BIN", "TMWATCH_SHIM",
		"TMWATCH_DEBUG_DIRS", "TMWATCH_NO_SYSTEM_DEBUG", "TMWATCH_NOW",
		"TMWATCH_UPLOAD_CONFIG_DIRS", "XDG_CONFIG_HOME", "XDG_STATE_HOME",
		"HOME" };
	char dir[PATH_MAX], state[PATH_MAX];

	if (wants_help(argc, argv)) {
		printf("usage: tmwatch telemetry env\n\nPrints the "
		       "environment variables tmwatch reads and the paths "
		       "they give.\n");
		return MSG_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		const char *v = getenv(vars[i]);
		printf("%s=%s\n", vars[i], v ? v : "");
	}
	if (tm__paths_store_dir(dir, sizeof dir) == 0)
		printf("store directory: %s\n", dir);
	if (tm__paths_state_dir(state, sizeof state) == 0)
		printf("crash logs: %s/crashes\n", state);
	return MSG_EXIT_OK;
}

/* "YYYY-MM-DD" at S (digits and dashes only; the date is not checked). */
static int is_date(const char *s)
{
	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 7 ? s[i] != '-' :
		    (s[i] < '0' || s[i] > '9'))
			return 0;
	}
	return 1;
}

/* Whether NAME in local/ (LOCAL) or upload/ is a file tmwatch writes
 * there (docs/store-layout.md): only those are ever deleted. weekends is
 * ours too but kept: it is the user's identity-free schedule, and weeks
 * stay aligned. */
static int is_ours(const char *name, int local)
{
	size_t n = strlen(name);

	if (name[0] == '.')
		return 0;
	if (!local)
		return n == 15 && is_date(name) && !strcmp(name + 10, ".json");
	if (has_suffix(name, ".v1.count") || has_suffix(name, ".v1.count.corrupt"))
		return 1;
	if (!strcmp(name, "report.lock") || !strcmp(name, "daily.token"))
		return 1;
	if (n > 6 && !strncmp(name, "local.", 6) && is_date(name + 6))
		return !strcmp(name + 16, ".json");
	return n >= 10 && is_date(name) &&
	       (!strcmp(name + 10, ".json") || !strcmp(name + 10, ".json.lock") ||
		!strcmp(name + 10, ".upload"));
}

/* Removes our files from SUB of the store open at TOPFD. SUB is opened
 * with O_NOFOLLOW and must be ours and writable by nobody else; every
 * name is unlinked relative to its descriptor, so a symlink put in place
 * of SUB (or swapped in meanwhile) cannot point the deletion elsewhere.
 * Entries that are not regular files are left alone. *BAD gets SUB's
 * path on failure. */
static int clean_dir(int topfd, const char *dir, const char *sub,
		     size_t *removed, char *bad, size_t cap)
{
	struct dirent *e;
	int fd, dfd;
	DIR *d;

	snprintf(bad, cap, "%s/%s", dir, sub);
	fd = tm__fs_open_dir(topfd, sub, 1);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	dfd = dup(fd);
	d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d) {
		int err = -errno;

		if (dfd >= 0)
			close(dfd);
		close(fd);
		return err;
	}
	while ((e = readdir(d))) {
		struct stat st;

		if (!is_ours(e->d_name, !strcmp(sub, "local")) ||
		    fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(fd, e->d_name, 0) == 0)
			(*removed)++;
	}
	closedir(d);
	close(fd);
	return 0;
}

static int cmd_clean(int argc, char **argv)
{
	char dir[PATH_MAX], bad[PATH_MAX + 16];
	size_t removed = 0;
	int err, topfd;

	if (wants_help(argc, argv)) {
		printf("usage: tmwatch telemetry clean\n\nDeletes the "
		       "counter files and reports under the store's local/ "
		       "and\nupload/ directories. The mode and upload "
		       "configs stay.\n");
		return MSG_EXIT_OK;
	}
	if (argc > 1)
		return msg_usage(CMD, "unexpected argument '%s'", argv[1]);
	if (store_dir(dir, sizeof dir))
		return MSG_EXIT_FAIL;
	snprintf(bad, sizeof bad, "%s", dir);
	topfd = tm__fs_open_dir(AT_FDCWD, dir, 0);
	if (topfd == -ENOENT) {
		printf("removed 0 files from '%s'\n", dir);
		return MSG_EXIT_OK;
	}
	err = topfd < 0 ? topfd : 0;
	if (!err)
		err = clean_dir(topfd, dir, "local", &removed, bad, sizeof bad);
	if (!err)
		err = clean_dir(topfd, dir, "upload", &removed, bad, sizeof bad);
	if (topfd >= 0)
		close(topfd);
	if (err == TM_EUNSAFE) {
		msg_error("cannot clean '%s': it is a symbolic link, owned by "
			  "another user or writable by others; remove or fix "
			  "it by hand (chown, chmod go-w)", bad);
		return MSG_EXIT_FAIL;
	}
	if (err) {
		msg_error("cannot clean '%s': %s; fix its permissions or set "
			  "TMWATCH_DIR", bad, tm_strerror(err));
		return MSG_EXIT_FAIL;
	}
	printf("removed %zu files from '%s'\n", removed, dir);
	return MSG_EXIT_OK;
}

/* The name of the script that ran us: for `sh ./x.sh` or `#!/bin/sh`
 * scripts the parent's argv is "sh ./x.sh", so skip the interpreter and
 * its options. */
static void copy_name(char *buf, size_t cap, const char *s)
{
	size_t n = strnlen(s, cap - 1);

	memcpy(buf, s, n);
	buf[n] = 0;
}

static void caller_name(char *buf, size_t cap)
{
	static const char *const interpreters[] = { "sh", "bash", "dash",
		"zsh", "ksh", "mksh", "busybox", "env", "python", "python3",
		"perl", "ruby", "node", "tclsh", "lua" };
	char path[64], args[4096];
	size_t len = 0;
	FILE *f;

	copy_name(buf, cap, "unknown");
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)getppid());
	f = fopen(path, "r");
	if (!f)
		return;
	len = fread(args, 1, sizeof args - 1, f);
	fclose(f);
	args[len] = 0;
	for (size_t off = 0; off < len;) {
		const char *arg = args + off;
		const char *base = strrchr(arg, '/');
		int is_interp = 0;

		base = base ? base + 1 : arg;
		for (size_t i = 0; i < sizeof interpreters /
		     sizeof interpreters[0]; i++)
			if (strcmp(base, interpreters[i]) == 0)
				is_interp = 1;
		/* `sh -c 'text'` names no script: fall back to the shell. */
		if (strcmp(arg, "-c") == 0)
			break;
		if (*base && !is_interp && arg[0] != '-') {
			copy_name(buf, cap, base);
			return;
		}
		off += strlen(arg) + 1;
	}
	/* Only an interpreter (interactive shell): use its name. */
	const char *base = strrchr(args, '/');
	copy_name(buf, cap, base ? base + 1 : args);
}

static int parse_count(const char *s, uint64_t *n)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v == 0)
		return -1;
	*n = v;
	return 0;
}

static int cmd_count(int argc, char **argv)
{
	struct tm__identity id;
	const char *program = NULL, *version = NULL, *name;
	uint64_t n = 1;
	char path[PATH_MAX];
	int i, err;

	if (wants_help(argc, argv)) {
		printf("usage: tmwatch telemetry count [--program P] "
		       "[--version V] NAME [N]\n\nAdds N (default 1) to "
		       "counter NAME in the counter file of program P\n"
		       "(default: the name of the calling script) version V "
		       "(default:\n$TMWATCH_PROGRAM_VERSION, else devel). "
		       "Does nothing in mode off.\n");
		return MSG_EXIT_OK;
	}
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--program") == 0 && i + 1 < argc)
			program = argv[++i];
		else if (strcmp(argv[i], "--version") == 0 && i + 1 < argc)
			version = argv[++i];
		else if (strcmp(argv[i], "--program") == 0 ||
			 strcmp(argv[i], "--version") == 0)
			return msg_usage(CMD, "option '%s' needs a value",
					 argv[i]);
		else
			return msg_usage(CMD, "unknown option '%s' for count",
					 argv[i]);
	}
	if (i >= argc)
		return msg_usage(CMD, "count needs a counter NAME");
	name = argv[i++];
	if (!*name)
		return msg_usage(CMD, "counter name is empty");
	if (strlen(name) > TM_COUNTER_NAME_MAX)
		return msg_usage(CMD, "counter name is longer than %d bytes",
				 TM_COUNTER_NAME_MAX);
	if (i < argc && parse_count(argv[i++], &n))
		return msg_usage(CMD, "count '%s' is not a positive integer",
				 argv[i - 1]);
	if (i < argc)
		return msg_usage(CMD, "unexpected argument '%s'", argv[i]);

	memset(&id, 0, sizeof id);
	if (program)
		snprintf(id.program, sizeof id.program, "%s", program);
	else
		caller_name(id.program, sizeof id.program);
	if (!version)
		version = getenv("TMWATCH_PROGRAM_VERSION");
	snprintf(id.version, sizeof id.version, "%s",
		 version && *version ? version : "devel");
	snprintf(id.toolchain, sizeof id.toolchain, "unknown");
	snprintf(id.goarch, sizeof id.goarch, "%s",
		 tm__store_self_identity()->goarch);
	tm__identity_sanitize_program(id.program);
	tm__identity_sanitize(id.version);
	err = tm__store_count_for(&id, name, strlen(name), n);
	if (err == TM_EOFF || err == TM_EDISABLED)
		return MSG_EXIT_OK;
	if (err) {
		if (tm__paths_store_dir(path, sizeof path))
			strcpy(path, "?");
		msg_error("cannot count '%s' in store '%s': %s; fix it or set "
			  "TMWATCH_DIR", name, path, tm_strerror(err));
		return MSG_EXIT_FAIL;
	}
	return MSG_EXIT_OK;
}

static int cmd_upload(int argc, char **argv)
{
	char dir[PATH_MAX];

	if (wants_help(argc, argv)) {
		printf("usage: tmwatch telemetry upload\n\nBuilds the "
		       "reports of ended weeks and, in mode on, uploads them "
		       "now,\nlogging each step to stderr.\n");
		return MSG_EXIT_OK;
	}
	if (argc > 1)
		return msg_usage(CMD, "unexpected argument '%s'", argv[1]);
	if (store_dir(dir, sizeof dir))
		return MSG_EXIT_FAIL;
	return telemetry_upload_now(dir);
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "on", cmd_set },       { "local", cmd_set },  { "off", cmd_set },
	{ "status", cmd_status }, { "env", cmd_env },   { "dump", cmd_dump },
	{ "csv", cmd_csv },      { "clean", cmd_clean }, { "upload", cmd_upload },
	{ "count", cmd_count },
};

int cmd_telemetry_main(int argc, char **argv)
{
	if (argc < 2)
		return cmd_show(argc, argv);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return MSG_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	return msg_usage(CMD, "unknown command '%s'", argv[1]);
}

/* SPDX-License-Identifier: MIT */
/* crashes.c -- `tmwatch crashes`: the local crash logs, as coredumpctl
 * shows core dumps: list (filters, --json), info, clean.
 *
 * The logs are written by the watchdog after each crash (crashlog.c)
 * under $XDG_STATE_HOME/tmwatch/crashes/ and never leave the machine;
 * their layout is in docs/stack-counters.md, the command and the
 * retention limit in docs/tmwatch-crashes.md. A log is untrusted text
 * here: at most LOG_MAX bytes are read, fields are cut to their buffers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "cmdutil.h"
#include "crashlogdir.h"
#include "crashsummary.h"
#include "msg.h"
#include "tmwatch/common.h"

static const char CMD[] = "tmwatch crashes";

#define LOG_MAX (256 * 1024)

/* What the list shows of one log. */
struct summary {
	const struct crashlogdir_entry *e;
	struct crash_summary c;
};

static void usage(FILE *out)
{
	fputs("usage: tmwatch crashes [list] [--program NAME] [--since TIME] "
	      "[--until TIME]\n"
	      "                       [-n N] [--json]\n"
	      "       tmwatch crashes info [--json] PID|LOG\n"
	      "       tmwatch crashes clean [--older-than DAYS] [--dry-run]\n"
	      "\n"
	      "The local crash logs (one file per crash, never uploaded), "
	      "newest first:\n"
	      "TIME PID SIG PROGRAM VERSION FRAME (the innermost frame) "
	      "LOG.\n"
	      "TIME is YYYY-MM-DD, 'YYYY-MM-DD HH:MM[:SS]' (local time), or "
	      "Nd/Nh/Nm ago.\n"
	      "info prints the whole log of the newest crash of PID, or of "
	      "LOG (its file\nname or path). clean deletes logs (all, or "
	      "those older than DAYS).\n"
	      "At most 100 logs and 10 MiB are kept, oldest removed first "
	      "(set\nTMWATCH_CRASH_LOGS_MAX, TMWATCH_CRASH_LOGS_MAX_BYTES; "
	      "0 = no limit).\n"
	      "See man tmwatch-crashes.\n", out);
}

/* Opens the log directory; *DFD is -1 (and 0 returned) when there is none
 * yet. Prints why on failure. */
static int open_dir(char *dir, size_t cap, int *dfd)
{
	int err = crashlogdir_path(dir, cap);

	*dfd = -1;
	if (err) {
		msg_error("cannot find the crash log directory: %s; set "
			  "XDG_STATE_HOME or HOME", tm_strerror(err));
		return err;
	}
	*dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*dfd < 0 && errno != ENOENT) {
		err = -errno;
		msg_error("cannot read the crash logs in '%s': %s; fix its "
			  "permissions or set XDG_STATE_HOME", dir,
			  tm_strerror(err));
		return err;
	}
	return 0;
}

/* Reads the log NAME of DFD (at most LOG_MAX bytes, NUL-terminated,
 * malloc'd) or NULL. */
static char *read_log(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char *buf;
	size_t len = 0;

	if (fd < 0)
		return NULL;
	buf = malloc(LOG_MAX + 1);
	while (buf && len < LOG_MAX) {
		ssize_t r = read(fd, buf + len, LOG_MAX - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (buf)
		buf[len] = 0;
	return buf;
}

/* TIME: "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" (also with a T), local
 * time, or "Nd", "Nh", "Nm": that long before now. */
static int parse_time(const char *s, time_t *t)
{
	struct tm tm;
	const char *end;
	char *e;
	long n;

	if (*s >= '0' && *s <= '9') {
		n = strtol(s, &e, 10);
		if (e != s && e[1] == 0 && n >= 0 &&
		    (*e == 'd' || *e == 'h' || *e == 'm')) {
			*t = time(NULL) - n * (*e == 'd' ? 86400 :
					       *e == 'h' ? 3600 : 60);
			return 0;
		}
	}
	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%d", &tm);
	if (!end)
		return -1;
	if (*end == ' ' || *end == 'T') {
		const char *e2 = strptime(end + 1, "%H:%M:%S", &tm);

		end = e2 ? e2 : strptime(end + 1, "%H:%M", &tm);
		if (!end)
			return -1;
	}
	if (*end)
		return -1;
	tm.tm_isdst = -1;
	*t = mktime(&tm);
	return 0;
}

static void local_time(time_t t, char *buf, size_t cap)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

static cJSON *summary_json(const struct summary *s, const char *dir)
{
	cJSON *o = cJSON_CreateObject();
	char when[32], path[PATH_MAX + 300];
	struct tm tm;

	gmtime_r(&s->e->mtime.tv_sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(path, sizeof path, "%s/%s", dir, s->e->name);
	cJSON_AddStringToObject(o, "time", when);
	cmdutil_json_add_u64(o, "timestamp",
			     (unsigned long long)s->e->mtime.tv_sec);
	cmdutil_json_add_u64(o, "pid", (unsigned long long)s->c.pid);
	cJSON_AddStringToObject(o, "signal", s->c.sig);
	cJSON_AddStringToObject(o, "program", s->c.program);
	cJSON_AddStringToObject(o, "version", s->c.version);
	cJSON_AddStringToObject(o, "frame", s->c.frame);
	cJSON_AddStringToObject(o, "log", path);
	cmdutil_json_add_u64(o, "size", (unsigned long long)s->e->size);
	return o;
}

static int need_value(int argc, char **argv, int i)
{
	if (i + 1 < argc)
		return 0;
	return msg_usage(CMD, "option '%s' needs a value", argv[i]);
}

static int cmd_list(int argc, char **argv)
{
	const char *program = NULL;
	time_t since = 0, until = 0;
	int json = 0, has_since = 0, has_until = 0, dfd, err;
	long limit = -1;
	char dir[PATH_MAX];
	struct crashlogdir_entry *v = NULL;
	size_t n = 0, shown = 0;
	cJSON *arr = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0) {
			json = 1;
		} else if (strcmp(a, "--program") == 0) {
			if (need_value(argc, argv, i))
				return MSG_EXIT_USAGE;
			program = argv[++i];
		} else if (strcmp(a, "--since") == 0 ||
			   strcmp(a, "--until") == 0) {
			time_t t;

			if (need_value(argc, argv, i))
				return MSG_EXIT_USAGE;
			if (parse_time(argv[++i], &t))
				return msg_usage(CMD, "bad time '%s' for %s: "
						 "use YYYY-MM-DD[ HH:MM[:SS]] "
						 "or Nd, Nh, Nm", argv[i], a);
			if (a[2] == 's')
				since = t, has_since = 1;
			else
				until = t, has_until = 1;
		} else if (strcmp(a, "-n") == 0) {
			char *e;

			if (need_value(argc, argv, i))
				return MSG_EXIT_USAGE;
			limit = strtol(argv[++i], &e, 10);
			if (*e || e == argv[i] || limit < 0)
				return msg_usage(CMD, "-n needs a count, not "
						 "'%s'", argv[i]);
		} else {
			return msg_usage(CMD, "unknown option '%s' for list",
					 a);
		}
	}
	if (open_dir(dir, sizeof dir, &dfd))
		return MSG_EXIT_FAIL;
	if (dfd >= 0) {
		err = crashlogdir_list(dfd, &v, &n);
		if (err) {
			msg_error("cannot read the crash logs in '%s': %s; fix "
				  "its permissions", dir, tm_strerror(err));
			close(dfd);
			return MSG_EXIT_FAIL;
		}
	}
	if (json)
		arr = cJSON_CreateArray();
	for (size_t k = 0; k < n && (limit < 0 || (long)shown < limit); k++) {
		struct summary s = { .e = &v[k] };
		char *text;

		if ((has_since && v[k].mtime.tv_sec < since) ||
		    (has_until && v[k].mtime.tv_sec > until))
			continue;
		text = read_log(dfd, v[k].name);
		crashsummary_parse(text, &s.c);
		free(text);
		if (program && strcmp(program, s.c.program) != 0)
			continue;
		if (json) {
			cJSON_AddItemToArray(arr, summary_json(&s, dir));
		} else {
			char when[32];

			if (shown == 0)
				printf("%-19s %7s %-7s %-16s %-12s %-30s %s\n",
				       "TIME", "PID", "SIG", "PROGRAM",
				       "VERSION", "FRAME", "LOG");
			local_time(v[k].mtime.tv_sec, when, sizeof when);
			printf("%-19s %7ld %-7s %-16s %-12s %-30s  %s/%s\n",
			       when, s.c.pid, s.c.sig, s.c.program, s.c.version,
			       s.c.frame, dir, v[k].name);
		}
		shown++;
	}
	free(v);
	if (dfd >= 0)
		close(dfd);
	if (json)
		return cmdutil_print_json(arr);
	if (shown == 0 && n)
		printf("no crash log in '%s' matches\n", dir);
	else if (shown == 0)
		printf("no crashes recorded in '%s'\n", dir);
	return MSG_EXIT_OK;
}

/* Whether ID names the log E: its pid, its file name, or its path. */
static int matches(const char *id, const char *dir,
		   const struct crashlogdir_entry *e, int dfd)
{
	const char *slash = strrchr(id, '/');
	char *end;
	long pid = strtol(id, &end, 10);

	if (*id && !*end && pid > 0) {
		struct summary s = { .e = e };
		char *text = read_log(dfd, e->name);

		crashsummary_parse(text, &s.c);
		free(text);
		return s.c.pid == pid;
	}
	if (slash) {
		size_t dl = strlen(dir);

		/* A path: it must be in the log directory. */
		return strncmp(id, dir, dl) == 0 && id[dl] == '/' &&
		       strcmp(id + dl + 1, e->name) == 0;
	}
	return strcmp(id, e->name) == 0;
}

static int cmd_info(int argc, char **argv)
{
	struct crashlogdir_entry *v = NULL;
	const char *id = NULL;
	char dir[PATH_MAX];
	size_t n = 0;
	int json = 0, dfd, rc = MSG_EXIT_FAIL, found = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (argv[i][0] == '-')
			return msg_usage(CMD, "unknown option '%s' for info",
					 argv[i]);
		else if (id)
			return msg_usage(CMD, "unexpected argument '%s'",
					 argv[i]);
		else
			id = argv[i];
	}
	if (!id)
		return msg_usage(CMD, "info needs a PID or a LOG name");
	if (open_dir(dir, sizeof dir, &dfd))
		return MSG_EXIT_FAIL;
	if (dfd < 0 || crashlogdir_list(dfd, &v, &n) != 0)
		n = 0;
	for (size_t k = 0; k < n; k++) {
		char *text;

		if (!matches(id, dir, &v[k], dfd))
			continue;
		found = 1;
		text = read_log(dfd, v[k].name);
		if (!text) {
			msg_error("cannot read crash log '%s/%s': %s", dir,
				  v[k].name, tm_strerror(-errno));
			break;
		}
		if (json) {
			struct summary s = { .e = &v[k] };
			cJSON *o;

			crashsummary_parse(text, &s.c);
			o = summary_json(&s, dir);
			cJSON_AddStringToObject(o, "text", text);
			rc = cmdutil_print_json(o);
		} else {
			fputs(text, stdout);
			rc = MSG_EXIT_OK;
		}
		free(text);
		break;
	}
	if (!found)
		msg_error("no crash log matches '%s' in '%s'; see 'tmwatch "
			  "crashes' for the PIDs and LOG names", id, dir);
	free(v);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

static int cmd_clean(int argc, char **argv)
{
	struct crashlogdir_entry *v = NULL;
	long days = -1;
	int dry = 0, dfd, failed = 0;
	size_t n = 0, removed = 0;
	char dir[PATH_MAX];
	time_t cutoff;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0) {
			dry = 1;
		} else if (strcmp(argv[i], "--older-than") == 0) {
			char *e;

			if (need_value(argc, argv, i))
				return MSG_EXIT_USAGE;
			days = strtol(argv[++i], &e, 10);
			if (*e || e == argv[i] || days < 0)
				return msg_usage(CMD, "--older-than needs a "
						 "number of days, not '%s'",
						 argv[i]);
		} else {
			return msg_usage(CMD, "unknown option '%s' for clean",
					 argv[i]);
		}
	}
	if (open_dir(dir, sizeof dir, &dfd))
		return MSG_EXIT_FAIL;
	if (dfd >= 0 && crashlogdir_list(dfd, &v, &n) != 0) {
		msg_error("cannot read the crash logs in '%s': %s; fix its "
			  "permissions", dir, tm_strerror(-errno));
		close(dfd);
		return MSG_EXIT_FAIL;
	}
	cutoff = time(NULL) - (days < 0 ? 0 : days) * 86400;
	for (size_t k = 0; k < n; k++) {
		if (days >= 0 && v[k].mtime.tv_sec >= cutoff)
			continue;
		if (dry) {
			printf("would remove '%s/%s'\n", dir, v[k].name);
			removed++;
		} else if (unlinkat(dfd, v[k].name, 0) == 0) {
			removed++;
		} else {
			msg_error("cannot remove crash log '%s/%s': %s; fix "
				  "the directory's permissions", dir,
				  v[k].name, tm_strerror(-errno));
			failed++;
		}
	}
	free(v);
	if (dfd >= 0)
		close(dfd);
	printf("%s %zu crash log%s from '%s'%s\n",
	       dry ? "would remove" : "removed", removed,
	       removed == 1 ? "" : "s", dir,
	       failed ? "; some could not be removed" : "");
	return failed ? MSG_EXIT_FAIL : MSG_EXIT_OK;
}

int cmd_crashes_main(int argc, char **argv)
{
	if (cmdutil_wants_help(argc, argv)) {
		usage(stdout);
		return MSG_EXIT_OK;
	}
	if (argc < 2 || argv[1][0] == '-')
		return cmd_list(argc, argv);
	if (strcmp(argv[1], "list") == 0)
		return cmd_list(argc - 1, argv + 1);
	if (strcmp(argv[1], "info") == 0)
		return cmd_info(argc - 1, argv + 1);
	if (strcmp(argv[1], "clean") == 0)
		return cmd_clean(argc - 1, argv + 1);
	return msg_usage(CMD, "unknown command '%s'", argv[1]);
}

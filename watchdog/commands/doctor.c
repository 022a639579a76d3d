/* SPDX-License-Identifier: MIT */
/* doctor.c -- `tmwatch doctor`: checks the chain end to end and says, one
 * line per check, what is wrong and how to fix it (docs/tmwatch.md).
 *
 * The checks read the user's store and never write to it; the real test
 * crashes (tmwatch-crashtest under the wrapper, then under the preloaded
 * shim) are counted into a throw-away store and state directory under
 * $TMPDIR, removed afterwards. Exit 0 when every check is ok (notes are
 * information), 1 otherwise. Go's gopls crash monitoring once broke
 * silently for months: this is how a user sees that reporting works.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "cmdutil.h"
#include "counterparse.h"
#include "crashlogdir.h"
#include "fsutil.h"
#include "mode.h"
#include "msg.h"
#include "paths.h"
#include "tmwatch/common.h"
#include "upload.h"
#include "uploadconfig.h"

static const char CMD[] = "tmwatch doctor";

#define HELPER_NAME "tmwatch-crashtest"
#define SHIM_NAME "libtmwatch-preload.so"
/* A crash goes through the whole pipeline (unwind, symbolize, count)
 * on a loaded machine: generous, and a bound that fails loudly. */
#define CRASH_TIMEOUT_S 120

enum verdict { V_OK, V_NOTE, V_FAIL };

/* The report: text lines as they come, or a JSON array. */
struct report {
	cJSON *json;		/* NULL: text */
	int failed;
};

static void check(struct report *r, enum verdict v, const char *name,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void check(struct report *r, enum verdict v, const char *name,
		  const char *fmt, ...)
{
	static const char *const word[] = { "ok", "note", "FAIL" };
	char text[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (v == V_FAIL)
		r->failed = 1;
	if (r->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "check", name);
		cJSON_AddStringToObject(o, "status", word[v]);
		cJSON_AddStringToObject(o, "detail", text);
		cJSON_AddItemToArray(r->json, o);
	} else {
		printf("%-4s  %-14s %s\n", word[v], name, text);
	}
}

/* ---- mode and store ---- */

static void check_mode(struct report *r, const char *dir,
		       struct tm__mode_info *m)
{
	const char *v = getenv("TMWATCH_TELEMETRY");
	char path[PATH_MAX];

	if (tm__mode_load(dir, m) != 0) {
		memset(m, 0, sizeof *m);
		m->effective = TM_MODE_LOCAL;
		check(r, V_FAIL, "mode", "cannot read the mode in '%s'; fix "
		      "its permissions or set TMWATCH_DIR", dir);
		return;
	}
	if (tm__paths_join(path, sizeof path, dir, "mode"))
		snprintf(path, sizeof path, "%s", dir);
	if (m->forced_by)
		check(r, V_OK, "mode", "%s, set by %s (the mode file '%s' says "
		      "%s)", tm__mode_name(m->effective), m->forced_by, path,
		      tm__mode_name(m->recorded));
	else if (m->date[0])
		check(r, V_OK, "mode", "%s, from the mode file '%s' (since "
		      "%s)", tm__mode_name(m->effective), path, m->date);
	else
		check(r, V_OK, "mode", "%s, the default (no mode file '%s'; "
		      "set one with 'tmwatch telemetry local|on|off')",
		      tm__mode_name(m->effective), path);
	if (m->file_error)
		check(r, V_FAIL, "mode file", "'%s' is unusable (%s), so "
		      "local applies; run 'tmwatch telemetry local' (or on, "
		      "off) to rewrite it", path, tm_strerror(m->file_error));
	v = getenv("TMWATCH_DISABLE");
	if (v && !strcmp(v, "1"))
		check(r, V_FAIL, "disabled", "TMWATCH_DISABLE=1 is set: "
		      "tmwatch does nothing for programs started from this "
		      "environment (the test crashes below run without it); "
		      "unset it");
	v = getenv("TMWATCH_TELEMETRY");
	if (m->env_error)
		check(r, V_FAIL, "mode variable", "TMWATCH_TELEMETRY='%s' is "
		      "ignored: it can only be off or local; fix or unset it",
		      v ? v : "");
}

/* Whether the nearest existing directory of PATH (itself or a parent) is
 * writable: where the first write would create what is missing. */
static int creatable(const char *path, char *at, size_t cap)
{
	char buf[PATH_MAX];
	struct stat st;

	snprintf(buf, sizeof buf, "%s", path);
	for (;;) {
		char *slash;

		if (stat(buf, &st) == 0) {
			snprintf(at, cap, "%s", buf);
			return S_ISDIR(st.st_mode) && access(buf, W_OK | X_OK)
			       == 0;
		}
		slash = strrchr(buf, '/');
		if (!slash || slash == buf) {
			snprintf(at, cap, "/");
			return access("/", W_OK) == 0;
		}
		*slash = 0;
	}
}

static void check_store(struct report *r, const char *dir,
			const struct tm__mode_info *m)
{
	const char *env = getenv("TMWATCH_DIR");
	char at[PATH_MAX], local[PATH_MAX + 8];
	int fd;

	if (env && *env && env[0] != '/')
		check(r, V_FAIL, "store", "TMWATCH_DIR='%s' is relative: each "
		      "working directory gets its own store; set an absolute "
		      "path", env);
	fd = tm__fs_open_dir(AT_FDCWD, dir, 0);
	if (fd == TM_EUNSAFE) {
		check(r, V_FAIL, "store", "'%s' is a symbolic link, owned by "
		      "another user or writable by others, so nothing is "
		      "counted there; make it yours (chown, chmod go-w)", dir);
		return;
	}
	if (fd >= 0)
		close(fd);
	if (fd == -ENOTDIR) {
		check(r, V_FAIL, "store", "'%s' is not a directory; point "
		      "TMWATCH_DIR at a directory or unset it", dir);
		return;
	}
	if (m->effective == TM_MODE_OFF) {
		check(r, V_OK, "store", "'%s': mode off, nothing is written",
		      dir);
		return;
	}
	snprintf(local, sizeof local, "%s/local", dir);
	if (creatable(local, at, sizeof at))
		check(r, V_OK, "store", "'%s' is writable", dir);
	else
		check(r, V_FAIL, "store", "'%s' cannot be written ('%s' is "
		      "not writable), so no crash is counted; fix its "
		      "permissions or set TMWATCH_DIR", dir, at);
}

static void check_logs(struct report *r, const struct tm__mode_info *m)
{
	char dir[PATH_MAX], at[PATH_MAX];
	const char *bad;
	size_t max_logs;
	uint64_t max_bytes;

	if (crashlogdir_path(dir, sizeof dir) != 0) {
		check(r, V_FAIL, "crash logs", "no state directory; set "
		      "XDG_STATE_HOME or HOME");
		return;
	}
	crashlogdir_limits(&max_logs, &max_bytes, &bad);
	if (bad)
		check(r, V_FAIL, "crash logs", "%s='%s' is not a count; the "
		      "default applies; fix or unset it", bad, getenv(bad));
	if (m->effective == TM_MODE_OFF)
		check(r, V_OK, "crash logs", "mode off: no log is written");
	else if (creatable(dir, at, sizeof at))
		check(r, V_OK, "crash logs", "'%s' is writable; keeps at most "
		      "%zu logs, %llu KiB (0: no limit)", dir, max_logs,
		      (unsigned long long)(max_bytes / 1024));
	else
		check(r, V_FAIL, "crash logs", "'%s' cannot be written ('%s' "
		      "is not writable); fix its permissions or set "
		      "XDG_STATE_HOME", dir, at);
}

/* ---- the shim and the real test crashes ---- */

/* The directory of this module (libtmwatch-cmd.so): the shim and the
 * crash test helper sit there, in the build tree and installed alike. */
static int module_dir(char *dir, size_t cap)
{
	Dl_info info;
	char *slash;

	if (!dladdr((void *)cmd_doctor_main, &info) || !info.dli_fname)
		return -1;
	if (!realpath(info.dli_fname, dir) || strlen(dir) >= cap)
		return -1;
	slash = strrchr(dir, '/');
	if (!slash)
		return -1;
	*slash = 0;
	return 0;
}

static int find_shim(const char *mdir, char *shim, size_t cap)
{
	const char *env = getenv("TMWATCH_SHIM");

	if (env && *env)
		snprintf(shim, cap, "%s", env);
	else
		snprintf(shim, cap, "%s/%s", mdir, SHIM_NAME);
	return access(shim, R_OK);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st; (void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* The environment of a test crash: ours minus what steers tmwatch, plus
 * the throw-away store in TMP (and LD_PRELOAD=SHIM unless NULL). The
 * strings live in B. Returns a malloc'd array, or NULL. */
struct env_bufs {
	char dir[PATH_MAX + 32], state[PATH_MAX + 32], bin[PATH_MAX + 32];
	char preload[PATH_MAX + 32];
};

static char **crash_env(const char *tmp, const char *self, const char *shim,
			struct env_bufs *b)
{
	extern char **environ;
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 8, sizeof *env);
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "TMWATCH_", 8) &&
		    strncmp(environ[i], "LD_PRELOAD=", 11) &&
		    strncmp(environ[i], "DO_NOT_TRACK=", 13) &&
		    strncmp(environ[i], "XDG_STATE_HOME=", 15))
			env[k++] = environ[i];
	snprintf(b->dir, sizeof b->dir, "TMWATCH_DIR=%s/store", tmp);
	snprintf(b->state, sizeof b->state, "XDG_STATE_HOME=%s/state", tmp);
	snprintf(b->bin, sizeof b->bin, "TMWATCH_BIN=%s", self);
	env[k++] = b->dir;
	env[k++] = b->state;
	env[k++] = b->bin;
	if (shim) {
		snprintf(b->preload, sizeof b->preload, "LD_PRELOAD=%s", shim);
		env[k++] = b->preload;
	}
	env[k++] = "TMWATCH_QUIET=1";
	env[k] = NULL;
	return env;
}

/* Runs ARGV with ENV, output discarded; returns its wait status, or -1
 * (and kills it) when it takes over CRASH_TIMEOUT_S. */
static int run(char *const argv[], char *const env[])
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	int status, fd;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execve(argv[0], argv, env);
		_exit(127);
	}
	for (long i = 0; i < CRASH_TIMEOUT_S * 50L; i++) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			return status;
		if (w < 0 && errno != EINTR)
			return -1;
		nanosleep(&tick, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* Sums crash/crash counts of the helper in TMP's store; FRAME gets the
 * innermost frame of one of them. */
static unsigned long long counted(const char *tmp, char *frame, size_t cap)
{
	char local[PATH_MAX], path[PATH_MAX + 300];
	unsigned long long total = 0;
	struct dirent *e;
	DIR *d;

	snprintf(local, sizeof local, "%s/store/local", tmp);
	d = opendir(local);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		struct tm__parsed_file pf;
		char why[64];

		if (strncmp(e->d_name, HELPER_NAME "@", sizeof HELPER_NAME) ||
		    !cmdutil_has_suffix(e->d_name, ".v1.count"))
			continue;
		snprintf(path, sizeof path, "%s/%s", local, e->d_name);
		if (tm__counterparse_path(path, &pf, why, sizeof why))
			continue;
		for (size_t c = 0; c < pf.ncounters; c++) {
			const char *n = pf.counters[c].name;

			if (strncmp(n, "crash/crash\n", 12))
				continue;
			total += pf.counters[c].value;
			snprintf(frame, cap, "%.*s", (int)strcspn(n + 12, "\n"),
				 n + 12);
		}
		tm__counterparse_free(&pf);
	}
	closedir(d);
	return total;
}

static void describe_status(int st, char *buf, size_t cap)
{
	if (st == -1)
		snprintf(buf, cap, "did not finish within %d s",
			 CRASH_TIMEOUT_S);
	else if (WIFSIGNALED(st))
		snprintf(buf, cap, "died of SIG%s", sigabbrev_np(WTERMSIG(st))
			 ? sigabbrev_np(WTERMSIG(st)) : "?");
	else
		snprintf(buf, cap, "exited %d", WEXITSTATUS(st));
}

static void check_crashes(struct report *r)
{
	char mdir[PATH_MAX], helper[PATH_MAX + 32], shim[PATH_MAX + 32];
	char self[PATH_MAX], tmp[PATH_MAX], frame[512] = "", how[64];
	char envbuf[PATH_MAX + 32], **env;
	struct env_bufs bufs;
	const char *tmpdir = getenv("TMPDIR");
	unsigned long long n1, n2;
	ssize_t len;
	int st, has_shim;

	if (module_dir(mdir, sizeof mdir)) {
		check(r, V_FAIL, "shim", "cannot find the commands module's "
		      "directory; reinstall tmwatch");
		return;
	}
	has_shim = find_shim(mdir, shim, sizeof shim) == 0;
	if (has_shim)
		check(r, V_OK, "shim", "'%s'", shim);
	else
		check(r, V_FAIL, "shim", "'%s' is missing or unreadable, so "
		      "LD_PRELOAD monitoring and the wrapper cannot work; "
		      "reinstall tmwatch or set TMWATCH_SHIM", shim);
	snprintf(helper, sizeof helper, "%s/%s", mdir, HELPER_NAME);
	len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len <= 0 || access(helper, X_OK) != 0) {
		check(r, V_FAIL, "test crash", "'%s' is missing, so no test "
		      "crash can run; reinstall tmwatch", helper);
		return;
	}
	self[len] = 0;
	snprintf(tmp, sizeof tmp, "%s/tmwatch-doctor.XXXXXX",
		 tmpdir && *tmpdir == '/' ? tmpdir : "/tmp");
	if (!mkdtemp(tmp)) {
		check(r, V_FAIL, "test crash", "cannot create a throw-away "
		      "store in '%s': %s; set TMPDIR to a writable directory",
		      tmp, tm_strerror(-errno));
		return;
	}
	/* A fresh daily token: no report job from the test crashes. */
	snprintf(envbuf, sizeof envbuf, "%s/store", tmp);
	mkdir(envbuf, 0700);
	snprintf(envbuf, sizeof envbuf, "%s/store/local", tmp);
	mkdir(envbuf, 0700);
	snprintf(envbuf, sizeof envbuf, "%s/store/local/daily.token", tmp);
	close(open(envbuf, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));

	env = crash_env(tmp, self, NULL, &bufs);
	{
		char *argv[] = { self, helper, NULL };

		st = env ? run(argv, env) : -1;
	}
	free(env);
	n1 = counted(tmp, frame, sizeof frame);
	describe_status(st, how, sizeof how);
	if (st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV && n1 == 1)
		check(r, V_OK, "wrapper", "a test crash under '%s' %s (as "
		      "bare) and was counted", self, how);
	else
		check(r, V_FAIL, "wrapper", "a test crash under '%s' %s and "
		      "was counted %llu times (expected SIGSEGV, once); run "
		      "'tmwatch %s' to see its message", self, how, n1,
		      helper);
	if (has_shim) {
		char *argv[] = { helper, NULL };

		env = crash_env(tmp, self, shim, &bufs);
		st = env ? run(argv, env) : -1;
		free(env);
		n2 = counted(tmp, frame, sizeof frame) - n1;
		describe_status(st, how, sizeof how);
		if (st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV &&
		    n2 == 1)
			check(r, V_OK, "preload", "a test crash with "
			      "LD_PRELOAD='%s' %s (as bare) and was "
			      "counted",
			      shim, how);
		else
			check(r, V_FAIL, "preload", "a test crash with "
			      "LD_PRELOAD='%s' %s and was counted %llu times "
			      "(expected SIGSEGV, once); run 'LD_PRELOAD=%s "
			      "%s' to see its message", shim, how, n2, shim,
			      helper);
	}
	if (strstr(frame, "tmwatch_crashtest_fault:"))
		check(r, V_OK, "debug info", "frames are named (the test "
		      "crash's innermost frame is '%s')%s%s", frame,
		      getenv("TMWATCH_DEBUG_DIRS") ? "; TMWATCH_DEBUG_DIRS="
		      : "", getenv("TMWATCH_DEBUG_DIRS") ?
		      getenv("TMWATCH_DEBUG_DIRS") : "");
	else if (frame[0])
		check(r, V_NOTE, "debug info", "the test crash's innermost "
		      "frame is '%s', not a function name: install -dbgsym "
		      "packages (/usr/lib/debug) or set TMWATCH_DEBUG_DIRS",
		      frame);
	nftw(tmp, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* ---- uploads ---- */

/* The host of URL ("https://host:port/path" -> "host:port"). */
static void url_host(const char *url, char *buf, size_t cap)
{
	const char *s = strstr(url, "://");

	s = s ? s + 3 : url;
	snprintf(buf, cap, "%.*s", (int)strcspn(s, "/?#"), s);
}

static void check_uploads(struct report *r, const char *dir,
			  const struct tm__mode_info *m)
{
	struct tm__upload_configs cs;
	struct tm__upload_status us;
	char hosts[1024] = "", host[256];

	if (tm__uploadconfig_load_all(dir, &cs) != 0) {
		check(r, V_FAIL, "upload configs", "cannot be read; check the "
		      "permissions of '%s/upload.d'", dir);
		return;
	}
	for (size_t i = 0; i < cs.n; i++) {
		url_host(cs.v[i].endpoint, host, sizeof host);
		check(r, V_OK, "upload config", "'%s': valid, endpoint host "
		      "%s", cs.v[i].path, host);
		if (!strstr(hosts, host) &&
		    strlen(hosts) + strlen(host) + 3 < sizeof hosts) {
			if (hosts[0])
				strcat(hosts, ", ");
			strcat(hosts, host);
		}
	}
	for (size_t i = 0; i < cs.nerrors; i++)
		check(r, V_FAIL, "upload config", "skipped: %s; fix or remove "
		      "it", cs.errors[i]);
	if (cs.n == 0 && cs.nerrors == 0)
		check(r, V_OK, "upload configs", "none installed: nothing is "
		      "ever sent");
	if (m->effective != TM_MODE_ON)
		check(r, V_OK, "uploading", "off (mode %s): nothing leaves "
		      "this machine", tm__mode_name(m->effective));
	else if (cs.n == 0)
		check(r, V_NOTE, "uploading", "mode on, but no valid upload "
		      "config: nothing is sent");
	else
		check(r, V_OK, "uploading", "on: weekly reports go to %s",
		      hosts);
	tm__uploadconfig_free_all(&cs);
	if (tm__upload_status(dir, &us) != 0) {
		check(r, V_FAIL, "last upload", "the upload state in '%s' "
		      "cannot be read; fix its permissions", dir);
		return;
	}
	if (us.last_week[0]) {
		char when[32] = "an unknown time";
		struct tm tm;

		if (us.last_time && gmtime_r(&us.last_time, &tm))
			strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
		url_host(us.last_endpoint ? us.last_endpoint : "?", host,
			 sizeof host);
		check(r, V_OK, "last upload", "week %s accepted by %s at %s",
		      us.last_week, host, when);
	} else {
		check(r, V_OK, "last upload", "never");
	}
	for (size_t i = 0; i < us.nrejected; i++)
		check(r, V_FAIL, "last upload", "week %s was rejected by %s: "
		      "%s; see 'tmwatch telemetry status'", us.rejected[i].week,
		      us.rejected[i].endpoint ? us.rejected[i].endpoint : "?",
		      us.rejected[i].reason ? us.rejected[i].reason : "?");
	for (size_t i = 0; i < us.npending; i++)
		if (us.pending[i].attempts > 0)
			check(r, V_NOTE, "last upload", "week %s: %d failed "
			      "attempts (%s); it is retried",
			      us.pending[i].week,
			      us.pending[i].attempts, us.pending[i].reason ?
			      us.pending[i].reason : "?");
	tm__upload_status_free(&us);
}

int cmd_doctor_main(int argc, char **argv)
{
	struct report r = { NULL, 0 };
	struct tm__mode_info mode;
	char dir[PATH_MAX] = "";
	int json;

	if (cmdutil_wants_help(argc, argv)) {
		printf("usage: tmwatch doctor [--json]\n\nChecks crash "
		       "reporting end to end, one line per check: the mode "
		       "and\nwhat set it, the store and crash logs, the "
		       "shim, a real test crash under\nthe wrapper and under "
		       "LD_PRELOAD (counted into a throw-away store), debug\n"
		       "info, upload configs, uploading and the last upload. "
		       "Exit 0 when all is\nwell, 1 otherwise. See man "
		       "tmwatch.\n");
		return MSG_EXIT_OK;
	}
	json = cmdutil_take_flag(&argc, argv, "--json");
	if (argc > 1)
		return msg_usage(CMD, "unexpected argument '%s'", argv[1]);
	if (json)
		r.json = cJSON_CreateArray();
	if (tm__paths_store_dir(dir, sizeof dir) != 0) {
		check(&r, V_FAIL, "store", "no store directory: set "
		      "TMWATCH_DIR or HOME");
		memset(&mode, 0, sizeof mode);
		mode.effective = TM_MODE_LOCAL;
	} else {
		check_mode(&r, dir, &mode);
		check_store(&r, dir, &mode);
	}
	check_logs(&r, &mode);
	fflush(stdout);
	check_crashes(&r);
	if (dir[0])
		check_uploads(&r, dir, &mode);
	if (json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddBoolToObject(o, "ok", !r.failed);
		cJSON_AddItemToObject(o, "checks", r.json);
		if (cmdutil_print_json(o) != MSG_EXIT_OK)
			return MSG_EXIT_FAIL;
	} else {
		printf("%s\n", r.failed ? "tmwatch doctor: problems found "
		       "(FAIL lines above)" : "tmwatch doctor: all is well");
	}
	return r.failed ? MSG_EXIT_FAIL : MSG_EXIT_OK;
}

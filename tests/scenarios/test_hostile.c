/* SPDX-License-Identifier: MIT */
/* test_hostile.c -- hostile and damaged stores, hostile crash records
 * (docs/security.md). Every case plays the attacker with a real process:
 * an unprivileged child (setpriv to uid/gid 65534) under a root tmwatch, a
 * program that plants a FIFO where its executable was, another process
 * truncating a counter file under a program that counts, a store someone
 * else may write. Each case compares with the bare run where there is one,
 * uses fresh TMWATCH_DIR, XDG_STATE_HOME and HOME, and bounds every wait.
 * Runs as root (the CI does); without root it fails, it never skips.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#define RUN_MS 60000
#define NOBODY 65534

static const char *env_or_die(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v)
		fail_msg("%s is not set: run the test through ctest", name);
	return v;
}

static void need_root(void)
{
	if (geteuid() != 0)
		fail_msg("this test plays another user with setpriv and needs "
			 "root; run it as root (the CI does)");
}

/* A fresh directory owned by uid/gid 65534 (mode 0755). */
static char *nobody_dir(const char *tag)
{
	char *d = tu_tmpdir(tag);

	if (chown(d, NOBODY, NOBODY) != 0 || chmod(d, 0755) != 0)
		fail_msg("cannot give '%s' to %d: %s", d, NOBODY,
			 strerror(errno));
	return d;
}

/* Fresh store, state and home for this test (exported for children). */
struct env {
	char *store, *state, *home;
};

static void env_fresh(struct env *e, int nobody)
{
	e->store = nobody ? nobody_dir("h-store") : tu_fresh_store("h-store");
	e->state = nobody ? nobody_dir("h-state") : tu_tmpdir("h-state");
	e->home = nobody ? nobody_dir("h-home") : tu_tmpdir("h-home");
	setenv("TMWATCH_DIR", e->store, 1);
	setenv("XDG_STATE_HOME", e->state, 1);
	setenv("HOME", e->home, 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("TMWATCH_TELEMETRY");
	unsetenv("DO_NOT_TRACK");
	unsetenv("TMWATCH_DISABLE");
	unsetenv("TMWATCH_DEBUG_RECORDS");
}

static void env_free(struct env *e)
{
	tu_rmrf(e->store);
	tu_rmrf(e->state);
	tu_rmrf(e->home);
	free(e->store);
	free(e->state);
	free(e->home);
}

/* The first regular file in DIR whose name starts with PREFIX and ends
 * with SUFFIX (malloc'd path), or NULL. */
static char *find_file(const char *dir, const char *prefix,
		       const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *found = NULL;

	if (!d)
		return NULL;
	while (!found && (e = readdir(d))) {
		size_t n = strlen(e->d_name), s = strlen(suffix);

		struct stat sb;

		if (strncmp(e->d_name, prefix, strlen(prefix)) || n < s ||
		    strcmp(e->d_name + n - s, suffix))
			continue;
		/* Regular files only: tests plant symlinks with our names. */
		found = tu_path(dir, e->d_name);
		if (lstat(found, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			free(found);
			found = NULL;
		}
	}
	closedir(d);
	return found;
}

static char *local_dir(const struct env *e)
{
	return tu_path(e->store, "local");
}

static void expect_status(int got, int want, const char *what)
{
	if (got == -1)
		fail_msg("%s: did not finish within %d ms (hung)", what,
			 RUN_MS);
	if (got != want)
		fail_msg("%s: %s, expected %s", what, tu_describe_status(got),
			 strdup(tu_describe_status(want)));
}

/* The wait status of a death by SIG (no core bit: the watchdog never
 * dumps core, and the bare runs below have RLIMIT_CORE 0 from ctest or
 * are compared without that bit). */
static int killed_by(int sig)
{
	return sig & 0x7f;
}

static int no_core(int st)
{
	return st == -1 ? -1 : st & ~0x80;
}

/* ---- 1. --debug-records never writes through a planted symlink ---- */

static void debug_records_never_write_through_a_planted_symlink(void **state)
{
	struct env e;
	char *dbg, *secret_dir, *secret, *script, *text, *rec;
	static const char orig[] = "root-only secret\n";
	const char *crasher;
	int st;

	(void)state;
	need_root();
	env_fresh(&e, 0);
	dbg = nobody_dir("h-dbg");
	secret_dir = tu_tmpdir("h-secret");
	secret = tu_path(secret_dir, "secret");
	assert_int_equal(tu_write_file(secret, orig, sizeof orig - 1), 0);
	assert_int_equal(chmod(secret, 0600), 0);
	assert_int_equal(chmod(secret_dir, 0755), 0);
	crasher = tu_path(env_or_die("TMWATCH_EXAMPLES"), "crash_null_write");
	/* The child knows its pid (= tid of its main thread) and so every
	 * name the old code used: it plants each as a symlink to the root
	 * file, then crashes. */
	if (asprintf(&script,
		     "for n in record-$$-$$.bin record-$$-$$.txt; do "
		     "ln -s '%s' '%s/.'$n'.tmp'; ln -s '%s' '%s/'$n; done; "
		     "exec '%s'", secret, dbg, secret, dbg, crasher) < 0)
		fail_msg("asprintf");
	{
		char *argv[] = { (char *)env_or_die("TMWATCH_BIN"),
				 "--debug-records", dbg, "setpriv",
				 "--reuid=65534", "--regid=65534",
				 "--clear-groups", "/bin/sh", "-c", script,
				 NULL };

		st = tu_run(argv, NULL, NULL, NULL, RUN_MS);
	}
	expect_status(no_core(st), killed_by(SIGSEGV),
		      "tmwatch over a crashing unprivileged child");
	text = tu_read_file(secret, NULL);
	assert_non_null(text);
	if (strcmp(text, orig) != 0)
		fail_msg("the root-only file was overwritten through a "
			 "symlink the child planted:\n%.200s", text);
	free(text);
	/* The record still arrived, under a name of ours. */
	rec = find_file(dbg, "record-", ".bin");
	if (!rec)
		fail_msg("no record-*.bin written in '%s'", dbg);
	{
		struct stat sb;

		assert_int_equal(lstat(rec, &sb), 0);
		assert_true(S_ISREG(sb.st_mode));
		assert_int_equal(sb.st_mode & 0777, 0600);
	}
	free(rec);
	free(script);
	free((char *)crasher);
	tu_rmrf(dbg);
	tu_rmrf(secret_dir);
	free(dbg);
	free(secret);
	free(secret_dir);
	env_free(&e);
}

/* ---- 2. a record naming a FIFO as the executable ---- */

static void record_naming_a_fifo_as_its_exe_neither_hangs_nor_is_opened(
	void **state)
{
	struct env e;
	char *bin_dir, *prog, *bare_dir, *bare, *cmd, *local, *f;
	int st;

	(void)state;
	need_root();
	env_fresh(&e, 1);
	bin_dir = nobody_dir("h-bin");
	bare_dir = nobody_dir("h-bare");
	prog = tu_path(bin_dir, "fifo_exe");
	bare = tu_path(bare_dir, "fifo_exe");
	if (asprintf(&cmd, "cp '%s' '%s' && cp '%s' '%s' && chown %d:%d "
		     "'%s' '%s'", HELPER_FIFO_EXE, prog, HELPER_FIFO_EXE, bare,
		     NOBODY, NOBODY, prog, bare) < 0 || system(cmd) != 0)
		fail_msg("cannot copy the helper: %s", cmd);
	{
		char *argv[] = { "setpriv", "--reuid=65534", "--regid=65534",
				 "--clear-groups", bare, NULL };
		char *env[] = { "TMWATCH_DISABLE=1", NULL };

		st = tu_run(argv, env, NULL, NULL, RUN_MS);
		expect_status(no_core(st), killed_by(SIGSEGV),
			      "the hostile helper run bare");
	}
	{
		/* The whole tmwatch is unprivileged here, so /proc/PID/exe
		 * of the non-dumpable child is closed to it. */
		char *argv[] = { "setpriv", "--reuid=65534", "--regid=65534",
				 "--clear-groups",
				 (char *)env_or_die("TMWATCH_BIN"), prog, NULL };

		st = tu_run(argv, NULL, NULL, NULL, RUN_MS);
		expect_status(no_core(st), killed_by(SIGSEGV),
			      "tmwatch over a program whose record names a "
			      "FIFO as its executable");
	}
	local = local_dir(&e);
	f = find_file(local, "tmwatch-unidentified", ".v1.count");
	if (!f)
		fail_msg("the crash was not counted under "
			 "'tmwatch-unidentified' in '%s'", local);
	free(f);
	free(local);
	free(cmd);
	free(prog);
	free(bare);
	tu_rmrf(bin_dir);
	tu_rmrf(bare_dir);
	free(bin_dir);
	free(bare_dir);
	env_free(&e);
}

/* The same program left dumpable, under a root watchdog: its identity
 * comes from /proc/PID/exe, but the unwinder and symbolizer see the path
 * maps shows, which is the FIFO now ("PATH (deleted)"); libunwind would
 * open it blocking. docs/security.md, section 2. */
static void module_path_replaced_by_a_fifo_hangs_nothing(void **state)
{
	struct env e;
	char *dir, *prog, *bare_dir, *bare, *cmd, *local, *f;
	int st;

	(void)state;
	need_root();
	env_fresh(&e, 0);
	dir = tu_tmpdir("h-mod");
	bare_dir = tu_tmpdir("h-modbare");
	prog = tu_path(dir, "fifo_mod");
	bare = tu_path(bare_dir, "fifo_mod");
	if (asprintf(&cmd, "cp '%s' '%s' && cp '%s' '%s'", HELPER_FIFO_EXE,
		     prog, HELPER_FIFO_EXE, bare) < 0 || system(cmd) != 0)
		fail_msg("cannot copy the helper: %s", cmd);
	{
		char *argv[] = { bare, "dumpable", NULL };
		char *env[] = { "TMWATCH_DISABLE=1", NULL };

		st = tu_run(argv, env, NULL, NULL, RUN_MS);
		expect_status(no_core(st), killed_by(SIGSEGV),
			      "the dumpable hostile helper run bare");
	}
	{
		char *argv[] = { (char *)env_or_die("TMWATCH_BIN"), "-q", prog,
				 "dumpable", NULL };

		st = tu_run(argv, NULL, NULL, NULL, RUN_MS);
		expect_status(no_core(st), killed_by(SIGSEGV),
			      "tmwatch over a program whose module path is "
			      "a FIFO");
	}
	local = local_dir(&e);
	f = find_file(local, "fifo_mod", ".v1.count");
	if (!f)
		fail_msg("the crash was not counted under 'fifo_mod' in '%s'",
			 local);
	free(f);
	free(local);
	free(cmd);
	free(prog);
	free(bare);
	tu_rmrf(dir);
	tu_rmrf(bare_dir);
	free(dir);
	free(bare_dir);
	env_free(&e);
}

/* No stage opens a crashed program's module by name with a blocking
 * open: unwind tables come from the child's memory, symbols from files
 * opened O_NONBLOCK after a regular-file check. (libunwind-ptrace used
 * to open /proc/PID/root/PATH itself; a file renamed between our check
 * and that open could hang the watchdog.) Traced with strace: every open
 * by the watchdog of the program's path or of a /proc/PID/root path
 * carries O_NONBLOCK, and the crash is still counted with its frames. */
static void watchdog_opens_no_module_path_blocking(void **state)
{
	struct env e;
	char *dir, *prog, *log, *cmd, *text, *line, *save = NULL, *local, *f;
	char *count, *watchdog_pid = NULL;
	int st, opens = 0;

	(void)state;
	env_fresh(&e, 0);
	if (system("command -v strace >/dev/null") != 0)
		fail_msg("needs strace (scripts/setup.sh installs it)");
	dir = tu_tmpdir("h-noopen");
	prog = tu_path(dir, "modopen");
	log = tu_path(dir, "strace.log");
	if (asprintf(&cmd, "cp '%s/crash_null_write' '%s'",
		     env_or_die("TMWATCH_EXAMPLES"), prog) < 0 ||
	    system(cmd) != 0)
		fail_msg("cannot copy the crasher");
	free(cmd);
	{
		char *argv[] = { "strace", "-f", "-qq", "-e",
				 "trace=open,openat", "-o", log,
				 (char *)env_or_die("TMWATCH_BIN"), "-q", prog,
				 NULL };

		st = tu_run(argv, NULL, NULL, NULL, RUN_MS);
		expect_status(no_core(st), killed_by(SIGSEGV),
			      "tmwatch under strace over a crashing program");
	}
	text = tu_read_file(log, NULL);
	assert_non_null(text);
	/* The watchdog is the process that opens the counter file. */
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "\"modopen@") && strstr(line, "O_RDWR"))
			watchdog_pid = strndup(line, strcspn(line, " "));
	free(text);
	if (!watchdog_pid)
		fail_msg("no counter file was opened (see %s)", log);
	text = tu_read_file(log, NULL);
	save = NULL;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, watchdog_pid, strlen(watchdog_pid)) != 0 ||
		    line[strlen(watchdog_pid)] != ' ' ||
		    (!strstr(line, prog) && !strstr(line, "/root/")))
			continue;
		opens++;
		if (!strstr(line, "O_NONBLOCK"))
			fail_msg("the watchdog opened a module path blocking: "
				 "%s", line);
	}
	if (opens == 0)
		fail_msg("the watchdog never opened the program (symbols?): "
			 "see %s", log);
	free(text);
	local = local_dir(&e);
	f = find_file(local, "modopen", ".v1.count");
	if (!f)
		fail_msg("the crash was not counted under 'modopen' in '%s'",
			 local);
	count = tu_read_file(f, NULL);
	assert_non_null(count);
	if (!memmem(count, 16384, "write_null:", 11))
		fail_msg("the crash stack lost its frames in '%s'", f);
	free(count);
	free(f);
	free(local);
	free(watchdog_pid);
	tu_rmrf(dir);
	free(dir);
	free(prog);
	free(log);
	env_free(&e);
}

/* ---- 3. telemetry clean ---- */

static int run_tmwatch(char **out, char **err, ...)
{
	char *argv[16];
	va_list ap;
	int n = 0;

	argv[n++] = (char *)env_or_die("TMWATCH_BIN");
	va_start(ap, err);
	while (n < 15 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	return tu_run(argv, NULL, out, err, RUN_MS);
}

/* A root-only directory with two files in it, one named like ours. */
static char *secret_dir_with_files(void)
{
	char *d = tu_tmpdir("h-victim"), *a = tu_path(d, "a.v1.count"),
	     *b = tu_path(d, "2026-11-26.json");

	assert_int_equal(tu_write_file(a, "x", 1), 0);
	assert_int_equal(tu_write_file(b, "y", 1), 0);
	free(a);
	free(b);
	return d;
}

static void expect_files_intact(const char *d)
{
	char *a = tu_path(d, "a.v1.count"), *b = tu_path(d, "2026-11-26.json");

	if (access(a, F_OK) != 0 || access(b, F_OK) != 0)
		fail_msg("clean deleted files in '%s', which is not the store",
			 d);
	free(a);
	free(b);
}

static void clean_never_follows_a_symlink_in_place_of_local(void **state)
{
	struct env e;
	char *victim, *local, *err = NULL;
	int st;

	(void)state;
	need_root();
	env_fresh(&e, 0);
	victim = secret_dir_with_files();
	local = local_dir(&e);
	assert_int_equal(symlink(victim, local), 0);
	st = run_tmwatch(NULL, &err, "telemetry", "clean", NULL);
	expect_status(st, 1 << 8, "clean with local/ a symlink");
	if (!strstr(err, "tmwatch: cannot clean '") || !strstr(err, "/local'") ||
	    !strstr(err, "it is a symbolic link"))
		fail_msg("expected a line naming local/, got:\n%s", err);
	expect_files_intact(victim);
	free(err);
	tu_rmrf(victim);
	free(victim);
	free(local);
	env_free(&e);
}

static void clean_refuses_a_store_another_user_owns(void **state)
{
	struct env e;
	char *victim, *local, *cmd, *err = NULL;
	int st;

	(void)state;
	need_root();
	env_fresh(&e, 1); /* the store belongs to 65534 */
	victim = secret_dir_with_files();
	assert_int_equal(chmod(victim, 0755), 0);
	local = local_dir(&e);
	/* The other user plants the symlink, a root tmwatch cleans. */
	if (asprintf(&cmd, "setpriv --reuid=65534 --regid=65534 "
		     "--clear-groups ln -s '%s' '%s'", victim, local) < 0 ||
	    system(cmd) != 0)
		fail_msg("cannot plant the symlink as 65534: %s", cmd);
	st = run_tmwatch(NULL, &err, "telemetry", "clean", NULL);
	expect_status(st, 1 << 8, "clean in a store 65534 owns");
	if (!strstr(err, "owned by another user or writable by others"))
		fail_msg("expected the ownership line, got:\n%s", err);
	expect_files_intact(victim);
	free(cmd);
	free(err);
	tu_rmrf(victim);
	free(victim);
	free(local);
	env_free(&e);
}

static void clean_deletes_only_the_files_tmwatch_writes(void **state)
{
	struct env e;
	char *local, *notes, *count, *report, *upload, *up, *weekends;
	char *out = NULL;
	int st;

	(void)state;
	env_fresh(&e, 0);
	local = local_dir(&e);
	up = tu_path(e.store, "upload");
	assert_int_equal(mkdir(local, 0755), 0);
	assert_int_equal(mkdir(up, 0755), 0);
	notes = tu_path(local, "notes.txt");
	count = tu_path(local, "p@1-gcc12-linux-amd64-2026-11-23.v1.count");
	report = tu_path(local, "local.2026-11-23.json");
	upload = tu_path(up, "2026-11-19.json");
	weekends = tu_path(local, "weekends");
	assert_int_equal(tu_write_file(notes, "mine", 4), 0);
	assert_int_equal(tu_write_file(count, "c", 1), 0);
	assert_int_equal(tu_write_file(report, "r", 1), 0);
	assert_int_equal(tu_write_file(upload, "u", 1), 0);
	assert_int_equal(tu_write_file(weekends, "4\n", 2), 0);
	st = run_tmwatch(&out, NULL, "telemetry", "clean", NULL);
	expect_status(st, 0, "clean");
	assert_int_equal(access(count, F_OK), -1);
	assert_int_equal(access(report, F_OK), -1);
	assert_int_equal(access(upload, F_OK), -1);
	if (access(notes, F_OK) != 0)
		fail_msg("clean deleted a file that is not tmwatch's");
	assert_int_equal(access(weekends, F_OK), 0);
	if (!strstr(out, "removed 3 files"))
		fail_msg("expected 'removed 3 files', got:\n%s", out);
	free(out);
	free(local);
	free(up);
	free(notes);
	free(count);
	free(report);
	free(upload);
	free(weekends);
	env_free(&e);
}

/* ---- 4. a counter file truncated under a counting program ---- */

/* Runs ARGV with a pipe on stdin and stdout, stderr into *ERR: reads the
 * first line (the counter file path), calls AFTER_LINE with it, then
 * writes a line and returns the wait status. */
static int run_truncating(char *const argv[], const char *as_user,
			  char **path_out, char **err)
{
	int in[2], out[2];
	char line[4096], *errf, cmd[8300];
	size_t len = 0;
	pid_t pid;
	int st, fd;

	errf = tu_path(getenv("XDG_STATE_HOME"), "stderr");
	if (pipe(in) != 0 || pipe(out) != 0)
		fail_msg("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(fd, 2);
		close(in[1]);
		close(out[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	while (len < sizeof line - 1) {
		struct pollfd p = { .fd = out[0], .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, RUN_MS) != 1)
			fail_msg("no counter file path from the program within "
				 "%d ms", RUN_MS);
		n = read(out[0], line + len, 1);
		if (n <= 0)
			fail_msg("the program ended before printing its "
				 "counter file (status: see stderr '%s')",
				 errf);
		if (line[len++] == '\n')
			break;
	}
	line[len ? len - 1 : 0] = 0;
	*path_out = strdup(line);
	if (strcmp(line, "none") != 0) {
		/* Another process cuts the file to nothing. */
		if (as_user)
			snprintf(cmd, sizeof cmd, "setpriv --reuid=%s "
				 "--regid=%s --clear-groups truncate -s 0 '%s'",
				 as_user, as_user, line);
		else
			snprintf(cmd, sizeof cmd, "truncate -s 0 '%s'", line);
		if (system(cmd) != 0)
			fail_msg("could not truncate: %s", cmd);
	}
	if (write(in[1], "go\n", 3) != 3)
		fail_msg("write: %s", strerror(errno));
	close(in[1]);
	if (tu_wait(pid, &st, RUN_MS) != 0)
		fail_msg("the counting program did not finish in %d ms",
			 RUN_MS);
	close(out[0]);
	*err = tu_read_file(errf, NULL);
	free(errf);
	return st;
}

static void truncation(int wrapped)
{
	struct env e;
	char *path = NULL, *err = NULL;
	char *bare[] = { HELPER_COUNT_LOOP, "truncate", NULL };
	char *wrap[] = { (char *)env_or_die("TMWATCH_BIN"), HELPER_COUNT_LOOP,
			 "truncate", NULL };
	int st;

	env_fresh(&e, 0);
	st = run_truncating(wrapped ? wrap : bare, NULL, &path, &err);
	if (!strcmp(path, "none"))
		fail_msg("the program could not count at all:\n%s", err);
	expect_status(no_core(st), 3 << 8,
		      "a program counting while its counter file is "
		      "truncated");
	if (!strstr(err, "tmwatch: ") || !strstr(err, "corrupt"))
		fail_msg("expected one line about the corrupt file, got:\n%s",
			 err);
	free(path);
	free(err);
	env_free(&e);
}

static void truncation(int wrapped);

/* Library mode: tm_crash_monitor_start() installs the capture handler
 * in-process with the real sigaction, then the guard chains to it. */
static void truncated_counter_file_does_not_kill_the_program_library(
	void **state)
{
	struct env e;
	char *path = NULL, *err = NULL;
	char *argv[] = { HELPER_COUNT_LOOP, "lib-truncate", NULL };
	int st;

	(void)state;
	env_fresh(&e, 0);
	st = run_truncating(argv, NULL, &path, &err);
	if (!strcmp(path, "none"))
		fail_msg("the program could not count at all:\n%s", err);
	expect_status(no_core(st), 3 << 8, "a library-mode program counting "
		      "while its counter file is truncated");
	free(path);
	free(err);
	env_free(&e);
}

static void truncated_counter_file_does_not_kill_the_program_bare(
	void **state)
{
	(void)state;
	truncation(0);
}

static void truncated_counter_file_does_not_kill_the_program_wrapped(
	void **state)
{
	(void)state;
	truncation(1);
}

/* The program's own SIGBUS, bare (TMWATCH_DISABLE=1: libtmwatch idle),
 * counting, and counting under tmwatch: the same status every time. */
static void own_sigbus(const char *how, int want)
{
	struct env e;
	char *bare[] = { HELPER_COUNT_LOOP, (char *)how, NULL };
	char *wrap[] = { (char *)env_or_die("TMWATCH_BIN"), HELPER_COUNT_LOOP,
			 (char *)how, NULL };
	char *off[] = { "TMWATCH_DISABLE=1", NULL };
	char *out = NULL;
	int st;

	env_fresh(&e, 0);
	st = tu_run(bare, off, &out, NULL, RUN_MS);
	expect_status(no_core(st), want, "bare");
	free(out);
	st = tu_run(bare, NULL, &out, NULL, RUN_MS);
	expect_status(no_core(st), want, "counting with the SIGBUS guard");
	if (want == 42 << 8)
		assert_string_equal(out, "own handler\n");
	free(out);
	st = tu_run(wrap, NULL, &out, NULL, RUN_MS);
	expect_status(no_core(st), want, "counting under tmwatch");
	if (want == 42 << 8)
		assert_string_equal(out, "own handler\n");
	free(out);
	env_free(&e);
}

static void programs_own_sigbus_handler_still_runs(void **state)
{
	(void)state;
	own_sigbus("own-handler", 42 << 8);
}

static void programs_own_sigbus_fault_still_kills_it(void **state)
{
	(void)state;
	own_sigbus("own-default", killed_by(SIGBUS));
}

/* Library mode: the program's own SIGBUS still kills it, and the capture
 * handler behind the guard still reports it as a crash. */
static void programs_own_sigbus_is_still_reported_in_library_mode(
	void **state)
{
	struct env e;
	char *argv[] = { HELPER_COUNT_LOOP, "lib-own-default", NULL };
	char *off[] = { "TMWATCH_DISABLE=1", NULL };
	char *dump[] = { (char *)env_or_die("TMWATCH_BIN"), "telemetry",
			 "dump", NULL };
	char *out = NULL;
	int st;

	(void)state;
	env_fresh(&e, 0);
	st = tu_run(argv, off, NULL, NULL, RUN_MS);
	expect_status(no_core(st), killed_by(SIGBUS), "bare");
	st = tu_run(argv, NULL, NULL, NULL, RUN_MS);
	expect_status(no_core(st), killed_by(SIGBUS), "library mode");
	st = tu_run(dump, NULL, &out, NULL, RUN_MS);
	expect_status(st, 0, "dump");
	if (!strstr(out, "crash/signal:SIGBUS") || strstr(out, "no-record"))
		fail_msg("expected the SIGBUS crash with its record, got:\n%s",
			 out);
	free(out);
	env_free(&e);
}

static void programs_own_sent_sigbus_still_kills_it(void **state)
{
	(void)state;
	own_sigbus("own-sent", killed_by(SIGBUS));
}

/* ---- 5. ownership and permissions ---- */

static void counter_file_of_another_user_is_refused_and_cannot_hurt(
	void **state)
{
	struct env e;
	char *argv[] = { HELPER_COUNT_LOOP, "truncate", NULL };
	char *path = NULL, *err = NULL, *local, *f;
	int st;

	(void)state;
	need_root();
	env_fresh(&e, 0);
	/* A first run makes the file; then it "belongs" to 65534, as if
	 * 65534 had created it in a shared store, and 65534 truncates it
	 * while we count. */
	st = run_truncating(argv, NULL, &path, &err);
	free(path);
	free(err);
	local = local_dir(&e);
	f = find_file(local, "helper_count_loop", ".v1.count");
	assert_non_null(f);
	assert_int_equal(chown(f, NOBODY, NOBODY), 0);
	/* Put the content back: the file is whole again, only not ours. */
	{
		char *cmd;

		if (asprintf(&cmd, "truncate -s 16384 '%s'", f) < 0 ||
		    system(cmd) != 0)
			fail_msg("truncate");
		free(cmd);
	}
	st = run_truncating(argv, "65534", &path, &err);
	expect_status(no_core(st), 3 << 8,
		      "a program whose counter file another user owns");
	assert_string_equal(path, "none");
	if (!strstr(err, "owned by another user or writable by others") ||
	    !strstr(err, f))
		fail_msg("expected a line naming '%s', got:\n%s", f, err);
	free(path);
	free(err);
	free(f);
	free(local);
	env_free(&e);
}

static void world_writable_store_of_another_user_is_refused(void **state)
{
	struct env e;
	char *argv[] = { "setpriv", "--reuid=65534", "--regid=65534",
			 "--clear-groups", HELPER_COUNT_LOOP, "own-handler",
			 NULL };
	char *out = NULL, *err = NULL, *local;
	int st;

	(void)state;
	need_root();
	env_fresh(&e, 0);
	/* A root-owned store anyone may write: 65534 must not count in it
	 * (others could truncate or forge its files). */
	assert_int_equal(chmod(e.store, 0777), 0);
	st = tu_run(argv, NULL, &out, &err, RUN_MS);
	expect_status(no_core(st), 42 << 8, "65534 counting in a shared store");
	if (!strstr(err, "owned by another user or writable by others"))
		fail_msg("expected the ownership line, got:\n%s", err);
	local = local_dir(&e);
	{
		char *f = find_file(local, "helper_count_loop", ".v1.count");

		if (f)
			fail_msg("a counter file was made in the shared store: "
				 "%s", f);
	}
	free(local);
	free(out);
	free(err);
	env_free(&e);
}

static void root_owned_store_costs_an_unprivileged_program_only_counts(
	void **state)
{
	struct env e;
	char *argv[] = { "setpriv", "--reuid=65534", "--regid=65534",
			 "--clear-groups", HELPER_COUNT_LOOP, "own-handler",
			 NULL };
	char *out = NULL, *err = NULL;
	int st;

	(void)state;
	need_root();
	env_fresh(&e, 0);
	assert_int_equal(chmod(e.store, 0755), 0);
	st = tu_run(argv, NULL, &out, &err, RUN_MS);
	expect_status(no_core(st), 42 << 8, "65534 counting in root's store");
	if (!strstr(err, "tmwatch: cannot use the counter store '") ||
	    !strstr(err, "runs without counting") || strchr(err, '\n') !=
	    err + strlen(err) - 1)
		fail_msg("expected exactly one line, got:\n%s", err);
	free(out);
	free(err);
	env_free(&e);
}

/* A root tmwatch (sudo -E keeps HOME) must not write root-owned files into
 * another user's store; the crash line says why it did not count. */
static void root_watchdog_does_not_count_into_another_users_store(
	void **state)
{
	struct env e;
	char *crasher = tu_path(env_or_die("TMWATCH_EXAMPLES"),
				"crash_null_write");
	char *argv[] = { (char *)env_or_die("TMWATCH_BIN"), crasher, NULL };
	char *err = NULL, *local, *f;
	int st;

	(void)state;
	need_root();
	env_fresh(&e, 1);
	st = tu_run(argv, NULL, NULL, &err, RUN_MS);
	expect_status(no_core(st), killed_by(SIGSEGV), "crash");
	if (!strstr(err, "not counted: '") ||
	    !strstr(err, "owned by another user or writable by others"))
		fail_msg("expected the crash line to say why, got:\n%s", err);
	local = local_dir(&e);
	f = find_file(local, "crash_null_write", ".v1.count");
	if (f)
		fail_msg("root wrote '%s' into 65534's store", f);
	free(local);
	free(err);
	free(crasher);
	env_free(&e);
}

static void group_writable_local_is_refused(void **state)
{
	struct env e;
	char *argv[] = { HELPER_COUNT_LOOP, "own-handler", NULL };
	char *out = NULL, *err = NULL, *local;
	int st;

	(void)state;
	env_fresh(&e, 0);
	local = local_dir(&e);
	assert_int_equal(mkdir(local, 0775), 0);
	assert_int_equal(chmod(local, 0775), 0);
	st = tu_run(argv, NULL, &out, &err, RUN_MS);
	expect_status(no_core(st), 42 << 8, "counting in a group-writable "
		      "local/");
	if (!strstr(err, "owned by another user or writable by others") ||
	    !strstr(err, local))
		fail_msg("expected a line naming '%s', got:\n%s", local, err);
	free(local);
	free(out);
	free(err);
	env_free(&e);
}

static void symlinked_local_is_refused_by_counting(void **state)
{
	struct env e;
	char *argv[] = { HELPER_COUNT_LOOP, "own-handler", NULL };
	char *out = NULL, *err = NULL, *local, *elsewhere, *f;
	int st;

	(void)state;
	env_fresh(&e, 0);
	elsewhere = tu_tmpdir("h-elsewhere");
	assert_int_equal(chmod(elsewhere, 0755), 0);
	local = local_dir(&e);
	assert_int_equal(symlink(elsewhere, local), 0);
	st = tu_run(argv, NULL, &out, &err, RUN_MS);
	expect_status(no_core(st), 42 << 8, "counting with local/ a symlink");
	if (!strstr(err, "owned by another user or writable by others") ||
	    !strstr(err, local))
		fail_msg("expected a line naming '%s', got:\n%s", local, err);
	f = find_file(elsewhere, "helper_count_loop", ".v1.count");
	if (f)
		fail_msg("counted through the symlink into '%s'", f);
	free(out);
	free(err);
	free(local);
	tu_rmrf(elsewhere);
	free(elsewhere);
	env_free(&e);
}

static void mode_on_that_others_can_write_counts_as_local(void **state)
{
	struct env e;
	char *mode, *out = NULL, *err = NULL;
	int st;

	(void)state;
	env_fresh(&e, 0);
	mode = tu_path(e.store, "mode");
	assert_int_equal(tu_write_file(mode, "on 2026-11-01\n", 14), 0);
	assert_int_equal(chmod(mode, 0666), 0);
	st = run_tmwatch(&out, &err, "telemetry", NULL);
	expect_status(st, 0, "telemetry");
	if (strncmp(out, "local", 5) != 0)
		fail_msg("a world-writable 'on' must read as local, got:\n%s",
			 out);
	if (!strstr(err, "owned by another user or writable by others"))
		fail_msg("expected the ownership line, got:\n%s", err);
	free(out);
	free(err);
	free(mode);
	env_free(&e);
}

/* ---- 6. a corrupt counter file ---- */

static void corrupt_counter_file_is_named_in_the_crash_line_and_status(
	void **state)
{
	struct env e;
	char *crasher = tu_path(env_or_die("TMWATCH_EXAMPLES"),
				"crash_null_write");
	char *argv[] = { (char *)env_or_die("TMWATCH_BIN"), crasher, NULL };
	char *err = NULL, *out = NULL, *local, *f;
	int st, fd;

	(void)state;
	env_fresh(&e, 0);
	st = tu_run(argv, NULL, NULL, NULL, RUN_MS);
	expect_status(no_core(st), killed_by(SIGSEGV), "first crash");
	local = local_dir(&e);
	f = find_file(local, "crash_null_write", ".v1.count");
	if (!f)
		fail_msg("the first crash made no counter file in '%s'", local);
	/* Break the magic line: the file keeps its size and name. */
	fd = open(f, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "garbage!", 8, 0), 8);
	close(fd);
	st = tu_run(argv, NULL, NULL, &err, RUN_MS);
	expect_status(no_core(st), killed_by(SIGSEGV), "second crash");
	if (!strstr(err, "not counted: counter file '") || !strstr(err, f) ||
	    !strstr(err, "is corrupt, delete it"))
		fail_msg("expected the crash line to name '%s', got:\n%s", f,
			 err);
	st = run_tmwatch(&out, NULL, "telemetry", "status", NULL);
	expect_status(st, 0, "status");
	if (!strstr(out, "corrupt counter file: '") || !strstr(out, f))
		fail_msg("expected status to flag '%s', got:\n%s", f, out);
	free(out);
	free(err);
	free(f);
	free(local);
	free(crasher);
	env_free(&e);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			debug_records_never_write_through_a_planted_symlink),
		cmocka_unit_test(
			record_naming_a_fifo_as_its_exe_neither_hangs_nor_is_opened),
		cmocka_unit_test(module_path_replaced_by_a_fifo_hangs_nothing),
		cmocka_unit_test(watchdog_opens_no_module_path_blocking),
		cmocka_unit_test(clean_never_follows_a_symlink_in_place_of_local),
		cmocka_unit_test(clean_refuses_a_store_another_user_owns),
		cmocka_unit_test(clean_deletes_only_the_files_tmwatch_writes),
		cmocka_unit_test(
			truncated_counter_file_does_not_kill_the_program_bare),
		cmocka_unit_test(
			truncated_counter_file_does_not_kill_the_program_wrapped),
		cmocka_unit_test(
			truncated_counter_file_does_not_kill_the_program_library),
		cmocka_unit_test(programs_own_sigbus_handler_still_runs),
		cmocka_unit_test(
			programs_own_sigbus_is_still_reported_in_library_mode),
		cmocka_unit_test(programs_own_sigbus_fault_still_kills_it),
		cmocka_unit_test(programs_own_sent_sigbus_still_kills_it),
		cmocka_unit_test(
			counter_file_of_another_user_is_refused_and_cannot_hurt),
		cmocka_unit_test(
			world_writable_store_of_another_user_is_refused),
		cmocka_unit_test(
			root_owned_store_costs_an_unprivileged_program_only_counts),
		cmocka_unit_test(
			root_watchdog_does_not_count_into_another_users_store),
		cmocka_unit_test(group_writable_local_is_refused),
		cmocka_unit_test(symlinked_local_is_refused_by_counting),
		cmocka_unit_test(mode_on_that_others_can_write_counts_as_local),
		cmocka_unit_test(
			corrupt_counter_file_is_named_in_the_crash_line_and_status),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* test_supervise.c -- the watchdog is invisible to the processes around
 * it: stops and continues, kills of tmwatch and of its supervisor, group
 * signals, ld.so and fexecve start-ups, ASan programs, --crash-output
 * checks and the daily job (docs/tmwatch.md, docs/modes.md).
 *
 * Each case runs a real program bare and under tmwatch (wrapper or
 * preload-only mode) in the same test and compares what its parent sees.
 * The test process is a child subreaper (PR_SET_CHILD_SUBREAPER), so
 * programs orphaned by a killed watchdog, and the daily job, become its
 * children: it can wait for them, and count them. Every wait is bounded
 * and fails naming what did not happen.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#define WAIT_MS 20000

extern char **environ;

static int chld_pipe[2]; /* written by the SIGCHLD handler */

static void on_chld(int sig)
{
	int e = errno;

	(void)sig;
	(void)!write(chld_pipe[1], "c", 1);
	errno = e;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Waits until waitpid(PID, FLAGS) reports something; PID may be -1. */
static pid_t wait_for(pid_t pid, int *st, int flags, const char *what)
{
	long deadline = now_ms() + WAIT_MS;
	char drain[64];

	for (;;) {
		struct pollfd p = { chld_pipe[0], POLLIN, 0 };
		pid_t r = waitpid(pid, st, flags | WNOHANG);
		long left;

		if (r > 0)
			return r;
		if (r < 0 && errno != EINTR)
			fail_msg("waiting for %s: %s", what, strerror(errno));
		left = deadline - now_ms();
		if (left <= 0)
			fail_msg("%s did not happen within %d ms", what,
				 WAIT_MS);
		if (poll(&p, 1, (int)left) > 0)
			(void)!read(chld_pipe[0], drain, sizeof(drain));
	}
}

/* Reaps every child left (orphans reparented to us included); returns how
 * many there were. */
static int reap_all(void)
{
	long deadline = now_ms() + WAIT_MS * 3;
	char drain[64];
	int n = 0, st;

	for (;;) {
		struct pollfd p = { chld_pipe[0], POLLIN, 0 };
		pid_t r = waitpid(-1, &st, WNOHANG);
		long left;

		if (r > 0) {
			n++;
			continue;
		}
		if (r < 0 && errno == ECHILD)
			return n;
		left = deadline - now_ms();
		if (left <= 0)
			fail_msg("children still running after %d ms",
				 WAIT_MS * 3);
		if (poll(&p, 1, (int)left) > 0)
			(void)!read(chld_pipe[0], drain, sizeof(drain));
	}
}

struct proc {
	pid_t pid;
	int in;		/* its stdin */
	int out;	/* its stdout */
};

/* Starts ARGV with ENV ("NAME=V" or "NAME" to unset) applied, stdin and
 * stdout on pipes, stderr inherited; in a new process group if asked,
 * with PR_SET_PDEATHSIG(SIGKILL) if asked (a supervisor's habit). */
static void start(struct proc *p, char *const argv[], char *const env[],
		  int new_group, int pdeathsig)
{
	int in[2], out[2];
	sigset_t none;
	pid_t parent = getpid();

	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		signal(SIGCHLD, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (new_group)
			setpgid(0, 0);
		if (pdeathsig) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(126);
		}
		dup2(in[0], 0);
		dup2(out[1], 1);
		for (size_t i = 0; env && env[i]; i++) {
			char *eq = strchr(env[i], '=');

			if (!eq)
				unsetenv(env[i]);
			else
				putenv(env[i]);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (new_group)
		setpgid(p->pid, p->pid);
	close(in[0]);
	close(out[1]);
	p->in = in[1];
	p->out = out[0];
}

/* Reads one line (without its newline) from FD within the bound. */
static void read_line(int fd, char *buf, size_t cap, const char *what)
{
	long deadline = now_ms() + WAIT_MS;
	size_t n = 0;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		long left = deadline - now_ms();
		ssize_t r;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			fail_msg("no line '%s' within %d ms", what, WAIT_MS);
		r = read(fd, buf + n, 1);
		if (r <= 0)
			fail_msg("end of output before the line '%s'", what);
		if (buf[n] == '\n') {
			buf[n] = '\0';
			return;
		}
		if (++n >= cap - 1)
			fail_msg("line '%s' too long", what);
	}
}

static void finish(struct proc *p)
{
	close(p->in);
	close(p->out);
}

static const char *shim_env(void)
{
	static char buf[4200];

	snprintf(buf, sizeof(buf), "LD_PRELOAD=%s", getenv("TMWATCH_SHIM"));
	return buf;
}

/* --- 1. kill -STOP / kill -CONT of the program alone ------------------ */

/* The parent of PROGRAM's top process (bare: the program; wrapped:
 * tmwatch) sees it stop, continue and exit 7 when the program alone is
 * stopped and continued, as bare. */
static void stop_and_cont(int mode)
{
	char *bare[] = { "sh", "-c", "echo $$; read x; exit 7", NULL };
	char *wrapped[] = { getenv("TMWATCH_BIN"), "sh", "-c",
			    "echo $$; read x; exit 7", NULL };
	char *env[] = { (char *)shim_env(), NULL };
	char line[64];
	int round, st;

	for (round = 0; round < 2; round++) {
		struct proc p;
		pid_t prog;

		if (round == 0)
			start(&p, bare, NULL, 0, 0);
		else if (mode == 0)
			start(&p, wrapped, NULL, 0, 0);
		else
			start(&p, bare, env, 0, 0);
		read_line(p.out, line, sizeof(line), "the program's pid");
		prog = (pid_t)atoi(line);
		assert_true(prog > 0);
		/* Bare, the program is the PID we started; under tmwatch
		 * it is tmwatch's child. */
		if ((prog == p.pid) != (round == 0))
			fail_msg("round %d: program %d, started %d", round,
				 (int)prog, (int)p.pid);
		assert_int_equal(kill(prog, SIGSTOP), 0);
		wait_for(p.pid, &st, WUNTRACED, "the job stopping");
		assert_true(WIFSTOPPED(st));
		assert_int_equal(kill(prog, SIGCONT), 0);
		wait_for(p.pid, &st, WCONTINUED, "the job continuing");
		assert_true(WIFCONTINUED(st));
		assert_int_equal(write(p.in, "x\n", 2), 2);
		wait_for(p.pid, &st, 0, "the job exiting");
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 7)
			fail_msg("round %d: %s, want exit 7", round,
				 tu_describe_status(st));
		finish(&p);
		assert_int_equal(reap_all(), 0);
	}
}

static void stop_and_cont_of_the_program_alone_wrapper(void **state)
{
	(void)state;
	stop_and_cont(0);
}

static void stop_and_cont_of_the_program_alone_preload_only(void **state)
{
	(void)state;
	stop_and_cont(1);
}

/* --- 3. kill -9 of tmwatch, a supervisor's PR_SET_PDEATHSIG ------------ */

/* KIND 0: `kill -9` of the PID the caller started; 1: that PID's parent
 * (a supervisor that armed PR_SET_PDEATHSIG(SIGKILL) for it) dies. Bare,
 * the program dies of SIGKILL; it must under tmwatch too. */
static void killed_from_above(int mode, int kind)
{
	char *bare[] = { "sh", "-c", "echo $$; exec cat", NULL };
	char *wrapped[] = { getenv("TMWATCH_BIN"), "sh", "-c",
			    "echo $$; exec cat", NULL };
	char *env[] = { (char *)shim_env(), NULL };
	int round, st, go[2];

	for (round = 0; round < 2; round++) {
		char *const *argv = round == 1 && mode == 0 ? wrapped : bare;
		char *const *e = round == 1 && mode == 1 ? env : NULL;
		char line[64];
		struct proc p;
		pid_t prog, sup = 0, top;

		if (kind == 0) {
			start(&p, argv, e, 0, 0);
			top = p.pid;
		} else {
			/* The supervisor: starts the program with a death
			 * signal, tells us its PID, exits when told. */
			int pp[2], in[2], out[2];
			char c;

			assert_int_equal(pipe2(go, O_CLOEXEC), 0);
			assert_int_equal(pipe2(pp, O_CLOEXEC), 0);
			assert_int_equal(pipe2(in, O_CLOEXEC), 0);
			assert_int_equal(pipe2(out, O_CLOEXEC), 0);
			sup = fork();
			assert_true(sup >= 0);
			if (sup == 0) {
				pid_t me = getpid(), c2;

				close(go[1]);
				c2 = fork();

				if (c2 == 0) {
					sigset_t none;

					signal(SIGCHLD, SIG_DFL);
					sigemptyset(&none);
					sigprocmask(SIG_SETMASK, &none, NULL);
					prctl(PR_SET_PDEATHSIG, SIGKILL);
					if (getppid() != me)
						_exit(126);
					dup2(in[0], 0);
					dup2(out[1], 1);
					if (e)
						putenv(e[0]);
					execvp(argv[0], argv);
					_exit(127);
				}
				(void)!write(pp[1], &c2, sizeof(c2));
				(void)!read(go[0], &c, 1);
				_exit(0);
			}
			close(go[0]);
			close(pp[1]);
			close(in[0]);
			close(out[1]);
			assert_int_equal(read(pp[0], &top, sizeof(top)),
					 (ssize_t)sizeof(top));
			close(pp[0]);
			p.in = in[1];
			p.out = out[0];
		}
		read_line(p.out, line, sizeof(line), "the program's pid");
		prog = (pid_t)atoi(line);
		assert_true(prog > 0);
		if (kind == 0) {
			assert_int_equal(kill(top, SIGKILL), 0);
		} else {
			close(go[1]);
			wait_for(sup, &st, 0, "the supervisor exiting");
		}
		wait_for(top, &st, 0, "the started PID dying");
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
			fail_msg("round %d: started PID: %s, want SIGKILL",
				 round, tu_describe_status(st));
		if (prog != top) {
			/* Orphaned: now ours (subreaper). Still running
			 * (reading its stdin, which we hold) unless the
			 * watchdog's death ended it. */
			wait_for(prog, &st, 0, "the program dying with "
				 "tmwatch");
			if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
				fail_msg("round %d: program: %s, want SIGKILL",
					 round, tu_describe_status(st));
		}
		finish(&p);
		assert_int_equal(reap_all(), 0);
	}
}

static void kill_9_of_tmwatch_kills_the_program_wrapper(void **state)
{
	(void)state;
	killed_from_above(0, 0);
}

static void kill_9_of_tmwatch_kills_the_program_preload_only(void **state)
{
	(void)state;
	killed_from_above(1, 0);
}

static void supervisor_pdeathsig_kills_the_program_wrapper(void **state)
{
	(void)state;
	killed_from_above(0, 1);
}

static void supervisor_pdeathsig_kills_the_program_preload_only(void **state)
{
	(void)state;
	killed_from_above(1, 1);
}

/* --- 4. signals sent to the group, or to tmwatch's PID ------------------ */

/* GROUP: SIGRTMIN to the whole process group (kill -RTMIN -PGID), else to
 * the PID we started; then the marker SIGRTMIN+1 to that PID. The helper
 * has both blocked until the marker: bare and wrapped, it must count one
 * SIGRTMIN. (docs/tmwatch.md: a group signal the program has pending is
 * not forwarded again; one it already handled is.) */
static void count_rtmin(int group)
{
	char *bare[] = { HELPER_SIGNAL_ONCE, NULL };
	char *wrapped[] = { getenv("TMWATCH_BIN"), HELPER_SIGNAL_ONCE, NULL };
	char line[64];
	int round, st;

	for (round = 0; round < 2; round++) {
		struct proc p;

		start(&p, round ? wrapped : bare, NULL, 1, 0);
		read_line(p.out, line, sizeof(line), "ready");
		assert_string_equal(line, "ready");
		if (group)
			assert_int_equal(kill(-p.pid, SIGRTMIN), 0);
		else
			assert_int_equal(kill(p.pid, SIGRTMIN), 0);
		assert_int_equal(kill(p.pid, SIGRTMIN + 1), 0);
		read_line(p.out, line, sizeof(line), "count=");
		if (strcmp(line, "count=1") != 0)
			fail_msg("round %d (%s): '%s', want 'count=1'", round,
				 round ? "tmwatch" : "bare", line);
		wait_for(p.pid, &st, 0, "the helper exiting");
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		finish(&p);
		assert_int_equal(reap_all(), 0);
	}
}

static void group_signal_pending_in_the_program_arrives_once_wrapper(
	void **state)
{
	(void)state;
	count_rtmin(1);
}

static void signal_to_tmwatch_pid_arrives_once_wrapper(void **state)
{
	(void)state;
	count_rtmin(0);
}

/* --- 5, 6. ld.so as the program; fexecve of a memfd --------------------- */

/* The dynamic loader this test runs with (its PT_INTERP). */
static const char *interp(void)
{
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
	size_t i, n = getauxval(AT_PHNUM);
	uintptr_t bias = 0;

	for (i = 0; i < n; i++)
		if (ph[i].p_type == PT_PHDR)
			bias = (uintptr_t)ph - ph[i].p_vaddr;
	for (i = 0; i < n; i++)
		if (ph[i].p_type == PT_INTERP)
			return (const char *)(bias + ph[i].p_vaddr);
	fail_msg("this test has no PT_INTERP");
	return NULL;
}

/* Runs ARGV bare and with the shim preloaded; both must print the same
 * but for "watched" (the program sees TMWATCH_PID only under tmwatch)
 * and exit 0. */
static void same_as_bare(char *const argv[], const char *want, int fx)
{
	char *env_bare[] = { "LD_PRELOAD", "TMWATCH_PID", "FX_PRELOAD", NULL };
	char fx_pre[4200];
	char *env_pre[] = { (char *)shim_env(), "TMWATCH_PID", NULL };
	char *out, *err, exp[256];
	int st;

	st = tu_run(argv, env_bare, &out, &err, WAIT_MS);
	if (st != 0 || strcmp(out, want) != 0)
		fail_msg("bare: %s, out '%s' err '%s'", tu_describe_status(st),
			 out, err);
	free(out);
	free(err);
	/* For fexecve the test itself must not be preloaded: it passes
	 * FX_PRELOAD on as LD_PRELOAD to the program it fexecve()s. */
	snprintf(fx_pre, sizeof(fx_pre), "FX_PRELOAD=%s",
		 getenv("TMWATCH_SHIM"));
	if (fx) {
		env_pre[0] = fx_pre;
		env_pre[1] = "LD_PRELOAD";
	}
	st = tu_run(argv, env_pre, &out, &err, WAIT_MS);
	snprintf(exp, sizeof(exp), "%.*s watched\n", (int)strlen(want) - 1,
		 want);
	if (st != 0 || strcmp(out, exp) != 0)
		fail_msg("preload-only: %s, out '%s' (want '%s') err '%s'",
			 tu_describe_status(st), out, exp, err);
	free(out);
	free(err);
	reap_all();
}

static void ld_so_run_as_a_program_preload_only(void **state)
{
	char *argv[] = { (char *)interp(), "/bin/sh", "-c",
			 "echo hi there ${TMWATCH_PID:+watched}", NULL };

	(void)state;
	same_as_bare(argv, "hi there\n", 0);
}

static void fexecve_of_a_memfd_preload_only(void **state)
{
	char self[64];
	char *argv[] = { self, "fexecve", NULL };

	(void)state;
	snprintf(self, sizeof(self), "/proc/%d/exe", (int)getpid());
	same_as_bare(argv, "hi there\n", 1);
}

/* `test_supervise fexecve`: copies /bin/sh into a memfd and fexecve()s it
 * (glibc: execveat AT_EMPTY_PATH; /proc/self/exe is "/memfd:sh
 * (deleted)"). */
static int run_fexecve(void)
{
	char *argv[] = { "sh", "-c", "echo hi there ${TMWATCH_PID:+watched}",
			 NULL };
	int in = open("/bin/sh", O_RDONLY | O_CLOEXEC);
	int fd = memfd_create("sh", MFD_CLOEXEC);
	struct stat st;
	off_t off = 0;

	if (in < 0 || fd < 0 || fstat(in, &st) != 0)
		return 120;
	if (getenv("FX_PRELOAD"))
		setenv("LD_PRELOAD", getenv("FX_PRELOAD"), 1);
	while (off < st.st_size)
		if (sendfile(fd, in, &off, (size_t)(st.st_size - off)) <= 0)
			return 121;
	fexecve(fd, argv, environ);
	return 122;
}

/* --- 7. ASan ---------------------------------------------------------- */

static void asan_program_starts_preload_only(void **state)
{
	char path[4096];
	char *argv[] = { path, NULL };
	char *env_bare[] = { "LD_PRELOAD", "ASAN_OPTIONS", NULL };
	char *env_pre[] = { (char *)shim_env(), "ASAN_OPTIONS", NULL };
	char *out, *err;
	int st_bare, st_pre;

	(void)state;
	snprintf(path, sizeof(path), "%s/crash_null_write_asan",
		 getenv("TMWATCH_EXAMPLES"));
	if (access(path, X_OK) != 0)
		fail_msg("'%s' was not built (no ASan on this toolchain?)",
			 path);
	st_bare = tu_run(argv, env_bare, &out, &err, WAIT_MS * 3);
	if (!strstr(err, "AddressSanitizer: SEGV"))
		fail_msg("bare: no ASan report: %s", err);
	free(out);
	free(err);
	st_pre = tu_run(argv, env_pre, &out, &err, WAIT_MS * 3);
	if (!strstr(err, "AddressSanitizer: SEGV") || st_pre != st_bare)
		fail_msg("preload-only: %s (bare %s): %s",
			 tu_describe_status(st_pre),
			 tu_describe_status(st_bare), err);
	free(out);
	free(err);
	reap_all();
}

/* --- 9. --crash-output that cannot be written ------------------------- */

static void crash_output_unwritable_is_said_up_front_wrapper(void **state)
{
	char *dir = tu_tmpdir("crashout"), *store = tu_fresh_store("co");
	char *bad = tu_path(dir, "x.log"), *good = tu_path(store, "x.log");
	char *bare[] = { "setpriv", "--reuid=65534", "--regid=65534",
			 "--clear-groups", "/bin/echo", "hi", NULL };
	char *wrapped[] = { "setpriv", "--reuid=65534", "--regid=65534",
			    "--clear-groups", getenv("TMWATCH_BIN"),
			    "--crash-output", bad, "/bin/echo", "hi", NULL };
	char *out, *err, want[4200], xdg[4200];
	char *env[] = { xdg, NULL };
	int st;

	(void)state;
	/* DIR stays root's 0700: nobody may not write there. The store and
	 * the state directory are nobody's to use. */
	assert_int_equal(chmod(store, 0777), 0);
	snprintf(xdg, sizeof(xdg), "XDG_STATE_HOME=%s", store);
	st = tu_run(bare, env, &out, &err, WAIT_MS);
	assert_int_equal(st, 0);
	assert_string_equal(out, "hi\n");
	assert_string_equal(err, "");
	free(out);
	free(err);
	st = tu_run(wrapped, env, &out, &err, WAIT_MS);
	snprintf(want, sizeof(want), "tmwatch: cannot write the crash output "
		 "'%s': permission denied; crash logs will not be copied "
		 "there (choose a writable path)\n", bad);
	if (st != 0 || strcmp(out, "hi\n") || strcmp(err, want))
		fail_msg("%s, out '%s', err '%s' (want '%s')",
			 tu_describe_status(st), out, err, want);
	free(out);
	free(err);
	/* A writable one: not a word. */
	wrapped[6] = good;
	st = tu_run(wrapped, env, &out, &err, WAIT_MS);
	if (st != 0 || strcmp(out, "hi\n") || strcmp(err, ""))
		fail_msg("writable: %s, out '%s', err '%s'",
			 tu_describe_status(st), out, err);
	free(out);
	free(err);
	reap_all();
	tu_rmrf(dir);
	tu_rmrf(store);
	free(dir);
	free(store);
	free(bad);
	free(good);
}

/* --- 10. the daily job, once a day in every store state ---------------- */

/* Runs `tmwatch /bin/true` and returns how many processes besides tmwatch
 * ended up ours: the detached daily job (forked by tmwatch, orphaned). */
static int extra_processes(void)
{
	char *argv[] = { getenv("TMWATCH_BIN"), "/bin/true", NULL };
	struct proc p;
	int st;

	start(&p, argv, NULL, 0, 0);
	finish(&p);
	wait_for(p.pid, &st, 0, "tmwatch /bin/true");
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return reap_all();
}

static void daily_job_is_forked_at_most_once_a_day_wrapper(void **state)
{
	char *store = tu_fresh_store("daily");
	char *local = tu_path(store, "local");
	int first, second;

	(void)state;
	assert_int_equal(reap_all(), 0);
	/* An empty store (a fresh install: no local/): nothing to report,
	 * and the job could not take its token there. */
	first = extra_processes();
	second = extra_processes();
	if (first + second > 0)
		fail_msg("empty store: the daily job forked %d then %d "
			 "processes", first, second);
	/* An initialised store: once, then not again today. */
	assert_int_equal(mkdir(local, 0700), 0);
	first = extra_processes();
	second = extra_processes();
	if (first == 0 || second != 0)
		fail_msg("initialised store: the daily job forked %d then %d "
			 "processes", first, second);
	tu_rmrf(store);
	free(store);
	free(local);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stop_and_cont_of_the_program_alone_wrapper),
		cmocka_unit_test(
			stop_and_cont_of_the_program_alone_preload_only),
		cmocka_unit_test(kill_9_of_tmwatch_kills_the_program_wrapper),
		cmocka_unit_test(
			kill_9_of_tmwatch_kills_the_program_preload_only),
		cmocka_unit_test(
			supervisor_pdeathsig_kills_the_program_wrapper),
		cmocka_unit_test(
			supervisor_pdeathsig_kills_the_program_preload_only),
		cmocka_unit_test(
			group_signal_pending_in_the_program_arrives_once_wrapper),
		cmocka_unit_test(signal_to_tmwatch_pid_arrives_once_wrapper),
		cmocka_unit_test(ld_so_run_as_a_program_preload_only),
		cmocka_unit_test(fexecve_of_a_memfd_preload_only),
		cmocka_unit_test(asan_program_starts_preload_only),
		cmocka_unit_test(
			crash_output_unwritable_is_said_up_front_wrapper),
		cmocka_unit_test(
			daily_job_is_forked_at_most_once_a_day_wrapper),
	};
	struct sigaction sa;

	if (argc == 2 && strcmp(argv[1], "fexecve") == 0)
		return run_fexecve();
	if (!getenv("TMWATCH_BIN") || !getenv("TMWATCH_SHIM") ||
	    !getenv("TMWATCH_EXAMPLES")) {
		fprintf(stderr, "test_supervise: run under ctest\n");
		return 1;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0 ||
	    pipe2(chld_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		perror("test_supervise: subreaper");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_chld;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	if (argc == 2)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* supervise.c -- wrapper mode: fork, exec PROGRAM with the shim, forward
 * signals, keep job control working, mirror the exit status (DESIGN §3.1).
 *
 * The watchdog must be invisible: the child keeps stdio, terminal,
 * process group, signal mask and dispositions; only LD_PRELOAD and the
 * TMWATCH_FD variables change. Signals arrive through a signalfd and are
 * handled one at a time in the loop (never in a handler); crash hellos on
 * the channel go to crash.c, in the crash module, loaded on the first one
 * (modload.c). Part of the light binary, libc only (see "Processes and
 * binaries" in docs/architecture.md). Exit codes: docs/modes.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crash.h"
#include "daily.h"
#include "elfneeds.h"
#include "intake.h"
#include "modload.h"
#include "msg.h"
#include "supervise.h"

extern char **environ;

struct supervisor {
	struct crash_options copt;
	int adopt;		/* --adopt: EXE is exact, argv[0] given */
	const char *exe;	/* --adopt only */
	char **argv;		/* the program's argv */
	sigset_t orig_mask;	/* restored in the child */
	pid_t child;
	int status;		/* raw wait status once the child ended */
	int done;
};

/* supervise_usage: see supervise.h. */
void supervise_usage(FILE *out)
{
	fputs("  -q, --quiet            no line on stderr after a crash\n"
	      "      --crash-output FILE\n"
	      "                         also write the crash log to FILE\n"
	      "      --debug-records DIR\n"
	      "                         keep each crash record received, "
	      "as files in DIR\n"
	      "      --adopt -- EXE ARGV0 [ARGS...]\n"
	      "                         run EXE with this argv (used by "
	      "the preload shim\n"
	      "                         and tm_crash_monitor_start)\n", out);
}

static int is_set(const char *name)
{
	const char *v = getenv(name);

	return v && strcmp(v, "1") == 0;
}

/* Like a shell: 127 when not found, 126 when found but not runnable. */
static int exec_program(const struct supervisor *s)
{
	const char *name = s->adopt ? s->exe : s->argv[0];
	char reason[256];
	int e;

	if (s->adopt)
		execve(s->exe, s->argv, environ);
	else
		execvp(s->argv[0], s->argv);
	e = errno;
	if (e == ENOENT && !s->adopt && !strchr(name, '/')) {
		msg_error("'%s': command not found", name);
		return 127;
	}
	snprintf(reason, sizeof(reason), "%s", strerror(e));
	if (reason[0] >= 'A' && reason[0] <= 'Z')
		reason[0] = (char)(reason[0] - 'A' + 'a');
	msg_error("cannot run '%s': %s", name, reason);
	return e == ENOENT || e == ENOTDIR ? 127 : 126;
}

static int try_shim(const char *path, char *out, size_t cap)
{
	char real[PATH_MAX];

	if (access(path, R_OK) != 0 || !realpath(path, real) ||
	    strlen(real) >= cap)
		return -1;
	memcpy(out, real, strlen(real) + 1);
	return 0;
}

/* TMWATCH_SHIM, else the installed path, else next to this binary
 * (../lib in the build tree, ../lib/tmwatch installed elsewhere). */
static int find_shim(char *out, size_t cap)
{
	static const char *const rel[] = { "/../lib/libtmwatch-preload.so",
					   "/../lib/tmwatch/"
					   "libtmwatch-preload.so" };
	const char *env = getenv("TMWATCH_SHIM");
	char self[PATH_MAX], buf[PATH_MAX + 64];
	ssize_t n;
	char *slash;
	size_t i;

	if (env && *env)
		return try_shim(env, out, cap);
#ifdef TMWATCH_INSTALLED_SHIM
	if (try_shim(TMWATCH_INSTALLED_SHIM, out, cap) == 0)
		return 0;
#endif
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", self, rel[i]);
		if (try_shim(buf, out, cap) == 0)
			return 0;
	}
	return -1;
}

/* LD_PRELOAD accepts ':' or ' ' between entries; ours goes first so its
 * constructor runs before any other preloaded library's. */
static int set_preload(const char *shim)
{
	const char *old = getenv("LD_PRELOAD");
	char *v;
	int r;

	if (!old || !*old)
		return setenv("LD_PRELOAD", shim, 1);
	if (strstr(old, shim))
		return 0;
	if (asprintf(&v, "%s:%s", shim, old) < 0)
		return -1;
	r = setenv("LD_PRELOAD", v, 1);
	free(v);
	return r;
}

/* The file a PATH lookup of NAME finds, as execvp would (into BUF, which
 * is returned), or NULL: only to name the program of a no-record crash. */
static const char *resolve(const char *name, char *buf, size_t cap)
{
	const char *path = getenv("PATH"), *p, *end;

	if (strchr(name, '/'))
		return name;
	for (p = path ? path : "/usr/bin:/bin"; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		if ((size_t)snprintf(buf, cap, "%.*s%s%s", (int)(end - p), p,
				     end > p ? "/" : "", name) < cap &&
		    access(buf, X_OK) == 0)
			return buf;
	}
	return NULL;
}

/* Lets an ASan program start with the shim preloaded first (its own
 * crash handling then prevails, as without tmwatch). */
static void allow_asan_order(void)
{
	const char *old = getenv("ASAN_OPTIONS");
	char *v;

	if (old && strstr(old, "verify_asan_link_order"))
		return;
	if (asprintf(&v, "%s%sverify_asan_link_order=0", old ? old : "",
		     old && *old ? ":" : "") < 0)
		return;
	setenv("ASAN_OPTIONS", v, 1);
	free(v);
}

static void child_setup(struct supervisor *s, int chan, unsigned long dev,
			unsigned long ino, const char *shim)
{
	char buf[64];
	int flags = fcntl(chan, F_GETFD);

	sigprocmask(SIG_SETMASK, &s->orig_mask, NULL);
	if (flags >= 0)
		(void)fcntl(chan, F_SETFD, flags & ~FD_CLOEXEC);
	snprintf(buf, sizeof(buf), "%d", chan);
	setenv("TMWATCH_FD", buf, 1);
	snprintf(buf, sizeof(buf), "%lu:%lu", dev, ino);
	setenv("TMWATCH_FD_INO", buf, 1);
	snprintf(buf, sizeof(buf), "%d", (int)getppid());
	setenv("TMWATCH_PID", buf, 1);
	if (shim) {
		char buf2[PATH_MAX];

		(void)set_preload(shim);
		if (elfneeds_asan(resolve(s->argv[0], buf2, sizeof(buf2))))
			allow_asan_order();
	}
	_exit(exec_program(s));
}

/* Dies of SIG as the child did, without a core file of our own. */
static void die_like(int sig)
{
	struct rlimit none = { 0, 0 };
	sigset_t one;

	fflush(NULL);
	(void)setrlimit(RLIMIT_CORE, &none);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	signal(sig, SIG_DFL);
	sigemptyset(&one);
	sigaddset(&one, sig);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	kill(getpid(), sig);
	_exit(128 + sig); /* a signal whose default does not kill */
}

/* Stops the watchdog as the child stopped, so the shell sees the job
 * stop; SIGCONT (fg) then resumes both. */
static void stop_self(int sig)
{
	sigset_t one, pending;

	if (sig == SIGSTOP) {
		kill(getpid(), SIGSTOP);
		return;
	}
	sigemptyset(&one);
	sigaddset(&one, sig);
	/* Ctrl-Z sends SIGTSTP to us too; if it is still queued, unblocking
	 * delivers it and stops us. Sending another would stop us a second
	 * time right after fg resumes us. */
	sigpending(&pending);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	if (!sigismember(&pending, sig))
		kill(getpid(), sig);
	sigprocmask(SIG_BLOCK, &one, NULL);
}

static int child_is_stopped(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && (p[2] == 'T' || p[2] == 't');
}

static void reap(struct supervisor *s)
{
	int st;
	pid_t r;

	while (!s->done) {
		r = waitpid(s->child, &st, WNOHANG | WUNTRACED);
		if (r == 0)
			return;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			s->status = 0;
			s->done = 1;
			return;
		}
		if (WIFSTOPPED(st)) {
			stop_self(WSTOPSIG(st));
			continue;
		}
		s->status = st;
		s->done = 1;
	}
}

/* Terminal-generated signals (si_code SI_KERNEL) reached the whole
 * foreground group, the child included; signals from the child or from
 * ourselves are not for the child; kernel-made ones (timers, SIGPIPE of
 * our own writes) neither. The rest was sent to our PID: forward it. */
static void on_signal(struct supervisor *s, const struct signalfd_siginfo *si)
{
	int sig = (int)si->ssi_signo;
	int sent = si->ssi_code <= 0 && si->ssi_code != SI_KERNEL;
	pid_t from = (pid_t)si->ssi_pid;
	int foreign = sent && from != s->child && from != getpid();

	switch (sig) {
	case SIGCHLD:
		reap(s);
		return;
	case SIGTSTP:
		if (foreign)
			kill(s->child, SIGTSTP);
		stop_self(SIGTSTP);
		return;
	case SIGCONT:
		/* A group SIGCONT (fg) has resumed the child already. */
		if (foreign && child_is_stopped(s->child))
			kill(s->child, SIGCONT);
		return;
	default:
		if (!foreign)
			return;
		if (si->ssi_code == SI_QUEUE) {
			union sigval v;

			v.sival_ptr = (void *)(uintptr_t)si->ssi_ptr;
			sigqueue(s->child, sig, v);
		} else {
			kill(s->child, sig);
		}
	}
}

/* How long crashes still under way when the child died (descendants
 * crashing with it) may delay the mirrored exit status: 1.5 s after the
 * last one handled, never more than 10 s after the death: descendants
 * crashing with the child are counted, silent ones cost 1.5 s. */
#define WATCH_GRACE_MS 1500
#define WATCH_GRACE_MAX_MS 10000

static long watch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Runs the crash pipeline on the oldest finished session, if any: one
 * per turn of the loop, so signals, hellos and keepalives are served
 * between crashes however many are queued. */
static int take_crash(struct supervisor *s, struct intake *in)
{
	struct intake_crash c;

	if (intake_next(in, &c) != 0)
		return 0;
	(void)modload_crash_handle(&s->copt, &c);
	return 1;
}

/* Intake is concurrent (intake.c): every session is read as its bytes
 * come, so a silent or slow descendant never delays another crash nor
 * the child's exit status by more than WATCH_GRACE_MS (silent) or
 * WATCH_GRACE_MAX_MS (descendants crashing in turn). */
static void watch(struct supervisor *s, int sfd, struct intake *in)
{
	struct signalfd_siginfo si;
	int ready;
	ssize_t n;
	long end, cap;

	while (!s->done) {
		if (intake_wait(in, sfd, &ready, -1) < 0) {
			reap(s); /* cannot poll: fall back to waiting */
			if (!s->done && waitpid(s->child, &s->status, 0) > 0)
				s->done = 1;
			break;
		}
		(void)take_crash(s, in);
		if (ready) {
			/* One at a time: a stop may discard the rest. */
			n = read(sfd, &si, sizeof(si));
			if (n == (ssize_t)sizeof(si))
				on_signal(s, &si);
		}
	}
	/* Descendants that crashed as the child died are still queued or
	 * being read: bounded, then closed (they die as without us). */
	end = watch_now_ms() + WATCH_GRACE_MS;
	cap = watch_now_ms() + WATCH_GRACE_MAX_MS;
	do {
		/* With nothing under way, one look without blocking: an
		 * ordinary exit must not wait. */
		if (intake_wait(in, -1, &ready,
				intake_pending(in) > 0 ? end : 0) < 0)
			break;
		if (take_crash(s, in)) {
			end = watch_now_ms() + WATCH_GRACE_MS;
			if (end > cap)
				end = cap;
		}
	} while (intake_pending(in) > 0 && watch_now_ms() < end);
	intake_close(in);
}

/* The signals the watchdog takes through its signalfd: every one it may
 * forward, plus SIGCHLD. Not SIGTTIN/SIGTTOU (the watchdog never touches
 * the terminal) and not SIGKILL/SIGSTOP (cannot). The crash signals are
 * in: a `kill -SEGV` of our PID is forwarded, while a real fault of our
 * own is never queued (the kernel unblocks it and kills, force_sig). */
static void watched_set(sigset_t *set)
{
	sigfillset(set);
	sigdelset(set, SIGKILL);
	sigdelset(set, SIGSTOP);
	sigdelset(set, SIGTTIN);
	sigdelset(set, SIGTTOU);
}

static int parse(struct supervisor *s, int argc, char **argv)
{
	int i = 1;

	while (i < argc) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			s->copt.quiet = 1;
		} else if (strcmp(a, "--adopt") == 0) {
			s->adopt = 1;
		} else if (strcmp(a, "--crash-output") == 0 ||
			   strcmp(a, "--debug-records") == 0) {
			if (i + 1 >= argc)
				return msg_usage("tmwatch", "option '%s' "
						 "needs an argument", a);
			if (a[2] == 'c')
				s->copt.crash_output = argv[++i];
			else
				s->copt.debug_dir = argv[++i];
		} else if (strncmp(a, "--crash-output=", 15) == 0) {
			s->copt.crash_output = a + 15;
		} else if (strncmp(a, "--debug-records=", 16) == 0) {
			s->copt.debug_dir = a + 16;
		} else {
			return msg_usage("tmwatch", "unknown option '%s'", a);
		}
		i++;
	}
	if (s->adopt) {
		if (argc - i < 2)
			return msg_usage("tmwatch", "--adopt needs EXE and "
					 "ARGV0");
		s->exe = argv[i];
		s->argv = argv + i + 1;
		return 0;
	}
	if (i >= argc)
		return msg_usage("tmwatch", "no program to run");
	s->argv = argv + i;
	return 0;
}

/* Runs the program in this process, unmonitored. */
static int run_bare(const struct supervisor *s)
{
	return exec_program(s);
}

/* supervise_main: see supervise.h. */
int supervise_main(int argc, char **argv)
{
	static struct supervisor s;
	char shim[PATH_MAX];
	char sock[108];
	struct intake *in;
	unsigned long dev, ino;
	int chan, sfd, r;
	sigset_t set;

	r = parse(&s, argc, argv);
	if (r != 0)
		return r;
	if (!s.copt.debug_dir && getenv("TMWATCH_DEBUG_RECORDS") &&
	    *getenv("TMWATCH_DEBUG_RECORDS"))
		s.copt.debug_dir = getenv("TMWATCH_DEBUG_RECORDS");
	if (s.copt.quiet)
		msg_set_quiet(1);
	if (is_set("TMWATCH_DISABLE"))
		return run_bare(&s);
	if (!s.adopt && find_shim(shim, sizeof(shim)) != 0) {
		msg_error("cannot find the crash capture library "
			  "'libtmwatch-preload.so' (set TMWATCH_SHIM); running "
			  "'%s' without crash reporting", s.argv[0]);
		return run_bare(&s);
	}
	r = intake_open(&in, &chan, &dev, &ino, sock, sizeof(sock));
	if (r != 0) {
		msg_error("cannot create the crash channel: %s; running '%s' "
			  "without crash reporting", strerror(-r), s.argv[0]);
		return run_bare(&s);
	}
	/* Set before the fork (child_setup is the supervise side's): the
	 * named socket, for descendants whose inherited fd was closed. */
	if (sock[0])
		setenv("TMWATCH_SOCK", sock, 1);
	else
		unsetenv("TMWATCH_SOCK");
	watched_set(&set);
	sigprocmask(SIG_BLOCK, &set, &s.orig_mask);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	s.child = sfd < 0 ? -1 : fork();
	if (s.child < 0) {
		msg_error("cannot start '%s' under the watchdog: %s; running "
			  "it without crash reporting", s.argv[0],
			  strerror(errno));
		sigprocmask(SIG_SETMASK, &s.orig_mask, NULL);
		intake_close(in);
		close(chan);
		unsetenv("TMWATCH_SOCK");
		if (sfd >= 0)
			close(sfd);
		return run_bare(&s);
	}
	if (s.child == 0)
		child_setup(&s, chan, dev, ino, s.adopt ? NULL : shim);
	s.copt.child = s.child;
	close(chan);
	intake_raise_limit(in);
	watch(&s, sfd, in);
	modload_note_death(&s.copt, s.child, s.adopt ? s.exe :
			 resolve(s.argv[0], shim, sizeof(shim)), s.status);
	/* The daily report and upload run detached, so the exit status is
	 * mirrored at once; in mode off nothing is forked or written. */
	daily_spawn();
	if (WIFSIGNALED(s.status))
		die_like(WTERMSIG(s.status));
	return WIFEXITED(s.status) ? WEXITSTATUS(s.status) : 1;
}

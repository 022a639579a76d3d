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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
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
	pid_t self;		/* the watchdog's PID, known before the fork */
	pid_t child;
	pid_t waker;		/* while stopped: see start_waker */
	pid_t waker_last;	/* the last one, to tell its SIGCONT */
	int exe_fd;		/* --adopt -- /proc/self/fd/N: N, else -1 */
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

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
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
	/* execve gives EACCES for a directory; a shell says what it is. */
	if (e == EACCES && strchr(name, '/') && is_dir(name))
		snprintf(reason, sizeof(reason), "is a directory");
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

	/* The program must not outlive its watchdog: without tmwatch, a
	 * `kill -9` of the PID the caller knows, or a supervisor's own
	 * PR_SET_PDEATHSIG, ends it. Checked after arming: the watchdog may
	 * have died between fork and prctl (prctl(2)). */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != s->self)
		raise(SIGKILL);
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

static int proc_is_stopped(pid_t pid)
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

/* The waker: a process forked when the watchdog stops itself because the
 * child stopped. A stopped process runs no code, so when the child alone
 * is continued (`kill -CONT CHILD`, not the job's `fg`) nothing else would
 * resume the watchdog, which would then never reap the child. The waker
 * looks at both (a stopped process gets no event for another's
 * continuation, and the watchdog is not the waker's child: polling with
 * a backoff up to WAKER_MAX_MS is the only way) and sends the watchdog
 * SIGCONT once it is stopped and the child is not. The watchdog kills it
 * as soon as it runs again. Uses no stdio: forked from the signal loop. */
#define WAKER_MAX_MS 100

static pid_t start_waker(pid_t watchdog, pid_t child)
{
	struct timespec ts;
	long ms = 1;
	pid_t w = fork();

	if (w != 0)
		return w;
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != watchdog)
		_exit(0);
	for (;;) {
		ts.tv_sec = 0;
		ts.tv_nsec = ms * 1000000L;
		(void)nanosleep(&ts, NULL);
		ms = ms * 2 > WAKER_MAX_MS ? WAKER_MAX_MS : ms * 2;
		/* Before the watchdog has stopped, a SIGCONT would be lost
		 * and the stop would then last for good. */
		if (proc_is_stopped(watchdog) && !proc_is_stopped(child)) {
			kill(watchdog, SIGCONT);
			_exit(0);
		}
	}
}

static void send_to_job(const struct supervisor *s, int sig);

/* Takes the SIGCONT that resumed us, now, while the waker's PID still
 * tells its SIGCONT apart (a later stop of the child must not be taken
 * for resumed by it). One from elsewhere (the shell's fg, `kill -CONT`
 * of our PID) also continues a child still stopped. */
static void take_cont(struct supervisor *s)
{
	struct timespec zero = { 0, 0 };
	siginfo_t si;
	sigset_t cont;

	sigemptyset(&cont);
	sigaddset(&cont, SIGCONT);
	if (sigtimedwait(&cont, &si, &zero) != SIGCONT)
		return;
	if (si.si_pid != s->waker_last && si.si_pid != s->self &&
	    proc_is_stopped(s->child))
		send_to_job(s, SIGCONT);
}

/* Stops the watchdog as the child stopped, so the shell sees the job
 * stop; SIGCONT (fg, or `kill -CONT` of either PID, through the waker)
 * then resumes it. Returns once resumed. */
static void stop_self(struct supervisor *s, int sig)
{
	sigset_t one, pending;

	s->waker = start_waker(s->self, s->child);
	if (sig == SIGSTOP) {
		kill(s->self, SIGSTOP);
		goto resumed;
	}
	sigemptyset(&one);
	sigaddset(&one, sig);
	/* Ctrl-Z sends SIGTSTP to us too; if it is still queued, unblocking
	 * delivers it and stops us. Sending another would stop us a second
	 * time right after fg resumes us. */
	sigpending(&pending);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	if (!sigismember(&pending, sig))
		kill(s->self, sig);
	sigprocmask(SIG_BLOCK, &one, NULL);
resumed:
	s->waker_last = s->waker;
	if (s->waker > 0) {
		kill(s->waker, SIGKILL);
		while (waitpid(s->waker, NULL, 0) < 0 && errno == EINTR)
			;
	}
	s->waker = 0;
	take_cont(s);
}

static void reap(struct supervisor *s)
{
	sigset_t pending;
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
			/* A SIGCONT queued after the stop: the loop forwards
			 * it if needed; stopping now would outlast it. */
			sigpending(&pending);
			if (!sigismember(&pending, SIGCONT))
				stop_self(s, WSTOPSIG(st));
			continue;
		}
		s->status = st;
		s->done = 1;
	}
}

/* The child's process group, or -1 when it is gone. */
static pid_t child_group(const struct supervisor *s)
{
	return getpgid(s->child);
}

/* Sends SIG to the child, or to its whole group when it leads one of its
 * own (as a terminal would have, had that group been the foreground). */
static void send_to_job(const struct supervisor *s, int sig)
{
	pid_t g = child_group(s);

	if (g == s->child && g != getpgrp())
		kill(-g, sig);
	else
		kill(s->child, sig);
}

/* 1 when SIG is pending in the child (thread-group leader's own or shared
 * pending set, /proc/PID/status SigPnd and ShdPnd, proc(5)). */
static int child_has_pending(const struct supervisor *s, int sig)
{
	char path[64], buf[4096], *line;
	unsigned long long mask, bit;
	ssize_t n;
	int fd, hit = 0;

	if (sig < 1 || sig > 64)
		return 0;
	bit = 1ULL << (sig - 1);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)s->child);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (line = buf; line && *line; line = strchr(line, '\n'),
	     line = line ? line + 1 : NULL) {
		if (strncmp(line, "SigPnd:", 7) != 0 &&
		    strncmp(line, "ShdPnd:", 7) != 0)
			continue;
		mask = strtoull(line + 7, NULL, 16);
		hit |= (mask & bit) != 0;
	}
	return hit;
}

/* Terminal signals: the kernel sends them (si_code SI_KERNEL) to the
 * whole foreground group, which is the watchdog's (docs/tmwatch.md). */
static int is_terminal_signal(int sig)
{
	return sig == SIGINT || sig == SIGQUIT || sig == SIGTSTP ||
	       sig == SIGWINCH || sig == SIGHUP;
}

/* Which signals reach the child through us (docs/tmwatch.md, "Signals"):
 * - sent to our PID by another process (SI_USER, SI_QUEUE...): forwarded,
 *   unless the child is in our process group and still has it pending as
 *   we look: then a group kill has reached it already (the kernel signals
 *   a group's newest member first, so the child before us);
 * - sent by the terminal to our group (SI_KERNEL): forwarded only when
 *   the child has moved to a group of its own (`timeout`, a shell script
 *   with job control), which the terminal did not reach;
 * - from the child, from ourselves or the waker, or made by the kernel
 *   for us (timers, SIGPIPE of our writes): not for the child.
 * Stops are mirrored from the child's state (reap), never from ours. */
static void on_signal(struct supervisor *s, const struct signalfd_siginfo *si)
{
	int sig = (int)si->ssi_signo;
	int sent = si->ssi_code <= 0 && si->ssi_code != SI_KERNEL;
	pid_t from = (pid_t)si->ssi_pid;
	int foreign = sent && from != s->child && from != s->self &&
		      (s->waker <= 0 || from != s->waker);
	int tty_missed = si->ssi_code == SI_KERNEL &&
			 is_terminal_signal(sig) &&
			 child_group(s) != getpgrp();

	switch (sig) {
	case SIGCHLD:
		reap(s);
		return;
	case SIGCONT:
		/* A group SIGCONT (fg) has resumed the child already, unless
		 * it lives in a group of its own. */
		if ((foreign || si->ssi_code == SI_KERNEL) &&
		    proc_is_stopped(s->child))
			send_to_job(s, SIGCONT);
		return;
	default:
		if (tty_missed) {
			send_to_job(s, sig);
			return;
		}
		if (!foreign)
			return;
		if (child_group(s) == getpgrp() && child_has_pending(s, sig))
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

/* The preload shim passes a program it cannot name by path (fexecve of a
 * memfd, a deleted file) as /proc/self/fd/N, N open for us. Returns N, or
 * -1 for any other EXE. */
static int exe_fd_of(const char *exe)
{
	static const char pre[] = "/proc/self/fd/";
	char *end;
	long n;

	if (strncmp(exe, pre, sizeof(pre) - 1) != 0)
		return -1;
	n = strtol(exe + sizeof(pre) - 1, &end, 10);
	if (*end || end == exe + sizeof(pre) - 1 || n < 0 || n > INT_MAX)
		return -1;
	return (int)n;
}

/* --crash-output FILE is written after a crash (crashlog.c: temp file and
 * rename for a regular or missing FILE, append otherwise). Says once, up
 * front, when that cannot work; the program runs all the same. */
static void check_crash_output(const char *file)
{
	char dir[PATH_MAX], *slash;
	struct stat st;
	int r;

	if (!file)
		return;
	if (stat(file, &st) == 0 && !S_ISREG(st.st_mode)) {
		r = faccessat(AT_FDCWD, file, W_OK, AT_EACCESS);
	} else {
		if (strlen(file) >= sizeof(dir))
			r = (errno = ENAMETOOLONG, -1);
		else {
			memcpy(dir, file, strlen(file) + 1);
			slash = strrchr(dir, '/');
			if (slash == dir)
				slash[1] = '\0';
			else if (slash)
				*slash = '\0';
			else
				memcpy(dir, ".", 2);
			r = faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS);
		}
	}
	if (r != 0) {
		char reason[128];

		snprintf(reason, sizeof(reason), "%s", strerror(errno));
		if (reason[0] >= 'A' && reason[0] <= 'Z')
			reason[0] = (char)(reason[0] - 'A' + 'a');
		msg_error("cannot write the crash output '%s': %s; crash logs "
			  "will not be copied there (choose a writable path)",
			  file, reason);
	}
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
		s->exe_fd = exe_fd_of(s->exe);
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

	s.exe_fd = -1;
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
	check_crash_output(s.copt.crash_output);
	/* Kept open here (to name the program after its death), closed in
	 * the program by its exec. */
	if (s.exe_fd >= 0)
		(void)fcntl(s.exe_fd, F_SETFD, FD_CLOEXEC);
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
	s.self = getpid();
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

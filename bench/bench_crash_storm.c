/* SPDX-License-Identifier: MIT */
/* bench_crash_storm.c -- crash storm throughput through the real tmwatch
 * (issue 4): for SECONDS (default 10), start crashing programs as fast
 * as possible, INFLIGHT (default 4) at a time,
 *   one watchdog: forked children of one program under one tmwatch;
 *   many watchdogs: one `tmwatch -q crash_null_write` per crash;
 * and against the same storms bare. Every crash must be counted exactly:
 * the crash/crash counters of the fresh store are compared with the
 * number of crashes started. Prints crashes per second.
 *
 * Then the simultaneous storm (issue 8 §1): DEEP_N (default 1000)
 * children of one program under one watchdog, each with a 200 KiB stack
 * (records larger than the socket buffer), crash at the same moment;
 * against the same storm bare. Prints crashes per second, the
 * watchdog's peak RSS (VmHWM, read by the program while the watchdog
 * still runs) against an idle watchdog's, and checks every crash was
 * counted with its stack.
 *
 * usage: bench_crash_storm [SECONDS [INFLIGHT [DEEP_N]]]. Finds tmwatch through
 * TMWATCH_BIN or ../bin/tmwatch, the examples in ../examples, next to
 * this binary.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

static char tmwatch[PATH_MAX + 64], self[PATH_MAX], store[PATH_MAX];
static char example[PATH_MAX + 64];

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

__attribute__((noinline)) static void write_null(volatile int *p)
{
	*p = 1;
}

/* Keeps INFLIGHT children alive for SECONDS; each is started by START
 * (returns its pid). Returns the number started; *BAD counts those that
 * did not die of SIGSEGV. */
static long storm(double seconds, int inflight, pid_t (*start)(void),
		  long *bad)
{
	double end = now_s() + seconds;
	long started = 0;
	int running = 0, st;

	*bad = 0;
	while (now_s() < end || running > 0) {
		while (running < inflight && now_s() < end) {
			if (start() < 0)
				break;
			started++;
			running++;
		}
		if (running == 0)
			continue;
		if (wait(&st) < 0)
			break;
		running--;
		if (!WIFSIGNALED(st) || WTERMSIG(st) != 11)
			(*bad)++;
	}
	return started;
}

static int deep_go;

/* 1 KiB a level, so DEPTH levels make a DEPTH KiB stack to copy. */
__attribute__((noinline)) static void deep(int depth)
{
	volatile char pad[1024];
	char c;

	memset((char *)pad, depth & 0xff, sizeof pad);
	if (depth > 0) {
		deep(depth - 1);
	} else {
		(void)!read(deep_go, &c, 1); /* returns at EOF */
		write_null(NULL);
	}
	pad[0] = 0;
}

/* The watchdog's (our parent's) peak RSS in KiB, or -1. */
static long parent_hwm_kb(void)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)getppid());
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* N children build DEPTH KiB stacks, then crash at once; returns the
 * seconds from release to the last death; *BAD counts the children that
 * did not die of SIGSEGV. */
static double deep_storm(int n, int depth, long *bad)
{
	int go[2], i, st;
	double t0;

	*bad = 0;
	if (pipe(go) != 0)
		return -1;
	deep_go = go[0];
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return -1;
		if (pid == 0) {
			close(go[1]);
			deep(depth);
			_exit(0);
		}
	}
	close(go[0]);
	t0 = now_s();
	close(go[1]);
	for (i = 0; i < n; i++) {
		if (wait(&st) < 0 || !WIFSIGNALED(st) || WTERMSIG(st) != 11)
			(*bad)++;
	}
	return now_s() - t0;
}

static pid_t start_fork(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		write_null(NULL);
		_exit(0);
	}
	return pid;
}

static pid_t start_exec(char **argv)
{
	pid_t pid = fork();

	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static pid_t start_bare(void)
{
	char *argv[] = { example, NULL };

	return start_exec(argv);
}

static pid_t start_wrapped(void)
{
	char *argv[] = { tmwatch, "-q", example, NULL };

	return start_exec(argv);
}

static int verdict(const char *what, long started, long bad, double secs,
		   int check)
{
	uint64_t counted = check ? bench_take_crash_counts(store) :
			   (uint64_t)started;

	printf("%-30s %7ld crashes in %.1f s: %8.1f /s; counted %llu%s\n",
	       what, started, secs, started / secs,
	       (unsigned long long)counted,
	       counted == (uint64_t)started && !bad ? " (exact)" :
	       "  MISMATCH");
	return counted == (uint64_t)started && !bad ? 0 : 1;
}

/* Runs ARGV, waits; 0 when it exited 0. */
static int run_wait(char **argv)
{
	pid_t pid = start_exec(argv);
	int st;

	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* The simultaneous deep-stack storm, bare then under one watchdog. */
static int simultaneous(const char *tmp, int n)
{
	char out[PATH_MAX + 8], ns[16];
	char *bare[] = { self, "--deep-driver", ns, out, NULL };
	char *wrapped[] = { tmwatch, "-q", self, "--deep-driver", ns, out,
			    NULL };
	char *idle[] = { tmwatch, "-q", self, "--hwm", out, NULL };
	double tb, tw;
	long badb, badw, hwm, idle_hwm, ignored;
	uint64_t counted;
	FILE *f;

	snprintf(out, sizeof out, "%s/deep", tmp);
	snprintf(ns, sizeof ns, "%d", n);
	if (run_wait(bare) != 0 || !(f = fopen(out, "r")) ||
	    fscanf(f, "%lf %ld %ld", &tb, &badb, &ignored) != 3)
		return 1;
	fclose(f);
	if (run_wait(wrapped) != 0 || !(f = fopen(out, "r")) ||
	    fscanf(f, "%lf %ld %ld", &tw, &badw, &hwm) != 3)
		return 1;
	fclose(f);
	counted = bench_take_crash_counts(store);
	if (run_wait(idle) != 0 || !(f = fopen(out, "r")) ||
	    fscanf(f, "%ld", &idle_hwm) != 1)
		return 1;
	fclose(f);
	printf("%d simultaneous 200 KiB-stack crashes:\n", n);
	printf("  bare                 %6.2f s: %8.1f /s\n", tb, n / tb);
	printf("  one watchdog         %6.2f s: %8.1f /s (ratio %.2f of "
	       "bare); counted %llu%s\n", tw, n / tw, tb / tw,
	       (unsigned long long)counted,
	       counted == (uint64_t)n && !badw && !badb ? " (exact)"
							 : "  MISMATCH");
	printf("  watchdog peak RSS    %ld KiB (idle watchdog %ld KiB, "
	       "ratio %.1f)\n", hwm, idle_hwm,
	       idle_hwm > 0 ? (double)hwm / idle_hwm : 0.0);
	return counted == (uint64_t)n && !badw && !badb ? 0 : 1;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 10;
	int inflight = argc > 2 ? atoi(argv[2]) : 4, fail = 0;
	char tmp[] = "/tmp/bench_crash_storm.XXXXXX", cmd[PATH_MAX + 16];
	const char *env = getenv("TMWATCH_BIN");
	ssize_t sl;
	long started, bad;
	int dirlen;

	if (argc > 3 && strcmp(argv[1], "--deep-driver") == 0) {
		/* Under tmwatch (or bare): the simultaneous storm; seconds,
		 * failures and the watchdog's peak RSS go to argv[3]. */
		double t = deep_storm(atoi(argv[2]), 200, &bad);
		FILE *f = fopen(argv[3], "w");

		if (!f)
			return 2;
		fprintf(f, "%f %ld %ld\n", t, bad, parent_hwm_kb());
		return fclose(f) == 0 ? 0 : 2;
	}
	if (argc > 2 && strcmp(argv[1], "--hwm") == 0) {
		FILE *f = fopen(argv[2], "w");

		if (!f)
			return 2;
		fprintf(f, "%ld\n", parent_hwm_kb());
		return fclose(f) == 0 ? 0 : 2;
	}
	if (argc > 3 && strcmp(argv[1], "--driver") == 0) {
		/* Under tmwatch: the storm of forked children; the count
		 * goes to the file argv[3]. */
		FILE *f;

		started = storm(atof(argv[2]), atoi(argv[4]), start_fork,
				&bad);
		f = fopen(argv[3], "w");
		if (!f)
			return 2;
		fprintf(f, "%ld %ld\n", started, bad);
		return fclose(f) == 0 ? 0 : 2;
	}
	sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl <= 0 || secs <= 0 || inflight <= 0)
		return 2;
	self[sl] = '\0';
	dirlen = (int)(strrchr(self, '/') - self);
	if (env)
		snprintf(tmwatch, sizeof tmwatch, "%s", env);
	else
		snprintf(tmwatch, sizeof tmwatch, "%.*s/../bin/tmwatch",
			 dirlen, self);
	snprintf(example, sizeof example, "%.*s/../examples/crash_null_write",
		 dirlen, self);
	if (!mkdtemp(tmp))
		return 2;
	snprintf(store, sizeof store, "%s/store", tmp);
	setenv("TMWATCH_DIR", store, 1);
	setenv("XDG_STATE_HOME", tmp, 1);
	setenv("TMWATCH_QUIET", "1", 1);
	printf("tmwatch: %s; %d in flight\n", tmwatch, inflight);

	started = storm(secs, inflight, start_fork, &bad);
	fail |= verdict("bare forked children", started, bad, secs, 0);
	{
		char out[PATH_MAX + 8], s[32], k[16];
		char *wrapped[] = { tmwatch, "-q", self, "--driver", s, out, k,
				    NULL };
		FILE *f;
		int st;
		pid_t pid;

		snprintf(out, sizeof out, "%s/count", tmp);
		snprintf(s, sizeof s, "%g", secs);
		snprintf(k, sizeof k, "%d", inflight);
		pid = start_exec(wrapped);
		if (pid < 0 || waitpid(pid, &st, 0) != pid)
			return 2;
		f = fopen(out, "r");
		if (!f || fscanf(f, "%ld %ld", &started, &bad) != 2)
			return 2;
		fclose(f);
		fail |= verdict("one watchdog, forked children", started,
				bad, secs, 1);
	}
	started = storm(secs, inflight, start_bare, &bad);
	fail |= verdict("bare crash_null_write", started, bad, secs, 0);
	started = storm(secs, inflight, start_wrapped, &bad);
	fail |= verdict("one tmwatch per crash", started, bad, secs, 1);
	fail |= simultaneous(tmp, argc > 3 ? atoi(argv[3]) : 1000);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		return 1;
	return fail;
}

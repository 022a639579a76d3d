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
 * usage: bench_crash_storm [SECONDS [INFLIGHT]]. Finds tmwatch through
 * TMWATCH_BIN or ../bin/tmwatch, the examples in ../examples, next to
 * this binary.
 */
#define _GNU_SOURCE
#include <dirent.h>
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

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 10;
	int inflight = argc > 2 ? atoi(argv[2]) : 4, fail = 0;
	char tmp[] = "/tmp/bench_crash_storm.XXXXXX", cmd[PATH_MAX + 16];
	const char *env = getenv("TMWATCH_BIN");
	ssize_t sl;
	long started, bad;
	int dirlen;

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
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		return 1;
	return fail;
}

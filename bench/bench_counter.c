/* SPDX-License-Identifier: MIT */
/* bench_counter.c -- cost of a counter increment through a static handle,
 * against a plain relaxed atomic add on an anonymous shared mapping,
 * measured in the same run: single process, then two processes hammering
 * the same counter. Target (issue 2): handle <= 2x the baseline.
 *
 * usage: bench_counter [ITERATIONS]   (default 50 000 000)
 * Uses a fresh store under $TMPDIR unless TMWATCH_DIR is set.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tmwatch/counter.h"

static struct tm_counter handle = TM_COUNTER_INIT("bench/handle");

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Baseline: what an increment cannot beat. */
__attribute__((noinline)) static void baseline_loop(uint64_t *p, long n)
{
	for (long i = 0; i < n; i++)
		__atomic_fetch_add(p, 1, __ATOMIC_RELAXED);
}

__attribute__((noinline)) static void handle_loop(long n)
{
	for (long i = 0; i < n; i++)
		tm_counter_handle_inc(&handle);
}

__attribute__((noinline)) static void named_loop(long n)
{
	for (long i = 0; i < n; i++)
		tm_counter_inc("bench/named");
}

/* Runs FN in NPROC processes at once; returns ns per increment per
 * process. */
static double run_procs(int nproc, long n, uint64_t *shared,
			int use_handle)
{
	int pipes[2];
	double t0, t1;

	if (pipe(pipes) < 0)
		return -1;
	t0 = now_s();
	for (int p = 0; p < nproc; p++) {
		if (fork() == 0) {
			char go;
			/* Start together: wait for the parent's byte. */
			close(pipes[1]);
			if (read(pipes[0], &go, 1) != 1)
				_exit(1);
			if (use_handle)
				handle_loop(n);
			else
				baseline_loop(shared, n);
			_exit(0);
		}
	}
	close(pipes[0]);
	t0 = now_s();
	for (int p = 0; p < nproc; p++)
		if (write(pipes[1], "g", 1) != 1)
			return -1;
	for (int p = 0; p < nproc; p++)
		wait(NULL);
	t1 = now_s();
	close(pipes[1]);
	return (t1 - t0) * 1e9 / n;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 50000000L;
	uint64_t *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char dir[] = "/tmp/tmwatch-bench-XXXXXX";
	double t0, base, hnd, named, base2, hnd2;
	long nnamed = n / 20;

	if (anon == MAP_FAILED)
		return 1;
	if (!getenv("TMWATCH_DIR")) {
		if (!mkdtemp(dir))
			return 1;
		setenv("TMWATCH_DIR", dir, 1);
	}
	/* Resolve the handle and warm up both paths. */
	tm_counter_handle_inc(&handle);
	baseline_loop(anon, 1000000);
	handle_loop(1000000);

	t0 = now_s();
	baseline_loop(anon, n);
	base = (now_s() - t0) * 1e9 / n;
	t0 = now_s();
	handle_loop(n);
	hnd = (now_s() - t0) * 1e9 / n;
	t0 = now_s();
	named_loop(nnamed);
	named = (now_s() - t0) * 1e9 / nnamed;

	base2 = run_procs(2, n / 4, anon, 0);
	hnd2 = run_procs(2, n / 4, anon, 1);

	printf("counter increment, single process (%ld iterations)\n", n);
	printf("  baseline relaxed atomic add (anon mapping): %6.2f ns\n",
	       base);
	printf("  tm_counter_handle_inc:                      %6.2f ns  "
	       "ratio %.2fx (target <= 2x)\n", hnd, hnd / base);
	printf("  tm_counter_inc(name):                       %6.2f ns  "
	       "ratio %.2fx\n", named, named / base);
	printf("two processes, same counter (contention)\n");
	printf("  baseline relaxed atomic add:                %6.2f ns\n",
	       base2);
	printf("  tm_counter_handle_inc:                      %6.2f ns  "
	       "ratio %.2fx\n", hnd2, hnd2 / base2);
	if (strcmp(dir, "/tmp/tmwatch-bench-XXXXXX") != 0) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}

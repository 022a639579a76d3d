/* SPDX-License-Identifier: MIT */
/* bench_store_open.c -- cost of opening the store and the first increment
 * in a new process (target, issue 2: median <= 100 us), measured inside
 * freshly exec'd processes (so nothing of the store is inherited) against
 * a baseline from the same run: the bare syscalls any mapped store needs
 * (open + fstat + mmap + add + munmap + close of an existing counter
 * file), also in a fresh process.
 *
 * usage: bench_store_open [RUNS]   (default 300)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tmwatch/counter.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* In a fresh process (argv: self --child WHAT PATH FD): measures WHAT
 * and writes the microseconds to FD. */
static int child_main(int what, const char *path, int fd)
{
	double t0 = now_us(), t;

	if (what == 0) {
		int cfd = open(path, O_RDWR | O_CLOEXEC);
		struct stat st;

		fstat(cfd, &st);
		void *m = mmap(NULL, (size_t)st.st_size,
			       PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
		__atomic_fetch_add((uint64_t *)m + 1024, 1, __ATOMIC_RELAXED);
		munmap(m, (size_t)st.st_size);
		close(cfd);
	} else {
		tm_counter_inc("bench/first");
	}
	t = now_us() - t0;
	return write(fd, &t, sizeof t) == sizeof t ? 0 : 1;
}

/* Runs one fresh process doing WHAT; returns the microseconds it
 * measured. */
static double child_time(int what, const char *path)
{
	char whats[8], fds[16];
	int p[2];
	double us = -1;

	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		snprintf(whats, sizeof whats, "%d", what);
		snprintf(fds, sizeof fds, "%d", p[1]);
		execl("/proc/self/exe", "bench_store_open", "--child", whats,
		      path ? path : "-", fds, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	if (read(p[0], &us, sizeof us) != sizeof us)
		us = -1;
	close(p[0]);
	waitpid(pid, NULL, 0);
	return us;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 300;
	double *base = calloc((size_t)runs, sizeof *base);
	double *first = calloc((size_t)runs, sizeof *first);
	char dir[] = "/tmp/tmwatch-bench-open-XXXXXX", path[4096];

	if (argc == 5 && strcmp(argv[1], "--child") == 0)
		return child_main(atoi(argv[2]), argv[3], atoi(argv[4]));
	if (!base || !first || !mkdtemp(dir))
		return 1;
	setenv("TMWATCH_DIR", dir, 1);
	/* The first child creates the store; the measured ones open it, as
	 * every process after the first does. */
	child_time(1, NULL);
	if (tm_counter_file_path(path, sizeof path) != 0)
		return 1;
	/* The parent opened the store above; children are exec'd, so they
	 * start from nothing. */
	for (int i = 0; i < runs; i++) {
		base[i] = child_time(0, path);
		first[i] = child_time(1, NULL);
	}
	qsort(base, (size_t)runs, sizeof *base, cmp);
	qsort(first, (size_t)runs, sizeof *first, cmp);
	printf("store open + first increment in a new process (%d runs)\n",
	       runs);
	printf("  baseline open+fstat+mmap+add+munmap: median %7.1f us  "
	       "p99 %7.1f us\n", base[runs / 2], base[runs * 99 / 100]);
	printf("  tm_counter_inc, first call:          median %7.1f us  "
	       "p99 %7.1f us  ratio %.1fx (target: median <= 100 us)\n",
	       first[runs / 2], first[runs * 99 / 100],
	       first[runs / 2] / base[runs / 2]);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}

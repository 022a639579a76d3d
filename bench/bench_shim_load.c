/* SPDX-License-Identifier: MIT */
/* bench_shim_load.c -- what libtmwatch-preload.so costs a process at start:
 * (1) the constructor's work (channel check, record buffer, alternate
 * stack, seven handlers) timed in a freshly exec'd process through the capture
 * objects the shim is built from, against timing nothing; (2) dlopen
 * of the shim in a fresh child (loading, relocation and constructor);
 * (3) posix_spawn+wait of /bin/true with the shim preloaded (under a
 * channel, so no re-exec) against without. Medians over N runs each
 * (default 400), interleaved. Target (issue 3): constructor <= 50 us.
 *
 * usage: bench_shim_load [RUNS]; finds the shim via TMWATCH_SHIM or
 * ../lib/libtmwatch-preload.so next to this binary.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <spawn.h>
#include <time.h>
#include <unistd.h>

#include "../preload/capture.h"

extern char **environ;

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

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[n / 2];
}

static const char *find_shim(void)
{
	static char buf[PATH_MAX + 64];
	const char *env = getenv("TMWATCH_SHIM");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(buf, sizeof(buf), "%s/../lib/libtmwatch-preload.so", self);
	return access(buf, R_OK) == 0 ? buf : NULL;
}

/* A channel exactly as the watchdog makes it, so the shim installs
 * capture instead of re-executing under tmwatch. */
static void make_channel(int sv[2])
{
	struct stat st;
	char buf[64];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0 ||
	    fstat(sv[1], &st) != 0) {
		perror("bench_shim_load: socketpair");
		exit(1);
	}
	snprintf(buf, sizeof(buf), "%d", sv[1]);
	setenv("TMWATCH_FD", buf, 1);
	snprintf(buf, sizeof(buf), "%lu:%lu", (unsigned long)st.st_dev,
		 (unsigned long)st.st_ino);
	setenv("TMWATCH_FD_INO", buf, 1);
	unsetenv("TMWATCH_DISABLE");
}

/* The constructor's work (what shim_main.c does under a watchdog) in
 * this fresh exec'd process; prints microseconds. */
static int ctor_child(int work)
{
	unsigned long dev, ino;
	double t0 = now_us();
	int fd;

	if (work) {
		fd = tm__capture_channel_from_env(&dev, &ino);
		if (fd < 0 || tm__capture_install(fd, dev, ino, sigaction,
						  NULL))
			return 1;
	}
	printf("%f\n", now_us() - t0);
	return 0;
}

/* Runs this binary as a fresh process to time the constructor's work
 * (WORK) or nothing, and reads its answer. */
static double time_ctor(int work)
{
	char *argv[] = { "bench_shim_load", work ? "--ctor" : "--empty",
			 NULL };
	posix_spawn_file_actions_t fa;
	char buf[64] = "";
	double us = -1;
	int p[2];
	pid_t pid;

	if (pipe(p) != 0)
		exit(1);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	unsetenv("LD_PRELOAD");
	if (posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ))
		exit(1);
	close(p[1]);
	if (read(p[0], buf, sizeof(buf) - 1) > 0)
		us = atof(buf);
	close(p[0]);
	waitpid(pid, NULL, 0);
	posix_spawn_file_actions_destroy(&fa);
	return us;
}

/* In a child: microseconds spent in dlopen of LIB, through a pipe. */
static double time_dlopen(const char *lib)
{
	int p[2];
	double us = -1;
	pid_t pid;

	if (pipe(p) != 0)
		exit(1);
	pid = fork();
	if (pid == 0) {
		double t0 = now_us(), t1;
		void *h = lib ? dlopen(lib, RTLD_NOW) : NULL;

		t1 = now_us();
		(void)h;
		us = t1 - t0;
		(void)!write(p[1], &us, sizeof(us));
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &us, sizeof(us)) != sizeof(us))
		us = -1;
	close(p[0]);
	waitpid(pid, NULL, 0);
	return us;
}

static double time_spawn(int preload, const char *shim)
{
	char *argv[] = { "true", NULL };
	double t0;
	pid_t pid;

	if (preload)
		setenv("LD_PRELOAD", shim, 1);
	else
		unsetenv("LD_PRELOAD");
	t0 = now_us();
	if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) != 0)
		exit(1);
	waitpid(pid, NULL, 0);
	return now_us() - t0;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 400, i, sv[2];
	const char *shim;
	double *base, *with, *sb, *sw, *cb, *cw, mb, mw, msb, msw, mcb, mcw;

	if (argc > 1 && strcmp(argv[1], "--ctor") == 0)
		return ctor_child(1);
	if (argc > 1 && strcmp(argv[1], "--empty") == 0)
		return ctor_child(0);
	shim = find_shim();
	if (!shim || runs < 10) {
		fprintf(stderr, "usage: bench_shim_load [RUNS >= 10] (set "
			"TMWATCH_SHIM)\n");
		return 2;
	}
	make_channel(sv);
	base = calloc((size_t)runs, sizeof(double));
	with = calloc((size_t)runs, sizeof(double));
	sb = calloc((size_t)runs, sizeof(double));
	sw = calloc((size_t)runs, sizeof(double));
	cb = calloc((size_t)runs, sizeof(double));
	cw = calloc((size_t)runs, sizeof(double));
	for (i = 0; i < runs; i++) {
		cb[i] = time_ctor(0);
		cw[i] = time_ctor(1);
		base[i] = time_dlopen(NULL);
		with[i] = time_dlopen(shim);
		sb[i] = time_spawn(0, shim);
		sw[i] = time_spawn(1, shim);
	}
	mb = median(base, runs);
	mw = median(with, runs);
	msb = median(sb, runs);
	msw = median(sw, runs);
	mcb = median(cb, runs);
	mcw = median(cw, runs);
	printf("shim: %s, %d runs each, medians\n", shim, runs);
	printf("constructor work (fresh process): baseline %.1f us, capture "
	       "%.1f us, cost %.1f us (target <= 50 us): %s\n", mcb, mcw,
	       mcw - mcb, mcw - mcb <= 50 ? "ok" : "OVER");
	printf("dlopen of the shim (fresh child, incl. relocation): "
	       "baseline %.1f us, shim %.1f us, cost %.1f us\n", mb, mw,
	       mw - mb);
	printf("posix_spawn+wait /bin/true: bare %.1f us, with shim %.1f us, "
	       "ratio %.3f, cost %.1f us\n", msb, msw, msw / msb, msw - msb);
	return 0;
}

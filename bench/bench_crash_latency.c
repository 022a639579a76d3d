/* SPDX-License-Identifier: MIT */
/* bench_crash_latency.c -- crash-to-counter latency through the real
 * tmwatch (issue 4 target: median <= 20 ms for small programs): from the
 * instant before the fault to the crashed child's death, by which time
 * the watchdog has unwound, symbolized and counted it (it counts while
 * the child waits). Against the same crash bare (no tmwatch). Three
 * figures:
 *   warm: RUNS crashes of forked children under one watchdog (what a
 *     crash storm or a long-lived service sees);
 *   cold: one crash per fresh watchdog (tmwatch started for each), RUNS/4
 *     times, the persistent symbolization cache emptied before each:
 *     what the first crash of a command on a machine sees; for a crash
 *     in the program and one inside libc's strlen, with and without
 *     libc6-dbg (TMWATCH_NO_SYSTEM_DEBUG=1), and tmwatch's own start to
 *     exit (the local log's system debug info is read after the ack);
 *   cold, warm cache: the same, with the cache ($XDG_STATE_HOME/tmwatch/
 *     symcache) filled by an earlier watchdog: what a command crashing
 *     again at a PC seen before sees;
 *   large: a generated program with >= 50 MB of DWARF, cold, with the
 *     watchdog's peak RSS (wait4 of the tmwatch process).
 * Every run checks the crash/crash counter equals the crashes made.
 *
 * usage: bench_crash_latency [RUNS] [--no-large] (default 200). Finds
 * tmwatch through TMWATCH_BIN or ../bin/tmwatch next to this binary.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

static char tmwatch[PATH_MAX + 64], self[PATH_MAX], store[PATH_MAX];
static char symcache[PATH_MAX];

/* Empties the persistent symbolization cache (the watchdog recreates
 * it), so that a cold run pays for DWARF. */
static void clear_symcache(void)
{
	DIR *d = opendir(symcache);
	struct dirent *e;
	char path[PATH_MAX + 256];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", symcache, e->d_name);
		unlink(path);
	}
	closedir(d);
}

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("%-34s median %7.2f ms  p99 %7.2f ms  (n=%d)\n", what,
	       v[n / 2] / 1000, v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1]
	       / 1000, n);
}

__attribute__((noinline)) static void write_null(volatile int *p)
{
	*p = 1;
}

/* strlen(NULL): a fault inside libc's IFUNC-chosen strlen. */
__attribute__((noinline)) static size_t in_libc(const char *volatile *s)
{
	return strlen(*s);
}

/* --children N OUT [libc]: N forked children crash one after the other
 * (writing through NULL in their own code, or inside strlen with
 * "libc"); each stamps the time before its fault in shared memory; the
 * latencies (us) go to OUT, one a line. Runs under tmwatch or bare. */
static int children(int n, const char *out, int libc)
{
	volatile double *stamp = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	FILE *f = fopen(out, "w");

	if (stamp == MAP_FAILED || !f)
		return 2;
	for (int i = 0; i < n; i++) {
		int st;
		pid_t pid = fork();

		if (pid == 0) {
			const char *volatile nul = NULL;

			*stamp = now_us();
			if (libc)
				_exit((int)in_libc(&nul));
			write_null(NULL);
			_exit(0);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid ||
		    !WIFSIGNALED(st))
			return 3;
		fprintf(f, "%.1f\n", now_us() - *stamp);
	}
	return fclose(f) == 0 ? 0 : 4;
}

/* Runs ARGV (under tmwatch when WRAPPED), returns its status; the
 * tmwatch process's peak RSS (kB) in *MAXRSS. */
static int run(char **argv, long *maxrss)
{
	struct rusage ru;
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &st, 0, &ru) != pid)
		return -1;
	if (maxrss && ru.ru_maxrss > *maxrss)
		*maxrss = ru.ru_maxrss;
	return st;
}

static int read_latencies(const char *path, double *v, int cap)
{
	FILE *f = fopen(path, "r");
	int n = 0;

	while (f && n < cap && fscanf(f, "%lf", &v[n]) == 1)
		n++;
	if (f)
		fclose(f);
	return n;
}

static void check_count(const char *what, uint64_t want)
{
	uint64_t got = bench_take_crash_counts(store);

	if (got != want) {
		printf("%s: COUNTED %llu OF %llu CRASHES\n", what,
		       (unsigned long long)got, (unsigned long long)want);
		exit(1);
	}
}

/* Writes a C program with NFILES translation units of NTYPES distinct
 * structs each (big DWARF), the crash in the last, and builds it -g.
 * Returns 0. */
static int make_large(const char *dir, const char *bin)
{
	enum { NFILES = 40, NTYPES = 1700, NFIELDS = 24 };
	char path[PATH_MAX + 32], *cmd;
	size_t cl = 0;

	cmd = malloc(NFILES * (PATH_MAX + 40) + 4 * PATH_MAX);
	cl += (size_t)sprintf(cmd, "cc -g -O0 -o '%s'", bin);
	for (int f = 0; f < NFILES; f++) {
		FILE *o;

		snprintf(path, sizeof path, "%s/big%d.c", dir, f);
		o = fopen(path, "w");
		if (!o)
			return -1;
		for (int t = 0; t < NTYPES; t++) {
			fprintf(o, "struct s%d_%d {", f, t);
			for (int k = 0; k < NFIELDS; k++)
				fprintf(o, " long field_%d_%d_%d;", f, t, k);
			fprintf(o, " };\nlong use%d_%d(struct s%d_%d *p)"
				" { return p->field_%d_%d_0; }\n", f, t, f, t,
				f, t);
		}
		if (f == NFILES - 1)
			fprintf(o, "__attribute__((noinline)) void crash(void)"
				"\n{\n\t*(volatile int *)0 = 1;\n}\n"
				"int main(void) { crash(); return 0; }\n");
		fclose(o);
		cl += (size_t)sprintf(cmd + cl, " '%s'", path);
	}
	printf("generating and compiling a large program (%d units)...\n",
	       NFILES);
	fflush(stdout);
	if (system(cmd) != 0)
		return -1;
	free(cmd);
	return 0;
}

static long file_debug_size(const char *bin)
{
	char cmd[PATH_MAX + 64], line[512];
	long total = 0;
	FILE *p;

	snprintf(cmd, sizeof cmd, "size -A '%s'", bin);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof line, p)) {
		char name[128];
		long sz;

		if (sscanf(line, "%127s %ld", name, &sz) == 2 &&
		    strncmp(name, ".debug", 6) == 0)
			total += sz;
	}
	if (p)
		pclose(p);
	return total;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 && argv[1][0] != '-' ? atoi(argv[1]) : 200;
	int large = !(argc > 2 && strcmp(argv[2], "--no-large") == 0);
	char tmp[] = "/tmp/bench_crash_latency.XXXXXX", out[PATH_MAX], n[16];
	double *v;
	const char *env = getenv("TMWATCH_BIN");
	ssize_t sl;
	long rss = 0;
	int got, cold;

	if (argc > 3 && strcmp(argv[1], "--children") == 0)
		return children(atoi(argv[2]), argv[3],
				argc > 4 && strcmp(argv[4], "libc") == 0);
	sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl <= 0 || runs < 4)
		return 2;
	self[sl] = '\0';
	if (env)
		snprintf(tmwatch, sizeof tmwatch, "%s", env);
	else
		snprintf(tmwatch, sizeof tmwatch, "%.*s/../bin/tmwatch",
			 (int)(strrchr(self, '/') - self), self);
	if (!mkdtemp(tmp))
		return 2;
	snprintf(store, sizeof store, "%s/store", tmp);
	setenv("TMWATCH_DIR", store, 1);
	setenv("XDG_STATE_HOME", tmp, 1);
	snprintf(symcache, sizeof symcache, "%s/tmwatch/symcache", tmp);
	setenv("TMWATCH_QUIET", "1", 1);
	snprintf(out, sizeof out, "%s/lat", tmp);
	v = calloc((size_t)runs, sizeof(*v));
	printf("tmwatch: %s\n", tmwatch);

	{
		char *bare[] = { self, "--children", n, out, NULL };

		snprintf(n, sizeof n, "%d", runs);
		run(bare, NULL);
		got = read_latencies(out, v, runs);
		report("bare fault-to-death", v, got);
	}
	{
		char *wrapped[] = { tmwatch, "-q", self, "--children", n, out,
				    NULL };

		rss = 0;
		run(wrapped, &rss);
		got = read_latencies(out, v, runs);
		report("warm (one watchdog, N crashes)", v, got);
		check_count("warm", (uint64_t)runs);
		printf("%-34s %ld kB\n", "  peak RSS of tmwatch", rss);
	}
	cold = runs / 4;
	/* Crash to counter, cold (a fresh watchdog, empty symbolization
	 * cache) and with a cache an earlier watchdog filled: for a crash
	 * in the program's code and one inside libc (strlen), with the
	 * machine's libc6-dbg and without (TMWATCH_NO_SYSTEM_DEBUG=1). The
	 * counter needs no system debug info (naming rule v2); the local
	 * log reads it after the child was let go, which the wall time of
	 * tmwatch (start to exit) shows. */
	for (int k = 0; k < 4; k++) {
		int libc = k & 1, nodebug = k >> 1;
		char *wrapped[] = { tmwatch, "-q", self, "--children", "1",
				    out, libc ? "libc" : NULL, NULL };
		char what[96];
		double *wall = calloc((size_t)cold, sizeof(*wall));

		if (nodebug)
			setenv("TMWATCH_NO_SYSTEM_DEBUG", "1", 1);
		else
			unsetenv("TMWATCH_NO_SYSTEM_DEBUG");
		printf("-- crash %s, %s\n", libc ? "inside libc (strlen)" :
		       "in the program", nodebug ? "without libc6-dbg" :
		       "with libc6-dbg");
		rss = 0;
		for (int i = 0; i < cold; i++) {
			double t0 = now_us();

			clear_symcache();
			run(wrapped, &rss);
			wall[i] = now_us() - t0;
			if (read_latencies(out, &v[i], 1) != 1)
				return 3;
		}
		report("cold (one watchdog per crash)", v, cold);
		report("  tmwatch start to exit", wall, cold);
		snprintf(what, sizeof what, "cold %d/%d", libc, nodebug);
		check_count(what, (uint64_t)cold);
		printf("%-34s %ld kB\n", "  peak RSS of tmwatch", rss);
		/* The last cold run filled the cache. */
		rss = 0;
		for (int i = 0; i < cold; i++) {
			run(wrapped, &rss);
			if (read_latencies(out, &v[i], 1) != 1)
				return 3;
		}
		report("cold, warm symbolization cache", v, cold);
		check_count(what, (uint64_t)cold);
		printf("%-34s %ld kB\n", "  peak RSS of tmwatch", rss);
		free(wall);
	}
	unsetenv("TMWATCH_NO_SYSTEM_DEBUG");
	if (large) {
		char bin[PATH_MAX + 16];
		char *wrapped[] = { tmwatch, "-q", bin, NULL };
		int nl = 10;

		snprintf(bin, sizeof bin, "%s/large", tmp);
		if (make_large(tmp, bin) != 0) {
			printf("large: cannot build the generated program\n");
		} else {
			printf("large program: %.1f MB of DWARF\n",
			       file_debug_size(bin) / 1e6);
			rss = 0;
			for (int i = 0; i < nl; i++) {
				double t0;

				clear_symcache();
				t0 = now_us();

				run(wrapped, &rss);
				v[i] = now_us() - t0;
			}
			report("large, cold, start-to-death", v, nl);
			check_count("large", (uint64_t)nl);
			printf("%-34s %ld kB\n", "  peak RSS of tmwatch", rss);
		}
	}
	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
		if (system(cmd) != 0)
			return 1;
	}
	free(v);
	return 0;
}

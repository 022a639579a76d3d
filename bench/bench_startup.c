/* SPDX-License-Identifier: MIT */
/* bench_startup.c -- what linking libtmwatch costs a program's start-up
 * (issue 12): posix_spawn + wait of startup_prog.c built several ways,
 * all in this run, interleaved, medians over RUNS each (default 300):
 *   linked / bare   links libtmwatch.so, never calls it (target <= 1.03)
 *   count / bare    counts one event into a warm store (target <= 1.10)
 *   emptylib / bare links an empty shared library laid out like ours: the
 *                   dynamic loader's cost for any one library, the floor
 *                   of "linked"
 *   floor / bare    the system calls and page faults of a first count
 *                   made by hand, without libtmwatch (startup_floor.c):
 *                   the floor of "count" for Go's file layout
 *   *_inst          as installed: the library found through the loader's
 *                   cache, as a package installs it. The build tree's
 *                   RUNPATH makes glibc probe ten hwcaps and tls
 *                   directories per library first, which no installed
 *                   program pays. Needs root (a private mount namespace
 *                   with a cache that knows the build's directories);
 *                   else those rows are skipped, saying so.
 *   *_a             the same with libtmwatch.a
 *   first run       libtmwatch.a counting into a store that does not exist
 *                   yet (a fresh directory each run): a new user's first
 *                   count, which creates it
 *   peak RSS        of the counting program against the bare one
 *   stack counter   first tm_stack_counter_inc of a process (loads the
 *                   symbolizer module) and the mean of 5000 later ones
 *                   at the same site, median of RUNS/10 processes
 * The store is a fresh directory, warmed by one run, so the figure is a
 * program's start on a day its counter file exists.
 *
 * usage: bench_startup [RUNS]; finds startup_* next to itself.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <sched.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <errno.h>
#include <unistd.h>

extern char **environ;

enum { BARE, EMPTYLIB, LINKED, COUNT, LINKED_A, COUNT_A, FLOOR, FIRST_RUN,
       EMPTYLIB_INST, LINKED_INST, COUNT_INST, NPROG };
/* FIRST_RUN is startup_count_a with TMWATCH_DIR naming a directory that
 * does not exist yet: a new user's first count, which creates the store
 * (directories, the weekends file, the week's counter file). */
static const char *const names[NPROG] = {
	"startup_bare", "startup_emptylib", "startup_linked", "startup_count",
	"startup_linked_a", "startup_count_a", "startup_floor",
	"startup_count_a", "startup_emptylib_inst", "startup_linked_inst",
	"startup_count_inst",
};

/* Gives this process (and what it spawns) a loader cache that also knows
 * the build's library directories, in a private mount namespace: ldconfig
 * writes the cache, which is bind-mounted over /etc/ld.so.cache. Returns
 * 0, or -1 with WHY. */
static int enter_installed_view(const char *dir, const char *tmp, char *why,
				size_t cap)
{
	char conf[PATH_MAX], cache[PATH_MAX], lib[PATH_MAX + 8];
	char cmd[3 * PATH_MAX + 64];
	FILE *f;

	snprintf(lib, sizeof lib, "%s/../lib", dir);
	snprintf(conf, sizeof conf, "%s/ld.so.conf", tmp);
	snprintf(cache, sizeof cache, "%s/ld.so.cache", tmp);
	f = fopen(conf, "w");
	if (!f) {
		snprintf(why, cap, "cannot write the loader configuration: "
			 "%s", strerror(errno));
		return -1;
	}
	fprintf(f, "include /etc/ld.so.conf\n%s\n%s\n", lib, dir);
	fclose(f);
	snprintf(cmd, sizeof cmd, "PATH=/usr/sbin:/sbin:$PATH ldconfig -X "
		 "-C '%s' -f '%s'", cache, conf);
	if (system(cmd) != 0) {
		snprintf(why, cap, "ldconfig failed");
		return -1;
	}
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount(cache, "/etc/ld.so.cache", NULL, MS_BIND, NULL) != 0) {
		snprintf(why, cap, "a private mount namespace needs root: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* Points BENCH_FLOOR_FILE at a counter file in STORE/local (the warm-up
 * made them). */
static int set_floor_file(const char *store)
{
	char local[PATH_MAX + 8];
	struct dirent *e;
	DIR *d;
	int found = 0;

	snprintf(local, sizeof local, "%s/local", store);
	d = opendir(local);
	while (d && (e = readdir(d)) && !found) {
		if (strstr(e->d_name, ".v1.count")) {
			setenv("BENCH_FLOOR_FILE", e->d_name, 1);
			found = 1;
		}
	}
	if (d)
		closedir(d);
	return found ? 0 : -1;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Spawns PATH, waits; returns the wall time in us and *RSS_KB. OUT (may
 * be NULL) gets the first line the program prints. */
static double run(const char *path, long *rss_kb, char *out, size_t cap)
{
	char *argv[] = { (char *)path, NULL };
	posix_spawn_file_actions_t fa;
	struct rusage ru;
	int p[2] = { -1, -1 }, st;
	double t0, t;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	if (out) {
		if (pipe(p) != 0)
			exit(1);
		posix_spawn_file_actions_adddup2(&fa, p[1], 1);
		posix_spawn_file_actions_addclose(&fa, p[0]);
	}
	t0 = now_us();
	if (posix_spawn(&pid, path, &fa, NULL, argv, environ) != 0) {
		fprintf(stderr, "bench_startup: cannot run %s; build the "
			"bench targets first\n", path);
		exit(1);
	}
	if (wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench_startup: %s failed\n", path);
		exit(1);
	}
	t = now_us() - t0;
	posix_spawn_file_actions_destroy(&fa);
	if (out) {
		ssize_t n;

		close(p[1]);
		n = read(p[0], out, cap - 1);
		out[n > 0 ? n : 0] = '\0';
		close(p[0]);
	}
	if (rss_kb)
		*rss_kb = ru.ru_maxrss;
	return t;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 300, sruns;
	char dir[PATH_MAX], path[NPROG][PATH_MAX + 32], stack[PATH_MAX + 32];
	char store[] = "/tmp/tmwatch-bench-startup-XXXXXX", line[128];
	char tmp[] = "/tmp/tmwatch-bench-ldcache-XXXXXX", why[256] = "";
	double *t[NPROG], med[NPROG], *first, *later;
	double *first_bare;
	int inst, first_runs;
	long rss[NPROG] = { 0 }, r;
	ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);

	if (runs < 10 || n <= 0)
		return 2;
	dir[n] = '\0';
	*strrchr(dir, '/') = '\0';
	for (int k = 0; k < NPROG; k++) {
		snprintf(path[k], sizeof path[k], "%s/%s", dir, names[k]);
		t[k] = calloc((size_t)runs, sizeof(double));
	}
	snprintf(stack, sizeof stack, "%s/startup_stack", dir);
	if (!mkdtemp(store))
		return 2;
	setenv("TMWATCH_DIR", store, 1);
	inst = mkdtemp(tmp) && enter_installed_view(dir, tmp, why,
						     sizeof why) == 0;
	setenv("TMWATCH_QUIET", "1", 1);
	unsetenv("TMWATCH_DISABLE");
	unsetenv("TMWATCH_TELEMETRY");
	/* Warm: the counter files exist, the page cache holds the files. */
	for (int k = 0; k < NPROG; k++)
		if (k != FLOOR && k != FIRST_RUN &&
		    (inst || k < EMPTYLIB_INST))
			run(path[k], NULL, NULL, 0);
	run(stack, NULL, line, sizeof line);
	if (set_floor_file(store) != 0)
		return 1;
	for (int i = 0; i < runs; i++)
		for (int k = 0; k < NPROG; k++) {
			if (k == FIRST_RUN || (!inst && k >= EMPTYLIB_INST))
				continue;
			t[k][i] = run(path[k], &r, NULL, 0);
			if (r > rss[k])
				rss[k] = r;
		}
	/* A new user's first count, in a loop of its own against bare: its
	 * fsyncs leave the file system busy for a while, which would slow
	 * whatever ran next in the loop above. A new directory each run, all
	 * removed with the store at the end. */
	first_runs = runs / 4;
	first_bare = calloc((size_t)first_runs, sizeof(double));
	for (int i = 0; i < first_runs; i++) {
		char fresh[sizeof store + 32];

		first_bare[i] = run(path[BARE], NULL, NULL, 0);
		snprintf(fresh, sizeof fresh, "%s/new%d", store, i);
		setenv("TMWATCH_DIR", fresh, 1);
		t[FIRST_RUN][i] = run(path[FIRST_RUN], NULL, NULL, 0);
		setenv("TMWATCH_DIR", store, 1);
	}
	for (int k = 0; k < NPROG; k++)
		med[k] = k == FIRST_RUN ? median(t[k], first_runs) :
			 inst || k < EMPTYLIB_INST ? median(t[k], runs) : 0;
	sruns = runs / 10;
	first = calloc((size_t)sruns, sizeof(double));
	later = calloc((size_t)sruns, sizeof(double));
	for (int i = 0; i < sruns; i++) {
		long long f = 0, l = 0;

		run(stack, NULL, line, sizeof line);
		if (sscanf(line, "%lld %lld", &f, &l) != 2)
			return 1;
		first[i] = f / 1e3;
		later[i] = l / 1e3;
	}
	printf("start-up, median of %d spawn+wait each (interleaved):\n",
	       runs);
	printf("  bare (no libtmwatch)        %8.1f us\n", med[BARE]);
	printf("  floor of a first count      %8.1f us  ratio %.3f (its "
	       "system calls by hand, no libtmwatch)\n", med[FLOOR],
	       med[FLOOR] / med[BARE]);
	if (inst) {
		printf(" installed (found through the loader's cache):\n");
		printf("  an empty shared library     %8.1f us  ratio %.3f "
		       "(the loader's floor)\n", med[EMPTYLIB_INST],
		       med[EMPTYLIB_INST] / med[BARE]);
		printf("  libtmwatch.so, never called %8.1f us  ratio %.3f "
		       "(target <= 1.03; %.3f of the empty library)\n",
		       med[LINKED_INST], med[LINKED_INST] / med[BARE],
		       med[LINKED_INST] / med[EMPTYLIB_INST]);
		printf("  libtmwatch.so, counts one   %8.1f us  ratio %.3f "
		       "(target <= 1.10; %.3f of the floor)\n",
		       med[COUNT_INST], med[COUNT_INST] / med[BARE],
		       med[COUNT_INST] / med[FLOOR]);
	} else {
		printf(" installed rows skipped: %s\n", why);
	}
	printf(" build tree (RUNPATH; glibc probes hwcaps directories "
	       "first):\n");
	printf("  an empty shared library     %8.1f us  ratio %.3f\n",
	       med[EMPTYLIB], med[EMPTYLIB] / med[BARE]);
	printf("  libtmwatch.so, never called %8.1f us  ratio %.3f "
	       "(%.3f of the empty library)\n", med[LINKED],
	       med[LINKED] / med[BARE], med[LINKED] / med[EMPTYLIB]);
	printf("  libtmwatch.so, counts one   %8.1f us  ratio %.3f\n",
	       med[COUNT], med[COUNT] / med[BARE]);
	printf(" static archive:\n");
	printf("  libtmwatch.a, never called  %8.1f us  ratio %.3f "
	       "(target <= 1.03)\n", med[LINKED_A], med[LINKED_A] / med[BARE]);
	printf("  libtmwatch.a, counts one    %8.1f us  ratio %.3f "
	       "(target <= 1.10; %.3f of the floor)\n", med[COUNT_A],
	       med[COUNT_A] / med[BARE], med[COUNT_A] / med[FLOOR]);
	printf("  ... into an empty store     %8.1f us  ratio %.3f (a new "
	       "user's first count, which creates the store; against bare "
	       "in a loop of %d of its own)\n", med[FIRST_RUN],
	       med[FIRST_RUN] / median(first_bare, first_runs), first_runs);
	printf("peak RSS: bare %ld KiB, linked %ld KiB, counting %ld KiB "
	       "(ratio %.3f), counting with libtmwatch.a %ld KiB (ratio "
	       "%.3f)\n", rss[BARE], rss[LINKED], rss[COUNT],
	       (double)rss[COUNT] / (double)rss[BARE], rss[COUNT_A],
	       (double)rss[COUNT_A] / (double)rss[BARE]);
	printf("tm_stack_counter_inc, median of %d processes: first %.1f us "
	       "(loads the symbolizer), later %.3f us (mean of 5000)\n", sruns,
	       median(first, sruns), median(later, sruns));
	{
		char cmd[sizeof store + sizeof tmp + 16];

		snprintf(cmd, sizeof cmd, "rm -rf %s %s", store, tmp);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* bench_stacks.c -- the maintainer's side at scale (issue 10):
 *
 *  1. `tmwatch stacks --json` over 30 days of merged data: 25 000, 50 000
 *     and 100 000 reports with 2 500, 5 000 and 10 000 distinct stacks
 *     (3 stacks and 2 counters per report, 2 versions). Prints wall time
 *     and peak RSS (the child's ru_maxrss) of each; baseline: the 25 000
 *     run. Linear growth shows as ratios near 2 and 4. Targets: under 5 s
 *     and 500 MB at 100 000.
 *  2. `tmwatch-collector merge` of one day of 25 000 and 100 000 stored
 *     reports (one file each). Baseline: reading the same files
 *     (open/read/close) in this process, no validation, no write.
 *
 * Generating the data is not timed. tmwatch and tmwatch-collector are
 * found next to this binary (BUILD/bench/ -> BUILD/bin/).
 *
 * usage: bench_stacks [REPORTS]   (default 100000; 1/4 and 1/2 also run)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char bindir[PATH_MAX + 8];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* report writes one report line (no newline) into F. */
static void report(FILE *f, const char *week, long stacks)
{
	const char *ver = next() % 3 ? "2.1.0" : "2.0.0";

	fprintf(f, "{\"Week\":\"%s\",\"LastWeek\":\"\",\"X\":0.%015llu,"
		"\"Programs\":[{\"Program\":\"bench-tool\",\"Version\":\"%s\","
		"\"GoVersion\":\"gcc12.2.0\",\"GOOS\":\"linux\",\"GOARCH\":"
		"\"amd64\",\"Counters\":{\"crash/signal:SIGSEGV\":%d,"
		"\"bench-tool/start\":%d},\"Stacks\":{", week,
		(unsigned long long)(next() % 1000000000000000ull), ver,
		(int)(next() % 3 + 1), (int)(next() % 50 + 1));
	for (int i = 0; i < 3; i++) {
		/* Skewed: low IDs are frequent, as real crashes are. */
		long id = (long)(next() % (uint64_t)stacks);

		if (i == 0)
			id = (long)(next() % (uint64_t)(stacks / 10 + 1));
		fprintf(f, "%s\"crash/crash\\nparse_item_%05ld:+%ld,+0x%lx\\n"
			"process_request:+12,+0x8c\\nrun:+3,+0x2f\\n"
			"main:+3,+0x27\\n__libc_start_call_main\\n_start\":%d",
			i ? "," : "", id, id % 40 + 1, (id * 7) % 4096,
			(int)(next() % 2 + 1));
	}
	fputs("}}],\"Config\":\"c1\"}", f);
}

static void day_name(int d, char out[11])
{
	time_t t = 1763942400 + (time_t)d * 86400;	/* 2025-11-24 */
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* make_merged writes DIR/merged/DAY.json for 30 days, REPORTS in all. */
static void make_merged(const char *dir, long reports, long stacks)
{
	char path[2 * PATH_MAX], day[11];

	snprintf(path, sizeof path, "%s/merged", dir);
	mkdir(dir, 0755);
	mkdir(path, 0755);
	for (int d = 0; d < 30; d++) {
		FILE *f;

		day_name(d, day);
		snprintf(path, sizeof path, "%s/merged/%s.json", dir, day);
		if (!(f = fopen(path, "w"))) {
			perror(path);
			exit(1);
		}
		for (long i = d; i < reports; i += 30) {
			report(f, day, stacks);
			fputc('\n', f);
		}
		fclose(f);
	}
}

/* run_child runs ARGV with stdout on /dev/null; returns seconds and the
 * peak RSS in MiB. */
static double run_child(char *const argv[], double *rss_mib)
{
	struct rusage ru;
	double t0 = now_s();
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st)) {
		fprintf(stderr, "bench_stacks: '%s' failed\n", argv[0]);
		exit(1);
	}
	*rss_mib = (double)ru.ru_maxrss / 1024.0;
	return now_s() - t0;
}

static double bench_stacks(const char *work, long reports, double *rss)
{
	char dir[PATH_MAX], tool[PATH_MAX + 16];
	char first[11], last[11];

	snprintf(dir, sizeof dir, "%s/stacks-%ld", work, reports);
	make_merged(dir, reports, reports / 10);
	snprintf(tool, sizeof tool, "%s/tmwatch", bindir);
	day_name(0, first);
	day_name(29, last);
	char *argv[] = { tool, "stacks", "--data", dir, "--program",
			 "bench-tool", "--since", first, "--until", last,
			 "--json", NULL };
	return run_child(argv, rss);
}

/* make_day writes REPORTS stored reports into DIR/DAY/. */
static void make_day(const char *dir, const char *day, long reports)
{
	char path[2 * PATH_MAX];

	mkdir(dir, 0755);
	snprintf(path, sizeof path, "%s/%s", dir, day);
	mkdir(path, 0755);
	for (long i = 0; i < reports; i++) {
		FILE *f;

		snprintf(path, sizeof path, "%s/%s/0.%09ld.json", dir, day, i);
		if (!(f = fopen(path, "w"))) {
			perror(path);
			exit(1);
		}
		report(f, day, 10000);
		fclose(f);
	}
}

static double read_all(const char *dir, const char *day)
{
	char path[3 * PATH_MAX], buf[65536];
	double t0 = now_s();
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof path, "%s/%s", dir, day);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		int fd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s/%s", dir, day, e->d_name);
		if ((fd = open(path, O_RDONLY)) < 0)
			continue;
		while (read(fd, buf, sizeof buf) > 0)
			;
		close(fd);
	}
	if (d)
		closedir(d);
	return now_s() - t0;
}

static double bench_merge(const char *work, long reports, double *base)
{
	char dir[PATH_MAX], tool[PATH_MAX + 32], day[11] = "2026-11-22";
	double rss;

	snprintf(dir, sizeof dir, "%s/merge-%ld", work, reports);
	make_day(dir, day, reports);
	snprintf(tool, sizeof tool, "%s/tmwatch-collector", bindir);
	*base = read_all(dir, day);
	char *argv[] = { tool, "merge", "--data", dir, "--date", day, NULL };
	return run_child(argv, &rss);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	char self[PATH_MAX], work[] = "/tmp/bench_stacks.XXXXXX";
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	double t[3], rss[3], mt[2], mbase[2];
	long sizes[3] = { n / 4, n / 2, n };
	char cmd[PATH_MAX + 16];

	if (len <= 0 || n < 100 || !mkdtemp(work)) {
		fprintf(stderr, "usage: bench_stacks [REPORTS >= 100]\n");
		return 2;
	}
	self[len] = '\0';
	/* BUILD/bench/bench_stacks -> BUILD/bin */
	for (int i = 0; i < 2; i++) {
		char *slash = strrchr(self, '/');

		if (!slash)
			return 1;
		*slash = '\0';
	}
	snprintf(bindir, sizeof bindir, "%s/bin", self);
	for (int i = 0; i < 3; i++) {
		t[i] = bench_stacks(work, sizes[i], &rss[i]);
		printf("stacks: %6ld reports, %5ld stacks, 30 days: %6.2f s, "
		       "peak RSS %6.1f MiB\n", sizes[i], sizes[i] / 10, t[i],
		       rss[i]);
	}
	printf("stacks: time ratio %ld/%ld = %.2f (linear: 4), RSS ratio "
	       "%.2f; %ld/%ld: time %.2f (linear: 2)\n", sizes[2], sizes[0],
	       t[2] / t[0], rss[2] / rss[0], sizes[1], sizes[0], t[1] / t[0]);
	printf("stacks: at %ld reports %s 5 s and %s 500 MB\n", n,
	       t[2] < 5 ? "under" : "OVER", rss[2] < 500 ? "under" : "OVER");
	for (int i = 0; i < 2; i++) {
		long r = i ? n : n / 4;

		mt[i] = bench_merge(work, r, &mbase[i]);
		printf("merge: one day of %6ld reports: %6.2f s (baseline, "
		       "reading the files only: %5.2f s, ratio %.1f)\n", r,
		       mt[i], mbase[i], mt[i] / mbase[i]);
	}
	printf("merge: time ratio %ld/%ld = %.2f (linear: 4)\n", n, n / 4,
	       mt[1] / mt[0]);
	snprintf(cmd, sizeof cmd, "rm -rf %s", work);
	return system(cmd) ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
/* bench_report.c -- how long building weekly reports takes, and that it
 * grows linearly: 250, 500 and 1 000 counter files of 100 counters each
 * (the last is 100 000 counters). Baseline: the 250-file run; the ratio
 * of the 1 000-file run to it should be near 4. Setup (writing the
 * counter files) is not timed.
 *
 * usage: bench_report [FILES]   (default 1000)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "counterfile.h"
#include "report.h"

#define PER_FILE 100

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void rmrf(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_report: cannot remove %s\n", dir);
}

/* make_store writes FILES counter files of PER_FILE counters, one program
 * each, all in the week ending 2026-11-22, 10 stack counters per file. */
static void make_store(const char *store, int files)
{
	char local[4096], meta[600], name[256], prog[32], cname[64];
	int dirfd;

	snprintf(local, sizeof local, "%s/local", store);
	mkdir(store, 0755);
	mkdir(local, 0755);
	dirfd = open(local, O_RDONLY | O_DIRECTORY);
	for (int i = 0; i < files; i++) {
		struct tm__counterfile *f;
		int len;

		snprintf(prog, sizeof prog, "prog%04d", i);
		snprintf(name, sizeof name, "%s@1.0-gcc12.2.0-linux-amd64-"
			 "2026-11-15.v1.count", prog);
		len = tm__counterfile_meta(meta, sizeof meta,
					   "2026-11-15T00:00:00Z",
					   "2026-11-22T00:00:00Z", prog, "1.0",
					   "gcc12.2.0", "amd64");
		if (len < 0 || tm__counterfile_open(dirfd, name, meta,
						    (size_t)len, &f)) {
			fprintf(stderr, "bench_report: cannot create %s\n",
				name);
			exit(1);
		}
		for (int c = 0; c < PER_FILE; c++) {
			uint64_t *cnt;

			if (c < 10)
				snprintf(cname, sizeof cname, "crash/crash\n"
					 "f%d:+%d,+0x1a\nmain:+2,+0x10", c, i);
			else
				snprintf(cname, sizeof cname, "bench/c%03d", c);
			if (tm__counterfile_counter(f, cname, strlen(cname),
						    &cnt) == 0)
				tm__counterfile_add(cnt, (uint64_t)c + 1);
		}
		tm__counterfile_close(f);
	}
	close(dirfd);
}

static double run(int files)
{
	char tmpl[] = "/tmp/tmwatch-bench-report-XXXXXX";
	struct tm__report_result res;
	char *store = mkdtemp(tmpl);
	double t0, t;
	int rc;

	if (!store)
		exit(1);
	setenv("TMWATCH_DIR", store, 1);
	make_store(store, files);
	t0 = now_s();
	rc = tm__report_build(store, 0, NULL, NULL, &res);
	t = now_s() - t0;
	if (rc || res.nbuilt != 1 || res.ndeleted != files) {
		fprintf(stderr, "bench_report: build failed (%d, %d built, %d "
			"deleted)\n", rc, res.nbuilt, res.ndeleted);
		exit(1);
	}
	tm__report_result_free(&res);
	rmrf(store);
	return t;
}

int main(int argc, char **argv)
{
	int files = argc > 1 ? atoi(argv[1]) : 1000;
	double base, mid, full;

	if (files < 4)
		files = 4;
	setenv("TMWATCH_NOW", "2026-11-23T10:00:00Z", 1);
	setenv("TMWATCH_TELEMETRY", "local", 1);
	run(files / 4); /* warm the page cache and the allocator */
	base = run(files / 4);
	mid = run(files / 2);
	full = run(files);
	printf("report build, %d counters per file\n", PER_FILE);
	printf("baseline: %5d files %7d counters %8.1f ms\n", files / 4,
	       files / 4 * PER_FILE, base * 1e3);
	printf("          %5d files %7d counters %8.1f ms (ratio %.2f, "
	       "linear 2)\n", files / 2, files / 2 * PER_FILE, mid * 1e3,
	       mid / base);
	printf("figure:   %5d files %7d counters %8.1f ms (ratio %.2f, "
	       "linear 4)\n", files, files * PER_FILE, full * 1e3,
	       full / base);
	printf("per counter: %.2f us\n", full * 1e6 / (files * PER_FILE));
	return 0;
}

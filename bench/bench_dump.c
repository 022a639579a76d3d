/* SPDX-License-Identifier: MIT */
/* bench_dump.c -- `tmwatch telemetry dump` over 500, 1000, 2000 and 4000
 * counter files (10 counters each), to show the time grows linearly: the
 * baseline is the time per file at 500 files, and each larger store prints
 * its time per file as a ratio to it (about 1.0 means linear).
 *
 * usage: bench_dump [TMWATCH]   (default: ../bin/tmwatch next to this)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "counterfile.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Writes N counter files of 10 counters into DIR/local. */
static int fill(const char *dir, int n)
{
	char local[PATH_MAX], name[256], meta[600], prog[64], ctr[64];
	int dfd, len;

	snprintf(local, sizeof local, "%s/local", dir);
	mkdir(local, 0777);
	dfd = open(local, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		struct tm__counterfile *f;
		uint64_t *c;

		snprintf(prog, sizeof prog, "prog%d", i);
		snprintf(name, sizeof name,
			 "%s@1.0-gcc12.2.0-linux-amd64-2026-11-23.v1.count",
			 prog);
		len = tm__counterfile_meta(meta, sizeof meta,
					   "2026-11-23T00:00:00Z",
					   "2026-11-30T00:00:00Z", prog, "1.0",
					   "gcc12.2.0", "amd64");
		if (len < 0 || tm__counterfile_open(dfd, name, meta,
						    (size_t)len, &f))
			return -1;
		for (int k = 0; k < 10; k++) {
			snprintf(ctr, sizeof ctr, "bench/counter-%d", k);
			if (tm__counterfile_counter(f, ctr, strlen(ctr), &c))
				return -1;
			tm__counterfile_add(c, (uint64_t)k + 1);
		}
		tm__counterfile_close(f);
	}
	close(dfd);
	return 0;
}

static double time_dump(const char *tmwatch, const char *dir)
{
	double t0 = now_s();
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		setenv("TMWATCH_DIR", dir, 1);
		execl(tmwatch, tmwatch, "telemetry", "dump", (char *)NULL);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return now_s() - t0;
}

int main(int argc, char **argv)
{
	static const int sizes[] = { 500, 1000, 2000, 4000 };
	char self[PATH_MAX], tmwatch[PATH_MAX];
	double per_file_base = 0;
	ssize_t n;

	if (argc > 1) {
		snprintf(tmwatch, sizeof tmwatch, "%s", argv[1]);
	} else {
		n = readlink("/proc/self/exe", self, sizeof self - 1);
		if (n < 0)
			return 1;
		self[n] = 0;
		snprintf(tmwatch, sizeof tmwatch, "%s/../bin/tmwatch",
			 dirname(self));
	}
	printf("tmwatch telemetry dump, 10 counters per file\n");
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		char dir[] = "/tmp/tmwatch-bench-dump-XXXXXX", cmd[128];
		double best = 1e9;

		if (!mkdtemp(dir) || fill(dir, sizes[i]))
			return 1;
		for (int r = 0; r < 5; r++) {
			double t = time_dump(tmwatch, dir);
			if (t < 0) {
				fprintf(stderr, "bench_dump: dump failed\n");
				return 1;
			}
			if (t < best)
				best = t;
		}
		double per_file = best / sizes[i];
		if (i == 0)
			per_file_base = per_file;
		printf("  %5d files: %8.1f ms  %6.1f us/file  ratio to %d "
		       "files %.2f\n", sizes[i], best * 1e3, per_file * 1e6,
		       sizes[0], per_file / per_file_base);
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* benchutil.c -- helpers shared by the benchmarks (benchutil.h). */
#define _GNU_SOURCE
#include "benchutil.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "counterparse.h"

uint64_t bench_take_crash_counts(const char *store)
{
	char local[PATH_MAX + 8], path[PATH_MAX * 2];
	struct dirent *e;
	uint64_t sum = 0;
	DIR *d;

	snprintf(local, sizeof local, "%s/local", store);
	d = opendir(local);
	while (d && (e = readdir(d))) {
		struct tm__parsed_file f;

		if (!strstr(e->d_name, ".count"))
			continue;
		snprintf(path, sizeof path, "%s/%s", local, e->d_name);
		if (tm__counterparse_path(path, &f, NULL, 0) == 0) {
			for (size_t i = 0; i < f.ncounters; i++)
				if (strncmp(f.counters[i].name,
					    "crash/crash\n", 12) == 0)
					sum += f.counters[i].value;
			tm__counterparse_free(&f);
		}
		unlink(path);
	}
	if (d)
		closedir(d);
	return sum;
}

/* SPDX-License-Identifier: MIT */
/* mkcount.h -- test helper: write a real v1 counter file for any program,
 * version and week, through the library's own writer (lib/counterfile.h).
 *
 * Shared by tests/unit/test_report.c and the fault tests. Header-only so
 * each test program stays one source file. Aborts the test on failure.
 */
#ifndef TMWATCH_MKCOUNT_H
#define TMWATCH_MKCOUNT_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "counterfile.h"

struct mk_counter {
	const char *name;
	uint64_t count;
};

/* mk_count writes STORE/local/PROG@VER-gcc12.2.0-linux-amd64-BEGIN.v1.count
 * with TimeBegin BEGIN and TimeEnd END (YYYY-MM-DD, midnight UTC) and adds
 * each counter of V[0..N). */
static inline void mk_count(const char *store, const char *prog,
			    const char *ver, const char *begin,
			    const char *end, const struct mk_counter *v,
			    size_t n)
{
	char local[4096], fname[512], meta[600], tb[32], te[32];
	struct tm__counterfile *f;
	int dirfd, len;

	snprintf(local, sizeof local, "%s/local", store);
	mkdir(store, 0755);
	mkdir(local, 0755);
	snprintf(tb, sizeof tb, "%sT00:00:00Z", begin);
	snprintf(te, sizeof te, "%sT00:00:00Z", end);
	snprintf(fname, sizeof fname,
		 "%s%s%s-gcc12.2.0-linux-amd64-%s.v1.count", prog,
		 *ver ? "@" : "", ver, begin);
	len = tm__counterfile_meta(meta, sizeof meta, tb, te, prog, ver,
				   "gcc12.2.0", "amd64");
	dirfd = open(local, O_RDONLY | O_DIRECTORY);
	if (len < 0 || dirfd < 0 ||
	    tm__counterfile_open(dirfd, fname, meta, (size_t)len, &f)) {
		fprintf(stderr, "mk_count: cannot create %s\n", fname);
		abort();
	}
	close(dirfd);
	for (size_t i = 0; i < n; i++) {
		uint64_t *c;

		if (tm__counterfile_counter(f, v[i].name, strlen(v[i].name),
					    &c)) {
			fprintf(stderr, "mk_count: cannot add %s\n",
				v[i].name);
			abort();
		}
		tm__counterfile_add(c, v[i].count);
	}
	tm__counterfile_close(f);
}

/* mk_file writes TEXT to DIR/NAME (creating DIR). */
static inline void mk_file(const char *dir, const char *name,
			   const char *text)
{
	char path[4096];
	FILE *fp;

	mkdir(dir, 0755);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (!fp || fputs(text, fp) < 0 || fclose(fp)) {
		fprintf(stderr, "mk_file: cannot write %s\n", path);
		abort();
	}
}

#endif

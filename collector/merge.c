/* SPDX-License-Identifier: MIT */
/* merge.c -- merge each day's stored reports into DATA/merged/DAY.json.
 *
 * Owns the merged dataset's layout (docs/merged-dataset.md): one report
 * per line, sorted by stored file name, whitespace between JSON tokens
 * removed (the bytes of strings and numbers are kept exactly as the
 * client sent them), newline-terminated. Every stored file is validated
 * again with the client's own reader (lib/report.c) before it is merged,
 * so a file damaged on disk is skipped, never copied into the public
 * dataset. Writes go to a temp file in DATA/merged (O_EXCL|O_NOFOLLOW),
 * fsync, rename, fsync of the directory. Never prints except the daily
 * thread's log lines.
 */
#define _GNU_SOURCE
#include "merge.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "store.h"
#include "report.h"
#include "tmwatch/common.h"

/* The collector's --max-body cap is 1 GiB at most; a stored report is
 * never bigger. */
#define MAX_REPORT (1u << 30)

int merge_is_date(const char *s)
{
	struct tm tm = { 0 };
	const char *end;
	time_t t;
	struct tm back;

	if (!s || strlen(s) != 10)
		return 0;
	for (int i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return 0;
	end = strptime(s, "%Y-%m-%d", &tm);
	if (!end || *end)
		return 0;
	/* strptime accepts 2026-02-31; a round trip through timegm does
	 * not. */
	back = tm;
	t = timegm(&back);
	if (t == (time_t)-1)
		return 0;
	gmtime_r(&t, &back);
	return back.tm_mday == tm.tm_mday && back.tm_mon == tm.tm_mon;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* list_dir returns the names in DIR that pass KEEP, sorted. */
static int list_dir(const char *dir, int (*keep)(const char *),
		    char ***out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		if (!keep(e->d_name))
			continue;
		if (*n == cap) {
			char **nv = realloc(v, (cap ? cap * 2 : 64) *
					       sizeof *v);

			if (!nv)
				goto oom;
			v = nv;
			cap = cap ? cap * 2 : 64;
		}
		if (!(v[*n] = strdup(e->d_name)))
			goto oom;
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof *v, by_name);
	*out = v;
	return 0;
oom:
	closedir(d);
	merge_free_days(v, *n);
	*n = 0;
	return -ENOMEM;
}

/* A stored report: X.json, not a temp file (".NAME.*.tmp"). */
static int is_report_name(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 5 &&
	       strcmp(name + len - 5, ".json") == 0;
}

int merge_list_days(const char *datadir, char ***days, size_t *n)
{
	return list_dir(datadir, merge_is_date, days, n);
}

void merge_free_days(char **days, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(days[i]);
	free(days);
}

/* read_all reads the regular file NAME in directory fd DIRFD, never
 * following a symlink. Returns 0 with a malloc'd *BUF or -errno. */
static int read_all(int dirfd, const char *name, char **buf, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	size_t got = 0;
	char *b;
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > MAX_REPORT) {
		close(fd);
		return -EINVAL;
	}
	if (!(b = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -errno : -EIO;
			break;
		}
		got += (size_t)r;
	}
	close(fd);
	if (rc) {
		free(b);
		return rc;
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
}

/* minify removes, in place, the whitespace between JSON tokens of a
 * valid document (strings are copied byte for byte, escapes included).
 * Returns the new length. */
size_t merge_minify(char *s, size_t len)
{
	size_t o = 0;
	int in_str = 0, esc = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (in_str) {
			s[o++] = c;
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c == '"')
			in_str = 1;
		s[o++] = c;
	}
	return o;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Buffered output to the temp file: a day of 100 000 reports is written
 * in 1 MiB writes, never held whole in memory. */
struct out {
	int fd;
	int err;
	size_t len, total;
	char buf[1 << 20];
};

static void out_put(struct out *o, const char *p, size_t n)
{
	if (o->err)
		return;
	o->total += n;
	if (o->len + n > sizeof o->buf) {
		o->err = write_all(o->fd, o->buf, o->len);
		o->len = 0;
		if (!o->err && n > sizeof o->buf) {
			o->err = write_all(o->fd, p, n);
			return;
		}
	}
	if (o->err)
		return;
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static int fsync_dirfd(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int merge_day(const char *datadir, const char *date,
	      struct merge_result *res)
{
	char daydir[4096], mdir[4096], path[4200], tmp[4200];
	char **names = NULL;
	size_t n = 0;
	struct out *o = NULL;
	struct stat dst;
	uint64_t salt;
	int dfd = -1, rc;

	memset(res, 0, sizeof *res);
	if (!merge_is_date(date))
		return TM_EINVAL;
	if ((size_t)snprintf(daydir, sizeof daydir, "%s/%s", datadir, date) >=
	    sizeof daydir ||
	    (size_t)snprintf(mdir, sizeof mdir, "%s/merged", datadir) >=
	    sizeof mdir)
		return -ENAMETOOLONG;
	snprintf(path, sizeof path, "%s/%s.json", mdir, date);
	if ((rc = tm__fs_mkdirs(mdir, 0755)))
		return rc;
	/* The day's state as listed: the merged file gets this mtime, and
	 * a report linked in afterwards changes the directory's, so
	 * merge_is_stale sees it (kernels with multigrain timestamps, 6.13+,
	 * give that change a distinct time even within one clock tick,
	 * because we have just read it). */
	if (stat(daydir, &dst) != 0) {
		if (errno != ENOENT)
			return -errno;
		memset(&dst, 0, sizeof dst);
	}
	if ((rc = list_dir(daydir, is_report_name, &names, &n)))
		return rc;
	if (n && (dfd = open(daydir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = -errno;
		goto out;
	}
	if (!(o = malloc(sizeof *o))) {
		rc = -ENOMEM;
		goto out;
	}
	o->len = o->total = 0;
	o->err = 0;
	if (getrandom(&salt, sizeof salt, 0) != sizeof salt)
		salt = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull ^
		       (uint64_t)time(NULL);
	snprintf(tmp, sizeof tmp, "%s/.%s.json.%016llx.tmp", mdir, date,
		 (unsigned long long)salt);
	o->fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		     O_CLOEXEC, 0644);
	if (o->fd < 0) {
		rc = -errno;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct tm__report r;
		char why[256];
		char *body = NULL;
		size_t len = 0;

		if (read_all(dfd, names[i], &body, &len)) {
			res->nskipped++;
			continue;
		}
		rc = tm__report_parse(body, len, &r, why, sizeof why);
		if (rc == -ENOMEM) {
			free(body);
			goto fail;
		}
		if (rc) {
			res->nskipped++;
			free(body);
			continue;
		}
		tm__report_free(&r);
		len = merge_minify(body, len);
		out_put(o, body, len);
		out_put(o, "\n", 1);
		free(body);
		res->nreports++;
	}
	if (!o->err && o->len)
		o->err = write_all(o->fd, o->buf, o->len);
	if ((rc = o->err))
		goto fail;
	if (dst.st_mtim.tv_sec || dst.st_mtim.tv_nsec) {
		struct timespec ts[2] = { { 0, UTIME_NOW }, dst.st_mtim };

		if (futimens(o->fd, ts) < 0) {
			rc = -errno;
			goto fail;
		}
	}
	if (fsync(o->fd) < 0 || close(o->fd) < 0) {
		o->fd = -1;
		rc = -errno;
		goto fail;
	}
	o->fd = -1;
	if (rename(tmp, path) < 0) {
		rc = -errno;
		goto fail;
	}
	res->nbytes = o->total;
	rc = fsync_dirfd(mdir);
	goto out;
fail:
	if (o->fd >= 0)
		close(o->fd);
	unlink(tmp);
out:
	if (dfd >= 0)
		close(dfd);
	free(o);
	merge_free_days(names, n);
	return rc;
}

int merge_is_stale(const char *datadir, const char *date)
{
	char daydir[4096], path[4200];
	struct stat ds, ms;

	snprintf(daydir, sizeof daydir, "%s/%s", datadir, date);
	snprintf(path, sizeof path, "%s/merged/%s.json", datadir, date);
	if (stat(path, &ms) != 0)
		return 1;
	if (stat(daydir, &ds) != 0)
		return 0;
	/* merge_day gave the merged file the directory's mtime as it
	 * listed it; a report linked in since changed the directory's. */
	return ds.st_mtim.tv_sec != ms.st_mtim.tv_sec ||
	       ds.st_mtim.tv_nsec != ms.st_mtim.tv_nsec;
}

int merge_stale(const char *datadir, FILE *log, pthread_mutex_t *mu)
{
	char **days;
	size_t n;
	int rc, merged = 0;

	if ((rc = merge_list_days(datadir, &days, &n)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct merge_result r;

		if (!merge_is_stale(datadir, days[i]))
			continue;
		rc = merge_day(datadir, days[i], &r);
		if (log) {
			if (mu)
				pthread_mutex_lock(mu);
			if (rc)
				fprintf(log, "tmwatch-collector: cannot merge "
					"day %s: %s; retrying tomorrow or on "
					"the next GET /merged/%s.json\n",
					days[i], tm_strerror(rc), days[i]);
			else
				fprintf(log, "tmwatch-collector: merged %s: "
					"%zu reports, %zu skipped, %zu "
					"bytes\n", days[i], r.nreports,
					r.nskipped, r.nbytes);
			fflush(log);
			if (mu)
				pthread_mutex_unlock(mu);
		}
		if (!rc)
			merged++;
	}
	merge_free_days(days, n);
	return merged;
}

static struct {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int running, stop;
	struct store *store;
	FILE *log;
	pthread_mutex_t *logmu;
} daily = { .mu = PTHREAD_MUTEX_INITIALIZER,
	    .cv = PTHREAD_COND_INITIALIZER };

/* daily_loop merges at start, then one minute after each UTC midnight
 * (CLOCK_REALTIME: the schedule follows the calendar, not TMWATCH_NOW,
 * which only tests of the client side use). */
static void *daily_loop(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&daily.mu);
	while (!daily.stop) {
		struct timespec until;

		pthread_mutex_unlock(&daily.mu);
		daily.store->ops->merge_stale(daily.store, daily.log,
					      daily.logmu);
		pthread_mutex_lock(&daily.mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec = (until.tv_sec / 86400 + 1) * 86400 + 60;
		until.tv_nsec = 0;
		while (!daily.stop &&
		       pthread_cond_timedwait(&daily.cv, &daily.mu, &until) !=
		       ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&daily.mu);
	return NULL;
}

int merge_daily_start(struct store *st, FILE *log, pthread_mutex_t *mu)
{
	int rc;

	daily.store = st;
	daily.log = log;
	daily.logmu = mu;
	daily.stop = 0;
	rc = pthread_create(&daily.thread, NULL, daily_loop, NULL);
	if (rc)
		return -rc;
	daily.running = 1;
	return 0;
}

void merge_daily_stop(void)
{
	if (!daily.running)
		return;
	pthread_mutex_lock(&daily.mu);
	daily.stop = 1;
	pthread_cond_broadcast(&daily.cv);
	pthread_mutex_unlock(&daily.mu);
	pthread_join(daily.thread, NULL);
	daily.running = 0;
}

static int merge_usage(const char *fmt, const char *arg)
{
	fputs("tmwatch-collector: merge: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\ntry 'tmwatch-collector merge --help'\n", stderr);
	return 2;
}

/* export_day copies DAY's merged dataset from ST to OUT/DAY.json (temp,
 * fsync, rename). 0 or -errno. */
static int export_day(struct store *st, const char *day, const char *out)
{
	char path[4200], *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, rc;

	rc = st->ops->open_merged(st, day, &fd);
	if (rc == -ENOENT) {
		/* A day without reports is an empty file, as merge_day
		 * writes it. */
		rc = tm__fs_mkdirs(out, 0755);
		snprintf(path, sizeof path, "%s/%s.json", out, day);
		return rc ? rc : tm__fs_write_atomic(path, "", 0, 0644, 1);
	}
	if (rc)
		return rc;
	for (;;) {
		ssize_t r;

		if (len == cap) {
			char *nb = realloc(buf, cap ? cap * 2 : 1 << 16);

			if (!nb) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
			cap = cap ? cap * 2 : 1 << 16;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			rc = -errno;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (!rc && !(rc = tm__fs_mkdirs(out, 0755))) {
		snprintf(path, sizeof path, "%s/%s.json", out, day);
		rc = tm__fs_write_atomic(path, buf ? buf : "", len, 0644, 1);
	}
	free(buf);
	return rc;
}

int merge_main(int argc, char **argv)
{
	const char *data = NULL, *date = NULL, *out = NULL;
	struct store *st;
	char **days = NULL, why[512];
	size_t n = 0;
	int rc, status = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			puts("usage: tmwatch-collector merge --store STORE "
			     "[--date YYYY-MM-DD] [--out DIR]\n\n"
			     "Merges the reports stored under DIR/DAY/ into "
			     "DIR/merged/DAY.json\n(one report per line), for "
			     "DAY or for every day. Re-running gives the\n"
			     "same bytes. STORE is file:DIR (or --data DIR) or "
			     "postgresql://...;\n--out DIR also exports each "
			     "merged day as DIR/DAY.json.\n"
			     "See docs/merged-dataset.md.");
			return 0;
		}
		if ((!strcmp(argv[i], "--data") ||
		     !strcmp(argv[i], "--store")) && i + 1 < argc)
			data = argv[++i];
		else if (!strcmp(argv[i], "--date") && i + 1 < argc)
			date = argv[++i];
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out = argv[++i];
		else
			return merge_usage("unknown argument '%s'", argv[i]);
	}
	if (!data)
		return merge_usage("%s", "--store (or --data) is required");
	if (date && !merge_is_date(date))
		return merge_usage("--date: '%s' is not a date YYYY-MM-DD",
				   date);
	if (store_open(data, &st, why, sizeof why)) {
		fprintf(stderr, "tmwatch-collector: merge: %s\n", why);
		return 1;
	}
	if (date) {
		days = malloc(sizeof *days);
		if (!days || !(days[0] = strdup(date))) {
			free(days);
			fputs("tmwatch-collector: merge: out of memory\n",
			      stderr);
			st->ops->close(st);
			return 1;
		}
		n = 1;
	} else if ((rc = st->ops->list_days(st, &days, &n))) {
		fprintf(stderr, "tmwatch-collector: cannot list the days in "
			"'%s': %s; check --store\n", st->name,
			tm_strerror(rc));
		st->ops->close(st);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		struct merge_result r;

		rc = st->ops->merge_day(st, days[i], &r);
		if (rc) {
			fprintf(stderr, "tmwatch-collector: cannot merge day "
				"%s of '%s': %s; check the store's "
				"permissions and free space\n", days[i],
				st->name, tm_strerror(rc));
			status = 1;
			continue;
		}
		printf("merged %s: %zu reports, %zu skipped, %zu bytes\n",
		       days[i], r.nreports, r.nskipped, r.nbytes);
		if (out && (rc = export_day(st, days[i], out))) {
			fprintf(stderr, "tmwatch-collector: cannot export day "
				"%s to '%s/%s.json': %s; check --out\n",
				days[i], out, days[i], tm_strerror(rc));
			status = 1;
		}
	}
	merge_free_days(days, n);
	st->ops->close(st);
	return status;
}

/* SPDX-License-Identifier: MIT */
/* store.c -- the process-wide counter store: the public counter API.
 *
 * The store opens itself on the first increment: effective mode (off means
 * nothing is ever written, not even a directory), this program's identity,
 * the weekends file, then the counter file of the current week
 * (docs/store-layout.md). Count pointers point into the file's mapping,
 * which never moves (counterfile.c reserves address space for the largest
 * file), so a resolved pointer stays valid for the life of the process.
 *
 * Week rotation (DESIGN §6.3) without a clock read on the hot path (a
 * time() call costs more than the atomic add itself): a handle increment
 * checks only the store generation and the file's "closed" word, which the
 * report builder sets before it reads a file whose week has ended
 * (counterfile.h). Every named increment, new counter and read also
 * compares the time with the week's end. Either way the next increment
 * opens the new week's file and bumps the store generation, which makes
 * every handle re-resolve; so no count lands in a file after it was
 * reported, and a count made after the week's end but before any report
 * ran lands in the old week. Old files stay mapped (a racing increment may
 * still hold a pointer into them), so a long-running process keeps one
 * mapping per week it lived through.
 *
 * Failures (unwritable store, full disk, corrupt file) never reach the
 * program: counts are dropped, tm__warn_once says why once, and opening is
 * retried at most once a minute. Never for signal handlers; fork-safe (the
 * child inherits the MAP_SHARED mapping and keeps counting into it).
 */
#define _GNU_SOURCE
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/single_threaded.h>
#include <unistd.h>

#include "clock.h"
#include "counterfile.h"
#include "fsutil.h"
#include "mode.h"
#include "paths.h"
#include "strbuild.h"
#include "tmwatch/counter.h"
#include "warn.h"
#include "weeks.h"

/* How long a failed open is remembered before the store tries again. */
#define STORE_RETRY_SECONDS 60

static pthread_mutex_t store_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t store_fork_once = PTHREAD_ONCE_INIT;

/* The current file, published for the fast path. Written under store_mu;
 * read with atomics. store_gen starts at 1 so a zeroed handle is stale. */
static struct tm__counterfile *store_file;
static time_t store_expiry;       /* end of the current file's week */
static const uint32_t never_closed;
static const uint32_t *store_closed = &never_closed; /* its closed word */
static unsigned long store_gen = 1;
static int store_fake_clock;      /* TMWATCH_NOW set: read it every time */

/* Remembered failure: error code and when to try again. */
static int store_error;
static time_t store_retry_at;

/* The fork handlers keep the mutex consistent in a child forked while
 * another thread held it (DESIGN §6.4: fork-safe). */
static void store_prefork(void)
{
	pthread_mutex_lock(&store_mu);
}

static void store_postfork(void)
{
	pthread_mutex_unlock(&store_mu);
}

static void store_register_fork(void)
{
	pthread_atfork(store_prefork, store_postfork, store_postfork);
}

/* Takes store_mu. The fork handlers matter only once another thread
 * exists that could hold the mutex while this one forks; a thread that
 * locks in a multi-threaded process registers them first. So a
 * single-threaded program never pays for them (two page faults of libc's
 * handler list at its first count). */
static void store_lock(void)
{
	if (!__libc_single_threaded)
		pthread_once(&store_fork_once, store_register_fork);
	pthread_mutex_lock(&store_mu);
}

static time_t store_now(void)
{
	return __atomic_load_n(&store_fake_clock, __ATOMIC_RELAXED) ?
		tm__clock_now() : time(NULL);
}

int tm__store_file_name(const struct tm__identity *id, time_t begin,
			char *buf, size_t cap)
{
	const char *part[] = { id->program, id->version[0] ? "@" : "",
			       id->version, "-", id->toolchain, "-linux-",
			       id->goarch, "-", NULL, ".v1.count" };
	char date[11];
	struct tm__sb b;

	tm__clock_date(begin, date);
	part[8] = date;
	tm__sb_init(&b, buf, cap);
	for (size_t i = 0; i < sizeof part / sizeof part[0]; i++)
		tm__sb_str(&b, part[i]);
	return tm__sb_end(&b) < 0 ? -ENAMETOOLONG : 0;
}

/* Writes into BAD (when not NULL) the path of what made the store
 * unusable: DIR, or DIR/NAME. */
static void name_bad(char *bad, size_t cap, const char *dir, const char *name)
{
	if (!bad || !cap)
		return;
	if (!name || tm__paths_join(bad, cap, dir, name) < 0)
		snprintf(bad, cap, "%s", dir);
}

/* Returns ERR, with nothing named in BAD. */
static int unnamed(int err, char *bad, size_t bad_cap)
{
	if (bad && bad_cap)
		bad[0] = '\0';
	return err;
}

/* Opens (creating what is missing) the counter file of ID (NULL: this
 * process, computed only once the mode allows counting) for the week
 * containing NOW; *expiry receives the week's end. On failure BAD (may be
 * NULL) names the directory or file at fault. The store directory and
 * local/ must be ours and writable by nobody else, and local/ is opened
 * without following a symlink (docs/security.md). Everything is looked up
 * from the open directories, with no formatted output and no heap: this
 * is a program's first count (bench/bench_startup.c). */
static int open_week_file(const struct tm__identity *id, time_t now,
			  struct tm__counterfile **out, time_t *expiry,
			  char *bad, size_t bad_cap)
{
	/* One path buffer: the store directory, then local/ (the directory
	 * with "/local" put at dlen). The stack a program's first count
	 * touches is page faults, and two PATH_MAX buffers were one more. */
	char path[PATH_MAX + sizeof "/local"], name[NAME_MAX + 1];
	char begin_s[21], end_s[21], meta[TM__COUNTERFILE_MAX_META + 1];
	struct tm__mode_info mode;
	time_t begin, end;
	int weekday, dirfd = -1, topfd, meta_len, err, named = 0;
	size_t dlen;

	/* BAD is written only on failure: a first count that succeeds
	 * touches no page for it. A setuid or setgid program never counts:
	 * TMWATCH_DIR, HOME and the XDG variables that name the store come
	 * from the user who started it, and the files would be created with
	 * its privileges wherever that user points (docs/security.md). */
	if (getauxval(AT_SECURE) || (getenv("TMWATCH_DISABLE") &&
				     strcmp(getenv("TMWATCH_DISABLE"), "1") == 0))
		return unnamed(TM_EDISABLED, bad, bad_cap);
	err = tm__paths_store_dir(path, PATH_MAX);
	if (err)
		return unnamed(err, bad, bad_cap);
	dlen = strlen(path);
	topfd = tm__fs_open_dir(AT_FDCWD, path, 0);
	err = topfd >= 0 ? tm__mode_load_at(topfd, "mode", path, &mode) :
			   tm__mode_load(path, &mode);
	if (!err && mode.effective == TM_MODE_OFF)
		err = TM_EOFF;
	if (err) {
		named = 1;	/* nothing to name: the mode said no */
		unnamed(err, bad, bad_cap);
		goto out;
	}
	tm__paths_join(path, sizeof path, path, "local"); /* fits: sized */
	if (topfd >= 0)
		dirfd = tm__fs_open_dir(topfd, "local", 1);
	/* Open first, create only when missing (the common case costs no
	 * extra syscall); 0755, not 0777 minus the umask: a group-writable
	 * local/ (umask 002) would be refused. */
	if (topfd == -ENOENT || dirfd == -ENOENT) {
		err = tm__fs_mkdirs(path, 0755);
		if (err)
			goto out;
		if (topfd < 0) {
			path[dlen] = '\0';
			topfd = tm__fs_open_dir(AT_FDCWD, path, 0);
			tm__paths_join(path, sizeof path, path, "local");
		}
		if (topfd >= 0)
			dirfd = tm__fs_open_dir(topfd, "local", 1);
	}
	if (topfd < 0) {
		err = topfd;
		goto out;
	}
	if (dirfd < 0) {
		err = dirfd;
		name_bad(bad, bad_cap, path, NULL);
		named = 1;
		goto out;
	}
	if (!id)
		id = tm__store_self_identity();
	err = tm__weeks_weekday_at(dirfd, path, &weekday);
	if (err)
		goto out;
	tm__weeks_span(now, weekday, &begin, &end);
	err = tm__store_file_name(id, begin, name, sizeof name);
	if (err)
		goto out;
	tm__clock_rfc3339(begin, begin_s);
	tm__clock_rfc3339(end, end_s);
	meta_len = tm__counterfile_meta(meta, sizeof meta, begin_s, end_s,
					id->program, id->version,
					id->toolchain, id->goarch);
	if (meta_len < 0) {
		err = meta_len;
		goto out;
	}
	err = tm__counterfile_open(dirfd, name, meta, (size_t)meta_len, out);
	if (err) {
		name_bad(bad, bad_cap, path, name);
		named = 1;
		goto out;
	}
	*expiry = end;
out:
	/* Any other failure is the store directory's. */
	if (err && !named) {
		path[dlen] = '\0';
		name_bad(bad, bad_cap, path, NULL);
	}
	if (topfd >= 0)
		close(topfd);
	if (dirfd >= 0)
		close(dirfd);
	return err;
}

static struct tm__identity self_identity;
static pthread_once_t self_identity_once = PTHREAD_ONCE_INIT;

static void compute_self_identity(void)
{
	/* A failure still fills the defaults (program name, "devel"), which
	 * is what we count under. */
	(void)tm__identity_self(getenv("TMWATCH_PROGRAM_VERSION"),
				&self_identity);
}

const struct tm__identity *tm__store_self_identity(void)
{
	pthread_once(&self_identity_once, compute_self_identity);
	return &self_identity;
}

static void warn_unusable(int err, const char *bad)
{
	const char *prog;
	char dir[PATH_MAX];

	if (err == TM_EOFF || err == TM_EDISABLED)
		return;
	prog = tm__store_self_identity()->program;
	if (tm__paths_store_dir(dir, sizeof dir))
		strcpy(dir, "?");
	if (!bad || !*bad)
		bad = dir;
	if (err == TM_EUNSAFE)
		tm__warn_once("cannot use the counter store '%s': '%s' is owned "
			      "by another user or writable by others; make it "
			      "yours (chown, chmod go-w) or set TMWATCH_DIR; "
			      "'%s' runs without counting", dir, bad, prog);
	else if (err == TM_ECORRUPT)
		tm__warn_once("cannot use the counter file '%s': %s; delete it "
			      "(or run 'tmwatch telemetry clean'); '%s' runs "
			      "without counting", bad, tm_strerror(err), prog);
	else
		tm__warn_once("cannot use the counter store '%s': %s; fix it or "
			      "set TMWATCH_DIR; '%s' runs without counting",
			      dir, tm_strerror(err), prog);
}

/* Makes store_file current for NOW. Caller holds store_mu. Returns 0 or
 * the reason the store is unusable. */
static int refresh_locked(time_t now)
{
	/* Under store_mu; static, not on the stack: written only when the
	 * store fails, so a first count's stack stays small. */
	static char bad[PATH_MAX];
	struct tm__counterfile *f;
	time_t expiry;
	int err;

	int closed = store_file && __atomic_load_n(store_closed,
						   __ATOMIC_RELAXED);
	/* The SIGBUS guard replaced a truncated file's mapping and set its
	 * closed word: not a week that ended, a file to open and check
	 * again. */
	int broken = closed && tm__counterfile_broken(store_file);

	if (store_file && now < store_expiry && !closed)
		return 0;
	if (!store_file && store_error && now < store_retry_at)
		return store_error;
	/* A file closed by a report belongs to an ended week even if our
	 * clock disagrees: move past its end. */
	if (closed && !broken && now < store_expiry)
		now = store_expiry;
	err = open_week_file(NULL, now, &f, &expiry, bad, sizeof bad);
	if (!err && *tm__counterfile_closed_word(f)) {
		/* Closed already: never count into a reported file. */
		tm__counterfile_close(f);
		err = unnamed(TM_ECORRUPT, bad, sizeof bad);
	}
	if (err) {
		store_error = err;
		store_retry_at = now + STORE_RETRY_SECONDS;
		/* Past the week's end with no new file: stop counting into
		 * the old one, which is about to be reported. */
		__atomic_store_n(&store_file, NULL, __ATOMIC_RELEASE);
		__atomic_store_n(&store_closed, &never_closed,
				 __ATOMIC_RELEASE);
		__atomic_add_fetch(&store_gen, 1, __ATOMIC_RELEASE);
		warn_unusable(err, bad);
		return err;
	}
	/* The previous file stays mapped on purpose: see the file comment. */
	store_error = 0;
	__atomic_store_n(&store_expiry, expiry, __ATOMIC_RELAXED);
	__atomic_store_n(&store_file, f, __ATOMIC_RELEASE);
	__atomic_store_n(&store_closed, tm__counterfile_closed_word(f),
			 __ATOMIC_RELEASE);
	__atomic_add_fetch(&store_gen, 1, __ATOMIC_RELEASE);
	return 0;
}

/* Resolves NAME in the current file; *count is NULL when counts are to be
 * dropped. *gen receives the generation the pointer belongs to. */
static int resolve(const char *name, size_t len, uint64_t **count,
		   unsigned long *gen)
{
	int err;

	*count = NULL;
	if (len == 0)
		return TM_EINVAL;
	if (len > TM_COUNTER_NAME_MAX)
		return TM_ENAMETOOLONG;
	store_lock();
	if (!store_file && !store_error)
		store_fake_clock = getenv("TMWATCH_NOW") != NULL;
	err = refresh_locked(store_now());
	if (!err) {
		err = tm__counterfile_counter(store_file, name, len, count);
		if (err)
			tm__warn_once("cannot count '%.*s' in '%s': %s%s",
				      (int)(len > 80 ? 80 : len), name,
				      tm__counterfile_name(store_file),
				      tm_strerror(err), err == TM_ECORRUPT ?
				      "; delete it (or run 'tmwatch telemetry "
				      "clean')" : "");
	}
	if (gen)
		*gen = store_gen;
	pthread_mutex_unlock(&store_mu);
	return err;
}

/* The hot-path test: resolved in this generation, file not closed. */
static int is_current(unsigned long gen)
{
	return gen == __atomic_load_n(&store_gen, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(__atomic_load_n(&store_closed,
						__ATOMIC_ACQUIRE),
				__ATOMIC_RELAXED);
}

void tm_counter_add(const char *name, uint64_t n)
{
	uint64_t *count;

	if (name && resolve(name, strlen(name), &count, NULL) == 0 && count)
		tm__counterfile_add(count, n);
}

void tm_counter_inc(const char *name)
{
	tm_counter_add(name, 1);
}

void tm_counter_handle_add(struct tm_counter *c, uint64_t n)
{
	/* Fast path: the handle was resolved in this generation and its
	 * file is not closed. gen is published after the pointer (release),
	 * so reading gen first (acquire) gives a pointer at least as new. */
	unsigned long gen = __atomic_load_n(&c->tm_private_gen,
					    __ATOMIC_ACQUIRE);
	uint64_t *count;

	if (__builtin_expect(is_current(gen), 1)) {
		count = __atomic_load_n(&c->tm_private_count,
					__ATOMIC_RELAXED);
		if (count)
			tm__counterfile_add(count, n);
		return;
	}
	if (!c->name || resolve(c->name, strlen(c->name), &count, &gen))
		return;
	__atomic_store_n(&c->tm_private_count, count, __ATOMIC_RELAXED);
	__atomic_store_n(&c->tm_private_gen, gen, __ATOMIC_RELEASE);
	if (count)
		tm__counterfile_add(count, n);
}

void tm_counter_handle_inc(struct tm_counter *c)
{
	tm_counter_handle_add(c, 1);
}

int tm_counter_read(const char *name, uint64_t *value)
{
	uint64_t *count = NULL;
	int err;

	*value = 0;
	if (!name || !*name)
		return TM_EINVAL;
	store_lock();
	err = refresh_locked(store_now());
	if (!err)
		err = tm__counterfile_find(store_file, name, strlen(name),
					   &count);
	pthread_mutex_unlock(&store_mu);
	if (!err && count)
		*value = __atomic_load_n(count, __ATOMIC_RELAXED);
	return err;
}

int tm_counter_file_path(char *buf, size_t cap)
{
	char dir[PATH_MAX];
	int err, n;

	store_lock();
	err = refresh_locked(store_now());
	if (!err)
		err = tm__paths_store_dir(dir, sizeof dir);
	if (!err) {
		n = snprintf(buf, cap, "%s/local/%s", dir,
			     tm__counterfile_name(store_file));
		if (n < 0 || (size_t)n >= cap)
			err = -ENAMETOOLONG;
	}
	pthread_mutex_unlock(&store_mu);
	return err;
}

int tm__store_count_for(const struct tm__identity *id, const char *name,
			size_t len, uint64_t n)
{
	return tm__store_count_for_why(id, name, len, n, NULL, 0);
}

int tm__store_count_for_why(const struct tm__identity *id, const char *name,
			    size_t len, uint64_t n, char *bad, size_t cap)
{
	struct tm__counterfile *f;
	uint64_t *count;
	time_t expiry;
	int err;

	if (bad && cap)
		bad[0] = 0;
	if (len == 0)
		return TM_EINVAL;
	if (len > TM_COUNTER_NAME_MAX)
		return TM_ENAMETOOLONG;
	err = open_week_file(id, tm__clock_now(), &f, &expiry, bad, cap);
	if (err)
		return err;
	err = tm__counterfile_counter(f, name, len, &count);
	if (!err)
		tm__counterfile_add(count, n);
	else if (bad && cap && tm__paths_store_dir(bad, cap) == 0 &&
		 (tm__paths_join(bad, cap, bad, "local") < 0 ||
		  tm__paths_join(bad, cap, bad, tm__counterfile_name(f)) < 0))
		bad[0] = 0;
	tm__counterfile_close(f);
	return err;
}

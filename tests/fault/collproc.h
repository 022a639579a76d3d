/* SPDX-License-Identifier: MIT */
/* collproc.h -- test helper: a real tmwatch-collector process on
 * 127.0.0.1 for the fault tests: start it on a free port, read its request
 * log with a bound, stop it and check its clean exit, list what it stored.
 *
 * Header-only so each test program stays one source file (like
 * mkcount.h); include it after <cmocka.h>, testutil.h and mkcount.h. The
 * collector binary is $TMWATCH_COLLECTOR. Every wait is bounded and fails
 * the test saying what did not happen.
 *
 * With $TMWATCH_TEST_PGHOST (a PostgreSQL socket directory, the cluster
 * tests/pg/pgcluster.sh starts) the same tests run against the
 * PostgreSQL store: each server directory gets its own database, created
 * here, and stored() reads the reports table with psql.
 */
#ifndef TMWATCH_COLLPROC_H
#define TMWATCH_COLLPROC_H

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

struct collector {
	pid_t pid;
	int port;
	int errfd;		/* its stderr: the request log */
	char *log;		/* everything read from it so far */
	size_t loglen;
	char *data;
	char *pguri;		/* the PostgreSQL store, or NULL */
	char pgdb[24];
};

/* coll_pg_database names (and creates, once) the database of SRVDIR. */
static inline void coll_pg_database(struct collector *c, const char *srvdir)
{
	const char *host = getenv("TMWATCH_TEST_PGHOST");
	unsigned long long h = 0xcbf29ce484222325ull;
	char cmd[1024];

	for (const char *p = srvdir; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	snprintf(c->pgdb, sizeof c->pgdb, "t%016llx", h);
	c->pguri = malloc(strlen(host) + 128);
	sprintf(c->pguri, "postgresql:///%s?host=%s&user=tmwatch", c->pgdb,
		host);
	/* Fails harmlessly when it exists already (a restarted collector). */
	snprintf(cmd, sizeof cmd, "createdb -h '%s' -U tmwatch %s "
		 ">/dev/null 2>&1", host, c->pgdb);
	if (system(cmd) == -1)
		fail_msg("cannot run createdb");
}

/* coll_psql runs SQL in C's database; the first line of output, malloc'd
 * (NULL when psql fails). */
static inline char *coll_psql(struct collector *c, const char *sql)
{
	char cmd[2048], *line = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(cmd, sizeof cmd, "psql -X -At -h '%s' -U tmwatch -d %s -c "
		 "\"%s\" 2>&1", getenv("TMWATCH_TEST_PGHOST"), c->pgdb, sql);
	if (!(f = popen(cmd, "r")))
		return NULL;
	if (getline(&line, &cap, f) < 0) {
		free(line);
		line = NULL;
	}
	if (pclose(f) != 0) {
		free(line);
		return NULL;
	}
	if (line)
		line[strcspn(line, "\n")] = '\0';
	return line;
}

static inline long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* read_log appends what the collector wrote until TEXT appears (or EOF,
 * when TEXT is NULL) or TIMEOUT_MS passes. Returns 1 when found. */
static inline int read_log(struct collector *c, const char *text,
			   int timeout_ms)
{
	long end = now_ms() + timeout_ms;

	for (;;) {
		struct pollfd p = { .fd = c->errfd, .events = POLLIN };
		char buf[4096];
		long left = end - now_ms();
		ssize_t n;

		if (text && c->log && strstr(c->log, text))
			return 1;
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return 0;
		n = read(c->errfd, buf, sizeof buf);
		if (n <= 0)
			return text == NULL;
		c->log = realloc(c->log, c->loglen + (size_t)n + 1);
		memcpy(c->log + c->loglen, buf, (size_t)n);
		c->loglen += (size_t)n;
		c->log[c->loglen] = '\0';
	}
}

/* coll_read_more appends what the collector writes within TIMEOUT_MS.
 * Returns 1 when something came, 0 on timeout or EOF. */
static inline int coll_read_more(struct collector *c, long timeout_ms)
{
	struct pollfd p = { .fd = c->errfd, .events = POLLIN };
	char buf[4096];
	ssize_t n;

	if (timeout_ms <= 0 || poll(&p, 1, (int)timeout_ms) <= 0)
		return 0;
	n = read(c->errfd, buf, sizeof buf);
	if (n <= 0)
		return 0;
	c->log = realloc(c->log, c->loglen + (size_t)n + 1);
	memcpy(c->log + c->loglen, buf, (size_t)n);
	c->loglen += (size_t)n;
	c->log[c->loglen] = '\0';
	return 1;
}

static inline void coll_start(struct collector *c, const char *srvdir,
			      int port, const char *extra)
{
	int out[2], err[2];
	char portarg[16], line[256] = "";
	size_t got = 0;
	long end;

	memset(c, 0, sizeof *c);
	c->data = tu_path(srvdir, "data");
	if (getenv("TMWATCH_TEST_PGHOST"))
		coll_pg_database(c, srvdir);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	snprintf(portarg, sizeof portarg, "%d", port);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		char *argv[32] = { getenv("TMWATCH_COLLECTOR"),
				   c->pguri ? "--store" : "--data",
				   c->pguri ? c->pguri : c->data, "--config",
				   (char *)srvdir, "--port", portarg };
		int n = 7;
		char *copy = extra ? strdup(extra) : NULL, *save, *t;

		for (t = copy ? strtok_r(copy, " ", &save) : NULL; t && n < 30;
		     t = strtok_r(NULL, " ", &save))
			argv[n++] = t;
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	c->errfd = err[0];
	end = now_ms() + 10000;
	while (!strchr(line, '\n') && got < sizeof line - 1) {
		struct pollfd p = { .fd = out[0], .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, (int)(end - now_ms())) <= 0)
			break;
		n = read(out[0], line + got, sizeof line - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		line[got] = '\0';
	}
	close(out[0]);
	if (!strstr(line, "127.0.0.1:")) {
		read_log(c, NULL, 2000);
		fail_msg("collector did not start: '%s' %s", line,
			 c->log ? c->log : "");
	}
	c->port = atoi(strstr(line, "127.0.0.1:") + 10);
}

/* coll_stop stops it with SIGTERM, checks the clean exit and returns the
 * number of connections it counted. */
static inline unsigned long coll_stop(struct collector *c)
{
	unsigned long conns = 0;
	const char *s;
	int st;

	kill(c->pid, SIGTERM);
	assert_int_equal(tu_wait(c->pid, &st, 20000), 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("collector ended with %s", tu_describe_status(st));
	read_log(c, NULL, 5000);
	close(c->errfd);
	s = c->log ? strstr(c->log, "stopped: ") : NULL;
	assert_non_null(s);
	conns = strtoul(s + 9, NULL, 10);
	return conns;
}

static inline void coll_free(struct collector *c)
{
	free(c->log);
	free(c->data);
	free(c->pguri);
}

/* stored lists the reports the collector stored: "WEEK/X.json" lines. */
static inline size_t stored(struct collector *c, const char *week)
{
	char *dir, sql[256], *out;
	struct dirent *de;
	DIR *d;
	size_t n = 0;

	if (c->pguri) {
		snprintf(sql, sizeof sql, "SELECT count(*) FROM reports WHERE "
			 "week = '%s'", week);
		if (!(out = coll_psql(c, sql)))
			fail_msg("psql cannot count the reports of %s in %s",
				 week, c->pgdb);
		n = strtoul(out, NULL, 10);
		free(out);
		return n;
	}
	dir = tu_path(c->data, week);
	d = opendir(dir);
	while (d && (de = readdir(d)))
		if (strstr(de->d_name, ".json") && de->d_name[0] != '.')
			n++;
	if (d)
		closedir(d);
	free(dir);
	return n;
}

static inline char *stored_body(struct collector *c, const char *week)
{
	char *dir, *path = NULL, *body;
	struct dirent *de;
	DIR *d;

	if (c->pguri) {
		char sql[256], *hex;
		size_t n;

		snprintf(sql, sizeof sql, "SELECT encode(body, 'hex') FROM "
			 "reports WHERE week = '%s' ORDER BY x LIMIT 1", week);
		hex = coll_psql(c, sql);
		assert_non_null(hex);
		n = strlen(hex) / 2;
		body = malloc(n + 1);
		for (size_t i = 0; i < n; i++)
			sscanf(hex + 2 * i, "%2hhx", (unsigned char *)&body[i]);
		body[n] = '\0';
		free(hex);
		return body;
	}
	dir = tu_path(c->data, week);
	d = opendir(dir);
	while (d && (de = readdir(d)))
		if (strstr(de->d_name, ".json") && !path)
			path = tu_path(dir, de->d_name);
	if (d)
		closedir(d);
	assert_non_null(path);
	body = tu_read_file(path, NULL);
	free(path);
	free(dir);
	return body;
}

#endif

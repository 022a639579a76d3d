/* SPDX-License-Identifier: MIT */
/* bench_collector.c -- sustained uploads per second into tmwatch-collector
 * on loopback, with p50/p99 latency, and a check that no report is lost;
 * then the collector's peak memory under a flood of large bodies.
 *
 * Starts bin/tmwatch-collector (next to this build's bench/ directory, or
 * $TMWATCH_COLLECTOR) on a free port, then runs THREADS load generators
 * with keep-alive libcurl handles. Baseline: reports the allow-list
 * refuses (HTTP, parsing and checking, no storage). Figure: accepted
 * reports, each fsync'd to disk before the 200. Bounded in count
 * (REQUESTS per phase) and time (30 s per phase).
 *
 * Memory: FLOOD clients each announce and send all but the last byte of a
 * 4 MiB body, so the collector holds them all. Baseline: no budget
 * (--max-inflight 0, how the collector behaved before issue 14). Figure:
 * the default budget (64 MiB). Printed: growth of peak RSS (VmHWM) over
 * the idle collector, and the ratio.
 *
 * Stores: the same accepted phase against the PostgreSQL store (a
 * throw-away cluster started with tests/pg/pgcluster.sh) with one
 * collector, then two collectors on the one database, the clients spread
 * over both; ratios against the file store measured above. Then BIG
 * reports (100 000 by default) are loaded into a file store and into the
 * database (COPY, not HTTP: the load is not what is measured), and one
 * day's merge and a `tmwatch stacks` over them are timed on each.
 *
 * usage: bench_collector [REQUESTS [THREADS [FLOOD [BIG]]]]
 *        (default 2000 4 200 100000)
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "report.h"

#define MAX_SECONDS 30

static int port;
static int ports[2], nports = 1;
static const char *week = "2026-11-22";
static int requests = 2000, threads = 4, flood = 200, big = 100000;
static int accepted_phase;
static double *lat;		/* seconds, one per request */
static int ok_count;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static double deadline;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t sink(char *p, size_t s, size_t n, void *a)
{
	(void)p;
	(void)a;
	return s * n;
}

static char *body_for(int i)
{
	struct tm__report_counter c = { accepted_phase ? "load/ok" :
					"load/refused", (uint64_t)i + 1 };
	struct tm__report_program p = { .program = "load", .version = "1",
		.goversion = "gcc12.2.0", .goos = "linux", .goarch = "amd64",
		.ncounters = 1, .counters = &c };
	struct tm__report r = { .x = 0, .nprograms = 1, .programs = &p,
				.config = "bench" };
	char *text;
	size_t len;

	snprintf(r.week, sizeof r.week, "%s", week);
	/* A distinct X per request: each is a distinct report. */
	r.x = ((double)i + 0.5) / (requests + 1.0);
	if (tm__report_format(&r, &text, &len))
		return NULL;
	return text;
}

static void *worker(void *arg)
{
	long t = (long)arg;
	char url[128];
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: "
						 "application/json");
	CURL *c = curl_easy_init();

	h = curl_slist_append(h, "Expect:");
	snprintf(url, sizeof url, "http://127.0.0.1:%d/upload/%s",
		 nports > 1 ? ports[t % nports] : port, week);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	for (int i = (int)t; i < requests; i += threads) {
		char *body = body_for(i);
		double t0 = now_s();
		long status = 0;

		if (!body || t0 > deadline) {
			free(body);
			break;
		}
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		if (curl_easy_perform(c) == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		lat[i] = now_s() - t0;
		if (status == (accepted_phase ? 200 : 400)) {
			pthread_mutex_lock(&mu);
			ok_count++;
			pthread_mutex_unlock(&mu);
		} else {
			lat[i] = -1;
		}
		free(body);
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	return NULL;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct phase {
	double per_s, p50_ms, p99_ms;
	int ok;
};

static struct phase run_phase(int accepted)
{
	pthread_t th[64];
	struct phase ph = { 0 };
	double t0, dt;
	int n = 0;

	accepted_phase = accepted;
	ok_count = 0;
	lat = calloc((size_t)requests, sizeof *lat);
	deadline = now_s() + MAX_SECONDS;
	t0 = now_s();
	for (long t = 0; t < threads; t++)
		pthread_create(&th[t], NULL, worker, (void *)t);
	for (int t = 0; t < threads; t++)
		pthread_join(th[t], NULL);
	dt = now_s() - t0;
	for (int i = 0; i < requests; i++)
		if (lat[i] > 0)
			lat[n++] = lat[i];
	qsort(lat, (size_t)n, sizeof *lat, cmp_d);
	ph.ok = ok_count;
	ph.per_s = ok_count / dt;
	if (n) {
		ph.p50_ms = lat[n / 2] * 1e3;
		ph.p99_ms = lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] *
			    1e3;
	}
	free(lat);
	return ph;
}

/* start runs the collector on a free port with --max-conns-per-ip 1000
 * (the load comes from few addresses) and --max-inflight BUDGET, and sets
 * PORT. Returns its pid, or -1. */
static pid_t start(const char *coll, const char *data, const char *cfg,
		   const char *budget)
{
	char line[256] = "";
	int out[2];
	pid_t pid;

	if (pipe(out))
		return -1;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(out[1], 1);
		dup2(null, 2); /* one log line per request: not measured */
		execl(coll, coll, "--port", "0", "--store", data, "--config",
		      cfg, "--request-timeout", "120", "--max-conns-per-ip",
		      "1000", "--max-inflight", budget, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	{
		struct pollfd p = { .fd = out[0], .events = POLLIN };

		if (poll(&p, 1, 10000) <= 0 ||
		    read(out[0], line, sizeof line - 1) <= 0 ||
		    !strstr(line, "127.0.0.1:")) {
			fprintf(stderr, "bench_collector: cannot start '%s'\n",
				coll);
			kill(pid, SIGKILL);
			close(out[0]);
			return -1;
		}
	}
	close(out[0]);
	port = atoi(strstr(line, "127.0.0.1:") + 10);
	return pid;
}

static long hwm_kib(pid_t pid, const char *field)
{
	char path[64], buf[4096], *p;
	long v = -1;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	if ((p = strstr(buf, field)))
		v = strtol(p + strlen(field), NULL, 10);
	return v;
}

/* flood_growth starts a collector with --max-inflight BUDGET, holds FLOOD
 * connections each with all but one byte of a 4 MiB body sent, and
 * returns how much its peak RSS grew, in KiB (-1 on failure). *BUSY gets
 * how many clients the collector cut off while they sent (an early 503
 * over the budget, then the connection closed). */
static long flood_growth(const char *coll, const char *data, const char *cfg,
			 const char *budget, int *busy)
{
	static char chunk[1 << 20];
	static const char hdr[] = "POST /upload/2026-11-22 HTTP/1.1\r\n"
		"Host: b\r\nContent-Type: application/json\r\n"
		"Content-Length: 4194304\r\n\r\n";
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 10 };
	long base, peak;
	int *fds = calloc((size_t)flood, sizeof *fds), st;
	pid_t pid;

	*busy = 0;
	memset(chunk, ' ', sizeof chunk);
	pid = fds ? start(coll, data, cfg, budget) : -1;
	if (pid < 0)
		return -1;
	base = hwm_kib(pid, "VmRSS:");
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	for (int i = 0; i < flood; i++) {
		struct sockaddr_in src = { .sin_family = AF_INET };
		int ok = 1;

		/* A distinct loopback address per 8 clients: the per-address
		 * cap (16) is not what this measures. */
		src.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)(i / 8));
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(fds[i], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		if (bind(fds[i], (struct sockaddr *)&src, sizeof src) ||
		    connect(fds[i], (struct sockaddr *)&a, sizeof a) ||
		    send(fds[i], hdr, sizeof hdr - 1, MSG_NOSIGNAL) < 0)
			ok = 0;
		for (int k = 0; ok && k < 4; k++) {
			size_t left = sizeof chunk - (k == 3);
			const char *q = chunk;

			while (left) {
				ssize_t w = send(fds[i], q, left,
						 MSG_NOSIGNAL);

				if (w <= 0) {
					ok = 0;
					break;
				}
				q += w;
				left -= (size_t)w;
			}
		}
		*busy += !ok;
	}
	peak = hwm_kib(pid, "VmHWM:");
	for (int i = 0; i < flood; i++)
		close(fds[i]);
	free(fds);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	return base < 0 || peak < 0 ? -1 : peak - base;
}

static int count_stored(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	while (d && (de = readdir(d)))
		if (strstr(de->d_name, ".json"))
			n++;
	if (d)
		closedir(d);
	return n;
}

static double ms_since(double t0)
{
	return (now_s() - t0) * 1e3;
}

/* run_cmd runs CMD through the shell with stdout to /dev/null; the
 * wall-clock time in ms, or -1 when it failed. */
static double run_cmd(const char *cmd)
{
	double t0 = now_s();
	int st = system(cmd);

	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "bench_collector: '%s' failed\n", cmd);
		return -1;
	}
	return ms_since(t0);
}

static long long pg_count(const char *uri, const char *w)
{
	const char *vals[1] = { w };
	PGconn *c = PQconnectdb(uri);
	PGresult *r;
	long long n = -1;

	if (PQstatus(c) == CONNECTION_OK) {
		r = PQexecParams(c, "SELECT count(*) FROM reports WHERE week = "
				 "$1::date", 1, NULL, vals, NULL, NULL, 0);
		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			n = atoll(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	PQfinish(c);
	return n;
}

/* copy_escape appends S (N bytes) to B as a COPY text field. */
static size_t copy_escape(char *b, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' || s[i] == '\t' || s[i] == '\n') {
			b[o++] = '\\';
			b[o++] = s[i] == '\t' ? 't' : s[i] == '\n' ? 'n' : '\\';
		} else {
			b[o++] = s[i];
		}
	}
	return o;
}

/* load_big writes BIG reports of day D as files under DATA/D/ and into
 * the database at URI (COPY). Each carries one of 50 crash stacks. */
static int load_big(const char *data, const char *uri, const char *d)
{
	static const char hex[] = "0123456789abcdef";
	char dir[4500], path[4600], *line = NULL;
	PGconn *c = PQconnectdb(uri);
	PGresult *r;
	int rc = 0;

	snprintf(dir, sizeof dir, "%s/%s", data, d);
	mkdir(data, 0755);
	mkdir(dir, 0755);
	if (PQstatus(c) != CONNECTION_OK)
		return -1;
	r = PQexec(c, "COPY reports (week, x, body, fields) FROM STDIN");
	if (PQresultStatus(r) != PGRES_COPY_IN)
		rc = -1;
	PQclear(r);
	for (int i = 0; i < big && !rc; i++) {
		char stack[96], *text, *x, *xe;
		struct tm__report_counter cn = { "load/ok", 1 };
		struct tm__report_counter sc = { stack, (uint64_t)(i % 7) + 1 };
		struct tm__report_program p = { .program = "load",
			.version = i % 3 ? "1.1" : "1.0", .goversion = "gcc12",
			.goos = "linux", .goarch = "amd64", .ncounters = 1,
			.counters = &cn, .nstacks = 1, .stacks = &sc };
		struct tm__report rep = { .nprograms = 1, .programs = &p,
					  .config = "bench" };
		size_t len, o = 0;
		FILE *f;

		snprintf(rep.week, sizeof rep.week, "%s", d);
		snprintf(stack, sizeof stack, "crash/crash\nload_step_%d:+%d,"
			 "+0x%x\nmain:+3,+0x22", i % 50, i % 50 + 1, i % 50);
		rep.x = ((double)i + 0.5) / ((double)big + 1.0);
		if (tm__report_format(&rep, &text, &len)) {
			rc = -1;
			break;
		}
		/* X as written: the file name and the key. */
		x = strstr(text, "\"X\":") + 4;
		while (*x == '\t' || *x == ' ')
			x++;
		xe = x + strcspn(x, ",\n");
		snprintf(path, sizeof path, "%s/%.*s.json", dir, (int)(xe - x),
			 x);
		if (!(f = fopen(path, "w")) || fwrite(text, 1, len, f) != len)
			rc = -1;
		if (f)
			fclose(f);
		line = realloc(line, 64 + 4 * len + 2 * len);
		o = (size_t)sprintf(line, "%s\t%.*s\t\\\\x", d, (int)(xe - x),
				    x);
		for (size_t k = 0; k < len; k++) {
			line[o++] = hex[(unsigned char)text[k] >> 4];
			line[o++] = hex[(unsigned char)text[k] & 15];
		}
		line[o++] = '\t';
		o += copy_escape(line + o, text, len);
		line[o++] = '\n';
		if (PQputCopyData(c, line, (int)o) != 1)
			rc = -1;
		free(text);
	}
	free(line);
	if (PQputCopyEnd(c, rc ? "bench failed" : NULL) != 1)
		rc = -1;
	r = PQgetResult(c);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "bench_collector: COPY: %s",
			PQerrorMessage(c));
		rc = -1;
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}

/* pg_phases: the PostgreSQL store against FILEPH, the file store's
 * accepted phase measured just before. 0 or 1. */
static int pg_phases(const char *coll, const char *dir, const char *cfg,
		     struct phase fileph)
{
	char pgdir[4300], uri[4500], cmd[40000], cluster[4300], tm[4300];
	char data[4400], sock[4400];
	struct phase one, two;
	double m_file, m_pg, s_file, s_pg;
	long long n1, n2;
	pid_t p1, p2;
	int st, rc = 0;

	snprintf(cluster, sizeof cluster, "%s", TMWATCH_PGCLUSTER);
	snprintf(tm, sizeof tm, "%s", coll);
	*strrchr(tm, '/') = '\0';
	strcat(tm, "/tmwatch");
	snprintf(pgdir, sizeof pgdir, "%s/pg", dir);
	snprintf(sock, sizeof sock, "%s/sock", pgdir);
	chmod(dir, 0755);
	snprintf(cmd, sizeof cmd, "'%s' start '%s' && createdb -h '%s' -U "
		 "tmwatch bench", cluster, pgdir, sock);
	if (run_cmd(cmd) < 0) {
		fprintf(stderr, "bench_collector: cannot start PostgreSQL "
			"with %s; install postgresql-15 (scripts/setup.sh)\n",
			cluster);
		return 1;
	}
	snprintf(uri, sizeof uri, "postgresql:///bench?host=%s&user=tmwatch",
		 sock);

	week = "2026-11-29";
	if ((p1 = start(coll, uri, cfg, "67108864")) < 0)
		return 1;
	one = run_phase(1);
	kill(p1, SIGTERM);
	waitpid(p1, &st, 0);
	n1 = pg_count(uri, week);

	week = "2026-12-06";
	if ((p1 = start(coll, uri, cfg, "67108864")) < 0)
		return 1;
	ports[0] = port;
	if ((p2 = start(coll, uri, cfg, "67108864")) < 0)
		return 1;
	ports[1] = port;
	nports = 2;
	two = run_phase(1);
	nports = 1;
	kill(p1, SIGTERM);
	kill(p2, SIGTERM);
	waitpid(p1, &st, 0);
	waitpid(p2, &st, 0);
	n2 = pg_count(uri, week);

	printf("\nPostgreSQL store (one local server, unix socket, "
	       "synchronous_commit on), %d threads\n", threads);
	printf("file store, 1 collector:        %7.0f req/s  p50 %6.2f ms  "
	       "p99 %6.2f ms\n", fileph.per_s, fileph.p50_ms, fileph.p99_ms);
	printf("PostgreSQL, 1 collector:        %7.0f req/s  p50 %6.2f ms  "
	       "p99 %6.2f ms\n", one.per_s, one.p50_ms, one.p99_ms);
	printf("PostgreSQL, 2 collectors:       %7.0f req/s  p50 %6.2f ms  "
	       "p99 %6.2f ms\n", two.per_s, two.p50_ms, two.p99_ms);
	printf("ratio PostgreSQL/file (1 collector): %.2f; 2 collectors / 1 "
	       "collector: %.2f\n", fileph.per_s > 0 ? one.per_s /
	       fileph.per_s : 0, one.per_s > 0 ? two.per_s / one.per_s : 0);
	printf("accepted %d and %d, rows %lld and %lld: %s\n", one.ok, two.ok,
	       n1, n2, n1 == one.ok && n2 == two.ok ? "no report lost" :
	       "REPORTS LOST");
	if (n1 != one.ok || n2 != two.ok)
		rc = 1;

	snprintf(data, sizeof data, "%s/big", dir);
	{
		double t0 = now_s();

		if (load_big(data, uri, "2026-11-15")) {
			fprintf(stderr, "bench_collector: cannot load %d "
				"reports\n", big);
			return 1;
		}
		printf("\n%d reports of one day loaded in both stores in "
		       "%.1f s\n", big, ms_since(t0) / 1e3);
	}
	snprintf(cmd, sizeof cmd, "'%s' merge --data '%s' --date 2026-11-15 "
		 ">/dev/null", coll, data);
	m_file = run_cmd(cmd);
	snprintf(cmd, sizeof cmd, "'%s' merge --store '%s' --date 2026-11-15 "
		 ">/dev/null", coll, uri);
	m_pg = run_cmd(cmd);
	snprintf(cmd, sizeof cmd, "TMWATCH_NOW=2026-11-29T12:00:00Z "
		 "HOME='%s' TMWATCH_DIR='%s/m' XDG_STATE_HOME='%s/m' '%s' "
		 "stacks --data '%s' --program load --days 30 >/dev/null", dir,
		 dir, dir, tm, data);
	s_file = run_cmd(cmd);
	snprintf(cmd, sizeof cmd, "TMWATCH_NOW=2026-11-29T12:00:00Z "
		 "HOME='%s' TMWATCH_DIR='%s/m' XDG_STATE_HOME='%s/m' '%s' "
		 "stacks --data '%s' --program load --days 30 >/dev/null", dir,
		 dir, dir, tm, uri);
	s_pg = run_cmd(cmd);
	printf("daily merge of the day:  file %8.0f ms   PostgreSQL %8.0f ms"
	       "   ratio %.2f\n", m_file, m_pg, m_file > 0 ? m_pg / m_file :
	       0);
	printf("tmwatch stacks (30 days): file %8.0f ms   PostgreSQL %8.0f ms"
	       "   ratio %.2f\n", s_file, s_pg, s_file > 0 ? s_pg / s_file :
	       0);
	if (m_file < 0 || m_pg < 0 || s_file < 0 || s_pg < 0)
		rc = 1;
	snprintf(cmd, sizeof cmd, "'%s' destroy '%s'", cluster, pgdir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_collector: cannot remove the cluster in "
			"%s\n", pgdir);
	return rc;
}

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/tmwatch-bench-collector-XXXXXX";
	char exe[4096], coll[4200], cfg[4200], data[4200], week[4300];
	char line[256] = "";
	const char *env = getenv("TMWATCH_COLLECTOR");
	struct phase base, fig;
	char *dir;
	int st, stored, pg_rc;
	ssize_t n;
	pid_t pid;
	FILE *f;

	if (argc > 1)
		requests = atoi(argv[1]);
	if (argc > 2)
		threads = atoi(argv[2]);
	if (requests < 10)
		requests = 10;
	if (threads < 1 || threads > 64)
		threads = 4;
	if (argc > 3)
		flood = atoi(argv[3]);
	if (flood < 1 || flood > 2000)
		flood = 200;
	if (argc > 4)
		big = atoi(argv[4]);
	if (big < 100)
		big = 100;
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = '\0';
	snprintf(coll, sizeof coll, "%s/../bin/tmwatch-collector",
		 dirname(exe));
	if (env)
		snprintf(coll, sizeof coll, "%s", env);
	dir = mkdtemp(tmpl);
	snprintf(cfg, sizeof cfg, "%s/load.json", dir);
	snprintf(data, sizeof data, "%s/data", dir);
	f = fopen(cfg, "w");
	if (!dir || !f)
		return 1;
	fputs("{\"Version\":\"bench\",\"Endpoint\":\"http://127.0.0.1/u\","
	      "\"Programs\":[{\"Name\":\"load\",\"Counters\":[{\"Name\":"
	      "\"load/ok\"}]}]}", f);
	fclose(f);
	pid = start(coll, data, cfg, "67108864");
	if (pid < 0)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	base = run_phase(0);
	fig = run_phase(1);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	snprintf(week, sizeof week, "%s/2026-11-22", data);
	stored = count_stored(week);
	printf("collector on loopback, %d threads, %d requests per phase\n",
	       threads, requests);
	printf("baseline (refused, not stored): %7.0f req/s  p50 %6.2f ms  "
	       "p99 %6.2f ms\n", base.per_s, base.p50_ms, base.p99_ms);
	printf("figure (accepted, fsync'd):     %7.0f req/s  p50 %6.2f ms  "
	       "p99 %6.2f ms\n", fig.per_s, fig.p50_ms, fig.p99_ms);
	printf("ratio (figure/baseline throughput): %.2f\n",
	       base.per_s > 0 ? fig.per_s / base.per_s : 0);
	printf("accepted %d, stored %d: %s\n", fig.ok, stored,
	       stored == fig.ok ? "no report lost" : "REPORTS LOST");
	{
		struct rlimit rl;
		int busy0, busy1;
		long g0, g1;

		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		g0 = flood_growth(coll, data, cfg, "0", &busy0);
		g1 = flood_growth(coll, data, cfg, "67108864", &busy1);
		printf("flood: %d clients each holding 4 MiB - 1 byte of a "
		       "body\n", flood);
		printf("baseline (no budget):      peak RSS +%6ld MiB, %d "
		       "cut off\n", g0 / 1024, busy0);
		printf("figure (64 MiB budget):    peak RSS +%6ld MiB, %d "
		       "cut off\n", g1 / 1024, busy1);
		printf("ratio (figure/baseline peak growth): %.3f\n",
		       g0 > 0 ? (double)g1 / (double)g0 : 0);
	}
	pg_rc = pg_phases(coll, dir, cfg, fig);
	snprintf(line, sizeof line, "rm -rf '%s'", dir);
	if (system(line) != 0)
		fprintf(stderr, "bench_collector: cannot remove %s\n", dir);
	return stored == fig.ok && WIFEXITED(st) && !WEXITSTATUS(st) &&
	       !pg_rc ? 0 : 1;
}

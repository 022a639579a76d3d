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
 * usage: bench_collector [REQUESTS [THREADS [FLOOD]]] (default 2000 4 200)
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

#include "report.h"

#define MAX_SECONDS 30

static int port;
static int requests = 2000, threads = 4, flood = 200;
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
	struct tm__report r = { .week = "2026-11-22", .x = 0, .nprograms = 1,
				.programs = &p, .config = "bench" };
	char *text;
	size_t len;

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
	snprintf(url, sizeof url, "http://127.0.0.1:%d/upload/2026-11-22",
		 port);
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
		execl(coll, coll, "--port", "0", "--data", data, "--config",
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

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/tmwatch-bench-collector-XXXXXX";
	char exe[4096], coll[4200], cfg[4200], data[4200], week[4300];
	char line[256] = "";
	const char *env = getenv("TMWATCH_COLLECTOR");
	struct phase base, fig;
	char *dir;
	int st, stored;
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
	snprintf(line, sizeof line, "rm -rf '%s'", dir);
	if (system(line) != 0)
		fprintf(stderr, "bench_collector: cannot remove %s\n", dir);
	return stored == fig.ok && WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : 1;
}

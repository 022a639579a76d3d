/* SPDX-License-Identifier: MIT */
/* main.c -- tmwatch-collector: a small HTTP server receiving uploads.
 *
 * Serves POST /upload/YYYY-MM-DD with libmicrohttpd (one thread per
 * connection): caps the body, validates it with the client's own report
 * and upload config code (check.c), stores it durably before answering
 * 200 (store.h: files or PostgreSQL), answers 503 with Retry-After while
 * the store is unreachable, answers 429 with Retry-After over a
 * configured rate, logs one line per request and stops cleanly on SIGTERM
 * or SIGINT with a summary line. What a client may hold (slots per address, time per
 * request, memory for bodies) is limits.c's business. For tests, --script
 * makes the first requests fail in chosen ways (500, 400, 429, a hang).
 * Usage and protocol: docs/collector.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"
#include "dashboard.h"
#include "merge.h"
#include "store.h"
#include "fsutil.h"
#include "limits.h"
#include "tmwatch/common.h"

#define MAX_SCRIPT 64

struct options {
	const char *addr;
	unsigned port;
	const char *data;	/* --store or --data: the store's spec */
	const char *config;
	const char *port_file;
	const char *log_path;
	size_t max_body;
	double rate;		/* requests per second; 0 = no limit */
	unsigned retry_after;	/* seconds, in every 429 */
	long hang_ms;
	unsigned max_conns;
	unsigned per_ip;	/* connections one address may hold */
	unsigned request_s;	/* total time to receive one request */
	size_t max_inflight;	/* bytes of bodies held at once */
	int script[MAX_SCRIPT];	/* 0 normal, -1 hang, else a status */
	size_t nscript;
};

static struct options opt = {
	.addr = "127.0.0.1",
	.port = 8080,
	.max_body = 4u << 20,
	.retry_after = 60,
	.hang_ms = 30000,
	.max_conns = 512,
	.per_ip = 16,
	.request_s = 30,
	.max_inflight = 64u << 20,
};
static struct tm__upload_configs cfgs;
static struct store *store;
static FILE *logf;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cv = PTHREAD_COND_INITIALIZER;
static int stopping;
static size_t script_pos;
static double tokens;
static struct timespec tokens_at;
static atomic_ulong n_conn, n_req, n_stored, n_dup, n_rejected, n_limited,
	n_busy, n_unavailable;

/* Per-request state, hung on the connection by libmicrohttpd. */
struct req {
	char *body;
	size_t len;
	size_t cap;		/* charged to the budget (limits.c) */
	size_t announced;	/* Content-Length, 0 when absent */
	int too_big;
	int is_over_budget;
	int is_answered;	/* a response is queued (else: logged early end) */
	int scripted;		/* the script's answer for this request */
};

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("tmwatch-collector: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("tmwatch-collector: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\ntry 'tmwatch-collector --help'\n", stderr);
	exit(2);
}

static void logline(const struct MHD_Connection *conn, const char *method,
		    const char *url, int status, size_t len, const char *what)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		(struct MHD_Connection *)conn,
		MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char host[64] = "-", when[32];
	time_t now = time(NULL);
	struct tm tm;

	if (ci && ci->client_addr)
		getnameinfo(ci->client_addr,
			    ci->client_addr->sa_family == AF_INET6 ?
			    sizeof(struct sockaddr_in6) :
			    sizeof(struct sockaddr_in),
			    host, sizeof host, NULL, 0, NI_NUMERICHOST);
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	pthread_mutex_lock(&mu);
	if (status)
		fprintf(logf, "%s %s %s %.200s %d %zu %s\n", when, host,
			method ? method : "-", url ? url : "-", status, len,
			what);
	else
		fprintf(logf, "%s %s %s %.200s - %zu %s\n", when, host,
			method ? method : "-", url ? url : "-", len, what);
	fflush(logf);
	pthread_mutex_unlock(&mu);
}

static enum MHD_Result reply(struct MHD_Connection *conn, int status,
			     const char *text, int retry_after)
{
	char body[400], ra[16];
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t n = (size_t)snprintf(body, sizeof body, "%s\n", text);

	if (n >= sizeof body)
		n = sizeof body - 1;
	resp = MHD_create_response_from_buffer(n, body,
					       MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type",
				"text/plain; charset=utf-8");
	if (retry_after) {
		snprintf(ra, sizeof ra, "%u", opt.retry_after);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	ret = MHD_queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* over_rate takes one token from the bucket (capacity = rate, refilled at
 * rate per second); 1 when there was none. */
static int over_rate(void)
{
	struct timespec now;
	double dt;
	int over;

	if (opt.rate <= 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&mu);
	dt = (double)(now.tv_sec - tokens_at.tv_sec) +
	     (double)(now.tv_nsec - tokens_at.tv_nsec) / 1e9;
	tokens_at = now;
	tokens += dt * opt.rate;
	if (tokens > opt.rate)
		tokens = opt.rate;
	over = tokens < 1.0;
	if (!over)
		tokens -= 1.0;
	pthread_mutex_unlock(&mu);
	return over;
}

static int next_script(void)
{
	int s = 0;

	pthread_mutex_lock(&mu);
	if (script_pos < opt.nscript)
		s = opt.script[script_pos++];
	pthread_mutex_unlock(&mu);
	return s;
}

/* hang holds a request unanswered for --hang-ms, or until we stop, so a
 * client's total timeout can be tested against a live server. */
static void hang(void)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += opt.hang_ms / 1000;
	until.tv_nsec += (opt.hang_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&mu);
	while (!stopping &&
	       pthread_cond_timedwait(&stop_cv, &mu, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&mu);
}

/* busy answers 503 with Retry-After: the bodies in flight already hold
 * the memory budget (--max-inflight). */
static enum MHD_Result busy(struct MHD_Connection *conn, const char *method,
			    const char *url, size_t len)
{
	atomic_fetch_add(&n_busy, 1);
	logline(conn, method, url, 503, len, "busy: bodies in flight over "
		"--max-inflight");
	return reply(conn, 503, "collector busy: too many reports in flight; "
		     "retry later", 1);
}

static enum MHD_Result finish(struct MHD_Connection *conn, const char *method,
			      const char *url, struct req *rq)
{
	const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     "Content-Type");
	struct collector_verdict v;
	char what[400];
	size_t cost;
	int rc;

	rq->is_answered = 1;
	if (rq->too_big) {
		atomic_fetch_add(&n_rejected, 1);
		logline(conn, method, url, 413, rq->len, "body over the cap");
		return reply(conn, 413, "report larger than the collector "
			     "accepts", 0);
	}
	if (rq->is_over_budget)
		return busy(conn, method, url, rq->len);
	if (rq->scripted == -1) {
		/* Said before holding, so a test knows the client is now
		 * mid-flight. */
		logline(conn, method, url, 0, rq->len,
			"holding the request (scripted hang)");
		hang();
		logline(conn, method, url, 503, rq->len, "scripted hang");
		return reply(conn, 503, "scripted hang ended", 0);
	}
	if (rq->scripted > 0 && rq->scripted != 200) {
		snprintf(what, sizeof what, "scripted %d", rq->scripted);
		logline(conn, method, url, rq->scripted, rq->len, what);
		if (rq->scripted == 429)
			atomic_fetch_add(&n_limited, 1);
		return reply(conn, rq->scripted, what, rq->scripted == 429 ||
			     rq->scripted == 503);
	}
	/* Reading the report costs memory too (cJSON's tree): charge it,
	 * and refuse for good what could never fit. */
	cost = body_parse_cost(rq->body, rq->len);
	if (!limits_can_ever_fit(cost + rq->cap)) {
		atomic_fetch_add(&n_rejected, 1);
		logline(conn, method, url, 413, rq->len, "reading it would "
			"take more than --max-inflight");
		return reply(conn, 413, "report too large or too complex for "
			     "the collector", 0);
	}
	if (limits_reserve(cost))
		return busy(conn, method, url, rq->len);
	check_request(&cfgs, method, url, ct, rq->body, rq->len, &v);
	limits_release(cost);
	if (v.status != 200) {
		atomic_fetch_add(&n_rejected, 1);
		logline(conn, method, url, v.status, rq->len, v.reason);
		return reply(conn, v.status, v.reason, v.status == 503);
	}
	rc = store->ops->put(store, v.week, v.key, rq->body, rq->len);
	if (rc == -EAGAIN) {
		/* The database is unreachable: the client keeps the report
		 * and retries; the store reconnects by itself. */
		atomic_fetch_add(&n_unavailable, 1);
		logline(conn, method, url, 503, rq->len, "store unreachable");
		return reply(conn, 503, "store unreachable; retry later", 1);
	}
	if (rc == TM_EINVAL) {
		atomic_fetch_add(&n_rejected, 1);
		logline(conn, method, url, 400, rq->len, "refused by the "
			"store: not valid UTF-8 JSON");
		return reply(conn, 400, "invalid report: not valid UTF-8 "
			     "JSON", 0);
	}
	if (rc < 0 && rc != -EEXIST) {
		snprintf(what, sizeof what, "cannot store: %s",
			 tm_strerror(rc));
		logline(conn, method, url, 503, rq->len, what);
		return reply(conn, 503, "cannot store the report; retry later",
			     1);
	}
	if (rc == -EEXIST) {
		atomic_fetch_add(&n_rejected, 1);
		snprintf(what, sizeof what, "conflict: another report has key "
			 "%s/%s", v.week, v.key);
		logline(conn, method, url, 409, rq->len, what);
		return reply(conn, 409, "another report with this week and X "
			     "is stored", 0);
	}
	atomic_fetch_add(rc == 1 ? &n_dup : &n_stored, 1);
	snprintf(what, sizeof what, "%s %s/%s.json",
		 rc == 1 ? "duplicate" : "stored", v.week, v.key);
	logline(conn, method, url, 200, rq->len, what);
	return reply(conn, 200, rc == 1 ? "ok (already stored)" : "ok", 0);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	struct req *rq = *con_cls;
	char date[11];

	(void)cls;
	(void)version;
	if (!rq) {
		const char *cl = MHD_lookup_connection_value(
			conn, MHD_HEADER_KIND, "Content-Length");

		rq = calloc(1, sizeof *rq);
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		atomic_fetch_add(&n_req, 1);
		/* Every return below but the last answers at once. */
		rq->is_answered = 1;
		/* Answer early what needs no body: the client is told
		 * before it sends megabytes we would throw away. */
		if (!check_path(url, date)) {
			/* GET: the merged dataset and the dashboard. */
			if (!strcmp(method, "GET") ||
			    !strcmp(method, "HEAD")) {
				/* Headers are all a GET sends: the receive
				 * deadline must not cut a long answer. */
				limits_request_received(conn);
				return dashboard_serve(conn, method, url,
						       store, logline);
			}
			logline(conn, method, url, 404, 0, "not found");
			return reply(conn, 404, "not found: POST "
				     "/upload/YYYY-MM-DD", 0);
		}
		if (strcmp(method, "POST")) {
			logline(conn, method, url, 405, 0, "bad method");
			return reply(conn, 405, "method not allowed: use POST",
				     0);
		}
		if (cl && strtoull(cl, NULL, 10) > opt.max_body) {
			atomic_fetch_add(&n_rejected, 1);
			logline(conn, method, url, 413,
				(size_t)strtoull(cl, NULL, 10),
				"body over the cap");
			return reply(conn, 413, "report larger than the "
				     "collector accepts", 0);
		}
		if (cl) {
			rq->announced = (size_t)strtoull(cl, NULL, 10);
			if (!limits_can_start(rq->announced))
				return busy(conn, method, url, 0);
		}
		if (over_rate()) {
			atomic_fetch_add(&n_limited, 1);
			logline(conn, method, url, 429, 0, "over the rate");
			return reply(conn, 429, "too many requests; retry "
				     "later", 1);
		}
		rq->scripted = next_script();
		rq->is_answered = 0;
		return MHD_YES;
	}
	if (*data_size) {
		int rc = 0;

		/* Past a limit, keep reading (and dropping) so the client
		 * gets a clean answer rather than a reset connection. */
		if (rq->is_over_budget || rq->too_big)
			;
		else if (rq->len + *data_size > opt.max_body)
			rq->too_big = 1;
		else if ((rc = limits_body_grow(&rq->body, &rq->cap,
						rq->len + *data_size,
						rq->announced)) == -ENOMEM)
			return MHD_NO;
		else if (rc) {
			/* Past the budget: give the memory back now and
			 * answer 503 once the body is in. */
			rq->is_over_budget = 1;
			limits_body_free(rq->body, rq->cap);
			rq->body = NULL;
			rq->cap = 0;
		} else {
			memcpy(rq->body + rq->len, data, *data_size);
		}
		rq->len += *data_size;
		*data_size = 0;
		return MHD_YES;
	}
	limits_request_received(conn);
	return finish(conn, method, url, rq);
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *con_cls;

	(void)cls;
	(void)toe;
	if (rq) {
		limits_body_free(rq->body, rq->cap);
		/* After the release: a test waiting for this line may count
		 * on the budget being back. */
		if (!rq->is_answered)
			logline(conn, NULL, NULL, 0, rq->len, "ended before "
				"the request was complete");
		free(rq);
		*con_cls = NULL;
	}
	limits_request_done(conn);
}

static void on_conn(void *cls, struct MHD_Connection *conn,
		    void **socket_context,
		    enum MHD_ConnectionNotificationCode t)
{
	(void)cls;
	if (t == MHD_CONNECTION_NOTIFY_STARTED) {
		atomic_fetch_add(&n_conn, 1);
		limits_conn_started(conn, socket_context);
	} else if (t == MHD_CONNECTION_NOTIFY_CLOSED)
		limits_conn_closed(socket_context);
}

static void log_sweep(const char *host, const char *what)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	pthread_mutex_lock(&mu);
	fprintf(logf, "%s %s - - - 0 %s\n", when, host, what);
	fflush(logf);
	pthread_mutex_unlock(&mu);
}

static void parse_script(const char *s)
{
	char *copy = strdup(s), *save = NULL, *t;

	if (!copy)
		die("out of memory");
	for (t = strtok_r(copy, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		char *end;
		long v;

		if (opt.nscript == MAX_SCRIPT)
			usage_error("--script: more than %d entries",
				    MAX_SCRIPT);
		if (!strcmp(t, "hang")) {
			opt.script[opt.nscript++] = -1;
			continue;
		}
		v = strtol(t, &end, 10);
		if (*end || v < 200 || v > 599)
			usage_error("--script: '%s' is not an HTTP status or "
				    "'hang'", t);
		opt.script[opt.nscript++] = (int)v;
	}
	free(copy);
}

static unsigned long num(const char *what, const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || v > max || *s == '-')
		usage_error("%s: '%s' is not a number from 0 to %lu", what, s,
			    max);
	return v;
}

static void help(void)
{
	puts("usage: tmwatch-collector --store STORE --config DIRS "
	     "[options]\n"
	     "\n"
	     "Receive tmwatch reports (POST /upload/YYYY-MM-DD) and store "
	     "each as DIR/WEEK/X.json\nor in PostgreSQL.\n"
	     "\n"
	     "  --addr ADDR          address to listen on (127.0.0.1)\n"
	     "  --port N             port, 0 for any free one (8080)\n"
	     "  --store file:DIR     store reports as files under DIR "
	     "(--data DIR: the same)\n"
	     "  --store postgresql://...  store them in PostgreSQL (a libpq "
	     "URI; password\n"
	     "                       from PGPASSFILE or ~/.pgpass, never in "
	     "the URI)\n"
	     "  --config DIRS        upload configs: ':'-separated files or "
	     "directories (required)\n"
	     "  --max-body BYTES     largest report accepted (4194304)\n"
	     "  --rate N             requests per second before 429 (no "
	     "limit)\n"
	     "  --retry-after S      Retry-After sent with 429 and 503 (60)\n"
	     "  --port-file FILE     write the port there once listening\n"
	     "  --log FILE           append request lines there (stderr)\n"
	     "  --script LIST        tests: answers for the first requests, "
	     "e.g. 500,hang,200\n"
	     "  --hang-ms MS         how long a scripted hang lasts (30000)\n"
	     "  --max-conns N        connections at once (512)\n"
	     "  --max-conns-per-ip N connections one address may hold (16)\n"
	     "  --request-timeout S  total time to receive one request (30)\n"
	     "  --max-inflight BYTES memory for bodies in flight, then 503 "
	     "(67108864)\n"
	     "\n"
	     "       tmwatch-collector merge --store STORE [--date "
	     "YYYY-MM-DD] [--out DIR]\n"
	     "\n"
	     "GET / is a dashboard, GET /merged/ the merged dataset "
	     "(docs/merged-dataset.md).\n"
	     "Stops cleanly on SIGTERM or SIGINT. Exit status: 0 after a "
	     "clean stop, 1 on failure, 2 on a usage error.\n"
	     "See docs/collector.md.");
	exit(0);
}

static void parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "data", required_argument, NULL, 'd' },
		{ "store", required_argument, NULL, 'S' },
		{ "config", required_argument, NULL, 'c' },
		{ "max-body", required_argument, NULL, 'm' },
		{ "rate", required_argument, NULL, 'r' },
		{ "retry-after", required_argument, NULL, 'R' },
		{ "port-file", required_argument, NULL, 'P' },
		{ "log", required_argument, NULL, 'l' },
		{ "script", required_argument, NULL, 's' },
		{ "hang-ms", required_argument, NULL, 'H' },
		{ "max-conns", required_argument, NULL, 'C' },
		{ "max-conns-per-ip", required_argument, NULL, 'I' },
		{ "request-timeout", required_argument, NULL, 'T' },
		{ "max-inflight", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'a': opt.addr = optarg; break;
		case 'p': opt.port = (unsigned)num("--port", optarg, 65535);
			break;
		case 'd':
		case 'S': opt.data = optarg; break;
		case 'c': opt.config = optarg; break;
		case 'm': opt.max_body = num("--max-body", optarg, 1u << 30);
			break;
		case 'r': opt.rate = (double)num("--rate", optarg, 1000000);
			break;
		case 'R': opt.retry_after = (unsigned)num("--retry-after",
							  optarg, 86400);
			break;
		case 'P': opt.port_file = optarg; break;
		case 'l': opt.log_path = optarg; break;
		case 's': parse_script(optarg); break;
		case 'H': opt.hang_ms = (long)num("--hang-ms", optarg,
						  3600000);
			break;
		case 'C': opt.max_conns = (unsigned)num("--max-conns", optarg,
							10000);
			break;
		case 'I': opt.per_ip = (unsigned)num("--max-conns-per-ip",
						     optarg, 10000);
			break;
		case 'T': opt.request_s = (unsigned)num("--request-timeout",
							optarg, 3600);
			break;
		case 'M': opt.max_inflight = num("--max-inflight", optarg,
						 1ul << 40);
			break;
		case 'h': help(); break;
		case 'V': puts("tmwatch-collector " TMWATCH_VERSION); exit(0);
		default:
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (!opt.data || !opt.config)
		usage_error("--store (or --data) and --config are required");
	if (!opt.max_conns || !opt.per_ip || !opt.request_s)
		usage_error("--max-conns, --max-conns-per-ip and "
			    "--request-timeout must be at least 1");
	if (opt.max_inflight && opt.max_inflight < opt.max_body)
		usage_error("--max-inflight must be 0 (no cap) or at least "
			    "--max-body");
}

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	const union MHD_DaemonInfo *di;
	struct MHD_Daemon *d;
	char port[8];
	sigset_t set;
	unsigned long timed_out;
	unsigned flags;
	int sig;

	if (argc > 1 && strcmp(argv[1], "merge") == 0)
		return merge_main(argc - 1, argv + 1);
	parse_args(argc, argv);
	logf = stderr;
	if (opt.log_path && !(logf = fopen(opt.log_path, "ae")))
		die("cannot open log '%s': %s", opt.log_path,
		    strerror(errno));
	{
		char why[512];

		if (store_open(opt.data, &store, why, sizeof why))
			die("%s", why);
	}
	if (tm__uploadconfig_load_dirs(opt.config, &cfgs))
		die("out of memory reading configs");
	for (size_t i = 0; i < cfgs.nerrors; i++)
		fprintf(stderr, "tmwatch-collector: invalid upload config: "
			"%s\n", cfgs.errors[i]);
	if (cfgs.nerrors)
		die("refusing to start with an invalid upload config");
	if (cfgs.n == 0)
		die("no upload config in '%s'; give --config", opt.config);

	snprintf(port, sizeof port, "%u", opt.port);
	if (getaddrinfo(opt.addr, port, &hints, &ai) || !ai)
		usage_error("--addr: '%s' is not a numeric IP address",
			    opt.addr);
	/* Block the stop signals before libmicrohttpd starts its threads,
	 * which inherit the mask: only sigwait below receives them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	clock_gettime(CLOCK_MONOTONIC, &tokens_at);
	tokens = opt.rate;
	/* Bodies and cJSON trees are freed on many threads' arenas; a fixed
	 * mmap threshold hands every large body back to the kernel when it
	 * is freed, so the budget bounds RSS too (mallopt(3)). */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	{
		struct limits_conf lc = { .request_s = opt.request_s,
					  .inflight_max = opt.max_inflight,
					  .log = log_sweep };

		if (limits_start(&lc))
			die("cannot start the request sweeper thread");
	}

	/* poll(2), not select(2): descriptors past FD_SETSIZE work too. */
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION
		| MHD_USE_POLL | MHD_USE_ERROR_LOG;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	d = MHD_start_daemon(flags, (uint16_t)opt.port, NULL, NULL,
			     on_request, NULL,
			     MHD_OPTION_SOCK_ADDR, ai->ai_addr,
			     MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
			     MHD_OPTION_NOTIFY_CONNECTION, on_conn, NULL,
			     MHD_OPTION_CONNECTION_TIMEOUT, 30u,
			     MHD_OPTION_CONNECTION_LIMIT, opt.max_conns,
			     MHD_OPTION_PER_IP_CONNECTION_LIMIT, opt.per_ip,
			     MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
			     MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!d)
		die("cannot listen on %s port %u: %s", opt.addr, opt.port,
		    strerror(errno));
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	opt.port = di ? di->port : opt.port;
	if (opt.port_file) {
		char buf[16];
		int n = snprintf(buf, sizeof buf, "%u\n", opt.port);

		if (tm__fs_write_atomic(opt.port_file, buf, (size_t)n, 0644,
					0))
			die("cannot write '%s'", opt.port_file);
	}
	printf("tmwatch-collector: listening on http://%s%s%s:%u/upload\n",
	       strchr(opt.addr, ':') ? "[" : "", opt.addr,
	       strchr(opt.addr, ':') ? "]" : "", opt.port);
	fflush(stdout);

	if (merge_daily_start(store, logf, &mu))
		die("cannot start the daily merge thread");
	do {
		if (sigwait(&set, &sig))
			sig = SIGTERM;
	} while (sig != SIGTERM && sig != SIGINT);

	pthread_mutex_lock(&mu);
	stopping = 1;
	pthread_cond_broadcast(&stop_cv);
	pthread_mutex_unlock(&mu);
	MHD_stop_daemon(d);
	merge_daily_stop();
	timed_out = limits_stop();
	fprintf(logf, "tmwatch-collector: stopped: %lu connections, %lu "
		"requests, %lu stored, %lu duplicates, %lu rejected, %lu "
		"rate-limited, %lu busy, %lu timed out, %lu store "
		"unreachable\n",
		atomic_load(&n_conn), atomic_load(&n_req),
		atomic_load(&n_stored), atomic_load(&n_dup),
		atomic_load(&n_rejected), atomic_load(&n_limited),
		atomic_load(&n_busy), timed_out,
		atomic_load(&n_unavailable));
	fflush(logf);
	tm__uploadconfig_free_all(&cfgs);
	store->ops->close(store);
	return 0;
}

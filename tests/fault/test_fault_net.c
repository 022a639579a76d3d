/* SPDX-License-Identifier: MIT */
/* test_fault_net.c -- hostile networks (issue 14), against a real
 * tmwatch-collector on 127.0.0.1: a proxy must never see a plain-http
 * report, https still goes through the proxy, a host holding hundreds of
 * slow connections cannot keep uploads out, bodies in flight stay within
 * their memory budget, and the collector stores only exactly one JSON
 * object with X spelled canonically.
 *
 * Attackers are raw sockets from other loopback addresses (127.0.0.2,
 * 127.0.0.3); uploaders are real processes (upload_driver). Every wait is
 * bounded and fails the test saying what did not happen.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "mkcount.h"
#include "collproc.h"

#define NOW "2026-11-23T10:00:00Z"

static char *store, *cfgdir, *srvdir;

static const char *SERVER_CFG =
	"{\"Version\":\"srv1\",\"Endpoint\":\"http://127.0.0.1:1/upload\","
	"\"Programs\":[{\"Name\":\"alpha\",\"Counters\":["
	"{\"Name\":\"alpha/{started,stopped}\"}],"
	"\"Stacks\":[{\"Name\":\"crash/crash\",\"Depth\":16}]}]}";

static const char *PROGRAMS =
	"[{\"Name\":\"alpha\",\"Counters\":[{\"Name\":\"alpha/started\"}],"
	"\"Stacks\":[{\"Name\":\"crash/crash\"}]}]";

static void client_config(const char *endpoint)
{
	char *text;

	assert_true(asprintf(&text, "{\"Version\":\"c1\",\"Endpoint\":\"%s\","
			     "\"Programs\":%s}", endpoint, PROGRAMS) > 0);
	mk_file(cfgdir, "tool.json", text);
	free(text);
}

static void client_config_port(int port)
{
	char url[64];

	snprintf(url, sizeof url, "http://127.0.0.1:%d/upload", port);
	client_config(url);
}

/* run_upload runs one uploader with TMWATCH_NOW=WHEN and ENV (a NULL-
 * terminated list, or NULL) and returns its stdout summary. */
static char *run_upload(const char *when, const char *arg, char **env)
{
	char nowvar[64];
	char *argv[] = { getenv("TMWATCH_UPLOAD_DRIVER"), (char *)arg, NULL };
	char *full[16] = { nowvar };
	char *out = NULL, *err = NULL;
	size_t n = 1;
	int st;

	snprintf(nowvar, sizeof nowvar, "TMWATCH_NOW=%s", when);
	for (size_t i = 0; env && env[i] && n < 15; i++)
		full[n++] = env[i];
	st = tu_run(argv, full, &out, &err, 60000);
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("upload_driver: %s\n%s", tu_describe_status(st),
			 err ? err : "");
	fprintf(stderr, "%s", err ? err : "");
	free(err);
	return out;
}

static void expect_summary(char *out, const char *part)
{
	if (!out || !strstr(out, part))
		fail_msg("summary '%s' lacks '%s'", out ? out : "(none)",
			 part);
	free(out);
}

static int setup(void **state)
{
	struct mk_counter w[] = { { "alpha/started", 4 } };

	(void)state;
	store = tu_fresh_store("net");
	cfgdir = tu_tmpdir("net-cfg");
	srvdir = tu_tmpdir("net-srv");
	setenv("TMWATCH_UPLOAD_CONFIG_DIRS", cfgdir, 1);
	setenv("TMWATCH_UPLOAD_TIMEOUT_MS", "10000", 1);
	unsetenv("TMWATCH_NOW");
	mk_file(srvdir, "server.json", SERVER_CFG);
	mk_file(store, "mode", "on 2026-11-13\n");
	mk_count(store, "alpha", "1.0", "2026-11-15", "2026-11-22", w, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmrf(store);
	tu_rmrf(cfgdir);
	tu_rmrf(srvdir);
	free(store);
	free(cfgdir);
	free(srvdir);
	return 0;
}

/* ---- raw sockets ------------------------------------------------------ */

/* listener opens a TCP listener on 127.0.0.1 and stores its port. */
static int listener(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* dial connects from loopback address FROM (e.g. "127.0.0.2") to
 * 127.0.0.1:PORT; sends and connects time out after 10 s. Returns the
 * socket, or -errno. */
static int dial(const char *from, int port)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 10 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	inet_pton(AF_INET, from, &src.sin_addr);
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	dst.sin_port = htons((uint16_t)port);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (bind(fd, (struct sockaddr *)&src, sizeof src) ||
	    connect(fd, (struct sockaddr *)&dst, sizeof dst)) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* http_post sends one request from 127.0.0.1 and returns the status of
 * the answer (0 when none came within 20 s); the answer's text goes to
 * REPLY. */
static int http_post(int port, const char *path, const char *body,
		     char *reply, size_t cap)
{
	char head[512];
	size_t got = 0;
	long end = now_ms() + 20000;
	int fd = dial("127.0.0.1", port), n;

	assert_true(fd >= 0);
	n = snprintf(head, sizeof head, "POST %s HTTP/1.1\r\nHost: t\r\n"
		     "Content-Type: application/json\r\nContent-Length: %zu"
		     "\r\nConnection: close\r\n\r\n", path, strlen(body));
	assert_int_equal(send_all(fd, head, (size_t)n), 0);
	assert_int_equal(send_all(fd, body, strlen(body)), 0);
	reply[0] = '\0';
	while (got < cap - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, (int)(end - now_ms())) <= 0)
			break;
		r = read(fd, reply + got, cap - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
		reply[got] = '\0';
	}
	close(fd);
	return strncmp(reply, "HTTP/1.1 ", 9) ? 0 : atoi(reply + 9);
}

static long proc_kib(pid_t pid, const char *field)
{
	char path[64], *text, *p;
	long v = -1;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	text = tu_read_file(path, NULL);
	if (text && (p = strstr(text, field)))
		v = strtol(p + strlen(field) + 1, NULL, 10);
	free(text);
	return v;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; p && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* ---- 1. proxies --------------------------------------------------------- */

static void upload_to_loopback_http_bypasses_the_proxy(void **state)
{
	struct collector c;
	struct pollfd p;
	char proxy[64], up[80], all[80];
	char *env[] = { proxy, up, all, "no_proxy=", "NO_PROXY=", NULL };
	int lport, lfd = listener(&lport);

	(void)state;
	snprintf(proxy, sizeof proxy, "http_proxy=http://127.0.0.1:%d",
		 lport);
	snprintf(up, sizeof up, "HTTP_PROXY=http://127.0.0.1:%d", lport);
	snprintf(all, sizeof all, "ALL_PROXY=http://127.0.0.1:%d", lport);
	coll_start(&c, srvdir, 0, NULL);
	client_config_port(c.port);
	expect_summary(run_upload(NOW, NULL, env), "sent=1 rejected=0 "
		       "failed=0");
	/* The upload is over: a connection to the proxy would wait in its
	 * accept queue now. */
	p = (struct pollfd){ .fd = lfd, .events = POLLIN };
	if (poll(&p, 1, 0) != 0)
		fail_msg("the proxy on port %d received a connection", lport);
	close(lfd);
	assert_int_equal(coll_stop(&c), 1);
	assert_int_equal(stored(&c, "2026-11-22"), 1);
	coll_free(&c);
}

static void upload_to_https_endpoint_still_uses_the_proxy(void **state)
{
	char proxy[64], nowvar[] = "TMWATCH_NOW=" NOW, head[1024] = "";
	int lport, lfd = listener(&lport), cfd, st;
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	size_t got = 0;
	long end;
	pid_t pid;

	(void)state;
	/* .invalid never resolves (RFC 6761): only the proxy can take it. */
	client_config("https://collector.invalid/upload");
	snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", lport);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		putenv(nowvar);
		setenv("https_proxy", proxy, 1);
		setenv("HTTPS_PROXY", proxy, 1);
		setenv("no_proxy", "", 1);
		setenv("NO_PROXY", "", 1);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(getenv("TMWATCH_UPLOAD_DRIVER"), "upload_driver",
		      (char *)NULL);
		_exit(127);
	}
	if (poll(&p, 1, 20000) != 1)
		fail_msg("the https upload never reached the proxy");
	cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(cfd >= 0);
	end = now_ms() + 20000;
	while (!strstr(head, "\r\n\r\n") && got < sizeof head - 1) {
		struct pollfd q = { .fd = cfd, .events = POLLIN };
		ssize_t r;

		if (poll(&q, 1, (int)(end - now_ms())) <= 0)
			break;
		r = read(cfd, head + got, sizeof head - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
		head[got] = '\0';
	}
	close(cfd);
	close(lfd);
	assert_int_equal(tu_wait(pid, &st, 60000), 0);
	if (strncmp(head, "CONNECT collector.invalid:443 HTTP/1.1\r\n", 40))
		fail_msg("the proxy got '%s', not a CONNECT", head);
}

/* ---- 2. slow clients and memory ----------------------------------------- */

#define SLOW 600

static void collector_serves_an_upload_while_one_host_holds_600_slow_conns(
	void **state)
{
	static int fds[SLOW];
	struct collector c;
	struct rlimit rl;
	size_t open_n = 0, early = 0, ended;
	unsigned long conns;
	char summary[64];
	long t0, end;

	(void)state;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < SLOW + 64)
		fail_msg("RLIMIT_NOFILE %lu is too low for %d sockets",
			 (unsigned long)rl.rlim_cur, SLOW);
	coll_start(&c, srvdir, 0, "--request-timeout 3");
	client_config_port(c.port);
	/* Half dribble header lines, half announce a body and dribble it:
	 * the deadline covers both. */
	for (int i = 0; i < SLOW; i++) {
		static const char hdr[] = "POST /upload/2026-11-22 HTTP/1.1\r\n"
					  "Host: t\r\n";
		static const char body[] = "Content-Type: application/json\r\n"
					   "Content-Length: 100000\r\n\r\n{";

		fds[i] = dial("127.0.0.2", c.port);
		if (fds[i] < 0)
			fail_msg("connection %d from 127.0.0.2: %s", i,
				 strerror(-fds[i]));
		if (send_all(fds[i], hdr, sizeof hdr - 1) ||
		    (i % 2 && send_all(fds[i], body, sizeof body - 1))) {
			close(fds[i]);
			fds[i] = -1;
			early++;
		}
	}
	t0 = now_ms();
	expect_summary(run_upload(NOW, NULL, NULL), "sent=1 rejected=0 "
		       "failed=0");
	if (now_ms() - t0 > 10000)
		fail_msg("the upload took %ld ms", now_ms() - t0);
	/* Keep every connection alive (a byte every 300 ms, far inside the
	 * 30 s inactivity timeout) until the collector ends it. */
	end = now_ms() + 30000;
	for (;;) {
		struct pollfd p[SLOW];
		size_t n = 0;

		for (int i = 0; i < SLOW; i++)
			if (fds[i] >= 0)
				p[n++] = (struct pollfd){ .fd = fds[i],
							  .events = POLLIN };
		open_n = n;
		if (n == 0 || now_ms() > end)
			break;
		poll(p, n, 300);
		for (size_t k = 0; k < n; k++) {
			char buf[512];
			int i = 0;

			while (fds[i] != p[k].fd)
				i++;
			if ((p[k].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    read(fds[i], buf, sizeof buf) <= 0) {
				close(fds[i]);
				fds[i] = -1;
				continue;
			}
			if (send_all(fds[i], i % 2 ? " " : "X-Slow: 1\r\n",
				     i % 2 ? 1 : 11)) {
				close(fds[i]);
				fds[i] = -1;
			}
		}
	}
	for (int i = 0; i < SLOW; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (open_n)
		fail_msg("%zu slow connections still open after 30 s",
			 open_n);
	fprintf(stderr, "slow connections: %d from 127.0.0.2, %zu refused "
		"while sending, all closed after %ld ms\n", SLOW, early,
		now_ms() - t0);
	conns = coll_stop(&c);
	assert_int_equal(stored(&c, "2026-11-22"), 1);
	/* The per-address cap (16) turned most away: the collector took
	 * 16 and the upload, plus 16 more for each 3 s the 600 connects
	 * took. The deadline, not the client, ended those it took. */
	ended = count(c.log, "127.0.0.2 - - - 0 request not received "
		      "within 3s");
	snprintf(summary, sizeof summary, ", %zu timed out", ended);
	if (ended < 16 || conns > 100 || !strstr(c.log, summary))
		fail_msg("%lu connections taken, %zu ended by the deadline:\n"
			 "%s", conns, ended, c.log);
	coll_free(&c);
}

static void collector_deadline_spares_a_request_already_received(void **s)
{
	struct collector c;
	char *out;

	(void)s;
	/* The request is all in after milliseconds; the collector then
	 * holds it 3 s, three times the deadline: the answer must come. */
	coll_start(&c, srvdir, 0, "--request-timeout 1 --script hang "
		   "--hang-ms 3000");
	client_config_port(c.port);
	expect_summary(run_upload(NOW, NULL, NULL), "failed=1");
	out = run_upload(NOW, "--status", NULL);
	if (!strstr(out, "HTTP 503: scripted hang ended"))
		fail_msg("the held request was cut: %s", out);
	free(out);
	coll_stop(&c);
	assert_non_null(strstr(c.log, ", 0 timed out"));
	coll_free(&c);
}

#define FLOOD 96
#define MIB (1024 * 1024)

/* flood opens N connections from 127.0.0.3, each announcing ANNOUNCED
 * bytes of body and sending SENT of them (never all: the collector must
 * hold them). An early 503 may close a socket mid-body: that is fine. */
static void flood(int port, int *fds, int n, size_t announced, size_t sent)
{
	static char chunk[MIB];

	memset(chunk, ' ', sizeof chunk);
	for (int i = 0; i < n; i++) {
		char hdr[256];
		size_t left = sent;
		int len = snprintf(hdr, sizeof hdr, "POST /upload/2026-11-22 "
				   "HTTP/1.1\r\nHost: t\r\nContent-Type: "
				   "application/json\r\nContent-Length: %zu"
				   "\r\n\r\n", announced);

		fds[i] = dial("127.0.0.3", port);
		if (fds[i] < 0)
			fail_msg("flood connection %d: %s", i,
				 strerror(-fds[i]));
		if (send_all(fds[i], hdr, (size_t)len))
			continue;
		while (left) {
			size_t k = left < sizeof chunk ? left : sizeof chunk;

			if (send_all(fds[i], chunk, k))
				break;
			left -= k;
		}
	}
}

/* drain ends the flood (the clients stop sending, so the collector reads
 * EOF mid-body) and waits until the collector has logged the end of TOTAL
 * flood requests so far: a 503 or "ended before the request was
 * complete", each logged after its body was given back. */
static void drain(struct collector *c, int *fds, int n, size_t total)
{
	long end = now_ms() + 30000;

	for (int i = 0; i < n; i++)
		shutdown(fds[i], SHUT_WR);
	while (count(c->log, "127.0.0.3 POST /upload/2026-11-22 503") +
	       count(c->log, "127.0.0.3 - - - ") < total)
		if (now_ms() > end || !coll_read_more(c, end - now_ms()))
			fail_msg("the collector did not end all %zu flood "
				 "requests within 30 s:\n%s", total, c->log);
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

static void collector_keeps_bodies_in_flight_within_its_budget(void **state)
{
	static int fds[FLOOD];
	struct collector c;
	long base, peak;

	(void)state;
	coll_start(&c, srvdir, 0, "--max-inflight 16777216 "
		   "--max-conns-per-ip 200 --request-timeout 120");
	client_config_port(c.port);
	base = proc_kib(c.pid, "VmRSS:");
	/* 96 clients announce 4 MiB and send 1 MiB of it: 96 MiB in
	 * flight without a budget. */
	flood(c.port, fds, FLOOD, 4 * MIB, MIB);
	drain(&c, fds, FLOOD, FLOOD);
	peak = proc_kib(c.pid, "VmHWM:");
	fprintf(stderr, "collector RSS: %ld KiB at start, peak %ld KiB with "
		"%d clients x 1 MiB in flight, budget 16 MiB\n", base, peak,
		FLOOD);
	if (base < 0 || peak < 0 || peak - base > 40 * 1024)
		fail_msg("peak RSS grew by %ld KiB (budget 16 MiB)",
			 peak - base);
	/* Whether an over-budget body is told 503 before its client gives
	 * up depends on scheduling; the bound above is what this test is
	 * about (the answer itself: ..._answers_503_with_retry_after). */
	/* Every body was given back: uploads go at once. */
	expect_summary(run_upload(NOW, NULL, NULL), "sent=1");
	coll_stop(&c);
	assert_int_equal(stored(&c, "2026-11-22"), 1);
	coll_free(&c);
}

#define HOLDERS 100

static void collector_over_its_budget_answers_503_with_retry_after(void **s)
{
	static int fds[HOLDERS];
	char reply[2048], *out;
	struct collector c;
	long end = now_ms() + 30000;

	(void)s;
	/* 64 KiB bodies are charged in one step, all or nothing: 100 of
	 * them leave a 4 MiB budget exactly full, whatever the order. */
	coll_start(&c, srvdir, 0, "--max-inflight 4194304 --max-conns-per-ip "
		   "200 --request-timeout 120");
	client_config_port(c.port);
	flood(c.port, fds, HOLDERS, 65536, 65535);
	/* Until the last holder is read, a small request may still fit;
	 * once one is refused the budget is full, and stays full while
	 * the holders hold. Each try waits for its answer. */
	while (http_post(c.port, "/upload/2026-11-22", "{}", reply,
			 sizeof reply) != 503) {
		if (now_ms() > end)
			fail_msg("the budget never filled: %s", reply);
		coll_read_more(&c, 100);
	}
	assert_non_null(strstr(reply, "Retry-After: 60"));
	assert_non_null(strstr(reply, "collector busy"));
	/* A real upload gets the 503 and keeps its report for later. */
	expect_summary(run_upload(NOW, NULL, NULL), "sent=0 rejected=0 "
		       "failed=1");
	out = run_upload(NOW, "--status", NULL);
	if (!strstr(out, "HTTP 503: collector busy"))
		fail_msg("status '%s' lacks the 503", out);
	free(out);
	drain(&c, fds, HOLDERS, HOLDERS);
	expect_summary(run_upload("2026-11-23T12:00:00Z", NULL, NULL),
		       "sent=1");
	coll_stop(&c);
	assert_int_equal(stored(&c, "2026-11-22"), 1);
	coll_free(&c);
}

/* ---- 3. exactly one object, one spelling of X --------------------------- */

static char *report_with_x(const char *x, const char *tail)
{
	char *body;

	assert_true(asprintf(&body, "{\"Week\":\"2026-11-22\",\"LastWeek\":"
			     "\"\",\"X\":%s,\"Programs\":[{\"Program\":"
			     "\"alpha\",\"Version\":\"1.0\",\"GoVersion\":"
			     "\"gcc12.2.0\",\"GOOS\":\"linux\",\"GOARCH\":"
			     "\"amd64\",\"Counters\":{\"alpha/started\":4},"
			     "\"Stacks\":{}}],\"Config\":\"c1\"}%s", x,
			     tail) > 0);
	return body;
}

static void collector_refuses_bytes_after_the_report(void **state)
{
	static const char *const tails[] = {
		"}}GARBAGE", "GARBAGE", "{}", "\n{\"X\":0.5}", "\x01", " \x0b",
		",", NULL };
	struct collector c;
	char reply[2048];
	char *body;

	(void)state;
	coll_start(&c, srvdir, 0, NULL);
	/* The control: the same report with only whitespace after it. */
	body = report_with_x("0.25", " \r\n\t");
	assert_int_equal(http_post(c.port, "/upload/2026-11-22", body, reply,
				   sizeof reply), 200);
	free(body);
	for (int i = 0; tails[i]; i++) {
		char x[16];

		snprintf(x, sizeof x, "0.%d5", i + 3);
		body = report_with_x(x, tails[i]);
		if (http_post(c.port, "/upload/2026-11-22", body, reply,
			      sizeof reply) != 400 ||
		    !strstr(reply, "invalid report: "))
			fail_msg("tail %d was not refused: %s", i, reply);
		free(body);
	}
	coll_stop(&c);
	assert_int_equal(stored(&c, "2026-11-22"), 1);
	coll_free(&c);
}

static void collector_refuses_x_not_written_canonically(void **state)
{
	static const char *const xs[] = {
		"-0.0", "-0", "0.0", "0.50", "5e-1", "2.5E-1", "0.25e0",
		"1", "1.0", "1e400", "-1e400", "NaN", "Infinity", "0x0.8",
		"00.5", ".5", "+0.5", NULL };
	struct collector c;
	char reply[2048];
	char *body;

	(void)state;
	coll_start(&c, srvdir, 0, NULL);
	/* Controls: what the writer prints, tiny values included. */
	body = report_with_x("0", "");
	assert_int_equal(http_post(c.port, "/upload/2026-11-22", body, reply,
				   sizeof reply), 200);
	free(body);
	body = report_with_x("3.2e-05", "");
	assert_int_equal(http_post(c.port, "/upload/2026-11-22", body, reply,
				   sizeof reply), 200);
	free(body);
	for (int i = 0; xs[i]; i++) {
		body = report_with_x(xs[i], "");
		if (http_post(c.port, "/upload/2026-11-22", body, reply,
			      sizeof reply) != 400)
			fail_msg("X %s was not refused: %s", xs[i], reply);
		free(body);
	}
	coll_stop(&c);
	assert_int_equal(stored(&c, "2026-11-22"), 2);
	coll_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(upload_to_loopback_http_bypasses_the_proxy),
		T(upload_to_https_endpoint_still_uses_the_proxy),
		T(collector_serves_an_upload_while_one_host_holds_600_slow_conns),
		T(collector_deadline_spares_a_request_already_received),
		T(collector_keeps_bodies_in_flight_within_its_budget),
		T(collector_over_its_budget_answers_503_with_retry_after),
		T(collector_refuses_bytes_after_the_report),
		T(collector_refuses_x_not_written_canonically),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

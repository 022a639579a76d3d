/* SPDX-License-Identifier: MIT */
/* test_fault_net.c -- hostile networks (issue 14), against a real
 * tmwatch-collector on 127.0.0.1: a proxy must never see a plain-http
 * report, and https still goes through the proxy.
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

/* ---- 1. proxies --------------------------------------------------------- */

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

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(upload_to_loopback_http_bypasses_the_proxy),
		T(upload_to_https_endpoint_still_uses_the_proxy),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

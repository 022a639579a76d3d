/* SPDX-License-Identifier: MIT */
/* telemetry_view.c -- `tmwatch telemetry view`: a local web page over the
 * whole store, like `gotelemetry view`.
 *
 * Serves, on a loopback address by default, the page (web/view.*, built
 * into the module), Debian's libjs-chart.js from its installed path, and
 * /data.json: every current counter file and every kept local.*.json
 * report (past weeks that `dump` no longer shows) as one list of entries
 * per week, program and version. The page makes no request elsewhere.
 * One thread, a poll loop over at most MAX_CONNS connections; requests
 * are GET only, headers at most REQ_MAX bytes. Reads the store, never
 * writes it. Runs until killed (Ctrl-C). docs/tmwatch-telemetry.md.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "cmdutil.h"
#include "counterparse.h"
#include "msg.h"
#include "report.h"
#include "tmwatch/common.h"

static const char CMD[] = "tmwatch telemetry";

/* The page's own files, built into the module (no data directory to
 * install); chart.js is Debian's. */
#define VIEW_ASSET(sym, file)                                             \
	__asm__(".pushsection .rodata\n.globl " #sym "\n.hidden " #sym     \
		"\n.globl " #sym "_end\n.hidden " #sym "_end\n" #sym ":\n"   \
		".incbin \"" TMWATCH_VIEW_DIR "/" file "\"\n" #sym "_end:\n" \
		".byte 0\n.popsection\n");                                 \
	extern const char sym[], sym##_end[]
VIEW_ASSET(view_html, "view.html");
VIEW_ASSET(view_js, "view.js");
VIEW_ASSET(view_css, "view.css");

/* Chart.js 3 (Debian 12) ships chart.min.js; Chart.js 4 chart.umd.js. */
static const char *const chartjs_paths[] = {
	"/usr/share/javascript/chart.js/chart.umd.min.js",
	"/usr/share/javascript/chart.js/chart.umd.js",
	"/usr/share/javascript/chart.js/chart.min.js",
};

#define MAX_CONNS 32
#define REQ_MAX 8192
#define IDLE_MS 10000
#define REPORT_MAX (32u << 20)

/* ---- the data ---- */

/* "YYYY-MM-DD" of an ISO time, or "" */
static void date_of(const char *iso, char *out)
{
	if (iso && strlen(iso) >= 10)
		snprintf(out, 11, "%.10s", iso);
	else
		out[0] = 0;
}

static cJSON *entry(const char *week, const char *program,
		    const char *version, const char *source,
		    cJSON **counters, cJSON **stacks)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "week", week);
	cJSON_AddStringToObject(e, "program", program ? program : "?");
	cJSON_AddStringToObject(e, "version", version ? version : "?");
	cJSON_AddStringToObject(e, "source", source);
	*counters = cJSON_AddObjectToObject(e, "counters");
	*stacks = cJSON_AddObjectToObject(e, "stacks");
	return e;
}

static void add_counter(cJSON *counters, cJSON *stacks, const char *name,
			unsigned long long v)
{
	cmdutil_json_add_u64(strchr(name, '\n') ? stacks : counters, name, v);
}

/* Current counter files: the week is named by its end (TimeEnd), as the
 * report built from it will be. */
static void add_current(const char *dir, cJSON *entries, cJSON *skipped)
{
	struct cmdutil_count_file *files;
	size_t n;

	if (cmdutil_list_count_files(dir, &files, &n))
		return;
	for (size_t k = 0; k < n; k++) {
		struct tm__parsed_file pf;
		char why[256] = "", week[11], line[PATH_MAX + 300];
		cJSON *c, *s;

		if (tm__counterparse_path(files[k].path, &pf, why,
					  sizeof why)) {
			snprintf(line, sizeof line, "%s: %s", files[k].path,
				 why[0] ? why : "unreadable");
			cJSON_AddItemToArray(skipped, cJSON_CreateString(line));
			continue;
		}
		date_of(tm__parsed_meta(&pf, "TimeEnd"), week);
		cJSON_AddItemToArray(entries, entry(week,
			tm__parsed_meta(&pf, "Program"),
			tm__parsed_meta(&pf, "Version"), "current", &c, &s));
		for (size_t i = 0; i < pf.ncounters; i++)
			add_counter(c, s, pf.counters[i].name,
				    pf.counters[i].value);
		tm__counterparse_free(&pf);
	}
	free(files);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	struct stat st;

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size < REPORT_MAX) {
		buf = malloc((size_t)st.st_size + 1);
		if (buf) {
			*len = fread(buf, 1, (size_t)st.st_size, f);
			buf[*len] = 0;
		}
	}
	fclose(f);
	return buf;
}

/* The kept weekly reports: local.YYYY-MM-DD.json, everything of a week. */
static void add_reports(const char *dir, cJSON *entries, cJSON *skipped)
{
	char local[PATH_MAX + 8], path[PATH_MAX + 300], why[256];
	struct dirent *e;
	DIR *d;

	snprintf(local, sizeof local, "%s/local", dir);
	d = opendir(local);
	if (!d)
		return;
	while ((e = readdir(d))) {
		struct tm__report r;
		size_t len = 0;
		char *text;

		if (strncmp(e->d_name, "local.", 6) ||
		    !cmdutil_has_suffix(e->d_name, ".json") ||
		    strlen(e->d_name) != 21)
			continue;
		snprintf(path, sizeof path, "%s/%s", local, e->d_name);
		text = read_file(path, &len);
		if (!text || tm__report_parse(text, len, &r, why,
					      sizeof why)) {
			char line[PATH_MAX + 600];

			snprintf(line, sizeof line, "%s: %s", path,
				 text ? why : "unreadable");
			cJSON_AddItemToArray(skipped, cJSON_CreateString(line));
			free(text);
			continue;
		}
		free(text);
		for (size_t p = 0; p < r.nprograms; p++) {
			const struct tm__report_program *rp = &r.programs[p];
			cJSON *c, *s;

			cJSON_AddItemToArray(entries, entry(r.week,
				rp->program, rp->version, "report", &c, &s));
			for (size_t i = 0; i < rp->ncounters; i++)
				add_counter(c, s, rp->counters[i].name,
					    rp->counters[i].count);
			for (size_t i = 0; i < rp->nstacks; i++)
				add_counter(c, s, rp->stacks[i].name,
					    rp->stacks[i].count);
		}
		tm__report_free(&r);
	}
	closedir(d);
}

/* /data.json, malloc'd. */
static char *data_json(const char *dir)
{
	cJSON *o = cJSON_CreateObject(), *entries, *skipped;
	char *s;

	cJSON_AddStringToObject(o, "store", dir);
	entries = cJSON_AddArrayToObject(o, "entries");
	skipped = cJSON_AddArrayToObject(o, "skipped");
	add_reports(dir, entries, skipped);
	add_current(dir, entries, skipped);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* ---- HTTP ---- */

struct conn {
	int fd;
	size_t len;
	long long since_ms;
	char buf[REQ_MAX];
};

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void respond(int fd, int status, const char *type, const char *body,
		    size_t len)
{
	char head[512];
	int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\n"
			 "Content-Type: %s\r\nContent-Length: %zu\r\n"
			 "Cache-Control: no-cache\r\n"
			 "X-Content-Type-Options: nosniff\r\n"
			 "Content-Security-Policy: default-src 'self'; "
			 "style-src 'self' 'unsafe-inline'\r\n"
			 "Connection: close\r\n\r\n", status,
			 status == 200 ? "OK" : status == 404 ? "Not Found" :
			 status == 405 ? "Method Not Allowed" : "Error", type,
			 len);

	write_all(fd, head, (size_t)n);
	write_all(fd, body, len);
}

static void respond_text(int fd, int status, const char *text)
{
	respond(fd, status, "text/plain; charset=utf-8", text, strlen(text));
}

static void serve_chartjs(int fd)
{
	for (size_t i = 0; i < sizeof chartjs_paths / sizeof *chartjs_paths;
	     i++) {
		size_t len = 0;
		char *js = read_file(chartjs_paths[i], &len);

		if (js) {
			respond(fd, 200, "text/javascript", js, len);
			free(js);
			return;
		}
	}
	respond_text(fd, 404, "chart.js not found: install Debian's "
		     "libjs-chart.js\n");
}

static void handle(int fd, const char *req, const char *dir)
{
	char path[256];

	if (strncmp(req, "GET ", 4)) {
		respond_text(fd, 405, "GET only\n");
		return;
	}
	snprintf(path, sizeof path, "%.*s", (int)strcspn(req + 4, " ?\r\n"),
		 req + 4);
	if (!strcmp(path, "/") || !strcmp(path, "/index.html")) {
		respond(fd, 200, "text/html; charset=utf-8", view_html,
			(size_t)(view_html_end - view_html));
	} else if (!strcmp(path, "/view.js")) {
		respond(fd, 200, "text/javascript", view_js,
			(size_t)(view_js_end - view_js));
	} else if (!strcmp(path, "/view.css")) {
		respond(fd, 200, "text/css", view_css,
			(size_t)(view_css_end - view_css));
	} else if (!strcmp(path, "/static/chart.js")) {
		serve_chartjs(fd);
	} else if (!strcmp(path, "/data.json")) {
		char *s = data_json(dir);

		if (s)
			respond(fd, 200, "application/json", s, strlen(s));
		else
			respond_text(fd, 500, "out of memory\n");
		free(s);
	} else {
		respond_text(fd, 404, "not found\n");
	}
}

/* Parses "HOST:PORT" (an IPv4 address) into SA. */
static int parse_addr(const char *s, struct sockaddr_in *sa)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	char *end;
	long port;

	if (!colon || (size_t)(colon - s) >= sizeof host)
		return -1;
	snprintf(host, sizeof host, "%.*s", (int)(colon - s), s);
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 0 || port > 65535)
		return -1;
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static void open_browser(const char *url)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
		}
		execlp("xdg-open", "xdg-open", url, (char *)NULL);
		msg_error("cannot open a browser: xdg-open: %s; open '%s' "
			  "yourself", strerror(errno), url);
		_exit(127);
	}
}

static void serve(int lfd, const char *dir)
{
	struct conn *c[MAX_CONNS] = { 0 };
	struct pollfd p[MAX_CONNS + 1];

	for (;;) {
		int n = 0, timeout = -1;

		p[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < MAX_CONNS; i++)
			if (c[i]) {
				p[n++] = (struct pollfd){ .fd = c[i]->fd,
							  .events = POLLIN };
				timeout = 1000;
			}
		if (poll(p, (nfds_t)n, timeout) < 0 && errno != EINTR)
			return;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (p[0].revents & POLLIN) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			int slot = -1;

			for (int i = 0; fd >= 0 && i < MAX_CONNS; i++)
				if (!c[i]) {
					slot = i;
					break;
				}
			if (fd >= 0 && slot >= 0 &&
			    (c[slot] = calloc(1, sizeof **c))) {
				c[slot]->fd = fd;
				c[slot]->since_ms = now_ms();
			} else if (fd >= 0) {
				close(fd);
			}
		}
		for (int i = 0; i < MAX_CONNS; i++) {
			struct conn *k = c[i];
			ssize_t r;
			int done = 0;

			if (!k)
				continue;
			r = recv(k->fd, k->buf + k->len, REQ_MAX - 1 - k->len,
				 MSG_DONTWAIT);
			if (r > 0) {
				k->len += (size_t)r;
				k->buf[k->len] = 0;
				if (strstr(k->buf, "\r\n\r\n")) {
					handle(k->fd, k->buf, dir);
					done = 1;
				} else if (k->len >= REQ_MAX - 1) {
					respond_text(k->fd, 431, "headers too "
						     "large\n");
					done = 1;
				}
			} else if (r == 0 || (errno != EAGAIN &&
					      errno != EINTR)) {
				done = 1;
			} else if (now_ms() - k->since_ms > IDLE_MS) {
				done = 1;
			}
			if (done) {
				close(k->fd);
				free(k);
				c[i] = NULL;
			}
		}
	}
}

int telemetry_view_main(int argc, char **argv)
{
	const char *addr = "127.0.0.1:4040";
	struct sockaddr_in sa;
	socklen_t salen = sizeof sa;
	char dir[PATH_MAX], host[INET_ADDRSTRLEN], url[128];
	int open_it = 0, lfd, one = 1;

	if (cmdutil_wants_help(argc, argv)) {
		printf("usage: tmwatch telemetry view [--addr HOST:PORT] "
		       "[--open]\n\nServes a web page over everything in the "
		       "store: a chart per counter over\nweeks (current "
		       "counter files and kept weekly reports), histograms "
		       "for\nNAME:BUCKET families, crash stacks with counts, "
		       "filters by program and\nversion. Listens on "
		       "127.0.0.1:4040 unless --addr says otherwise (port 0:"
		       "\nany free port); --open starts a browser (xdg-open). "
		       "Runs until Ctrl-C.\n");
		return MSG_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--open")) {
			open_it = 1;
		} else if (!strcmp(argv[i], "--addr") && i + 1 < argc) {
			addr = argv[++i];
		} else if (!strcmp(argv[i], "--addr")) {
			return msg_usage(CMD, "option '--addr' needs a value");
		} else {
			return msg_usage(CMD, "unexpected argument '%s' for "
					 "view", argv[i]);
		}
	}
	if (parse_addr(addr, &sa))
		return msg_usage(CMD, "bad address '%s' for --addr: use "
				 "IPV4:PORT, e.g. 127.0.0.1:4040", addr);
	if (cmdutil_store_dir(dir, sizeof dir))
		return MSG_EXIT_FAIL;
	if (ntohl(sa.sin_addr.s_addr) >> 24 != 127)
		msg_error("note: '%s' is not a loopback address: anyone who "
			  "can reach it sees your counters", addr);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof sa) ||
	    listen(lfd, 64) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &salen)) {
		msg_error("cannot listen on '%s': %s; choose another port "
			  "with --addr 127.0.0.1:PORT", addr,
			  tm_strerror(-errno));
		if (lfd >= 0)
			close(lfd);
		return MSG_EXIT_FAIL;
	}
	inet_ntop(AF_INET, &sa.sin_addr, host, sizeof host);
	snprintf(url, sizeof url, "http://%s:%d/", host, ntohs(sa.sin_port));
	printf("tmwatch: serving the telemetry view of '%s' at %s (Ctrl-C "
	       "to stop)\n", dir, url);
	fflush(stdout);
	signal(SIGPIPE, SIG_IGN);
	if (open_it)
		open_browser(url);
	serve(lfd, dir);
	close(lfd);
	return MSG_EXIT_FAIL;
}

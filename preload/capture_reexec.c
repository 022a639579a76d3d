/* SPDX-License-Identifier: MIT */
/* capture_reexec.c -- LOAD-TIME: puts a watchdog above a process that has
 * none, by re-executing it under `tmwatch --adopt` (DESIGN §3.2, §3.3).
 *
 * Zone: LOAD-TIME only (the shim's constructor, tm_crash_monitor_start).
 * Uses libc freely. Never fails the program: every error returns to the
 * caller, which lets the program run unmonitored and says so once on
 * stderr through tm__capture_warn (silenced by TMWATCH_QUIET=1).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "tmwatch/common.h"

extern char **environ;

static int try_path(const char *path, char *out, size_t cap)
{
	if (access(path, X_OK) != 0 || strlen(path) >= cap)
		return -1;
	memcpy(out, path, strlen(path) + 1);
	return 0;
}

/* The first executable NAME in $PATH, as a shell would run it. */
static int try_search_path(const char *name, char *out, size_t cap)
{
	const char *p = getenv("PATH"), *end;
	char buf[4096];
	size_t dlen;

	for (; p && *p; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		dlen = (size_t)(end - p);
		if (dlen == 0 || p[0] != '/' ||
		    dlen + 1 + strlen(name) >= sizeof(buf))
			continue;
		memcpy(buf, p, dlen);
		buf[dlen] = '/';
		memcpy(buf + dlen + 1, name, strlen(name) + 1);
		if (try_path(buf, out, cap) == 0)
			return 0;
	}
	return -1;
}

/* LOAD-TIME. See capture.h. An explicit TMWATCH_BIN is the only choice
 * when set: a typo must not silently pick another binary. The copy next
 * to our own file comes before the configured install path: it is the
 * one of the same version, also in an installed tree moved elsewhere
 * (`cmake --install --prefix P`). */
int tm__capture_find_tmwatch(const char *own_path, char *out, size_t cap)
{
	const char *env = getenv("TMWATCH_BIN");
	static const char *const rel[] = { "/../bin/tmwatch",
					   "/../../bin/tmwatch",
					   "/../../../bin/tmwatch" };
	char buf[4096];
	const char *slash;
	size_t i, dlen;

	if (env && *env)
		return try_path(env, out, cap) == 0 ? 0 : TM_ENOWATCHDOG;
	slash = own_path && own_path[0] == '/' ? strrchr(own_path, '/') : NULL;
	dlen = slash ? (size_t)(slash - own_path) : 0;
	for (i = 0; slash && i < sizeof(rel) / sizeof(rel[0]); i++) {
		if (dlen + strlen(rel[i]) >= sizeof(buf))
			break;
		memcpy(buf, own_path, dlen);
		memcpy(buf + dlen, rel[i], strlen(rel[i]) + 1);
		if (try_path(buf, out, cap) == 0)
			return 0;
	}
#ifdef TMWATCH_INSTALLED_BIN
	if (try_path(TMWATCH_INSTALLED_BIN, out, cap) == 0)
		return 0;
#endif
	return try_search_path("tmwatch", out, cap) == 0 ? 0 : TM_ENOWATCHDOG;
}

/* LOAD-TIME. See capture.h. The program path is resolved now: after the
 * exec, /proc/self/exe names tmwatch. A program that has no path to run
 * again (fexecve of a memfd: "/memfd:NAME (deleted)"; a binary deleted
 * or replaced since it started) is passed as a descriptor on the file
 * itself; tmwatch closes it in the program (close-on-exec). O_PATH: the
 * file may be executable but not readable. */
int tm__capture_reexec(const char *tmwatch, char *const argv[])
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t argc = 0, i;
	char **nv;
	int fd = -1;

	if (n <= 0)
		return -errno;
	exe[n] = '\0';
	if (exe[0] != '/' || access(exe, X_OK) != 0) {
		fd = open("/proc/self/exe", O_PATH);
		if (fd < 0)
			return -errno;
		snprintf(exe, sizeof(exe), "/proc/self/fd/%d", fd);
	}
	while (argv && argv[argc])
		argc++;
	if (argc == 0) {
		n = -EINVAL;
		goto out;
	}
	nv = calloc(argc + 5, sizeof(*nv));
	if (!nv) {
		n = -ENOMEM;
		goto out;
	}
	nv[0] = (char *)"tmwatch";
	nv[1] = (char *)"--adopt";
	nv[2] = (char *)"--";
	nv[3] = exe;
	for (i = 0; i < argc; i++)
		nv[4 + i] = argv[i];
	execve(tmwatch, nv, environ);
	n = -errno;
	free(nv);
out:
	if (fd >= 0)
		close(fd);
	return (int)n;
}

/* LOAD-TIME. See capture.h. */
char **tm__capture_read_cmdline(void)
{
	size_t cap = 4096, len = 0, n = 0, i;
	char *buf = malloc(cap), **argv;
	ssize_t r;
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !buf)
		goto fail;
	for (;;) {
		if (len == cap) {
			char *nb = cap > (64u << 20) ? NULL :
				   realloc(buf, cap * 2);

			if (!nb)
				goto fail;
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	fd = -1;
	if (len == 0 || buf[len - 1] != '\0')
		goto fail;
	for (i = 0; i < len; i++)
		n += buf[i] == '\0';
	argv = calloc(n + 1, sizeof(*argv));
	if (!argv)
		goto fail;
	for (i = 0, n = 0; i < len; i += strlen(buf + i) + 1)
		argv[n++] = buf + i;
	return argv;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* LOAD-TIME. See capture.h. */
void tm__capture_warn(const char *what, const char *prog)
{
	static int warned;
	const char *q = getenv("TMWATCH_QUIET");
	const char *base;
	char line[1024];
	int n;

	if (warned || (q && strcmp(q, "1") == 0))
		return;
	warned = 1;
	base = prog ? strrchr(prog, '/') : NULL;
	base = base ? base + 1 : (prog ? prog : "?");
	n = snprintf(line, sizeof(line),
		     "tmwatch: %s; running '%s' without crash reporting\n",
		     what, base);
	if (n > 0)
		(void)!write(2, line, (size_t)n < sizeof(line) ? (size_t)n
							: sizeof(line) - 1);
}

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

/* LOAD-TIME. See capture.h. An explicit TMWATCH_BIN is the only choice
 * when set: a typo must not silently pick another binary. */
int tm__capture_find_tmwatch(const char *shim_path, char *out, size_t cap)
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
#ifdef TMWATCH_INSTALLED_BIN
	if (try_path(TMWATCH_INSTALLED_BIN, out, cap) == 0)
		return 0;
#endif
	if (!shim_path || !(slash = strrchr(shim_path, '/')))
		return TM_ENOWATCHDOG;
	dlen = (size_t)(slash - shim_path);
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		if (dlen + strlen(rel[i]) >= sizeof(buf))
			break;
		memcpy(buf, shim_path, dlen);
		memcpy(buf + dlen, rel[i], strlen(rel[i]) + 1);
		if (try_path(buf, out, cap) == 0)
			return 0;
	}
	return TM_ENOWATCHDOG;
}

/* LOAD-TIME. See capture.h. The program path is resolved now: after the
 * exec, /proc/self/exe names tmwatch. */
int tm__capture_reexec(const char *tmwatch, char *const argv[])
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t argc = 0, i;
	char **nv;

	if (n <= 0)
		return -errno;
	exe[n] = '\0';
	while (argv && argv[argc])
		argc++;
	if (argc == 0)
		return -EINVAL;
	nv = calloc(argc + 5, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	nv[0] = (char *)"tmwatch";
	nv[1] = (char *)"--adopt";
	nv[2] = (char *)"--";
	nv[3] = exe;
	for (i = 0; i < argc; i++)
		nv[4 + i] = argv[i];
	execve(tmwatch, nv, environ);
	n = -errno;
	free(nv);
	return (int)n;
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

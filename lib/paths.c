/* SPDX-License-Identifier: MIT */
/* paths.c -- the store and state directories, from the environment.
 *
 * DESIGN §6 fixes the store directory T and §5.4 the state directory; the
 * full layout is in docs/store-layout.md. This file only builds strings: it
 * never creates or opens anything, so reading the mode with telemetry off
 * still touches nothing. It never prints.
 */
#define _GNU_SOURCE
#include "paths.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tmwatch/common.h"

/* Copies S into BUF; -ENAMETOOLONG (and "" in BUF) when it does not fit. */
static int copy(char *buf, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (cap == 0)
		return -ENAMETOOLONG;
	if (n >= cap) {
		buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	memcpy(buf, s, n + 1);
	return 0;
}

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

int tm__paths_join(char *buf, size_t cap, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int slash = lb > 0 && la > 0 && a[la - 1] != '/';

	if (cap == 0)
		return -ENAMETOOLONG;
	if (la + (size_t)slash + lb >= cap) {
		buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	/* memmove: callers may pass BUF itself as A. */
	memmove(buf, a, la);
	if (slash)
		buf[la++] = '/';
	memcpy(buf + la, b, lb);
	buf[la + lb] = '\0';
	return 0;
}

int tm__paths_home(char *buf, size_t cap)
{
	const char *home = env_nonempty("HOME");
	struct passwd pw, *res = NULL;
	char tmp[4096];

	if (home)
		return copy(buf, cap, home);
	/* Services and some sandboxes run without HOME; the password
	 * database still knows the user's home (getpwuid_r is reentrant). */
	if (getpwuid_r(getuid(), &pw, tmp, sizeof tmp, &res) != 0 || !res ||
	    !pw.pw_dir || pw.pw_dir[0] != '/')
		return TM_EINVAL;
	return copy(buf, cap, pw.pw_dir);
}

/* Writes $XDG_VAR/tmwatch, else HOME/FALLBACK/tmwatch. The XDG spec says
 * a relative path in these variables is invalid and must be ignored. */
static int xdg_dir(char *buf, size_t cap, const char *xdg_var,
		   const char *fallback)
{
	const char *xdg = env_nonempty(xdg_var);
	int r;

	if (xdg && xdg[0] == '/')
		return tm__paths_join(buf, cap, xdg, "tmwatch");
	r = tm__paths_home(buf, cap);
	if (r < 0)
		return r;
	r = tm__paths_join(buf, cap, buf, fallback);
	if (r < 0)
		return r;
	return tm__paths_join(buf, cap, buf, "tmwatch");
}

int tm__paths_store_dir(char *buf, size_t cap)
{
	const char *dir = env_nonempty("TMWATCH_DIR");

	if (dir)
		return copy(buf, cap, dir);
	return xdg_dir(buf, cap, "XDG_CONFIG_HOME", ".config");
}

int tm__paths_state_dir(char *buf, size_t cap)
{
	return xdg_dir(buf, cap, "XDG_STATE_HOME", ".local/state");
}

/* SPDX-License-Identifier: MIT */
/* shim_main.c -- LOAD-TIME: the constructor of libtmwatch-preload.so, which
 * decides between capturing, adopting (re-exec under tmwatch) and doing
 * nothing.
 *
 * Zone: LOAD-TIME. Under a watchdog (TMWATCH_FD names our socket) it
 * installs crash capture; with no watchdog in the environment it re-execs
 * the program under `tmwatch --adopt` (preload-only mode, DESIGN §3.2);
 * it stays passive inside tmwatch itself, in setuid programs, under
 * TMWATCH_DISABLE=1, and when the watchdog's socket is gone. The
 * environment variables are documented in docs/modes.md.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "shim.h"
#include "tmwatch/common.h"

static int is_disabled(void)
{
	const char *d = getenv("TMWATCH_DISABLE");

	return d && strcmp(d, "1") == 0;
}

/* The watchdog may itself be started with the shim in LD_PRELOAD (preload
 * mode execs it with the program's environment): it must not adopt
 * itself. */
static int is_tmwatch_itself(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *base;

	if (n <= 0)
		return 0;
	exe[n] = '\0';
	base = strrchr(exe, '/');
	return strcmp(base ? base + 1 : exe, "tmwatch") == 0;
}

static void adopt(char **argv)
{
	char bin[4096], what[4200];
	const char *shim = NULL;
	Dl_info info;
	int r;

	if (dladdr((void *)adopt, &info) && info.dli_fname)
		shim = info.dli_fname;
	r = tm__capture_find_tmwatch(shim, bin, sizeof(bin));
	if (r != 0) {
		tm__capture_warn("cannot find the tmwatch watchdog (set "
				 "TMWATCH_BIN)", argv ? argv[0] : NULL);
		return;
	}
	/* ld.so run as a program (`ld.so PROG ARGS`, AT_BASE 0: the kernel
	 * loaded no interpreter): /proc/self/exe is ld.so and main's argv has
	 * lost ld.so's part; run ld.so again with its whole command line. */
	if (getauxval(AT_BASE) == 0) {
		char **cmdline = tm__capture_read_cmdline();

		if (cmdline)
			argv = cmdline;
	}
	r = tm__capture_reexec(bin, argv);
	snprintf(what, sizeof(what), "cannot run the watchdog '%s': %s", bin,
		 strerror(-r));
	tm__capture_warn(what, argv ? argv[0] : NULL);
}

/* glibc passes (argc, argv, envp) to ELF constructors; argv is the
 * program's own, needed to re-exec it unchanged. */
__attribute__((constructor)) static void shim_load(int argc, char **argv,
						   char **envp)
{
	unsigned long dev = 0, ino = 0;
	int saved_errno = errno;
	int fd;

	(void)argc;
	(void)envp;
	/* setuid/setgid: never re-exec a privileged program under a
	 * watchdog that runs with the caller's environment. */
	if (is_disabled() || getauxval(AT_SECURE))
		goto out;
	fd = tm__capture_channel_from_env(&dev, &ino);
	if (fd == -ENOENT) {
		if (!is_tmwatch_itself())
			adopt(argv);
		goto out;
	}
	if (fd < 0)
		goto out; /* our watchdog is gone: run as is, quietly */
	if (!tm__sigaction_real())
		goto out;
	tm__shim_abort_find();
	(void)tm__capture_install(fd, dev, ino, tm__sigaction_real(),
				  dlsym(RTLD_DEFAULT, "__abort_msg"));
out:
	errno = saved_errno;
}

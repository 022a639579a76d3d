/* SPDX-License-Identifier: MIT */
/* crashmonitor.c -- library mode: tm_crash_monitor_start() (DESIGN §3.3).
 *
 * Installs the same capture as libtmwatch-preload.so (the tmwatch_capture
 * objects, linked into libtmwatch) and, when no watchdog is above the
 * process yet, re-executes the program under `tmwatch --adopt` so its PID
 * becomes the watchdog. Works in static programs: it needs nothing but
 * libc (no dlsym), so linking it pulls no curl or libdw objects out of
 * libtmwatch.a. Never fails the program and never prints except through
 * tm__warn_once. Documented in docs/modes.md.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "capture.h"
#include "tmwatch/crash.h"
#include "warn.h"

/* glibc's abort-message slot (GLIBC_PRIVATE), for the crash record's
 * abort text; NULL when missing (the record then has none). The shared
 * library looks it up at run time: a link-time reference would make
 * libtmwatch.so need the GLIBC_PRIVATE version, and every package built
 * from it depend on one exact glibc release (dpkg-shlibdeps pins
 * GLIBC_PRIVATE users to "<< next upstream version"). The static archive,
 * where no version is recorded and dlsym cannot see libc's own symbols,
 * keeps a weak reference (lib/CMakeLists.txt builds this file twice). */
#ifdef TM_LIB_STATIC
extern void *__abort_msg __attribute__((weak));

static void *abort_slot(void)
{
	return &__abort_msg ? (void *)&__abort_msg : NULL;
}
#else
static void *abort_slot(void)
{
	return dlsym(RTLD_DEFAULT, "__abort_msg");
}
#endif

/* The file of libtmwatch itself (libtmwatch.so, or the program when
 * linked statically), to find tmwatch in the same installed tree; NULL
 * when the loader cannot say (a static program: then the install path and
 * PATH). */
static const char *own_file(void)
{
	Dl_info info;

	if (dladdr((void *)tm_crash_monitor_start, &info) && info.dli_fname &&
	    info.dli_fname[0] == '/')
		return info.dli_fname;
	return NULL;
}

/* tm_crash_monitor_start: see include/tmwatch/crash.h. */
TM_API int tm_crash_monitor_start(void)
{
	static int started;
	unsigned long dev = 0, ino = 0;
	const char *d = getenv("TMWATCH_DISABLE");
	char bin[4096];
	char **argv;
	int fd, r;

	if (d && strcmp(d, "1") == 0)
		return TM_EDISABLED;
	if (started)
		return 0;
	if (getauxval(AT_SECURE))
		return -EPERM; /* never re-exec a setuid program */
	fd = tm__capture_channel_from_env(&dev, &ino);
	if (fd >= 0) {
		r = tm__capture_install(fd, dev, ino, sigaction,
					abort_slot());
		started = r == 0;
		return r;
	}
	if (fd != -ENOENT)
		return fd; /* our watchdog is gone: run as is, quietly */
	if (tm__capture_find_tmwatch(own_file(), bin, sizeof(bin)) != 0) {
		tm__warn_once("cannot find the tmwatch watchdog (set "
			      "TMWATCH_BIN); running '%s' without crash "
			      "reporting", program_invocation_short_name);
		return TM_ENOWATCHDOG;
	}
	argv = tm__capture_read_cmdline();
	if (!argv)
		return -ENOMEM;
	r = tm__capture_reexec(bin, argv);
	tm__warn_once("cannot run the watchdog '%s': %s; running '%s' without "
		      "crash reporting", bin, strerror(-r),
		      program_invocation_short_name);
	free(argv[0]);
	free(argv);
	return r;
}

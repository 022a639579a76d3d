/* SPDX-License-Identifier: MIT */
/* modload.c -- finds, loads and checks tmwatch's modules for the light
 * binary (module.h), and decides when loading one is worth it.
 *
 * Where a module is: next to this executable first, so a build tree or a
 * relocated install uses its own ($BINDIR/../lib in the build tree,
 * $BINDIR/TMWATCH_MODULE_RELDIR installed), then the configured install
 * directory. Never a path from the environment: the crash module runs
 * with the watchdog's rights over the child. Part of the light binary:
 * libc only (dlopen is in libc since glibc 2.34).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "modload.h"
#include "msg.h"

static void *open_in(const char *dir, const char *rel, const char *file,
		     char *why, size_t cap)
{
	char path[PATH_MAX + 128];
	void *h;

	if ((size_t)snprintf(path, sizeof path, "%s%s%s/%s", dir,
			     rel ? "/" : "", rel ? rel : "", file) >=
	    sizeof path || access(path, R_OK) != 0)
		return NULL;
	/* RTLD_NOW: a missing symbol fails here, not in the middle of a
	 * crash. RTLD_LOCAL: its libraries stay out of everyone's way. */
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		snprintf(why, cap, "%s", dlerror());
	return h;
}

static void *open_module(const char *file, char *why, size_t cap)
{
	static const char *const rel[] = { "../lib", TMWATCH_MODULE_RELDIR };
	char self[PATH_MAX], *slash;
	void *h = NULL;
	ssize_t n;
	size_t i;

	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			for (i = 0; !h && i < sizeof rel / sizeof rel[0]; i++)
				h = open_in(self, rel[i], file, why, cap);
		}
	}
#ifdef TMWATCH_INSTALLED_MODULE_DIR
	if (!h)
		h = open_in(TMWATCH_INSTALLED_MODULE_DIR, NULL, file, why,
			    cap);
#endif
	return h;
}

/* Loads FILE and returns its table SYMBOL, checked against this build;
 * NULL after one message. */
static const struct module_head *load(const char *file, const char *symbol)
{
	char why[512] = "not found next to tmwatch nor installed";
	const struct module_head *m;
	void *h = open_module(file, why, sizeof why);

	if (h) {
		m = dlsym(h, symbol);
		if (m && m->abi == MODULE_ABI &&
		    strcmp(m->version, TMWATCH_VERSION) == 0) {
			if (msg_is_quiet())
				m->set_quiet(1);
			return m;
		}
		snprintf(why, sizeof why, "it is from another build of "
			 "tmwatch");
		dlclose(h);
	}
	if (!msg_is_quiet())
		msg_error("cannot load the tmwatch module '%s': %s; "
			  "reinstall tmwatch", file, why);
	return NULL;
}

static const struct module_crash_ops *crash_ops;
static int crash_tried;

/* modload_crash: see modload.h. */
const struct module_crash_ops *modload_crash(void)
{
	if (!crash_ops && !crash_tried) {
		crash_tried = 1;
		crash_ops = (const void *)load(MODULE_CRASH_FILE,
					       MODULE_CRASH_SYMBOL);
	}
	return crash_ops;
}

/* modload_cmd: see modload.h. Called once per process. */
const struct module_cmd_ops *modload_cmd(void)
{
	return (const void *)load(MODULE_CMD_FILE, MODULE_CMD_SYMBOL);
}

/* modload_crash_handle: see modload.h. */
int modload_crash_handle(const struct crash_options *opt,
			 struct intake_crash *c)
{
	const struct module_crash_ops *o = modload_crash();

	if (o)
		return o->crash_handle(opt, c);
	intake_ack(c);
	return -ENOENT;
}

/* The signals whose deaths crash.c counts (DESIGN §4.1). */
static int is_crash_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE ||
	       sig == SIGILL || sig == SIGABRT || sig == SIGTRAP ||
	       sig == SIGSYS;
}

/* modload_note_death: see modload.h. */
void modload_note_death(const struct crash_options *opt, pid_t pid,
			const char *exe, int status)
{
	const struct module_crash_ops *o;

	/* Most runs end here: no crash, nothing to load. */
	if (!crash_ops && !(WIFSIGNALED(status) &&
			    is_crash_signal(WTERMSIG(status))))
		return;
	o = modload_crash();
	if (o)
		o->crash_note_death(opt, pid, exe, status);
}

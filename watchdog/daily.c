/* SPDX-License-Identifier: MIT */
/* daily.c -- decides, without libcurl, whether the daily report/upload
 * job is due after the child exited, and starts it in a process of its
 * own (docs/architecture.md "Processes and binaries", docs/upload.md).
 *
 * The light watchdog must not load the module (curl, cJSON) on every
 * exit, nor fork a second process on every run: the mode file and one
 * stat of the daily token settle nearly every exit here, with the rule of
 * lib/dailytoken.c that the job itself re-checks.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "dailytoken.h"
#include "detach.h"
#include "daily.h"
#include "modload.h"
#include "mode.h"
#include "paths.h"

/* In the forked process: off the caller's terminal and pipes at once (a
 * shell reading the watchdog's output sees EOF when the watchdog exits),
 * then the commands module does the real, detached work. */
static void run_job(void)
{
	const struct module_cmd_ops *o;

	/* The crash channel goes too: a descendant still crashing must see
	 * the watchdog gone (and re-raise), not a queue nobody reads. */
	tm__detach_process();
	o = modload_cmd();
	if (o)
		(void)o->daily_spawn();
	_exit(0);
}

static int has_writable_local(const char *store)
{
	char local[4200];
	int n = snprintf(local, sizeof local, "%s/local", store);

	return n > 0 && (size_t)n < sizeof local &&
	       faccessat(AT_FDCWD, local, W_OK | X_OK, AT_EACCESS) == 0;
}

/* daily_spawn: see daily.h. */
void daily_spawn(void)
{
	struct tm__mode_info mode;
	char store[4096];
	pid_t pid;

	if (tm__paths_store_dir(store, sizeof store) != 0 ||
	    tm__mode_load(store, &mode) != 0 ||
	    mode.effective == TM_MODE_OFF)
		return;
	if (!tm__dailytoken_due(store, tm__clock_now()))
		return;
	/* The token lives in local/: when local/ is missing (a fresh
	 * store: nothing counted, so nothing to report or upload) or not
	 * writable, the job could not take it and would be started again
	 * on every exit, loading libcurl each time. */
	if (!has_writable_local(store))
		return;
	pid = fork();
	if (pid == 0)
		run_job();
	/* Not waited for: the watchdog exits next, and init reaps it. */
}

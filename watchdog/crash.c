/* SPDX-License-Identifier: MIT */
/* crash.c -- the crash path's orchestrator (STYLE §1): the only file that
 * calls the stages, in order, and decides the fallbacks.
 *
 * intake (transport) → record (validate) → [unwind → symbolize → name →
 * count: the next stages, issue 4] with the child waiting until the end;
 * recorddump is a side branch for --debug-records. Never prints: the
 * user's line after a crash belongs to crashlog.c (issue 4).
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/wait.h>

#include "count.h"
#include "crash.h"
#include "record.h"
#include "recorddump.h"
#include "tmwatch/common.h"

/* Pids that delivered a record, to tell a crash with no record. */
#define CRASH_SEEN_MAX 256
static pid_t seen[CRASH_SEEN_MAX];
static size_t nseen;

static void remember(pid_t pid)
{
	seen[nseen++ % CRASH_SEEN_MAX] = pid;
}

static int was_seen(pid_t pid)
{
	size_t i, n = nseen < CRASH_SEEN_MAX ? nseen : CRASH_SEEN_MAX;

	for (i = 0; i < n; i++) {
		if (seen[i] == pid)
			return 1;
	}
	return 0;
}

/* Counts NAME (with ":SIGNAME" when SIG) into the crashing program's own
 * counter file; EXE is used when /proc/PID/exe is gone. Best effort: a
 * store that cannot be written never changes how the child dies. */
static void count_crash(pid_t pid, const char *exe, const char *name,
			int sig)
{
	struct tm__identity id;
	char full[64];

	if (count_identify(pid, exe, &id) == -ESRCH)
		return;
	if (sig)
		snprintf(full, sizeof(full), "%s:%s", name,
			 record_signal_name(sig));
	else
		snprintf(full, sizeof(full), "%s", name);
	(void)count_add(&id, full);
}

/* crash_handle: see crash.h. The ack comes last: everything read from
 * the live child (module table; later, the unwind) happens before it. */
int crash_handle(const struct crash_options *opt, struct intake_crash *c)
{
	struct intake_modules mods = { NULL, 0 };
	static struct record rec;
	const char *why = "incomplete record";
	int r = TM_EMALFORMED;

	remember(c->pid);
	if (c->read_error == 0)
		r = record_parse(c->bytes, c->len, &rec, &why);
	if (r != 0) {
		count_crash(c->pid, NULL, "crash/malformed", 0);
		if (opt->debug_dir)
			(void)recorddump_malformed(opt->debug_dir, c->pid, why,
						   c->bytes, c->len);
		goto ack;
	}
	(void)intake_read_modules(c->pid, &mods);
	count_crash(c->pid, rec.exe, "crash/signal", rec.hdr.signo);
	/* Issue 4 slots in here: unwind (child still waiting), symbolize,
	 * name, count; then the local crash log. */
	if (opt->debug_dir)
		(void)recorddump_write(opt->debug_dir, &rec, &mods, c->bytes,
				       c->len);
	intake_modules_free(&mods);
ack:
	intake_ack(c);
	return r;
}

/* crash_note_death: see crash.h. */
void crash_note_death(const struct crash_options *opt, pid_t pid,
		      const char *exe, int status)
{
	int sig;

	if (!WIFSIGNALED(status))
		return;
	sig = WTERMSIG(status);
	if (sig != SIGSEGV && sig != SIGBUS && sig != SIGFPE &&
	    sig != SIGILL && sig != SIGABRT && sig != SIGTRAP && sig != SIGSYS)
		return;
	if (was_seen(pid))
		return;
	count_crash(pid, exe, "crash/no-record", sig);
	if (opt->debug_dir)
		(void)recorddump_no_record(opt->debug_dir, pid, sig);
}

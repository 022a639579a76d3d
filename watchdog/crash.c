/* SPDX-License-Identifier: MIT */
/* crash.c -- the crash path's orchestrator (STYLE §1): the only file that
 * calls the stages, in order, and decides the fallbacks.
 *
 * intake (transport) → record (validate) → unwind → symbolize → name →
 * count, all while the child waits in its handler (recorddump,
 * --debug-records, too); then the ack, and, once the child died,
 * crashlog (the local log and the stderr line, which alone see paths and
 * file:line; the system libraries' detail frames are read for it only
 * then, naming rule v2). Never prints itself: the user's line belongs to
 * crashlog.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "count.h"
#include "crash.h"
#include "crashlog.h"
#include "mode.h"
#include "msg.h"
#include "name.h"
#include "paths.h"
#include "record.h"
#include "recorddump.h"
#include "symbolize.h"
#include "tmwatch/common.h"
#include "unwind.h"

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

/* Writes the persistent symbolization cache's directory into BUF, or ""
 * when it must not be used: mode off writes nothing at all (DESIGN §7),
 * and without a state directory crashes are symbolized as ever. */
static void symcache_dir(char *buf, size_t cap)
{
	struct tm__mode_info mi;
	char store[4096], state[4096];

	buf[0] = 0;
	if (tm__paths_store_dir(store, sizeof store) != 0 ||
	    tm__mode_load(store, &mi) != 0 || mi.effective == TM_MODE_OFF ||
	    tm__paths_state_dir(state, sizeof state) != 0 ||
	    tm__paths_join(buf, cap, state, "symcache") != 0)
		buf[0] = 0;
}

/* The stderr line of the direct child's crash waits for its death, so it
 * follows the program's own last words; a descendant's is printed at once
 * (the watchdog never sees descendants die). */
static pid_t pending_pid;
static char pending_line[1024];

/* What the local log needs after the ack: the stages' results and the
 * symbolizer, whose module files give the system libraries' precise
 * frames (debug info) once the child no longer waits. */
struct after_ack {
	struct tm__symbolizer *sym;
	struct tm__symframes fr;
	struct crashlog_info ci;
	struct tm__identity id;
	char identity[512];
	int active;
};

/* Unwinds, symbolizes and names the crash of the waiting child and
 * counts it. Everything that reads the child happens here, before the
 * caller's ack; the local log (log_stack) comes after it. */
static void count_stack(const struct record *rec, pid_t pid,
			struct after_ack *aa)
{
	static struct unwind_stack st;
	static char name[NAME_BUF_SIZE];
	struct crashlog_info *ci = &aa->ci;
	char sig[64], cache[4096];
	int have_id, r;

	memset(aa, 0, sizeof *aa);
	/* Identity first: /proc/PID/exe is only there while it waits. */
	have_id = count_identify(pid, rec->exe, &aa->id) != -ESRCH;
	memset(&st, 0, sizeof st);
	r = unwind_stack(rec, pid, &st);
#if defined(__x86_64__) || defined(__i386__)
	/* int3 traps with the PC after it: name the int3 itself, as a
	 * return address names its call (docs/stack-counters.md). */
	if (r == 0 && st.n > 0 && rec->hdr.signo == SIGTRAP &&
	    rec->hdr.si_code == SI_KERNEL && !rec->is_sent)
		st.is_exact[0] = 0;
#endif
	if (r == 0 && tm__symbolize_open(pid, &aa->sym) == 0) {
		symcache_dir(cache, sizeof cache);
		if (cache[0])
			(void)tm__symbolize_set_cache_dir(aa->sym, cache);
		(void)tm__symbolize_pcs(aa->sym, st.pc, st.is_exact, st.n,
					&aa->fr);
	}
	/* No frames at all still names the crash: crash/crash alone. */
	if (name_crash(aa->fr.frames, aa->fr.n, name, sizeof name) < 0)
		snprintf(name, sizeof name, "%s", NAME_CRASH_PREFIX);
	name_signal(rec->hdr.signo, sig, sizeof sig);
	ci->count_result = have_id ? count_add(&aa->id, name) : -ESRCH;
	if (have_id)
		(void)count_add(&aa->id, sig);

	snprintf(aa->identity, sizeof aa->identity, "%s@%s-%s-linux-%s",
		 have_id ? aa->id.program : "?", have_id ? aa->id.version : "?",
		 have_id ? aa->id.toolchain : "?",
		 have_id ? aa->id.goarch : "?");
	ci->program = have_id ? aa->id.program : rec->exe;
	ci->exe_path = rec->exe;
	ci->pid = pid;
	ci->tid = rec->hdr.tid;
	ci->thread_name = rec->thread_name;
	ci->signo = rec->hdr.signo;
	ci->si_code = rec->hdr.si_code;
	ci->is_sent = rec->is_sent;
	ci->sender_pid = rec->hdr.sender_pid;
	ci->fault_addr = rec->hdr.fault_addr;
	ci->abort_msg = rec->abort_msg;
	ci->unwinder = r == 0 ? unwind_method_name(st.method) : "none";
	ci->counter_name = name;
	ci->identity = aa->identity;
	ci->frames = &aa->fr;
	ci->when = time(NULL);
	aa->active = 1;
}

/* Waits, at most DEATH_WAIT_MS, for the acked process PID to die: on a
 * busy machine the log's debug info (tens of milliseconds of CPU) would
 * otherwise compete with its death. A pidfd sees any process end, a
 * descendant's too; without one (old kernels) there is no wait. */
#define DEATH_WAIT_MS 500
static void wait_gone(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p;

	if (fd < 0)
		return;
	p.fd = fd;
	p.events = POLLIN;
	(void)poll(&p, 1, DEATH_WAIT_MS);
	close(fd);
}

/* Writes the local log of a crash counted by count_stack, after the
 * ack and the process's death: the system libraries' precise frames
 * (their debug info may take tens of milliseconds to load) delay
 * neither. */
static void log_stack(const struct crash_options *opt, struct after_ack *aa)
{
	char log_path[4096] = "";
	pid_t pid = aa->ci.pid;

	if (!aa->active)
		return;
	wait_gone(pid);
	if (aa->sym)
		(void)tm__symbolize_detail(aa->sym, &aa->fr);
	(void)crashlog_write(&aa->ci, opt->crash_output, log_path,
			     sizeof log_path);
	if (pid == opt->child) {
		pending_pid = pid;
		if (crashlog_line(&aa->ci, log_path, pending_line,
				  sizeof pending_line) < 0)
			pending_line[sizeof pending_line - 1] = 0;
	} else {
		crashlog_print(&aa->ci, log_path, opt->quiet);
	}
	tm__symframes_free(&aa->fr);
	tm__symbolize_close(aa->sym);
	aa->sym = NULL;
	aa->active = 0;
}

/* crash_handle: see crash.h. The ack comes after everything read from
 * the live child (module table, the unwind, its identity) and the
 * count; the local log after the ack. */
int crash_handle(const struct crash_options *opt, struct intake_crash *c)
{
	struct intake_modules mods = { NULL, 0 };
	static struct record rec;
	static struct after_ack aa;
	const char *why = "incomplete record";
	int r = TM_EMALFORMED;

	remember(c->pid);
	aa.active = 0;
	if (c->read_error == 0)
		r = record_parse(c->bytes, c->len, &rec, &why);
	if (r != 0) {
		count_crash(c->pid, NULL, NAME_MALFORMED, 0);
		if (opt->debug_dir)
			(void)recorddump_malformed(opt->debug_dir, c->pid, why,
						   c->bytes, c->len);
		goto ack;
	}
	if (opt->debug_dir)
		(void)intake_read_modules(c->pid, &mods);
	count_stack(&rec, c->pid, &aa);
	if (opt->debug_dir)
		(void)recorddump_write(opt->debug_dir, &rec, &mods, c->bytes,
				       c->len);
	intake_modules_free(&mods);
ack:
	intake_ack(c);
	log_stack(opt, &aa);
	return r;
}

/* crash_note_death: see crash.h. */
void crash_note_death(const struct crash_options *opt, pid_t pid,
		      const char *exe, int status)
{
	int sig;

	if (pid == pending_pid && pending_line[0]) {
		if (!opt->quiet && !msg_is_quiet())
			msg_error("%s", pending_line);
		pending_line[0] = 0;
	}
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

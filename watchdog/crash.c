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
#include <fcntl.h>
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
#include <unistd.h>

#include "count.h"
#include "crash.h"
#include "crashlog.h"
#include "identity_elf.h"
#include "mode.h"
#include "modules.h"
#include "msg.h"
#include "name.h"
#include "paths.h"
#include "record.h"
#include "recorddump.h"
#include "symbolize.h"
#include "tmwatch/common.h"
#include "unwind.h"
#include "uploadconfig.h"

/* Whether the direct child delivered a record (or relayed a crash), to
 * tell a crash with no record. Exact for any number of crashes: the
 * watchdog waits for one process only, the child, so crash_note_death is
 * only ever told of its death; descendants' records need no memory. */
static int child_seen;

static void remember(const struct crash_options *opt, pid_t pid)
{
	if (pid == opt->child)
		child_seen = 1;
}

static int was_seen(const struct crash_options *opt, pid_t pid)
{
	return pid == opt->child && child_seen;
}

/* Relays (issue 8 §2): `timeout`, `strace -f`, shells and wrappers that
 * re-raise their child's death signal on themselves. While a crashed
 * process waits, its parent is noted with the signal; a record from that
 * parent for a signal it sent itself is the same crash again, not
 * counted, if it comes within 10 s (a parent that aborts for its own
 * reasons later is a crash). A chain of relays passes the note up.
 * Bounded ring: past RELAY_MAX crashes in flight an old note is lost (a
 * relay then counts as before), never a real crash. */
#define RELAY_MAX 256
static struct relay_note {
	pid_t parent;
	int signo;
	time_t when;	/* a relay re-raises at once: 10 s at most */
} relays[RELAY_MAX];
static size_t nrelays;

/* The parent pid of PID from /proc/PID/stat, or 0. Read while PID waits
 * in its handler, so it is still the process that will see it die. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;
	int ppid = 0;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return 0;
	return ppid;
}

static void note_parent(pid_t pid, int signo)
{
	pid_t pp = parent_of(pid);

	if (pp > 1)
		relays[nrelays++ % RELAY_MAX] =
			(struct relay_note){ pp, signo, time(NULL) };
}

/* Is REC, from PID, a relay of a crash already counted? Consumes the
 * note; notes PID's own parent for the next relay up. */
static int is_relay(const struct record *rec, pid_t pid)
{
	size_t i, n = nrelays < RELAY_MAX ? nrelays : RELAY_MAX;

	if (!rec->is_sent || rec->hdr.sender_pid != rec->hdr.pid)
		return 0; /* a fault, or sent by someone else: a crash */
	for (i = 0; i < n; i++) {
		if (relays[i].parent == pid &&
		    relays[i].signo == rec->hdr.signo &&
		    time(NULL) - relays[i].when <= 10) {
			relays[i].parent = 0;
			note_parent(pid, rec->hdr.signo);
			return 1;
		}
	}
	return 0;
}

/* The signal of an incomplete record, when enough of its header came
 * and it is a crash signal; else 0. Untrusted: only picks a suffix. */
static int partial_signal(const struct intake_crash *c)
{
	uint32_t magic;
	int32_t sig;

	if (!c->bytes || c->len < 28)
		return 0;
	memcpy(&magic, c->bytes, sizeof magic);
	memcpy(&sig, c->bytes + 24, sizeof sig);
	if (magic != TM_RECORD_MAGIC)
		return 0;
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE ||
	       sig == SIGILL || sig == SIGABRT || sig == SIGTRAP ||
	       sig == SIGSYS ? sig : 0;
}

/* Counts NAME (with ":SIGNAME" when SIG) into the crashing program's own
 * counter file; EXE (a path the watchdog exec'd itself, or NULL; never a
 * record's) is used when /proc/PID/exe is gone. Best effort: a store that
 * cannot be written never changes how the child dies. */
static void count_crash(pid_t pid, const char *exe, const char *name,
			int sig)
{
	struct tm__identity id;
	char full[64];

	(void)count_identify(pid, exe, &id);
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

/* Opens the symbolizer for the waiting PID, with the OwnModules of the
 * upload configs naming program ID at its version (issue 9): libraries
 * the program names as its own keep the precise frame forms wherever
 * they are installed. Configs that cannot be read add nothing. */
static int open_symbolizer(pid_t pid, const struct tm__identity *id,
			   const char *program, int program_fd,
			   struct tm__symbolizer **out)
{
	struct tm__upload_configs cs = { 0 };
	const char *own[TM__UC_MAX_OWN];
	char store[4096];
	size_t nown = 0;
	int r;

	if (tm__paths_store_dir(store, sizeof store) == 0 &&
	    tm__uploadconfig_load_all_with(store, NULL, &cs) == 0)
		nown = tm__uploadconfig_own_modules(&cs, id->program,
						    id->version, own,
						    TM__UC_MAX_OWN);
	r = tm__symbolize_open_program(pid, program, program_fd, own, nown,
				       out);
	tm__uploadconfig_free_all(&cs);
	return r;
}

/* Is EXE a valgrind tool (/usr/libexec/valgrind/memcheck-amd64-linux)? */
static int is_valgrind_tool(const char *exe)
{
	const char *base = strrchr(exe, '/');
	size_t len;

	if (!base || base - exe < 9 || strncmp(base - 9, "/valgrind", 9))
		return 0;
	len = strlen(++base);
	return len > 6 && strcmp(base + len - 6, "-linux") == 0;
}

/* Fills *ID for the crashed program. Under valgrind the executable the
 * kernel ran is the tool; the program the user ran is its client, which
 * the tool loads as code, and the crash is the client's
 * (docs/stack-counters.md "Valgrind"). The client's path is the
 * record's (valgrind answers the client's /proc/self/exe), believed only
 * when the module table shows that file loaded as code; the file is read
 * through /proc/PID/map_files. */
static int identify(pid_t pid, const struct record *rec,
		    struct tm__identity *id, int *client_fd)
{
	struct modules_table mods = { NULL, 0 };
	const struct modules_mapping *m;
	struct tm__identity client;
	char link[64], tool[4096], file[128], version[128];
	ssize_t n;
	int r = count_identify(pid, NULL, id), fd;

	*client_fd = -1;
	snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
	n = readlink(link, tool, sizeof tool - 1);
	if (r != 0 || n <= 0 || !rec->exe[0])
		return r;
	tool[n] = 0;
	if (!is_valgrind_tool(tool) || modules_read(pid, &mods) != 0)
		return r;
	m = modules_find_loaded(&mods, rec->exe);
	snprintf(file, sizeof file, "/proc/%d/map_files/%llx-%llx", (int)pid,
		 m ? (unsigned long long)m->start : 0ULL,
		 m ? (unsigned long long)m->end : 0ULL);
	fd = m ? open(file, O_RDONLY | O_CLOEXEC) : -1;
	if (count_env_version(pid, version, sizeof version) != 1)
		version[0] = 0;
	if (fd >= 0 && tm__identity_from_elf(rec->exe, fd,
					     version[0] ? version : NULL,
					     &client) == 0) {
		*id = client;
		*client_fd = fd; /* the symbolizer classifies by it too */
	} else if (fd >= 0) {
		close(fd);
	}
	modules_free(&mods);
	return r;
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
	char bad[4096];		/* the counter file count_add_why names */
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
	int r, client_fd;

	memset(aa, 0, sizeof *aa);
	/* Identity first: /proc/PID/exe is only there while it waits. The
	 * record's exe path is never opened (docs/security.md). */
	(void)identify(pid, rec, &aa->id, &client_fd);
	memset(&st, 0, sizeof st);
	r = unwind_stack(rec, pid, &st);
#if defined(__x86_64__) || defined(__i386__)
	/* int3 traps with the PC after it: name the int3 itself, as a
	 * return address names its call (docs/stack-counters.md). */
	if (r == 0 && st.n > 0 && rec->hdr.signo == SIGTRAP &&
	    rec->hdr.si_code == SI_KERNEL && !rec->is_sent)
		st.is_exact[0] = 0;
#endif
	/* Under valgrind the program whose frames are its own is the
	 * client, not the tool /proc/PID/exe names. */
	if (r == 0 && open_symbolizer(pid, &aa->id, client_fd >= 0 ?
				      rec->exe : NULL, client_fd,
				      &aa->sym) == 0) {
		symcache_dir(cache, sizeof cache);
		if (cache[0])
			(void)tm__symbolize_set_cache_dir(aa->sym, cache);
		(void)tm__symbolize_pcs(aa->sym, st.pc, st.is_exact, st.n,
					&aa->fr);
	}
	if (client_fd >= 0)
		close(client_fd);
	/* No frames at all still names the crash: crash/crash alone. */
	if (name_crash(aa->fr.frames, aa->fr.n, name, sizeof name) < 0)
		snprintf(name, sizeof name, "%s", NAME_CRASH_PREFIX);
	/* The signal that killed: a handler's abort() after the fault it
	 * handled is counted as the fault, with crash/signal:SIGABRT. */
	name_signal(rec->hdr.kill_signo ? rec->hdr.kill_signo :
		    rec->hdr.signo, sig, sizeof sig);
	ci->count_result = count_add_why(&aa->id, name, aa->bad,
					 sizeof aa->bad);
	ci->count_bad = aa->bad;
	(void)count_add(&aa->id, sig);

	snprintf(aa->identity, sizeof aa->identity, "%s@%s-%s-linux-%s",
		 aa->id.program, aa->id.version, aa->id.toolchain,
		 aa->id.goarch);
	ci->program = aa->id.program;
	ci->exe_path = rec->exe;
	ci->pid = pid;
	ci->tid = rec->hdr.tid;
	ci->thread_name = rec->thread_name;
	ci->signo = rec->hdr.signo;
	ci->kill_signo = rec->hdr.kill_signo;
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
 * descendant's too; without one (old kernels) there is no wait. Short:
 * the intake loop waits with it, and a hostile sender need not die. */
#define DEATH_WAIT_MS 50
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
	struct modules_table mods = { NULL, 0 };
	static struct record rec;
	static struct after_ack aa;
	const char *why = "incomplete record";
	int r = TM_EMALFORMED;

	aa.active = 0;
	if (c->read_error != 0 && c->read_error != -EMSGSIZE) {
		/* The sender gave up, or stopped part way (timeout, EOF):
		 * no stack, but never nothing. The child's death is counted
		 * when it is reaped (crash_note_death, with its real
		 * signal); a descendant's we never see: counted now. */
		if (c->pid != opt->child)
			count_crash(c->pid, c->exe, "crash/no-record",
				    partial_signal(c));
		if (opt->debug_dir)
			(void)recorddump_malformed(opt->debug_dir, c->pid, why,
						   c->bytes, c->len);
		goto ack;
	}
	/* A record claiming an impossible size is malformed, as one whose
	 * bytes record.c refuses. */
	remember(opt, c->pid);
	if (c->read_error == 0)
		r = record_parse(c->bytes, c->len, &rec, &why);
	if (r != 0) {
		count_crash(c->pid, NULL, NAME_MALFORMED, 0);
		if (opt->debug_dir)
			(void)recorddump_malformed(opt->debug_dir, c->pid, why,
						   c->bytes, c->len);
		goto ack;
	}
	if (is_relay(&rec, c->pid))
		goto ack; /* counted once already, on the process that
			   * crashed */
	note_parent(c->pid, rec.hdr.signo);
	if (opt->debug_dir)
		(void)modules_read(c->pid, &mods);
	count_stack(&rec, c->pid, &aa);
	if (opt->debug_dir)
		(void)recorddump_write(opt->debug_dir, c->pid, &rec, &mods,
				       c->bytes, c->len);
	modules_free(&mods);
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
	if (was_seen(opt, pid))
		return;
	count_crash(pid, exe, "crash/no-record", sig);
	if (opt->debug_dir)
		(void)recorddump_no_record(opt->debug_dir, pid, sig);
}

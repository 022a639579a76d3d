/* SPDX-License-Identifier: MIT */
/* name.c -- from symbolized frames to crash counter names (DESIGN §5.3).
 *
 * Trimming rules (docs/stack-counters.md, naming rule v2): the frames
 * any stack counter lists (tm__stackname_select: nothing below main or a
 * thread's start routine, never the shim or a signal trampoline), then
 * leading abort plumbing goes, so that abort(), assert() and an uncaught
 * C++ exception name the code that gave up rather than libc. Names
 * only: no frame here carries a path or an address, and no other input
 * reaches a name. Any thread; never prints.
 */
#define _GNU_SOURCE
#include "name.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libc's raise/abort/assert/fortify machinery and the C++ terminate
 * path (glibc 2.36 and libstdc++ names, DWARF and ELF spellings).
 * "__GI_" aliases are folded first (__GI_raise is raise); any other
 * __GI_ function is a real frame (__GI___libc_read: the crash is in
 * read) and stays, under its folded name. */
static const char *const plumbing[] = {
	"raise", "gsignal", "abort", "__libc_abort", "pthread_kill",
	"__pthread_kill", "__pthread_kill_implementation",
	"__pthread_kill_internal", "__assert_fail", "__assert_fail_base",
	"__assert_perror_fail", "__libc_message", "__libc_fatal",
	"__fortify_fail", "__fortify_fail_abort", "__chk_fail",
	"__stack_chk_fail", "__stack_chk_fail_local",
	"std::terminate", "__cxxabiv1::__terminate",
	"__cxxabiv1::__unexpected", "std::unexpected",
	"__gnu_cxx::__verbose_terminate_handler", "__cxa_throw",
	"__cxa_rethrow", "__cxa_pure_virtual", "__cxa_deleted_virtual",
	"__cxa_bad_cast", "__cxa_bad_typeid", "__cxa_call_terminate",
	"__cxa_call_unexpected", "__clang_call_terminate",
};

static int is_plumbing(const struct tm__frame *f)
{
	const char *fn = tm__stackname_fold(f->function);

	if (!fn || !*fn)
		return 0;
	for (size_t i = 0; i < sizeof plumbing / sizeof plumbing[0]; i++)
		if (strcmp(fn, plumbing[i]) == 0)
			return 1;
	return 0;
}

/* A frame in a C or C++ runtime library that has no symbol for it (its
 * internal functions are not in .dynsym when no debug info is
 * installed): plumbing when a named plumbing frame follows it. */
static int is_runtime_unknown(const struct tm__frame *f)
{
	static const char *const runtimes[] = {
		"libc.so", "libstdc++.so", "libc++abi.so", "libc++.so",
		"libgcc_s.so",
	};

	if ((f->function && *f->function) || !f->module)
		return 0;
	for (size_t i = 0; i < sizeof runtimes / sizeof runtimes[0]; i++)
		if (strncmp(f->module, runtimes[i], strlen(runtimes[i])) == 0)
			return 1;
	return 0;
}

size_t name_first_kept(const struct tm__frame *frames, size_t n)
{
	size_t i, kept = 0;

	for (i = 0; i < n; i++) {
		if (is_plumbing(&frames[i]))
			kept = i + 1;
		else if (name_is_listed(&frames[i]) &&
			 !is_runtime_unknown(&frames[i]))
			break;
	}
	return kept;
}

int name_is_listed(const struct tm__frame *f)
{
	return tm__stackname_is_listed(f);
}

int name_crash(const struct tm__frame *frames, size_t n, char *buf,
	       size_t cap)
{
	struct tm__frame *kept;
	size_t k, first;
	int r;

	if (cap < NAME_BUF_SIZE)
		return -EINVAL;
	kept = calloc(n ? n : 1, sizeof *kept);
	if (!kept)
		return -ENOMEM;
	/* The rule shared with tm_stack_counter_inc, then the crash's own
	 * trim of leading abort plumbing. */
	k = tm__stackname_select(frames, n, kept);
	first = name_first_kept(kept, k);
	r = tm__stackname_build(NAME_CRASH_PREFIX, kept + first, k - first,
				buf, cap);
	free(kept);
	return r;
}

const char *name_signal_name(int signo)
{
	static const struct {
		int no;
		const char *name;
	} names[] = {
		{ SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" },
		{ SIGQUIT, "SIGQUIT" }, { SIGILL, "SIGILL" },
		{ SIGTRAP, "SIGTRAP" }, { SIGABRT, "SIGABRT" },
		{ SIGBUS, "SIGBUS" }, { SIGFPE, "SIGFPE" },
		{ SIGKILL, "SIGKILL" }, { SIGUSR1, "SIGUSR1" },
		{ SIGSEGV, "SIGSEGV" }, { SIGUSR2, "SIGUSR2" },
		{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" },
		{ SIGTERM, "SIGTERM" }, { SIGSTKFLT, "SIGSTKFLT" },
		{ SIGCHLD, "SIGCHLD" }, { SIGCONT, "SIGCONT" },
		{ SIGSTOP, "SIGSTOP" }, { SIGTSTP, "SIGTSTP" },
		{ SIGTTIN, "SIGTTIN" }, { SIGTTOU, "SIGTTOU" },
		{ SIGURG, "SIGURG" }, { SIGXCPU, "SIGXCPU" },
		{ SIGXFSZ, "SIGXFSZ" }, { SIGVTALRM, "SIGVTALRM" },
		{ SIGPROF, "SIGPROF" }, { SIGWINCH, "SIGWINCH" },
		{ SIGIO, "SIGIO" }, { SIGPWR, "SIGPWR" },
		{ SIGSYS, "SIGSYS" },
	};
	/* Real-time signals named as kill -l names them: SIGRTMIN is a
	 * glibc function call, and its value is not the child's. */
	static const char *const rt[] = {
		"SIGRTMIN", "SIGRTMIN+1", "SIGRTMIN+2", "SIGRTMIN+3",
		"SIGRTMIN+4", "SIGRTMIN+5", "SIGRTMIN+6", "SIGRTMIN+7",
		"SIGRTMIN+8", "SIGRTMIN+9", "SIGRTMIN+10", "SIGRTMIN+11",
		"SIGRTMIN+12", "SIGRTMIN+13", "SIGRTMIN+14", "SIGRTMIN+15",
		"SIGRTMAX-14", "SIGRTMAX-13", "SIGRTMAX-12", "SIGRTMAX-11",
		"SIGRTMAX-10", "SIGRTMAX-9", "SIGRTMAX-8", "SIGRTMAX-7",
		"SIGRTMAX-6", "SIGRTMAX-5", "SIGRTMAX-4", "SIGRTMAX-3",
		"SIGRTMAX-2", "SIGRTMAX-1", "SIGRTMAX",
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].no == signo)
			return names[i].name;
	/* As kill -l numbers them: 34 .. 64 (32, 33 belong to glibc). */
	if (signo >= 34 && signo - 34 < (int)(sizeof rt / sizeof rt[0]))
		return rt[signo - 34];
	return "SIG?";
}

static int with_signal(const char *prefix, int signo, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s:%s", prefix, name_signal_name(signo));

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : n;
}

int name_signal(int signo, char *buf, size_t cap)
{
	return with_signal("crash/signal", signo, buf, cap);
}

int name_no_record(int signo, char *buf, size_t cap)
{
	return with_signal("crash/no-record", signo, buf, cap);
}

/* SPDX-License-Identifier: MIT */
/* busguard.c -- contains a SIGBUS raised by our own counter-file mappings
 * (another process truncated the file) so that it never kills the program.
 *
 * Two zones in one small file. tm__busguard_register/unregister run in
 * ordinary code (a mutex around the table's writers and the one-time
 * sigaction). bus_handler is SIGNAL-SAFE: it reads the slot table with
 * atomics, calls only mmap(2) through syscall(2), sigaction, sigprocmask,
 * getpid/gettid and rt_tgsigqueueinfo, and saves errno.
 *
 * The handler acts only on a fault the kernel raised (si_code > 0) whose
 * si_addr lies inside a registered reserve. It maps private anonymous zero
 * pages over the whole reserve (MAP_FIXED: the address range stays ours,
 * so count pointers handed out earlier stay valid and now count into
 * nothing), writes 1 into the reserve's "closed" word so every handle
 * re-resolves, marks the slot broken and returns; the faulting access then
 * re-executes on the zero page. Every other SIGBUS is passed to the action
 * that was installed before ours, as the kernel would have run it: its
 * handler with its sa_mask and SA_RESETHAND honoured, or, for SIG_DFL, the
 * default action restored and the fault left to recur (a sent signal is
 * queued again), so the program dies exactly as without us. Under the
 * preload shim, sigaction is the shim's interposer: our handler is what
 * the shim sees as the program's, it runs first, and "previous" is the
 * program's own view (docs/security.md).
 */
#define _GNU_SOURCE
#include "busguard.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A slot is live while start != 0; writers publish end before start.
 * One struct per slot, not one array per field: a process's first
 * registration then touches one page, not four (bench_startup). */
static struct slot {
	uintptr_t start, end;
	size_t closed_off;
	int broken;
} slots[TM__BUSGUARD_SLOTS];

static pthread_mutex_t guard_mu = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction guard_prev;	/* the action before ours */

/* SIGNAL-SAFE. Replaces the reserve of slot I with zero pages. */
static int contain(int i, uintptr_t start, uintptr_t end)
{
	long r = syscall(SYS_mmap, (void *)start, end - start,
			 PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
			 MAP_NORESERVE, -1, 0);

	if (r == -1 || (uintptr_t)r != start)
		return -1;
	__atomic_store_n((uint32_t *)(start + __atomic_load_n(
				&slots[i].closed_off, __ATOMIC_RELAXED)),
			 1, __ATOMIC_RELEASE);
	__atomic_store_n(&slots[i].broken, 1, __ATOMIC_RELEASE);
	return 0;
}

/* SIGNAL-SAFE. Runs the previous action the way the kernel would have. */
static void chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction prev = guard_prev, dfl;
	sigset_t old, m;

	if (prev.sa_handler == SIG_IGN && si->si_code <= 0)
		return; /* an ignored sent signal: nothing happens */
	if (prev.sa_handler == SIG_DFL || prev.sa_handler == SIG_IGN) {
		/* Hardware faults cannot be ignored: the kernel would have
		 * killed the process. Give the signal back its default and
		 * let the fault recur, or send a sent signal again (it is
		 * blocked until we return). */
		memset(&dfl, 0, sizeof dfl);
		dfl.sa_handler = SIG_DFL;
		(void)sigaction(sig, &dfl, NULL);
		if (si->si_code <= 0)
			(void)syscall(SYS_rt_tgsigqueueinfo, getpid(),
				      (pid_t)syscall(SYS_gettid), sig, si);
		return;
	}
	if (prev.sa_flags & SA_RESETHAND) {
		memset(&dfl, 0, sizeof dfl);
		dfl.sa_handler = SIG_DFL;
		(void)sigaction(sig, &dfl, NULL);
	}
	m = prev.sa_mask;
	if (!(prev.sa_flags & SA_NODEFER))
		sigaddset(&m, sig);
	(void)sigprocmask(SIG_BLOCK, &m, &old);
	if (prev.sa_flags & SA_SIGINFO)
		prev.sa_sigaction(sig, si, uc);
	else
		prev.sa_handler(sig);
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
}

/* SIGNAL-SAFE. Ours, or the program's. */
static void bus_handler(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	uintptr_t a = (uintptr_t)si->si_addr, s, e;

	if (si->si_code > 0) {
		for (int i = 0; i < TM__BUSGUARD_SLOTS; i++) {
			s = __atomic_load_n(&slots[i].start, __ATOMIC_ACQUIRE);
			e = __atomic_load_n(&slots[i].end, __ATOMIC_RELAXED);
			if (s && a >= s && a < e && contain(i, s, e) == 0) {
				errno = saved;
				return;
			}
		}
	}
	chain(sig, si, uc);
	errno = saved;
}

/* Installs bus_handler, keeping the previous action: once, and again
 * only over SIG_DFL or SIG_IGN (someone reset the signal). Never above a
 * program's handler that replaced ours: it may chain to us as its
 * previous action, and installing ourselves above it would make the two
 * call each other forever. Caller holds guard_mu. */
static int install_locked(void)
{
	static int done;
	struct sigaction sa, cur;

	if (done) {
		if (sigaction(SIGBUS, NULL, &cur) < 0)
			return -errno;
		if ((cur.sa_flags & SA_SIGINFO) ||
		    (cur.sa_handler != SIG_DFL && cur.sa_handler != SIG_IGN))
			return 0; /* ours, or a program's above ours */
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = bus_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	/* First time: one call installs ours and returns the previous. */
	if (sigaction(SIGBUS, &sa, done ? NULL : &cur) < 0)
		return -errno;
	guard_prev = cur;
	done = 1;
	return 0;
}

int tm__busguard_register(void *base, size_t len, size_t closed_off)
{
	int r = -EMFILE;

	if (!base || len == 0 || closed_off + 4 > len)
		return -EINVAL;
	pthread_mutex_lock(&guard_mu);
	for (int i = 0; i < TM__BUSGUARD_SLOTS; i++) {
		if (__atomic_load_n(&slots[i].start, __ATOMIC_RELAXED))
			continue;
		if ((r = install_locked()) < 0)
			break;
		slots[i].closed_off = closed_off;
		__atomic_store_n(&slots[i].broken, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&slots[i].end, (uintptr_t)base + len,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&slots[i].start, (uintptr_t)base,
				 __ATOMIC_RELEASE);
		r = i;
		break;
	}
	pthread_mutex_unlock(&guard_mu);
	return r;
}

void tm__busguard_unregister(int slot)
{
	if (slot < 0 || slot >= TM__BUSGUARD_SLOTS)
		return;
	pthread_mutex_lock(&guard_mu);
	__atomic_store_n(&slots[slot].start, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&slots[slot].end, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&guard_mu);
}

int tm__busguard_broken(int slot)
{
	if (slot < 0 || slot >= TM__BUSGUARD_SLOTS)
		return 0;
	return __atomic_load_n(&slots[slot].broken, __ATOMIC_ACQUIRE);
}

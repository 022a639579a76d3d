/* SPDX-License-Identifier: MIT */
/* capture_handler.c -- HANDLER-ONLY: the crash signal handler: chain to the
 * program's handler, else report once and die exactly as without us.
 *
 * Zone: HANDLER-ONLY. Runs on the alternate stack with every signal
 * blocked (SA_ONSTACK, full sa_mask). Raw syscalls only (capture_sys.h),
 * no malloc, stdio, locks or getenv. Every way out ends in the original
 * death or in the program's own handler (DESIGN §4.2). Failures are
 * quiet: nothing is printed, we go straight to re-raising.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <sys/prctl.h>

#include "capture.h"
#include "capture_sys.h"

/* The kernel's struct sigaction (x86-64 and AArch64 agree). */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

static unsigned long sigbit(int sig)
{
	return 1UL << (sig - 1);
}

static unsigned long mask_word(const sigset_t *set)
{
	unsigned long w;

	memcpy(&w, set, sizeof(w));
	return w;
}

/* A hardware fault re-executes the faulting instruction when the handler
 * returns; traps (int3, seccomp's SIGSYS) and sent signals do not. */
static int refaults(int sig, const siginfo_t *info)
{
	if (info->si_code <= 0)
		return 0;
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE ||
	       sig == SIGILL;
}

/* Runs the program's handler as the kernel would have: its mask on top of
 * the interrupted context's, its own signal blocked unless SA_NODEFER,
 * SA_RESETHAND honoured. It may return (repaired, or it changed its view
 * and lets the fault recur) or leave with siglongjmp. */
static void call_program(int sig, siginfo_t *info, ucontext_t *uc,
			 unsigned long handler_mask)
{
	struct sigaction act = tm__capture.prog[sig];
	unsigned long m = mask_word(&uc->uc_sigmask) | mask_word(&act.sa_mask);

	if (!(act.sa_flags & SA_NODEFER))
		m |= sigbit(sig);
	if (act.sa_flags & SA_RESETHAND) {
		tm__capture.prog[sig].sa_handler = SIG_DFL;
		tm__capture.prog[sig].sa_flags &= ~SA_SIGINFO;
	}
	(void)TM__SYS(SYS_rt_sigprocmask, SIG_SETMASK, &m, NULL,
		      TM__KSIGSET_SIZE, 0, 0);
	if (act.sa_flags & SA_SIGINFO)
		act.sa_sigaction(sig, info, uc);
	else
		act.sa_handler(sig);
	(void)TM__SYS(SYS_rt_sigprocmask, SIG_SETMASK, &handler_mask, NULL,
		      TM__KSIGSET_SIZE, 0, 0);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	(void)TM__SYS(SYS_ppoll, NULL, 0, &ts, NULL, 0, 0);
}

/* One thread reports; another crashing thread waits (bounded) for the
 * process to die of the first one's signal, then dies of its own. */
static void report(int sig, siginfo_t *info, ucontext_t *uc)
{
	int me = tm__sys_gettid();
	int prev = 0;
	long waited;
	size_t len;

	while (!__atomic_compare_exchange_n(&tm__capture.reporter_tid, &prev,
					    me, 0, __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST)) {
		if (prev == me)
			return; /* a crash while reporting: just die */
		/* A reporter inherited through fork is a thread of another
		 * process: not ours to wait for. */
		if (TM__SYS(SYS_tgkill, tm__sys_getpid(), prev, 0, 0, 0, 0) ==
		    -ESRCH)
			continue; /* prev now holds it: retry the claim */
		for (waited = 0; waited < tm__capture.ack_timeout_ms + 1000;
		     waited += 10)
			sleep_ms(10);
		return;
	}
	/* Whether the channel is still ours is checked by the channel
	 * (capture_channel.c), which may reach the watchdog by name. */
	if (!tm__capture.rec)
		return;
	/* Under Yama's ptrace_scope 1 only ancestors may read our memory;
	 * a descendant whose parent died is no longer the watchdog's. */
	if (tm__capture.watchdog_pid > 0)
		(void)TM__SYS(SYS_prctl, PR_SET_PTRACER,
			      tm__capture.watchdog_pid, 0, 0, 0, 0);
	len = tm__capture_record_fill(sig, info, uc);
	(void)tm__capture_channel_report(tm__capture.rec, len,
					 tm__capture.ack_timeout_ms);
}

/* Restores the default action and arranges the original death. */
static void die(int sig, siginfo_t *info, ucontext_t *uc)
{
	struct ksigaction dfl = { SIG_DFL, 0, NULL, 0 };
	int pid = tm__sys_getpid(), tid = tm__sys_gettid();

	/* The previous action is the program's view, SIG_DFL here. */
	(void)TM__SYS(SYS_rt_sigaction, sig, &dfl, NULL, TM__KSIGSET_SIZE, 0,
		      0);
	/* Whatever the interrupted context blocked, the signal must get
	 * through when sigreturn restores its mask. */
	sigdelset(&uc->uc_sigmask, sig);
	if (refaults(sig, info))
		return; /* the fault recurs: same si_code, exact core */
	/* Sent or trapped: queue the same siginfo to this thread; it is
	 * delivered, with the default action, as soon as we return. */
	if (TM__SYS(SYS_rt_tgsigqueueinfo, pid, tid, sig, info, 0, 0) == 0)
		return;
	if (TM__SYS(SYS_tgkill, pid, tid, sig, 0, 0, 0) == 0)
		return;
	/* Last resort, still a death by SIGKILL rather than a survivor. */
	(void)TM__SYS(SYS_kill, pid, SIGKILL, 0, 0, 0, 0);
}

/* HANDLER-ONLY. See capture.h. */
void tm__capture_handler(int sig, siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;
	int saved_errno = errno;
	unsigned long cur = 0;
	void (*h)(int);

	if (sig <= 0 || sig >= TM__CAPTURE_NSIG)
		goto out;
	(void)TM__SYS(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur,
		      TM__KSIGSET_SIZE, 0, 0);
	h = tm__capture.prog[sig].sa_handler;
	if (h != SIG_DFL && h != SIG_IGN) {
		call_program(sig, info, uc, cur);
		goto out;
	}
	/* An ignored signal that was sent stays ignored; a fault cannot be
	 * ignored (the kernel would force the default). */
	if (h == SIG_IGN && info->si_code <= 0)
		goto out;
	report(sig, info, uc);
	die(sig, info, uc);
out:
	errno = saved_errno;
}

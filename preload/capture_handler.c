/* SPDX-License-Identifier: MIT */
/* capture_handler.c -- HANDLER-ONLY: the crash signal handler: chain to the
 * program's handler, else report once and die exactly as without us.
 *
 * Zone: HANDLER-ONLY. Runs on the alternate stack with every signal
 * blocked (SA_ONSTACK, full sa_mask); the program's handler is called on
 * the stack the kernel would have given it, through a trampoline (see
 * "running the program's handler" below; docs/modes.md says what the
 * program can still observe). Raw syscalls only (capture_sys.h), no
 * malloc, stdio, locks or getenv. Every way out ends in the original
 * death or in the program's own handler (DESIGN §4.2). Failures are
 * quiet: nothing is printed, we go straight to re-raising.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/uio.h>

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
 * returns; traps (int3, seccomp's SIGSYS) and sent signals do not, and
 * neither does an asynchronous machine-check report (BUS_MCEERR_AO) or a
 * SIGSEGV queued by the program with si_code > 0 (rt_tgsigqueueinfo). */
static int refaults(int sig, const siginfo_t *info)
{
	if (info->si_code <= 0)
		return 0;
	if (sig == SIGBUS && info->si_code == BUS_MCEERR_AO)
		return 0;
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE ||
	       sig == SIGILL;
}

/* --- running the program's handler where the kernel would have ---------
 *
 * Our handler runs on the alternate stack the kernel chose: the program's
 * own when it set one (sigaltstack.c passes it through), else the shim's.
 * Bare, a handler without SA_ONSTACK (or with it, when the program has no
 * alternate stack) runs on the interrupted stack, so it is called there
 * through a small trampoline; our frame stays live on the alternate stack
 * meanwhile, so the range the kernel delivers nested signals onto is
 * narrowed to the free part below (or, when every outer call was left by
 * siglongjmp, above) it, and restored when the handler returns. */

#if defined(__x86_64__)
#define RED_ZONE 128 /* the System V ABI's, below the interrupted SP */
#define UC_SP(uc) ((uintptr_t)(uc)->uc_mcontext.gregs[REG_RSP])
#define UC_PC(uc) ((uintptr_t)(uc)->uc_mcontext.gregs[REG_RIP])
#define UC_PC_AT(uc) ((uintptr_t)&(uc)->uc_mcontext.gregs[REG_RIP])
#define UC_SP_AT(uc) ((uintptr_t)&(uc)->uc_mcontext.gregs[REG_RSP])
/* tm__capture_stack_call(arg, fn, sp): fn(arg) with the stack pointer set
 * to sp (16-byte aligned); CFI lets unwinders walk through it. */
__asm__(".text\n"
	".globl tm__capture_stack_call\n"
	".hidden tm__capture_stack_call\n"
	".type tm__capture_stack_call, @function\n"
	"tm__capture_stack_call:\n"
	".cfi_startproc\n"
	"pushq %rbp\n"
	".cfi_def_cfa_offset 16\n"
	".cfi_offset %rbp, -16\n"
	"movq %rsp, %rbp\n"
	".cfi_def_cfa_register %rbp\n"
	"andq $-16, %rdx\n"
	"movq %rdx, %rsp\n"
	"callq *%rsi\n"
	"movq %rbp, %rsp\n"
	".cfi_def_cfa %rsp, 16\n"
	"popq %rbp\n"
	".cfi_def_cfa %rsp, 8\n"
	"ret\n"
	".cfi_endproc\n"
	".size tm__capture_stack_call, .-tm__capture_stack_call\n");
#elif defined(__aarch64__)
#define RED_ZONE 0 /* AAPCS64 has none */
#define UC_SP(uc) ((uintptr_t)(uc)->uc_mcontext.sp)
#define UC_PC(uc) ((uintptr_t)(uc)->uc_mcontext.pc)
#define UC_PC_AT(uc) ((uintptr_t)&(uc)->uc_mcontext.pc)
#define UC_SP_AT(uc) ((uintptr_t)&(uc)->uc_mcontext.sp)
__asm__(".text\n"
	".globl tm__capture_stack_call\n"
	".hidden tm__capture_stack_call\n"
	".type tm__capture_stack_call, %function\n"
	"tm__capture_stack_call:\n"
	".cfi_startproc\n"
	"stp x29, x30, [sp, #-16]!\n"
	".cfi_def_cfa_offset 16\n"
	".cfi_offset x29, -16\n"
	".cfi_offset x30, -8\n"
	"mov x29, sp\n"
	".cfi_def_cfa_register x29\n"
	"and x2, x2, #~15\n"
	"mov sp, x2\n"
	"blr x1\n"
	"mov sp, x29\n"
	".cfi_def_cfa sp, 16\n"
	"ldp x29, x30, [sp], #16\n"
	".cfi_def_cfa_offset 0\n"
	".cfi_restore x29\n"
	".cfi_restore x30\n"
	"ret\n"
	".cfi_endproc\n"
	".size tm__capture_stack_call, .-tm__capture_stack_call\n");
#endif

void tm__capture_stack_call(void *arg, void (*fn)(void *), uintptr_t sp);

/* Below our deepest live byte: the trampoline's and callees' frames. */
#define FRAME_MARGIN 512
/* A narrowed range smaller than this is disabled instead (nested signals
 * then run on the stack they interrupt). */
#define NESTED_MIN (16 * 1024)

enum where { IN_PLACE, ELSEWHERE, EXHAUSTED };

struct call {
	int sig;
	siginfo_t *info;
	ucontext_t *uc;
	struct sigaction act;
	unsigned long mask;		/* while the program's handler runs */
	unsigned long handler_mask;	/* ours: everything blocked */
	uintptr_t target;		/* ELSEWHERE: its stack pointer */
	uintptr_t target_lo;		/* and that stack's low end, or 0 */
	int kill_sig;			/* what the process dies of */
	int is_narrowed;
	stack_t during, after;		/* registered alternate stacks */
};

/* The kernel's on_sig_stack(): SP inside (lo, lo + size]. */
static int is_on(uintptr_t lo, size_t size, uintptr_t sp)
{
	return size && sp > lo && sp - lo <= size;
}

/* Is [lo, lo + size) inside [blo, blo + bsize)? */
static int is_within(uintptr_t lo, size_t size, uintptr_t blo, size_t bsize)
{
	return lo >= blo && lo + size <= blo + bsize;
}

static int has_prog_ss(const struct tm__capture_thread *t)
{
	return t->prog_ss.ss_size != 0 && !(t->prog_ss.ss_flags & SS_DISABLE);
}

/* Where the program's handler must run (IN_PLACE: right here). EXHAUSTED
 * when it belongs on the interrupted stack and the fault is where the
 * kernel would have written its frame: bare, the process dies there. */
static enum where choose_stack(struct call *c)
{
	struct tm__capture_thread *t = &tm__capture_thread;
	const ucontext_t *uc = c->uc;
	uintptr_t isp = UC_SP(uc), fault, need;
	uintptr_t rlo = (uintptr_t)uc->uc_stack.ss_sp;
	size_t rsize = uc->uc_stack.ss_size;
	uintptr_t here = (uintptr_t)&need;

	/* Not a thread whose stacks we manage (library mode, a thread not
	 * made by pthread_create), no alternate stack at all, or a signal
	 * nested on it (the kernel went on at the interrupted SP, as bare):
	 * our frame is where the program's would be. */
	if (!t->alt_lo || (uc->uc_stack.ss_flags & SS_DISABLE) ||
	    !is_on(rlo, rsize, here) || is_on(rlo, rsize, isp) ||
	    is_on((uintptr_t)t->alt_lo, t->alt_size, isp))
		return IN_PLACE;
	/* An alternate stack neither ours nor the program's view: set
	 * behind sigaltstack.c's back (library mode has no interposers). */
	if (!is_within(rlo, rsize, (uintptr_t)t->alt_lo, t->alt_size) &&
	    !(has_prog_ss(t) && is_within(rlo, rsize,
					  (uintptr_t)t->prog_ss.ss_sp,
					  t->prog_ss.ss_size)))
		return IN_PLACE;
	if ((c->act.sa_flags & SA_ONSTACK) && has_prog_ss(t) &&
	    !is_on((uintptr_t)t->prog_ss.ss_sp, t->prog_ss.ss_size, isp)) {
		/* Delivered onto the program's own stack: where bare runs. */
		if (is_on((uintptr_t)t->prog_ss.ss_sp, t->prog_ss.ss_size,
			  here))
			return IN_PLACE;
		c->target = (uintptr_t)t->prog_ss.ss_sp + t->prog_ss.ss_size;
		c->target_lo = (uintptr_t)t->prog_ss.ss_sp;
		return ELSEWHERE;
	}
	c->target = isp - RED_ZONE;
	/* A stack overflow: the kernel could not have pushed its frame. */
	need = tm__capture.sigframe_size ? tm__capture.sigframe_size : 4096;
	fault = (uintptr_t)c->info->si_addr;
	if (c->sig == SIGSEGV && c->info->si_code > 0 &&
	    fault >= ((c->target - need) & ~(uintptr_t)4095) &&
	    fault < isp + 4096)
		return EXHAUSTED;
	return ELSEWHERE;
}

/* --- the crash a handler handles -------------------------------------
 *
 * Many programs catch a fault and die from their handler: Python's
 * faulthandler restores the action and raise()s it again, others
 * abort(); Go's runtime lets the fault become a panic, then raises
 * SIGABRT, catches it too and raises it once more with the default
 * action. The signal that kills is then one the thread sent itself from
 * inside a handler, and its context is the handler's; the crash is the
 * delivery that handler was handling. So while a program handler for a
 * crash signal runs, its delivery's siginfo and ucontext stay noted in
 * the thread's state, and a crash signal the thread sends itself
 * meanwhile is recorded with that delivery's registers, stack, signal,
 * si_code and address, by watchdog/unwind.c's rule (the delivery is the
 * crash when it is the same signal, or a fault the kernel raised while
 * the later one was self-sent; outward as far as the rule holds). The
 * process still dies of the signal it sent, as bare.
 *
 * Wherever the handler runs (here, the interrupted stack, the program's
 * alternate stack), its caller's frame there holds a word unique to the
 * entry just above it. A handler left by siglongjmp leaves its entry
 * behind: an entry counts only while the interrupted stack pointer of a
 * new signal lies below that word on the same stack, the word is
 * unchanged, and the ucontext still holds the delivery's PC and SP; the
 * others are dropped as soon as a crash signal arrives. (A child forked
 * inside the handler is inside its copy too, and inherits the entry.)
 * No system call while noting: a program may take its own crash
 * signals at a high rate (bench/bench_handler_chain). The watchdog's
 * search for the delivery's signal frame (watchdog/unwind.c) remains for
 * what this cannot see: a handler installed behind the interposers, more
 * than TM__CAPTURE_LIVE_DEPTH nested deliveries, a stack switched by the
 * handler itself. */

/* Copies LEN bytes at ADDR of our own memory; returns the count copied
 * or -errno. Cannot fault: the memory may be an unmapped stack. */
static long read_self(void *dst, uintptr_t addr, size_t len)
{
	struct iovec local = { dst, len };
	struct iovec remote = { (void *)addr, len };

	return TM__SYS(SYS_process_vm_readv, tm__sys_getpid(), &local, 1,
		       &remote, 1, 0);
}

/* Is F still being handled, a new signal having interrupted ISP? */
static int is_live(const struct tm__capture_live *f, uintptr_t isp)
{
	const ucontext_t *uc = f->uc;
	uintptr_t w = 0, pc = 0, sp = 0;

	if (isp >= f->top || isp < f->lo)
		return 0;
	return read_self(&w, f->top, sizeof(w)) == (long)sizeof(w) &&
	       w == f->cookie &&
	       read_self(&pc, UC_PC_AT(uc), sizeof(pc)) ==
		       (long)sizeof(pc) && pc == f->pc &&
	       read_self(&sp, UC_SP_AT(uc), sizeof(sp)) ==
		       (long)sizeof(sp) && sp == f->sp;
}

/* Forgets the deliveries whose handler was left: see above. */
static void drop_dead_live(uintptr_t isp)
{
	struct tm__capture_thread *t = &tm__capture_thread;

	while (t->nlive > 0 && !is_live(&t->live[t->nlive - 1], isp))
		t->nlive--;
}

/* Notes C's delivery while the program's handler runs below *COOKIE, a
 * word of the caller's frame on the stack whose low end is LO (0:
 * unknown). Returns the count of entries to restore once it returned. */
static int push_live(const struct call *c, volatile uintptr_t *cookie,
		     uintptr_t lo)
{
	struct tm__capture_thread *t = &tm__capture_thread;
	struct tm__capture_live *f;
	int n = t->nlive;

	if (n >= TM__CAPTURE_LIVE_DEPTH)
		return n;
	*cookie = (uintptr_t)0x746d77617463ull << 16 ^ ++t->serial;
	f = &t->live[n];
	f->lo = lo;
	f->top = (uintptr_t)cookie;
	f->cookie = *cookie;
	f->sig = c->sig;
	f->info = c->info;
	f->uc = c->uc;
	f->pc = UC_PC(c->uc);
	f->sp = UC_SP(c->uc);
	/* Complete before a nested signal may read it. */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->nlive = n + 1;
	return n;
}

static void pop_live(int n)
{
	if (tm__capture_thread.nlive > n)
		tm__capture_thread.nlive = n;
}

static int is_self_sent(const siginfo_t *info)
{
	int code = info->si_code;

	return (code == SI_USER || code == SI_QUEUE || code == SI_TKILL) &&
	       info->si_pid == tm__sys_getpid();
}

/* A crash signal this thread sent itself (raise, abort, kill of its own
 * pid) while handlers run: the crash is the outermost delivery reached
 * by the rule above. */
static void use_live(struct call *c)
{
	const struct tm__capture_thread *t = &tm__capture_thread;
	const struct tm__capture_live *f;
	int i;

	for (i = t->nlive - 1; i >= 0 && is_self_sent(c->info); i--) {
		f = &t->live[i];
		if (f->sig != c->sig && f->info->si_code <= 0)
			break;
		c->sig = f->sig;
		c->info = f->info;
		c->uc = f->uc;
	}
}

/* Forgets calls left by siglongjmp: the program now runs above them. */
static void drop_abandoned(uintptr_t isp)
{
	struct tm__capture_thread *t = &tm__capture_thread;

	while (t->depth > 0 && t->call_sp[t->depth - 1] <= isp)
		t->depth--;
}

/* Chooses the alternate stack range registered while the program's
 * handler runs elsewhere (DURING) and after it returns (AFTER). R is the
 * range we were delivered onto, LOW our deepest live address on it. */
static void narrow(struct call *c, const stack_t *r, uintptr_t low)
{
	struct tm__capture_thread *t = &tm__capture_thread;
	uintptr_t rlo = (uintptr_t)r->ss_sp, rhi = rlo + r->ss_size;
	uintptr_t blo, bhi, lo = rlo, hi = low;
	int flags = 0;

	if (is_within(rlo, r->ss_size, (uintptr_t)t->alt_lo, t->alt_size)) {
		blo = (uintptr_t)t->alt_lo;
		bhi = blo + t->alt_size;
	} else if (has_prog_ss(t) &&
		   is_within(rlo, r->ss_size, (uintptr_t)t->prog_ss.ss_sp,
			     t->prog_ss.ss_size)) {
		blo = (uintptr_t)t->prog_ss.ss_sp;
		bhi = blo + t->prog_ss.ss_size;
		flags = t->prog_ss.ss_flags & SS_AUTODISARM;
	} else {
		return; /* not a range we know: leave it */
	}
	c->after = *r;
	c->after.ss_flags &= SS_AUTODISARM;
	if (t->depth == 0) {
		/* No outer call is live: all but our own frame is free, and
		 * the whole stack is registered again after. */
		lo = blo;
		if (bhi - rhi > low - blo) {
			lo = rhi;
			hi = bhi;
		}
		c->after.ss_sp = (void *)blo;
		c->after.ss_size = bhi - blo;
		c->after.ss_flags = flags;
	}
	c->during.ss_flags = flags;
	if (hi <= lo || hi - lo < NESTED_MIN) {
		c->during.ss_sp = NULL;
		c->during.ss_size = 0;
		c->during.ss_flags = SS_DISABLE;
	} else {
		c->during.ss_sp = (void *)lo;
		c->during.ss_size = hi - lo;
	}
	c->is_narrowed = 1;
}

static void invoke(struct call *c)
{
	(void)TM__SYS(SYS_rt_sigprocmask, SIG_SETMASK, &c->mask, NULL,
		      TM__KSIGSET_SIZE, 0, 0);
	if (c->act.sa_flags & SA_SIGINFO)
		c->act.sa_sigaction(c->sig, c->info, c->uc);
	else
		c->act.sa_handler(c->sig);
	(void)TM__SYS(SYS_rt_sigprocmask, SIG_SETMASK, &c->handler_mask, NULL,
		      TM__KSIGSET_SIZE, 0, 0);
}

/* Runs on the program's stack (trampolined), every signal blocked. */
static void invoke_elsewhere(void *p)
{
	struct call *c = p;
	struct tm__capture_thread *t = &tm__capture_thread;
	volatile uintptr_t cookie = 0;
	int is_pushed = 0, nlive;

	if (c->is_narrowed)
		(void)TM__SYS(SYS_sigaltstack, &c->during, NULL, 0, 0, 0, 0);
	if (t->depth < TM__CAPTURE_CALL_DEPTH) {
		t->call_sp[t->depth++] = c->target;
		is_pushed = 1;
	}
	nlive = push_live(c, &cookie, c->target_lo);
	invoke(c);
	pop_live(nlive);
	if (is_pushed && t->depth > 0)
		t->depth--;
	if (c->is_narrowed)
		(void)TM__SYS(SYS_sigaltstack, &c->after, NULL, 0, 0, 0, 0);
}

/* What the program would read in uc_stack bare: its own settings. */
static void show_prog_stack(ucontext_t *uc)
{
	const struct tm__capture_thread *t = &tm__capture_thread;
	uintptr_t isp = UC_SP(uc);

	if (!has_prog_ss(t)) {
		uc->uc_stack.ss_sp = NULL;
		uc->uc_stack.ss_size = 0;
		uc->uc_stack.ss_flags = SS_DISABLE;
		return;
	}
	uc->uc_stack = t->prog_ss;
	uc->uc_stack.ss_flags &= SS_AUTODISARM;
	if (is_on((uintptr_t)t->prog_ss.ss_sp, t->prog_ss.ss_size, isp))
		uc->uc_stack.ss_flags |= SS_ONSTACK;
}

/* Runs the program's handler as the kernel would have: on the stack it
 * would have chosen, its mask on top of the interrupted context's, its
 * own signal blocked unless SA_NODEFER, SA_RESETHAND honoured. It may
 * return (repaired, or it changed its view and lets the fault recur) or
 * leave with siglongjmp. C->act, ->target and the signal are set. */
static void call_program(struct call *c, enum where where)
{
	ucontext_t *uc = c->uc;
	stack_t delivered = uc->uc_stack, view;
	volatile uintptr_t cookie = 0;
	uintptr_t lo = 0;
	int nlive;
	char mark;

	c->mask = mask_word(&uc->uc_sigmask) | mask_word(&c->act.sa_mask);
	if (!(c->act.sa_flags & SA_NODEFER))
		c->mask |= sigbit(c->sig);
	if (c->act.sa_flags & SA_RESETHAND) {
		tm__capture.prog[c->sig].sa_handler = SIG_DFL;
		tm__capture.prog[c->sig].sa_flags &= ~SA_SIGINFO;
	}
	if (tm__capture_thread.alt_lo)
		show_prog_stack(uc);
	if (where == IN_PLACE) {
		if (!(delivered.ss_flags & SS_DISABLE) &&
		    is_on((uintptr_t)delivered.ss_sp, delivered.ss_size,
			  (uintptr_t)&cookie))
			lo = (uintptr_t)delivered.ss_sp;
		nlive = push_live(c, &cookie, lo);
		invoke(c);
		pop_live(nlive);
		uc->uc_stack = delivered;
		return;
	}
	view = tm__capture_thread.prog_ss;
	narrow(c, &delivered, (uintptr_t)&mark - FRAME_MARGIN);
	tm__capture_stack_call(c, invoke_elsewhere, c->target);
	/* sigreturn registers uc_stack again (restore_altstack), undoing
	 * any sigaltstack call of the handler, as bare: so does its view. */
	uc->uc_stack = c->is_narrowed ? c->after : delivered;
	if (c->is_narrowed)
		tm__capture_thread.prog_ss = view;
}

/* Is this SIGABRT glibc's abort() on its way to certain death? abort()
 * raises SIGABRT; when the handler returns (or SIGABRT is ignored) it
 * resets the action with its internal __sigaction, which no interposer
 * sees, and raises again. So a self-sent SIGABRT whose interrupted stack
 * holds a return address into abort() means the process dies next. The
 * scan is bounded (raise's frames are a few hundred bytes) and reads
 * through process_vm_readv, which cannot fault. */
#define ABORT_SCAN_BYTES 2048
static int is_dying_in_abort(int sig, const siginfo_t *info,
			     const ucontext_t *uc)
{
	uintptr_t words[ABORT_SCAN_BYTES / sizeof(uintptr_t)];
	struct iovec local = { words, sizeof(words) };
	struct iovec remote;
	long n, i;

	if (sig != SIGABRT || info->si_code > 0 || !tm__capture.abort_lo ||
	    info->si_pid != tm__sys_getpid())
		return 0;
	remote.iov_base = (void *)(UC_SP(uc) & ~(uintptr_t)7);
	remote.iov_len = sizeof(words);
	n = TM__SYS(SYS_process_vm_readv, tm__sys_getpid(), &local, 1,
		    &remote, 1, 0);
	for (i = 0; i < n / (long)sizeof(uintptr_t); i++) {
		if (words[i] > tm__capture.abort_lo &&
		    words[i] <= tm__capture.abort_hi)
			return 1;
	}
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	(void)TM__SYS(SYS_ppoll, NULL, 0, &ts, NULL, 0, 0);
}

/* One thread reports; another crashing thread waits (bounded) for the
 * process to die of the first one's signal, then dies of its own. */
static void report(int sig, siginfo_t *info, ucontext_t *uc,
		   int kill_sig)
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
	if (kill_sig != sig)
		tm__capture.rec->kill_signo = kill_sig;
	(void)tm__capture_channel_report(tm__capture.rec, len,
					 tm__capture.ack_timeout_ms);
}

static void report_elsewhere(void *p)
{
	struct call *c = p;

	report(c->sig, c->info, c->uc, c->kill_sig);
}

/* Reports from the shim's own stack when the kernel delivered onto the
 * program's alternate stack, which may be too small for us (SIGSTKSZ)
 * and has no guard page. Not while an outer call may still use ours. */
static void report_on_own_stack(struct call *c)
{
	const struct tm__capture_thread *t = &tm__capture_thread;

	if (t->alt_lo && t->depth == 0 &&
	    !is_on((uintptr_t)t->alt_lo, t->alt_size, (uintptr_t)&t))
		tm__capture_stack_call(c, report_elsewhere,
				       (uintptr_t)t->alt_lo + t->alt_size);
	else
		report(c->sig, c->info, c->uc, c->kill_sig);
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
	/* Under an emulator (tm__capture.is_emulated: valgrind) the signal
	 * we queue reaches the emulator, not the program it runs: valgrind
	 * takes a queued SIGSEGV with si_code > 0 for a fault of its own
	 * and exits with an internal error. There a genuine fault returns
	 * and recurs, which the emulator handles as bare, and any other
	 * signal with si_code > 0 is sent plainly (SI_TKILL): the same
	 * death, only the si_code differs. */
	if (tm__capture.is_emulated && info->si_code > 0) {
		if (refaults(sig, info))
			return;
		goto send;
	}
	/* Queue the same siginfo to this thread (allowed with any si_code
	 * to oneself): it is delivered, with the default action, as soon as
	 * sigreturn has restored the interrupted context, so the core holds
	 * the faulting registers and the status is bare's. A fault would
	 * recur anyway; one that would not (BUS_MCEERR_AO, a queued SIGSEGV)
	 * still kills, as bare. */
	if (TM__SYS(SYS_rt_tgsigqueueinfo, pid, tid, sig, info, 0, 0) == 0)
		return;
	if (refaults(sig, info))
		return; /* the fault recurs: same si_code, exact core */
send:
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
	siginfo_t forced, *deadly = info;
	struct call c;
	enum where where;
	void (*h)(int);

	if (sig <= 0 || sig >= TM__CAPTURE_NSIG)
		goto out;
	(void)TM__SYS(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur,
		      TM__KSIGSET_SIZE, 0, 0);
	memset(&c, 0, sizeof(c));
	c.sig = sig;
	c.info = info;
	c.uc = uc;
	c.act = tm__capture.prog[sig];
	c.kill_sig = sig;
	c.handler_mask = cur;
	if (tm__capture_thread.alt_lo)
		drop_abandoned(UC_SP(uc));
	drop_dead_live(UC_SP(uc));
	h = c.act.sa_handler;
	if (h != SIG_DFL && h != SIG_IGN) {
		where = choose_stack(&c);
		/* Bare, the kernel could not have pushed the handler's frame:
		 * it kills with a SIGSEGV of its own (force_sigsegv). */
		if (where == EXHAUSTED) {
			memset(&forced, 0, sizeof(forced));
			forced.si_signo = SIGSEGV;
			forced.si_code = SI_KERNEL;
			deadly = &forced;
			goto crash;
		}
		call_program(&c, where);
		/* It returned: the process goes on, unless inside abort(). */
		if (!is_dying_in_abort(sig, info, uc))
			goto out;
		goto crash;
	}
	/* An ignored signal that was sent stays ignored (but abort() goes
	 * on to kill); a fault cannot be ignored (the kernel would force
	 * the default). */
	if (h == SIG_IGN && info->si_code <= 0 &&
	    !is_dying_in_abort(sig, info, uc))
		goto out;
crash:
	use_live(&c);
	report_on_own_stack(&c);
	die(sig, deadly, uc);
out:
	errno = saved_errno;
}

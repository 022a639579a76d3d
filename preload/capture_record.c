/* SPDX-License-Identifier: MIT */
/* capture_record.c -- HANDLER-ONLY: fills the crash record (record.h) from
 * the signal's siginfo and ucontext.
 *
 * Zone: HANDLER-ONLY: writes into the buffer mapped at load time, reads
 * memory only through process_vm_readv on ourselves so that an unmapped
 * stack page or a corrupted abort-message pointer yields a short copy
 * instead of a second fault. Raw syscalls only.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <ucontext.h>

#include "capture.h"
#include "capture_sys.h"

/* Copies up to LEN bytes at ADDR of our own memory; returns the count
 * copied (stops at the first unreadable page) or -errno. */
static long read_self(void *dst, uintptr_t addr, size_t len)
{
	struct iovec local = { dst, len };
	struct iovec remote = { (void *)addr, len };

	return TM__SYS(SYS_process_vm_readv, tm__sys_getpid(), &local, 1,
		       &remote, 1, 0);
}

static void fill_regs(struct tm_crash_record *r, const ucontext_t *uc)
{
#if defined(__x86_64__)
	/* DWARF order: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip. */
	static const int dwarf[17] = {
		REG_RAX, REG_RDX, REG_RCX, REG_RBX, REG_RSI, REG_RDI, REG_RBP,
		REG_RSP, REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13,
		REG_R14, REG_R15, REG_RIP,
	};
	int i;

	r->arch = TM_RECORD_ARCH_X86_64;
	for (i = 0; i < 17; i++)
		r->regs[i] = (uint64_t)uc->uc_mcontext.gregs[dwarf[i]];
	r->regs[17] = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
	r->nregs = 18;
	r->pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	r->sp = (uint64_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
	int i;

	r->arch = TM_RECORD_ARCH_AARCH64;
	for (i = 0; i < 31; i++)
		r->regs[i] = uc->uc_mcontext.regs[i];
	r->regs[31] = uc->uc_mcontext.sp;
	r->regs[32] = uc->uc_mcontext.pc;
	r->regs[33] = uc->uc_mcontext.pstate;
	r->nregs = 34;
	r->pc = uc->uc_mcontext.pc;
	r->sp = uc->uc_mcontext.sp;
#endif
}

/* From SP up: an overflowed stack's SP may sit in the guard page, so step
 * up a page at a time (at most 64 KiB) to the first readable byte. */
static void fill_stack(struct tm_crash_record *r, char *dst)
{
	uintptr_t at = (uintptr_t)r->sp;
	uintptr_t limit = at + 64 * 1024;
	long n = -1;

	while (at < limit) {
		n = read_self(dst, at, TM_RECORD_STACK_MAX);
		if (n > 0)
			break;
		at = (at | 4095) + 1;
	}
	if (n <= 0)
		return;
	r->stack_addr = at;
	r->stack_len = (uint32_t)n;
	if (at != r->sp || (size_t)n < TM_RECORD_STACK_MAX)
		r->flags |= TM_RECORD_F_STACK_SHORT;
}

/* glibc's struct abort_msg_s { unsigned int size; char msg[]; }, pointed
 * to by the GLIBC_PRIVATE __abort_msg (assert, malloc and fortify texts). */
static void fill_abort(struct tm_crash_record *r)
{
	uintptr_t p = 0;
	long n;
	long i;

	if (!tm__capture.abort_slot ||
	    read_self(&p, (uintptr_t)tm__capture.abort_slot, sizeof(p)) !=
		    (long)sizeof(p) || !p)
		return;
	n = read_self(r->abort_msg, p + sizeof(unsigned int),
		      sizeof(r->abort_msg) - 1);
	if (n <= 0)
		return;
	for (i = 0; i < n && r->abort_msg[i]; i++)
		;
	if (i == n)
		r->flags |= TM_RECORD_F_ABORT_CUT;
	memset(r->abort_msg + i, 0, sizeof(r->abort_msg) - (size_t)i);
	r->abort_len = (uint32_t)i;
}

/* HANDLER-ONLY. See capture.h. */
size_t tm__capture_record_fill(int sig, const siginfo_t *info,
			       const void *ucv)
{
	struct tm_crash_record *r = tm__capture.rec;
	const ucontext_t *uc = ucv;
	long n;

	memset(r, 0, sizeof(*r));
	r->magic = TM_RECORD_MAGIC;
	r->version = TM_RECORD_VERSION;
	r->header_size = sizeof(*r);
	r->pid = tm__sys_getpid();
	r->tid = tm__sys_gettid();
	r->signo = sig;
	r->si_code = info->si_code;
	if (info->si_code <= 0) {
		r->flags |= TM_RECORD_F_SENT;
		r->sender_pid = info->si_pid;
	} else if (sig != SIGABRT && sig != SIGSYS) {
		r->fault_addr = (uint64_t)(uintptr_t)info->si_addr;
	}
	fill_regs(r, uc);
	(void)TM__SYS(SYS_prctl, PR_GET_NAME, r->thread_name, 0, 0, 0, 0);
	/* Read now rather than at load: one /proc lookup costs a third of
	 * the constructor's budget, and a crash can afford it. */
	n = TM__SYS(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", r->exe,
		    sizeof(r->exe) - 1, 0, 0);
	r->exe_len = n > 0 ? (uint32_t)n : 0;
	if (sig == SIGABRT)
		fill_abort(r);
	fill_stack(r, (char *)(r + 1));
	r->total_size = (uint32_t)(sizeof(*r) + r->stack_len);
	return r->total_size;
}

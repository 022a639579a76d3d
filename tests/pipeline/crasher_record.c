/* SPDX-License-Identifier: MIT */
/* crasher_record.c -- the test crashers' handler (see crasher_record.h).
 *
 * HANDLER-ONLY apart from crasher_install: raw syscalls on preallocated
 * memory, like the real shim, so the watchdog side is tested against the
 * record it will really get: registers in DWARF numbering from the
 * ucontext, a copy of the stack from SP.
 */
#define _GNU_SOURCE
#include "crasher_record.h"

#include <signal.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#include "record.h"

static struct tm_crash_record rec;
static unsigned char stack_copy[TM_RECORD_STACK_MAX];
static unsigned char altstack[256 * 1024];

static void send_all(const void *p, size_t len)
{
	const char *c = p;

	while (len) {
		ssize_t w = write(CRASHER_RECORD_FD, c, len);

		if (w <= 0)
			return;
		c += w;
		len -= (size_t)w;
	}
}

static void on_crash(int sig, siginfo_t *si, void *ctx)
{
	static const int map[17] = {
		REG_RAX, REG_RDX, REG_RCX, REG_RBX, REG_RSI, REG_RDI,
		REG_RBP, REG_RSP, REG_R8, REG_R9, REG_R10, REG_R11,
		REG_R12, REG_R13, REG_R14, REG_R15, REG_RIP,
	};
	ucontext_t *uc = ctx;
	struct iovec local[64], remote[64];
	uint64_t sp = (uint64_t)uc->uc_mcontext.gregs[REG_RSP];
	ssize_t got;
	char ack;
	int i;

	rec.magic = TM_RECORD_MAGIC;
	rec.version = TM_RECORD_VERSION;
	rec.header_size = sizeof rec;
	rec.arch = TM_RECORD_ARCH_X86_64;
	rec.nregs = 18;
	rec.pid = getpid();
	rec.tid = (int32_t)syscall(SYS_gettid);
	rec.signo = sig;
	rec.si_code = si->si_code;
	rec.flags = si->si_code <= 0 ? TM_RECORD_F_SENT : 0;
	rec.sender_pid = si->si_code <= 0 ? si->si_pid : 0;
	rec.fault_addr = (uint64_t)(uintptr_t)si->si_addr;
	for (i = 0; i < 17; i++)
		rec.regs[i] = (uint64_t)uc->uc_mcontext.gregs[map[i]];
	rec.regs[17] = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
	rec.pc = rec.regs[16];
	prctl(PR_GET_NAME, rec.thread_name);
	rec.sp = sp;
	/* Page by page: the copy stops at the first unreadable page. */
	for (i = 0; i < 64; i++) {
		uint64_t a = i == 0 ? sp : (sp & ~4095ull) + 4096ull * i;
		uint64_t e = (sp & ~4095ull) + 4096ull * (i + 1);

		local[i].iov_base = stack_copy + (a - sp);
		local[i].iov_len = e - a;
		remote[i].iov_base = (void *)(uintptr_t)a;
		remote[i].iov_len = e - a;
	}
	got = process_vm_readv(getpid(), local, 64, remote, 64, 0);
	rec.stack_addr = sp;
	rec.stack_len = got > 0 ? (uint32_t)got : 0;
	rec.total_size = sizeof rec + rec.stack_len;
	send_all(&rec, sizeof rec);
	send_all(stack_copy, rec.stack_len);
	(void)read(CRASHER_ACK_FD, &ack, 1);
	/* Die of the same signal: refault, or re-raise a sent one. */
	signal(sig, SIG_DFL);
	if (si->si_code <= 0)
		raise(sig);
}

void crasher_install(const char *abort_msg)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL,
				    SIGABRT, SIGTRAP, SIGSYS };
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
	struct sigaction sa;
	ssize_t n;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_crash;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigfillset(&sa.sa_mask);
	sigaltstack(&ss, NULL);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
	n = readlink("/proc/self/exe", rec.exe, sizeof rec.exe - 1);
	rec.exe_len = n > 0 ? (uint32_t)n : 0;
	if (abort_msg) {
		rec.abort_len = (uint32_t)strlen(abort_msg);
		if (rec.abort_len > sizeof rec.abort_msg)
			rec.abort_len = sizeof rec.abort_msg;
		memcpy(rec.abort_msg, abort_msg, rec.abort_len);
	}
}

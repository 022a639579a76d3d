/* SPDX-License-Identifier: MIT */
/* capture_altstack.c -- LOAD-TIME: alternate signal stacks per thread.
 *
 * Zone: LOAD-TIME (the constructor and the start/exit of threads created
 * through the interposed pthread_create; never the handler). Without an
 * alternate stack a stack overflow cannot run any handler: the kernel
 * kills the thread's process with no record (DESIGN §4.2). Each stack is an
 * mmap with a PROT_NONE guard page below it, so an overflow of the handler
 * itself faults instead of corrupting memory. The stack is registered with
 * a raw syscall: the shim interposes sigaltstack (sigaltstack.c), and the
 * program never sees this stack (its view is tm__capture_thread.prog_ss).
 */
#include <signal.h>
#include <stddef.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture.h"
#include "capture_sys.h"

/* LOAD-TIME. A thread that already has a large enough alternate stack
 * (a runtime such as Go's, or the program's own) keeps it. */
void *tm__capture_altstack_ensure(size_t *size)
{
	struct tm__capture_thread *t = &tm__capture_thread;
	stack_t old, ss;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = TM__CAPTURE_ALTSTACK_SIZE;
	char *mem;

	*size = 0;
	/* The kernel's signal frame (xsave area included) on this CPU: the
	 * handler checks a thread stack has room for one (capture_handler.c). */
	if (!tm__capture.sigframe_size)
		tm__capture.sigframe_size = getauxval(AT_MINSIGSTKSZ);
	if (TM__SYS(SYS_sigaltstack, NULL, &old, 0, 0, 0, 0) == 0 &&
	    !(old.ss_flags & SS_DISABLE) &&
	    old.ss_size >= TM__CAPTURE_ALTSTACK_SIZE)
		return NULL;
	mem = mmap(NULL, len + page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return NULL;
	/* The guard sits at the low end: stacks grow down. */
	if (mprotect(mem, page, PROT_NONE) != 0)
		goto fail;
	ss.ss_sp = mem + page;
	ss.ss_size = len;
	ss.ss_flags = 0;
	if (TM__SYS(SYS_sigaltstack, &ss, NULL, 0, 0, 0, 0) != 0)
		goto fail;
	t->alt_lo = ss.ss_sp;
	t->alt_size = len;
	t->prog_ss.ss_sp = NULL;
	t->prog_ss.ss_size = 0;
	t->prog_ss.ss_flags = SS_DISABLE;
	t->depth = 0;
	*size = len + page;
	return mem;
fail:
	munmap(mem, len + page);
	return NULL;
}

/* LOAD-TIME. Disable first: a signal arriving between munmap and thread
 * exit must not be delivered onto unmapped memory. */
void tm__capture_altstack_release(void *mem, size_t size)
{
	struct tm__capture_thread *t = &tm__capture_thread;
	stack_t ss = { .ss_flags = SS_DISABLE };
	stack_t cur;

	if (!mem)
		return;
	if (TM__SYS(SYS_sigaltstack, NULL, &cur, 0, 0, 0, 0) == 0 &&
	    cur.ss_sp != NULL && (char *)cur.ss_sp > (char *)mem &&
	    (char *)cur.ss_sp < (char *)mem + size) {
		if (TM__SYS(SYS_sigaltstack, &ss, NULL, 0, 0, 0, 0) != 0)
			return; /* on it right now: leak rather than crash */
	}
	if (t->alt_lo > (char *)mem && t->alt_lo < (char *)mem + size)
		t->alt_lo = NULL;
	munmap(mem, size);
}

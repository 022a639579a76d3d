/* SPDX-License-Identifier: MIT */
/* shim_abort.c -- LOAD-TIME: where libc's abort() lies, so the handler can
 * tell a SIGABRT that abort() is about to make fatal.
 *
 * Zone: LOAD-TIME (the shim's constructor, before the handlers are
 * installed). glibc's abort() resets SIGABRT with its internal __sigaction
 * after a handler returned (or while SIGABRT is ignored) and raises again:
 * that reset bypasses the interposers, so the handler recognises the first
 * raise instead, by a return address into abort() (capture_handler.c).
 * dladdr1(RTLD_DL_SYMENT) gives the symbol's size from libc's .dynsym.
 */
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <string.h>

#include "shim.h"

/* LOAD-TIME. See shim.h. */
void tm__shim_abort_find(void)
{
	const ElfW(Sym) *sym = NULL;
	Dl_info info;
	void *fn;

	/* RTLD_NEXT: libc's definition, never a program's PLT slot. */
	fn = dlsym(RTLD_NEXT, "abort");
	if (!fn || !dladdr1(fn, &info, (void **)&sym, RTLD_DL_SYMENT) ||
	    !sym || !info.dli_sname || strcmp(info.dli_sname, "abort") != 0 ||
	    sym->st_size == 0)
		return;
	tm__capture.abort_lo = (uintptr_t)info.dli_saddr;
	tm__capture.abort_hi = (uintptr_t)info.dli_saddr + sym->st_size;
}

/* SPDX-License-Identifier: MIT */
/* capture_sys.h -- SIGNAL-SAFE: raw system calls for the signal zone.
 *
 * Zone: SIGNAL-SAFE. Each wrapper is one syscall instruction: it returns
 * the kernel's value (>= 0) or -errno, and never reads or writes errno, so
 * the handler cannot clobber the errno of the code it interrupted and does
 * not depend on libc's per-thread state (musl src/internal/syscall.h is
 * the model). x86-64 and AArch64 only; other architectures fail to build.
 */
#ifndef TMWATCH_PRELOAD_CAPTURE_SYS_H
#define TMWATCH_PRELOAD_CAPTURE_SYS_H

#include <stddef.h>
#include <sys/syscall.h>

/* SIGNAL-SAFE. The one primitive: syscall N with up to six arguments. */
static inline long tm__sys6(long n, long a, long b, long c, long d, long e,
			    long f)
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4),
			   "r"(x5)
			 : "memory", "cc");
	return x0;
#else
#error "tmwatch's signal zone supports x86-64 and AArch64 only"
#endif
}

#define TM__SYS(n, a, b, c, d, e, f) \
	tm__sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), \
		 (long)(f))

/* The kernel's sigset is 64 bits on both architectures (_NSIG / 8). */
#define TM__KSIGSET_SIZE 8

static inline int tm__sys_getpid(void)
{
	return (int)TM__SYS(SYS_getpid, 0, 0, 0, 0, 0, 0);
}

static inline int tm__sys_gettid(void)
{
	return (int)TM__SYS(SYS_gettid, 0, 0, 0, 0, 0, 0);
}

static inline long tm__sys_read(int fd, void *buf, size_t n)
{
	return TM__SYS(SYS_read, fd, buf, n, 0, 0, 0);
}

static inline long tm__sys_close(int fd)
{
	return TM__SYS(SYS_close, fd, 0, 0, 0, 0, 0);
}

#endif

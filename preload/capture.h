/* SPDX-License-Identifier: MIT */
/* capture.h -- the capture objects shared by libtmwatch-preload.so and
 * libtmwatch's library mode: state, handler, record, channel, re-exec.
 *
 * Zone: declarations for every label; each function says where it may
 * run. Nothing here is an interposer: a static program linking libtmwatch
 * must not get a second `sigaction` (the interposers live in sigaction.c,
 * signal.c and pthread_create.c, shim only). The channel protocol and the
 * record layout are in record.h and docs/crash-record.md.
 */
#ifndef TMWATCH_PRELOAD_CAPTURE_H
#define TMWATCH_PRELOAD_CAPTURE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

/* Crash signals are all below 32; the program-view table is indexed by
 * signal number. */
#define TM__CAPTURE_NSIG 32
#define TM__CAPTURE_ALTSTACK_SIZE (64 * 1024)
#define TM__CAPTURE_ACK_TIMEOUT_MS 5000
/* Program handlers running on another stack than ours, nested, that one
 * thread keeps track of (capture_handler.c). */
#define TM__CAPTURE_CALL_DEPTH 8
/* Crash signals whose program handler is running, nested, that one
 * thread keeps track of (capture_handler.c, "the crash a handler
 * handles"). */
#define TM__CAPTURE_LIVE_DEPTH 4
/* Linux 4.7's sigaltstack flag; glibc 2.36 does not name it. */
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

typedef int (*tm__sigaction_fn)(int, const struct sigaction *,
				struct sigaction *);

/* Everything the handler touches, prepared at load time (STYLE §5). */
struct tm__capture_state {
	int active;		/* handlers installed: interposers record */
	int channel_fd;		/* inherited SOCK_SEQPACKET, -1 when none */
	unsigned long channel_dev, channel_ino; /* what the fd must be */
	int ack_timeout_ms;
	struct tm_crash_record *rec; /* header, then stack; mmap'd */
	size_t rec_cap;
	void *abort_slot;	/* &__abort_msg, or NULL */
	tm__sigaction_fn real_sigaction;
	struct sigaction prog[TM__CAPTURE_NSIG]; /* the program's view */
	int reporter_tid;	/* atomic: the one thread reporting */
	int watchdog_pid;	/* TMWATCH_PID, for PR_SET_PTRACER; or 0 */
	/* The watchdog's named socket (TMWATCH_SOCK, abstract), for when
	 * channel_fd is gone; sock_len 0 when none. */
	char sock_name[108];
	int sock_len;
	/* Descriptors kept open at load (on /dev/null) so a process at its
	 * fd limit can still report: the handler closes them first. */
	int reserve_fd[2];
	unsigned long reserve_dev, reserve_ino;
	uintptr_t abort_lo, abort_hi; /* libc's abort(), or 0 (shim_abort.c) */
	size_t sigframe_size;	/* AT_MINSIGSTKSZ: the kernel's frame */
	int is_emulated;	/* under valgrind or the like: see die() */
};

/* A crash signal whose program handler runs on this thread: the
 * delivery's siginfo and ucontext, and what proves the entry still live
 * (a siglongjmp out of the handler leaves it behind). */
struct tm__capture_live {
	uintptr_t lo, top;	/* the handler runs in [lo, top); lo 0: ? */
	uintptr_t cookie;	/* the word at top while it runs */
	int sig;
	siginfo_t *info;
	void *uc;
	uintptr_t pc, sp;	/* *uc's, as delivered */
};

/* Per thread: the shim's alternate stack and the program's own view of
 * sigaltstack(2) (sigaltstack.c), read by the handler. Initial-exec TLS:
 * reading it in a signal handler never allocates. */
struct tm__capture_thread {
	char *alt_lo;		/* usable range of the shim's stack; or NULL */
	size_t alt_size;
	stack_t prog_ss;	/* the program's; ss_size 0: none set */
	int depth;		/* live entries of call_sp */
	uintptr_t call_sp[TM__CAPTURE_CALL_DEPTH]; /* where each runs */
	int nlive;		/* entries of live */
	uintptr_t serial;	/* makes each entry's cookie unique */
	struct tm__capture_live live[TM__CAPTURE_LIVE_DEPTH];
};

extern __thread struct tm__capture_thread tm__capture_thread
	__attribute__((tls_model("initial-exec")));

/* The process-wide state; one instance per copy of the capture objects. */
extern struct tm__capture_state tm__capture;

/* SIGNAL-SAFE. Is SIG one of DESIGN §4.1's crash signals? */
int tm__capture_is_crash_signal(int sig);

/* LOAD-TIME. Reads TMWATCH_FD and TMWATCH_FD_INO and checks the fd is
 * still the socket the watchdog made (by device and inode), so a program
 * that closed or reused fd numbers is never written into. Returns the fd;
 * -ENOENT when TMWATCH_FD is unset; TM_ENOWATCHDOG when it is set but the
 * fd is not ours (the watchdog is unavailable: do not re-exec). When the
 * fd is gone (closed by a parent's close_fds) but TMWATCH_SOCK names the
 * watchdog's socket, returns the fd number all the same: the handler
 * checks it again and reaches the watchdog by name instead. */
int tm__capture_channel_from_env(unsigned long *dev, unsigned long *ino);

/* LOAD-TIME. Prepares everything and installs the handlers: the record
 * buffer, the main thread's alternate stack, the program's
 * current actions as its view. REAL is libc's sigaction (never an
 * interposer); ABORT_SLOT is &__abort_msg or NULL. Returns 0 or -errno;
 * on error nothing is installed. Call once, from one thread. */
int tm__capture_install(int fd, unsigned long dev, unsigned long ino,
			tm__sigaction_fn real, void *abort_slot);

/* LOAD-TIME. Gives the calling thread an alternate signal stack of at
 * least TM__CAPTURE_ALTSTACK_SIZE with a guard page, unless it already has
 * a large enough one. Returns the mapping to release (NULL if none was
 * made); *SIZE gets its length. Runs at load and at thread start. */
void *tm__capture_altstack_ensure(size_t *size);

/* LOAD-TIME. Disables and unmaps an alternate stack made by
 * tm__capture_altstack_ensure for the calling thread, at thread exit. */
void tm__capture_altstack_release(void *mem, size_t size);

/* HANDLER-ONLY. The crash handler (SA_SIGINFO|SA_ONSTACK, all blocked). */
void tm__capture_handler(int sig, siginfo_t *info, void *uc);

/* HANDLER-ONLY. Fills tm__capture.rec for this crash; returns its total
 * size in bytes. */
size_t tm__capture_record_fill(int sig, const siginfo_t *info,
			       const void *uc);

/* HANDLER-ONLY. Sends the record over the channel (hello + SCM_RIGHTS of a
 * private socket, then the bytes) and waits at most TIMEOUT_MS in total
 * for the watchdog's ack. Returns 0 once acked, else -errno (a vanished
 * watchdog is -EPIPE/-ECONNRESET: re-raise at once). */
int tm__capture_channel_report(const void *rec, size_t len, int timeout_ms);

/* LOAD-TIME. Finds the tmwatch binary: TMWATCH_BIN, else ../bin/tmwatch
 * (or ../../bin, ../../../bin) relative to OWN_PATH, the file of the
 * shim or libtmwatch that asks (may be NULL), else the installed path,
 * else PATH. Writes it to OUT; 0, or TM_ENOWATCHDOG when none is
 * executable. */
int tm__capture_find_tmwatch(const char *shim_path, char *out, size_t cap);

/* LOAD-TIME. Execs `TMWATCH --adopt -- EXE ARGV...` with the current
 * environment, so this PID becomes the watchdog (DESIGN §3.2). ARGV is the
 * program's own, argv[0] kept. EXE is /proc/self/exe's target, or, when
 * that has no usable path (fexecve of a memfd, a deleted file),
 * /proc/self/fd/N of a descriptor opened on it and left open for tmwatch.
 * Returns only on failure, with -errno. */
int tm__capture_reexec(const char *tmwatch, char *const argv[]);

/* LOAD-TIME. The command line the kernel started this process with
 * (/proc/self/cmdline) as a NULL-terminated argv: unlike main's argv, it
 * still has the dynamic loader's own arguments when ld.so was run as a
 * program. malloc'd (argv[0] is the single buffer); NULL on failure. */
char **tm__capture_read_cmdline(void);

/* LOAD-TIME. Prints "tmwatch: WHAT; running 'PROG' without crash
 * reporting" once per process unless TMWATCH_QUIET=1. */
void tm__capture_warn(const char *what, const char *prog);

#endif

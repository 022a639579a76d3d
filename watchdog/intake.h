/* SPDX-License-Identifier: MIT */
/* intake.h -- the watchdog's end of the crash channel: the inherited
 * socket, record bytes from a waiting child, the ack.
 *
 * Stage (transport) of the crash path (STYLE §1): gives untrusted record
 * bytes and the pid the kernel vouches for; record.c validates them.
 * Protocol: preload/record.h and docs/crash-record.md. Single-threaded
 * (the watchdog's loop); never for signal handlers.
 */
#ifndef TMWATCH_WATCHDOG_INTAKE_H
#define TMWATCH_WATCHDOG_INTAKE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Bounds of one session (docs/crash-record.md "The watchdog's side"):
 * a sender silent this long is given up; a whole record must arrive
 * within INTAKE_SESSION_MAX_MS of the watchdog starting to read it. */
#define INTAKE_READ_TIMEOUT_MS 3000
#define INTAKE_SESSION_MAX_MS 10000
/* Every waiting child hears from us at least this often; its own bound
 * (TMWATCH_ACK_TIMEOUT_MS, 5 s) restarts at each keepalive byte. */
#define INTAKE_KEEPALIVE_MS 500
/* Caps over all sessions: more are refused at once (the sender dies as
 * it would have without us); past the bytes cap, records wait in the
 * kernel (flow control) until room is free. */
#define INTAKE_MAX_SESSIONS 4096
#define INTAKE_MAX_BUFFERED (16u * 1024u * 1024u)

/* One crash for the pipeline. bytes is malloc'd, owned here. */
struct intake_crash {
	int fd;			/* private socket; the ack goes here */
	pid_t pid;		/* from the kernel, not the child's word */
	pid_t tid;		/* as the hello says (untrusted) */
	unsigned char *bytes;
	size_t len;
	int read_error;		/* 0, or why the bytes are incomplete */
	/* /proc/PID/exe when the hello came (malloc'd, or NULL): names a
	 * sender gone since. */
	char *exe;
};

/* The channel and every open session; opaque. */
struct intake;

/* intake_open makes the channel: a SOCK_SEQPACKET socketpair whose
 * watchdog end (close-on-exec, SO_PASSCRED) receives hellos, and whose
 * child end (*CHILD, inherited by the child) is named by *DEV and *INO for
 * the shim's check; and the named socket, an abstract unix socket whose
 * name (for TMWATCH_SOCK) goes to NAME, or "" when it cannot be made.
 * Returns 0 with *OUT set (release with intake_close), or -errno. */
int intake_open(struct intake **out, int *child, unsigned long *dev,
		unsigned long *ino, char *name, size_t name_cap);

/* intake_raise_limit lets the watchdog hold INTAKE_MAX_SESSIONS sessions
 * (raising its own RLIMIT_NOFILE soft limit up to the hard one), or lowers
 * the cap to what the limit allows. Call in the watchdog after the fork:
 * the child keeps the limits it was given. */
void intake_raise_limit(struct intake *in);

/* intake_wait polls the channel, the named socket, every session and
 * EXTRA_FD (-1 for none; *EXTRA_READY tells whether it is readable) until
 * something happens, DEADLINE_MS (CLOCK_MONOTONIC ms; -1 for none) passes,
 * or a session's bound or the next keepalive is due; then takes hellos,
 * reads records, gives up sessions past their bounds and sends the
 * keepalives due. Never blocks while a crash is ready for intake_next.
 * Returns 0, or -errno when poll fails. */
int intake_wait(struct intake *in, int extra_fd, int *extra_ready,
		long deadline_ms);

/* intake_next hands the oldest finished session to the caller: 0 with
 * *OUT filled (complete record, or read_error set with whatever arrived),
 * to be released with intake_ack; -EAGAIN when none is ready. */
int intake_next(struct intake *in, struct intake_crash *out);

/* intake_pending is the number of open sessions (none means nothing is
 * under way). */
size_t intake_pending(const struct intake *in);

/* intake_close closes the channel, the named socket and every session
 * (their senders see EOF and die at once) and frees IN. NULL is fine. */
void intake_close(struct intake *in);

/* intake_ack tells the waiting child it may die now, then closes its
 * socket and frees its bytes. Safe on a child that is already gone. */
void intake_ack(struct intake_crash *c);

#endif

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

/* How long the watchdog waits for a child's record bytes once its hello
 * has arrived. Shorter than the child's own ack bound (5 s). */
#define INTAKE_READ_TIMEOUT_MS 3000

/* One crash waiting for the watchdog. bytes is malloc'd, owned here. */
struct intake_crash {
	int fd;			/* private socket; the ack goes here */
	pid_t pid;		/* from SCM_CREDENTIALS, not the child's word */
	pid_t tid;		/* as the hello says (untrusted) */
	unsigned char *bytes;
	size_t len;
	int read_error;		/* 0, or why the bytes are incomplete */
};

/* intake_open makes the channel: a SOCK_SEQPACKET socketpair whose
 * watchdog end (*WD, close-on-exec, SO_PASSCRED) receives hellos, and
 * whose child end (*CHILD, inherited by the child) is named by *DEV and
 * *INO for the shim's check. Returns 0 or -errno. */
int intake_open(int *wd, int *child, unsigned long *dev, unsigned long *ino);

/* intake_receive takes one hello from WD without blocking and then reads
 * that child's record bytes (bounded by INTAKE_READ_TIMEOUT_MS). Returns 0
 * with *OUT filled (even when the bytes are incomplete: see read_error),
 * -EAGAIN when no hello is queued, -EPROTO for a hello that is not ours
 * (dropped), -ENOTCONN once no process holds the child end any more, other
 * -errno on channel failure. */
int intake_receive(int wd, struct intake_crash *out);

/* intake_ack tells the waiting child it may die now, then closes its
 * socket and frees its bytes. Safe on a child that is already gone. */
void intake_ack(struct intake_crash *c);

#endif

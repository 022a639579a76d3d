/* SPDX-License-Identifier: MIT */
/* intake.c -- the watchdog's end of the crash channel (DESIGN §4.3).
 *
 * Takes hellos from the inherited SOCK_SEQPACKET socket (one datagram per
 * crash, so crashing descendants never interleave), reads each record over
 * the private socket the hello carried, and acks (the module table is
 * modules.c's). Treats every byte as
 * untrusted: sizes are bounded, every read has a deadline, a hello that
 * is not ours is dropped with its descriptors closed. Never prints.
 * Protocol: preload/record.h, docs/crash-record.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../preload/record.h"
#include "intake.h"

/* Room for the largest record a well-behaved shim sends. */
#define INTAKE_MAX_BYTES (sizeof(struct tm_crash_record) + TM_RECORD_STACK_MAX)

/* The child inherits this fd: keep it far from the low numbers programs
 * expect to be free (a shell's `exec 3>file`, code that assumes open()
 * returns 3). Falls back to FD when no high number is available. */
static int move_high(int fd)
{
	struct rlimit rl;
	long want = 1000;
	int nfd;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
	    && (long)rl.rlim_cur <= want + 16)
		want = (long)rl.rlim_cur / 2;
	if (want <= fd)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, (int)want);
	if (nfd < 0)
		return fd;
	close(fd);
	return nfd;
}

/* intake_open: see intake.h. */
int intake_open(int *wd, int *child, unsigned long *dev, unsigned long *ino)
{
	int sv[2], one = 1;
	struct stat st;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return -errno;
	if (setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) ||
	    fstat(sv[1], &st) != 0) {
		int e = -errno;

		close(sv[0]);
		close(sv[1]);
		return e;
	}
	/* Only the shim writes; only the watchdog reads. */
	(void)shutdown(sv[0], SHUT_WR);
	*wd = sv[0];
	*child = move_high(sv[1]);
	*dev = (unsigned long)st.st_dev;
	*ino = (unsigned long)st.st_ino;
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Reads the record: total_size (bytes 8..11) says how much to expect,
 * capped at INTAKE_MAX_BYTES; the child keeps its end open until acked,
 * so there is no EOF to wait for. */
static int read_record(struct intake_crash *c)
{
	long deadline = now_ms() + INTAKE_READ_TIMEOUT_MS;
	size_t want = INTAKE_MAX_BYTES;
	struct pollfd p;
	ssize_t n;
	long left;

	c->bytes = malloc(INTAKE_MAX_BYTES);
	if (!c->bytes)
		return -ENOMEM;
	while (c->len < want) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		p.fd = c->fd;
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return -errno;
		n = recv(c->fd, c->bytes + c->len, want - c->len,
			 MSG_DONTWAIT);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		c->len += (size_t)n;
		if (c->len >= 12 && want == INTAKE_MAX_BYTES) {
			uint32_t total;

			memcpy(&total, c->bytes + 8, sizeof(total));
			if (total < c->len || total > INTAKE_MAX_BYTES)
				return -EMSGSIZE; /* record.c says why */
			want = total;
		}
	}
	return 0;
}

static void close_passed_fds(struct msghdr *msg, int keep)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		size_t i, n;
		int fd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(fd));
			if (fd != keep)
				close(fd);
		}
	}
}

/* intake_receive: see intake.h. */
int intake_receive(int wd, struct intake_crash *out)
{
	struct tm_crash_hello h;
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred)) +
			 CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { &h, sizeof(h) };
	struct msghdr msg;
	struct cmsghdr *cm;
	struct ucred cred = { 0, 0, 0 };
	int fd = -1, have_cred = 0;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	n = recvmsg(wd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n == 0 && msg.msg_controllen == 0)
		return -ENOTCONN; /* every child end closed: no more hellos */
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET)
			continue;
		if (cm->cmsg_type == SCM_RIGHTS && fd < 0 &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
		if (cm->cmsg_type == SCM_CREDENTIALS &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(cred))) {
			memcpy(&cred, CMSG_DATA(cm), sizeof(cred));
			have_cred = 1;
		}
	}
	close_passed_fds(&msg, fd);
	if (n != (ssize_t)sizeof(h) || (msg.msg_flags & MSG_CTRUNC) ||
	    fd < 0 || !have_cred || h.magic != TM_HELLO_MAGIC ||
	    h.version != TM_RECORD_VERSION || h.size != sizeof(h)) {
		if (fd >= 0)
			close(fd);
		return -EPROTO;
	}
	out->fd = fd;
	out->pid = cred.pid;
	out->tid = h.tid;
	out->read_error = read_record(out);
	return 0;
}

/* intake_ack: see intake.h. MSG_NOSIGNAL: a child that died meanwhile
 * must not kill the watchdog with SIGPIPE. */
void intake_ack(struct intake_crash *c)
{
	char ack = TM_RECORD_ACK;

	if (c->fd >= 0) {
		(void)send(c->fd, &ack, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(c->fd);
		c->fd = -1;
	}
	free(c->bytes);
	c->bytes = NULL;
	c->len = 0;
}

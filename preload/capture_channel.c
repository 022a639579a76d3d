/* SPDX-License-Identifier: MIT */
/* capture_channel.c -- HANDLER-ONLY: delivers a crash record to the
 * watchdog and waits, bounded, for its ack.
 *
 * Zone: HANDLER-ONLY. Protocol (record.h, docs/crash-record.md): make a
 * private stream socketpair, send one end with SCM_RIGHTS inside a hello
 * message on the inherited SOCK_SEQPACKET channel (one datagram, so
 * descendants crashing together never interleave), stream the record over
 * the private end, wait for one ack byte. MSG_NOSIGNAL everywhere: a
 * vanished watchdog is an error code (re-raise now), never a SIGPIPE.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "capture.h"
#include "capture_sys.h"

static long now_ms(void)
{
	struct timespec ts;

	if (TM__SYS(SYS_clock_gettime, CLOCK_MONOTONIC, &ts, 0, 0, 0, 0) < 0)
		return 0;
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Waits for EVENTS on FD until DEADLINE; 0 when ready, else -errno. */
static int wait_fd(int fd, short events, long deadline)
{
	struct pollfd p = { fd, events, 0 };
	long left = deadline - now_ms();
	struct timespec ts;
	long r;

	if (left <= 0)
		return -ETIMEDOUT;
	ts.tv_sec = left / 1000;
	ts.tv_nsec = (left % 1000) * 1000000L;
	r = TM__SYS(SYS_ppoll, &p, 1, &ts, NULL, 0, 0);
	if (r == 0)
		return -ETIMEDOUT;
	if (r < 0)
		return r == -EINTR ? 0 : (int)r;
	if (p.revents & (POLLERR | POLLNVAL))
		return -EPIPE;
	if ((p.revents & events) == 0 && (p.revents & POLLHUP))
		return -EPIPE;
	return 0;
}

static int send_hello(int chan, int passed, long deadline)
{
	struct tm_crash_hello h = {
		.magic = TM_HELLO_MAGIC,
		.version = TM_RECORD_VERSION,
		.size = sizeof(h),
		.pid = tm__sys_getpid(),
		.tid = tm__sys_gettid(),
	};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { &h, sizeof(h) };
	struct msghdr msg;
	struct cmsghdr *cm;
	long r;

	memset(&msg, 0, sizeof(msg));
	memset(&u, 0, sizeof(u));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &passed, sizeof(int));
	for (;;) {
		r = TM__SYS(SYS_sendmsg, chan, &msg,
			    MSG_NOSIGNAL | MSG_DONTWAIT, 0, 0, 0);
		if (r >= 0)
			return 0;
		if (r != -EAGAIN && r != -EINTR)
			return (int)r;
		r = wait_fd(chan, POLLOUT, deadline);
		if (r < 0)
			return (int)r;
	}
}

static int send_all(int fd, const char *p, size_t len, long deadline)
{
	long r;

	while (len > 0) {
		r = TM__SYS(SYS_sendto, fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT,
			    NULL, 0);
		if (r > 0) {
			p += r;
			len -= (size_t)r;
			continue;
		}
		if (r != -EAGAIN && r != -EINTR)
			return r == 0 ? -EPIPE : (int)r;
		r = wait_fd(fd, POLLOUT, deadline);
		if (r < 0)
			return (int)r;
	}
	return 0;
}

static int wait_ack(int fd, long deadline)
{
	char ack = 0;
	long r;

	for (;;) {
		r = wait_fd(fd, POLLIN, deadline);
		if (r < 0)
			return (int)r;
		r = tm__sys_read(fd, &ack, 1);
		if (r == 1)
			return ack == TM_RECORD_ACK ? 0 : -EPROTO;
		if (r == 0)
			return -ECONNRESET;
		if (r != -EAGAIN && r != -EINTR)
			return (int)r;
	}
}

/* HANDLER-ONLY. See capture.h. */
int tm__capture_channel_report(const void *rec, size_t len, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	int sv[2];
	int r;

	r = (int)TM__SYS(SYS_socketpair, AF_UNIX,
			 SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv, 0,
			 0);
	if (r < 0)
		return r;
	r = send_hello(tm__capture.channel_fd, sv[1], deadline);
	(void)tm__sys_close(sv[1]);
	if (r == 0)
		r = send_all(sv[0], rec, len, deadline);
	if (r == 0)
		r = wait_ack(sv[0], deadline);
	(void)tm__sys_close(sv[0]);
	return r;
}

/* SPDX-License-Identifier: MIT */
/* capture_channel.c -- HANDLER-ONLY: delivers a crash record to the
 * watchdog and waits, bounded, for its ack.
 *
 * Zone: HANDLER-ONLY. Protocol (record.h, docs/crash-record.md): make a
 * private stream socketpair, send one end with SCM_RIGHTS inside a hello
 * message on the inherited SOCK_SEQPACKET channel (one datagram, so
 * descendants crashing together never interleave), stream the record over
 * the private end, wait for one ack byte. When the inherited fd is gone,
 * connect to the watchdog's named socket instead (checked to be the
 * watchdog by SO_PEERCRED) and send hello and record on that stream.
 * Each keepalive byte from the watchdog restarts the bound, so a watchdog
 * busy with a storm is waited for, a dead one (EOF) is not. Descriptors
 * reserved at load are released first, so a process at its fd limit can
 * still report. MSG_NOSIGNAL everywhere: a vanished watchdog is an error
 * code (re-raise now), never a SIGPIPE.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

/* The bound of one wait: restarted by every keepalive. */
struct bound {
	long deadline;
	int timeout_ms;
};

/* Reads what the watchdog sent on FD: keepalives restart B; returns 1
 * for the ack, 0 when only keepalives (or nothing) were there, -errno
 * for EOF (the watchdog let go or died) or junk. */
static int read_replies(int fd, struct bound *b)
{
	char buf[64];
	long r;
	int i;

	for (;;) {
		r = tm__sys_read(fd, buf, sizeof buf);
		if (r == 0)
			return -ECONNRESET;
		if (r == -EAGAIN || r == -EINTR)
			return 0;
		if (r < 0)
			return (int)r;
		for (i = 0; i < r; i++) {
			if (buf[i] == TM_RECORD_ACK)
				return 1;
			if (buf[i] != TM_RECORD_KEEPALIVE)
				return -EPROTO;
			b->deadline = now_ms() + b->timeout_ms;
		}
	}
}

/* Waits for EVENTS on FD (POLLIN always, when READS: the watchdog's
 * replies are taken as they come) until B's deadline. 0 when ready,
 * 1 when acked, else -errno. */
static int wait_fd(int fd, short events, int reads, struct bound *b)
{
	struct pollfd p = { fd, (short)(events | (reads ? POLLIN : 0)), 0 };
	struct timespec ts;
	long left, r;

	for (;;) {
		left = b->deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000L;
		p.revents = 0;
		r = TM__SYS(SYS_ppoll, &p, 1, &ts, NULL, 0, 0);
		if (r == 0)
			return -ETIMEDOUT;
		if (r == -EINTR)
			continue;
		if (r < 0)
			return (int)r;
		if (reads && (p.revents & (POLLIN | POLLHUP))) {
			r = read_replies(fd, b);
			if (r != 0)
				return (int)r;
		} else if (p.revents & (POLLERR | POLLNVAL | POLLHUP)) {
			return -EPIPE;
		}
		if (p.revents & events)
			return 0;
	}
}

static int send_hello(int chan, int passed, struct bound *b)
{
	struct tm_crash_hello h = {
		.magic = TM_HELLO_MAGIC,
		.version = TM_HELLO_VERSION_KEEPALIVE,
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
	if (passed >= 0) {
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &passed, sizeof(int));
	}
	for (;;) {
		r = TM__SYS(SYS_sendmsg, chan, &msg,
			    MSG_NOSIGNAL | MSG_DONTWAIT, 0, 0, 0);
		if (r == (long)sizeof(h))
			return 0;
		if (r >= 0)
			return -EPROTO; /* a stream took part of it: give up */
		if (r != -EAGAIN && r != -EINTR)
			return (int)r;
		r = wait_fd(chan, POLLOUT, 0, b);
		if (r < 0)
			return (int)r;
	}
}

/* Streams LEN bytes while taking the watchdog's keepalives: under a
 * storm it may leave our bytes in the kernel for a while (flow control)
 * and tell us it is alive meanwhile. */
static int send_all(int fd, const char *p, size_t len, struct bound *b)
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
		r = wait_fd(fd, POLLOUT, 1, b);
		if (r == 1)
			return -EPROTO; /* acked before the whole record */
		if (r < 0)
			return (int)r;
	}
	return 0;
}

static int wait_ack(int fd, struct bound *b)
{
	int r = wait_fd(fd, 0, 1, b);

	return r == 1 ? 0 : r < 0 ? r : -EPROTO;
}

/* Is FD still the very socket the watchdog made? The program may have
 * closed its number and reused it since load. */
static int channel_is_ours(void)
{
	struct stat st;

	if (tm__capture.channel_fd < 0)
		return 0;
	if (TM__SYS(SYS_fstat, tm__capture.channel_fd, &st, 0, 0, 0, 0) < 0)
		return 0;
	return S_ISSOCK(st.st_mode) && st.st_dev == tm__capture.channel_dev &&
	       st.st_ino == tm__capture.channel_ino;
}

/* Closes the descriptors reserved at load that are still ours (a
 * program may have closed or dup2'ed over them since): at the fd limit,
 * they are the room the socket(s) below need. */
static void release_reserve(void)
{
	struct stat st;
	int i, fd;

	for (i = 0; i < 2; i++) {
		fd = tm__capture.reserve_fd[i];
		tm__capture.reserve_fd[i] = -1;
		if (fd < 0 ||
		    TM__SYS(SYS_fstat, fd, &st, 0, 0, 0, 0) < 0 ||
		    !S_ISCHR(st.st_mode) ||
		    st.st_dev != tm__capture.reserve_dev ||
		    st.st_ino != tm__capture.reserve_ino)
			continue;
		(void)tm__sys_close(fd);
	}
}

/* Connects to the watchdog's named socket; returns the stream, or
 * -errno. The peer must be the watchdog itself (SO_PEERCRED), so a
 * process that took the name after the watchdog exited gets nothing. */
static int connect_named(void)
{
	struct sockaddr_un a;
	struct ucred cred;
	socklen_t clen = sizeof cred;
	long fd, r;

	if (tm__capture.sock_len <= 0 || tm__capture.watchdog_pid <= 0)
		return -ENOENT;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path + 1, tm__capture.sock_name,
	       (size_t)tm__capture.sock_len);
	fd = TM__SYS(SYS_socket, AF_UNIX,
		     SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, 0, 0, 0);
	if (fd < 0)
		return (int)fd;
	/* A unix stream connect completes at once or fails (EAGAIN: the
	 * backlog is full; the watchdog is refusing). */
	r = TM__SYS(SYS_connect, fd, &a,
		    offsetof(struct sockaddr_un, sun_path) + 1 +
			    (size_t)tm__capture.sock_len, 0, 0, 0);
	if (r == 0)
		r = TM__SYS(SYS_getsockopt, fd, SOL_SOCKET, SO_PEERCRED,
			    &cred, &clen, 0);
	if (r == 0 && cred.pid != tm__capture.watchdog_pid)
		r = -EPERM;
	if (r < 0) {
		(void)tm__sys_close((int)fd);
		return (int)r;
	}
	return (int)fd;
}

/* HANDLER-ONLY. See capture.h. */
int tm__capture_channel_report(const void *rec, size_t len, int timeout_ms)
{
	struct bound b = { now_ms() + timeout_ms, timeout_ms };
	int sv[2];
	int r;

	release_reserve();
	if (channel_is_ours()) {
		r = (int)TM__SYS(SYS_socketpair, AF_UNIX,
				 SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
				 sv, 0, 0);
		if (r < 0)
			return r;
		r = send_hello(tm__capture.channel_fd, sv[1], &b);
		(void)tm__sys_close(sv[1]);
	} else {
		sv[0] = connect_named();
		if (sv[0] < 0)
			return sv[0];
		r = send_hello(sv[0], -1, &b);
	}
	if (r == 0)
		r = send_all(sv[0], rec, len, &b);
	if (r == 0)
		r = wait_ack(sv[0], &b);
	(void)tm__sys_close(sv[0]);
	return r;
}

/* SPDX-License-Identifier: MIT */
/* test_intake.c -- watchdog/intake.c, the watchdog's end of the crash
 * channel: hellos are taken or dropped, records are read concurrently
 * with bounds and caps, keepalives and acks are sent, and the named socket
 * works (the module table's test is test_modules.c).
 *
 * intake.c belongs to the tmwatch executable, not libtmwatch, so it is
 * compiled in here (watchdog/ is on the include path). The "crashing
 * child" is this process writing into the other end of the socketpair.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "intake.c"

static int send_hello(int chan, int fd, uint32_t magic, uint16_t version)
{
	struct tm_crash_hello h = { magic, version, sizeof(h), getpid(),
				    gettid() };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { &h, sizeof(h) };
	struct msghdr msg;
	struct cmsghdr *cm;

	memset(&msg, 0, sizeof(msg));
	memset(&u, 0, sizeof(u));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd >= 0) {
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(chan, &msg, MSG_NOSIGNAL) == sizeof(h) ? 0 : -1;
}

/* Opens a session on the channel as the shim does; returns the
 * sender's end of the private socket. */
static int open_session(int child, uint16_t version)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(send_hello(child, sv[1], TM_HELLO_MAGIC, version),
			 0);
	close(sv[1]);
	return sv[0];
}

/* Runs the intake until a crash is ready, at most BOUND_MS: 0 and *C, or
 * -ETIMEDOUT. */
static int next_within(struct intake *in, struct intake_crash *c,
		       long bound_ms)
{
	long end = now_ms() + bound_ms;
	int ready;

	while (intake_next(in, c) != 0) {
		if (now_ms() >= end)
			return -ETIMEDOUT;
		assert_int_equal(intake_wait(in, -1, &ready, end), 0);
	}
	return 0;
}

/* The next byte the watchdog sent on FD within BOUND_MS, or -1. */
static int reply_within(int fd, long bound_ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char b;

	if (poll(&p, 1, (int)bound_ms) != 1 || read(fd, &b, 1) != 1)
		return -1;
	return b;
}

/* The first byte other than a keepalive on FD within BOUND_MS, or -1. */
static int ack_within(int fd, long bound_ms)
{
	int b;

	while ((b = reply_within(fd, bound_ms)) == TM_RECORD_KEEPALIVE)
		;
	return b;
}

static void intake_takes_hello_and_whole_record(void **state)
{
	static unsigned char rec[sizeof(struct tm_crash_record) + 100];
	struct tm_crash_record *h = (struct tm_crash_record *)rec;
	struct intake_crash c;
	struct intake *in;
	unsigned long dev, ino;
	char name[108];
	int child, fd;

	(void)state;
	assert_int_equal(intake_open(&in, &child, &dev, &ino, name,
				     sizeof name), 0);
	assert_true(child >= 3);
	assert_int_equal(strncmp(name, "tmwatch-", 8), 0);
	assert_int_equal(intake_next(in, &c), -EAGAIN);
	fd = open_session(child, TM_HELLO_VERSION_KEEPALIVE);
	h->total_size = sizeof(rec);
	assert_int_equal(write(fd, rec, sizeof(rec)), (ssize_t)sizeof(rec));
	assert_int_equal(next_within(in, &c, 5000), 0);
	assert_int_equal(c.read_error, 0);
	assert_int_equal(c.len, sizeof(rec));
	assert_int_equal(c.pid, getpid()); /* the kernel's word */
	/* Keepalives on the hello and on the whole record, then the ack. */
	assert_int_equal(reply_within(fd, 1000), TM_RECORD_KEEPALIVE);
	assert_int_equal(reply_within(fd, 1000), TM_RECORD_KEEPALIVE);
	intake_ack(&c);
	assert_int_equal(ack_within(fd, 1000), TM_RECORD_ACK);
	close(fd);
	close(child);
	assert_int_equal(intake_pending(in), 0);
	intake_close(in);
}

static void intake_drops_hello_with_bad_magic(void **state)
{
	struct intake_crash c;
	struct intake *in;
	unsigned long dev, ino;
	char name[108];
	int child, sv[2];
	char b;

	(void)state;
	assert_int_equal(intake_open(&in, &child, &dev, &ino, name,
				     sizeof name), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(send_hello(child, sv[1], 0xdeadbeef,
				    TM_RECORD_VERSION), 0);
	close(sv[1]);
	assert_int_equal(next_within(in, &c, 300), -ETIMEDOUT);
	/* The passed socket was closed: the sender sees EOF. */
	assert_int_equal(read(sv[0], &b, 1), 0);
	close(sv[0]);
	close(child);
	intake_close(in);
}

static void intake_refuses_record_claiming_too_much(void **state)
{
	struct tm_crash_record h;
	struct intake_crash c;
	struct intake *in;
	unsigned long dev, ino;
	char name[108];
	int child, fd;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.total_size = UINT32_MAX;
	assert_int_equal(intake_open(&in, &child, &dev, &ino, name,
				     sizeof name), 0);
	fd = open_session(child, TM_RECORD_VERSION);
	assert_int_equal(write(fd, &h, 64), 64);
	assert_int_equal(next_within(in, &c, 5000), 0);
	assert_int_equal(c.read_error, -EMSGSIZE);
	intake_ack(&c);
	close(fd);
	close(child);
	intake_close(in);
}

/* Issue 14: a silent session must not hold up another crash; it is
 * given up on its own bound. */
static void intake_reads_sessions_concurrently_and_bounds_silent_ones(
	void **state)
{
	static unsigned char rec[sizeof(struct tm_crash_record) + 64];
	struct tm_crash_record *h = (struct tm_crash_record *)rec;
	struct intake_crash c;
	struct intake *in;
	unsigned long dev, ino;
	char name[108];
	int child, silent, real;
	long t0;

	(void)state;
	assert_int_equal(intake_open(&in, &child, &dev, &ino, name,
				     sizeof name), 0);
	h->total_size = sizeof(rec);
	silent = open_session(child, TM_HELLO_VERSION_KEEPALIVE);
	assert_int_equal(write(silent, rec, 20), 20); /* then nothing */
	real = open_session(child, TM_HELLO_VERSION_KEEPALIVE);
	assert_int_equal(write(real, rec, sizeof(rec)), (ssize_t)sizeof(rec));
	t0 = now_ms();
	assert_int_equal(next_within(in, &c, 2000), 0);
	assert_true(now_ms() - t0 < INTAKE_READ_TIMEOUT_MS);
	assert_int_equal(c.read_error, 0);
	assert_int_equal(c.len, sizeof(rec));
	intake_ack(&c);
	/* The silent one: given up after INTAKE_READ_TIMEOUT_MS, handed
	 * over with what came (crash.c counts crash/no-record). */
	assert_int_equal(next_within(in, &c, INTAKE_READ_TIMEOUT_MS + 3000),
			 0);
	assert_int_equal(c.read_error, -ETIMEDOUT);
	assert_int_equal(c.len, 20);
	intake_ack(&c);
	assert_int_equal(intake_pending(in), 0);
	close(silent);
	close(real);
	close(child);
	intake_close(in);
}

static void intake_refuses_sessions_over_the_cap(void **state)
{
	struct intake_crash c;
	struct intake *in;
	unsigned long dev, ino;
	char name[108];
	int child, a, b, over, ready;
	char byte;

	(void)state;
	assert_int_equal(intake_open(&in, &child, &dev, &ino, name,
				     sizeof name), 0);
	in->max_sessions = 2;
	a = open_session(child, TM_HELLO_VERSION_KEEPALIVE);
	b = open_session(child, TM_HELLO_VERSION_KEEPALIVE);
	over = open_session(child, TM_HELLO_VERSION_KEEPALIVE);
	assert_int_equal(intake_wait(in, -1, &ready, now_ms() + 1000), 0);
	assert_int_equal(intake_pending(in), 2);
	/* The third sender sees EOF at once: it dies as without us. */
	assert_int_equal(reply_within(over, 1000), -1);
	assert_int_equal(read(over, &byte, 1), 0);
	assert_int_equal(intake_next(in, &c), -EAGAIN);
	close(a);
	close(b);
	close(over);
	close(child);
	intake_close(in);
}

/* Issue 8 §3: a process whose inherited fd was closed reaches the
 * watchdog by the abstract name, on one stream. */
static void intake_takes_record_on_the_named_socket(void **state)
{
	static unsigned char rec[sizeof(struct tm_crash_record) + 32];
	struct tm_crash_record *h = (struct tm_crash_record *)rec;
	struct tm_crash_hello hello = { TM_HELLO_MAGIC,
					TM_HELLO_VERSION_KEEPALIVE,
					sizeof(hello), 0, 0 };
	struct sockaddr_un a;
	struct intake_crash c;
	struct intake *in;
	unsigned long dev, ino;
	char name[108];
	int child, fd;

	(void)state;
	assert_int_equal(intake_open(&in, &child, &dev, &ino, name,
				     sizeof name), 0);
	assert_true(strlen(name) > 40); /* pid and 128 random bits */
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path + 1, name, strlen(name));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a,
				 offsetof(struct sockaddr_un, sun_path) + 1 +
					 strlen(name)), 0);
	assert_int_equal(write(fd, &hello, sizeof hello),
			 (ssize_t)sizeof hello);
	h->total_size = sizeof(rec);
	assert_int_equal(write(fd, rec, sizeof(rec)), (ssize_t)sizeof(rec));
	assert_int_equal(next_within(in, &c, 5000), 0);
	assert_int_equal(c.read_error, 0);
	assert_int_equal(c.len, sizeof(rec));
	assert_int_equal(c.pid, getpid());
	intake_ack(&c);
	assert_int_equal(reply_within(fd, 1000), TM_RECORD_KEEPALIVE);
	assert_int_equal(reply_within(fd, 1000), TM_RECORD_KEEPALIVE);
	assert_int_equal(ack_within(fd, 1000), TM_RECORD_ACK);
	close(fd);
	close(child);
	intake_close(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(intake_takes_hello_and_whole_record),
		cmocka_unit_test(intake_drops_hello_with_bad_magic),
		cmocka_unit_test(intake_refuses_record_claiming_too_much),
		cmocka_unit_test(
			intake_reads_sessions_concurrently_and_bounds_silent_ones),
		cmocka_unit_test(intake_refuses_sessions_over_the_cap),
		cmocka_unit_test(intake_takes_record_on_the_named_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

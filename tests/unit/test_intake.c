/* SPDX-License-Identifier: MIT */
/* test_intake.c -- watchdog/intake.c, the watchdog's end of the crash
 * channel: hellos are taken or dropped, records are read with a bound.
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
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "intake.c"

static int send_hello(int chan, int fd, uint32_t magic)
{
	struct tm_crash_hello h = { magic, TM_RECORD_VERSION, sizeof(h),
				    getpid(), gettid() };
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
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(chan, &msg, MSG_NOSIGNAL) == sizeof(h) ? 0 : -1;
}

static void intake_takes_hello_and_whole_record(void **state)
{
	static unsigned char rec[sizeof(struct tm_crash_record) + 100];
	struct tm_crash_record *h = (struct tm_crash_record *)rec;
	struct intake_crash c;
	unsigned long dev, ino;
	int wd, child, sv[2];
	char ack = 0;

	(void)state;
	assert_int_equal(intake_open(&wd, &child, &dev, &ino), 0);
	assert_true(child >= 3);
	assert_int_equal(intake_receive(wd, &c), -EAGAIN);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(send_hello(child, sv[1], TM_HELLO_MAGIC), 0);
	close(sv[1]);
	h->total_size = sizeof(rec);
	assert_int_equal(write(sv[0], rec, sizeof(rec)), (ssize_t)sizeof(rec));
	assert_int_equal(intake_receive(wd, &c), 0);
	assert_int_equal(c.read_error, 0);
	assert_int_equal(c.len, sizeof(rec));
	assert_int_equal(c.pid, getpid()); /* the kernel's word */
	intake_ack(&c);
	assert_int_equal(read(sv[0], &ack, 1), 1);
	assert_int_equal(ack, TM_RECORD_ACK);
	close(sv[0]);
	close(child);
	assert_int_equal(intake_receive(wd, &c), -ENOTCONN);
	close(wd);
}

static void intake_drops_hello_with_bad_magic(void **state)
{
	struct intake_crash c;
	unsigned long dev, ino;
	int wd, child, sv[2];
	char b;

	(void)state;
	assert_int_equal(intake_open(&wd, &child, &dev, &ino), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(send_hello(child, sv[1], 0xdeadbeef), 0);
	close(sv[1]);
	assert_int_equal(intake_receive(wd, &c), -EPROTO);
	/* The passed socket was closed: the sender sees EOF. */
	assert_int_equal(read(sv[0], &b, 1), 0);
	close(sv[0]);
	close(child);
	close(wd);
}

static void intake_refuses_record_claiming_too_much(void **state)
{
	struct tm_crash_record h;
	struct intake_crash c;
	unsigned long dev, ino;
	int wd, child, sv[2];

	(void)state;
	memset(&h, 0, sizeof(h));
	h.total_size = UINT32_MAX;
	assert_int_equal(intake_open(&wd, &child, &dev, &ino), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(send_hello(child, sv[1], TM_HELLO_MAGIC), 0);
	close(sv[1]);
	assert_int_equal(write(sv[0], &h, 64), 64);
	assert_int_equal(intake_receive(wd, &c), 0);
	assert_int_equal(c.read_error, -EMSGSIZE);
	intake_ack(&c);
	close(sv[0]);
	close(child);
	close(wd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(intake_takes_hello_and_whole_record),
		cmocka_unit_test(intake_drops_hello_with_bad_magic),
		cmocka_unit_test(intake_refuses_record_claiming_too_much),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

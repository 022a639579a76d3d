/* SPDX-License-Identifier: MIT */
/* helper_bad_record.c -- a hostile "crashing" child for the scenarios: it
 * speaks the channel protocol over TMWATCH_FD but sends what argv[1]
 * says, then exits 0 whatever the watchdog does.
 *   garbage   a hello with a private socket, then 100 bytes of junk
 *   huge      a hello, then a header claiming a 4 GiB record
 *   silent    a hello, then nothing (the watchdog must give up, bounded)
 *   nofd      a hello datagram without the SCM_RIGHTS descriptor
 *   partial   a hello (version 2), its first keepalive, then the first
 *             3000 bytes of a SIGSEGV record claiming more, then EOF (it
 *             gives up, as a crashing process whose bound expired would)
 * Prints "acked" or "no ack" so the test sees the watchdog answered.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../preload/record.h"

static uint16_t hello_version = TM_RECORD_VERSION;

static int send_hello(int chan, int fd)
{
	struct tm_crash_hello h = { TM_HELLO_MAGIC, hello_version,
				    sizeof(h), getpid(), gettid() };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { &h, sizeof(h) };
	struct msghdr msg = { 0 };
	struct cmsghdr *cm;

	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
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

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "garbage";
	const char *env = getenv("TMWATCH_FD");
	int chan = env ? atoi(env) : -1, sv[2];
	unsigned char junk[100];
	struct pollfd p;
	char ack = 0;

	if (chan < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 2;
	if (strcmp(how, "nofd") == 0) {
		if (send_hello(chan, -1) != 0)
			return 3;
		printf("no ack\n");
		return 0;
	}
	/* partial: version 2, so the watchdog's keepalive says it has
	 * taken the hello (a process gives up only after that). */
	if (strcmp(how, "partial") == 0)
		hello_version = TM_HELLO_VERSION_KEEPALIVE;
	if (send_hello(chan, sv[1]) != 0)
		return 3;
	close(sv[1]);
	memset(junk, 0xAB, sizeof(junk));
	if (strcmp(how, "huge") == 0) {
		struct tm_crash_record r;

		memset(&r, 0, sizeof(r));
		r.magic = TM_RECORD_MAGIC;
		r.version = TM_RECORD_VERSION;
		r.header_size = sizeof(r);
		r.total_size = UINT32_MAX;
		(void)!write(sv[0], &r, 64);
	} else if (strcmp(how, "partial") == 0) {
		static struct tm_crash_record r;

		r.magic = TM_RECORD_MAGIC;
		r.version = TM_RECORD_VERSION;
		r.header_size = sizeof(r);
		r.total_size = sizeof(r) + 4096;
		r.pid = getpid();
		r.tid = gettid();
		r.signo = 11;
		p.fd = sv[0];
		p.events = POLLIN;
		if (poll(&p, 1, 10000) != 1 || read(sv[0], &ack, 1) != 1 ||
		    ack != TM_RECORD_KEEPALIVE)
			return 4;
		(void)!write(sv[0], &r, 3000);
		close(sv[0]);
		printf("no ack\n");
		return 0;
	} else if (strcmp(how, "garbage") == 0) {
		(void)!write(sv[0], junk, sizeof(junk));
	}
	p.fd = sv[0];
	p.events = POLLIN;
	if (poll(&p, 1, 10000) == 1 && read(sv[0], &ack, 1) == 1)
		printf("acked\n");
	else
		printf("no ack\n");
	return 0;
}

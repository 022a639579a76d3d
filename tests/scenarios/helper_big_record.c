/* SPDX-License-Identifier: MIT */
/* helper_big_record.c -- a hostile child for test_stacks_special.c: it
 * sends the watchdog a hello, then a record header claiming 8 MiB and
 * 8 MiB of bytes after it, as fast as the socket takes them. Then, to
 * show the watchdog unharmed, it runs argv[1] (a crashing example) under
 * the same watchdog, waits for it, and exits 7 whatever happened.
 * Prints "acked" or "no ack", then the example's fate.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../preload/record.h"

#define BIG (8u * 1024u * 1024u)

static int send_hello(int chan, int fd)
{
	struct tm_crash_hello h = { TM_HELLO_MAGIC, TM_RECORD_VERSION,
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
	memset(&u, 0, sizeof(u));
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(chan, &msg, MSG_NOSIGNAL) == sizeof(h) ? 0 : -1;
}

/* Sends BIG bytes: a header claiming them, then junk, until the
 * watchdog stops reading (bounded: 200 ms without progress ends it). */
static void flood(int fd)
{
	static unsigned char chunk[65536];
	struct tm_crash_record r;
	size_t sent = 0;

	memset(&r, 0, sizeof(r));
	r.magic = TM_RECORD_MAGIC;
	r.version = TM_RECORD_VERSION;
	r.header_size = sizeof(r);
	r.total_size = BIG;
	memset(chunk, 0x5A, sizeof(chunk));
	memcpy(chunk, &r, sizeof(r));
	while (sent < BIG) {
		struct pollfd p = { fd, POLLOUT, 0 };
		ssize_t n;

		if (poll(&p, 1, 200) != 1 || !(p.revents & POLLOUT))
			break;
		n = send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL |
			 MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN)
			break;
		if (n > 0)
			sent += (size_t)n;
		if (n > 0 && sent == (size_t)n)
			memset(chunk, 0x5A, sizeof(r)); /* header once */
	}
}

int main(int argc, char **argv)
{
	const char *env = getenv("TMWATCH_FD");
	int chan = env ? atoi(env) : -1, sv[2], st;
	struct pollfd p;
	char ack = 0;
	pid_t pid;

	if (chan < 0 || argc < 2 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 2;
	if (send_hello(chan, sv[1]) != 0)
		return 3;
	close(sv[1]);
	flood(sv[0]);
	p.fd = sv[0];
	p.events = POLLIN;
	if (poll(&p, 1, 10000) == 1 && read(sv[0], &ack, 1) == 1)
		printf("acked\n");
	else
		printf("no ack\n");
	close(sv[0]);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl(argv[1], argv[1], (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 4;
	printf("%s %d\n", WIFSIGNALED(st) ? "signal" : "exit",
	       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	return 7;
}

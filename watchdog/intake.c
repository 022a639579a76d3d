/* SPDX-License-Identifier: MIT */
/* intake.c -- the watchdog's end of the crash channel (DESIGN §4.3).
 *
 * Takes hellos from the inherited SOCK_SEQPACKET socket (one datagram per
 * crash, so crashing descendants never interleave) and connections on the
 * named socket (for descendants whose inherited fd was closed), and reads
 * every crashing process's record concurrently: one poll over all open
 * sessions, each bounded in time, their number and their buffered bytes
 * capped. Waiting children get a keepalive byte at least every
 * INTAKE_KEEPALIVE_MS, so none gives up while the watchdog works through
 * a storm, and acks (the module table is modules.c's). Treats every byte
 * as untrusted. Never prints.
 * Protocol: preload/record.h, docs/crash-record.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../preload/record.h"
#include "intake.h"

/* Room for the largest record a well-behaved shim sends. */
#define INTAKE_MAX_BYTES (sizeof(struct tm_crash_record) + TM_RECORD_STACK_MAX)

/* Where a session is (docs/crash-record.md "The watchdog's side"). */
enum session_state {
	S_HELLO,	/* named connection: its hello not read yet */
	S_WAITING,	/* hello taken; its bytes wait for buffer room */
	S_READING,	/* reading the record */
	S_QUEUED,	/* complete, or failed: for intake_next */
};

struct session {
	int fd;
	enum session_state state;
	pid_t pid;		/* from the kernel, never the sender's word */
	pid_t tid;
	int version;		/* the hello's: 2 understands keepalives */
	unsigned long seq;	/* arrival order: intake_next is FIFO */
	long idle_deadline;	/* no byte by then: give up */
	long hard_deadline;	/* whole record by then: give up */
	unsigned char hello[sizeof(struct tm_crash_hello)];
	size_t hello_len;
	unsigned char *bytes;	/* S_READING/S_QUEUED; reserved room */
	size_t len, want;
	int read_error;
	char *exe;		/* malloc'd, or NULL */
};

struct intake {
	int chan;		/* the inherited socket's watchdog end */
	int listener;		/* the named socket, or -1 */
	struct session *s;
	size_t n, cap;		/* sessions in use; room */
	size_t max_sessions;
	size_t reserved;	/* bytes reserved by S_READING/S_QUEUED */
	unsigned long next_seq;
	long next_keepalive;
	struct pollfd *p;	/* room for 3 + max_sessions */
	size_t *pidx;		/* p[i] -> session index (or -1) */
	size_t polled;
	int chan_open;
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

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

/* The named socket: abstract (no file to clean up, gone with the
 * watchdog), its name unguessable (128 random bits), so only processes
 * that were given our environment can find it. */
static int open_listener(char *name, size_t cap)
{
	unsigned char tok[16];
	struct sockaddr_un a;
	size_t i, len;
	int fd;

	name[0] = '\0';
	if (cap < 64 || getrandom(tok, sizeof tok, GRND_NONBLOCK) !=
	    (ssize_t)sizeof tok)
		return -1;
	len = (size_t)snprintf(name, cap, "tmwatch-%d-", (int)getpid());
	for (i = 0; i < sizeof tok; i++)
		len += (size_t)snprintf(name + len, cap - len, "%02x", tok[i]);
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path + 1, name, len);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&a,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			     len)) != 0 || listen(fd, 128) != 0) {
		close(fd);
		goto fail;
	}
	return fd;
fail:
	name[0] = '\0';
	return -1;
}

/* intake_open: see intake.h. */
int intake_open(struct intake **out, int *child, unsigned long *dev,
		unsigned long *ino, char *name, size_t name_cap)
{
	struct intake *in = calloc(1, sizeof *in);
	int sv[2] = { -1, -1 }, one = 1, e;
	struct stat st;

	if (!in)
		return -ENOMEM;
	in->listener = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		goto fail;
	if (setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) ||
	    fstat(sv[1], &st) != 0)
		goto fail;
	/* Only the shim writes; only the watchdog reads. */
	(void)shutdown(sv[0], SHUT_WR);
	in->chan = sv[0];
	in->chan_open = 1;
	in->max_sessions = INTAKE_MAX_SESSIONS;
	in->p = malloc((in->max_sessions + 3) * sizeof *in->p);
	in->pidx = malloc((in->max_sessions + 3) * sizeof *in->pidx);
	if (!in->p || !in->pidx)
		goto fail;
	in->listener = open_listener(name, name_cap);
	*child = move_high(sv[1]);
	*dev = (unsigned long)st.st_dev;
	*ino = (unsigned long)st.st_ino;
	*out = in;
	return 0;
fail:
	e = errno ? -errno : -ENOMEM;
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	free(in->p);
	free(in->pidx);
	free(in);
	return e;
}

/* intake_raise_limit: see intake.h. */
void intake_raise_limit(struct intake *in)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)INTAKE_MAX_SESSIONS + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
			      rl.rlim_max >= want ? want : rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want)
		in->max_sessions = rl.rlim_cur > 128 ? rl.rlim_cur - 64 : 64;
}

static void keepalive(struct session *s)
{
	char k = TM_RECORD_KEEPALIVE;

	if (s->version >= TM_HELLO_VERSION_KEEPALIVE && s->state != S_HELLO)
		(void)send(s->fd, &k, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static struct session *add_session(struct intake *in, int fd)
{
	struct session *s;

	if (in->n >= in->max_sessions)
		return NULL;
	if (in->n == in->cap) {
		size_t nc = in->cap ? in->cap * 2 : 16;
		void *p = realloc(in->s, nc * sizeof *in->s);

		if (!p)
			return NULL;
		in->s = p;
		in->cap = nc;
	}
	s = &in->s[in->n++];
	memset(s, 0, sizeof *s);
	s->fd = fd;
	s->seq = in->next_seq++;
	return s;
}

/* The sender's program file, read while it waits: a sender that gives
 * up is gone by the time its incomplete session is counted. */
static char *exe_of(pid_t pid)
{
	char link[64], target[4096];
	ssize_t n;

	snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
	n = readlink(link, target, sizeof target - 1);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	return strdup(target);
}

static void drop_session(struct intake *in, size_t i)
{
	struct session *s = &in->s[i];

	if (s->fd >= 0)
		close(s->fd);
	if (s->bytes) {
		free(s->bytes);
		in->reserved -= INTAKE_MAX_BYTES;
	}
	free(s->exe);
	in->s[i] = in->s[--in->n];
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

static int hello_is_ours(const struct tm_crash_hello *h)
{
	return h->magic == TM_HELLO_MAGIC && h->size == sizeof(*h) &&
	       (h->version == TM_RECORD_VERSION ||
		h->version == TM_HELLO_VERSION_KEEPALIVE);
}

/* Takes one hello from the inherited socket. 0: taken (or dropped as
 * not ours, or refused over the cap); -EAGAIN: none queued; -ENOTCONN:
 * every child end is closed. */
static int take_hello(struct intake *in)
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
	struct session *s;
	int fd = -1, have_cred = 0;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	n = recvmsg(in->chan, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
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
	    fd < 0 || !have_cred || !hello_is_ours(&h)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	/* Over the cap: refused at once; the sender sees EOF and dies as
	 * it would have without us. */
	s = add_session(in, fd);
	if (!s) {
		close(fd);
		return 0;
	}
	s->state = S_WAITING;
	s->pid = cred.pid;
	s->tid = h.tid;
	s->version = h.version;
	s->exe = exe_of(s->pid);
	keepalive(s); /* the child learns at once that we are there */
	return 0;
}

/* A connection on the named socket must come from our user or from a
 * descendant (a setpriv'd grandchild): anyone else is refused. */
static int is_descendant(pid_t pid)
{
	pid_t me = getpid();
	int depth;

	for (depth = 0; depth < 256 && pid > 1; depth++) {
		char path[64], buf[512], *p;
		ssize_t n;
		int fd;

		if (pid == me)
			return 1;
		snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 0;
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n <= 0)
			return 0;
		buf[n] = '\0';
		p = strrchr(buf, ')');
		if (!p || sscanf(p + 1, " %*c %d", &pid) != 1)
			return 0;
	}
	return 0;
}

static void take_connection(struct intake *in)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	struct session *s;
	int fd;

	fd = accept4(in->listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
	    cred.pid <= 0 ||
	    (cred.uid != geteuid() && !is_descendant(cred.pid))) {
		close(fd);
		return;
	}
	s = add_session(in, fd);
	if (!s) {
		close(fd);
		return;
	}
	s->state = S_HELLO;
	s->pid = cred.pid;
	s->idle_deadline = now_ms() + INTAKE_READ_TIMEOUT_MS;
	s->hard_deadline = s->idle_deadline;
}

static void fail_session(struct session *s, int err)
{
	s->state = S_QUEUED;
	s->read_error = err;
}

/* Reads what is there; total_size (bytes 8..11) says how much to
 * expect, capped at INTAKE_MAX_BYTES; the child keeps its end open until
 * acked, so there is no EOF to wait for. */
static void read_some(struct session *s, long now)
{
	ssize_t n;

	for (;;) {
		if (s->state == S_HELLO) {
			n = recv(s->fd, s->hello + s->hello_len,
				 sizeof s->hello - s->hello_len,
				 MSG_DONTWAIT);
		} else {
			n = recv(s->fd, s->bytes + s->len, s->want - s->len,
				 MSG_DONTWAIT);
		}
		if (n == 0) {
			fail_session(s, -ECONNRESET);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				fail_session(s, -errno);
			return;
		}
		s->idle_deadline = now + INTAKE_READ_TIMEOUT_MS;
		if (s->state == S_HELLO) {
			struct tm_crash_hello h;

			s->hello_len += (size_t)n;
			if (s->hello_len < sizeof h)
				continue;
			memcpy(&h, s->hello, sizeof h);
			if (!hello_is_ours(&h)) {
				fail_session(s, -EPROTO);
				s->pid = 0; /* nothing to count */
				return;
			}
			s->tid = h.tid;
			s->version = h.version;
			s->exe = exe_of(s->pid);
			s->state = S_WAITING;
			keepalive(s);
			return; /* the record waits for room */
		}
		s->len += (size_t)n;
		if (s->len >= 12 && s->want == INTAKE_MAX_BYTES) {
			uint32_t total;

			memcpy(&total, s->bytes + 8, sizeof(total));
			if (total < s->len || total > INTAKE_MAX_BYTES) {
				fail_session(s, -EMSGSIZE);
				return;
			}
			s->want = total;
		}
		if (s->len == s->want) {
			s->state = S_QUEUED;
			keepalive(s);
			return;
		}
	}
}

/* Gives waiting sessions buffer room, oldest first, while the reserve
 * stays under INTAKE_MAX_BUFFERED: the rest stay flow-controlled (their
 * bytes wait in the kernel, the child waits with keepalives). */
static void start_reading(struct intake *in, long now)
{
	for (;;) {
		struct session *best = NULL;
		size_t i;

		if (in->reserved + INTAKE_MAX_BYTES > INTAKE_MAX_BUFFERED)
			return;
		for (i = 0; i < in->n; i++) {
			if (in->s[i].state == S_WAITING &&
			    (!best || in->s[i].seq < best->seq))
				best = &in->s[i];
		}
		if (!best)
			return;
		best->bytes = malloc(INTAKE_MAX_BYTES);
		if (!best->bytes) {
			fail_session(best, -ENOMEM);
			continue;
		}
		in->reserved += INTAKE_MAX_BYTES;
		best->want = INTAKE_MAX_BYTES;
		best->state = S_READING;
		best->idle_deadline = now + INTAKE_READ_TIMEOUT_MS;
		best->hard_deadline = now + INTAKE_SESSION_MAX_MS;
	}
}

/* intake_wait: see intake.h. */
int intake_wait(struct intake *in, int extra_fd, int *extra_ready,
		long deadline_ms)
{
	long now = now_ms(), next = -1;
	size_t i, np = 0;
	int timeout, r, e;

	*extra_ready = 0;
	start_reading(in, now);
	if (extra_fd >= 0) {
		in->p[np].fd = extra_fd;
		in->p[np].events = POLLIN;
		in->pidx[np++] = (size_t)-1;
	}
	if (in->chan_open) {
		in->p[np].fd = in->chan;
		in->p[np].events = POLLIN;
		in->pidx[np++] = (size_t)-2;
	}
	if (in->listener >= 0) {
		in->p[np].fd = in->listener;
		in->p[np].events = POLLIN;
		in->pidx[np++] = (size_t)-3;
	}
	for (i = 0; i < in->n; i++) {
		struct session *s = &in->s[i];

		if (s->state == S_QUEUED) {
			next = now; /* work for intake_next: do not block */
			continue;
		}
		/* A waiting session is polled for hang-up only. */
		in->p[np].fd = s->fd;
		in->p[np].events = s->state == S_WAITING ? 0 : POLLIN;
		in->pidx[np++] = i;
		if (s->state == S_HELLO || s->state == S_READING) {
			long d = s->idle_deadline < s->hard_deadline ?
				 s->idle_deadline : s->hard_deadline;

			if (next < 0 || d < next)
				next = d;
		}
	}
	if (in->n > 0 && (next < 0 || in->next_keepalive < next))
		next = in->next_keepalive;
	if (deadline_ms >= 0 && (next < 0 || deadline_ms < next))
		next = deadline_ms;
	timeout = next < 0 ? -1 : next <= now ? 0 : (int)(next - now);
	r = poll(in->p, np, timeout);
	e = errno;
	now = now_ms();
	if (r < 0)
		return e == EINTR ? 0 : -e;
	for (i = 0; i < np; i++) {
		size_t k = in->pidx[i];
		short rev = in->p[i].revents;

		if (!rev)
			continue;
		if (k == (size_t)-1) {
			*extra_ready = 1;
		} else if (k == (size_t)-2) {
			int taken = 0;

			/* Bounded: a flood of hellos cannot starve the
			 * rest of the loop; poll says there are more. */
			while (taken++ < 256 && (r = take_hello(in)) == 0)
				;
			if (r != 0 && r != -EAGAIN)
				in->chan_open = 0; /* poll ignores it now */
		} else if (k == (size_t)-3) {
			take_connection(in);
		} else if (in->s[k].state == S_WAITING) {
			if (rev & (POLLHUP | POLLERR | POLLNVAL))
				fail_session(&in->s[k], -ECONNRESET);
		} else {
			read_some(&in->s[k], now);
		}
	}
	/* Bounds: a session that stays silent or takes too long is given up
	 * (the child re-raises at its own deadline or at our close). */
	for (i = 0; i < in->n; i++) {
		struct session *s = &in->s[i];

		if ((s->state == S_HELLO || s->state == S_READING) &&
		    (now >= s->idle_deadline || now >= s->hard_deadline))
			fail_session(s, -ETIMEDOUT);
	}
	if (now >= in->next_keepalive) {
		for (i = 0; i < in->n; i++)
			keepalive(&in->s[i]);
		in->next_keepalive = now + INTAKE_KEEPALIVE_MS;
	}
	return 0;
}

/* intake_next: see intake.h. */
int intake_next(struct intake *in, struct intake_crash *out)
{
	struct session *s;
	size_t i, best = (size_t)-1;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	for (;;) {
		for (i = 0; i < in->n; i++) {
			if (in->s[i].state == S_QUEUED &&
			    (best == (size_t)-1 ||
			     in->s[i].seq < in->s[best].seq))
				best = i;
		}
		if (best == (size_t)-1)
			return -EAGAIN;
		s = &in->s[best];
		if (s->pid > 0)
			break;
		drop_session(in, best); /* a hello not ours: nothing left */
		best = (size_t)-1;
	}
	out->fd = s->fd;
	out->pid = s->pid;
	out->tid = s->tid;
	out->bytes = s->bytes;
	out->len = s->len;
	out->read_error = s->read_error;
	out->exe = s->exe;
	if (s->bytes)
		in->reserved -= INTAKE_MAX_BYTES;
	s->fd = -1;
	s->bytes = NULL;
	s->exe = NULL;
	drop_session(in, best);
	return 0;
}

/* intake_pending: see intake.h. */
size_t intake_pending(const struct intake *in)
{
	return in->n;
}

/* intake_close: see intake.h. */
void intake_close(struct intake *in)
{
	if (!in)
		return;
	while (in->n > 0)
		drop_session(in, in->n - 1);
	close(in->chan);
	if (in->listener >= 0)
		close(in->listener);
	free(in->s);
	free(in->p);
	free(in->pidx);
	free(in);
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
	free(c->exe);
	c->exe = NULL;
}

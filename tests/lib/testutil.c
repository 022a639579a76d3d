/* SPDX-License-Identifier: MIT */
/* testutil.c -- helpers shared by the C tests (see testutil.h). */
#define _GNU_SOURCE
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "testutil: %s: %s\n", what, strerror(errno));
	abort();
}

char *tu_tmpdir(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (!base || !*base)
		base = "/tmp";
	if (asprintf(&path, "%s/tmwatch-%s-XXXXXX", base, tag) < 0)
		die("asprintf");
	if (!mkdtemp(path))
		die("mkdtemp");
	return path;
}

char *tu_fresh_store(const char *tag)
{
	char *dir = tu_tmpdir(tag);

	setenv("TMWATCH_DIR", dir, 1);
	unsetenv("TMWATCH_TELEMETRY");
	unsetenv("DO_NOT_TRACK");
	unsetenv("TMWATCH_DISABLE");
	return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

void tu_rmrf(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int tu_wait(pid_t pid, int *status, int timeout_ms)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	long deadline = now_ms() + timeout_ms;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid) {
			if (pidfd >= 0)
				close(pidfd);
			return 0;
		}
		if (r < 0 && errno != EINTR)
			die("waitpid");
		long left = deadline - now_ms();
		if (left <= 0)
			break;
		if (pidfd >= 0) {
			struct pollfd p = { .fd = pidfd, .events = POLLIN };
			poll(&p, 1, (int)left);
		} else {
			/* No pidfd (old kernel): poll a pipe that never fires
			 * for a short slice instead of a bare sleep. */
			poll(NULL, 0, left < 10 ? (int)left : 10);
		}
	}
	fprintf(stderr, "testutil: pid %d did not end within %d ms; killing it\n",
		(int)pid, timeout_ms);
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	if (pidfd >= 0)
		close(pidfd);
	return -1;
}

struct sink {
	int fd;
	char *buf;
	size_t len, cap;
};

static void sink_read(struct sink *s)
{
	char tmp[4096];
	ssize_t n = read(s->fd, tmp, sizeof tmp);

	if (n <= 0) {
		close(s->fd);
		s->fd = -1;
		return;
	}
	if (s->len + (size_t)n + 1 > s->cap) {
		s->cap = (s->len + (size_t)n + 1) * 2;
		s->buf = realloc(s->buf, s->cap);
		if (!s->buf)
			die("realloc");
	}
	memcpy(s->buf + s->len, tmp, (size_t)n);
	s->len += (size_t)n;
	s->buf[s->len] = 0;
}

int tu_run(char *const argv[], char *const env[], char **out, char **err,
	   int timeout_ms)
{
	int po[2], pe[2];
	pid_t pid;
	struct sink so = { 0 }, se = { 0 };
	long deadline = now_ms() + timeout_ms;
	int status = 0;

	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0)
		die("pipe2");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		dup2(devnull, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		for (size_t i = 0; env && env[i]; i++) {
			char *eq = strchr(env[i], '=');
			if (!eq) {
				unsetenv(env[i]);
				continue;
			}
			char *name = strndup(env[i], (size_t)(eq - env[i]));
			setenv(name, eq + 1, 1);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "testutil: exec '%s': %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	so.fd = po[0];
	se.fd = pe[0];
	so.buf = calloc(1, 1);
	se.buf = calloc(1, 1);
	so.cap = se.cap = 1;
	while (so.fd >= 0 || se.fd >= 0) {
		struct pollfd p[2] = { { .fd = so.fd, .events = POLLIN },
				       { .fd = se.fd, .events = POLLIN } };
		long left = deadline - now_ms();

		if (left <= 0)
			break;
		if (poll(p, 2, (int)left) < 0 && errno != EINTR)
			die("poll");
		if (so.fd >= 0 && p[0].revents)
			sink_read(&so);
		if (se.fd >= 0 && p[1].revents)
			sink_read(&se);
	}
	if (so.fd >= 0)
		close(so.fd);
	if (se.fd >= 0)
		close(se.fd);
	long left = deadline - now_ms();
	int r = tu_wait(pid, &status, left > 0 ? (int)left : 1);
	if (out)
		*out = so.buf;
	else
		free(so.buf);
	if (err)
		*err = se.buf;
	else
		free(se.buf);
	return r < 0 ? -1 : status;
}

char *tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = (n + 4096 + 1) * 2;
			buf = realloc(buf, cap);
			if (!buf)
				die("realloc");
		}
		size_t r = fread(buf + n, 1, 4096, f);
		n += r;
		if (r < 4096)
			break;
	}
	fclose(f);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

int tu_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		return -1;
	if (fwrite(data, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

char *tu_path(const char *a, const char *b)
{
	char *p;

	if (asprintf(&p, "%s/%s", a, b) < 0)
		die("asprintf");
	return p;
}

const char *tu_describe_status(int status)
{
	static char buf[64];

	if (status == -1)
		snprintf(buf, sizeof buf, "timeout");
	else if (WIFEXITED(status))
		snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, sizeof buf, "signal %d%s", WTERMSIG(status),
			 WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(buf, sizeof buf, "status 0x%x", status);
	return buf;
}

/* SPDX-License-Identifier: MIT */
/* pipeline_util.c -- see pipeline_util.h. */
#define _GNU_SOURCE
#include "pipeline_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "crasher_record.h"
#include "testutil.h"

#define RECORD_TIMEOUT_MS 20000

void pu_start(char *const argv[], char *const env[], struct pipeline_run *r)
{
	int rec[2], ack[2], go[2];

	memset(r, 0, sizeof *r);
	assert_int_equal(pipe2(rec, O_CLOEXEC), 0);
	assert_int_equal(pipe2(ack, O_CLOEXEC), 0);
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	r->pid = fork();
	assert_true(r->pid >= 0);
	if (r->pid == 0) {
		/* dup2 clears O_CLOEXEC on the copies. */
		if (dup2(rec[1], CRASHER_RECORD_FD) < 0 ||
		    dup2(ack[0], CRASHER_ACK_FD) < 0 ||
		    dup2(go[0], CRASHER_GO_FD) < 0)
			_exit(127);
		for (size_t i = 0; env && env[i]; i++)
			putenv(env[i]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(rec[1]);
	close(ack[0]);
	close(go[0]);
	r->rec_fd = rec[0];
	r->ack_fd = ack[1];
	r->go_fd = go[1];
}

/* Reads exactly LEN bytes within the deadline; fails the test if not. */
static void read_exact(int fd, void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, RECORD_TIMEOUT_MS) != 1)
			fail_msg("no crash record within %d ms",
				 RECORD_TIMEOUT_MS);
		n = read(fd, (char *)buf + off, len - off);
		if (n <= 0)
			fail_msg("crasher closed its record pipe after %zu "
				 "of %zu bytes", off, len);
		off += (size_t)n;
	}
}

void pu_wait_ready(struct pipeline_run *r)
{
	char c = 0;

	read_exact(r->rec_fd, &c, 1);
	assert_int_equal(c, 'R');
}

void pu_go(struct pipeline_run *r)
{
	assert_int_equal(write(r->go_fd, "g", 1), 1);
}

void pu_collect(struct pipeline_run *r,
		void (*also)(struct pipeline_run *r, void *arg), void *arg)
{
	struct tm_crash_record hdr;
	struct tm__symbolizer *sym = NULL;

	read_exact(r->rec_fd, &hdr, sizeof hdr);
	assert_int_equal(hdr.magic, TM_RECORD_MAGIC);
	assert_true(hdr.total_size >= sizeof hdr &&
		    hdr.total_size <= sizeof hdr + TM_RECORD_STACK_MAX);
	r->len = hdr.total_size;
	r->bytes = malloc(r->len);
	assert_non_null(r->bytes);
	memcpy(r->bytes, &hdr, sizeof hdr);
	read_exact(r->rec_fd, r->bytes + sizeof hdr, r->len - sizeof hdr);
	/* What record_parse gives (watchdog/record.c is not ours). */
	r->rec.hdr = hdr;
	memcpy(r->rec.exe, hdr.exe, hdr.exe_len);
	memcpy(r->rec.abort_msg, hdr.abort_msg, hdr.abort_len);
	memcpy(r->rec.thread_name, hdr.thread_name, 16);
	r->rec.stack = r->bytes + sizeof hdr;
	r->rec.stack_len = hdr.stack_len;
	r->rec.is_sent = (hdr.flags & TM_RECORD_F_SENT) != 0;

	assert_int_equal(unwind_stack(&r->rec, r->pid, &r->st), 0);
	assert_int_equal(tm__symbolize_open(r->pid, &sym), 0);
	assert_int_equal(tm__symbolize_pcs(sym, r->st.pc, r->st.is_exact,
					   r->st.n, &r->frames), 0);
	assert_true(name_crash(r->frames.frames, r->frames.n, r->name,
			       sizeof r->name) > 0);
	if (getenv("PIPELINE_VERBOSE")) {
		fprintf(stderr, "%s [%s, %zu pcs]\n", r->name,
			unwind_method_name(r->st.method), r->st.n);
		for (size_t i = 0; i < r->frames.n && i < 40; i++)
			fprintf(stderr, "  %zu %s %s %s:%d %s\n",
				r->frames.info[i].pc_index,
				r->frames.info[i].function,
				r->frames.info[i].module,
				r->frames.info[i].file,
				r->frames.info[i].line,
				tm__symbolize_source_name(
					r->frames.info[i].source));
	}
	if (also)
		also(r, arg);
	tm__symbolize_close(sym);
	assert_int_equal(write(r->ack_fd, "A", 1), 1);
	assert_int_equal(tu_wait(r->pid, &r->status, RECORD_TIMEOUT_MS), 0);
}

void pu_crash(char *const argv[], char *const env[], struct pipeline_run *r)
{
	pu_start(argv, env, r);
	pu_collect(r, NULL, NULL);
}

void pu_free(struct pipeline_run *r)
{
	tm__symframes_free(&r->frames);
	free(r->bytes);
	close(r->rec_fd);
	close(r->ack_fd);
	close(r->go_fd);
	r->bytes = NULL;
}

/* Matches one line; '*' in PAT matches one or more hex digits. */
static int line_matches(const char *a, size_t alen, const char *p,
			size_t plen)
{
	size_t i = 0, j = 0;

	while (j < plen) {
		if (p[j] == '*') {
			size_t k = i;

			while (k < alen && strchr("0123456789abcdef", a[k]))
				k++;
			if (k == i)
				return 0;
			i = k;
			j++;
			continue;
		}
		if (i >= alen || a[i] != p[j])
			return 0;
		i++;
		j++;
	}
	return i == alen;
}

void pu_expect_name(const char *actual, const char *expected)
{
	const char *a = actual, *e = expected;

	for (;;) {
		size_t al = strcspn(a, "\n"), el = strcspn(e, "\n");

		if (el == 3 && strncmp(e, "...", 3) == 0 && !e[3])
			return;
		if (!line_matches(a, al, e, el))
			break;
		if (!a[al] && !e[el])
			return;
		if (!a[al] || !e[el])
			break;
		a += al + 1;
		e += el + 1;
	}
	print_error("expected:\n%s\n--- actual:\n%s\n---\n", expected, actual);
	fail_msg("counter name differs from the expected text");
}

void pu_copy(const char *from, const char *to)
{
	size_t len;
	char *data = tu_read_file(from, &len);

	assert_non_null(data);
	assert_int_equal(tu_write_file(to, data, len), 0);
	assert_int_equal(chmod(to, 0755), 0);
	free(data);
}

void pu_sh(const char *cmd)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	char *err = NULL;
	int st = tu_run(argv, NULL, NULL, &err, 60000);

	if (st != 0)
		fail_msg("'%s' failed (%s): %s", cmd, tu_describe_status(st),
			 err ? err : "");
	free(err);
}

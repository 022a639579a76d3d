/* SPDX-License-Identifier: MIT */
/* recorddump.c -- `--debug-records DIR`: validated records and module
 * tables as files, so scenario tests can check registers, stack and the
 * faulting module without the later stages.
 *
 * Writes only under the directory the user named, each file by temp file
 * + rename so a reader never sees half a file, relative to a descriptor
 * of that directory, never through a symlink, and under names made from
 * the kernel's pid and our own sequence number (docs/security.md). Never
 * prints. The text
 * format is documented in docs/crash-record.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "recorddump.h"

/* Per-watchdog sequence: record names come from the kernel's pid and
 * this number, never from the record (the child writes the record). */
static unsigned dump_seq;

/* Writes NAME in DIR by temp file + rename, relative to a descriptor of
 * DIR: the temp file has a random name, is created exclusively and never
 * through a symlink (O_EXCL|O_NOFOLLOW), and renameat replaces whatever
 * entry has NAME without following it. A child that can write into DIR
 * (a shared or world-writable debug directory under a root watchdog)
 * thus cannot make us write anywhere else. Mode 0600: records hold a copy
 * of the crashed thread's stack. */
static int write_atomic(const char *dir, const char *name, const void *data,
			size_t len)
{
	char tmp[64];
	const char *p = data;
	unsigned long long rnd = 0;
	int dfd, fd = -1, e = 0, tries;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	for (tries = 0; tries < 8 && fd < 0; tries++) {
		if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) !=
		    (ssize_t)sizeof rnd)
			rnd ^= (unsigned long long)getpid() << 32 ^
			       (unsigned long long)time(NULL) ^ tries;
		snprintf(tmp, sizeof tmp, ".tmwatch-dump-%016llx.tmp", rnd);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			    O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST) {
			e = -errno;
			break;
		}
	}
	if (fd < 0) {
		close(dfd);
		return e ? e : -EEXIST;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			e = -errno;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) != 0 && !e)
		e = -errno;
	if (!e && renameat(dfd, tmp, dfd, name) != 0)
		e = -errno;
	if (e)
		unlinkat(dfd, tmp, 0);
	close(dfd);
	return e;
}

/* Escapes so that one value stays on one line. */
static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '\\')
			fputs("\\\\", f);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('\n', f);
}

/* recorddump_write: see recorddump.h. */
int recorddump_write(const char *dir, pid_t pid, const struct record *r,
		     const struct modules_table *m, const void *bytes,
		     size_t len)
{
	const struct tm_crash_record *h = &r->hdr;
	const struct modules_mapping *pcm = modules_at(m, h->pc);
	char name[128], *text = NULL;
	size_t tlen = 0, i;
	unsigned seq;
	FILE *f;
	int e;

	f = open_memstream(&text, &tlen);
	if (!f)
		return -errno;
	fprintf(f, "pid %d\ntid %d\nsignal %d %s\nsi_code %d\nsent %d\n"
		"sender_pid %d\nfault_addr 0x%llx\npc 0x%llx\nsp 0x%llx\n"
		"flags 0x%x\nstack_addr 0x%llx\nstack_len %zu\nnregs %u\n"
		"kill_signo %d\n",
		h->pid, h->tid, h->signo, record_signal_name(h->signo),
		h->si_code, r->is_sent, h->sender_pid,
		(unsigned long long)h->fault_addr, (unsigned long long)h->pc,
		(unsigned long long)h->sp, h->flags,
		(unsigned long long)h->stack_addr, r->stack_len, h->nregs,
		h->kill_signo);
	for (i = 0; i < h->nregs; i++)
		fprintf(f, "reg%zu 0x%llx\n", i,
			(unsigned long long)h->regs[i]);
	fputs("thread_name ", f);
	put_escaped(f, r->thread_name);
	fputs("exe ", f);
	put_escaped(f, r->exe);
	fputs("abort_msg ", f);
	put_escaped(f, r->abort_msg);
	fputs("pc_module ", f);
	put_escaped(f, pcm ? pcm->path : "-");
	for (i = 0; i < m->n; i++) {
		const struct modules_mapping *mp = &m->map[i];
		size_t k;

		fprintf(f, "map 0x%llx-0x%llx %s 0x%llx ",
			(unsigned long long)mp->start,
			(unsigned long long)mp->end, mp->perms,
			(unsigned long long)mp->offset);
		if (mp->is_elf)
			fprintf(f, "bias=0x%llx ",
				(unsigned long long)mp->bias);
		else
			fputs("bias=- ", f);
		fputs("build_id=", f);
		for (k = 0; k < mp->build_id_len; k++)
			fprintf(f, "%02x", mp->build_id[k]);
		if (!mp->build_id_len)
			fputc('-', f);
		fprintf(f, " %s\n", mp->path);
	}
	if (fclose(f) != 0) {
		free(text);
		return -ENOMEM;
	}
	seq = ++dump_seq;
	snprintf(name, sizeof(name), "record-%d-%u.bin", (int)pid, seq);
	e = write_atomic(dir, name, bytes, len);
	snprintf(name, sizeof(name), "record-%d-%u.txt", (int)pid, seq);
	if (!e)
		e = write_atomic(dir, name, text, tlen);
	free(text);
	return e;
}

/* recorddump_malformed: see recorddump.h. */
int recorddump_malformed(const char *dir, pid_t pid, const char *why,
			 const void *bytes, size_t len)
{
	char name[64], text[512];
	int n, e;

	n = snprintf(text, sizeof(text), "pid %d\nmalformed %s\n", (int)pid,
		     why ? why : "unknown");
	snprintf(name, sizeof(name), "malformed-%d.bin", (int)pid);
	e = write_atomic(dir, name, bytes ? bytes : "", bytes ? len : 0);
	snprintf(name, sizeof(name), "malformed-%d.txt", (int)pid);
	if (!e)
		e = write_atomic(dir, name, text, (size_t)n);
	return e;
}

/* recorddump_no_record: see recorddump.h. */
int recorddump_no_record(const char *dir, pid_t pid, int sig)
{
	char name[64], text[128];
	int n;

	n = snprintf(text, sizeof(text), "pid %d\nsignal %d %s\n", (int)pid,
		     sig, record_signal_name(sig));
	snprintf(name, sizeof(name), "no-record-%d.txt", (int)pid);
	return write_atomic(dir, name, text, (size_t)n);
}

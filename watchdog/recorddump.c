/* SPDX-License-Identifier: MIT */
/* recorddump.c -- `--debug-records DIR`: validated records and module
 * tables as files, so scenario tests can check registers, stack and the
 * faulting module without the later stages.
 *
 * Writes only under the directory the user named, each file by temp file
 * + rename so a reader never sees half a file. Never prints. The text
 * format is documented in docs/crash-record.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recorddump.h"

static int write_atomic(const char *dir, const char *name, const void *data,
			size_t len)
{
	char tmp[4096], dst[4096];
	const char *p = data;
	int fd, e = 0;

	if (snprintf(dst, sizeof(dst), "%s/%s", dir, name) >= (int)sizeof(dst)
	    || snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
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
	if (!e && rename(tmp, dst) != 0)
		e = -errno;
	if (e)
		unlink(tmp);
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
int recorddump_write(const char *dir, const struct record *r,
		     const struct modules_table *m, const void *bytes,
		     size_t len)
{
	const struct tm_crash_record *h = &r->hdr;
	const struct modules_mapping *pcm = modules_at(m, h->pc);
	char name[128], *text = NULL;
	size_t tlen = 0, i;
	FILE *f;
	int e;

	f = open_memstream(&text, &tlen);
	if (!f)
		return -errno;
	fprintf(f, "pid %d\ntid %d\nsignal %d %s\nsi_code %d\nsent %d\n"
		"sender_pid %d\nfault_addr 0x%llx\npc 0x%llx\nsp 0x%llx\n"
		"flags 0x%x\nstack_addr 0x%llx\nstack_len %zu\nnregs %u\n",
		h->pid, h->tid, h->signo, record_signal_name(h->signo),
		h->si_code, r->is_sent, h->sender_pid,
		(unsigned long long)h->fault_addr, (unsigned long long)h->pc,
		(unsigned long long)h->sp, h->flags,
		(unsigned long long)h->stack_addr, r->stack_len, h->nregs);
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
	snprintf(name, sizeof(name), "record-%d-%d.bin", h->pid, h->tid);
	e = write_atomic(dir, name, bytes, len);
	snprintf(name, sizeof(name), "record-%d-%d.txt", h->pid, h->tid);
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

/* SPDX-License-Identifier: MIT */
/* intake.h -- the watchdog's end of the crash channel: the inherited
 * socket, record bytes from a waiting child, its module table, the ack.
 *
 * Stage (transport) of the crash path (STYLE §1): gives untrusted record
 * bytes and the pid the kernel vouches for; record.c validates them.
 * Protocol: preload/record.h and docs/crash-record.md. Single-threaded
 * (the watchdog's loop); never for signal handlers.
 */
#ifndef TMWATCH_WATCHDOG_INTAKE_H
#define TMWATCH_WATCHDOG_INTAKE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* How long the watchdog waits for a child's record bytes once its hello
 * has arrived. Shorter than the child's own ack bound (5 s). */
#define INTAKE_READ_TIMEOUT_MS 3000

/* One crash waiting for the watchdog. bytes is malloc'd, owned here. */
struct intake_crash {
	int fd;			/* private socket; the ack goes here */
	pid_t pid;		/* from SCM_CREDENTIALS, not the child's word */
	pid_t tid;		/* as the hello says (untrusted) */
	unsigned char *bytes;
	size_t len;
	int read_error;		/* 0, or why the bytes are incomplete */
};

/* One file-backed mapping of /proc/PID/maps, with what its ELF file
 * says: every mapping of one file shares bias and build-id. */
struct intake_mapping {
	uint64_t start, end, offset;
	char perms[5];
	char *path;		/* malloc'd; may end in " (deleted)" */
	int is_elf;		/* bias and build_id below are known */
	uint64_t bias;		/* load bias: runtime address - ELF vaddr */
	unsigned char build_id[64];
	size_t build_id_len;	/* 0: the file has no NT_GNU_BUILD_ID */
};

/* The module table of a waiting child: every file-backed mapping. */
struct intake_modules {
	struct intake_mapping *map;
	size_t n;
};

/* intake_open makes the channel: a SOCK_SEQPACKET socketpair whose
 * watchdog end (*WD, close-on-exec, SO_PASSCRED) receives hellos, and
 * whose child end (*CHILD, inherited by the child) is named by *DEV and
 * *INO for the shim's check. Returns 0 or -errno. */
int intake_open(int *wd, int *child, unsigned long *dev, unsigned long *ino);

/* intake_receive takes one hello from WD without blocking and then reads
 * that child's record bytes (bounded by INTAKE_READ_TIMEOUT_MS). Returns 0
 * with *OUT filled (even when the bytes are incomplete: see read_error),
 * -EAGAIN when no hello is queued, -EPROTO for a hello that is not ours
 * (dropped), -ENOTCONN once no process holds the child end any more, other
 * -errno on channel failure. */
int intake_receive(int wd, struct intake_crash *out);

/* intake_read_modules reads /proc/PID/maps of the waiting child into
 * *OUT (release with intake_modules_free), with each ELF module's load
 * bias and build-id, read through /proc/PID/map_files (the very file
 * mapped, even if replaced on disk since) or else the path. Files are
 * untrusted: every header and note is bound-checked. Returns 0 or
 * -errno. */
int intake_read_modules(pid_t pid, struct intake_modules *out);

/* intake_module_at returns the mapping containing ADDR, or NULL. */
const struct intake_mapping *intake_module_at(const struct intake_modules *m,
					      uint64_t addr);

/* intake_modules_free releases what intake_read_modules filled; M is
 * left empty and may be freed again. */
void intake_modules_free(struct intake_modules *m);

/* intake_ack tells the waiting child it may die now, then closes its
 * socket and frees its bytes. Safe on a child that is already gone. */
void intake_ack(struct intake_crash *c);

#endif

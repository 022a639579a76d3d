/* SPDX-License-Identifier: MIT */
/* pipeline_util.h -- runs a test crasher and the crash pipeline's stages
 * on it while it waits, as the watchdog does (crash.c), for the tests in
 * this directory. Every wait is bounded; failures fail the test.
 */
#ifndef TMWATCH_TESTS_PIPELINE_UTIL_H
#define TMWATCH_TESTS_PIPELINE_UTIL_H

#include <sys/types.h>

#include "name.h"
#include "record.h"
#include "symbolize.h"
#include "unwind.h"

struct pipeline_run {
	pid_t pid;
	int go_fd, rec_fd, ack_fd;
	int status;			/* raw wait status after the ack */
	unsigned char *bytes;		/* the record as received */
	size_t len;
	struct record rec;
	struct unwind_stack st;
	struct tm__symframes frames;
	char name[NAME_BUF_SIZE];
};

/* pu_start starts ARGV[0] (a path) with ENV added to ours (NULL-ended
 * "NAME=VALUE" list, may be NULL) and the record/ack/go pipes. */
void pu_start(char *const argv[], char *const env[], struct pipeline_run *r);

/* pu_wait_ready waits until a "late" crasher runs (it has exec'd). */
void pu_wait_ready(struct pipeline_run *r);

/* pu_go lets a crasher started with scenario "late" crash now. */
void pu_go(struct pipeline_run *r);

/* pu_collect receives the record, unwinds, symbolizes and names the
 * crash, calls ALSO (may be NULL) while the child still waits, then
 * acks and waits for its death (r->status). */
void pu_collect(struct pipeline_run *r,
		void (*also)(struct pipeline_run *r, void *arg), void *arg);

/* pu_crash is pu_start + pu_collect. */
void pu_crash(char *const argv[], char *const env[], struct pipeline_run *r);

void pu_free(struct pipeline_run *r);

/* pu_expect_name fails the test unless ACTUAL matches EXPECTED line by
 * line, where "*" in EXPECTED stands for one or more hex digits and a
 * last expected line "..." accepts any further lines. Prints both. */
void pu_expect_name(const char *actual, const char *expected);

/* pu_copy copies file FROM to TO (mode 0755). */
void pu_copy(const char *from, const char *to);

/* pu_sh runs CMD with sh -c and fails the test unless it exits 0. */
void pu_sh(const char *cmd);

#endif

/* SPDX-License-Identifier: MIT */
/* crashsummary.h -- one crash log's list fields (crashsummary.c). */
#ifndef TMWATCH_WATCHDOG_CRASHSUMMARY_H
#define TMWATCH_WATCHDOG_CRASHSUMMARY_H

/* Fields missing from the log read "?" (program, sig), "-" (version,
 * frame) or 0 (pid). */
struct crash_summary {
	char program[128];
	char version[128];	/* from the counter file's identity */
	char sig[32];		/* "SIGSEGV" */
	char frame[256];	/* innermost frame, as in the counter name */
	long pid;
};

/* crashsummary_parse fills *S from TEXT (NUL-terminated; NULL gives the
 * defaults). Never fails; any thread. */
void crashsummary_parse(const char *text, struct crash_summary *s);

#endif

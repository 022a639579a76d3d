/* SPDX-License-Identifier: MIT */
/* crashlog.c -- writes the local crash log (DESIGN §5.4).
 *
 * One text file per crash under $XDG_STATE_HOME/tmwatch/crashes/, named
 * TIME-PROGRAM-PID.log so `tmwatch crashes` and ls sort it, with what
 * only the person at the keyboard should see: paths, file:line, the abort
 * message. The layout is documented in docs/stack-counters.md. Writes
 * are temp + rename, so a reader never sees half a log. Prints only
 * through crashlog_print (msg.c).
 */
#define _GNU_SOURCE
#include "crashlog.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crashlogdir.h"
#include "fsutil.h"
#include "modclass.h"
#include "msg.h"
#include "paths.h"
#include "tmwatch/common.h"

static const char *or_unknown(const char *s)
{
	return s && *s ? s : "unknown";
}

/* Writes S indenting continuation lines, control bytes as '?'. */
static void put_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n') {
			fputs(s[1] ? "\n  " : "", f);
			continue;
		}
		fputc(c < 0x20 && c != '\t' ? '?' : c, f);
	}
}

static void signal_line(FILE *f, const struct crashlog_info *ci)
{
	const char *abbrev = ci->signo > 0 ? sigabbrev_np(ci->signo) : NULL;

	fprintf(f, "signal:    SIG%s (%s), si_code %d, ", abbrev ? abbrev :
		"?", ci->signo > 0 ? strsignal(ci->signo) : "?", ci->si_code);
	if (ci->is_sent)
		fprintf(f, "sent by pid %d\n", (int)ci->sender_pid);
	else
		fprintf(f, "raised by a fault at 0x%" PRIx64 "\n",
			ci->fault_addr);
	/* The program's handler raised or aborted while handling it. */
	if (ci->kill_signo > 0 && ci->kill_signo != ci->signo)
		fprintf(f, "died of:   SIG%s, sent from the program's handler\n",
			sigabbrev_np(ci->kill_signo) ?
			sigabbrev_np(ci->kill_signo) : "?");
}

static void counter_lines(FILE *f, const struct crashlog_info *ci)
{
	fprintf(f, "counted:   ");
	if (!ci->counter_name)
		fprintf(f, "nothing\n");
	else if (ci->count_result == TM_EOFF)
		fprintf(f, "nothing (telemetry is off)\n");
	else if (ci->count_result != 0)
		fprintf(f, "failed: %s\n", tm_strerror(ci->count_result));
	else
		fprintf(f, "yes, in the counters of %s\n",
			or_unknown(ci->identity));
	if (ci->counter_name) {
		/* The rule's version says which names group together
		 * (docs/stack-counters.md). */
		fprintf(f, "counter (naming rule %s):\n  ", TM__NAMING_RULE);
		put_text(f, ci->counter_name);
		fputc('\n', f);
	}
}

static void stack_lines(FILE *f, const struct tm__symframes *fr)
{
	fprintf(f, "stack (innermost first; #N is the Nth unwound PC):\n");
	if (!fr || fr->n == 0) {
		fprintf(f, "  (none)\n");
		return;
	}
	for (size_t i = 0; i < fr->n; i++) {
		const struct tm__frame_info *in = &fr->info[i];
		char line[1024];

		if (tm__stackname_frame(&fr->frames[i], line, sizeof line) < 0)
			snprintf(line, sizeof line, "?");
		/* A system library's frame is counted without offsets; its
		 * precise levels follow as [detail] (DESIGN §5.3). */
		fprintf(f, "  #%-3zu 0x%016" PRIx64 " %s%s%s%s", in->pc_index,
			in->pc, fr->frames[i].detail_only ? "[detail] " : "",
			in->is_inlined ? "[inlined] " : "",
			in->source == TM__SYM_NONE ? "(no module)" : line,
			fr->frames[i].is_system && !fr->frames[i].detail_only ?
			" (counted so: no offset)" : "");
		if (in->file && in->line > 0)
			fprintf(f, " at %s:%d", in->file, in->line);
		fprintf(f, "\n        in %s (%s", or_unknown(in->module_path),
			tm__symbolize_source_name(in->source));
		if (in->debug_file)
			fprintf(f, " from %s", in->debug_file);
		fprintf(f, "%s)\n", in->module_changed ?
			"; file changed on disk since it was loaded" : "");
	}
}

int crashlog_format(const struct crashlog_info *ci, char **text,
		    size_t *len)
{
	char when[64] = "unknown";
	struct tm tm;
	FILE *f;

	*text = NULL;
	*len = 0;
	f = open_memstream(text, len);
	if (!f)
		return -ENOMEM;
	if (gmtime_r(&ci->when, &tm))
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "tmwatch crash log (local only, never uploaded)\n");
	fprintf(f, "program:   %s\n", or_unknown(ci->program));
	fprintf(f, "path:      %s\n", or_unknown(ci->exe_path));
	fprintf(f, "pid:       %d, thread %d '%s'\n", (int)ci->pid,
		(int)ci->tid, ci->thread_name ? ci->thread_name : "");
	fprintf(f, "time:      %s\n", when);
	signal_line(f, ci);
	if (ci->abort_msg && *ci->abort_msg) {
		fprintf(f, "abort message:\n  ");
		put_text(f, ci->abort_msg);
		fputc('\n', f);
	}
	fprintf(f, "unwinder:  %s\n", or_unknown(ci->unwinder));
	counter_lines(f, ci);
	stack_lines(f, ci->frames);
	if (fclose(f) != 0) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* The log's file name: TIME-PROGRAM-PID.log, program reduced to safe
 * bytes so no name can climb out of the directory. */
static void log_name(const struct crashlog_info *ci, char *buf, size_t cap)
{
	char prog[64], when[32] = "0";
	struct tm tm;
	size_t i;

	snprintf(prog, sizeof prog, "%s", or_unknown(ci->program));
	for (i = 0; prog[i]; i++)
		if (!((prog[i] >= 'a' && prog[i] <= 'z') ||
		      (prog[i] >= 'A' && prog[i] <= 'Z') ||
		      (prog[i] >= '0' && prog[i] <= '9') ||
		      prog[i] == '.' || prog[i] == '_' || prog[i] == '+'))
			prog[i] = '_';
	if (prog[0] == '.')
		prog[0] = '_';
	if (gmtime_r(&ci->when, &tm))
		strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(buf, cap, "%s-%s-%d.log", when, prog, (int)ci->pid);
}

static int write_copy(const char *file, const char *text, size_t len)
{
	struct stat st;
	size_t off = 0;
	int fd;

	if (stat(file, &st) != 0 || S_ISREG(st.st_mode))
		return tm__fs_write_atomic(file, text, len, 0600, 0);
	/* /dev/stderr, a FIFO: append, there is nothing to rename over. */
	fd = open(file, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? -errno : -EIO;

			close(fd);
			return e;
		}
		off += (size_t)w;
	}
	return close(fd) == 0 ? 0 : -errno;
}

int crashlog_write(const struct crashlog_info *ci, const char *crash_output,
		   char *path, size_t cap)
{
	char state[PATH_MAX], dir[PATH_MAX], name[128];
	char *text;
	size_t len;
	int r, r2 = 0;

	if (cap)
		path[0] = 0;
	r = crashlog_format(ci, &text, &len);
	if (r != 0)
		return r;
	log_name(ci, name, sizeof name);
	/* Mode off writes nothing of ours at all (DESIGN §7), the local log
	 * included; only a --crash-output file the user named is written. */
	r = ci->count_result == TM_EOFF ? TM_EOFF :
		tm__paths_state_dir(state, sizeof state);
	if (r == 0)
		r = tm__paths_join(dir, sizeof dir, state, "crashes");
	if (r == 0)
		r = tm__fs_mkdirs(dir, 0700);
	if (r == 0)
		r = tm__paths_join(path, cap, dir, name);
	if (r == 0)
		r = tm__fs_write_atomic(path, text, len, 0600, 0);
	if (r != 0 && cap)
		path[0] = 0;
	if (r == 0) {
		/* Retention: the directory never grows without bound. */
		size_t max_logs;
		uint64_t max_bytes;

		crashlogdir_limits(&max_logs, &max_bytes, NULL);
		(void)crashlogdir_prune(dir, max_logs, max_bytes, NULL);
	}
	if (crash_output)
		r2 = write_copy(crash_output, text, len);
	free(text);
	return r != 0 ? r : r2;
}

int crashlog_line(const struct crashlog_info *ci, const char *log_path,
		  char *buf, size_t cap)
{
	char sig[32], where[600] = "", failed[1200];
	const char *what, *bad = ci->count_bad;
	int signo = ci->kill_signo > 0 ? ci->kill_signo : ci->signo;
	int n;

	/* The signal that killed, as crash/signal: and the shell say. */
	snprintf(sig, sizeof sig, "%s", signo > 0 ?
		 sigabbrev_np(signo) ? sigabbrev_np(signo) : "?" : "?");
	/* The counter's first frame says where, without any path. */
	if (ci->counter_name) {
		const char *nl = strchr(ci->counter_name, '\n');

		if (nl && nl[1])
			snprintf(where, sizeof where, " in %.*s",
				 (int)strcspn(nl + 1, "\n"), nl + 1);
	}
	if (!ci->counter_name)
		what = "nothing counted";
	else if (ci->count_result == TM_EOFF)
		what = "nothing counted (telemetry is off)";
	else if (ci->count_result == TM_ECORRUPT && bad && *bad)
		what = (snprintf(failed, sizeof failed, "not counted: counter "
				 "file '%s' is corrupt, delete it", bad),
			failed);
	else if (ci->count_result == TM_EUNSAFE && bad && *bad)
		what = (snprintf(failed, sizeof failed, "not counted: '%s' is "
				 "owned by another user or writable by others, "
				 "make it yours (chown, chmod go-w)", bad),
			failed);
	else if (ci->count_result != 0)
		what = (snprintf(failed, sizeof failed, "counting failed: %s",
				 tm_strerror(ci->count_result)), failed);
	else
		what = "counted as crash/crash";
	if (log_path && *log_path)
		n = snprintf(buf, cap, "'%s' crashed with SIG%s%s; %s; log "
			     "'%s'", or_unknown(ci->program), sig, where, what,
			     log_path);
	else
		n = snprintf(buf, cap, "'%s' crashed with SIG%s%s; %s; no "
			     "local log", or_unknown(ci->program), sig, where,
			     what);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : n;
}

void crashlog_print(const struct crashlog_info *ci, const char *log_path,
		    int quiet)
{
	char line[1024];

	if (quiet || msg_is_quiet())
		return;
	(void)crashlog_line(ci, log_path, line, sizeof line);
	msg_error("%s", line);
}

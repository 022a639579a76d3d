/* SPDX-License-Identifier: MIT */
/* record.c -- the one validator of crash records (DESIGN §4.3).
 *
 * The writer is a crashing process, so every field is untrusted: sizes,
 * lengths, counts and enums are checked against the layout of
 * preload/record.h before anything is copied, and the copy never leaves
 * the buffer. Fuzzed by tests/fuzz/fuzz_record.c. Never prints.
 */
#include <signal.h>
#include <string.h>

#include "record.h"
#include "tmwatch/common.h"

static int crash_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE ||
	       sig == SIGILL || sig == SIGABRT || sig == SIGTRAP ||
	       sig == SIGSYS;
}

/* record_signal_name: see record.h. */
const char *record_signal_name(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGILL: return "SIGILL";
	case SIGABRT: return "SIGABRT";
	case SIGTRAP: return "SIGTRAP";
	case SIGSYS: return "SIGSYS";
	default: return "SIG?";
	}
}

static int reject(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return TM_EMALFORMED;
}

/* Copies N bytes of a fixed field into a NUL-terminated string. */
static void copy_str(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* record_parse: see record.h. */
int record_parse(const void *buf, size_t len, struct record *out,
		 const char **why)
{
	struct tm_crash_record *h = &out->hdr;
	const unsigned char *p = buf;

	memset(out, 0, sizeof(*out));
	if (why)
		*why = NULL;
	if (!buf || len < 8)
		return reject(why, "shorter than the record magic and version");
	memcpy(h, p, len < sizeof(*h) ? len : sizeof(*h));
	if (h->magic != TM_RECORD_MAGIC)
		return reject(why, "bad magic");
	if (h->version != TM_RECORD_VERSION)
		return reject(why, "unknown version");
	if (h->header_size != sizeof(*h))
		return reject(why, "header size differs from this version's");
	if (len < sizeof(*h))
		return reject(why, "truncated header");
	if (h->total_size != len)
		return reject(why,
			      "total size differs from the bytes received");
	if (h->stack_len > TM_RECORD_STACK_MAX)
		return reject(why, "stack copy longer than the maximum");
	if ((uint64_t)h->header_size + h->stack_len != h->total_size)
		return reject(why, "stack length past the end");
	if (h->exe_len >= TM_RECORD_EXE_MAX)
		return reject(why, "exe path length out of range");
	if (h->abort_len >= TM_RECORD_ABORT_MAX)
		return reject(why, "abort message length out of range");
	if (h->nregs > TM_RECORD_NREGS)
		return reject(why, "too many registers");
	if (h->arch != TM_RECORD_ARCH_X86_64 &&
	    h->arch != TM_RECORD_ARCH_AARCH64)
		return reject(why, "unknown architecture");
	if (!crash_signal(h->signo))
		return reject(why, "not a crash signal");
	if (h->kill_signo && !crash_signal(h->kill_signo))
		return reject(why, "kill signal not a crash signal");
	if (h->flags & ~TM_RECORD_F_ALL)
		return reject(why, "unknown flags");
	if (h->pid <= 0 || h->tid <= 0)
		return reject(why, "bad pid or tid");
	if (h->stack_len && h->stack_addr + h->stack_len < h->stack_addr)
		return reject(why, "stack address range wraps");
	copy_str(out->exe, h->exe, h->exe_len);
	copy_str(out->abort_msg, h->abort_msg, h->abort_len);
	copy_str(out->thread_name, h->thread_name, sizeof(h->thread_name));
	out->thread_name[strnlen(out->thread_name, 16)] = '\0';
	out->stack = p + h->header_size;
	out->stack_len = h->stack_len;
	out->is_sent = (h->flags & TM_RECORD_F_SENT) != 0;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* errors.c -- the one table naming every TM_E* code (docs/errors.md). */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "tmwatch/common.h"

static const struct {
	int code;
	const char *text;
} tm_errors[] = {
	{ TM_ECORRUPT, "corrupt or truncated counter file" },
	{ TM_EOFF, "telemetry is off" },
	{ TM_ENAMETOOLONG, "counter name longer than 4096 bytes" },
	{ TM_EFULL, "counter file is full" },
	{ TM_EBADMODE, "invalid telemetry mode" },
	{ TM_EMALFORMED, "malformed crash record" },
	{ TM_EBADCONFIG, "invalid upload config" },
	{ TM_EBADREPORT, "invalid report" },
	{ TM_EHTTP, "upload refused by the server" },
	{ TM_ELOCKED, "locked by another process" },
	{ TM_EMISMATCH, "counter file header does not match this program" },
	{ TM_ENOTELF, "not a readable ELF file" },
	{ TM_ESTATIC, "statically linked program: LD_PRELOAD cannot work" },
	{ TM_ENOWATCHDOG, "tmwatch binary not found" },
	{ TM_EDISABLED, "disabled by TMWATCH_DISABLE=1 or in a setuid program" },
	{ TM_EINVAL, "invalid argument" },
	{ TM_EUNSAFE, "owned by another user or writable by others" },
};

const char *tm_strerror(int code)
{
	if (code == 0)
		return "success";
	for (size_t i = 0; i < sizeof tm_errors / sizeof tm_errors[0]; i++)
		if (tm_errors[i].code == code)
			return tm_errors[i].text;
	if (code < 0 && code > -4096) {
		/* strerrordesc_np (glibc >= 2.32) is thread-safe; its text
		 * starts with a capital, ours are lower-case so they read
		 * well inside a message. */
		static _Thread_local char buf[128]
			__attribute__((tls_model("initial-exec")));
		const char *s = strerrordesc_np(-code);
		if (s) {
			snprintf(buf, sizeof buf, "%s", s);
			buf[0] = (char)tolower((unsigned char)buf[0]);
			return buf;
		}
	}
	return "unknown error";
}

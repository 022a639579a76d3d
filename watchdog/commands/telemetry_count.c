/* SPDX-License-Identifier: MIT */
/* telemetry_count.c -- `tmwatch telemetry count`: a counter from a script.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "identity.h"
#include "paths.h"
#include "store.h"
#include "tmwatch/counter.h"
#include "cmd.h"
#include "cmdutil.h"
#include "msg.h"
#include "tmwatch/common.h"

static const char CMD[] = "tmwatch telemetry";

/* The name of the script that ran us: for `sh ./x.sh` or `#!/bin/sh`
 * scripts the parent's argv is "sh ./x.sh", so skip the interpreter and
 * its options. */
static void copy_name(char *buf, size_t cap, const char *s)
{
	size_t n = strnlen(s, cap - 1);

	memcpy(buf, s, n);
	buf[n] = 0;
}

static void caller_name(char *buf, size_t cap)
{
	static const char *const interpreters[] = { "sh", "bash", "dash",
		"zsh", "ksh", "mksh", "busybox", "env", "python", "python3",
		"perl", "ruby", "node", "tclsh", "lua" };
	char path[64], args[4096];
	size_t len = 0;
	FILE *f;

	copy_name(buf, cap, "unknown");
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)getppid());
	f = fopen(path, "r");
	if (!f)
		return;
	len = fread(args, 1, sizeof args - 1, f);
	fclose(f);
	args[len] = 0;
	for (size_t off = 0; off < len;) {
		const char *arg = args + off;
		const char *base = strrchr(arg, '/');
		int is_interp = 0;

		base = base ? base + 1 : arg;
		for (size_t i = 0; i < sizeof interpreters /
		     sizeof interpreters[0]; i++)
			if (strcmp(base, interpreters[i]) == 0)
				is_interp = 1;
		/* `sh -c 'text'` names no script: fall back to the shell. */
		if (strcmp(arg, "-c") == 0)
			break;
		/* `bash /dev/fd/3`, `bash <(...)`: a descriptor names no
		 * script: fall back to the interpreter. */
		if (!strncmp(arg, "/dev/fd/", 8) ||
		    (!strncmp(arg, "/proc/", 6) && strstr(arg, "/fd/")))
			break;
		if (*base && !is_interp && arg[0] != '-') {
			copy_name(buf, cap, base);
			return;
		}
		off += strlen(arg) + 1;
	}
	/* Only an interpreter (interactive shell): use its name. */
	const char *base = strrchr(args, '/');
	copy_name(buf, cap, base ? base + 1 : args);
}

static int parse_count(const char *s, uint64_t *n)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v == 0)
		return -1;
	*n = v;
	return 0;
}

int telemetry_count_main(int argc, char **argv)
{
	struct tm__identity id;
	const char *program = NULL, *version = NULL, *name;
	uint64_t n = 1;
	char path[PATH_MAX];
	int i, err;

	if (cmdutil_wants_help(argc, argv)) {
		printf("usage: tmwatch telemetry count [--program P] "
		       "[--version V] NAME [N]\n\nAdds N (default 1) to "
		       "counter NAME in the counter file of program P\n"
		       "(default: the name of the calling script) version V "
		       "(default:\n$TMWATCH_PROGRAM_VERSION, else devel). "
		       "Does nothing in mode off.\n");
		return MSG_EXIT_OK;
	}
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--program") == 0 && i + 1 < argc)
			program = argv[++i];
		else if (strcmp(argv[i], "--version") == 0 && i + 1 < argc)
			version = argv[++i];
		else if (strcmp(argv[i], "--program") == 0 ||
			 strcmp(argv[i], "--version") == 0)
			return msg_usage(CMD, "option '%s' needs a value",
					 argv[i]);
		else
			return msg_usage(CMD, "unknown option '%s' for count",
					 argv[i]);
	}
	if (i >= argc)
		return msg_usage(CMD, "count needs a counter NAME");
	name = argv[i++];
	if (!*name)
		return msg_usage(CMD, "counter name is empty");
	if (strlen(name) > TM_COUNTER_NAME_MAX)
		return msg_usage(CMD, "counter name is longer than %d bytes",
				 TM_COUNTER_NAME_MAX);
	if (i < argc && parse_count(argv[i++], &n))
		return msg_usage(CMD, "count '%s' is not a positive integer",
				 argv[i - 1]);
	if (i < argc)
		return msg_usage(CMD, "unexpected argument '%s'", argv[i]);

	memset(&id, 0, sizeof id);
	if (program)
		snprintf(id.program, sizeof id.program, "%s", program);
	else
		caller_name(id.program, sizeof id.program);
	if (!version)
		version = getenv("TMWATCH_PROGRAM_VERSION");
	snprintf(id.version, sizeof id.version, "%s",
		 version && *version ? version : "devel");
	snprintf(id.toolchain, sizeof id.toolchain, "unknown");
	snprintf(id.goarch, sizeof id.goarch, "%s",
		 tm__store_self_identity()->goarch);
	tm__identity_sanitize_program(id.program);
	tm__identity_sanitize(id.version);
	err = tm__store_count_for(&id, name, strlen(name), n);
	if (err == TM_EOFF || err == TM_EDISABLED)
		return MSG_EXIT_OK;
	if (err) {
		if (tm__paths_store_dir(path, sizeof path))
			strcpy(path, "?");
		msg_error("cannot count '%s' in store '%s': %s; fix it or set "
			  "TMWATCH_DIR", name, path, tm_strerror(err));
		return MSG_EXIT_FAIL;
	}
	return MSG_EXIT_OK;
}

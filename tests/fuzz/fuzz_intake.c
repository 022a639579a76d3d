/* SPDX-License-Identifier: MIT */
/* fuzz_intake.c -- libFuzzer target for the watchdog's session reader
 * (watchdog/intake.c): any bytes a process may send on the named socket,
 * hello first, then a record, then EOF.
 *
 * intake.c belongs to the tmwatch executable, so it is compiled into this
 * target directly (watchdog/ is on the include path). One intake serves
 * every input, as one watchdog serves every crash. Checks beyond "no
 * crash": every input ends in exactly one finished session or none, its
 * bytes lie within the cap and are a prefix of what was sent after the
 * hello, a complete record is exactly as long as its total_size says, and
 * nothing stays open.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "intake.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct intake *in;
static struct sockaddr_un addr;
static socklen_t addr_len;

static int start(void)
{
	char name[108];
	unsigned long dev, ino;
	int child;

	if (intake_open(&in, &child, &dev, &ino, name, sizeof name) != 0 ||
	    !name[0])
		return -1;
	close(child);
	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path + 1, name, strlen(name));
	addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			       strlen(name));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct intake_crash c;
	size_t hello = sizeof(struct tm_crash_hello);
	int fd, ready, got = 0;
	long end;

	if (!in && start() != 0)
		abort();
	if (size > 64 * 1024)
		size = 64 * 1024; /* fits the socket buffer: one write */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, addr_len) != 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	shutdown(fd, SHUT_WR); /* EOF: the session ends without waiting */
	end = now_ms() + 10000;
	while (intake_pending(in) > 0 || !got) {
		if (intake_next(in, &c) == 0) {
			if (got++ || c.len > INTAKE_MAX_BYTES ||
			    c.len > (size > hello ? size - hello : 0) ||
			    (c.len && memcmp(c.bytes, data + hello, c.len)))
				abort();
			if (c.read_error == 0) {
				uint32_t total;

				if (c.len < 12)
					abort();
				memcpy(&total, c.bytes + 8, sizeof total);
				if (total != c.len)
					abort();
			}
			intake_ack(&c);
			continue;
		}
		if (now_ms() > end)
			abort(); /* a session that never ended */
		if (intake_wait(in, -1, &ready, end) != 0)
			abort();
		if (intake_pending(in) == 0 && intake_next(in, &c) != 0)
			break; /* dropped: not a hello of ours */
	}
	close(fd);
	return 0;
}

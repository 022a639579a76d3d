/* SPDX-License-Identifier: MIT */
/* capture_state.c -- SIGNAL-SAFE: the capture state and the list of crash
 * signals.
 *
 * Zone: SIGNAL-SAFE. Holds the one struct the handler reads, filled at load
 * time by capture_init.c. Owns no behaviour beyond answering "is this a
 * crash signal" (DESIGN §4.1: the default-core signals that mean a crash).
 */
#include <signal.h>

#include "capture.h"

struct tm__capture_state tm__capture = {
	.channel_fd = -1,
	.reserve_fd = { -1, -1 },
	.ack_timeout_ms = TM__CAPTURE_ACK_TIMEOUT_MS,
};

__thread struct tm__capture_thread tm__capture_thread
	__attribute__((tls_model("initial-exec")));

/* SIGNAL-SAFE. SIGQUIT, SIGXCPU and SIGXFSZ also dump core by default but
 * are a user's or a limit's decision, not a bug: never ours. */
int tm__capture_is_crash_signal(int sig)
{
	switch (sig) {
	case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL:
	case SIGABRT: case SIGTRAP: case SIGSYS:
		return 1;
	default:
		return 0;
	}
}

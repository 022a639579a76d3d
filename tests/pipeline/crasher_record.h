/* SPDX-License-Identifier: MIT */
/* crasher_record.h -- a stand-in for the preload shim in pipeline tests:
 * a crash handler that sends a struct tm_crash_record and waits for the
 * ack, exactly the protocol's shape, over two inherited pipes.
 *
 * fd 3: the record goes here (header, then the stack copy).
 * fd 4: one ack byte comes back; then the process dies of its signal.
 */
#ifndef TMWATCH_TESTS_CRASHER_RECORD_H
#define TMWATCH_TESTS_CRASHER_RECORD_H

#define CRASHER_RECORD_FD 3
#define CRASHER_ACK_FD 4
#define CRASHER_GO_FD 5

/* crasher_install sets the handler for every crash signal on an
 * alternate stack. ABORT_MSG (may be NULL) goes into the record's
 * abort_msg, as the shim would copy glibc's __abort_msg. */
void crasher_install(const char *abort_msg);

#endif

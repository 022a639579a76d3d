/* SPDX-License-Identifier: MIT */
/* record.h -- the crash record: the one layout shared by preload/ (which
 * writes it from a signal handler) and watchdog/ (which validates it).
 *
 * Zone: header only, <stdint.h> only, fixed-size fields, no pointers, so
 * both sides agree byte for byte and the writer needs no code at all. The
 * protocol around it (hello message, SCM_RIGHTS, ack) is in
 * docs/crash-record.md; the validator is watchdog/record.c.
 *
 * A record travels as one byte stream over a private socket:
 *
 *   struct tm_crash_record (header_size bytes) | stack bytes (stack_len)
 *
 * Host byte order: writer and reader are on the same machine. The reader
 * treats every field as untrusted (the writer is a crashing process).
 *
 * off   size  field          meaning / why it exists
 * ----  ----  -------------  ----------------------------------------------
 *    0     4  magic          TM_RECORD_MAGIC: rejects stray bytes at once
 *    4     2  version        TM_RECORD_VERSION: layout changes bump it
 *    6     2  header_size    sizeof(struct tm_crash_record) of the writer
 *    8     4  total_size     header_size + stack_len: the reader's bound
 *   12     2  arch           ELF e_machine (62 x86-64, 183 AArch64): says
 *                            how to read regs[]
 *   14     2  nregs          entries of regs[] in use
 *   16     4  pid            crashing process (as it sees itself)
 *   20     4  tid            crashing thread
 *   24     4  signo          the crash signal
 *   28     4  si_code        siginfo si_code: fault kind, or <= 0 if sent
 *   32     4  sender_pid     si_pid when sent (si_code <= 0), else 0
 *   36     4  flags          TM_RECORD_F_*
 *   40     8  fault_addr     si_addr for faults, else 0
 *   48     8  pc             program counter of the crashing context
 *   56     8  sp             stack pointer of the crashing context
 *   64   320  regs[40]       register set, DWARF numbering of arch (x86-64:
 *                            0..16 = rax rdx rcx rbx rsi rdi rbp rsp
 *                            r8..r15 rip, 17 = eflags; AArch64: 0..30 =
 *                            x0..x30, 31 = sp, 32 = pc, 33 = pstate)
 *  384     8  stack_addr     address the stack copy starts at (== sp, or
 *                            the first readable byte above it)
 *  392     4  stack_len      bytes of stack copy that follow the header
 *  396     4  exe_len        bytes used in exe[] (no NUL counted)
 *  400     4  abort_len      bytes used in abort_msg[] (no NUL counted)
 *  404    16  thread_name    PR_GET_NAME, NUL-padded (may lack the NUL)
 *  420  4096  exe            /proc/self/exe at load time
 * 4516  1024  abort_msg      glibc __abort_msg text (local log only, never
 *                            a counter)
 * 5540     4  kill_signo     the signal the process dies of when it is
 *                            not signo (a program handler raised or
 *                            aborted while handling this delivery), else 0
 * 5544     -  stack bytes    up to TM_RECORD_STACK_MAX
 *
 * Before the record, the crashing process sends one struct tm_crash_hello
 * over the inherited SOCK_SEQPACKET channel, carrying its end of the
 * private socket as SCM_RIGHTS:
 *
 * off size field    meaning
 *   0    4 magic    TM_HELLO_MAGIC
 *   4    2 version  TM_HELLO_VERSION_KEEPALIVE (2): the sender reads
 *                   keepalive bytes; 1 (TM_RECORD_VERSION): it does not
 *   6    2 size     sizeof(struct tm_crash_hello)
 *   8    4 pid      sender's pid (the kernel's SCM_CREDENTIALS win)
 *  12    4 tid      crashing thread
 *
 * A process whose inherited channel is gone (closed by close_fds, say)
 * connects instead to the watchdog's named socket (abstract, named by
 * TMWATCH_SOCK) and sends the same hello, without SCM_RIGHTS, then the
 * record, on that one stream.
 *
 * Channel protocol 2: while the child waits, the watchdog writes the byte
 * TM_RECORD_KEEPALIVE on the private socket when it takes the hello, when
 * the whole record has arrived, and at least once a second after that;
 * each one restarts the child's bound. After the watchdog has taken what
 * it needs from the waiting child it writes the single byte TM_RECORD_ACK.
 * EOF instead means: die now.
 */
#ifndef TMWATCH_PRELOAD_RECORD_H
#define TMWATCH_PRELOAD_RECORD_H

#include <stdint.h>

#define TM_RECORD_MAGIC 0x52434d54u /* "TMCR" in little-endian memory */
#define TM_HELLO_MAGIC 0x4c484d54u  /* "TMHL" */
#define TM_RECORD_VERSION 1
#define TM_RECORD_NREGS 40
#define TM_RECORD_EXE_MAX 4096
#define TM_RECORD_ABORT_MAX 1024
#define TM_RECORD_STACK_MAX (256u * 1024u)
#define TM_RECORD_ACK 'A'
#define TM_RECORD_KEEPALIVE 'K'
#define TM_HELLO_VERSION_KEEPALIVE 2

#define TM_RECORD_F_SENT 0x1u          /* signal came from kill/raise */
#define TM_RECORD_F_STACK_SHORT 0x2u   /* stack copy ended at a hole */
#define TM_RECORD_F_ABORT_CUT 0x4u     /* abort message was truncated */
#define TM_RECORD_F_ALL 0x7u

#define TM_RECORD_ARCH_X86_64 62
#define TM_RECORD_ARCH_AARCH64 183

struct tm_crash_record {
	uint32_t magic;
	uint16_t version;
	uint16_t header_size;
	uint32_t total_size;
	uint16_t arch;
	uint16_t nregs;
	int32_t pid;
	int32_t tid;
	int32_t signo;
	int32_t si_code;
	int32_t sender_pid;
	uint32_t flags;
	uint64_t fault_addr;
	uint64_t pc;
	uint64_t sp;
	uint64_t regs[TM_RECORD_NREGS];
	uint64_t stack_addr;
	uint32_t stack_len;
	uint32_t exe_len;
	uint32_t abort_len;
	char thread_name[16];
	char exe[TM_RECORD_EXE_MAX];
	char abort_msg[TM_RECORD_ABORT_MAX];
	int32_t kill_signo;
};

struct tm_crash_hello {
	uint32_t magic;
	uint16_t version;
	uint16_t size;
	int32_t pid;
	int32_t tid;
};

_Static_assert(sizeof(struct tm_crash_record) == 5544,
	       "crash record header layout changed: bump TM_RECORD_VERSION");
_Static_assert(sizeof(struct tm_crash_hello) == 16,
	       "crash hello layout changed: bump TM_RECORD_VERSION");

#endif

/* SPDX-License-Identifier: MIT */
/* capture_init.c -- LOAD-TIME: checks the crash channel and prepares crash
 * capture in the process (buffer, alternate stack, handlers).
 *
 * Zone: LOAD-TIME only: the shim's constructor (shim_main.c) and library
 * mode's tm_crash_monitor_start. May use libc freely (getenv, readlink,
 * mmap) because no crash is being handled yet; prepares everything so the
 * handler only fills and sends (STYLE §5). Environment variables are
 * documented in docs/modes.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "capture_sys.h"
#include "tmwatch/common.h"

static int parse_ulong(const char *s, char stop, unsigned long *out,
		       const char **end)
{
	char *e;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &e, 10);
	if (errno || *e != stop)
		return -1;
	if (end)
		*end = e;
	return 0;
}

/* LOAD-TIME. TMWATCH_SOCK names the watchdog's abstract socket:
 * "tmwatch-PID-TOKEN", letters, digits and '-' only. Returns its length
 * (copied to OUT when not NULL), or 0 when unset or not well formed. */
static int sock_from_env(char *out, size_t cap)
{
	static const char prefix[] = "tmwatch-";
	const char *v = getenv("TMWATCH_SOCK");
	size_t i, n;

	if (!v)
		return 0;
	n = strlen(v);
	if (n < 16 || n >= cap)
		return 0;
	for (i = 0; i < sizeof prefix - 1; i++) {
		if (v[i] != prefix[i])
			return 0;
	}
	for (i = 0; i < n; i++) {
		char c = v[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return 0;
	}
	if (out)
		memcpy(out, v, n);
	return (int)n;
}

/* LOAD-TIME. TMWATCH_FD=N and TMWATCH_FD_INO=DEV:INO are set by the
 * watchdog for its child and inherited by every descendant. */
int tm__capture_channel_from_env(unsigned long *dev, unsigned long *ino)
{
	const char *fds = getenv("TMWATCH_FD");
	const char *ids = getenv("TMWATCH_FD_INO");
	unsigned long fd;
	struct stat st;
	int type = 0;
	socklen_t tlen = sizeof(type);

	if (!fds)
		return -ENOENT;
	if (parse_ulong(fds, '\0', &fd, NULL) || fd > INT_MAX ||
	    parse_ulong(ids, ':', dev, &ids) ||
	    parse_ulong(ids + 1, '\0', ino, NULL))
		return TM_ENOWATCHDOG;
	if (fstat((int)fd, &st) != 0 || !S_ISSOCK(st.st_mode) ||
	    st.st_dev != *dev || st.st_ino != *ino ||
	    getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 ||
	    type != SOCK_SEQPACKET) {
		/* Closed by a parent (Python's subprocess close_fds, a
		 * daemon's closefrom): the handler finds the watchdog by
		 * name, and checks the fd again in case it comes back. */
		if (sock_from_env(NULL, sizeof tm__capture.sock_name) > 0)
			return (int)fd;
		return TM_ENOWATCHDOG;
	}
	return (int)fd;
}

/* LOAD-TIME. Keeps two descriptors on /dev/null, high (as the channel),
 * so that the handler has room for its sockets even when the program has
 * used every descriptor its limit allows (issue 8: `ulimit -n` reached,
 * then a crash). Costs the program two descriptors of its limit. */
static void reserve_fds(struct tm__capture_state *c)
{
	struct rlimit rl;
	struct stat st;
	long want = 900, fd, nfd;
	int i;

	if (TM__SYS(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl, 0, 0) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur <= want + 64)
		want = (long)rl.rlim_cur / 2;
	for (i = 0; i < 2; i++) {
		fd = TM__SYS(SYS_openat, AT_FDCWD, "/dev/null",
			     O_RDONLY | O_CLOEXEC, 0, 0, 0);
		if (fd < 0)
			return;
		nfd = want > fd ? TM__SYS(SYS_fcntl, fd, F_DUPFD_CLOEXEC,
					  want, 0, 0, 0) : -1;
		if (nfd >= 0) {
			(void)tm__sys_close((int)fd);
			fd = nfd;
		}
		if (fstat((int)fd, &st) != 0) {
			(void)tm__sys_close((int)fd);
			return;
		}
		c->reserve_fd[i] = (int)fd;
		c->reserve_dev = (unsigned long)st.st_dev;
		c->reserve_ino = (unsigned long)st.st_ino;
	}
}

static int ack_timeout_from_env(void)
{
	unsigned long ms;

	if (parse_ulong(getenv("TMWATCH_ACK_TIMEOUT_MS"), '\0', &ms, NULL) ||
	    ms < 10 || ms > 600000)
		return TM__CAPTURE_ACK_TIMEOUT_MS;
	return (int)ms;
}

static int watchdog_from_env(void)
{
	unsigned long pid;

	if (parse_ulong(getenv("TMWATCH_PID"), '\0', &pid, NULL) ||
	    pid == 0 || pid > INT_MAX)
		return 0;
	return (int)pid;
}

/* LOAD-TIME. Does this process run under an emulator that loaded the
 * program itself (valgrind, qemu-user started by hand)? The kernel set
 * the thread's name at exec to the basename of the file it executed, the
 * emulator's (valgrind's tool: "memcheck-amd64-"); AT_EXECFN is the
 * program's, which the emulator gives its guest. Natively the two agree
 * at load (the name is cut to 15 bytes), unless a constructor before ours
 * renamed the thread: then a self-queued fault signal merely no longer
 * kills (die() in capture_handler.c), nothing worse. One prctl, no /proc
 * lookup. */
static int is_emulated(void)
{
	char comm[16] = { 0 };
	const char *fn = (const char *)getauxval(AT_EXECFN);
	const char *base;
	size_t i;

	if (!fn || TM__SYS(SYS_prctl, PR_GET_NAME, comm, 0, 0, 0, 0) != 0)
		return 0;
	base = strrchr(fn, '/');
	base = base ? base + 1 : fn;
	for (i = 0; i < sizeof(comm) - 1 && base[i]; i++)
		if (base[i] != comm[i])
			return 1;
	return i < sizeof(comm) - 1 && comm[i] != '\0';
}

/* LOAD-TIME. See capture.h. The state is complete before the first
 * handler is installed, so a crash during installation is captured. */
int tm__capture_install(int fd, unsigned long dev, unsigned long ino,
			tm__sigaction_fn real, void *abort_slot)
{
	struct tm__capture_state *c = &tm__capture;
	size_t cap = sizeof(struct tm_crash_record) + TM_RECORD_STACK_MAX;
	struct sigaction sa;
	size_t alt_size;
	void *mem;
	int sig;

	if (c->active)
		return 0;
	/* NORESERVE: the 256 KiB stack area costs nothing until a crash. */
	mem = mmap(NULL, cap, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return -errno;
	c->rec = mem;
	c->rec_cap = cap;
	c->channel_fd = fd;
	c->channel_dev = dev;
	c->channel_ino = ino;
	c->ack_timeout_ms = ack_timeout_from_env();
	c->watchdog_pid = watchdog_from_env();
	c->sock_len = sock_from_env(c->sock_name, sizeof c->sock_name);
	reserve_fds(c);
	c->abort_slot = abort_slot;
	c->real_sigaction = real;
	c->is_emulated = is_emulated();
	/* The main thread's; later threads get theirs in pthread_create.c.
	 * Never released: the main thread's ends with the process. */
	(void)tm__capture_altstack_ensure(&alt_size);

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = tm__capture_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (sig = 1; sig < TM__CAPTURE_NSIG; sig++) {
		if (!tm__capture_is_crash_signal(sig))
			continue;
		/* What is there now (SIG_DFL, an inherited SIG_IGN, or in
		 * library mode the program's own handler) is the program's
		 * view: the handler chains to it. */
		if (real(sig, NULL, &c->prog[sig]) != 0)
			memset(&c->prog[sig], 0, sizeof(c->prog[sig]));
	}
	__atomic_store_n(&c->active, 1, __ATOMIC_SEQ_CST);
	for (sig = 1; sig < TM__CAPTURE_NSIG; sig++) {
		if (tm__capture_is_crash_signal(sig))
			(void)real(sig, &sa, NULL);
	}
	return 0;
}

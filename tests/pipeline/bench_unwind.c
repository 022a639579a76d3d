/* SPDX-License-Identifier: MIT */
/* bench_unwind.c -- crash-to-counter-name latency of the watchdog's crash
 * stages (unwind, symbolize, name) on a real crashing process, against
 * the same process run without crashing, measured in the same run.
 *
 * Baseline: fork + exec + exit + reap of the test crasher (scenario
 * "none": it exits without crashing). Figure: fork + exec + fault + record + unwind + symbolize +
 * name + ack + death + reap. Also: the stages alone (record received →
 * name built, median and p99), and the peak RSS of this process, which
 * plays the watchdog. Built by tests/pipeline/CMakeLists.txt (it needs
 * the watchdog's stage files and the crashers), output in bench/.
 *
 * usage: bench_unwind [RUNS] [CRASHER] [SCENARIO]
 *        (default 200, the -O2 crasher, segv; "abort" measures a signal
 *        the program sends itself, where the unwinder also looks for a
 *        signal frame on the stack and for Go's runtime.sigpanic)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crasher_record.h"
#include "name.h"
#include "symbolize.h"
#include "unwind.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Sums over the runs: unwind, unwind + symbolizer open. */
static double t_unwind, t_open;

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int read_all(int fd, void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 10000) != 1)
			return -1;
		n = read(fd, (char *)buf + off, len - off);
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* One run; returns the total ms, *STAGES_MS the stages alone. */
static double run(const char *crasher, const char *scenario,
		  double *stages_ms, char *name)
{
	static unsigned char bytes[sizeof(struct tm_crash_record) +
				   TM_RECORD_STACK_MAX];
	static struct unwind_stack st;
	static struct record rec;
	struct tm_crash_record *hdr = (struct tm_crash_record *)bytes;
	int recp[2], ackp[2], status;
	double t0 = now_ms(), t1;
	pid_t pid;

	if (pipe2(recp, O_CLOEXEC) || pipe2(ackp, O_CLOEXEC))
		exit(1);
	pid = fork();
	if (pid == 0) {
		dup2(recp[1], CRASHER_RECORD_FD);
		dup2(ackp[0], CRASHER_ACK_FD);
		execl(crasher, crasher, scenario, (char *)NULL);
		_exit(127);
	}
	close(recp[1]);
	close(ackp[0]);
	if (strcmp(scenario, "none") != 0) {
		struct tm__symbolizer *sym;
		struct tm__symframes fr;

		if (read_all(recp[0], bytes, sizeof *hdr) ||
		    hdr->total_size < sizeof *hdr ||
		    hdr->total_size > sizeof bytes ||
		    read_all(recp[0], bytes + sizeof *hdr,
			     hdr->total_size - sizeof *hdr)) {
			fprintf(stderr, "bench_unwind: no record\n");
			exit(1);
		}
		t1 = now_ms();
		memcpy(&rec.hdr, hdr, sizeof *hdr);
		rec.stack = bytes + sizeof *hdr;
		rec.stack_len = hdr->stack_len;
		if (unwind_stack(&rec, pid, &st) != 0) {
			fprintf(stderr, "bench_unwind: unwind failed\n");
			exit(1);
		}
		t_unwind += now_ms() - t1;
		if (tm__symbolize_open(pid, &sym) != 0) {
			fprintf(stderr, "bench_unwind: symbolizer failed\n");
			exit(1);
		}
		t_open += now_ms() - t1;
		tm__symbolize_pcs(sym, st.pc, st.is_exact, st.n, &fr);
		name_crash(fr.frames, fr.n, name, NAME_BUF_SIZE);
		tm__symframes_free(&fr);
		tm__symbolize_close(sym);
		*stages_ms = now_ms() - t1;
		(void)write(ackp[1], "A", 1);
	}
	waitpid(pid, &status, 0);
	close(recp[0]);
	close(ackp[1]);
	return now_ms() - t0;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 200;
	const char *crasher = argc > 2 ? argv[2] : CRASHER_O2;
	const char *scenario = argc > 3 ? argv[3] : "segv";
	double *base = calloc((size_t)runs, sizeof *base);
	double *full = calloc((size_t)runs, sizeof *full);
	double *stages = calloc((size_t)runs, sizeof *stages);
	static char name[NAME_BUF_SIZE];
	struct rusage ru;
	double dummy;

	if (runs < 1 || !base || !full || !stages)
		return 2;
	for (int i = 0; i < runs; i++) {
		base[i] = run(crasher, "none", &dummy, name);
		full[i] = run(crasher, scenario, &stages[i], name);
	}
	qsort(base, (size_t)runs, sizeof *base, cmp);
	qsort(full, (size_t)runs, sizeof *full, cmp);
	qsort(stages, (size_t)runs, sizeof *stages, cmp);
	getrusage(RUSAGE_SELF, &ru);
	printf("counter name:\n%s\n\n", name);
	printf("runs: %d of %s %s\n", runs, crasher, scenario);
	printf("baseline (run, exit, reap):      median %.2f ms, p99 %.2f ms\n",
	       base[runs / 2], base[runs * 99 / 100]);
	printf("crash to name (run, crash, ack): median %.2f ms, p99 %.2f ms"
	       "\n", full[runs / 2], full[runs * 99 / 100]);
	printf("ratio (median): %.2fx\n", full[runs / 2] / base[runs / 2]);
	printf("stages alone (record -> name):   median %.2f ms, p99 %.2f ms"
	       "\n", stages[runs / 2], stages[runs * 99 / 100]);
	printf("of which unwind %.2f ms, symbolizer open %.2f ms (means)\n",
	       t_unwind / runs, (t_open - t_unwind) / runs);
	printf("peak RSS of this watchdog stand-in: %ld KiB\n", ru.ru_maxrss);
	free(base);
	free(full);
	free(stages);
	return 0;
}

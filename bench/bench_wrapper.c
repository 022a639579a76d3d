/* SPDX-License-Identifier: MIT */
/* bench_wrapper.c -- what running under `tmwatch` costs, each figure
 * against its baseline measured in the same run (issue 3 targets):
 *   start-up: `tmwatch /bin/true` against a minimal fork+exec launcher of
 *     /bin/true (this binary, --launch) and against /bin/true itself
 *     (target: no more than one extra process creation), and against a
 *     launcher of that launcher (exactly one more exec'd, forking process);
 *     the same on an empty store (a fresh install, no local/: the daily
 *     job must not start on every run) against the initialised store;
 *   steady state: a CPU-bound and a syscall-heavy workload under tmwatch
 *     against bare (target: within 1 %);
 *   crash latency: from the fault to the watchdog holding the complete
 *     record (its --debug-records file appearing), median and p99; and
 *     fault-to-death under tmwatch against bare;
 *   crash storm: N children crashing at once, every record taken, against
 *     the same storm bare;
 *   watchdog RSS while the child runs (target < 2 MiB), with its anonymous
 *     and file-backed parts.
 *
 * usage: bench_wrapper [RUNS] (default 200). Finds tmwatch through
 * TMWATCH_BIN or ../bin/tmwatch next to this binary.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static char tmwatch[PATH_MAX + 64], self[PATH_MAX];
static char store_init[PATH_MAX], store_empty[PATH_MAX];

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, int p)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[(n - 1) * p / 100];
}

/* --- child modes ---------------------------------------------------- */

static int launch(char **argv)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) ?
	       WEXITSTATUS(st) : 1;
}

static int cpu_work(void)
{
	volatile uint64_t x = 1;
	long i;

	for (i = 0; i < 400000000L; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	return (int)(x & 1) * 0;
}

static int syscall_work(void)
{
	long i;

	for (i = 0; i < 3000000L; i++)
		(void)getppid();
	return 0;
}

/* Writes the time of the fault on stdout, then faults. */
static int crash_now(void)
{
	double t = now_us();

	(void)!write(1, &t, sizeof(t));
	*(volatile int *)0 = 1;
	return 0;
}

/* --- measurements --------------------------------------------------- */

static pid_t spawn(char **argv, int out_fd)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	if (out_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		perror("bench_wrapper: posix_spawn");
		exit(1);
	}
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

static double run_us(char **argv)
{
	double t0 = now_us();

	waitpid(spawn(argv, -1), NULL, 0);
	return now_us() - t0;
}

/* Like run_us, but until every process the run started has ended, the
 * detached daily job included (the caller is a child subreaper, so
 * orphans become its children): the whole cost of one run. */
static double run_all_us(char **argv)
{
	double t0 = now_us();

	waitpid(spawn(argv, -1), NULL, 0);
	while (waitpid(-1, NULL, 0) > 0)
		;
	return now_us() - t0;
}

static void startup(int runs)
{
	char *direct[] = { "/bin/true", NULL };
	char *launcher[] = { self, "--launch", "/bin/true", NULL };
	char *launcher2[] = { self, "--launch", self, "--launch",
			      "/bin/true", NULL };
	char *wrapped[] = { tmwatch, "/bin/true", NULL };
	double *e = calloc((size_t)runs, sizeof(double));
	double *a = calloc((size_t)runs, sizeof(double));
	double *d = calloc((size_t)runs, sizeof(double));
	double *l = calloc((size_t)runs, sizeof(double));
	double *l2 = calloc((size_t)runs, sizeof(double));
	double *w = calloc((size_t)runs, sizeof(double));
	double md, ml, ml2, mw, me, ma;
	char local[PATH_MAX + 8];
	int i;

	/* The initialised store has local/ and today's daily token (the
	 * first run takes it); the empty one stays empty. */
	snprintf(local, sizeof(local), "%s/local", store_init);
	mkdir(local, 0700);
	setenv("TMWATCH_DIR", store_init, 1);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	(void)run_all_us(wrapped);
	for (i = 0; i < runs; i++) {
		d[i] = run_us(direct);
		l[i] = run_us(launcher);
		l2[i] = run_us(launcher2);
		w[i] = run_us(wrapped);
		setenv("TMWATCH_DIR", store_empty, 1);
		e[i] = run_all_us(wrapped);
		setenv("TMWATCH_DIR", store_init, 1);
		a[i] = run_all_us(wrapped);
	}
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	me = pct(e, runs, 50);
	ma = pct(a, runs, 50);
	md = pct(d, runs, 50);
	ml = pct(l, runs, 50);
	ml2 = pct(l2, runs, 50);
	mw = pct(w, runs, 50);
	/* The launcher of a launcher is the cost of exactly one more
	 * exec'd process that forks: the bound tmwatch must stay near
	 * (it also carries the shim into /bin/true). */
	printf("start-up, median of %d: /bin/true %.0f us, fork+exec "
	       "launcher %.0f us, launcher of a launcher %.0f us, tmwatch "
	       "%.0f us\n", runs, md, ml, ml2, mw);
	printf("  tmwatch/launcher %.2f, tmwatch/(launcher of a launcher) "
	       "%.2f, tmwatch/direct %.2f\n", mw / ml, mw / ml2, mw / md);
	printf("  until every process it started ended (daily job "
	       "included): initialised store %.0f us, empty store (no "
	       "local/) %.0f us, empty/initialised %.2f\n", ma, me, me / ma);
	free(e);
	free(a);
	free(d);
	free(l);
	free(l2);
	free(w);
}

static void steady(const char *mode, int reps)
{
	char *bare[] = { self, (char *)mode, NULL };
	char *wrapped[] = { tmwatch, self, (char *)mode, NULL };
	double b = 1e30, w = 1e30, t;
	int i;

	/* Minimum of interleaved runs: the least disturbed of each. */
	for (i = 0; i < reps; i++) {
		t = run_us(bare);
		b = t < b ? t : b;
		t = run_us(wrapped);
		w = t < w ? t : w;
	}
	printf("steady state %s, best of %d: bare %.1f ms, tmwatch %.1f ms, "
	       "ratio %.4f (target <= 1.01)\n", mode + 2, reps, b / 1e3,
	       w / 1e3, w / b);
}

static double crash_once(const char *dir, int ino, double *death)
{
	char *bare[] = { self, "--crash", NULL };
	char *wrapped[] = { tmwatch, "--debug-records", (char *)dir, self,
			    "--crash", NULL };
	char ev[4096];
	double t0 = 0, t1 = -1;
	int p[2];
	pid_t pid;

	if (pipe(p) != 0)
		exit(1);
	pid = spawn(dir ? wrapped : bare, p[1]);
	close(p[1]);
	if (read(p[0], &t0, sizeof(t0)) != sizeof(t0))
		t0 = 0;
	close(p[0]);
	if (dir) {
		struct pollfd pf = { ino, POLLIN, 0 };

		/* The first file the watchdog renames into place is the
		 * record it has fully read (record-*.bin). */
		while (t1 < 0 && poll(&pf, 1, 10000) > 0) {
			ssize_t n = read(ino, ev, sizeof(ev));
			char *q = ev;

			while (n > 0 && q < ev + n) {
				struct inotify_event *e = (void *)q;

				if (e->len && strstr(e->name, ".bin") &&
				    strncmp(e->name, "record-", 7) == 0 &&
				    t1 < 0)
					t1 = now_us();
				q += sizeof(*e) + e->len;
			}
		}
	}
	waitpid(pid, NULL, 0);
	*death = now_us() - t0;
	return dir ? t1 - t0 : 0;
}

static void latency(int runs)
{
	char dir[] = "/tmp/bench_wrapper-XXXXXX";
	double *rec = calloc((size_t)runs, sizeof(double));
	double *dw = calloc((size_t)runs, sizeof(double));
	double *db = calloc((size_t)runs, sizeof(double));
	int ino, i;

	if (!mkdtemp(dir))
		exit(1);
	ino = inotify_init1(IN_CLOEXEC);
	inotify_add_watch(ino, dir, IN_MOVED_TO);
	for (i = 0; i < runs; i++) {
		rec[i] = crash_once(dir, ino, &dw[i]);
		(void)crash_once(NULL, -1, &db[i]);
	}
	printf("crash, %d runs: fault to record held by the watchdog: "
	       "median %.0f us, p99 %.0f us\n", runs, pct(rec, runs, 50),
	       pct(rec, runs, 99));
	printf("  fault to death: bare median %.0f us, tmwatch median "
	       "%.0f us\n", pct(db, runs, 50), pct(dw, runs, 50));
	{
		char cmd[PATH_MAX];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		(void)!system(cmd);
	}
	free(rec);
	free(dw);
	free(db);
}

/* --storm N: N children released together, each writing through NULL. */
static int storm(int n)
{
	int go[2], i, st, bad = 0;
	char c;

	if (pipe(go) != 0)
		return 2;
	for (i = 0; i < n; i++) {
		if (fork() == 0) {
			close(go[1]);
			(void)!read(go[0], &c, 1);
			*(volatile int *)0 = 1;
			_exit(0);
		}
	}
	close(go[0]);
	close(go[1]);
	for (i = 0; i < n; i++)
		bad |= wait(&st) < 0 || !WIFSIGNALED(st);
	return bad;
}

static void storm_bench(int n)
{
	char num[16];
	char *bare[] = { self, "--storm", num, NULL };
	char *wrapped[] = { tmwatch, self, "--storm", num, NULL };
	double b, w;

	snprintf(num, sizeof(num), "%d", n);
	b = run_us(bare);
	w = run_us(wrapped);
	printf("crash storm of %d children: bare %.1f ms, tmwatch %.1f ms "
	       "(%.0f records/s)\n", n, b / 1e3, w / 1e3, n / (w / 1e6));
}

static void rss(void)
{
	char *argv[] = { tmwatch, "/bin/sh", "-c", "echo r; read x", NULL };
	char path[64], line[256];
	int out[2], in[2];
	posix_spawn_file_actions_t fa;
	char c;
	pid_t pid;
	FILE *f;

	if (pipe(out) || pipe(in))
		exit(1);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	if (posix_spawn(&pid, tmwatch, &fa, NULL, argv, environ))
		exit(1);
	close(out[1]);
	close(in[0]);
	if (read(out[0], &c, 1) != 1)
		exit(1);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "VmRSS:", 6) == 0 ||
		    strncmp(line, "RssAnon:", 8) == 0 ||
		    strncmp(line, "RssFile:", 8) == 0)
			printf("watchdog while the child runs: %s", line);
	}
	if (f)
		fclose(f);
	close(in[1]);
	waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 200;
	const char *env = getenv("TMWATCH_BIN");
	ssize_t n;

	if (argc > 2 && strcmp(argv[1], "--launch") == 0)
		return launch(argv + 2);
	if (argc > 1 && strcmp(argv[1], "--cpu") == 0)
		return cpu_work();
	if (argc > 1 && strcmp(argv[1], "--syscalls") == 0)
		return syscall_work();
	if (argc > 1 && strcmp(argv[1], "--crash") == 0)
		return crash_now();
	if (argc > 2 && strcmp(argv[1], "--storm") == 0)
		return storm(atoi(argv[2]));
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || runs < 10)
		return 2;
	self[n] = '\0';
	if (env && *env)
		snprintf(tmwatch, sizeof(tmwatch), "%s", env);
	else
		snprintf(tmwatch, sizeof(tmwatch), "%.*s/../bin/tmwatch",
			 (int)(strrchr(self, '/') - self), self);
	setenv("TMWATCH_QUIET", "1", 1);
	if (!getenv("TMWATCH_DIR")) {
		static char store[] = "/tmp/bench_wrapper-store-XXXXXX";

		if (mkdtemp(store))
			setenv("TMWATCH_DIR", store, 1);
	}
	/* Crash logs go to the state directory: keep them out of $HOME. */
	if (!getenv("XDG_STATE_HOME")) {
		static char state[] = "/tmp/bench_wrapper-state-XXXXXX";

		if (mkdtemp(state))
			setenv("XDG_STATE_HOME", state, 1);
	}
	snprintf(store_init, sizeof(store_init), "%s", getenv("TMWATCH_DIR"));
	{
		static char empty[] = "/tmp/bench_wrapper-empty-XXXXXX";

		if (!mkdtemp(empty))
			return 2;
		snprintf(store_empty, sizeof(store_empty), "%s", empty);
	}
	printf("tmwatch: %s\n", tmwatch);
	startup(runs);
	steady("--cpu", 5);
	steady("--syscalls", 5);
	latency(runs / 4 < 20 ? 20 : runs / 4);
	storm_bench(20);
	storm_bench(100);
	rss();
	return 0;
}

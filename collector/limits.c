/* SPDX-License-Identifier: MIT */
/* limits.c -- bound what one client holds of tmwatch-collector: time per
 * request and memory for bodies in flight.
 *
 * libmicrohttpd's own timeout (MHD_OPTION_CONNECTION_TIMEOUT) counts
 * inactivity only: a client sending one header line every few seconds
 * keeps its slot, and 512 of them kept every slot (issue 14). Here each
 * connection is entered in a table when it starts; a sweeper thread
 * shutdown(2)s the socket of any whose request is not all in after
 * request_s seconds, which wakes its thread, and libmicrohttpd closes it.
 * The table entry goes before libmicrohttpd closes the descriptor (the
 * CLOSED notification precedes close(2) in 0.9.75's connection thread),
 * under the same mutex as the sweep, so a reused descriptor is never hit.
 *
 * Bodies are charged to one byte budget before they are allocated, so 200
 * clients sending 4 MiB each cost at most the budget, not 900 MB; past it
 * the caller answers 503 with Retry-After. Never answers HTTP itself.
 * Docs: docs/collector.md "Limits".
 */
#define _GNU_SOURCE
#include "limits.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BODY_FIRST (64u << 10)	/* first allocation for a body */
#define SWEEP_MS 200		/* how often the deadlines are checked */

/* One connection. The clock runs while a request is being received. */
struct conn {
	struct conn *prev, *next;
	int fd;
	int is_running;		/* the clock: 1 while receiving */
	int is_ended;		/* shut down by the sweeper already */
	int is_listed;		/* in the table (else served, not timed) */
	struct timespec since;	/* when the current request began */
	char host[64];
};

static struct limits_conf conf;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct conn *head;
static int stopping;
static pthread_t sweeper;
static unsigned long n_ended;
static atomic_size_t used;	/* bytes charged to the budget */

static double since_s(const struct timespec *t, const struct timespec *now)
{
	return (double)(now->tv_sec - t->tv_sec) +
	       (double)(now->tv_nsec - t->tv_nsec) / 1e9;
}

static void *sweep(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (!stopping) {
		struct timespec now, until;

		clock_gettime(CLOCK_MONOTONIC, &now);
		for (struct conn *c = head; c; c = c->next) {
			char what[160];

			if (!c->is_running || c->is_ended ||
			    since_s(&c->since, &now) < conf.request_s)
				continue;
			/* Both directions: the connection thread sees EOF
			 * at once and libmicrohttpd closes the socket. */
			shutdown(c->fd, SHUT_RDWR);
			c->is_ended = 1;
			n_ended++;
			snprintf(what, sizeof what, "request not received "
				 "within %us; connection closed",
				 conf.request_s);
			if (conf.log)
				conf.log(c->host, what);
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += SWEEP_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&cv, &mu, &until);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

int limits_start(const struct limits_conf *c)
{
	int rc;

	conf = *c;
	if (!conf.request_s)
		return 0;
	rc = pthread_create(&sweeper, NULL, sweep, NULL);
	return rc ? -rc : 0;
}

unsigned long limits_stop(void)
{
	pthread_mutex_lock(&mu);
	stopping = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	if (conf.request_s)
		pthread_join(sweeper, NULL);
	return n_ended;
}

void limits_conn_started(struct MHD_Connection *conn, void **ctx)
{
	const union MHD_ConnectionInfo *fi = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *ai = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct conn *c = calloc(1, sizeof *c);

	*ctx = c;
	/* Without memory or a descriptor the connection is served, just
	 * not timed: the inactivity timeout still bounds it. */
	if (!c || !fi)
		return;
	c->fd = fi->connect_fd;
	snprintf(c->host, sizeof c->host, "-");
	if (ai && ai->client_addr)
		getnameinfo(ai->client_addr,
			    ai->client_addr->sa_family == AF_INET6 ?
			    sizeof(struct sockaddr_in6) :
			    sizeof(struct sockaddr_in),
			    c->host, sizeof c->host, NULL, 0, NI_NUMERICHOST);
	clock_gettime(CLOCK_MONOTONIC, &c->since);
	c->is_running = 1;
	c->is_listed = 1;
	pthread_mutex_lock(&mu);
	c->next = head;
	if (head)
		head->prev = c;
	head = c;
	pthread_mutex_unlock(&mu);
}

void limits_conn_closed(void **ctx)
{
	struct conn *c = *ctx;

	if (!c)
		return;
	if (c->is_listed) {
		pthread_mutex_lock(&mu);
		if (c->prev)
			c->prev->next = c->next;
		else if (head == c)
			head = c->next;
		if (c->next)
			c->next->prev = c->prev;
		pthread_mutex_unlock(&mu);
	}
	free(c);
	*ctx = NULL;
}

static struct conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

void limits_request_received(struct MHD_Connection *conn)
{
	struct conn *c = conn_of(conn);

	if (!c)
		return;
	pthread_mutex_lock(&mu);
	c->is_running = 0;
	pthread_mutex_unlock(&mu);
}

void limits_request_done(struct MHD_Connection *conn)
{
	struct conn *c = conn_of(conn);

	if (!c || !c->is_listed)
		return;
	pthread_mutex_lock(&mu);
	clock_gettime(CLOCK_MONOTONIC, &c->since);
	c->is_running = 1;
	pthread_mutex_unlock(&mu);
}

int limits_reserve(size_t n)
{
	size_t cur = atomic_load(&used);

	do {
		if (conf.inflight_max && (cur > conf.inflight_max ||
					  n > conf.inflight_max - cur))
			return -ENOBUFS;
	} while (!atomic_compare_exchange_weak(&used, &cur, cur + n));
	return 0;
}

void limits_release(size_t n)
{
	atomic_fetch_sub(&used, n);
}

int limits_can_ever_fit(size_t n)
{
	return !conf.inflight_max || n <= conf.inflight_max;
}

int limits_can_start(size_t len)
{
	size_t n = len < BODY_FIRST ? len : BODY_FIRST;

	return !conf.inflight_max || atomic_load(&used) + n <=
	       conf.inflight_max;
}

int limits_body_grow(char **buf, size_t *cap, size_t need, size_t hint)
{
	size_t nc = *cap ? *cap : BODY_FIRST;
	char *nb;

	if (need <= *cap)
		return 0;
	while (nc < need)
		nc *= 2;
	/* Exactly the announced length when it is known: no slack. */
	if (hint >= need && nc > hint)
		nc = hint;
	if (limits_reserve(nc - *cap))
		return -ENOBUFS;
	nb = realloc(*buf, nc);
	if (!nb) {
		limits_release(nc - *cap);
		return -ENOMEM;
	}
	*buf = nb;
	*cap = nc;
	return 0;
}

void limits_body_free(char *buf, size_t cap)
{
	free(buf);
	limits_release(cap);
}

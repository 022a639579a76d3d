/* SPDX-License-Identifier: MIT */
/* limits.h -- what one client may hold of tmwatch-collector: a slot for a
 * bounded time, and a share of one memory budget for bodies in flight.
 *
 * main.c calls these from libmicrohttpd's callbacks; limits.c owns the
 * connection table, the sweeper thread that ends requests past their
 * deadline, and the byte budget (issue 14, docs/collector.md "Limits").
 */
#ifndef TMWATCH_COLLECTOR_LIMITS_H
#define TMWATCH_COLLECTOR_LIMITS_H

#include <stddef.h>

#include <microhttpd.h>

/* What the sweeper says when it ends a connection: HOST is the client's
 * numeric address, WHAT one line. Called from the sweeper thread. */
typedef void (*limits_log_fn)(const char *host, const char *what);

struct limits_conf {
	unsigned request_s;	/* total seconds to receive one request */
	size_t inflight_max;	/* bytes held by bodies at once; 0 = any */
	limits_log_fn log;
};

/* limits_start keeps CONF and starts the sweeper thread. Returns 0 or
 * -errno. Call once, before the daemon starts. */
int limits_start(const struct limits_conf *conf);

/* limits_stop ends the sweeper; call after MHD_stop_daemon. Returns how
 * many connections the sweeper ended. */
unsigned long limits_stop(void);

/* limits_conn_started and limits_conn_closed follow one connection
 * (MHD_OPTION_NOTIFY_CONNECTION; CTX is its socket context). Closed runs
 * before libmicrohttpd closes the descriptor, which is what makes the
 * sweeper's shutdown(2) safe against descriptor reuse. */
void limits_conn_started(struct MHD_Connection *conn, void **ctx);
void limits_conn_closed(void **ctx);

/* limits_request_received stops the clock of CONN: the request is all
 * in, what follows (checking, storing, a scripted hang) is ours.
 * limits_request_done starts it again for the next request on a kept-
 * alive connection. Connection threads. */
void limits_request_received(struct MHD_Connection *conn);
void limits_request_done(struct MHD_Connection *conn);

/* limits_body_grow makes *BUF (capacity *CAP bytes, NULL/0 at first) hold
 * at least NEED bytes, charging the growth to the budget; the capacity
 * doubles from 64 KiB but never passes HINT when HINT >= NEED (the
 * Content-Length). Returns 0, -ENOBUFS when the budget cannot cover it
 * (nothing changed), or -ENOMEM. Any thread. */
int limits_body_grow(char **buf, size_t *cap, size_t need, size_t hint);

/* limits_body_free frees BUF and gives its CAP bytes back. */
void limits_body_free(char *buf, size_t cap);

/* limits_reserve and limits_release charge N bytes that are not a body
 * (the parse of one, body_parse_cost); reserve returns 0 or -ENOBUFS. */
int limits_reserve(size_t n);
void limits_release(size_t n);

/* limits_can_ever_fit tells whether N bytes fit the budget at all. */
int limits_can_ever_fit(size_t n);

/* limits_can_start tells whether a body of LEN bytes (the first 64 KiB
 * of it when larger) fits the budget now: the early 503. */
int limits_can_start(size_t len);

#endif

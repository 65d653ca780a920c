/*
 * net.h - socket helpers of the probe variants: every wait is a poll()
 * bounded by an absolute monotonic deadline (ms).
 */
#ifndef RDPROBE_PROBE_NET_H
#define RDPROBE_PROBE_NET_H

#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "probe.h"

struct probe_target {
	struct sockaddr_storage sa;
	socklen_t salen;
	int family;                  /* AF_INET / AF_INET6 */
	char text[PROBE_ADDR_TEXT_MAX];
	int mss;                     /* TCP_MAXSEG set before connect (the SYN's MSS); 0: the system's */
};

/*
 * Resolves o->host (o->family) into at most `cap` targets, port o->port.
 * Returns the count (>= 1), or -1 with r->error_* set (EAI name) and
 * r->unresolvable set.
 */
int probe_resolve(const struct probe_opts *o, int socktype, struct probe_target *t, int cap,
		  struct probe_result *r);

/*
 * The address a client ends up on: o->host resolved, then a TCP connect
 * race to every address at once (at most PROBE_PICK_MS); the first to
 * accept wins, else the first address (so that the variant meets and
 * reports the failure itself).  The dns and tcp variants judge the other
 * addresses.  Sets r->target; -1 when the name does not resolve (r set).
 */
#define PROBE_PICK_MS 3000
int probe_pick_target(const struct probe_opts *o, struct probe_target *t, struct probe_result *r);

/* Error name + code into the result's fields. */
void probe_set_error(struct probe_result *r, int code, const char *name);

/*
 * Non-blocking TCP connect bounded by deadline, with t->mss clamped when
 * set: returns the fd (left non-blocking), or -1 with *err an errno
 * (ETIMEDOUT when the deadline passed).
 */
int probe_tcp_connect(const struct probe_target *t, int64_t deadline, int *err);

/* Sends all n bytes; 0 or an errno. */
int probe_send_all(int fd, const uint8_t *p, size_t n, int64_t deadline);
/* Reads exactly n bytes; 0, an errno, or ECONNRESET-like EPIPE on EOF (named "EOF"). */
#define PROBE_ERR_EOF (-1)
int probe_recv_exact(int fd, uint8_t *p, size_t n, int64_t deadline);

/* Largest TPKT we accept as a Connection Confirm. */
#define PROBE_CC_MAX 64

/*
 * One X.224 Connection Request with RDP_NEG_REQ(requested) on fd, and its
 * Connection Confirm parsed with x224_parse_cc into *row.  Returns 0 when
 * a confirm was parsed, else an errno / PROBE_ERR_EOF / EPROTO.
 */
int probe_x224_exchange(int fd, uint32_t requested, int64_t deadline, struct probe_x224_row *row);

/*
 * One TLS handshake after X.224 (SSL|HYBRID) on a fresh connection to t
 * (t->mss applies), TLS 1.2 at most or TLS 1.3 only, all before deadline
 * (tls_variant.c).  Fills *a: outcome, layer, timings, MSS, version,
 * cipher, certificate, or the error.
 */
void probe_tls_attempt(const struct probe_opts *o, const struct probe_target *t, int tls13,
		       int64_t deadline, struct probe_tls_attempt *a);

struct ssl_st; /* OpenSSL's SSL */

/*
 * Drives SSL_connect on ssl (over fd, non-blocking) until the handshake
 * is done or the deadline passes.  Returns 0, ETIMEDOUT, or -1 with
 * *ssl_err the SSL_get_error() code; OpenSSL's error queue is left for
 * the caller to read.
 */
int probe_tls_handshake(struct ssl_st *ssl, int fd, int64_t deadline, int *ssl_err);

/* "ETIMEDOUT", "ECONNREFUSED", ..., "EOF" for PROBE_ERR_EOF. */
const char *probe_err_name(int e);

#endif

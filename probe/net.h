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
};

/*
 * Resolves o->host (o->family) into at most `cap` targets, port o->port.
 * Returns the count (>= 1), or -1 with r->error_* set (EAI name) and
 * r->unresolvable set.
 */
int probe_resolve(const struct probe_opts *o, int socktype, struct probe_target *t, int cap,
		  struct probe_result *r);

/* Error name + code into the result's fields. */
void probe_set_error(struct probe_result *r, int code, const char *name);

/*
 * Non-blocking TCP connect bounded by deadline: returns the fd (left
 * non-blocking), or -1 with *err an errno (ETIMEDOUT when the deadline
 * passed).
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

/* "ETIMEDOUT", "ECONNREFUSED", ..., "EOF" for PROBE_ERR_EOF. */
const char *probe_err_name(int e);

#endif

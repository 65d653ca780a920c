/*
 * net.c - bounded socket helpers shared by the probe variants.
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "x224.h"

int64_t probe_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct tok errno_names[] = {
	{EPERM, "EPERM"},
	{ENOENT, "ENOENT"},
	{EINTR, "EINTR"},
	{EIO, "EIO"},
	{EBADF, "EBADF"},
	{EAGAIN, "EAGAIN"},
	{ENOMEM, "ENOMEM"},
	{EACCES, "EACCES"},
	{EINVAL, "EINVAL"},
	{EMFILE, "EMFILE"},
	{EPIPE, "EPIPE"},
	{EPROTO, "EPROTO"},
	{EMSGSIZE, "EMSGSIZE"},
	{EPROTONOSUPPORT, "EPROTONOSUPPORT"},
	{EAFNOSUPPORT, "EAFNOSUPPORT"},
	{EADDRINUSE, "EADDRINUSE"},
	{EADDRNOTAVAIL, "EADDRNOTAVAIL"},
	{ENETDOWN, "ENETDOWN"},
	{ENETUNREACH, "ENETUNREACH"},
	{ECONNABORTED, "ECONNABORTED"},
	{ECONNRESET, "ECONNRESET"},
	{ENOBUFS, "ENOBUFS"},
	{ENOTCONN, "ENOTCONN"},
	{ETIMEDOUT, "ETIMEDOUT"},
	{ECONNREFUSED, "ECONNREFUSED"},
	{EHOSTDOWN, "EHOSTDOWN"},
	{EHOSTUNREACH, "EHOSTUNREACH"},
	{EINPROGRESS, "EINPROGRESS"},
	{0, NULL},
};

const char *probe_errno_name(int e)
{
	return tok_str(errno_names, (uint32_t)e, "errno");
}

const char *probe_err_name(int e)
{
	return e == PROBE_ERR_EOF ? "EOF" : probe_errno_name(e);
}

void probe_set_error(struct probe_result *r, int code, const char *name)
{
	r->error_code = code;
	str_copy(r->error_name, sizeof r->error_name, name);
}

static const struct tok eai_names[] = {
	{(uint32_t)EAI_AGAIN, "EAI_AGAIN"},
	{(uint32_t)EAI_BADFLAGS, "EAI_BADFLAGS"},
	{(uint32_t)EAI_FAIL, "EAI_FAIL"},
	{(uint32_t)EAI_FAMILY, "EAI_FAMILY"},
	{(uint32_t)EAI_MEMORY, "EAI_MEMORY"},
	{(uint32_t)EAI_NONAME, "EAI_NONAME"},
	{(uint32_t)EAI_SERVICE, "EAI_SERVICE"},
	{(uint32_t)EAI_SOCKTYPE, "EAI_SOCKTYPE"},
	{(uint32_t)EAI_SYSTEM, "EAI_SYSTEM"},
#ifdef EAI_NODATA
	{(uint32_t)EAI_NODATA, "EAI_NODATA"},
#endif
#ifdef EAI_ADDRFAMILY
	{(uint32_t)EAI_ADDRFAMILY, "EAI_ADDRFAMILY"},
#endif
	{0, NULL},
};

int probe_resolve(const struct probe_opts *o, int socktype, struct probe_target *t, int cap,
		  struct probe_result *r)
{
	struct addrinfo hints, *res = NULL;
	char port[8];
	int n = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = o->family;
	hints.ai_socktype = socktype;
	snprintf(port, sizeof port, "%u", (unsigned)o->port);
	int e = getaddrinfo(o->host, port, &hints, &res);
	if (e) {
		probe_set_error(r, e, tok_str(eai_names, (uint32_t)e, "EAI_UNKNOWN"));
		snprintf(r->detail, sizeof r->detail, "cannot resolve %.120s: %.100s", o->host,
			 gai_strerror(e));
		r->unresolvable = 1;
		return -1;
	}
	for (struct addrinfo *ai = res; ai && n < cap; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof t[n].sa)
			continue;
		memset(&t[n], 0, sizeof t[n]);
		memcpy(&t[n].sa, ai->ai_addr, ai->ai_addrlen);
		t[n].salen = ai->ai_addrlen;
		t[n].family = ai->ai_family;
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, t[n].text, sizeof t[n].text, NULL, 0,
				NI_NUMERICHOST))
			str_copy(t[n].text, sizeof t[n].text, "?");
		int dup = 0;
		for (int k = 0; k < n; k++)
			dup |= !strcmp(t[k].text, t[n].text);
		if (!dup)
			n++;
	}
	freeaddrinfo(res);
	if (n == 0) {
		probe_set_error(r, EAI_NONAME, "EAI_NONAME");
		snprintf(r->detail, sizeof r->detail, "%.200s: no IPv4/IPv6 address", o->host);
		r->unresolvable = 1;
		return -1;
	}
	return n;
}

static int wait_fd(int fd, short events, int64_t deadline)
{
	for (int i = 0; i < 1000; i++) {
		int64_t left = deadline - probe_now_ms();
		if (left <= 0)
			return ETIMEDOUT;
		struct pollfd p = {fd, events, 0};
		int k = poll(&p, 1, (int)left);
		if (k > 0)
			return 0;
		if (k < 0 && errno != EINTR)
			return errno;
	}
	return ETIMEDOUT;
}

int probe_tcp_connect(const struct probe_target *t, int64_t deadline, int *err)
{
	int fd = socket(t->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	if (t->mss > 0 && setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &t->mss, sizeof t->mss) < 0) {
		*err = errno;
		goto fail;
	}
	int k = connect(fd, (const struct sockaddr *)&t->sa, t->salen);
	int e = errno;
	probe_conn_note(fd, IPPROTO_TCP); /* the port is bound once connect() ran */
	if (k == 0)
		return fd;
	errno = e;
	if (errno != EINPROGRESS) {
		*err = errno;
		goto fail;
	}
	*err = wait_fd(fd, POLLOUT, deadline);
	if (*err)
		goto fail;
	int so = 0;
	socklen_t sl = sizeof so;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) < 0)
		so = errno;
	if (so) {
		*err = so;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

int probe_send_all(int fd, const uint8_t *p, size_t n, int64_t deadline)
{
	size_t off = 0;
	for (int i = 0; off < n && i < 1000; i++) {
		ssize_t k = send(fd, p + off, n - off, MSG_NOSIGNAL);
		if (k > 0) {
			off += (size_t)k;
			continue;
		}
		if (k < 0 && errno != EAGAIN && errno != EINTR)
			return errno;
		int e = wait_fd(fd, POLLOUT, deadline);
		if (e)
			return e;
	}
	return off == n ? 0 : ETIMEDOUT;
}

int probe_recv_exact(int fd, uint8_t *p, size_t n, int64_t deadline)
{
	size_t off = 0;
	for (int i = 0; off < n && i < 1000; i++) {
		ssize_t k = recv(fd, p + off, n - off, 0);
		if (k > 0) {
			off += (size_t)k;
			continue;
		}
		if (k == 0)
			return PROBE_ERR_EOF;
		if (errno != EAGAIN && errno != EINTR)
			return errno;
		int e = wait_fd(fd, POLLIN, deadline);
		if (e)
			return e;
	}
	return off == n ? 0 : ETIMEDOUT;
}

/*
 * X.224 Connection Request (MS-RDPBCGR 2.2.1.1), written byte by byte:
 *   TPKT: 03 00 LEN(BE16)
 *   LI | E0 | DST-REF 00 00 | SRC-REF 00 00 | class 00
 *   "Cookie: mstshash=rdprobe\r\n"
 *   RDP_NEG_REQ: 01 | flags 00 | length 08 00 | requestedProtocols (LE32)
 */
static const char cr_cookie[] = "Cookie: mstshash=rdprobe\r\n";

static size_t build_cr(uint8_t *b, size_t cap, uint32_t requested)
{
	size_t cookie = sizeof cr_cookie - 1;
	size_t li = 6 + cookie + 8;
	size_t total = TPKT_HEADER_LEN + 1 + li;
	size_t o = 0;

	if (total > cap)
		return 0;
	b[o++] = 3;
	b[o++] = 0;
	b[o++] = (uint8_t)(total >> 8);
	b[o++] = (uint8_t)total;
	b[o++] = (uint8_t)li;
	b[o++] = X224_TPDU_CR;
	for (int k = 0; k < 5; k++)
		b[o++] = 0;
	memcpy(b + o, cr_cookie, cookie);
	o += cookie;
	b[o++] = NEG_REQ;
	b[o++] = 0;
	b[o++] = 8;
	b[o++] = 0;
	for (int k = 0; k < 4; k++)
		b[o++] = (uint8_t)(requested >> (8 * k));
	return o;
}

int probe_x224_exchange(int fd, uint32_t requested, int64_t deadline, struct probe_x224_row *row)
{
	uint8_t req[64], cc[PROBE_CC_MAX];
	size_t n = build_cr(req, sizeof req, requested);
	int e;

	row->requested = requested;
	if (!n)
		return EINVAL;
	int64_t t0 = probe_now_ms();
	if ((e = probe_send_all(fd, req, n, deadline)))
		return e;
	if ((e = probe_recv_exact(fd, cc, TPKT_HEADER_LEN, deadline)))
		return e;
	unsigned len = tpkt_length(cc, TPKT_HEADER_LEN);
	if (len == 0 || len > sizeof cc)
		return EPROTO; /* not TPKT, or longer than any confirm */
	if ((e = probe_recv_exact(fd, cc + TPKT_HEADER_LEN, len - TPKT_HEADER_LEN, deadline)))
		return e;
	row->ms = (int32_t)(probe_now_ms() - t0);

	struct x224_cc_facts f;
	memset(&f, 0, sizeof f);
	struct cur c = cur_make(cc, len);
	if (x224_parse_cc(&c, &f) != DEC_OK)
		return EPROTO;
	row->answered = 1;
	row->neg_type = f.neg_type;
	row->selected = f.selected;
	row->failure_code = f.failure_code;
	return 0;
}

int probe_tls_handshake(SSL *ssl, int fd, int64_t deadline, int *ssl_err)
{
	for (int i = 0; i < 10000; i++) {
		ERR_clear_error();
		int k = SSL_connect(ssl);
		if (k == 1)
			return 0;
		*ssl_err = SSL_get_error(ssl, k);
		short ev;
		if (*ssl_err == SSL_ERROR_WANT_READ)
			ev = POLLIN;
		else if (*ssl_err == SSL_ERROR_WANT_WRITE)
			ev = POLLOUT;
		else
			return -1;
		int64_t left = deadline - probe_now_ms();
		if (left <= 0)
			return ETIMEDOUT;
		struct pollfd p = {fd, ev, 0};
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return -1;
	}
	return ETIMEDOUT;
}

/*
 * The connect race of probe_pick_target: one non-blocking connect per
 * address, all at once; the first to complete wins (the lowest index when
 * several complete in the same round).  Returns the index or -1.
 */
static int connect_race(const struct probe_target *t, int n, int64_t deadline)
{
	int fd[PROBE_ADDR_MAX], live = 0, won = -1;
	struct pollfd p[PROBE_ADDR_MAX];

	for (int i = 0; i < n; i++) {
		fd[i] = socket(t[i].family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd[i] >= 0 && connect(fd[i], (const struct sockaddr *)&t[i].sa, t[i].salen) < 0 &&
		    errno != EINPROGRESS) {
			close(fd[i]);
			fd[i] = -1;
		}
		probe_conn_note(fd[i], IPPROTO_TCP);
		if (fd[i] >= 0)
			live++;
	}
	for (int round = 0; live && won < 0 && round < 1000; round++) {
		int64_t left = deadline - probe_now_ms();
		if (left <= 0)
			break;
		for (int i = 0; i < n; i++)
			p[i] = (struct pollfd){fd[i], POLLOUT, 0};
		int k = poll(p, (nfds_t)n, (int)left);
		if (k < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n && k > 0; i++) {
			if (fd[i] < 0 || !p[i].revents)
				continue;
			int so = 0;
			socklen_t sl = sizeof so;
			if (getsockopt(fd[i], SOL_SOCKET, SO_ERROR, &so, &sl) == 0 && so == 0) {
				if (won < 0)
					won = i;
				continue;
			}
			close(fd[i]); /* refused, unreachable: out of the race */
			fd[i] = -1;
			live--;
		}
	}
	for (int i = 0; i < n; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	return won;
}

int probe_pick_target(const struct probe_opts *o, struct probe_target *t, struct probe_result *r)
{
	struct probe_target all[PROBE_ADDR_MAX];
	int n;
	if (o->pinned[0]) {
		/* Picked once for all variants (probe_run): a literal, no lookup. */
		struct probe_opts lit = *o;
		str_copy(lit.host, sizeof lit.host, o->pinned);
		lit.family = AF_UNSPEC;
		n = probe_resolve(&lit, SOCK_STREAM, all, 1, r);
	} else {
		n = probe_resolve(o, SOCK_STREAM, all, PROBE_ADDR_MAX, r);
	}
	if (n < 0)
		return -1;
	int pick = 0;
	if (n > 1) {
		int64_t dl = probe_now_ms() + PROBE_PICK_MS;
		if (dl > o->deadline_ms)
			dl = o->deadline_ms;
		pick = connect_race(all, n, dl);
		if (pick < 0)
			pick = 0;
	}
	*t = all[pick];
	str_copy(r->target, sizeof r->target, t->text);
	return 0;
}

/* ---- the connections a variant makes ---------------------------------- */

static struct probe_conn_ref conn_log[PROBE_CONNS_MAX];
static int nconn_log;
static char conn_label[PROBE_CONN_LABEL_MAX];

void probe_conn_label(const char *label)
{
	str_copy(conn_label, sizeof conn_label, label);
}

void probe_conn_note(int fd, int proto)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	uint16_t port = 0;
	if (fd < 0 || nconn_log >= PROBE_CONNS_MAX ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return;
	if (ss.ss_family == AF_INET)
		port = ntohs(((const struct sockaddr_in *)&ss)->sin_port);
	else if (ss.ss_family == AF_INET6)
		port = ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port);
	if (!port)
		return;
	for (int i = 0; i < nconn_log; i++)
		if (conn_log[i].lport == port && conn_log[i].proto == proto)
			return;
	conn_log[nconn_log].proto = (uint8_t)proto;
	conn_log[nconn_log].lport = port;
	str_copy(conn_log[nconn_log].label, sizeof conn_log[nconn_log].label, conn_label);
	nconn_log++;
}

void probe_conns_copy(struct probe_result *r)
{
	for (int i = 0; i < nconn_log && r->nconns < PROBE_CONNS_MAX; i++)
		r->conns[r->nconns++] = conn_log[i];
	nconn_log = 0;
}

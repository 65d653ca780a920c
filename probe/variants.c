/*
 * variants.c - the probe variants (DESIGN.md section 4) and their table.
 *
 * Each run() executes in its own child process (runner.c): it may block,
 * but only in poll() bounded by o->deadline_ms, and fills one
 * struct probe_result.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "conn.h"
#include "net.h"
#include "rdpeudp.h"
#include "x224.h"

void probe_run_tls(const struct probe_opts *o, struct probe_result *r); /* tls_variant.c */
void probe_run_ntlm_info(const struct probe_opts *o, struct probe_result *r); /* ntlm_variant.c */
void probe_run_mtu(const struct probe_opts *o, struct probe_result *r); /* mtu_variant.c */
#ifdef RDPROBE_HAVE_FREERDP /* freerdp_variant.c */
void probe_run_freerdp_tls(const struct probe_opts *o, struct probe_result *r);
void probe_run_freerdp_rdp(const struct probe_opts *o, struct probe_result *r);
void probe_run_freerdp_nla(const struct probe_opts *o, struct probe_result *r);
#endif

static void set_layer(struct probe_result *r, enum stage s)
{
	str_copy(r->layer, sizeof r->layer, stage_name(s));
}

/* True when text is an address equal to expect (both parsed, so "::1" == "0::1"). */
static int same_ip(const char *text, const char *expect)
{
	uint8_t a[16], b[16];
	if (inet_pton(AF_INET, text, a) == 1 && inet_pton(AF_INET, expect, b) == 1)
		return !memcmp(a, b, 4);
	if (inet_pton(AF_INET6, text, a) == 1 && inet_pton(AF_INET6, expect, b) == 1)
		return !memcmp(a, b, 16);
	return 0;
}

/* ---- dns: every A/AAAA answer, against --expect-ip ------------------- */

static void run_dns(const struct probe_opts *o, struct probe_result *r)
{
	struct probe_target t[PROBE_ADDR_MAX];
	int64_t t0 = probe_now_ms();
	int n = probe_resolve(o, SOCK_STREAM, t, PROBE_ADDR_MAX, r);

	r->ms_dns = (int32_t)(probe_now_ms() - t0);
	if (n < 0) {
		r->outcome = PROBE_FAILED;
		return;
	}
	str_copy(r->layer, sizeof r->layer, "dns-answer");
	size_t o_ = 0;
	int expected_found = 0;
	for (int i = 0; i < n; i++) {
		struct probe_addr *a = &r->addrs[r->naddr++];
		str_copy(a->addr, sizeof a->addr, t[i].text);
		a->family = t[i].family == AF_INET6 ? 6 : 4;
		if (o->expect_ip[0] && same_ip(t[i].text, o->expect_ip))
			expected_found = 1;
		int k = snprintf(r->detail + o_, sizeof r->detail - o_, "%s%s", i ? " " : "",
				 t[i].text);
		if (k > 0 && (size_t)k < sizeof r->detail - o_)
			o_ += (size_t)k;
	}
	if (o->expect_ip[0] && !expected_found) {
		r->outcome = PROBE_FAILED;
		probe_set_error(r, 0, "RESOLUTION_MISMATCH");
		r->finding = DIAG_RESOLUTION_MISMATCH;
		snprintf(r->detail, sizeof r->detail, "%.100s resolves to %.46s, not to --expect-ip %.46s",
			 o->host, r->addrs[0].addr, o->expect_ip);
		return;
	}
	r->outcome = PROBE_OK;
}

/* ---- tcp: connect to every resolved address -------------------------- */

/* A dead address that fails faster than this costs a client nothing much. */
#define TCP_FAST_FAIL_MS 1000

static void run_tcp(const struct probe_opts *o, struct probe_result *r)
{
	struct probe_target t[PROBE_ADDR_MAX];
	int n = probe_resolve(o, SOCK_STREAM, t, PROBE_ADDR_MAX, r);
	int ok = 0, first_bad = -1;

	set_layer(r, STAGE_NONE);
	if (n < 0) {
		r->outcome = PROBE_FAILED;
		return;
	}
	/* Sequential, each with an equal share of the time left. */
	for (int i = 0; i < n; i++) {
		struct probe_addr *a = &r->addrs[r->naddr++];
		int64_t now = probe_now_ms();
		int64_t share = (o->deadline_ms - now) / (n - i);
		int err = 0;
		str_copy(a->addr, sizeof a->addr, t[i].text);
		a->family = t[i].family == AF_INET6 ? 6 : 4;
		a->tcp_tried = 1;
		int fd = probe_tcp_connect(&t[i], now + share, &err);
		a->tcp_ms = (int32_t)(probe_now_ms() - now);
		if (fd >= 0) {
			close(fd);
			a->tcp_ok = 1;
			if (!ok++) {
				r->ms_connect = a->tcp_ms;
				str_copy(r->target, sizeof r->target, t[i].text);
			}
		} else {
			a->error_code = err;
			str_copy(a->error_name, sizeof a->error_name, probe_errno_name(err));
			if (first_bad < 0)
				first_bad = i;
		}
	}
	if (ok)
		set_layer(r, STAGE_TCP_ESTABLISHED);
	else
		set_layer(r, r->addrs[0].error_code == ECONNREFUSED ? STAGE_TCP_RESET : STAGE_TCP_SYN);
	if (first_bad < 0) {
		r->outcome = PROBE_OK;
		snprintf(r->detail, sizeof r->detail, "%d of %d addresses accept TCP port %u", ok,
			 n, (unsigned)o->port);
		return;
	}
	const struct probe_addr *b = &r->addrs[first_bad];
	probe_set_error(r, b->error_code, b->error_name);
	r->outcome = b->error_code == ETIMEDOUT && !ok ? PROBE_TIMEOUT : PROBE_FAILED;
	snprintf(r->detail, sizeof r->detail, "%d of %d addresses accept TCP port %u; %s: %s", ok,
		 n, (unsigned)o->port, b->addr, strerror(b->error_code));
	/*
	 * Some address works, another does not: the name points clients at a
	 * dead address (a stale record, an AAAA nothing listens on).  A failure
	 * when clients meet it first and it makes them wait (a timeout: tens of
	 * seconds per address in mstsc before the next); a warning when the
	 * first address works or the dead ones fail at once (RST, ICMP).
	 */
	if (ok) {
		int silent = 0;
		for (int i = 0; i < r->naddr; i++)
			silent |= !r->addrs[i].tcp_ok && r->addrs[i].tcp_ms >= TCP_FAST_FAIL_MS;
		r->finding = DIAG_RESOLUTION_MISMATCH;
		r->finding_is_warning = r->addrs[0].tcp_ok || !silent;
	} else
		r->finding = b->error_code == ECONNREFUSED ? DIAG_TCP_REFUSED : DIAG_TCP_UNREACHABLE;
}

/* ---- x224: the server's security policy table ------------------------ */

static const uint32_t x224_requests[] = {
	PROTOCOL_RDP,
	PROTOCOL_SSL,
	PROTOCOL_HYBRID,
	PROTOCOL_SSL | PROTOCOL_HYBRID,
	PROTOCOL_HYBRID_EX,
	PROTOCOL_SSL | PROTOCOL_HYBRID | PROTOCOL_HYBRID_EX,
};
_Static_assert(sizeof x224_requests / sizeof x224_requests[0] <= PROBE_X224_ROWS,
	       "x224 rows fit the result");

/*
 * An answering server, judged by its table: a failure code that is not a
 * policy (SSL_CERT_NOT_ON_SERVER: TLS configured without a certificate)
 * breaks default clients; standard RDP security as the only choice is a
 * downgrade.
 */
static void x224_judge(struct probe_result *r)
{
	int tls_ok = 0;
	for (int i = 0; i < r->nx224; i++) {
		const struct probe_x224_row *row = &r->x224[i];
		if (!row->answered)
			continue;
		if (row->neg_type == NEG_FAILURE && row->failure_code == SSL_CERT_NOT_ON_SERVER) {
			char pn[40];
			r->finding = DIAG_SECURITY_NEGOTIATION_FAILURE;
			snprintf(r->detail, sizeof r->detail,
				 "0x%x %s -> %s (%u): TLS is configured without a usable "
				 "certificate; clients that request TLS or NLA fail",
				 row->requested, x224_protocols_str(row->requested, pn, sizeof pn),
				 x224_failure_name(row->failure_code), row->failure_code);
			return;
		}
		if (row->neg_type == NEG_RSP && row->selected != PROTOCOL_RDP)
			tls_ok = 1;
	}
	if (!tls_ok)
		r->finding = DIAG_RDP_SECURITY_DOWNGRADE;
}

static void run_x224(const struct probe_opts *o, struct probe_result *r)
{
	struct probe_target t[1];
	const int nreq = (int)(sizeof x224_requests / sizeof x224_requests[0]);
	int accepted = 0, refused = 0, answered = 0;

	set_layer(r, STAGE_NONE);
	if (probe_pick_target(o, &t[0], r) < 0) {
		r->outcome = PROBE_FAILED;
		return;
	}
	for (int i = 0; i < nreq; i++) {
		struct probe_x224_row *row = &r->x224[r->nx224++];
		int64_t now = probe_now_ms();
		int64_t dl = now + (o->deadline_ms - now) / (nreq - i);
		int err = 0;
		row->requested = x224_requests[i];
		char label[PROBE_CONN_LABEL_MAX], pn[40];
		snprintf(label, sizeof label, "0x%x %s", row->requested,
			 x224_protocols_str(row->requested, pn, sizeof pn));
		probe_conn_label(label);
		int fd = probe_tcp_connect(&t[0], dl, &err);
		if (fd < 0) {
			row->error_code = err;
			str_copy(row->error_name, sizeof row->error_name, probe_errno_name(err));
			if (!answered) {
				probe_set_error(r, err, probe_errno_name(err));
				set_layer(r, err == ECONNREFUSED ? STAGE_TCP_RESET : STAGE_TCP_SYN);
			}
			continue;
		}
		if (r->ms_connect == PROBE_MS_NONE)
			r->ms_connect = (int32_t)(probe_now_ms() - now);
		err = probe_x224_exchange(fd, x224_requests[i], dl, row);
		close(fd);
		if (err) {
			row->error_code = err;
			str_copy(row->error_name, sizeof row->error_name, probe_err_name(err));
			continue;
		}
		answered++;
		if (r->ms_x224 == PROBE_MS_NONE)
			r->ms_x224 = row->ms;
		if (row->neg_type == NEG_FAILURE) {
			refused++;
			row->error_code = (int)row->failure_code;
			str_copy(row->error_name, sizeof row->error_name,
				 x224_failure_name(row->failure_code));
		} else {
			accepted++;
		}
	}
	char buf[64];
	size_t off = 0;
	for (int i = 0; i < r->nx224; i++) {
		const struct probe_x224_row *row = &r->x224[i];
		char sel[sizeof row->error_name + 8];
		if (row->answered && row->neg_type != NEG_FAILURE)
			snprintf(sel, sizeof sel, "%s",
				 row->neg_type == NEG_NONE ? "legacy"
							   : x224_protocols_str(row->selected, buf, sizeof buf));
		else
			snprintf(sel, sizeof sel, "%s", row->error_name);
		int k = snprintf(r->detail + off, sizeof r->detail - off, "%s%s->%s", i ? " " : "",
				 x224_protocols_str(row->requested, buf, sizeof buf), sel);
		if (k > 0 && (size_t)k < sizeof r->detail - off)
			off += (size_t)k;
	}
	if (accepted) {
		set_layer(r, STAGE_X224_CONFIRM);
		r->outcome = PROBE_OK;
		r->error_code = 0;
		r->error_name[0] = '\0';
		x224_judge(r);
		return;
	}
	if (refused) {
		r->finding = DIAG_SECURITY_NEGOTIATION_FAILURE;
		set_layer(r, STAGE_X224_FAILURE);
		for (int i = 0; i < r->nx224; i++)
			if (r->x224[i].neg_type == NEG_FAILURE) {
				probe_set_error(r, r->x224[i].error_code, r->x224[i].error_name);
				break;
			}
		r->outcome = PROBE_FAILED;
		return;
	}
	if (r->ms_connect != PROBE_MS_NONE) {
		set_layer(r, STAGE_X224_REQUEST);
		for (int i = 0; i < r->nx224; i++)
			if (r->x224[i].error_name[0]) {
				probe_set_error(r, r->x224[i].error_code, r->x224[i].error_name);
				break;
			}
	}
	r->outcome = !strcmp(r->error_name, "ETIMEDOUT") ? PROBE_TIMEOUT : PROBE_FAILED;
}

/* ---- udp: MS-RDPEUDP SYN, 1232 and 1132 bytes, DF set ---------------- */

#define UDP_TRIES 4          /* the first send and 3 retries */
#define UDP_TRY_MS 600
#define UDP_RECV_MAX 2048
#define UDP_SMALL 24          /* a 20-byte SYN header, 4 bytes of padding */

/*
 * RDPEUDP SYN (MS-RDPEUDP 2.2.2.1, 2.2.2.5, 2.2.2.9), big-endian:
 *   snSourceAck = -1 | uReceiveWindowSize 64 | uFlags SYN|SYNEX
 *   snInitialSequenceNumber | uUpStreamMtu | uDownStreamMtu
 *   uSynExFlags VERSION_INFO_VALID | uUdpVer 1
 *   zero padding to the datagram size (3.1.5.1.1)
 */
static size_t build_syn(uint8_t *b, size_t size, uint32_t isn)
{
	size_t o = 0;
	uint16_t mtu = size > RDPUDP_SYN_PAYLOAD_MAX ? RDPUDP_SYN_PAYLOAD_MAX : (uint16_t)size;
	memset(b, 0, size);
#define PUT16(v) do { b[o++] = (uint8_t)((v) >> 8); b[o++] = (uint8_t)(v); } while (0)
#define PUT32(v) do { PUT16((uint32_t)(v) >> 16); PUT16((uint32_t)(v) & 0xffff); } while (0)
	PUT32(0xffffffffu);
	PUT16(64);
	PUT16(RDPUDP_FLAG_SYN | RDPUDP_FLAG_SYNEX);
	PUT32(isn);
	PUT16(mtu);
	PUT16(mtu);
	PUT16(0x0001);
	PUT16(RDPUDP_PROTOCOL_VERSION_1);
#undef PUT32
#undef PUT16
	return size;
}

static void udp_attempt(const struct probe_target *t, int64_t deadline, struct probe_udp_attempt *a)
{
	uint8_t out[RDPUDP_SYN_PAYLOAD_MAX], in[UDP_RECV_MAX];
	uint32_t isn = 0;
	int fd = -1;

	if (getrandom(&isn, sizeof isn, 0) != (ssize_t)sizeof isn)
		isn = (uint32_t)probe_now_ms();
	fd = socket(t->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		a->error_code = errno;
		goto out;
	}
	int pmtu = t->family == AF_INET6 ? IPV6_PMTUDISC_DO : IP_PMTUDISC_DO;
	if (setsockopt(fd, t->family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
		       t->family == AF_INET6 ? IPV6_MTU_DISCOVER : IP_MTU_DISCOVER, &pmtu,
		       sizeof pmtu) < 0 ||
	    connect(fd, (const struct sockaddr *)&t->sa, t->salen) < 0) {
		a->error_code = errno;
		goto out;
	}
	char label[PROBE_CONN_LABEL_MAX];
	snprintf(label, sizeof label, "syn %u bytes", a->size);
	probe_conn_label(label);
	probe_conn_note(fd, IPPROTO_UDP);
	size_t n = build_syn(out, a->size, isn);
	int64_t t0 = probe_now_ms();
	for (int i = 0; i < UDP_TRIES && probe_now_ms() < deadline; i++) {
		if (send(fd, out, n, 0) < 0) {
			a->error_code = errno;
			goto out; /* ECONNREFUSED / EMSGSIZE here: ICMP to an earlier try */
		}
		a->sends++;
		int64_t try_end = probe_now_ms() + UDP_TRY_MS;
		if (try_end > deadline)
			try_end = deadline;
		for (int k = 0; k < 16; k++) {
			int64_t left = try_end - probe_now_ms();
			if (left <= 0)
				break;
			struct pollfd p = {fd, POLLIN, 0};
			if (poll(&p, 1, (int)left) <= 0)
				continue;
			ssize_t got = recv(fd, in, sizeof in, 0);
			if (got < 0) {
				if (errno == EAGAIN || errno == EINTR)
					continue;
				a->error_code = errno; /* ECONNREFUSED: ICMP port unreachable */
				goto out;
			}
			struct cur c = cur_make(in, (size_t)got);
			struct rdpeudp_syn_facts f;
			memset(&f, 0, sizeof f);
			if (rdpeudp_parse_syn(&c, &f) == DEC_OK &&
			    (f.flags & (RDPUDP_FLAG_SYN | RDPUDP_FLAG_ACK)) ==
				    (RDPUDP_FLAG_SYN | RDPUDP_FLAG_ACK)) {
				f.payload_len = (uint32_t)got;
				a->synack = f;
				a->answered = 1;
				a->ms = (int32_t)(probe_now_ms() - t0);
				goto out;
			}
		}
	}
	if (!a->answered)
		a->error_code = ETIMEDOUT;
out:
	if (a->error_code == EMSGSIZE && fd >= 0) {
		/* The kernel learnt the path MTU from ICMP fragmentation needed. */
		int mtu = 0;
		socklen_t sl = sizeof mtu;
		if (getsockopt(fd, t->family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
			       t->family == AF_INET6 ? IPV6_MTU : IP_MTU, &mtu, &sl) == 0)
			a->path_mtu = mtu;
	}
	if (a->error_code)
		str_copy(a->error_name, sizeof a->error_name,
			 a->error_code == ETIMEDOUT ? "NO_ANSWER" : probe_errno_name(a->error_code));
	if (fd >= 0)
		close(fd);
}

/*
 * Three datagrams, one after the other: the SYN at 1232 bytes (what
 * clients send), at 1132 (the minimum MS-RDPEUDP allows) and a bare
 * 24-byte SYN header no server accepts.  A SYN+ACK proves a listener; an
 * ICMP "fragmentation needed" (EMSGSIZE) or an answer to 1132 only proves
 * the path too small; an ICMP port unreachable to any of them (the small
 * one still draws it when large datagrams vanish on the way) proves no
 * listener; silence for all three sizes is a filter.
 */
static void run_udp(const struct probe_opts *o, struct probe_result *r)
{
	static const uint32_t sizes[PROBE_UDP_ATTEMPTS] = {RDPUDP_SYN_PAYLOAD_MAX,
							   RDPUDP_SYN_PAYLOAD_MIN, UDP_SMALL};
	struct probe_target t[1];

	set_layer(r, STAGE_NONE);
	if (probe_pick_target(o, &t[0], r) < 0) {
		r->outcome = PROBE_FAILED;
		return;
	}
	for (int i = 0; i < PROBE_UDP_ATTEMPTS; i++) {
		struct probe_udp_attempt *a = &r->udp[r->nudp++];
		int64_t now = probe_now_ms();
		a->size = sizes[i];
		udp_attempt(&t[0], now + (o->deadline_ms - now) / (PROBE_UDP_ATTEMPTS - i), a);
	}
	const struct probe_udp_attempt *big = &r->udp[0], *mid = &r->udp[1];
	int refused = 0, pmtu = 0, answered = 0;
	for (int i = 0; i < r->nudp; i++) {
		refused |= r->udp[i].error_code == ECONNREFUSED;
		answered |= r->udp[i].answered;
		if (r->udp[i].error_code == EMSGSIZE && !pmtu)
			pmtu = r->udp[i].path_mtu ? r->udp[i].path_mtu : -1;
	}
	if (answered)
		set_layer(r, STAGE_UDP_ESTABLISHED);
	else if (big->sends)
		set_layer(r, STAGE_UDP_SYN);
	if (big->answered) {
		r->outcome = PROBE_OK;
		snprintf(r->detail, sizeof r->detail,
			 "SYN+ACK to the %u-byte SYN after %d ms (%s, MTU up %u down %u)",
			 big->size, big->ms, rdpeudp_version_name(big->synack.udp_version),
			 big->synack.up_mtu, big->synack.down_mtu);
		return;
	}
	r->outcome = PROBE_FAILED;
	/* IP and UDP headers on top of the SYN's payload. */
	const unsigned ip_udp = t[0].family == AF_INET6 ? 48 : 28;
	if (answered || pmtu) {
		r->finding = DIAG_UDP_MTU_TOO_SMALL;
		probe_set_error(r, big->error_code, pmtu ? "EMSGSIZE" : "UDP_MTU_TOO_SMALL");
		if (pmtu > 0 && big->error_code == EMSGSIZE && big->sends == 0)
			/* Refused at the first send: no datagram left this run. */
			snprintf(r->detail, sizeof r->detail,
				 "the %u-byte SYN does not fit: the kernel already knows path MTU "
				 "%d from an earlier ICMP fragmentation needed (RDP-UDP needs %u)",
				 big->size, pmtu, RDPUDP_SYN_PAYLOAD_MAX + ip_udp);
		else if (pmtu > 0)
			snprintf(r->detail, sizeof r->detail,
				 "the %u-byte SYN does not fit: ICMP fragmentation needed, path MTU "
				 "%d (RDP-UDP needs %u)",
				 big->size, pmtu, RDPUDP_SYN_PAYLOAD_MAX + ip_udp);
		else if (pmtu < 0)
			snprintf(r->detail, sizeof r->detail,
				 "the %u-byte SYN does not fit: ICMP fragmentation needed (path MTU "
				 "not readable)",
				 big->size);
		else
			snprintf(r->detail, sizeof r->detail,
				 "the %u-byte SYN gets no answer but the %u-byte one does: the path "
				 "drops large datagrams silently",
				 big->size, mid->size);
	} else if (refused) {
		r->finding = DIAG_UDP_PORT_UNREACHABLE;
		probe_set_error(r, ECONNREFUSED, "ECONNREFUSED");
		snprintf(r->detail, sizeof r->detail,
			 "ICMP port unreachable (to the %s-byte datagram): no RDP-UDP listener on %s "
			 "port %u",
			 big->error_code == ECONNREFUSED ? "1232" : mid->error_code == ECONNREFUSED ? "1132" : "24",
			 t[0].text, (unsigned)o->port);
		if (big->error_code != ECONNREFUSED)
			str_appendf(r->detail, sizeof r->detail,
				    "; the %u-byte SYN vanished without ICMP: large datagrams do not "
				    "pass either",
				    big->size);
	} else {
		r->finding = DIAG_UDP_BLOCKED;
		probe_set_error(r, big->error_code, big->error_name);
		snprintf(r->detail, sizeof r->detail,
			 "no answer to %u, %u or %u-byte datagrams (%d+%d+%d sent), no ICMP: UDP "
			 "port %u filtered on the path (or a listener that ignores them)",
			 big->size, mid->size, r->udp[2].size, big->sends, mid->sends,
			 r->udp[2].sends, (unsigned)o->port);
	}
}

/* ---- the table -------------------------------------------------------- */

const struct probe_variant probe_variants[] = {
	{.name = "dns", .help = "every A/AAAA answer for the name (against --expect-ip)",
	 .deadline_ms = 5000, .run = run_dns},
	{.name = "tcp", .help = "TCP connect to every resolved address",
	 .deadline_ms = 6000, .run = run_tcp},
	{.name = "x224", .help = "one X.224 request per requestedProtocols: the policy table",
	 .deadline_ms = 10000, .run = run_x224},
	{.name = "tls", .help = "X.224 (SSL) then a TLS 1.2 and a TLS 1.3 handshake: certificate",
	 .deadline_ms = 12000, .run = probe_run_tls},
	{.name = "ntlm-info", .help = "CredSSP NTLM NEGOTIATE over TLS: server names, domain, OS build",
	 .deadline_ms = 10000, .run = probe_run_ntlm_info},
	{.name = "udp", .help = "MS-RDPEUDP SYN of 1232 and 1132 bytes with DF, a small datagram",
	 .deadline_ms = 8000, .run = run_udp},
	{.name = "mtu", .help = "TLS flight at the full MSS; when it stalls, the largest MSS that passes",
	 .deadline_ms = 15000, .run = probe_run_mtu},
#ifdef RDPROBE_HAVE_FREERDP
	{.name = "freerdp-tls", .help = "libfreerdp2 connection, TLS security only: certificate, error info",
	 .deadline_ms = 12000, .run = probe_run_freerdp_tls},
	{.name = "freerdp-rdp", .help = "libfreerdp2 connection, standard RDP security only",
	 .deadline_ms = 12000, .run = probe_run_freerdp_rdp},
	{.name = "freerdp-nla", .help = "libfreerdp2 connection, NLA (CredSSP) only, no credentials",
	 .deadline_ms = 12000, .run = probe_run_freerdp_nla},
#endif
};
const int probe_variant_count = (int)(sizeof probe_variants / sizeof probe_variants[0]);
_Static_assert(sizeof probe_variants / sizeof probe_variants[0] <= PROBE_VARIANTS_MAX,
	       "the table fits PROBE_VARIANTS_MAX");

const struct probe_variant *probe_variant_find(const char *name)
{
	for (int i = 0; i < probe_variant_count; i++)
		if (!strcmp(probe_variants[i].name, name))
			return &probe_variants[i];
	return NULL;
}

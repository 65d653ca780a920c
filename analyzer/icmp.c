/*
 * icmp.c - ICMP (RFC 792, RFC 1191) and ICMPv6 (RFC 4443) error messages.
 *
 * An ICMP error carries the start of the packet that caused it; its IP
 * header and first transport bytes tie the error to a connection.  The
 * reporter (the router or host that sent the error) is the outer IP
 * source, which the caller knows and this decoder does not: icmp_parse
 * leaves `frame` and `reporter` as the caller set them.
 */
#include "icmp.h"

#include <stdio.h>
#include <string.h>

/* RFC 792 */
enum {
	ICMP4_ECHO_REPLY = 0,
	ICMP4_UNREACH = 3,
	ICMP4_SOURCE_QUENCH = 4,
	ICMP4_REDIRECT = 5,
	ICMP4_ECHO = 8,
	ICMP4_TIME_EXCEEDED = 11,
	ICMP4_PARAM_PROBLEM = 12,
};
#define ICMP4_UNREACH_NEEDFRAG 4 /* RFC 1191 */

/* RFC 4443 */
enum {
	ICMP6_UNREACH = 1,
	ICMP6_PACKET_TOO_BIG = 2,
	ICMP6_TIME_EXCEEDED = 3,
	ICMP6_PARAM_PROBLEM = 4,
};

/* RFC 8200 4: extension headers walked to find the transport header */
enum {
	IP6_HOPOPTS = 0,
	IP6_ROUTING = 43,
	IP6_FRAGMENT = 44,
	IP6_AH = 51,
	IP6_DSTOPTS = 60,
};
#define IP6_EXT_MAX 8 /* extension headers followed in an embedded packet */

enum { PROTO_TCP = 6, PROTO_UDP = 17 };

#define IP4_HEADER_MIN 20
#define IP6_HEADER_LEN 40
#define IP4_FLAG_DF 0x4000u
#define IP4_FRAG_OFFSET_MASK 0x1fffu

static const struct tok icmp4_unreach_names[] = {
	{0, "network unreachable"},
	{1, "host unreachable"},
	{2, "protocol unreachable"},
	{3, "port unreachable"},
	{4, "fragmentation needed"},
	{5, "source route failed"},
	{6, "destination network unknown"},
	{7, "destination host unknown"},
	{8, "source host isolated"},
	{9, "network administratively prohibited"},
	{10, "host administratively prohibited"},
	{11, "network unreachable for TOS"},
	{12, "host unreachable for TOS"},
	{13, "communication administratively prohibited"},
	{14, "host precedence violation"},
	{15, "precedence cutoff in effect"},
	{0, NULL},
};
_Static_assert(sizeof icmp4_unreach_names / sizeof icmp4_unreach_names[0] == 16 + 1,
	       "icmp4_unreach_names covers codes 0..15");

static const struct tok icmp6_unreach_names[] = {
	{0, "no route to destination"},
	{1, "communication administratively prohibited"},
	{2, "beyond scope of source address"},
	{3, "address unreachable"},
	{4, "port unreachable"},
	{5, "source address failed ingress/egress policy"},
	{6, "reject route to destination"},
	{7, "error in source routing header"},
	{0, NULL},
};
_Static_assert(sizeof icmp6_unreach_names / sizeof icmp6_unreach_names[0] == 8 + 1,
	       "icmp6_unreach_names covers codes 0..7");

static const struct tok icmp4_time_names[] = {
	{0, "TTL exceeded in transit"},
	{1, "fragment reassembly time exceeded"},
	{0, NULL},
};

static const struct tok icmp6_time_names[] = {
	{0, "hop limit exceeded in transit"},
	{1, "fragment reassembly time exceeded"},
	{0, NULL},
};

static const struct tok icmp4_type_names[] = {
	{ICMP4_SOURCE_QUENCH, "source quench"},
	{ICMP4_REDIRECT, "redirect"},
	{ICMP4_PARAM_PROBLEM, "parameter problem"},
	{0, NULL},
};

static const struct tok icmp6_type_names[] = {
	{ICMP6_PARAM_PROBLEM, "parameter problem"},
	{0, NULL},
};

static const struct tok proto_names[] = {
	{PROTO_TCP, "TCP"},
	{PROTO_UDP, "UDP"},
	{1, "ICMP"},
	{58, "ICMPv6"},
	{0, NULL},
};

/* Reads the first 4 bytes of TCP or UDP: source and destination port. */
static enum dec_status transport_ports(struct cur *c, struct icmp_note *n)
{
	if (n->inner_proto != PROTO_TCP && n->inner_proto != PROTO_UDP)
		return DEC_OK;
	uint16_t sport = cur_be16(c);
	uint16_t dport = cur_be16(c);
	if (c->err)
		return DEC_TRUNCATED;
	n->inner_sport = sport;
	n->inner_dport = dport;
	return DEC_OK;
}

/*
 * RFC 791 3.1 (the embedded header):
 *
 *    0       1       2       3
 *   +---+---+-------+-------+-------+
 *   |V|IHL| TOS   | Total Length  |   V = 4, IHL >= 5 (32-bit words)
 *   +-------+-------+-------+-------+
 *   | Identification|Flg|FragOffset |   Flg 0x4000 = DF
 *   +-------+-------+-------+-------+
 *   |  TTL  | Proto |   Checksum    |
 *   +-------+-------+-------+-------+
 *   |        Source Address         |
 *   |      Destination Address      |
 *   |   Options (IHL*4 - 20 bytes)  |
 *   +-------------------------------+
 *   then the first bytes of the transport header (RFC 792: at least 8)
 */
static enum dec_status inner_ip4(struct cur *c, struct icmp_note *n)
{
	uint8_t vihl = cur_u8(c);
	if (c->err)
		return DEC_TRUNCATED;
	if (vihl >> 4 != 4)
		return DEC_INVALID;
	size_t ihl = (size_t)(vihl & 0x0fu) * 4;
	if (ihl < IP4_HEADER_MIN)
		return DEC_INVALID;
	(void)cur_u8(c); /* TOS */
	uint16_t total = cur_be16(c);
	(void)cur_be16(c); /* identification */
	uint16_t frag = cur_be16(c);
	(void)cur_u8(c); /* TTL */
	uint8_t proto = cur_u8(c);
	(void)cur_be16(c); /* checksum */
	uint8_t src[4], dst[4];
	cur_copy(c, src, sizeof src);
	cur_copy(c, dst, sizeof dst);
	if (c->err)
		return DEC_TRUNCATED;
	n->inner_len = total;
	n->inner_df = !!(frag & IP4_FLAG_DF);
	n->inner_proto = proto;
	memcpy(n->inner_src, src, sizeof src);
	memcpy(n->inner_dst, dst, sizeof dst);
	cur_skip(c, ihl - IP4_HEADER_MIN); /* options */
	if (c->err)
		return DEC_TRUNCATED;
	if (frag & IP4_FRAG_OFFSET_MASK)
		return DEC_OK; /* a later fragment: no transport header here */
	return transport_ports(c, n);
}

/*
 * RFC 8200 3 and 4 (the embedded header):
 *
 *   | V=6 | TC | Flow label (4) | Payload Length (2) | Next Hdr | Hop Limit |
 *   | Source Address (16) | Destination Address (16) |
 *   extension headers, each: Next Hdr (1) | Hdr Ext Len (1) | ...
 *     Hop-by-Hop, Routing, Destination: (Hdr Ext Len + 1) * 8 bytes
 *     Fragment: 8 bytes; a non-zero offset means no transport header
 *     AH (RFC 4302): (Payload Len + 2) * 4 bytes
 *   then the first bytes of the transport header
 *
 * Up to IP6_EXT_MAX extension headers are followed; past that
 * DEC_UNSUPPORTED with the addresses kept.
 */
static enum dec_status inner_ip6(struct cur *c, struct icmp_note *n)
{
	uint8_t v = cur_u8(c);
	if (c->err)
		return DEC_TRUNCATED;
	if (v >> 4 != 6)
		return DEC_INVALID;
	cur_skip(c, 3); /* traffic class, flow label */
	uint16_t plen = cur_be16(c);
	uint8_t next = cur_u8(c);
	(void)cur_u8(c); /* hop limit */
	uint8_t src[16], dst[16];
	cur_copy(c, src, sizeof src);
	cur_copy(c, dst, sizeof dst);
	if (c->err)
		return DEC_TRUNCATED;
	n->inner_len = (uint32_t)plen + IP6_HEADER_LEN;
	n->inner_proto = next;
	memcpy(n->inner_src, src, sizeof src);
	memcpy(n->inner_dst, dst, sizeof dst);

	for (int i = 0;; i++) {
		size_t skip;
		uint8_t hdr = next;
		if (hdr != IP6_HOPOPTS && hdr != IP6_ROUTING && hdr != IP6_FRAGMENT &&
		    hdr != IP6_AH && hdr != IP6_DSTOPTS)
			break;
		if (i == IP6_EXT_MAX)
			return DEC_UNSUPPORTED;
		next = cur_u8(c);
		uint8_t hlen = cur_u8(c);
		if (hdr == IP6_FRAGMENT) {
			uint16_t off = cur_be16(c);
			cur_skip(c, 4); /* identification */
			if (c->err)
				return DEC_TRUNCATED;
			n->inner_proto = next;
			if (off & 0xfff8u)
				return DEC_OK; /* a later fragment */
			continue;
		}
		if (hdr == IP6_AH)
			skip = ((size_t)hlen + 2) * 4;
		else
			skip = ((size_t)hlen + 1) * 8;
		cur_skip(c, skip - 2);
		if (c->err)
			return DEC_TRUNCATED;
		n->inner_proto = next;
	}
	return transport_ports(c, n);
}

/*
 * RFC 792 / RFC 1191 / RFC 4443 error messages:
 *
 *   | Type | Code | Checksum (2) | 4 bytes: unused, or       | embedded packet ...
 *                                |   v4 3/4: unused(2) next-hop MTU(2)
 *                                |   v6 2:   MTU(4)
 *                                |   v4 12, v6 4: pointer
 */
enum dec_status icmp_parse(struct cur *c, int v6, struct icmp_note *n)
{
	uint64_t frame = n->frame;
	uint8_t reporter[16];
	memcpy(reporter, n->reporter, sizeof reporter);
	memset(n, 0, sizeof *n);
	n->frame = frame;
	memcpy(n->reporter, reporter, sizeof reporter);
	n->v6 = !!v6;

	n->type = cur_u8(c);
	n->code = cur_u8(c);
	(void)cur_be16(c); /* checksum */
	if (c->err)
		return DEC_TRUNCATED;

	if (!v6) {
		switch (n->type) {
		case ICMP4_UNREACH:
			n->kind = n->code == ICMP4_UNREACH_NEEDFRAG ? ICMPK_FRAG_NEEDED
								     : ICMPK_UNREACH;
			break;
		case ICMP4_TIME_EXCEEDED:
			n->kind = ICMPK_TIME_EXCEEDED;
			break;
		case ICMP4_SOURCE_QUENCH:
		case ICMP4_REDIRECT:
		case ICMP4_PARAM_PROBLEM:
			n->kind = ICMPK_OTHER;
			break;
		default:
			return DEC_UNSUPPORTED; /* echo, timestamp, ... */
		}
		(void)cur_be16(c); /* unused, or the redirect gateway's first half */
		uint16_t mtu = cur_be16(c);
		if (c->err)
			return DEC_TRUNCATED;
		if (n->kind == ICMPK_FRAG_NEEDED)
			n->mtu = mtu; /* 0 from pre-RFC 1191 routers */
		return inner_ip4(c, n);
	}

	switch (n->type) {
	case ICMP6_UNREACH:
		n->kind = ICMPK_UNREACH;
		break;
	case ICMP6_PACKET_TOO_BIG:
		n->kind = ICMPK_FRAG_NEEDED;
		break;
	case ICMP6_TIME_EXCEEDED:
		n->kind = ICMPK_TIME_EXCEEDED;
		break;
	case ICMP6_PARAM_PROBLEM:
		n->kind = ICMPK_OTHER;
		break;
	default:
		return DEC_UNSUPPORTED; /* echo, neighbour discovery, ... */
	}
	uint32_t word = cur_be32(c);
	if (c->err)
		return DEC_TRUNCATED;
	if (n->kind == ICMPK_FRAG_NEEDED)
		n->mtu = word;
	return inner_ip6(c, n);
}

/* Dotted quad. */
static void fmt_ip4(char *buf, size_t cap, const uint8_t a[4])
{
	(void)snprintf(buf, cap, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

/*
 * RFC 5952 4: lower-case hex without leading zeros, the longest run of
 * two or more zero groups (the first of equal runs) as "::"; RFC 5952 5:
 * IPv4-mapped addresses end in a dotted quad.
 */
static void fmt_ip6(char *buf, size_t cap, const uint8_t a[16])
{
	unsigned g[8];
	int best = -1, best_len = 0;
	size_t n = 0;

	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && g[j] == 0)
			j++;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
		i = j > i ? j : i + 1;
	}
	if (best_len < 2)
		best = -1;

	int mapped = g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 &&
		     g[5] == 0xffff;
	int groups = mapped ? 6 : 8;
	if (cap)
		buf[0] = '\0';
	for (int i = 0; i < groups; i++) {
		int w;
		if (i == best) {
			w = snprintf(buf + n, cap - n, "::");
			i += best_len - 1;
		} else {
			int sep = i > 0 && i != best + best_len;
			w = snprintf(buf + n, cap - n, "%s%x", sep ? ":" : "", g[i]);
		}
		if (w < 0 || (size_t)w >= cap - n)
			return;
		n += (size_t)w;
	}
	if (mapped) {
		int sep = best + best_len != 6;
		(void)snprintf(buf + n, cap - n, "%s%u.%u.%u.%u", sep ? ":" : "",
			       a[12], a[13], a[14], a[15]);
	}
}

/* "10.0.0.1:50000" or "[2001:db8::1]:50000"; no port when with_port is 0. */
static void fmt_endpoint(char *buf, size_t cap, int v6, const uint8_t a[16],
			 uint16_t port, int with_port)
{
	char ip[48];
	if (v6)
		fmt_ip6(ip, sizeof ip, a);
	else
		fmt_ip4(ip, sizeof ip, a);
	if (!with_port)
		(void)snprintf(buf, cap, "%s", ip);
	else if (v6)
		(void)snprintf(buf, cap, "[%s]:%u", ip, port);
	else
		(void)snprintf(buf, cap, "%s:%u", ip, port);
}

/* "fragmentation needed (next-hop MTU 1200)", "port unreachable", ... */
static void fmt_what(char *buf, size_t cap, const struct icmp_note *n)
{
	const char *name = NULL;
	switch (n->kind) {
	case ICMPK_FRAG_NEEDED:
		if (n->v6)
			(void)snprintf(buf, cap, "packet too big (MTU %u)", (unsigned)n->mtu);
		else
			(void)snprintf(buf, cap, "fragmentation needed (next-hop MTU %u)",
				       (unsigned)n->mtu);
		return;
	case ICMPK_UNREACH:
		name = tok_name(n->v6 ? icmp6_unreach_names : icmp4_unreach_names, n->code);
		if (name)
			(void)snprintf(buf, cap, "%s", name);
		else
			(void)snprintf(buf, cap, "destination unreachable (code %u)", n->code);
		return;
	case ICMPK_TIME_EXCEEDED:
		name = tok_name(n->v6 ? icmp6_time_names : icmp4_time_names, n->code);
		if (name)
			(void)snprintf(buf, cap, "time exceeded (%s)", name);
		else
			(void)snprintf(buf, cap, "time exceeded (code %u)", n->code);
		return;
	case ICMPK_OTHER:
		break;
	}
	name = tok_name(n->v6 ? icmp6_type_names : icmp4_type_names, n->type);
	if (name)
		(void)snprintf(buf, cap, "%s (code %u)", name, n->code);
	else
		(void)snprintf(buf, cap, "type %u code %u", n->type, n->code);
}

/*
 * "ICMP fragmentation needed (next-hop MTU 1200) for TCP 10.0.0.1:50000 > 10.0.0.2:3389"
 * "ICMPv6 packet too big (MTU 1280) for UDP [2001:db8::1]:50000 > [2001:db8::2]:3389"
 * The inner protocol's ports are shown for TCP and UDP when they were read.
 */
const char *icmp_describe(const struct icmp_note *n, char *buf, size_t cap)
{
	char what[96], src[64], dst[64], proto[24];
	if (!cap)
		return buf;
	fmt_what(what, sizeof what, n);
	int ports = (n->inner_proto == PROTO_TCP || n->inner_proto == PROTO_UDP) &&
		    (n->inner_sport || n->inner_dport);
	fmt_endpoint(src, sizeof src, n->v6, n->inner_src, n->inner_sport, ports);
	fmt_endpoint(dst, sizeof dst, n->v6, n->inner_dst, n->inner_dport, ports);
	const char *pn = tok_name(proto_names, n->inner_proto);
	if (pn)
		(void)snprintf(proto, sizeof proto, "%s", pn);
	else
		(void)snprintf(proto, sizeof proto, "protocol %u", n->inner_proto);
	(void)snprintf(buf, cap, "ICMP%s %s for %s %s > %s", n->v6 ? "v6" : "", what,
		       proto, src, dst);
	return buf;
}

/*
 * ip.c - IPv4 (RFC 791) and IPv6 (RFC 8200) headers, then the TCP
 * (RFC 9293) or UDP (RFC 768) header.  ICMP messages are left in l4 for
 * icmp.c.  Fragments are noted, not reassembled: RDP handshakes do not
 * fragment at the IP layer, and a fragment is itself a finding.
 */
#include <stdio.h>
#include <string.h>

#include "cursor.h"
#include "packet.h"

#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ICMP_ 1
#define IPPROTO_ICMPV6_ 58

/*
 * TCP header (RFC 9293 3.1):
 *   sport(2) dport(2) seq(4) ack(4) off/flags(2) window(2) csum(2) urg(2)
 *   options (data offset * 4 - 20 bytes)
 */
static enum pkt_status tcp(struct cur *c, struct pkt *p, uint32_t l4_wire)
{
	const uint8_t *start = c->p;
	p->sport = cur_be16(c);
	p->dport = cur_be16(c);
	p->seq = cur_be32(c);
	p->ack = cur_be32(c);
	uint8_t off = cur_u8(c) >> 4;
	p->tcp_flags = cur_u8(c) & 0x3F;
	p->window = cur_be16(c);
	cur_skip(c, 4);
	if (c->err) /* c ends at the IP length: if that leaves no room, it is wrong, not cut */
		return l4_wire < 20 ? PKT_INVALID : PKT_TRUNCATED;
	if (off < 5 || (uint32_t)off * 4 > l4_wire)
		return PKT_INVALID;
	p->wscale = -1;
	int cut = 0;
	struct cur o = cur_sub(c, (size_t)off * 4 - 20, &cut);
	while (cur_left(&o)) {
		uint8_t kind = cur_u8(&o);
		if (kind == 0)
			break;
		if (kind == 1)
			continue;
		uint8_t len = cur_u8(&o);
		if (o.err || len < 2)
			break;
		struct cur v = cur_sub(&o, len - 2u, NULL);
		if (kind == 2 && len == 4)
			p->mss = cur_be16(&v);
		else if (kind == 3 && len == 3)
			p->wscale = cur_u8(&v);
		else if (kind == 4 && len == 2)
			p->sack_ok = 1;
	}
	if (cut)
		return PKT_TRUNCATED;
	p->payload = c->p;
	p->payload_len = cur_left(c);
	p->payload_wire = l4_wire - (uint32_t)(c->p - start);
	if (p->payload_len > p->payload_wire)
		p->payload_len = p->payload_wire; /* Ethernet padding */
	return PKT_OK;
}

/* UDP header: sport(2) dport(2) length(2) checksum(2). */
static enum pkt_status udp(struct cur *c, struct pkt *p, uint32_t l4_wire)
{
	p->sport = cur_be16(c);
	p->dport = cur_be16(c);
	uint16_t len = cur_be16(c);
	cur_skip(c, 2);
	if (c->err)
		return l4_wire < 8 ? PKT_INVALID : PKT_TRUNCATED;
	/* IPv6 jumbograms carry length 0; otherwise trust the smaller one. */
	uint32_t wire = l4_wire;
	if (len >= 8 && len < wire)
		wire = len;
	else if (len < 8 && len != 0)
		return PKT_INVALID;
	p->payload = c->p;
	p->payload_wire = wire - 8;
	p->payload_len = cur_left(c);
	if (p->payload_len > p->payload_wire)
		p->payload_len = p->payload_wire;
	return PKT_OK;
}

static enum pkt_status transport(struct cur *c, struct pkt *p, uint32_t l4_wire)
{
	/* Bound the transport to the IP-declared length (Ethernet pads). */
	struct cur l4 = cur_sub(c, l4_wire, NULL);
	p->l4 = l4.p;
	p->l4_len = cur_left(&l4);
	switch (p->proto) {
	case IPPROTO_TCP_:
		return tcp(&l4, p, l4_wire);
	case IPPROTO_UDP_:
		return udp(&l4, p, l4_wire);
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_:
		return PKT_OK;
	default:
		return PKT_OTHER_PROTO;
	}
}

/*
 * IPv4: ver/ihl(1) tos(1) total(2) id(2) flags/frag(2) ttl(1) proto(1)
 *       csum(2) src(4) dst(4) options((ihl-5)*4)
 */
static enum pkt_status ipv4(struct cur *c, struct pkt *p)
{
	uint8_t vihl = cur_u8(c);
	cur_skip(c, 1);
	uint16_t total = cur_be16(c);
	cur_skip(c, 2);
	uint16_t frag = cur_be16(c);
	p->ttl = cur_u8(c);
	p->proto = cur_u8(c);
	cur_skip(c, 2);
	cur_copy(c, p->src, 4);
	cur_copy(c, p->dst, 4);
	if (c->err)
		return PKT_TRUNCATED;
	unsigned hl = (vihl & 0x0F) * 4u;
	if (hl < 20 || total < hl)
		return PKT_INVALID;
	p->ipver = 4;
	p->ip_len = total;
	p->df = (frag & 0x4000) != 0;
	p->ip_options = hl > 20;
	cur_skip(c, hl - 20);
	if (c->err)
		return PKT_TRUNCATED;
	if (frag & 0x3FFF) {
		p->fragment = 1;
		if (frag & 0x1FFF)
			return PKT_FRAGMENT; /* no transport header here */
	}
	return transport(c, p, total - hl);
}

/*
 * IPv6: ver/tc/flow(4) payload(2) next(1) hlim(1) src(16) dst(16), then
 * a chain of extension headers (hop-by-hop 0, routing 43, fragment 44,
 * destination options 60, AH 51), each naming the next.
 */
static enum pkt_status ipv6(struct cur *c, struct pkt *p)
{
	cur_skip(c, 4);
	uint16_t plen = cur_be16(c);
	uint8_t next = cur_u8(c);
	p->ttl = cur_u8(c);
	cur_copy(c, p->src, 16);
	cur_copy(c, p->dst, 16);
	if (c->err)
		return PKT_TRUNCATED;
	p->ipver = 6;
	p->ip_len = 40u + plen;
	uint32_t left = plen;
	for (int n = 0;; n++) {
		if (next != 0 && next != 43 && next != 44 && next != 60 && next != 51)
			break;
		if (n == IPV6_EXT_MAX)
			return PKT_INVALID;
		p->ip_options = 1;
		uint8_t nh = cur_u8(c);
		uint8_t hlen = cur_u8(c);
		if (c->err)
			return PKT_TRUNCATED;
		uint32_t len = next == 44 ? 8u : next == 51 ? (hlen + 2u) * 4u : (hlen + 1u) * 8u;
		if (len > left)
			return PKT_INVALID;
		if (next == 44) {
			/* offset(13 bits) res(2) M(1), identification(4) */
			uint16_t off = cur_be16(c);
			cur_skip(c, 4);
			p->fragment = 1;
			if (off & 0xFFF8) {
				p->proto = nh;
				return c->err ? PKT_TRUNCATED : PKT_FRAGMENT;
			}
		} else {
			cur_skip(c, len - 2);
		}
		if (c->err)
			return PKT_TRUNCATED;
		left -= len;
		next = nh;
	}
	p->proto = next;
	return transport(c, p, left);
}

enum pkt_status ip_decode(struct cur *c, struct pkt *p)
{
	if (!cur_need(c, 1))
		return PKT_TRUNCATED;
	switch (c->p[0] >> 4) {
	case 4:
		return ipv4(c, p);
	case 6:
		return ipv6(c, p);
	default:
		return PKT_INVALID;
	}
}

const char *addr_str(int ipver, const uint8_t *a, char *buf, size_t cap)
{
	if (ipver == 4) {
		snprintf(buf, cap, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
		return buf;
	}
	/* RFC 5952: longest run (>= 2) of zero groups becomes "::". */
	unsigned g[8];
	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	int best = -1, bestlen = 1;
	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && g[j] == 0)
			j++;
		if (j - i > bestlen) {
			best = i;
			bestlen = j - i;
		}
		i = j > i ? j : i + 1;
	}
	size_t o = 0;
	buf[0] = '\0';
	for (int i = 0; i < 8 && o < cap; i++) {
		int n;
		if (i == best) {
			n = snprintf(buf + o, cap - o, "::");
			i += bestlen - 1;
		} else {
			int sep = i > 0 && i != best + bestlen;
			n = snprintf(buf + o, cap - o, "%s%x", sep ? ":" : "", g[i]);
		}
		if (n < 0)
			break;
		o += (size_t)n;
	}
	return buf;
}

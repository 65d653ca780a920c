/*
 * link.c - link-layer headers down to the IP packet.
 *
 * Link types: Ethernet II with any stack of 802.1Q / 802.1ad / QinQ tags,
 * Linux cooked capture v1 and v2, raw IP, BSD loopback (NULL and LOOP).
 */
#include <pcap/dlt.h>

#include "cursor.h"
#include "packet.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86DD
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88A8
#define ETHERTYPE_QINQ_OLD 0x9100

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

static const char *const status_names[] = {
	[PKT_OK] = "ok",
	[PKT_NOT_IP] = "not IP",
	[PKT_TRUNCATED] = "truncated",
	[PKT_INVALID] = "invalid",
	[PKT_FRAGMENT] = "IP fragment",
	[PKT_OTHER_PROTO] = "other IP protocol",
};
_Static_assert(sizeof status_names / sizeof status_names[0] == PKT_STATUS_COUNT,
	       "status_names covers enum pkt_status");

const char *pkt_status_name(enum pkt_status s)
{
	return (unsigned)s < PKT_STATUS_COUNT ? status_names[s] : "unknown";
}

int pkt_dlt_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW: /* libpcap maps LINKTYPE_RAW (101) to it */
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
		return 1;
	default:
		return 0;
	}
}

/* After the ethertype: IP, or not ours. */
static enum pkt_status by_ethertype(uint16_t et, struct cur *c, struct pkt *p)
{
	if (et == ETHERTYPE_IPV4 || et == ETHERTYPE_IPV6)
		return ip_decode(c, p);
	return PKT_NOT_IP;
}

/*
 * Ethernet II: dst(6) src(6) type(2), where type may be a VLAN tag
 * (TPID 0x8100 / 0x88A8 / 0x9100) followed by TCI(2) and the next type.
 */
static enum pkt_status ethernet(struct cur *c, struct pkt *p)
{
	cur_skip(c, 12);
	uint16_t et = cur_be16(c);
	int tags = 0;
	while (!c->err && (et == ETHERTYPE_VLAN || et == ETHERTYPE_QINQ ||
			   et == ETHERTYPE_QINQ_OLD)) {
		if (tags == VLAN_MAX)
			return PKT_INVALID; /* deeper than any real network */
		p->vlan[tags++] = cur_be16(c) & 0x0FFF;
		et = cur_be16(c);
	}
	p->nvlan = tags;
	if (c->err)
		return PKT_TRUNCATED;
	return by_ethertype(et, c, p);
}

/* Linux cooked v1: type(2) arphrd(2) addrlen(2) addr(8) protocol(2). */
static enum pkt_status sll(struct cur *c, struct pkt *p)
{
	cur_skip(c, 14);
	uint16_t et = cur_be16(c);
	if (c->err)
		return PKT_TRUNCATED;
	return by_ethertype(et, c, p);
}

/* Linux cooked v2: protocol(2) reserved(2) ifindex(4) arphrd(2) type(1) addrlen(1) addr(8). */
static enum pkt_status sll2(struct cur *c, struct pkt *p)
{
	uint16_t et = cur_be16(c);
	cur_skip(c, 18);
	if (c->err)
		return PKT_TRUNCATED;
	return by_ethertype(et, c, p);
}

/*
 * BSD loopback: a 4-byte address family, in the capturing host's byte
 * order for DLT_NULL (so try both), network order for DLT_LOOP.  AF_INET
 * is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD, OpenBSD), 28
 * (FreeBSD), 30 (macOS), 23 (Windows).
 */
static enum pkt_status null_loop(struct cur *c, struct pkt *p, int network_order)
{
	const uint8_t *b = cur_bytes(c, 4);
	if (!b)
		return PKT_TRUNCATED;
	uint32_t be = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	uint32_t le = (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
	uint32_t af = network_order ? be : (be < 256 ? be : le);
	switch (af) {
	case 2:
	case 10:
	case 23:
	case 24:
	case 28:
	case 30:
		return ip_decode(c, p);
	default:
		return PKT_NOT_IP;
	}
}

enum pkt_status pkt_decode(int dlt, const uint8_t *data, struct pkt *p)
{
	struct cur c = cur_make(data, p->caplen);

	switch (dlt) {
	case DLT_EN10MB:
		return ethernet(&c, p);
	case DLT_LINUX_SLL:
		return sll(&c, p);
	case DLT_LINUX_SLL2:
		return sll2(&c, p);
	case DLT_NULL:
		return null_loop(&c, p, 0);
	case DLT_LOOP:
		return null_loop(&c, p, 1);
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return ip_decode(&c, p);
	default:
		return PKT_NOT_IP;
	}
}

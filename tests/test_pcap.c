/*
 * test_pcap.c - frames built by hand for every link type pkt_decode takes
 * (Ethernet with VLAN stacks, Linux cooked v1 / v2, raw IP, BSD loopback),
 * IPv4 / IPv6 headers and their options, TCP / UDP headers, truncation at
 * every byte, and RFC 5952 addresses.
 *
 * Then the project's real capture, re-encapsulated: every frame of
 * fixtures/xrdp-tls-loopback.pcap rewritten into temporary captures of
 * each link type (and once as IPv6) must yield the same connection facts.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze.h"
#include "packet.h"
#include "tests.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

struct buf {
	uint8_t b[4096];
	size_t n;
};

static void put8(struct buf *b, unsigned v)
{
	b->b[b->n++] = (uint8_t)v;
}

static void put16(struct buf *b, unsigned v)
{
	put8(b, v >> 8 & 0xff);
	put8(b, v & 0xff);
}

static void put32(struct buf *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b, v & 0xffff);
}

static void putn(struct buf *b, const void *p, size_t n)
{
	if (!n)
		return;
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void putfill(struct buf *b, unsigned v, size_t n)
{
	memset(b->b + b->n, (int)v, n);
	b->n += n;
}

/* ---- layers, innermost first ------------------------------------------- */

static const uint8_t v4src[4] = {192, 0, 2, 10};
static const uint8_t v4dst[4] = {198, 51, 100, 20};
static const uint8_t v6src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a};
static const uint8_t v6dst[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};

/* TCP header with `optlen` bytes of options (a multiple of 4), then `plen` payload bytes. */
static void tcp_seg(struct buf *b, uint8_t flags, const uint8_t *opts, size_t optlen, size_t plen)
{
	b->n = 0;
	put16(b, 50123);
	put16(b, 3389);
	put32(b, 0x89ABCDEFu);
	put32(b, 0xFEDCBA98u);
	put8(b, (unsigned)((20 + optlen) / 4) << 4);
	put8(b, flags);
	put16(b, 0xFAF0);
	put16(b, 0x1234); /* checksum: not checked */
	put16(b, 0);
	putn(b, opts, optlen);
	for (size_t i = 0; i < plen; i++)
		put8(b, 0xA0 + (unsigned)i);
}

static void udp_dgram(struct buf *b, unsigned len_field, size_t plen)
{
	b->n = 0;
	put16(b, 53001);
	put16(b, 3389);
	put16(b, len_field);
	put16(b, 0);
	for (size_t i = 0; i < plen; i++)
		put8(b, 0x50 + (unsigned)i);
}

/* IPv4 header of `ihl` words (options are NOPs) around `l4`. */
static void ip4(struct buf *b, unsigned proto, unsigned ihl, unsigned frag, const struct buf *l4)
{
	b->n = 0;
	put8(b, 0x40 | (ihl & 0x0f));
	put8(b, 0);
	put16(b, (unsigned)(ihl * 4 + l4->n));
	put16(b, 0x4242);
	put16(b, frag);
	put8(b, 61);
	put8(b, proto);
	put16(b, 0);
	putn(b, v4src, 4);
	putn(b, v4dst, 4);
	if (ihl > 5)
		putfill(b, 1, (ihl - 5) * 4);
	putn(b, l4->b, l4->n);
}

/* IPv6 header around extension headers `ext` (already chained) and `l4`. */
static void ip6(struct buf *b, unsigned next, const struct buf *ext, const struct buf *l4)
{
	b->n = 0;
	put32(b, 0x60012345u);
	put16(b, (unsigned)(ext->n + l4->n));
	put8(b, next);
	put8(b, 64);
	putn(b, v6src, 16);
	putn(b, v6dst, 16);
	putn(b, ext->b, ext->n);
	putn(b, l4->b, l4->n);
}

/* An extension header of type hop-by-hop / routing / dest-options: 8 * (len + 1) bytes. */
static void ext_opt(struct buf *e, unsigned next, unsigned len8)
{
	put8(e, next);
	put8(e, len8);
	putfill(e, 0, 6 + 8 * len8);
}

static void ext_frag(struct buf *e, unsigned next, unsigned offset8, int more)
{
	put8(e, next);
	put8(e, 0);
	put16(e, offset8 << 3 | (more ? 1u : 0u));
	put32(e, 0xC0FFEE);
}

static const uint8_t mac12[12] = {0, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0x66, 0x77, 0x88, 0x99, 0xaa};

static void eth(struct buf *f, const uint16_t *tpid, const uint16_t *tci, int ntags, unsigned et,
		const struct buf *ip)
{
	f->n = 0;
	putn(f, mac12, 12);
	for (int i = 0; i < ntags; i++) {
		put16(f, tpid[i]);
		put16(f, tci[i]);
	}
	put16(f, et);
	putn(f, ip->b, ip->n);
}

static void sll(struct buf *f, unsigned et, const struct buf *ip)
{
	f->n = 0;
	put16(f, 0);   /* packet type: to us */
	put16(f, 1);   /* ARPHRD_ETHER */
	put16(f, 6);
	putn(f, mac12, 6);
	put16(f, 0);
	put16(f, et);
	putn(f, ip->b, ip->n);
}

static void sll2(struct buf *f, unsigned et, const struct buf *ip)
{
	f->n = 0;
	put16(f, et);
	put16(f, 0);
	put32(f, 3);  /* ifindex */
	put16(f, 1);  /* ARPHRD_ETHER */
	put8(f, 4);   /* outgoing */
	put8(f, 6);
	putn(f, mac12, 6);
	put16(f, 0);
	putn(f, ip->b, ip->n);
}

static void null_hdr(struct buf *f, uint32_t af, int big_endian, const struct buf *ip)
{
	f->n = 0;
	if (big_endian) {
		put32(f, af);
	} else {
		put8(f, af & 0xff);
		put8(f, af >> 8 & 0xff);
		put8(f, af >> 16 & 0xff);
		put8(f, af >> 24);
	}
	putn(f, ip->b, ip->n);
}

/* ---- decoding on an exact-size heap copy ------------------------------- */

static uint8_t *held; /* the frame the last decode ran on (payload points into it) */

static void release(void)
{
	free(held);
	held = NULL;
}

static enum pkt_status dec_n(int dlt, const struct buf *f, size_t n, struct pkt *p)
{
	release();
	held = malloc(n ? n : 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(held);
	memcpy(held, f->b, n);
	memset(p, 0, sizeof *p);
	p->caplen = (uint32_t)n;
	p->wirelen = (uint32_t)f->n;
	return pkt_decode(dlt, held, p);
}

static enum pkt_status dec(int dlt, const struct buf *f, struct pkt *p)
{
	return dec_n(dlt, f, f->n, p);
}

/* The plain TCP segment of most tests: 20-byte header, 6 payload bytes. */
static void std_tcp(struct buf *l4)
{
	tcp_seg(l4, TCP_ACK | TCP_PSH, NULL, 0, 6);
}

static void assert_std_tcp(const struct pkt *p, size_t l4_off)
{
	CU_ASSERT_EQUAL(p->proto, 6);
	CU_ASSERT_EQUAL(p->sport, 50123);
	CU_ASSERT_EQUAL(p->dport, 3389);
	CU_ASSERT_EQUAL(p->seq, 0x89ABCDEFu);
	CU_ASSERT_EQUAL(p->ack, 0xFEDCBA98u);
	CU_ASSERT_EQUAL(p->tcp_flags, TCP_ACK | TCP_PSH);
	CU_ASSERT_EQUAL(p->window, 0xFAF0);
	CU_ASSERT_EQUAL(p->mss, 0);
	CU_ASSERT_EQUAL(p->wscale, -1);
	CU_ASSERT_EQUAL(p->sack_ok, 0);
	CU_ASSERT_PTR_EQUAL(p->l4, held + l4_off);
	CU_ASSERT_EQUAL(p->l4_len, 26);
	CU_ASSERT_PTR_EQUAL(p->payload, held + l4_off + 20);
	CU_ASSERT_EQUAL(p->payload_len, 6);
	CU_ASSERT_EQUAL(p->payload_wire, 6);
	CU_ASSERT_FATAL(p->payload != NULL && p->payload_len == 6);
	CU_ASSERT_EQUAL(p->payload[0], 0xA0);
	CU_ASSERT_EQUAL(p->payload[5], 0xA5);
}

static void assert_v4(const struct pkt *p, unsigned ip_len)
{
	CU_ASSERT_EQUAL(p->ipver, 4);
	CU_ASSERT_EQUAL(memcmp(p->src, v4src, 4), 0);
	CU_ASSERT_EQUAL(memcmp(p->dst, v4dst, 4), 0);
	CU_ASSERT_EQUAL(p->ttl, 61);
	CU_ASSERT_EQUAL(p->ip_len, ip_len);
}

static void assert_v6(const struct pkt *p, unsigned ip_len)
{
	CU_ASSERT_EQUAL(p->ipver, 6);
	CU_ASSERT_EQUAL(memcmp(p->src, v6src, 16), 0);
	CU_ASSERT_EQUAL(memcmp(p->dst, v6dst, 16), 0);
	CU_ASSERT_EQUAL(p->ttl, 64);
	CU_ASSERT_EQUAL(p->ip_len, ip_len);
}

/* ---- link layers ------------------------------------------------------- */

static void test_ethernet(void)
{
	struct buf l4, ip, f;
	struct pkt p;

	std_tcp(&l4);
	ip4(&ip, 6, 5, 0, &l4);
	eth(&f, NULL, NULL, 0, 0x0800, &ip);
	CU_ASSERT_EQUAL(f.n, 60);
	CU_ASSERT_EQUAL(dec(DLT_EN10MB, &f, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.nvlan, 0);
	assert_v4(&p, 46);
	CU_ASSERT_EQUAL(p.df, 0);
	CU_ASSERT_EQUAL(p.fragment, 0);
	CU_ASSERT_EQUAL(p.ip_options, 0);
	assert_std_tcp(&p, 34);

	/* Not IP: ARP, and an ethertype that is a length (802.3). */
	eth(&f, NULL, NULL, 0, 0x0806, &ip);
	CU_ASSERT_EQUAL(dec(DLT_EN10MB, &f, &p), PKT_NOT_IP);
	eth(&f, NULL, NULL, 0, 0x002E, &ip);
	CU_ASSERT_EQUAL(dec(DLT_EN10MB, &f, &p), PKT_NOT_IP);
	/* An IPv4 ethertype over an IPv6 packet: the version nibble decides. */
	struct buf none = {.n = 0};
	ip6(&ip, 6, &none, &l4);
	eth(&f, NULL, NULL, 0, 0x0800, &ip);
	CU_ASSERT_EQUAL(dec(DLT_EN10MB, &f, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.ipver, 6);
	release();
}

static void test_vlan(void)
{
	static const uint16_t one_tpid[] = {0x8100};
	static const uint16_t one_tci[] = {0xA064}; /* PCP 5, VID 100 */
	static const uint16_t qinq_tpid[] = {0x88A8, 0x8100};
	static const uint16_t qinq_tci[] = {100, 0x1000 | 200}; /* DEI set on the inner */
	static const uint16_t old_tpid[] = {0x9100, 0x8100};
	static const uint16_t old_tci[] = {0x0FFF, 1};
	uint16_t tpid[VLAN_MAX + 1], tci[VLAN_MAX + 1];
	struct buf l4, ip, f;
	struct pkt p;

	std_tcp(&l4);
	ip4(&ip, 6, 5, 0, &l4);

	eth(&f, one_tpid, one_tci, 1, 0x0800, &ip);
	CU_ASSERT_EQUAL(dec(DLT_EN10MB, &f, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.nvlan, 1);
	CU_ASSERT_EQUAL(p.vlan[0], 100);
	assert_std_tcp(&p, 38);

	eth(&f, qinq_tpid, qinq_tci, 2, 0x0800, &ip);
	CU_ASSERT_EQUAL(dec(DLT_EN10MB, &f, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.nvlan, 2);
	CU_ASSERT_EQUAL(p.vlan[0], 100);
	CU_ASSERT_EQUAL(p.vlan[1], 200);
	assert_std_tcp(&p, 42);

	eth(&f, old_tpid, old_tci, 2, 0x0800, &ip);
	CU_ASSERT_EQUAL(dec(DLT_EN10MB, &f, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.nvlan, 2);
	CU_ASSERT_EQUAL(p.vlan[0], 0x0FFF);
	CU_ASSERT_EQUAL(p.vlan[1], 1);

	/* VLAN_MAX tags are followed, one more is not a real network. */
	for (int i = 0; i <= VLAN_MAX; i++) {
		tpid[i] = i ? 0x8100 : 0x88A8;
		tci[i] = (uint16_t)(10 + i);
	}
	eth(&f, tpid, tci, VLAN_MAX, 0x0800, &ip);
	CU_ASSERT_EQUAL(dec(DLT_EN10MB, &f, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.nvlan, VLAN_MAX);
	CU_ASSERT_EQUAL(p.vlan[VLAN_MAX - 1], 10 + VLAN_MAX - 1);
	assert_std_tcp(&p, 14 + 4 * VLAN_MAX + 20);
	eth(&f, tpid, tci, VLAN_MAX + 1, 0x0800, &ip);
	CU_ASSERT_EQUAL(dec(DLT_EN10MB, &f, &p), PKT_INVALID);

	/* Tagged ARP is still not IP. */
	eth(&f, one_tpid, one_tci, 1, 0x0806, &ip);
	CU_ASSERT_EQUAL(dec(DLT_EN10MB, &f, &p), PKT_NOT_IP);
	CU_ASSERT_EQUAL(p.nvlan, 1);
	release();
}

static void test_cooked(void)
{
	struct buf l4, ip, f, none = {.n = 0};
	struct pkt p;

	std_tcp(&l4);
	ip4(&ip, 6, 5, 0, &l4);
	sll(&f, 0x0800, &ip);
	CU_ASSERT_EQUAL(dec(DLT_LINUX_SLL, &f, &p), PKT_OK);
	assert_v4(&p, 46);
	assert_std_tcp(&p, 16 + 20);
	sll2(&f, 0x0800, &ip);
	CU_ASSERT_EQUAL(dec(DLT_LINUX_SLL2, &f, &p), PKT_OK);
	assert_v4(&p, 46);
	assert_std_tcp(&p, 20 + 20);

	ip6(&ip, 6, &none, &l4);
	sll(&f, 0x86DD, &ip);
	CU_ASSERT_EQUAL(dec(DLT_LINUX_SLL, &f, &p), PKT_OK);
	assert_v6(&p, 66);
	assert_std_tcp(&p, 56);
	sll2(&f, 0x86DD, &ip);
	CU_ASSERT_EQUAL(dec(DLT_LINUX_SLL2, &f, &p), PKT_OK);
	assert_v6(&p, 66);
	assert_std_tcp(&p, 60);

	sll(&f, 0x0806, &ip);
	CU_ASSERT_EQUAL(dec(DLT_LINUX_SLL, &f, &p), PKT_NOT_IP);
	sll2(&f, 0x0806, &ip);
	CU_ASSERT_EQUAL(dec(DLT_LINUX_SLL2, &f, &p), PKT_NOT_IP);
	/* The cooked headers cut anywhere. */
	sll(&f, 0x0800, &ip);
	for (size_t n = 0; n < 16; n++)
		CU_ASSERT_EQUAL(dec_n(DLT_LINUX_SLL, &f, n, &p), PKT_TRUNCATED);
	sll2(&f, 0x0800, &ip);
	for (size_t n = 0; n < 20; n++)
		CU_ASSERT_EQUAL(dec_n(DLT_LINUX_SLL2, &f, n, &p), PKT_TRUNCATED);
	release();
}

static void test_raw(void)
{
	struct buf l4, ip, none = {.n = 0};
	struct pkt p;

	std_tcp(&l4);
	ip4(&ip, 6, 5, 0, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	assert_v4(&p, 46);
	assert_std_tcp(&p, 20);
	CU_ASSERT_EQUAL(dec(DLT_IPV4, &ip, &p), PKT_OK);
	assert_std_tcp(&p, 20);

	ip6(&ip, 6, &none, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	assert_v6(&p, 66);
	assert_std_tcp(&p, 40);
	CU_ASSERT_EQUAL(dec(DLT_IPV6, &ip, &p), PKT_OK);
	assert_std_tcp(&p, 40);

	/* IP versions other than 4 and 6; nothing at all. */
	ip.b[0] = 0x50;
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_INVALID);
	ip.b[0] = 0x00;
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_INVALID);
	CU_ASSERT_EQUAL(dec_n(DLT_RAW, &ip, 0, &p), PKT_TRUNCATED);
	CU_ASSERT_EQUAL(dec_n(DLT_IPV6, &ip, 0, &p), PKT_TRUNCATED);
	release();
}

static void test_null_loop(void)
{
	static const uint32_t v6_afs[] = {10, 23, 24, 28, 30};
	struct buf l4, ip4b, ip6b, f, none = {.n = 0};
	struct pkt p;

	std_tcp(&l4);
	ip4(&ip4b, 6, 5, 0, &l4);
	ip6(&ip6b, 6, &none, &l4);

	/* DLT_NULL: the capturing host's byte order, either one. */
	for (int be = 0; be < 2; be++) {
		null_hdr(&f, 2, be, &ip4b);
		CU_ASSERT_EQUAL(dec(DLT_NULL, &f, &p), PKT_OK);
		assert_v4(&p, 46);
		assert_std_tcp(&p, 4 + 20);
		for (size_t i = 0; i < sizeof v6_afs / sizeof v6_afs[0]; i++) {
			null_hdr(&f, v6_afs[i], be, &ip6b);
			CU_ASSERT_EQUAL(dec(DLT_NULL, &f, &p), PKT_OK);
			assert_v6(&p, 66);
			assert_std_tcp(&p, 4 + 40);
		}
		null_hdr(&f, 7, be, &ip4b); /* AF_NS, or anything else */
		CU_ASSERT_EQUAL(dec(DLT_NULL, &f, &p), PKT_NOT_IP);
		null_hdr(&f, 0, be, &ip4b);
		CU_ASSERT_EQUAL(dec(DLT_NULL, &f, &p), PKT_NOT_IP);
	}

	/* DLT_LOOP: network order only. */
	null_hdr(&f, 2, 1, &ip4b);
	CU_ASSERT_EQUAL(dec(DLT_LOOP, &f, &p), PKT_OK);
	assert_std_tcp(&p, 4 + 20);
	null_hdr(&f, 24, 1, &ip6b);
	CU_ASSERT_EQUAL(dec(DLT_LOOP, &f, &p), PKT_OK);
	assert_v6(&p, 66);
	null_hdr(&f, 2, 0, &ip4b);
	CU_ASSERT_EQUAL(dec(DLT_LOOP, &f, &p), PKT_NOT_IP);
	null_hdr(&f, 28, 0, &ip6b);
	CU_ASSERT_EQUAL(dec(DLT_LOOP, &f, &p), PKT_NOT_IP);

	for (size_t n = 0; n < 4; n++) {
		CU_ASSERT_EQUAL(dec_n(DLT_NULL, &f, n, &p), PKT_TRUNCATED);
		CU_ASSERT_EQUAL(dec_n(DLT_LOOP, &f, n, &p), PKT_TRUNCATED);
	}
	null_hdr(&f, 2, 1, &ip4b);
	CU_ASSERT_EQUAL(dec_n(DLT_LOOP, &f, 4, &p), PKT_TRUNCATED); /* the AF, no IP */
	release();
}

static void test_dlt_supported(void)
{
	static const int yes[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
				  DLT_IPV4,   DLT_IPV6,      DLT_NULL,       DLT_LOOP};
	static const int no[] = {DLT_IEEE802_11, DLT_IEEE802_11_RADIO, DLT_PPP, DLT_USB_LINUX, -1};
	struct buf l4, ip;
	struct pkt p;

	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		CU_ASSERT_EQUAL(pkt_dlt_supported(yes[i]), 1);
	std_tcp(&l4);
	ip4(&ip, 6, 5, 0, &l4);
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		CU_ASSERT_EQUAL(pkt_dlt_supported(no[i]), 0);
		CU_ASSERT_EQUAL(dec(no[i], &ip, &p), PKT_NOT_IP);
	}
	CU_ASSERT_STRING_EQUAL(pkt_status_name(PKT_OK), "ok");
	CU_ASSERT_STRING_EQUAL(pkt_status_name(PKT_NOT_IP), "not IP");
	CU_ASSERT_STRING_EQUAL(pkt_status_name(PKT_TRUNCATED), "truncated");
	CU_ASSERT_STRING_EQUAL(pkt_status_name(PKT_INVALID), "invalid");
	CU_ASSERT_STRING_EQUAL(pkt_status_name(PKT_FRAGMENT), "IP fragment");
	CU_ASSERT_STRING_EQUAL(pkt_status_name(PKT_OTHER_PROTO), "other IP protocol");
	CU_ASSERT_STRING_EQUAL(pkt_status_name(PKT_STATUS_COUNT), "unknown");
	release();
}

/* ---- IPv4 -------------------------------------------------------------- */

static void test_ipv4_options(void)
{
	struct buf l4, ip;
	struct pkt p;

	std_tcp(&l4);
	for (unsigned ihl = 5; ihl <= 15; ihl++) {
		ip4(&ip, 6, ihl, 0, &l4);
		CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
		CU_ASSERT_EQUAL(p.ip_options, ihl > 5);
		assert_v4(&p, ihl * 4 + 26);
		assert_std_tcp(&p, ihl * 4);
		/* The options cut by the capture. */
		CU_ASSERT_EQUAL(dec_n(DLT_RAW, &ip, ihl * 4 - 1, &p), PKT_TRUNCATED);
	}
	/* IHL below 5. */
	for (unsigned ihl = 0; ihl < 5; ihl++) {
		ip4(&ip, 6, 5, 0, &l4);
		ip.b[0] = (uint8_t)(0x40 | ihl);
		CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_INVALID);
	}
	/* Total length below the header length: by one, and 0. */
	ip4(&ip, 6, 5, 0, &l4);
	ip.b[2] = 0;
	ip.b[3] = 19;
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_INVALID);
	ip.b[3] = 0;
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_INVALID);
	ip4(&ip, 6, 6, 0, &l4);
	ip.b[2] = 0;
	ip.b[3] = 23;
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_INVALID);
	/* Total length leaving less than a TCP / UDP header: the bytes are wrong. */
	ip4(&ip, 6, 5, 0, &l4);
	ip.b[3] = 20 + 19;
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_INVALID);
	ip.b[3] = 20;
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_INVALID);
	ip.b[3] = 20 + 20;
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.payload_len, 0);
	CU_ASSERT_EQUAL(p.payload_wire, 0);
	struct buf u;
	udp_dgram(&u, 8 + 4, 4);
	ip4(&ip, 17, 5, 0, &u);
	ip.b[3] = 20 + 7;
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_INVALID);
	release();
}

static void test_ipv4_fragments(void)
{
	struct buf l4, ip;
	struct pkt p;

	std_tcp(&l4);
	/* DF only: not a fragment. */
	ip4(&ip, 6, 5, 0x4000, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.df, 1);
	CU_ASSERT_EQUAL(p.fragment, 0);
	assert_std_tcp(&p, 20);
	/* First fragment (MF, offset 0): the transport header is here. */
	ip4(&ip, 6, 5, 0x2000, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.df, 0);
	CU_ASSERT_EQUAL(p.fragment, 1);
	assert_std_tcp(&p, 20);
	/* Later fragments: offset 1 (8 bytes), with and without MF, max offset. */
	static const unsigned later[] = {0x0001, 0x2001, 0x00B9, 0x1000, 0x1FFF, 0x3FFF};
	for (size_t i = 0; i < sizeof later / sizeof later[0]; i++) {
		ip4(&ip, 6, 5, later[i], &l4);
		CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_FRAGMENT);
		CU_ASSERT_EQUAL(p.fragment, 1);
		CU_ASSERT_EQUAL(p.proto, 6);
		CU_ASSERT_EQUAL(p.sport, 0);
		CU_ASSERT_PTR_NULL(p.payload);
	}
	/* The reserved bit alone is no fragment. */
	ip4(&ip, 6, 5, 0x8000, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.fragment, 0);
	release();
}

static void test_other_protocols(void)
{
	struct buf l4, ip, none = {.n = 0};
	struct pkt p;
	static const uint8_t echo[8] = {8, 0, 0, 0, 0, 1, 0, 1};

	l4.n = 0;
	putn(&l4, echo, sizeof echo);
	ip4(&ip, 1, 5, 0, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.proto, 1);
	CU_ASSERT_PTR_EQUAL(p.l4, held + 20);
	CU_ASSERT_EQUAL(p.l4_len, 8);
	ip6(&ip, 58, &none, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.proto, 58);
	CU_ASSERT_EQUAL(p.l4_len, 8);
	ip4(&ip, 47, 5, 0, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OTHER_PROTO);
	CU_ASSERT_EQUAL(p.proto, 47);
	ip6(&ip, 59, &none, &l4); /* no next header */
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OTHER_PROTO);
	CU_ASSERT_EQUAL(p.proto, 59);
	release();
}

/* ---- IPv6 -------------------------------------------------------------- */

static void test_ipv6_chain(void)
{
	struct buf l4, ext, ip;
	struct pkt p;

	std_tcp(&l4);
	ext.n = 0;
	ext_opt(&ext, 43, 0); /* hop-by-hop, 8 bytes, next routing */
	ext_opt(&ext, 60, 2); /* routing, 24 bytes, next dest-options */
	ext_opt(&ext, 6, 1);  /* destination options, 16 bytes, next TCP */
	ip6(&ip, 0, &ext, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	assert_v6(&p, 40 + 48 + 26);
	CU_ASSERT_EQUAL(p.ip_options, 1);
	CU_ASSERT_EQUAL(p.fragment, 0);
	assert_std_tcp(&p, 40 + 48);

	/* AH: (len + 2) * 4 bytes. */
	ext.n = 0;
	put8(&ext, 6);
	put8(&ext, 4);
	putfill(&ext, 0, 22);
	ip6(&ip, 51, &ext, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	assert_std_tcp(&p, 40 + 24);

	/* An extension header longer than the payload length. */
	ext.n = 0;
	ext_opt(&ext, 6, 1);
	ip6(&ip, 60, &ext, &l4);
	ip.b[4] = 0;
	ip.b[5] = 15;
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_INVALID);
	/* Payload length leaving less than a TCP header after the chain. */
	ip.b[5] = 16 + 19;
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_INVALID);

	/* IPV6_EXT_MAX headers are followed, one more is not. */
	ext.n = 0;
	for (int i = 0; i < IPV6_EXT_MAX; i++)
		ext_opt(&ext, i == IPV6_EXT_MAX - 1 ? 6 : 60, 0);
	ip6(&ip, 60, &ext, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	assert_std_tcp(&p, 40 + 8 * IPV6_EXT_MAX);
	ext.n = 0;
	for (int i = 0; i < IPV6_EXT_MAX + 1; i++)
		ext_opt(&ext, i == IPV6_EXT_MAX ? 6 : 60, 0);
	ip6(&ip, 60, &ext, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_INVALID);
	release();
}

static void test_ipv6_fragment(void)
{
	struct buf l4, ext, ip;
	struct pkt p;

	std_tcp(&l4);
	/* Offset 0, more to come: the first fragment carries the TCP header. */
	ext.n = 0;
	ext_frag(&ext, 6, 0, 1);
	ip6(&ip, 44, &ext, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.fragment, 1);
	CU_ASSERT_EQUAL(p.ip_options, 1);
	assert_std_tcp(&p, 48);
	/* Non-zero offsets. */
	static const unsigned offs[] = {1, 185, 0x1FFF};
	for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
		for (int more = 0; more < 2; more++) {
			ext.n = 0;
			ext_frag(&ext, 6, offs[i], more);
			ip6(&ip, 44, &ext, &l4);
			CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_FRAGMENT);
			CU_ASSERT_EQUAL(p.fragment, 1);
			CU_ASSERT_EQUAL(p.proto, 6);
			CU_ASSERT_PTR_NULL(p.payload);
		}
	}
	/* Behind hop-by-hop. */
	ext.n = 0;
	ext_opt(&ext, 44, 0);
	ext_frag(&ext, 17, 3, 0);
	ip6(&ip, 0, &ext, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_FRAGMENT);
	CU_ASSERT_EQUAL(p.proto, 17);
	release();
}

/* ---- TCP and UDP ------------------------------------------------------- */

static void test_tcp_options(void)
{
	/* A Linux SYN: MSS, SACK-permitted, timestamps, NOP, window scale. */
	static const uint8_t syn[20] = {2, 4, 0x05, 0xB4, 4, 2, 8, 10, 1, 2, 3, 4,
					0, 0, 0, 0, 1, 3, 3, 7};
	/* NOPs, window scale, EOL, then bytes that must be ignored (an EOL
	 * read as a 2-byte option would make "4, 2" SACK-permitted). */
	static const uint8_t eol[12] = {1, 1, 3, 3, 14, 0, 2, 4, 2, 2, 4, 0};
	/* Options with a bad length byte: parsing stops there. */
	static const uint8_t badlen[8] = {3, 3, 2, 2, 1, 2, 4, 0x99};
	/* An MSS option running past the option space. */
	static const uint8_t overrun[4] = {1, 1, 2, 4};
	struct buf l4, ip;
	struct pkt p;

	tcp_seg(&l4, TCP_SYN, syn, sizeof syn, 0);
	ip4(&ip, 6, 5, 0x4000, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.tcp_flags, TCP_SYN);
	CU_ASSERT_EQUAL(p.mss, 1460);
	CU_ASSERT_EQUAL(p.sack_ok, 1);
	CU_ASSERT_EQUAL(p.wscale, 7);
	CU_ASSERT_EQUAL(p.payload_len, 0);
	CU_ASSERT_EQUAL(p.payload_wire, 0);
	CU_ASSERT_PTR_EQUAL(p.payload, held + 20 + 40);

	tcp_seg(&l4, TCP_SYN | TCP_ACK, eol, sizeof eol, 3);
	ip4(&ip, 6, 5, 0, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.wscale, 14);
	CU_ASSERT_EQUAL(p.mss, 0);
	CU_ASSERT_EQUAL(p.sack_ok, 0);
	CU_ASSERT_EQUAL(p.payload_len, 3);
	CU_ASSERT_PTR_EQUAL(p.payload, held + 20 + 32);

	tcp_seg(&l4, TCP_SYN, badlen, sizeof badlen, 0);
	ip4(&ip, 6, 5, 0, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.wscale, 2);
	CU_ASSERT_EQUAL(p.sack_ok, 0);
	CU_ASSERT_EQUAL(p.mss, 0);

	tcp_seg(&l4, TCP_SYN, overrun, sizeof overrun, 0);
	ip4(&ip, 6, 5, 0, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.mss, 0);

	/* All six flag bits, and the two ECN bits that are not kept. */
	tcp_seg(&l4, 0xFF, NULL, 0, 0);
	ip4(&ip, 6, 5, 0, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.tcp_flags, 0x3F);
	release();
}

static void test_tcp_data_offset(void)
{
	struct buf l4, ip;
	struct pkt p;

	std_tcp(&l4);
	for (unsigned off = 0; off < 5; off++) {
		ip4(&ip, 6, 5, 0, &l4);
		ip.b[20 + 12] = (uint8_t)(off << 4);
		CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_INVALID);
	}
	/* 26 bytes of segment: offset 6 (24 bytes) fits, offset 7 (28) does not. */
	ip4(&ip, 6, 5, 0, &l4);
	ip.b[20 + 12] = 6 << 4;
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.payload_len, 2);
	CU_ASSERT_EQUAL(p.payload_wire, 2);
	ip.b[20 + 12] = 7 << 4;
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_INVALID);
	ip.b[20 + 12] = 15 << 4;
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_INVALID);
	/* Offset inside the segment, but past the capture: truncated. */
	ip.b[20 + 12] = 6 << 4;
	CU_ASSERT_EQUAL(dec_n(DLT_RAW, &ip, 20 + 23, &p), PKT_TRUNCATED);
	CU_ASSERT_EQUAL(p.sport, 50123);
	release();
}

static void test_ethernet_padding(void)
{
	struct buf l4, ip, f;
	struct pkt p;

	/* A bare ACK: 54 bytes, padded to the 60-byte Ethernet minimum. */
	tcp_seg(&l4, TCP_ACK, NULL, 0, 0);
	ip4(&ip, 6, 5, 0, &l4);
	eth(&f, NULL, NULL, 0, 0x0800, &ip);
	putfill(&f, 0, 6);
	CU_ASSERT_EQUAL(dec(DLT_EN10MB, &f, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.ip_len, 40);
	CU_ASSERT_EQUAL(p.l4_len, 20);
	CU_ASSERT_EQUAL(p.payload_len, 0);
	CU_ASSERT_EQUAL(p.payload_wire, 0);
	/* Two payload bytes and four of padding. */
	tcp_seg(&l4, TCP_ACK | TCP_PSH, NULL, 0, 2);
	ip4(&ip, 6, 5, 0, &l4);
	eth(&f, NULL, NULL, 0, 0x0800, &ip);
	putfill(&f, 0xEE, 4);
	CU_ASSERT_EQUAL(dec(DLT_EN10MB, &f, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.l4_len, 22);
	CU_ASSERT_EQUAL(p.payload_len, 2);
	CU_ASSERT_EQUAL(p.payload_wire, 2);
	/* The same over IPv6 with an extension header. */
	struct buf ext = {.n = 0};
	ext_opt(&ext, 6, 0);
	ip6(&ip, 0, &ext, &l4);
	eth(&f, NULL, NULL, 0, 0x86DD, &ip);
	putfill(&f, 0xEE, 9);
	CU_ASSERT_EQUAL(dec(DLT_EN10MB, &f, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.payload_len, 2);
	CU_ASSERT_EQUAL(p.payload_wire, 2);
	CU_ASSERT_EQUAL(p.l4_len, 22);
	/* UDP too. */
	udp_dgram(&l4, 8 + 3, 3);
	ip4(&ip, 17, 5, 0, &l4);
	eth(&f, NULL, NULL, 0, 0x0800, &ip);
	putfill(&f, 0xEE, 15);
	CU_ASSERT_EQUAL(dec(DLT_EN10MB, &f, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.payload_len, 3);
	CU_ASSERT_EQUAL(p.payload_wire, 3);
	release();
}

static void test_udp(void)
{
	struct buf l4, ip;
	struct pkt p;

	udp_dgram(&l4, 8 + 20, 20);
	ip4(&ip, 17, 5, 0, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.proto, 17);
	CU_ASSERT_EQUAL(p.sport, 53001);
	CU_ASSERT_EQUAL(p.dport, 3389);
	CU_ASSERT_PTR_EQUAL(p.payload, held + 28);
	CU_ASSERT_EQUAL(p.payload_len, 20);
	CU_ASSERT_EQUAL(p.payload_wire, 20);
	CU_ASSERT_EQUAL(p.l4_len, 28);

	/* UDP length smaller than the IP payload: the smaller one counts. */
	udp_dgram(&l4, 8 + 10, 20);
	ip4(&ip, 17, 5, 0, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.payload_wire, 10);
	CU_ASSERT_EQUAL(p.payload_len, 10);
	/* Exactly 8: empty. */
	udp_dgram(&l4, 8, 20);
	ip4(&ip, 17, 5, 0, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.payload_wire, 0);
	CU_ASSERT_EQUAL(p.payload_len, 0);
	/* UDP length larger than the IP payload: IP bounds it. */
	udp_dgram(&l4, 8 + 100, 20);
	ip4(&ip, 17, 5, 0, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.payload_wire, 20);
	CU_ASSERT_EQUAL(p.payload_len, 20);
	/* Below 8: invalid; 0 (jumbogram form): the IP length. */
	for (unsigned len = 1; len < 8; len++) {
		udp_dgram(&l4, len, 20);
		ip4(&ip, 17, 5, 0, &l4);
		CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_INVALID);
	}
	udp_dgram(&l4, 0, 20);
	ip4(&ip, 17, 5, 0, &l4);
	CU_ASSERT_EQUAL(dec(DLT_RAW, &ip, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.payload_wire, 20);
	/* Snap length inside the payload. */
	udp_dgram(&l4, 8 + 20, 20);
	ip4(&ip, 17, 5, 0, &l4);
	CU_ASSERT_EQUAL(dec_n(DLT_RAW, &ip, 20 + 8 + 5, &p), PKT_OK);
	CU_ASSERT_EQUAL(p.payload_len, 5);
	CU_ASSERT_EQUAL(p.payload_wire, 20);
	for (size_t n = 20; n < 28; n++)
		CU_ASSERT_EQUAL(dec_n(DLT_RAW, &ip, n, &p), PKT_TRUNCATED);
	release();
}

/* Every cut of a frame: TRUNCATED inside the headers, OK with what is left after them. */
static void cut_everywhere(int dlt, const struct buf *f, size_t hdr_end, uint32_t payload_wire)
{
	struct pkt p;
	for (size_t n = 0; n <= f->n; n++) {
		enum pkt_status st = dec_n(dlt, f, n, &p);
		if (n < hdr_end) {
			CU_ASSERT_EQUAL(st, PKT_TRUNCATED);
			if (st != PKT_TRUNCATED)
				fprintf(stderr, "dlt %d cut at %zu of %zu: %s\n", dlt, n, f->n,
					pkt_status_name(st));
		} else {
			CU_ASSERT_EQUAL(st, PKT_OK);
			CU_ASSERT_EQUAL(p.payload_len, n - hdr_end);
			CU_ASSERT_EQUAL(p.payload_wire, payload_wire);
			CU_ASSERT_PTR_EQUAL(p.payload, held + hdr_end);
		}
	}
}

static void test_truncation(void)
{
	static const uint8_t opts[12] = {2, 4, 0x05, 0xB4, 1, 3, 3, 7, 4, 2, 0, 0};
	static const uint16_t tpid[] = {0x88A8, 0x8100};
	static const uint16_t tci[] = {100, 200};
	struct buf l4, ip, f, ext;

	tcp_seg(&l4, TCP_ACK | TCP_PSH, opts, sizeof opts, 9);
	ip4(&ip, 6, 7, 0, &l4);
	eth(&f, NULL, NULL, 0, 0x0800, &ip);
	cut_everywhere(DLT_EN10MB, &f, 14 + 28 + 32, 9);

	eth(&f, tpid, tci, 2, 0x0800, &ip);
	cut_everywhere(DLT_EN10MB, &f, 22 + 28 + 32, 9);

	ext.n = 0;
	ext_opt(&ext, 44, 1);
	ext_frag(&ext, 6, 0, 1);
	ip6(&ip, 0, &ext, &l4);
	eth(&f, tpid, tci, 2, 0x86DD, &ip);
	cut_everywhere(DLT_EN10MB, &f, 22 + 40 + 24 + 32, 9);
	sll2(&f, 0x86DD, &ip);
	cut_everywhere(DLT_LINUX_SLL2, &f, 20 + 40 + 24 + 32, 9);
	null_hdr(&f, 30, 0, &ip);
	cut_everywhere(DLT_NULL, &f, 4 + 40 + 24 + 32, 9);

	udp_dgram(&l4, 8 + 9, 9);
	ip4(&ip, 17, 5, 0, &l4);
	sll(&f, 0x0800, &ip);
	cut_everywhere(DLT_LINUX_SLL, &f, 16 + 20 + 8, 9);
	release();
}

/* ---- addresses --------------------------------------------------------- */

static const char *v6str(const char *groups, char *buf, size_t cap)
{
	/* "1:0:0:2:0:0:0:3" (all 8 groups) -> bytes -> addr_str */
	uint8_t a[16];
	unsigned g[8];
	CU_ASSERT_FATAL(sscanf(groups, "%x:%x:%x:%x:%x:%x:%x:%x", &g[0], &g[1], &g[2], &g[3], &g[4],
			       &g[5], &g[6], &g[7]) == 8);
	for (int i = 0; i < 8; i++) {
		a[2 * i] = (uint8_t)(g[i] >> 8);
		a[2 * i + 1] = (uint8_t)g[i];
	}
	return addr_str(6, a, buf, cap);
}

static void test_addr_str(void)
{
	static const struct {
		const char *in, *out;
	} v6[] = {
		{"0:0:0:0:0:0:0:1", "::1"},
		{"0:0:0:0:0:0:0:0", "::"},
		{"2001:db8:0:0:0:0:0:1", "2001:db8::1"},
		{"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"}, /* first of two equal runs */
		{"fe80:0:0:0:0:0:1:2", "fe80::1:2"},
		{"1:0:0:2:0:0:0:3", "1:0:0:2::3"},              /* the longest run */
		{"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"}, /* one zero group stays */
		{"1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"},
		{"1:0:0:0:0:0:0:0", "1::"},
		{"0:0:0:0:0:0:0:ffff", "::ffff"},
		{"fd00:0:0:0:0:0:0:2", "fd00::2"},
		{"2001:DB8:ABCD:12:FFFF:0:0:0", "2001:db8:abcd:12:ffff::"}, /* lower case */
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
	};
	char buf[64];

	for (size_t i = 0; i < sizeof v6 / sizeof v6[0]; i++) {
		const char *s = v6str(v6[i].in, buf, sizeof buf);
		CU_ASSERT_PTR_EQUAL(s, buf);
		CU_ASSERT_STRING_EQUAL(s, v6[i].out);
	}

	static const uint8_t a4[4] = {192, 0, 2, 255};
	static const uint8_t z4[4] = {0, 0, 0, 0};
	CU_ASSERT_STRING_EQUAL(addr_str(4, a4, buf, sizeof buf), "192.0.2.255");
	CU_ASSERT_STRING_EQUAL(addr_str(4, z4, buf, sizeof buf), "0.0.0.0");
	CU_ASSERT_STRING_EQUAL(addr_str(4, v4src, buf, sizeof buf), "192.0.2.10");

	/* Small buffers: terminated, never overrun. */
	char small[20];
	memset(small, 'X', sizeof small);
	CU_ASSERT_STRING_EQUAL(addr_str(4, a4, small, 8), "192.0.2");
	CU_ASSERT_EQUAL(small[8], 'X');
	memset(small, 'X', sizeof small);
	CU_ASSERT_STRING_EQUAL(v6str("2001:db8:0:0:1:0:0:1", small, 10), "2001:db8:");
	CU_ASSERT_EQUAL(small[10], 'X');
	memset(small, 'X', sizeof small);
	CU_ASSERT_STRING_EQUAL(v6str("2001:db8:0:0:1:0:0:1", small, 1), "");
	CU_ASSERT_EQUAL(small[1], 'X');
	/* The longest form fits INET6_ADDRSTRLEN (46). */
	CU_ASSERT_EQUAL(strlen(v6str("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", buf, 46)), 39);
}

/* ---- the real capture, re-encapsulated --------------------------------- */

#define FIXTURE RDPROBE_SOURCE_DIR "/fixtures/xrdp-tls-loopback.pcap"

enum encap {
	EN_SLL,
	EN_SLL2,
	EN_RAW,
	EN_NULL,
	EN_LOOP,
	EN_QINQ,
	EN_V6_ETH,
	EN_V6_NULL,
	EN_COUNT
};

static const struct {
	const char *name;
	int dlt;
	int v6;
} encaps[EN_COUNT] = {
	[EN_SLL] = {"LINUX_SLL", DLT_LINUX_SLL, 0},
	[EN_SLL2] = {"LINUX_SLL2", DLT_LINUX_SLL2, 0},
	[EN_RAW] = {"RAW", DLT_RAW, 0},
	[EN_NULL] = {"NULL", DLT_NULL, 0},
	[EN_LOOP] = {"LOOP", DLT_LOOP, 0},
	[EN_QINQ] = {"EN10MB QinQ", DLT_EN10MB, 0},
	[EN_V6_ETH] = {"EN10MB IPv6", DLT_EN10MB, 1},
	[EN_V6_NULL] = {"NULL IPv6 (AF 30)", DLT_NULL, 1},
};

/* ::ffff:a.b.c.d for the IPv4 address at p. */
static void mapped(struct buf *b, const uint8_t *p)
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	putn(b, prefix, 12);
	putn(b, p, 4);
}

/*
 * One captured IPv4 packet (ip[0, caplen), `wire` long on the wire) as
 * link type `e`; returns the new wire length.  IPv6: the IPv4 header is
 * replaced by a 40-byte IPv6 header (payload length = total - IHL), the
 * transport bytes are kept (TCP has no length field; checksums are not
 * checked).
 */
static uint32_t encapsulate(enum encap e, const uint8_t *ip, uint32_t caplen, uint32_t wire,
			    struct buf *out)
{
	static const uint16_t tpid[] = {0x88A8, 0x8100};
	static const uint16_t tci[] = {100, 200};
	struct buf inner;
	uint32_t inner_wire = wire;

	inner.n = 0;
	CU_ASSERT_FATAL(caplen + 64 <= sizeof inner.b);
	if (encaps[e].v6) {
		unsigned ihl = (ip[0] & 0x0f) * 4u;
		unsigned total = (unsigned)ip[2] << 8 | ip[3];
		CU_ASSERT_FATAL(caplen >= ihl && total >= ihl);
		put32(&inner, 0x60000000u);
		put16(&inner, total - ihl);
		put8(&inner, ip[9]);  /* protocol -> next header */
		put8(&inner, ip[8]);  /* TTL -> hop limit */
		mapped(&inner, ip + 12);
		mapped(&inner, ip + 16);
		putn(&inner, ip + ihl, caplen - ihl);
		inner_wire = wire - ihl + 40;
	} else {
		putn(&inner, ip, caplen);
	}
	unsigned et = encaps[e].v6 ? 0x86DD : 0x0800;
	switch (e) {
	case EN_SLL:
		sll(out, et, &inner);
		break;
	case EN_SLL2:
		sll2(out, et, &inner);
		break;
	case EN_RAW:
		*out = inner;
		break;
	case EN_NULL:
	case EN_V6_NULL: {
		uint32_t af = encaps[e].v6 ? 30 : 2; /* host order, as BSD writes it */
		out->n = 0;
		memcpy(out->b, &af, 4);
		out->n = 4;
		putn(out, inner.b, inner.n);
		break;
	}
	case EN_LOOP:
		null_hdr(out, 2, 1, &inner);
		break;
	case EN_QINQ:
		eth(out, tpid, tci, 2, et, &inner);
		break;
	case EN_V6_ETH:
		eth(out, NULL, NULL, 0, et, &inner);
		break;
	case EN_COUNT:
		break;
	}
	return inner_wire + (uint32_t)(out->n - inner.n);
}

/* Rewrites the fixture as link type `e` into `path`; returns frames written. */
static int rewrite(enum encap e, const char *path)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *in = NULL, *dead = NULL;
	pcap_dumper_t *dump = NULL;
	int frames = -1;
	struct pcap_pkthdr *h;
	const u_char *data;
	int r;

	in = pcap_open_offline(FIXTURE, ebuf);
	if (!in) {
		fprintf(stderr, "%s: %s\n", FIXTURE, ebuf);
		goto out;
	}
	CU_ASSERT_EQUAL(pcap_datalink(in), DLT_EN10MB);
	dead = pcap_open_dead(encaps[e].dlt, 262144);
	if (!dead)
		goto out;
	dump = pcap_dump_open(dead, path);
	if (!dump) {
		fprintf(stderr, "%s: %s\n", path, pcap_geterr(dead));
		goto out;
	}
	frames = 0;
	while ((r = pcap_next_ex(in, &h, &data)) == 1) {
		struct buf *f = malloc(sizeof *f);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		/* The fixture: untagged Ethernet II carrying IPv4, every frame whole. */
		CU_ASSERT_EQUAL(h->caplen, h->len);
		CU_ASSERT(h->caplen > 14 && data[12] == 0x08 && data[13] == 0x00);
		struct pcap_pkthdr nh = *h;
		nh.len = encapsulate(e, data + 14, h->caplen - 14, h->len - 14, f);
		nh.caplen = (uint32_t)f->n;
		pcap_dump((u_char *)dump, &nh, f->b);
		free(f);
		frames++;
	}
	CU_ASSERT_EQUAL(r, PCAP_ERROR_BREAK);
out:
	if (dump)
		pcap_dump_close(dump);
	if (dead)
		pcap_close(dead);
	if (in)
		pcap_close(in);
	return frames;
}

struct conn_summary {
	uint32_t nconns;
	uint64_t frames, ok_frames;
	int dlt;
	uint8_t ipver;
	uint8_t client[16], server[16];
	uint16_t cport, sport;
	int nvlan;
	uint16_t vlan[2];
	uint64_t cr_frame, cc_frame, cert_frame;
	uint32_t requested, selected;
	char cn[CERT_NAME_MAX];
	enum stage stage;
	uint32_t retx[2];
	uint64_t retx_frame0;
	uint32_t holes[2];
	int nviol;
};

static int summarize(const char *path, struct conn_summary *s)
{
	struct analysis a;
	char err[512];

	memset(s, 0, sizeof *s);
	memset(&a, 0, sizeof a);
	if (analyze_file(path, &a, err, sizeof err) != ANALYZE_OK) {
		fprintf(stderr, "%s\n", err);
		analysis_free(&a);
		return -1;
	}
	s->nconns = a.nconns;
	s->frames = a.cap.frames;
	s->ok_frames = a.cap.pkt_status[PKT_OK];
	s->dlt = a.cap.dlt;
	if (a.nconns) {
		const struct rdp_conn *c = a.conns[0];
		s->ipver = c->ipver;
		memcpy(s->client, c->client, 16);
		memcpy(s->server, c->server, 16);
		s->cport = c->cport;
		s->sport = c->sport;
		s->nvlan = c->nvlan;
		memcpy(s->vlan, c->vlan, sizeof s->vlan);
		s->cr_frame = c->cr.frame;
		s->requested = c->cr.requested;
		s->cc_frame = c->cc.frame;
		s->selected = c->cc.selected;
		s->cert_frame = c->tls.certificate_frame;
		if (c->tls.cert_stored)
			str_copy(s->cn, sizeof s->cn, c->tls.certs[0].subject_cn);
		s->stage = c->stage;
		s->retx[0] = c->tcp.d[0].retransmissions;
		s->retx[1] = c->tcp.d[1].retransmissions;
		s->retx_frame0 = c->tcp.d[0].retx_stored ? c->tcp.d[0].retx_frames[0] : 0;
		s->holes[0] = c->tcp.d[0].holes;
		s->holes[1] = c->tcp.d[1].holes;
		s->nviol = c->nviol;
	}
	analysis_free(&a);
	return 0;
}

/* The facts of fixtures/README.md that every encapsulation must keep. */
static void assert_facts(const struct conn_summary *s, const struct conn_summary *orig,
			 const char *what)
{
	int ok = 1;
#define CHECK(cond)                                                                           \
	do {                                                                                  \
		CU_ASSERT(cond);                                                              \
		if (!(cond) && ok) {                                                          \
			fprintf(stderr, "%s: failed: %s\n", what, #cond);                      \
			ok = 0;                                                               \
		}                                                                             \
	} while (0)
	CHECK(s->frames == 67);
	CHECK(s->ok_frames == 67);
	CHECK(s->nconns == 1);
	CHECK(s->cr_frame == 4);
	CHECK(s->requested == 1);
	CHECK(s->cc_frame == 6);
	CHECK(s->selected == 1);
	CHECK(s->cert_frame == 9);
	CHECK(strcmp(s->cn, "rdprobe-lab.test") == 0);
	CHECK(s->stage == STAGE_TLS_DATA);
	CHECK(s->retx[0] == orig->retx[0]);
	CHECK(s->retx[1] == orig->retx[1]);
	CHECK(s->retx_frame0 == orig->retx_frame0);
	CHECK(s->holes[0] == 0 && s->holes[1] == 0);
	CHECK(s->cport == orig->cport && s->sport == orig->sport);
	CHECK(s->nviol == 0);
#undef CHECK
}

static void test_encapsulations(void)
{
	struct conn_summary orig, s;

	CU_ASSERT_EQUAL_FATAL(summarize(FIXTURE, &orig), 0);
	/* The original, as fixtures/README.md has it. */
	assert_facts(&orig, &orig, "original");
	CU_ASSERT_EQUAL(orig.dlt, DLT_EN10MB);
	CU_ASSERT_EQUAL(orig.ipver, 4);
	CU_ASSERT_EQUAL(orig.nvlan, 0);
	CU_ASSERT_EQUAL(orig.retx[0], 1);
	CU_ASSERT_EQUAL(orig.retx[1], 0);
	CU_ASSERT_EQUAL(orig.retx_frame0, 64);
	CU_ASSERT_EQUAL(orig.sport, 33989);

	for (int e = 0; e < EN_COUNT; e++) {
		char path[] = "/tmp/rdprobe-encap-XXXXXX";
		int fd = mkstemp(path);
		CU_ASSERT_FATAL(fd >= 0);
		close(fd);
		int frames = rewrite((enum encap)e, path);
		CU_ASSERT_EQUAL(frames, 67);
		int rc = summarize(path, &s);
		unlink(path);
		CU_ASSERT_EQUAL(rc, 0);
		if (frames != 67 || rc)
			continue;
		assert_facts(&s, &orig, encaps[e].name);
		CU_ASSERT_EQUAL(s.dlt, encaps[e].dlt);
		if (encaps[e].v6) {
			static const uint8_t v6lo[16] = {0, 0, 0, 0, 0, 0, 0, 0,
							 0, 0, 0xff, 0xff, 127, 0, 0, 1};
			CU_ASSERT_EQUAL(s.ipver, 6);
			CU_ASSERT_EQUAL(memcmp(s.client, v6lo, 16), 0);
			CU_ASSERT_EQUAL(memcmp(s.server, v6lo, 16), 0);
		} else {
			CU_ASSERT_EQUAL(s.ipver, 4);
			CU_ASSERT_EQUAL(memcmp(s.client, orig.client, 16), 0);
			CU_ASSERT_EQUAL(memcmp(s.server, orig.server, 16), 0);
		}
		if (e == EN_QINQ) {
			CU_ASSERT_EQUAL(s.nvlan, 2);
			CU_ASSERT_EQUAL(s.vlan[0], 100);
			CU_ASSERT_EQUAL(s.vlan[1], 200);
		} else {
			CU_ASSERT_EQUAL(s.nvlan, 0);
		}
	}
}

void register_unit_pcap(void)
{
	static const struct test_case cases[] = {
		{"Ethernet II, not IP", test_ethernet},
		{"802.1Q, QinQ, VLAN_MAX tags and one more", test_vlan},
		{"Linux cooked v1 and v2", test_cooked},
		{"raw IP: DLT_RAW, DLT_IPV4, DLT_IPV6", test_raw},
		{"BSD loopback: NULL either byte order, LOOP", test_null_loop},
		{"supported link types, status names", test_dlt_supported},
		{"IPv4 IHL 5..15, below 5, total < IHL", test_ipv4_options},
		{"IPv4 fragments and DF", test_ipv4_fragments},
		{"ICMP, ICMPv6, other protocols", test_other_protocols},
		{"IPv6 extension header chains, IPV6_EXT_MAX", test_ipv6_chain},
		{"IPv6 fragment header", test_ipv6_fragment},
		{"TCP options", test_tcp_options},
		{"TCP data offset", test_tcp_data_offset},
		{"Ethernet padding after the IP length", test_ethernet_padding},
		{"UDP length field", test_udp},
		{"truncation at every byte", test_truncation},
		{"addr_str: IPv4, RFC 5952 IPv6", test_addr_str},
		{"fixture re-encapsulated in every link type and IPv6", test_encapsulations},
		{NULL, NULL},
	};
	add_suite("pcap", cases);
}

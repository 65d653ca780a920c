/*
 * test_icmp.c - ICMP / ICMPv6 errors built from RFC 792, RFC 1191 and
 * RFC 4443 layouts, with their embedded IPv4 / IPv6 headers.
 */
#include <string.h>

#include "icmp.h"
#include "tests.h"

struct pkt {
	uint8_t b[600];
	size_t n;
};

static void p8(struct pkt *p, unsigned v)
{
	p->b[p->n++] = (uint8_t)v;
}

static void p16(struct pkt *p, unsigned v)
{
	p8(p, v >> 8 & 0xff);
	p8(p, v & 0xff);
}

static void p32(struct pkt *p, uint32_t v)
{
	p16(p, v >> 16);
	p16(p, v & 0xffff);
}

static void pbytes(struct pkt *p, const uint8_t *b, size_t n)
{
	memcpy(p->b + p->n, b, n);
	p->n += n;
}

static const uint8_t A1[4] = {10, 0, 0, 1};
static const uint8_t A2[4] = {10, 0, 0, 2};
static const uint8_t S6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t D6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

/* ICMPv4 header: type, code, checksum (not checked), 4-byte word. */
static void icmp4_head(struct pkt *p, unsigned type, unsigned code, uint32_t word)
{
	p->n = 0;
	p8(p, type);
	p8(p, code);
	p16(p, 0);
	p32(p, word);
}

/* An IPv4 header of ihl words (options: NOPs), then nothing. */
static void ip4(struct pkt *p, unsigned ihl, unsigned total, unsigned frag, unsigned proto)
{
	p8(p, 0x40 | ihl);
	p8(p, 0);
	p16(p, total);
	p16(p, 0x1234);
	p16(p, frag);
	p8(p, 64);
	p8(p, proto);
	p16(p, 0);
	pbytes(p, A1, 4);
	pbytes(p, A2, 4);
	for (unsigned i = 5; i < ihl; i++)
		p32(p, 0x01010101u);
}

/* The first 8 bytes of TCP / UDP: ports, then seq or length+checksum. */
static void ports(struct pkt *p, unsigned sport, unsigned dport)
{
	p16(p, sport);
	p16(p, dport);
	p32(p, 0xdeadbeefu);
}

static enum dec_status parse(const struct pkt *p, size_t len, int v6, struct icmp_note *n)
{
	struct cur c = cur_make(p->b, len);
	memset(n, 0, sizeof *n);
	return icmp_parse(&c, v6, n);
}

static void build_frag_needed(struct pkt *p)
{
	icmp4_head(p, 3, 4, 1200); /* unused(2) = 0, next-hop MTU(2) = 1200 */
	ip4(p, 5, 1500, 0x4000, 6);
	ports(p, 50000, 3389);
}

static void test_frag_needed(void)
{
	struct pkt p;
	struct icmp_note n;
	char buf[160];

	build_frag_needed(&p);
	CU_ASSERT_EQUAL(parse(&p, p.n, 0, &n), DEC_OK);
	CU_ASSERT_EQUAL(n.v6, 0);
	CU_ASSERT_EQUAL(n.type, 3);
	CU_ASSERT_EQUAL(n.code, 4);
	CU_ASSERT_EQUAL(n.kind, ICMPK_FRAG_NEEDED);
	CU_ASSERT_EQUAL(n.mtu, 1200);
	CU_ASSERT_EQUAL(n.inner_proto, 6);
	CU_ASSERT_EQUAL(memcmp(n.inner_src, A1, 4), 0);
	CU_ASSERT_EQUAL(memcmp(n.inner_dst, A2, 4), 0);
	CU_ASSERT_EQUAL(n.inner_src[4], 0);
	CU_ASSERT_EQUAL(n.inner_sport, 50000);
	CU_ASSERT_EQUAL(n.inner_dport, 3389);
	CU_ASSERT_EQUAL(n.inner_len, 1500);
	CU_ASSERT_EQUAL(n.inner_df, 1);
	CU_ASSERT_STRING_EQUAL(icmp_describe(&n, buf, sizeof buf),
			       "ICMP fragmentation needed (next-hop MTU 1200) for TCP "
			       "10.0.0.1:50000 > 10.0.0.2:3389");
}

static void test_port_unreachable(void)
{
	struct pkt p;
	struct icmp_note n;
	char buf[160];

	icmp4_head(&p, 3, 3, 0);
	ip4(&p, 5, 1260, 0, 17);
	ports(&p, 50000, 3389);
	CU_ASSERT_EQUAL(parse(&p, p.n, 0, &n), DEC_OK);
	CU_ASSERT_EQUAL(n.kind, ICMPK_UNREACH);
	CU_ASSERT_EQUAL(n.mtu, 0);
	CU_ASSERT_EQUAL(n.inner_proto, 17);
	CU_ASSERT_EQUAL(n.inner_df, 0);
	CU_ASSERT_EQUAL(n.inner_len, 1260);
	CU_ASSERT_STRING_EQUAL(icmp_describe(&n, buf, sizeof buf),
			       "ICMP port unreachable for UDP 10.0.0.1:50000 > 10.0.0.2:3389");
}

static void test_time_exceeded(void)
{
	struct pkt p;
	struct icmp_note n;
	char buf[160];

	icmp4_head(&p, 11, 0, 0);
	ip4(&p, 5, 60, 0x4000, 6);
	ports(&p, 40000, 3389);
	CU_ASSERT_EQUAL(parse(&p, p.n, 0, &n), DEC_OK);
	CU_ASSERT_EQUAL(n.kind, ICMPK_TIME_EXCEEDED);
	CU_ASSERT_STRING_EQUAL(icmp_describe(&n, buf, sizeof buf),
			       "ICMP time exceeded (TTL exceeded in transit) for TCP "
			       "10.0.0.1:40000 > 10.0.0.2:3389");
}

/*
 * ICMPv6 packet too big, MTU 1280; the offending packet: IPv6, a
 * Hop-by-Hop header (8 bytes, PadN), UDP.
 */
static void build_ptb(struct pkt *p)
{
	p->n = 0;
	p8(p, 2);
	p8(p, 0);
	p16(p, 0);
	p32(p, 1280);
	p32(p, 0x60000000u);
	p16(p, 1400);    /* payload length */
	p8(p, 0);        /* next: Hop-by-Hop */
	p8(p, 64);
	pbytes(p, S6, 16);
	pbytes(p, D6, 16);
	p8(p, 17);       /* next: UDP */
	p8(p, 0);        /* (0 + 1) * 8 bytes */
	p8(p, 1);        /* PadN, 4 bytes */
	p8(p, 4);
	p32(p, 0);
	ports(p, 50000, 3389);
}

static void test_packet_too_big(void)
{
	struct pkt p;
	struct icmp_note n;
	char buf[200];

	build_ptb(&p);
	CU_ASSERT_EQUAL(parse(&p, p.n, 1, &n), DEC_OK);
	CU_ASSERT_EQUAL(n.v6, 1);
	CU_ASSERT_EQUAL(n.type, 2);
	CU_ASSERT_EQUAL(n.kind, ICMPK_FRAG_NEEDED);
	CU_ASSERT_EQUAL(n.mtu, 1280);
	CU_ASSERT_EQUAL(n.inner_proto, 17);
	CU_ASSERT_EQUAL(memcmp(n.inner_src, S6, 16), 0);
	CU_ASSERT_EQUAL(memcmp(n.inner_dst, D6, 16), 0);
	CU_ASSERT_EQUAL(n.inner_sport, 50000);
	CU_ASSERT_EQUAL(n.inner_dport, 3389);
	CU_ASSERT_EQUAL(n.inner_len, 1440);
	CU_ASSERT_EQUAL(n.inner_df, 0);
	CU_ASSERT_STRING_EQUAL(icmp_describe(&n, buf, sizeof buf),
			       "ICMPv6 packet too big (MTU 1280) for UDP "
			       "[2001:db8::1]:50000 > [2001:db8::2]:3389");

	/* Cut in the extension header: addresses kept, no ports. */
	CU_ASSERT_EQUAL(parse(&p, 8 + 40 + 5, 1, &n), DEC_TRUNCATED);
	CU_ASSERT_EQUAL(memcmp(n.inner_dst, D6, 16), 0);
	CU_ASSERT_EQUAL(n.inner_sport, 0);
	CU_ASSERT_EQUAL(n.mtu, 1280);
}

static void test_ip6_ext_headers(void)
{
	struct pkt p;
	struct icmp_note n;

	/* Routing (16 bytes) -> Destination options (8) -> Fragment (first) -> TCP. */
	p.n = 0;
	p8(&p, 1); /* destination unreachable */
	p8(&p, 4); /* port unreachable */
	p16(&p, 0);
	p32(&p, 0);
	p32(&p, 0x60000000u);
	p16(&p, 100);
	p8(&p, 43);
	p8(&p, 64);
	pbytes(&p, S6, 16);
	pbytes(&p, D6, 16);
	p8(&p, 60);
	p8(&p, 1); /* (1 + 1) * 8 */
	for (int i = 0; i < 14; i++)
		p8(&p, 0);
	p8(&p, 44);
	p8(&p, 0);
	p8(&p, 1);
	p8(&p, 4);
	p32(&p, 0);
	p8(&p, 6);
	p8(&p, 0);
	p16(&p, 0x0001); /* offset 0, more fragments */
	p32(&p, 0xabcdef01u);
	ports(&p, 1234, 3389);
	CU_ASSERT_EQUAL(parse(&p, p.n, 1, &n), DEC_OK);
	CU_ASSERT_EQUAL(n.kind, ICMPK_UNREACH);
	CU_ASSERT_EQUAL(n.inner_proto, 6);
	CU_ASSERT_EQUAL(n.inner_sport, 1234);
	CU_ASSERT_EQUAL(n.inner_dport, 3389);
	CU_ASSERT_EQUAL(n.inner_len, 140);

	/* A later fragment: no transport header to read. */
	p.b[8 + 40 + 16 + 8 + 2] = 0x05;
	p.b[8 + 40 + 16 + 8 + 3] = 0x00;
	CU_ASSERT_EQUAL(parse(&p, p.n, 1, &n), DEC_OK);
	CU_ASSERT_EQUAL(n.inner_proto, 6);
	CU_ASSERT_EQUAL(n.inner_sport, 0);

	/* More extension headers than IP6_EXT_MAX (8): nine Destination options. */
	p.n = 0;
	p8(&p, 3);
	p8(&p, 0);
	p16(&p, 0);
	p32(&p, 0);
	p32(&p, 0x60000000u);
	p16(&p, 80);
	p8(&p, 60);
	p8(&p, 1);
	pbytes(&p, S6, 16);
	pbytes(&p, D6, 16);
	for (int i = 0; i < 9; i++) {
		p8(&p, i == 8 ? 17 : 60);
		p8(&p, 0);
		p16(&p, 0x0104);
		p32(&p, 0);
	}
	ports(&p, 1, 2);
	CU_ASSERT_EQUAL(parse(&p, p.n, 1, &n), DEC_UNSUPPORTED);
	CU_ASSERT_EQUAL(n.kind, ICMPK_TIME_EXCEEDED);
	CU_ASSERT_EQUAL(memcmp(n.inner_src, S6, 16), 0);
	CU_ASSERT_EQUAL(n.inner_sport, 0);
	/* Eight are followed. */
	p.b[8 + 40 + 7 * 8] = 17;
	CU_ASSERT_EQUAL(parse(&p, p.n, 1, &n), DEC_OK);
	CU_ASSERT_EQUAL(n.inner_proto, 17);
	CU_ASSERT_EQUAL(n.inner_sport, 0x1100); /* the 9th header's bytes, as ports */
	CU_ASSERT_EQUAL(n.inner_dport, 0x0104);

	/* An ICMPv6 error carrying something that is not IPv6. */
	p.b[8] = 0x45;
	CU_ASSERT_EQUAL(parse(&p, p.n, 1, &n), DEC_INVALID);
}

static void test_ihl(void)
{
	struct pkt p;
	struct icmp_note n;

	/* IHL 15: 40 bytes of options before the ports. */
	icmp4_head(&p, 3, 3, 0);
	ip4(&p, 15, 100, 0, 17);
	ports(&p, 5000, 3389);
	CU_ASSERT_EQUAL(p.n, 8 + 60 + 8);
	CU_ASSERT_EQUAL(parse(&p, p.n, 0, &n), DEC_OK);
	CU_ASSERT_EQUAL(n.inner_sport, 5000);
	CU_ASSERT_EQUAL(n.inner_dport, 3389);
	CU_ASSERT_EQUAL(memcmp(n.inner_dst, A2, 4), 0);
	/* Options cut: addresses kept, ports not. */
	CU_ASSERT_EQUAL(parse(&p, 8 + 40, 0, &n), DEC_TRUNCATED);
	CU_ASSERT_EQUAL(memcmp(n.inner_src, A1, 4), 0);
	CU_ASSERT_EQUAL(n.inner_sport, 0);

	/* IHL below 5. */
	for (unsigned ihl = 0; ihl < 5; ihl++) {
		icmp4_head(&p, 3, 3, 0);
		ip4(&p, 5, 100, 0, 17);
		p.b[8] = (uint8_t)(0x40 | ihl);
		ports(&p, 5000, 3389);
		CU_ASSERT_EQUAL(parse(&p, p.n, 0, &n), DEC_INVALID);
	}
	/* Version 6 inside an ICMPv4 error. */
	icmp4_head(&p, 3, 3, 0);
	ip4(&p, 5, 100, 0, 17);
	p.b[8] = 0x65;
	CU_ASSERT_EQUAL(parse(&p, p.n, 0, &n), DEC_INVALID);

	/* A later IPv4 fragment: no ports. */
	icmp4_head(&p, 3, 3, 0);
	ip4(&p, 5, 100, 0x00b9, 17);
	ports(&p, 5000, 3389);
	CU_ASSERT_EQUAL(parse(&p, p.n, 0, &n), DEC_OK);
	CU_ASSERT_EQUAL(n.inner_sport, 0);
	CU_ASSERT_EQUAL(n.inner_len, 100);
}

static void test_truncated(void)
{
	struct pkt p;
	struct icmp_note n;
	char buf[160];

	/* The embedded header is whole, the ports are missing. */
	build_frag_needed(&p);
	CU_ASSERT_EQUAL(parse(&p, 8 + 20, 0, &n), DEC_TRUNCATED);
	CU_ASSERT_EQUAL(n.kind, ICMPK_FRAG_NEEDED);
	CU_ASSERT_EQUAL(n.mtu, 1200);
	CU_ASSERT_EQUAL(memcmp(n.inner_src, A1, 4), 0);
	CU_ASSERT_EQUAL(memcmp(n.inner_dst, A2, 4), 0);
	CU_ASSERT_EQUAL(n.inner_proto, 6);
	CU_ASSERT_EQUAL(n.inner_len, 1500);
	CU_ASSERT_EQUAL(n.inner_sport, 0);
	CU_ASSERT_EQUAL(n.inner_dport, 0);
	CU_ASSERT_STRING_EQUAL(icmp_describe(&n, buf, sizeof buf),
			       "ICMP fragmentation needed (next-hop MTU 1200) for TCP "
			       "10.0.0.1 > 10.0.0.2");
	/* Half the ports. */
	CU_ASSERT_EQUAL(parse(&p, 8 + 20 + 2, 0, &n), DEC_TRUNCATED);
	CU_ASSERT_EQUAL(n.inner_sport, 0);

	/* Every cut before the ports end: never OK. */
	for (size_t len = 0; len < 8 + 20 + 4; len++)
		CU_ASSERT_EQUAL(parse(&p, len, 0, &n), DEC_TRUNCATED);
	build_ptb(&p);
	for (size_t len = 0; len < 8 + 40 + 8 + 4; len++)
		CU_ASSERT_EQUAL(parse(&p, len, 1, &n), DEC_TRUNCATED);
}

static void test_not_errors(void)
{
	struct pkt p;
	struct icmp_note n;
	static const unsigned v4[] = {0, 8, 13, 14, 9, 10, 255};
	static const unsigned v6[] = {128, 129, 133, 134, 135, 136, 137, 143, 5, 127};

	for (size_t i = 0; i < sizeof v4 / sizeof v4[0]; i++) {
		icmp4_head(&p, v4[i], 0, 0x00010001u);
		CU_ASSERT_EQUAL(parse(&p, p.n, 0, &n), DEC_UNSUPPORTED);
		CU_ASSERT_EQUAL(n.type, v4[i]);
	}
	for (size_t i = 0; i < sizeof v6 / sizeof v6[0]; i++) {
		icmp4_head(&p, v6[i], 0, 0x00010001u);
		CU_ASSERT_EQUAL(parse(&p, p.n, 1, &n), DEC_UNSUPPORTED);
		CU_ASSERT_EQUAL(n.v6, 1);
	}
}

static void test_caller_fields_kept(void)
{
	struct pkt p;
	struct icmp_note n;
	build_frag_needed(&p);
	memset(&n, 0x77, sizeof n);
	n.frame = 42;
	memcpy(n.reporter, A2, 4);
	memset(n.reporter + 4, 0, 12);
	struct cur c = cur_make(p.b, p.n);
	CU_ASSERT_EQUAL(icmp_parse(&c, 0, &n), DEC_OK);
	CU_ASSERT_EQUAL(n.frame, 42);
	CU_ASSERT_EQUAL(memcmp(n.reporter, A2, 4), 0);
	CU_ASSERT_EQUAL(n.inner_src[4], 0); /* the rest was cleared */
}

/* Descriptions built from notes directly: names and address forms. */
static void test_describe(void)
{
	struct icmp_note n;
	char buf[200];

	memset(&n, 0, sizeof n);
	n.kind = ICMPK_UNREACH;
	n.type = 3;
	n.inner_proto = 6;
	memcpy(n.inner_src, A1, 4);
	memcpy(n.inner_dst, A2, 4);
	n.inner_sport = 1;
	n.inner_dport = 3389;
	static const char *const v4names[16] = {
		"network unreachable", "host unreachable", "protocol unreachable",
		"port unreachable", "fragmentation needed", "source route failed",
		"destination network unknown", "destination host unknown",
		"source host isolated", "network administratively prohibited",
		"host administratively prohibited", "network unreachable for TOS",
		"host unreachable for TOS", "communication administratively prohibited",
		"host precedence violation", "precedence cutoff in effect",
	};
	for (unsigned code = 0; code < 16; code++) {
		char want[200];
		n.code = (uint8_t)code;
		(void)icmp_describe(&n, buf, sizeof buf);
		strcpy(want, "ICMP ");
		strcat(want, v4names[code]);
		strcat(want, " for TCP 10.0.0.1:1 > 10.0.0.2:3389");
		CU_ASSERT_STRING_EQUAL(buf, want);
	}
	n.code = 16;
	CU_ASSERT_STRING_EQUAL(icmp_describe(&n, buf, sizeof buf),
			       "ICMP destination unreachable (code 16) for TCP "
			       "10.0.0.1:1 > 10.0.0.2:3389");

	/* Not TCP or UDP: no ports. */
	n.code = 2;
	n.inner_proto = 47;
	CU_ASSERT_STRING_EQUAL(icmp_describe(&n, buf, sizeof buf),
			       "ICMP protocol unreachable for protocol 47 10.0.0.1 > 10.0.0.2");
	n.kind = ICMPK_OTHER;
	n.type = 12;
	n.code = 0;
	CU_ASSERT_STRING_EQUAL(icmp_describe(&n, buf, sizeof buf),
			       "ICMP parameter problem (code 0) for protocol 47 10.0.0.1 > 10.0.0.2");

	/* ICMPv6 codes and RFC 5952 address forms. */
	static const char *const v6names[8] = {
		"no route to destination", "communication administratively prohibited",
		"beyond scope of source address", "address unreachable", "port unreachable",
		"source address failed ingress/egress policy", "reject route to destination",
		"error in source routing header",
	};
	memset(&n, 0, sizeof n);
	n.v6 = 1;
	n.kind = ICMPK_UNREACH;
	n.type = 1;
	n.inner_proto = 17;
	n.inner_sport = 3389;
	n.inner_dport = 50000;
	n.inner_src[15] = 1; /* ::1 */
	for (unsigned code = 0; code < 8; code++) {
		char want[200];
		n.code = (uint8_t)code;
		(void)icmp_describe(&n, buf, sizeof buf);
		strcpy(want, "ICMPv6 ");
		strcat(want, v6names[code]);
		strcat(want, " for UDP [::1]:3389 > [::]:50000");
		CU_ASSERT_STRING_EQUAL(buf, want);
	}

	static const struct {
		uint8_t a[16];
		const char *s;
	} forms[] = {
		{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1}, "2001:db8::1:0:0:1"},
		{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, "2001:db8:0:1::1"},
		{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}, "2001:db8:0:1:1:1:1:1"},
		{{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x1a, 0x2b, 0xff, 0xfe, 0x3c, 0x4d, 0x5e},
		 "fe80::21a:2bff:fe3c:4d5e"},
		{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1}, "::ffff:192.0.2.1"},
		{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "2001:db8::"},
		{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff},
		 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
	};
	n.code = 4;
	n.inner_proto = 58;
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		char want[200];
		memcpy(n.inner_src, forms[i].a, 16);
		(void)icmp_describe(&n, buf, sizeof buf);
		strcpy(want, "ICMPv6 port unreachable for ICMPv6 ");
		strcat(want, forms[i].s);
		strcat(want, " > ::");
		CU_ASSERT_STRING_EQUAL(buf, want);
	}

	n.kind = ICMPK_TIME_EXCEEDED;
	n.type = 3;
	n.code = 1;
	memset(n.inner_src, 0, 16);
	CU_ASSERT_STRING_EQUAL(icmp_describe(&n, buf, sizeof buf),
			       "ICMPv6 time exceeded (fragment reassembly time exceeded) for "
			       "ICMPv6 :: > ::");

	/* A small buffer is cut, terminated. */
	CU_ASSERT_STRING_EQUAL(icmp_describe(&n, buf, 7), "ICMPv6");
	buf[0] = 'x';
	(void)icmp_describe(&n, buf, 0);
	CU_ASSERT_EQUAL(buf[0], 'x');
}

static const struct test_case icmp_cases[] = {
	{"fragmentation needed, MTU 1200, TCP", test_frag_needed},
	{"port unreachable, UDP", test_port_unreachable},
	{"time exceeded", test_time_exceeded},
	{"ICMPv6 packet too big, hop-by-hop, UDP", test_packet_too_big},
	{"ICMPv6 extension header walk", test_ip6_ext_headers},
	{"embedded IPv4 IHL 15 and below 5", test_ihl},
	{"truncated embedded packet", test_truncated},
	{"echo and ND are not errors", test_not_errors},
	{"frame and reporter left to the caller", test_caller_fields_kept},
	{"descriptions and address forms", test_describe},
	{NULL, NULL},
};

void register_unit_icmp(void)
{
	add_suite("icmp", icmp_cases);
}

/*
 * test_rdpeudp.c - RDP-UDP SYN / SYN+ACK, version 1 data, RDP-UDP2 data.
 *
 * Datagrams are built field by field from MS-RDPEUDP 2.2.2 and
 * MS-RDPEUDP2 2.2.1 layouts.
 */
#include <string.h>

#include "rdpeudp.h"
#include "tests.h"

struct pkt {
	uint8_t b[1400];
	size_t n;
};

static void p8(struct pkt *p, unsigned v)
{
	p->b[p->n++] = (uint8_t)v;
}

static void p16be(struct pkt *p, unsigned v)
{
	p8(p, v >> 8 & 0xff);
	p8(p, v & 0xff);
}

static void p16le(struct pkt *p, unsigned v)
{
	p8(p, v & 0xff);
	p8(p, v >> 8 & 0xff);
}

static void p32be(struct pkt *p, uint32_t v)
{
	p16be(p, v >> 16);
	p16be(p, v & 0xffff);
}

static void pfill(struct pkt *p, unsigned v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p8(p, v);
}

/* FEC header + SYNDATA (MS-RDPEUDP 2.2.2.1, 2.2.2.5). */
static void syn_head(struct pkt *p, uint32_t source_ack, unsigned flags, uint32_t isn,
		     unsigned up, unsigned down)
{
	p32be(p, source_ack);
	p16be(p, 64); /* uReceiveWindowSize */
	p16be(p, flags);
	p32be(p, isn);
	p16be(p, up);
	p16be(p, down);
}

/* A client SYN for RDP-UDP2: correlation id, SYNEX version 3, cookie hash. */
static void build_syn_v3(struct pkt *p)
{
	p->n = 0;
	syn_head(p, 0xffffffffu,
		 RDPUDP_FLAG_SYN | RDPUDP_FLAG_CORRELATION_ID | RDPUDP_FLAG_SYNEX,
		 0x11223344u, 1232, 1200);
	for (unsigned i = 1; i <= 16; i++)
		p8(p, i); /* uCorrelationId */
	pfill(p, 0, 16); /* uReserved */
	p16be(p, 0x0001); /* RDPUDP_VERSION_INFO_VALID */
	p16be(p, RDPUDP_PROTOCOL_VERSION_3);
	pfill(p, 0xab, 32); /* cookieHash */
}

/* A server SYN+ACK choosing RDP-UDP2. */
static void build_synack_v3(struct pkt *p)
{
	p->n = 0;
	syn_head(p, 0x11223344u, RDPUDP_FLAG_SYN | RDPUDP_FLAG_ACK | RDPUDP_FLAG_SYNEX,
		 0x55667788u, 1232, 1232);
	p16be(p, 0x0001);
	p16be(p, RDPUDP_PROTOCOL_VERSION_3);
}

static enum dec_status parse_syn(const struct pkt *p, size_t len,
				 struct rdpeudp_syn_facts *f)
{
	struct cur c = cur_make(p->b, len);
	memset(f, 0x5a, sizeof *f);
	return rdpeudp_parse_syn(&c, f);
}

static void test_syn_v3(void)
{
	struct pkt p;
	struct rdpeudp_syn_facts f;
	char buf[64];

	build_syn_v3(&p);
	CU_ASSERT_EQUAL(p.n, 84);
	CU_ASSERT_TRUE(rdpeudp_is_syn(p.b, p.n));
	CU_ASSERT_EQUAL(parse_syn(&p, p.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.status, DEC_OK);
	CU_ASSERT_EQUAL(f.flags, 0x1801);
	CU_ASSERT_EQUAL(f.initial_seq, 0x11223344u);
	CU_ASSERT_EQUAL(f.up_mtu, 1232);
	CU_ASSERT_EQUAL(f.down_mtu, 1200);
	CU_ASSERT_EQUAL(f.synex_flags, 1);
	CU_ASSERT_EQUAL(f.udp_version, RDPUDP_PROTOCOL_VERSION_3);
	CU_ASSERT_EQUAL(f.payload_len, 84);
	CU_ASSERT_STRING_EQUAL(rdpeudp_flags_str(f.flags, buf, sizeof buf),
			       "SYN,CORRELATIONID,SYNEX");

	/* Padded with zeros to 1232 bytes, as sent. */
	pfill(&p, 0, RDPUDP_SYN_PAYLOAD_MAX - p.n);
	CU_ASSERT_TRUE(rdpeudp_is_syn(p.b, p.n));
	CU_ASSERT_EQUAL(parse_syn(&p, p.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.payload_len, 1232);
	CU_ASSERT_EQUAL(f.udp_version, RDPUDP_PROTOCOL_VERSION_3);
}

static void test_syn_v2_no_cookie(void)
{
	struct pkt p = {{0}, 0};
	struct rdpeudp_syn_facts f;

	/* Version 2: no cookie hash, so the SYN ends after uUdpVer. */
	syn_head(&p, 0xffffffffu, RDPUDP_FLAG_SYN | RDPUDP_FLAG_SYNEX, 7, 1132, 1132);
	p16be(&p, 0x0001);
	p16be(&p, RDPUDP_PROTOCOL_VERSION_2);
	CU_ASSERT_EQUAL(p.n, 20);
	CU_ASSERT_EQUAL(parse_syn(&p, p.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.udp_version, RDPUDP_PROTOCOL_VERSION_2);
	CU_ASSERT_EQUAL(f.up_mtu, 1132);

	/* SYNEX without RDPUDP_VERSION_INFO_VALID: the version is not taken. */
	p.b[17] = 0;
	CU_ASSERT_EQUAL(parse_syn(&p, p.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.synex_flags, 0);
	CU_ASSERT_EQUAL(f.udp_version, 0);

	/* No SYNEX at all: 16 bytes are a whole SYN. */
	p.n = 0;
	syn_head(&p, 0xffffffffu, RDPUDP_FLAG_SYN, 7, 1232, 1232);
	CU_ASSERT_EQUAL(parse_syn(&p, p.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.flags, RDPUDP_FLAG_SYN);
	CU_ASSERT_EQUAL(f.udp_version, 0);
	CU_ASSERT_FALSE(rdpeudp_is_syn(p.b, p.n)); /* shorter than 20 */
}

static void test_synack(void)
{
	struct pkt p;
	struct rdpeudp_syn_facts f;
	char buf[64];

	build_synack_v3(&p);
	CU_ASSERT_EQUAL(p.n, 20);
	CU_ASSERT_TRUE(rdpeudp_is_syn(p.b, p.n));
	CU_ASSERT_EQUAL(parse_syn(&p, p.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.flags, 0x1005);
	CU_ASSERT_EQUAL(f.initial_seq, 0x55667788u);
	CU_ASSERT_EQUAL(f.udp_version, RDPUDP_PROTOCOL_VERSION_3);
	CU_ASSERT_EQUAL(f.payload_len, 20);
	CU_ASSERT_STRING_EQUAL(rdpeudp_flags_str(f.flags, buf, sizeof buf), "SYN,ACK,SYNEX");
}

/* Every cut of a SYN and of a SYN+ACK is TRUNCATED: never OK, never a crash. */
static void test_syn_truncations(void)
{
	struct pkt p;
	struct rdpeudp_syn_facts f;

	build_syn_v3(&p);
	for (size_t len = 0; len < p.n; len++) {
		CU_ASSERT_EQUAL(parse_syn(&p, len, &f), DEC_TRUNCATED);
		CU_ASSERT_EQUAL(f.status, DEC_TRUNCATED);
		CU_ASSERT_EQUAL(f.payload_len, len);
		CU_ASSERT_EQUAL(rdpeudp_is_syn(p.b, len), len >= 20);
	}
	build_synack_v3(&p);
	for (size_t len = 0; len < p.n; len++)
		CU_ASSERT_EQUAL(parse_syn(&p, len, &f), DEC_TRUNCATED);
}

static void test_syn_mtu_range(void)
{
	static const struct {
		unsigned up, down;
		int ok;
	} cases[] = {
		{1131, 1232, 0}, {1132, 1232, 1}, {1232, 1232, 1}, {1233, 1232, 0},
		{1232, 1131, 0}, {1232, 1132, 1}, {1232, 1233, 0}, {0, 0, 0},
		{0xffff, 0xffff, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pkt p = {{0}, 0};
		struct rdpeudp_syn_facts f;
		syn_head(&p, 0xffffffffu, RDPUDP_FLAG_SYN | RDPUDP_FLAG_SYNEX, 1, cases[i].up,
			 cases[i].down);
		p16be(&p, 1);
		p16be(&p, 1);
		CU_ASSERT_EQUAL(rdpeudp_is_syn(p.b, p.n), cases[i].ok);
		CU_ASSERT_EQUAL(parse_syn(&p, p.n, &f), cases[i].ok ? DEC_OK : DEC_INVALID);
		CU_ASSERT_EQUAL(f.up_mtu, cases[i].up);
		CU_ASSERT_EQUAL(f.down_mtu, cases[i].down);
	}
}

static void test_syn_rejects(void)
{
	struct pkt p;
	struct rdpeudp_syn_facts f;

	/* A SYN without ACK must carry snSourceAck -1. */
	p.n = 0;
	syn_head(&p, 0x00000001u, RDPUDP_FLAG_SYN | RDPUDP_FLAG_SYNEX, 1, 1232, 1232);
	p16be(&p, 1);
	p16be(&p, 2);
	CU_ASSERT_FALSE(rdpeudp_is_syn(p.b, p.n));
	CU_ASSERT_EQUAL(parse_syn(&p, p.n, &f), DEC_INVALID);

	/* No SYN flag: not a SYN at all. */
	p.n = 0;
	syn_head(&p, 0xffffffffu, RDPUDP_FLAG_ACK | RDPUDP_FLAG_SYNEX, 1, 1232, 1232);
	p16be(&p, 1);
	p16be(&p, 2);
	CU_ASSERT_FALSE(rdpeudp_is_syn(p.b, p.n));
	CU_ASSERT_EQUAL(parse_syn(&p, p.n, &f), DEC_INVALID);

	/* Flags a SYN never carries (DATA, FIN, FEC, unknown bits). */
	static const unsigned odd[] = {RDPUDP_FLAG_DATA, RDPUDP_FLAG_FIN, RDPUDP_FLAG_FEC,
				       RDPUDP_FLAG_ACK_OF_ACKS, 0x2000, 0x8000};
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		p.n = 0;
		syn_head(&p, 0xffffffffu, RDPUDP_FLAG_SYN | odd[i], 1, 1232, 1232);
		p16be(&p, 1);
		p16be(&p, 2);
		CU_ASSERT_FALSE(rdpeudp_is_syn(p.b, p.n));
	}
	CU_ASSERT_FALSE(rdpeudp_is_syn(NULL, 0));
}

/* xorshift32: reproducible noise. */
static uint32_t rnd(uint32_t *s)
{
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static void test_random_is_not_syn(void)
{
	struct pkt p;
	uint32_t seed = 0x2545f491u;
	int hits = 0;
	for (int round = 0; round < 2000; round++) {
		p.n = RDPUDP_SYN_PAYLOAD_MAX;
		for (size_t i = 0; i < p.n; i++)
			p.b[i] = (uint8_t)rnd(&seed);
		hits += rdpeudp_is_syn(p.b, p.n);
		/* Whatever it makes of noise, the decoders must not overrun. */
		struct rdpeudp_syn_facts f;
		(void)parse_syn(&p, p.n, &f);
		uint16_t flags;
		uint32_t sn;
		struct cur c = cur_make(p.b, p.n), pl;
		enum dec_status st = rdpeudp_v1_payload(&c, &flags, &sn, &pl);
		if (st == DEC_OK)
			CU_ASSERT_TRUE(pl.p >= p.b && pl.end == p.b + p.n);
		uint8_t scratch[RDPUDP_SYN_PAYLOAD_MAX];
		st = rdpeudp2_payload(p.b, p.n, scratch, &flags, &pl);
		if (st == DEC_OK)
			CU_ASSERT_TRUE(pl.p >= scratch && pl.end == scratch + p.n);
	}
	CU_ASSERT_EQUAL(hits, 0);
}

/*
 * Version 1 data: FEC header, ACK vector of `k` elements + padding,
 * [AOA], source payload header, payload.
 */
static void build_v1(struct pkt *p, unsigned flags, unsigned k)
{
	p->n = 0;
	p32be(p, 0x01020304u);
	p16be(p, 64);
	p16be(p, flags);
	if (flags & RDPUDP_FLAG_ACK) {
		p16be(p, k);
		pfill(p, 0x3f, k);                /* received, run length 63 */
		pfill(p, 0xee, (4 - (2 + k) % 4) % 4); /* padding (not zero on purpose) */
	}
	if (flags & RDPUDP_FLAG_ACK_OF_ACKS)
		p32be(p, 0x0a0b0bffu);
	if (flags & RDPUDP_FLAG_DATA) {
		p32be(p, 0x0a0b0c0du); /* snCoded */
		p32be(p, 0x0a0b0c00u); /* snSourceStart */
		/* a 6-byte TLS-looking payload */
		p8(p, 0x16);
		p16be(p, 0x0303);
		p16be(p, 1);
		p8(p, 0x99);
	}
}

static const uint8_t v1_body[] = {0x16, 0x03, 0x03, 0x00, 0x01, 0x99};

static void test_v1_ack_vector_sizes(void)
{
	static const size_t header_len[] = {12, 12, 12, 16, 16}; /* 8 + 2 + k + pad */
	for (unsigned k = 0; k <= 4; k++) {
		struct pkt p;
		build_v1(&p, RDPUDP_FLAG_ACK | RDPUDP_FLAG_DATA, k);
		CU_ASSERT_EQUAL(p.n, header_len[k] + 8 + sizeof v1_body);
		struct cur c = cur_make(p.b, p.n), pl;
		uint16_t flags = 0;
		uint32_t sn = 0;
		CU_ASSERT_EQUAL(rdpeudp_v1_payload(&c, &flags, &sn, &pl), DEC_OK);
		CU_ASSERT_EQUAL(flags, RDPUDP_FLAG_ACK | RDPUDP_FLAG_DATA);
		CU_ASSERT_EQUAL(sn, 0x0a0b0c0du);
		CU_ASSERT_EQUAL(cur_left(&pl), sizeof v1_body);
		CU_ASSERT_TRUE(cur_left(&pl) == sizeof v1_body &&
			       !memcmp(pl.p, v1_body, sizeof v1_body));
		CU_ASSERT_EQUAL(pl.p - p.b, (long)(header_len[k] + 8));
	}
}

static void test_v1_aoa(void)
{
	struct pkt p;
	build_v1(&p, RDPUDP_FLAG_ACK | RDPUDP_FLAG_DATA | RDPUDP_FLAG_ACK_OF_ACKS, 3);
	struct cur c = cur_make(p.b, p.n), pl;
	uint16_t flags;
	uint32_t sn;
	CU_ASSERT_EQUAL(rdpeudp_v1_payload(&c, &flags, &sn, &pl), DEC_OK);
	CU_ASSERT_EQUAL(flags, 0x010c);
	CU_ASSERT_EQUAL(sn, 0x0a0b0c0du);
	CU_ASSERT_EQUAL(pl.p - p.b, 8 + 8 + 4 + 8);
	CU_ASSERT_TRUE(cur_left(&pl) == sizeof v1_body && !memcmp(pl.p, v1_body, sizeof v1_body));

	/* DATA without ACK: the source payload header follows the FEC header. */
	build_v1(&p, RDPUDP_FLAG_DATA, 0);
	c = cur_make(p.b, p.n);
	CU_ASSERT_EQUAL(rdpeudp_v1_payload(&c, &flags, &sn, &pl), DEC_OK);
	CU_ASSERT_EQUAL(pl.p - p.b, 16);
}

static void test_v1_no_payload(void)
{
	struct pkt p;
	struct cur c, pl;
	uint16_t flags;
	uint32_t sn;

	/* Pure ACK. */
	build_v1(&p, RDPUDP_FLAG_ACK, 1);
	c = cur_make(p.b, p.n);
	CU_ASSERT_EQUAL(rdpeudp_v1_payload(&c, &flags, &sn, &pl), DEC_UNSUPPORTED);
	CU_ASSERT_EQUAL(flags, RDPUDP_FLAG_ACK);
	CU_ASSERT_EQUAL(cur_left(&pl), 0);

	/* FEC repair packet. */
	build_v1(&p, RDPUDP_FLAG_ACK | RDPUDP_FLAG_DATA | RDPUDP_FLAG_FEC, 0);
	c = cur_make(p.b, p.n);
	CU_ASSERT_EQUAL(rdpeudp_v1_payload(&c, &flags, &sn, &pl), DEC_UNSUPPORTED);

	/* A SYN+ACK is not a data datagram. */
	build_synack_v3(&p);
	c = cur_make(p.b, p.n);
	CU_ASSERT_EQUAL(rdpeudp_v1_payload(&c, &flags, &sn, &pl), DEC_UNSUPPORTED);
	CU_ASSERT_EQUAL(flags, 0x1005);
}

static void test_v1_bad(void)
{
	struct pkt p;
	struct cur c, pl;
	uint16_t flags;
	uint32_t sn;

	/* uAckVectorSize above the 2048-byte maximum. */
	p.n = 0;
	p32be(&p, 1);
	p16be(&p, 64);
	p16be(&p, RDPUDP_FLAG_ACK | RDPUDP_FLAG_DATA);
	p16be(&p, 2049);
	pfill(&p, 0, 40);
	c = cur_make(p.b, p.n);
	CU_ASSERT_EQUAL(rdpeudp_v1_payload(&c, &flags, &sn, &pl), DEC_INVALID);

	/* Exactly 2048, but the vector is not there: cut. */
	p.b[8] = 0x08;
	p.b[9] = 0x00;
	c = cur_make(p.b, p.n);
	CU_ASSERT_EQUAL(rdpeudp_v1_payload(&c, &flags, &sn, &pl), DEC_TRUNCATED);

	/* Every cut before the payload is TRUNCATED. */
	build_v1(&p, RDPUDP_FLAG_ACK | RDPUDP_FLAG_DATA | RDPUDP_FLAG_ACK_OF_ACKS, 1);
	size_t payload_at = 8 + 4 + 4 + 8;
	for (size_t len = 0; len < payload_at; len++) {
		c = cur_make(p.b, len);
		CU_ASSERT_EQUAL(rdpeudp_v1_payload(&c, &flags, &sn, &pl), DEC_TRUNCATED);
		CU_ASSERT_EQUAL(cur_left(&pl), 0);
	}
	/* Header complete, payload empty: OK with nothing in it. */
	c = cur_make(p.b, payload_at);
	CU_ASSERT_EQUAL(rdpeudp_v1_payload(&c, &flags, &sn, &pl), DEC_OK);
	CU_ASSERT_EQUAL(cur_left(&pl), 0);
}

/* The sender's transformation (MS-RDPEUDP2 3.1.1.1.5.1): swap bytes 0 and 7. */
static void wrap_v2(struct pkt *p)
{
	uint8_t t = p->b[0];
	p->b[0] = p->b[7];
	p->b[7] = t;
}

/* Prefix 0xe0: reserved 0, type 0 (data), Short_Packet_Length 7. */
#define V2_PREFIX_DATA 0xe0
#define V2_PREFIX_DUMMY 0xf0

static const uint8_t v2_body[] = {0x16, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00};

static void build_v2_data(struct pkt *p, unsigned prefix)
{
	p->n = 0;
	p8(p, prefix);
	p16le(p, 0xc000 | 0x114); /* DATA | AOA | DELAYACKINFO, LogWindowSize 12 */
	p8(p, 1);                 /* MaxDelayedAcks */
	p16le(p, 500);            /* DelayedAckTimeoutInMs */
	p16le(p, 100);            /* AckOfAcksSeqNum */
	p16le(p, 100);            /* DataSeqNum */
	p16le(p, 1);              /* ChannelSeqNum */
	for (size_t i = 0; i < sizeof v2_body; i++)
		p8(p, v2_body[i]);
	wrap_v2(p);
}

static void test_v2_data(void)
{
	struct pkt p;
	uint8_t scratch[sizeof p.b];
	uint16_t flags;
	struct cur pl;

	build_v2_data(&p, V2_PREFIX_DATA);
	/* The wire form starts with the (moved) byte 7 and has the prefix at 7. */
	CU_ASSERT_EQUAL(p.b[0], 0x00);
	CU_ASSERT_EQUAL(p.b[7], V2_PREFIX_DATA);
	CU_ASSERT_EQUAL(rdpeudp2_payload(p.b, p.n, scratch, &flags, &pl), DEC_OK);
	CU_ASSERT_EQUAL(flags, 0x114);
	CU_ASSERT_EQUAL(pl.p - scratch, 12);
	CU_ASSERT_TRUE(cur_left(&pl) == sizeof v2_body && !memcmp(pl.p, v2_body, sizeof v2_body));
	CU_ASSERT_EQUAL(scratch[0], V2_PREFIX_DATA);
	CU_ASSERT_FALSE(rdpeudp_is_syn(p.b, p.n));

	/* The same bytes as a dummy packet: its data is to be ignored. */
	build_v2_data(&p, V2_PREFIX_DUMMY);
	CU_ASSERT_EQUAL(rdpeudp2_payload(p.b, p.n, scratch, &flags, &pl), DEC_UNSUPPORTED);
	CU_ASSERT_EQUAL(flags, 0x114);
	CU_ASSERT_EQUAL(cur_left(&pl), 0);

	/* Every cut before the data body ends is TRUNCATED (or INVALID below 8). */
	build_v2_data(&p, V2_PREFIX_DATA);
	for (size_t len = 0; len < 12; len++) {
		CU_ASSERT_EQUAL(rdpeudp2_payload(p.b, len, scratch, &flags, &pl),
				len < 8 ? DEC_INVALID : DEC_TRUNCATED);
		CU_ASSERT_EQUAL(cur_left(&pl), 0);
	}
}

static void test_v2_all_payloads(void)
{
	struct pkt p = {{0}, 0};
	uint8_t scratch[sizeof p.b];
	uint16_t flags;
	struct cur pl;

	/* ACK (2 delayed acks) + OVERHEADSIZE + DELAYACKINFO + AOA + DATA. */
	p8(&p, V2_PREFIX_DATA);
	p16le(&p, 0x3000 | 0x155);
	p16le(&p, 0x0064);    /* SeqNum */
	p8(&p, 1);            /* receivedTS (3) */
	p8(&p, 2);
	p8(&p, 3);
	p8(&p, 9);            /* sendAckTimeGap */
	p8(&p, 0x32);         /* delayAckTimeScale 3, numDelayedAcks 2 */
	p8(&p, 0xd1);         /* delayAckTimeAdditions */
	p8(&p, 0xd2);
	p8(&p, 10);           /* OverheadSize */
	p8(&p, 1);            /* MaxDelayedAcks */
	p16le(&p, 200);
	p16le(&p, 0x0065);    /* AckOfAcksSeqNum */
	p16le(&p, 0x0066);    /* DataSeqNum */
	p16le(&p, 0x0002);    /* ChannelSeqNum */
	p8(&p, 0x17);
	p8(&p, 0x03);
	size_t body_at = p.n - 2;
	wrap_v2(&p);
	CU_ASSERT_EQUAL(rdpeudp2_payload(p.b, p.n, scratch, &flags, &pl), DEC_OK);
	CU_ASSERT_EQUAL(flags, 0x155);
	CU_ASSERT_EQUAL(pl.p - scratch, (long)body_at);
	CU_ASSERT_EQUAL(cur_left(&pl), 2);

	/* DATA + ACKVEC with a timestamp and 3 coded bytes. */
	p.n = 0;
	p8(&p, V2_PREFIX_DATA);
	p16le(&p, 0x004 | 0x008);
	p16le(&p, 0x0010);    /* DataSeqNum */
	p16le(&p, 0x0100);    /* BaseSeqNum */
	p8(&p, 0x80 | 3);     /* TimeStampPresent, codedAckVecSize 3 */
	p8(&p, 0xaa);         /* TimeStamp (3) */
	p8(&p, 0xbb);
	p8(&p, 0xcc);
	p8(&p, 4);            /* SendAckTimeGapInMs */
	p8(&p, 0xc5);         /* run of 5 received */
	p8(&p, 0x7f);         /* bitmap */
	p8(&p, 0x85);         /* run of 5 lost */
	p16le(&p, 0x0007);    /* ChannelSeqNum */
	p8(&p, 0x15);
	body_at = p.n - 1;
	wrap_v2(&p);
	CU_ASSERT_EQUAL(rdpeudp2_payload(p.b, p.n, scratch, &flags, &pl), DEC_OK);
	CU_ASSERT_EQUAL(flags, 0x00c);
	CU_ASSERT_EQUAL(pl.p - scratch, (long)body_at);
	CU_ASSERT_TRUE(cur_left(&pl) == 1 && pl.p[0] == 0x15);

	/* ACKVEC without a timestamp, no data: nothing to hand up. */
	p.n = 0;
	p8(&p, V2_PREFIX_DATA);
	p16le(&p, 0x008);
	p16le(&p, 0x0100);
	p8(&p, 2);
	p8(&p, 0xc5);
	p8(&p, 0xc5);
	p8(&p, 0);
	wrap_v2(&p);
	CU_ASSERT_EQUAL(rdpeudp2_payload(p.b, p.n, scratch, &flags, &pl), DEC_UNSUPPORTED);
	CU_ASSERT_EQUAL(flags, 0x008);
}

static void test_v2_bad(void)
{
	struct pkt p = {{0}, 0};
	uint8_t scratch[sizeof p.b];
	uint16_t flags;
	struct cur pl;

	/* Shorter than 8 bytes: rejected before any swap. */
	memset(p.b, 0, 8);
	for (size_t len = 0; len < 8; len++)
		CU_ASSERT_EQUAL(rdpeudp2_payload(p.b, len, scratch, &flags, &pl), DEC_INVALID);
	CU_ASSERT_EQUAL(rdpeudp2_payload(NULL, 0, scratch, &flags, &pl), DEC_INVALID);

	struct {
		unsigned prefix;
		unsigned flags;
		enum dec_status want;
	} cases[] = {
		{0xe1, 0x004, DEC_INVALID},     /* reserved bit set */
		{0xe6, 0x004, DEC_INVALID},     /* Packet_Type_Index 3 */
		{0xe0, 0x000, DEC_INVALID},     /* no payload at all */
		{0xe0, 0x009, DEC_INVALID},     /* ACK and ACKVEC together */
		{0xe0, 0x002, DEC_UNSUPPORTED}, /* a flag we cannot lay out */
		{0xe0, 0x010, DEC_UNSUPPORTED}, /* AOA only: no data */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		p.n = 0;
		p8(&p, cases[i].prefix);
		p16le(&p, cases[i].flags);
		pfill(&p, 0, 30);
		wrap_v2(&p);
		CU_ASSERT_EQUAL(rdpeudp2_payload(p.b, p.n, scratch, &flags, &pl), cases[i].want);
		CU_ASSERT_EQUAL(cur_left(&pl), 0);
	}

	/* Short_Packet_Length 4: AOA packet of 4 bytes padded to 7. */
	p.n = 0;
	p8(&p, 4 << 5);
	p16le(&p, 0x010);
	p16le(&p, 0x0005);
	pfill(&p, 0, 3);
	wrap_v2(&p);
	CU_ASSERT_EQUAL(p.n, 8);
	CU_ASSERT_EQUAL(rdpeudp2_payload(p.b, p.n, scratch, &flags, &pl), DEC_UNSUPPORTED);
	CU_ASSERT_EQUAL(flags, 0x010);

	/* Short_Packet_Length 3 cannot hold header + AOA: the bytes are wrong. */
	p.b[7] = 3 << 5;
	CU_ASSERT_EQUAL(rdpeudp2_payload(p.b, p.n, scratch, &flags, &pl), DEC_INVALID);
	/* Short_Packet_Length 1 cannot even hold the header. */
	p.b[7] = 1 << 5;
	CU_ASSERT_EQUAL(rdpeudp2_payload(p.b, p.n, scratch, &flags, &pl), DEC_INVALID);
}

static void test_flags_str(void)
{
	char buf[160];
	CU_ASSERT_STRING_EQUAL(rdpeudp_flags_str(0, buf, sizeof buf), "");
	CU_ASSERT_STRING_EQUAL(rdpeudp_flags_str(0x000c, buf, sizeof buf), "ACK,DATA");
	CU_ASSERT_STRING_EQUAL(rdpeudp_flags_str(0x1a01, buf, sizeof buf),
			       "SYN,SYNLOSSY,CORRELATIONID,SYNEX");
	CU_ASSERT_STRING_EQUAL(rdpeudp_flags_str(0xffff, buf, sizeof buf),
			       "SYN,FIN,ACK,DATA,FEC,CN,CWR,SACK_OPTION,AOA,SYNLOSSY,"
			       "ACKDELAYED,CORRELATIONID,SYNEX,0xe000");
	CU_ASSERT_STRING_EQUAL(rdpeudp_flags_str(0x4000, buf, sizeof buf), "0x4000");
	/* Small buffers: cut at a name, always terminated. */
	CU_ASSERT_STRING_EQUAL(rdpeudp_flags_str(0x0005, buf, 8), "SYN,ACK");
	CU_ASSERT_STRING_EQUAL(rdpeudp_flags_str(0x0005, buf, 7), "SYN");
	CU_ASSERT_STRING_EQUAL(rdpeudp_flags_str(0x0005, buf, 1), "");
	buf[0] = 'x';
	(void)rdpeudp_flags_str(0x0005, buf, 0);
	CU_ASSERT_EQUAL(buf[0], 'x');
}

static void test_version_name(void)
{
	CU_ASSERT_STRING_EQUAL(rdpeudp_version_name(RDPUDP_PROTOCOL_VERSION_1), "MS-RDPEUDP version 1");
	CU_ASSERT_STRING_EQUAL(rdpeudp_version_name(RDPUDP_PROTOCOL_VERSION_2), "MS-RDPEUDP version 2");
	CU_ASSERT_STRING_EQUAL(rdpeudp_version_name(RDPUDP_PROTOCOL_VERSION_3), "MS-RDPEUDP2 (version 3)");
	CU_ASSERT_STRING_EQUAL(rdpeudp_version_name(0), "MS-RDPEUDP, version not given");
	CU_ASSERT_STRING_EQUAL(rdpeudp_version_name(3), "unknown");
}

static const struct test_case rdpeudp_cases[] = {
	{"SYN v3 with correlation id and cookie hash", test_syn_v3},
	{"SYN v2, SYNEX without version, bare SYN", test_syn_v2_no_cookie},
	{"SYN+ACK", test_synack},
	{"SYN and SYN+ACK cut at every length", test_syn_truncations},
	{"SYN MTU range 1132..1232", test_syn_mtu_range},
	{"SYN rejects", test_syn_rejects},
	{"random 1232-byte datagrams are not SYNs", test_random_is_not_syn},
	{"v1 data, ACK vector sizes 0..4", test_v1_ack_vector_sizes},
	{"v1 data with ACK of ACKs", test_v1_aoa},
	{"v1 without source payload", test_v1_no_payload},
	{"v1 bad and cut", test_v1_bad},
	{"v2 data unwrap", test_v2_data},
	{"v2 every optional payload", test_v2_all_payloads},
	{"v2 bad", test_v2_bad},
	{"flags string", test_flags_str},
	{"version names", test_version_name},
	{NULL, NULL},
};

void register_unit_rdpeudp(void)
{
	add_suite("rdpeudp", rdpeudp_cases);
}

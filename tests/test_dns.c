/*
 * test_dns.c - DNS messages built from the RFC 1035 layout: questions,
 * A / AAAA / CNAME answers, name compression and its abuses.
 */
#include <string.h>

#include "dns.h"
#include "msg.h"
#include "tests.h"

/* "www.example.com" -> 03 www 07 example 03 com 00 */
static void mname(struct msg *m, const char *dotted)
{
	while (*dotted) {
		const char *dot = strchr(dotted, '.');
		size_t len = dot ? (size_t)(dot - dotted) : strlen(dotted);
		m8(m, (unsigned)len);
		mbytes(m, dotted, len);
		dotted += len + (dot ? 1 : 0);
	}
	m8(m, 0);
}

static void mheader(struct msg *m, unsigned id, unsigned flags, unsigned qd, unsigned an)
{
	m->n = 0;
	mbe16(m, id);
	mbe16(m, flags);
	mbe16(m, qd);
	mbe16(m, an);
	mbe16(m, 0);
	mbe16(m, 0);
}

/* A record header after its name: TYPE, CLASS IN, TTL, RDLENGTH. */
static void mrr(struct msg *m, unsigned type, uint32_t ttl, unsigned rdlength)
{
	mbe16(m, type);
	mbe16(m, 1);
	mbe32(m, ttl);
	mbe16(m, rdlength);
}

static enum dec_status parse(const struct msg *m, size_t len, struct dns_msg *out)
{
	struct cur c = cur_make(m->b, len);
	memset(out, 0x5a, sizeof *out);
	return dns_parse(&c, out);
}

static void test_query(void)
{
	struct msg m;
	struct dns_msg d;
	mheader(&m, 0x1234, 0x0100, 1, 0);
	mname(&m, "rdp.example.com");
	mbe16(&m, 28);
	mbe16(&m, 1);
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_OK);
	CU_ASSERT_EQUAL(d.status, DEC_OK);
	CU_ASSERT_EQUAL(d.id, 0x1234);
	CU_ASSERT_EQUAL(d.is_response, 0);
	CU_ASSERT_EQUAL(d.rcode, 0);
	CU_ASSERT_EQUAL(d.qtype, 28);
	CU_ASSERT_STRING_EQUAL(d.qname, "rdp.example.com");
	CU_ASSERT_EQUAL(d.answer_count, 0);
	CU_ASSERT_EQUAL(d.answers_stored, 0);
}

/* Response: A and AAAA for the question name (pointer c0 0c). */
static void build_a_aaaa(struct msg *m)
{
	static const uint8_t v4[4] = {192, 0, 2, 10};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				       0, 0, 0, 0, 0, 0, 0, 0x0a};
	mheader(m, 0xbeef, 0x8180, 1, 2);
	mname(m, "rdp.example.com");
	mbe16(m, 1);
	mbe16(m, 1);
	mbe16(m, 0xc00c);
	mrr(m, 1, 300, 4);
	mbytes(m, v4, 4);
	mbe16(m, 0xc00c);
	mrr(m, 28, 0x7fffffffu, 16);
	mbytes(m, v6, 16);
}

static void test_a_aaaa(void)
{
	static const uint8_t v4[4] = {192, 0, 2, 10};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				       0, 0, 0, 0, 0, 0, 0, 0x0a};
	struct msg m;
	struct dns_msg d;
	build_a_aaaa(&m);
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_OK);
	CU_ASSERT_EQUAL(d.is_response, 1);
	CU_ASSERT_EQUAL(d.rcode, 0);
	CU_ASSERT_EQUAL(d.answer_count, 2);
	CU_ASSERT_EQUAL(d.answers_stored, 2);
	CU_ASSERT_EQUAL(d.answers[0].type, 1);
	CU_ASSERT_EQUAL(d.answers[0].ttl, 300);
	CU_ASSERT_EQUAL(memcmp(d.answers[0].addr, v4, 4), 0);
	CU_ASSERT_EQUAL(d.answers[0].addr[4], 0);
	CU_ASSERT_STRING_EQUAL(d.answers[0].cname, "");
	CU_ASSERT_EQUAL(d.answers[1].type, 28);
	CU_ASSERT_EQUAL(d.answers[1].ttl, 0x7fffffffu);
	CU_ASSERT_EQUAL(memcmp(d.answers[1].addr, v6, 16), 0);
}

/* Every cut of a complete response is TRUNCATED, never OK, never a crash. */
static void test_truncations(void)
{
	struct msg m;
	struct dns_msg d;
	build_a_aaaa(&m);
	for (size_t len = 0; len < m.n; len++) {
		CU_ASSERT_EQUAL(parse(&m, len, &d), DEC_TRUNCATED);
		CU_ASSERT_EQUAL(d.status, DEC_TRUNCATED);
	}
	/* Cut in the second answer: the first is kept. */
	CU_ASSERT_EQUAL(parse(&m, m.n - 1, &d), DEC_TRUNCATED);
	CU_ASSERT_EQUAL(d.answers_stored, 1);
	CU_ASSERT_EQUAL(d.answers[0].type, 1);
}

/*
 * www.example.com CNAME a.example.net
 * a.example.net   CNAME b.example.net   (owner and target compressed)
 * b.example.net   A     192.0.2.7
 */
static void test_cname_chain(void)
{
	struct msg m;
	struct dns_msg d;
	mheader(&m, 7, 0x8180, 1, 3);
	mname(&m, "www.example.com");
	mbe16(&m, 1);
	mbe16(&m, 1);
	/* answer 1 */
	mbe16(&m, 0xc00c);
	mrr(&m, 5, 60, 15);
	size_t a_at = m.n;
	mname(&m, "a.example.net"); /* 1+1 + 1+7 + 1+3 + 1 = 15 */
	/* answer 2 */
	mbe16(&m, 0xc000 | (unsigned)a_at);
	mrr(&m, 5, 61, 4);
	size_t b_at = m.n;
	m8(&m, 1);
	m8(&m, 'b');
	mbe16(&m, 0xc000 | (unsigned)(a_at + 2)); /* "example.net" */
	/* answer 3 */
	mbe16(&m, 0xc000 | (unsigned)b_at);
	mrr(&m, 1, 62, 4);
	mbe32(&m, 0xc0000207u);

	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_OK);
	CU_ASSERT_STRING_EQUAL(d.qname, "www.example.com");
	CU_ASSERT_EQUAL(d.answer_count, 3);
	CU_ASSERT_EQUAL(d.answers_stored, 3);
	CU_ASSERT_EQUAL(d.answers[0].type, 5);
	CU_ASSERT_STRING_EQUAL(d.answers[0].cname, "a.example.net");
	CU_ASSERT_EQUAL(d.answers[0].ttl, 60);
	CU_ASSERT_EQUAL(d.answers[1].type, 5);
	CU_ASSERT_STRING_EQUAL(d.answers[1].cname, "b.example.net");
	CU_ASSERT_EQUAL(d.answers[2].type, 1);
	CU_ASSERT_EQUAL(d.answers[2].ttl, 62);
	CU_ASSERT_EQUAL(d.answers[2].addr[0], 192);
	CU_ASSERT_EQUAL(d.answers[2].addr[3], 7);

	/* RDLENGTH shorter than the CNAME's name: the name runs past it. */
	m.b[a_at - 1] = 14;
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_INVALID);
	/* RDLENGTH longer than the name: bytes left over. */
	m.b[a_at - 1] = 16;
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_INVALID);
}

static void test_pointer_loops(void)
{
	struct msg m;
	struct dns_msg d;

	/* Self-pointer: the question name at 12 is c0 0c. */
	mheader(&m, 1, 0, 1, 0);
	mbe16(&m, 0xc00c);
	mbe16(&m, 1);
	mbe16(&m, 1);
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_INVALID);

	/* Forward pointer: to a real name further on. */
	mheader(&m, 1, 0, 1, 0);
	mbe16(&m, 0xc012); /* -> 18 */
	mbe16(&m, 1);
	mbe16(&m, 1);
	mname(&m, "x");
	CU_ASSERT_EQUAL(m.n, 21);
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_INVALID);

	/*
	 * Two pointers at each other: question 1 "a" with QTYPE bytes c0 13
	 * (offset 15, -> 19); question 2's name at 19 is c0 0f (-> 15).
	 * 19 -> 15 goes back, 15 -> 19 would go forward again.
	 */
	mheader(&m, 1, 0, 2, 0);
	mname(&m, "a");
	mbe16(&m, 0xc013);
	mbe16(&m, 1);
	CU_ASSERT_EQUAL(m.n, 19);
	mbe16(&m, 0xc00f);
	mbe16(&m, 1);
	mbe16(&m, 1);
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_INVALID);

	/* A pointer into the header. */
	mheader(&m, 1, 0, 1, 0);
	mbe16(&m, 0xc004);
	mbe16(&m, 1);
	mbe16(&m, 1);
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_INVALID);

	/* A pointer whose second byte is missing. */
	mheader(&m, 1, 0, 1, 0);
	m8(&m, 0xc0);
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_TRUNCATED);
}

/*
 * Question 0 is "a"; question i (1..k) is a pointer to question i-1's
 * name, so its name takes i jumps.  DNS_JUMP_MAX jumps pass, one more not.
 */
static void build_chain(struct msg *m, unsigned k)
{
	mheader(m, 1, 0, 1 + k, 0);
	size_t prev = m->n;
	mname(m, "a");
	mbe16(m, 1);
	mbe16(m, 1);
	for (unsigned i = 0; i < k; i++) {
		size_t here = m->n;
		mbe16(m, 0xc000 | (unsigned)prev);
		mbe16(m, 1);
		mbe16(m, 1);
		prev = here;
	}
}

static void test_jump_limit(void)
{
	struct msg m;
	struct dns_msg d;
	build_chain(&m, DNS_JUMP_MAX);
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_OK);
	CU_ASSERT_STRING_EQUAL(d.qname, "a");
	build_chain(&m, DNS_JUMP_MAX + 1);
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_INVALID);
}

/* A name of `wire` bytes on the wire: labels of 63 then one shorter. */
static void build_long_name(struct msg *m, size_t wire, char *text, size_t cap)
{
	size_t left = wire - 1, t = 0;
	mheader(m, 1, 0, 1, 0);
	while (left) {
		size_t len = left - 1 > 63 ? 63 : left - 1;
		if (t && t + 1 < cap)
			text[t++] = '.';
		m8(m, (unsigned)len);
		for (size_t i = 0; i < len; i++) {
			char ch = (char)('a' + (i + left) % 26);
			m8(m, (unsigned char)ch);
			if (t + 1 < cap)
				text[t++] = ch;
		}
		left -= len + 1;
	}
	text[t] = '\0';
	m8(m, 0);
	mbe16(m, 1);
	mbe16(m, 1);
}

static void test_name_lengths(void)
{
	struct msg m;
	struct dns_msg d;
	char want[300];

	build_long_name(&m, 255, want, sizeof want);
	CU_ASSERT_EQUAL(m.n, 12 + 255 + 4);
	CU_ASSERT_EQUAL(strlen(want), 253);
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_OK);
	CU_ASSERT_STRING_EQUAL(d.qname, want);

	build_long_name(&m, 256, want, sizeof want);
	CU_ASSERT_EQUAL(m.n, 12 + 256 + 4);
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_INVALID);

	/* Label of 63: fine.  64 has top bits 01: not a length. */
	char label[65];
	memset(label, 'q', 64);
	label[63] = '\0';
	mheader(&m, 1, 0, 1, 0);
	mname(&m, label);
	mbe16(&m, 1);
	mbe16(&m, 1);
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_OK);
	CU_ASSERT_STRING_EQUAL(d.qname, label);
	label[63] = 'q';
	label[64] = '\0';
	mheader(&m, 1, 0, 1, 0);
	mname(&m, label);
	mbe16(&m, 1);
	mbe16(&m, 1);
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_INVALID);
	/* 0x80: the other reserved label type. */
	m.b[12] = 0x80;
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_INVALID);

	/* The root name. */
	mheader(&m, 1, 0, 1, 0);
	m8(&m, 0);
	mbe16(&m, 2);
	mbe16(&m, 1);
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_OK);
	CU_ASSERT_STRING_EQUAL(d.qname, ".");
	CU_ASSERT_EQUAL(d.qtype, 2);
}

static void test_name_escapes(void)
{
	struct msg m;
	struct dns_msg d;
	static const uint8_t l1[] = {3, 'a', '.', 'b'};
	static const uint8_t l2[] = {4, 0x00, ' ', '\\', 0xff};
	mheader(&m, 1, 0, 1, 0);
	mbytes(&m, l1, sizeof l1);
	mbytes(&m, l2, sizeof l2);
	m8(&m, 0);
	mbe16(&m, 1);
	mbe16(&m, 1);
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_OK);
	CU_ASSERT_STRING_EQUAL(d.qname, "a\\.b.\\000\\032\\\\\\255");
}

static void test_lying_ancount(void)
{
	struct msg m;
	struct dns_msg d;
	mheader(&m, 9, 0x8180, 1, 65535);
	mname(&m, "h.example");
	mbe16(&m, 1);
	mbe16(&m, 1);
	mbe16(&m, 0xc00c);
	mrr(&m, 1, 5, 4);
	mbe32(&m, 0x0a000001u);
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_TRUNCATED);
	CU_ASSERT_EQUAL(d.status, DEC_TRUNCATED);
	CU_ASSERT_EQUAL(d.answer_count, 65535);
	CU_ASSERT_EQUAL(d.answers_stored, 1);
	CU_ASSERT_EQUAL(d.answers[0].type, 1);
	CU_ASSERT_EQUAL(d.answers[0].addr[0], 10);
	CU_ASSERT_EQUAL(d.answers[0].addr[3], 1);
	CU_ASSERT_STRING_EQUAL(d.qname, "h.example");
}

static void test_rdlength(void)
{
	struct msg m;
	struct dns_msg d;

	/* AAAA with 4 bytes of data. */
	mheader(&m, 1, 0x8180, 1, 1);
	mname(&m, "h");
	mbe16(&m, 28);
	mbe16(&m, 1);
	mbe16(&m, 0xc00c);
	mrr(&m, 28, 5, 4);
	mbe32(&m, 0x0a000001u);
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_INVALID);
	CU_ASSERT_EQUAL(d.answer_count, 1);
	CU_ASSERT_EQUAL(d.answers_stored, 0);

	/* A with 16 bytes of data. */
	mheader(&m, 1, 0x8180, 1, 1);
	mname(&m, "h");
	mbe16(&m, 1);
	mbe16(&m, 1);
	mbe16(&m, 0xc00c);
	mrr(&m, 1, 5, 16);
	for (int i = 0; i < 4; i++)
		mbe32(&m, 0);
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_INVALID);

	/* Other types are skipped by RDLENGTH, then the A is read; more
	 * than DNS_ANSWER_MAX answers are counted, not stored. */
	mheader(&m, 1, 0x8180, 1, DNS_ANSWER_MAX + 3);
	mname(&m, "h");
	mbe16(&m, 1);
	mbe16(&m, 1);
	mbe16(&m, 0xc00c);
	mrr(&m, 16, 5, 6); /* TXT "hello" */
	m8(&m, 5);
	mbytes(&m, "hello", 5);
	for (unsigned i = 0; i < DNS_ANSWER_MAX + 2; i++) {
		mbe16(&m, 0xc00c);
		mrr(&m, 1, i, 4);
		mbe32(&m, 0x0a000000u + i);
	}
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_OK);
	CU_ASSERT_EQUAL(d.answer_count, DNS_ANSWER_MAX + 3);
	CU_ASSERT_EQUAL(d.answers_stored, DNS_ANSWER_MAX);
	CU_ASSERT_EQUAL(d.answers[0].type, 1);
	CU_ASSERT_EQUAL(d.answers[0].addr[3], 0);
	CU_ASSERT_EQUAL(d.answers[DNS_ANSWER_MAX - 1].addr[3], DNS_ANSWER_MAX - 1);

	/* An unknown type whose RDLENGTH runs past the end. */
	mheader(&m, 1, 0x8180, 1, 1);
	mname(&m, "h");
	mbe16(&m, 1);
	mbe16(&m, 1);
	mbe16(&m, 0xc00c);
	mrr(&m, 99, 5, 60000);
	mbe32(&m, 0);
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_TRUNCATED);
}

static void test_header(void)
{
	struct msg m;
	struct dns_msg d;
	mheader(&m, 0xabcd, 0x8183, 1, 0); /* NXDOMAIN */
	mname(&m, "nope.example");
	mbe16(&m, 1);
	mbe16(&m, 1);
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_OK);
	CU_ASSERT_EQUAL(d.is_response, 1);
	CU_ASSERT_EQUAL(d.rcode, 3);
	CU_ASSERT_EQUAL(d.id, 0xabcd);
	CU_ASSERT_EQUAL(parse(&m, 11, &d), DEC_TRUNCATED);
	CU_ASSERT_EQUAL(parse(&m, 0, &d), DEC_TRUNCATED);
	/* Header only, no question: fine. */
	mheader(&m, 1, 0x8000, 0, 0);
	CU_ASSERT_EQUAL(parse(&m, m.n, &d), DEC_OK);
	CU_ASSERT_STRING_EQUAL(d.qname, "");
}

static const struct test_case dns_cases[] = {
	{"query", test_query},
	{"A and AAAA answers", test_a_aaaa},
	{"cut at every length", test_truncations},
	{"CNAME chain then A", test_cname_chain},
	{"compression pointer loops", test_pointer_loops},
	{"DNS_JUMP_MAX pointer jumps", test_jump_limit},
	{"name 255/256, label 63/64, root", test_name_lengths},
	{"label bytes escaped", test_name_escapes},
	{"ANCOUNT 65535 with 1 answer", test_lying_ancount},
	{"RDLENGTH checks and skipping", test_rdlength},
	{"header", test_header},
	{NULL, NULL},
};

void register_unit_dns(void)
{
	add_suite("dns", dns_cases);
}

/*
 * test_x224.c - TPKT (RFC 1006), X.224 class 0 TPDUs and the RDP
 * negotiation structures (MS-RDPBCGR 2.2.1.1, 2.2.1.2), built byte by
 * byte from the layouts in x224.c.
 *
 * Every parse runs on a heap copy of exactly the tested length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "tests.h"
#include "x224.h"

/* why is static text or NULL: a NULL must fail the test, not crash it. */
#define ASSERT_WHY(why, text) CU_ASSERT_STRING_EQUAL((why) ? (why) : "(null)", text)

static void mstr(struct msg *m, const char *s)
{
	size_t n = strlen(s);
	memcpy(m->b + m->n, s, n);
	m->n += n;
}

/* TPKT header and X.224 fixed part; lengths are fixed up by mdone(). */
static void mstart(struct msg *m, unsigned code)
{
	static const uint8_t hdr[] = {3, 0, 0, 0, 0};
	memcpy(m->b, hdr, sizeof hdr);
	m->n = sizeof hdr;
	m8(m, code);
	mle16(m, 0); /* DST-REF */
	mle16(m, 0); /* SRC-REF */
	m8(m, 0);    /* class 0 */
}

/* TPKT length = everything; LI = everything after itself. */
static void mdone(struct msg *m)
{
	m->b[2] = (uint8_t)(m->n >> 8);
	m->b[3] = (uint8_t)m->n;
	m->b[4] = (uint8_t)(m->n - 5);
}

/* An RDP_NEG_* structure: type, flags, length, value (all LE). */
static void mneg(struct msg *m, unsigned type, unsigned flags, unsigned len, uint32_t v)
{
	m8(m, type);
	m8(m, flags);
	mle16(m, len);
	mle32(m, v);
}

static void mcorrelation(struct msg *m)
{
	m8(m, NEG_CORRELATION_INFO);
	m8(m, 0);
	mle16(m, 36);
	for (unsigned i = 0; i < 16; i++)
		m8(m, 0xA0 + i); /* correlationId */
	for (unsigned i = 0; i < 16; i++)
		m8(m, 0);        /* reserved */
}

static uint8_t *exact(const uint8_t *src, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	if (n)
		memcpy(p, src, n);
	return p;
}

/* Parses the first `len` bytes of m (status also checked in f). */
static enum dec_status cr(const struct msg *m, size_t len, struct x224_cr_facts *f)
{
	uint8_t *b = exact(m->b, len);
	struct cur c = cur_make(b, len);
	memset(f, 0, sizeof *f);
	enum dec_status st = x224_parse_cr(&c, f);
	CU_ASSERT_EQUAL(st, f->status);
	free(b);
	return st;
}

static enum dec_status cc(const struct msg *m, size_t len, struct x224_cc_facts *f)
{
	uint8_t *b = exact(m->b, len);
	struct cur c = cur_make(b, len);
	memset(f, 0, sizeof *f);
	enum dec_status st = x224_parse_cc(&c, f);
	CU_ASSERT_EQUAL(st, f->status);
	free(b);
	return st;
}

static int is_cr(const struct msg *m, size_t len)
{
	uint8_t *b = exact(m->b, len);
	int r = x224_is_connection_request(b, len);
	free(b);
	return r;
}

static unsigned tpkt(const uint8_t *bytes, size_t len)
{
	uint8_t *b = exact(bytes, len);
	unsigned r = tpkt_length(b, len);
	free(b);
	return r;
}

/* ---- TPKT -------------------------------------------------------------- */

static void test_tpkt_length(void)
{
	static const uint8_t l7[] = {3, 0, 0, 7};
	static const uint8_t l6[] = {3, 0, 0, 6};
	static const uint8_t l0[] = {3, 0, 0, 0};
	static const uint8_t l255[] = {3, 0, 0, 255};
	static const uint8_t l256[] = {3, 0, 1, 0};
	static const uint8_t l65535[] = {3, 0, 0xff, 0xff};
	static const uint8_t v2[] = {2, 0, 0, 7};
	static const uint8_t v4[] = {4, 0, 0, 7};
	static const uint8_t v0[] = {0, 0, 0, 7};
	static const uint8_t reserved[] = {3, 0xff, 0, 7};

	CU_ASSERT_EQUAL(tpkt(l7, 4), 7);
	CU_ASSERT_EQUAL(tpkt(l6, 4), 0);
	CU_ASSERT_EQUAL(tpkt(l0, 4), 0);
	CU_ASSERT_EQUAL(tpkt(l255, 4), 255);
	CU_ASSERT_EQUAL(tpkt(l256, 4), 256); /* the high byte counts */
	CU_ASSERT_EQUAL(tpkt(l65535, 4), 65535);
	CU_ASSERT_EQUAL(tpkt(v2, 4), 0);
	CU_ASSERT_EQUAL(tpkt(v4, 4), 0);
	CU_ASSERT_EQUAL(tpkt(v0, 4), 0);
	CU_ASSERT_EQUAL(tpkt(reserved, 4), 7); /* reserved is not checked */
	/* Fewer than 4 bytes: not enough to tell. */
	CU_ASSERT_EQUAL(tpkt(l7, 3), 0);
	CU_ASSERT_EQUAL(tpkt(l7, 1), 0);
	CU_ASSERT_EQUAL(tpkt(l7, 0), 0);
	/* More bytes than 4 do not change the answer. */
	static const uint8_t longer[] = {3, 0, 0, 19, 0xE0, 0, 0};
	CU_ASSERT_EQUAL(tpkt(longer, sizeof longer), 19);
}

static void test_tpdu_code_and_names(void)
{
	static const uint8_t dt[] = {3, 0, 0, 7, 2, 0xF0, 0x80};
	static const uint8_t cc_cdt[] = {3, 0, 0, 11, 6, 0xD3};
	uint8_t *b = exact(dt, sizeof dt);
	CU_ASSERT_EQUAL(x224_tpdu_code(b, sizeof dt), X224_TPDU_DT);
	CU_ASSERT_EQUAL(x224_tpdu_code(b, 6), X224_TPDU_DT);
	CU_ASSERT_EQUAL(x224_tpdu_code(b, 5), 0);
	CU_ASSERT_EQUAL(x224_tpdu_code(b, 0), 0);
	free(b);
	b = exact(cc_cdt, sizeof cc_cdt);
	CU_ASSERT_EQUAL(x224_tpdu_code(b, sizeof cc_cdt), X224_TPDU_CC); /* CDT nibble masked */
	free(b);

	CU_ASSERT_STRING_EQUAL(x224_tpdu_name(X224_TPDU_CR), "Connection Request");
	CU_ASSERT_STRING_EQUAL(x224_tpdu_name(X224_TPDU_CC), "Connection Confirm");
	CU_ASSERT_STRING_EQUAL(x224_tpdu_name(X224_TPDU_DR), "Disconnect Request");
	CU_ASSERT_STRING_EQUAL(x224_tpdu_name(X224_TPDU_DT), "Data");
	CU_ASSERT_STRING_EQUAL(x224_tpdu_name(X224_TPDU_ER), "Error");
	CU_ASSERT_STRING_EQUAL(x224_tpdu_name(0x10), "unknown TPDU");
	CU_ASSERT_STRING_EQUAL(x224_tpdu_name(0), "unknown TPDU");
}

/* ---- Connection Request ------------------------------------------------ */

/* The CR of the xrdp fixture: cookie, then RDP_NEG_REQ for SSL. */
static void cr_cookie_neg(struct msg *m)
{
	mstart(m, X224_TPDU_CR);
	mstr(m, "Cookie: mstshash=rdprobe\r\n");
	mneg(m, NEG_REQ, 0, 8, PROTOCOL_SSL);
	mdone(m);
}

static void test_is_connection_request(void)
{
	struct msg m;
	cr_cookie_neg(&m);
	CU_ASSERT_EQUAL(m.n, 45); /* the fixture's 45-byte request */
	CU_ASSERT_EQUAL(m.b[4], 40);
	CU_ASSERT_TRUE(is_cr(&m, m.n));
	/* Recognised from its first 6 bytes: a request split over segments. */
	CU_ASSERT_TRUE(is_cr(&m, 6));
	CU_ASSERT_FALSE(is_cr(&m, 5));
	CU_ASSERT_FALSE(is_cr(&m, 4));
	CU_ASSERT_FALSE(is_cr(&m, 3));
	CU_ASSERT_FALSE(is_cr(&m, 0));

	/* The smallest: LI 6, TPKT 11. */
	mstart(&m, X224_TPDU_CR);
	mdone(&m);
	CU_ASSERT_EQUAL(m.n, 11);
	CU_ASSERT_TRUE(is_cr(&m, m.n));
	/* LI 5: too short for a CR header. */
	m.b[4] = 5;
	CU_ASSERT_FALSE(is_cr(&m, m.n));
	/* LI 7 in an 11-byte TPKT: one byte longer than the packet. */
	m.b[4] = 7;
	CU_ASSERT_FALSE(is_cr(&m, m.n));
	m.b[4] = 255;
	CU_ASSERT_FALSE(is_cr(&m, m.n));
	m.b[4] = 6;
	/* Other TPDUs, other versions, a CR code with a credit nibble. */
	m.b[5] = X224_TPDU_CC;
	CU_ASSERT_FALSE(is_cr(&m, m.n));
	m.b[5] = X224_TPDU_DT;
	CU_ASSERT_FALSE(is_cr(&m, m.n));
	m.b[5] = X224_TPDU_CR | 1;
	CU_ASSERT_FALSE(is_cr(&m, m.n));
	m.b[5] = X224_TPDU_CR;
	m.b[0] = 2;
	CU_ASSERT_FALSE(is_cr(&m, m.n));
	m.b[0] = 3;
	m.b[3] = 6; /* TPKT length below the minimum */
	CU_ASSERT_FALSE(is_cr(&m, m.n));
	/* TLS and HTTP are not requests. */
	static const uint8_t tls[] = {0x16, 3, 1, 0, 0x50, 1};
	static const uint8_t http[] = {'G', 'E', 'T', ' ', '/', ' '};
	CU_ASSERT_EQUAL(x224_is_connection_request(tls, sizeof tls), 0);
	CU_ASSERT_EQUAL(x224_is_connection_request(http, sizeof http), 0);
}

static void test_cr_mstshash(void)
{
	struct msg m;
	struct x224_cr_facts f;

	cr_cookie_neg(&m);
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.cookie_kind, COOKIE_MSTSHASH);
	CU_ASSERT_STRING_EQUAL(f.cookie, "mstshash=rdprobe");
	CU_ASSERT_EQUAL(f.neg_present, 1);
	CU_ASSERT_EQUAL(f.neg_flags, 0);
	CU_ASSERT_EQUAL(f.requested, PROTOCOL_SSL);
	CU_ASSERT_EQUAL(f.correlation_present, 0);
	CU_ASSERT_PTR_NULL(f.why);

	/* Trailing spaces are padding, not part of the name. */
	mstart(&m, X224_TPDU_CR);
	mstr(&m, "Cookie: mstshash=JOHN-PC   \r\n");
	mneg(&m, NEG_REQ, 0x00, 8, 0x3);
	mdone(&m);
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.cookie_kind, COOKIE_MSTSHASH);
	CU_ASSERT_STRING_EQUAL(f.cookie, "mstshash=JOHN-PC");
	CU_ASSERT_EQUAL(f.requested, 0x3);

	/* The cursor has consumed exactly the TPKT. */
	uint8_t two[100];
	memcpy(two, m.b, m.n);
	memcpy(two + m.n, m.b, m.n);
	struct cur c = cur_make(two, 2 * m.n);
	memset(&f, 0, sizeof f);
	CU_ASSERT_EQUAL(x224_parse_cr(&c, &f), DEC_OK);
	CU_ASSERT_EQUAL(cur_left(&c), m.n);
}

static void test_cr_routing_token(void)
{
	struct msg m;
	struct x224_cr_facts f;

	mstart(&m, X224_TPDU_CR);
	mstr(&m, "Cookie: msts=3640205228.15629.0000\r\n");
	mneg(&m, NEG_REQ, 0, 8, 0x3);
	mdone(&m);
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.cookie_kind, COOKIE_ROUTING_TOKEN);
	CU_ASSERT_STRING_EQUAL(f.cookie, "msts=3640205228.15629.0000");
	CU_ASSERT_EQUAL(f.neg_present, 1);
	CU_ASSERT_EQUAL(f.requested, 0x3);

	/* A token without the "Cookie: " prefix is kept whole. */
	mstart(&m, X224_TPDU_CR);
	mstr(&m, "tsv://MS Terminal Services Plugin.1.Sessions\r\n");
	mdone(&m);
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.cookie_kind, COOKIE_ROUTING_TOKEN);
	CU_ASSERT_STRING_EQUAL(f.cookie, "tsv://MS Terminal Services Plugin.1.Sessions");
	CU_ASSERT_EQUAL(f.neg_present, 0);
}

static void test_cr_no_cookie(void)
{
	struct msg m;
	struct x224_cr_facts f;

	/* mstsc with no user name: RDP_NEG_REQ straight after the header. */
	mstart(&m, X224_TPDU_CR);
	mneg(&m, NEG_REQ, 0, 8, 0xb);
	mdone(&m);
	CU_ASSERT_EQUAL(m.n, 19);
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.cookie_kind, COOKIE_NONE);
	CU_ASSERT_STRING_EQUAL(f.cookie, "");
	CU_ASSERT_EQUAL(f.neg_present, 1);
	CU_ASSERT_EQUAL(f.requested, PROTOCOL_SSL | PROTOCOL_HYBRID | PROTOCOL_HYBRID_EX);

	/* Flags are kept; requestedProtocols is read little-endian. */
	mstart(&m, X224_TPDU_CR);
	mneg(&m, NEG_REQ, 0x0B, 8, 0x12345678u);
	mdone(&m);
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.neg_flags, 0x0B);
	CU_ASSERT_EQUAL(f.requested, 0x12345678u);
}

static void test_cr_legacy(void)
{
	struct msg m;
	struct x224_cr_facts f;

	/* Cookie only: a client that does not negotiate (standard RDP security). */
	mstart(&m, X224_TPDU_CR);
	mstr(&m, "Cookie: mstshash=rdprobe\r\n");
	mdone(&m);
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.cookie_kind, COOKIE_MSTSHASH);
	CU_ASSERT_STRING_EQUAL(f.cookie, "mstshash=rdprobe");
	CU_ASSERT_EQUAL(f.neg_present, 0);
	CU_ASSERT_EQUAL(f.requested, 0);

	/* Nothing at all after the fixed part. */
	mstart(&m, X224_TPDU_CR);
	mdone(&m);
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.cookie_kind, COOKIE_NONE);
	CU_ASSERT_EQUAL(f.neg_present, 0);
}

static void test_cr_correlation(void)
{
	struct msg m;
	struct x224_cr_facts f;

	mstart(&m, X224_TPDU_CR);
	mstr(&m, "Cookie: mstshash=u\r\n");
	mneg(&m, NEG_REQ, 0x08, 8, 0x3); /* CORRELATION_INFO_PRESENT */
	mcorrelation(&m);
	mdone(&m);
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.neg_present, 1);
	CU_ASSERT_EQUAL(f.neg_flags, 0x08);
	CU_ASSERT_EQUAL(f.requested, 0x3);
	CU_ASSERT_EQUAL(f.correlation_present, 1);
	CU_ASSERT_STRING_EQUAL(f.cookie, "mstshash=u");

	/* Correlation info with a length other than 36. */
	mstart(&m, X224_TPDU_CR);
	mneg(&m, NEG_REQ, 0x08, 8, 0x3);
	m8(&m, NEG_CORRELATION_INFO);
	m8(&m, 0);
	mle16(&m, 35);
	for (int i = 0; i < 31; i++)
		m8(&m, 0);
	mdone(&m);
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_INVALID);
	ASSERT_WHY(f.why, "unknown negotiation structure in the request");
	CU_ASSERT_EQUAL(f.correlation_present, 0);
	CU_ASSERT_EQUAL(f.requested, 0x3);
}

static void test_cr_invalid(void)
{
	struct msg m;
	struct x224_cr_facts f;

	/* RDP_NEG_REQ declaring length 7. */
	mstart(&m, X224_TPDU_CR);
	mneg(&m, NEG_REQ, 0, 7, 0x3);
	mdone(&m);
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_INVALID);
	ASSERT_WHY(f.why, "RDP_NEG_REQ length is not 8");
	CU_ASSERT_EQUAL(f.neg_present, 0);
	/* ... and 9. */
	mstart(&m, X224_TPDU_CR);
	mneg(&m, NEG_REQ, 0, 9, 0x3);
	m8(&m, 0);
	mdone(&m);
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_INVALID);
	ASSERT_WHY(f.why, "RDP_NEG_REQ length is not 8");

	/* A response structure where a request belongs: only types 1 and 6
	 * start a structure, any other first byte starts a cookie line. */
	mstart(&m, X224_TPDU_CR);
	mneg(&m, NEG_RSP, 0, 8, 0x1);
	mdone(&m);
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_INVALID);
	ASSERT_WHY(f.why, "cookie without CR LF inside the TPDU header");
	CU_ASSERT_EQUAL(f.neg_present, 0);

	/* A cookie whose CR LF is missing: the bytes are wrong, the packet is whole. */
	mstart(&m, X224_TPDU_CR);
	mstr(&m, "Cookie: mstshash=NAME");
	mdone(&m);
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_INVALID);
	ASSERT_WHY(f.why, "cookie without CR LF inside the TPDU header");
	CU_ASSERT_STRING_EQUAL(f.cookie, "Cookie: mstshash=NAME");
	/* ... with only the CR. */
	mstart(&m, X224_TPDU_CR);
	mstr(&m, "Cookie: mstshash=NAME\r");
	mdone(&m);
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_INVALID);
	ASSERT_WHY(f.why, "cookie without CR LF inside the TPDU header");
	/* ... followed by RDP_NEG_REQ: the line never ends inside the header. */
	mstart(&m, X224_TPDU_CR);
	mstr(&m, "Cookie: mstshash=NAME");
	mneg(&m, NEG_REQ, 0, 8, 0x3);
	mdone(&m);
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_INVALID);
	ASSERT_WHY(f.why, "cookie without CR LF inside the TPDU header");
	CU_ASSERT_EQUAL(f.neg_present, 0);

	/* LI one byte longer than the TPKT has room for. */
	cr_cookie_neg(&m);
	m.b[4]++;
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_INVALID);
	ASSERT_WHY(f.why, "TPKT/X.224 header lengths inconsistent");
	m.b[4] = 255;
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_INVALID);
	ASSERT_WHY(f.why, "TPKT/X.224 header lengths inconsistent");

	/* TPKT length below 7, version not 3. */
	cr_cookie_neg(&m);
	m.b[2] = 0;
	m.b[3] = 6;
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_INVALID);
	ASSERT_WHY(f.why, "TPKT/X.224 header lengths inconsistent");
	cr_cookie_neg(&m);
	m.b[0] = 2;
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_INVALID);

	/* Not a CR at all. */
	cr_cookie_neg(&m);
	m.b[5] = X224_TPDU_CC;
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_INVALID);
	ASSERT_WHY(f.why, "not an X.224 Connection Request");

	/* LI too small for the CR fixed part, in a whole packet: invalid, not truncated. */
	mstart(&m, X224_TPDU_CR);
	mdone(&m);
	m.b[4] = 2;
	m.b[3] = 7;
	CU_ASSERT_EQUAL(cr(&m, 7, &f), DEC_INVALID);
	ASSERT_WHY(f.why, "X.224 header (LI) too short for its fields");
	/* LI ending inside RDP_NEG_REQ, the rest of it after the header. */
	cr_cookie_neg(&m);
	m.b[4] -= 4;
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_INVALID);
	ASSERT_WHY(f.why, "X.224 header (LI) too short for its fields");
	CU_ASSERT_EQUAL(f.requested, 0);
	/* One stray byte after the fixed part. */
	mstart(&m, X224_TPDU_CR);
	m8(&m, NEG_REQ);
	mdone(&m);
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_INVALID);
}

static void test_cr_truncated(void)
{
	struct msg m;
	struct x224_cr_facts f;

	/* TPKT length one byte longer than the data: what is there is decoded. */
	cr_cookie_neg(&m);
	m.b[3]++;
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_TRUNCATED);
	CU_ASSERT_EQUAL(f.requested, PROTOCOL_SSL);
	CU_ASSERT_STRING_EQUAL(f.cookie, "mstshash=rdprobe");
	CU_ASSERT_PTR_NULL(f.why);
	m.b[2] = 0xff;
	m.b[3] = 0xff;
	CU_ASSERT_EQUAL(cr(&m, m.n, &f), DEC_TRUNCATED);
	CU_ASSERT_EQUAL(f.neg_present, 1);

	/* Every prefix of complete requests: truncated, never OK, never a crash. */
	struct msg all[3];
	cr_cookie_neg(&all[0]);
	mstart(&all[1], X224_TPDU_CR);
	mstr(&all[1], "Cookie: msts=3640205228.15629.0000\r\n");
	mneg(&all[1], NEG_REQ, 0x08, 8, 0xb);
	mcorrelation(&all[1]);
	mdone(&all[1]);
	mstart(&all[2], X224_TPDU_CR);
	mneg(&all[2], NEG_REQ, 0, 8, 0xb);
	mdone(&all[2]);
	for (int k = 0; k < 3; k++) {
		CU_ASSERT_EQUAL(cr(&all[k], all[k].n, &f), DEC_OK);
		for (size_t n = 0; n < all[k].n; n++) {
			enum dec_status st = cr(&all[k], n, &f);
			CU_ASSERT_EQUAL(st, DEC_TRUNCATED);
			CU_ASSERT_PTR_NULL(f.why);
			if (st != DEC_TRUNCATED)
				fprintf(stderr, "CR %d cut at %zu: %s (%s)\n", k, n,
					dec_status_name(st), f.why ? f.why : "");
		}
	}
}

/* ---- Connection Confirm ------------------------------------------------ */

static void cc_neg(struct msg *m, unsigned type, unsigned flags, unsigned len, uint32_t v)
{
	mstart(m, X224_TPDU_CC);
	mneg(m, type, flags, len, v);
	mdone(m);
}

static void test_cc_rsp(void)
{
	static const struct {
		uint32_t selected;
		uint8_t flags;
	} cases[] = {
		{PROTOCOL_RDP, 0x00},
		{PROTOCOL_SSL, 0x01},      /* EXTENDED_CLIENT_DATA_SUPPORTED */
		{PROTOCOL_HYBRID, 0x1F},   /* every flag of 2.2.1.2.1 */
		{PROTOCOL_HYBRID_EX, 0x0B},
	};
	struct msg m;
	struct x224_cc_facts f;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cc_neg(&m, NEG_RSP, cases[i].flags, 8, cases[i].selected);
		CU_ASSERT_EQUAL(m.n, 19);
		CU_ASSERT_EQUAL(cc(&m, m.n, &f), DEC_OK);
		CU_ASSERT_EQUAL(f.tpdu_code, X224_TPDU_CC);
		CU_ASSERT_EQUAL(f.neg_type, NEG_RSP);
		CU_ASSERT_EQUAL(f.neg_flags, cases[i].flags);
		CU_ASSERT_EQUAL(f.neg_length, 8);
		CU_ASSERT_EQUAL(f.selected, cases[i].selected);
		CU_ASSERT_EQUAL(f.failure_code, 0);
		CU_ASSERT_PTR_NULL(f.why);
	}
}

static void test_cc_failure(void)
{
	static const char *const names[] = {
		NULL,
		"SSL_REQUIRED_BY_SERVER",
		"SSL_NOT_ALLOWED_BY_SERVER",
		"SSL_CERT_NOT_ON_SERVER",
		"INCONSISTENT_FLAGS",
		"HYBRID_REQUIRED_BY_SERVER",
		"SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER",
	};
	struct msg m;
	struct x224_cc_facts f;

	for (uint32_t code = 1; code <= 6; code++) {
		cc_neg(&m, NEG_FAILURE, 0, 8, code);
		CU_ASSERT_EQUAL(cc(&m, m.n, &f), DEC_OK);
		CU_ASSERT_EQUAL(f.neg_type, NEG_FAILURE);
		CU_ASSERT_EQUAL(f.failure_code, code);
		CU_ASSERT_EQUAL(f.selected, 0);
		CU_ASSERT_EQUAL(f.neg_length, 8);
		CU_ASSERT_STRING_EQUAL(x224_failure_name(f.failure_code), names[code]);
	}
	CU_ASSERT_STRING_EQUAL(x224_failure_name(0), "unknown failure code");
	CU_ASSERT_STRING_EQUAL(x224_failure_name(7), "unknown failure code");
	CU_ASSERT_STRING_EQUAL(x224_failure_name(0xFFFFFFFFu), "unknown failure code");

	/* A failure code no table knows is still a sound structure. */
	cc_neg(&m, NEG_FAILURE, 0, 8, 0x100);
	CU_ASSERT_EQUAL(cc(&m, m.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.failure_code, 0x100);
	/* RDP_NEG_FAILURE with a bad length. */
	cc_neg(&m, NEG_FAILURE, 0, 16, 2);
	CU_ASSERT_EQUAL(cc(&m, m.n, &f), DEC_INVALID);
	ASSERT_WHY(f.why, "RDP_NEG_FAILURE length is not 8");
	CU_ASSERT_EQUAL(f.failure_code, 2);
	CU_ASSERT_EQUAL(f.neg_length, 16);
}

static void test_cc_legacy(void)
{
	struct msg m;
	struct x224_cc_facts f;

	mstart(&m, X224_TPDU_CC);
	mdone(&m);
	CU_ASSERT_EQUAL(m.n, 11);
	CU_ASSERT_EQUAL(cc(&m, m.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.tpdu_code, X224_TPDU_CC);
	CU_ASSERT_EQUAL(f.neg_type, NEG_NONE);
	CU_ASSERT_EQUAL(f.neg_length, 0);
	CU_ASSERT_EQUAL(f.selected, 0);
	CU_ASSERT_PTR_NULL(f.why);
}

static void test_cc_invalid(void)
{
	struct msg m;
	struct x224_cc_facts f;

	/* RDP_NEG_RSP declaring length 0: invalid, but what it selected is kept. */
	cc_neg(&m, NEG_RSP, 0x01, 0, PROTOCOL_HYBRID);
	CU_ASSERT_EQUAL(cc(&m, m.n, &f), DEC_INVALID);
	ASSERT_WHY(f.why, "RDP_NEG_RSP length is not 8");
	CU_ASSERT_EQUAL(f.selected, PROTOCOL_HYBRID);
	CU_ASSERT_EQUAL(f.neg_type, NEG_RSP);
	CU_ASSERT_EQUAL(f.neg_length, 0);
	CU_ASSERT_EQUAL(f.neg_flags, 0x01);
	cc_neg(&m, NEG_RSP, 0, 0xFFFF, PROTOCOL_SSL);
	CU_ASSERT_EQUAL(cc(&m, m.n, &f), DEC_INVALID);
	CU_ASSERT_EQUAL(f.neg_length, 0xFFFF);

	/* A byte after RDP_NEG_RSP, inside the header. */
	mstart(&m, X224_TPDU_CC);
	mneg(&m, NEG_RSP, 0, 8, PROTOCOL_SSL);
	m8(&m, 0);
	mdone(&m);
	CU_ASSERT_EQUAL(cc(&m, m.n, &f), DEC_INVALID);
	ASSERT_WHY(f.why, "bytes after the negotiation structure");
	CU_ASSERT_EQUAL(f.selected, PROTOCOL_SSL);

	/* Type 5 is no negotiation structure. */
	cc_neg(&m, 5, 0, 8, 1);
	CU_ASSERT_EQUAL(cc(&m, m.n, &f), DEC_INVALID);
	ASSERT_WHY(f.why, "unknown negotiation structure in the confirm");
	CU_ASSERT_EQUAL(f.neg_type, NEG_NONE);
	CU_ASSERT_EQUAL(f.selected, 0);
	/* Nor is a request, in a confirm. */
	cc_neg(&m, NEG_REQ, 0, 8, 1);
	CU_ASSERT_EQUAL(cc(&m, m.n, &f), DEC_INVALID);
	ASSERT_WHY(f.why, "unknown negotiation structure in the confirm");

	/* Other TPDU codes. */
	cc_neg(&m, NEG_RSP, 0, 8, 1);
	m.b[5] = X224_TPDU_CR;
	CU_ASSERT_EQUAL(cc(&m, m.n, &f), DEC_INVALID);
	ASSERT_WHY(f.why, "not an X.224 Connection Confirm");
	CU_ASSERT_EQUAL(f.tpdu_code, X224_TPDU_CR);
	m.b[5] = X224_TPDU_DR;
	CU_ASSERT_EQUAL(cc(&m, m.n, &f), DEC_INVALID);
	CU_ASSERT_EQUAL(f.tpdu_code, X224_TPDU_DR);

	/* LI one byte over the TPKT. */
	cc_neg(&m, NEG_RSP, 0, 8, 1);
	m.b[4]++;
	CU_ASSERT_EQUAL(cc(&m, m.n, &f), DEC_INVALID);
	ASSERT_WHY(f.why, "TPKT/X.224 header lengths inconsistent");

	/* LI ending inside RDP_NEG_RSP, in a whole packet: invalid, not truncated. */
	cc_neg(&m, NEG_RSP, 0, 8, 1);
	m.b[4] -= 4;
	CU_ASSERT_EQUAL(cc(&m, m.n, &f), DEC_INVALID);
	ASSERT_WHY(f.why, "X.224 header (LI) too short for its fields");
	/* LI 0 in a 7-byte TPKT. */
	static const uint8_t li0[] = {3, 0, 0, 7, 0, 0xD0, 0};
	memcpy(m.b, li0, sizeof li0);
	m.n = sizeof li0;
	CU_ASSERT_EQUAL(cc(&m, m.n, &f), DEC_INVALID);
	ASSERT_WHY(f.why, "X.224 header (LI) too short for its fields");
}

static void test_cc_truncated(void)
{
	struct msg m[3];
	struct x224_cc_facts f;

	cc_neg(&m[0], NEG_RSP, 0x01, 8, PROTOCOL_SSL);
	cc_neg(&m[1], NEG_FAILURE, 0, 8, 5);
	mstart(&m[2], X224_TPDU_CC);
	mdone(&m[2]);
	for (int k = 0; k < 3; k++) {
		CU_ASSERT_EQUAL(cc(&m[k], m[k].n, &f), DEC_OK);
		for (size_t n = 0; n < m[k].n; n++) {
			CU_ASSERT_EQUAL(cc(&m[k], n, &f), DEC_TRUNCATED);
			CU_ASSERT_PTR_NULL(f.why);
		}
	}
	/* TPKT length past the data, negotiation whole: truncated, values kept. */
	m[0].b[3] += 10;
	CU_ASSERT_EQUAL(cc(&m[0], m[0].n, &f), DEC_TRUNCATED);
	CU_ASSERT_EQUAL(f.selected, PROTOCOL_SSL);
	CU_ASSERT_EQUAL(f.neg_type, NEG_RSP);
}

/* ---- Data -------------------------------------------------------------- */

static void test_data(void)
{
	static const uint8_t dt[] = {3, 0, 0, 12, 2, 0xF0, 0x80, 0x7F, 0x65, 0x82, 0x01, 0x94};
	uint8_t *b = exact(dt, sizeof dt);
	struct cur c = cur_make(b, sizeof dt), u;

	CU_ASSERT_EQUAL(x224_data(&c, &u), DEC_OK);
	CU_ASSERT_PTR_EQUAL(u.p, b + 7);
	CU_ASSERT_EQUAL(cur_left(&u), 5);
	CU_ASSERT_EQUAL(cur_u8(&u), 0x7F);
	CU_ASSERT_EQUAL(cur_left(&c), 0);

	/* TPKT longer than the data: the user data is what is there. */
	b[3] = 20;
	c = cur_make(b, sizeof dt);
	CU_ASSERT_EQUAL(x224_data(&c, &u), DEC_TRUNCATED);
	CU_ASSERT_PTR_EQUAL(u.p, b + 7);
	CU_ASSERT_EQUAL(cur_left(&u), 5);
	b[3] = 12;

	/* Every prefix. */
	for (size_t n = 0; n < sizeof dt; n++) {
		uint8_t *s = exact(dt, n);
		c = cur_make(s, n);
		CU_ASSERT_EQUAL(x224_data(&c, &u), DEC_TRUNCATED);
		free(s);
	}

	/* Empty user data. */
	static const uint8_t empty[] = {3, 0, 0, 7, 2, 0xF0, 0x80};
	c = cur_make(empty, sizeof empty);
	CU_ASSERT_EQUAL(x224_data(&c, &u), DEC_OK);
	CU_ASSERT_EQUAL(cur_left(&u), 0);
	CU_ASSERT_EQUAL(u.err, CUR_OK);

	/* A Connection Request is valid X.224, but not data. */
	struct msg m;
	cr_cookie_neg(&m);
	c = cur_make(m.b, m.n);
	CU_ASSERT_EQUAL(x224_data(&c, &u), DEC_UNSUPPORTED);
	/* Broken lengths. */
	b[4] = 9;
	c = cur_make(b, sizeof dt);
	CU_ASSERT_EQUAL(x224_data(&c, &u), DEC_INVALID);
	b[4] = 0; /* LI 0 in a whole packet: no TPDU code */
	c = cur_make(b, sizeof dt);
	CU_ASSERT_EQUAL(x224_data(&c, &u), DEC_INVALID);
	free(b);
}

/* ---- names ------------------------------------------------------------- */

static void test_protocols_str(void)
{
	char buf[64];

	CU_ASSERT_STRING_EQUAL(x224_protocols_str(0, buf, sizeof buf), "RDP");
	CU_ASSERT_STRING_EQUAL(x224_protocols_str(0x1, buf, sizeof buf), "SSL");
	CU_ASSERT_STRING_EQUAL(x224_protocols_str(0x2, buf, sizeof buf), "HYBRID");
	CU_ASSERT_STRING_EQUAL(x224_protocols_str(0xb, buf, sizeof buf), "SSL|HYBRID|HYBRID_EX");
	CU_ASSERT_STRING_EQUAL(x224_protocols_str(0x10, buf, sizeof buf), "RDSAAD");
	CU_ASSERT_STRING_EQUAL(x224_protocols_str(0x1f, buf, sizeof buf),
			       "SSL|HYBRID|RDSTLS|HYBRID_EX|RDSAAD");
	CU_ASSERT_STRING_EQUAL(x224_protocols_str(0x40, buf, sizeof buf), "0x40");
	CU_ASSERT_STRING_EQUAL(x224_protocols_str(0x41, buf, sizeof buf), "SSL|0x40");
	CU_ASSERT_STRING_EQUAL(x224_protocols_str(0xFFFFFFFFu, buf, sizeof buf),
			       "SSL|HYBRID|RDSTLS|HYBRID_EX|RDSAAD|0xffffffe0");

	/* Small buffers: always terminated, never overrun. */
	char small[16];
	memset(small, 'X', sizeof small);
	CU_ASSERT_PTR_EQUAL(x224_protocols_str(0xb, small, 8), small);
	CU_ASSERT_STRING_EQUAL(small, "SSL|HYB");
	CU_ASSERT_EQUAL(small[8], 'X');
	memset(small, 'X', sizeof small);
	CU_ASSERT_STRING_EQUAL(x224_protocols_str(0x1, small, 4), "SSL");
	memset(small, 'X', sizeof small);
	CU_ASSERT_STRING_EQUAL(x224_protocols_str(0x1, small, 3), "SS");
	CU_ASSERT_EQUAL(small[3], 'X');
	memset(small, 'X', sizeof small);
	CU_ASSERT_STRING_EQUAL(x224_protocols_str(0x41, small, 5), "SSL|");
	memset(small, 'X', sizeof small);
	CU_ASSERT_STRING_EQUAL(x224_protocols_str(0, small, 2), "R");
	CU_ASSERT_EQUAL(small[2], 'X');
	memset(small, 'X', sizeof small);
	CU_ASSERT_STRING_EQUAL(x224_protocols_str(0x1, small, 1), "");
	CU_ASSERT_EQUAL(small[1], 'X');
	memset(small, 'X', sizeof small);
	x224_protocols_str(0x1, small, 0);
	CU_ASSERT_EQUAL(small[0], 'X');
}

void register_unit_x224(void)
{
	static const struct test_case cases[] = {
		{"tpkt_length: version, lengths 0..65535, short", test_tpkt_length},
		{"tpdu code and names", test_tpdu_code_and_names},
		{"x224_is_connection_request", test_is_connection_request},
		{"CR: mstshash cookie, trailing spaces", test_cr_mstshash},
		{"CR: routing token", test_cr_routing_token},
		{"CR: no cookie, RDP_NEG_REQ 0xb", test_cr_no_cookie},
		{"CR: legacy, no RDP_NEG_REQ", test_cr_legacy},
		{"CR: RDP_NEG_CORRELATION_INFO", test_cr_correlation},
		{"CR: invalid lengths, cookie without CR LF", test_cr_invalid},
		{"CR: truncated at every byte", test_cr_truncated},
		{"CC: RDP_NEG_RSP 0/1/2/8 with flags", test_cc_rsp},
		{"CC: RDP_NEG_FAILURE 1..6 and names", test_cc_failure},
		{"CC: legacy confirm", test_cc_legacy},
		{"CC: invalid", test_cc_invalid},
		{"CC: truncated at every byte", test_cc_truncated},
		{"DT user data, CR is unsupported", test_data},
		{"protocols_str, small buffers", test_protocols_str},
		{NULL, NULL},
	};
	add_suite("x224", cases);
}

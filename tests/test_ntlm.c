/*
 * test_ntlm.c - CredSSP TSRequest (MS-CSSP 2.2.1) and NTLM CHALLENGE
 * (MS-NLMP 2.2.1.2) decoding, the probe's NEGOTIATE TSRequest, UTF-16
 * names, OS names, and the name comparison of the name check.
 *
 * Messages are built byte by byte from the layouts in ntlm.c; every parse
 * runs on a heap copy of exactly the tested length (ASan sees overreads).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "ntlm.h"
#include "tests.h"

#define ASSERT_WHY(why, text) CU_ASSERT_STRING_EQUAL((why) ? (why) : "(null)", text)

/* ASCII as UTF-16LE. */
static void mutf16(struct msg *m, const char *s)
{
	for (; *s; s++)
		mle16(m, (unsigned char)*s);
}

/* An AV pair with an ASCII name as UTF-16LE. */
static void av_name(struct msg *m, unsigned id, const char *s)
{
	mle16(m, id);
	mle16(m, (unsigned)(2 * strlen(s)));
	mutf16(m, s);
}

static void av_raw(struct msg *m, unsigned id, const void *p, size_t n)
{
	mle16(m, id);
	mle16(m, (unsigned)n);
	mbytes(m, p, n);
}

/* 2020-01-01T00:00:00.123456Z as FILETIME. */
#define TS_2020 ((1577836800ull + 11644473600ull) * 10000000ull + 1234560ull)

/* TargetInfo as a Windows Server 2019 domain member sends it. */
static void target_info_2019(struct msg *ti, int eol)
{
	uint8_t ts[8], flags[4] = {2, 0, 0, 0};
	for (int k = 0; k < 8; k++)
		ts[k] = (uint8_t)(TS_2020 >> (8 * k));
	ti->n = 0;
	av_name(ti, MSV_AV_NB_DOMAIN_NAME, "EXAMPLE");
	av_name(ti, MSV_AV_NB_COMPUTER_NAME, "SRV1");
	av_name(ti, MSV_AV_DNS_DOMAIN_NAME, "example.test");
	av_name(ti, MSV_AV_DNS_COMPUTER_NAME, "srv1.example.test");
	av_name(ti, MSV_AV_DNS_TREE_NAME, "example.test");
	av_raw(ti, MSV_AV_FLAGS, flags, sizeof flags);
	av_raw(ti, MSV_AV_TIMESTAMP, ts, sizeof ts);
	if (eol)
		av_raw(ti, MSV_AV_EOL, NULL, 0);
}

#define FLAGS_2019 0xE28A8215u /* UNICODE REQUEST_TARGET SIGN NTLM ALWAYS_SIGN TYPE_DOMAIN ESS TARGET_INFO VERSION 128 KEY_EXCH 56 */

/*
 * CHALLENGE_MESSAGE: fixed part, Version 10.0.17763 rev 15 when flags ask
 * for it, then TargetName "EXAMPLE" (UTF-16LE) and TargetInfo `ti`.
 */
static void challenge(struct msg *m, uint32_t flags, const struct msg *ti)
{
	static const uint8_t chal[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	size_t fixed = 48 + ((flags & NTLMSSP_NEGOTIATE_VERSION) ? 8 : 0);
	size_t tn_len = 14;

	m->n = 0;
	mbytes(m, "NTLMSSP", 8);
	mle32(m, NTLM_TYPE_CHALLENGE);
	mle16(m, (unsigned)tn_len);
	mle16(m, (unsigned)tn_len);
	mle32(m, (uint32_t)fixed);
	mle32(m, flags);
	mbytes(m, chal, sizeof chal);
	for (int k = 0; k < 8; k++)
		m8(m, 0);
	mle16(m, (unsigned)ti->n);
	mle16(m, (unsigned)ti->n);
	mle32(m, (uint32_t)(fixed + tn_len));
	if (flags & NTLMSSP_NEGOTIATE_VERSION) {
		m8(m, 10);
		m8(m, 0);
		mle16(m, 17763);
		m8(m, 0);
		m8(m, 0);
		m8(m, 0);
		m8(m, 15);
	}
	mutf16(m, "EXAMPLE");
	mbytes(m, ti->b, ti->n);
}

/* Offsets of the fields a test lies about. */
#define OFF_TN_LEN 12
#define OFF_TN_OFF 16
#define OFF_FLAGS 20
#define OFF_TI_LEN 40
#define OFF_TI_OFF 44

static void put_le16_at(struct msg *m, size_t off, unsigned v)
{
	m->b[off] = (uint8_t)v;
	m->b[off + 1] = (uint8_t)(v >> 8);
}

static void put_le32_at(struct msg *m, size_t off, uint32_t v)
{
	put_le16_at(m, off, v & 0xffff);
	put_le16_at(m, off + 2, v >> 16);
}

static uint8_t *exact(const uint8_t *src, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	if (n)
		memcpy(p, src, n);
	return p;
}

static enum dec_status chal(const struct msg *m, size_t len, struct ntlm_challenge *ch,
			    const char **why)
{
	uint8_t *b = exact(m->b, len);
	struct cur c = cur_make(b, len);
	enum dec_status st = ntlm_parse_challenge(&c, ch, why);
	CU_ASSERT_EQUAL(cur_left(&c), 0); /* the message is consumed whole */
	free(b);
	return st;
}

/* ---- DER ------------------------------------------------------------------ */

/* A DER header with the shortest length form. */
static void dhdr(struct msg *m, unsigned tag, size_t len)
{
	m8(m, tag);
	if (len < 0x80) {
		m8(m, (unsigned)len);
	} else if (len < 0x100) {
		m8(m, 0x81);
		m8(m, (unsigned)len);
	} else {
		m8(m, 0x82);
		m8(m, (unsigned)(len >> 8));
		m8(m, (unsigned)(len & 0xff));
	}
}

/* Wraps m in tag: m = tag L m. */
static void dwrap(struct msg *m, unsigned tag)
{
	struct msg t = {.n = 0};
	dhdr(&t, tag, m->n);
	mbytes(&t, m->b, m->n);
	*m = t;
}

static void dint(struct msg *m, const uint8_t *v, size_t n)
{
	dhdr(m, 0x02, n);
	mbytes(m, v, n);
}

/* TSRequest { version [0] v, negoTokens [1] { { [0] tokens[0] }, ... } } */
static void tsrequest_tokens(struct msg *out, unsigned version, const struct msg *tokens, int n)
{
	struct msg ver = {.n = 0}, list = {.n = 0}, item;
	uint8_t v = (uint8_t)version;
	dint(&ver, &v, 1);
	dwrap(&ver, 0xa0);
	for (int i = 0; i < n; i++) {
		item = tokens[i];
		dwrap(&item, 0x04);
		dwrap(&item, 0xa0);
		dwrap(&item, 0x30);
		mbytes(&list, item.b, item.n);
	}
	dwrap(&list, 0x30);
	dwrap(&list, 0xa1);
	out->n = 0;
	mbytes(out, ver.b, ver.n);
	mbytes(out, list.b, list.n);
	dwrap(out, 0x30);
}

/* TSRequest { version [0] v, negoTokens [1] { { [0] token } } } */
static void tsrequest(struct msg *out, unsigned version, const struct msg *token)
{
	tsrequest_tokens(out, version, token, 1);
}

static enum dec_status tsreq(const struct msg *m, size_t len, struct credssp_tsrequest *t,
			     const char **why)
{
	uint8_t *b = exact(m->b, len);
	struct cur c = cur_make(b, len);
	enum dec_status st = credssp_parse_tsrequest(&c, t, why);
	if (st == DEC_OK && t->token) {
		/* The token lies inside the parsed bytes. */
		CU_ASSERT(t->token >= b && t->token + t->token_len <= b + len);
	}
	free(b);
	return st;
}

/* ---- CHALLENGE ------------------------------------------------------------- */

static void test_challenge_2019(void)
{
	struct msg ti = {.n = 0}, m;
	struct ntlm_challenge ch;
	const char *why = "unset";
	char os[64];
	static const uint8_t sc[8] = {1, 2, 3, 4, 5, 6, 7, 8};

	target_info_2019(&ti, 1);
	challenge(&m, FLAGS_2019, &ti);
	CU_ASSERT_EQUAL_FATAL(chal(&m, m.n, &ch, &why), DEC_OK);
	CU_ASSERT_PTR_NULL(why);
	CU_ASSERT_EQUAL(ch.flags, FLAGS_2019);
	CU_ASSERT_EQUAL(memcmp(ch.server_challenge, sc, 8), 0);
	CU_ASSERT_STRING_EQUAL(ch.target_name, "EXAMPLE");
	CU_ASSERT_STRING_EQUAL(ch.nb_computer, "SRV1");
	CU_ASSERT_STRING_EQUAL(ch.nb_domain, "EXAMPLE");
	CU_ASSERT_STRING_EQUAL(ch.dns_computer, "srv1.example.test");
	CU_ASSERT_STRING_EQUAL(ch.dns_domain, "example.test");
	CU_ASSERT_STRING_EQUAL(ch.dns_tree, "example.test");
	CU_ASSERT(ch.have_av_flags);
	CU_ASSERT_EQUAL(ch.av_flags, 2);
	CU_ASSERT(ch.have_timestamp);
	CU_ASSERT_EQUAL(ch.timestamp, TS_2020);
	CU_ASSERT(ch.have_version);
	CU_ASSERT_EQUAL(ch.major, 10);
	CU_ASSERT_EQUAL(ch.minor, 0);
	CU_ASSERT_EQUAL(ch.build, 17763);
	CU_ASSERT_EQUAL(ch.ntlm_revision, 15);
	CU_ASSERT_EQUAL(ch.av_pairs, 8);
	CU_ASSERT(ch.av_eol);
	CU_ASSERT_EQUAL(ch.name_issues, 0);
	CU_ASSERT_STRING_EQUAL(ntlm_os_name(ch.major, ch.minor, ch.build, os, sizeof os),
			       "Windows Server 2019 / Windows 10 1809");
	uint32_t us = 99;
	CU_ASSERT_EQUAL(ntlm_filetime_to_unix(ch.timestamp, &us), 1577836800);
	CU_ASSERT_EQUAL(us, 123456);
}

/* Inside the TSRequest the server sends, with bytes after it on the stream. */
static void test_challenge_in_tsrequest(void)
{
	struct msg ti = {.n = 0}, m, ts;
	struct credssp_tsrequest t;
	struct ntlm_challenge ch;
	const char *why = "unset";
	size_t total = 0;

	target_info_2019(&ti, 1);
	challenge(&m, FLAGS_2019, &ti);
	tsrequest(&ts, 6, &m);
	CU_ASSERT_EQUAL(credssp_frame_length(ts.b, ts.n, &total), DEC_OK);
	CU_ASSERT_EQUAL(total, ts.n);
	m8(&ts, 0x30); /* the start of something else: not read */
	m8(&ts, 0x00);
	uint8_t *b = exact(ts.b, ts.n); /* the token points into it: freed last */
	struct cur c = cur_make(b, ts.n);
	CU_ASSERT_EQUAL(credssp_parse_tsrequest(&c, &t, &why), DEC_OK);
	CU_ASSERT_PTR_NULL(why);
	CU_ASSERT_EQUAL(cur_left(&c), 2); /* the cursor stops after the TSRequest */
	CU_ASSERT_EQUAL(t.version, 6);
	CU_ASSERT_EQUAL(t.tokens, 1);
	CU_ASSERT_FALSE(t.have_error_code);
	CU_ASSERT_EQUAL(t.token_len, m.n);
	if (t.token && t.token_len == m.n) {
		CU_ASSERT_EQUAL(memcmp(t.token, m.b, m.n), 0);
		struct cur tc = cur_make(t.token, t.token_len);
		CU_ASSERT_EQUAL(ntlm_parse_challenge(&tc, &ch, NULL), DEC_OK);
		CU_ASSERT_STRING_EQUAL(ch.dns_computer, "srv1.example.test");
	}
	free(b);
}

static void test_challenge_truncated(void)
{
	struct msg ti = {.n = 0}, m;
	struct ntlm_challenge ch;
	const char *why;

	target_info_2019(&ti, 1);
	challenge(&m, FLAGS_2019, &ti);
	for (size_t len = 0; len < m.n; len++) {
		why = NULL;
		enum dec_status st = chal(&m, len, &ch, &why);
		CU_ASSERT_NOT_EQUAL(st, DEC_OK);
		CU_ASSERT_PTR_NOT_NULL(why);
		/* Past the fixed part, TargetInfo reaches beyond the end. */
		CU_ASSERT_EQUAL(st, len < 56 ? DEC_TRUNCATED : DEC_INVALID);
	}
	/* One byte long: the offsets still hold, the extra byte is not read. */
	m8(&m, 0xEE);
	CU_ASSERT_EQUAL(chal(&m, m.n, &ch, NULL), DEC_OK);
	CU_ASSERT_STRING_EQUAL(ch.nb_computer, "SRV1");
}

static void test_tsrequest_truncated(void)
{
	struct msg ti = {.n = 0}, m, ts;
	struct credssp_tsrequest t;
	const char *why;

	uint8_t pad[64] = {0};
	target_info_2019(&ti, 0);
	av_raw(&ti, 0x7777, pad, sizeof pad); /* an unknown pair: pushes the lengths past 255 */
	av_raw(&ti, MSV_AV_EOL, NULL, 0);
	challenge(&m, FLAGS_2019, &ti);
	tsrequest(&ts, 6, &m);
	CU_ASSERT_FATAL(ts.n > 256); /* two-byte DER lengths are exercised */
	for (size_t len = 0; len < ts.n; len++) {
		size_t total = 0;
		why = NULL;
		enum dec_status st = tsreq(&ts, len, &t, &why);
		if (st != DEC_TRUNCATED)
			fprintf(stderr, "\n  length %zu of %zu: %s (%s)\n", len, ts.n,
				dec_status_name(st), why ? why : "-");
		CU_ASSERT_EQUAL(st, DEC_TRUNCATED);
		CU_ASSERT_PTR_NOT_NULL(why);
		enum dec_status fs = credssp_frame_length(ts.b, len, &total);
		if (len < 4) { /* 30 82 HH LL */
			CU_ASSERT_EQUAL(fs, DEC_TRUNCATED);
		} else {
			CU_ASSERT_EQUAL(fs, DEC_OK);
			CU_ASSERT_EQUAL(total, ts.n);
		}
	}
}

static void test_challenge_lying_fields(void)
{
	struct msg ti = {.n = 0}, m, good;
	struct ntlm_challenge ch;
	const char *why;

	target_info_2019(&ti, 1);
	challenge(&good, FLAGS_2019, &ti);

	m = good; /* TargetInfo one byte longer than the message holds */
	put_le16_at(&m, OFF_TI_LEN, (unsigned)ti.n + 1);
	CU_ASSERT_EQUAL(chal(&m, m.n, &ch, &why), DEC_INVALID);
	ASSERT_WHY(why, "TargetInfo lies outside the message");

	m = good; /* offset past the end */
	put_le32_at(&m, OFF_TI_OFF, (uint32_t)m.n + 1);
	CU_ASSERT_EQUAL(chal(&m, m.n, &ch, &why), DEC_INVALID);

	m = good; /* offset + length wraps 32 bits */
	put_le32_at(&m, OFF_TN_OFF, 0xFFFFFFFFu);
	CU_ASSERT_EQUAL(chal(&m, m.n, &ch, &why), DEC_INVALID);
	ASSERT_WHY(why, "TargetName lies outside the message");

	m = good; /* an empty field may point anywhere */
	put_le16_at(&m, OFF_TN_LEN, 0);
	put_le32_at(&m, OFF_TN_OFF, 0xFFFFFFF0u);
	CU_ASSERT_EQUAL(chal(&m, m.n, &ch, &why), DEC_OK);
	CU_ASSERT_STRING_EQUAL(ch.target_name, "");
	CU_ASSERT_STRING_EQUAL(ch.dns_computer, "srv1.example.test");

	m = good; /* offsets may point into the fixed part: read, but bounded */
	put_le32_at(&m, OFF_TN_OFF, 0);
	put_le16_at(&m, OFF_TN_LEN, 8);
	CU_ASSERT_EQUAL(chal(&m, m.n, &ch, &why), DEC_OK);
	/* "NTLMSSP\0" read as UTF-16LE: U+544E U+4D4C U+5353 'P' */
	CU_ASSERT_STRING_EQUAL(ch.target_name, "\xe5\x91\x8e\xe4\xb5\x8c\xe5\x8d\x93P");

	m = good; /* wrong signature */
	m.b[7] = 'X';
	CU_ASSERT_EQUAL(chal(&m, m.n, &ch, &why), DEC_INVALID);
	ASSERT_WHY(why, "no NTLMSSP signature");

	m = good; /* a NEGOTIATE or AUTHENTICATE is not a CHALLENGE */
	put_le32_at(&m, 8, NTLM_TYPE_AUTHENTICATE);
	CU_ASSERT_EQUAL(chal(&m, m.n, &ch, &why), DEC_UNSUPPORTED);
}

static void test_challenge_av_pairs(void)
{
	struct msg ti = {.n = 0}, m;
	struct ntlm_challenge ch;
	const char *why;

	/* No MsvAvEOL: the names are kept, the list is noted. */
	target_info_2019(&ti, 0);
	challenge(&m, FLAGS_2019, &ti);
	CU_ASSERT_EQUAL(chal(&m, m.n, &ch, &why), DEC_OK);
	ASSERT_WHY(why, "the AV pair list has no MsvAvEOL");
	CU_ASSERT_FALSE(ch.av_eol);
	CU_ASSERT_EQUAL(ch.av_pairs, 7);
	CU_ASSERT_STRING_EQUAL(ch.dns_computer, "srv1.example.test");

	/* An AV pair header cut by TargetInfo's length (2 bytes of a 4-byte header). */
	target_info_2019(&ti, 0);
	mle16(&ti, MSV_AV_EOL);
	challenge(&m, FLAGS_2019, &ti);
	CU_ASSERT_EQUAL(chal(&m, m.n, &ch, &why), DEC_INVALID);
	ASSERT_WHY(why, "an AV pair header cut by TargetInfo's length");

	/* AvLen past TargetInfo, although the message has the bytes. */
	ti.n = 0;
	mle16(&ti, MSV_AV_NB_COMPUTER_NAME);
	mle16(&ti, 8);
	mutf16(&ti, "AB");
	challenge(&m, FLAGS_2019, &ti);
	mutf16(&m, "CDEF"); /* beyond TargetInfo */
	CU_ASSERT_EQUAL(chal(&m, m.n, &ch, &why), DEC_INVALID);
	ASSERT_WHY(why, "an AV pair runs past TargetInfo");

	/* MsvAvTimestamp and MsvAvFlags with the wrong length. */
	ti.n = 0;
	av_raw(&ti, MSV_AV_TIMESTAMP, "\1\2\3\4", 4);
	av_raw(&ti, MSV_AV_EOL, NULL, 0);
	challenge(&m, FLAGS_2019, &ti);
	CU_ASSERT_EQUAL(chal(&m, m.n, &ch, &why), DEC_INVALID);
	ASSERT_WHY(why, "MsvAvTimestamp is not 8 bytes");
	ti.n = 0;
	av_raw(&ti, MSV_AV_FLAGS, "\1\2\3\4\5", 5);
	challenge(&m, FLAGS_2019, &ti);
	CU_ASSERT_EQUAL(chal(&m, m.n, &ch, &why), DEC_INVALID);

	/* Duplicates: the first counts. Unknown ids are walked. After EOL: ignored. */
	ti.n = 0;
	av_name(&ti, MSV_AV_DNS_COMPUTER_NAME, "first.test");
	av_raw(&ti, 0x7777, "xyz", 3);
	av_name(&ti, MSV_AV_DNS_COMPUTER_NAME, "second.test");
	av_raw(&ti, MSV_AV_EOL, NULL, 0);
	av_name(&ti, MSV_AV_NB_COMPUTER_NAME, "AFTER");
	challenge(&m, FLAGS_2019, &ti);
	CU_ASSERT_EQUAL(chal(&m, m.n, &ch, &why), DEC_OK);
	CU_ASSERT_STRING_EQUAL(ch.dns_computer, "first.test");
	CU_ASSERT_STRING_EQUAL(ch.nb_computer, "");
	CU_ASSERT_EQUAL(ch.av_pairs, 4);

	/* More pairs than the cap: refused, not walked forever. */
	ti.n = 0;
	for (int k = 0; k < NTLM_AV_PAIRS_MAX + 1; k++)
		av_raw(&ti, MSV_AV_SINGLE_HOST, NULL, 0);
	av_raw(&ti, MSV_AV_EOL, NULL, 0);
	challenge(&m, FLAGS_2019, &ti);
	CU_ASSERT_EQUAL(chal(&m, m.n, &ch, &why), DEC_INVALID);
	ASSERT_WHY(why, "more AV pairs than NTLM_AV_PAIRS_MAX");
	CU_ASSERT_EQUAL(ch.av_pairs, NTLM_AV_PAIRS_MAX);

	/* Exactly the cap, EOL included: fine. */
	ti.n = 0;
	for (int k = 0; k < NTLM_AV_PAIRS_MAX - 1; k++)
		av_raw(&ti, MSV_AV_SINGLE_HOST, NULL, 0);
	av_raw(&ti, MSV_AV_EOL, NULL, 0);
	challenge(&m, FLAGS_2019, &ti);
	CU_ASSERT_EQUAL(chal(&m, m.n, &ch, &why), DEC_OK);
	CU_ASSERT(ch.av_eol);
}

static void test_challenge_odd_names(void)
{
	struct msg ti = {.n = 0}, m;
	struct ntlm_challenge ch;

	/* AvLen 5: "SR" and half a code unit. */
	mle16(&ti, MSV_AV_NB_COMPUTER_NAME);
	mle16(&ti, 5);
	mutf16(&ti, "SR");
	m8(&ti, 'V');
	av_raw(&ti, MSV_AV_EOL, NULL, 0);
	challenge(&m, FLAGS_2019, &ti);
	CU_ASSERT_EQUAL(chal(&m, m.n, &ch, NULL), DEC_OK);
	CU_ASSERT_STRING_EQUAL(ch.nb_computer, "SR\xef\xbf\xbd");
	CU_ASSERT_EQUAL(ch.name_issues, NTLM_STR_REPLACED);

	/* A name longer than NTLM_NAME_MAX: cut, terminated. */
	ti.n = 0;
	mle16(&ti, MSV_AV_DNS_COMPUTER_NAME);
	mle16(&ti, 2 * 300);
	for (int k = 0; k < 300; k++)
		mle16(&ti, 'a');
	av_raw(&ti, MSV_AV_EOL, NULL, 0);
	challenge(&m, FLAGS_2019, &ti);
	CU_ASSERT_EQUAL(chal(&m, m.n, &ch, NULL), DEC_OK);
	CU_ASSERT_EQUAL(strlen(ch.dns_computer), NTLM_NAME_MAX - 1);
	CU_ASSERT_EQUAL(ch.name_issues, NTLM_STR_CUT);

	/* No UNICODE flag: TargetName is OEM, printable ASCII kept. */
	ti.n = 0;
	challenge(&m, FLAGS_2019 & ~NTLMSSP_NEGOTIATE_UNICODE, &ti);
	CU_ASSERT_EQUAL(chal(&m, m.n, &ch, NULL), DEC_OK);
	CU_ASSERT_STRING_EQUAL(ch.target_name, "E.X.A.M.P.L.E.");
}

/* Old servers: no VERSION flag, no TargetInfo, the 48-byte fixed part only. */
static void test_challenge_minimal(void)
{
	struct msg ti = {.n = 0}, m;
	struct ntlm_challenge ch;
	const char *why;

	challenge(&m, NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_NEGOTIATE_NTLM, &ti);
	m.n = 48; /* drop TargetName too */
	put_le16_at(&m, OFF_TN_LEN, 0);
	CU_ASSERT_EQUAL(chal(&m, m.n, &ch, &why), DEC_OK);
	ASSERT_WHY(why, "no TargetInfo");
	CU_ASSERT_FALSE(ch.have_version);
	CU_ASSERT_FALSE(ch.av_eol);
	CU_ASSERT_STRING_EQUAL(ch.dns_computer, "");
	CU_ASSERT_EQUAL(chal(&m, 47, &ch, &why), DEC_TRUNCATED);

	/* VERSION set but the message ends after 48 bytes. */
	put_le32_at(&m, OFF_FLAGS, NTLMSSP_NEGOTIATE_VERSION);
	CU_ASSERT_EQUAL(chal(&m, m.n, &ch, &why), DEC_TRUNCATED);
	ASSERT_WHY(why, "the CHALLENGE_MESSAGE is cut inside its Version");
}

/* ---- TSRequest ------------------------------------------------------------- */

/* TSRequest { version [0] 6, errorCode [4] INTEGER e } into *m. */
static void ts_version6_error(struct msg *m, const uint8_t *e, size_t n)
{
	static const uint8_t v6[] = {6};
	struct msg f;
	m->n = 0;
	f.n = 0;
	dint(&f, v6, 1);
	dwrap(&f, 0xa0);
	mbytes(m, f.b, f.n);
	f.n = 0;
	dint(&f, e, n);
	dwrap(&f, 0xa4);
	mbytes(m, f.b, f.n);
	dwrap(m, 0x30);
}

static void test_tsrequest_error_code(void)
{
	static const uint8_t e5[] = {0x00, 0xC0, 0x00, 0x00, 0x6D}, e4[] = {0xC0, 0x00, 0x00, 0x6D},
			     e6[] = {0, 0, 0xC0, 0, 0, 0x6D};
	struct credssp_tsrequest t;
	const char *why;
	struct msg m;

	/* version 6, errorCode 0xC000006D (STATUS_LOGON_FAILURE) with a sign byte. */
	ts_version6_error(&m, e5, sizeof e5);
	CU_ASSERT_EQUAL(tsreq(&m, m.n, &t, &why), DEC_OK);
	CU_ASSERT_EQUAL(t.version, 6);
	CU_ASSERT(t.have_error_code);
	CU_ASSERT_EQUAL(t.error_code, 0xC000006Du);
	CU_ASSERT_PTR_NULL(t.token);
	CU_ASSERT_EQUAL(t.tokens, 0);

	/* The same as a negative 4-byte INTEGER. */
	ts_version6_error(&m, e4, sizeof e4);
	CU_ASSERT_EQUAL(tsreq(&m, m.n, &t, &why), DEC_OK);
	CU_ASSERT_EQUAL(t.error_code, 0xC000006Du);

	/* Six bytes: wider than 32 bits. */
	ts_version6_error(&m, e6, sizeof e6);
	CU_ASSERT_EQUAL(tsreq(&m, m.n, &t, &why), DEC_INVALID);
	ASSERT_WHY(why, "an INTEGER wider than 32 bits");
	CU_ASSERT_FALSE(t.have_error_code);
}

/* Hand-written DER that lies in one place each. */
static void test_tsrequest_invalid(void)
{
	struct credssp_tsrequest t;
	const char *why;
	size_t total;
	struct msg m;
	static const struct {
		const char *name;
		uint8_t b[16];
		size_t n;
		enum dec_status st;
		const char *why;
	} cases[] = {
		{"ok: version 2 only", {0x30, 5, 0xa0, 3, 2, 1, 2}, 7, DEC_OK, NULL},
		{"[0] longer than the SEQUENCE", {0x30, 5, 0xa0, 4, 2, 1, 2, 0}, 8, DEC_INVALID, NULL},
		{"INTEGER longer than [0]", {0x30, 5, 0xa0, 3, 2, 2, 2, 0}, 8, DEC_INVALID, NULL},
		{"SEQUENCE cut by the data", {0x30, 9, 0xa0, 3, 2, 1, 2}, 7, DEC_TRUNCATED, NULL},
		{"indefinite length", {0x30, 0x80, 0xa0, 3, 2, 1, 2, 0, 0}, 9, DEC_INVALID, NULL},
		{"5 length bytes", {0x30, 0x85, 0, 0, 0, 0, 5, 0xa0, 3, 2, 1, 2}, 12, DEC_INVALID, NULL},
		{"not a SEQUENCE", {0x31, 5, 0xa0, 3, 2, 1, 2}, 7, DEC_INVALID,
		 "a TSRequest is a SEQUENCE"},
		{"empty", {0x30, 0}, 2, DEC_INVALID, "an empty TSRequest"},
		{"no version first", {0x30, 5, 0xa1, 3, 2, 1, 2}, 7, DEC_INVALID,
		 "a TSRequest without version [0]"},
		{"version twice", {0x30, 10, 0xa0, 3, 2, 1, 2, 0xa0, 3, 2, 1, 3}, 12, DEC_INVALID,
		 "TSRequest fields repeated or out of order"},
		{"negative version", {0x30, 5, 0xa0, 3, 2, 1, 0xff}, 7, DEC_INVALID,
		 "a negative TSRequest version"},
		{"empty INTEGER", {0x30, 4, 0xa0, 2, 2, 0}, 6, DEC_INVALID, "an empty INTEGER"},
		{"bytes after version", {0x30, 6, 0xa0, 4, 2, 1, 2, 0}, 8, DEC_INVALID,
		 "bytes after a field's value"},
		{"a universal tag as field", {0x30, 7, 0xa0, 3, 2, 1, 2, 0x04, 0}, 9, DEC_INVALID,
		 "a TSRequest field without a context tag"},
		{"later field skipped", {0x30, 10, 0xa0, 3, 2, 1, 6, 0xa9, 3, 1, 2, 3}, 12, DEC_OK, NULL},
		{"high tag number", {0x30, 6, 0xa0, 3, 2, 1, 2, 0xbf}, 8, DEC_INVALID, NULL},
		{"negoTokens not a SEQUENCE", {0x30, 9, 0xa0, 3, 2, 1, 2, 0xa1, 2, 0x04, 0}, 11,
		 DEC_INVALID, "negoTokens is not a SEQUENCE OF"},
		{"empty negoTokens", {0x30, 9, 0xa0, 3, 2, 1, 2, 0xa1, 2, 0x30, 0}, 11, DEC_OK, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memcpy(m.b, cases[i].b, cases[i].n);
		m.n = cases[i].n;
		why = "unset";
		enum dec_status st = tsreq(&m, m.n, &t, &why);
		if (st != cases[i].st)
			fprintf(stderr, "\n  case \"%s\": %s\n", cases[i].name, dec_status_name(st));
		CU_ASSERT_EQUAL(st, cases[i].st);
		CU_ASSERT_EQUAL(why == NULL, cases[i].st == DEC_OK);
		if (cases[i].why) {
			ASSERT_WHY(why, cases[i].why);
		}
	}
	/* Framing: tags and length forms. */
	static const uint8_t b31[] = {0x31, 3}, b80[] = {0x30, 0x80}, b85[] = {0x30, 0x85, 1},
			     b82[] = {0x30, 0x82, 0x40, 0x00}, b81[] = {0x30, 0x81};
	CU_ASSERT_EQUAL(credssp_frame_length(b31, 2, &total), DEC_INVALID);
	CU_ASSERT_EQUAL(credssp_frame_length(b80, 2, &total), DEC_INVALID);
	CU_ASSERT_EQUAL(credssp_frame_length(b85, 3, &total), DEC_INVALID);
	CU_ASSERT_EQUAL(credssp_frame_length(b81, 2, &total), DEC_TRUNCATED);
	CU_ASSERT_EQUAL(credssp_frame_length(b81, 0, &total), DEC_TRUNCATED);
	CU_ASSERT_EQUAL(credssp_frame_length(b82, 4, &total), DEC_OK);
	CU_ASSERT_EQUAL(total, 4 + 0x4000); /* the caller caps it (CREDSSP_TSREQUEST_MAX) */
}

/* More negoTokens than the cap; the first is the one kept. */
static void test_tsrequest_tokens(void)
{
	static struct msg toks[CREDSSP_TOKENS_MAX + 1];
	struct msg ts;
	struct credssp_tsrequest t;
	const char *why;

	for (int k = 0; k < CREDSSP_TOKENS_MAX + 1; k++) {
		toks[k].n = 0;
		m8(&toks[k], 'A' + k);
	}
	tsrequest_tokens(&ts, 6, toks, CREDSSP_TOKENS_MAX + 1);
	CU_ASSERT_EQUAL(tsreq(&ts, ts.n, &t, &why), DEC_INVALID);
	ASSERT_WHY(why, "more negoTokens than CREDSSP_TOKENS_MAX");

	/* Two tokens: the first is kept. */
	tsrequest_tokens(&ts, 6, toks, 2);
	CU_ASSERT_EQUAL_FATAL(tsreq(&ts, ts.n, &t, &why), DEC_OK);
	CU_ASSERT_EQUAL(t.tokens, 2);
	CU_ASSERT_EQUAL(t.token_len, 1);
}

/* ---- the probe's NEGOTIATE ------------------------------------------------- */

static void test_build_negotiate(void)
{
	static const uint8_t head[] = {0x30, 0x37, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa1, 0x30,
				       0x30, 0x2e, 0x30, 0x2c, 0xa0, 0x2a, 0x04, 0x28};
	uint8_t b[128];
	struct credssp_tsrequest t;
	struct msg m;
	const char *why;

	size_t n = credssp_build_ntlm_negotiate(b, sizeof b);
	CU_ASSERT_EQUAL_FATAL(n, 57);
	CU_ASSERT_EQUAL(memcmp(b, head, sizeof head), 0);
	CU_ASSERT_EQUAL(credssp_build_ntlm_negotiate(b, 56), 0);
	CU_ASSERT_EQUAL(credssp_build_ntlm_negotiate(b, 57), 57);

	memcpy(m.b, b, n);
	m.n = n;
	CU_ASSERT_EQUAL_FATAL(tsreq(&m, n, &t, &why), DEC_OK);
	CU_ASSERT_EQUAL(t.version, CREDSSP_CLIENT_VERSION);
	CU_ASSERT_EQUAL_FATAL(t.token_len, 40);
	const uint8_t *p = b + sizeof head;
	CU_ASSERT_EQUAL(memcmp(p, "NTLMSSP", 8), 0);
	CU_ASSERT_EQUAL(p[8], NTLM_TYPE_NEGOTIATE);
	uint32_t flags = (uint32_t)p[12] | (uint32_t)p[13] << 8 | (uint32_t)p[14] << 16 |
			 (uint32_t)p[15] << 24;
	CU_ASSERT_EQUAL(flags, ntlm_client_flags());
	CU_ASSERT_EQUAL(flags, 0xE2088297u); /* what mstsc sends */
	CU_ASSERT(flags & NTLMSSP_NEGOTIATE_VERSION);
	CU_ASSERT(flags & NTLMSSP_REQUEST_TARGET);
	CU_ASSERT(flags & NTLMSSP_NEGOTIATE_UNICODE);
	CU_ASSERT_EQUAL(p[32], 10); /* Version 10.0 */
	CU_ASSERT_EQUAL(p[39], 15); /* NTLMSSP_REVISION_W2K3 */

	/* A NEGOTIATE is not a CHALLENGE. */
	struct ntlm_challenge ch;
	struct cur c = cur_make(p, 40);
	CU_ASSERT_EQUAL(ntlm_parse_challenge(&c, &ch, &why), DEC_UNSUPPORTED);
}

/* ---- strings, names, versions ---------------------------------------------- */

static int u16(const uint8_t *src, size_t n, char *dst, size_t cap)
{
	uint8_t *b = exact(src, n);
	int r = ntlm_utf16le_to_utf8(dst, cap, b, n);
	free(b);
	return r;
}

static void test_utf16(void)
{
	char out[32];
	static const uint8_t ascii[] = {'S', 0, 'r', 0, 'v', 0};
	static const uint8_t umlaut[] = {0xDC, 0}; /* U+00DC */
	static const uint8_t euro[] = {0xAC, 0x20}; /* U+20AC */
	static const uint8_t pair[] = {0x3D, 0xD8, 0x00, 0xDE}; /* U+1F600 */
	static const uint8_t hi_end[] = {'a', 0, 0x3D, 0xD8};
	static const uint8_t hi_then_a[] = {0x3D, 0xD8, 'a', 0};
	static const uint8_t lo_alone[] = {0x00, 0xDE, 'b', 0};
	static const uint8_t ctrl[] = {'x', 0, 0x1B, 0, '[', 0, 0x2E, 0x20, 0, 0};
	static const uint8_t odd[] = {'a', 0, 'b'};

	CU_ASSERT_EQUAL(u16(ascii, sizeof ascii, out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "Srv");
	CU_ASSERT_EQUAL(u16(umlaut, sizeof umlaut, out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "\xc3\x9c");
	CU_ASSERT_EQUAL(u16(euro, sizeof euro, out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "\xe2\x82\xac");
	CU_ASSERT_EQUAL(u16(pair, sizeof pair, out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "\xf0\x9f\x98\x80");
	CU_ASSERT_EQUAL(u16(hi_end, sizeof hi_end, out, sizeof out), NTLM_STR_REPLACED);
	CU_ASSERT_STRING_EQUAL(out, "a\xef\xbf\xbd");
	CU_ASSERT_EQUAL(u16(hi_then_a, sizeof hi_then_a, out, sizeof out), NTLM_STR_REPLACED);
	CU_ASSERT_STRING_EQUAL(out, "\xef\xbf\xbd" "a");
	CU_ASSERT_EQUAL(u16(lo_alone, sizeof lo_alone, out, sizeof out), NTLM_STR_REPLACED);
	CU_ASSERT_STRING_EQUAL(out, "\xef\xbf\xbd" "b");
	/* ESC, a bidi override (U+202E) and NUL never reach a terminal. */
	CU_ASSERT_EQUAL(u16(ctrl, sizeof ctrl, out, sizeof out), NTLM_STR_REPLACED);
	CU_ASSERT_STRING_EQUAL(out, "x\xef\xbf\xbd[\xef\xbf\xbd\xef\xbf\xbd");
	CU_ASSERT_EQUAL(u16(odd, sizeof odd, out, sizeof out), NTLM_STR_REPLACED);
	CU_ASSERT_STRING_EQUAL(out, "a\xef\xbf\xbd");
	CU_ASSERT_EQUAL(u16(odd, 0, out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "");

	/* Caps: whole characters only, always terminated. */
	static const uint8_t a_umlaut[] = {'a', 0, 0xDC, 0};
	CU_ASSERT_EQUAL(u16(a_umlaut, sizeof a_umlaut, out, 4), 0); /* 'a' + 2 bytes + NUL */
	CU_ASSERT_STRING_EQUAL(out, "a\xc3\x9c");
	CU_ASSERT_EQUAL(u16(a_umlaut, sizeof a_umlaut, out, 3), NTLM_STR_CUT);
	CU_ASSERT_STRING_EQUAL(out, "a");
	CU_ASSERT_EQUAL(u16(a_umlaut, sizeof a_umlaut, out, 1), NTLM_STR_CUT);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(u16(pair, sizeof pair, out, 4), NTLM_STR_CUT);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(u16(pair, sizeof pair, out, 5), 0);
}

static void test_utf8_trim(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"", ""},
		{"abc", "abc"},
		{"a\xc3\x9c", "a\xc3\x9c"},           /* whole 2-byte character */
		{"a\xc3", "a"},                        /* lead byte only */
		{"a\xe2\x82\xac", "a\xe2\x82\xac"},    /* whole 3-byte character */
		{"a\xe2\x82", "a"},                    /* 2 of 3 */
		{"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"}, /* whole 4-byte character */
		{"b\xf0\x9f\x98", "b"},                /* 3 of 4 */
		{"b\xf0", "b"},
		{"a\x9c", "a"},                        /* a stray continuation byte */
		{"a\xff", "a"},                        /* never a lead byte */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char buf[16];
		str_copy(buf, sizeof buf, cases[i].in);
		CU_ASSERT_EQUAL(ntlm_utf8_trim(buf), strlen(cases[i].out));
		CU_ASSERT_STRING_EQUAL(buf, cases[i].out);
	}
}

static void test_names(void)
{
	CU_ASSERT_TRUE(ntlm_name_matches("srv1.example.test", "SRV1.EXAMPLE.TEST", 0));
	CU_ASSERT_TRUE(ntlm_name_matches("srv1.example.test.", "srv1.example.test", 0));
	CU_ASSERT_TRUE(ntlm_name_matches("srv1.example.test", "srv1.example.test.", 0));
	CU_ASSERT_FALSE(ntlm_name_matches("srv1", "srv1.example.test", 0));
	CU_ASSERT_TRUE(ntlm_name_matches("srv1", "srv1.example.test", 1));
	CU_ASSERT_TRUE(ntlm_name_matches("SRV1.example.test", "srv1", 1));
	CU_ASSERT_TRUE(ntlm_name_matches("srv1.", "srv1.example.test", 1));
	CU_ASSERT_FALSE(ntlm_name_matches("srv1.example", "srv1.example.test", 1));
	CU_ASSERT_FALSE(ntlm_name_matches("srv", "srv1.example.test", 1));
	CU_ASSERT_FALSE(ntlm_name_matches("srv10", "srv1.example.test", 1));
	CU_ASSERT_FALSE(ntlm_name_matches("srv2.example.test", "srv1.example.test", 1));
	CU_ASSERT_FALSE(ntlm_name_matches("srv2.example.test", "srv1", 1));
	CU_ASSERT_FALSE(ntlm_name_matches("srv1.example.test", "srv1.", 0));
	CU_ASSERT_FALSE(ntlm_name_matches("", "", 1));
	CU_ASSERT_FALSE(ntlm_name_matches(".", ".", 1));
	CU_ASSERT_FALSE(ntlm_name_matches("srv1", "", 1));
}

static void test_os_and_flags(void)
{
	char b[256];
	CU_ASSERT_STRING_EQUAL(ntlm_os_name(10, 0, 20348, b, sizeof b), "Windows Server 2022");
	CU_ASSERT_STRING_EQUAL(ntlm_os_name(6, 3, 9600, b, sizeof b),
			       "Windows Server 2012 R2 / Windows 8.1");
	CU_ASSERT_STRING_EQUAL(ntlm_os_name(6, 1, 7601, b, sizeof b),
			       "Windows Server 2008 R2 SP1 / Windows 7 SP1");
	CU_ASSERT_STRING_EQUAL(ntlm_os_name(10, 0, 26100, b, sizeof b),
			       "Windows Server 2025 / Windows 11 24H2");
	CU_ASSERT_STRING_EQUAL(ntlm_os_name(10, 0, 12345, b, sizeof b),
			       "Windows NT 10.0 build 12345");
	CU_ASSERT_STRING_EQUAL(ntlm_os_name(6, 3, 17763, b, sizeof b), "Windows NT 6.3 build 17763");
	CU_ASSERT_STRING_EQUAL(ntlm_os_name(10, 0, 17763, b, 8), "Windows");

	CU_ASSERT_STRING_EQUAL(ntlm_flags_str(0, b, sizeof b), "");
	CU_ASSERT_STRING_EQUAL(ntlm_flags_str(NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_NEGOTIATE_56, b,
					      sizeof b),
			       "UNICODE|56");
	CU_ASSERT_STRING_EQUAL(ntlm_flags_str(0x00000008u | NTLMSSP_NEGOTIATE_NTLM, b, sizeof b),
			       "NTLM|0x8");
	ntlm_flags_str(0xffffffffu, b, 12);
	CU_ASSERT(strlen(b) < 12);

	CU_ASSERT_EQUAL(ntlm_filetime_to_unix(0, NULL), 0);
	CU_ASSERT_EQUAL(ntlm_filetime_to_unix(116444736000000000ull, NULL), 0); /* 1970-01-01 */
	CU_ASSERT_EQUAL(ntlm_filetime_to_unix(116444736010000000ull, NULL), 1);
	CU_ASSERT_EQUAL(ntlm_filetime_to_unix(0xffffffffffffffffull, NULL), 0); /* year 58000 */
}

/* True when s is NUL-terminated within cap. */
static int terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

/*
 * 20,000 deterministic mutations (xorshift) of a server TSRequest: one to
 * four bytes changed or the length cut.  Whatever the status, no read
 * goes out of the copy (ASan), every name stays terminated, counts stay
 * within their caps, and DEC_OK gives a token inside the bytes.
 */
static void test_mutations(void)
{
	struct msg ti = {.n = 0}, m, ts;
	uint32_t x = 0x12345678u;
	int ok = 0, bad = 0;

	target_info_2019(&ti, 1);
	challenge(&m, FLAGS_2019, &ti);
	tsrequest(&ts, 6, &m);
	for (int round = 0; round < 20000; round++) {
		struct msg mut = ts;
		int k = 1 + round % 4;
		for (int j = 0; j < k; j++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			mut.b[x % mut.n] = (uint8_t)(x >> 8);
		}
		if (round % 5 == 0)
			mut.n = x % (mut.n + 1);
		uint8_t *b = exact(mut.b, mut.n);
		struct cur c = cur_make(b, mut.n);
		struct credssp_tsrequest t;
		const char *why = NULL;
		enum dec_status st = credssp_parse_tsrequest(&c, &t, &why);
		CU_ASSERT(st < DEC_STATUS_COUNT);
		CU_ASSERT((st == DEC_OK) == (why == NULL));
		CU_ASSERT(t.tokens <= CREDSSP_TOKENS_MAX);
		if (st == DEC_OK && t.token) {
			CU_ASSERT(t.token >= b && t.token + t.token_len <= b + mut.n);
			struct ntlm_challenge ch;
			struct cur tc = cur_make(t.token, t.token_len);
			st = ntlm_parse_challenge(&tc, &ch, &why);
			CU_ASSERT(terminated(ch.target_name, NTLM_NAME_MAX) &&
				  terminated(ch.nb_computer, NTLM_NAME_MAX) &&
				  terminated(ch.nb_domain, NTLM_NAME_MAX) &&
				  terminated(ch.dns_computer, NTLM_NAME_MAX) &&
				  terminated(ch.dns_domain, NTLM_NAME_MAX) &&
				  terminated(ch.dns_tree, NTLM_NAME_MAX));
			CU_ASSERT(ch.av_pairs <= NTLM_AV_PAIRS_MAX);
			if (st == DEC_OK)
				ok++;
			else
				bad++;
		}
		free(b);
	}
	/* Both outcomes were reached: the mutations exercised the decoders. */
	CU_ASSERT(ok > 0);
	CU_ASSERT(bad > 0);
}

void register_unit_ntlm(void)
{
	static const struct test_case cases[] = {
		{"CHALLENGE: Windows Server 2019, every field", test_challenge_2019},
		{"CHALLENGE inside the server's TSRequest", test_challenge_in_tsrequest},
		{"CHALLENGE: truncated at every byte", test_challenge_truncated},
		{"TSRequest: truncated at every byte, framing", test_tsrequest_truncated},
		{"CHALLENGE: lying lengths and offsets, signature, type", test_challenge_lying_fields},
		{"CHALLENGE: AV pairs without EOL, cut, duplicates, cap", test_challenge_av_pairs},
		{"CHALLENGE: odd UTF-16 length, long names, OEM", test_challenge_odd_names},
		{"CHALLENGE: 48 bytes, no Version, no TargetInfo", test_challenge_minimal},
		{"TSRequest: errorCode 4 and 5 bytes, too wide", test_tsrequest_error_code},
		{"TSRequest: lying DER, field order, unknown fields", test_tsrequest_invalid},
		{"TSRequest: negoTokens cap, first token kept", test_tsrequest_tokens},
		{"NEGOTIATE TSRequest: bytes, flags, parses back", test_build_negotiate},
		{"UTF-16LE to UTF-8: surrogates, controls, caps", test_utf16},
		{"UTF-8: an incomplete last character is dropped", test_utf8_trim},
		{"names: case, trailing dot, short names", test_names},
		{"OS names, flag names, FILETIME", test_os_and_flags},
		{"20,000 mutated TSRequests: bounded, terminated", test_mutations},
		{NULL, NULL},
	};
	add_suite("ntlm", cases);
}

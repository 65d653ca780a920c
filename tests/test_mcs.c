/*
 * test_mcs.c - MCS connect PDUs, GCC settings blocks and domain PDUs.
 *
 * Every PDU here is built byte by byte from MS-RDPBCGR 2.2.1.3 / 2.2.1.4 /
 * 2.2.2.3 and T.125 / T.124, with the certificates of the X.509 chain
 * generated at run time with OpenSSL.  Parsers always get an exactly sized
 * heap copy, so the sanitizer build catches any read past the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "mcs.h"
#include "tests.h"
#include "x509.h"

/* ---- byte builder -------------------------------------------------------- */

struct bb {
	uint8_t b[8192];
	size_t n;
};

static void b_room(const struct bb *b, size_t k)
{
	if (b->n + k > sizeof b->b) {
		fprintf(stderr, "test_mcs: byte builder overflow\n");
		abort();
	}
}

static void b_u8(struct bb *b, unsigned v)
{
	b_room(b, 1);
	b->b[b->n++] = (uint8_t)v;
}

static void b_be16(struct bb *b, unsigned v)
{
	b_u8(b, v >> 8 & 0xff);
	b_u8(b, v & 0xff);
}

static void b_le16(struct bb *b, unsigned v)
{
	b_u8(b, v & 0xff);
	b_u8(b, v >> 8 & 0xff);
}

static void b_le32(struct bb *b, uint32_t v)
{
	b_le16(b, v & 0xffff);
	b_le16(b, v >> 16);
}

static void b_bytes(struct bb *b, const void *p, size_t n)
{
	b_room(b, n);
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void b_fill(struct bb *b, unsigned v, size_t n)
{
	b_room(b, n);
	memset(b->b + b->n, (int)v, n);
	b->n += n;
}

static void b_cat(struct bb *b, const struct bb *o)
{
	b_bytes(b, o->b, o->n);
}

/* X.690 definite length: form 0 is the shortest, 1..3 ask for 0x81..0x83. */
static void b_ber_len(struct bb *b, size_t len, int form)
{
	int need = len < 0x80 ? 0 : len < 0x100 ? 1 : len < 0x10000 ? 2 : 3;
	if (form < need)
		form = need; /* a forced form never loses bytes of the length */
	if (form == 0) {
		b_u8(b, (unsigned)len);
		return;
	}
	b_u8(b, 0x80u | (unsigned)form);
	for (int i = form - 1; i >= 0; i--)
		b_u8(b, (unsigned)(len >> (8 * i)) & 0xff);
}

/* X.691 aligned length determinant, 1 or 2 bytes. */
static void b_per_len(struct bb *b, size_t len)
{
	if (len < 0x80)
		b_u8(b, (unsigned)len);
	else
		b_be16(b, 0x8000u | (unsigned)len);
}

/* ASCII into a fixed UTF-16LE field, NUL padded. */
static void b_utf16(struct bb *b, const char *s, size_t field)
{
	size_t i;
	for (i = 0; s[i] && 2 * i + 2 < field; i++)
		b_le16(b, (unsigned char)s[i]);
	b_fill(b, 0, field - 2 * i);
}

static void b_tlv(struct bb *b, unsigned tag, const struct bb *content, int form)
{
	b_u8(b, tag);
	b_ber_len(b, content->n, form);
	b_cat(b, content);
}

/* An exactly sized heap copy of the first n bytes, for ASan. */
static uint8_t *exact(const struct bb *b, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	if (!p)
		abort();
	memcpy(p, b->b, n);
	return p;
}

static enum dec_status parse_ci(const struct bb *b, size_t n, struct mcs_ci_facts *f)
{
	uint8_t *p = exact(b, n);
	struct cur c = cur_make(p, n);
	memset(f, 0, sizeof *f);
	f->frame = 42;
	enum dec_status st = mcs_parse_connect_initial(&c, f);
	free(p);
	return st;
}

static enum dec_status parse_cr(const struct bb *b, size_t n, struct mcs_cr_facts *f)
{
	uint8_t *p = exact(b, n);
	struct cur c = cur_make(p, n);
	memset(f, 0, sizeof *f);
	f->frame = 43;
	enum dec_status st = mcs_parse_connect_response(&c, f);
	free(p);
	return st;
}

/* ---- Connect Initial ------------------------------------------------------ */

/* Offsets in the TS_UD_CS_CORE body (after the header) where each optional
 * field ends: a body cut at any of these is well formed. */
#define CORE_MANDATORY 128
#define CORE_FULL 212
static const size_t core_ends[] = {128, 130, 132, 136, 138, 140, 142, 206, 207, 208, 212};

struct ci_opts {
	size_t core_len;         /* CS_CORE body bytes, CORE_FULL unless cut */
	uint16_t early;          /* earlyCapabilityFlags */
	uint32_t keyboard;
	uint32_t net_declared;   /* channelCount */
	uint32_t net_present;    /* CHANNEL_DEFs actually written */
	int ber_form;            /* BER length form of every BER length */
	size_t ud_extra;         /* added to the userData OCTET STRING length */
	size_t outer_extra;      /* added to the Connect-Initial length */
	int bad_block;           /* 1: a block with length 2; 2: CS_NET length past the end */
};

static void ci_defaults(struct ci_opts *o)
{
	memset(o, 0, sizeof *o);
	o->core_len = CORE_FULL;
	o->early = 0x0003; /* RNS_UD_CS_SUPPORT_ERRINFO_PDU | RNS_UD_CS_WANT_32BPP_SESSION */
	o->keyboard = 0x409;
	o->net_declared = 4;
	o->net_present = 4;
}

static const char *const chan_names[] = {"rdpdr", "rdpsnd", "drdynvc", "cliprdr"};
static const uint32_t chan_opts[] = {0x80800000, 0xc0000000, 0xc0800000, 0xc0a00000};

/* MS-RDPBCGR 2.2.1.3.2 .. 2.2.1.3.5: core, security, network, cluster. */
static void build_cs_blocks(struct bb *ud, const struct ci_opts *o)
{
	struct bb core = {.n = 0};
	b_le32(&core, 0x00080004);   /* version */
	b_le16(&core, 1152);         /* desktopWidth */
	b_le16(&core, 864);          /* desktopHeight */
	b_le16(&core, 0xCA01);       /* colorDepth: 8 bpp */
	b_le16(&core, 0xAA03);       /* SASSequence */
	b_le32(&core, o->keyboard);  /* keyboardLayout */
	b_le32(&core, 6000);         /* clientBuild */
	b_utf16(&core, "FROG-TEST", 32);
	b_le32(&core, 4);            /* keyboardType: IBM enhanced */
	b_le32(&core, 0);            /* keyboardSubType */
	b_le32(&core, 12);           /* keyboardFunctionKey */
	b_fill(&core, 0, 64);        /* imeFileName */
	b_le16(&core, 0xCA03);       /* postBeta2ColorDepth: 16 bpp */
	b_le16(&core, 1);            /* clientProductId */
	b_le32(&core, 0);            /* serialNumber */
	b_le16(&core, 24);           /* highColorDepth */
	b_le16(&core, 0x000F);       /* supportedColorDepths: 24, 16, 15, 32 */
	b_le16(&core, o->early);     /* earlyCapabilityFlags */
	b_fill(&core, 0, 64);        /* clientDigProductId */
	b_u8(&core, 0);              /* connectionType */
	b_u8(&core, 0);              /* pad1octet */
	b_le32(&core, 0x00000001);   /* serverSelectedProtocol */
	CU_ASSERT_EQUAL_FATAL(core.n, CORE_FULL);

	b_le16(ud, 0xC001);
	b_le16(ud, (unsigned)(4 + o->core_len));
	b_bytes(ud, core.b, o->core_len);

	if (o->bad_block == 1) {
		b_le16(ud, 0xC006);
		b_le16(ud, 2); /* shorter than its own header */
	}

	b_le16(ud, 0xC002);
	b_le16(ud, 12);
	b_le32(ud, 0x0000001b);      /* 40, 128, 56-bit and FIPS */
	b_le32(ud, 0);

	b_le16(ud, 0xC004);          /* CS_CLUSTER: skipped */
	b_le16(ud, 12);
	b_le32(ud, 0x0000000d);
	b_le32(ud, 0);

	b_le16(ud, 0xC003);
	b_le16(ud, o->bad_block == 2 ? 0x400u : (unsigned)(8 + 12 * o->net_present));
	b_le32(ud, o->net_declared);
	for (uint32_t i = 0; i < o->net_present; i++) {
		char name[8] = {0};
		memcpy(name, chan_names[i % 4], strlen(chan_names[i % 4]));
		b_bytes(ud, name, 8);
		b_le32(ud, chan_opts[i % 4]);
	}
}

static const uint8_t t124_key[] = {0x00, 0x05, 0x00, 0x14, 0x7c, 0x00, 0x01};

/* T.124 ConferenceCreateRequest as MS-RDPBCGR 4.1.3 shows it. */
static void build_gcc_request(struct bb *g, const struct bb *blocks)
{
	static const uint8_t ccr[] = {0x00, 0x08, 0x00, 0x10, 0x00, 0x01, 0xc0, 0x00, 'D', 'u', 'c', 'a'};
	struct bb tail = {.n = 0};
	b_bytes(&tail, ccr, sizeof ccr);
	b_per_len(&tail, blocks->n);
	b_cat(&tail, blocks);
	b_bytes(g, t124_key, sizeof t124_key);
	b_per_len(g, tail.n);
	b_cat(g, &tail);
}

/* T.125 DomainParameters: eight INTEGERs. */
static void build_domain_params(struct bb *b, const unsigned v[8], int form)
{
	struct bb d = {.n = 0};
	for (int i = 0; i < 8; i++) {
		struct bb x = {.n = 0};
		if (v[i] > 0x7fff) {
			b_u8(&x, 0x00);
			b_be16(&x, v[i]);
		} else if (v[i] > 0x7f) {
			b_be16(&x, v[i]);
		} else {
			b_u8(&x, v[i]);
		}
		b_tlv(&d, 0x02, &x, form);
	}
	b_tlv(b, 0x30, &d, form);
}

static const unsigned dp_target[8] = {34, 2, 0, 1, 0, 1, 0xffff, 2};
static const unsigned dp_min[8] = {1, 1, 1, 1, 0, 1, 0x420, 2};
static const unsigned dp_max[8] = {0xffff, 0xfc17, 0xffff, 1, 0, 1, 0xffff, 2};

static void build_ci(struct bb *pdu, const struct ci_opts *o)
{
	struct bb blocks = {.n = 0}, gcc = {.n = 0}, body = {.n = 0}, one = {.n = 0};
	build_cs_blocks(&blocks, o);
	build_gcc_request(&gcc, &blocks);

	b_u8(&one, 0x01);
	b_tlv(&body, 0x04, &one, o->ber_form); /* callingDomainSelector */
	b_tlv(&body, 0x04, &one, o->ber_form); /* calledDomainSelector */
	b_u8(&body, 0x01);                     /* upwardFlag */
	b_ber_len(&body, 1, o->ber_form);
	b_u8(&body, 0xff);
	build_domain_params(&body, dp_target, o->ber_form);
	build_domain_params(&body, dp_min, o->ber_form);
	build_domain_params(&body, dp_max, o->ber_form);
	b_u8(&body, 0x04);
	b_ber_len(&body, gcc.n + o->ud_extra, o->ber_form);
	b_cat(&body, &gcc);

	pdu->n = 0;
	b_u8(pdu, 0x7f);
	b_u8(pdu, 0x65);
	b_ber_len(pdu, body.n + o->outer_extra, o->ber_form);
	b_cat(pdu, &body);
}

static void assert_full_ci(const struct mcs_ci_facts *f)
{
	CU_ASSERT_EQUAL(f->frame, 42);
	CU_ASSERT_EQUAL(f->has_core, 1);
	CU_ASSERT_EQUAL(f->rdp_version, 0x00080004);
	CU_ASSERT_EQUAL(f->desktop_width, 1152);
	CU_ASSERT_EQUAL(f->desktop_height, 864);
	CU_ASSERT_EQUAL(f->color_depth, 32);
	CU_ASSERT_EQUAL(f->supported_color_depths, 0x000F);
	CU_ASSERT_EQUAL(f->keyboard_layout, 0x409);
	CU_ASSERT_EQUAL(f->client_build, 6000);
	CU_ASSERT_STRING_EQUAL(f->client_name, "FROG-TEST");
	CU_ASSERT_EQUAL(f->keyboard_type, 4);
	CU_ASSERT_EQUAL(f->keyboard_subtype, 0);
	CU_ASSERT_EQUAL(f->early_capability_flags, 0x0003);
	CU_ASSERT_EQUAL(f->server_selected_protocol, 1);
	CU_ASSERT_EQUAL(f->has_security, 1);
	CU_ASSERT_EQUAL(f->encryption_methods, 0x1b);
	CU_ASSERT_EQUAL(f->ext_encryption_methods, 0);
	CU_ASSERT_EQUAL(f->channel_count, 4);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_STRING_EQUAL(f->channels[i], chan_names[i]);
		CU_ASSERT_EQUAL(f->channel_options[i], chan_opts[i]);
	}
	CU_ASSERT_STRING_EQUAL(f->channels[4], "");
}

static void test_ci_full(void)
{
	struct ci_opts o;
	struct bb pdu;
	struct mcs_ci_facts f;

	ci_defaults(&o);
	build_ci(&pdu, &o);
	CU_ASSERT_EQUAL(parse_ci(&pdu, pdu.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.status, DEC_OK);
	assert_full_ci(&f);
	CU_ASSERT_STRING_EQUAL(gcc_client_build_name(f.client_build), "RDP 6.0");
	CU_ASSERT_STRING_EQUAL(gcc_rdp_version_name(f.rdp_version), "RDP 5.0 - 8.1");
	CU_ASSERT_STRING_EQUAL(gcc_keyboard_name(f.keyboard_layout), "English (United States)");

	/* the caller's cursor ends after the PDU */
	uint8_t *p = exact(&pdu, pdu.n);
	struct cur c = cur_make(p, pdu.n);
	CU_ASSERT_EQUAL(mcs_connect_kind(&c), MCS_CONNECT_INITIAL);
	CU_ASSERT_EQUAL(mcs_parse_connect_initial(&c, &f), DEC_OK);
	CU_ASSERT_EQUAL(cur_left(&c), 0);
	free(p);
}

/* Without RNS_UD_CS_WANT_32BPP_SESSION, highColorDepth decides. */
static void test_ci_color_depth(void)
{
	struct ci_opts o;
	struct bb pdu;
	struct mcs_ci_facts f;

	ci_defaults(&o);
	o.early = 0x0001;
	build_ci(&pdu, &o);
	CU_ASSERT_EQUAL(parse_ci(&pdu, pdu.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.color_depth, 24);
	CU_ASSERT_EQUAL(f.early_capability_flags, 0x0001);
}

static void test_ci_every_truncation(void)
{
	struct ci_opts o;
	struct bb pdu;
	struct mcs_ci_facts f;

	ci_defaults(&o);
	build_ci(&pdu, &o);
	for (size_t n = 0; n < pdu.n; n++) {
		enum dec_status st = parse_ci(&pdu, n, &f);
		CU_ASSERT_EQUAL(st, DEC_TRUNCATED);
		CU_ASSERT_EQUAL(f.status, st);
		if (st != DEC_TRUNCATED) {
			fprintf(stderr, "\n  Connect Initial cut at %zu: %s\n", n, dec_status_name(st));
			break;
		}
	}
	/* what was read before the cut is kept: cut inside the CS_NET array */
	CU_ASSERT_EQUAL(parse_ci(&pdu, pdu.n - 12, &f), DEC_TRUNCATED);
	CU_ASSERT_STRING_EQUAL(f.client_name, "FROG-TEST");
	CU_ASSERT_EQUAL(f.encryption_methods, 0x1b);
	CU_ASSERT_EQUAL(f.channel_count, 4);
	CU_ASSERT_STRING_EQUAL(f.channels[2], "drdynvc");
	CU_ASSERT_STRING_EQUAL(f.channels[3], "");
}

static void test_ci_ber_long_forms(void)
{
	for (int form = 1; form <= 3; form++) {
		struct ci_opts o;
		struct bb pdu;
		struct mcs_ci_facts f;
		ci_defaults(&o);
		o.ber_form = form;
		build_ci(&pdu, &o);
		size_t h = 3 + (pdu.b[2] & 0x7f); /* callingDomainSelector: 04 8n .. 01 */
		CU_ASSERT_EQUAL(pdu.b[h], 0x04);
		CU_ASSERT_EQUAL(pdu.b[h + 1], 0x80 + form);
		CU_ASSERT_EQUAL(parse_ci(&pdu, pdu.n, &f), DEC_OK);
		assert_full_ci(&f);
	}
}

static void test_ci_ber_bad_lengths(void)
{
	struct ci_opts o;
	struct bb pdu;
	struct mcs_ci_facts f;

	ci_defaults(&o);
	build_ci(&pdu, &o);
	/* indefinite form (0x80) is not allowed by T.125 */
	struct bb ind = {.n = 0};
	b_u8(&ind, 0x7f);
	b_u8(&ind, 0x65);
	b_u8(&ind, 0x80);
	b_bytes(&ind, pdu.b + 4, pdu.n - 4);
	CU_ASSERT_EQUAL(parse_ci(&ind, ind.n, &f), DEC_INVALID);
	CU_ASSERT_EQUAL(f.has_core, 0);
	/* a length of 5 length bytes */
	ind.b[2] = 0x85;
	CU_ASSERT_EQUAL(parse_ci(&ind, ind.n, &f), DEC_INVALID);
	/* wrong tag */
	struct bb tag = pdu;
	tag.b[1] = 0x67;
	CU_ASSERT_EQUAL(parse_ci(&tag, tag.n, &f), DEC_INVALID);
	/* a Connect Response is not a Connect Initial */
	tag.b[1] = 0x66;
	CU_ASSERT_EQUAL(parse_ci(&tag, tag.n, &f), DEC_INVALID);
}

/* userData declares 100 bytes more than the Connect-Initial holds. */
static void test_ci_user_data_too_long(void)
{
	struct ci_opts o;
	struct bb pdu;
	struct mcs_ci_facts f;

	ci_defaults(&o);
	o.ud_extra = 100;
	build_ci(&pdu, &o);
	CU_ASSERT_EQUAL(parse_ci(&pdu, pdu.n, &f), DEC_INVALID);
	assert_full_ci(&f);

	/* the same with the outer length grown too: now the capture is short */
	o.outer_extra = 100;
	build_ci(&pdu, &o);
	CU_ASSERT_EQUAL(parse_ci(&pdu, pdu.n, &f), DEC_TRUNCATED);
	assert_full_ci(&f);
}

static void test_ci_channel_count_lies(void)
{
	struct ci_opts o;
	struct bb pdu;
	struct mcs_ci_facts f;

	ci_defaults(&o);
	o.net_declared = 1000;
	o.net_present = 2;
	build_ci(&pdu, &o);
	CU_ASSERT_EQUAL(parse_ci(&pdu, pdu.n, &f), DEC_INVALID);
	CU_ASSERT_EQUAL(f.channel_count, 1000);
	CU_ASSERT_STRING_EQUAL(f.channels[0], "rdpdr");
	CU_ASSERT_STRING_EQUAL(f.channels[1], "rdpsnd");
	CU_ASSERT_STRING_EQUAL(f.channels[2], "");
	CU_ASSERT_EQUAL(f.channel_options[1], chan_opts[1]);
	CU_ASSERT_EQUAL(f.channel_options[2], 0);

	/* more channels than CHANNEL_MAX: all counted, CHANNEL_MAX stored */
	ci_defaults(&o);
	o.net_declared = CHANNEL_MAX + 4;
	o.net_present = CHANNEL_MAX + 4;
	build_ci(&pdu, &o);
	CU_ASSERT_EQUAL(parse_ci(&pdu, pdu.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.channel_count, CHANNEL_MAX + 4);
	CU_ASSERT_STRING_EQUAL(f.channels[CHANNEL_MAX - 1], chan_names[(CHANNEL_MAX - 1) % 4]);

	/* no channels */
	ci_defaults(&o);
	o.net_declared = 0;
	o.net_present = 0;
	build_ci(&pdu, &o);
	CU_ASSERT_EQUAL(parse_ci(&pdu, pdu.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.channel_count, 0);
	CU_ASSERT_STRING_EQUAL(f.channels[0], "");
}

static void test_ci_bad_block_header(void)
{
	struct ci_opts o;
	struct bb pdu;
	struct mcs_ci_facts f;

	/* a TS_UD_HEADER length of 2 stops the walk: core kept, no security */
	ci_defaults(&o);
	o.bad_block = 1;
	build_ci(&pdu, &o);
	CU_ASSERT_EQUAL(parse_ci(&pdu, pdu.n, &f), DEC_INVALID);
	CU_ASSERT_STRING_EQUAL(f.client_name, "FROG-TEST");
	CU_ASSERT_EQUAL(f.color_depth, 32);
	CU_ASSERT_EQUAL(f.has_security, 0);
	CU_ASSERT_EQUAL(f.channel_count, 0);

	/* CS_NET claims 0x400 bytes: the channels present are still read */
	ci_defaults(&o);
	o.bad_block = 2;
	build_ci(&pdu, &o);
	CU_ASSERT_EQUAL(parse_ci(&pdu, pdu.n, &f), DEC_INVALID);
	CU_ASSERT_EQUAL(f.has_security, 1);
	CU_ASSERT_EQUAL(f.channel_count, 4);
	CU_ASSERT_STRING_EQUAL(f.channels[3], "cliprdr");
}

/* CS_CORE cut after each optional field: all well formed. */
static void test_ci_core_optional_fields(void)
{
	for (size_t i = 0; i < sizeof core_ends / sizeof core_ends[0]; i++) {
		size_t end = core_ends[i];
		struct ci_opts o;
		struct bb pdu;
		struct mcs_ci_facts f;
		ci_defaults(&o);
		o.core_len = end;
		build_ci(&pdu, &o);
		CU_ASSERT_EQUAL(parse_ci(&pdu, pdu.n, &f), DEC_OK);
		CU_ASSERT_STRING_EQUAL(f.client_name, "FROG-TEST");
		CU_ASSERT_EQUAL(f.keyboard_type, 4);
		uint16_t want_depth = end >= 142 ? 32 : end >= 138 ? 24 : end >= 130 ? 16 : 8;
		CU_ASSERT_EQUAL(f.color_depth, want_depth);
		CU_ASSERT_EQUAL(f.supported_color_depths, end >= 140 ? 0x000F : 0);
		CU_ASSERT_EQUAL(f.early_capability_flags, end >= 142 ? 0x0003 : 0);
		CU_ASSERT_EQUAL(f.server_selected_protocol, end >= 212 ? 1u : 0u);
		/* the blocks after the core are still found */
		CU_ASSERT_EQUAL(f.encryption_methods, 0x1b);
		CU_ASSERT_EQUAL(f.channel_count, 4);
	}
	/* a field cut in half inside a whole block is malformed */
	struct ci_opts o;
	struct bb pdu;
	struct mcs_ci_facts f;
	ci_defaults(&o);
	o.core_len = 129;
	build_ci(&pdu, &o);
	CU_ASSERT_EQUAL(parse_ci(&pdu, pdu.n, &f), DEC_INVALID);
	CU_ASSERT_EQUAL(f.color_depth, 8);
	CU_ASSERT_EQUAL(f.channel_count, 4);
	/* shorter than the mandatory part */
	o.core_len = 100;
	build_ci(&pdu, &o);
	CU_ASSERT_EQUAL(parse_ci(&pdu, pdu.n, &f), DEC_INVALID);
	CU_ASSERT_STRING_EQUAL(f.client_name, "FROG-TEST");
	CU_ASSERT_EQUAL(f.keyboard_subtype, 0);
	CU_ASSERT_EQUAL(f.encryption_methods, 0x1b);
}

static void test_ci_unknown_keyboard(void)
{
	struct ci_opts o;
	struct bb pdu;
	struct mcs_ci_facts f;

	ci_defaults(&o);
	o.keyboard = 0x40412;
	build_ci(&pdu, &o);
	CU_ASSERT_EQUAL(parse_ci(&pdu, pdu.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.keyboard_layout, 0x40412);
	CU_ASSERT_PTR_NULL(gcc_keyboard_name(f.keyboard_layout));
}

static void test_ci_gcc_variants(void)
{
	struct ci_opts o;
	struct bb pdu;
	struct mcs_ci_facts f;
	size_t at;

	ci_defaults(&o);
	build_ci(&pdu, &o);
	for (at = 0; at + sizeof t124_key <= pdu.n; at++)
		if (!memcmp(pdu.b + at, t124_key, sizeof t124_key))
			break;
	CU_ASSERT_FATAL(at + sizeof t124_key <= pdu.n);

	/* after the key: the connectPDU length (1 or 2 bytes), then 00 08 00 10 00 01 c0 00 "Duca" */
	size_t g = at + sizeof t124_key + ((pdu.b[at + sizeof t124_key] & 0x80) ? 2 : 1);
	CU_ASSERT_EQUAL(pdu.b[g + 8], 'D');

	struct bb bad = pdu;
	bad.b[at + 4] = 0x7d; /* another object identifier */
	CU_ASSERT_EQUAL(parse_ci(&bad, bad.n, &f), DEC_INVALID);
	CU_ASSERT_EQUAL(f.has_core, 0);

	bad = pdu;
	bad.b[g + 1] = 0x0c; /* userData plus callerIdentifier: a layout we do not walk */
	CU_ASSERT_EQUAL(parse_ci(&bad, bad.n, &f), DEC_UNSUPPORTED);
	CU_ASSERT_EQUAL(f.has_core, 0);

	bad = pdu;
	bad.b[g] = 0x10; /* conferenceCreateResponse inside a Connect Initial */
	CU_ASSERT_EQUAL(parse_ci(&bad, bad.n, &f), DEC_INVALID);

	bad = pdu;
	bad.b[g + 8] = 'X'; /* H.221 key "Duca" */
	CU_ASSERT_EQUAL(parse_ci(&bad, bad.n, &f), DEC_INVALID);

	bad = pdu;
	bad.b[at + sizeof t124_key] = 0xc1; /* a fragmented PER length */
	CU_ASSERT_EQUAL(parse_ci(&bad, bad.n, &f), DEC_UNSUPPORTED);
	CU_ASSERT_EQUAL(f.has_core, 0);
}

/* ---- Connect Response ----------------------------------------------------- */

static void build_prop_cert(struct bb *c, uint32_t version, uint32_t magic)
{
	b_le32(c, version);      /* dwVersion */
	b_le32(c, 1);            /* dwSigAlgId: SIGNATURE_ALG_RSA */
	b_le32(c, 1);            /* dwKeyAlgId: KEY_EXCHANGE_ALG_RSA */
	b_le16(c, 0x0006);       /* wPublicKeyBlobType: BB_RSA_KEY_BLOB */
	b_le16(c, 20 + 72);      /* wPublicKeyBlobLen */
	b_le32(c, magic);        /* "RSA1" */
	b_le32(c, 72);           /* keylen */
	b_le32(c, 512);          /* bitlen */
	b_le32(c, 63);           /* datalen */
	b_le32(c, 65537);        /* pubExp */
	b_fill(c, 0xa5, 64);     /* modulus */
	b_fill(c, 0, 8);
	b_le16(c, 0x0008);       /* wSignatureBlobType: BB_RSA_SIGNATURE_BLOB */
	b_le16(c, 72);
	b_fill(c, 0x5a, 72);
}

struct der {
	uint8_t *p;
	int len;
};

static void build_x509_chain(struct bb *c, uint32_t version, const struct der *certs, int n,
			     uint32_t declared)
{
	b_le32(c, version);
	b_le32(c, declared);
	for (int i = 0; i < n; i++) {
		b_le32(c, (uint32_t)certs[i].len);
		b_bytes(c, certs[i].p, (size_t)certs[i].len);
	}
	b_fill(c, 0, 8 + 4 * (size_t)n); /* Padding */
}

struct cr_opts {
	uint32_t result;
	uint32_t level;
	const struct bb *cert;   /* serverCertificate, NULL for none */
	size_t cert_len_extra;   /* added to serverCertLen */
};

static void build_cr(struct bb *pdu, const struct cr_opts *o)
{
	struct bb blocks = {.n = 0}, sec = {.n = 0};

	b_le16(&blocks, 0x0C01);     /* SC_CORE */
	b_le16(&blocks, 12);
	b_le32(&blocks, 0x00080004);
	b_le32(&blocks, 0);          /* clientRequestedProtocols: RDP */

	b_le16(&blocks, 0x0C03);     /* SC_NET */
	b_le16(&blocks, 16);
	b_le16(&blocks, 0x03eb);
	b_le16(&blocks, 3);
	b_le16(&blocks, 0x03ec);
	b_le16(&blocks, 0x03ed);
	b_le16(&blocks, 0x03ee);
	b_le16(&blocks, 0);          /* Pad */

	b_le32(&sec, 0x00000002);    /* encryptionMethod: 128-bit */
	b_le32(&sec, o->level);      /* encryptionLevel */
	if (o->cert) {
		b_le32(&sec, 32);
		b_le32(&sec, (uint32_t)(o->cert->n + o->cert_len_extra));
		b_fill(&sec, 0x11, 32);
		b_cat(&sec, o->cert);
	}
	b_le16(&blocks, 0x0C02);     /* SC_SECURITY */
	b_le16(&blocks, (unsigned)(4 + sec.n));
	b_cat(&blocks, &sec);

	/* GCC ConferenceCreateResponse, with the connectPDU length Windows sends */
	static const uint8_t ccr[] = {0x2a, 0x14, 0x76, 0x0a, 0x01, 0x01, 0x00, 0x01, 0xc0, 0x00, 'M', 'c', 'D', 'n'};
	struct bb gcc = {.n = 0}, body = {.n = 0}, x = {.n = 0};
	b_bytes(&gcc, t124_key, sizeof t124_key);
	b_bytes(&gcc, ccr, sizeof ccr);
	b_per_len(&gcc, blocks.n);
	b_cat(&gcc, &blocks);

	b_u8(&x, o->result);
	b_tlv(&body, 0x0a, &x, 0);   /* result */
	x.n = 0;
	b_u8(&x, 0);
	b_tlv(&body, 0x02, &x, 0);   /* calledConnectId */
	build_domain_params(&body, dp_target, 0);
	b_tlv(&body, 0x04, &gcc, 0);

	pdu->n = 0;
	b_u8(pdu, 0x7f);
	b_u8(pdu, 0x66);
	b_ber_len(pdu, body.n, 0);
	b_cat(pdu, &body);
}

static void assert_cr_common(const struct mcs_cr_facts *f)
{
	CU_ASSERT_EQUAL(f->frame, 43);
	CU_ASSERT_EQUAL(f->result, 0);
	CU_ASSERT_EQUAL(f->server_version, 0x00080004);
	CU_ASSERT_EQUAL(f->client_requested_protocols, 0);
	CU_ASSERT_EQUAL(f->io_channel, 0x03eb);
	CU_ASSERT_EQUAL(f->channel_count, 3);
	CU_ASSERT_EQUAL(f->has_security, 1);
	CU_ASSERT_EQUAL(f->encryption_method, 2);
	CU_ASSERT_EQUAL(f->server_random_len, 32);
}

static void test_cr_proprietary(void)
{
	struct bb cert = {.n = 0}, pdu;
	struct cr_opts o = {.result = 0, .level = 3, .cert = &cert};
	struct mcs_cr_facts f;

	build_prop_cert(&cert, 0x00000001, 0x31415352);
	build_cr(&pdu, &o);
	CU_ASSERT_EQUAL(parse_cr(&pdu, pdu.n, &f), DEC_OK);
	assert_cr_common(&f);
	CU_ASSERT_EQUAL(f.encryption_level, 3);
	CU_ASSERT_EQUAL(f.server_cert_len, cert.n);
	CU_ASSERT_EQUAL(f.cert_type, SRV_CERT_PROPRIETARY);
	CU_ASSERT_EQUAL(f.cert_permanent, 1);
	CU_ASSERT_EQUAL(f.proprietary_key_bits, 512);
	CU_ASSERT_EQUAL(f.x509_chain_len, 0);
	CU_ASSERT_EQUAL(f.x509_stored, 0);
	CU_ASSERT_STRING_EQUAL(gcc_encryption_level_name(f.encryption_level), "high");
	CU_ASSERT_STRING_EQUAL(gcc_encryption_method_name(f.encryption_method), "128-bit RC4");

	/* the t bit marks a temporary certificate */
	cert.n = 0;
	build_prop_cert(&cert, 0x80000001, 0x31415352);
	build_cr(&pdu, &o);
	CU_ASSERT_EQUAL(parse_cr(&pdu, pdu.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.cert_permanent, 0);
	CU_ASSERT_EQUAL(f.cert_type, SRV_CERT_PROPRIETARY);

	/* a public key blob without the "RSA1" magic */
	cert.n = 0;
	build_prop_cert(&cert, 0x00000001, 0x32415352);
	build_cr(&pdu, &o);
	CU_ASSERT_EQUAL(parse_cr(&pdu, pdu.n, &f), DEC_INVALID);
	CU_ASSERT_EQUAL(f.cert_type, SRV_CERT_PROPRIETARY);
	CU_ASSERT_EQUAL(f.proprietary_key_bits, 0);
	CU_ASSERT_EQUAL(f.io_channel, 0x03eb); /* blocks before it are kept */

	/* an unknown certificate version */
	cert.n = 0;
	build_prop_cert(&cert, 0x00000003, 0x31415352);
	build_cr(&pdu, &o);
	CU_ASSERT_EQUAL(parse_cr(&pdu, pdu.n, &f), DEC_INVALID);
	CU_ASSERT_EQUAL(f.cert_type, SRV_CERT_NONE);

	/* serverCertLen past the block */
	cert.n = 0;
	build_prop_cert(&cert, 0x00000001, 0x31415352);
	o.cert_len_extra = 50;
	build_cr(&pdu, &o);
	CU_ASSERT_EQUAL(parse_cr(&pdu, pdu.n, &f), DEC_INVALID);
	CU_ASSERT_EQUAL(f.proprietary_key_bits, 512);
}

static void test_cr_every_truncation(void)
{
	struct bb cert = {.n = 0}, pdu;
	struct cr_opts o = {.result = 0, .level = 3, .cert = &cert};
	struct mcs_cr_facts f;

	build_prop_cert(&cert, 0x00000001, 0x31415352);
	build_cr(&pdu, &o);
	for (size_t n = 0; n < pdu.n; n++) {
		enum dec_status st = parse_cr(&pdu, n, &f);
		CU_ASSERT_EQUAL(st, DEC_TRUNCATED);
		if (st != DEC_TRUNCATED) {
			fprintf(stderr, "\n  Connect Response cut at %zu: %s\n", n, dec_status_name(st));
			break;
		}
	}
}

/* Enhanced RDP Security: method and level 0, no random, no certificate. */
static void test_cr_tls(void)
{
	struct bb pdu;
	struct cr_opts o = {.result = 0, .level = 0, .cert = NULL};
	struct mcs_cr_facts f;

	build_cr(&pdu, &o);
	/* encryptionMethod 0 too */
	for (size_t i = 0; i + 12 <= pdu.n; i++)
		if (pdu.b[i] == 0x02 && pdu.b[i + 1] == 0x0c && pdu.b[i + 2] == 12) {
			pdu.b[i + 4] = 0;
			break;
		}
	CU_ASSERT_EQUAL(parse_cr(&pdu, pdu.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.has_security, 1);
	CU_ASSERT_EQUAL(f.encryption_method, 0);
	CU_ASSERT_EQUAL(f.encryption_level, 0);
	CU_ASSERT_EQUAL(f.server_random_len, 0);
	CU_ASSERT_EQUAL(f.cert_type, SRV_CERT_NONE);
	CU_ASSERT_EQUAL(f.io_channel, 0x03eb);
}

/* MS-RDPBCGR 3.3.5.3.3.1: a refusal may carry the result alone. */
static void test_cr_refused(void)
{
	static const uint8_t refused[] = {0x7f, 0x66, 0x03, 0x0a, 0x01, 0x0e};
	struct bb pdu = {.n = 0};
	struct mcs_cr_facts f;

	b_bytes(&pdu, refused, sizeof refused);
	CU_ASSERT_EQUAL(parse_cr(&pdu, pdu.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.result, 14);
	CU_ASSERT_EQUAL(f.has_security, 0);
	/* a success result with nothing after it is short */
	pdu.b[5] = 0x00;
	CU_ASSERT_EQUAL(parse_cr(&pdu, pdu.n, &f), DEC_INVALID);
}

static EVP_PKEY *gen_rsa(unsigned bits)
{
	EVP_PKEY *k = EVP_RSA_gen(bits);
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	return k;
}

/* OpenSSL wants names as unsigned char: copied, not cast. */
static void ucopy(unsigned char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

/* One certificate with fixed validity; returns its DER (OPENSSL_free it). */
static struct der make_cert(const char *cn, const char *issuer_cn, EVP_PKEY *key,
			    EVP_PKEY *signer, long serial, time_t nb, time_t na)
{
	struct der d = {NULL, 0};
	X509 *x = X509_new();
	X509_NAME *subj = X509_NAME_new(), *iss = X509_NAME_new();

	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	unsigned char name[64];
	ucopy(name, sizeof name, cn);
	X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC, name, -1, -1, 0);
	ucopy(name, sizeof name, issuer_cn);
	X509_NAME_add_entry_by_txt(iss, "CN", MBSTRING_ASC, name, -1, -1, 0);
	X509_set_subject_name(x, subj);
	X509_set_issuer_name(x, iss);
	ASN1_TIME_set(X509_getm_notBefore(x), nb);
	ASN1_TIME_set(X509_getm_notAfter(x), na);
	X509_set_pubkey(x, key);
	CU_ASSERT_FATAL(X509_sign(x, signer, EVP_sha256()) > 0);
	d.len = i2d_X509(x, &d.p);
	CU_ASSERT_FATAL(d.len > 0);
	X509_NAME_free(subj);
	X509_NAME_free(iss);
	X509_free(x);
	return d;
}

static void test_cr_x509_chain(void)
{
	/* 2015-02-11 14:15:06 .. 2015-05-12 00:00:00 UTC, as the Zeek trace's */
	const time_t nb = 1423664106, na = 1431388800;
	EVP_PKEY *root_key = gen_rsa(1024), *leaf_key = gen_rsa(2048);
	struct der certs[2];
	certs[0] = make_cert("rdprobe test root", "rdprobe test root", root_key, root_key, 1, nb - 86400, na + 86400);
	certs[1] = make_cert("SERVR", "rdprobe test root", leaf_key, root_key, 2, nb, na);

	struct bb chain = {.n = 0}, pdu;
	struct cr_opts o = {.result = 0, .level = 2, .cert = &chain};
	struct mcs_cr_facts f;

	build_x509_chain(&chain, 0x80000002, certs, 2, 2);
	build_cr(&pdu, &o);
	CU_ASSERT_EQUAL(parse_cr(&pdu, pdu.n, &f), DEC_OK);
	assert_cr_common(&f);
	CU_ASSERT_EQUAL(f.encryption_level, 2);
	CU_ASSERT_STRING_EQUAL(gcc_encryption_level_name(f.encryption_level), "client compatible");
	CU_ASSERT_EQUAL(f.server_cert_len, chain.n);
	CU_ASSERT_EQUAL(f.cert_type, SRV_CERT_X509);
	CU_ASSERT_EQUAL(f.cert_permanent, 0);
	CU_ASSERT_EQUAL(f.proprietary_key_bits, 0);
	CU_ASSERT_EQUAL(f.x509_chain_len, 2);
	CU_ASSERT_EQUAL(f.x509_stored, 2);
	/* wire order: the root first, the server's own certificate last */
	CU_ASSERT_STRING_EQUAL(f.x509[0].subject_cn, "rdprobe test root");
	CU_ASSERT_EQUAL(f.x509[0].key_bits, 1024);
	CU_ASSERT_EQUAL(f.x509[0].der_len, (uint32_t)certs[0].len);
	CU_ASSERT_EQUAL(f.x509[0].not_before, (int64_t)nb - 86400);
	CU_ASSERT_STRING_EQUAL(f.x509[1].subject_cn, "SERVR");
	CU_ASSERT_STRING_EQUAL(f.x509[1].issuer_cn, "rdprobe test root");
	CU_ASSERT_STRING_EQUAL(f.x509[1].key_type, "RSA");
	CU_ASSERT_EQUAL(f.x509[1].key_bits, 2048);
	CU_ASSERT_EQUAL(f.x509[1].not_before, (int64_t)nb);
	CU_ASSERT_EQUAL(f.x509[1].not_after, (int64_t)na);
	CU_ASSERT_EQUAL(f.x509[1].der_len, (uint32_t)certs[1].len);

	/* a permanent chain */
	chain.n = 0;
	build_x509_chain(&chain, 0x00000002, certs, 2, 2);
	build_cr(&pdu, &o);
	CU_ASSERT_EQUAL(parse_cr(&pdu, pdu.n, &f), DEC_OK);
	CU_ASSERT_EQUAL(f.cert_permanent, 1);

	/* NumCertBlobs 1000 with two present */
	chain.n = 0;
	build_x509_chain(&chain, 0x80000002, certs, 2, 1000);
	chain.n -= 8 + 4 * 2; /* no padding: the blobs end the block */
	build_cr(&pdu, &o);
	CU_ASSERT_EQUAL(parse_cr(&pdu, pdu.n, &f), DEC_INVALID);
	CU_ASSERT_EQUAL(f.x509_chain_len, 1000);
	CU_ASSERT_EQUAL(f.x509_stored, 2);
	CU_ASSERT_STRING_EQUAL(f.x509[1].subject_cn, "SERVR");

	/* every cut of the chain: truncated, never a crash */
	chain.n = 0;
	build_x509_chain(&chain, 0x80000002, certs, 2, 2);
	build_cr(&pdu, &o);
	for (size_t n = pdu.n - chain.n; n < pdu.n; n += 7) {
		enum dec_status st = parse_cr(&pdu, n, &f);
		CU_ASSERT_EQUAL(st, DEC_TRUNCATED);
		CU_ASSERT(f.x509_stored <= 2);
	}

	/* a certificate OpenSSL rejects */
	chain.n = 0;
	build_x509_chain(&chain, 0x80000002, certs, 2, 2);
	chain.b[12] ^= 0xff; /* the first DER byte after dwVersion, NumCertBlobs, cbCert */
	build_cr(&pdu, &o);
	CU_ASSERT_EQUAL(parse_cr(&pdu, pdu.n, &f), DEC_INVALID);
	CU_ASSERT_EQUAL(f.x509_stored, 2);
	CU_ASSERT_STRING_EQUAL(f.x509[1].subject_cn, "SERVR");

	OPENSSL_free(certs[0].p);
	OPENSSL_free(certs[1].p);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(leaf_key);
}

static void test_connect_kind(void)
{
	static const uint8_t ci[] = {0x7f, 0x65}, cr[] = {0x7f, 0x66}, other[] = {0x7f, 0x67},
			     one[] = {0x7f};
	struct cur c;

	c = cur_make(ci, sizeof ci);
	CU_ASSERT_EQUAL(mcs_connect_kind(&c), MCS_CONNECT_INITIAL);
	CU_ASSERT_EQUAL(cur_left(&c), 2); /* peeks only */
	c = cur_make(cr, sizeof cr);
	CU_ASSERT_EQUAL(mcs_connect_kind(&c), MCS_CONNECT_RESPONSE);
	c = cur_make(other, sizeof other);
	CU_ASSERT_EQUAL(mcs_connect_kind(&c), MCS_NOT_CONNECT);
	c = cur_make(one, sizeof one);
	CU_ASSERT_EQUAL(mcs_connect_kind(&c), MCS_NOT_CONNECT);
	c = cur_make(one, 0);
	CU_ASSERT_EQUAL(mcs_connect_kind(&c), MCS_NOT_CONNECT);
}

/* ---- domain PDUs ---------------------------------------------------------- */

static int note_pdu(const uint8_t *bytes, size_t n, int dir, uint64_t frame, struct mcs_domain_facts *f)
{
	uint8_t *p = malloc(n ? n : 1);
	if (!p)
		abort();
	memcpy(p, bytes, n);
	struct cur c = cur_make(p, n);
	int r = mcs_note_domain_pdu(&c, dir, frame, f);
	free(p);
	return r;
}

#define NOTE(f, dir, frame, ...)                                                      \
	do {                                                                          \
		static const uint8_t pdu_[] = {__VA_ARGS__};                          \
		(void)note_pdu(pdu_, sizeof pdu_, dir, frame, f);                     \
	} while (0)

static void test_domain_connection_sequence(void)
{
	struct mcs_domain_facts f;
	memset(&f, 0, sizeof f);

	static const uint8_t erect[] = {0x04, 0x01, 0x00, 0x01, 0x00};
	CU_ASSERT_EQUAL(note_pdu(erect, sizeof erect, DIR_C2S, 16, &f), MCS_ERECT_DOMAIN_REQUEST);
	static const uint8_t aureq[] = {0x28};
	CU_ASSERT_EQUAL(note_pdu(aureq, sizeof aureq, DIR_C2S, 17, &f), MCS_ATTACH_USER_REQUEST);
	static const uint8_t aucf[] = {0x2e, 0x00, 0x00, 0x06};
	CU_ASSERT_EQUAL(note_pdu(aucf, sizeof aucf, DIR_S2C, 19, &f), MCS_ATTACH_USER_CONFIRM);
	static const uint8_t cjrq[] = {0x38, 0x00, 0x06, 0x03, 0xeb};
	static const uint8_t cjcf[] = {0x3e, 0x00, 0x00, 0x06, 0x03, 0xeb, 0x03, 0xeb};
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(note_pdu(cjrq, sizeof cjrq, DIR_C2S, 20 + 2 * (uint64_t)i, &f), MCS_CHANNEL_JOIN_REQUEST);
		CU_ASSERT_EQUAL(note_pdu(cjcf, sizeof cjcf, DIR_S2C, 21 + 2 * (uint64_t)i, &f), MCS_CHANNEL_JOIN_CONFIRM);
	}
	CU_ASSERT_EQUAL(f.erect_domain_frame, 16);
	CU_ASSERT_EQUAL(f.attach_user_request_frame, 17);
	CU_ASSERT_EQUAL(f.attach_user_confirm_frame, 19);
	CU_ASSERT_EQUAL(f.channel_join_requests, 3);
	CU_ASSERT_EQUAL(f.channel_join_confirms, 3);

	/* keep the earliest */
	CU_ASSERT_EQUAL(note_pdu(erect, sizeof erect, DIR_C2S, 30, &f), MCS_ERECT_DOMAIN_REQUEST);
	CU_ASSERT_EQUAL(f.erect_domain_frame, 16);
	CU_ASSERT_EQUAL(note_pdu(erect, sizeof erect, DIR_C2S, 9, &f), MCS_ERECT_DOMAIN_REQUEST);
	CU_ASSERT_EQUAL(f.erect_domain_frame, 9);

	/* not domain PDUs */
	static const uint8_t connect[] = {0x7f, 0x65, 0x00};
	CU_ASSERT_EQUAL(note_pdu(connect, sizeof connect, DIR_C2S, 50, &f), -1);
	CU_ASSERT_EQUAL(note_pdu(connect, 0, DIR_C2S, 50, &f), -1);
	static const uint8_t beyond[] = {0xac}; /* choice 43 */
	CU_ASSERT_EQUAL(note_pdu(beyond, sizeof beyond, DIR_C2S, 50, &f), -1);
	static const uint8_t plumb[] = {0x00};
	CU_ASSERT_EQUAL(note_pdu(plumb, sizeof plumb, DIR_C2S, 50, &f), 0);
}

/* MS-RDPBCGR 4.2.3: 21 80 is rn-user-requested (3). */
static void test_domain_disconnect(void)
{
	struct mcs_domain_facts f;

	memset(&f, 0, sizeof f);
	static const uint8_t user[] = {0x21, 0x80};
	CU_ASSERT_EQUAL(note_pdu(user, sizeof user, DIR_S2C, 538, &f), MCS_DISCONNECT_PROVIDER_ULTIMATUM);
	CU_ASSERT_EQUAL(f.disconnect_frame, 538);
	CU_ASSERT_EQUAL(f.disconnect_dir, DIR_S2C);
	CU_ASSERT_EQUAL(f.disconnect_reason, 3);
	/* a later one does not replace it */
	NOTE(&f, DIR_C2S, 600, 0x20, 0x80);
	CU_ASSERT_EQUAL(f.disconnect_frame, 538);
	CU_ASSERT_EQUAL(f.disconnect_reason, 3);

	static const struct {
		uint8_t b0, b1, reason;
	} reasons[] = {
		{0x20, 0x00, 0}, /* rn-domain-disconnected */
		{0x20, 0x80, 1}, /* rn-provider-initiated */
		{0x21, 0x00, 2}, /* rn-token-purged */
		{0x21, 0x80, 3}, /* rn-user-requested */
		{0x22, 0x00, 4}, /* rn-channel-purged */
	};
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
		uint8_t b[2] = {reasons[i].b0, reasons[i].b1};
		memset(&f, 0, sizeof f);
		CU_ASSERT_EQUAL(note_pdu(b, 2, DIR_C2S, 7, &f), MCS_DISCONNECT_PROVIDER_ULTIMATUM);
		CU_ASSERT_EQUAL(f.disconnect_reason, reasons[i].reason);
		CU_ASSERT_EQUAL(f.disconnect_dir, DIR_C2S);
	}
	/* the reason byte missing: nothing recorded */
	memset(&f, 0, sizeof f);
	CU_ASSERT_EQUAL(note_pdu(user, 1, DIR_S2C, 9, &f), MCS_DISCONNECT_PROVIDER_ULTIMATUM);
	CU_ASSERT_EQUAL(f.disconnect_frame, 0);
}

/* SendDataRequest (0x64) / SendDataIndication (0x68) around `data`. */
static void build_send_data(struct bb *b, unsigned choice_byte, const struct bb *data)
{
	b->n = 0;
	b_u8(b, choice_byte);
	b_be16(b, 0x0006);  /* initiator - 1001 */
	b_be16(b, 0x03eb);  /* I/O channel */
	b_u8(b, 0x70);      /* high priority, begin + end */
	b_per_len(b, data->n);
	b_cat(b, data);
}

static void test_domain_send_data(void)
{
	struct mcs_domain_facts f;
	struct bb data = {.n = 0}, pdu;

	memset(&f, 0, sizeof f);
	/* Security Exchange PDU (2.2.1.10): 72-byte encrypted client random */
	b_le16(&data, 0x0001);
	b_le16(&data, 0);
	b_le32(&data, 72);
	b_fill(&data, 0x33, 72);
	build_send_data(&pdu, 0x64, &data);
	CU_ASSERT_EQUAL(note_pdu(pdu.b, pdu.n, DIR_C2S, 32, &f), MCS_SEND_DATA_REQUEST);
	CU_ASSERT_EQUAL(f.security_exchange_frame, 32);
	CU_ASSERT_EQUAL(f.client_info_frame, 0);

	/* Client Info PDU (2.2.1.11), encrypted: 2-byte PER length */
	data.n = 0;
	b_le16(&data, 0x0048); /* SEC_INFO_PKT | SEC_ENCRYPT */
	b_le16(&data, 0);
	b_fill(&data, 0x44, 8 + 300);
	build_send_data(&pdu, 0x64, &data);
	CU_ASSERT_EQUAL(pdu.b[6], 0x81);
	CU_ASSERT_EQUAL(note_pdu(pdu.b, pdu.n, DIR_C2S, 33, &f), MCS_SEND_DATA_REQUEST);
	CU_ASSERT_EQUAL(f.client_info_frame, 33);
	CU_ASSERT_EQUAL(f.security_exchange_frame, 32);
	CU_ASSERT_EQUAL(note_pdu(pdu.b, pdu.n, DIR_C2S, 90, &f), MCS_SEND_DATA_REQUEST);
	CU_ASSERT_EQUAL(f.client_info_frame, 33);

	/* the length runs past the bytes: the flags are still read, no overread */
	CU_ASSERT_EQUAL(note_pdu(pdu.b, 12, DIR_C2S, 5, &f), MCS_SEND_DATA_REQUEST);
	CU_ASSERT_EQUAL(f.client_info_frame, 5);
	/* cut inside the header */
	memset(&f, 0, sizeof f);
	for (size_t n = 0; n < 9; n++)
		(void)note_pdu(pdu.b, n, DIR_C2S, 5, &f);
	CU_ASSERT_EQUAL(f.client_info_frame, 0);
}

/* Share control + share data headers around a Set Error Info PDU (2.2.5.1). */
static void build_set_error_info(struct bb *b, uint32_t info, unsigned ctype)
{
	b_le16(b, 22);          /* totalLength */
	b_le16(b, 0x0017);      /* PDUTYPE_DATAPDU | TS_PROTOCOL_VERSION */
	b_le16(b, 0x03ea);      /* pduSource */
	b_le32(b, 0x000103ea);  /* shareId */
	b_u8(b, 0);             /* pad1 */
	b_u8(b, 1);             /* streamId: STREAM_LOW */
	b_le16(b, 8);           /* uncompressedLength */
	b_u8(b, 0x2f);          /* pduType2: PDUTYPE2_SET_ERROR_INFO_PDU */
	b_u8(b, ctype);         /* compressedType */
	b_le16(b, 0);           /* compressedLength */
	b_le32(b, info);        /* errorInfo */
}

static void test_domain_set_error_info(void)
{
	struct mcs_domain_facts f;
	struct bb data = {.n = 0}, pdu;

	/* TLS: no security header, 2-byte PER length as FreeRDP writes it */
	memset(&f, 0, sizeof f);
	build_set_error_info(&data, 0x00000007, 0);
	pdu.n = 0;
	b_u8(&pdu, 0x68);
	b_be16(&pdu, 0x0001);
	b_be16(&pdu, 0x03eb);
	b_u8(&pdu, 0x70);
	b_be16(&pdu, 0x8000 | (unsigned)data.n);
	b_cat(&pdu, &data);
	CU_ASSERT_EQUAL(pdu.n, 37 - 7); /* the 37-byte TPKT of the lab notes */
	CU_ASSERT_EQUAL(note_pdu(pdu.b, pdu.n, DIR_S2C, 61, &f), MCS_SEND_DATA_INDICATION);
	CU_ASSERT_EQUAL(f.error_info_frame, 61);
	CU_ASSERT_EQUAL(f.error_info, 7);
	CU_ASSERT_EQUAL(f.client_info_frame, 0);

	/* Standard RDP Security without encryption: a basic security header first */
	memset(&f, 0, sizeof f);
	data.n = 0;
	b_le16(&data, 0x0000);
	b_le16(&data, 0);
	build_set_error_info(&data, 0x00000007, 0);
	build_send_data(&pdu, 0x68, &data);
	CU_ASSERT_EQUAL(note_pdu(pdu.b, pdu.n, DIR_S2C, 62, &f), MCS_SEND_DATA_INDICATION);
	CU_ASSERT_EQUAL(f.error_info_frame, 62);
	CU_ASSERT_EQUAL(f.error_info, 7);

	/* encrypted: not readable */
	memset(&f, 0, sizeof f);
	data.n = 0;
	b_le16(&data, 0x0008);
	b_le16(&data, 0);
	build_set_error_info(&data, 0x00000007, 0);
	build_send_data(&pdu, 0x68, &data);
	CU_ASSERT_EQUAL(note_pdu(pdu.b, pdu.n, DIR_S2C, 63, &f), MCS_SEND_DATA_INDICATION);
	CU_ASSERT_EQUAL(f.error_info_frame, 0);

	/* compressed: not readable */
	data.n = 0;
	build_set_error_info(&data, 0x00000007, 0x20);
	build_send_data(&pdu, 0x68, &data);
	CU_ASSERT_EQUAL(note_pdu(pdu.b, pdu.n, DIR_S2C, 64, &f), MCS_SEND_DATA_INDICATION);
	CU_ASSERT_EQUAL(f.error_info_frame, 0);

	/* the errorInfo cut off */
	data.n = 0;
	build_set_error_info(&data, 0x00000007, 0);
	build_send_data(&pdu, 0x68, &data);
	CU_ASSERT_EQUAL(note_pdu(pdu.b, pdu.n - 1, DIR_S2C, 65, &f), MCS_SEND_DATA_INDICATION);
	CU_ASSERT_EQUAL(f.error_info_frame, 0);

	/* another share data PDU type: ignored */
	data.n = 0;
	build_set_error_info(&data, 0x00000007, 0);
	data.b[14] = 0x1f; /* PDUTYPE2_SYNCHRONIZE */
	build_send_data(&pdu, 0x68, &data);
	CU_ASSERT_EQUAL(note_pdu(pdu.b, pdu.n, DIR_S2C, 66, &f), MCS_SEND_DATA_INDICATION);
	CU_ASSERT_EQUAL(f.error_info_frame, 0);
}

/* ---- name tables ---------------------------------------------------------- */

static void test_names(void)
{
	CU_ASSERT_STRING_EQUAL(mcs_domain_pdu_name(0), "plumbDomainIndication");
	CU_ASSERT_STRING_EQUAL(mcs_domain_pdu_name(MCS_ERECT_DOMAIN_REQUEST), "erectDomainRequest");
	CU_ASSERT_STRING_EQUAL(mcs_domain_pdu_name(2), "mergeChannelsRequest");
	CU_ASSERT_STRING_EQUAL(mcs_domain_pdu_name(MCS_DISCONNECT_PROVIDER_ULTIMATUM), "disconnectProviderUltimatum");
	CU_ASSERT_STRING_EQUAL(mcs_domain_pdu_name(MCS_ATTACH_USER_REQUEST), "attachUserRequest");
	CU_ASSERT_STRING_EQUAL(mcs_domain_pdu_name(MCS_ATTACH_USER_CONFIRM), "attachUserConfirm");
	CU_ASSERT_STRING_EQUAL(mcs_domain_pdu_name(MCS_CHANNEL_JOIN_REQUEST), "channelJoinRequest");
	CU_ASSERT_STRING_EQUAL(mcs_domain_pdu_name(MCS_CHANNEL_JOIN_CONFIRM), "channelJoinConfirm");
	CU_ASSERT_STRING_EQUAL(mcs_domain_pdu_name(MCS_SEND_DATA_REQUEST), "sendDataRequest");
	CU_ASSERT_STRING_EQUAL(mcs_domain_pdu_name(MCS_SEND_DATA_INDICATION), "sendDataIndication");
	CU_ASSERT_STRING_EQUAL(mcs_domain_pdu_name(42), "tokenTestConfirm");
	for (int i = 0; i <= 42; i++)
		CU_ASSERT_PTR_NOT_NULL(mcs_domain_pdu_name(i));
	CU_ASSERT_PTR_NULL(mcs_domain_pdu_name(43));
	CU_ASSERT_PTR_NULL(mcs_domain_pdu_name(-1));

	static const uint32_t layouts[] = {
		0x401, 0x402, 0x404, 0x405, 0x406, 0x407, 0x408, 0x409, 0x40a, 0x40b,
		0x40c, 0x40d, 0x40e, 0x40f, 0x410, 0x411, 0x412, 0x413, 0x414, 0x415,
		0x416, 0x418, 0x419, 0x41a, 0x41b, 0x41c, 0x41d, 0x41e, 0x41f, 0x422,
		0x423, 0x424, 0x425, 0x426, 0x427, 0x429, 0x42a, 0x42f, 0x437, 0x439,
		0x804, 0x807, 0x809, 0x80a, 0x80c, 0x813, 0x816, 0x81a, 0xc04, 0xc0a,
		0xc0c, 0xc1a, 0x1009, 0x100c, 0x10409, 0x20409, 0x10407, 0x1040a, 0x10416, 0x11009,
	};
	for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
		CU_ASSERT_PTR_NOT_NULL(gcc_keyboard_name(layouts[i]));
	CU_ASSERT_STRING_EQUAL(gcc_keyboard_name(0x409), "English (United States)");
	CU_ASSERT_STRING_EQUAL(gcc_keyboard_name(0x809), "English (United Kingdom)");
	CU_ASSERT_STRING_EQUAL(gcc_keyboard_name(0x407), "German");
	CU_ASSERT_STRING_EQUAL(gcc_keyboard_name(0x40c), "French");
	CU_ASSERT_STRING_EQUAL(gcc_keyboard_name(0x410), "Italian");
	CU_ASSERT_STRING_EQUAL(gcc_keyboard_name(0x411), "Japanese");
	CU_ASSERT_STRING_EQUAL(gcc_keyboard_name(0x10409), "United States-Dvorak");
	CU_ASSERT_STRING_EQUAL(gcc_keyboard_name(0x20409), "United States-International");
	CU_ASSERT_PTR_NULL(gcc_keyboard_name(0x40412));
	CU_ASSERT_PTR_NULL(gcc_keyboard_name(0x4041e)); /* the Zeek "unknown keyboard" trace */
	CU_ASSERT_PTR_NULL(gcc_keyboard_name(0));

	CU_ASSERT_STRING_EQUAL(gcc_encryption_method_name(0), "None");
	CU_ASSERT_STRING_EQUAL(gcc_encryption_method_name(1), "40-bit RC4");
	CU_ASSERT_STRING_EQUAL(gcc_encryption_method_name(2), "128-bit RC4");
	CU_ASSERT_STRING_EQUAL(gcc_encryption_method_name(8), "56-bit RC4");
	CU_ASSERT_STRING_EQUAL(gcc_encryption_method_name(0x10), "FIPS");
	CU_ASSERT_PTR_NULL(gcc_encryption_method_name(10));

	CU_ASSERT_STRING_EQUAL(gcc_encryption_level_name(0), "none");
	CU_ASSERT_STRING_EQUAL(gcc_encryption_level_name(1), "low");
	CU_ASSERT_STRING_EQUAL(gcc_encryption_level_name(2), "client compatible");
	CU_ASSERT_STRING_EQUAL(gcc_encryption_level_name(3), "high");
	CU_ASSERT_STRING_EQUAL(gcc_encryption_level_name(4), "FIPS");
	CU_ASSERT_PTR_NULL(gcc_encryption_level_name(5));

	CU_ASSERT_STRING_EQUAL(gcc_rdp_version_name(0x00080001), "RDP 4.0");
	CU_ASSERT_STRING_EQUAL(gcc_rdp_version_name(0x00080004), "RDP 5.0 - 8.1");
	CU_ASSERT_STRING_EQUAL(gcc_rdp_version_name(0x00080005), "RDP 10.0");
	CU_ASSERT_PTR_NULL(gcc_rdp_version_name(0x00080002));

	CU_ASSERT_STRING_EQUAL(gcc_client_build_name(2600), "RDP 5.1");
	CU_ASSERT_STRING_EQUAL(gcc_client_build_name(3790), "RDP 5.2");
	CU_ASSERT_STRING_EQUAL(gcc_client_build_name(6000), "RDP 6.0");
	CU_ASSERT_STRING_EQUAL(gcc_client_build_name(7601), "RDP 7.1");
	CU_ASSERT_STRING_EQUAL(gcc_client_build_name(9600), "RDP 8.1");
	CU_ASSERT_PTR_NULL(gcc_client_build_name(1234));
}

void register_unit_mcs(void)
{
	static const struct test_case ci_cases[] = {
		{"full Connect Initial", test_ci_full},
		{"color depth without 32 bpp flag", test_ci_color_depth},
		{"every truncation point", test_ci_every_truncation},
		{"BER long forms 0x81 0x82 0x83", test_ci_ber_long_forms},
		{"BER indefinite / oversized lengths, wrong tag", test_ci_ber_bad_lengths},
		{"user data length past the PDU", test_ci_user_data_too_long},
		{"channelCount 1000 with 2 present", test_ci_channel_count_lies},
		{"TS_UD_HEADER length < 4 or past the data", test_ci_bad_block_header},
		{"CS_CORE cut after each optional field", test_ci_core_optional_fields},
		{"unknown keyboard layout", test_ci_unknown_keyboard},
		{"GCC key and layout variants", test_ci_gcc_variants},
		{"connect kind", test_connect_kind},
		{NULL, NULL},
	};
	static const struct test_case cr_cases[] = {
		{"proprietary certificate", test_cr_proprietary},
		{"every truncation point", test_cr_every_truncation},
		{"enhanced security: no certificate", test_cr_tls},
		{"refusal with the result alone", test_cr_refused},
		{"X.509 chain of two", test_cr_x509_chain},
		{NULL, NULL},
	};
	static const struct test_case dom_cases[] = {
		{"erect domain, attach user, channel joins", test_domain_connection_sequence},
		{"disconnect provider ultimatum reasons", test_domain_disconnect},
		{"send data: security exchange, client info", test_domain_send_data},
		{"send data: Set Error Info in the clear", test_domain_set_error_info},
		{"name tables", test_names},
		{NULL, NULL},
	};
	add_suite("mcs connect initial", ci_cases);
	add_suite("mcs connect response", cr_cases);
	add_suite("mcs domain", dom_cases);
}

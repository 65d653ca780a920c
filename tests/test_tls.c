/*
 * test_tls.c - TLS/DTLS records, handshake messages and X.509 facts.
 *
 * Every byte here is built by the test: certificates are made with OpenSSL
 * at run time (fixed names, times and serials, fresh keys), records and
 * handshake messages by hand.  Nothing is copied from a capture.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "decode.h"
#include "tests.h"
#include "tls.h"
#include "x509.h"

/* ---- a growing byte buffer ---------------------------------------------- */

struct bb {
	uint8_t *p;
	size_t len;
	size_t cap;
};

static void bb_need(struct bb *b, size_t n)
{
	if (b->len + n <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + n)
		cap *= 2;
	uint8_t *q = realloc(b->p, cap);
	if (!q)
		abort();
	b->p = q;
	b->cap = cap;
}

static void bb_u8(struct bb *b, unsigned v)
{
	bb_need(b, 1);
	b->p[b->len++] = (uint8_t)v;
}

static void bb_u16(struct bb *b, unsigned v)
{
	bb_u8(b, v >> 8 & 0xff);
	bb_u8(b, v & 0xff);
}

static void bb_u24(struct bb *b, unsigned long v)
{
	bb_u8(b, (unsigned)(v >> 16 & 0xff));
	bb_u8(b, (unsigned)(v >> 8 & 0xff));
	bb_u8(b, (unsigned)(v & 0xff));
}

static void bb_bytes(struct bb *b, const uint8_t *p, size_t n)
{
	bb_need(b, n);
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void bb_fill(struct bb *b, unsigned v, size_t n)
{
	bb_need(b, n);
	memset(b->p + b->len, (int)v, n);
	b->len += n;
}

static void bb_str(struct bb *b, const char *s)
{
	bb_need(b, strlen(s));
	memcpy(b->p + b->len, s, strlen(s));
	b->len += strlen(s);
}

/* Writes the length of what followed `at` into the 1, 2 or 3 bytes before it. */
static void bb_patch(struct bb *b, size_t at, int width)
{
	size_t n = b->len - at;
	for (int i = 0; i < width; i++)
		b->p[at - 1 - (size_t)i] = (uint8_t)(n >> (8 * i) & 0xff);
}

static size_t bb_mark(struct bb *b, int width)
{
	bb_fill(b, 0, (size_t)width);
	return b->len;
}

static void bb_free(struct bb *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

/* ---- certificates --------------------------------------------------------- */

#define TEST_CN "tls-test.example"
#define TEST_SANS "DNS:tls-test.example,DNS:www.tls-test.example,IP:192.0.2.7,IP:2001:db8::1"
#define T_2015_02_11_141506 1423664106
#define T_2030_01_01 1893456000
#define T_9999_12_31_235959 253402300799

struct cert_spec {
	EVP_PKEY *key;        /* the certificate's own key */
	EVP_PKEY *signer;     /* whose key signs it */
	const char *cn;
	const char *issuer_cn;
	const char *sans;     /* NULL: no subjectAltName */
	uint64_t serial;
	const char *not_before;
	const char *not_after;
};

static int add_name(X509_NAME *n, const char *field, const char *value)
{
	unsigned char v[128];
	size_t len = strlen(value);
	if (len >= sizeof v)
		return 0;
	memcpy(v, value, len + 1);
	return X509_NAME_add_entry_by_txt(n, field, MBSTRING_ASC, v, (int)len, -1, 0);
}

/* DER of a certificate built to `cs`, in *der (free with OPENSSL_free). */
static int make_cert(const struct cert_spec *cs, uint8_t **der)
{
	int len = -1;
	X509 *x = X509_new();
	X509_NAME *subj = X509_NAME_new();
	X509_NAME *iss = X509_NAME_new();
	*der = NULL;
	if (!x || !subj || !iss)
		goto out;
	if (!X509_set_version(x, X509_VERSION_3) ||
	    !ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), cs->serial) ||
	    !add_name(subj, "C", "DE") || !add_name(subj, "O", "rdprobe tests") ||
	    !add_name(subj, "CN", cs->cn) || !add_name(iss, "C", "DE") ||
	    !add_name(iss, "O", "rdprobe tests") || !add_name(iss, "CN", cs->issuer_cn) ||
	    !X509_set_subject_name(x, subj) || !X509_set_issuer_name(x, iss) ||
	    !ASN1_TIME_set_string(X509_getm_notBefore(x), cs->not_before) ||
	    !ASN1_TIME_set_string(X509_getm_notAfter(x), cs->not_after) ||
	    !X509_set_pubkey(x, cs->key))
		goto out;
	if (cs->sans) {
		X509V3_CTX ctx;
		X509V3_set_ctx_nodb(&ctx);
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, cs->sans);
		int ok = ext && X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
		if (!ok)
			goto out;
	}
	if (!X509_sign(x, cs->signer, EVP_sha256()))
		goto out;
	len = i2d_X509(x, der);
out:
	X509_NAME_free(iss);
	X509_NAME_free(subj);
	X509_free(x);
	return len;
}

/*
 * Keys and certificates shared by the tests of one suite: made on first
 * use, released by the suite's cleanup.
 */
struct fixture {
	EVP_PKEY *rsa;        /* 2048 bits: the server's key */
	EVP_PKEY *ec;         /* P-256: a CA's key */
	uint8_t *leaf;        /* self-signed, RSA, CN=tls-test.example, SANs */
	int leaf_len;
	uint8_t *ca;          /* self-signed, EC, CN=rdprobe test CA */
	int ca_len;
};

static struct fixture fx;

static int fixture_release(void)
{
	OPENSSL_free(fx.leaf);
	OPENSSL_free(fx.ca);
	EVP_PKEY_free(fx.rsa);
	EVP_PKEY_free(fx.ec);
	memset(&fx, 0, sizeof fx);
	return 0;
}

static const struct fixture *fixture(void)
{
	if (fx.leaf)
		return &fx;
	fx.rsa = EVP_RSA_gen(2048);
	fx.ec = EVP_EC_gen("P-256");
	if (!fx.rsa || !fx.ec)
		abort();
	struct cert_spec leaf = {fx.rsa, fx.rsa, TEST_CN, TEST_CN, TEST_SANS,
				 0x0123456789abcdefULL, "150211141506Z", "300101000000Z"};
	struct cert_spec ca = {fx.ec, fx.ec, "rdprobe test CA", "rdprobe test CA", NULL,
			       1, "150101000000Z", "99991231235959Z"};
	fx.leaf_len = make_cert(&leaf, &fx.leaf);
	fx.ca_len = make_cert(&ca, &fx.ca);
	if (fx.leaf_len <= 0 || fx.ca_len <= 0)
		abort();
	return &fx;
}

static void sha256_hex(const uint8_t *p, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	CU_ASSERT_FATAL(EVP_Digest(p, n, md, &len, EVP_sha256(), NULL) == 1);
	for (unsigned i = 0; i < len && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* ---- X.509 ---------------------------------------------------------------- */

static void test_x509_self_signed_rsa(void)
{
	const struct fixture *f = fixture();
	struct cert_info ci;
	char hex[65];

	CU_ASSERT_EQUAL_FATAL(x509_parse_der(f->leaf, (size_t)f->leaf_len, &ci), DEC_OK);
	CU_ASSERT_STRING_EQUAL(ci.subject, "CN=tls-test.example,O=rdprobe tests,C=DE");
	CU_ASSERT_STRING_EQUAL(ci.subject_cn, "tls-test.example");
	CU_ASSERT_STRING_EQUAL(ci.issuer, "CN=tls-test.example,O=rdprobe tests,C=DE");
	CU_ASSERT_STRING_EQUAL(ci.issuer_cn, "tls-test.example");
	CU_ASSERT_STRING_EQUAL(ci.sans,
			       "DNS:tls-test.example,DNS:www.tls-test.example,IP:192.0.2.7,IP:2001:db8::1");
	CU_ASSERT_STRING_EQUAL(ci.serial, "0123456789abcdef");
	sha256_hex(f->leaf, (size_t)f->leaf_len, hex);
	CU_ASSERT_STRING_EQUAL(ci.sha256, hex);
	CU_ASSERT_STRING_EQUAL(ci.sig_alg, "sha256WithRSAEncryption");
	CU_ASSERT_STRING_EQUAL(ci.key_type, "RSA");
	CU_ASSERT_EQUAL(ci.key_bits, 2048);
	CU_ASSERT_EQUAL(ci.not_before, T_2015_02_11_141506);
	CU_ASSERT_EQUAL(ci.not_after, T_2030_01_01);
	CU_ASSERT_EQUAL(ci.self_signed, 1);
	CU_ASSERT_EQUAL(ci.der_len, (uint32_t)f->leaf_len);
}

static void test_x509_self_signed_ec_generalized_time(void)
{
	const struct fixture *f = fixture();
	struct cert_info ci;

	CU_ASSERT_EQUAL_FATAL(x509_parse_der(f->ca, (size_t)f->ca_len, &ci), DEC_OK);
	CU_ASSERT_STRING_EQUAL(ci.subject, "CN=rdprobe test CA,O=rdprobe tests,C=DE");
	CU_ASSERT_STRING_EQUAL(ci.subject_cn, "rdprobe test CA");
	CU_ASSERT_STRING_EQUAL(ci.sans, "");
	CU_ASSERT_STRING_EQUAL(ci.serial, "01");
	CU_ASSERT_STRING_EQUAL(ci.sig_alg, "ecdsa-with-SHA256");
	CU_ASSERT_STRING_EQUAL(ci.key_type, "EC");
	CU_ASSERT_EQUAL(ci.key_bits, 256);
	CU_ASSERT_EQUAL(ci.not_before, 1420070400); /* 2015-01-01 00:00:00 */
	CU_ASSERT_EQUAL(ci.not_after, T_9999_12_31_235959); /* GeneralizedTime */
	CU_ASSERT_EQUAL(ci.self_signed, 1);
}

static void test_x509_issued_by_other_key(void)
{
	const struct fixture *f = fixture();
	struct cert_info ci;
	uint8_t *der = NULL;

	/* a different issuer name, signed by the CA's key */
	struct cert_spec issued = {f->rsa, f->ec, TEST_CN, "rdprobe test CA", "DNS:tls-test.example",
				   0x80, "000229000000Z", "491231235959Z"};
	int len = make_cert(&issued, &der);
	CU_ASSERT_FATAL(len > 0);
	CU_ASSERT_EQUAL(x509_parse_der(der, (size_t)len, &ci), DEC_OK);
	CU_ASSERT_STRING_EQUAL(ci.issuer, "CN=rdprobe test CA,O=rdprobe tests,C=DE");
	CU_ASSERT_STRING_EQUAL(ci.issuer_cn, "rdprobe test CA");
	CU_ASSERT_STRING_EQUAL(ci.sans, "DNS:tls-test.example");
	CU_ASSERT_STRING_EQUAL(ci.serial, "80"); /* the value, without DER's sign byte */
	CU_ASSERT_STRING_EQUAL(ci.sig_alg, "ecdsa-with-SHA256");
	CU_ASSERT_STRING_EQUAL(ci.key_type, "RSA");
	CU_ASSERT_EQUAL(ci.not_before, 951782400);  /* 2000-02-29, leap day */
	CU_ASSERT_EQUAL(ci.not_after, 2524607999);  /* 2049-12-31 23:59:59, last UTCTime year */
	CU_ASSERT_EQUAL(ci.self_signed, 0);
	OPENSSL_free(der);

	/* issuer equals subject, but another key signed it: not self-signed */
	struct cert_spec forged = {f->rsa, f->ec, TEST_CN, TEST_CN, NULL,
				   2, "150211141506Z", "300101000000Z"};
	len = make_cert(&forged, &der);
	CU_ASSERT_FATAL(len > 0);
	CU_ASSERT_EQUAL(x509_parse_der(der, (size_t)len, &ci), DEC_OK);
	CU_ASSERT_STRING_EQUAL(ci.issuer, ci.subject);
	CU_ASSERT_EQUAL(ci.self_signed, 0);
	OPENSSL_free(der);
}

static void assert_zeroed(const struct cert_info *ci, uint32_t der_len)
{
	struct cert_info zero;
	memset(&zero, 0, sizeof zero);
	zero.der_len = der_len;
	CU_ASSERT_EQUAL(memcmp(ci, &zero, sizeof zero), 0);
}

static void test_x509_garbage(void)
{
	static const uint8_t not_der[] = {'h', 'e', 'l', 'l', 'o'};
	static const uint8_t empty_seq[] = {0x30, 0x00};
	static const uint8_t int_only[] = {0x02, 0x01, 0x05};
	static const uint8_t long_len[] = {0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00};
	struct cert_info ci;

	memset(&ci, 0x5a, sizeof ci);
	CU_ASSERT_EQUAL(x509_parse_der(not_der, sizeof not_der, &ci), DEC_INVALID);
	assert_zeroed(&ci, sizeof not_der);
	CU_ASSERT_EQUAL(x509_parse_der(empty_seq, sizeof empty_seq, &ci), DEC_INVALID);
	assert_zeroed(&ci, sizeof empty_seq);
	CU_ASSERT_EQUAL(x509_parse_der(int_only, sizeof int_only, &ci), DEC_INVALID);
	CU_ASSERT_EQUAL(x509_parse_der(long_len, sizeof long_len, &ci), DEC_INVALID);
	CU_ASSERT_EQUAL(x509_parse_der(not_der, 0, &ci), DEC_INVALID);
	assert_zeroed(&ci, 0);
	CU_ASSERT_EQUAL(x509_parse_der(NULL, 0, &ci), DEC_INVALID);

	/* the last signature byte changed: still a certificate, no longer self-signed */
	const struct fixture *f = fixture();
	uint8_t *copy = malloc((size_t)f->leaf_len);
	CU_ASSERT_FATAL(copy != NULL);
	memcpy(copy, f->leaf, (size_t)f->leaf_len);
	copy[f->leaf_len - 1] ^= 0x01;
	CU_ASSERT_EQUAL(x509_parse_der(copy, (size_t)f->leaf_len, &ci), DEC_OK);
	CU_ASSERT_STRING_EQUAL(ci.subject_cn, TEST_CN);
	CU_ASSERT_STRING_EQUAL(ci.issuer, ci.subject);
	CU_ASSERT_EQUAL(ci.self_signed, 0);
	free(copy);
}

static void test_x509_truncated(void)
{
	const struct fixture *f = fixture();
	struct cert_info ci;

	/* every prefix of a real certificate, each in a buffer of its own size */
	for (size_t n = 1; n < (size_t)f->leaf_len; n++) {
		uint8_t *cut = malloc(n);
		CU_ASSERT_FATAL(cut != NULL);
		memcpy(cut, f->leaf, n);
		enum dec_status st = x509_parse_der(cut, n, &ci);
		if (st != DEC_INVALID)
			CU_FAIL("a truncated certificate was accepted");
		CU_ASSERT_EQUAL(ci.der_len, n);
		CU_ASSERT_EQUAL(ci.subject[0], '\0');
		free(cut);
	}
}

static void test_x509_too_long(void)
{
	struct cert_info ci;
	uint8_t *big = calloc(1, X509_DER_MAX + 1);
	CU_ASSERT_FATAL(big != NULL);
	big[0] = 0x30;
	CU_ASSERT_EQUAL(x509_parse_der(big, X509_DER_MAX + 1, &ci), DEC_UNSUPPORTED);
	assert_zeroed(&ci, X509_DER_MAX + 1);
	/* at the limit it is OpenSSL's to judge (these zeros are no certificate) */
	CU_ASSERT_EQUAL(x509_parse_der(big, X509_DER_MAX, &ci), DEC_INVALID);
	free(big);
}

/*
 * The certificate cache: the same bytes give the same facts whether decoded
 * or remembered; bytes that differ anywhere are another certificate; the
 * cache holds X509_CACHE_SLOTS of them (least recently used goes).
 */
static void test_x509_cache(void)
{
	const struct fixture *f = fixture();
	size_t n = (size_t)f->leaf_len;
	struct cert_info a, b;
	uint64_t h0, m0, h1, m1;

	CU_ASSERT_FATAL(n <= X509_CACHE_DER_MAX);
	uint8_t *v = malloc(n);
	CU_ASSERT_FATAL(v != NULL);
	memcpy(v, f->leaf, n);
	v[n - 2] ^= 0x5a; /* a signature byte: another certificate, not self-signed */

	x509_cache_stats(&h0, &m0);
	CU_ASSERT_EQUAL(x509_parse_der(v, n, &a), DEC_OK);
	CU_ASSERT_EQUAL(x509_parse_der(v, n, &b), DEC_OK);
	x509_cache_stats(&h1, &m1);
	CU_ASSERT_EQUAL(m1 - m0, 1);
	CU_ASSERT_EQUAL(h1 - h0, 1);
	CU_ASSERT(memcmp(&a, &b, sizeof a) == 0);
	CU_ASSERT_EQUAL(b.self_signed, 0);

	/* the original differs in one byte: not answered by the variant's entry */
	CU_ASSERT_EQUAL(x509_parse_der(f->leaf, n, &b), DEC_OK);
	CU_ASSERT_EQUAL(b.self_signed, 1);
	CU_ASSERT(strcmp(a.sha256, b.sha256) != 0);

	/* garbage is remembered as garbage */
	static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x05};
	CU_ASSERT_EQUAL(x509_parse_der(junk, sizeof junk, &a), DEC_INVALID);
	CU_ASSERT_EQUAL(x509_parse_der(junk, sizeof junk, &b), DEC_INVALID);
	CU_ASSERT(memcmp(&a, &b, sizeof a) == 0);
	CU_ASSERT_EQUAL(b.der_len, sizeof junk);

	/* more distinct certificates than slots: the first one is decoded again */
	v[n - 2] ^= 0xa5; /* none of these was seen before */
	x509_cache_stats(&h0, &m0);
	for (int i = 0; i <= X509_CACHE_SLOTS; i++) {
		v[n - 3] = (uint8_t)i;
		CU_ASSERT_EQUAL(x509_parse_der(v, n, &a), DEC_OK);
	}
	v[n - 3] = 0;
	CU_ASSERT_EQUAL(x509_parse_der(v, n, &b), DEC_OK);
	x509_cache_stats(&h1, &m1);
	CU_ASSERT_EQUAL(h1 - h0, 0);
	CU_ASSERT_EQUAL(m1 - m0, X509_CACHE_SLOTS + 2);
	free(v);
}

static void test_x509_time_str(void)
{
	char buf[32];
	CU_ASSERT_STRING_EQUAL(x509_time_str(0, buf, sizeof buf), "-");
	CU_ASSERT_STRING_EQUAL(x509_time_str(1, buf, sizeof buf), "1970-01-01 00:00:01");
	CU_ASSERT_STRING_EQUAL(x509_time_str(-1, buf, sizeof buf), "1969-12-31 23:59:59");
	CU_ASSERT_STRING_EQUAL(x509_time_str(86399, buf, sizeof buf), "1970-01-01 23:59:59");
	CU_ASSERT_STRING_EQUAL(x509_time_str(86400, buf, sizeof buf), "1970-01-02 00:00:00");
	CU_ASSERT_STRING_EQUAL(x509_time_str(951782400, buf, sizeof buf), "2000-02-29 00:00:00");
	CU_ASSERT_STRING_EQUAL(x509_time_str(951868800, buf, sizeof buf), "2000-03-01 00:00:00");
	CU_ASSERT_STRING_EQUAL(x509_time_str(1709210096, buf, sizeof buf), "2024-02-29 12:34:56");
	CU_ASSERT_STRING_EQUAL(x509_time_str(T_2015_02_11_141506, buf, sizeof buf),
			       "2015-02-11 14:15:06");
	CU_ASSERT_STRING_EQUAL(x509_time_str(2147483647, buf, sizeof buf), "2038-01-19 03:14:07");
	CU_ASSERT_STRING_EQUAL(x509_time_str(2147483648LL, buf, sizeof buf), "2038-01-19 03:14:08");
	CU_ASSERT_STRING_EQUAL(x509_time_str(4107542399LL, buf, sizeof buf), "2100-02-28 23:59:59");
	CU_ASSERT_STRING_EQUAL(x509_time_str(4107542400LL, buf, sizeof buf), "2100-03-01 00:00:00");
	CU_ASSERT_STRING_EQUAL(x509_time_str(-2203891200LL, buf, sizeof buf), "1900-03-01 00:00:00");
	CU_ASSERT_STRING_EQUAL(x509_time_str(T_9999_12_31_235959, buf, sizeof buf),
			       "9999-12-31 23:59:59");
	/* a short buffer gets a cut, terminated string */
	char small[5];
	CU_ASSERT_STRING_EQUAL(x509_time_str(1, small, sizeof small), "1970");
	CU_ASSERT_PTR_EQUAL(x509_time_str(1, small, 0), small);
}

/* ---- TLS: names ------------------------------------------------------------ */

static void test_tls_names(void)
{
	CU_ASSERT_STRING_EQUAL(tls_version_name(0x0300), "SSL 3.0");
	CU_ASSERT_STRING_EQUAL(tls_version_name(0x0301), "TLS 1.0");
	CU_ASSERT_STRING_EQUAL(tls_version_name(0x0302), "TLS 1.1");
	CU_ASSERT_STRING_EQUAL(tls_version_name(0x0303), "TLS 1.2");
	CU_ASSERT_STRING_EQUAL(tls_version_name(0x0304), "TLS 1.3");
	CU_ASSERT_STRING_EQUAL(tls_version_name(0xfeff), "DTLS 1.0");
	CU_ASSERT_STRING_EQUAL(tls_version_name(0xfefd), "DTLS 1.2");
	CU_ASSERT_PTR_NULL(tls_version_name(0x0305));
	CU_ASSERT_PTR_NULL(tls_version_name(0x0a0a));

	CU_ASSERT_STRING_EQUAL(tls_alert_name(0), "close_notify");
	CU_ASSERT_STRING_EQUAL(tls_alert_name(21), "decryption_failed");
	CU_ASSERT_STRING_EQUAL(tls_alert_name(40), "handshake_failure");
	CU_ASSERT_STRING_EQUAL(tls_alert_name(48), "unknown_ca");
	CU_ASSERT_STRING_EQUAL(tls_alert_name(70), "protocol_version");
	CU_ASSERT_STRING_EQUAL(tls_alert_name(86), "inappropriate_fallback");
	CU_ASSERT_STRING_EQUAL(tls_alert_name(112), "unrecognized_name");
	CU_ASSERT_STRING_EQUAL(tls_alert_name(116), "certificate_required");
	CU_ASSERT_STRING_EQUAL(tls_alert_name(120), "no_application_protocol");
	CU_ASSERT_STRING_EQUAL(tls_alert_name(255), "unknown");

	CU_ASSERT_STRING_EQUAL(tls_cipher_name(0xc030), "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
	CU_ASSERT_STRING_EQUAL(tls_cipher_name(0xc02b), "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
	CU_ASSERT_STRING_EQUAL(tls_cipher_name(0xc014), "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA");
	CU_ASSERT_STRING_EQUAL(tls_cipher_name(0x009f), "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384");
	CU_ASSERT_STRING_EQUAL(tls_cipher_name(0x0033), "TLS_DHE_RSA_WITH_AES_128_CBC_SHA");
	CU_ASSERT_STRING_EQUAL(tls_cipher_name(0x009c), "TLS_RSA_WITH_AES_128_GCM_SHA256");
	CU_ASSERT_STRING_EQUAL(tls_cipher_name(0x003d), "TLS_RSA_WITH_AES_256_CBC_SHA256");
	CU_ASSERT_STRING_EQUAL(tls_cipher_name(0xcca8),
			       "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
	CU_ASSERT_STRING_EQUAL(tls_cipher_name(0xccaa),
			       "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
	CU_ASSERT_STRING_EQUAL(tls_cipher_name(0x1301), "TLS_AES_128_GCM_SHA256");
	CU_ASSERT_STRING_EQUAL(tls_cipher_name(0x1302), "TLS_AES_256_GCM_SHA384");
	CU_ASSERT_STRING_EQUAL(tls_cipher_name(0x1303), "TLS_CHACHA20_POLY1305_SHA256");
	CU_ASSERT_STRING_EQUAL(tls_cipher_name(0x0004), "TLS_RSA_WITH_RC4_128_MD5");
	CU_ASSERT_STRING_EQUAL(tls_cipher_name(0x0005), "TLS_RSA_WITH_RC4_128_SHA");
	CU_ASSERT_STRING_EQUAL(tls_cipher_name(0x000a), "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
	CU_ASSERT_STRING_EQUAL(tls_cipher_name(0xc012), "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA");
	CU_ASSERT_STRING_EQUAL(tls_cipher_name(0x0000), "TLS_NULL_WITH_NULL_NULL");
	CU_ASSERT_STRING_EQUAL(tls_cipher_name(0x00ff), "TLS_EMPTY_RENEGOTIATION_INFO_SCSV");
	CU_ASSERT_PTR_NULL(tls_cipher_name(0x0a0a));
	CU_ASSERT_PTR_NULL(tls_cipher_name(0xffff));
}

static void test_tls_looks_like_record(void)
{
	static const uint8_t hello[] = {0x16, 0x03, 0x01, 0x00, 0xa5};
	static const uint8_t app0[] = {0x17, 0x03, 0x03, 0x00, 0x00};
	static const uint8_t hs0[] = {0x16, 0x03, 0x03, 0x00, 0x00};
	static const uint8_t at_max[] = {0x17, 0x03, 0x03, 0x48, 0x00};
	static const uint8_t over_max[] = {0x17, 0x03, 0x03, 0x48, 0x01};
	static const uint8_t minor5[] = {0x16, 0x03, 0x05, 0x00, 0x10};
	static const uint8_t major2[] = {0x16, 0x02, 0x00, 0x00, 0x10};
	static const uint8_t type19[] = {0x13, 0x03, 0x03, 0x00, 0x10};
	static const uint8_t type25[] = {0x19, 0x03, 0x03, 0x00, 0x10};
	static const uint8_t tpkt[] = {0x03, 0x00, 0x00, 0x13, 0x0e};
	static const uint8_t dtls[] = {0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x10};
	static const uint8_t dtls_bad[] = {0x16, 0xfe, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x10};

	CU_ASSERT_EQUAL(tls_looks_like_record(hello, sizeof hello), 1);
	CU_ASSERT_EQUAL(tls_looks_like_record(hello, 4), 0);
	CU_ASSERT_EQUAL(tls_looks_like_record(hello, 0), 0);
	CU_ASSERT_EQUAL(tls_looks_like_record(NULL, 0), 0);
	CU_ASSERT_EQUAL(tls_looks_like_record(app0, sizeof app0), 1);
	CU_ASSERT_EQUAL(tls_looks_like_record(hs0, sizeof hs0), 0);
	CU_ASSERT_EQUAL(tls_looks_like_record(at_max, sizeof at_max), 1);
	CU_ASSERT_EQUAL(tls_looks_like_record(over_max, sizeof over_max), 0);
	CU_ASSERT_EQUAL(tls_looks_like_record(minor5, sizeof minor5), 0);
	CU_ASSERT_EQUAL(tls_looks_like_record(major2, sizeof major2), 0);
	CU_ASSERT_EQUAL(tls_looks_like_record(type19, sizeof type19), 0);
	CU_ASSERT_EQUAL(tls_looks_like_record(type25, sizeof type25), 0);
	CU_ASSERT_EQUAL(tls_looks_like_record(tpkt, sizeof tpkt), 0);
	CU_ASSERT_EQUAL(tls_looks_like_record(dtls, sizeof dtls), 1);
	CU_ASSERT_EQUAL(tls_looks_like_record(dtls, sizeof dtls - 1), 0);
	CU_ASSERT_EQUAL(tls_looks_like_record(dtls_bad, sizeof dtls_bad), 0);
}

/* ---- TLS: building records and messages -------------------------------- */

#define V12 0x0303
#define V13 0x0304
#define DTLS12 0xfefd
#define CT_CCS 20
#define CT_ALERT 21
#define CT_HS 22
#define CT_APP 23
#define HS_CH 1
#define HS_SH 2
#define HS_HVR 3
#define HS_CERT 11
#define HS_SKE 12
#define HS_SHD 14
#define HS_CKE 16

static const uint8_t hrr_random[32] = {
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C,
	0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB,
	0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

static void put_record(struct bb *out, unsigned type, unsigned version,
		       const uint8_t *body, size_t n)
{
	bb_u8(out, type);
	bb_u16(out, version);
	bb_u16(out, (unsigned)n);
	bb_bytes(out, body, n);
}

static void put_record_fill(struct bb *out, unsigned type, size_t n, unsigned fill)
{
	bb_u8(out, type);
	bb_u16(out, V12);
	bb_u16(out, (unsigned)n);
	bb_fill(out, fill, n);
}

static void put_dtls_record(struct bb *out, unsigned type, unsigned epoch, unsigned seq,
			    const uint8_t *body, size_t n)
{
	bb_u8(out, type);
	bb_u16(out, DTLS12);
	bb_u16(out, epoch);
	bb_u16(out, 0);
	bb_u16(out, 0);
	bb_u16(out, seq);
	bb_u16(out, (unsigned)n);
	bb_bytes(out, body, n);
}

/* A TLS handshake message: type, u24 length, body. */
static void put_hs(struct bb *out, unsigned type, const uint8_t *body, size_t n)
{
	bb_u8(out, type);
	bb_u24(out, n);
	bb_bytes(out, body, n);
}

/* A DTLS handshake fragment: type, u24 length, seq, offset, fragment length. */
static void put_dtls_hs(struct bb *out, unsigned type, unsigned seq, const uint8_t *msg,
			size_t len, size_t off, size_t flen)
{
	bb_u8(out, type);
	bb_u24(out, len);
	bb_u16(out, seq);
	bb_u24(out, off);
	bb_u24(out, flen);
	bb_bytes(out, msg ? msg + off : NULL, flen);
}

/* ClientHello body; `versions` (nv entries) go in supported_versions. */
static void ch_body(struct bb *b, unsigned legacy, const char *sni, const uint16_t *versions,
		    size_t nv, int dtls)
{
	bb_u16(b, legacy);
	bb_fill(b, 0x11, 32);         /* random */
	bb_u8(b, 32);
	bb_fill(b, 0x22, 32);         /* session id */
	if (dtls)
		bb_u8(b, 0);          /* cookie */
	bb_u16(b, 6);
	bb_u16(b, 0xc030);
	bb_u16(b, 0xc02f);
	bb_u16(b, 0x1301);
	bb_u8(b, 1);
	bb_u8(b, 0);                  /* null compression */
	size_t ext = bb_mark(b, 2);
	bb_u16(b, 0xff01);            /* renegotiation_info, ignored */
	bb_u16(b, 1);
	bb_u8(b, 0);
	if (sni) {
		bb_u16(b, 0);
		size_t e = bb_mark(b, 2);
		size_t l = bb_mark(b, 2);
		bb_u8(b, 0);
		bb_u16(b, (unsigned)strlen(sni));
		bb_str(b, sni);
		bb_patch(b, l, 2);
		bb_patch(b, e, 2);
	}
	if (versions) {
		bb_u16(b, 43);
		bb_u16(b, (unsigned)(1 + 2 * nv));
		bb_u8(b, (unsigned)(2 * nv));
		for (size_t i = 0; i < nv; i++)
			bb_u16(b, versions[i]);
	}
	bb_patch(b, ext, 2);
}

/* ServerHello body; selected != 0 adds supported_versions. */
static void sh_body(struct bb *b, unsigned legacy, unsigned cipher, unsigned selected, int hrr)
{
	bb_u16(b, legacy);
	if (hrr)
		bb_bytes(b, hrr_random, sizeof hrr_random);
	else
		bb_fill(b, 0x33, 32);
	bb_u8(b, 32);
	bb_fill(b, 0x22, 32);
	bb_u16(b, cipher);
	bb_u8(b, 0);
	size_t ext = bb_mark(b, 2);
	bb_u16(b, 0xff01);
	bb_u16(b, 1);
	bb_u8(b, 0);
	if (selected) {
		bb_u16(b, 43);
		bb_u16(b, 2);
		bb_u16(b, selected);
	}
	bb_patch(b, ext, 2);
}

/* Certificate body (TLS 1.2): the DERs in order. */
static void cert_body(struct bb *b, const uint8_t *const *ders, const int *lens, size_t n)
{
	size_t list = bb_mark(b, 3);
	for (size_t i = 0; i < n; i++) {
		bb_u24(b, (unsigned long)lens[i]);
		bb_bytes(b, ders[i], (size_t)lens[i]);
	}
	bb_patch(b, list, 3);
}

/* The handshake messages of the server's TLS 1.2 flight: SH, Certificate, SHD. */
static void server_flight(struct bb *hs, int with_ca)
{
	const struct fixture *f = fixture();
	const uint8_t *ders[2] = {f->leaf, f->ca};
	const int lens[2] = {f->leaf_len, f->ca_len};
	struct bb body = {0};

	sh_body(&body, V12, 0xc030, 0, 0);
	put_hs(hs, HS_SH, body.p, body.len);
	body.len = 0;
	cert_body(&body, ders, lens, with_ca ? 2 : 1);
	put_hs(hs, HS_CERT, body.p, body.len);
	put_hs(hs, HS_SHD, NULL, 0);
	bb_free(&body);
}

/* ---- TLS: a session and its ladder --------------------------------------- */

#define LOG_MAX 48

struct ev_log {
	int n;
	int dir[LOG_MAX];
	uint64_t frame[LOG_MAX];
	char text[LOG_MAX][EVENT_TEXT_MAX];
};

static void log_event(void *ctx, int dir, uint64_t frame, const char *text)
{
	struct ev_log *l = ctx;
	if (l->n < LOG_MAX) {
		l->dir[l->n] = dir;
		l->frame[l->n] = frame;
		str_copy(l->text[l->n], sizeof l->text[l->n], text);
	}
	l->n++;
}

struct session {
	struct tls_state st;
	struct tls_facts f;
	struct ev_log log;
};

static struct session *session_new(void)
{
	struct session *s = calloc(1, sizeof *s);
	if (!s)
		abort();
	tls_init(&s->st, log_event, &s->log);
	return s;
}

static void session_free(struct session *s)
{
	tls_free(&s->st);
	free(s);
}

/* Feeds a copy of exactly `n` bytes (so that an overread is caught by ASan). */
static size_t feed_n(struct session *s, int dir, const uint8_t *p, size_t n, uint64_t frame)
{
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy)
		abort();
	if (n)
		memcpy(copy, p, n);
	size_t used = tls_feed(&s->st, &s->f, dir, copy, n, frame);
	free(copy);
	return used;
}

static size_t feed(struct session *s, int dir, const struct bb *b, uint64_t frame)
{
	return feed_n(s, dir, b->p, b->len, frame);
}

struct want_ev {
	int dir;
	uint64_t frame;
	const char *text;
};

static void assert_ladder(const struct ev_log *l, const struct want_ev *w, int n)
{
	CU_ASSERT_EQUAL(l->n, n);
	for (int i = 0; i < n && i < l->n && i < LOG_MAX; i++) {
		CU_ASSERT_EQUAL(l->dir[i], w[i].dir);
		CU_ASSERT_EQUAL(l->frame[i], w[i].frame);
		CU_ASSERT_STRING_EQUAL(l->text[i], w[i].text);
	}
}

static int same_log(const struct ev_log *a, const struct ev_log *b)
{
	if (a->n != b->n)
		return 0;
	for (int i = 0; i < a->n && i < LOG_MAX; i++)
		if (a->dir[i] != b->dir[i] || a->frame[i] != b->frame[i] ||
		    strcmp(a->text[i], b->text[i]) != 0)
			return 0;
	return 1;
}

/* ---- TLS: hellos ----------------------------------------------------------- */

static void test_client_hello(void)
{
	static const uint16_t versions[] = {0x7a7a, V13, V12}; /* GREASE first */
	struct session *s = session_new();
	struct bb body = {0}, msg = {0}, rec = {0};

	ch_body(&body, V12, "rdp.example.test", versions, 3, 0);
	put_hs(&msg, HS_CH, body.p, body.len);
	put_record(&rec, CT_HS, 0x0301, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 1), rec.len);
	CU_ASSERT_EQUAL(s->f.status, DEC_OK);
	CU_ASSERT_EQUAL(s->f.client_hello_frame, 1);
	CU_ASSERT_EQUAL(s->f.client_version, V12);
	CU_ASSERT_EQUAL(s->f.client_max_version, V13);
	CU_ASSERT_STRING_EQUAL(s->f.sni, "rdp.example.test");
	static const struct want_ev w[] = {{0, 1, "TLS ClientHello TLS 1.3 SNI=rdp.example.test"}};
	assert_ladder(&s->log, w, 1);
	session_free(s);

	/* no extensions at all (SSL 3.0 style): max version is the legacy one */
	s = session_new();
	body.len = msg.len = rec.len = 0;
	bb_u16(&body, 0x0300);
	bb_fill(&body, 0x11, 32);
	bb_u8(&body, 0);
	bb_u16(&body, 2);
	bb_u16(&body, 0x000a);
	bb_u8(&body, 1);
	bb_u8(&body, 0);
	put_hs(&msg, HS_CH, body.p, body.len);
	put_record(&rec, CT_HS, 0x0300, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 3), rec.len);
	CU_ASSERT_EQUAL(s->f.status, DEC_OK);
	CU_ASSERT_EQUAL(s->f.client_version, 0x0300);
	CU_ASSERT_EQUAL(s->f.client_max_version, 0x0300);
	CU_ASSERT_STRING_EQUAL(s->f.sni, "");
	static const struct want_ev w2[] = {{0, 3, "TLS ClientHello SSL 3.0"}};
	assert_ladder(&s->log, w2, 1);
	session_free(s);
	bb_free(&body);
	bb_free(&msg);
	bb_free(&rec);
}

static void test_client_hello_long_sni(void)
{
	char name[301];
	struct session *s = session_new();
	struct bb body = {0}, msg = {0}, rec = {0};

	for (int i = 0; i < 300; i++)
		name[i] = (char)('a' + i % 26);
	name[300] = '\0';
	ch_body(&body, V12, name, NULL, 0, 0);
	put_hs(&msg, HS_CH, body.p, body.len);
	put_record(&rec, CT_HS, V12, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 1), rec.len);
	CU_ASSERT_EQUAL(s->f.status, DEC_OK);
	CU_ASSERT_EQUAL(strlen(s->f.sni), sizeof s->f.sni - 1);
	CU_ASSERT_EQUAL(strncmp(s->f.sni, name, sizeof s->f.sni - 1), 0);
	CU_ASSERT_EQUAL(s->log.n, 1);
	/* the ladder line is cut at EVENT_TEXT_MAX - 1 characters */
	CU_ASSERT_EQUAL(strlen(s->log.text[0]), EVENT_TEXT_MAX - 1);
	CU_ASSERT_EQUAL(strncmp(s->log.text[0], "TLS ClientHello TLS 1.2 SNI=abcdefghij", 38), 0);
	session_free(s);
	bb_free(&body);
	bb_free(&msg);
	bb_free(&rec);
}

static void test_client_hello_lengths_lie(void)
{
	struct session *s = session_new();
	struct bb body = {0}, msg = {0}, rec = {0};

	/* extensions block claims 50 bytes more than the message holds */
	ch_body(&body, V12, "lie.example", NULL, 0, 0);
	size_t ext_at = 2 + 32 + 1 + 32 + 2 + 6 + 1 + 1;
	unsigned ext_len = (unsigned)body.p[ext_at] << 8 | body.p[ext_at + 1];
	body.p[ext_at] = (uint8_t)((ext_len + 50) >> 8);
	body.p[ext_at + 1] = (uint8_t)((ext_len + 50) & 0xff);
	put_hs(&msg, HS_CH, body.p, body.len);
	put_record(&rec, CT_HS, V12, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 4), rec.len);
	CU_ASSERT_EQUAL(s->f.status, DEC_INVALID);
	CU_ASSERT_EQUAL(s->f.bad_frame, 4);
	CU_ASSERT_EQUAL(s->f.client_hello_frame, 4);
	CU_ASSERT_STRING_EQUAL(s->f.sni, "lie.example"); /* what was there is kept */
	static const struct want_ev w[] = {
		{0, 4, "TLS ClientHello TLS 1.2 SNI=lie.example"},
		{0, 4, "TLS malformed handshake message"},
	};
	assert_ladder(&s->log, w, 2);
	session_free(s);

	/* the host name claims more bytes than its list */
	s = session_new();
	body.len = msg.len = rec.len = 0;
	ch_body(&body, V12, "lie.example", NULL, 0, 0);
	size_t name_len_at = ext_at + 2 + 5 + 2 + 2 + 2 + 1;
	body.p[name_len_at + 1] = (uint8_t)(body.p[name_len_at + 1] + 1);
	put_hs(&msg, HS_CH, body.p, body.len);
	put_record(&rec, CT_HS, V12, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 5), rec.len);
	CU_ASSERT_EQUAL(s->f.status, DEC_INVALID);
	CU_ASSERT_STRING_EQUAL(s->f.sni, "");
	session_free(s);

	/* a message too short for its fixed part */
	s = session_new();
	msg.len = rec.len = 0;
	put_hs(&msg, HS_CH, body.p, 20);
	put_record(&rec, CT_HS, V12, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 6), rec.len);
	CU_ASSERT_EQUAL(s->f.status, DEC_INVALID);
	CU_ASSERT_EQUAL(s->f.bad_frame, 6);
	CU_ASSERT_EQUAL(s->f.client_hello_frame, 0);
	session_free(s);
	bb_free(&body);
	bb_free(&msg);
	bb_free(&rec);
}

static void test_server_hello_tls12(void)
{
	struct session *s = session_new();
	struct bb body = {0}, msg = {0}, rec = {0};

	sh_body(&body, V12, 0xc030, 0, 0);
	put_hs(&msg, HS_SH, body.p, body.len);
	put_record(&rec, CT_HS, V12, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 2), rec.len);
	CU_ASSERT_EQUAL(s->f.status, DEC_OK);
	CU_ASSERT_EQUAL(s->f.server_hello_frame, 2);
	CU_ASSERT_EQUAL(s->f.version, V12);
	CU_ASSERT_EQUAL(s->f.cipher, 0xc030);
	CU_ASSERT_EQUAL(s->st.tls13, 0);
	CU_ASSERT_EQUAL(s->st.d[DIR_S2C].encrypted, 0);
	static const struct want_ev w[] = {
		{1, 2, "TLS ServerHello TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}};
	assert_ladder(&s->log, w, 1);
	session_free(s);

	/* a cipher the table does not know is shown in hex */
	s = session_new();
	body.len = msg.len = rec.len = 0;
	sh_body(&body, 0x0301, 0xfeed, 0, 0);
	put_hs(&msg, HS_SH, body.p, body.len);
	put_record(&rec, CT_HS, 0x0301, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 2), rec.len);
	CU_ASSERT_EQUAL(s->f.version, 0x0301);
	CU_ASSERT_EQUAL(s->f.cipher, 0xfeed);
	static const struct want_ev w2[] = {{1, 2, "TLS ServerHello TLS 1.0 0xfeed"}};
	assert_ladder(&s->log, w2, 1);
	session_free(s);
	bb_free(&body);
	bb_free(&msg);
	bb_free(&rec);
}

/* TLS 1.3: after the ServerHello only the shape of the records is visible. */
static void test_server_hello_tls13(void)
{
	static const uint16_t versions[] = {V13, V12};
	const struct fixture *fx_ = fixture();
	struct session *s = session_new();
	struct bb body = {0}, msg = {0}, rec = {0};

	ch_body(&body, V12, "rdp13.example", versions, 2, 0);
	put_hs(&msg, HS_CH, body.p, body.len);
	put_record(&rec, CT_HS, 0x0301, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 1), rec.len);

	/* ServerHello, CCS, the encrypted flight, then a clear-looking Certificate */
	body.len = msg.len = rec.len = 0;
	sh_body(&body, V12, 0x1301, V13, 0);
	put_hs(&msg, HS_SH, body.p, body.len);
	put_record(&rec, CT_HS, V12, msg.p, msg.len);
	put_record_fill(&rec, CT_CCS, 1, 1);
	put_record_fill(&rec, CT_APP, 1000, 0xab);
	msg.len = body.len = 0;
	const uint8_t *ders[1] = {fx_->leaf};
	const int lens[1] = {fx_->leaf_len};
	cert_body(&body, ders, lens, 1);
	put_hs(&msg, HS_CERT, body.p, body.len);
	put_record(&rec, CT_HS, V12, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 2), rec.len);
	CU_ASSERT_EQUAL(s->st.tls13, 1);
	CU_ASSERT_EQUAL(s->f.version, V13);
	CU_ASSERT_EQUAL(s->f.cipher, 0x1301);
	CU_ASSERT_EQUAL(s->f.certificate_frame, 0);
	CU_ASSERT_EQUAL(s->f.cert_count, 0);

	/* client: CCS, Finished; then CredSSP both ways */
	rec.len = 0;
	put_record_fill(&rec, CT_CCS, 1, 1);
	put_record_fill(&rec, CT_APP, 53, 0xcd);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 3), rec.len);
	rec.len = 0;
	put_record_fill(&rec, CT_APP, 300, 0xcd);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 4), rec.len);
	rec.len = 0;
	put_record_fill(&rec, CT_APP, 100, 0xcd);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 5), rec.len);

	CU_ASSERT_EQUAL(s->f.status, DEC_OK);
	CU_ASSERT_EQUAL(s->f.ccs_frame[DIR_C2S], 3);
	CU_ASSERT_EQUAL(s->f.ccs_frame[DIR_S2C], 2);
	CU_ASSERT_EQUAL(s->f.app_records[DIR_C2S], 1);
	CU_ASSERT_EQUAL(s->f.app_records[DIR_S2C], 1);
	CU_ASSERT_EQUAL(s->f.app_bytes[DIR_C2S], 300);
	CU_ASSERT_EQUAL(s->f.app_bytes[DIR_S2C], 100);
	CU_ASSERT_EQUAL(s->f.first_app_frame[DIR_C2S], 4);
	CU_ASSERT_EQUAL(s->f.first_app_frame[DIR_S2C], 5);
	CU_ASSERT_EQUAL(s->f.rec_stored, 2);
	CU_ASSERT_EQUAL(s->f.recs[0].frame, 4);
	CU_ASSERT_EQUAL(s->f.recs[0].len, 300);
	CU_ASSERT_EQUAL(s->f.recs[1].frame, 5);
	CU_ASSERT_EQUAL(s->f.recs[1].dir, DIR_S2C);
	CU_ASSERT_EQUAL(s->f.alert_frame, 0);
	CU_ASSERT_EQUAL(s->st.handshake_done, 1);
	static const struct want_ev w[] = {
		{0, 1, "TLS ClientHello TLS 1.3 SNI=rdp13.example"},
		{1, 2, "TLS ServerHello TLS 1.3 TLS_AES_128_GCM_SHA256"},
		{1, 2, "TLS ChangeCipherSpec"},
		{1, 2, "TLS encrypted handshake"},
		{0, 3, "TLS ChangeCipherSpec"},
		{0, 3, "TLS encrypted handshake"},
		{0, 4, "TLS application data (first)"},
		{1, 5, "TLS application data (first)"},
	};
	assert_ladder(&s->log, w, 8);
	session_free(s);
	bb_free(&body);
	bb_free(&msg);
	bb_free(&rec);
}

/* TLS 1.3: the client refuses the server's certificate with an encrypted alert. */
static void test_tls13_encrypted_alert(void)
{
	struct session *s = session_new();
	struct bb body = {0}, msg = {0}, rec = {0};

	sh_body(&body, V12, 0x1302, V13, 0);
	put_hs(&msg, HS_SH, body.p, body.len);
	put_record(&rec, CT_HS, V12, msg.p, msg.len);
	put_record_fill(&rec, CT_APP, 2000, 0xab);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 2), rec.len);
	rec.len = 0;
	put_record_fill(&rec, CT_APP, 19, 0x77);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 3), rec.len);
	CU_ASSERT_EQUAL(s->f.status, DEC_OK);
	CU_ASSERT_EQUAL(s->f.alert_frame, 3);
	CU_ASSERT_EQUAL(s->f.alert_dir, DIR_C2S);
	CU_ASSERT_EQUAL(s->f.alert_encrypted, 1);
	CU_ASSERT_EQUAL(s->f.alert_level, 0);
	CU_ASSERT_EQUAL(s->f.app_records[DIR_C2S], 0);
	CU_ASSERT_EQUAL(s->f.app_records[DIR_S2C], 0);
	CU_ASSERT_EQUAL(s->f.rec_stored, 0);
	CU_ASSERT_EQUAL(s->st.handshake_done, 0);
	static const struct want_ev w[] = {
		{1, 2, "TLS ServerHello TLS 1.3 TLS_AES_256_GCM_SHA384"},
		{1, 2, "TLS encrypted handshake"},
		{0, 3, "TLS Alert (encrypted)"},
	};
	assert_ladder(&s->log, w, 3);
	session_free(s);
	bb_free(&body);
	bb_free(&msg);
	bb_free(&rec);
}

static void test_hello_retry_request(void)
{
	static const uint16_t versions[] = {V13};
	struct session *s = session_new();
	struct bb body = {0}, msg = {0}, rec = {0};

	ch_body(&body, V12, "hrr.example", versions, 1, 0);
	put_hs(&msg, HS_CH, body.p, body.len);
	put_record(&rec, CT_HS, V12, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 1), rec.len);
	struct bb ch = {0};
	bb_bytes(&ch, rec.p, rec.len);

	body.len = msg.len = rec.len = 0;
	sh_body(&body, V12, 0x1301, V13, 1);
	put_hs(&msg, HS_SH, body.p, body.len);
	put_record(&rec, CT_HS, V12, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 2), rec.len);
	CU_ASSERT_EQUAL(s->f.server_hello_frame, 0);
	CU_ASSERT_EQUAL(s->st.tls13, 0);

	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &ch, 3), ch.len); /* the second ClientHello */
	body.len = msg.len = rec.len = 0;
	sh_body(&body, V12, 0x1301, V13, 0);
	put_hs(&msg, HS_SH, body.p, body.len);
	put_record(&rec, CT_HS, V12, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 4), rec.len);
	CU_ASSERT_EQUAL(s->f.status, DEC_OK);
	CU_ASSERT_EQUAL(s->f.client_hello_frame, 1);
	CU_ASSERT_EQUAL(s->f.server_hello_frame, 4);
	CU_ASSERT_EQUAL(s->st.tls13, 1);
	static const struct want_ev w[] = {
		{0, 1, "TLS ClientHello TLS 1.3 SNI=hrr.example"},
		{1, 2, "TLS HelloRetryRequest"},
		{1, 4, "TLS ServerHello TLS 1.3 TLS_AES_128_GCM_SHA256"},
	};
	assert_ladder(&s->log, w, 3);
	session_free(s);
	bb_free(&ch);
	bb_free(&body);
	bb_free(&msg);
	bb_free(&rec);
}

/* ---- TLS: certificates ------------------------------------------------------ */

static void test_certificate_chain(void)
{
	struct session *s = session_new();
	struct bb hs = {0}, rec = {0};

	server_flight(&hs, 1);
	put_record(&rec, CT_HS, V12, hs.p, hs.len);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 2), rec.len);
	CU_ASSERT_EQUAL(s->f.status, DEC_OK);
	CU_ASSERT_EQUAL(s->f.certificate_frame, 2);
	CU_ASSERT_EQUAL(s->f.cert_count, 2);
	CU_ASSERT_EQUAL(s->f.cert_stored, 2);
	CU_ASSERT_EQUAL(s->f.cert_errors, 0);
	CU_ASSERT_STRING_EQUAL(s->f.certs[0].subject_cn, TEST_CN);
	CU_ASSERT_STRING_EQUAL(s->f.certs[0].sans, TEST_SANS);
	CU_ASSERT_EQUAL(s->f.certs[0].not_before, T_2015_02_11_141506);
	CU_ASSERT_EQUAL(s->f.certs[0].self_signed, 1);
	CU_ASSERT_EQUAL(s->f.certs[0].der_len, (uint32_t)fixture()->leaf_len);
	CU_ASSERT_STRING_EQUAL(s->f.certs[1].subject_cn, "rdprobe test CA");
	CU_ASSERT_STRING_EQUAL(s->f.certs[1].key_type, "EC");
	CU_ASSERT_EQUAL(s->f.server_hello_done_frame, 2);
	static const struct want_ev w[] = {
		{1, 2, "TLS ServerHello TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
		{1, 2, "TLS Certificate CN=tls-test.example (2 certs)"},
		{1, 2, "TLS ServerHelloDone"},
	};
	assert_ladder(&s->log, w, 3);
	session_free(s);
	bb_free(&hs);
	bb_free(&rec);
}

/* Feeds one Certificate message with body `body` from the server at frame 9. */
static struct session *feed_cert_body(const struct bb *body)
{
	struct session *s = session_new();
	struct bb msg = {0}, rec = {0};
	put_hs(&msg, HS_CERT, body->p, body->len);
	put_hs(&msg, HS_SHD, NULL, 0);
	put_record(&rec, CT_HS, V12, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 9), rec.len);
	CU_ASSERT_EQUAL(s->f.server_hello_done_frame, 9); /* framing survived */
	bb_free(&msg);
	bb_free(&rec);
	return s;
}

static void test_certificate_lengths_lie(void)
{
	const struct fixture *f = fixture();
	const size_t n = (size_t)f->leaf_len;
	struct bb body = {0};
	struct session *s;

	/* list length 10 bytes longer than the message */
	bb_u24(&body, 3 + n + 10);
	bb_u24(&body, n);
	bb_bytes(&body, f->leaf, n);
	s = feed_cert_body(&body);
	CU_ASSERT_EQUAL(s->f.status, DEC_INVALID);
	CU_ASSERT_EQUAL(s->f.bad_frame, 9);
	CU_ASSERT_EQUAL(s->f.cert_count, 1);
	CU_ASSERT_EQUAL(s->f.cert_stored, 1);
	CU_ASSERT_EQUAL(s->f.cert_errors, 0);
	CU_ASSERT_STRING_EQUAL(s->f.certs[0].subject_cn, TEST_CN);
	session_free(s);

	/* list length covers the first of two certificates only */
	body.len = 0;
	bb_u24(&body, 3 + n);
	bb_u24(&body, n);
	bb_bytes(&body, f->leaf, n);
	bb_u24(&body, n);
	bb_bytes(&body, f->leaf, n);
	s = feed_cert_body(&body);
	CU_ASSERT_EQUAL(s->f.status, DEC_INVALID);
	CU_ASSERT_EQUAL(s->f.cert_count, 1);
	CU_ASSERT_EQUAL(s->f.cert_errors, 0);
	session_free(s);

	/* a certificate length 5 bytes longer than the list: the DER there is whole */
	body.len = 0;
	bb_u24(&body, 3 + n);
	bb_u24(&body, n + 5);
	bb_bytes(&body, f->leaf, n);
	s = feed_cert_body(&body);
	CU_ASSERT_EQUAL(s->f.status, DEC_INVALID);
	CU_ASSERT_EQUAL(s->f.cert_count, 1);
	CU_ASSERT_EQUAL(s->f.cert_stored, 1);
	CU_ASSERT_EQUAL(s->f.cert_errors, 0);
	CU_ASSERT_EQUAL(s->f.certs[0].der_len, n);
	CU_ASSERT_STRING_EQUAL(s->f.certs[0].subject_cn, TEST_CN);
	session_free(s);

	/* ... and 5 bytes longer than the list, the list cut 5 bytes into the DER */
	body.len = 0;
	bb_u24(&body, 3 + n - 5);
	bb_u24(&body, n);
	bb_bytes(&body, f->leaf, n - 5);
	s = feed_cert_body(&body);
	CU_ASSERT_EQUAL(s->f.status, DEC_INVALID);
	CU_ASSERT_EQUAL(s->f.cert_count, 1);
	CU_ASSERT_EQUAL(s->f.cert_stored, 1);
	CU_ASSERT_EQUAL(s->f.cert_errors, 1);
	CU_ASSERT_EQUAL(s->f.certs[0].der_len, n - 5);
	CU_ASSERT_STRING_EQUAL(s->f.certs[0].subject, "");
	session_free(s);

	/* a certificate length of 0: the DER's first bytes become a length */
	body.len = 0;
	bb_u24(&body, 3 + n);
	bb_u24(&body, 0);
	bb_bytes(&body, f->leaf, n);
	s = feed_cert_body(&body);
	CU_ASSERT_EQUAL(s->f.status, DEC_INVALID);
	CU_ASSERT_EQUAL(s->f.cert_count, 2);   /* the empty one, then 30 82 xx as a length */
	CU_ASSERT_EQUAL(s->f.cert_errors, 2);
	CU_ASSERT_EQUAL(s->f.certs[0].der_len, 0);
	CU_ASSERT_EQUAL(s->f.certs[1].der_len, n - 3);
	session_free(s);

	/* one or two stray bytes after the last certificate */
	body.len = 0;
	bb_u24(&body, 3 + n + 2);
	bb_u24(&body, n);
	bb_bytes(&body, f->leaf, n);
	bb_u16(&body, 0);
	s = feed_cert_body(&body);
	CU_ASSERT_EQUAL(s->f.status, DEC_INVALID);
	CU_ASSERT_EQUAL(s->f.cert_count, 1);
	CU_ASSERT_EQUAL(s->f.cert_errors, 0);
	session_free(s);

	/* a body too short for the list length; and an empty list */
	body.len = 0;
	bb_u16(&body, 0);
	s = feed_cert_body(&body);
	CU_ASSERT_EQUAL(s->f.status, DEC_INVALID);
	CU_ASSERT_EQUAL(s->f.cert_count, 0);
	static const struct want_ev w[] = {
		{1, 9, "TLS Certificate (0 certs)"},
		{1, 9, "TLS malformed handshake message"},
		{1, 9, "TLS ServerHelloDone"},
	};
	assert_ladder(&s->log, w, 3);
	session_free(s);
	body.len = 0;
	bb_u24(&body, 0);
	s = feed_cert_body(&body);
	CU_ASSERT_EQUAL(s->f.status, DEC_OK);
	CU_ASSERT_EQUAL(s->f.certificate_frame, 9);
	CU_ASSERT_EQUAL(s->f.cert_count, 0);
	session_free(s);
	bb_free(&body);
}

static void test_certificate_over_cap(void)
{
	const struct fixture *f = fixture();
	static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};
	const uint8_t *ders[CERT_MAX + 3];
	int lens[CERT_MAX + 3];
	struct bb body = {0};

	for (int i = 0; i < CERT_MAX + 3; i++) {
		ders[i] = i % 2 ? f->ca : f->leaf;
		lens[i] = i % 2 ? f->ca_len : f->leaf_len;
	}
	ders[CERT_MAX + 1] = junk; /* one past the cap is garbage: counted, not stored */
	lens[CERT_MAX + 1] = (int)sizeof junk;
	cert_body(&body, ders, lens, CERT_MAX + 3);
	struct session *s = feed_cert_body(&body);
	CU_ASSERT_EQUAL(s->f.status, DEC_OK);
	CU_ASSERT_EQUAL(s->f.cert_count, CERT_MAX + 3);
	CU_ASSERT_EQUAL(s->f.cert_stored, CERT_MAX);
	CU_ASSERT_EQUAL(s->f.cert_errors, 1);
	for (int i = 0; i < CERT_MAX; i++)
		CU_ASSERT_STRING_EQUAL(s->f.certs[i].subject_cn,
				       i % 2 ? "rdprobe test CA" : TEST_CN);
	CU_ASSERT_STRING_EQUAL(s->log.text[0], "TLS Certificate CN=tls-test.example (9 certs)");
	session_free(s);
	bb_free(&body);
}

/* ---- TLS: reassembly -------------------------------------------------------- */

/*
 * The server's flight as records: [SH Cert SHD] CCS [Finished] app alert.
 * `ends` gets the offset where each record ends.
 */
static void server_stream(struct bb *out, size_t *ends, int *nends)
{
	struct bb hs = {0};
	server_flight(&hs, 1);
	*nends = 0;
	put_record(out, CT_HS, V12, hs.p, hs.len);
	ends[(*nends)++] = out->len;
	put_record_fill(out, CT_CCS, 1, 1);
	ends[(*nends)++] = out->len;
	put_record_fill(out, CT_HS, 40, 0x5a);
	ends[(*nends)++] = out->len;
	put_record_fill(out, CT_APP, 77, 0x5b);
	ends[(*nends)++] = out->len;
	put_record_fill(out, CT_ALERT, 26, 0x5c);
	ends[(*nends)++] = out->len;
	bb_free(&hs);
}

static void test_split_two_feeds(void)
{
	struct bb stream = {0};
	size_t ends[8];
	int nends = 0;

	server_stream(&stream, ends, &nends);
	struct session *ref = session_new();
	CU_ASSERT_EQUAL(feed(ref, DIR_S2C, &stream, 7), stream.len);
	CU_ASSERT_EQUAL(ref->f.status, DEC_OK);
	CU_ASSERT_EQUAL(ref->f.cert_count, 2);
	CU_ASSERT_EQUAL(ref->f.app_records[DIR_S2C], 1);
	CU_ASSERT_EQUAL(ref->f.alert_encrypted, 1);

	int bad = 0;
	for (size_t k = 1; k < stream.len; k++) {
		struct session *s = session_new();
		size_t want = 0;
		for (int i = 0; i < nends; i++)
			if (ends[i] <= k)
				want = ends[i];
		size_t used = feed_n(s, DIR_S2C, stream.p, k, 7);
		/* the caller keeps what was not consumed and appends the rest */
		size_t used2 = feed_n(s, DIR_S2C, stream.p + used, stream.len - used, 7);
		if (used != want || used + used2 != stream.len ||
		    memcmp(&s->f, &ref->f, sizeof s->f) != 0 || !same_log(&s->log, &ref->log))
			bad++;
		session_free(s);
	}
	CU_ASSERT_EQUAL(bad, 0);
	session_free(ref);
	bb_free(&stream);
}

static void test_split_two_records(void)
{
	struct bb hs = {0}, rec = {0};
	server_flight(&hs, 1);
	put_record(&rec, CT_HS, V12, hs.p, hs.len);
	struct session *ref = session_new();
	CU_ASSERT_EQUAL(feed(ref, DIR_S2C, &rec, 2), rec.len);
	CU_ASSERT_EQUAL(ref->f.status, DEC_OK);
	CU_ASSERT_EQUAL(ref->f.cert_count, 2);
	CU_ASSERT_EQUAL(ref->f.server_hello_done_frame, 2);

	int bad = 0;
	for (size_t k = 1; k < hs.len; k++) {
		struct session *s = session_new();
		rec.len = 0;
		put_record(&rec, CT_HS, V12, hs.p, k);
		put_record(&rec, CT_HS, V12, hs.p + k, hs.len - k);
		if (feed(s, DIR_S2C, &rec, 2) != rec.len ||
		    memcmp(&s->f, &ref->f, sizeof s->f) != 0 || !same_log(&s->log, &ref->log))
			bad++;
		session_free(s);
	}
	CU_ASSERT_EQUAL(bad, 0);

	/* every byte in a record of its own */
	struct session *s = session_new();
	rec.len = 0;
	for (size_t i = 0; i < hs.len; i++)
		put_record(&rec, CT_HS, V12, hs.p + i, 1);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 2), rec.len);
	CU_ASSERT_EQUAL(memcmp(&s->f, &ref->f, sizeof s->f), 0);
	CU_ASSERT(same_log(&s->log, &ref->log));
	session_free(s);
	session_free(ref);
	bb_free(&hs);
	bb_free(&rec);
}

/* The frame recorded is the one that completed the message. */
static void test_split_frames(void)
{
	struct bb hs = {0}, rec = {0};
	struct session *s = session_new();
	server_flight(&hs, 0);
	put_record(&rec, CT_HS, V12, hs.p, hs.len);
	CU_ASSERT_EQUAL(feed_n(s, DIR_S2C, rec.p, 50, 5), 0);
	CU_ASSERT_EQUAL(s->f.server_hello_frame, 0);
	CU_ASSERT_EQUAL(feed_n(s, DIR_S2C, rec.p, 400, 6), 0);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 7), rec.len);
	CU_ASSERT_EQUAL(s->f.server_hello_frame, 7);
	session_free(s);

	/* across records: SH completes in frame 5, the certificate in frame 6 */
	s = session_new();
	rec.len = 0;
	put_record(&rec, CT_HS, V12, hs.p, 200);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 5), rec.len);
	CU_ASSERT_EQUAL(s->f.server_hello_frame, 5);
	CU_ASSERT_EQUAL(s->f.certificate_frame, 0);
	rec.len = 0;
	put_record(&rec, CT_HS, V12, hs.p + 200, hs.len - 200);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 6), rec.len);
	CU_ASSERT_EQUAL(s->f.certificate_frame, 6);
	CU_ASSERT_EQUAL(s->f.server_hello_done_frame, 6);
	CU_ASSERT_EQUAL(s->f.cert_count, 1);
	static const struct want_ev w[] = {
		{1, 5, "TLS ServerHello TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
		{1, 6, "TLS Certificate CN=tls-test.example (1 cert)"},
		{1, 6, "TLS ServerHelloDone"},
	};
	assert_ladder(&s->log, w, 3);
	session_free(s);
	bb_free(&hs);
	bb_free(&rec);
}

static void test_oversize_handshake(void)
{
	struct bb hs = {0}, rec = {0};
	struct session *s = session_new();

	/* a Certificate declaring TLS_HS_MSG_MAX bytes (4 more with its header) */
	bb_u8(&hs, HS_CERT);
	bb_u24(&hs, TLS_HS_MSG_MAX);
	bb_fill(&hs, 0x30, TLS_HS_MSG_MAX);
	put_hs(&hs, HS_SHD, NULL, 0);
	for (size_t off = 0; off < hs.len; off += 16384) {
		size_t n = hs.len - off < 16384 ? hs.len - off : 16384;
		put_record(&rec, CT_HS, V12, hs.p + off, n);
	}
	/* fed in 1000-byte pieces, the way segments arrive */
	size_t have = 0, done = 0;
	uint64_t frame = 10;
	while (done < rec.len) {
		have = rec.len - done < have + 1000 ? rec.len - done : have + 1000;
		size_t used = feed_n(s, DIR_S2C, rec.p + done, have, frame++);
		done += used;
		have -= used;
	}
	CU_ASSERT_EQUAL(s->f.status, DEC_UNSUPPORTED);
	CU_ASSERT_EQUAL(s->f.bad_frame, 26); /* the 17th piece completes the first record */
	CU_ASSERT_EQUAL(s->f.certificate_frame, 0);
	CU_ASSERT_EQUAL(s->f.cert_count, 0);
	CU_ASSERT_NOT_EQUAL(s->f.server_hello_done_frame, 0); /* skipped byte-exactly */
	CU_ASSERT_EQUAL(s->st.d[DIR_S2C].hs_skip, 0);
	CU_ASSERT_EQUAL(s->log.n, 2);
	CU_ASSERT_STRING_EQUAL(s->log.text[0], "TLS handshake message too long (131076 bytes)");
	CU_ASSERT_STRING_EQUAL(s->log.text[1], "TLS ServerHelloDone");

	/* a later INVALID replaces UNSUPPORTED: an empty handshake record */
	rec.len = 0;
	put_record(&rec, CT_HS, V12, NULL, 0);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 99), rec.len);
	CU_ASSERT_EQUAL(s->f.status, DEC_INVALID);
	CU_ASSERT_EQUAL(s->f.bad_frame, 99);
	session_free(s);

	/* exactly TLS_HS_MSG_MAX with its header fits */
	s = session_new();
	hs.len = rec.len = 0;
	bb_u8(&hs, 99);
	bb_u24(&hs, TLS_HS_MSG_MAX - 4);
	bb_fill(&hs, 0x00, TLS_HS_MSG_MAX - 4);
	put_hs(&hs, HS_SHD, NULL, 0);
	for (size_t off = 0; off < hs.len; off += 16384) {
		size_t n = hs.len - off < 16384 ? hs.len - off : 16384;
		put_record(&rec, CT_HS, V12, hs.p + off, n);
	}
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 3), rec.len);
	CU_ASSERT_EQUAL(s->f.status, DEC_OK);
	CU_ASSERT_EQUAL(s->f.server_hello_done_frame, 3);
	static const struct want_ev w[] = {
		{1, 3, "TLS handshake type 99"},
		{1, 3, "TLS ServerHelloDone"},
	};
	assert_ladder(&s->log, w, 2);
	session_free(s);

	/* 16 MB declared, then the stream ends: nothing kept, nothing read past */
	s = session_new();
	hs.len = rec.len = 0;
	bb_u8(&hs, HS_CERT);
	bb_u24(&hs, 0xffffff);
	bb_fill(&hs, 0x30, 100);
	put_record(&rec, CT_HS, V12, hs.p, hs.len);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 4), rec.len);
	CU_ASSERT_EQUAL(s->f.status, DEC_UNSUPPORTED);
	CU_ASSERT_EQUAL(s->st.d[DIR_S2C].hs_skip, 4 + 0xffffffu - 104);
	CU_ASSERT_EQUAL(s->st.d[DIR_S2C].hs_len, 0);
	session_free(s);
	bb_free(&hs);
	bb_free(&rec);
}

/* ---- TLS: a whole handshake, alerts, application data ------------------- */

static void test_full_handshake_tls12(void)
{
	struct session *s = session_new();
	struct bb body = {0}, msg = {0}, rec = {0};

	ch_body(&body, V12, "rdp.example.test", NULL, 0, 0);
	put_hs(&msg, HS_CH, body.p, body.len);
	put_record(&rec, CT_HS, 0x0301, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 1), rec.len);

	msg.len = rec.len = 0;
	server_flight(&msg, 1);
	/* a ServerKeyExchange before the ServerHelloDone, as ECDHE sends */
	msg.len -= 4;
	bb_u8(&msg, HS_SKE);
	bb_u24(&msg, 10);
	bb_fill(&msg, 0x44, 10);
	put_hs(&msg, HS_SHD, NULL, 0);
	put_record(&rec, CT_HS, V12, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 2), rec.len);

	msg.len = rec.len = 0;
	bb_u8(&msg, HS_CKE);
	bb_u24(&msg, 20);
	bb_fill(&msg, 0x55, 20);
	put_record(&rec, CT_HS, V12, msg.p, msg.len);
	put_record_fill(&rec, CT_CCS, 1, 1);
	put_record_fill(&rec, CT_HS, 40, 0xaa);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 3), rec.len);

	rec.len = 0;
	put_record_fill(&rec, CT_CCS, 1, 1);
	put_record_fill(&rec, CT_HS, 40, 0xaa);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 4), rec.len);

	rec.len = 0;
	put_record_fill(&rec, CT_APP, 100, 0x01);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 5), rec.len);
	rec.len = 0;
	put_record_fill(&rec, CT_APP, 200, 0x02);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 6), rec.len);
	rec.len = 0;
	put_record_fill(&rec, CT_APP, 50, 0x03);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 7), rec.len);
	rec.len = 0;
	put_record_fill(&rec, CT_APP, 30, 0x04);
	put_record_fill(&rec, CT_ALERT, 26, 0x05);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 8), rec.len);

	const struct tls_facts *f = &s->f;
	CU_ASSERT_EQUAL(f->status, DEC_OK);
	CU_ASSERT_EQUAL(f->bad_frame, 0);
	CU_ASSERT_EQUAL(f->client_hello_frame, 1);
	CU_ASSERT_EQUAL(f->client_version, V12);
	CU_ASSERT_EQUAL(f->client_max_version, V12);
	CU_ASSERT_STRING_EQUAL(f->sni, "rdp.example.test");
	CU_ASSERT_EQUAL(f->server_hello_frame, 2);
	CU_ASSERT_EQUAL(f->version, V12);
	CU_ASSERT_EQUAL(f->cipher, 0xc030);
	CU_ASSERT_EQUAL(f->certificate_frame, 2);
	CU_ASSERT_EQUAL(f->cert_count, 2);
	CU_ASSERT_EQUAL(f->cert_stored, 2);
	CU_ASSERT_EQUAL(f->cert_errors, 0);
	CU_ASSERT_EQUAL(f->server_hello_done_frame, 2);
	CU_ASSERT_EQUAL(f->ccs_frame[DIR_C2S], 3);
	CU_ASSERT_EQUAL(f->ccs_frame[DIR_S2C], 4);
	CU_ASSERT_EQUAL(f->alert_frame, 8);
	CU_ASSERT_EQUAL(f->alert_dir, DIR_S2C);
	CU_ASSERT_EQUAL(f->alert_level, 0);
	CU_ASSERT_EQUAL(f->alert_desc, 0);
	CU_ASSERT_EQUAL(f->alert_encrypted, 1);
	CU_ASSERT_EQUAL(f->first_app_frame[DIR_C2S], 5);
	CU_ASSERT_EQUAL(f->first_app_frame[DIR_S2C], 6);
	CU_ASSERT_EQUAL(f->app_records[DIR_C2S], 2);
	CU_ASSERT_EQUAL(f->app_records[DIR_S2C], 2);
	CU_ASSERT_EQUAL(f->app_bytes[DIR_C2S], 150);
	CU_ASSERT_EQUAL(f->app_bytes[DIR_S2C], 230);
	CU_ASSERT_EQUAL(s->st.handshake_done, 1);
	static const struct tls_rec_note recs[] = {
		{5, DIR_C2S, CT_APP, 100}, {6, DIR_S2C, CT_APP, 200}, {7, DIR_C2S, CT_APP, 50},
		{8, DIR_S2C, CT_APP, 30},  {8, DIR_S2C, CT_ALERT, 26},
	};
	CU_ASSERT_EQUAL(f->rec_stored, 5);
	for (int i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(f->recs[i].frame, recs[i].frame);
		CU_ASSERT_EQUAL(f->recs[i].dir, recs[i].dir);
		CU_ASSERT_EQUAL(f->recs[i].content_type, recs[i].content_type);
		CU_ASSERT_EQUAL(f->recs[i].len, recs[i].len);
	}
	static const struct want_ev w[] = {
		{0, 1, "TLS ClientHello TLS 1.2 SNI=rdp.example.test"},
		{1, 2, "TLS ServerHello TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
		{1, 2, "TLS Certificate CN=tls-test.example (2 certs)"},
		{1, 2, "TLS ServerKeyExchange"},
		{1, 2, "TLS ServerHelloDone"},
		{0, 3, "TLS ClientKeyExchange"},
		{0, 3, "TLS ChangeCipherSpec"},
		{0, 3, "TLS encrypted handshake"},
		{1, 4, "TLS ChangeCipherSpec"},
		{1, 4, "TLS encrypted handshake"},
		{0, 5, "TLS application data (first)"},
		{1, 6, "TLS application data (first)"},
		{1, 8, "TLS Alert (encrypted)"},
	};
	assert_ladder(&s->log, w, 13);
	session_free(s);
	bb_free(&body);
	bb_free(&msg);
	bb_free(&rec);
}

/* After a side's ChangeCipherSpec its handshake bytes are never parsed. */
static void test_encrypted_handshake_not_parsed(void)
{
	struct session *s = session_new();
	struct bb body = {0}, msg = {0}, rec = {0};

	put_record_fill(&rec, CT_CCS, 1, 1);
	ch_body(&body, V12, "hidden.example", NULL, 0, 0);
	put_hs(&msg, HS_CH, body.p, body.len);
	put_record(&rec, CT_HS, V12, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 1), rec.len);
	CU_ASSERT_EQUAL(s->f.client_hello_frame, 0);
	CU_ASSERT_STRING_EQUAL(s->f.sni, "");
	CU_ASSERT_EQUAL(s->st.d[DIR_C2S].encrypted, 1);
	CU_ASSERT_EQUAL(s->st.d[DIR_S2C].encrypted, 0);

	/* a bad ChangeCipherSpec (two bytes, value 2) is noted, and still switches */
	struct session *t = session_new();
	static const uint8_t bad_ccs[] = {2, 2};
	rec.len = 0;
	put_record(&rec, CT_CCS, V12, bad_ccs, sizeof bad_ccs);
	CU_ASSERT_EQUAL(feed(t, DIR_S2C, &rec, 2), rec.len);
	CU_ASSERT_EQUAL(t->f.status, DEC_INVALID);
	CU_ASSERT_EQUAL(t->f.ccs_frame[DIR_S2C], 2);
	CU_ASSERT_EQUAL(t->st.d[DIR_S2C].encrypted, 1);
	session_free(t);
	session_free(s);
	bb_free(&body);
	bb_free(&msg);
	bb_free(&rec);
}

static void test_alerts(void)
{
	static const uint8_t fatal_hf[] = {2, 40};
	static const uint8_t warn_close[] = {1, 0};
	static const uint8_t odd_level[] = {7, 200};
	struct bb rec = {0};

	struct session *s = session_new();
	put_record(&rec, CT_ALERT, V12, fatal_hf, 2);
	put_record(&rec, CT_ALERT, V12, warn_close, 2); /* the second does not replace */
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 4), rec.len);
	CU_ASSERT_EQUAL(s->f.status, DEC_OK);
	CU_ASSERT_EQUAL(s->f.alert_frame, 4);
	CU_ASSERT_EQUAL(s->f.alert_dir, DIR_S2C);
	CU_ASSERT_EQUAL(s->f.alert_level, 2);
	CU_ASSERT_EQUAL(s->f.alert_desc, 40);
	CU_ASSERT_EQUAL(s->f.alert_encrypted, 0);
	CU_ASSERT_EQUAL(s->f.rec_stored, 0);
	static const struct want_ev w[] = {{1, 4, "TLS Alert fatal handshake_failure"}};
	assert_ladder(&s->log, w, 1);
	session_free(s);

	s = session_new();
	rec.len = 0;
	put_record(&rec, CT_ALERT, V12, warn_close, 2);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 5), rec.len);
	CU_ASSERT_EQUAL(s->f.alert_dir, DIR_C2S);
	CU_ASSERT_EQUAL(s->f.alert_level, 1);
	CU_ASSERT_EQUAL(s->f.alert_desc, 0);
	static const struct want_ev w2[] = {{0, 5, "TLS Alert warning close_notify"}};
	assert_ladder(&s->log, w2, 1);
	session_free(s);

	s = session_new();
	rec.len = 0;
	put_record(&rec, CT_ALERT, V12, odd_level, 2);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 5), rec.len);
	static const struct want_ev w3[] = {{0, 5, "TLS Alert 7 unknown"}};
	assert_ladder(&s->log, w3, 1);
	session_free(s);

	/* after the sender's CCS even a 2-byte alert record is ciphertext */
	s = session_new();
	rec.len = 0;
	put_record_fill(&rec, CT_CCS, 1, 1);
	put_record(&rec, CT_ALERT, V12, fatal_hf, 2);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 6), rec.len);
	CU_ASSERT_EQUAL(s->f.alert_frame, 6);
	CU_ASSERT_EQUAL(s->f.alert_encrypted, 1);
	CU_ASSERT_EQUAL(s->f.alert_level, 0);
	CU_ASSERT_EQUAL(s->f.alert_desc, 0);
	session_free(s);

	/* a 1-byte alert in clear is wrong */
	s = session_new();
	rec.len = 0;
	put_record(&rec, CT_ALERT, V12, fatal_hf, 1);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 7), rec.len);
	CU_ASSERT_EQUAL(s->f.status, DEC_INVALID);
	CU_ASSERT_EQUAL(s->f.alert_frame, 0);
	session_free(s);
	bb_free(&rec);
}

static void test_application_data(void)
{
	struct session *s = session_new();
	struct bb rec = {0};

	/* more records than TLS_REC_MAX: all counted, the first ones kept */
	for (int i = 0; i < TLS_REC_MAX + 4; i++) {
		rec.len = 0;
		put_record_fill(&rec, CT_APP, (size_t)(10 + i), 0xee);
		int dir = i % 3 == 2 ? DIR_S2C : DIR_C2S;
		CU_ASSERT_EQUAL(feed(s, dir, &rec, (uint64_t)(20 + i)), rec.len);
	}
	CU_ASSERT_EQUAL(s->f.status, DEC_OK);
	CU_ASSERT_EQUAL(s->f.app_records[DIR_C2S], 14);
	CU_ASSERT_EQUAL(s->f.app_records[DIR_S2C], 6);
	uint64_t bytes[2] = {0, 0};
	for (int i = 0; i < TLS_REC_MAX + 4; i++)
		bytes[i % 3 == 2] += (uint64_t)(10 + i);
	CU_ASSERT_EQUAL(s->f.app_bytes[DIR_C2S], bytes[DIR_C2S]);
	CU_ASSERT_EQUAL(s->f.app_bytes[DIR_S2C], bytes[DIR_S2C]);
	CU_ASSERT_EQUAL(s->f.first_app_frame[DIR_C2S], 20);
	CU_ASSERT_EQUAL(s->f.first_app_frame[DIR_S2C], 22);
	CU_ASSERT_EQUAL(s->f.rec_stored, TLS_REC_MAX);
	for (int i = 0; i < TLS_REC_MAX; i++) {
		CU_ASSERT_EQUAL(s->f.recs[i].frame, (uint64_t)(20 + i));
		CU_ASSERT_EQUAL(s->f.recs[i].dir, i % 3 == 2 ? DIR_S2C : DIR_C2S);
		CU_ASSERT_EQUAL(s->f.recs[i].content_type, CT_APP);
		CU_ASSERT_EQUAL(s->f.recs[i].len, 10 + i);
	}
	CU_ASSERT_EQUAL(s->st.handshake_done, 1);
	static const struct want_ev w[] = {
		{0, 20, "TLS application data (first)"},
		{1, 22, "TLS application data (first)"},
	};
	assert_ladder(&s->log, w, 2);
	session_free(s);
	bb_free(&rec);
}

static void test_record_lengths(void)
{
	struct session *s = session_new();
	struct bb rec = {0};

	put_record_fill(&rec, CT_APP, 0, 0);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 1), 5);
	rec.len = 0;
	put_record_fill(&rec, CT_APP, 1, 0);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 2), 6);
	rec.len = 0;
	put_record_fill(&rec, CT_APP, TLS_RECORD_MAX, 0);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 3), 5 + TLS_RECORD_MAX);
	CU_ASSERT_EQUAL(s->f.status, DEC_OK);
	CU_ASSERT_EQUAL(s->f.app_records[DIR_C2S], 3);
	CU_ASSERT_EQUAL(s->f.app_bytes[DIR_C2S], 1 + TLS_RECORD_MAX);

	/* one byte short of whole: left for the next segment */
	CU_ASSERT_EQUAL(feed_n(s, DIR_C2S, rec.p, rec.len - 1, 4), 0);
	CU_ASSERT_EQUAL(feed_n(s, DIR_C2S, rec.p, 4, 4), 0);
	CU_ASSERT_EQUAL(feed_n(s, DIR_C2S, rec.p, 1, 4), 0);
	CU_ASSERT_EQUAL(s->f.app_records[DIR_C2S], 3);
	CU_ASSERT_EQUAL(s->f.status, DEC_OK);

	/* one byte over the bound: not TLS; the direction is then ignored */
	rec.len = 0;
	put_record_fill(&rec, CT_APP, TLS_RECORD_MAX + 1, 0);
	CU_ASSERT_EQUAL(feed_n(s, DIR_C2S, rec.p, 5, 5), 5);
	CU_ASSERT_EQUAL(s->f.status, DEC_INVALID);
	CU_ASSERT_EQUAL(s->f.bad_frame, 5);
	rec.len = 0;
	put_record_fill(&rec, CT_APP, 10, 0);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 6), rec.len);
	CU_ASSERT_EQUAL(s->f.app_records[DIR_C2S], 3);
	CU_ASSERT_EQUAL(s->f.bad_frame, 5);
	/* the other direction goes on */
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 7), rec.len);
	CU_ASSERT_EQUAL(s->f.app_records[DIR_S2C], 1);
	static const struct want_ev w[] = {
		{0, 1, "TLS application data (first)"},
		{0, 5, "TLS invalid record header"},
		{1, 7, "TLS application data (first)"},
	};
	assert_ladder(&s->log, w, 3);
	session_free(s);
	bb_free(&rec);
}

static void test_not_tls(void)
{
	static const uint8_t http[] = "GET / HTTP/1.1\r\n";
	static const uint8_t tpkt[] = {0x03, 0x00, 0x00, 0x0b, 0x06, 0xd0};
	static const uint8_t major2[] = {0x16, 0x02};
	static const uint8_t type_only[] = {0x16};
	static const uint8_t type25[] = {0x19};
	struct session *s;

	s = session_new();
	CU_ASSERT_EQUAL(feed_n(s, DIR_C2S, http, sizeof http - 1, 1), sizeof http - 1);
	CU_ASSERT_EQUAL(s->f.status, DEC_INVALID);
	CU_ASSERT_EQUAL(s->f.bad_frame, 1);
	session_free(s);

	s = session_new();
	CU_ASSERT_EQUAL(feed_n(s, DIR_S2C, tpkt, sizeof tpkt, 2), sizeof tpkt);
	CU_ASSERT_EQUAL(s->f.status, DEC_INVALID);
	session_free(s);

	s = session_new();
	CU_ASSERT_EQUAL(feed_n(s, DIR_S2C, major2, sizeof major2, 3), sizeof major2);
	CU_ASSERT_EQUAL(s->f.status, DEC_INVALID);
	session_free(s);

	/* a lone handshake type byte may still become a record */
	s = session_new();
	CU_ASSERT_EQUAL(feed_n(s, DIR_S2C, type_only, sizeof type_only, 4), 0);
	CU_ASSERT_EQUAL(s->f.status, DEC_OK);
	CU_ASSERT_EQUAL(feed_n(s, DIR_S2C, type25, sizeof type25, 4), 1);
	CU_ASSERT_EQUAL(s->f.status, DEC_INVALID);
	session_free(s);

	/* no bytes, a bad direction */
	s = session_new();
	CU_ASSERT_EQUAL(tls_feed(&s->st, &s->f, DIR_C2S, NULL, 0, 1), 0);
	CU_ASSERT_EQUAL(s->f.status, DEC_OK);
	CU_ASSERT_EQUAL(tls_feed(&s->st, &s->f, 2, http, 4, 9), 4);
	CU_ASSERT_EQUAL(s->f.status, DEC_INVALID);
	CU_ASSERT_EQUAL(s->f.bad_frame, 9);
	session_free(s);

	/* without a ladder callback, and freed twice */
	struct tls_state st;
	struct tls_facts f;
	struct bb hs = {0}, rec = {0};
	memset(&f, 0, sizeof f);
	tls_init(&st, NULL, NULL);
	server_flight(&hs, 0);
	put_record(&rec, CT_HS, V12, hs.p, hs.len);
	CU_ASSERT_EQUAL(tls_feed(&st, &f, DIR_S2C, rec.p, rec.len, 1), rec.len);
	CU_ASSERT_EQUAL(f.cert_count, 1);
	tls_free(&st);
	tls_free(&st);
	CU_ASSERT_PTR_NULL(st.d[DIR_S2C].hs);
	bb_free(&hs);
	bb_free(&rec);
}

/* ---- DTLS ------------------------------------------------------------------ */

static void test_dtls_handshake(void)
{
	const struct fixture *fx_ = fixture();
	struct session *s = session_new();
	struct bb body = {0}, msg = {0}, rec = {0};

	/* ClientHello (no cookie), HelloVerifyRequest, ClientHello again */
	ch_body(&body, DTLS12, "udp.example.test", NULL, 0, 1);
	put_dtls_hs(&msg, HS_CH, 0, body.p, body.len, 0, body.len);
	put_dtls_record(&rec, CT_HS, 0, 0, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 1), rec.len);
	msg.len = rec.len = 0;
	static const uint8_t hvr[] = {0xfe, 0xff, 4, 1, 2, 3, 4};
	put_dtls_hs(&msg, HS_HVR, 0, hvr, sizeof hvr, 0, sizeof hvr);
	put_dtls_record(&rec, CT_HS, 0, 0, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 2), rec.len);
	msg.len = rec.len = 0;
	put_dtls_hs(&msg, HS_CH, 1, body.p, body.len, 0, body.len);
	put_dtls_record(&rec, CT_HS, 0, 1, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 3), rec.len);

	/* ServerHello, then the Certificate in three fragments, one resent */
	body.len = msg.len = rec.len = 0;
	sh_body(&body, DTLS12, 0xc02f, 0, 0);
	put_dtls_hs(&msg, HS_SH, 1, body.p, body.len, 0, body.len);
	put_dtls_record(&rec, CT_HS, 0, 1, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 4), rec.len);
	body.len = 0;
	const uint8_t *ders[1] = {fx_->leaf};
	const int lens[1] = {fx_->leaf_len};
	cert_body(&body, ders, lens, 1);
	size_t third = body.len / 3;
	msg.len = rec.len = 0;
	put_dtls_hs(&msg, HS_CERT, 2, body.p, body.len, 0, third);
	put_dtls_record(&rec, CT_HS, 0, 2, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 5), rec.len);
	msg.len = rec.len = 0;
	put_dtls_hs(&msg, HS_CERT, 2, body.p, body.len, 0, third); /* resent */
	put_dtls_hs(&msg, HS_CERT, 2, body.p, body.len, third, third);
	put_dtls_record(&rec, CT_HS, 0, 3, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 6), rec.len);
	CU_ASSERT_EQUAL(s->f.certificate_frame, 0);
	msg.len = rec.len = 0;
	put_dtls_hs(&msg, HS_CERT, 2, body.p, body.len, 2 * third, body.len - 2 * third);
	put_dtls_hs(&msg, HS_SHD, 3, NULL, 0, 0, 0);
	put_dtls_record(&rec, CT_HS, 0, 4, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 7), rec.len);

	/* client: CKE, CCS, epoch-1 Finished that looks like a ClientHello */
	body.len = msg.len = rec.len = 0;
	ch_body(&body, DTLS12, "hidden.example", NULL, 0, 1);
	static const uint8_t cke[] = {0x20, 1, 2, 3};
	put_dtls_hs(&msg, HS_CKE, 2, cke, sizeof cke, 0, sizeof cke);
	put_dtls_record(&rec, CT_HS, 0, 2, msg.p, msg.len);
	static const uint8_t one = 1;
	put_dtls_record(&rec, CT_CCS, 0, 3, &one, 1);
	msg.len = 0;
	put_dtls_hs(&msg, HS_CH, 3, body.p, body.len, 0, body.len);
	put_dtls_record(&rec, CT_HS, 1, 0, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 8), rec.len);

	rec.len = 0;
	put_dtls_record(&rec, CT_CCS, 0, 5, &one, 1);
	put_dtls_record(&rec, CT_HS, 1, 0, cke, sizeof cke);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 9), rec.len);
	rec.len = 0;
	uint8_t app[64];
	memset(app, 0x61, sizeof app);
	put_dtls_record(&rec, CT_APP, 1, 1, app, sizeof app);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 10), rec.len);
	/* epoch 1: a 2-byte alert is ciphertext too */
	rec.len = 0;
	static const uint8_t alert[] = {2, 40};
	put_dtls_record(&rec, CT_ALERT, 1, 1, alert, sizeof alert);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 11), rec.len);

	const struct tls_facts *f = &s->f;
	CU_ASSERT_EQUAL(f->status, DEC_OK);
	CU_ASSERT_EQUAL(s->st.d[DIR_C2S].dtls, 1);
	CU_ASSERT_EQUAL(s->st.d[DIR_S2C].dtls, 1);
	CU_ASSERT_EQUAL(f->client_hello_frame, 1);
	CU_ASSERT_EQUAL(f->client_version, DTLS12);
	CU_ASSERT_EQUAL(f->client_max_version, DTLS12);
	CU_ASSERT_STRING_EQUAL(f->sni, "udp.example.test");
	CU_ASSERT_EQUAL(f->server_hello_frame, 4);
	CU_ASSERT_EQUAL(f->version, DTLS12);
	CU_ASSERT_EQUAL(f->cipher, 0xc02f);
	CU_ASSERT_EQUAL(f->certificate_frame, 7);
	CU_ASSERT_EQUAL(f->cert_count, 1);
	CU_ASSERT_EQUAL(f->cert_errors, 0);
	CU_ASSERT_STRING_EQUAL(f->certs[0].subject_cn, TEST_CN);
	CU_ASSERT_EQUAL(f->server_hello_done_frame, 7);
	CU_ASSERT_EQUAL(f->ccs_frame[DIR_C2S], 8);
	CU_ASSERT_EQUAL(f->ccs_frame[DIR_S2C], 9);
	CU_ASSERT_EQUAL(f->first_app_frame[DIR_C2S], 10);
	CU_ASSERT_EQUAL(f->app_bytes[DIR_C2S], 64);
	CU_ASSERT_EQUAL(f->alert_frame, 11);
	CU_ASSERT_EQUAL(f->alert_encrypted, 1);
	static const struct want_ev w[] = {
		{0, 1, "DTLS ClientHello DTLS 1.2 SNI=udp.example.test"},
		{1, 2, "DTLS HelloVerifyRequest"},
		{1, 4, "DTLS ServerHello DTLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
		{1, 7, "DTLS Certificate CN=tls-test.example (1 cert)"},
		{1, 7, "DTLS ServerHelloDone"},
		{0, 8, "DTLS ClientKeyExchange"},
		{0, 8, "DTLS ChangeCipherSpec"},
		{0, 8, "DTLS encrypted handshake"},
		{1, 9, "DTLS ChangeCipherSpec"},
		{1, 9, "DTLS encrypted handshake"},
		{0, 10, "DTLS application data (first)"},
		{1, 11, "DTLS Alert (encrypted)"},
	};
	assert_ladder(&s->log, w, 12);
	session_free(s);
	bb_free(&body);
	bb_free(&msg);
	bb_free(&rec);
}

static void test_dtls_bad_fragments(void)
{
	const struct fixture *fx_ = fixture();
	struct bb body = {0}, msg = {0}, rec = {0};
	const uint8_t *ders[1] = {fx_->leaf};
	const int lens[1] = {fx_->leaf_len};
	cert_body(&body, ders, lens, 1);
	size_t half = body.len / 2;

	/* second half first, then the first: never whole, nothing decoded */
	struct session *s = session_new();
	put_dtls_hs(&msg, HS_CERT, 2, body.p, body.len, half, body.len - half);
	put_dtls_record(&rec, CT_HS, 0, 1, msg.p, msg.len);
	msg.len = 0;
	put_dtls_hs(&msg, HS_CERT, 2, body.p, body.len, 0, half);
	put_dtls_record(&rec, CT_HS, 0, 2, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 1), rec.len);
	CU_ASSERT_EQUAL(s->f.status, DEC_OK);
	CU_ASSERT_EQUAL(s->f.certificate_frame, 0);
	CU_ASSERT_EQUAL(s->log.n, 0);
	session_free(s);

	/* offset + fragment length past the message length */
	s = session_new();
	msg.len = rec.len = 0;
	bb_u8(&msg, HS_CERT);
	bb_u24(&msg, 10);
	bb_u16(&msg, 0);
	bb_u24(&msg, 8);
	bb_u24(&msg, 4);
	bb_fill(&msg, 0, 4);
	put_dtls_record(&rec, CT_HS, 0, 1, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 2), rec.len);
	CU_ASSERT_EQUAL(s->f.status, DEC_INVALID);
	CU_ASSERT_EQUAL(s->f.bad_frame, 2);
	session_free(s);

	/* a fragment length past the record */
	s = session_new();
	msg.len = rec.len = 0;
	put_dtls_hs(&msg, HS_SHD, 0, NULL, 0, 0, 0);
	msg.p[11] = 9;
	put_dtls_record(&rec, CT_HS, 0, 1, msg.p, msg.len);
	CU_ASSERT_EQUAL(feed(s, DIR_S2C, &rec, 3), rec.len);
	CU_ASSERT_EQUAL(s->f.status, DEC_INVALID);
	CU_ASSERT_EQUAL(s->f.server_hello_done_frame, 0);
	session_free(s);

	/* a TLS record on a DTLS direction */
	s = session_new();
	rec.len = 0;
	put_dtls_record(&rec, CT_APP, 1, 1, body.p, 8);
	put_record_fill(&rec, CT_APP, 8, 0);
	CU_ASSERT_EQUAL(feed(s, DIR_C2S, &rec, 4), rec.len);
	CU_ASSERT_EQUAL(s->f.status, DEC_INVALID);
	CU_ASSERT_EQUAL(s->f.app_records[DIR_C2S], 1);
	session_free(s);
	bb_free(&body);
	bb_free(&msg);
	bb_free(&rec);
}

/* ---- registration ------------------------------------------------------------ */

static const struct test_case x509_cases[] = {
	{"self-signed RSA certificate: every field", test_x509_self_signed_rsa},
	{"self-signed EC certificate, GeneralizedTime 9999", test_x509_self_signed_ec_generalized_time},
	{"certificate signed by another key", test_x509_issued_by_other_key},
	{"garbage DER", test_x509_garbage},
	{"every truncation of a certificate", test_x509_truncated},
	{"DER longer than X509_DER_MAX", test_x509_too_long},
	{"certificate cache", test_x509_cache},
	{"x509_time_str", test_x509_time_str},
	{NULL, NULL},
};

static void test_x509_weakness(void)
{
	struct cert_info c;
	char buf[160];

	memset(&c, 0, sizeof c);
	snprintf(c.key_type, sizeof c.key_type, "RSA");
	c.key_bits = 2048;
	snprintf(c.sig_alg, sizeof c.sig_alg, "sha256WithRSAEncryption");
	CU_ASSERT_STRING_EQUAL(x509_weakness(&c, buf, sizeof buf), "");
	c.key_bits = 1024;
	CU_ASSERT_STRING_EQUAL(x509_weakness(&c, buf, sizeof buf), "RSA 1024-bit key");
	snprintf(c.sig_alg, sizeof c.sig_alg, "sha1WithRSAEncryption");
	CU_ASSERT_STRING_EQUAL(x509_weakness(&c, buf, sizeof buf),
			       "RSA 1024-bit key; sha1WithRSAEncryption signature (SHA-1)");
	c.self_signed = 1; /* the signature of a self-signed one is not judged */
	CU_ASSERT_STRING_EQUAL(x509_weakness(&c, buf, sizeof buf), "RSA 1024-bit key");
	c.self_signed = 0;
	c.key_bits = 4096;
	snprintf(c.sig_alg, sizeof c.sig_alg, "md5WithRSAEncryption");
	CU_ASSERT_STRING_EQUAL(x509_weakness(&c, buf, sizeof buf),
			       "md5WithRSAEncryption signature (MD5)");
	snprintf(c.key_type, sizeof c.key_type, "EC");
	c.key_bits = 160;
	snprintf(c.sig_alg, sizeof c.sig_alg, "ecdsa-with-SHA256");
	CU_ASSERT_STRING_EQUAL(x509_weakness(&c, buf, sizeof buf), "EC 160-bit key");
	c.key_bits = 256;
	CU_ASSERT_STRING_EQUAL(x509_weakness(&c, buf, sizeof buf), "");
	/* A small buffer truncates, never overflows. */
	c.key_bits = 160;
	snprintf(c.sig_alg, sizeof c.sig_alg, "ecdsa-with-SHA1");
	CU_ASSERT_EQUAL(strlen(x509_weakness(&c, buf, 10)), 9);
	/* Unknown key size (0): not judged. */
	snprintf(c.key_type, sizeof c.key_type, "RSA");
	c.key_bits = 0;
	snprintf(c.sig_alg, sizeof c.sig_alg, "sha256WithRSAEncryption");
	CU_ASSERT_STRING_EQUAL(x509_weakness(&c, buf, sizeof buf), "");
}

static const struct test_case tls_name_cases[] = {
	{"x509_weakness: key sizes and signatures", test_x509_weakness},
	{"version, alert and cipher names", test_tls_names},
	{"tls_looks_like_record", test_tls_looks_like_record},
	{NULL, NULL},
};

static const struct test_case tls_cases[] = {
	{"ClientHello: SNI, supported_versions, GREASE", test_client_hello},
	{"ClientHello: 300-byte SNI", test_client_hello_long_sni},
	{"ClientHello: lengths that lie", test_client_hello_lengths_lie},
	{"ServerHello TLS 1.2", test_server_hello_tls12},
	{"ServerHello TLS 1.3: the rest is opaque", test_server_hello_tls13},
	{"TLS 1.3 encrypted alert from the client", test_tls13_encrypted_alert},
	{"HelloRetryRequest", test_hello_retry_request},
	{"Certificate chain", test_certificate_chain},
	{"Certificate: inner lengths that lie", test_certificate_lengths_lie},
	{"Certificate: more than CERT_MAX", test_certificate_over_cap},
	{"split at every byte across two feeds", test_split_two_feeds},
	{"split at every byte across two records", test_split_two_records},
	{"frame that completes a message", test_split_frames},
	{"handshake message over TLS_HS_MSG_MAX", test_oversize_handshake},
	{"whole TLS 1.2 handshake and its ladder", test_full_handshake_tls12},
	{"encrypted handshake is not parsed", test_encrypted_handshake_not_parsed},
	{"alerts in clear and encrypted", test_alerts},
	{"application data counted and kept", test_application_data},
	{"record lengths 0, 1, max, max + 1", test_record_lengths},
	{"bytes that are not TLS", test_not_tls},
	{"DTLS handshake with fragments", test_dtls_handshake},
	{"DTLS fragments out of order or lying", test_dtls_bad_fragments},
	{NULL, NULL},
};

static void add_suite_with_fixture(const char *name, const struct test_case *cases)
{
	add_suite(name, cases);
	CU_pSuite s = CU_get_suite(name);
	if (s)
		CU_set_suite_cleanupfunc(s, fixture_release);
}

void register_unit_tls(void)
{
	add_suite_with_fixture("x509", x509_cases);
	add_suite("tls names", tls_name_cases);
	add_suite_with_fixture("tls", tls_cases);
}

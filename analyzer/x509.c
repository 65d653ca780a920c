/*
 * x509.c - certificate facts through OpenSSL 3.0.
 *
 * The DER comes straight off the wire, so OpenSSL does all the ASN.1 work
 * (d2i_X509); this file only turns the parsed certificate into bounded,
 * printable strings and Unix times.  Nothing here prints, and everything
 * OpenSSL allocates is released before returning.
 *
 * Times are converted with our own calendar arithmetic: timegm() and
 * gmtime_r() are not ISO C, and analyzer/ builds against ISO C only.
 */
#include "x509.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "decode.h"

/* ---- calendar arithmetic (proleptic Gregorian, UTC) ------------------- */

/*
 * Days since 1970-01-01 of y-m-d (m 1..12).  H. Hinnant's days_from_civil:
 * eras of 400 years (146097 days), the year starting in March so that the
 * leap day is the last day of the year.
 */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;                                   /* [0, 399] */
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
	return era * 146097 + doe - 719468;
}

/* The inverse: y-m-d of a day count since 1970-01-01. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;                                  /* [0, 146096] */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);           /* [0, 365] */
	int64_t mp = (5 * doy + 2) / 153;                                /* [0, 11] */
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* timegm() for a struct tm that ASN1_TIME_to_tm filled (fields in range). */
int64_t x509_utc_to_unix(int64_t y, int mo, int d, int h, int mi, int s)
{
	return days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + s;
}

static int64_t tm_to_unix(const struct tm *tm)
{
	return x509_utc_to_unix((int64_t)tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday,
				tm->tm_hour, tm->tm_min, tm->tm_sec);
}

const char *x509_time_str(int64_t t, char *buf, size_t cap)
{
	if (!buf || !cap)
		return buf;
	if (t == 0) {
		str_copy(buf, cap, "-");
		return buf;
	}
	int64_t days = t / 86400;
	int64_t secs = t % 86400;
	if (secs < 0) { /* C division truncates toward zero; we want floor */
		secs += 86400;
		days--;
	}
	int64_t y;
	int m, d;
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, cap, "%04lld-%02d-%02d %02d:%02d:%02d", (long long)y, m, d,
		 (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
	return buf;
}

/* ---- string helpers --------------------------------------------------- */

static void hex_str(char *dst, size_t cap, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t o = 0;
	if (!cap)
		return;
	for (size_t i = 0; i < n && o + 2 < cap; i++) {
		dst[o++] = digits[p[i] >> 4];
		dst[o++] = digits[p[i] & 15];
	}
	dst[o] = '\0';
}

/* Appends "sep item" when all of it fits; returns 0 (and appends nothing) otherwise. */
static int list_append(char *dst, size_t cap, const char *item)
{
	size_t used = strlen(dst);
	size_t sep = used ? 1 : 0;
	size_t n = strlen(item);
	if (used + sep + n + 1 > cap)
		return 0;
	if (sep)
		dst[used++] = ',';
	memcpy(dst + used, item, n + 1);
	return 1;
}

/* RFC 5952 text form of an IPv6 address: lower case, longest zero run as "::". */
static void ipv6_str(char *dst, size_t cap, const unsigned char *a)
{
	unsigned w[8];
	int best = -1, best_len = 0;
	for (int i = 0; i < 8; i++)
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && w[j] == 0)
			j++;
		if (j - i > best_len && j - i >= 2) {
			best = i;
			best_len = j - i;
		}
		i = j > i ? j : i + 1;
	}
	char out[48];
	size_t o = 0;
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			out[o++] = ':';
			if (i == 0)
				out[o++] = ':';
			i += best_len - 1;
			continue;
		}
		o += (size_t)snprintf(out + o, sizeof out - o, "%x", w[i]);
		if (i < 7)
			out[o++] = ':';
	}
	out[o] = '\0';
	str_copy(dst, cap, out);
}

/* ---- certificate fields ----------------------------------------------- */

/* One-line RFC 2253 form ("CN=host,O=org") of a name; ASCII only. */
static void name_str(const X509_NAME *name, char *dst, size_t cap)
{
	unsigned char tmp[CERT_NAME_MAX];
	BIO *bio = BIO_new(BIO_s_mem());
	dst[0] = '\0';
	if (!bio)
		return;
	/* XN_FLAG_RFC2253 escapes non-ASCII bytes as \XX, so the text is ASCII */
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
		int n = BIO_read(bio, tmp, (int)sizeof tmp);
		if (n > 0)
			str_from_bytes(dst, cap, tmp, (size_t)n);
	}
	BIO_free(bio);
}

/* The first commonName of a name, as printable ASCII. */
static void cn_str(const X509_NAME *name, char *dst, size_t cap)
{
	dst[0] = '\0';
	int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (idx < 0)
		return;
	const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, idx);
	const ASN1_STRING *s = e ? X509_NAME_ENTRY_get_data(e) : NULL;
	unsigned char *utf8 = NULL;
	int n = s ? ASN1_STRING_to_UTF8(&utf8, s) : -1;
	if (n > 0)
		str_from_bytes(dst, cap, utf8, (size_t)n);
	OPENSSL_free(utf8);
}

/* "DNS:a,DNS:b,IP:192.0.2.1,IP:2001:db8::1" from subjectAltName. */
static void sans_str(const X509 *x, char *dst, size_t cap)
{
	dst[0] = '\0';
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (!gens)
		return;
	int count = sk_GENERAL_NAME_num(gens);
	for (int i = 0; i < count; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char item[CERT_SAN_MAX + 8];
		int type = -1;
		const void *v = GENERAL_NAME_get0_value(g, &type);
		/* dNSName is an IA5String, iPAddress an OCTET STRING: both ASN1_STRING */
		const ASN1_STRING *s = (type == GEN_DNS || type == GEN_IPADD) ? v : NULL;
		if (!s)
			continue; /* e-mail, URI, directory names: not used for RDP hosts */
		const unsigned char *p = ASN1_STRING_get0_data(s);
		int n = ASN1_STRING_length(s);
		if (type == GEN_DNS && n >= 0) {
			char name[CERT_SAN_MAX];
			str_from_bytes(name, sizeof name, p, (size_t)n);
			snprintf(item, sizeof item, "DNS:%s", name);
		} else if (type == GEN_IPADD && n == 4) {
			snprintf(item, sizeof item, "IP:%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
		} else if (type == GEN_IPADD && n == 16) {
			char a[48];
			ipv6_str(a, sizeof a, p);
			snprintf(item, sizeof item, "IP:%s", a);
		} else {
			continue;
		}
		if (!list_append(dst, cap, item))
			break; /* full: keep whole entries only */
	}
	GENERAL_NAMES_free(gens);
}

static void serial_str(const X509 *x, char *dst, size_t cap)
{
	const ASN1_INTEGER *s = X509_get0_serialNumber(x);
	dst[0] = '\0';
	if (!s)
		return;
	size_t o = 0;
	if (ASN1_STRING_type(s) == V_ASN1_NEG_INTEGER && cap > 1)
		dst[o++] = '-';
	int n = ASN1_STRING_length(s);
	hex_str(dst + o, cap - o, ASN1_STRING_get0_data(s), n > 0 ? (size_t)n : 0);
}

static void sig_alg_str(const X509 *x, char *dst, size_t cap)
{
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *obj = NULL;
	dst[0] = '\0';
	X509_get0_signature(NULL, &alg, x);
	if (alg)
		X509_ALGOR_get0(&obj, NULL, NULL, alg);
	/* the long name when OpenSSL knows the OID, else the dotted form */
	if (obj && OBJ_obj2txt(dst, (int)cap, obj, 0) < 0)
		dst[0] = '\0';
}

static const struct tok key_types[] = {
	{EVP_PKEY_RSA, "RSA"},
	{EVP_PKEY_RSA_PSS, "RSA-PSS"},
	{EVP_PKEY_DSA, "DSA"},
	{EVP_PKEY_DH, "DH"},
	{EVP_PKEY_EC, "EC"},
	{EVP_PKEY_ED25519, "ED25519"},
	{EVP_PKEY_ED448, "ED448"},
	{EVP_PKEY_X25519, "X25519"},
	{EVP_PKEY_X448, "X448"},
	{EVP_PKEY_SM2, "SM2"},
	{0, NULL},
};

/*
 * Windows' "ncalrpc:" certificates (RDP standard security X.509 chains)
 * label their RSA key with the signature OID md5WithRSAEncryption, which
 * OpenSSL will not load as a key.  The key bits are still a PKCS#1
 * RSAPublicKey: read them as one and say what the label was.
 */
static void key_info_mislabelled(X509 *x, struct cert_info *out)
{
	const unsigned char *p;
	int len;
	ASN1_OBJECT *alg = NULL;
	X509_PUBKEY *xpk = X509_get_X509_PUBKEY(x);

	str_copy(out->key_type, sizeof out->key_type, "unknown");
	if (!xpk || !X509_PUBKEY_get0_param(&alg, &p, &len, NULL, xpk) || !alg)
		return;
	int nid = OBJ_obj2nid(alg);
	if (nid != NID_md5WithRSAEncryption && nid != NID_sha1WithRSAEncryption &&
	    nid != NID_md5WithRSA)
		return;
	EVP_PKEY *pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, len);
	if (!pk) {
		ERR_clear_error();
		return;
	}
	str_copy(out->key_type, sizeof out->key_type, "RSA");
	int bits = EVP_PKEY_get_bits(pk);
	out->key_bits = bits > 0 ? bits : 0;
	EVP_PKEY_free(pk);
}

static void key_info(X509 *x, struct cert_info *out)
{
	EVP_PKEY *pk = X509_get0_pubkey(x); /* owned by x */
	if (!pk) {
		ERR_clear_error();
		key_info_mislabelled(x, out);
		return;
	}
	int id = EVP_PKEY_get_base_id(pk);
	const char *name = tok_name(key_types, (uint32_t)id);
	if (!name)
		name = id != NID_undef ? OBJ_nid2sn(id) : NULL;
	str_copy(out->key_type, sizeof out->key_type, name ? name : "unknown");
	int bits = EVP_PKEY_get_bits(pk);
	out->key_bits = bits > 0 ? bits : 0;
}

static int64_t asn1_time_unix(const ASN1_TIME *t)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return tm_to_unix(&tm);
}

/* Issuer equals subject and the certificate's own key verifies its signature. */
static int is_self_signed(X509 *x)
{
	if (X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(x)) != 0)
		return 0;
	EVP_PKEY *pk = X509_get0_pubkey(x);
	return pk && X509_verify(x, pk) == 1;
}

/*
 * RFC 5280 4.1: Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm,
 * signatureValue }.  OpenSSL decodes it; we read the fields through its API.
 * The facts depend on the DER bytes alone (len in 1..X509_DER_MAX).
 */
static enum dec_status x509_decode(const uint8_t *der, size_t len, struct cert_info *out)
{
	enum dec_status st = DEC_INVALID;
	X509 *x = NULL;

	memset(out, 0, sizeof *out);
	out->der_len = (uint32_t)len;

	const unsigned char *p = der;
	x = d2i_X509(NULL, &p, (long)len);
	if (!x)
		goto out;

	const X509_NAME *subject = X509_get_subject_name(x);
	const X509_NAME *issuer = X509_get_issuer_name(x);
	name_str(subject, out->subject, sizeof out->subject);
	cn_str(subject, out->subject_cn, sizeof out->subject_cn);
	name_str(issuer, out->issuer, sizeof out->issuer);
	cn_str(issuer, out->issuer_cn, sizeof out->issuer_cn);
	sans_str(x, out->sans, sizeof out->sans);
	serial_str(x, out->serial, sizeof out->serial);

	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	if (X509_digest(x, EVP_sha256(), md, &md_len) == 1)
		hex_str(out->sha256, sizeof out->sha256, md, md_len);

	sig_alg_str(x, out->sig_alg, sizeof out->sig_alg);
	key_info(x, out);
	out->not_before = asn1_time_unix(X509_get0_notBefore(x));
	out->not_after = asn1_time_unix(X509_get0_notAfter(x));
	out->self_signed = is_self_signed(x);
	st = DEC_OK;
out:
	X509_free(x);
	/* failed decodes and verifies leave reasons on the thread's error queue */
	ERR_clear_error();
	if (st != DEC_OK) {
		uint32_t keep = out->der_len;
		memset(out, 0, sizeof *out);
		out->der_len = keep;
	}
	return st;
}

/* ---- the certificate cache -------------------------------------------- */

/*
 * A capture repeats the same few server certificates in every connection,
 * and decoding one through OpenSSL (d2i_X509 with its public key, the
 * self-signature check, the SHA-256) costs tens of microseconds.  The
 * facts of a certificate depend on its DER bytes alone, so they are kept
 * for the last X509_CACHE_SLOTS distinct certificates, looked up by a hash
 * of the DER and confirmed by comparing all of its bytes.  Bounded: fixed
 * slots, certificates longer than X509_CACHE_DER_MAX are never kept, the
 * least recently used slot is reused.  One cache per process, not
 * thread-safe (the analyzer runs in one thread).
 */
struct x509_cache_slot {
	uint64_t hash;
	uint64_t used;           /* lookup clock of the last hit; 0: empty */
	uint32_t len;
	enum dec_status st;
	struct cert_info info;
	uint8_t der[X509_CACHE_DER_MAX];
};

static struct {
	uint64_t clock;
	uint64_t hits, misses;
	struct x509_cache_slot slot[X509_CACHE_SLOTS];
} cache;

/* 64-bit hash of the DER, eight bytes a step (assembled from bytes). */
static uint64_t der_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15u ^ (uint64_t)n;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w = (uint64_t)p[i] | (uint64_t)p[i + 1] << 8 | (uint64_t)p[i + 2] << 16 |
			     (uint64_t)p[i + 3] << 24 | (uint64_t)p[i + 4] << 32 |
			     (uint64_t)p[i + 5] << 40 | (uint64_t)p[i + 6] << 48 |
			     (uint64_t)p[i + 7] << 56;
		h = (h ^ w) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3u;
	h ^= h >> 29;
	h *= 0xc4ceb9fe1a85ec53u;
	h ^= h >> 32;
	return h;
}

enum dec_status x509_parse_der(const uint8_t *der, size_t len, struct cert_info *out)
{
	if (len > X509_DER_MAX) {
		memset(out, 0, sizeof *out);
		out->der_len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
		return DEC_UNSUPPORTED;
	}
	if (!der || len == 0) {
		memset(out, 0, sizeof *out);
		out->der_len = (uint32_t)len;
		return DEC_INVALID;
	}
	if (len > X509_CACHE_DER_MAX)
		return x509_decode(der, len, out);

	uint64_t h = der_hash(der, len);
	struct x509_cache_slot *victim = &cache.slot[0];
	cache.clock++;
	for (int i = 0; i < X509_CACHE_SLOTS; i++) {
		struct x509_cache_slot *s = &cache.slot[i];
		if (s->used && s->hash == h && s->len == len && !memcmp(s->der, der, len)) {
			s->used = cache.clock;
			cache.hits++;
			memcpy(out, &s->info, sizeof *out);
			return s->st;
		}
		if (s->used < victim->used)
			victim = s;
	}
	cache.misses++;
	enum dec_status st = x509_decode(der, len, out);
	victim->hash = h;
	victim->used = cache.clock;
	victim->len = (uint32_t)len;
	victim->st = st;
	memcpy(&victim->info, out, sizeof *out);
	memcpy(victim->der, der, len);
	return st;
}

void x509_cache_stats(uint64_t *hits, uint64_t *misses)
{
	*hits = cache.hits;
	*misses = cache.misses;
}

/* Case-insensitive "needle in haystack" over ASCII. */
static int has_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++) {
		size_t i = 0;
		while (i < n && hay[i] && (hay[i] | 0x20) == (needle[i] | 0x20))
			i++;
		if (i == n)
			return 1;
	}
	return 0;
}

const char *x509_weakness(const struct cert_info *c, char *buf, size_t cap)
{
	if (!cap)
		return buf;
	buf[0] = '\0';
	/* Each weakness after the first is put after "; ". */
#define WEAK(fmt, ...) str_appendf(buf, cap, "%s" fmt, buf[0] ? "; " : "", __VA_ARGS__)
	if ((!strcmp(c->key_type, "RSA") || !strcmp(c->key_type, "DSA")) && c->key_bits > 0 &&
	    c->key_bits < 2048)
		WEAK("%s %d-bit key", c->key_type, c->key_bits);
	if (!strcmp(c->key_type, "EC") && c->key_bits > 0 && c->key_bits < 224)
		WEAK("EC %d-bit key", c->key_bits);
	/* Nobody checks a self-signed certificate by its signature. */
	int judge_sig = !c->self_signed;
	if (judge_sig && (has_ci(c->sig_alg, "md5") || has_ci(c->sig_alg, "md2")))
		WEAK("%s signature (MD5)", c->sig_alg);
	else if (judge_sig && (has_ci(c->sig_alg, "sha1") || !strcmp(c->sig_alg, "shaWithRSAEncryption")))
		WEAK("%s signature (SHA-1)", c->sig_alg);
#undef WEAK
	return buf;
}

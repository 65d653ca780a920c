/*
 * mcs.c - T.125 MCS connect PDUs (BER), the T.124 GCC conference create
 * request / response inside them (PER), the RDP settings blocks inside
 * those (MS-RDPBCGR 2.2.1.3, 2.2.1.4), and the MCS domain PDUs that follow
 * (MS-RDPBCGR 2.2.1.5 - 2.2.1.11, 2.2.2.3).
 *
 * Four encodings nest here, each with its own length fields, and none of
 * them is trusted: every window is a sub-cursor bounded by min(declared,
 * captured).  A window also remembers how many of its declared bytes the
 * capture does not hold, which is what tells the two bad outcomes apart:
 * running off a window the capture cut short is TRUNCATED, running off a
 * window whose bytes are all there means a length field lied: INVALID.
 */
#include "mcs.h"

#include <limits.h>
#include <string.h>

#include "x509.h"

/* ---- windows and outcomes -------------------------------------------- */

/*
 * A bounded window plus the declared bytes beyond the capture.  `missing`
 * is 0 for a window that is whole; for the caller's window it is SIZE_MAX
 * (we do not know how much more the PDU would have had).
 */
struct span {
	struct cur c;
	size_t missing;
};

static int status_rank(enum dec_status s)
{
	switch (s) {
	case DEC_INVALID:
		return 3;
	case DEC_TRUNCATED:
		return 2;
	case DEC_UNSUPPORTED:
		return 1;
	default:
		return 0;
	}
}

/* Bytes that contradict the spec outrank a short capture, which outranks a
 * variant we do not decode: the report names the most serious. */
static void note(enum dec_status *st, enum dec_status s)
{
	if (status_rank(s) > status_rank(*st))
		*st = s;
}

/*
 * The next `declared` bytes of `parent` as a window.  A declared length
 * that runs past the parent's own declared end is a lie (INVALID, noted at
 * once); one that only runs past the captured bytes makes a cut window.
 */
static struct span span_sub(struct span *parent, size_t declared, enum dec_status *st)
{
	struct span s;
	size_t left = cur_left(&parent->c);
	int over = 0;

	s.missing = 0;
	if (parent->c.err) {
		/* children of a failed window fail the same way */
		s.c = cur_sub(&parent->c, 0, NULL);
		s.missing = parent->missing;
		return s;
	}
	s.c = cur_sub(&parent->c, declared, &over);
	if (over) {
		size_t beyond = declared - left;
		if (beyond > parent->missing)
			note(st, DEC_INVALID);
		s.missing = beyond < parent->missing ? beyond : parent->missing;
	}
	return s;
}

/* The outcome of a window the decoder is done with. */
static enum dec_status span_end(const struct span *s)
{
	if (s->c.err == CUR_INVALID)
		return DEC_INVALID;
	if (s->missing)
		return DEC_TRUNCATED; /* declared bytes the capture does not hold */
	if (s->c.err == CUR_TRUNCATED)
		return DEC_INVALID;   /* the layout needs more than its length said */
	return DEC_OK;
}

/*
 * True when an optional trailing field of n bytes is there.  A field cut
 * in half is INVALID in a whole window (fields end on field boundaries)
 * and TRUNCATED in a cut one (span_end reports that).
 */
static int opt_field(struct span *s, size_t n)
{
	size_t left = cur_left(&s->c);
	if (left >= n)
		return 1;
	if (left > 0 && !s->missing)
		cur_fail(&s->c, CUR_INVALID);
	return 0;
}

static uint32_t clamp_int(uint32_t v)
{
	return v > INT_MAX ? INT_MAX : v;
}

/* ---- BER (X.690) ------------------------------------------------------- */

/*
 * The contents of the next element, which must carry `tag` (one byte), and
 * a declared length within [min, max]: checked against what the element
 * says, not against what the capture kept of it.
 */
static struct span ber_elem(struct span *s, uint8_t tag, size_t min, size_t max,
			    enum dec_status *st)
{
	if (cur_u8(&s->c) != tag)
		cur_fail(&s->c, CUR_INVALID);
	size_t len = cur_ber_len(&s->c);
	if (!s->c.err && (len < min || len > max))
		cur_fail(&s->c, CUR_INVALID);
	return span_sub(s, len, st);
}

/* An INTEGER or ENUMERATED of 1 to 4 content bytes (DomainParameters,
 * result and calledConnectId never need more). */
static uint32_t ber_uint(struct span *s, uint8_t tag, enum dec_status *st)
{
	struct span v = ber_elem(s, tag, 1, 4, st);
	uint32_t x = 0;

	while (cur_left(&v.c) > 0)
		x = x << 8 | cur_u8(&v.c);
	note(st, span_end(&v));
	return x;
}

/*
 * T.125 7 part 2, DomainParameters: eight INTEGERs.
 *
 *   30 L  02 L maxChannelIds  02 L maxUserIds  02 L maxTokenIds
 *         02 L numPriorities  02 L minThroughput  02 L maxHeight
 *         02 L maxMCSPDUsize  02 L protocolVersion
 *
 * Nothing in them helps a diagnosis; they are walked so that their lengths
 * are checked before the user data that follows.
 */
static void ber_domain_params(struct span *s, enum dec_status *st)
{
	struct span d = ber_elem(s, 0x30, 0, SIZE_MAX, st);
	for (int i = 0; i < 8 && !d.c.err; i++)
		(void)ber_uint(&d, 0x02, st);
	note(st, span_end(&d));
}

/* ---- PER (X.691 ALIGNED) ----------------------------------------------- */

/*
 * Length determinants as T.124 and T.125 use them:
 *
 *   0xxxxxxx                  0..127
 *   10xxxxxx xxxxxxxx         0..16383
 *   11xxxxxx                  fragmented (X.691 11.9.3.8): contents split in
 *                             16K chunks, which no RDP peer sends
 *
 * Returns 0 for the fragmented form: the layout after it is not one we
 * walk, so the caller stops with UNSUPPORTED.
 */
static int per_len(struct cur *c, size_t *len)
{
	uint8_t b = cur_u8(c);
	*len = 0;
	if (!(b & 0x80)) {
		*len = b;
		return 1;
	}
	if (b & 0x40)
		return 0;
	*len = (size_t)(b & 0x3f) << 8 | cur_u8(c);
	return 1;
}

/*
 * T.124 8.7 / 9.5 ConnectData: the key is the T.124 object identifier
 * { itu-t(0) recommendation(0) t(20) t124(124) version(0) 1 }.
 *
 *   00              Key CHOICE: object
 *   05              OBJECT IDENTIFIER length
 *   00 14 7c 00 01  0.0.20.124.0.1
 *   L               ConnectData::connectPDU length (read, not trusted: see below)
 */
static const uint8_t t124_key[] = {0x00, 0x05, 0x00, 0x14, 0x7c, 0x00, 0x01};

/*
 * Reads the key and the connectPDU length.  The length is not used as a
 * bound: Windows servers send 0x2a whatever the size of their response,
 * and the H.221 user data length inside is the one RDP relies on.
 */
static int gcc_connect_data(struct span *s, enum dec_status *st)
{
	size_t len;
	const uint8_t *k = cur_bytes(&s->c, sizeof t124_key);
	if (k && memcmp(k, t124_key, sizeof t124_key))
		cur_fail(&s->c, CUR_INVALID);
	if (!per_len(&s->c, &len)) {
		note(st, DEC_UNSUPPORTED);
		return 0;
	}
	return !s->c.err;
}

/*
 * The single UserData element of a conference create PDU and its H.221
 * non-standard key:
 *
 *   01              SET OF UserData: one element
 *   c0              value present, key CHOICE h221NonStandard
 *   00 k1 k2 k3 k4  H221NonStandardIdentifier: length - 4, then the key
 *   L               user data length (PER) - bounds the settings blocks
 *
 * Sets the window of the settings blocks; returns 0 when there is none.
 */
static int gcc_user_data(struct span *s, const char key[4], struct span *blocks,
			 enum dec_status *st)
{
	size_t len;
	uint8_t sets = cur_u8(&s->c);
	uint8_t sel = cur_u8(&s->c);
	uint8_t klen = cur_u8(&s->c);
	const uint8_t *k = cur_bytes(&s->c, 4);

	if (!s->c.err && (sets < 1 || (sel & 0xc0) != 0xc0 || klen != 0 || memcmp(k, key, 4)))
		cur_fail(&s->c, CUR_INVALID);
	if (!per_len(&s->c, &len)) {
		note(st, DEC_UNSUPPORTED);
		return 0;
	}
	*blocks = span_sub(s, len, st);
	return !blocks->c.err;
}

/* ---- client settings (MS-RDPBCGR 2.2.1.3.x) ---------------------------- */

#define CS_CORE 0xC001
#define CS_SECURITY 0xC002
#define CS_NET 0xC003
#define CS_CLUSTER 0xC004
#define SC_CORE 0x0C01
#define SC_SECURITY 0x0C02
#define SC_NET 0x0C03

#define TS_UD_HEADER_LEN 4

/* colorDepth / postBeta2ColorDepth (2.2.1.3.2) */
#define RNS_UD_COLOR_4BPP 0xCA00
#define RNS_UD_COLOR_8BPP 0xCA01
#define RNS_UD_COLOR_16BPP_555 0xCA02
#define RNS_UD_COLOR_16BPP_565 0xCA03
#define RNS_UD_COLOR_24BPP 0xCA04
/* earlyCapabilityFlags */
#define RNS_UD_CS_WANT_32BPP_SESSION 0x0002

static uint16_t rns_color_bpp(uint16_t v)
{
	switch (v) {
	case RNS_UD_COLOR_4BPP:
		return 4;
	case RNS_UD_COLOR_8BPP:
		return 8;
	case RNS_UD_COLOR_16BPP_555:
		return 15;
	case RNS_UD_COLOR_16BPP_565:
		return 16;
	case RNS_UD_COLOR_24BPP:
		return 24;
	default:
		return 0;
	}
}

/*
 * MS-RDPBCGR 2.2.1.3.2 TS_UD_CS_CORE (after the 4-byte TS_UD_HEADER).
 * The first 128 bytes are mandatory; each later field is present only when
 * the block is long enough, and only if all before it are.
 *
 *   0   version                 u32   0x00080004 ...
 *   4   desktopWidth            u16
 *   6   desktopHeight           u16
 *   8   colorDepth              u16   RNS_UD_COLOR_*
 *   10  SASSequence             u16
 *   12  keyboardLayout          u32
 *   16  clientBuild             u32
 *   20  clientName              32    UTF-16LE, NUL-terminated
 *   52  keyboardType            u32
 *   56  keyboardSubType         u32
 *   60  keyboardFunctionKey     u32
 *   64  imeFileName             64
 *   --- optional ---
 *   128 postBeta2ColorDepth     u16
 *   130 clientProductId         u16
 *   132 serialNumber            u32
 *   136 highColorDepth          u16   4, 8, 15, 16, 24
 *   138 supportedColorDepths    u16   RNS_UD_*BPP_SUPPORT
 *   140 earlyCapabilityFlags    u16
 *   142 clientDigProductId      64
 *   206 connectionType          u8
 *   207 pad1octet               u8
 *   208 serverSelectedProtocol  u32
 *   ... desktopPhysicalWidth and later: not needed
 *
 * has_core is set as soon as the block is seen: fields the capture did
 * not hold stay 0 and the status says so.
 */
static void cs_core(struct span *b, struct mcs_ci_facts *f)
{
	struct cur *c = &b->c;
	uint16_t color = 0, post_beta2 = 0, high = 0;
	int have_post_beta2 = 0, have_high = 0;

	f->has_core = 1;
	f->rdp_version = cur_le32(c);
	f->desktop_width = cur_le16(c);
	f->desktop_height = cur_le16(c);
	color = cur_le16(c);
	(void)cur_le16(c); /* SASSequence */
	f->keyboard_layout = cur_le32(c);
	f->client_build = cur_le32(c);
	const uint8_t *name = cur_bytes(c, 32);
	if (name)
		str_from_utf16le(f->client_name, sizeof f->client_name, name, 32);
	f->keyboard_type = cur_le32(c);
	f->keyboard_subtype = cur_le32(c);
	(void)cur_le32(c); /* keyboardFunctionKey */
	cur_skip(c, 64);   /* imeFileName */
	if (c->err)
		goto depth;

	if (!opt_field(b, 2))
		goto depth;
	post_beta2 = cur_le16(c);
	have_post_beta2 = 1;
	if (!opt_field(b, 2))
		goto depth;
	(void)cur_le16(c); /* clientProductId */
	if (!opt_field(b, 4))
		goto depth;
	(void)cur_le32(c); /* serialNumber */
	if (!opt_field(b, 2))
		goto depth;
	high = cur_le16(c);
	have_high = 1;
	if (!opt_field(b, 2))
		goto depth;
	f->supported_color_depths = cur_le16(c);
	if (!opt_field(b, 2))
		goto depth;
	f->early_capability_flags = cur_le16(c);
	if (!opt_field(b, 64))
		goto depth;
	cur_skip(c, 64); /* clientDigProductId */
	if (!opt_field(b, 1))
		goto depth;
	(void)cur_u8(c); /* connectionType */
	if (!opt_field(b, 1))
		goto depth;
	(void)cur_u8(c); /* pad1octet */
	if (!opt_field(b, 4))
		goto depth;
	f->server_selected_protocol = cur_le32(c);
	/* later fields (physical size, orientation, scale) are not needed */

depth:
	/*
	 * Each field overrides the one before it: highColorDepth cannot say
	 * 32, so a client that wants 32 bpp sets RNS_UD_CS_WANT_32BPP_SESSION
	 * and puts 24 in highColorDepth as the fallback.
	 */
	if (f->early_capability_flags & RNS_UD_CS_WANT_32BPP_SESSION)
		f->color_depth = 32;
	else if (have_high)
		f->color_depth = high;
	else if (have_post_beta2)
		f->color_depth = rns_color_bpp(post_beta2);
	else
		f->color_depth = rns_color_bpp(color);
}

/*
 * MS-RDPBCGR 2.2.1.3.3 TS_UD_CS_SEC:
 *
 *   0  encryptionMethods     u32   *_ENCRYPTION_FLAG
 *   4  extEncryptionMethods  u32   French locale only
 */
static void cs_security(struct span *b, struct mcs_ci_facts *f)
{
	f->has_security = 1;
	f->encryption_methods = cur_le32(&b->c);
	f->ext_encryption_methods = cur_le32(&b->c);
}

/*
 * MS-RDPBCGR 2.2.1.3.4 TS_UD_CS_NET and 2.2.1.3.4.1 CHANNEL_DEF:
 *
 *   0  channelCount      u32
 *   4  channelDefArray   channelCount x { name[8] (ANSI, NUL-padded), options u32 }
 *
 * The count is kept as declared; the loop stops at the bytes present, and
 * only CHANNEL_MAX names are stored.
 */
static void cs_net(struct span *b, struct mcs_ci_facts *f)
{
	struct cur *c = &b->c;
	uint32_t count = cur_le32(c);
	uint32_t i;

	if (c->err)
		return;
	f->channel_count = (int)clamp_int(count);
	for (i = 0; i < count && cur_left(c) >= 12; i++) {
		const uint8_t *name = cur_bytes(c, 8);
		uint32_t options = cur_le32(c);
		if (i < CHANNEL_MAX) {
			const uint8_t *nul = memchr(name, 0, 8);
			size_t n = nul ? (size_t)(nul - name) : 8;
			str_from_bytes(f->channels[i], sizeof f->channels[i], name, n);
			f->channel_options[i] = options;
			f->channels_stored = (int)i + 1;
		}
	}
	if (i < count)
		cur_need(c, 12); /* the array is shorter than the count says */
}

/*
 * MS-RDPBCGR 2.2.1.3.1 TS_UD_HEADER, then the block it bounds:
 *
 *   0  type    u16   CS_CORE 0xC001, CS_SECURITY 0xC002, CS_NET 0xC003 ...
 *   2  length  u16   including this header
 *
 * A length under 4 cannot be stepped over: the walk stops there.
 */
static void cs_blocks(struct span *ud, struct mcs_ci_facts *f, enum dec_status *st)
{
	while (cur_left(&ud->c) > 0) {
		uint16_t type = cur_le16(&ud->c);
		uint16_t len = cur_le16(&ud->c);
		if (ud->c.err)
			break;
		if (len < TS_UD_HEADER_LEN) {
			cur_fail(&ud->c, CUR_INVALID);
			break;
		}
		struct span b = span_sub(ud, len - TS_UD_HEADER_LEN, st);
		switch (type) {
		case CS_CORE:
			cs_core(&b, f);
			break;
		case CS_SECURITY:
			cs_security(&b, f);
			break;
		case CS_NET:
			cs_net(&b, f);
			break;
		default:
			break; /* CS_CLUSTER, CS_MONITOR ... consumed on purpose */
		}
		note(st, span_end(&b));
	}
	note(st, span_end(ud));
}

/*
 * T.124 8.7 ConferenceCreateRequest, as MS-RDPBCGR 2.2.1.3 and 4.1.3 send it:
 *
 *   [ConnectData: key 0.0.20.124.0.1, connectPDU length]
 *   00        ConnectGCCPDU CHOICE conferenceCreateRequest (0), no extension,
 *             no convenerPassword / password / conductorPrivileges
 *   08        ... only the userData optional field present
 *   00 10     conferenceName: numeric string "1" (length - 1, 4-bit digits)
 *   00        locked / listed / conductible flags, terminationMethod
 *   [UserData: 01 c0 00 "Duca" L]
 *
 * Optional fields other than userData (passwords, privileges, a
 * description) would shift the layout; no RDP client sends them, so they
 * are UNSUPPORTED rather than guessed at, and the function returns 0.
 */
static int gcc_create_request(struct span *s, struct span *blocks, enum dec_status *st)
{
	struct cur *c = &s->c;

	if (!gcc_connect_data(s, st))
		return 0;
	uint8_t choice = cur_u8(c);
	uint8_t opts = cur_u8(c);
	if (c->err)
		return 0;
	if (choice & 0x70) { /* another ConnectGCCPDU: not what RDP sends */
		cur_fail(c, CUR_INVALID);
		return 0;
	}
	if (choice != 0x00 || opts != 0x08) {
		note(st, DEC_UNSUPPORTED);
		return 0;
	}
	size_t digits = (size_t)cur_u8(c) + 1;
	cur_skip(c, (digits + 1) / 2);
	(void)cur_u8(c);
	return gcc_user_data(s, "Duca", blocks, st);
}

/*
 * The BER application tag of a connect PDU (7f 65 / 7f 66) and its
 * definite length: *pdu spans its contents.  Returns 0 when unreadable.
 */
static int open_connect_pdu(struct span *top, uint8_t app, struct span *pdu, enum dec_status *st)
{
	uint8_t t0 = cur_u8(&top->c), t1 = cur_u8(&top->c);
	if (!top->c.err && (t0 != 0x7f || t1 != app))
		cur_fail(&top->c, CUR_INVALID);
	size_t len = cur_ber_len(&top->c);
	*pdu = span_sub(top, len, st);
	if (top->c.err) {
		note(st, top->c.err == CUR_INVALID ? DEC_INVALID : DEC_TRUNCATED);
		return 0;
	}
	return 1;
}

/*
 * MS-RDPBCGR 2.2.1.3 Client MCS Connect Initial PDU, T.125 7 part 2
 * Connect-Initial (BER, definite lengths):
 *
 *   7f 65 L             [APPLICATION 101] Connect-Initial
 *     04 L ..           callingDomainSelector  OCTET STRING
 *     04 L ..           calledDomainSelector   OCTET STRING
 *     01 01 ff          upwardFlag             BOOLEAN
 *     30 L ..           targetParameters       DomainParameters
 *     30 L ..           minimumParameters      DomainParameters
 *     30 L ..           maximumParameters      DomainParameters
 *     04 L              userData               OCTET STRING
 *       [GCC ConferenceCreateRequest]
 *         [TS_UD_HEADER + block]...  CS_CORE, CS_SECURITY, CS_NET, ...
 */
enum dec_status mcs_parse_connect_initial(struct cur *c, struct mcs_ci_facts *f)
{
	enum dec_status st = DEC_OK;
	uint64_t frame = f->frame;
	struct span top = {*c, SIZE_MAX};

	memset(f, 0, sizeof *f);
	f->frame = frame;

	struct span ci;
	if (!open_connect_pdu(&top, 0x65, &ci, &st))
		goto out;

	struct span sel = ber_elem(&ci, 0x04, 0, SIZE_MAX, &st); /* callingDomainSelector */
	note(&st, span_end(&sel));
	sel = ber_elem(&ci, 0x04, 0, SIZE_MAX, &st);             /* calledDomainSelector */
	note(&st, span_end(&sel));
	struct span up = ber_elem(&ci, 0x01, 1, 1, &st);         /* upwardFlag */
	cur_skip(&up.c, 1);
	note(&st, span_end(&up));
	for (int i = 0; i < 3 && !ci.c.err; i++)
		ber_domain_params(&ci, &st);
	struct span ud = ber_elem(&ci, 0x04, 0, SIZE_MAX, &st);
	struct span blocks;
	if (!ud.c.err && gcc_create_request(&ud, &blocks, &st))
		cs_blocks(&blocks, f, &st);
	note(&st, span_end(&ud));
	note(&st, span_end(&ci));
out:
	*c = top.c.err ? *c : top.c;
	f->status = st;
	return st;
}

/* ---- server settings (MS-RDPBCGR 2.2.1.4.x) ---------------------------- */

#define CERT_CHAIN_VERSION_1 0x00000001
#define CERT_CHAIN_VERSION_2 0x00000002
#define CERT_CHAIN_VERSION_MASK 0x7FFFFFFF
#define CERT_TEMPORARY 0x80000000
#define BB_RSA_KEY_BLOB 0x0006
#define RSA1_MAGIC 0x31415352 /* "RSA1" little-endian */

/*
 * MS-RDPBCGR 2.2.1.4.3.1.1 PROPRIETARYSERVERCERTIFICATE (after dwVersion)
 * and 2.2.1.4.3.1.1.1 RSA_PUBLIC_KEY:
 *
 *   0   dwSigAlgId          u32   SIGNATURE_ALG_RSA (1)
 *   4   dwKeyAlgId          u32   KEY_EXCHANGE_ALG_RSA (1)
 *   8   wPublicKeyBlobType  u16   BB_RSA_KEY_BLOB (6)
 *   10  wPublicKeyBlobLen   u16
 *   12  PublicKeyBlob:
 *         magic    u32  "RSA1"
 *         keylen   u32  modulus bytes + 8 bytes of padding
 *         bitlen   u32  modulus bits
 *         datalen  u32
 *         pubExp   u32
 *         modulus  keylen bytes
 *   ..  wSignatureBlobType u16, wSignatureBlobLen u16, SignatureBlob
 */
static void srv_cert_proprietary(struct span *s, struct mcs_cr_facts *f, enum dec_status *st)
{
	struct cur *c = &s->c;

	(void)cur_le32(c); /* dwSigAlgId */
	(void)cur_le32(c); /* dwKeyAlgId */
	uint16_t blob_type = cur_le16(c);
	uint16_t blob_len = cur_le16(c);
	if (c->err)
		return;
	if (blob_type != BB_RSA_KEY_BLOB) {
		cur_fail(c, CUR_INVALID);
		return;
	}
	struct span k = span_sub(s, blob_len, st);
	uint32_t magic = cur_le32(&k.c);
	(void)cur_le32(&k.c); /* keylen */
	uint32_t bitlen = cur_le32(&k.c);
	if (!k.c.err && magic != RSA1_MAGIC)
		cur_fail(&k.c, CUR_INVALID);
	if (!k.c.err)
		f->proprietary_key_bits = (int)clamp_int(bitlen);
	/* datalen, pubExp, modulus and the signature blob are not needed */
	note(st, span_end(&k));
}

/*
 * MS-RDPBCGR 2.2.1.4.3.1 (X.509 branch) and MS-RDPELE 2.2.1.4.2
 * X509 _CERTIFICATE_CHAIN (after dwVersion):
 *
 *   0  NumCertBlobs  u32
 *   4  CertBlobArray NumCertBlobs x { cbCert u32, abCert[cbCert] (DER) }
 *   .. Padding       8 + 4 * NumCertBlobs bytes
 *
 * The certificates are kept in wire order: in this chain the LAST one is
 * the server's own (leaf) certificate, the first is the root.  The count
 * is kept as declared; the loop stops at the bytes present.
 */
static void srv_cert_x509(struct span *s, struct mcs_cr_facts *f, enum dec_status *st)
{
	struct cur *c = &s->c;
	uint32_t n = cur_le32(c);
	uint32_t i;

	if (c->err)
		return;
	f->x509_chain_len = (int)clamp_int(n);
	for (i = 0; i < n && cur_left(c) >= 4; i++) {
		uint32_t cb = cur_le32(c);
		struct span der = span_sub(s, cb, st);
		size_t have = cur_left(&der.c);
		if (have < cb) {
			note(st, span_end(&der)); /* a partial certificate is not parsed */
			break;
		}
		if (i < CERT_MAX) {
			const uint8_t *p = cur_bytes(&der.c, have);
			note(st, x509_parse_der(p, have, &f->x509[i]));
			f->x509[i].der_len = (uint32_t)have;
			f->x509_stored = (int)i + 1;
		}
	}
	if (i < n)
		cur_need(c, 4); /* fewer certificates than declared */
	/* the padding after the array is not checked */
}

/*
 * MS-RDPBCGR 2.2.1.4.3.1 SERVER_CERTIFICATE:
 *
 *   0  dwVersion  u32   bit 31 t: temporary; bits 0-30: CERT_CHAIN_VERSION_1
 *                       (proprietary) or CERT_CHAIN_VERSION_2 (X.509)
 *   4  certData   the rest
 */
static void srv_certificate(struct span *s, struct mcs_cr_facts *f, enum dec_status *st)
{
	uint32_t ver = cur_le32(&s->c);
	if (s->c.err)
		return;
	f->cert_permanent = !(ver & CERT_TEMPORARY);
	switch (ver & CERT_CHAIN_VERSION_MASK) {
	case CERT_CHAIN_VERSION_1:
		f->cert_type = SRV_CERT_PROPRIETARY;
		srv_cert_proprietary(s, f, st);
		break;
	case CERT_CHAIN_VERSION_2:
		f->cert_type = SRV_CERT_X509;
		srv_cert_x509(s, f, st);
		break;
	default:
		cur_fail(&s->c, CUR_INVALID);
		break;
	}
}

/*
 * MS-RDPBCGR 2.2.1.4.2 TS_UD_SC_CORE:
 *
 *   0  version                     u32
 *   4  clientRequestedProtocols    u32   optional
 *   8  earlyCapabilityFlags        u32   optional
 */
static void sc_core(struct span *b, struct mcs_cr_facts *f)
{
	f->server_version = cur_le32(&b->c);
	if (!b->c.err && opt_field(b, 4))
		f->client_requested_protocols = cur_le32(&b->c);
}

/*
 * MS-RDPBCGR 2.2.1.4.3 TS_UD_SC_SEC1:
 *
 *   0   encryptionMethod    u32
 *   4   encryptionLevel     u32
 *   8   serverRandomLen     u32   \  absent when method and level are both 0
 *   12  serverCertLen       u32    | (Enhanced RDP Security: TLS / CredSSP)
 *   16  serverRandom        serverRandomLen bytes
 *   ..  serverCertificate   serverCertLen bytes
 */
static void sc_security(struct span *b, struct mcs_cr_facts *f, enum dec_status *st)
{
	struct cur *c = &b->c;

	f->has_security = 1;
	f->encryption_method = cur_le32(c);
	f->encryption_level = cur_le32(c);
	if (c->err || !opt_field(b, 8))
		return;
	f->server_random_len = cur_le32(c);
	f->server_cert_len = cur_le32(c);
	cur_skip(c, f->server_random_len);
	if (c->err || f->server_cert_len == 0)
		return;
	struct span cert = span_sub(b, f->server_cert_len, st);
	srv_certificate(&cert, f, st);
	note(st, span_end(&cert));
}

/*
 * MS-RDPBCGR 2.2.1.4.4 TS_UD_SC_NET:
 *
 *   0  MCSChannelId     u16   the I/O channel
 *   2  channelCount     u16
 *   4  channelIdArray   channelCount x u16
 *   .. Pad              2 bytes when channelCount is odd (often omitted)
 */
static void sc_net(struct span *b, struct mcs_cr_facts *f)
{
	f->io_channel = cur_le16(&b->c);
	uint16_t count = cur_le16(&b->c);
	if (b->c.err)
		return;
	f->channel_count = count;
	cur_skip(&b->c, (size_t)count * 2);
}

static void sc_blocks(struct span *ud, struct mcs_cr_facts *f, enum dec_status *st)
{
	while (cur_left(&ud->c) > 0) {
		uint16_t type = cur_le16(&ud->c);
		uint16_t len = cur_le16(&ud->c);
		if (ud->c.err)
			break;
		if (len < TS_UD_HEADER_LEN) {
			cur_fail(&ud->c, CUR_INVALID);
			break;
		}
		struct span b = span_sub(ud, len - TS_UD_HEADER_LEN, st);
		switch (type) {
		case SC_CORE:
			sc_core(&b, f);
			break;
		case SC_SECURITY:
			sc_security(&b, f, st);
			break;
		case SC_NET:
			sc_net(&b, f);
			break;
		default:
			break; /* SC_MCS_MSGCHANNEL, SC_MULTITRANSPORT: not needed */
		}
		note(st, span_end(&b));
	}
	note(st, span_end(ud));
}

/*
 * T.124 8.7 ConferenceCreateResponse, as MS-RDPBCGR 2.2.1.4 and 4.1.4 send it:
 *
 *   [ConnectData: key 0.0.20.124.0.1, connectPDU length (0x2a from Windows)]
 *   14        ConnectGCCPDU CHOICE conferenceCreateResponse (1), userData present
 *   NN NN     nodeID - 1001
 *   01 TT     tag: INTEGER, length then value
 *   00        result: success (ENUMERATED)
 *   [UserData: 01 c0 00 "McDn" L]
 */
static int gcc_create_response(struct span *s, struct span *blocks, enum dec_status *st)
{
	struct cur *c = &s->c;

	if (!gcc_connect_data(s, st))
		return 0;
	uint8_t choice = cur_u8(c);
	if (c->err)
		return 0;
	if (((choice >> 4) & 7) != 1) { /* another ConnectGCCPDU */
		cur_fail(c, CUR_INVALID);
		return 0;
	}
	if (choice != 0x14) { /* extensions, or no user data */
		note(st, DEC_UNSUPPORTED);
		return 0;
	}
	(void)cur_be16(c); /* nodeID */
	uint8_t tag_len = cur_u8(c);
	if (!c->err && (tag_len == 0 || tag_len > 4))
		cur_fail(c, CUR_INVALID);
	cur_skip(c, tag_len);
	(void)cur_u8(c); /* result */
	return gcc_user_data(s, "McDn", blocks, st);
}

/*
 * MS-RDPBCGR 2.2.1.4 Server MCS Connect Response PDU, T.125 7 part 2
 * Connect-Response (BER):
 *
 *   7f 66 L             [APPLICATION 102] Connect-Response
 *     0a L ..           result            ENUMERATED (0 rt-successful)
 *     02 L ..           calledConnectId   INTEGER
 *     30 L ..           domainParameters  DomainParameters
 *     04 L              userData          OCTET STRING
 *       [GCC ConferenceCreateResponse]
 *         [TS_UD_HEADER + block]...  SC_CORE, SC_NET, SC_SECURITY, ...
 *
 * A refusing server may send the result alone (MS-RDPBCGR 3.3.5.3.3.1).
 */
enum dec_status mcs_parse_connect_response(struct cur *c, struct mcs_cr_facts *f)
{
	enum dec_status st = DEC_OK;
	uint64_t frame = f->frame;
	struct span top = {*c, SIZE_MAX};

	memset(f, 0, sizeof *f);
	f->frame = frame;

	struct span cr;
	if (!open_connect_pdu(&top, 0x66, &cr, &st))
		goto out;

	f->result = ber_uint(&cr, 0x0a, &st);
	if (f->result != 0 && !cr.c.err && cur_left(&cr.c) == 0 && !cr.missing)
		goto done;
	(void)ber_uint(&cr, 0x02, &st); /* calledConnectId */
	ber_domain_params(&cr, &st);
	struct span ud = ber_elem(&cr, 0x04, 0, SIZE_MAX, &st);
	struct span blocks;
	if (!ud.c.err && gcc_create_response(&ud, &blocks, &st))
		sc_blocks(&blocks, f, &st);
	note(&st, span_end(&ud));
done:
	note(&st, span_end(&cr));
out:
	*c = top.c.err ? *c : top.c;
	f->status = st;
	return st;
}

enum mcs_connect_kind mcs_connect_kind(const struct cur *c)
{
	struct cur k = *c;
	uint8_t t0 = cur_u8(&k), t1 = cur_u8(&k);

	if (k.err || t0 != 0x7f)
		return MCS_NOT_CONNECT;
	if (t1 == 0x65)
		return MCS_CONNECT_INITIAL;
	if (t1 == 0x66)
		return MCS_CONNECT_RESPONSE;
	return MCS_NOT_CONNECT;
}

/* ---- domain PDUs (T.125 7 parts 3-10, PER) ----------------------------- */

#define MCS_DOMAIN_PDU_COUNT 43 /* DomainMCSPDU alternatives 0..42 */

/* Security header flags (MS-RDPBCGR 2.2.8.1.1.2.1) */
#define SEC_EXCHANGE_PKT 0x0001
#define SEC_ENCRYPT 0x0008
#define SEC_INFO_PKT 0x0040
/* Share control / data headers (2.2.8.1.1.1.1, 2.2.8.1.1.1.2) */
#define TS_PROTOCOL_VERSION 0x0010
#define PDUTYPE_MASK 0x000F
#define PDUTYPE_DATAPDU 0x7
#define PDUTYPE2_SET_ERROR_INFO_PDU 0x2F
#define PACKET_COMPRESSED 0x20
#define SHARE_CONTROL_LEN 6
#define SHARE_DATA_LEN 18 /* share control header included */

static void keep_first(uint64_t *slot, uint64_t frame)
{
	if (*slot == 0 || (frame && frame < *slot))
		*slot = frame;
}

/* True when the next bytes look like a TS_SHARECONTROLHEADER whose
 * totalLength covers exactly the `declared` bytes of the user data. */
static int is_share_control(const struct cur *c, size_t declared)
{
	struct cur k = *c;
	uint16_t total = cur_le16(&k);
	uint16_t type = cur_le16(&k);
	return !k.err && total == declared && (type & ~PDUTYPE_MASK) == TS_PROTOCOL_VERSION;
}

/*
 * MS-RDPBCGR 2.2.8.1.1.1.2 TS_SHAREDATAHEADER and 2.2.5.1.1
 * TS_SET_ERROR_INFO_PDU, read only when sent in the clear:
 *
 *   0   totalLength         u16  \
 *   2   pduType             u16   | TS_SHARECONTROLHEADER (PDUTYPE_DATAPDU)
 *   4   pduSource           u16  /
 *   6   shareId             u32
 *   10  pad1, streamId      u8 u8
 *   12  uncompressedLength  u16
 *   14  pduType2            u8   PDUTYPE2_SET_ERROR_INFO_PDU (0x2F)
 *   15  compressedType      u8
 *   16  compressedLength    u16
 *   18  errorInfo           u32
 */
static void share_data(struct cur *c, uint64_t frame, struct mcs_domain_facts *f)
{
	(void)cur_le16(c); /* totalLength */
	uint16_t type = cur_le16(c);
	cur_skip(c, 2 + 4 + 1 + 1 + 2); /* pduSource .. uncompressedLength */
	uint8_t type2 = cur_u8(c);
	uint8_t ctype = cur_u8(c);
	(void)cur_le16(c); /* compressedLength */
	uint32_t info = cur_le32(c);
	if (c->err || (type & PDUTYPE_MASK) != PDUTYPE_DATAPDU ||
	    type2 != PDUTYPE2_SET_ERROR_INFO_PDU || (ctype & PACKET_COMPRESSED))
		return;
	if (f->error_info_frame == 0 || (frame && frame < f->error_info_frame)) {
		f->error_info_frame = frame;
		f->error_info = info;
	}
}

/*
 * MS-RDPBCGR 2.2.8.1.1.2.1 TS_SECURITY_HEADER, present with Standard RDP
 * Security and always on the Client Info PDU; absent on most PDUs under
 * TLS, where the share control header comes first:
 *
 *   0  flags    u16   SEC_EXCHANGE_PKT, SEC_ENCRYPT, SEC_INFO_PKT ...
 *   2  flagsHi  u16
 *   4  (SEC_ENCRYPT: 8-byte MAC, then encrypted data)
 *
 * The two are told apart by the share control header's totalLength, which
 * must equal the declared data length.  Under TLS a virtual channel PDU could still
 * carry bits that look like SEC_INFO_PKT; only the first occurrence is
 * kept, and the real Client Info PDU precedes any channel data.
 */
static void send_data_payload(struct cur *d, size_t declared, int choice, uint64_t frame,
			      struct mcs_domain_facts *f)
{
	if (is_share_control(d, declared)) {
		if (choice == MCS_SEND_DATA_INDICATION)
			share_data(d, frame, f);
		return;
	}
	uint16_t flags = cur_le16(d);
	(void)cur_le16(d); /* flagsHi */
	if (d->err)
		return;
	if (choice == MCS_SEND_DATA_REQUEST) {
		if (flags & SEC_EXCHANGE_PKT)
			keep_first(&f->security_exchange_frame, frame);
		if (flags & SEC_INFO_PKT)
			keep_first(&f->client_info_frame, frame);
	}
	if (choice == MCS_SEND_DATA_INDICATION && !(flags & SEC_ENCRYPT) &&
	    is_share_control(d, declared - 4))
		share_data(d, frame, f);
}

/*
 * The DomainMCSPDU CHOICE index is the top six bits of the first byte.
 *
 * MS-RDPBCGR 2.2.2.3 / 4.2.3 DisconnectProviderUltimatum: the 3-bit reason
 * follows the choice, straddling the first two bytes:
 *
 *   byte 0: c c c c c c r r     byte 1: r p p p p p p p
 *           choice (8)  reason bits 2-1      reason bit 0, padding
 *
 *   (21 80 = rn-user-requested (3).)
 *
 * MS-RDPBCGR 2.2.1.11 / T.125 SendDataRequest / SendDataIndication:
 *
 *   0  choice << 2          u8
 *   1  initiator - 1001     u16 BE
 *   3  channelId            u16 BE
 *   5  dataPriority, segmentation  u8
 *   6  userData length      PER, 1 or 2 bytes
 *   .. userData
 */
int mcs_note_domain_pdu(struct cur *c, int dir, uint64_t frame, struct mcs_domain_facts *f)
{
	if (mcs_connect_kind(c) != MCS_NOT_CONNECT)
		return -1;
	uint8_t b0 = cur_u8(c);
	if (c->err)
		return -1;
	int choice = b0 >> 2;
	if (choice >= MCS_DOMAIN_PDU_COUNT)
		return -1;

	switch (choice) {
	case MCS_ERECT_DOMAIN_REQUEST:
		keep_first(&f->erect_domain_frame, frame);
		break;
	case MCS_ATTACH_USER_REQUEST:
		keep_first(&f->attach_user_request_frame, frame);
		break;
	case MCS_ATTACH_USER_CONFIRM:
		keep_first(&f->attach_user_confirm_frame, frame);
		break;
	case MCS_CHANNEL_JOIN_REQUEST:
		f->channel_join_requests++;
		break;
	case MCS_CHANNEL_JOIN_CONFIRM:
		f->channel_join_confirms++;
		break;
	case MCS_DISCONNECT_PROVIDER_ULTIMATUM: {
		uint8_t b1 = cur_u8(c);
		if (c->err)
			break;
		if (f->disconnect_frame == 0 || (frame && frame < f->disconnect_frame)) {
			f->disconnect_frame = frame;
			f->disconnect_dir = (uint8_t)dir;
			f->disconnect_reason = (uint8_t)((b0 & 0x03) << 1 | b1 >> 7);
		}
		break;
	}
	case MCS_SEND_DATA_REQUEST:
	case MCS_SEND_DATA_INDICATION: {
		size_t len;
		cur_skip(c, 2 + 2 + 1); /* initiator, channelId, priority */
		if (!per_len(c, &len) || c->err)
			break;
		struct cur d = cur_sub(c, len, NULL);
		send_data_payload(&d, len, choice, frame, f);
		break;
	}
	default:
		break;
	}
	return choice;
}

/* ---- name tables -------------------------------------------------------- */

/* T.125 7 part 10, DomainMCSPDU, in CHOICE order. */
static const struct tok domain_pdu_names[] = {
	{0, "plumbDomainIndication"},
	{1, "erectDomainRequest"},
	{2, "mergeChannelsRequest"},
	{3, "mergeChannelsConfirm"},
	{4, "purgeChannelsIndication"},
	{5, "mergeTokensRequest"},
	{6, "mergeTokensConfirm"},
	{7, "purgeTokensIndication"},
	{8, "disconnectProviderUltimatum"},
	{9, "rejectMCSPDUUltimatum"},
	{10, "attachUserRequest"},
	{11, "attachUserConfirm"},
	{12, "detachUserRequest"},
	{13, "detachUserIndication"},
	{14, "channelJoinRequest"},
	{15, "channelJoinConfirm"},
	{16, "channelLeaveRequest"},
	{17, "channelConveneRequest"},
	{18, "channelConveneConfirm"},
	{19, "channelDisbandRequest"},
	{20, "channelDisbandIndication"},
	{21, "channelAdmitRequest"},
	{22, "channelAdmitIndication"},
	{23, "channelExpelRequest"},
	{24, "channelExpelIndication"},
	{25, "sendDataRequest"},
	{26, "sendDataIndication"},
	{27, "uniformSendDataRequest"},
	{28, "uniformSendDataIndication"},
	{29, "tokenGrabRequest"},
	{30, "tokenGrabConfirm"},
	{31, "tokenInhibitRequest"},
	{32, "tokenInhibitConfirm"},
	{33, "tokenGiveRequest"},
	{34, "tokenGiveIndication"},
	{35, "tokenGiveResponse"},
	{36, "tokenGiveConfirm"},
	{37, "tokenPleaseRequest"},
	{38, "tokenPleaseIndication"},
	{39, "tokenReleaseRequest"},
	{40, "tokenReleaseConfirm"},
	{41, "tokenTestRequest"},
	{42, "tokenTestConfirm"},
	{0, NULL},
};
_Static_assert(sizeof domain_pdu_names / sizeof domain_pdu_names[0] == MCS_DOMAIN_PDU_COUNT + 1,
	       "domain_pdu_names covers every DomainMCSPDU alternative");

const char *mcs_domain_pdu_name(int choice)
{
	if (choice < 0)
		return NULL;
	return tok_name(domain_pdu_names, (uint32_t)choice);
}

/*
 * Windows keyboard layout identifiers (KLID): the low word is the language,
 * the high word a variant of it (0x0001xxxx, 0x0002xxxx ...).
 */
static const struct tok keyboard_names[] = {
	{0x00000401, "Arabic (101)"},
	{0x00000402, "Bulgarian (Typewriter)"},
	{0x00000404, "Chinese (Traditional)"},
	{0x00000405, "Czech"},
	{0x00000406, "Danish"},
	{0x00000407, "German"},
	{0x00000408, "Greek"},
	{0x00000409, "English (United States)"},
	{0x0000040a, "Spanish (Traditional Sort)"},
	{0x0000040b, "Finnish"},
	{0x0000040c, "French"},
	{0x0000040d, "Hebrew"},
	{0x0000040e, "Hungarian"},
	{0x0000040f, "Icelandic"},
	{0x00000410, "Italian"},
	{0x00000411, "Japanese"},
	{0x00000412, "Korean"},
	{0x00000413, "Dutch"},
	{0x00000414, "Norwegian"},
	{0x00000415, "Polish (Programmers)"},
	{0x00000416, "Portuguese (Brazil)"},
	{0x00000418, "Romanian"},
	{0x00000419, "Russian"},
	{0x0000041a, "Croatian"},
	{0x0000041b, "Slovak"},
	{0x0000041c, "Albanian"},
	{0x0000041d, "Swedish"},
	{0x0000041e, "Thai (Kedmanee)"},
	{0x0000041f, "Turkish (Q)"},
	{0x00000420, "Urdu"},
	{0x00000422, "Ukrainian"},
	{0x00000423, "Belarusian"},
	{0x00000424, "Slovenian"},
	{0x00000425, "Estonian"},
	{0x00000426, "Latvian"},
	{0x00000427, "Lithuanian (IBM)"},
	{0x00000429, "Persian"},
	{0x0000042a, "Vietnamese"},
	{0x0000042b, "Armenian (Eastern)"},
	{0x0000042c, "Azerbaijani (Latin)"},
	{0x0000042f, "Macedonian"},
	{0x00000437, "Georgian"},
	{0x00000438, "Faroese"},
	{0x00000439, "Hindi (Devanagari - INSCRIPT)"},
	{0x0000043a, "Maltese (47-key)"},
	{0x0000043b, "Norwegian with Sami"},
	{0x0000043f, "Kazakh"},
	{0x00000440, "Kyrgyz (Cyrillic)"},
	{0x00000444, "Tatar"},
	{0x00000445, "Bengali"},
	{0x00000446, "Punjabi"},
	{0x00000447, "Gujarati"},
	{0x00000449, "Tamil"},
	{0x0000044a, "Telugu"},
	{0x0000044b, "Kannada"},
	{0x0000044c, "Malayalam"},
	{0x0000044e, "Marathi"},
	{0x00000450, "Mongolian (Cyrillic)"},
	{0x00000452, "English (United Kingdom Extended)"},
	{0x0000045a, "Syriac"},
	{0x00000465, "Divehi (Phonetic)"},
	{0x00000481, "Maori"},
	{0x00000804, "Chinese (Simplified)"},
	{0x00000807, "German (Switzerland)"},
	{0x00000809, "English (United Kingdom)"},
	{0x0000080a, "Spanish (Latin America)"},
	{0x0000080c, "French (Belgium)"},
	{0x00000813, "Dutch (Belgium)"},
	{0x00000816, "Portuguese (Portugal)"},
	{0x0000081a, "Serbian (Latin)"},
	{0x0000082c, "Azerbaijani (Cyrillic)"},
	{0x0000083b, "Swedish with Sami"},
	{0x00000843, "Uzbek (Cyrillic)"},
	{0x00000c04, "Chinese (Traditional, Hong Kong)"},
	{0x00000c0a, "Spanish"},
	{0x00000c0c, "French (Canada, Legacy)"},
	{0x00000c1a, "Serbian (Cyrillic)"},
	{0x00001004, "Chinese (Simplified, Singapore)"},
	{0x00001009, "French (Canada)"},
	{0x0000100c, "French (Switzerland)"},
	{0x00001809, "English (Ireland)"},
	{0x00010401, "Arabic (102)"},
	{0x00010402, "Bulgarian (Latin)"},
	{0x00010405, "Czech (QWERTY)"},
	{0x00010407, "German (IBM)"},
	{0x00010408, "Greek (220)"},
	{0x00010409, "United States-Dvorak"},
	{0x0001040a, "Spanish Variation"},
	{0x0001040e, "Hungarian (101-key)"},
	{0x00010410, "Italian (142)"},
	{0x00010415, "Polish (214)"},
	{0x00010416, "Portuguese (Brazil ABNT2)"},
	{0x00010418, "Romanian (Standard)"},
	{0x00010419, "Russian (Typewriter)"},
	{0x0001041b, "Slovak (QWERTY)"},
	{0x0001041e, "Thai (Pattachote)"},
	{0x0001041f, "Turkish (F)"},
	{0x00010426, "Latvian (QWERTY)"},
	{0x00010427, "Lithuanian"},
	{0x0001042b, "Armenian (Western)"},
	{0x0001080c, "Belgian (Comma)"},
	{0x00011009, "Canadian Multilingual Standard"},
	{0x00020408, "Greek (319)"},
	{0x00020409, "United States-International"},
	{0x00020418, "Romanian (Programmers)"},
	{0x0002041e, "Thai (Kedmanee, non-ShiftLock)"},
	{0x00030409, "United States-Dvorak for left hand"},
	{0x0003041e, "Thai (Pattachote, non-ShiftLock)"},
	{0x00040409, "United States-Dvorak for right hand"},
	{0, NULL},
};

const char *gcc_keyboard_name(uint32_t layout)
{
	return tok_name(keyboard_names, layout);
}

/* MS-RDPBCGR 2.2.1.4.3 encryptionMethod (one of the *_ENCRYPTION_FLAG bits) */
static const struct tok encryption_method_names[] = {
	{0x00000000, "None"},
	{0x00000001, "40-bit RC4"},
	{0x00000002, "128-bit RC4"},
	{0x00000008, "56-bit RC4"},
	{0x00000010, "FIPS"},
	{0, NULL},
};

const char *gcc_encryption_method_name(uint32_t m)
{
	return tok_name(encryption_method_names, m);
}

/* MS-RDPBCGR 2.2.1.4.3 encryptionLevel */
static const struct tok encryption_level_names[] = {
	{0, "none"},
	{1, "low"},
	{2, "client compatible"},
	{3, "high"},
	{4, "FIPS"},
	{0, NULL},
};

const char *gcc_encryption_level_name(uint32_t l)
{
	return tok_name(encryption_level_names, l);
}

/*
 * MS-RDPBCGR 2.2.1.3.2 version: the protocol generation, not the client
 * release: everything from RDP 5.0 to 8.1 sends 0x00080004.
 */
static const struct tok rdp_version_names[] = {
	{0x00080001, "RDP 4.0"},
	{0x00080004, "RDP 5.0 - 8.1"},
	{0x00080005, "RDP 10.0"},
	{0x00080006, "RDP 10.1"},
	{0x00080007, "RDP 10.2"},
	{0x00080008, "RDP 10.3"},
	{0x00080009, "RDP 10.4"},
	{0x0008000a, "RDP 10.5"},
	{0x0008000b, "RDP 10.6"},
	{0x0008000c, "RDP 10.7"},
	{0x0008000d, "RDP 10.8"},
	{0x0008000e, "RDP 10.9"},
	{0x0008000f, "RDP 10.10"},
	{0x00080010, "RDP 10.11"},
	{0x00080011, "RDP 10.12"},
	{0, NULL},
};

const char *gcc_rdp_version_name(uint32_t version)
{
	return tok_name(rdp_version_names, version);
}

/*
 * clientBuild is the Windows build of mstsc.exe; the releases that
 * shipped a new Remote Desktop Connection name the client the way Zeek
 * and Windows' own "About" box do.  A Remote Desktop Connection update
 * installed on an older Windows reports its own build (an XP machine
 * with RDC 6.0 sends 6000).
 */
static const struct tok client_build_names[] = {
	{419, "RDP 4.0"},    /* NT 4.0 Terminal Server Edition */
	{2195, "RDP 5.0"},   /* Windows 2000 */
	{2221, "RDP 5.0"},   /* Windows 2000 client for older Windows */
	{2600, "RDP 5.1"},   /* Windows XP */
	{3790, "RDP 5.2"},   /* Windows Server 2003 */
	{6000, "RDP 6.0"},   /* Windows Vista */
	{6001, "RDP 6.1"},   /* Vista SP1, Server 2008, XP SP3 */
	{6002, "RDP 6.1"},   /* Vista SP2: still RDC 6.1 (Zeek says 6.2) */
	{7600, "RDP 7.0"},   /* Windows 7 */
	{7601, "RDP 7.1"},   /* Windows 7 SP1 */
	{9200, "RDP 8.0"},   /* Windows 8, Server 2012 */
	{9600, "RDP 8.1"},   /* Windows 8.1, Server 2012 R2 */
	{10240, "RDP 10.0"}, /* Windows 10 1507 */
	{0, NULL},
};

const char *gcc_client_build_name(uint32_t build)
{
	return tok_name(client_build_names, build);
}

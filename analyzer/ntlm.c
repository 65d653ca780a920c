/*
 * ntlm.c - CredSSP TSRequest (MS-CSSP 2.2.1) and NTLM CHALLENGE_MESSAGE
 * (MS-NLMP 2.2.1.2) decoding, the probe's NEGOTIATE TSRequest, and the
 * name comparisons of the name-consistency check.
 */
#include "ntlm.h"

#include <stdio.h>
#include <string.h>

/* ---- DER (X.690), the subset CredSSP uses ----------------------------- */

/*
 * A window over one element's contents.  `cut` says the declared length
 * ran past the data we have: running out inside it is then TRUNCATED (the
 * bytes stopped), while running out inside a whole window is INVALID (a
 * length that lies about what it holds).
 */
struct win {
	struct cur c;
	int cut;
};

static void note(enum dec_status *st, const struct win *w)
{
	if (*st != DEC_OK || !w->c.err)
		return;
	if (w->c.err == CUR_TRUNCATED)
		*st = w->cut ? DEC_TRUNCATED : DEC_INVALID;
	else
		*st = DEC_INVALID;
}

/*
 * The next element of w: its one-byte tag in *tag, a window over its
 * contents.  A length beyond a whole parent latches INVALID in the parent;
 * beyond a cut parent, the child is cut too.  On error the child window
 * carries the parent's error and is empty.
 */
static struct win der_elem(struct win *w, uint8_t *tag)
{
	struct win e = {{w->c.p, w->c.p, CUR_OK}, 0};
	*tag = cur_u8(&w->c);
	if (!w->c.err && (*tag & 0x1f) == 0x1f)
		cur_fail(&w->c, CUR_INVALID); /* high tag numbers: not in CredSSP */
	size_t len = cur_ber_len(&w->c);
	if (!w->c.err && len > cur_left(&w->c)) {
		if (!w->cut)
			cur_fail(&w->c, CUR_INVALID);
		e.cut = 1;
	}
	if (w->c.err) {
		e.c.err = w->c.err;
		e.cut = w->cut;
		return e;
	}
	e.c = cur_sub(&w->c, len, NULL);
	return e;
}

/* Contents of the next element, which must carry `tag`. */
static struct win der_expect(struct win *w, uint8_t tag, enum dec_status *st, const char **why,
			     const char *what)
{
	uint8_t t = 0;
	struct win e = der_elem(w, &t);
	note(st, w);
	if (*st == DEC_OK && t != tag) {
		*st = DEC_INVALID;
		*why = what;
	}
	return e;
}

/*
 * An INTEGER of 1 to 5 content bytes as its low 32 bits (two's
 * complement): errorCode carries NTSTATUS values such as 0xC000006D, which
 * some encoders write as 5 bytes (a 00 sign byte), others as 4.
 */
static uint32_t der_int32(struct win *w, int *negative, enum dec_status *st, const char **why)
{
	struct win v = der_expect(w, 0x02, st, why, "an INTEGER was expected");
	size_t n = cur_left(&v.c);
	uint32_t x = 0;

	if (*st != DEC_OK)
		return 0;
	if (v.cut) {
		*st = DEC_TRUNCATED;
		*why = "an INTEGER cut short";
		return 0;
	}
	if (n == 0 || n > 5 || (n == 5 && v.c.p[0] != 0x00 && v.c.p[0] != 0xff)) {
		*st = DEC_INVALID;
		*why = n == 0 ? "an empty INTEGER" : "an INTEGER wider than 32 bits";
		return 0;
	}
	*negative = (v.c.p[0] & 0x80) != 0;
	if (*negative)
		x = 0xffffffffu; /* sign extension */
	while (cur_left(&v.c) > 0)
		x = x << 8 | cur_u8(&v.c);
	note(st, &v);
	return x;
}

/* Anything left in an explicit tag after its one value is a lie. */
static void der_done(const struct win *w, enum dec_status *st, const char **why)
{
	if (*st == DEC_OK && cur_left(&w->c) > 0) {
		*st = DEC_INVALID;
		*why = "bytes after a field's value";
	}
}

enum dec_status credssp_frame_length(const uint8_t *p, size_t n, size_t *total)
{
	struct cur c = cur_make(p, n);
	*total = 0;
	if (n >= 1 && p[0] != 0x30)
		return DEC_INVALID;
	cur_skip(&c, 1);
	size_t len = cur_ber_len(&c);
	if (c.err)
		return c.err == CUR_INVALID ? DEC_INVALID : DEC_TRUNCATED;
	size_t hdr = (size_t)(c.p - p);
	if (len > SIZE_MAX - hdr)
		return DEC_INVALID;
	*total = hdr + len;
	return DEC_OK;
}

/*
 * NegoData (MS-CSSP 2.2.1.1), inside negoTokens [1]:
 *
 *   30 L                          SEQUENCE OF
 *     30 L                          SEQUENCE {
 *       a0 L 04 L TOKEN               negoToken [0] OCTET STRING }
 *     ...                           (further entries counted, not kept)
 */
static void nego_tokens(struct win *f, struct credssp_tsrequest *t, enum dec_status *st,
			const char **why)
{
	struct win seq = der_expect(f, 0x30, st, why, "negoTokens is not a SEQUENCE OF");
	while (*st == DEC_OK && cur_left(&seq.c) > 0) {
		if (++t->tokens > CREDSSP_TOKENS_MAX) {
			*st = DEC_INVALID;
			*why = "more negoTokens than CREDSSP_TOKENS_MAX";
			return;
		}
		struct win item = der_expect(&seq, 0x30, st, why, "a NegoData entry is not a SEQUENCE");
		struct win tok = der_expect(&item, 0xa0, st, why, "NegoData without negoToken [0]");
		struct win os = der_expect(&tok, 0x04, st, why, "negoToken is not an OCTET STRING");
		if (*st != DEC_OK)
			return;
		if (t->tokens == 1) {
			t->token = os.c.p;
			t->token_len = cur_left(&os.c);
		}
		der_done(&tok, st, why);
		der_done(&item, st, why);
	}
	note(st, &seq);
	der_done(f, st, why);
}

/*
 * TSRequest (MS-CSSP 2.2.1), DER, fields in tag order:
 *
 *   30 L                          TSRequest ::= SEQUENCE {
 *     a0 L 02 L INT                 version     [0] INTEGER,
 *     a1 L NegoData                 negoTokens  [1] OPTIONAL,
 *     a2 L 04 L ..                  authInfo    [2] OCTET STRING OPTIONAL,
 *     a3 L 04 L ..                  pubKeyAuth  [3] OCTET STRING OPTIONAL,
 *     a4 L 02 L INT                 errorCode   [4] INTEGER OPTIONAL (v3+),
 *     a5 L 04 L 32 bytes            clientNonce [5] OCTET STRING OPTIONAL (v5+)
 *                                 }  (later tags skipped)
 */
enum dec_status credssp_parse_tsrequest(struct cur *c, struct credssp_tsrequest *t,
					const char **why)
{
	enum dec_status st = DEC_OK;
	const char *w = NULL;
	struct win top = {*c, 1}; /* the bytes may stop early: cut */
	int last = -1, fields = 0, neg = 0;

	memset(t, 0, sizeof *t);
	struct win req = der_expect(&top, 0x30, &st, &w, "a TSRequest is a SEQUENCE");
	*c = top.c;
	while (st == DEC_OK && cur_left(&req.c) > 0) {
		uint8_t tag = 0;
		if (++fields > CREDSSP_FIELDS_MAX) {
			st = DEC_INVALID;
			w = "more TSRequest fields than CREDSSP_FIELDS_MAX";
			break;
		}
		struct win f = der_elem(&req, &tag);
		note(&st, &req);
		if (st != DEC_OK)
			break;
		int num = tag & 0x1f;
		if ((tag & 0xe0) != 0xa0) {
			st = DEC_INVALID;
			w = "a TSRequest field without a context tag";
		} else if (num <= last) {
			st = DEC_INVALID;
			w = "TSRequest fields repeated or out of order";
		} else if (last < 0 && num != 0) {
			st = DEC_INVALID;
			w = "a TSRequest without version [0]";
		}
		if (st != DEC_OK)
			break;
		last = num;
		switch (num) {
		case 0:
			t->version = der_int32(&f, &neg, &st, &w);
			if (st == DEC_OK && neg) {
				st = DEC_INVALID;
				w = "a negative TSRequest version";
			}
			der_done(&f, &st, &w);
			break;
		case 1:
			nego_tokens(&f, t, &st, &w);
			break;
		case 2:
		case 3:
		case 5:
			(void)der_expect(&f, 0x04, &st, &w, "an OCTET STRING was expected");
			der_done(&f, &st, &w);
			if (num == 2)
				t->have_auth_info = 1;
			else if (num == 3)
				t->have_pub_key_auth = 1;
			else
				t->have_client_nonce = 1;
			break;
		case 4:
			t->error_code = der_int32(&f, &neg, &st, &w);
			der_done(&f, &st, &w);
			t->have_error_code = st == DEC_OK;
			break;
		default:
			break; /* a later version's field: its window is skipped whole */
		}
		note(&st, &f);
	}
	if (st == DEC_OK && req.cut) {
		st = DEC_TRUNCATED;
		w = "the TSRequest is cut short";
	}
	if (st == DEC_OK && last < 0) {
		st = DEC_INVALID;
		w = "an empty TSRequest";
	}
	if (st != DEC_OK && !w)
		w = st == DEC_TRUNCATED ? "the TSRequest is cut short"
					: "a TSRequest length contradicts its contents";
	if (why)
		*why = w;
	return st;
}

/* ---- NTLM --------------------------------------------------------------- */

static const uint8_t ntlm_signature[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

static const struct tok flag_names[] = {
	{NTLMSSP_NEGOTIATE_UNICODE, "UNICODE"},
	{NTLM_NEGOTIATE_OEM, "OEM"},
	{NTLMSSP_REQUEST_TARGET, "REQUEST_TARGET"},
	{NTLMSSP_NEGOTIATE_SIGN, "SIGN"},
	{NTLMSSP_NEGOTIATE_SEAL, "SEAL"},
	{NTLMSSP_NEGOTIATE_DATAGRAM, "DATAGRAM"},
	{NTLMSSP_NEGOTIATE_LM_KEY, "LM_KEY"},
	{NTLMSSP_NEGOTIATE_NTLM, "NTLM"},
	{NTLMSSP_ANONYMOUS, "ANONYMOUS"},
	{NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED, "OEM_DOMAIN_SUPPLIED"},
	{NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED, "OEM_WORKSTATION_SUPPLIED"},
	{NTLMSSP_NEGOTIATE_ALWAYS_SIGN, "ALWAYS_SIGN"},
	{NTLMSSP_TARGET_TYPE_DOMAIN, "TARGET_TYPE_DOMAIN"},
	{NTLMSSP_TARGET_TYPE_SERVER, "TARGET_TYPE_SERVER"},
	{NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY, "EXTENDED_SESSIONSECURITY"},
	{NTLMSSP_NEGOTIATE_IDENTIFY, "IDENTIFY"},
	{NTLMSSP_REQUEST_NON_NT_SESSION_KEY, "REQUEST_NON_NT_SESSION_KEY"},
	{NTLMSSP_NEGOTIATE_TARGET_INFO, "TARGET_INFO"},
	{NTLMSSP_NEGOTIATE_VERSION, "VERSION"},
	{NTLMSSP_NEGOTIATE_128, "128"},
	{NTLMSSP_NEGOTIATE_KEY_EXCH, "KEY_EXCH"},
	{NTLMSSP_NEGOTIATE_56, "56"},
	{0, NULL},
};

const char *ntlm_flags_str(uint32_t flags, char *buf, size_t cap)
{
	size_t o = 0;
	uint32_t known = 0;

	if (!cap)
		return buf;
	buf[0] = '\0';
	for (const struct tok *t = flag_names; t->s; t++) {
		if (!(flags & t->v))
			continue;
		known |= t->v;
		int k = snprintf(buf + o, cap - o, "%s%s", o ? "|" : "", t->s);
		if (k < 0 || (size_t)k >= cap - o)
			return buf;
		o += (size_t)k;
	}
	if (flags & ~known)
		snprintf(buf + o, cap - o, "%s0x%x", o ? "|" : "", flags & ~known);
	return buf;
}

/*
 * 0xE2088297, what Windows clients ask for: with REQUEST_TARGET and
 * VERSION a Windows server answers with TargetName, TargetInfo and its
 * Version.  (LM_KEY is ignored next to EXTENDED_SESSIONSECURITY.)
 */
uint32_t ntlm_client_flags(void)
{
	return NTLMSSP_NEGOTIATE_56 | NTLMSSP_NEGOTIATE_KEY_EXCH | NTLMSSP_NEGOTIATE_128 |
	       NTLMSSP_NEGOTIATE_VERSION | NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY |
	       NTLMSSP_NEGOTIATE_ALWAYS_SIGN | NTLMSSP_NEGOTIATE_NTLM | NTLMSSP_NEGOTIATE_LM_KEY |
	       NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_REQUEST_TARGET |
	       NTLM_NEGOTIATE_OEM | NTLMSSP_NEGOTIATE_UNICODE;
}

/*
 * NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1), 40 bytes, no payload:
 *
 *    0  Signature "NTLMSSP\0"
 *    8  MessageType 1                       LE32
 *   12  NegotiateFlags                      LE32
 *   16  DomainNameFields  len, max, offset  0 (no OEM_DOMAIN_SUPPLIED)
 *   24  WorkstationFields len, max, offset  0
 *   32  Version: major 10, minor 0, build LE16, 3 reserved, revision 15
 *
 * wrapped in the TSRequest (all lengths short-form DER):
 *
 *   30 37  a0 03 02 01 06  a1 30  30 2e  30 2c  a0 2a  04 28  NEGOTIATE
 */
#define NTLM_NEGOTIATE_LEN 40
#define NTLM_CLIENT_BUILD 20348
#define NTLM_REVISION_W2K3 15

static void put_le16(uint8_t *b, size_t *o, unsigned v)
{
	b[(*o)++] = (uint8_t)(v & 0xff);
	b[(*o)++] = (uint8_t)(v >> 8 & 0xff);
}

static void put_le32(uint8_t *b, size_t *o, uint32_t v)
{
	put_le16(b, o, v & 0xffff);
	put_le16(b, o, v >> 16);
}

static void put_hdr(uint8_t *b, size_t *o, uint8_t tag, size_t len)
{
	b[(*o)++] = tag;
	b[(*o)++] = (uint8_t)len; /* short form: every length here is < 128 */
}

size_t credssp_build_ntlm_negotiate(uint8_t *buf, size_t cap)
{
	enum {
		OCTETS = 2 + NTLM_NEGOTIATE_LEN,
		TOKEN0 = 2 + OCTETS,
		ENTRY = 2 + TOKEN0,
		SEQOF = 2 + ENTRY,
		FIELD1 = 2 + SEQOF,
		FIELD0 = 5,
		BODY = FIELD0 + FIELD1,
		TOTAL = 2 + BODY,
	};
	_Static_assert(BODY < 128, "short-form DER lengths only");
	size_t o = 0;

	if (cap < TOTAL)
		return 0;
	put_hdr(buf, &o, 0x30, BODY);
	put_hdr(buf, &o, 0xa0, 3);
	put_hdr(buf, &o, 0x02, 1);
	buf[o++] = CREDSSP_CLIENT_VERSION;
	put_hdr(buf, &o, 0xa1, SEQOF);
	put_hdr(buf, &o, 0x30, ENTRY);
	put_hdr(buf, &o, 0x30, TOKEN0);
	put_hdr(buf, &o, 0xa0, OCTETS);
	put_hdr(buf, &o, 0x04, NTLM_NEGOTIATE_LEN);
	memcpy(buf + o, ntlm_signature, sizeof ntlm_signature);
	o += sizeof ntlm_signature;
	put_le32(buf, &o, NTLM_TYPE_NEGOTIATE);
	put_le32(buf, &o, ntlm_client_flags());
	for (int k = 0; k < 16; k++)
		buf[o++] = 0; /* DomainNameFields, WorkstationFields */
	buf[o++] = 10;
	buf[o++] = 0;
	put_le16(buf, &o, NTLM_CLIENT_BUILD);
	buf[o++] = 0;
	buf[o++] = 0;
	buf[o++] = 0;
	buf[o++] = NTLM_REVISION_W2K3;
	return o;
}

/* ---- strings ----------------------------------------------------------- */

/* Code points a terminal or a log should not receive raw. */
static int unsafe_cp(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

static size_t utf8_encode(uint32_t cp, uint8_t *b)
{
	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	b[0] = (uint8_t)(0xf0 | cp >> 18);
	b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
	b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
	b[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

#define REPLACEMENT_CHAR 0xfffdu

int ntlm_utf16le_to_utf8(char *dst, size_t cap, const uint8_t *src, size_t n)
{
	struct cur c = cur_make(src, n);
	size_t o = 0;
	int issues = 0;

	if (!cap)
		return n ? NTLM_STR_CUT : 0;
	while (cur_left(&c) > 0) {
		uint32_t cp;
		if (cur_left(&c) == 1) {
			cur_skip(&c, 1);
			cp = REPLACEMENT_CHAR; /* odd length: half a code unit */
		} else {
			uint16_t u = cur_le16(&c);
			cp = u;
			if (u >= 0xd800 && u <= 0xdbff) {
				struct cur peek = c;
				uint16_t l = cur_left(&c) >= 2 ? cur_le16(&peek) : 0;
				if (l >= 0xdc00 && l <= 0xdfff) {
					c = peek;
					cp = 0x10000u + ((uint32_t)(u - 0xd800) << 10) + (l - 0xdc00u);
				} else {
					cp = REPLACEMENT_CHAR;
				}
			} else if (u >= 0xdc00 && u <= 0xdfff) {
				cp = REPLACEMENT_CHAR;
			}
		}
		if (unsafe_cp(cp))
			cp = REPLACEMENT_CHAR;
		if (cp == REPLACEMENT_CHAR)
			issues |= NTLM_STR_REPLACED;
		uint8_t enc[4];
		size_t k = utf8_encode(cp, enc);
		if (k >= cap - o) {
			issues |= NTLM_STR_CUT;
			break;
		}
		memcpy(dst + o, enc, k);
		o += k;
	}
	dst[o] = '\0';
	return issues;
}

size_t ntlm_utf8_trim(char *s)
{
	size_t n = strlen(s);
	/* The last lead byte within 4 bytes of the end, and the length it announces. */
	for (size_t back = 1; back <= 4 && back <= n; back++) {
		unsigned char b = (unsigned char)s[n - back];
		if ((b & 0xc0) == 0x80)
			continue; /* a continuation byte */
		size_t want = b < 0x80 ? 1 : (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3
			    : (b & 0xf8) == 0xf0 ? 4 : 0;
		if (want == 0 || want > back)
			n -= back; /* cut short, or not a lead byte */
		else
			n -= back - want; /* stray continuation bytes after a whole character */
		break;
	}
	s[n] = '\0';
	return n;
}

/* ---- CHALLENGE_MESSAGE --------------------------------------------------- */

/* True when [off, off + len) lies inside a message of n bytes. */
static int in_msg(uint32_t off, uint16_t len, size_t n)
{
	return off <= n && len <= n - off;
}

/* The name field an AV pair id fills, or NULL. */
static char *av_name_field(struct ntlm_challenge *ch, uint16_t id)
{
	switch (id) {
	case MSV_AV_NB_COMPUTER_NAME:
		return ch->nb_computer;
	case MSV_AV_NB_DOMAIN_NAME:
		return ch->nb_domain;
	case MSV_AV_DNS_COMPUTER_NAME:
		return ch->dns_computer;
	case MSV_AV_DNS_DOMAIN_NAME:
		return ch->dns_domain;
	case MSV_AV_DNS_TREE_NAME:
		return ch->dns_tree;
	default:
		return NULL;
	}
}

/*
 * TargetInfo (MS-NLMP 2.2.2.1): AV_PAIRs until MsvAvEOL.
 *
 *   AvId LE16 | AvLen LE16 | Value[AvLen]     names UTF-16LE, MsvAvFlags
 *                                             LE32, MsvAvTimestamp LE64
 *
 * The first pair of each id counts; later duplicates are walked, not kept.
 */
static enum dec_status av_pairs(struct cur *av, struct ntlm_challenge *ch, const char **why)
{
	uint32_t seen = 0;

	while (cur_left(av) > 0) {
		if (ch->av_pairs >= NTLM_AV_PAIRS_MAX) {
			*why = "more AV pairs than NTLM_AV_PAIRS_MAX";
			return DEC_INVALID;
		}
		if (cur_left(av) < 4) {
			*why = "an AV pair header cut by TargetInfo's length";
			return DEC_INVALID;
		}
		uint16_t id = cur_le16(av);
		uint16_t len = cur_le16(av);
		if (len > cur_left(av)) {
			*why = "an AV pair runs past TargetInfo";
			return DEC_INVALID;
		}
		struct cur v = cur_make(cur_bytes(av, len), len);
		ch->av_pairs++;
		if (id == MSV_AV_EOL) {
			ch->av_eol = 1;
			return DEC_OK; /* anything after EOL is padding */
		}
		int first = id < 32 && !(seen & 1u << id);
		if (id < 32)
			seen |= 1u << id;
		char *name = av_name_field(ch, id);
		if (name && first) {
			ch->name_issues |= ntlm_utf16le_to_utf8(name, NTLM_NAME_MAX, v.p, len);
		} else if (id == MSV_AV_FLAGS) {
			if (len != 4) {
				*why = "MsvAvFlags is not 4 bytes";
				return DEC_INVALID;
			}
			if (first) {
				ch->have_av_flags = 1;
				ch->av_flags = cur_le32(&v);
			}
		} else if (id == MSV_AV_TIMESTAMP) {
			if (len != 8) {
				*why = "MsvAvTimestamp is not 8 bytes";
				return DEC_INVALID;
			}
			if (first) {
				uint32_t lo = cur_le32(&v);
				ch->timestamp = (uint64_t)cur_le32(&v) << 32 | lo;
				ch->have_timestamp = 1;
			}
		}
	}
	*why = "the AV pair list has no MsvAvEOL";
	return DEC_OK;
}

/*
 * CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2); offsets from the message's start:
 *
 *    0  Signature "NTLMSSP\0"
 *    8  MessageType 2                                   LE32
 *   12  TargetNameFields  Len LE16, MaxLen LE16, Offset LE32
 *   20  NegotiateFlags                                  LE32
 *   24  ServerChallenge                                 8 bytes
 *   32  Reserved                                        8 bytes
 *   40  TargetInfoFields  Len LE16, MaxLen LE16, Offset LE32
 *   48  Version (with NTLMSSP_NEGOTIATE_VERSION)        8 bytes:
 *         ProductMajorVersion u8, ProductMinorVersion u8,
 *         ProductBuild LE16, Reserved 3 bytes, NTLMRevisionCurrent u8
 *   56  Payload: TargetName, TargetInfo (anywhere the offsets say)
 */
#define NTLM_CHALLENGE_FIXED 48
#define NTLM_VERSION_LEN 8

enum dec_status ntlm_parse_challenge(struct cur *c, struct ntlm_challenge *ch, const char **why)
{
	const uint8_t *base = c->p;
	size_t n = cur_left(c);
	struct cur h = cur_make(base, n);
	const char *w = NULL;
	enum dec_status st = DEC_OK;

	memset(ch, 0, sizeof *ch);
	if (c->err) {
		st = c->err == CUR_TRUNCATED ? DEC_TRUNCATED : DEC_INVALID;
		w = "no bytes for the CHALLENGE_MESSAGE";
		goto out;
	}
	cur_skip(c, n);
	const uint8_t *sig = cur_bytes(&h, sizeof ntlm_signature);
	if (sig && memcmp(sig, ntlm_signature, sizeof ntlm_signature)) {
		st = DEC_INVALID;
		w = "no NTLMSSP signature";
		goto out;
	}
	uint32_t type = cur_le32(&h);
	if (!h.err && type != NTLM_TYPE_CHALLENGE) {
		st = DEC_UNSUPPORTED;
		w = "an NTLM message other than CHALLENGE";
		goto out;
	}
	uint16_t tn_len = cur_le16(&h);
	(void)cur_le16(&h); /* TargetNameMaxLen */
	uint32_t tn_off = cur_le32(&h);
	ch->flags = cur_le32(&h);
	cur_copy(&h, ch->server_challenge, sizeof ch->server_challenge);
	cur_skip(&h, 8); /* Reserved */
	uint16_t ti_len = cur_le16(&h);
	(void)cur_le16(&h); /* TargetInfoMaxLen */
	uint32_t ti_off = cur_le32(&h);
	if (h.err) {
		st = DEC_TRUNCATED;
		w = "the CHALLENGE_MESSAGE is shorter than its fixed part";
		goto out;
	}
	if (ch->flags & NTLMSSP_NEGOTIATE_VERSION) {
		ch->major = cur_u8(&h);
		ch->minor = cur_u8(&h);
		ch->build = cur_le16(&h);
		cur_skip(&h, 3);
		ch->ntlm_revision = cur_u8(&h);
		if (h.err) {
			st = DEC_TRUNCATED;
			w = "the CHALLENGE_MESSAGE is cut inside its Version";
			goto out;
		}
		ch->have_version = 1;
	}
	if (tn_len && !in_msg(tn_off, tn_len, n)) {
		st = DEC_INVALID;
		w = "TargetName lies outside the message";
		goto out;
	}
	if (ti_len && !in_msg(ti_off, ti_len, n)) {
		st = DEC_INVALID;
		w = "TargetInfo lies outside the message";
		goto out;
	}
	/* An empty field's offset may point anywhere: never form that pointer. */
	const uint8_t *tn = tn_len ? base + tn_off : base;
	if (ch->flags & NTLMSSP_NEGOTIATE_UNICODE)
		ch->name_issues |=
		    ntlm_utf16le_to_utf8(ch->target_name, sizeof ch->target_name, tn, tn_len);
	else
		str_from_bytes(ch->target_name, sizeof ch->target_name, tn, tn_len);
	if (!ti_len) {
		w = "no TargetInfo";
		goto out;
	}
	struct cur av = cur_make(base + ti_off, ti_len);
	st = av_pairs(&av, ch, &w);
	if (ch->av_eol)
		w = NULL;
out:
	if (why)
		*why = w;
	return st;
}

/* ---- names and versions -------------------------------------------------- */

struct os_release {
	uint8_t major, minor;
	uint16_t build;
	const char *name;
};

/* Builds as Windows reports them in the NTLM Version (RTM build numbers). */
static const struct os_release os_releases[] = {
	{5, 1, 2600, "Windows XP"},
	{5, 2, 3790, "Windows Server 2003 / XP x64"},
	{6, 0, 6000, "Windows Vista"},
	{6, 0, 6001, "Windows Server 2008 / Vista SP1"},
	{6, 0, 6002, "Windows Server 2008 SP2 / Vista SP2"},
	{6, 1, 7600, "Windows Server 2008 R2 / Windows 7"},
	{6, 1, 7601, "Windows Server 2008 R2 SP1 / Windows 7 SP1"},
	{6, 2, 9200, "Windows Server 2012 / Windows 8"},
	{6, 3, 9600, "Windows Server 2012 R2 / Windows 8.1"},
	{10, 0, 10240, "Windows 10 1507"},
	{10, 0, 10586, "Windows 10 1511"},
	{10, 0, 14393, "Windows Server 2016 / Windows 10 1607"},
	{10, 0, 15063, "Windows 10 1703"},
	{10, 0, 16299, "Windows 10 1709"},
	{10, 0, 17134, "Windows 10 1803"},
	{10, 0, 17763, "Windows Server 2019 / Windows 10 1809"},
	{10, 0, 18362, "Windows 10 1903"},
	{10, 0, 18363, "Windows 10 1909"},
	{10, 0, 19041, "Windows 10 2004"},
	{10, 0, 19042, "Windows 10 20H2"},
	{10, 0, 19043, "Windows 10 21H1"},
	{10, 0, 19044, "Windows 10 21H2"},
	{10, 0, 19045, "Windows 10 22H2"},
	{10, 0, 20348, "Windows Server 2022"},
	{10, 0, 22000, "Windows 11 21H2"},
	{10, 0, 22621, "Windows 11 22H2"},
	{10, 0, 22631, "Windows 11 23H2"},
	{10, 0, 25398, "Windows Server 23H2"},
	{10, 0, 26100, "Windows Server 2025 / Windows 11 24H2"},
	{10, 0, 26200, "Windows 11 25H2"},
};

const char *ntlm_os_name(uint8_t major, uint8_t minor, uint16_t build, char *buf, size_t cap)
{
	for (size_t i = 0; i < sizeof os_releases / sizeof os_releases[0]; i++) {
		const struct os_release *r = &os_releases[i];
		if (r->major == major && r->minor == minor && r->build == build) {
			str_copy(buf, cap, r->name);
			return buf;
		}
	}
	snprintf(buf, cap, "Windows NT %u.%u build %u", major, minor, build);
	return buf;
}

/* FILETIME counts 100 ns from 1601-01-01; the Unix epoch is 11644473600 s later. */
#define FILETIME_UNIX_EPOCH 11644473600ull
#define FILETIME_TICKS 10000000ull
#define UNIX_YEAR_9999_END 253402300799ull

int64_t ntlm_filetime_to_unix(uint64_t ft, uint32_t *usec)
{
	uint64_t s = ft / FILETIME_TICKS;
	if (usec)
		*usec = 0;
	if (s < FILETIME_UNIX_EPOCH || s - FILETIME_UNIX_EPOCH > UNIX_YEAR_9999_END)
		return 0;
	if (usec)
		*usec = (uint32_t)(ft % FILETIME_TICKS / 10);
	return (int64_t)(s - FILETIME_UNIX_EPOCH);
}

static int lower(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

static int ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* Length without one trailing dot. */
static size_t name_len(const char *s, size_t n)
{
	return n && s[n - 1] == '.' ? n - 1 : n;
}

static int match_n(const char *a, size_t la, const char *b, size_t lb, int short_ok)
{
	la = name_len(a, la);
	lb = name_len(b, lb);
	if (!la || !lb)
		return 0;
	if (la == lb)
		return ieq(a, b, la);
	if (!short_ok)
		return 0;
	if (la < lb && !memchr(a, '.', la) && b[la] == '.')
		return ieq(a, b, la);
	if (lb < la && !memchr(b, '.', lb) && a[lb] == '.')
		return ieq(a, b, lb);
	return 0;
}

int ntlm_name_matches(const char *a, const char *b, int short_ok)
{
	return match_n(a, strlen(a), b, strlen(b), short_ok);
}

/*
 * x224.c - TPKT, X.224 class 0 TPDUs and the RDP negotiation structures.
 */
#include "x224.h"

#include <stdio.h>
#include <string.h>

static const struct tok failure_names[] = {
	{SSL_REQUIRED_BY_SERVER, "SSL_REQUIRED_BY_SERVER"},
	{SSL_NOT_ALLOWED_BY_SERVER, "SSL_NOT_ALLOWED_BY_SERVER"},
	{SSL_CERT_NOT_ON_SERVER, "SSL_CERT_NOT_ON_SERVER"},
	{INCONSISTENT_FLAGS, "INCONSISTENT_FLAGS"},
	{HYBRID_REQUIRED_BY_SERVER, "HYBRID_REQUIRED_BY_SERVER"},
	{SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER, "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER"},
	{0, NULL},
};

static const struct tok tpdu_names[] = {
	{X224_TPDU_CR, "Connection Request"},
	{X224_TPDU_CC, "Connection Confirm"},
	{X224_TPDU_DR, "Disconnect Request"},
	{X224_TPDU_DT, "Data"},
	{X224_TPDU_ER, "Error"},
	{0, NULL},
};

static const struct tok protocol_bits[] = {
	{PROTOCOL_SSL, "SSL"},
	{PROTOCOL_HYBRID, "HYBRID"},
	{PROTOCOL_RDSTLS, "RDSTLS"},
	{PROTOCOL_HYBRID_EX, "HYBRID_EX"},
	{PROTOCOL_RDSAAD, "RDSAAD"},
	{0, NULL},
};

const char *x224_failure_name(uint32_t code)
{
	return tok_str(failure_names, code, "unknown failure code");
}

const char *x224_tpdu_name(uint8_t code)
{
	return tok_str(tpdu_names, code, "unknown TPDU");
}

const char *x224_protocols_str(uint32_t protocols, char *buf, size_t cap)
{
	size_t o = 0;
	uint32_t known = 0;

	if (!cap)
		return buf;
	buf[0] = '\0';
	if (protocols == PROTOCOL_RDP) {
		str_copy(buf, cap, "RDP");
		return buf;
	}
	for (const struct tok *t = protocol_bits; t->s; t++) {
		if (!(protocols & t->v))
			continue;
		known |= t->v;
		int n = snprintf(buf + o, cap - o, "%s%s", o ? "|" : "", t->s);
		if (n < 0 || (size_t)n >= cap - o)
			return buf;
		o += (size_t)n;
	}
	if (protocols & ~known)
		snprintf(buf + o, cap - o, "%s0x%x", o ? "|" : "", protocols & ~known);
	return buf;
}

/*
 * TPKT (RFC 1006 section 6):
 *   +---------+----------+-----------------+
 *   | vrsn=3  | reserved | length (BE16)   |  length covers the header
 *   +---------+----------+-----------------+
 */
unsigned tpkt_length(const uint8_t *p, size_t len)
{
	if (len < TPKT_HEADER_LEN || p[0] != 3)
		return 0;
	unsigned n = (unsigned)p[2] << 8 | p[3];
	return n >= TPKT_MIN_LEN ? n : 0;
}

uint8_t x224_tpdu_code(const uint8_t *p, size_t len)
{
	if (len < TPKT_HEADER_LEN + 2)
		return 0;
	return p[5] & 0xF0;
}

int x224_is_connection_request(const uint8_t *p, size_t len)
{
	unsigned n = tpkt_length(p, len);
	/* LI must fit in the TPKT and a CR header is at least 6 bytes. */
	return n && len >= 6 && p[5] == X224_TPDU_CR && p[4] >= 6 &&
	       (unsigned)p[4] + 1 <= n - TPKT_HEADER_LEN;
}

/*
 * Opens the X.224 header of one TPKT packet: on success *tpdu covers the
 * LI-declared header (after LI itself) and *rest what follows it.
 */
static enum dec_status open_tpdu(struct cur *c, struct cur *tpdu, struct cur *rest)
{
	int cut = 0;

	/* Callers read *tpdu even when the header is cut short: empty and failed until set. */
	*tpdu = *rest = (struct cur){c->p, c->p, CUR_TRUNCATED};
	if (cur_u8(c) != 3)
		return c->err ? DEC_TRUNCATED : DEC_INVALID;
	cur_skip(c, 1);
	unsigned len = cur_be16(c);
	if (c->err)
		return DEC_TRUNCATED;
	if (len < TPKT_MIN_LEN)
		return DEC_INVALID;
	struct cur pkt = cur_sub(c, len - TPKT_HEADER_LEN, &cut);
	unsigned li = cur_u8(&pkt);
	if (pkt.err)
		return DEC_TRUNCATED;
	if (li + 1 > len - TPKT_HEADER_LEN)
		return DEC_INVALID;
	*tpdu = cur_sub(&pkt, li, NULL);
	*rest = pkt;
	if (cur_left(tpdu) < li)
		return DEC_TRUNCATED;
	return cut ? DEC_TRUNCATED : DEC_OK;
}

/*
 * The LI-declared header ended before its fields did: the capture's fault
 * when open_tpdu found the packet cut (st is TRUNCATED), else the sender's.
 */
static enum dec_status header_short(enum dec_status st, const char **why)
{
	if (st == DEC_TRUNCATED)
		return DEC_TRUNCATED;
	if (why)
		*why = "X.224 header (LI) too short for its fields";
	return DEC_INVALID;
}

/*
 * X.224 Connection Request with RDP data (MS-RDPBCGR 2.2.1.1):
 *   LI | E0 | DST-REF(2) | SRC-REF(2) | class | [cookie "...\r\n"]
 *   [RDP_NEG_REQ: type=1 | flags | length=8 (LE16) | requestedProtocols (LE32)]
 *   [RDP_NEG_CORRELATION_INFO: type=6 | flags | length=36 | id(16) | reserved(16)]
 * The cookie is either "Cookie: mstshash=NAME\r\n" or a routing token
 * (e.g. "Cookie: msts=...\r\n"), ending with CR LF.
 */
enum dec_status x224_parse_cr(struct cur *c, struct x224_cr_facts *f)
{
	struct cur h, rest;
	enum dec_status st = open_tpdu(c, &h, &rest);

	if (st == DEC_INVALID) {
		f->why = "TPKT/X.224 header lengths inconsistent";
		return f->status = st;
	}
	uint8_t code = cur_u8(&h);
	if (h.err)
		return f->status = header_short(st, &f->why);
	if (code != X224_TPDU_CR) {
		f->why = "not an X.224 Connection Request";
		return f->status = DEC_INVALID;
	}
	cur_skip(&h, 5); /* DST-REF, SRC-REF, class option */
	if (h.err)
		return f->status = header_short(st, &f->why);

	/* Variable part: optional cookie line, then optional negotiation. */
	size_t left = cur_left(&h);
	const uint8_t *v = h.p;
	size_t eol = 0;
	if (left >= 2 && v[0] != 0x01 && v[0] != 0x06) {
		while (eol + 1 < left && !(v[eol] == '\r' && v[eol + 1] == '\n'))
			eol++;
		if (eol + 1 >= left) {
			/* No CR LF inside the header: a cookie cut short. */
			str_from_bytes(f->cookie, sizeof f->cookie, v, left);
			f->cookie_kind = COOKIE_ROUTING_TOKEN;
			if (st == DEC_TRUNCATED)
				return f->status = DEC_TRUNCATED;
			f->why = "cookie without CR LF inside the TPDU header";
			return f->status = DEC_INVALID;
		}
		static const char prefix[] = "Cookie: ";
		size_t skip = 0;
		if (eol >= sizeof prefix - 1 && !memcmp(v, prefix, sizeof prefix - 1))
			skip = sizeof prefix - 1;
		/* Clients pad the cookie with spaces: they are not part of the name. */
		size_t end = eol;
		while (end > skip && v[end - 1] == ' ')
			end--;
		str_from_bytes(f->cookie, sizeof f->cookie, v + skip, end - skip);
		f->cookie_kind = strncmp(f->cookie, "mstshash=", 9) ? COOKIE_ROUTING_TOKEN
								   : COOKIE_MSTSHASH;
		cur_skip(&h, eol + 2);
	}
	while (cur_left(&h) >= 1 && !h.err) {
		uint8_t type = cur_u8(&h);
		uint8_t flags = cur_u8(&h);
		uint16_t len = cur_le16(&h);
		if (h.err)
			return f->status = header_short(st, &f->why);
		if (type == NEG_REQ && len == 8) {
			f->neg_present = 1;
			f->neg_flags = flags;
			f->requested = cur_le32(&h);
		} else if (type == NEG_CORRELATION_INFO && len == 36) {
			f->correlation_present = 1;
			cur_skip(&h, 32);
		} else {
			f->why = type == NEG_REQ ? "RDP_NEG_REQ length is not 8"
						 : "unknown negotiation structure in the request";
			return f->status = DEC_INVALID;
		}
	}
	if (h.err)
		return f->status = header_short(st, &f->why);
	return f->status = st;
}

/*
 * X.224 Connection Confirm (MS-RDPBCGR 2.2.1.2):
 *   LI | D0 | DST-REF(2) | SRC-REF(2) | class
 *   [RDP_NEG_RSP:     type=2 | flags | length=8 | selectedProtocol (LE32)]
 *   [RDP_NEG_FAILURE: type=3 | flags | length=8 | failureCode (LE32)]
 */
enum dec_status x224_parse_cc(struct cur *c, struct x224_cc_facts *f)
{
	struct cur h, rest;
	enum dec_status st = open_tpdu(c, &h, &rest);

	if (st == DEC_INVALID) {
		f->why = "TPKT/X.224 header lengths inconsistent";
		return f->status = st;
	}
	f->tpdu_code = cur_u8(&h);
	if (h.err)
		return f->status = header_short(st, &f->why);
	if ((f->tpdu_code & 0xF0) != X224_TPDU_CC) {
		f->why = "not an X.224 Connection Confirm";
		return f->status = DEC_INVALID;
	}
	cur_skip(&h, 5);
	if (h.err)
		return f->status = header_short(st, &f->why);
	if (cur_left(&h) == 0)
		return f->status = st; /* legacy confirm: standard RDP security */
	uint8_t type = cur_u8(&h);
	f->neg_flags = cur_u8(&h);
	uint16_t len = cur_le16(&h);
	uint32_t value = cur_le32(&h);
	if (h.err)
		return f->status = header_short(st, &f->why);
	if (type == NEG_RSP)
		f->selected = value;
	else if (type == NEG_FAILURE)
		f->failure_code = value;
	else {
		f->why = "unknown negotiation structure in the confirm";
		return f->status = DEC_INVALID;
	}
	f->neg_type = (enum neg_type)type;
	f->neg_length = len;
	if (len != 8) {
		f->why = type == NEG_RSP ? "RDP_NEG_RSP length is not 8"
					 : "RDP_NEG_FAILURE length is not 8";
		return f->status = DEC_INVALID;
	}
	if (cur_left(&h) != 0) {
		f->why = "bytes after the negotiation structure";
		return f->status = DEC_INVALID;
	}
	return f->status = st;
}

/*
 * X.224 Data TPDU (ITU-T X.224 13.7): LI=2 | F0 | EOT/NR, then user data.
 */
enum dec_status x224_data(struct cur *c, struct cur *user)
{
	struct cur h, rest;
	enum dec_status st = open_tpdu(c, &h, &rest);

	if (st == DEC_INVALID)
		return st;
	uint8_t code = cur_u8(&h);
	if (h.err)
		return header_short(st, NULL);
	if (code != X224_TPDU_DT)
		return DEC_UNSUPPORTED;
	*user = rest;
	return st;
}

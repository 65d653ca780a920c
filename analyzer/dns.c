/*
 * dns.c - DNS messages (RFC 1035): header, first question, A / AAAA /
 * CNAME answers.  Used to tell "the name did not resolve" from "the
 * server did not answer" and to learn which address a client was given.
 */
#include "dns.h"

#include <stdio.h>
#include <string.h>

#define DNS_HEADER_LEN 12
#define DNS_LABEL_MAX 63  /* RFC 1035 2.3.4 */
#define DNS_WIRE_MAX 255  /* RFC 1035 2.3.4: octets of a name, length bytes included */

/* RFC 1035 4.1.1: flags word */
#define DNS_FLAG_QR 0x8000u
#define DNS_RCODE_MASK 0x000fu

/* RFC 1035 4.1.4: the two top bits of a length byte */
#define DNS_LABEL_KIND_MASK 0xc0u
#define DNS_LABEL_NORMAL 0x00u
#define DNS_LABEL_POINTER 0xc0u

enum { DNS_TYPE_A = 1, DNS_TYPE_CNAME = 5, DNS_TYPE_AAAA = 28 };

/* Appends one label byte in presentation form (RFC 4343 escaping). */
static void name_put(char *out, size_t cap, size_t *n, uint8_t b)
{
	char tmp[5];
	size_t k;
	if (b == '.' || b == '\\') {
		tmp[0] = '\\';
		tmp[1] = (char)b;
		k = 2;
	} else if (b > 0x20 && b < 0x7f) {
		tmp[0] = (char)b;
		k = 1;
	} else {
		tmp[0] = '\\';
		tmp[1] = (char)('0' + b / 100);
		tmp[2] = (char)('0' + b / 10 % 10);
		tmp[3] = (char)('0' + b % 10);
		k = 4;
	}
	if (*n + k >= cap)
		return; /* presentation form cut short; the wire form was checked */
	memcpy(out + *n, tmp, k);
	*n += k;
	out[*n] = '\0';
}

/*
 * RFC 1035 3.1 / 4.1.4: a name is a sequence of labels, each a length byte
 * (0..63) and that many bytes, ended by a zero byte or by a 2-byte pointer
 * (top bits 11, 14-bit offset from the message start) to the rest of the
 * name elsewhere:
 *
 *   03 'w' 'w' 'w' 07 'e' 'x' 'a' 'm' 'p' 'l' 'e' 03 'c' 'o' 'm' 00
 *   03 'w' 'w' 'w' c0 0c                    ("www" + the name at 12)
 *
 * `c` reads the name in place and is left after it (after the first
 * pointer when there is one).  A pointer must point strictly before the
 * start of the stretch of name being read, and that stretch is read only
 * up to where the previous one began: each jump moves backwards, so loops
 * cannot happen; DNS_JUMP_MAX caps the jumps anyway.  Pointers into the
 * 12-byte header are refused.  The name is written as "www.example.com"
 * (root: "."); returns DEC_OK, DEC_TRUNCATED (the bytes ran out in place)
 * or DEC_INVALID.
 */
static enum dec_status dns_name(const uint8_t *msg, size_t msg_len, struct cur *c,
				char *out, size_t cap)
{
	size_t n = 0, wire = 0;
	int jumps = 0;
	struct cur r = *c;          /* the stretch being read */
	size_t start = (size_t)(c->p - msg);
	int in_place = 1;           /* still reading through `c` */

	if (cap)
		out[0] = '\0';
	for (;;) {
		uint8_t len = cur_u8(&r);
		if (r.err)
			return in_place ? DEC_TRUNCATED : DEC_INVALID;
		if ((len & DNS_LABEL_KIND_MASK) == DNS_LABEL_POINTER) {
			uint8_t lo = cur_u8(&r);
			if (r.err)
				return in_place ? DEC_TRUNCATED : DEC_INVALID;
			size_t target = (size_t)(len & 0x3fu) << 8 | lo;
			if (in_place) {
				*c = r;
				in_place = 0;
			}
			if (++jumps > DNS_JUMP_MAX || target >= start ||
			    target < DNS_HEADER_LEN || target >= msg_len)
				return DEC_INVALID;
			r = cur_make(msg + target, start - target);
			start = target;
			continue;
		}
		if ((len & DNS_LABEL_KIND_MASK) != DNS_LABEL_NORMAL)
			return DEC_INVALID; /* 01 / 10: extended label types */
		wire += 1 + (size_t)len;
		if (wire > DNS_WIRE_MAX)
			return DEC_INVALID;
		if (len == 0)
			break;
		const uint8_t *label = cur_bytes(&r, len);
		if (!label)
			return in_place ? DEC_TRUNCATED : DEC_INVALID;
		if (n && n + 1 < cap) {
			out[n++] = '.';
			out[n] = '\0';
		}
		for (size_t i = 0; i < len; i++)
			name_put(out, cap, &n, label[i]);
	}
	if (in_place)
		*c = r;
	if (n == 0 && cap > 1) {
		out[0] = '.';
		out[1] = '\0';
	}
	return DEC_OK;
}

/*
 * RFC 1035 4.1.3 resource record:
 *
 *   NAME (variable) | TYPE (2) | CLASS (2) | TTL (4) | RDLENGTH (2) | RDATA
 *
 * A: 4 bytes, AAAA: 16 bytes (RFC 3596), CNAME: a name (may point back
 * into the message).  Other types are skipped by RDLENGTH.  *stored is
 * set when `a` was filled (A, AAAA, CNAME only).
 */
static enum dec_status dns_rr(const uint8_t *msg, size_t msg_len, struct cur *c,
			      struct dns_answer *a, int *stored)
{
	char owner[DNS_NAME_MAX];
	int cut = 0;

	*stored = 0;
	memset(a, 0, sizeof *a);
	enum dec_status st = dns_name(msg, msg_len, c, owner, sizeof owner);
	if (st != DEC_OK)
		return st;
	uint16_t type = cur_be16(c);
	(void)cur_be16(c); /* CLASS */
	uint32_t ttl = cur_be32(c);
	uint16_t rdlength = cur_be16(c);
	if (c->err)
		return DEC_TRUNCATED;
	struct cur rd = cur_sub(c, rdlength, &cut);

	switch (type) {
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA: {
		size_t want = type == DNS_TYPE_A ? 4 : 16;
		if (rdlength != want)
			return DEC_INVALID;
		if (cut)
			return DEC_TRUNCATED;
		cur_copy(&rd, a->addr, want);
		break;
	}
	case DNS_TYPE_CNAME:
		st = dns_name(msg, msg_len, &rd, a->cname, sizeof a->cname);
		if (st == DEC_TRUNCATED && !cut)
			return DEC_INVALID; /* the name runs past RDLENGTH */
		if (st != DEC_OK)
			return st;
		if (cur_left(&rd))
			return DEC_INVALID; /* bytes after the name */
		break;
	default:
		return cut ? DEC_TRUNCATED : DEC_OK;
	}
	a->type = type;
	a->ttl = ttl;
	*stored = 1;
	return DEC_OK;
}

/*
 * RFC 1035 4.1.1 header, 4.1.2 question:
 *
 *    0     2     4       6       8       10      12
 *   +-----+-----+-------+-------+-------+-------+--------------------------+
 *   | ID  |flags|QDCOUNT|ANCOUNT|NSCOUNT|ARCOUNT| QNAME QTYPE(2) QCLASS(2) |
 *   +-----+-----+-------+-------+-------+-------+--------------------------+
 *   flags: QR(15) OPCODE(11-14) AA TC RD RA Z(4-6) RCODE(0-3)
 *
 * Then ANCOUNT answer records.  Authority and additional sections are
 * not read.  Every record consumes at least 11 bytes, so the loops end
 * when the message does, whatever the counts say; a count larger than
 * what is present gives DEC_TRUNCATED with the records read so far kept.
 */
enum dec_status dns_parse(struct cur *c, struct dns_msg *m)
{
	memset(m, 0, sizeof *m);
	const uint8_t *msg = c->p;
	size_t msg_len = cur_left(c);
	enum dec_status st = DEC_OK;

	m->id = cur_be16(c);
	uint16_t flags = cur_be16(c);
	uint16_t qdcount = cur_be16(c);
	uint16_t ancount = cur_be16(c);
	(void)cur_be16(c); /* NSCOUNT */
	(void)cur_be16(c); /* ARCOUNT */
	if (c->err)
		return m->status = DEC_TRUNCATED;
	m->is_response = !!(flags & DNS_FLAG_QR);
	m->rcode = (uint8_t)(flags & DNS_RCODE_MASK);
	m->answer_count = ancount;

	for (unsigned i = 0; i < qdcount; i++) {
		char name[DNS_NAME_MAX];
		st = dns_name(msg, msg_len, c, i ? name : m->qname,
			      i ? sizeof name : sizeof m->qname);
		if (st != DEC_OK)
			return m->status = st;
		uint16_t qtype = cur_be16(c);
		(void)cur_be16(c); /* QCLASS */
		if (c->err)
			return m->status = DEC_TRUNCATED;
		if (i == 0)
			m->qtype = qtype;
	}

	for (unsigned i = 0; i < ancount; i++) {
		struct dns_answer a;
		int stored;
		st = dns_rr(msg, msg_len, c, &a, &stored);
		if (st != DEC_OK)
			return m->status = st;
		if (stored && m->answers_stored < DNS_ANSWER_MAX)
			m->answers[m->answers_stored++] = a;
	}
	return m->status = DEC_OK;
}

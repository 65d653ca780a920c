/*
 * cursor.h - the one bounded reader for untrusted bytes.
 *
 * Every decoder reads packets through a struct cur: a window [p, end) and a
 * latched error.  A read that would cross `end` reads nothing, returns 0 and
 * sets err; later reads on a failed cursor also return 0, so a decoder can
 * read a whole layout and check `err` once at the end.  Values are
 * assembled byte by byte: no pointer is ever cast to a wider type.
 *
 * Nested layers take a sub-cursor bounded by min(declared length, bytes
 * left): a length field can shrink a window, never grow it.
 */
#ifndef RDPROBE_CURSOR_H
#define RDPROBE_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum cur_err {
	CUR_OK = 0,
	CUR_TRUNCATED = 1, /* the bytes ran out before the layout did */
	CUR_INVALID = 2,   /* a decoder found the bytes wrong */
};

struct cur {
	const uint8_t *p;
	const uint8_t *end;
	int err;
};

static inline struct cur cur_make(const uint8_t *p, size_t len)
{
	struct cur c = {p, p + len, CUR_OK};
	return c;
}

static inline size_t cur_left(const struct cur *c)
{
	return c->err ? 0 : (size_t)(c->end - c->p);
}

/* True when n more bytes can be read; latches TRUNCATED otherwise. */
static inline int cur_need(struct cur *c, size_t n)
{
	if (c->err)
		return 0;
	if ((size_t)(c->end - c->p) < n) {
		c->err = CUR_TRUNCATED;
		return 0;
	}
	return 1;
}

static inline void cur_fail(struct cur *c, int err)
{
	if (!c->err)
		c->err = err;
}

static inline uint8_t cur_u8(struct cur *c)
{
	if (!cur_need(c, 1))
		return 0;
	return *c->p++;
}

static inline uint16_t cur_be16(struct cur *c)
{
	if (!cur_need(c, 2))
		return 0;
	uint16_t v = (uint16_t)((uint16_t)c->p[0] << 8 | c->p[1]);
	c->p += 2;
	return v;
}

static inline uint16_t cur_le16(struct cur *c)
{
	if (!cur_need(c, 2))
		return 0;
	uint16_t v = (uint16_t)((uint16_t)c->p[1] << 8 | c->p[0]);
	c->p += 2;
	return v;
}

static inline uint32_t cur_be24(struct cur *c)
{
	if (!cur_need(c, 3))
		return 0;
	uint32_t v = (uint32_t)c->p[0] << 16 | (uint32_t)c->p[1] << 8 | c->p[2];
	c->p += 3;
	return v;
}

static inline uint32_t cur_be32(struct cur *c)
{
	if (!cur_need(c, 4))
		return 0;
	uint32_t v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 |
		     (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	return v;
}

static inline uint32_t cur_le32(struct cur *c)
{
	if (!cur_need(c, 4))
		return 0;
	uint32_t v = (uint32_t)c->p[3] << 24 | (uint32_t)c->p[2] << 16 |
		     (uint32_t)c->p[1] << 8 | c->p[0];
	c->p += 4;
	return v;
}

/* Points *out at the next n bytes (inside the window) and skips them. */
static inline const uint8_t *cur_bytes(struct cur *c, size_t n)
{
	if (!cur_need(c, n))
		return NULL;
	const uint8_t *r = c->p;
	c->p += n;
	return r;
}

static inline void cur_skip(struct cur *c, size_t n)
{
	(void)cur_bytes(c, n);
}

static inline void cur_copy(struct cur *c, void *dst, size_t n)
{
	const uint8_t *s = cur_bytes(c, n);
	if (s)
		memcpy(dst, s, n);
	else
		memset(dst, 0, n);
}

/*
 * An ASN.1 BER / DER length (X.690 8.1.3), definite forms only:
 *
 *   0xxxxxxx                  short form, 0..127
 *   1000nnnn L1 .. Ln         long form, n = 1..4 bytes
 *   10000000                  indefinite: INVALID (T.125 and CredSSP use
 *                             definite lengths)
 *
 * The value is what the bytes say: callers bound it with cur_sub.
 */
static inline size_t cur_ber_len(struct cur *c)
{
	uint8_t b = cur_u8(c);
	if (b < 0x80)
		return b;
	unsigned n = b & 0x7f;
	if (n == 0 || n > 4) {
		cur_fail(c, CUR_INVALID);
		return 0;
	}
	size_t len = 0;
	for (unsigned i = 0; i < n; i++)
		len = len << 8 | cur_u8(c);
	return len;
}

/*
 * A sub-cursor over the next `declared` bytes, bounded by what is left.
 * The parent skips what the child covers.  When the declared length runs
 * past the data, the child is cut short and *cut is set (TRUNCATED at the
 * child's end is then "capture ran out", not "bytes wrong").
 */
static inline struct cur cur_sub(struct cur *c, size_t declared, int *cut)
{
	size_t left = cur_left(c);
	size_t n = declared < left ? declared : left;
	struct cur s = {c->p, c->p + n, c->err};
	if (cut)
		*cut = declared > left;
	if (!c->err)
		c->p += n;
	return s;
}

#endif

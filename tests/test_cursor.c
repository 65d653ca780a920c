/*
 * test_cursor.c - the bounded reader: every reader at its exact length and
 * one byte short, the latched error, sub-cursors and their bounds.
 *
 * Inputs live in heap blocks of exactly the tested size, so a reader that
 * looked one byte too far is an AddressSanitizer report, not luck.
 */
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "tests.h"

/* A heap copy of exactly n bytes (at least one byte is allocated). */
static uint8_t *exact(const uint8_t *src, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	if (n)
		memcpy(p, src, n);
	return p;
}

/* 1 + 8 bytes: the readers start at b + 1, an odd address. */
static const uint8_t pattern[9] = {0xEE, 0x81, 0x02, 0xF3, 0x04, 0x95, 0x06, 0xA7, 0x08};

/* After a failed read: latched, nothing left, every reader returns 0. */
static void assert_dead(struct cur *c, int err)
{
	uint8_t d[4] = {1, 2, 3, 4};
	static const uint8_t zero[4] = {0};

	CU_ASSERT_EQUAL(c->err, err);
	CU_ASSERT_EQUAL(cur_left(c), 0);
	CU_ASSERT_EQUAL(cur_u8(c), 0);
	CU_ASSERT_EQUAL(cur_be16(c), 0);
	CU_ASSERT_EQUAL(cur_le16(c), 0);
	CU_ASSERT_EQUAL(cur_be24(c), 0);
	CU_ASSERT_EQUAL(cur_be32(c), 0);
	CU_ASSERT_EQUAL(cur_le32(c), 0);
	CU_ASSERT_PTR_NULL(cur_bytes(c, 0));
	CU_ASSERT_PTR_NULL(cur_bytes(c, 1));
	cur_skip(c, 0);
	cur_copy(c, d, sizeof d);
	CU_ASSERT_EQUAL(memcmp(d, zero, sizeof d), 0);
	CU_ASSERT_EQUAL(c->err, err);
	CU_ASSERT_EQUAL(cur_left(c), 0);
	CU_ASSERT_FALSE(cur_need(c, 0));
}

static void test_make(void)
{
	uint8_t *b = exact(pattern, 9);
	struct cur c = cur_make(b + 1, 8);
	CU_ASSERT_PTR_EQUAL(c.p, b + 1);
	CU_ASSERT_PTR_EQUAL(c.end, b + 9);
	CU_ASSERT_EQUAL(c.err, CUR_OK);
	CU_ASSERT_EQUAL(cur_left(&c), 8);
	CU_ASSERT_TRUE(cur_need(&c, 8));
	CU_ASSERT_EQUAL(c.err, CUR_OK);
	CU_ASSERT_FALSE(cur_need(&c, 9));
	CU_ASSERT_EQUAL(c.err, CUR_TRUNCATED);
	CU_ASSERT_PTR_EQUAL(c.p, b + 1); /* a failed check moves nothing */
	free(b);

	/* An empty window: zero bytes can be needed, one cannot. */
	uint8_t *e = exact(NULL, 0);
	struct cur z = cur_make(e, 0);
	CU_ASSERT_EQUAL(cur_left(&z), 0);
	CU_ASSERT_TRUE(cur_need(&z, 0));
	CU_ASSERT_EQUAL(z.err, CUR_OK);
	CU_ASSERT_EQUAL(cur_u8(&z), 0);
	assert_dead(&z, CUR_TRUNCATED);
	free(e);
}

static void test_u8(void)
{
	uint8_t *b = exact(pattern, 2);
	struct cur c = cur_make(b + 1, 1);
	CU_ASSERT_EQUAL(cur_u8(&c), 0x81);
	CU_ASSERT_EQUAL(c.err, CUR_OK);
	CU_ASSERT_EQUAL(cur_left(&c), 0);
	CU_ASSERT_EQUAL(cur_u8(&c), 0); /* one byte short */
	assert_dead(&c, CUR_TRUNCATED);
	free(b);
}

static void test_be16_le16(void)
{
	uint8_t *b = exact(pattern, 3);
	struct cur c = cur_make(b + 1, 2);
	CU_ASSERT_EQUAL(cur_be16(&c), 0x8102);
	CU_ASSERT_EQUAL(c.err, CUR_OK);
	CU_ASSERT_EQUAL(cur_left(&c), 0);
	c = cur_make(b + 1, 2);
	CU_ASSERT_EQUAL(cur_le16(&c), 0x0281);
	CU_ASSERT_EQUAL(c.err, CUR_OK);
	CU_ASSERT_EQUAL(cur_left(&c), 0);

	/* One byte short: nothing consumed, 0 returned, error latched. */
	c = cur_make(b + 1, 1);
	CU_ASSERT_EQUAL(cur_be16(&c), 0);
	CU_ASSERT_PTR_EQUAL(c.p, b + 1);
	assert_dead(&c, CUR_TRUNCATED);
	c = cur_make(b + 1, 1);
	CU_ASSERT_EQUAL(cur_le16(&c), 0);
	CU_ASSERT_PTR_EQUAL(c.p, b + 1);
	assert_dead(&c, CUR_TRUNCATED);
	free(b);
}

static void test_be24(void)
{
	uint8_t *b = exact(pattern, 4);
	struct cur c = cur_make(b + 1, 3);
	CU_ASSERT_EQUAL(cur_be24(&c), 0x8102F3u);
	CU_ASSERT_EQUAL(c.err, CUR_OK);
	CU_ASSERT_EQUAL(cur_left(&c), 0);
	c = cur_make(b + 1, 2);
	CU_ASSERT_EQUAL(cur_be24(&c), 0);
	CU_ASSERT_PTR_EQUAL(c.p, b + 1);
	assert_dead(&c, CUR_TRUNCATED);
	free(b);
}

static void test_be32_le32(void)
{
	uint8_t *b = exact(pattern, 5);
	struct cur c = cur_make(b + 1, 4);
	CU_ASSERT_EQUAL(cur_be32(&c), 0x8102F304u);
	CU_ASSERT_EQUAL(c.err, CUR_OK);
	CU_ASSERT_EQUAL(cur_left(&c), 0);
	c = cur_make(b + 1, 4);
	CU_ASSERT_EQUAL(cur_le32(&c), 0x04F30281u);
	CU_ASSERT_EQUAL(c.err, CUR_OK);
	CU_ASSERT_EQUAL(cur_left(&c), 0);

	c = cur_make(b + 1, 3);
	CU_ASSERT_EQUAL(cur_be32(&c), 0);
	CU_ASSERT_PTR_EQUAL(c.p, b + 1);
	assert_dead(&c, CUR_TRUNCATED);
	c = cur_make(b + 1, 3);
	CU_ASSERT_EQUAL(cur_le32(&c), 0);
	CU_ASSERT_PTR_EQUAL(c.p, b + 1);
	assert_dead(&c, CUR_TRUNCATED);
	free(b);
}

/* The high bit of every byte survives: no sign extension anywhere. */
static void test_high_bits(void)
{
	static const uint8_t ff[5] = {0x00, 0xFF, 0xFF, 0xFF, 0xFF};
	uint8_t *b = exact(ff, 5);
	struct cur c = cur_make(b + 1, 4);
	CU_ASSERT_EQUAL(cur_be32(&c), 0xFFFFFFFFu);
	c = cur_make(b + 1, 4);
	CU_ASSERT_EQUAL(cur_le32(&c), 0xFFFFFFFFu);
	c = cur_make(b + 1, 4);
	CU_ASSERT_EQUAL(cur_be24(&c), 0xFFFFFFu);
	CU_ASSERT_EQUAL(cur_u8(&c), 0xFF);
	c = cur_make(b + 1, 4);
	CU_ASSERT_EQUAL(cur_be16(&c), 0xFFFF);
	CU_ASSERT_EQUAL(cur_le16(&c), 0xFFFF);
	CU_ASSERT_EQUAL(c.err, CUR_OK);
	free(b);
}

/* A sequence of mixed readers walks an odd address byte by byte. */
static void test_sequence(void)
{
	uint8_t *b = exact(pattern, 9);
	struct cur c = cur_make(b + 1, 8);
	CU_ASSERT_EQUAL(cur_u8(&c), 0x81);
	CU_ASSERT_EQUAL(cur_le16(&c), 0xF302);
	CU_ASSERT_EQUAL(cur_le32(&c), 0xA7069504u);
	CU_ASSERT_EQUAL(cur_u8(&c), 0x08);
	CU_ASSERT_EQUAL(c.err, CUR_OK);
	CU_ASSERT_EQUAL(cur_left(&c), 0);
	c = cur_make(b + 1, 8);
	CU_ASSERT_EQUAL(cur_u8(&c), 0x81);
	CU_ASSERT_EQUAL(cur_be16(&c), 0x02F3);
	CU_ASSERT_EQUAL(cur_be24(&c), 0x049506u);
	CU_ASSERT_EQUAL(cur_left(&c), 2);
	CU_ASSERT_EQUAL(cur_be32(&c), 0); /* 2 left, 4 wanted */
	assert_dead(&c, CUR_TRUNCATED);
	free(b);
}

/* bytes / skip / copy at the edge lengths, exact and one byte short. */
static void test_bytes_skip_copy(void)
{
	static const size_t lens[] = {0, 1, 3, 4, 255, 256, 65535};
	uint8_t *src = malloc(65536);
	uint8_t *dst = malloc(65536 + 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(src);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dst);
	for (size_t i = 0; i < 65536; i++)
		src[i] = (uint8_t)(i * 7 + 1);

	for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
		size_t n = lens[k];
		uint8_t *b = exact(src, n + 1);

		/* bytes: exact */
		struct cur c = cur_make(b + 1, n);
		const uint8_t *r = cur_bytes(&c, n);
		CU_ASSERT_PTR_EQUAL(r, b + 1);
		CU_ASSERT_EQUAL(c.err, CUR_OK);
		CU_ASSERT_EQUAL(cur_left(&c), 0);
		CU_ASSERT_PTR_EQUAL(c.p, b + 1 + n);
		/* bytes: one more than there is */
		c = cur_make(b + 1, n);
		CU_ASSERT_PTR_NULL(cur_bytes(&c, n + 1));
		CU_ASSERT_PTR_EQUAL(c.p, b + 1);
		assert_dead(&c, CUR_TRUNCATED);

		/* skip */
		c = cur_make(b + 1, n);
		cur_skip(&c, n);
		CU_ASSERT_EQUAL(c.err, CUR_OK);
		CU_ASSERT_PTR_EQUAL(c.p, b + 1 + n);
		c = cur_make(b + 1, n);
		cur_skip(&c, n + 1);
		assert_dead(&c, CUR_TRUNCATED);

		/* copy: exact copies the bytes, short zeroes the destination */
		c = cur_make(b + 1, n);
		memset(dst, 0xCC, n + 1);
		cur_copy(&c, dst, n);
		CU_ASSERT_EQUAL(c.err, CUR_OK);
		CU_ASSERT_EQUAL(memcmp(dst, src + 1, n), 0);
		CU_ASSERT_EQUAL(dst[n], 0xCC); /* nothing beyond n written */
		CU_ASSERT_EQUAL(cur_left(&c), 0);
		c = cur_make(b + 1, n);
		memset(dst, 0xCC, n + 2);
		cur_copy(&c, dst, n + 1);
		int zeroed = 1;
		for (size_t i = 0; i < n + 1; i++)
			zeroed &= dst[i] == 0;
		CU_ASSERT_TRUE(zeroed);
		CU_ASSERT_EQUAL(dst[n + 1], 0xCC);
		assert_dead(&c, CUR_TRUNCATED);
		free(b);
	}
	free(src);
	free(dst);
}

/* A length taken from a packet cannot wrap the pointer arithmetic. */
static void test_huge_length(void)
{
	uint8_t *b = exact(pattern, 9);
	struct cur c = cur_make(b + 1, 8);
	CU_ASSERT_PTR_NULL(cur_bytes(&c, (size_t)-1));
	assert_dead(&c, CUR_TRUNCATED);
	c = cur_make(b + 1, 8);
	cur_skip(&c, (size_t)-8);
	assert_dead(&c, CUR_TRUNCATED);
	c = cur_make(b + 1, 8);
	int cut = 0;
	struct cur s = cur_sub(&c, (size_t)-1, &cut);
	CU_ASSERT_EQUAL(cut, 1);
	CU_ASSERT_EQUAL(cur_left(&s), 8);
	CU_ASSERT_EQUAL(cur_left(&c), 0);
	CU_ASSERT_EQUAL(c.err, CUR_OK);
	free(b);
}

static void test_latch(void)
{
	uint8_t *b = exact(pattern, 9);
	struct cur c = cur_make(b + 1, 8);

	cur_skip(&c, 6);
	CU_ASSERT_EQUAL(cur_be32(&c), 0); /* 2 left */
	CU_ASSERT_EQUAL(c.err, CUR_TRUNCATED);
	/* The 2 bytes that were there are not readable any more either. */
	CU_ASSERT_EQUAL(cur_u8(&c), 0);
	CU_ASSERT_EQUAL(cur_be16(&c), 0);
	assert_dead(&c, CUR_TRUNCATED);

	/* cur_fail latches the first error only. */
	c = cur_make(b + 1, 8);
	cur_fail(&c, CUR_INVALID);
	assert_dead(&c, CUR_INVALID);
	cur_fail(&c, CUR_TRUNCATED);
	CU_ASSERT_EQUAL(c.err, CUR_INVALID);
	c = cur_make(b + 1, 8);
	cur_skip(&c, 9);
	cur_fail(&c, CUR_INVALID);
	CU_ASSERT_EQUAL(c.err, CUR_TRUNCATED);
	free(b);
}

static void test_sub(void)
{
	uint8_t *b = exact(pattern, 9);
	struct cur c = cur_make(b + 1, 8);
	int cut = -1;

	/* Declared less than left: exact window, parent skips it. */
	cur_u8(&c);
	struct cur s = cur_sub(&c, 3, &cut);
	CU_ASSERT_EQUAL(cut, 0);
	CU_ASSERT_PTR_EQUAL(s.p, b + 2);
	CU_ASSERT_EQUAL(cur_left(&s), 3);
	CU_ASSERT_EQUAL(s.err, CUR_OK);
	CU_ASSERT_EQUAL(cur_left(&c), 4);
	CU_ASSERT_EQUAL(cur_be24(&s), 0x02F304u);
	CU_ASSERT_EQUAL(cur_u8(&s), 0); /* the child cannot read into the parent's bytes */
	CU_ASSERT_EQUAL(s.err, CUR_TRUNCATED);
	CU_ASSERT_EQUAL(c.err, CUR_OK); /* a child's error stays in the child */
	CU_ASSERT_EQUAL(cur_u8(&c), 0x95);

	/* Declared exactly what is left. */
	c = cur_make(b + 1, 8);
	cut = -1;
	s = cur_sub(&c, 8, &cut);
	CU_ASSERT_EQUAL(cut, 0);
	CU_ASSERT_EQUAL(cur_left(&s), 8);
	CU_ASSERT_EQUAL(cur_left(&c), 0);
	CU_ASSERT_EQUAL(c.err, CUR_OK);

	/* One byte more than left: min(declared, left), cut set. */
	c = cur_make(b + 1, 8);
	cut = -1;
	s = cur_sub(&c, 9, &cut);
	CU_ASSERT_EQUAL(cut, 1);
	CU_ASSERT_EQUAL(cur_left(&s), 8);
	CU_ASSERT_PTR_EQUAL(s.end, b + 9);
	CU_ASSERT_EQUAL(cur_left(&c), 0);
	CU_ASSERT_EQUAL(c.err, CUR_OK);

	/* Declared 0. */
	c = cur_make(b + 1, 8);
	cut = -1;
	s = cur_sub(&c, 0, &cut);
	CU_ASSERT_EQUAL(cut, 0);
	CU_ASSERT_EQUAL(cur_left(&s), 0);
	CU_ASSERT_EQUAL(s.err, CUR_OK);
	CU_ASSERT_EQUAL(cur_left(&c), 8);

	/* Without a cut flag. */
	c = cur_make(b + 1, 8);
	s = cur_sub(&c, 65535, NULL);
	CU_ASSERT_EQUAL(cur_left(&s), 8);

	/* Nested: the grandchild is bounded by the child, not the parent. */
	c = cur_make(b + 1, 8);
	s = cur_sub(&c, 4, NULL);
	cut = -1;
	struct cur g = cur_sub(&s, 6, &cut);
	CU_ASSERT_EQUAL(cut, 1);
	CU_ASSERT_EQUAL(cur_left(&g), 4);
	CU_ASSERT_EQUAL(cur_be32(&g), 0x8102F304u);
	free(b);
}

static void test_sub_of_failed(void)
{
	uint8_t *b = exact(pattern, 9);
	struct cur c = cur_make(b + 1, 8);
	int cut = -1;

	cur_skip(&c, 9);
	CU_ASSERT_EQUAL(c.err, CUR_TRUNCATED);
	struct cur s = cur_sub(&c, 4, &cut);
	CU_ASSERT_EQUAL(cut, 1); /* 4 declared, 0 left */
	CU_ASSERT_EQUAL(s.err, CUR_TRUNCATED);
	assert_dead(&s, CUR_TRUNCATED);
	CU_ASSERT_PTR_EQUAL(c.p, b + 1);

	/* Declared 0 on a failed cursor: nothing cut, still failed. */
	cut = -1;
	s = cur_sub(&c, 0, &cut);
	CU_ASSERT_EQUAL(cut, 0);
	CU_ASSERT_EQUAL(s.err, CUR_TRUNCATED);

	/* An INVALID parent passes INVALID down. */
	c = cur_make(b + 1, 8);
	cur_fail(&c, CUR_INVALID);
	s = cur_sub(&c, 2, NULL);
	assert_dead(&s, CUR_INVALID);
	free(b);
}

void register_unit_cursor(void)
{
	static const struct test_case cases[] = {
		{"make, need, empty window", test_make},
		{"u8 exact and short", test_u8},
		{"be16 / le16 exact and short, odd address", test_be16_le16},
		{"be24 exact and short, odd address", test_be24},
		{"be32 / le32 exact and short, odd address", test_be32_le32},
		{"all-ones values, no sign extension", test_high_bits},
		{"mixed readers in sequence", test_sequence},
		{"bytes / skip / copy at 0, 1, 3, 4, 255, 256, 65535", test_bytes_skip_copy},
		{"lengths near SIZE_MAX", test_huge_length},
		{"error latching and cur_fail", test_latch},
		{"cur_sub: min(declared, left) and the cut flag", test_sub},
		{"cur_sub of a failed cursor", test_sub_of_failed},
		{NULL, NULL},
	};
	add_suite("cursor", cases);
}

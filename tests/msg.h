/*
 * msg.h - a bounded byte builder for the decoder tests that write their
 * protocol messages by hand (test_x224.c, test_dns.c, test_ntlm.c).  A
 * message that would outgrow the buffer fails the test, never the heap.
 */
#ifndef RDPROBE_TESTS_MSG_H
#define RDPROBE_TESTS_MSG_H

#include <string.h>

#include "tests.h"

struct msg {
	uint8_t b[4096];
	size_t n;
};

static inline void m8(struct msg *m, unsigned v)
{
	CU_ASSERT_FATAL(m->n < sizeof m->b);
	m->b[m->n++] = (uint8_t)v;
}

static inline void mle16(struct msg *m, unsigned v)
{
	m8(m, v & 0xff);
	m8(m, v >> 8 & 0xff);
}

static inline void mle32(struct msg *m, uint32_t v)
{
	mle16(m, v & 0xffff);
	mle16(m, v >> 16);
}

static inline void mbe16(struct msg *m, unsigned v)
{
	m8(m, v >> 8 & 0xff);
	m8(m, v & 0xff);
}

static inline void mbe32(struct msg *m, uint32_t v)
{
	mbe16(m, v >> 16);
	mbe16(m, v & 0xffff);
}

static inline void mbytes(struct msg *m, const void *p, size_t n)
{
	CU_ASSERT_FATAL(n <= sizeof m->b - m->n);
	if (n)
		memcpy(m->b + m->n, p, n);
	m->n += n;
}

#endif

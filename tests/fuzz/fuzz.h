/*
 * fuzz.h - what the libFuzzer harnesses of tests/fuzz share.
 *
 * Each fuzz_NAME.c is one target: LLVMFuzzerTestOneInput hands the input
 * to one decoder the way the analyzer does, then checks the invariants the
 * decoder promises in its header (a count within its bound, a string
 * NUL-terminated inside its buffer, a cursor inside the input).  A broken
 * promise is an abort(), so libFuzzer keeps the input as a crash.
 *
 * Stream decoders (TLS, TCP reassembly) read a "script": chunks of
 *
 *   +-------+-------------+--------------------+
 *   | tag   | length BE16 | length bytes       |   repeated; a short last
 *   +-------+-------------+--------------------+   chunk takes what is left
 *
 * where the tag's low bit is the direction (0 client, 1 server) and the
 * other bits are the harness's own (fuzz_reasm: TCP flags).  tests/fuzz/
 * seeds.c writes the fixtures' TCP streams in this form.
 */
#ifndef RDPROBE_FUZZ_H
#define RDPROBE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "facts.h"
#include "packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() unless cond: a decoder broke a promise of its header. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

/* A char buffer filled by a decoder: NUL-terminated inside it. */
#define FUZZ_CHECK_STR(buf) FUZZ_CHECK(memchr((buf), '\0', sizeof(buf)) != NULL)

/* Every text field of a certificate's facts is NUL-terminated. */
static inline void fuzz_check_cert(const struct cert_info *ci)
{
	FUZZ_CHECK_STR(ci->subject);
	FUZZ_CHECK_STR(ci->subject_cn);
	FUZZ_CHECK_STR(ci->issuer);
	FUZZ_CHECK_STR(ci->issuer_cn);
	FUZZ_CHECK_STR(ci->sans);
	FUZZ_CHECK_STR(ci->serial);
	FUZZ_CHECK_STR(ci->sha256);
	FUZZ_CHECK_STR(ci->sig_alg);
	FUZZ_CHECK_STR(ci->key_type);
}

/* The pointer range [p, p + n) lies inside [base, base + size). */
static inline int fuzz_inside(const uint8_t *p, size_t n, const uint8_t *base, size_t size)
{
	if (!p)
		return n == 0;
	return p >= base && p <= base + size && n <= (size_t)(base + size - p);
}

struct fuzz_chunk {
	uint8_t tag;
	const uint8_t *p;
	size_t n;
};

/* The next chunk of a script; 0 at the end. */
static inline int fuzz_next_chunk(struct cur *c, struct fuzz_chunk *k)
{
	if (cur_left(c) < 3)
		return 0;
	k->tag = cur_u8(c);
	size_t n = cur_be16(c);
	if (n > cur_left(c))
		n = cur_left(c);
	k->n = n;
	k->p = cur_bytes(c, n);
	return !c->err;
}

/* Reads every byte of [p, p + n): ASan checks the whole range. */
static inline uint8_t fuzz_touch(const uint8_t *p, size_t n)
{
	uint8_t x = 0;
	for (size_t i = 0; i < n; i++)
		x ^= p[i];
	return x;
}

/*
 * A packet decoded to PKT_OK from [base, base + size): IPv4 or IPv6, its
 * transport header inside the frame, a TCP / UDP payload inside the frame
 * and the transport window and no longer than the wire says, both
 * addresses printable.
 */
static inline void fuzz_check_ip(const struct pkt *p, const uint8_t *base, size_t size)
{
	char buf[64];

	FUZZ_CHECK(p->ipver == 4 || p->ipver == 6);
	FUZZ_CHECK(fuzz_inside(p->l4, p->l4_len, base, size));
	(void)fuzz_touch(p->l4, p->l4_len);
	if (p->proto == 6 || p->proto == 17) {
		FUZZ_CHECK(fuzz_inside(p->payload, p->payload_len, base, size));
		FUZZ_CHECK(p->payload_len <= p->payload_wire);
		FUZZ_CHECK(p->payload_wire <= p->ip_len);
		FUZZ_CHECK(fuzz_inside(p->payload, p->payload_len, p->l4, p->l4_len));
		(void)fuzz_touch(p->payload, p->payload_len);
	}
	addr_str(p->ipver, p->src, buf, sizeof buf);
	FUZZ_CHECK_STR(buf);
	addr_str(p->ipver, p->dst, buf, sizeof buf);
	FUZZ_CHECK_STR(buf);
}

#endif

/*
 * fuzz_reasm.c - TCP reassembly of both directions (tcp_reasm.c):
 * retransmissions, overlaps, out-of-order segments past the caps,
 * snap-length cuts, ACKs of bytes never seen, sequence wraparound.
 *
 * Input: a script (fuzz.h); each chunk is one TCP segment:
 *
 *   tag: bit 0 direction, bits 1..5 TCP flags >> 0 (FIN SYN RST PSH ACK)
 *   chunk bytes: seq BE32 | ack BE32 | cut u8 | captured payload
 *
 * The payload on the wire is the captured bytes plus `cut` * 64 (a snap
 * length cut).  As rdp.c does, a segment's ACK is first given to the other
 * direction.  The consumer frames TPKT and TLS records, waits for whole
 * ones (so the reassembler must hold bytes), and stops on a 0xFF byte.
 */
#include "fuzz.h"
#include "packet.h"
#include "tcp_reasm.h"

static size_t on_bytes(void *ctx, int dir, const uint8_t *data, size_t len, uint64_t frame,
                       int64_t ts_us)
{
	(void)ctx;
	(void)frame;
	(void)ts_us;
	FUZZ_CHECK(dir == 0 || dir == 1);
	if (!data)
		return REASM_STOP; /* a PDU over REASM_BUF_MAX */
	FUZZ_CHECK(len > 0 && len <= REASM_BUF_MAX + 65535);
	(void)fuzz_touch(data, len);
	size_t used = 0;
	while (used < len) {
		const uint8_t *p = data + used;
		size_t left = len - used, need;
		if (p[0] == 0xFF)
			return REASM_STOP;
		if (p[0] == 3) {
			if (left < 4)
				break;
			need = (size_t)p[2] << 8 | p[3];
			if (need < 4)
				need = left;
		} else if (p[0] >= 20 && p[0] <= 23) {
			if (left < 5)
				break;
			need = 5 + ((size_t)p[3] << 8 | p[4]);
		} else {
			need = left;
		}
		if (left < need)
			break;
		used += need;
	}
	return used;
}

static void check(const struct reasm_dir *r, const struct tcp_dir_facts *st)
{
	FUZZ_CHECK(r->len <= REASM_BUF_MAX && r->len <= r->buf_cap);
	FUZZ_CHECK(r->buf_cap <= REASM_BUF_MAX);
	FUZZ_CHECK(r->nooo >= 0 && r->nooo <= REASM_OOO_SEGS);
	FUZZ_CHECK(r->ooo_bytes <= REASM_OOO_BYTES);
	FUZZ_CHECK(st->holes_stored >= 0 && st->holes_stored <= HOLE_MAX);
	FUZZ_CHECK(st->retx_stored >= 0 && st->retx_stored <= RETX_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reasm_dir r[2];
	struct tcp_dir_facts st[2];
	struct cur c = cur_make(data, size);
	struct fuzz_chunk k;
	struct pkt p;
	uint64_t frame = 0;

	memset(r, 0, sizeof r);
	memset(st, 0, sizeof st);
	while (fuzz_next_chunk(&c, &k)) {
		int dir = k.tag & 1;
		struct cur s = cur_make(k.p, k.n);
		memset(&p, 0, sizeof p);
		p.frame = ++frame;
		p.tcp_flags = (uint8_t)((k.tag >> 1) & 0x1F);
		p.seq = cur_be32(&s);
		p.ack = cur_be32(&s);
		uint8_t cut = cur_u8(&s);
		if (s.err)
			continue;
		p.payload = s.p;
		p.payload_len = cur_left(&s);
		p.payload_wire = (uint32_t)p.payload_len + cut * 64u;
		if (p.tcp_flags & TCP_ACK)
			reasm_peer_ack(&r[!dir], &st[!dir], p.ack, p.frame);
		reasm_segment(&r[dir], &st[dir], &p, (int64_t)frame * 1000, on_bytes, NULL, dir);
		check(&r[0], &st[0]);
		check(&r[1], &st[1]);
	}
	for (int d = 0; d < 2; d++) {
		reasm_finish(&r[d], &st[d]);
		FUZZ_CHECK(r[d].buf == NULL && r[d].ooo == NULL);
		check(&r[d], &st[d]);
	}
	return 0;
}

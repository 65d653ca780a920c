/*
 * test_reasm.c - TCP reassembly driven segment by segment: in-order
 * delivery across segment boundaries, retransmissions, overlaps, out of
 * order, holes (never filled, ACKed but unseen, cut by the snap length),
 * sequence wraparound, SYN and FIN, and the caps.
 *
 * The consumer takes whole "PDUs" of a fixed size and records each one
 * with its frame, like rdp.c takes whole TPKT packets.
 */
#include <stdlib.h>
#include <string.h>

#include "tcp_reasm.h"
#include "tests.h"

#define STREAM_LEN (REASM_BUF_MAX + 8192)
#define PDU_REC_MAX 64

static uint8_t stream[STREAM_LEN]; /* byte i of every test stream */

static void stream_init(void)
{
	if (stream[1])
		return;
	for (size_t i = 0; i < STREAM_LEN; i++)
		stream[i] = (uint8_t)(i * 13 + 7 + (i >> 8));
}

struct rec {
	size_t pdu;              /* consumes whole PDUs of this size */
	int stop_after;          /* REASM_STOP once this many PDUs are in (0: never) */
	int calls;
	int null_calls;
	int dir;
	int npdu;
	uint64_t pdu_frame[PDU_REC_MAX];
	int64_t pdu_ts[PDU_REC_MAX];
	uint8_t got[PDU_REC_MAX * 10]; /* PDUs of 10 bytes, in order */
	size_t ngot;
};

static size_t consume(void *ctx, int dir, const uint8_t *data, size_t len, uint64_t frame,
		      int64_t ts_us)
{
	struct rec *r = ctx;
	size_t used = 0;

	r->calls++;
	r->dir = dir;
	if (!data) {
		CU_ASSERT_EQUAL(len, 0);
		r->null_calls++;
		return 0;
	}
	CU_ASSERT_TRUE(len > 0);
	while (len - used >= r->pdu) {
		if (r->npdu < PDU_REC_MAX) {
			r->pdu_frame[r->npdu] = frame;
			r->pdu_ts[r->npdu] = ts_us;
		}
		if (r->ngot + r->pdu <= sizeof r->got) {
			memcpy(r->got + r->ngot, data + used, r->pdu);
			r->ngot += r->pdu;
		}
		r->npdu++;
		used += r->pdu;
		if (r->stop_after && r->npdu == r->stop_after)
			return REASM_STOP;
	}
	return used;
}

struct h {
	struct reasm_dir r;
	struct tcp_dir_facts st;
	struct rec rec;
	uint32_t isn;
};

/* A fresh direction whose SYN carried sequence number isn. */
static struct h *h_new(uint32_t isn, size_t pdu)
{
	stream_init();
	struct h *h = calloc(1, sizeof *h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	h->isn = isn;
	h->rec.pdu = pdu;
	h->st.wscale = -1;
	return h;
}

static void h_free(struct h *h)
{
	reasm_free(&h->r);
	free(h);
}

/* A segment carrying stream[rel, rel + wire), `have` of it captured. */
static void h_cut(struct h *h, uint32_t rel, uint32_t wire, uint32_t have, uint64_t frame,
		  uint8_t flags)
{
	struct pkt p;
	memset(&p, 0, sizeof p);
	p.frame = frame;
	p.seq = h->isn + 1 + rel;
	p.tcp_flags = flags;
	p.payload = wire ? stream + rel : NULL;
	p.payload_len = have;
	p.payload_wire = wire;
	reasm_segment(&h->r, &h->st, &p, (int64_t)frame * 1000, consume, &h->rec, DIR_S2C);
}

static void h_seg(struct h *h, uint32_t rel, uint32_t len, uint64_t frame)
{
	h_cut(h, rel, len, len, frame, TCP_ACK | TCP_PSH);
}

static void h_syn(struct h *h, uint64_t frame)
{
	struct pkt p;
	memset(&p, 0, sizeof p);
	p.frame = frame;
	p.seq = h->isn;
	p.tcp_flags = TCP_SYN;
	reasm_segment(&h->r, &h->st, &p, 0, consume, &h->rec, DIR_S2C);
}

static void h_ack(struct h *h, uint32_t rel, uint64_t frame)
{
	reasm_peer_ack(&h->r, &h->st, h->isn + 1 + rel, frame);
}

/* The consumer got stream[0, n) as n / pdu PDUs. */
static void assert_got(const struct h *h, size_t n)
{
	CU_ASSERT_EQUAL(h->rec.ngot, n);
	CU_ASSERT_EQUAL(h->rec.npdu, (int)(n / h->rec.pdu));
	CU_ASSERT_EQUAL(memcmp(h->rec.got, stream, h->rec.ngot < n ? h->rec.ngot : n), 0);
}

static void assert_hole(const struct tcp_dir_facts *st, int i, uint64_t frame, uint32_t rel,
			uint32_t len, int acked)
{
	CU_ASSERT_FATAL(i < st->holes_stored);
	CU_ASSERT_EQUAL(st->hole[i].frame, frame);
	CU_ASSERT_EQUAL(st->hole[i].rel_seq, rel);
	CU_ASSERT_EQUAL(st->hole[i].len, len);
	CU_ASSERT_EQUAL(st->hole[i].acked, acked);
}

static void assert_clean(const struct tcp_dir_facts *st)
{
	CU_ASSERT_EQUAL(st->retransmissions, 0);
	CU_ASSERT_EQUAL(st->out_of_order, 0);
	CU_ASSERT_EQUAL(st->holes, 0);
	CU_ASSERT_EQUAL(st->acked_unseen, 0);
	CU_ASSERT_EQUAL(st->truncated, 0);
}

/* ---- in order ---------------------------------------------------------- */

static void test_in_order_splits(void)
{
	struct h *h = h_new(1000, 10);
	h_syn(h, 1);
	/* PDU 0 split 1 + 9, PDU 1 split 9 + 1, PDU 2 split 5 + 5. */
	h_seg(h, 0, 1, 2);
	CU_ASSERT_EQUAL(h->rec.npdu, 0);
	h_seg(h, 1, 18, 3);
	CU_ASSERT_EQUAL(h->rec.npdu, 1);
	h_seg(h, 19, 6, 4);
	CU_ASSERT_EQUAL(h->rec.npdu, 2);
	h_seg(h, 25, 5, 5);
	assert_got(h, 30);
	CU_ASSERT_EQUAL(h->rec.pdu_frame[0], 3);
	CU_ASSERT_EQUAL(h->rec.pdu_frame[1], 4);
	CU_ASSERT_EQUAL(h->rec.pdu_frame[2], 5);
	CU_ASSERT_EQUAL(h->rec.pdu_ts[2], 5000);
	CU_ASSERT_EQUAL(h->rec.dir, DIR_S2C);
	/* One call per segment: the held byte is not offered again alone. */
	CU_ASSERT_EQUAL(h->rec.calls, 4);
	/* Three PDUs in one segment. */
	h_seg(h, 30, 30, 6);
	assert_got(h, 60);
	CU_ASSERT_EQUAL(h->rec.pdu_frame[3], 6);
	CU_ASSERT_EQUAL(h->rec.pdu_frame[5], 6);
	CU_ASSERT_EQUAL(h->r.next, 1000u + 1 + 60);
	CU_ASSERT_EQUAL(h->r.isn, 1000u);
	CU_ASSERT_EQUAL(h->st.max_segment, 30);
	CU_ASSERT_EQUAL(h->st.max_segment_frame, 6);
	reasm_finish(&h->r, &h->st);
	assert_clean(&h->st);
	h_free(h);
}

static void test_byte_by_byte(void)
{
	struct h *h = h_new(7, 10);
	h_syn(h, 1);
	for (uint32_t i = 0; i < 40; i++)
		h_seg(h, i, 1, 2 + i);
	assert_got(h, 40);
	CU_ASSERT_EQUAL(h->rec.pdu_frame[0], 11);
	CU_ASSERT_EQUAL(h->rec.pdu_frame[3], 41);
	CU_ASSERT_EQUAL(h->st.max_segment, 1);
	CU_ASSERT_EQUAL(h->st.max_segment_frame, 2);
	reasm_finish(&h->r, &h->st);
	assert_clean(&h->st);
	h_free(h);
}

/* ---- retransmissions and overlaps -------------------------------------- */

static void test_retransmission(void)
{
	struct h *h = h_new(5000, 10);
	h_syn(h, 1);
	h_seg(h, 0, 10, 2);
	h_seg(h, 10, 10, 3);
	h_seg(h, 0, 10, 4);  /* exact copy of frame 2 */
	h_seg(h, 0, 20, 5);  /* frames 2 and 3 again, in one */
	h_seg(h, 5, 5, 6);   /* a part of what was seen */
	assert_got(h, 20);
	CU_ASSERT_EQUAL(h->st.retransmissions, 3);
	CU_ASSERT_EQUAL(h->st.retransmitted_bytes, 35);
	CU_ASSERT_EQUAL(h->st.max_retransmitted, 20);
	CU_ASSERT_EQUAL(h->st.retx_stored, 3);
	CU_ASSERT_EQUAL(h->st.retx_frames[0], 4);
	CU_ASSERT_EQUAL(h->st.retx_lens[0], 10);
	CU_ASSERT_EQUAL(h->st.retx_frames[1], 5);
	CU_ASSERT_EQUAL(h->st.retx_lens[1], 20);
	CU_ASSERT_EQUAL(h->st.retx_frames[2], 6);
	CU_ASSERT_EQUAL(h->st.retx_lens[2], 5);
	/* Retransmissions do not count as the largest new segment. */
	CU_ASSERT_EQUAL(h->st.max_segment, 10);
	CU_ASSERT_EQUAL(h->st.max_segment_frame, 2);
	reasm_finish(&h->r, &h->st);
	CU_ASSERT_EQUAL(h->st.holes, 0);
	h_free(h);
}

static void test_retx_cap(void)
{
	struct h *h = h_new(0, 10);
	h_syn(h, 1);
	h_seg(h, 0, 10, 2);
	for (int i = 0; i < RETX_MAX + 1; i++)
		h_seg(h, 0, (uint32_t)(i + 1), (uint64_t)(3 + i));
	CU_ASSERT_EQUAL(h->st.retransmissions, RETX_MAX + 1);
	CU_ASSERT_EQUAL(h->st.retx_stored, RETX_MAX);
	CU_ASSERT_EQUAL(h->st.retx_frames[RETX_MAX - 1], 2 + RETX_MAX);
	CU_ASSERT_EQUAL(h->st.retx_lens[RETX_MAX - 1], RETX_MAX);
	CU_ASSERT_EQUAL(h->st.max_retransmitted, RETX_MAX + 1);
	CU_ASSERT_EQUAL(h->st.retransmitted_bytes, (RETX_MAX + 1) * (RETX_MAX + 2) / 2);
	assert_got(h, 10);
	reasm_finish(&h->r, &h->st);
	h_free(h);
}

static void test_partial_overlap(void)
{
	struct h *h = h_new(100, 10);
	h_syn(h, 1);
	h_seg(h, 0, 8, 2);
	h_seg(h, 5, 15, 3); /* 3 old bytes, 12 new */
	assert_got(h, 20);
	CU_ASSERT_EQUAL(h->rec.pdu_frame[1], 3);
	CU_ASSERT_EQUAL(h->st.retransmissions, 1);
	CU_ASSERT_EQUAL(h->st.retransmitted_bytes, 3);
	CU_ASSERT_EQUAL(h->st.retx_lens[0], 3);
	CU_ASSERT_EQUAL(h->st.retx_frames[0], 3);
	CU_ASSERT_EQUAL(h->st.max_segment, 15);
	CU_ASSERT_EQUAL(h->st.max_segment_frame, 3);
	CU_ASSERT_EQUAL(h->r.next, 100u + 1 + 20);
	/* An overlap reaching one byte past the in-order point. */
	h_seg(h, 10, 11, 4);
	CU_ASSERT_EQUAL(h->r.next, 100u + 1 + 21);
	CU_ASSERT_EQUAL(h->st.retransmissions, 2);
	CU_ASSERT_EQUAL(h->st.retx_lens[1], 10);
	h_seg(h, 21, 9, 5);
	assert_got(h, 30);
	reasm_finish(&h->r, &h->st);
	CU_ASSERT_EQUAL(h->st.holes, 0);
	h_free(h);
}

/* ---- out of order ------------------------------------------------------ */

static void test_out_of_order(void)
{
	struct h *h = h_new(0x12345678u, 10);
	h_syn(h, 1);
	h_seg(h, 0, 10, 2);
	h_seg(h, 20, 10, 3); /* ahead: held */
	h_seg(h, 30, 5, 4);  /* ahead: held */
	assert_got(h, 10);
	CU_ASSERT_EQUAL(h->st.out_of_order, 2);
	h_seg(h, 20, 10, 5); /* the held one again: a retransmission */
	CU_ASSERT_EQUAL(h->st.retransmissions, 1);
	CU_ASSERT_EQUAL(h->st.retx_frames[0], 5);
	CU_ASSERT_EQUAL(h->st.out_of_order, 2);
	h_seg(h, 10, 10, 6); /* fills the gap */
	assert_got(h, 30);
	CU_ASSERT_EQUAL(h->rec.pdu_frame[1], 6);
	CU_ASSERT_EQUAL(h->rec.pdu_frame[2], 6); /* completed by the packet that filled the gap */
	CU_ASSERT_EQUAL(h->r.next, 0x12345678u + 1 + 35);
	CU_ASSERT_EQUAL(h->r.nooo, 0);
	h_seg(h, 35, 5, 7);
	assert_got(h, 40);
	reasm_finish(&h->r, &h->st);
	CU_ASSERT_EQUAL(h->st.holes, 0);
	CU_ASSERT_EQUAL(h->st.acked_unseen, 0);
	h_free(h);
}

static void test_out_of_order_reversed(void)
{
	struct h *h = h_new(1, 10);
	h_syn(h, 1);
	for (uint32_t i = 5; i >= 1; i--)
		h_seg(h, i * 10, 10, 7 - i); /* frames 2..6, bytes 50..10 */
	CU_ASSERT_EQUAL(h->rec.calls, 0);
	CU_ASSERT_EQUAL(h->st.out_of_order, 5);
	h_seg(h, 0, 10, 7);
	assert_got(h, 60);
	CU_ASSERT_EQUAL(h->rec.pdu_frame[5], 7);
	reasm_finish(&h->r, &h->st);
	CU_ASSERT_EQUAL(h->st.holes, 0);
	h_free(h);
}

static void test_gap_never_filled(void)
{
	struct h *h = h_new(900, 10);
	h_syn(h, 1);
	h_seg(h, 0, 10, 2);
	h_seg(h, 25, 15, 3);
	h_seg(h, 40, 10, 4);
	reasm_finish(&h->r, &h->st);
	assert_got(h, 10);
	CU_ASSERT_EQUAL(h->st.out_of_order, 2);
	CU_ASSERT_EQUAL(h->st.holes, 1);
	CU_ASSERT_EQUAL(h->st.hole_bytes, 15);
	CU_ASSERT_EQUAL(h->st.holes_stored, 1);
	assert_hole(&h->st, 0, 3, 10, 15, 0);
	CU_ASSERT_EQUAL(h->st.acked_unseen, 0);
	CU_ASSERT_EQUAL(h->r.nooo, 0);
	h_free(h);

	/* Two gaps: two holes, each with the frame after it. */
	h = h_new(900, 10);
	h_syn(h, 1);
	h_seg(h, 10, 10, 2);
	h_seg(h, 30, 10, 3);
	reasm_finish(&h->r, &h->st);
	CU_ASSERT_EQUAL(h->st.holes, 2);
	CU_ASSERT_EQUAL(h->st.hole_bytes, 20);
	assert_hole(&h->st, 0, 2, 0, 10, 0);
	assert_hole(&h->st, 1, 3, 20, 10, 0);
	CU_ASSERT_EQUAL(h->rec.calls, 0);
	h_free(h);
}

static void test_peer_ack_unseen(void)
{
	struct h *h = h_new(4000, 10);
	h_syn(h, 1);
	h_ack(h, 0, 2);     /* the SYN: nothing unseen */
	h_seg(h, 0, 10, 3);
	h_ack(h, 10, 4);    /* exactly the in-order point */
	h_ack(h, 5, 5);     /* an old ACK */
	CU_ASSERT_EQUAL(h->st.acked_unseen, 0);
	h_ack(h, 30, 6);    /* 20 bytes the capture never showed */
	CU_ASSERT_EQUAL(h->st.acked_unseen, 1);
	CU_ASSERT_EQUAL(h->st.acked_unseen_bytes, 20);
	CU_ASSERT_EQUAL(h->st.acked_unseen_frame, 6);
	CU_ASSERT_EQUAL(h->st.holes, 1);
	assert_hole(&h->st, 0, 6, 10, 20, 1);
	CU_ASSERT_EQUAL(h->r.next, 4000u + 1 + 30);
	CU_ASSERT_EQUAL(h->r.stopped, 1);
	/* The stream is no longer decodable: nothing more is delivered. */
	h_seg(h, 30, 10, 7);
	assert_got(h, 10);
	CU_ASSERT_EQUAL(h->r.next, 4000u + 1 + 40);
	/* A second gap: counted again, first frame kept. */
	h_ack(h, 45, 8);
	CU_ASSERT_EQUAL(h->st.acked_unseen, 2);
	CU_ASSERT_EQUAL(h->st.acked_unseen_bytes, 25);
	CU_ASSERT_EQUAL(h->st.acked_unseen_frame, 6);
	assert_hole(&h->st, 1, 8, 40, 5, 1);
	/* A wild ACK is no evidence. */
	h_ack(h, 45 + 0x40000001u, 9);
	CU_ASSERT_EQUAL(h->st.acked_unseen, 2);
	reasm_finish(&h->r, &h->st);
	CU_ASSERT_EQUAL(h->st.holes, 2);
	h_free(h);
}

static void test_peer_ack_with_held(void)
{
	struct h *h = h_new(4000, 10);
	h_syn(h, 1);
	h_seg(h, 0, 10, 2);
	h_seg(h, 20, 10, 3); /* held */
	h_seg(h, 40, 10, 4); /* held */
	h_ack(h, 50, 5);     /* the gaps before frames 3 and 4 were both ACKed */
	CU_ASSERT_EQUAL(h->st.acked_unseen, 2);
	CU_ASSERT_EQUAL(h->st.acked_unseen_bytes, 20);
	CU_ASSERT_EQUAL(h->st.acked_unseen_frame, 5);
	CU_ASSERT_EQUAL(h->st.holes, 2);
	assert_hole(&h->st, 0, 5, 10, 10, 1);
	assert_hole(&h->st, 1, 5, 30, 10, 1);
	CU_ASSERT_EQUAL(h->r.next, 4000u + 1 + 50);
	CU_ASSERT_EQUAL(h->r.nooo, 0);
	reasm_finish(&h->r, &h->st);
	CU_ASSERT_EQUAL(h->st.holes, 2);
	assert_got(h, 10);
	h_free(h);

	/* The ACK ends inside a held segment. */
	h = h_new(4000, 10);
	h_syn(h, 1);
	h_seg(h, 20, 10, 2);
	h_ack(h, 25, 3);
	CU_ASSERT_EQUAL(h->st.acked_unseen_bytes, 20);
	assert_hole(&h->st, 0, 3, 0, 20, 1);
	CU_ASSERT_EQUAL(h->r.next, 4000u + 1 + 30);
	reasm_finish(&h->r, &h->st);
	CU_ASSERT_EQUAL(h->st.holes, 1);
	h_free(h);
}

/* ---- sequence numbers -------------------------------------------------- */

static void test_wraparound(void)
{
	struct h *h = h_new(0xFFFFFFF0u, 10);
	h_syn(h, 1);
	CU_ASSERT_EQUAL(h->r.next, 0xFFFFFFF1u);
	h_seg(h, 0, 10, 2);  /* 0xFFFFFFF1 .. 0xFFFFFFFA */
	h_seg(h, 10, 10, 3); /* 0xFFFFFFFB .. 0x00000004: across the wrap */
	h_seg(h, 20, 10, 4); /* 0x00000005 .. */
	h_seg(h, 30, 10, 5);
	assert_got(h, 40);
	CU_ASSERT_EQUAL(h->r.next, 0x19u);
	CU_ASSERT_EQUAL(h->rec.pdu_frame[3], 5);
	h_ack(h, 40, 6);
	reasm_finish(&h->r, &h->st);
	assert_clean(&h->st);
	h_free(h);

	/* Out of order across the wrap, a retransmission from before it. */
	h = h_new(0xFFFFFFF0u, 10);
	h_syn(h, 1);
	h_seg(h, 0, 10, 2);
	h_seg(h, 20, 10, 3);
	h_seg(h, 10, 10, 4);
	h_seg(h, 0, 10, 5);
	h_seg(h, 30, 10, 6);
	assert_got(h, 40);
	CU_ASSERT_EQUAL(h->st.out_of_order, 1);
	CU_ASSERT_EQUAL(h->st.retransmissions, 1);
	reasm_finish(&h->r, &h->st);
	CU_ASSERT_EQUAL(h->st.holes, 0);
	h_free(h);

	/* A hole across the wrap: relative sequence numbers stay small. */
	h = h_new(0xFFFFFFF0u, 10);
	h_syn(h, 1);
	h_seg(h, 0, 10, 2);
	h_seg(h, 30, 10, 3);
	reasm_finish(&h->r, &h->st);
	assert_hole(&h->st, 0, 3, 10, 20, 0);
	h_free(h);
}

static void test_syn(void)
{
	struct h *h = h_new(77, 10);
	h_syn(h, 1);
	CU_ASSERT_EQUAL(h->r.init, 1);
	CU_ASSERT_EQUAL(h->r.isn, 77u);
	CU_ASSERT_EQUAL(h->r.next, 78u);
	h_syn(h, 2); /* the SYN again: nothing moves */
	CU_ASSERT_EQUAL(h->r.next, 78u);
	CU_ASSERT_EQUAL(h->st.retransmissions, 0);
	h_seg(h, 0, 10, 3);
	assert_got(h, 10);
	h_syn(h, 4); /* a stale SYN after data does not rewind */
	CU_ASSERT_EQUAL(h->r.next, 88u);
	reasm_finish(&h->r, &h->st);
	h_free(h);

	/* Data on the SYN (TCP Fast Open) starts after its sequence number. */
	h = h_new(500, 10);
	struct pkt p;
	memset(&p, 0, sizeof p);
	p.frame = 1;
	p.seq = 500;
	p.tcp_flags = TCP_SYN;
	p.payload = stream;
	p.payload_len = p.payload_wire = 10;
	reasm_segment(&h->r, &h->st, &p, 0, consume, &h->rec, DIR_C2S);
	assert_got(h, 10);
	CU_ASSERT_EQUAL(h->rec.dir, DIR_C2S);
	CU_ASSERT_EQUAL(h->r.next, 511u);
	h_seg(h, 10, 10, 2);
	assert_got(h, 20);
	reasm_finish(&h->r, &h->st);
	assert_clean(&h->st);
	h_free(h);

	/* No SYN seen: counting starts at the first byte. */
	h = h_new(9000, 10);
	h_seg(h, 0, 10, 1);
	CU_ASSERT_EQUAL(h->r.isn, 9000u);
	h_seg(h, 20, 10, 2);
	reasm_finish(&h->r, &h->st);
	assert_got(h, 10);
	assert_hole(&h->st, 0, 2, 10, 10, 0);
	h_free(h);
}

static void test_fin(void)
{
	/* Data and FIN in one segment; the peer ACKs the FIN. */
	struct h *h = h_new(300, 10);
	h_syn(h, 1);
	h_seg(h, 0, 10, 2);
	h_cut(h, 10, 10, 10, 3, TCP_ACK | TCP_FIN);
	assert_got(h, 20);
	CU_ASSERT_EQUAL(h->r.fin, 1);
	CU_ASSERT_EQUAL(h->r.fin_seq, 300u + 1 + 20);
	h_ack(h, 20, 4);
	h_ack(h, 21, 5);
	CU_ASSERT_EQUAL(h->st.acked_unseen, 0);
	reasm_finish(&h->r, &h->st);
	assert_clean(&h->st);
	h_free(h);

	/* A bare FIN after the data. */
	h = h_new(300, 10);
	h_syn(h, 1);
	h_seg(h, 0, 10, 2);
	h_cut(h, 10, 0, 0, 3, TCP_ACK | TCP_FIN);
	h_ack(h, 11, 4);
	CU_ASSERT_EQUAL(h->st.acked_unseen, 0);
	CU_ASSERT_EQUAL(h->st.holes, 0);
	reasm_finish(&h->r, &h->st);
	assert_clean(&h->st);
	h_free(h);

	/* Bytes before the FIN never seen: the ACK of the FIN counts them, not the FIN. */
	h = h_new(300, 10);
	h_syn(h, 1);
	h_seg(h, 0, 10, 2);
	h_cut(h, 20, 0, 0, 3, TCP_ACK | TCP_FIN);
	h_ack(h, 21, 4);
	CU_ASSERT_EQUAL(h->st.acked_unseen, 1);
	CU_ASSERT_EQUAL(h->st.acked_unseen_bytes, 10);
	assert_hole(&h->st, 0, 4, 10, 10, 1);
	reasm_finish(&h->r, &h->st);
	CU_ASSERT_EQUAL(h->st.holes, 1);
	CU_ASSERT_EQUAL(h->st.hole_bytes, 10);
	h_free(h);
}

/* ---- caps -------------------------------------------------------------- */

static void test_ooo_cap(void)
{
	struct h *h = h_new(0, 10);
	h_syn(h, 1);
	/* Byte 0..9 never come; REASM_OOO_SEGS + 1 segments after them do. */
	for (uint32_t i = 0; i < REASM_OOO_SEGS + 1; i++)
		h_seg(h, 10 + 10 * i, 10, 2 + i);
	CU_ASSERT_EQUAL(h->st.out_of_order, REASM_OOO_SEGS + 1);
	CU_ASSERT_TRUE(h->r.nooo <= REASM_OOO_SEGS);
	CU_ASSERT_EQUAL(h->st.holes, 1);
	assert_hole(&h->st, 0, 2 + REASM_OOO_SEGS, 0, 10, 0);
	CU_ASSERT_EQUAL(h->r.next, 10u * (REASM_OOO_SEGS + 2) + 1);
	CU_ASSERT_EQUAL(h->r.stopped, 1);
	reasm_finish(&h->r, &h->st);
	CU_ASSERT_EQUAL(h->st.holes, 1);
	CU_ASSERT_EQUAL(h->rec.calls, 0);
	h_free(h);

	/* The segment that overflows lies below every held one. */
	h = h_new(0, 10);
	h_syn(h, 1);
	for (uint32_t i = 0; i < REASM_OOO_SEGS; i++)
		h_seg(h, 100 + 10 * i, 10, 2 + i);
	uint32_t held_end = 100 + 10 * REASM_OOO_SEGS;
	h_seg(h, 50, 10, 100);
	CU_ASSERT_EQUAL(h->st.out_of_order, REASM_OOO_SEGS + 1);
	assert_hole(&h->st, 0, 100, 0, 50, 0);
	/* The in-order point never goes back, holes never exceed what is missing. */
	h_ack(h, held_end + 10, 101);
	CU_ASSERT_TRUE(h->st.acked_unseen_bytes <= held_end + 10);
	CU_ASSERT_TRUE(h->st.hole_bytes <= held_end + 10);
	CU_ASSERT_EQUAL(h->r.next, held_end + 10 + 1);
	CU_ASSERT_EQUAL(h->st.acked_unseen, 2);
	CU_ASSERT_EQUAL(h->st.acked_unseen_bytes, 40 + 10);
	reasm_finish(&h->r, &h->st);
	CU_ASSERT_EQUAL(h->r.next, held_end + 10 + 1);
	CU_ASSERT_EQUAL(h->st.hole_bytes, 50 + 40 + 10);
	CU_ASSERT_EQUAL(h->st.holes, 3);
	assert_hole(&h->st, 1, 101, 60, 40, 1);
	assert_hole(&h->st, 2, 101, held_end, 10, 1);
	h_free(h);
}

static void test_holes_cap(void)
{
	struct h *h = h_new(0, 10);
	h_syn(h, 1);
	for (uint32_t i = 0; i < HOLE_MAX + 2; i++)
		h_seg(h, 20 * i + 10, 10, 2 + i);
	reasm_finish(&h->r, &h->st);
	CU_ASSERT_EQUAL(h->st.holes, HOLE_MAX + 2);
	CU_ASSERT_EQUAL(h->st.holes_stored, HOLE_MAX);
	CU_ASSERT_EQUAL(h->st.hole_bytes, 10 * (HOLE_MAX + 2));
	assert_hole(&h->st, HOLE_MAX - 1, 1 + HOLE_MAX, 20 * (HOLE_MAX - 1), 10, 0);
	h_free(h);
}

static void test_pdu_too_large(void)
{
	struct h *h = h_new(0, REASM_BUF_MAX + 4096);
	h_syn(h, 1);
	uint32_t rel = 0;
	uint64_t frame = 2;
	while (rel + 1000 <= REASM_BUF_MAX) {
		h_seg(h, rel, 1000, frame++);
		rel += 1000;
	}
	CU_ASSERT_EQUAL(h->rec.null_calls, 0);
	CU_ASSERT_EQUAL(h->rec.calls, (int)(rel / 1000));
	CU_ASSERT_EQUAL(h->r.len, rel);
	h_seg(h, rel, 1000, frame++); /* one segment over the cap */
	CU_ASSERT_EQUAL(h->rec.null_calls, 1);
	CU_ASSERT_EQUAL(h->r.stopped, 1);
	CU_ASSERT_PTR_NULL(h->r.buf);
	int calls = h->rec.calls;
	h_seg(h, rel + 1000, 1000, frame++);
	h_seg(h, rel + 3000, 1000, frame++); /* out of order: range only */
	CU_ASSERT_EQUAL(h->rec.calls, calls);
	CU_ASSERT_EQUAL(h->rec.null_calls, 1);
	CU_ASSERT_EQUAL(h->rec.npdu, 0);
	CU_ASSERT_EQUAL(h->st.truncated, 0);
	reasm_finish(&h->r, &h->st);
	CU_ASSERT_EQUAL(h->st.holes, 1);
	h_free(h);

	/* A buffer exactly REASM_BUF_MAX long is still followed. */
	h = h_new(0, REASM_BUF_MAX);
	h_syn(h, 1);
	h_seg(h, 0, 1, 2);
	h_seg(h, 1, REASM_BUF_MAX - 1, 3);
	CU_ASSERT_EQUAL(h->rec.null_calls, 0);
	CU_ASSERT_EQUAL(h->rec.npdu, 1);
	CU_ASSERT_EQUAL(h->rec.pdu_frame[0], 3);
	CU_ASSERT_EQUAL(h->r.len, 0);
	reasm_finish(&h->r, &h->st);
	h_free(h);
}

static void test_consumer_stops(void)
{
	struct h *h = h_new(0, 10);
	h->rec.stop_after = 2;
	h_syn(h, 1);
	h_seg(h, 0, 5, 2);
	h_seg(h, 5, 30, 3);
	CU_ASSERT_EQUAL(h->rec.npdu, 2);
	CU_ASSERT_EQUAL(h->r.stopped, 1);
	int calls = h->rec.calls;
	h_seg(h, 35, 10, 4);
	CU_ASSERT_EQUAL(h->rec.calls, calls);
	/* Sequence tracking goes on: retransmissions are still counted. */
	h_seg(h, 35, 10, 5);
	CU_ASSERT_EQUAL(h->st.retransmissions, 1);
	CU_ASSERT_EQUAL(h->r.next, 46u);
	reasm_finish(&h->r, &h->st);
	CU_ASSERT_EQUAL(h->st.holes, 0);
	h_free(h);

	/* Stopping while held segments are delivered. */
	h = h_new(0, 10);
	h->rec.stop_after = 1;
	h_syn(h, 1);
	h_seg(h, 10, 10, 2);
	h_seg(h, 20, 10, 3);
	h_seg(h, 0, 10, 4);
	CU_ASSERT_EQUAL(h->rec.npdu, 1);
	CU_ASSERT_EQUAL(h->r.next, 31u);
	CU_ASSERT_EQUAL(h->r.nooo, 0);
	reasm_finish(&h->r, &h->st);
	h_free(h);
}

static void test_max_segment(void)
{
	struct h *h = h_new(0, 10);
	h_syn(h, 1);
	h_seg(h, 0, 10, 2);
	h_seg(h, 10, 30, 3);
	h_seg(h, 40, 20, 4);
	h_seg(h, 70, 30, 5); /* out of order, as large: the first stays */
	CU_ASSERT_EQUAL(h->st.max_segment, 30);
	CU_ASSERT_EQUAL(h->st.max_segment_frame, 3);
	h_seg(h, 10, 30, 6);
	h_seg(h, 0, 10, 7);
	h_seg(h, 60, 40, 8); /* fills 60..70 and repeats 70..100 */
	CU_ASSERT_EQUAL(h->st.max_segment, 40);
	CU_ASSERT_EQUAL(h->st.max_segment_frame, 8);
	CU_ASSERT_EQUAL(h->st.max_retransmitted, 30);
	CU_ASSERT_EQUAL(h->st.retransmissions, 2);
	CU_ASSERT_EQUAL(h->st.retransmitted_bytes, 40);
	assert_got(h, 100);
	reasm_finish(&h->r, &h->st);
	CU_ASSERT_EQUAL(h->st.holes, 0);
	h_free(h);
}

static void test_snaplen_cut(void)
{
	struct h *h = h_new(0, 10);
	h_syn(h, 1);
	h_seg(h, 0, 10, 2);
	h_cut(h, 10, 20, 5, 3, TCP_ACK); /* 20 on the wire, 5 captured */
	CU_ASSERT_EQUAL(h->st.truncated, 1);
	CU_ASSERT_EQUAL(h->st.holes, 1);
	assert_hole(&h->st, 0, 3, 15, 15, 0);
	CU_ASSERT_EQUAL(h->r.next, 31u);
	CU_ASSERT_EQUAL(h->r.stopped, 1);
	assert_got(h, 10);
	h_seg(h, 30, 10, 4);
	assert_got(h, 10);
	CU_ASSERT_EQUAL(h->st.max_segment, 20);
	reasm_finish(&h->r, &h->st);
	CU_ASSERT_EQUAL(h->st.holes, 1);
	h_free(h);

	/* Nothing captured of it at all. */
	h = h_new(0, 10);
	h_syn(h, 1);
	h_cut(h, 0, 1460, 0, 2, TCP_ACK);
	CU_ASSERT_EQUAL(h->st.truncated, 1);
	assert_hole(&h->st, 0, 2, 0, 1460, 0);
	CU_ASSERT_EQUAL(h->rec.calls, 0);
	reasm_finish(&h->r, &h->st);
	h_free(h);

	/* A cut segment held out of order, then reached by the in-order point. */
	h = h_new(0, 10);
	h_syn(h, 1);
	h_seg(h, 0, 10, 2);
	h_cut(h, 20, 10, 4, 3, TCP_ACK);
	CU_ASSERT_EQUAL(h->st.truncated, 1);
	h_seg(h, 10, 10, 4);
	assert_got(h, 20);
	CU_ASSERT_EQUAL(h->st.holes, 1);
	assert_hole(&h->st, 0, 3, 20, 10, 0);
	CU_ASSERT_EQUAL(h->r.stopped, 1);
	/* What follows cannot be taken for the bytes that were never captured. */
	h_seg(h, 30, 10, 5);
	assert_got(h, 20);
	CU_ASSERT_EQUAL(h->r.next, 41u);
	reasm_finish(&h->r, &h->st);
	CU_ASSERT_EQUAL(h->st.holes, 1);
	h_free(h);
}

void register_unit_reasm(void)
{
	static const struct test_case cases[] = {
		{"in order: PDUs split 1+9, 9+1, 5+5, three in one", test_in_order_splits},
		{"in order: one byte per segment", test_byte_by_byte},
		{"exact retransmissions, counted with length and frame", test_retransmission},
		{"retransmissions beyond RETX_MAX", test_retx_cap},
		{"partial overlap: the new part once", test_partial_overlap},
		{"out of order: held, delivered when the gap fills", test_out_of_order},
		{"out of order: reversed", test_out_of_order_reversed},
		{"a gap never filled: hole at finish", test_gap_never_filled},
		{"peer ACK beyond the in-order point", test_peer_ack_unseen},
		{"peer ACK over held segments", test_peer_ack_with_held},
		{"sequence wraparound", test_wraparound},
		{"SYN takes one sequence number", test_syn},
		{"FIN and the ACK of FIN", test_fin},
		{"REASM_OOO_SEGS + 1 out of order", test_ooo_cap},
		{"holes beyond HOLE_MAX", test_holes_cap},
		{"PDU larger than REASM_BUF_MAX", test_pdu_too_large},
		{"consumer returns REASM_STOP", test_consumer_stops},
		{"max_segment and max_retransmitted", test_max_segment},
		{"snap length cuts a segment", test_snaplen_cut},
		{NULL, NULL},
	};
	add_suite("reasm", cases);
}

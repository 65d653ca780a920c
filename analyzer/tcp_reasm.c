/*
 * tcp_reasm.c - see tcp_reasm.h.  Sequence arithmetic is modulo 2^32
 * (RFC 1982 serial numbers), so wraparound needs no special case.
 */
#include "tcp_reasm.h"

#include <stdlib.h>
#include <string.h>

static int seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static int seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static void note_retx(struct tcp_dir_facts *st, uint64_t frame, uint32_t len)
{
	st->retransmissions++;
	st->retransmitted_bytes += len;
	if (len > st->max_retransmitted)
		st->max_retransmitted = len;
	if (st->retx_stored < RETX_MAX) {
		st->retx_frames[st->retx_stored] = frame;
		st->retx_lens[st->retx_stored++] = len;
	}
}

static void note_hole(struct reasm_dir *r, struct tcp_dir_facts *st, uint64_t frame,
		      uint32_t from, uint32_t len, int acked)
{
	st->holes++;
	st->hole_bytes += len;
	if (st->holes_stored < HOLE_MAX) {
		struct tcp_hole *h = &st->hole[st->holes_stored++];
		h->frame = frame;
		h->rel_seq = from - r->isn - 1;
		h->len = len;
		h->acked = (uint8_t)acked;
	}
}

void reasm_stop(struct reasm_dir *r)
{
	r->stopped = 1;
	free(r->buf);
	r->buf = NULL;
	r->buf_cap = 0;
	r->len = 0;
	for (int i = 0; i < r->nooo; i++) {
		free(r->ooo[i].data);
		r->ooo[i].data = NULL;
	}
}

void reasm_free(struct reasm_dir *r)
{
	reasm_stop(r);
	free(r->ooo);
	r->ooo = NULL;
	r->nooo = 0;
	r->ooo_bytes = 0;
}

/* Hands in-order bytes to the consumer, keeping what it leaves (bounded). */
static void deliver(struct reasm_dir *r, const uint8_t *data, size_t len, uint64_t frame,
		    int64_t ts_us, reasm_deliver_fn fn, void *ctx, int dir)
{
	if (r->stopped || !len)
		return;
	if (r->len == 0) {
		size_t used = fn(ctx, dir, data, len, frame, ts_us);
		if (used == REASM_STOP) {
			reasm_stop(r);
			return;
		}
		data += used;
		len -= used;
		if (!len)
			return;
	}
	if (r->len + len > REASM_BUF_MAX) {
		/* A PDU larger than any handshake message: not ours to follow. */
		fn(ctx, dir, NULL, 0, frame, ts_us);
		reasm_stop(r);
		return;
	}
	if (r->len + len > r->buf_cap) {
		/* Grown to what the PDU needs, not to the cap at once. */
		size_t cap = r->buf_cap ? r->buf_cap : 4096;
		while (cap < r->len + len)
			cap *= 2;
		if (cap > REASM_BUF_MAX)
			cap = REASM_BUF_MAX;
		uint8_t *n = realloc(r->buf, cap);
		if (!n) {
			reasm_stop(r);
			return;
		}
		r->buf = n;
		r->buf_cap = cap;
	}
	int fresh = r->len == 0; /* the consumer has just seen these bytes */
	memcpy(r->buf + r->len, data, len);
	r->len += len;
	if (fresh)
		return;
	size_t used = fn(ctx, dir, r->buf, r->len, frame, ts_us);
	if (used == REASM_STOP) {
		reasm_stop(r);
		return;
	}
	if (used) {
		memmove(r->buf, r->buf + used, r->len - used);
		r->len -= used;
	}
}

/* Delivers held out-of-order segments that the in-order point has reached. */
static void drain(struct reasm_dir *r, struct tcp_dir_facts *st, uint64_t frame, int64_t ts_us,
		  reasm_deliver_fn fn, void *ctx, int dir)
{
	int progress = 1;
	while (progress) {
		progress = 0;
		for (int i = 0; i < r->nooo; i++) {
			struct reasm_seg *s = &r->ooo[i];
			if (!seq_leq(s->seq, r->next))
				continue;
			uint32_t end = s->seq + s->len;
			if (seq_lt(r->next, end)) {
				uint32_t skip = r->next - s->seq;
				if (s->data) {
					deliver(r, s->data + skip, s->len - skip, frame, ts_us, fn,
						ctx, dir);
				} else if (!r->stopped) {
					/* Held without data: the snap length cut it. */
					note_hole(r, st, s->frame, r->next, end - r->next, 0);
					reasm_stop(r);
				}
				r->next = end;
			}
			free(s->data);
			r->ooo_bytes -= s->len;
			r->ooo[i] = r->ooo[--r->nooo];
			progress = 1;
			break;
		}
	}
}

/* The lowest sequence number held out of order (r->nooo > 0). */
static uint32_t lowest_ooo(const struct reasm_dir *r)
{
	uint32_t lo = r->ooo[0].seq;
	for (int i = 1; i < r->nooo; i++)
		if (seq_lt(r->ooo[i].seq, lo))
			lo = r->ooo[i].seq;
	return lo;
}

static uint64_t frame_of_seq(const struct reasm_dir *r, uint32_t seq)
{
	for (int i = 0; i < r->nooo; i++)
		if (r->ooo[i].seq == seq)
			return r->ooo[i].frame;
	return 0;
}

/* Skips the in-order point over a gap; the stream is no longer decodable. */
static void skip_gap(struct reasm_dir *r, struct tcp_dir_facts *st, uint64_t frame,
		     uint32_t upto, int acked)
{
	note_hole(r, st, frame, r->next, upto - r->next, acked);
	if (!r->stopped)
		reasm_stop(r);
	r->next = upto;
}

/* Is [seq, end) already wholly held out of order? */
static int held(const struct reasm_dir *r, uint32_t seq, uint32_t end)
{
	for (int i = 0; i < r->nooo; i++)
		if (seq_leq(r->ooo[i].seq, seq) && seq_leq(end, r->ooo[i].seq + r->ooo[i].len))
			return 1;
	return 0;
}

void reasm_segment(struct reasm_dir *r, struct tcp_dir_facts *st, const struct pkt *p,
		   int64_t ts_us, reasm_deliver_fn fn, void *ctx, int dir)
{
	uint32_t seq = p->seq;
	uint32_t len = p->payload_wire;

	if (p->tcp_flags & TCP_SYN) {
		if (!r->init || (r->next == p->seq + 1)) {
			r->isn = p->seq;
			r->next = p->seq + 1;
			r->init = 1;
		}
		seq++;
	}
	if (!r->init) {
		/* Started mid-connection: count from the first byte we see. */
		r->isn = seq - 1;
		r->next = seq;
		r->init = 1;
	}
	if (p->tcp_flags & TCP_FIN) {
		r->fin = 1;
		r->fin_seq = seq + len;
	}
	if (!len) {
		/*
		 * An empty segment whose sequence number is ahead of what we
		 * have: the sender sent bytes we never saw (the pure ACK after
		 * a lost flight, as in an MTU black hole).  Whether the capture
		 * missed them (the peer ACKs them) or the path lost them is
		 * known later: reasm_peer_ack or reasm_finish decides.
		 */
		uint32_t expect = r->next + (r->fin && seq_leq(r->fin_seq, r->next) ? 1u : 0u);
		if (seq_lt(expect, seq) && seq - r->next < 64u * 1024 * 1024 &&
		    !(p->tcp_flags & TCP_RST) && (!r->jump || seq_lt(r->jump_seq, seq))) {
			if (!r->jump)
				r->jump_frame = p->frame;
			r->jump = 1;
			r->jump_seq = seq;
		}
		return;
	}

	const uint8_t *data = p->payload;
	uint32_t have = (uint32_t)p->payload_len; /* captured part */
	uint32_t end = seq + len;

	if (seq_leq(end, r->next) || (seq_lt(r->next, seq) && held(r, seq, end))) {
		note_retx(st, p->frame, len);
		return;
	}
	if (len > st->max_segment) {
		st->max_segment = len;
		st->max_segment_frame = p->frame;
	}
	if (seq_lt(seq, r->next)) {
		/* Overlap: keep the first copy of the old bytes, take the new. */
		uint32_t skip = r->next - seq;
		note_retx(st, p->frame, skip);
		seq = r->next;
		data += skip < have ? skip : have;
		have = skip < have ? have - skip : 0;
		len -= skip;
	}
	if (have < len)
		st->truncated++;

	if (seq == r->next) {
		if (have == len) {
			deliver(r, data, len, p->frame, ts_us, fn, ctx, dir);
			r->next = end;
		} else {
			/* The snap length cut the segment: deliver what is there. */
			deliver(r, data, have, p->frame, ts_us, fn, ctx, dir);
			r->next = seq + have;
			skip_gap(r, st, p->frame, end, 0);
		}
		drain(r, st, p->frame, ts_us, fn, ctx, dir);
		return;
	}

	/* Ahead of the in-order point: hold it until the gap fills. */
	st->out_of_order++;
	if (r->nooo == REASM_OOO_SEGS || r->ooo_bytes + len > REASM_OOO_BYTES) {
		/*
		 * Too much out of order: give the gap up as a hole, up to the
		 * lowest segment held or this one.  Held segments must stay
		 * ahead of the in-order point, so one it now reaches is taken.
		 */
		uint32_t upto = r->nooo && seq_lt(lowest_ooo(r), seq) ? lowest_ooo(r) : seq;
		skip_gap(r, st, p->frame, upto, 0);
		drain(r, st, p->frame, ts_us, fn, ctx, dir);
		if (seq_leq(seq, r->next)) {
			if (seq_lt(r->next, end)) {
				r->next = end;
				drain(r, st, p->frame, ts_us, fn, ctx, dir);
			}
			return;
		}
		if (r->nooo == REASM_OOO_SEGS || r->ooo_bytes + len > REASM_OOO_BYTES)
			return;
	}
	if (!r->ooo) {
		r->ooo = calloc(REASM_OOO_SEGS, sizeof *r->ooo);
		if (!r->ooo) {
			reasm_stop(r);
			return;
		}
	}
	struct reasm_seg *s = &r->ooo[r->nooo];
	s->seq = seq;
	s->len = len;
	s->frame = p->frame;
	s->data = NULL;
	if (!r->stopped && have == len) {
		s->data = malloc(len);
		if (s->data)
			memcpy(s->data, data, len);
		else
			reasm_stop(r);
	}
	r->nooo++;
	r->ooo_bytes += len;
}

/*
 * After a gap was given up (delivery has stopped): every held segment the
 * in-order point now reaches moves it forward, ranges only.
 */
static void absorb_held(struct reasm_dir *r)
{
	int moved = 1;
	while (moved) {
		moved = 0;
		for (int i = 0; i < r->nooo; i++) {
			if (!seq_leq(r->ooo[i].seq, r->next))
				continue;
			uint32_t e = r->ooo[i].seq + r->ooo[i].len;
			if (seq_lt(r->next, e))
				r->next = e;
			free(r->ooo[i].data);
			r->ooo_bytes -= r->ooo[i].len;
			r->ooo[i] = r->ooo[--r->nooo];
			moved = 1;
			break;
		}
	}
}

void reasm_peer_ack(struct reasm_dir *r, struct tcp_dir_facts *st, uint32_t ack, uint64_t frame)
{
	if (!r->init || !seq_lt(r->next, ack))
		return;
	/* Only a modest jump is a capture gap; a wild ACK is not evidence. */
	if (ack - r->next > 64u * 1024 * 1024)
		return;
	/* The FIN takes a sequence number, not a byte. */
	if (r->fin && seq_lt(r->fin_seq, ack))
		ack = r->fin_seq;
	/* Every gap below the ACK reached the peer: each is a hole the capture missed. */
	while (seq_lt(r->next, ack)) {
		uint32_t upto = ack;
		if (r->nooo) {
			uint32_t lo = lowest_ooo(r);
			if (seq_lt(lo, upto))
				upto = lo;
		}
		if (seq_lt(r->next, upto)) {
			st->acked_unseen++;
			st->acked_unseen_bytes += upto - r->next;
			if (!st->acked_unseen_frame)
				st->acked_unseen_frame = frame;
			skip_gap(r, st, frame, upto, 1);
		}
		/* The held segments beyond the gap are now in order (ranges only). */
		absorb_held(r);
	}
}

void reasm_finish(struct reasm_dir *r, struct tcp_dir_facts *st)
{
	while (r->nooo) {
		uint32_t lo = lowest_ooo(r);
		if (seq_lt(r->next, lo))
			skip_gap(r, st, frame_of_seq(r, lo), lo, 0);
		absorb_held(r);
	}
	/* An empty segment from beyond everything seen: those bytes never came. */
	if (r->jump && seq_lt(r->next, r->jump_seq)) {
		st->out_of_order++;
		skip_gap(r, st, r->jump_frame, r->jump_seq, 0);
	}
	reasm_free(r);
}

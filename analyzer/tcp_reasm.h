/*
 * tcp_reasm.h - in-order TCP stream reassembly, one direction at a time.
 *
 * Delivers bytes in sequence order to a consumer that takes whole PDUs,
 * holds what it does not take (bounded), keeps out-of-order segments until
 * the gap fills (bounded), counts retransmissions with their sizes, and
 * records holes: bytes the capture never showed, either because the peer
 * ACKed them (the capture missed them) or because they never came (lost
 * on the path, as in an MTU black hole).
 */
#ifndef RDPROBE_TCP_REASM_H
#define RDPROBE_TCP_REASM_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "packet.h"

#define REASM_BUF_MAX (96 * 1024)   /* undelivered bytes of one PDU */
#define REASM_OOO_SEGS 32           /* out-of-order segments held */
#define REASM_OOO_BYTES (256 * 1024)

#define REASM_STOP ((size_t)-1)

/*
 * Takes whole PDUs from data[0..len) (`frame` and `ts_us` are those of the
 * packet that completed them) and returns the bytes it consumed, or
 * REASM_STOP when it wants no more of this direction.
 */
typedef size_t (*reasm_deliver_fn)(void *ctx, int dir, const uint8_t *data, size_t len,
				   uint64_t frame, int64_t ts_us);

struct reasm_seg {
	uint32_t seq;
	uint32_t len;
	uint64_t frame;
	uint8_t *data;           /* NULL once delivery has stopped: range only */
};

struct reasm_dir {
	int init;
	uint32_t isn;            /* relative sequence numbers count from isn + 1 */
	uint32_t next;           /* next byte expected in order */
	int fin;
	uint32_t fin_seq;
	int stopped;             /* no more delivery: decided, desynchronised, capped */
	int jump;                /* an empty segment came from beyond `next` ... */
	uint32_t jump_seq;       /* ... with this sequence number ... */
	uint64_t jump_frame;     /* ... first in this frame: a hole unless filled or ACKed */
	uint8_t *buf;            /* undelivered bytes, grows up to REASM_BUF_MAX */
	size_t buf_cap;
	size_t len;
	int nooo;
	size_t ooo_bytes;
	struct reasm_seg *ooo;   /* REASM_OOO_SEGS, allocated on first need */
};

/* One TCP segment of this direction (p->seq, p->payload, flags). */
void reasm_segment(struct reasm_dir *r, struct tcp_dir_facts *st, const struct pkt *p,
		   int64_t ts_us, reasm_deliver_fn fn, void *ctx, int dir);

/* The other side ACKed `ack` of this direction at `frame`. */
void reasm_peer_ack(struct reasm_dir *r, struct tcp_dir_facts *st, uint32_t ack, uint64_t frame);

/* Stops delivery and frees buffers; sequence tracking goes on. */
void reasm_stop(struct reasm_dir *r);

/* End of the connection or capture: what is still out of order is a hole. */
void reasm_finish(struct reasm_dir *r, struct tcp_dir_facts *st);

void reasm_free(struct reasm_dir *r);

#endif

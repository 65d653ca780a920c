/*
 * rdp.h - follows one RDP connection's byte streams through the layers:
 * TPKT / X.224 / RDP_NEG, then either TLS (SSL, HYBRID, HYBRID_EX,
 * RDSTLS) or MCS / GCC in the clear (standard RDP security); over UDP,
 * RDP-UDP with TLS inside.  Fills the facts and the ladder of a
 * struct rdp_conn; decides when the handshake outcome is known, after
 * which the bulk is only counted.
 */
#ifndef RDPROBE_RDP_H
#define RDPROBE_RDP_H

#include "conn.h"
#include "packet.h"
#include "tcp_reasm.h"

/* After the handshake, this many more PDUs / records are noted, then no more. */
#define RDP_POST_HANDSHAKE_PDUS 24
#define RDP_UDP_DATAGRAMS_FOLLOWED 64

struct rdp_stream;

struct rdp_stream *rdp_stream_new(struct rdp_conn *c);
void rdp_stream_free(struct rdp_stream *s);

/* One TCP segment of direction `dir` (reassembled and decoded). */
void rdp_tcp_segment(struct rdp_stream *s, struct rdp_conn *c, struct tcp_facts *tcp, int dir,
		     const struct pkt *p, int64_t ts_us);
/* End of the connection (close, eviction or end of capture). */
void rdp_tcp_finish(struct rdp_stream *s, struct tcp_facts *tcp);
/* The sequence state of direction `dir` (SYN seen before RDP was recognised). */
struct reasm_dir *rdp_reasm(struct rdp_stream *s, int dir);

/* One UDP datagram of an RDP-UDP flow. */
void rdp_udp_datagram(struct rdp_stream *s, struct rdp_conn *c, int dir, const struct pkt *p,
		      int64_t ts_us);

#endif

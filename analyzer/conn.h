/*
 * conn.h - one RDP connection as the analyzer saw it: transport facts,
 * the decoded handshake, and a ladder of timed steps with frame numbers.
 */
#ifndef RDPROBE_CONN_H
#define RDPROBE_CONN_H

#include <stdint.h>

#include "facts.h"

/* How far the handshake got: the layer where it stopped. */
enum stage {
	STAGE_NONE = 0,
	STAGE_TCP_SYN,            /* SYN sent, no answer */
	STAGE_TCP_RESET,          /* SYN answered by RST */
	STAGE_TCP_ESTABLISHED,
	STAGE_X224_REQUEST,
	STAGE_X224_FAILURE,       /* RDP_NEG_FAILURE */
	STAGE_X224_CONFIRM,
	STAGE_TLS_CLIENT_HELLO,
	STAGE_TLS_SERVER_HELLO,
	STAGE_TLS_ESTABLISHED,    /* both sides switched to encrypted records */
	STAGE_TLS_DATA,           /* encrypted data flowed both ways */
	STAGE_MCS_CONNECT_INITIAL,
	STAGE_MCS_CONNECT_RESPONSE,
	STAGE_MCS_DOMAIN,         /* erect domain / attach user / channel joins */
	STAGE_SECURITY_EXCHANGE,
	STAGE_CLIENT_INFO,
	STAGE_UDP_SYN,            /* RDP-UDP SYN, no answer */
	STAGE_UDP_ESTABLISHED,    /* RDP-UDP SYN+ACK seen */
	STAGE_UDP_DATA,           /* data after the RDP-UDP handshake */
	STAGE_COUNT
};

const char *stage_name(enum stage s);

struct conn_event {
	uint64_t frame;
	int64_t ts_us;            /* microseconds since the Unix epoch */
	uint8_t dir;              /* DIR_C2S, DIR_S2C */
	uint8_t failing;          /* marks the step where the handshake broke */
	char text[EVENT_TEXT_MAX];
};

struct violation {
	uint64_t frame;
	uint8_t dir;
	enum dec_status status;
	char text[EVENT_TEXT_MAX];
};

struct tcp_hole {
	uint64_t frame;           /* first frame that showed the gap */
	uint32_t rel_seq;         /* relative to the initial sequence number */
	uint32_t len;
	uint8_t acked;            /* the peer ACKed it: the capture missed it */
};

/* TCP facts of one direction (sender = that direction's source). */
struct tcp_dir_facts {
	uint32_t packets;
	uint32_t payload_packets;
	uint64_t payload_bytes;
	uint16_t mss;             /* MSS option in this side's SYN */
	int8_t wscale;            /* -1 when absent */
	uint32_t max_segment;     /* largest payload seen the first time */
	uint32_t max_packet;      /* largest IP packet (total length) seen */
	uint64_t max_segment_frame;
	uint32_t retransmissions; /* segments whose bytes were all seen before */
	uint64_t retransmitted_bytes;
	uint32_t max_retransmitted;
	int retx_stored;
	uint64_t retx_frames[RETX_MAX];
	uint32_t retx_lens[RETX_MAX];
	uint32_t out_of_order;
	uint32_t holes;
	uint64_t hole_bytes;
	int holes_stored;
	struct tcp_hole hole[HOLE_MAX];
	uint32_t acked_unseen;    /* peer ACKed bytes of ours we never saw */
	uint64_t acked_unseen_frame;
	uint32_t acked_unseen_bytes;
	uint64_t fin_frame;
	int64_t fin_us;
	uint64_t rst_frame;
	int64_t rst_us;
	uint32_t truncated;       /* segments cut by the snap length */
	uint32_t ttl_min, ttl_max;
};

enum close_kind { CLOSE_NONE = 0, CLOSE_FIN, CLOSE_RST };

struct tcp_facts {
	uint64_t syn_frame;       /* first SYN */
	int64_t syn_us;
	uint32_t syn_count;       /* SYNs sent (retransmissions included) */
	uint64_t synack_frame;
	int64_t synack_us;
	uint32_t synack_count;
	uint64_t rst_after_syn_frame; /* RST answering the SYN */
	uint64_t established_frame;   /* the client's ACK of the SYN+ACK */
	int mid_connection;       /* no SYN seen: started mid-connection */
	enum close_kind close;    /* first FIN or RST */
	uint64_t close_frame;
	uint8_t close_dir;
	struct tcp_dir_facts d[2];
};

struct udp_facts {
	int mid_connection;       /* data seen, never the SYN */
	uint32_t syn_count;
	uint64_t syn_frames[4];
	struct rdpeudp_syn_facts syn;
	uint32_t synack_count;
	struct rdpeudp_syn_facts synack;
	uint16_t version;         /* negotiated RDPUDP_PROTOCOL_VERSION_*, 0 unknown */
	uint32_t datagrams[2];
	uint64_t bytes[2];
	uint64_t first_data_frame;
};

struct rdp_conn {
	uint32_t index;           /* 1-based, order of first frame */
	uint8_t transport;        /* 6 TCP, 17 UDP */
	uint8_t ipver;
	uint8_t client[16];
	uint8_t server[16];
	uint16_t cport;
	uint16_t sport;
	int nvlan;
	uint16_t vlan[2];
	uint64_t first_frame;
	uint64_t last_frame;
	int64_t first_us;
	int64_t last_us;
	uint64_t packets;
	uint64_t bytes;
	int rdp_seen;             /* RDP recognised by content */
	int decided;              /* handshake outcome known: bulk is only counted */
	enum stage stage;
	uint64_t stage_frame;

	struct tcp_facts tcp;
	struct udp_facts udp;

	struct x224_cr_facts cr;
	struct x224_cc_facts cc;
	uint32_t cr_count;        /* Connection Requests seen */
	struct tls_facts tls;
	int tls_seen;
	struct mcs_ci_facts ci;
	struct mcs_cr_facts mcr;
	struct mcs_domain_facts dom;
	uint32_t tpkt_pdus[2];    /* TPKT PDUs decoded per direction */
	uint32_t fastpath_pdus[2];

	char dns_name[DNS_NAME_MAX]; /* name whose DNS answer led here */
	uint64_t dns_frame;

	int icmp_count;
	int icmp_stored;
	struct icmp_note icmp[ICMP_MAX];

	int nviol;
	uint32_t viol_dropped;
	struct violation viol[VIOLATION_MAX];

	int nev;
	uint32_t ev_dropped;
	struct conn_event ev[EVENT_MAX];

	struct rdp_conn *next;    /* the analysis keeps them in a list */
};

/* Appends a ladder step (formatted, truncated to EVENT_TEXT_MAX). */
void conn_event(struct rdp_conn *c, uint64_t frame, int64_t ts_us, int dir, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void conn_violation(struct rdp_conn *c, uint64_t frame, int dir, enum dec_status st,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Raises the stage (never lowers it). */
void conn_stage(struct rdp_conn *c, enum stage s, uint64_t frame);
/* Marks the ladder step of `frame` (or the last one) as the failing step. */
void conn_mark_failing(struct rdp_conn *c, uint64_t frame);

#endif

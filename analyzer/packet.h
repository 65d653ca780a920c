/*
 * packet.h - one captured frame decoded down to its transport payload:
 * link layer (link.c), IPv4 / IPv6 and TCP / UDP headers (ip.c).
 */
#ifndef RDPROBE_PACKET_H
#define RDPROBE_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"

#define VLAN_MAX 8        /* 802.1Q / QinQ tags followed */
#define IPV6_EXT_MAX 8    /* IPv6 extension headers followed */

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20

enum pkt_status {
	PKT_OK = 0,
	PKT_NOT_IP,          /* ARP, LLDP, ... : not ours, not an error */
	PKT_TRUNCATED,       /* snaplen cut the headers */
	PKT_INVALID,         /* header fields contradict themselves */
	PKT_FRAGMENT,        /* an IP fragment without the transport header */
	PKT_OTHER_PROTO,     /* IP, but neither TCP, UDP, ICMP nor ICMPv6 */
	PKT_STATUS_COUNT
};

struct pkt {
	uint64_t frame;          /* 1-based, as Wireshark numbers them */
	int64_t ts_sec;
	uint32_t ts_usec;
	uint32_t caplen;
	uint32_t wirelen;

	int nvlan;
	uint16_t vlan[VLAN_MAX];

	uint8_t ipver;           /* 4 or 6 */
	uint8_t src[16];         /* IPv4 in the first 4 bytes */
	uint8_t dst[16];
	uint8_t proto;           /* 6, 17, 1, 58 */
	uint8_t ttl;
	int df;                  /* IPv4 don't fragment */
	int fragment;            /* part of a fragmented datagram */
	int ip_options;          /* IPv4 options or IPv6 extension headers */
	uint32_t ip_len;         /* total length declared by the IP header */

	uint16_t sport;
	uint16_t dport;
	/* TCP */
	uint32_t seq;
	uint32_t ack;
	uint8_t tcp_flags;
	uint16_t window;
	uint16_t mss;            /* MSS option, 0 when absent */
	int wscale;              /* window scale option, -1 when absent */
	int sack_ok;

	const uint8_t *l4;       /* transport header (ICMP message) */
	size_t l4_len;           /* captured bytes of it, within the IP length */
	const uint8_t *payload;  /* TCP / UDP payload, captured part */
	size_t payload_len;
	uint32_t payload_wire;   /* payload length per the headers */
};

/*
 * Decodes one frame of link type `dlt` (pcap_datalink value).  Fills *p
 * (frame, ts and lengths are the caller's) and returns the outcome; on
 * PKT_TRUNCATED the fields read so far are kept.
 */
enum pkt_status pkt_decode(int dlt, const uint8_t *data, struct pkt *p);

/* True when this link type is one pkt_decode understands. */
int pkt_dlt_supported(int dlt);

/* Decodes the IP packet at `c` (version from the first nibble). */
struct cur;
enum pkt_status ip_decode(struct cur *c, struct pkt *p);

const char *pkt_status_name(enum pkt_status s);

/* "10.0.0.1" / "fd00::1" (RFC 5952) into buf. */
const char *addr_str(int ipver, const uint8_t *a, char *buf, size_t cap);

#endif

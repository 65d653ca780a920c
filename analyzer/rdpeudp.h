/*
 * rdpeudp.h - RDP-UDP transport (MS-RDPEUDP, MS-RDPEUDP2) datagrams.
 */
#ifndef RDPROBE_RDPEUDP_H
#define RDPROBE_RDPEUDP_H

#include "cursor.h"
#include "facts.h"

/* RDPUDP_FEC_HEADER uFlags (MS-RDPEUDP 2.2.2.1) */
#define RDPUDP_FLAG_SYN 0x0001
#define RDPUDP_FLAG_FIN 0x0002
#define RDPUDP_FLAG_ACK 0x0004
#define RDPUDP_FLAG_DATA 0x0008
#define RDPUDP_FLAG_FEC 0x0010
#define RDPUDP_FLAG_CN 0x0020
#define RDPUDP_FLAG_CWR 0x0040
#define RDPUDP_FLAG_SACK_OPTION 0x0080
#define RDPUDP_FLAG_ACK_OF_ACKS 0x0100
#define RDPUDP_FLAG_SYNLOSSY 0x0200
#define RDPUDP_FLAG_ACKDELAYED 0x0400
#define RDPUDP_FLAG_CORRELATION_ID 0x0800
#define RDPUDP_FLAG_SYNEX 0x1000

#define RDPUDP_PROTOCOL_VERSION_1 0x0001
#define RDPUDP_PROTOCOL_VERSION_2 0x0002
#define RDPUDP_PROTOCOL_VERSION_3 0x0101 /* switch to MS-RDPEUDP2 */

#define RDPUDP_SYN_PAYLOAD_MIN 1132 /* MTU fields: 1132 .. 1232 */
#define RDPUDP_SYN_PAYLOAD_MAX 1232

/*
 * True when the datagram is an RDPEUDP SYN or SYN+ACK: snSourceAck, window,
 * flags with SYN set, and MTU fields in the allowed range.  Used to
 * recognise RDP-UDP on any port.
 */
int rdpeudp_is_syn(const uint8_t *p, size_t len);

/* Decodes a SYN or SYN+ACK datagram (MS-RDPEUDP 2.2.2.1, 2.2.2.5, 2.2.2.14). */
enum dec_status rdpeudp_parse_syn(struct cur *c, struct rdpeudp_syn_facts *f);

/*
 * The source payload (TLS bytes in reliable mode) of an RDP-UDP version 1
 * datagram, after the FEC header and optional ACK vector / ACK of ACKs
 * headers.  *flags receives uFlags, *sn the snCoded sequence number.
 * Returns DEC_OK with payload set, or DEC_UNSUPPORTED when the datagram
 * carries no source payload (pure ACK, FEC repair).
 */
enum dec_status rdpeudp_v1_payload(struct cur *c, uint16_t *flags, uint32_t *sn,
				   struct cur *payload);

/*
 * The data payload of an RDP-UDP2 datagram (MS-RDPEUDP2 2.2.1): the first
 * byte and the byte at offset 7 are swapped on the wire; `scratch` (at
 * least len bytes) receives the unwrapped packet.  Returns DEC_OK with
 * payload set when the packet carries data.
 */
enum dec_status rdpeudp2_payload(const uint8_t *p, size_t len, uint8_t *scratch,
				 uint16_t *flags, struct cur *payload);

const char *rdpeudp_flags_str(uint16_t flags, char *buf, size_t cap); /* "SYN,CORRELATIONID,SYNEX" */
const char *rdpeudp_version_name(uint16_t v);                        /* "RDPEUDP v1", "RDPEUDP2" */

#endif

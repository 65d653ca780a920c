/*
 * rdpeudp.c - RDP-UDP transport datagrams (MS-RDPEUDP, MS-RDPEUDP2).
 *
 * RDP-UDP version 1/2 (MS-RDPEUDP) fields are big-endian (network order);
 * RDP-UDP2 (MS-RDPEUDP2) fields are little-endian.  Both start with the
 * same SYN / SYN+ACK handshake (MS-RDPEUDP 3.1.5.1.1, 3.1.5.1.3); the
 * uUdpVer the two ends settle on picks the data-transfer format.
 */
#include "rdpeudp.h"

#include <stdio.h>
#include <string.h>

/* MS-RDPEUDP 2.2.2.9: uSynExFlags */
#define RDPUDP_VERSION_INFO_VALID 0x0001

/* MS-RDPEUDP 2.2.2.8: uCorrelationId (16 bytes) + uReserved (16 bytes) */
#define RDPUDP_CORRELATION_ID_LEN 16
#define RDPUDP_CORRELATION_RESERVED_LEN 16
/* MS-RDPEUDP 2.2.2.9: cookieHash, SHA-256 of the securityCookie */
#define RDPUDP_COOKIE_HASH_LEN 32
/* MS-RDPEUDP 2.2.2.7: "The maximum size of the ACK Vector is 2048 bytes." */
#define RDPUDP_ACK_VECTOR_MAX 2048

/* The flags a SYN or SYN+ACK may carry (MS-RDPEUDP 3.1.5.1.1, 3.1.5.1.3). */
#define RDPUDP_SYN_ALLOWED                                                    \
	(RDPUDP_FLAG_SYN | RDPUDP_FLAG_ACK | RDPUDP_FLAG_SYNLOSSY |            \
	 RDPUDP_FLAG_CORRELATION_ID | RDPUDP_FLAG_SYNEX)

/* snSourceAck of a SYN: "MUST be set to -1" (MS-RDPEUDP 3.1.5.1.1). */
#define RDPUDP_SYN_SOURCE_ACK 0xffffffffu

#define RDPUDP_FEC_HEADER_LEN 8
#define RDPUDP_SYNDATA_LEN 8

/* uFlags names, in wire-bit order (MS-RDPEUDP 2.2.2.1). */
static const struct tok rdpudp_flag_names[] = {
	{RDPUDP_FLAG_SYN, "SYN"},
	{RDPUDP_FLAG_FIN, "FIN"},
	{RDPUDP_FLAG_ACK, "ACK"},
	{RDPUDP_FLAG_DATA, "DATA"},
	{RDPUDP_FLAG_FEC, "FEC"},
	{RDPUDP_FLAG_CN, "CN"},
	{RDPUDP_FLAG_CWR, "CWR"},
	{RDPUDP_FLAG_SACK_OPTION, "SACK_OPTION"},
	{RDPUDP_FLAG_ACK_OF_ACKS, "AOA"},
	{RDPUDP_FLAG_SYNLOSSY, "SYNLOSSY"},
	{RDPUDP_FLAG_ACKDELAYED, "ACKDELAYED"},
	{RDPUDP_FLAG_CORRELATION_ID, "CORRELATIONID"},
	{RDPUDP_FLAG_SYNEX, "SYNEX"},
	{0, NULL},
};
#define RDPUDP_FLAG_KNOWN 0x1fffu
_Static_assert(sizeof rdpudp_flag_names / sizeof rdpudp_flag_names[0] == 13 + 1,
	       "rdpudp_flag_names covers the 13 uFlags bits");

/* uUdpVer (MS-RDPEUDP 2.2.2.9); 0 is ours: no SYNEX / version not valid. */
static const struct tok rdpudp_version_names[] = {
	{0, "MS-RDPEUDP, version not given"},
	{RDPUDP_PROTOCOL_VERSION_1, "MS-RDPEUDP version 1"},
	{RDPUDP_PROTOCOL_VERSION_2, "MS-RDPEUDP version 2"},
	{RDPUDP_PROTOCOL_VERSION_3, "MS-RDPEUDP2 (version 3)"},
	{0, NULL},
};

static int mtu_ok(uint16_t mtu)
{
	return mtu >= RDPUDP_SYN_PAYLOAD_MIN && mtu <= RDPUDP_SYN_PAYLOAD_MAX;
}

/*
 * A SYN is recognised from its first 16 bytes only (FEC header + SYNDATA):
 *
 *    0                   1                   2                   3
 *   +-------+-------+-------+-------+-------+-------+-------+-------+
 *   |          snSourceAck          | uRecvWindow   |    uFlags     |
 *   +-------+-------+-------+-------+-------+-------+-------+-------+
 *   |    snInitialSequenceNumber    | uUpStreamMtu  | uDownStrMtu   |
 *   +-------+-------+-------+-------+-------+-------+-------+-------+
 *
 * Random bytes pass with a chance near 2^-12 (flags) * 2^-1 (ack)
 * * (101/65536)^2 (MTUs): about 1 in 10^9.
 */
int rdpeudp_is_syn(const uint8_t *p, size_t len)
{
	if (!p || len < RDPUDP_FEC_HEADER_LEN + RDPUDP_SYNDATA_LEN + 4)
		return 0;
	struct cur c = cur_make(p, len);
	uint32_t source_ack = cur_be32(&c);
	(void)cur_be16(&c); /* uReceiveWindowSize */
	uint16_t flags = cur_be16(&c);
	(void)cur_be32(&c); /* snInitialSequenceNumber */
	uint16_t up = cur_be16(&c);
	uint16_t down = cur_be16(&c);
	if (c.err)
		return 0;
	if (!(flags & RDPUDP_FLAG_SYN) || (flags & ~RDPUDP_SYN_ALLOWED))
		return 0;
	if (!(flags & RDPUDP_FLAG_ACK) && source_ack != RDPUDP_SYN_SOURCE_ACK)
		return 0;
	return mtu_ok(up) && mtu_ok(down);
}

/*
 * MS-RDPEUDP 2.2.2.1 RDPUDP_FEC_HEADER, 2.2.2.5 RDPUDP_SYNDATA_PAYLOAD,
 * 2.2.2.8 RDPUDP_CORRELATION_ID_PAYLOAD, 2.2.2.9 RDPUDP_SYNDATAEX_PAYLOAD.
 *
 *   offset  size
 *        0     4  snSourceAck           -1 in a SYN, the peer's ISN in a SYN+ACK
 *        4     2  uReceiveWindowSize
 *        6     2  uFlags                SYN [| ACK] [| SYNLOSSY] [| CORRELATIONID] [| SYNEX]
 *        8     4  snInitialSequenceNumber
 *       12     2  uUpStreamMtu          1132 .. 1232
 *       14     2  uDownStreamMtu        1132 .. 1232
 *   with CORRELATIONID:
 *       16    16  uCorrelationId
 *       32    16  uReserved (zero)
 *   with SYNEX (at 16, or at 48 after the correlation id):
 *        +0    2  uSynExFlags           RDPUDP_VERSION_INFO_VALID 0x0001
 *        +2    2  uUdpVer               0x0001, 0x0002, 0x0101 (= RDP-UDP2)
 *        +4   32  cookieHash            SYN (not SYN+ACK) with uUdpVer 0x0101
 *   then zero padding up to 1232 bytes (not checked: some stacks put
 *   other bytes there).
 *
 * A uUdpVer outside the table (a client offering 0x0003 was seen) is kept
 * as is: the SYN+ACK says which version won.
 */
enum dec_status rdpeudp_parse_syn(struct cur *c, struct rdpeudp_syn_facts *f)
{
	f->flags = 0;
	f->initial_seq = 0;
	f->up_mtu = 0;
	f->down_mtu = 0;
	f->synex_flags = 0;
	f->udp_version = 0;
	f->payload_len = (uint32_t)cur_left(c);

	uint32_t source_ack = cur_be32(c);
	(void)cur_be16(c); /* uReceiveWindowSize */
	f->flags = cur_be16(c);
	if (c->err)
		return f->status = DEC_TRUNCATED;
	if (!(f->flags & RDPUDP_FLAG_SYN))
		return f->status = DEC_INVALID;

	f->initial_seq = cur_be32(c);
	f->up_mtu = cur_be16(c);
	f->down_mtu = cur_be16(c);
	if (c->err)
		return f->status = DEC_TRUNCATED;
	if (!mtu_ok(f->up_mtu) || !mtu_ok(f->down_mtu))
		return f->status = DEC_INVALID;
	if (!(f->flags & RDPUDP_FLAG_ACK) && source_ack != RDPUDP_SYN_SOURCE_ACK)
		return f->status = DEC_INVALID;

	if (f->flags & RDPUDP_FLAG_CORRELATION_ID)
		cur_skip(c, RDPUDP_CORRELATION_ID_LEN + RDPUDP_CORRELATION_RESERVED_LEN);
	if (f->flags & RDPUDP_FLAG_SYNEX) {
		f->synex_flags = cur_be16(c);
		uint16_t ver = cur_be16(c);
		if (f->synex_flags & RDPUDP_VERSION_INFO_VALID)
			f->udp_version = ver;
		if (f->udp_version == RDPUDP_PROTOCOL_VERSION_3 &&
		    !(f->flags & RDPUDP_FLAG_ACK))
			cur_skip(c, RDPUDP_COOKIE_HASH_LEN);
	}
	if (c->err)
		return f->status = DEC_TRUNCATED;
	return f->status = DEC_OK;
}

/*
 * MS-RDPEUDP 2.2.2.1, 2.2.2.7, 2.2.2.6, 2.2.2.4 (3.1.5.1.4 gives the order):
 *
 *   RDPUDP_FEC_HEADER               snSourceAck(4) uReceiveWindowSize(2) uFlags(2)
 *   ACK:  RDPUDP_ACK_VECTOR_HEADER  uAckVectorSize(2) AckVectorElement[size]
 *                                   Padding to a 4-byte boundary counted
 *                                   from uAckVectorSize
 *   AOA:  RDPUDP_ACK_OF_ACKVECTOR_HEADER  snAckOfAcksSeqNum(4)
 *   DATA without FEC:
 *         RDPUDP_SOURCE_PAYLOAD_HEADER    snCoded(4) snSourceStart(4)
 *         payload                         to the end of the datagram
 *
 * e.g. size 0:  00 00 | pp pp                 (2 padding bytes)
 *      size 1:  00 01 | ee | pp
 *      size 2:  00 02 | ee ee                 (no padding)
 *      size 3:  00 03 | ee ee ee | pp pp pp
 * Padding bytes are not checked: real stacks leave garbage there.
 */
enum dec_status rdpeudp_v1_payload(struct cur *c, uint16_t *flags, uint32_t *sn,
				   struct cur *payload)
{
	*flags = 0;
	*sn = 0;
	*payload = cur_make(c->p, 0);

	(void)cur_be32(c); /* snSourceAck */
	(void)cur_be16(c); /* uReceiveWindowSize */
	uint16_t fl = cur_be16(c);
	if (c->err)
		return DEC_TRUNCATED;
	*flags = fl;
	if (fl & RDPUDP_FLAG_SYN)
		return DEC_UNSUPPORTED; /* SYN / SYN+ACK: no source payload */

	if (fl & RDPUDP_FLAG_ACK) {
		uint16_t size = cur_be16(c);
		if (c->err)
			return DEC_TRUNCATED;
		if (size > RDPUDP_ACK_VECTOR_MAX)
			return DEC_INVALID;
		size_t header = 2 + (size_t)size;
		size_t pad = (4 - header % 4) % 4;
		cur_skip(c, (size_t)size + pad);
	}
	if (fl & RDPUDP_FLAG_ACK_OF_ACKS)
		(void)cur_be32(c); /* snAckOfAcksSeqNum */
	if (c->err)
		return DEC_TRUNCATED;
	if (!(fl & RDPUDP_FLAG_DATA) || (fl & RDPUDP_FLAG_FEC))
		return DEC_UNSUPPORTED; /* pure ACK, or an FEC repair packet */

	*sn = cur_be32(c); /* snCoded */
	(void)cur_be32(c); /* snSourceStart */
	if (c->err)
		return DEC_TRUNCATED;
	*payload = cur_sub(c, cur_left(c), NULL);
	return DEC_OK;
}

/* MS-RDPEUDP2 2.2.1.1 Flags (low 12 bits of the header). */
enum {
	RDPUDP2_ACK = 0x001,
	RDPUDP2_DATA = 0x004,
	RDPUDP2_ACKVEC = 0x008,
	RDPUDP2_AOA = 0x010,
	RDPUDP2_OVERHEADSIZE = 0x040,
	RDPUDP2_DELAYACKINFO = 0x100,
};
#define RDPUDP2_FLAGS_KNOWN                                                  \
	(RDPUDP2_ACK | RDPUDP2_DATA | RDPUDP2_ACKVEC | RDPUDP2_AOA |           \
	 RDPUDP2_OVERHEADSIZE | RDPUDP2_DELAYACKINFO)

/* MS-RDPEUDP2 2.2.1.3 Packet_Type_Index */
enum { RDPUDP2_PACKET_DATA = 0, RDPUDP2_PACKET_DUMMY = 8 };

/* The PacketPrefixByte travels as the eighth byte (3.1.1.1.5.2). */
#define RDPUDP2_PREFIX_WIRE_OFFSET 7
#define RDPUDP2_MIN_LEN 8
#define RDPUDP2_SHORT_LEN_FULL 7

/*
 * MS-RDPEUDP2 3.1.1.1.5.2 (receiving), 2.2.1.3 PacketPrefixByte, 2.2.1.1
 * header, 2.2.1.2.x optional payloads, in this order:
 *
 *   wire:       b0 b1 b2 b3 b4 b5 b6 PP b8 ...   (PP swapped with b0)
 *   unwrapped:  PP b1 b2 b3 b4 b5 b6 b0 b8 ...
 *
 *   PacketPrefixByte   bit 0 Reserved (0), bits 1-4 Packet_Type_Index
 *                      (0 data, 8 dummy), bits 5-7 Short_Packet_Length
 *                      (7, or the length of a packet shorter than 7 bytes,
 *                      then padded to 7)
 *   Header      LE16   Flags (bits 0-11), LogWindowSize (bits 12-15)
 *   ACK           7+n  SeqNum(2) receivedTS(3) sendAckTimeGap(1)
 *                      numDelayedAcks(bits 0-3)|delayAckTimeScale(bits 4-7)
 *                      delayAckTimeAdditions[numDelayedAcks]
 *   OVERHEADSIZE  1    OverheadSize
 *   DELAYACKINFO  3    MaxDelayedAcks(1) DelayedAckTimeoutInMs(2)
 *   AOA           2    AckOfAcksSeqNum
 *   DATA          2    DataHeader: DataSeqNum
 *   ACKVEC      3+t+n  BaseSeqNum(2) codedAckVecSize(bits 0-6)|
 *                      TimeStampPresent(bit 7) [TimeStamp(3)
 *                      SendAckTimeGapInMs(1)] codedAckVector[size]
 *   DATA        2+...  DataBody: ChannelSeqNum(2), data to the end
 *
 *   e.g. e0 | 14 c1 | 01 f4 01 | 64 00 | 64 00 | 01 00 | 16 03 03 ...
 *        PP   DATA|AOA|DELAYACKINFO, LogWindowSize 12
 *                     delayack   aoa     seq     chan    TLS record
 */
enum dec_status rdpeudp2_payload(const uint8_t *p, size_t len, uint8_t *scratch,
				 uint16_t *flags, struct cur *payload)
{
	*flags = 0;
	*payload = cur_make(scratch, 0);
	if (!p || len < RDPUDP2_MIN_LEN)
		return DEC_INVALID; /* "MUST have packet length greater than 7" */

	memcpy(scratch, p, len);
	scratch[0] = p[RDPUDP2_PREFIX_WIRE_OFFSET];
	scratch[RDPUDP2_PREFIX_WIRE_OFFSET] = p[0];

	struct cur all = cur_make(scratch, len);
	uint8_t prefix = cur_u8(&all);
	unsigned reserved = prefix & 0x01u;
	unsigned type = (prefix >> 1) & 0x0fu;
	unsigned short_len = (prefix >> 5) & 0x07u;
	if (reserved || (type != RDPUDP2_PACKET_DATA && type != RDPUDP2_PACKET_DUMMY))
		return DEC_INVALID;
	/* A packet shorter than 7 bytes was padded: drop the padding. */
	size_t pkt_len = cur_left(&all);
	int short_pkt = short_len != 0 && short_len != RDPUDP2_SHORT_LEN_FULL;
	if (short_pkt)
		pkt_len = short_len;
	struct cur c = cur_sub(&all, pkt_len, NULL);
	/* Running out of a declared short packet is wrong bytes, not a cut. */
	enum dec_status ran_out = short_pkt ? DEC_INVALID : DEC_TRUNCATED;

	uint16_t header = cur_le16(&c);
	if (c.err)
		return DEC_INVALID; /* the prefix declared fewer than 2 bytes */
	uint16_t fl = header & 0x0fffu;
	*flags = fl;
	if (fl == 0)
		return DEC_INVALID; /* "MUST contain one or more optional payloads" */
	if ((fl & RDPUDP2_ACK) && (fl & RDPUDP2_ACKVEC))
		return DEC_INVALID; /* mutually exclusive (3.1.1.1.2) */
	if (fl & ~RDPUDP2_FLAGS_KNOWN)
		return DEC_UNSUPPORTED; /* unknown payload: cannot find the data */

	if (fl & RDPUDP2_ACK) {
		cur_skip(&c, 2 + 3 + 1); /* SeqNum, receivedTS, sendAckTimeGap */
		uint8_t delayed = cur_u8(&c);
		cur_skip(&c, delayed & 0x0fu); /* delayAckTimeAdditions */
	}
	if (fl & RDPUDP2_OVERHEADSIZE)
		cur_skip(&c, 1);
	if (fl & RDPUDP2_DELAYACKINFO)
		cur_skip(&c, 1 + 2);
	if (fl & RDPUDP2_AOA)
		cur_skip(&c, 2);
	if (fl & RDPUDP2_DATA)
		(void)cur_le16(&c); /* DataSeqNum */
	if (fl & RDPUDP2_ACKVEC) {
		cur_skip(&c, 2); /* BaseSeqNum */
		uint8_t sz = cur_u8(&c);
		if (sz & 0x80u)
			cur_skip(&c, 3 + 1); /* TimeStamp, SendAckTimeGapInMs */
		cur_skip(&c, sz & 0x7fu);
	}
	if (c.err)
		return ran_out;
	if (!(fl & RDPUDP2_DATA) || type == RDPUDP2_PACKET_DUMMY)
		return DEC_UNSUPPORTED; /* no data, or dummy data to be ignored */

	(void)cur_le16(&c); /* ChannelSeqNum */
	if (c.err)
		return ran_out;
	*payload = cur_sub(&c, cur_left(&c), NULL);
	return DEC_OK;
}

const char *rdpeudp_flags_str(uint16_t flags, char *buf, size_t cap)
{
	if (!cap)
		return buf;
	buf[0] = '\0';
	size_t n = 0;
	for (const struct tok *t = rdpudp_flag_names; t->s; t++) {
		if (!(flags & t->v))
			continue;
		int w = snprintf(buf + n, cap - n, "%s%s", n ? "," : "", t->s);
		if (w < 0 || (size_t)w >= cap - n) {
			buf[n] = '\0'; /* cut at a whole name */
			return buf;
		}
		n += (size_t)w;
	}
	unsigned unknown = flags & ~RDPUDP_FLAG_KNOWN;
	if (unknown) {
		int w = snprintf(buf + n, cap - n, "%s0x%04x", n ? "," : "", unknown);
		if (w < 0 || (size_t)w >= cap - n)
			buf[n] = '\0';
	}
	return buf;
}

const char *rdpeudp_version_name(uint16_t v)
{
	return tok_str(rdpudp_version_names, v, "unknown");
}

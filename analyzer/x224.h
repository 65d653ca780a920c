/*
 * x224.h - TPKT (RFC 1006) and X.224 (ISO 8073 class 0) TPDUs with the
 * RDP negotiation structures (MS-RDPBCGR 2.2.1.1, 2.2.1.2).
 */
#ifndef RDPROBE_X224_H
#define RDPROBE_X224_H

#include "cursor.h"
#include "facts.h"

#define TPKT_HEADER_LEN 4
#define TPKT_MIN_LEN 7        /* TPKT header + the smallest X.224 TPDU */

#define X224_TPDU_CR 0xE0     /* Connection Request */
#define X224_TPDU_CC 0xD0     /* Connection Confirm */
#define X224_TPDU_DR 0x80     /* Disconnect Request */
#define X224_TPDU_DT 0xF0     /* Data */
#define X224_TPDU_ER 0x70     /* Error */

/* requestedProtocols / selectedProtocol bits */
#define PROTOCOL_RDP 0x0
#define PROTOCOL_SSL 0x1
#define PROTOCOL_HYBRID 0x2
#define PROTOCOL_RDSTLS 0x4
#define PROTOCOL_HYBRID_EX 0x8
#define PROTOCOL_RDSAAD 0x10

/* RDP_NEG_FAILURE failureCode values (MS-RDPBCGR 2.2.1.2.2) */
#define SSL_REQUIRED_BY_SERVER 1
#define SSL_NOT_ALLOWED_BY_SERVER 2
#define SSL_CERT_NOT_ON_SERVER 3
#define INCONSISTENT_FLAGS 4
#define HYBRID_REQUIRED_BY_SERVER 5
#define SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER 6

/*
 * TPKT framing: when `p` starts a TPKT header, returns its declared total
 * length (>= TPKT_MIN_LEN); 0 when the bytes are not TPKT.  Needs 4 bytes.
 */
unsigned tpkt_length(const uint8_t *p, size_t len);

/* True when a whole TPKT + X.224 Connection Request starts at p. */
int x224_is_connection_request(const uint8_t *p, size_t len);

/* `c` holds one TPKT packet (header included). */
enum dec_status x224_parse_cr(struct cur *c, struct x224_cr_facts *f);
enum dec_status x224_parse_cc(struct cur *c, struct x224_cc_facts *f);

/* The TPDU code of a TPKT packet (0 when unreadable). */
uint8_t x224_tpdu_code(const uint8_t *p, size_t len);

/*
 * For a Data TPDU: a cursor over its user data (after LI, code, EOT).
 * Returns DEC_OK or why not.
 */
enum dec_status x224_data(struct cur *c, struct cur *user);

const char *x224_protocols_str(uint32_t protocols, char *buf, size_t cap); /* "SSL|HYBRID" */
const char *x224_failure_name(uint32_t code);
const char *x224_tpdu_name(uint8_t code);

#endif

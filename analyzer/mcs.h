/*
 * mcs.h - T.125 MCS connect PDUs (BER) carrying T.124 GCC conference
 * create request / response (PER) and the RDP user data blocks
 * (MS-RDPBCGR 2.2.1.3 and 2.2.1.4), plus the domain PDUs that follow.
 */
#ifndef RDPROBE_MCS_H
#define RDPROBE_MCS_H

#include "cursor.h"
#include "facts.h"

/*
 * `c` holds the X.224 Data TPDU user data (after 02 F0 80).  Each parser
 * fills what it could read; the return says whether all of it was sound.
 */
enum dec_status mcs_parse_connect_initial(struct cur *c, struct mcs_ci_facts *f);
enum dec_status mcs_parse_connect_response(struct cur *c, struct mcs_cr_facts *f);

/* BER application tags of the connect PDUs (first byte 0x7F, second 0x65/0x66). */
enum mcs_connect_kind { MCS_NOT_CONNECT = 0, MCS_CONNECT_INITIAL, MCS_CONNECT_RESPONSE };
enum mcs_connect_kind mcs_connect_kind(const struct cur *c);

/* DomainMCSPDU choice (T.125 PER): the first byte >> 2. */
enum mcs_domain_pdu {
	MCS_ERECT_DOMAIN_REQUEST = 1,
	MCS_DISCONNECT_PROVIDER_ULTIMATUM = 8,
	MCS_ATTACH_USER_REQUEST = 10,
	MCS_ATTACH_USER_CONFIRM = 11,
	MCS_CHANNEL_JOIN_REQUEST = 14,
	MCS_CHANNEL_JOIN_CONFIRM = 15,
	MCS_SEND_DATA_REQUEST = 25,
	MCS_SEND_DATA_INDICATION = 26,
};

/*
 * Records one domain PDU in *f (frame, direction).  For SendData it looks
 * at the security header: a Security Exchange PDU (SEC_EXCHANGE_PKT), a
 * Client Info PDU (SEC_INFO_PKT), or, when unencrypted, a Set Error Info
 * PDU.  Returns the PDU choice, or -1 when the bytes are not a domain PDU.
 */
int mcs_note_domain_pdu(struct cur *c, int dir, uint64_t frame, struct mcs_domain_facts *f);

const char *mcs_domain_pdu_name(int choice);
/* Name tables: each returns NULL for a value it does not know, so the
 * caller can show the raw number instead. */
const char *gcc_keyboard_name(uint32_t layout);        /* "English (United States)" ... */
const char *gcc_encryption_method_name(uint32_t m);    /* "128-bit RC4", "FIPS", ... */
const char *gcc_encryption_level_name(uint32_t l);     /* "client compatible", ... */
/* TS_UD_CS_CORE.version: the protocol generation ("RDP 5.0 - 8.1" for 0x00080004). */
const char *gcc_rdp_version_name(uint32_t version);
/* TS_UD_CS_CORE.clientBuild: the client release ("RDP 6.0" for 6000, "RDP 8.1" for 9600). */
const char *gcc_client_build_name(uint32_t build);

#endif

/*
 * facts.h - what the decoders learn about one connection.
 *
 * Decoders fill these structs and never print; the timeline, the rules and
 * the renderers only read them.  Every array has a named cap: when a
 * connection carries more, the extra is counted, not stored.
 */
#ifndef RDPROBE_FACTS_H
#define RDPROBE_FACTS_H

#include <stdint.h>
#include <time.h>

#include "decode.h"

/* Caps: each one bounds memory per connection. */
#define CERT_MAX 6            /* certificates kept per chain */
#define CERT_NAME_MAX 160     /* subject / issuer text */
#define CERT_SAN_MAX 256      /* subjectAltName entries, comma separated */
#define CHANNEL_MAX 16        /* static virtual channels kept */
#define VIOLATION_MAX 8       /* protocol violations kept per connection */
#define EVENT_MAX 40          /* ladder steps kept per connection */
#define EVENT_TEXT_MAX 96
#define ICMP_MAX 8            /* ICMP errors kept per connection */
#define TLS_REC_MAX 16        /* post-handshake records kept (CredSSP) */
#define HOLE_MAX 8            /* sequence holes kept per direction */
#define RETX_MAX 8            /* retransmission frames kept per direction */

enum dir { DIR_C2S = 0, DIR_S2C = 1 };

/* ---- X.509 (x509.c) ------------------------------------------------- */

struct cert_info {
	char subject[CERT_NAME_MAX];   /* one-line RFC 2253 form */
	char subject_cn[CERT_NAME_MAX];
	char issuer[CERT_NAME_MAX];
	char issuer_cn[CERT_NAME_MAX];
	char sans[CERT_SAN_MAX];       /* "DNS:a,DNS:b,IP:1.2.3.4" */
	char serial[68];               /* hex */
	char sha256[65];               /* hex fingerprint of the DER */
	char sig_alg[40];              /* e.g. "sha256WithRSAEncryption" */
	char key_type[16];             /* "RSA", "EC", "DSA", "ED25519", ... */
	int key_bits;
	int64_t not_before;            /* seconds since the Unix epoch, UTC */
	int64_t not_after;
	int self_signed;               /* issuer == subject and signature verifies */
	uint32_t der_len;
};

/* ---- X.224 + RDP_NEG (x224.c) ---------------------------------------- */

enum neg_type {
	NEG_NONE = 0,     /* no RDP_NEG_* structure (legacy) */
	NEG_REQ = 1,
	NEG_RSP = 2,
	NEG_FAILURE = 3,
	NEG_CORRELATION_INFO = 6,
};

enum cookie_kind { COOKIE_NONE = 0, COOKIE_MSTSHASH, COOKIE_ROUTING_TOKEN };

struct x224_cr_facts {
	uint64_t frame;
	enum cookie_kind cookie_kind;
	char cookie[80];              /* whole cookie line, e.g. "mstshash=JOHN-PC" */
	int neg_present;
	uint8_t neg_flags;
	uint32_t requested;           /* PROTOCOL_* bits */
	int correlation_present;
	enum dec_status status;
	const char *why;              /* static text when status is not OK */
};

struct x224_cc_facts {
	uint64_t frame;
	uint8_t tpdu_code;            /* 0xD0 for a Connection Confirm */
	enum neg_type neg_type;       /* NEG_NONE, NEG_RSP or NEG_FAILURE */
	uint8_t neg_flags;
	uint32_t selected;            /* with NEG_RSP */
	uint32_t failure_code;        /* with NEG_FAILURE */
	uint16_t neg_length;          /* as declared (8 when sound) */
	enum dec_status status;
	const char *why;              /* static text when status is not OK */
};

/* ---- TLS (tls.c) ----------------------------------------------------- */

struct tls_rec_note {
	uint64_t frame;
	uint8_t dir;
	uint8_t content_type;
	uint16_t len;
};

struct tls_facts {
	uint64_t client_hello_frame;
	uint16_t client_version;      /* legacy_version of the ClientHello */
	uint16_t client_max_version;  /* highest of supported_versions, else = client_version */
	char sni[256];
	uint64_t server_hello_frame;
	uint16_t version;             /* negotiated: supported_versions or legacy */
	uint16_t cipher;
	uint64_t certificate_frame;
	int cert_count;               /* certificates in the message */
	int cert_stored;              /* <= CERT_MAX */
	struct cert_info certs[CERT_MAX];
	int cert_errors;              /* certificates OpenSSL could not parse */
	uint64_t server_hello_done_frame;
	uint64_t ccs_frame[2];        /* ChangeCipherSpec per direction */
	uint64_t alert_frame;         /* first alert seen */
	uint8_t alert_dir;
	uint8_t alert_level;          /* 0 when encrypted (after CCS) */
	uint8_t alert_desc;
	int alert_encrypted;
	uint64_t first_app_frame[2];  /* first application_data per direction */
	uint32_t app_records[2];      /* application_data records per direction */
	uint64_t app_bytes[2];
	int rec_stored;               /* first records after the handshake */
	struct tls_rec_note recs[TLS_REC_MAX];
	enum dec_status status;
	uint64_t bad_frame;           /* where status turned bad */
};

/* ---- MCS / GCC (mcs.c) ----------------------------------------------- */

struct mcs_ci_facts {            /* MCS Connect Initial + GCC client data */
	uint64_t frame;
	uint32_t rdp_version;         /* TS_UD_CS_CORE.version */
	uint16_t desktop_width;
	uint16_t desktop_height;
	uint16_t color_depth;         /* bpp from highColorDepth, else colorDepth */
	uint16_t supported_color_depths;
	uint32_t keyboard_layout;
	uint32_t client_build;
	char client_name[32];
	uint32_t keyboard_type;
	uint32_t keyboard_subtype;
	uint16_t early_capability_flags;
	uint32_t server_selected_protocol;
	int has_core;
	int channel_count;            /* as declared */
	int channels_stored;          /* names present and kept (<= CHANNEL_MAX) */
	char channels[CHANNEL_MAX][9];
	uint32_t channel_options[CHANNEL_MAX];
	uint32_t encryption_methods;  /* TS_UD_CS_SEC */
	uint32_t ext_encryption_methods;
	int has_security;
	enum dec_status status;
};

enum srv_cert_type { SRV_CERT_NONE = 0, SRV_CERT_PROPRIETARY = 1, SRV_CERT_X509 = 2 };

struct mcs_cr_facts {            /* MCS Connect Response + GCC server data */
	uint64_t frame;
	uint32_t result;              /* MCS result, 0 = rt-successful */
	uint32_t server_version;      /* TS_UD_SC_CORE.version */
	uint32_t client_requested_protocols;
	int has_security;
	uint32_t encryption_method;
	uint32_t encryption_level;
	uint32_t server_random_len;
	uint32_t server_cert_len;
	enum srv_cert_type cert_type;
	int cert_permanent;           /* dwVersion high bit clear */
	int proprietary_key_bits;     /* RSA modulus of the proprietary certificate */
	int x509_chain_len;           /* certificates declared in the X.509 chain */
	int x509_stored;
	struct cert_info x509[CERT_MAX];
	uint16_t io_channel;
	int channel_count;
	enum dec_status status;
};

/* MCS domain PDUs after the connect exchange (standard RDP security). */
struct mcs_domain_facts {
	uint64_t erect_domain_frame;
	uint64_t attach_user_request_frame;
	uint64_t attach_user_confirm_frame;
	uint32_t channel_join_requests;
	uint32_t channel_join_confirms;
	uint64_t security_exchange_frame;
	uint64_t client_info_frame;
	uint64_t disconnect_frame;    /* DisconnectProviderUltimatum */
	uint8_t disconnect_dir;
	uint8_t disconnect_reason;
	uint64_t error_info_frame;    /* Set Error Info PDU seen in clear */
	uint32_t error_info;
};

/* ---- RDP-UDP (rdpeudp.c) --------------------------------------------- */

struct rdpeudp_syn_facts {
	uint64_t frame;
	uint16_t flags;               /* RDPUDP_FLAG_* */
	uint32_t initial_seq;
	uint16_t up_mtu;
	uint16_t down_mtu;
	uint16_t synex_flags;
	uint16_t udp_version;         /* RDPUDP_PROTOCOL_VERSION_* as on the wire */
	uint32_t payload_len;         /* UDP payload bytes */
	int df;                       /* IPv4 don't-fragment bit set */
	enum dec_status status;
};

/* ---- DNS (dns.c) ----------------------------------------------------- */

#define DNS_NAME_MAX 256
#define DNS_ANSWER_MAX 8

struct dns_answer {
	uint16_t type;                /* 1 A, 28 AAAA, 5 CNAME */
	uint32_t ttl;
	uint8_t addr[16];             /* A: first 4 bytes */
	char cname[DNS_NAME_MAX];
};

struct dns_msg {
	uint16_t id;
	int is_response;
	uint8_t rcode;
	uint16_t qtype;
	char qname[DNS_NAME_MAX];
	int answer_count;             /* as declared */
	int answers_stored;
	struct dns_answer answers[DNS_ANSWER_MAX];
	enum dec_status status;
};

/* ---- ICMP (icmp.c) --------------------------------------------------- */

enum icmp_kind {
	ICMPK_OTHER = 0,
	ICMPK_UNREACH,     /* destination unreachable, code in `code` */
	ICMPK_FRAG_NEEDED, /* IPv4 type 3 code 4, or ICMPv6 packet too big */
	ICMPK_TIME_EXCEEDED,
};

struct icmp_note {
	uint64_t frame;
	int v6;
	uint8_t type;
	uint8_t code;
	enum icmp_kind kind;
	uint32_t mtu;                 /* next-hop MTU for FRAG_NEEDED */
	uint8_t reporter[16];         /* who sent the ICMP */
	/* the embedded (offending) packet: */
	uint8_t inner_proto;          /* 6 TCP, 17 UDP */
	uint8_t inner_src[16];
	uint8_t inner_dst[16];
	uint16_t inner_sport;
	uint16_t inner_dport;
	uint32_t inner_len;           /* total length of the offending packet */
	int inner_df;
};

#endif

/*
 * tls.h - TLS record layer and handshake messages (RFC 5246, RFC 8446),
 * seen from the outside: versions, SNI, cipher, certificates, alerts, and
 * the shape (count, sizes) of the encrypted records after the handshake,
 * which for PROTOCOL_HYBRID is the CredSSP exchange (MS-CSSP).
 */
#ifndef RDPROBE_TLS_H
#define RDPROBE_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "facts.h"

#define TLS_RECORD_MAX (16384 + 2048)  /* RFC 5246 6.2.3 ciphertext bound */
#define TLS_HS_MSG_MAX (128 * 1024)    /* one handshake message (a chain) */

/* Called for each step worth a line in the ladder diagram. */
typedef void (*tls_event_fn)(void *ctx, int dir, uint64_t frame, const char *text);

struct tls_dir_state {
	uint8_t *hs;          /* handshake message reassembly, grows to TLS_HS_MSG_MAX */
	size_t hs_cap;
	size_t hs_len;
	int encrypted;        /* after this side's ChangeCipherSpec */
	int dtls;
	size_t hs_skip;       /* rest of a handshake message too long to keep */
	uint32_t dtls_msg_len; /* DTLS: message being rebuilt from fragments */
	uint16_t dtls_msg_seq;
	uint8_t dtls_msg_type;
	int dtls_msg_active;
	int lost;             /* record framing lost: the rest is ignored */
	int finished13;       /* TLS 1.3: this side's encrypted Finished went by */
	uint32_t ev_seen;     /* ladder steps already reported, one bit a kind */
	uint32_t hs_seen;     /* other handshake types already reported */
};

struct tls_state {
	struct tls_dir_state d[2];
	tls_event_fn ev;
	void *ev_ctx;
	int tls13;            /* ServerHello chose TLS 1.3: the rest is opaque */
	int handshake_done;   /* both sides sent encrypted data */
	int server_dir;       /* direction that sent the ServerHello */
};

void tls_init(struct tls_state *st, tls_event_fn ev, void *ctx);
void tls_free(struct tls_state *st);

/*
 * True when the bytes start like a TLS record (content type 20..24, major
 * version 3): used to recognise TLS inside RDP-UDP and after X.224.
 */
int tls_looks_like_record(const uint8_t *p, size_t len);

/*
 * Consumes whole TLS records from `len` bytes of one direction's stream
 * (`frame` is the packet that completed them).  Returns the bytes consumed:
 * a partial record at the end is left for the caller to feed again with
 * more data.  On bytes that are not TLS, sets f->status (DEC_INVALID) and
 * f->bad_frame and returns len: the caller stops feeding (later feeds for
 * that direction are ignored).  A record that frames correctly but whose
 * content is wrong (a handshake message whose inner lengths lie) also sets
 * DEC_INVALID and bad_frame, but decoding goes on with the next record so
 * that a later alert is still seen.  DEC_UNSUPPORTED marks a handshake
 * message longer than TLS_HS_MSG_MAX, skipped.  The first bad frame is
 * kept; INVALID replaces an earlier UNSUPPORTED.  Frame numbers start at 1
 * (0 in the facts means "not seen").
 *
 * application_data counts every type-23 record, except with TLS 1.3 where
 * the records before the client's Finished are the encrypted handshake:
 * the server's are not counted, and the client's first one is its Finished
 * (or, when 19 bytes long, an encrypted alert).
 */
size_t tls_feed(struct tls_state *st, struct tls_facts *f, int dir,
		const uint8_t *data, size_t len, uint64_t frame);

/* Names for the ladder and reports. */
const char *tls_version_name(uint16_t v);     /* "TLS 1.2"; NULL when unknown */
const char *tls_alert_name(uint8_t desc);       /* "unknown" when unknown */
const char *tls_cipher_name(uint16_t cipher); /* IANA name, or NULL when unknown */

#endif

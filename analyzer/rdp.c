/*
 * rdp.c - see rdp.h.
 */
#include "rdp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcs.h"
#include "rdpeudp.h"
#include "tls.h"
#include "x224.h"

enum phase { PH_TPKT = 0, PH_TLS, PH_DONE };

/* Bytes of a datagram transport waiting for the rest of a TLS record. */
#define UDP_TLS_BUF_MAX (64 * 1024)

struct udp_tls_buf {
	uint8_t *buf;
	size_t len;
	uint32_t last_sn;
	int have_sn;
};

struct rdp_stream {
	struct rdp_conn *c;
	enum phase ph[2];
	struct reasm_dir r[2];
	struct tls_state tls;
	int64_t ts_us;            /* of the packet being decoded, for TLS events */
	uint32_t post_pdus;       /* TPKT PDUs after the MCS Connect Response */
	struct udp_tls_buf u[2];
	uint8_t *scratch;         /* RDP-UDP2 unwrapping */
	int dropped;              /* decided, and the buffers above are freed */
};

static const char *const dir_word[2] = {"client", "server"};

static void on_tls_event(void *ctx, int dir, uint64_t frame, const char *text)
{
	struct rdp_stream *s = ctx;
	conn_event(s->c, frame, s->ts_us, dir, "%s", text);
}

struct rdp_stream *rdp_stream_new(struct rdp_conn *c)
{
	struct rdp_stream *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->c = c;
	tls_init(&s->tls, on_tls_event, s);
	return s;
}

void rdp_stream_free(struct rdp_stream *s)
{
	if (!s)
		return;
	reasm_free(&s->r[0]);
	reasm_free(&s->r[1]);
	tls_free(&s->tls);
	free(s->u[0].buf);
	free(s->u[1].buf);
	free(s->scratch);
	free(s);
}

struct reasm_dir *rdp_reasm(struct rdp_stream *s, int dir)
{
	return &s->r[dir];
}

/* The handshake outcome is known: stop following the bytes. */
static void decide(struct rdp_stream *s)
{
	s->c->decided = 1;
	s->ph[0] = s->ph[1] = PH_DONE;
}

/*
 * Once decided, no more bytes are decoded: the buffers go (the flow may
 * live on for minutes of bulk traffic).  Called outside the decoders,
 * which may be working in these buffers when they decide.
 */
static void drop_buffers(struct rdp_stream *s)
{
	for (int d = 0; d < 2; d++) {
		if (!s->r[d].stopped)
			reasm_stop(&s->r[d]);
		free(s->u[d].buf);
		s->u[d].buf = NULL;
		s->u[d].len = 0;
	}
	tls_free(&s->tls);
	free(s->scratch);
	s->scratch = NULL;
}

/* Stage and decision from what the TLS decoder has learnt so far. */
static void tls_progress(struct rdp_stream *s, int udp)
{
	struct rdp_conn *c = s->c;
	struct tls_facts *t = &c->tls;

	c->tls_seen = 1;
	if (t->client_hello_frame)
		conn_stage(c, STAGE_TLS_CLIENT_HELLO, t->client_hello_frame);
	if (t->server_hello_frame)
		conn_stage(c, STAGE_TLS_SERVER_HELLO, t->server_hello_frame);
	if ((t->ccs_frame[0] && t->ccs_frame[1]) || (s->tls.tls13 && t->first_app_frame[0]))
		conn_stage(c, STAGE_TLS_ESTABLISHED,
			   t->ccs_frame[1] > t->ccs_frame[0] ? t->ccs_frame[1] : t->ccs_frame[0]);
	if (t->first_app_frame[0] && t->first_app_frame[1] && !udp)
		conn_stage(c, STAGE_TLS_DATA,
			   t->first_app_frame[1] > t->first_app_frame[0] ? t->first_app_frame[1]
									  : t->first_app_frame[0]);
	if (t->rec_stored == TLS_REC_MAX || t->app_records[0] + t->app_records[1] >= 2 * TLS_REC_MAX)
		decide(s);
}

static void note_cr(struct rdp_stream *s, const uint8_t *p, size_t len, uint64_t frame)
{
	struct rdp_conn *c = s->c;
	struct x224_cr_facts f = {0};
	struct cur cu = cur_make(p, len);
	char prot[64];

	f.frame = frame;
	x224_parse_cr(&cu, &f);
	c->cr_count++;
	if (c->cr_count == 1)
		c->cr = f;
	conn_stage(c, STAGE_X224_REQUEST, frame);
	if (f.status != DEC_OK) {
		conn_violation(c, frame, DIR_C2S, f.status, "malformed X.224 Connection Request: %s",
			       f.why ? f.why : dec_status_name(f.status));
		return;
	}
	if (f.neg_present)
		conn_event(c, frame, s->ts_us, DIR_C2S, "X.224 Connection Request, requested %s (0x%x)%s%s",
			   x224_protocols_str(f.requested, prot, sizeof prot), f.requested,
			   f.cookie_kind ? ", " : "", f.cookie);
	else
		conn_event(c, frame, s->ts_us, DIR_C2S,
			   "X.224 Connection Request, no RDP_NEG_REQ (legacy)%s%s",
			   f.cookie_kind ? ", " : "", f.cookie);
}

static void note_cc(struct rdp_stream *s, const uint8_t *p, size_t len, uint64_t frame)
{
	struct rdp_conn *c = s->c;
	struct x224_cc_facts f = {0};
	struct cur cu = cur_make(p, len);
	char prot[64];

	f.frame = frame;
	x224_parse_cc(&cu, &f);
	if (!c->cc.frame)
		c->cc = f;
	if (f.status != DEC_OK) {
		conn_violation(c, frame, DIR_S2C, f.status, "malformed X.224 Connection Confirm: %s",
			       f.why ? f.why : dec_status_name(f.status));
		conn_event(c, frame, s->ts_us, DIR_S2C, "X.224 Connection Confirm (malformed: %s)",
			   f.why ? f.why : dec_status_name(f.status));
		conn_mark_failing(c, frame);
		return;
	}
	if (f.neg_type == NEG_FAILURE) {
		conn_stage(c, STAGE_X224_FAILURE, frame);
		conn_event(c, frame, s->ts_us, DIR_S2C, "RDP_NEG_FAILURE %s (%u)",
			   x224_failure_name(f.failure_code), f.failure_code);
		conn_mark_failing(c, frame);
		/* Not decided yet: what the server says next (a Disconnect
		 * Provider Ultimatum from xrdp) belongs to the evidence. */
		return;
	}
	conn_stage(c, STAGE_X224_CONFIRM, frame);
	if (f.neg_type == NEG_RSP) {
		conn_event(c, frame, s->ts_us, DIR_S2C, "X.224 Connection Confirm, selected %s (0x%x)",
			   x224_protocols_str(f.selected, prot, sizeof prot), f.selected);
		if (f.selected != PROTOCOL_RDP)
			s->ph[0] = s->ph[1] = PH_TLS;
	} else {
		conn_event(c, frame, s->ts_us, DIR_S2C,
			   "X.224 Connection Confirm, no RDP_NEG_RSP (standard RDP security)");
	}
}

static void note_connect_initial(struct rdp_stream *s, struct cur *u, uint64_t frame)
{
	struct rdp_conn *c = s->c;
	struct mcs_ci_facts *f = &c->ci;

	if (f->frame)
		return;
	f->frame = frame;
	mcs_parse_connect_initial(u, f);
	conn_stage(c, STAGE_MCS_CONNECT_INITIAL, frame);
	conn_event(c, frame, s->ts_us, DIR_C2S, "MCS Connect Initial, client %s, %ux%u, %u bpp, %d channels",
		   f->client_name[0] ? f->client_name : "?", f->desktop_width, f->desktop_height,
		   f->color_depth, f->channel_count);
	if (f->status != DEC_OK)
		conn_violation(c, frame, DIR_C2S, f->status, "MCS Connect Initial is %s",
			       dec_status_name(f->status));
}

static void note_connect_response(struct rdp_stream *s, struct cur *u, uint64_t frame)
{
	struct rdp_conn *c = s->c;
	struct mcs_cr_facts *f = &c->mcr;
	static const char *const cert_word[] = {"no certificate", "proprietary certificate",
						"X.509 certificate"};

	if (f->frame)
		return;
	f->frame = frame;
	mcs_parse_connect_response(u, f);
	conn_stage(c, STAGE_MCS_CONNECT_RESPONSE, frame);
	const char *m = gcc_encryption_method_name(f->encryption_method);
	const char *l = gcc_encryption_level_name(f->encryption_level);
	conn_event(c, frame, s->ts_us, DIR_S2C, "MCS Connect Response, result %u, %s, level %s, %s",
		   f->result, m ? m : "?", l ? l : "?",
		   (unsigned)f->cert_type < 3 ? cert_word[f->cert_type] : "?");
	if (f->result != 0)
		conn_mark_failing(c, frame);
	if (f->status != DEC_OK)
		conn_violation(c, frame, DIR_S2C, f->status, "MCS Connect Response is %s",
			       dec_status_name(f->status));
}

static void note_domain(struct rdp_stream *s, struct cur *u, int dir, uint64_t frame)
{
	struct rdp_conn *c = s->c;
	struct mcs_domain_facts before = c->dom;
	int choice = mcs_note_domain_pdu(u, dir, frame, &c->dom);
	struct mcs_domain_facts *d = &c->dom;

	if (choice < 0) {
		conn_violation(c, frame, dir, DEC_INVALID, "X.224 data from the %s is not an MCS PDU",
			       dir_word[dir]);
		return;
	}
	if (d->erect_domain_frame && !before.erect_domain_frame) {
		conn_stage(c, STAGE_MCS_DOMAIN, frame);
		conn_event(c, frame, s->ts_us, dir, "MCS Erect Domain Request");
	}
	if (d->attach_user_request_frame && !before.attach_user_request_frame)
		conn_event(c, frame, s->ts_us, dir, "MCS Attach User Request");
	if (d->attach_user_confirm_frame && !before.attach_user_confirm_frame)
		conn_event(c, frame, s->ts_us, dir, "MCS Attach User Confirm");
	if (d->channel_join_requests == 1 && before.channel_join_requests == 0)
		conn_event(c, frame, s->ts_us, dir, "MCS Channel Join Request (first)");
	if (d->channel_join_confirms == 1 && before.channel_join_confirms == 0)
		conn_event(c, frame, s->ts_us, dir, "MCS Channel Join Confirm (first)");
	if (d->security_exchange_frame && !before.security_exchange_frame) {
		conn_stage(c, STAGE_SECURITY_EXCHANGE, frame);
		conn_event(c, frame, s->ts_us, dir, "Security Exchange PDU (encrypted client random)");
	}
	if (d->client_info_frame && !before.client_info_frame) {
		conn_stage(c, STAGE_CLIENT_INFO, frame);
		conn_event(c, frame, s->ts_us, dir, "Client Info PDU");
	}
	if (d->error_info_frame && !before.error_info_frame) {
		conn_event(c, frame, s->ts_us, dir, "Set Error Info 0x%x", d->error_info);
		conn_mark_failing(c, frame);
	}
	if (d->disconnect_frame && !before.disconnect_frame) {
		conn_event(c, frame, s->ts_us, dir, "MCS Disconnect Provider Ultimatum, reason %u",
			   d->disconnect_reason);
		conn_mark_failing(c, frame);
	}
}

/* One whole TPKT packet of direction `dir`. */
static void on_tpkt(struct rdp_stream *s, int dir, const uint8_t *p, size_t len, uint64_t frame)
{
	struct rdp_conn *c = s->c;
	uint8_t code = x224_tpdu_code(p, len);

	c->tpkt_pdus[dir]++;
	if (c->mcr.frame && ++s->post_pdus > RDP_POST_HANDSHAKE_PDUS)
		decide(s);
	switch (code) {
	case X224_TPDU_CR:
		if (dir == DIR_C2S) {
			note_cr(s, p, len, frame);
			return;
		}
		break;
	case X224_TPDU_CC:
		if (dir == DIR_S2C) {
			note_cc(s, p, len, frame);
			return;
		}
		break;
	case X224_TPDU_DR:
		conn_event(c, frame, s->ts_us, dir, "X.224 Disconnect Request");
		conn_mark_failing(c, frame);
		return;
	case X224_TPDU_DT: {
		struct cur cu = cur_make(p, len), u;
		if (x224_data(&cu, &u) != DEC_OK) {
			conn_violation(c, frame, dir, DEC_INVALID, "malformed X.224 Data TPDU");
			return;
		}
		enum mcs_connect_kind k = mcs_connect_kind(&u);
		if (k == MCS_CONNECT_INITIAL && dir == DIR_C2S)
			note_connect_initial(s, &u, frame);
		else if (k == MCS_CONNECT_RESPONSE && dir == DIR_S2C)
			note_connect_response(s, &u, frame);
		else
			note_domain(s, &u, dir, frame);
		return;
	}
	default:
		break;
	}
	conn_violation(c, frame, dir, DEC_INVALID, "unexpected X.224 %s TPDU (0x%02x) from the %s",
		       x224_tpdu_name(code), p[5], dir_word[dir]);
}

/* Whole PDUs of one direction from the reassembler. */
static size_t on_bytes(void *ctx, int dir, const uint8_t *data, size_t len, uint64_t frame,
		       int64_t ts_us)
{
	struct rdp_stream *s = ctx;
	struct rdp_conn *c = s->c;
	size_t used = 0;

	s->ts_us = ts_us;
	if (!data) {
		conn_violation(c, frame, dir, DEC_UNSUPPORTED,
			       "a PDU from the %s exceeds %u bytes: not followed", dir_word[dir],
			       (unsigned)REASM_BUF_MAX);
		return REASM_STOP;
	}
	while (used < len) {
		const uint8_t *p = data + used;
		size_t left = len - used;

		if (s->ph[dir] == PH_DONE)
			return REASM_STOP;
		if (s->ph[dir] == PH_TPKT && p[0] == 0x16 && tls_looks_like_record(p, left))
			s->ph[dir] = PH_TLS; /* TLS without a Confirm we saw */
		if (s->ph[dir] == PH_TLS) {
			enum dec_status before = c->tls.status;
			size_t n = tls_feed(&s->tls, &c->tls, dir, p, left, frame);
			used += n;
			if (s->tls.d[dir].lost) {
				conn_violation(c, c->tls.bad_frame ? c->tls.bad_frame : frame, dir,
					       DEC_INVALID, "bytes from the %s are not TLS records",
					       dir_word[dir]);
				s->ph[dir] = PH_DONE;
				tls_progress(s, 0);
				return REASM_STOP;
			}
			if (c->tls.status != DEC_OK && before == DEC_OK)
				conn_violation(c, c->tls.bad_frame ? c->tls.bad_frame : frame, dir,
					       c->tls.status, "TLS handshake message from the %s is %s",
					       dir_word[dir], dec_status_name(c->tls.status));
			tls_progress(s, 0);
			if (!n)
				break;
			continue;
		}
		/* PH_TPKT */
		if (p[0] != 3) {
			if (c->mcr.frame) {
				/* Fast-path output / input: the connection is up. */
				c->fastpath_pdus[dir]++;
				decide(s);
				return REASM_STOP;
			}
			conn_violation(c, frame, dir, DEC_INVALID,
				       "%s data is not TPKT (first byte 0x%02x)", dir_word[dir], p[0]);
			s->ph[dir] = PH_DONE;
			return REASM_STOP;
		}
		if (left < TPKT_HEADER_LEN)
			break;
		unsigned tl = tpkt_length(p, left);
		if (!tl) {
			conn_violation(c, frame, dir, DEC_INVALID, "TPKT length %u from the %s is invalid",
				       (unsigned)p[2] << 8 | p[3], dir_word[dir]);
			s->ph[dir] = PH_DONE;
			return REASM_STOP;
		}
		if (left < tl)
			break;
		on_tpkt(s, dir, p, tl, frame);
		used += tl;
	}
	return used;
}

void rdp_tcp_segment(struct rdp_stream *s, struct rdp_conn *c, struct tcp_facts *tcp, int dir,
		     const struct pkt *p, int64_t ts_us)
{
	(void)c;
	if (p->tcp_flags & TCP_ACK)
		reasm_peer_ack(&s->r[!dir], &tcp->d[!dir], p->ack, p->frame);
	reasm_segment(&s->r[dir], &tcp->d[dir], p, ts_us, on_bytes, s, dir);
	if (s->c->decided && !s->dropped) {
		drop_buffers(s);
		s->dropped = 1;
	}
}

void rdp_tcp_finish(struct rdp_stream *s, struct tcp_facts *tcp)
{
	reasm_finish(&s->r[0], &tcp->d[0]);
	reasm_finish(&s->r[1], &tcp->d[1]);
}

/* ---- RDP-UDP ----------------------------------------------------------- */

static void udp_tls_feed(struct rdp_stream *s, int dir, const uint8_t *p, size_t len,
			 uint64_t frame)
{
	struct rdp_conn *c = s->c;
	struct udp_tls_buf *b = &s->u[dir];

	if (s->ph[dir] == PH_DONE || !len)
		return;
	if (s->ph[dir] != PH_TLS) {
		if (!tls_looks_like_record(p, len))
			return; /* not (yet) TLS: RDP-UDP probes, keepalives */
		s->ph[dir] = PH_TLS;
	}
	if (b->len + len > UDP_TLS_BUF_MAX) {
		s->ph[dir] = PH_DONE;
		return;
	}
	if (!b->buf && !(b->buf = malloc(UDP_TLS_BUF_MAX))) {
		s->ph[dir] = PH_DONE;
		return;
	}
	memcpy(b->buf + b->len, p, len);
	b->len += len;
	size_t n = tls_feed(&s->tls, &c->tls, dir, b->buf, b->len, frame);
	if (s->tls.d[dir].lost) {
		/* Lossy mode or a datagram lost: stop without blaming the peer. */
		s->ph[dir] = PH_DONE;
		b->len = 0;
	} else {
		memmove(b->buf, b->buf + n, b->len - n);
		b->len -= n;
	}
	tls_progress(s, 1);
}

static void note_udp_syn(struct rdp_stream *s, int dir, const struct pkt *p, int64_t ts_us)
{
	struct rdp_conn *c = s->c;
	struct udp_facts *u = &c->udp;
	struct rdpeudp_syn_facts f = {0};
	struct cur cu = cur_make(p->payload, p->payload_len);
	char flags[96];

	f.frame = p->frame;
	f.payload_len = p->payload_wire;
	f.df = p->df;
	rdpeudp_parse_syn(&cu, &f);
	rdpeudp_flags_str(f.flags, flags, sizeof flags);
	if (!(f.flags & RDPUDP_FLAG_ACK)) {
		if (u->syn_count < 4)
			u->syn_frames[u->syn_count] = p->frame;
		if (u->syn_count++ == 0) {
			u->syn = f;
			conn_stage(c, STAGE_UDP_SYN, p->frame);
			conn_event(c, p->frame, ts_us, dir, "RDP-UDP SYN (%s), MTU %u/%u, %u bytes%s",
				   flags, f.up_mtu, f.down_mtu, f.payload_len, f.df ? ", DF" : "");
		} else if (u->syn_count <= 4) {
			conn_event(c, p->frame, ts_us, dir, "RDP-UDP SYN again (#%u)", u->syn_count);
		}
	} else {
		if (u->synack_count++ == 0) {
			u->synack = f;
			u->version = (f.flags & RDPUDP_FLAG_SYNEX) ? f.udp_version : 0;
			conn_stage(c, STAGE_UDP_ESTABLISHED, p->frame);
			conn_event(c, p->frame, ts_us, dir, "RDP-UDP SYN+ACK (%s), MTU %u/%u, %s", flags,
				   f.up_mtu, f.down_mtu, rdpeudp_version_name(u->version));
		}
	}
	if (f.status != DEC_OK)
		conn_violation(c, p->frame, dir, f.status, "malformed RDP-UDP SYN%s",
			       f.flags & RDPUDP_FLAG_ACK ? "+ACK" : "");
}

void rdp_udp_datagram(struct rdp_stream *s, struct rdp_conn *c, int dir, const struct pkt *p,
		      int64_t ts_us)
{
	struct udp_facts *u = &c->udp;

	s->ts_us = ts_us;
	u->datagrams[dir]++;
	u->bytes[dir] += p->payload_wire;
	if (rdpeudp_is_syn(p->payload, p->payload_len)) {
		note_udp_syn(s, dir, p, ts_us);
		return;
	}
	if (!u->first_data_frame) {
		u->first_data_frame = p->frame;
		if (u->syn_count && u->synack_count)
			conn_stage(c, STAGE_UDP_DATA, p->frame);
	}
	if (c->decided) {
		if (!s->dropped) {
			drop_buffers(s);
			s->dropped = 1;
		}
		return;
	}
	if (u->datagrams[0] + u->datagrams[1] > RDP_UDP_DATAGRAMS_FOLLOWED) {
		decide(s);
		return;
	}
	struct cur payload;
	uint16_t flags = 0;
	if (u->version == RDPUDP_PROTOCOL_VERSION_3) {
		if (!s->scratch && !(s->scratch = malloc(65536)))
			return;
		if (rdpeudp2_payload(p->payload, p->payload_len, s->scratch, &flags, &payload) == DEC_OK)
			udp_tls_feed(s, dir, payload.p, cur_left(&payload), p->frame);
		return;
	}
	struct cur cu = cur_make(p->payload, p->payload_len);
	uint32_t sn = 0;
	if (rdpeudp_v1_payload(&cu, &flags, &sn, &payload) != DEC_OK)
		return;
	struct udp_tls_buf *b = &s->u[dir];
	if (b->have_sn && (int32_t)(sn - b->last_sn) <= 0)
		return; /* a retransmitted datagram */
	b->have_sn = 1;
	b->last_sn = sn;
	udp_tls_feed(s, dir, payload.p, cur_left(&payload), p->frame);
}

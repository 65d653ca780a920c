/*
 * report_json.c - the analysis as one JSON document (schema in README,
 * "JSON output").  A frame number of 0 means "not seen" and is written
 * as null; optional layers are present only when the connection had them.
 *
 * Speed: a connection's object is built and dumped once, as it is
 * finished, and that is most of the cost of `analyze --json` (jansson
 * allocates every value and formats every number).  So the builders below
 * insert each object's keys in sorted order (jansson >= 2.8 dumps in
 * insertion order), which lets the connection be dumped without
 * JSON_SORT_KEYS; tests/test_report.c checks the two dumps are equal.  Keys
 * and strings from our own tables skip jansson's UTF-8 check; strings with
 * bytes from the capture keep it.  The dump goes into one reused buffer.
 */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "icmp.h"
#include "mcs.h"
#include "rdpeudp.h"
#include "tls.h"
#include "x224.h"
#include "x509.h"

static const char *const dir_name[2] = {"client", "server"};

static json_t *jframe(uint64_t f)
{
	return f ? json_integer((json_int_t)f) : json_null();
}

/* A string from our own tables or formatting: ASCII, not checked again. */
static json_t *jname(const char *s)
{
	return json_string_nocheck(s);
}

static json_t *jname_or_null(const char *s)
{
	return s && s[0] ? json_string_nocheck(s) : json_null();
}

/* A string that carries bytes from the capture: jansson checks it is UTF-8. */
static json_t *jstr_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

static json_t *jtime(int64_t us)
{
	char b[40];
	return us ? jname(report_time_str(us, b, sizeof b)) : json_null();
}

static json_t *jcerttime(int64_t t)
{
	char b[32];
	return jname(x509_time_str(t, b, sizeof b));
}

/*
 * Sets key to a new reference (jansson's _new steals it).  Keys are our
 * own ASCII literals: no UTF-8 check.  Within one object, keys must be put
 * in sorted (strcmp) order: see the top of the file.
 */
static void put(json_t *o, const char *key, json_t *v)
{
	json_object_set_new_nocheck(o, key, v ? v : json_null());
}

static void put_int(json_t *o, const char *key, long long v)
{
	put(o, key, json_integer((json_int_t)v));
}

const char *report_time_str(int64_t us, char *buf, size_t cap)
{
	char d[32];
	int64_t s = us / 1000000, frac = us % 1000000;
	if (frac < 0) {
		frac += 1000000;
		s--;
	}
	x509_time_str(s, d, sizeof d); /* "YYYY-MM-DD HH:MM:SS" */
	if (strlen(d) == 19) {
		d[10] = 'T';
		snprintf(buf, cap, "%s.%06lldZ", d, (long long)frac);
	} else {
		snprintf(buf, cap, "%s", d);
	}
	return buf;
}

static json_t *addr_json(int ipver, const uint8_t *a, uint16_t port)
{
	char b[64];
	json_t *o = json_object();
	put(o, "address", jname(addr_str(ipver, a, b, sizeof b)));
	put_int(o, "port", port);
	return o;
}

static json_t *protocols_json(uint32_t p)
{
	char b[64];
	return jname(x224_protocols_str(p, b, sizeof b));
}

static json_t *cert_json(const struct cert_info *c)
{
	json_t *o = json_object();
	put_int(o, "der_length", c->der_len);
	put(o, "issuer", json_string(c->issuer));
	put(o, "issuer_cn", jstr_or_null(c->issuer_cn));
	put_int(o, "key_bits", c->key_bits);
	put(o, "key_type", json_string(c->key_type));
	put(o, "not_after", jcerttime(c->not_after));
	put_int(o, "not_after_unix", c->not_after);
	put(o, "not_before", jcerttime(c->not_before));
	put_int(o, "not_before_unix", c->not_before);
	put(o, "san", jstr_or_null(c->sans));
	put(o, "self_signed", json_boolean(c->self_signed));
	put(o, "serial", json_string(c->serial));
	put(o, "sha256", json_string(c->sha256));
	put(o, "signature_algorithm", json_string(c->sig_alg));
	put(o, "subject", json_string(c->subject));
	put(o, "subject_cn", jstr_or_null(c->subject_cn));
	return o;
}

static json_t *tcp_dir_json(const struct tcp_dir_facts *d)
{
	json_t *o = json_object();
	put_int(o, "acked_unseen", d->acked_unseen);
	put_int(o, "acked_unseen_bytes", d->acked_unseen_bytes);
	put(o, "acked_unseen_frame", jframe(d->acked_unseen_frame));
	put(o, "fin_frame", jframe(d->fin_frame));
	put_int(o, "hole_bytes", (long long)d->hole_bytes);
	json_t *hs = json_array();
	for (int i = 0; i < d->holes_stored; i++) {
		json_t *h = json_object();
		put(h, "acked_by_peer", json_boolean(d->hole[i].acked));
		put_int(h, "frame", (long long)d->hole[i].frame);
		put_int(h, "length", d->hole[i].len);
		put_int(h, "relative_seq", d->hole[i].rel_seq);
		json_array_append_new(hs, h);
	}
	put(o, "hole_list", hs);
	put_int(o, "holes", d->holes);
	put_int(o, "max_packet", d->max_packet);
	put_int(o, "max_retransmitted", d->max_retransmitted);
	put_int(o, "max_segment", d->max_segment);
	put(o, "max_segment_frame", jframe(d->max_segment_frame));
	put(o, "mss", d->mss ? json_integer(d->mss) : json_null());
	put_int(o, "out_of_order", d->out_of_order);
	put_int(o, "packets", d->packets);
	put_int(o, "payload_bytes", (long long)d->payload_bytes);
	put_int(o, "payload_packets", d->payload_packets);
	put_int(o, "retransmissions", d->retransmissions);
	put_int(o, "retransmitted_bytes", (long long)d->retransmitted_bytes);
	json_t *rx = json_array();
	for (int i = 0; i < d->retx_stored; i++) {
		json_t *r = json_object();
		put_int(r, "frame", (long long)d->retx_frames[i]);
		put_int(r, "length", d->retx_lens[i]);
		json_array_append_new(rx, r);
	}
	put(o, "retransmitted_segments", rx);
	put(o, "rst_frame", jframe(d->rst_frame));
	put_int(o, "snaplen_cut_segments", d->truncated);
	put_int(o, "ttl_max", d->ttl_max);
	put_int(o, "ttl_min", d->ttl_min);
	put(o, "window_scale", d->wscale >= 0 ? json_integer(d->wscale) : json_null());
	return o;
}

static json_t *tcp_json(const struct tcp_facts *t)
{
	static const char *const close_names[] = {"none", "fin", "rst"};
	json_t *o = json_object();
	put(o, "client", tcp_dir_json(&t->d[0]));
	put(o, "close", jname(close_names[t->close]));
	put(o, "close_frame", jframe(t->close_frame));
	put(o, "closed_by", t->close ? jname(dir_name[t->close_dir]) : json_null());
	put(o, "established_frame", jframe(t->established_frame));
	put(o, "mid_connection", json_boolean(t->mid_connection));
	put(o, "rst_after_syn_frame", jframe(t->rst_after_syn_frame));
	put(o, "server", tcp_dir_json(&t->d[1]));
	put_int(o, "syn_count", t->syn_count);
	put(o, "syn_frame", jframe(t->syn_frame));
	put_int(o, "synack_count", t->synack_count);
	put(o, "synack_frame", jframe(t->synack_frame));
	return o;
}

static json_t *x224_json(const struct rdp_conn *c)
{
	json_t *o = json_object();
	if (c->cc.frame) {
		json_t *r = json_object();
		put(r, "failure_code",
		    c->cc.neg_type == NEG_FAILURE ? json_integer(c->cc.failure_code) : json_null());
		put(r, "failure_name", c->cc.neg_type == NEG_FAILURE
					       ? jname(x224_failure_name(c->cc.failure_code))
					       : json_null());
		put_int(r, "flags", c->cc.neg_flags);
		put_int(r, "frame", (long long)c->cc.frame);
		put(r, "problem", jname_or_null(c->cc.why));
		put(r, "selected_protocol",
		    c->cc.neg_type == NEG_RSP ? json_integer(c->cc.selected) : json_null());
		put(r, "selected_protocol_names",
		    c->cc.neg_type == NEG_RSP ? protocols_json(c->cc.selected) : json_null());
		put(r, "status", jname(dec_status_name(c->cc.status)));
		const char *type = c->cc.neg_type == NEG_RSP       ? "response"
				   : c->cc.neg_type == NEG_FAILURE ? "failure"
								   : "none";
		put(r, "type", jname(type));
		put(o, "confirm", r);
	} else {
		put(o, "confirm", json_null());
	}
	if (c->cr.frame) {
		static const char *const kinds[] = {"none", "mstshash", "routing_token"};
		json_t *r = json_object();
		put(r, "cookie", c->cr.cookie_kind ? json_string(c->cr.cookie) : json_null());
		put(r, "cookie_kind", jname(kinds[c->cr.cookie_kind]));
		put(r, "correlation_info", json_boolean(c->cr.correlation_present));
		put_int(r, "flags", c->cr.neg_flags);
		put_int(r, "frame", (long long)c->cr.frame);
		put(r, "negotiation", json_boolean(c->cr.neg_present));
		put(r, "problem", jname_or_null(c->cr.why));
		put(r, "requested_protocols",
		    c->cr.neg_present ? json_integer(c->cr.requested) : json_null());
		put(r, "requested_protocols_names",
		    c->cr.neg_present ? protocols_json(c->cr.requested) : json_null());
		put(r, "status", jname(dec_status_name(c->cr.status)));
		put(o, "request", r);
	} else {
		put(o, "request", json_null());
	}
	put_int(o, "requests", c->cr_count);
	return o;
}

static json_t *version_json(uint16_t v)
{
	const char *n = tls_version_name(v);
	char b[16];
	if (!v)
		return json_null();
	if (!n) {
		snprintf(b, sizeof b, "0x%04x", v);
		n = b;
	}
	return jname(n);
}

static json_t *tls_json(const struct tls_facts *t)
{
	json_t *o = json_object();
	if (t->alert_frame) {
		json_t *a = json_object();
		const char *an = tls_alert_name(t->alert_desc);
		put(a, "description", t->alert_encrypted ? json_null() : jname_or_null(an));
		put(a, "description_code", t->alert_encrypted ? json_null() : json_integer(t->alert_desc));
		put(a, "encrypted", json_boolean(t->alert_encrypted));
		put_int(a, "frame", (long long)t->alert_frame);
		put(a, "from", jname(dir_name[t->alert_dir & 1]));
		put(a, "level", t->alert_encrypted ? json_null()
						   : jname(t->alert_level == 2 ? "fatal" : "warning"));
		put(o, "alert", a);
	} else {
		put(o, "alert", json_null());
	}
	put(o, "bad_frame", jframe(t->bad_frame));
	put_int(o, "certificate_count", t->cert_count);
	put_int(o, "certificate_errors", t->cert_errors);
	put(o, "certificate_frame", jframe(t->certificate_frame));
	json_t *certs = json_array();
	for (int i = 0; i < t->cert_stored; i++)
		json_array_append_new(certs, cert_json(&t->certs[i]));
	put(o, "certificates", certs);
	put(o, "cipher", t->server_hello_frame ? json_integer(t->cipher) : json_null());
	const char *cn = tls_cipher_name(t->cipher);
	put(o, "cipher_name", t->server_hello_frame && cn ? jname(cn) : json_null());
	put(o, "client_ccs_frame", jframe(t->ccs_frame[0]));
	put_int(o, "client_data_bytes", (long long)t->app_bytes[0]);
	put_int(o, "client_data_records", t->app_records[0]);
	put(o, "client_first_data_frame", jframe(t->first_app_frame[0]));
	put(o, "client_hello_frame", jframe(t->client_hello_frame));
	put(o, "client_max_version", version_json(t->client_max_version));
	put(o, "client_version", version_json(t->client_version));
	json_t *recs = json_array();
	for (int i = 0; i < t->rec_stored; i++) {
		json_t *r = json_object();
		put_int(r, "content_type", t->recs[i].content_type);
		put_int(r, "frame", (long long)t->recs[i].frame);
		put(r, "from", jname(dir_name[t->recs[i].dir & 1]));
		put_int(r, "length", t->recs[i].len);
		json_array_append_new(recs, r);
	}
	put(o, "records_after_handshake", recs);
	put(o, "server_ccs_frame", jframe(t->ccs_frame[1]));
	put_int(o, "server_data_bytes", (long long)t->app_bytes[1]);
	put_int(o, "server_data_records", t->app_records[1]);
	put(o, "server_first_data_frame", jframe(t->first_app_frame[1]));
	put(o, "server_hello_done_frame", jframe(t->server_hello_done_frame));
	put(o, "server_hello_frame", jframe(t->server_hello_frame));
	put(o, "sni", jstr_or_null(t->sni));
	put(o, "status", jname(dec_status_name(t->status)));
	put(o, "version", version_json(t->version));
	return o;
}

static json_t *mcs_json(const struct rdp_conn *c)
{
	json_t *o = json_object();
	const struct mcs_ci_facts *ci = &c->ci;
	const struct mcs_cr_facts *cr = &c->mcr;
	const struct mcs_domain_facts *d = &c->dom;

	if (ci->frame) {
		json_t *i = json_object();
		put_int(i, "channel_count", ci->channel_count);
		json_t *ch = json_array();
		int n = ci->channels_stored;
		for (int k = 0; k < n; k++)
			json_array_append_new(ch, json_string(ci->channels[k]));
		put(i, "channels", ch);
		put_int(i, "client_build", ci->client_build);
		put(i, "client_build_name", jname_or_null(gcc_client_build_name(ci->client_build)));
		put(i, "client_name", json_string(ci->client_name));
		put_int(i, "color_depth", ci->color_depth);
		put_int(i, "desktop_height", ci->desktop_height);
		put_int(i, "desktop_width", ci->desktop_width);
		put_int(i, "early_capability_flags", ci->early_capability_flags);
		put(i, "encryption_methods",
		    ci->has_security ? json_integer(ci->encryption_methods) : json_null());
		put_int(i, "frame", (long long)ci->frame);
		put_int(i, "keyboard_layout", ci->keyboard_layout);
		put(i, "keyboard_layout_name", jname_or_null(gcc_keyboard_name(ci->keyboard_layout)));
		put_int(i, "keyboard_subtype", ci->keyboard_subtype);
		put_int(i, "keyboard_type", ci->keyboard_type);
		put_int(i, "rdp_version", ci->rdp_version);
		put(i, "rdp_version_name", jname_or_null(gcc_rdp_version_name(ci->rdp_version)));
		put_int(i, "server_selected_protocol", ci->server_selected_protocol);
		put(i, "status", jname(dec_status_name(ci->status)));
		put_int(i, "supported_color_depths", ci->supported_color_depths);
		put(o, "connect_initial", i);
	} else {
		put(o, "connect_initial", json_null());
	}
	if (cr->frame) {
		static const char *const ct[] = {"none", "proprietary", "x509"};
		json_t *r = json_object();
		put(r, "certificate_permanent",
		    cr->cert_type ? json_boolean(cr->cert_permanent) : json_null());
		put(r, "certificate_type", jname(ct[cr->cert_type <= 2 ? cr->cert_type : 0]));
		put_int(r, "client_requested_protocols", cr->client_requested_protocols);
		put_int(r, "encryption_level", cr->encryption_level);
		put(r, "encryption_level_name",
		    jname_or_null(gcc_encryption_level_name(cr->encryption_level)));
		put_int(r, "encryption_method", cr->encryption_method);
		put(r, "encryption_method_name",
		    jname_or_null(gcc_encryption_method_name(cr->encryption_method)));
		put_int(r, "frame", (long long)cr->frame);
		put_int(r, "io_channel", cr->io_channel);
		put(r, "proprietary_key_bits",
		    cr->cert_type == SRV_CERT_PROPRIETARY ? json_integer(cr->proprietary_key_bits)
							  : json_null());
		put_int(r, "result", cr->result);
		put_int(r, "server_random_length", cr->server_random_len);
		put_int(r, "server_version", cr->server_version);
		put(r, "status", jname(dec_status_name(cr->status)));
		json_t *certs = json_array();
		for (int k = 0; k < cr->x509_stored; k++)
			json_array_append_new(certs, cert_json(&cr->x509[k]));
		put(r, "x509_certificates", certs);
		put(r, "x509_chain_length",
		    cr->cert_type == SRV_CERT_X509 ? json_integer(cr->x509_chain_len) : json_null());
		put(o, "connect_response", r);
	} else {
		put(o, "connect_response", json_null());
	}
	json_t *dj = json_object();
	put(dj, "attach_user_confirm_frame", jframe(d->attach_user_confirm_frame));
	put(dj, "attach_user_request_frame", jframe(d->attach_user_request_frame));
	put_int(dj, "channel_join_confirms", d->channel_join_confirms);
	put_int(dj, "channel_join_requests", d->channel_join_requests);
	put(dj, "client_info_frame", jframe(d->client_info_frame));
	put(dj, "disconnect_frame", jframe(d->disconnect_frame));
	put(dj, "disconnect_reason", d->disconnect_frame ? json_integer(d->disconnect_reason)
							  : json_null());
	put(dj, "erect_domain_frame", jframe(d->erect_domain_frame));
	put(dj, "error_info", d->error_info_frame ? json_integer(d->error_info) : json_null());
	put(dj, "error_info_frame", jframe(d->error_info_frame));
	put(dj, "security_exchange_frame", jframe(d->security_exchange_frame));
	put(o, "domain", dj);
	return o;
}

static json_t *syn_json(const struct rdpeudp_syn_facts *s)
{
	char flags[96];
	json_t *o = json_object();
	put(o, "dont_fragment", json_boolean(s->df));
	put_int(o, "down_mtu", s->down_mtu);
	put(o, "flag_names", jname(rdpeudp_flags_str(s->flags, flags, sizeof flags)));
	put_int(o, "flags", s->flags);
	put_int(o, "frame", (long long)s->frame);
	put_int(o, "payload_length", s->payload_len);
	put(o, "status", jname(dec_status_name(s->status)));
	put_int(o, "udp_length", s->payload_len + 8);
	put_int(o, "up_mtu", s->up_mtu);
	put(o, "version", s->synex_flags ? json_integer(s->udp_version) : json_null());
	return o;
}

static json_t *udp_json(const struct udp_facts *u)
{
	json_t *o = json_object();
	put_int(o, "client_bytes", (long long)u->bytes[0]);
	put_int(o, "client_datagrams", u->datagrams[0]);
	put(o, "established", json_boolean(u->syn_count && u->synack_count));
	put(o, "first_data_frame", jframe(u->first_data_frame));
	put(o, "mid_connection", json_boolean(u->mid_connection));
	/* Version 3 moves the connection to MS-RDPEUDP2; 1 and 2 stay on MS-RDPEUDP. */
	put(o, "protocol", !u->synack_count ? json_null()
			   : u->version == RDPUDP_PROTOCOL_VERSION_3 ? jname("RDPEUDP2")
								     : jname("RDPEUDP"));
	put_int(o, "server_bytes", (long long)u->bytes[1]);
	put_int(o, "server_datagrams", u->datagrams[1]);
	put(o, "syn", u->syn_count ? syn_json(&u->syn) : json_null());
	put_int(o, "syn_count", u->syn_count);
	json_t *sf = json_array();
	for (uint32_t i = 0; i < u->syn_count && i < 4; i++)
		json_array_append_new(sf, json_integer((json_int_t)u->syn_frames[i]));
	put(o, "syn_frames", sf);
	put(o, "synack", u->synack_count ? syn_json(&u->synack) : json_null());
	put_int(o, "synack_count", u->synack_count);
	put(o, "version", u->synack_count ? json_integer(u->version) : json_null());
	put(o, "version_name", u->synack_count ? jname(rdpeudp_version_name(u->version))
					       : json_null());
	return o;
}

static json_t *icmp_json(const struct icmp_note *n)
{
	char b[EVENT_TEXT_MAX * 2];
	int ipver = n->v6 ? 6 : 4;
	json_t *o = json_object();
	put_int(o, "code", n->code);
	put(o, "description", json_string(icmp_describe(n, b, sizeof b)));
	put_int(o, "frame", (long long)n->frame);
	put(o, "inner_dont_fragment", json_boolean(n->inner_df));
	put_int(o, "inner_length", n->inner_len);
	put_int(o, "inner_protocol", n->inner_proto);
	put(o, "mtu", n->kind == ICMPK_FRAG_NEEDED ? json_integer(n->mtu) : json_null());
	put(o, "reporter", jname(addr_str(ipver, n->reporter, b, sizeof b)));
	put_int(o, "type", n->type);
	return o;
}

static json_t *finding_json(const struct finding *f);

/* A connection; with its findings (n of them, maybe 0) when `findings`. */
static json_t *conn_json(const struct rdp_conn *c, int findings, const struct finding *f, int n)
{
	json_t *o = json_object();
	put_int(o, "bytes", (long long)c->bytes);
	put(o, "client", addr_json(c->ipver, c->client, c->cport));
	put(o, "dns_frame", jframe(c->dns_frame));
	put(o, "dns_name", jstr_or_null(c->dns_name));
	put(o, "duration_s", json_real((double)(c->last_us - c->first_us) / 1e6));
	if (findings)
		put(o, "findings", report_findings_json(f, n));
	put_int(o, "first_frame", (long long)c->first_frame);
	put(o, "handshake_decided", json_boolean(c->decided));
	json_t *ic = json_array();
	for (int i = 0; i < c->icmp_stored; i++)
		json_array_append_new(ic, icmp_json(&c->icmp[i]));
	put(o, "icmp", ic);
	put_int(o, "icmp_count", c->icmp_count);
	put_int(o, "index", c->index);
	json_t *ld = json_array();
	for (int i = 0; i < c->nev; i++) {
		const struct conn_event *e = &c->ev[i];
		json_t *v = json_object();
		put(v, "failing", json_boolean(e->failing));
		put_int(v, "frame", (long long)e->frame);
		put(v, "from", jname(dir_name[e->dir & 1]));
		put(v, "text", json_string(e->text));
		put(v, "time_s", json_real((double)(e->ts_us - c->first_us) / 1e6));
		json_array_append_new(ld, v);
	}
	put(o, "ladder", ld);
	put_int(o, "ladder_dropped", c->ev_dropped);
	put_int(o, "last_frame", (long long)c->last_frame);
	const struct mcs_domain_facts *d = &c->dom;
	int any_mcs = c->transport == 6 &&
		      (c->ci.frame || c->mcr.frame || d->erect_domain_frame ||
		       d->attach_user_request_frame || d->disconnect_frame ||
		       d->channel_join_requests || d->error_info_frame);
	put(o, "mcs", any_mcs ? mcs_json(c) : json_null());
	put_int(o, "packets", (long long)c->packets);
	put(o, "rdp_recognised", json_boolean(c->rdp_seen));
	put(o, "rdpeudp", c->transport == 6 ? json_null() : udp_json(&c->udp));
	put(o, "server", addr_json(c->ipver, c->server, c->sport));
	put(o, "stage", jname(stage_name(c->stage)));
	put(o, "stage_frame", jframe(c->stage_frame));
	put(o, "start_time", jtime(c->first_us));
	put(o, "tcp", c->transport == 6 ? tcp_json(&c->tcp) : json_null());
	put(o, "tls", c->tls_seen ? tls_json(&c->tls) : json_null());
	put(o, "transport", jname(c->transport == 17 ? "udp" : "tcp"));
	json_t *vs = json_array();
	for (int i = 0; i < c->nviol; i++) {
		json_t *v = json_object();
		put_int(v, "frame", (long long)c->viol[i].frame);
		put(v, "from", jname(dir_name[c->viol[i].dir & 1]));
		put(v, "status", jname(dec_status_name(c->viol[i].status)));
		put(v, "text", json_string(c->viol[i].text));
		json_array_append_new(vs, v);
	}
	put(o, "violations", vs);
	put_int(o, "violations_dropped", c->viol_dropped);
	json_t *vl = json_array();
	for (int i = 0; i < c->nvlan; i++)
		json_array_append_new(vl, json_integer(c->vlan[i]));
	put(o, "vlan", vl);
	int any_x224 = c->transport == 6 && (c->cr.frame || c->cc.frame);
	put(o, "x224", any_x224 ? x224_json(c) : json_null());
	return o;
}

json_t *report_conn_json(const struct rdp_conn *c)
{
	return conn_json(c, 0, NULL, 0);
}

static json_t *dns_json(const struct dns_note *n)
{
	char b[64];
	json_t *o = json_object();
	put_int(o, "frame", (long long)n->frame);
	put(o, "time", jtime(n->ts_us));
	put(o, "response", json_boolean(n->m.is_response));
	put(o, "name", json_string(n->m.qname));
	put_int(o, "qtype", n->m.qtype);
	put_int(o, "rcode", n->m.rcode);
	put(o, "resolver", json_string(addr_str(n->ipver, n->server, b, sizeof b)));
	json_t *an = json_array();
	for (int i = 0; i < n->m.answers_stored; i++) {
		const struct dns_answer *a = &n->m.answers[i];
		json_t *x = json_object();
		put_int(x, "type", a->type);
		put_int(x, "ttl", a->ttl);
		if (a->type == 1)
			put(x, "address", json_string(addr_str(4, a->addr, b, sizeof b)));
		else if (a->type == 28)
			put(x, "address", json_string(addr_str(6, a->addr, b, sizeof b)));
		else
			put(x, "cname", json_string(a->cname));
		json_array_append_new(an, x);
	}
	put(o, "answers", an);
	put_int(o, "answer_count", n->m.answer_count);
	return o;
}

/* Everything about a capture but its connections. */
static json_t *capture_summary_json(const struct analysis *a)
{
	const struct capture_info *ci = &a->cap;
	json_t *o = json_object();
	put(o, "file", json_string(ci->path));
	put(o, "link_type", json_string(ci->dlt_name));
	put_int(o, "link_type_value", ci->dlt);
	put_int(o, "snaplen", ci->snaplen);
	put_int(o, "frames", (long long)ci->frames);
	put_int(o, "bytes", (long long)ci->bytes);
	put(o, "first_time", jtime(ci->first_us));
	put(o, "last_time", jtime(ci->last_us));
	put(o, "duration_s", json_real((double)(ci->last_us - ci->first_us) / 1e6));
	json_t *st = json_object();
	for (int i = 0; i < PKT_STATUS_COUNT; i++) {
		char key[32];
		str_copy(key, sizeof key, pkt_status_name((enum pkt_status)i));
		for (char *k = key; *k; k++)
			if (*k == ' ')
				*k = '_';
		put_int(st, key, (long long)ci->pkt_status[i]);
	}
	put(o, "frames_by_status", st);
	put_int(o, "snaplen_cut_frames", (long long)ci->snap_cut);
	put(o, "read_error", ci->read_error ? json_string(ci->read_error_text) : json_null());
	put_int(o, "flows_evicted", (long long)ci->flows_evicted);
	put_int(o, "connection_count", a->nconns);
	json_t *dn = json_array();
	for (int i = 0; i < a->ndns; i++)
		json_array_append_new(dn, dns_json(&a->dns[i]));
	put(o, "dns", dn);
	put_int(o, "dns_dropped", a->dns_dropped);
	json_t *ic = json_array();
	for (int i = 0; i < a->nicmp; i++)
		json_array_append_new(ic, icmp_json(&a->icmp[i]));
	put(o, "icmp_unmatched", ic);
	return o;
}

json_t *report_capture_json(const struct analysis *a)
{
	json_t *o = capture_summary_json(a);
	json_t *cs = json_array();
	for (uint32_t i = 0; i < a->nconns; i++)
		json_array_append_new(cs, report_conn_json(a->conns[i]));
	put(o, "connections", cs);
	return o;
}

#define DUMP_FLAGS (JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(9))

/*
 * Writes a dumped object's members (its text without the outer braces)
 * with every line indented by `indent` more spaces.
 */
static void write_members(struct json_stream *js, const char *text, int indent)
{
	const char *p = strchr(text, '\n'); /* after "{" */
	const char *end = strrchr(text, '\n'); /* before "}" */
	if (!p || !end || end <= p)
		return;
	for (p++; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (fprintf(js->out, "%*s%.*s\n", indent, "", (int)n, p) < 0)
			js->err = 1;
		p += n + 1;
	}
}

void report_json_stream_begin(struct json_stream *js, FILE *out)
{
	memset(js, 0, sizeof *js);
	js->out = out;
	if (fputs("{\n  \"captures\": [", out) == EOF)
		js->err = 1;
}

void report_json_capture_begin(struct json_stream *js)
{
	if (fprintf(js->out, "%s\n    {\n      \"connections\": [", js->captures ? "," : "") < 0)
		js->err = 1;
	js->captures++;
	js->conns = 0;
}

/* Keys sorted; report_verdicts_json adds more (its dump sorts them). */
static json_t *finding_json(const struct finding *f)
{
	const struct diag_info *in = diag_info(f->code);
	json_t *o = json_object();
	put(o, "caution", in->caution ? json_string(in->caution) : json_null());
	put(o, "code", json_string(in->name));
	put_int(o, "confidence", f->confidence);
	put(o, "connection", f->conn ? json_integer(f->conn) : json_null());
	json_t *ev = json_array();
	for (int i = 0; i < f->nfacts; i++)
		json_array_append_new(ev, json_string(f->facts[i]));
	put(o, "evidence", ev);
	put(o, "fix", json_string(in->fix));
	json_t *fr = json_array();
	for (int i = 0; i < f->nframes; i++)
		json_array_append_new(fr, json_integer((json_int_t)f->frames[i]));
	put(o, "frames", fr);
	put(o, "layer", json_string(in->layer));
	const char *rep = diag_reproduce(f->code);
	put(o, "reproduce", rep ? json_string(rep) : json_null());
	put(o, "severity", json_string(diag_severity_name(f->severity)));
	put(o, "symptom", json_string(in->symptom));
	return o;
}

json_t *report_findings_json(const struct finding *f, int n)
{
	json_t *a = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(a, finding_json(&f[i]));
	return a;
}

json_t *report_verdicts_json(const struct verdict *v, int nv)
{
	json_t *a = json_array();
	for (int i = 0; i < nv; i++) {
		json_t *o = finding_json(&v[i].main);
		if (v[i].server) {
			put(o, "server", addr_json(v[i].server->ipver, v[i].server->addr,
						   v[i].server->port));
			put_int(o, "server_connections", v[i].server->connections);
			put_int(o, "server_healthy", v[i].server->healthy);
			put_int(o, "server_failed", v[i].server->failed);
		} else {
			put(o, "server", json_null());
		}
		put(o, "recovered", json_boolean(v[i].recovered));
		put(o, "also", report_findings_json(v[i].extra, v[i].nextra));
		json_array_append_new(a, o);
	}
	return a;
}

/* Room for n more bytes in b: 0, or -1 when out of memory. */
static int jbuf_reserve(struct json_buf *b, size_t n)
{
	if (n <= b->cap - b->len)
		return 0;
	size_t cap = b->cap ? b->cap : 16384;
	while (cap - b->len < n)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

/* jansson's dump callback: appends the text (jansson calls it per token). */
static int dump_to_buf(const char *p, size_t n, void *data)
{
	struct json_buf *b = data;
	if (jbuf_reserve(b, n))
		return -1;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

#define CONN_INDENT "        " /* a connection's depth in the document */
#define CONN_INDENT_LEN (sizeof CONN_INDENT - 1)

/*
 * Copies a dumped connection from `in` to `out`, every line after the
 * first indented by CONN_INDENT (the newlines in the text are jansson's
 * own: inside strings they are escaped).
 */
static int indent_conn(struct json_buf *out, const struct json_buf *in)
{
	const char *p = in->p, *end = in->p + in->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t k = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (jbuf_reserve(out, k + CONN_INDENT_LEN))
			return -1;
		memcpy(out->p + out->len, p, k);
		out->len += k;
		if (nl) {
			memcpy(out->p + out->len, CONN_INDENT, CONN_INDENT_LEN);
			out->len += CONN_INDENT_LEN;
		}
		p += k;
	}
	return 0;
}

/* Keys are inserted sorted (see the top of the file); older jansson sorts them. */
#if JANSSON_VERSION_HEX >= 0x020800
#define CONN_DUMP_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(9))
#else
#define CONN_DUMP_FLAGS DUMP_FLAGS
#endif

void report_json_conn(struct json_stream *js, const struct rdp_conn *c, const struct finding *f,
		      int n)
{
	json_t *o = conn_json(c, 1, f, n);
	static const char first[] = "\n" CONN_INDENT, next[] = ",\n" CONN_INDENT;
	const char *sep = js->conns ? next : first;
	size_t seplen = js->conns ? sizeof next - 1 : sizeof first - 1;

	js->raw.len = 0;
	js->text.len = 0;
	int bad = !o || json_dump_callback(o, dump_to_buf, &js->raw, CONN_DUMP_FLAGS) != 0 ||
		  dump_to_buf(sep, seplen, &js->text) || indent_conn(&js->text, &js->raw);
	json_decref(o);
	if (bad || fwrite(js->text.p, 1, js->text.len, js->out) != js->text.len)
		js->err = 1;
	js->conns++;
}

void report_json_capture_end(struct json_stream *js, const struct analysis *a,
			     const struct verdict *v, int nv)
{
	json_t *o = capture_summary_json(a);
	put(o, "verdicts", report_verdicts_json(v, nv));
	char *text = json_dumps(o, DUMP_FLAGS);
	json_decref(o);
	if (!text) {
		js->err = 1;
		return;
	}
	if (fputs(js->conns ? "\n      ],\n" : "],\n", js->out) == EOF)
		js->err = 1;
	write_members(js, text, 4);
	if (fputs("    }", js->out) == EOF)
		js->err = 1;
	free(text);
}

int report_json_stream_end(struct json_stream *js)
{
	free(js->raw.p);
	free(js->text.p);
	memset(&js->raw, 0, sizeof js->raw);
	memset(&js->text, 0, sizeof js->text);
	if (fprintf(js->out, "%s],\n  \"schema_version\": %d,\n  \"tool\": \"rdprobe %s\"\n}\n",
		    js->captures ? "\n  " : "", RDPROBE_SCHEMA_VERSION, RDPROBE_VERSION) < 0)
		js->err = 1;
	return js->err ? -1 : 0;
}

json_t *report_document(json_t *captures)
{
	json_t *o = json_object();
	put_int(o, "schema_version", RDPROBE_SCHEMA_VERSION);
	put(o, "tool", json_string("rdprobe " RDPROBE_VERSION));
	put(o, "captures", captures);
	return o;
}

int report_json_write(FILE *out, json_t *doc)
{
	if (json_dumpf(doc, out, DUMP_FLAGS) != 0)
		return -1;
	return fputc('\n', out) == EOF ? -1 : 0;
}

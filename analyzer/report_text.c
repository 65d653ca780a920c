/*
 * report_text.c - per connection a ladder diagram of the handshake
 * (client left, server right, frame numbers, time since the previous
 * step, the failing step marked), then its facts.
 */
#include <string.h>

#include "mcs.h"
#include "rdpeudp.h"
#include "report.h"
#include "tls.h"
#include "x224.h"
#include "x509.h"

#define LADDER_WIDTH 64 /* characters between the two lifelines */

/* One arrow: "|--- text ------>|" or "|<-- text -------|". */
static void arrow(FILE *out, const struct conn_event *e)
{
	char line[LADDER_WIDTH + 1];
	size_t tl = strlen(e->text);
	if (tl > LADDER_WIDTH - 8)
		tl = LADDER_WIDTH - 8;
	memset(line, '-', LADDER_WIDTH);
	line[LADDER_WIDTH] = '\0';
	if (e->dir == DIR_C2S) {
		line[LADDER_WIDTH - 1] = '>';
	} else {
		line[0] = '<';
	}
	line[4] = ' ';
	memcpy(line + 5, e->text, tl);
	line[5 + tl] = ' ';
	fprintf(out, "|%s|", line);
}

static void ladder(FILE *out, const struct rdp_conn *c)
{
	int64_t prev = c->first_us;
	fprintf(out, "    %7s %9s  %-*s%s\n", "frame", "delta", LADDER_WIDTH - 4, "client", "server");
	for (int i = 0; i < c->nev; i++) {
		const struct conn_event *e = &c->ev[i];
		double d = (double)(e->ts_us - prev) / 1e6;
		prev = e->ts_us;
		fprintf(out, "  %s%7llu %+9.6f  ", e->failing ? "!!" : "  ", (unsigned long long)e->frame,
			d);
		arrow(out, e);
		fputc('\n', out);
	}
	if (c->ev_dropped)
		fprintf(out, "    (%u more steps not shown)\n", c->ev_dropped);
}

static void cert_line(FILE *out, const char *indent, const struct cert_info *ce)
{
	char nb[32], na[32];
	fprintf(out, "%sCN=%s, issuer CN=%s, valid %s to %s UTC, %s %d-bit%s\n", indent,
		ce->subject_cn[0] ? ce->subject_cn : "(none)",
		ce->issuer_cn[0] ? ce->issuer_cn : "(none)", x509_time_str(ce->not_before, nb, sizeof nb),
		x509_time_str(ce->not_after, na, sizeof na), ce->key_type[0] ? ce->key_type : "?",
		ce->key_bits, ce->self_signed ? ", self-signed" : "");
	if (ce->sans[0])
		fprintf(out, "%s  subjectAltName %s\n", indent, ce->sans);
}

static void tcp_facts_text(FILE *out, const struct rdp_conn *c)
{
	static const char *const who[2] = {"client", "server"};
	const struct tcp_facts *t = &c->tcp;
	fprintf(out, "  TCP: SYN x%u%s", t->syn_count, t->synack_frame ? ", SYN+ACK" : ", no SYN+ACK");
	if (t->d[0].mss || t->d[1].mss)
		fprintf(out, ", MSS client %u / server %u", t->d[0].mss, t->d[1].mss);
	if (t->mid_connection)
		fprintf(out, ", started mid-connection");
	if (t->close)
		fprintf(out, ", first close: %s by the %s at frame %llu", t->close == CLOSE_RST ? "RST" : "FIN",
			who[t->close_dir & 1], (unsigned long long)t->close_frame);
	fputc('\n', out);
	for (int d = 0; d < 2; d++) {
		const struct tcp_dir_facts *s = &t->d[d];
		if (!s->retransmissions && !s->holes && !s->acked_unseen && !s->truncated)
			continue;
		fprintf(out, "  TCP %s: largest segment %u, %u retransmitted (largest %u)", who[d],
			s->max_segment, s->retransmissions, s->max_retransmitted);
		if (s->holes)
			fprintf(out, ", %u holes (%llu bytes never seen)", s->holes,
				(unsigned long long)s->hole_bytes);
		if (s->acked_unseen)
			fprintf(out, ", %u bytes acknowledged but not captured", s->acked_unseen_bytes);
		if (s->truncated)
			fprintf(out, ", %u segments cut by the snap length", s->truncated);
		fputc('\n', out);
	}
}

static void x224_text(FILE *out, const struct rdp_conn *c)
{
	char p[64];
	if (c->cr.frame) {
		fprintf(out, "  X.224 request (frame %llu): ", (unsigned long long)c->cr.frame);
		if (c->cr.neg_present)
			fprintf(out, "requested %s (0x%x)", x224_protocols_str(c->cr.requested, p, sizeof p),
				c->cr.requested);
		else
			fprintf(out, "no RDP_NEG_REQ (legacy)");
		if (c->cr.cookie_kind)
			fprintf(out, ", cookie %s", c->cr.cookie);
		fputc('\n', out);
	}
	if (c->cc.frame) {
		fprintf(out, "  X.224 confirm (frame %llu): ", (unsigned long long)c->cc.frame);
		if (c->cc.neg_type == NEG_RSP)
			fprintf(out, "selected %s (0x%x)", x224_protocols_str(c->cc.selected, p, sizeof p),
				c->cc.selected);
		else if (c->cc.neg_type == NEG_FAILURE)
			fprintf(out, "RDP_NEG_FAILURE %s (%u)", x224_failure_name(c->cc.failure_code),
				c->cc.failure_code);
		else
			fprintf(out, "no negotiation: standard RDP security");
		if (c->cc.status != DEC_OK)
			fprintf(out, " [%s: %s]", dec_status_name(c->cc.status), c->cc.why ? c->cc.why : "");
		fputc('\n', out);
	}
}

static void tls_text(FILE *out, const struct rdp_conn *c)
{
	const struct tls_facts *t = &c->tls;
	const char *v = tls_version_name(t->version);
	const char *cn = tls_cipher_name(t->cipher);
	fprintf(out, "  TLS: ");
	if (t->server_hello_frame)
		fprintf(out, "%s, cipher %s (0x%04x)", v ? v : "?", cn ? cn : "?", t->cipher);
	else if (t->client_hello_frame)
		fprintf(out, "ClientHello only");
	else
		fprintf(out, "no hello seen");
	if (t->sni[0])
		fprintf(out, ", SNI %s", t->sni);
	fprintf(out, "; encrypted records client %u / server %u%s\n", t->app_records[0],
		t->app_records[1], c->decided ? " (counted until the outcome was known)" : "");
	if (t->alert_frame) {
		const char *an = tls_alert_name(t->alert_desc);
		fprintf(out, "  TLS alert from the %s at frame %llu: %s\n", t->alert_dir ? "server" : "client",
			(unsigned long long)t->alert_frame,
			t->alert_encrypted ? "(encrypted)" : an ? an : "?");
	}
	for (int i = 0; i < t->cert_stored; i++) {
		fprintf(out, "  TLS certificate %d/%d (frame %llu): ", i + 1, t->cert_count,
			(unsigned long long)t->certificate_frame);
		cert_line(out, "", &t->certs[i]);
	}
	if (t->version == 0x0304)
		fprintf(out, "  TLS 1.3: the certificate is encrypted on the wire\n");
}

static void mcs_text(FILE *out, const struct rdp_conn *c)
{
	const struct mcs_ci_facts *ci = &c->ci;
	const struct mcs_cr_facts *cr = &c->mcr;
	if (ci->frame) {
		const char *b = gcc_client_build_name(ci->client_build);
		const char *k = gcc_keyboard_name(ci->keyboard_layout);
		fprintf(out, "  Client (frame %llu): name %s, build %u%s%s%s, %ux%u, %u bpp, keyboard 0x%x%s%s%s\n",
			(unsigned long long)ci->frame, ci->client_name, ci->client_build, b ? " (" : "",
			b ? b : "", b ? ")" : "", ci->desktop_width, ci->desktop_height, ci->color_depth,
			ci->keyboard_layout, k ? " (" : "", k ? k : "", k ? ")" : "");
		fprintf(out, "  Channels:");
		int n = ci->channels_stored;
		for (int i = 0; i < n; i++)
			fprintf(out, "%s%s", i ? "," : " ", ci->channels[i]);
		fprintf(out, "%s\n", n ? "" : " none");
	}
	if (cr->frame) {
		const char *m = gcc_encryption_method_name(cr->encryption_method);
		const char *l = gcc_encryption_level_name(cr->encryption_level);
		fprintf(out, "  Server security (frame %llu): method %s, level %s", (unsigned long long)cr->frame,
			m ? m : "?", l ? l : "?");
		if (cr->cert_type == SRV_CERT_PROPRIETARY)
			fprintf(out, ", proprietary certificate RSA %d-bit, %s\n", cr->proprietary_key_bits,
				cr->cert_permanent ? "permanent" : "temporary");
		else if (cr->cert_type == SRV_CERT_X509)
			fprintf(out, ", X.509 chain of %d, %s\n", cr->x509_chain_len,
				cr->cert_permanent ? "permanent" : "not permanent");
		else
			fputc('\n', out);
		for (int i = 0; i < cr->x509_stored; i++)
			cert_line(out, "    ", &cr->x509[i]);
	}
}

static void udp_text(FILE *out, const struct rdp_conn *c)
{
	const struct udp_facts *u = &c->udp;
	char f[96];
	fprintf(out, "  RDP-UDP: %u SYN, %u SYN+ACK", u->syn_count, u->synack_count);
	if (u->syn_count)
		fprintf(out, "; SYN %s, MTU %u/%u, UDP length %u%s", rdpeudp_flags_str(u->syn.flags, f, sizeof f),
			u->syn.up_mtu, u->syn.down_mtu, u->syn.payload_len + 8, u->syn.df ? ", DF" : "");
	if (u->synack_count)
		fprintf(out, "; %s", rdpeudp_version_name(u->version));
	if (u->mid_connection)
		fprintf(out, "; started mid-connection");
	fprintf(out, "; datagrams client %u / server %u\n", u->datagrams[0], u->datagrams[1]);
}

static void finding_text(FILE *out, const char *indent, const struct finding *f, int details)
{
	const struct diag_info *in = diag_info(f->code);
	fprintf(out, "%s%s %s (%s, confidence %d%%)", indent, f->severity == SEV_FAILURE ? "FAIL"
							      : f->severity == SEV_WARNING ? "WARN"
							      : f->severity == SEV_OK	    ? "OK  "
											    : "INFO",
		in->name, in->layer, f->confidence);
	if (f->nframes) {
		fprintf(out, ", frames");
		for (int i = 0; i < f->nframes; i++)
			fprintf(out, "%s%llu", i ? "," : " ", (unsigned long long)f->frames[i]);
	}
	fputc('\n', out);
	for (int i = 0; i < f->nfacts; i++)
		fprintf(out, "%s    - %s\n", indent, f->facts[i]);
	if (!details || f->code == DIAG_HEALTHY)
		return;
	fprintf(out, "%s    symptom: %s\n", indent, in->symptom);
	char sub[32];
	snprintf(sub, sizeof sub, "%s    ", indent);
	report_text_fix(out, sub, f->code);
}

void report_text_fix(FILE *out, const char *indent, enum diag_code c)
{
	const struct diag_info *in = diag_info(c);
	fprintf(out, "%sfix: %s\n", indent, in->fix);
	if (in->caution)
		fprintf(out, "%scaution: %s\n", indent, in->caution);
	if (diag_reproduce(c))
		fprintf(out, "%sreproduce: %s\n", indent, diag_reproduce(c));
}

void report_text_verdicts(FILE *out, const struct verdict *v, int nv)
{
	for (int i = 0; i < nv; i++) {
		char a[64];
		const struct diag_info *in = diag_info(v[i].main.code);
		if (v[i].server)
			fprintf(out, "VERDICT %s%s%s:%u: %s%s\n", v[i].server->ipver == 6 ? "[" : "",
				addr_str(v[i].server->ipver, v[i].server->addr, a, sizeof a),
				v[i].server->ipver == 6 ? "]" : "", v[i].server->port, in->name,
				v[i].recovered ? " (recovered)" : "");
		else
			fprintf(out, "VERDICT capture: %s\n", in->name);
		finding_text(out, "  ", &v[i].main, 1);
		for (int k = 0; k < v[i].nextra; k++)
			finding_text(out, "  ", &v[i].extra[k], v[i].extra[k].severity >= SEV_WARNING);
	}
	if (!nv)
		fprintf(out, "VERDICT: no RDP connection in the capture\n");
}

void report_text_conn(FILE *out, const struct rdp_conn *c, const struct finding *fi, int nf)
{
	char ca[64], sa[64];
	fprintf(out, "\nConnection %u  %s %s%s%s:%u -> %s%s%s:%u", c->index,
		c->transport == 17 ? "UDP" : "TCP", c->ipver == 6 ? "[" : "",
		addr_str(c->ipver, c->client, ca, sizeof ca), c->ipver == 6 ? "]" : "", c->cport,
		c->ipver == 6 ? "[" : "", addr_str(c->ipver, c->server, sa, sizeof sa),
		c->ipver == 6 ? "]" : "", c->sport);
	for (int i = 0; i < c->nvlan; i++)
		fprintf(out, " vlan %u", c->vlan[i]);
	fprintf(out, "  frames %llu-%llu, %.3f s\n", (unsigned long long)c->first_frame,
		(unsigned long long)c->last_frame, (double)(c->last_us - c->first_us) / 1e6);
	if (c->dns_name[0])
		fprintf(out, "  Name: %s (DNS answer, frame %llu)\n", c->dns_name,
			(unsigned long long)c->dns_frame);
	fprintf(out, "  Reached: %s (frame %llu)\n", stage_name(c->stage),
		(unsigned long long)c->stage_frame);
	ladder(out, c);
	if (c->transport == 6) {
		tcp_facts_text(out, c);
		x224_text(out, c);
	} else {
		udp_text(out, c);
	}
	if (c->tls_seen)
		tls_text(out, c);
	mcs_text(out, c);
	for (int i = 0; i < c->nviol; i++)
		fprintf(out, "  Protocol violation at frame %llu (%s): %s\n",
			(unsigned long long)c->viol[i].frame, dec_status_name(c->viol[i].status),
			c->viol[i].text);
	for (int i = 0; i < nf; i++)
		finding_text(out, "  ", &fi[i], 0);
}

void report_text_header(FILE *out, const struct analysis *a)
{
	fprintf(out, "%s: %s\n", a->cap.path, a->cap.dlt_name);
}

void report_text_footer(FILE *out, const struct analysis *a)
{
	const struct capture_info *ci = &a->cap;
	char t0[40];
	fprintf(out, "\n%s: %llu frames, %s, %.3f s, %u RDP connection%s\n", ci->path,
		(unsigned long long)ci->frames,
		ci->first_us ? report_time_str(ci->first_us, t0, sizeof t0) : "-",
		(double)(ci->last_us - ci->first_us) / 1e6, a->nconns, a->nconns == 1 ? "" : "s");
	if (ci->read_error)
		fprintf(out, "  note: %s\n", ci->read_error_text);
	if (ci->snap_cut)
		fprintf(out, "  note: %llu frames cut by the snap length (%u)\n",
			(unsigned long long)ci->snap_cut, ci->snaplen);
	if (ci->flows_evicted)
		fprintf(out, "  note: %llu flows evicted to stay within the flow table limit\n",
			(unsigned long long)ci->flows_evicted);
	for (int i = 0; i < a->ndns; i++) {
		const struct dns_note *n = &a->dns[i];
		if (!n->m.is_response)
			continue;
		fprintf(out, "  DNS frame %llu: %s", (unsigned long long)n->frame, n->m.qname);
		for (int k = 0; k < n->m.answers_stored; k++) {
			char b[64];
			const struct dns_answer *an = &n->m.answers[k];
			if (an->type == 1 || an->type == 28)
				fprintf(out, " %s %s", an->type == 1 ? "A" : "AAAA",
					addr_str(an->type == 1 ? 4 : 6, an->addr, b, sizeof b));
			else
				fprintf(out, " CNAME %s", an->cname);
		}
		if (!n->m.answers_stored)
			fprintf(out, " (no answer, rcode %u)", n->m.rcode);
		fputc('\n', out);
	}
}

void report_text(FILE *out, const struct analysis *a)
{
	report_text_header(out, a);
	for (uint32_t i = 0; i < a->nconns; i++)
		report_text_conn(out, a->conns[i], NULL, 0);
	report_text_footer(out, a);
}

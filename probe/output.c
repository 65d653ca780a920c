/*
 * output.c - the probe's results as a text table and as JSON
 * ("probe_schema_version": 1).  Only reads struct probe_result.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ntlm.h"
#include "probe.h"
#include "rdpeudp.h"
#include "report.h"
#include "x224.h"
#include "x509.h"

static const char *ms_str(int32_t ms, char *buf, size_t cap)
{
	if (ms == PROBE_MS_NONE)
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, "%d", ms);
	return buf;
}

static const char *neg_str(const struct probe_x224_row *row, char *buf, size_t cap)
{
	if (!row->answered)
		snprintf(buf, cap, "no confirm");
	else if (row->neg_type == NEG_FAILURE)
		snprintf(buf, cap, "RDP_NEG_FAILURE");
	else if (row->neg_type == NEG_NONE)
		snprintf(buf, cap, "legacy confirm (RDP)");
	else {
		char p[40];
		snprintf(buf, cap, "selected %s", x224_protocols_str(row->selected, p, sizeof p));
	}
	return buf;
}

static void print_cert(FILE *f, const struct cert_info *c)
{
	char a[32], b[32];
	fprintf(f, "      subject  %s\n", c->subject);
	fprintf(f, "      issuer   %s%s\n", c->issuer, c->self_signed ? " (self-signed)" : "");
	if (c->sans[0])
		fprintf(f, "      names    %s\n", c->sans);
	fprintf(f, "      valid    %s .. %s UTC\n", x509_time_str(c->not_before, a, sizeof a),
		x509_time_str(c->not_after, b, sizeof b));
	fprintf(f, "      key      %s %d bits, %s\n", c->key_type, c->key_bits, c->sig_alg);
	fprintf(f, "      sha256   %s\n", c->sha256);
}

static const char *finding_str(const struct probe_result *x)
{
	return x->finding < DIAG_CODE_COUNT ? diag_code_name(x->finding) : "-";
}

/* MsvAvTimestamp as "YYYY-MM-DDTHH:MM:SS.ffffffZ"; NULL when out of range. */
static const char *filetime_str(uint64_t ft, char *buf, size_t cap)
{
	uint32_t us = 0;
	time_t t = (time_t)ntlm_filetime_to_unix(ft, &us);
	struct tm tm;
	if (t <= 0 || !gmtime_r(&t, &tm))
		return NULL;
	snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)us);
	return buf;
}

/* ntlm-info: the CHALLENGE's names and the name check, after the tls section. */
static void print_ntlm(FILE *f, const struct probe_opts *o, const struct probe_result *x)
{
	const struct probe_ntlm *nt = &x->ntlm;
	const struct ntlm_challenge *ch = &nt->ch;
	char b[256], os[64];

	if (!nt->used || !nt->tls_version[0])
		return;
	fprintf(f, "\nntlm-info: CredSSP/NTLM CHALLENGE from %s port %u (%s", x->target,
		(unsigned)o->port, nt->tls_version);
	if (nt->have_tsrequest)
		fprintf(f, ", CredSSP v%u", nt->credssp_version);
	if (nt->have_error_code)
		fprintf(f, ", errorCode 0x%08X", nt->error_code);
	fprintf(f, ")\n");
	if (!nt->have_challenge) {
		fprintf(f, "  no CHALLENGE: %s\n", x->detail);
		return;
	}
#define NAME(s) ((s)[0] ? (s) : "-")
	fprintf(f, "  NetBIOS computer  %s\n", NAME(ch->nb_computer));
	fprintf(f, "  NetBIOS domain    %s\n", NAME(ch->nb_domain));
	fprintf(f, "  DNS computer      %s\n", NAME(ch->dns_computer));
	fprintf(f, "  DNS domain        %s\n", NAME(ch->dns_domain));
	fprintf(f, "  DNS tree          %s\n", NAME(ch->dns_tree));
	fprintf(f, "  target name       %s\n", NAME(ch->target_name));
	if (ch->have_version)
		fprintf(f, "  OS version        %s (%u.%u.%u, NTLM revision %u)\n",
			ntlm_os_name(ch->major, ch->minor, ch->build, os, sizeof os), ch->major,
			ch->minor, ch->build, ch->ntlm_revision);
	else
		fprintf(f, "  OS version        - (no Version in the CHALLENGE)\n");
	if (ch->have_timestamp)
		fprintf(f, "  server time       %s\n",
			filetime_str(ch->timestamp, b, sizeof b) ? b : "out of range");
	fprintf(f, "  flags             0x%08X %s\n", ch->flags,
		ntlm_flags_str(ch->flags, b, sizeof b));
	if (ch->name_issues)
		fprintf(f, "  note              names %s\n",
			ch->name_issues & NTLM_STR_CUT ? "cut to fit" : "had invalid characters (U+FFFD)");
	if (nt->have_cert) {
		fprintf(f, "  certificate\n");
		print_cert(f, &nt->cert);
	}
	char cert[CERT_NAME_MAX + CERT_SAN_MAX + 8] = "-";
	if (nt->have_cert)
		snprintf(cert, sizeof cert, "CN=%s%s%s", nt->cert.subject_cn,
			 nt->cert.sans[0] ? ", " : "", nt->cert.sans);
	const char *ntlm_name = ch->dns_computer[0] ? ch->dns_computer : ch->nb_computer;
	if (nt->names_checked)
		fprintf(f, "  names: DNS %s | certificate %s | NTLM %s: %s\n", o->host, cert,
			NAME(ntlm_name),
			nt->host_matches_ntlm || nt->host_in_cert ? "consistent" : "inconsistent");
	else
		fprintf(f, "  names: DNS - (probed by address %s) | certificate %s | NTLM %s: not checked\n",
			o->host, cert, NAME(ntlm_name));
#undef NAME
}

void probe_print_text(FILE *f, const struct probe_opts *o, const struct probe_result *r, int n,
		      const struct probe_verdict *v)
{
	char b1[16], b2[16], b3[16], b4[16];

	if (v)
		fprintf(f, "%s: %s\n", diag_severity_name(v->severity), v->summary);
	if (v && v->code < DIAG_CODE_COUNT && v->code != DIAG_HEALTHY) {
		const struct diag_info *di = diag_info(v->code);
		fprintf(f, "client sees: %s\n", di->symptom);
		report_text_fix(f, "", v->code);
	}
	fprintf(f, "%srdprobe probe %s port %u (budget %d ms)%s%s%s%s\n\n", v ? "\n" : "",
		o->host, (unsigned)o->port, o->budget_ms, o->user[0] ? ", NLA as " : "", o->user,
		o->pinned[0] ? ", variants on " : "", o->pinned);
	fprintf(f, "%-11s %-8s %-26s %6s %7s %6s %6s  %-39s %-28s %s\n", "VARIANT", "OUTCOME",
		"LAYER", "DNS", "CONNECT", "X224", "TLS", "ERROR", "FINDING", "INFO");
	for (int i = 0; i < n; i++) {
		const struct probe_result *x = &r[i];
		/* Names only: the codes (errno, FreeRDP's 0x0002000D) are in the sections below. */
		const char *err = x->error_name[0] ? x->error_name : "-";
		fprintf(f, "%-11s %-8s %-26s %6s %7s %6s %6s  %-39s %-28s %s\n", x->variant,
			probe_outcome_name(x->outcome), x->layer, ms_str(x->ms_dns, b1, sizeof b1),
			ms_str(x->ms_connect, b2, sizeof b2), ms_str(x->ms_x224, b3, sizeof b3),
			ms_str(x->ms_tls, b4, sizeof b4), err, finding_str(x), x->detail);
	}
	for (int i = 0; i < n; i++) {
		const struct probe_result *x = &r[i];
		if (x->naddr) {
			fprintf(f, "\n%s: addresses\n", x->variant);
			for (int k = 0; k < x->naddr; k++) {
				const struct probe_addr *a = &x->addrs[k];
				fprintf(f, "  IPv%d %s", a->family, a->addr);
				if (a->tcp_tried)
					fprintf(f, "%*s tcp %s %s ms", (int)(40 - strlen(a->addr)), "",
						a->tcp_ok ? "open" : a->error_name,
						ms_str(a->tcp_ms, b1, sizeof b1));
				fputc('\n', f);
			}
		}
		if (x->nx224) {
			fprintf(f, "\nx224: security policy of %s port %u\n", x->target,
				(unsigned)o->port);
			fprintf(f, "  %-32s %-26s %-40s %s\n", "REQUESTED", "ANSWER", "ERROR", "MS");
			for (int k = 0; k < x->nx224; k++) {
				const struct probe_x224_row *row = &x->x224[k];
				char req[48], ans[48], err[64] = "-", pn[40];
				snprintf(req, sizeof req, "0x%x %s", row->requested,
					 x224_protocols_str(row->requested, pn, sizeof pn));
				if (row->error_name[0])
					snprintf(err, sizeof err, "%s (%d)", row->error_name,
						 row->error_code);
				fprintf(f, "  %-32s %-26s %-40s %s\n", req,
					neg_str(row, ans, sizeof ans), err,
					ms_str(row->answered ? row->ms : PROBE_MS_NONE, b2, sizeof b2));
			}
		}
		for (int k = 0; k < x->ntls; k++) {
			const struct probe_tls_attempt *a = &x->tls[k];
			if (k == 0)
				fprintf(f, "\ntls: handshakes with %s port %u\n", x->target,
					(unsigned)o->port);
			fprintf(f, "  %-7s %-7s %-24s connect %s ms, x224 %s ms, tls %s ms", a->label,
				probe_outcome_name(a->outcome), a->layer, ms_str(a->ms_connect, b1, sizeof b1),
				ms_str(a->ms_x224, b2, sizeof b2), ms_str(a->ms_tls, b3, sizeof b3));
			if (a->outcome == PROBE_OK)
				fprintf(f, ": %s %s%s%s\n", a->version, a->cipher,
					a->weak[0] ? "; weak: " : "", a->weak);
			else
				fprintf(f, ": %s (%d) %s\n", a->error_name, a->error_code, a->detail);
			if (a->have_cert)
				print_cert(f, &a->cert);
		}
		print_ntlm(f, o, x);
		if (x->fr.used) {
			const struct probe_freerdp *fr = &x->fr;
			fprintf(f, "\n%s: libfreerdp2 connection to %s port %u, %d ms\n", x->variant,
				x->target, (unsigned)o->port, fr->ms);
			if (fr->last_error_name[0])
				fprintf(f, "  last error  0x%08X %s: %s\n", fr->last_error,
					fr->last_error_name, fr->last_error_string);
			if (fr->have_error_info)
				fprintf(f, "  error info  0x%X %s (from the server)\n", fr->error_info,
					fr->error_info_name);
			if (fr->cause[0])
				fprintf(f, "  first error %s\n", fr->cause);
			if (fr->ended_early)
				fprintf(f, "  FreeRDP's silent reconnect was stopped (one connection only)\n");
			if (fr->have_cert) {
				fprintf(f, "  certificate\n");
				print_cert(f, &fr->cert);
			}
		}
		if (x->mtu.used && x->mtu.ntries) {
			const struct probe_mtu *m = &x->mtu;
			fprintf(f, "\nmtu: TLS flight from %s port %u by MSS\n", x->target,
				(unsigned)o->port);
			for (int k = 0; k < m->ntries; k++) {
				const struct probe_mtu_try *t = &m->tries[k];
				if (t->mss > 0)
					fprintf(f, "  MSS %4d (packets of %4d bytes)  %-7s %5d ms  %s\n",
						t->mss, t->mss + m->overhead,
						t->passed ? "passed" : "stalled", t->ms, t->layer);
				else /* never connected: no MSS to speak of */
					fprintf(f, "  no connection  %-7s %5d ms  %s\n", "failed", t->ms,
						t->layer);
			}
			if (m->path_mtu)
				fprintf(f, "  path MTU %d (MSS %d passes, %d stalls)\n", m->path_mtu,
					m->largest_ok, m->smallest_failed);
		}
		for (int k = 0; k < x->nudp; k++) {
			const struct probe_udp_attempt *a = &x->udp[k];
			if (k == 0)
				fprintf(f, "\nudp: RDPEUDP SYN (DF) to %s port %u\n", x->target,
					(unsigned)o->port);
			fprintf(f, "  %4u bytes, %d sent: ", a->size, a->sends);
			if (a->answered) {
				char fl[96];
				fprintf(f, "SYN+ACK after %d ms (%s, %s, MTU up %u down %u)\n", a->ms,
					rdpeudp_flags_str(a->synack.flags, fl, sizeof fl),
					rdpeudp_version_name(a->synack.udp_version), a->synack.up_mtu,
					a->synack.down_mtu);
			} else {
				fprintf(f, "%s (%d)", a->error_name, a->error_code);
				if (a->path_mtu)
					fprintf(f, ", path MTU %d", a->path_mtu);
				fputc('\n', f);
			}
		}
	}
}

/* ---- JSON ------------------------------------------------------------ */

static json_t *ms_json(int32_t ms)
{
	return ms == PROBE_MS_NONE ? json_null() : json_integer(ms);
}

static json_t *error_json(int code, const char *name)
{
	if (!name[0])
		return json_null();
	return json_pack("{s:i, s:s}", "code", code, "name", name);
}

static json_t *cert_json(const struct cert_info *c)
{
	char a[32], b[32];
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:b, s:i}",
			 "subject", c->subject, "subject_cn", c->subject_cn, "issuer", c->issuer,
			 "issuer_cn", c->issuer_cn, "sans", c->sans, "serial", c->serial, "sha256",
			 c->sha256, "sig_alg", c->sig_alg, "key_type", c->key_type, "key_bits",
			 c->key_bits, "not_before", x509_time_str(c->not_before, a, sizeof a),
			 "not_after", x509_time_str(c->not_after, b, sizeof b), "self_signed",
			 c->self_signed, "der_len", (int)c->der_len);
}

static json_t *str_or_null(int have, const char *s)
{
	return have ? json_string(s) : json_null();
}

/* The "ntlm" object of ntlm-info; names null until a CHALLENGE was parsed. */
static json_t *ntlm_json(const struct probe_ntlm *nt)
{
	const struct ntlm_challenge *ch = &nt->ch;
	int c = nt->have_challenge;
	char b[256], os[64];
	json_t *j = json_object();

	json_object_set_new(j, "tls_version", str_or_null(nt->tls_version[0], nt->tls_version));
	json_object_set_new(j, "credssp_version",
			    nt->have_tsrequest ? json_integer(nt->credssp_version) : json_null());
	json_object_set_new(j, "credssp_error_code",
			    nt->have_error_code ? json_integer(nt->error_code) : json_null());
	json_object_set_new(j, "nb_computer", str_or_null(c, ch->nb_computer));
	json_object_set_new(j, "nb_domain", str_or_null(c, ch->nb_domain));
	json_object_set_new(j, "dns_computer", str_or_null(c, ch->dns_computer));
	json_object_set_new(j, "dns_domain", str_or_null(c, ch->dns_domain));
	json_object_set_new(j, "dns_tree", str_or_null(c, ch->dns_tree));
	json_object_set_new(j, "target_name", str_or_null(c, ch->target_name));
	json_object_set_new(j, "flags", c ? json_integer(ch->flags) : json_null());
	json_object_set_new(j, "flag_names",
			    str_or_null(c, c ? ntlm_flags_str(ch->flags, b, sizeof b) : ""));
	json_object_set_new(j, "av_flags",
			    c && ch->have_av_flags ? json_integer(ch->av_flags) : json_null());
	json_object_set_new(
	    j, "version",
	    c && ch->have_version
		    ? json_pack("{s:i, s:i, s:i, s:i, s:s}", "major", ch->major, "minor", ch->minor,
				"build", ch->build, "ntlm_revision", ch->ntlm_revision, "os",
				ntlm_os_name(ch->major, ch->minor, ch->build, os, sizeof os))
		    : json_null());
	const char *ts = c && ch->have_timestamp ? filetime_str(ch->timestamp, b, sizeof b) : NULL;
	json_object_set_new(j, "timestamp", ts ? json_string(ts) : json_null());
	json_object_set_new(j, "names_sanitized", json_boolean(c && ch->name_issues));
	json_object_set_new(j, "certificate", nt->have_cert ? cert_json(&nt->cert) : json_null());
	json_object_set_new(
	    j, "names",
	    json_pack("{s:b, s:o, s:o, s:o}", "checked", nt->names_checked, "host_matches_ntlm",
		      nt->names_checked ? json_boolean(nt->host_matches_ntlm) : json_null(),
		      "host_in_certificate",
		      nt->names_checked ? json_boolean(nt->host_in_cert) : json_null(), "consistent",
		      nt->names_checked ? json_boolean(nt->host_matches_ntlm || nt->host_in_cert)
					: json_null()));
	return j;
}

static json_t *result_json(const struct probe_result *x)
{
	char buf[64];
	json_t *o = json_pack("{s:s, s:s, s:s, s:{s:o, s:o, s:o, s:o}, s:o, s:s}", "variant",
			      x->variant, "outcome", probe_outcome_name(x->outcome), "layer",
			      x->layer, "ms", "dns", ms_json(x->ms_dns), "connect",
			      ms_json(x->ms_connect), "x224", ms_json(x->ms_x224), "tls",
			      ms_json(x->ms_tls), "error", error_json(x->error_code, x->error_name),
			      "info", x->detail);
	if (!o)
		return NULL;
	json_object_set_new(o, "finding",
			    x->finding < DIAG_CODE_COUNT ? json_string(diag_code_name(x->finding))
							 : json_null());
	if (x->target[0])
		json_object_set_new(o, "target", json_string(x->target));
	json_t *cs = json_array();
	for (int k = 0; k < x->nconns; k++)
		json_array_append_new(cs, json_pack("{s:s, s:i, s:s}", "proto",
						    x->conns[k].proto == 17 ? "udp" : "tcp",
						    "local_port", (int)x->conns[k].lport, "label",
						    x->conns[k].label));
	json_object_set_new(o, "connections", cs);
	if (x->naddr) {
		json_t *a = json_array();
		for (int k = 0; k < x->naddr; k++) {
			const struct probe_addr *d = &x->addrs[k];
			json_t *e = json_pack("{s:s, s:i}", "addr", d->addr, "family", d->family);
			if (d->tcp_tried) {
				json_object_set_new(e, "tcp_ok", json_boolean(d->tcp_ok));
				json_object_set_new(e, "tcp_ms", ms_json(d->tcp_ms));
				json_object_set_new(e, "error", error_json(d->error_code, d->error_name));
			}
			json_array_append_new(a, e);
		}
		json_object_set_new(o, "addresses", a);
	}
	if (x->nx224) {
		json_t *a = json_array();
		for (int k = 0; k < x->nx224; k++) {
			const struct probe_x224_row *row = &x->x224[k];
			json_t *e = json_pack("{s:i, s:s, s:b}", "requested", (int)row->requested,
					      "requested_name",
					      x224_protocols_str(row->requested, buf, sizeof buf),
					      "answered", row->answered);
			if (row->answered && row->neg_type == NEG_FAILURE) {
				json_object_set_new(e, "selected", json_null());
				json_object_set_new(e, "failure_code", json_integer(row->failure_code));
				json_object_set_new(e, "failure_name",
						    json_string(x224_failure_name(row->failure_code)));
			} else if (row->answered) {
				json_object_set_new(e, "selected", json_integer(row->selected));
				json_object_set_new(e, "selected_name",
						    json_string(row->neg_type == NEG_NONE
									? "RDP (legacy confirm)"
									: x224_protocols_str(row->selected, buf, sizeof buf)));
			}
			json_object_set_new(e, "ms", ms_json(row->answered ? row->ms : PROBE_MS_NONE));
			json_object_set_new(e, "error", error_json(row->error_code, row->error_name));
			json_array_append_new(a, e);
		}
		json_object_set_new(o, "policy", a);
	}
	if (x->ntls) {
		json_t *a = json_array();
		for (int k = 0; k < x->ntls; k++) {
			const struct probe_tls_attempt *t = &x->tls[k];
			json_t *e = json_pack("{s:s, s:s, s:s, s:{s:o, s:o, s:o}, s:o, s:s}", "attempt",
					      t->label, "outcome", probe_outcome_name(t->outcome),
					      "layer", t->layer, "ms",
					      "connect", ms_json(t->ms_connect), "x224",
					      ms_json(t->ms_x224), "tls", ms_json(t->ms_tls), "error",
					      error_json(t->error_code, t->error_name), "info", t->detail);
			if (t->outcome == PROBE_OK) {
				json_object_set_new(e, "version", json_string(t->version));
				json_object_set_new(e, "cipher", json_string(t->cipher));
				json_object_set_new(e, "weak", t->weak[0] ? json_string(t->weak)
									  : json_null());
			}
			json_object_set_new(e, "certificate",
					    t->have_cert ? cert_json(&t->cert) : json_null());
			json_array_append_new(a, e);
		}
		json_object_set_new(o, "attempts", a);
	}
	if (x->nudp) {
		json_t *a = json_array();
		for (int k = 0; k < x->nudp; k++) {
			const struct probe_udp_attempt *u = &x->udp[k];
			json_t *e = json_pack("{s:i, s:i, s:b, s:o, s:o}", "size", (int)u->size,
					      "sends", u->sends, "answered", u->answered, "ms",
					      ms_json(u->answered ? u->ms : PROBE_MS_NONE), "error",
					      error_json(u->error_code, u->error_name));
			if (u->path_mtu)
				json_object_set_new(e, "path_mtu", json_integer(u->path_mtu));
			if (u->answered) {
				char fl[96];
				json_object_set_new(
				    e, "synack",
				    json_pack("{s:s, s:i, s:i, s:i, s:s}", "flags",
					      rdpeudp_flags_str(u->synack.flags, fl, sizeof fl),
					      "up_mtu", u->synack.up_mtu, "down_mtu",
					      u->synack.down_mtu, "udp_version", u->synack.udp_version,
					      "udp_version_name",
					      rdpeudp_version_name(u->synack.udp_version)));
			}
			json_array_append_new(a, e);
		}
		json_object_set_new(o, "attempts", a);
	}
	if (x->mtu.used) {
		const struct probe_mtu *m = &x->mtu;
		json_t *tries = json_array();
		for (int k = 0; k < m->ntries; k++)
			json_array_append_new(tries, json_pack("{s:i, s:b, s:i, s:s}", "mss",
							       m->tries[k].mss, "passed",
							       m->tries[k].passed, "ms",
							       m->tries[k].ms, "layer",
							       m->tries[k].layer));
		json_object_set_new(
		    o, "mtu",
		    json_pack("{s:i, s:i, s:o, s:o, s:o, s:o}", "overhead", m->overhead, "full_mss",
			      m->full_mss, "largest_ok_mss",
			      m->largest_ok ? json_integer(m->largest_ok) : json_null(),
			      "smallest_stalled_mss",
			      m->smallest_failed ? json_integer(m->smallest_failed) : json_null(),
			      "path_mtu", m->path_mtu ? json_integer(m->path_mtu) : json_null(),
			      "tries", tries));
	}
	if (x->ntlm.used)
		json_object_set_new(o, "ntlm", ntlm_json(&x->ntlm));
	if (x->fr.used) {
		const struct probe_freerdp *fr = &x->fr;
		json_t *e = json_pack("{s:i, s:{s:i, s:s, s:s}, s:b, s:i, s:s}", "elapsed_ms", fr->ms,
				      "last_error", "code", (int)fr->last_error, "name",
				      fr->last_error_name, "string", fr->last_error_string,
				      "reconnect_stopped", fr->ended_early, "certificates_seen",
				      fr->certs_seen, "first_error_log", fr->cause);
		json_object_set_new(e, "error_info",
				    fr->have_error_info
					    ? json_pack("{s:i, s:s}", "code", (int)fr->error_info, "name",
							fr->error_info_name)
					    : json_null());
		json_object_set_new(e, "certificate", fr->have_cert ? cert_json(&fr->cert) : json_null());
		json_object_set_new(o, "freerdp", e);
	}
	return o;
}

json_t *probe_verdict_json(const struct probe_verdict *v)
{
	int coded = v->code < DIAG_CODE_COUNT;
	const struct diag_info *di = coded ? diag_info(v->code) : NULL;
	json_t *j = json_pack("{s:o, s:s, s:o, s:b, s:o, s:s}", "code",
			      coded ? json_string(diag_code_name(v->code)) : json_null(), "severity",
			      diag_severity_name(v->severity), "variant",
			      v->variant[0] ? json_string(v->variant) : json_null(), "reachable",
			      v->reachable, "reached_by",
			      v->reached_by[0] ? json_string(v->reached_by) : json_null(), "summary",
			      v->summary);
	if (j && di && v->code != DIAG_HEALTHY) {
		json_object_set_new(j, "fix", json_string(di->fix));
		json_object_set_new(j, "caution", di->caution ? json_string(di->caution) : json_null());
		json_object_set_new(j, "symptom", json_string(di->symptom));
		const char *rep = diag_reproduce(v->code);
		json_object_set_new(j, "reproduce", rep ? json_string(rep) : json_null());
	}
	return j;
}

int probe_print_json(FILE *f, const struct probe_opts *o, const struct probe_result *r, int n,
		     const struct probe_verdict *v)
{
	json_t *doc = probe_json(o, r, n, v);
	if (!doc)
		return -1;
	int rc = report_json_write(f, doc);
	json_decref(doc);
	return rc;
}

json_t *probe_json(const struct probe_opts *o, const struct probe_result *r, int n,
		   const struct probe_verdict *v)
{
	json_t *results = json_array();
	for (int i = 0; i < n; i++) {
		json_t *e = result_json(&r[i]);
		if (!e || json_array_append_new(results, e)) {
			json_decref(results);
			return NULL;
		}
	}
	json_t *doc = json_pack("{s:i, s:s, s:i, s:i, s:o}", "probe_schema_version",
				PROBE_SCHEMA_VERSION, "host", o->host, "port", (int)o->port,
				"timeout_ms", o->budget_ms, "results", results);
	if (!doc)
		return NULL;
	if (o->expect_ip[0])
		json_object_set_new(doc, "expect_ip", json_string(o->expect_ip));
	json_object_set_new(doc, "user", o->user[0] ? json_string(o->user) : json_null());
	json_object_set_new(doc, "target", o->pinned[0] ? json_string(o->pinned) : json_null());
	json_object_set_new(doc, "verdict", probe_verdict_json(v));
	return doc;
}

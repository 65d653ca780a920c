/*
 * diagnose.c - rdprobe diagnose HOST: a capture alongside the probe, the
 * analysis of that capture, one report (DESIGN.md sections 2, 5, 7).
 *
 *   1. resolve HOST for the capture filter, start the capture (capture/),
 *      or say clearly that none is taken (no rights);
 *   2. run the probe (probe/), with live progress on a terminal;
 *   3. stop the capture, analyze the file (analyzer/);
 *   4. join: every connection in the capture that a variant made is found
 *      by its local port (the variants record them), so the packets of
 *      the variant that found the cause become its evidence, and what only
 *      the client library saw (FreeRDP's error info 0x7) completes what
 *      the packets show;
 *   5. one report, verdict first; --json, --junit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "analyze.h"
#include "capture.h"
#include "cli.h"
#include "diagnosis.h"
#include "probe.h"
#include "report.h"

#define DIAGNOSE_SCHEMA_VERSION 1
#define DCONN_MAX 512            /* connections of the capture kept for the report */
#define EVIDENCE_MAX 8
#define CAPTURE_GRACE_MS 800

/* One connection of the capture, as the report needs it. */
struct dconn {
	uint32_t index;
	uint8_t transport;
	uint16_t cport;
	const char *variant;      /* the variant that made it, NULL if none of ours */
	const char *label;
	int nf;
	struct finding f[FINDINGS_MAX];
	json_t *json;             /* report_conn_json + variant + findings */
	char *text;               /* its ladder (report_text_conn) */
	size_t textlen;
};

struct dctx {
	const struct probe_opts *po;
	const struct probe_result *r;
	int n;
	const struct probe_result *pick;
	struct diag_state *d;
	struct dconn *c;
	int nc;
	uint32_t dropped;         /* connections beyond DCONN_MAX */
};

/*
 * The variant (and its label) that opened this local port toward the
 * probed port, if any (the capture holds only the target's traffic, DNS
 * and ICMP; a local port is not reused within one short run).
 */
static void owner_of(const struct dctx *x, const struct rdp_conn *c, const char **variant,
		     const char **label)
{
	uint8_t transport = c->transport;
	uint16_t cport = c->cport;
	*variant = *label = NULL;
	if (c->sport != x->po->port)
		return;
	for (int i = -1; i < x->n; i++) {
		const struct probe_result *r = i < 0 ? x->pick : &x->r[i];
		if (!r)
			continue;
		for (int k = 0; k < r->nconns; k++)
			if (r->conns[k].lport == cport && r->conns[k].proto == transport) {
				*variant = i < 0 ? "target-pick" : r->variant;
				*label = r->conns[k].label;
				return;
			}
	}
}

/*
 * What the client library saw completes what the packets show: the
 * server's error info is encrypted on the wire, FreeRDP decrypted it on
 * this very connection.
 */
static void complete_with_probe(const struct dctx *x, const char *variant, struct finding *f)
{
	const struct probe_result *r = NULL;
	for (int i = 0; variant && i < x->n; i++)
		if (!strcmp(x->r[i].variant, variant))
			r = &x->r[i];
	if (!r || !r->fr.used || !r->fr.have_error_info || f->code != DIAG_SERVER_DENIED)
		return;
	f->confidence = 95;
	/* The packet-only hint ("the probe reads the error info") is now the reading. */
	int k = f->nfacts < FINDING_FACTS ? f->nfacts : FINDING_FACTS - 1;
	for (int i = 0; i < f->nfacts; i++)
		if (strstr(f->facts[i], "error info")) {
			k = i;
			break;
		}
	snprintf(f->facts[k], sizeof f->facts[k],
		 "%s read the server's Set Error Info PDU on this connection (inside TLS): 0x%X %s "
		 "(FreeRDP 0x%08X)",
		 r->variant, r->fr.error_info, r->fr.error_info_name, r->fr.last_error);
	if (k == f->nfacts)
		f->nfacts++;
}

static void on_conn(void *ctx, const struct rdp_conn *c)
{
	struct dctx *x = ctx;
	struct finding f[FINDINGS_MAX];
	const char *variant, *label;
	int n = diag_conn(c, &x->d->opts, f, FINDINGS_MAX);
	owner_of(x, c, &variant, &label);
	for (int k = 0; k < n; k++)
		complete_with_probe(x, variant, &f[k]);
	diag_note(x->d, c, f, n);
	if (x->nc >= DCONN_MAX) {
		x->dropped++;
		return;
	}
	struct dconn *dc = &x->c[x->nc++];
	memset(dc, 0, sizeof *dc);
	dc->index = c->index;
	dc->transport = c->transport;
	dc->cport = c->cport;
	dc->variant = variant;
	dc->label = label;
	dc->nf = n;
	memcpy(dc->f, f, (size_t)n * sizeof f[0]);
	dc->json = report_conn_json(c);
	if (dc->json) {
		json_object_set_new(dc->json, "probe_variant",
				    dc->variant ? json_string(dc->variant) : json_null());
		json_object_set_new(dc->json, "probe_label",
				    dc->label ? json_string(dc->label) : json_null());
		json_object_set_new(dc->json, "findings", report_findings_json(f, n));
	}
	FILE *m = open_memstream(&dc->text, &dc->textlen);
	if (m) {
		report_text_conn(m, c, f, n);
		if (fclose(m)) {
			free(dc->text);
			dc->text = NULL;
		}
	}
}

/* ---- live progress on a terminal ----------------------------------------- */

struct progress {
	int tty;
	const char *pcap;         /* the growing capture file, or NULL */
	int shown;
};

static void on_progress(void *ctx, int done, int n, const char *running, int64_t ms)
{
	struct progress *p = ctx;
	struct stat st;
	char cap[48] = "";
	if (!p->tty)
		return;
	if (p->pcap && stat(p->pcap, &st) == 0)
		snprintf(cap, sizeof cap, ", capture %lld KB", (long long)st.st_size / 1024);
	fprintf(stderr, "\r\033[K[%5.1f s] %d/%d variants done, running %s%s", (double)ms / 1000,
		done, n, running, cap);
	p->shown = 1;
}

static void progress_end(struct progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
}

/* ---- the verdict's evidence from the packets ----------------------------- */

struct evidence {
	const struct dconn *c;
	struct finding f;         /* the analyzer's finding on it (completed by the probe) */
};

/*
 * The packets behind the verdict: the connections of the variant that
 * found it where the packets show the same diagnosis; else any of the
 * probe's connections showing it (RDP_SECURITY_DOWNGRADE from the
 * freerdp-rdp connection when x224 named it); else, for a failure, that
 * variant's connections that failed otherwise; for HEALTHY, the
 * connection that completed.
 */
static int find_evidence(const struct dctx *x, const struct probe_verdict *v, struct evidence *e)
{
	int ne = 0;
	const char *who = v->variant[0] ? v->variant : v->reached_by;
	if (!who[0] || v->code >= DIAG_CODE_COUNT)
		return 0;
	for (int pass = 0; pass < 3 && ne == 0; pass++) {
		if (pass == 2 && v->severity != SEV_FAILURE)
			break;
		for (int i = 0; i < x->nc && ne < EVIDENCE_MAX; i++) {
			const struct dconn *c = &x->c[i];
			if (!c->variant || (pass != 1 && strcmp(c->variant, who)))
				continue;
			for (int k = 0; k < c->nf; k++) {
				int same = c->f[k].code == v->code;
				int failing = c->f[k].severity == SEV_FAILURE;
				if (pass == 2 ? failing : same) {
					e[ne].c = c;
					e[ne++].f = c->f[k];
					break;
				}
			}
		}
	}
	return ne;
}

static void print_finding_line(FILE *out, const struct dconn *c, const struct finding *f)
{
	int labelled = c->label && strcmp(c->label, c->variant);
	fprintf(out, "  connection %u (%s%s%s, local port %u): %s, %d%%", c->index, c->variant,
		labelled ? " " : "", labelled ? c->label : "", (unsigned)c->cport,
		diag_code_name(f->code), f->confidence);
	if (f->nframes) {
		fprintf(out, ", frame%s", f->nframes > 1 ? "s" : "");
		for (int k = 0; k < f->nframes; k++)
			fprintf(out, "%s %llu", k ? "," : "", (unsigned long long)f->frames[k]);
	}
	fputc('\n', out);
	for (int k = 0; k < f->nfacts; k++)
		fprintf(out, "    %s\n", f->facts[k]);
}

static json_t *evidence_json(const struct evidence *e, int ne)
{
	json_t *a = json_array();
	for (int i = 0; i < ne; i++) {
		json_t *fj = report_findings_json(&e[i].f, 1);
		json_t *one = json_array_size(fj) ? json_incref(json_array_get(fj, 0)) : json_null();
		json_decref(fj);
		json_array_append_new(a, json_pack("{s:i, s:s, s:o, s:i, s:o}", "connection",
						   (int)e[i].c->index, "variant", e[i].c->variant,
						   "label",
						   e[i].c->label ? json_string(e[i].c->label) : json_null(),
						   "local_port", (int)e[i].c->cport, "finding", one));
	}
	return a;
}

/* ---- JUnit ------------------------------------------------------------------ */

static void xml_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\t')
				fputc(' ', f); /* not allowed in XML 1.0 */
			else
				fputc(*s, f);
		}
	}
}

/*
 * One test suite for the host: a test case per variant (failure when its
 * finding is a failure, skipped when it was skipped) and one for the
 * verdict, so that CI systems show the diagnosis as test results.
 */
static int write_junit(const char *path, const struct probe_opts *o, const struct probe_result *r,
		       int n, const struct probe_verdict *v, double secs)
{
	FILE *f = fopen(path, "w");
	int failures = v->severity == SEV_FAILURE, skipped = 0;
	if (!f)
		return -1;
	for (int i = 0; i < n; i++) {
		failures += r[i].finding < DIAG_CODE_COUNT &&
			    diag_info(r[i].finding)->severity == SEV_FAILURE && !r[i].finding_is_warning;
		skipped += r[i].outcome == PROBE_SKIPPED;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
	fprintf(f, "  <testsuite name=\"rdprobe diagnose ");
	xml_escaped(f, o->host);
	fprintf(f, "\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"%.3f\">\n",
		n + 1, failures, skipped, secs);
	fprintf(f, "    <testcase classname=\"rdprobe.");
	xml_escaped(f, o->host);
	fprintf(f, "\" name=\"verdict\">");
	if (v->severity == SEV_FAILURE) {
		fprintf(f, "\n      <failure type=\"%s\" message=\"",
			v->code < DIAG_CODE_COUNT ? diag_code_name(v->code) : "FAILURE");
		xml_escaped(f, v->summary);
		fprintf(f, "\">");
		if (v->code < DIAG_CODE_COUNT)
			xml_escaped(f, diag_info(v->code)->fix);
		fprintf(f, "</failure>\n    ");
	}
	fprintf(f, "</testcase>\n");
	for (int i = 0; i < n; i++) {
		const struct probe_result *x = &r[i];
		int fail = x->finding < DIAG_CODE_COUNT &&
			   diag_info(x->finding)->severity == SEV_FAILURE && !x->finding_is_warning;
		fprintf(f, "    <testcase classname=\"rdprobe.");
		xml_escaped(f, o->host);
		fprintf(f, "\" name=\"%s\">", x->variant);
		if (fail) {
			fprintf(f, "\n      <failure type=\"%s\" message=\"", diag_code_name(x->finding));
			xml_escaped(f, x->detail);
			fprintf(f, "\"/>\n    ");
		} else if (x->outcome == PROBE_SKIPPED) {
			fprintf(f, "\n      <skipped message=\"");
			xml_escaped(f, x->detail);
			fprintf(f, "\"/>\n    ");
		}
		fprintf(f, "<system-out>");
		xml_escaped(f, probe_outcome_name(x->outcome));
		fputc(' ', f);
		xml_escaped(f, x->layer);
		fputc(' ', f);
		xml_escaped(f, x->detail);
		fprintf(f, "</system-out></testcase>\n");
	}
	fprintf(f, "  </testsuite>\n</testsuites>\n");
	return fclose(f) ? -1 : 0;
}

/* ---- the command ------------------------------------------------------------ */

/* Up to CAPTURE_ADDR_MAX literals of HOST for the capture's filter. */
static int resolve_for_filter(const struct probe_opts *po, struct capture_opts *co)
{
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = po->family;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(po->host, NULL, &hints, &res))
		return -1;
	co->naddrs = 0;
	for (struct addrinfo *ai = res; ai && co->naddrs < CAPTURE_ADDR_MAX; ai = ai->ai_next) {
		char *dst = co->addrs[co->naddrs];
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, dst, sizeof co->addrs[0], NULL, 0,
				NI_NUMERICHOST))
			continue;
		int dup = 0;
		for (int k = 0; k < co->naddrs; k++)
			dup |= !strcmp(co->addrs[k], dst);
		if (!dup)
			co->naddrs++;
	}
	freeaddrinfo(res);
	return co->naddrs ? 0 : -1;
}

struct run {
	struct probe_cli pc;
	struct probe_result *r;
	struct probe_result pick;
	struct probe_verdict v;
	struct capture *cap;
	struct capture_stats st;
	int have_stats;
	char notice[600];         /* why there is no capture, or what went wrong with it */
	char path[4096];
	int keep;
	struct dctx x;
	struct verdict *av;       /* the analyzer's verdicts */
	int nav;
	struct analysis a;
	int analyzed;
	char analyze_err[512];
};

static void print_text(struct run *u, const struct evidence *e, int ne)
{
	const struct probe_verdict *v = &u->v;
	FILE *o = stdout;
	fprintf(o, "%s: %s\n", diag_severity_name(v->severity), v->summary);
	if (v->code < DIAG_CODE_COUNT && v->code != DIAG_HEALTHY) {
		const struct diag_info *di = diag_info(v->code);
		fprintf(o, "client sees: %s\n", di->symptom);
	}
	if (ne) {
		fprintf(o, "evidence in the capture (%s):\n", u->path);
		for (int i = 0; i < ne; i++)
			print_finding_line(o, e[i].c, &e[i].f);
	} else if (u->analyzed && v->code < DIAG_CODE_COUNT && v->code != DIAG_HEALTHY) {
		fprintf(o, "evidence in the capture: none for %s (the variant's own result above "
			   "is the evidence)\n", diag_code_name(v->code));
	}
	if (v->code < DIAG_CODE_COUNT && v->code != DIAG_HEALTHY) {
		report_text_fix(o, "", v->code);
	}
	fputc('\n', o);
	if (u->have_stats) {
		fprintf(o, "capture: %s, %llu packets on %s, %u dropped by the kernel%s%s; %s\n",
			u->path, (unsigned long long)u->st.packets, capture_iface(u->cap),
			u->st.have_pcap_stats ? u->st.ps_drop : 0,
			u->st.cut != CAPTURE_CUT_NONE ? ", cut: " : "",
			u->st.cut != CAPTURE_CUT_NONE ? capture_cut_name(u->st.cut) : "",
			u->keep ? "kept" : "removed (healthy; --pcap keeps it)");
	} else {
		fprintf(o, "capture: NONE TAKEN: %s\n", u->notice);
	}
	if (u->have_stats && !u->analyzed)
		fprintf(o, "analysis: %s\n", u->analyze_err);
	fputc('\n', o);
	probe_print_text(o, &u->pc.po, u->r, u->pc.nv, NULL);
	if (!u->analyzed)
		return;
	fprintf(o, "\nconnections in the capture: %d%s\n", u->x.nc,
		u->x.dropped ? " (more not listed)" : "");
	for (int i = 0; i < u->x.nc; i++) {
		const struct dconn *c = &u->x.c[i];
		const char *worst = "-";
		for (int k = 0; k < c->nf; k++)
			if (c->f[k].severity >= SEV_WARNING) {
				worst = diag_code_name(c->f[k].code);
				break;
			}
		fprintf(o, "  %4u %-4s local port %5u  %-12s %-26s %s\n", c->index,
			c->transport == 17 ? "udp" : "tcp", (unsigned)c->cport,
			c->variant ? c->variant : "(not ours)", c->label ? c->label : "", worst);
	}
	/* The ladders of the evidence: the failing step is marked in them. */
	for (int i = 0; i < ne; i++) {
		int dup = 0;
		for (int k = 0; k < i; k++)
			dup |= e[k].c == e[i].c;
		if (!dup && e[i].c->text) {
			fputc('\n', o);
			fwrite(e[i].c->text, 1, e[i].c->textlen, o);
		}
	}
}

static json_t *capture_json(struct run *u)
{
	if (!u->have_stats)
		return json_pack("{s:b, s:s}", "taken", 0, "notice", u->notice);
	return json_pack("{s:b, s:s, s:s, s:b, s:I, s:I, s:I, s:o, s:o, s:s}", "taken", 1, "path",
			 u->path, "interface", capture_iface(u->cap), "kept", u->keep, "packets",
			 (json_int_t)u->st.packets, "bytes", (json_int_t)u->st.bytes, "file_bytes",
			 (json_int_t)u->st.file_bytes, "kernel_drops",
			 u->st.have_pcap_stats ? json_integer(u->st.ps_drop) : json_null(),
			 "interface_drops",
			 u->st.have_pcap_stats ? json_integer(u->st.ps_ifdrop) : json_null(), "cut",
			 capture_cut_name(u->st.cut));
}

static int print_json(struct run *u, const struct evidence *e, int ne)
{
	json_t *verdict = probe_verdict_json(&u->v);
	json_object_set_new(verdict, "evidence", evidence_json(e, ne));
	json_t *conns = json_array();
	for (int i = 0; i < u->x.nc; i++)
		if (u->x.c[i].json)
			json_array_append(conns, u->x.c[i].json);
	json_t *doc = json_pack("{s:i, s:s, s:s, s:i, s:o, s:o, s:o}", "diagnose_schema_version",
				DIAGNOSE_SCHEMA_VERSION, "tool", "rdprobe " RDPROBE_VERSION, "host",
				u->pc.po.host, "port", (int)u->pc.po.port, "verdict", verdict,
				"capture", capture_json(u), "probe",
				probe_json(&u->pc.po, u->r, u->pc.nv, &u->v));
	if (!doc) {
		json_decref(conns);
		return -1;
	}
	json_t *an = u->analyzed ? json_pack("{s:o, s:o, s:i}", "connections", conns,
					     "verdicts", report_verdicts_json(u->av, u->nav),
					     "connections_not_listed", (int)u->x.dropped)
				 : (json_decref(conns), json_null());
	json_object_set_new(doc, "analysis", an);
	/* The analyzer's writer: the connections come out as analyze --json writes them. */
	int rc = report_json_write(stdout, doc);
	json_decref(doc);
	return rc;
}

static void run_free(struct run *u)
{
	for (int i = 0; i < u->x.nc; i++) {
		json_decref(u->x.c[i].json);
		free(u->x.c[i].text);
	}
	free(u->x.c);
	free(u->x.d);
	free(u->av);
	free(u->r);
	if (u->analyzed)
		analysis_free(&u->a);
	if (u->cap)
		capture_free(u->cap);
}

/* Starts the capture, or explains in u->notice why there is none.  -1: a usage error. */
static int start_capture(struct run *u)
{
	struct capture_opts co;
	char err[512];
	capture_opts_init(&co);
	co.child_init = probe_password_wipe;
	co.port = u->pc.po.port;
	co.grace_ms = CAPTURE_GRACE_MS;
	if (u->pc.iface && strlen(u->pc.iface) >= sizeof co.iface)
		return usage_error("--iface too long:", u->pc.iface), -1;
	if (u->pc.pcap && strlen(u->pc.pcap) >= sizeof co.path)
		return usage_error("--pcap path too long:", u->pc.pcap), -1;
	if (u->pc.iface)
		snprintf(co.iface, sizeof co.iface, "%s", u->pc.iface);
	if (u->pc.pcap)
		snprintf(co.path, sizeof co.path, "%s", u->pc.pcap);
	if (resolve_for_filter(&u->pc.po, &co)) {
		snprintf(u->notice, sizeof u->notice,
			 "%.200s does not resolve: nothing to filter on (the probe says why)",
			 u->pc.po.host);
		return 0;
	}
	enum capture_rc rc = capture_start(&co, &u->cap, err, sizeof err);
	if (rc == CAPTURE_OK) {
		snprintf(u->path, sizeof u->path, "%s", capture_path(u->cap));
		return 0;
	}
	u->cap = NULL;
	/* What the user named and cannot be had is a usage error. */
	if ((rc == CAPTURE_BAD_FILE && u->pc.pcap) || (rc == CAPTURE_BAD_IFACE && u->pc.iface)) {
		fprintf(stderr, "rdprobe: %s\n", err);
		return -1;
	}
	snprintf(u->notice, sizeof u->notice, "%s (%s); the probe ran alone, its results are below",
		 err, capture_rc_name(rc));
	return 0;
}

static void analyze_capture(struct run *u)
{
	u->x.d = calloc(1, sizeof *u->x.d);
	u->x.c = calloc(DCONN_MAX, sizeof *u->x.c);
	u->av = calloc(VERDICTS_MAX, sizeof *u->av);
	if (!u->x.d || !u->x.c || !u->av) {
		snprintf(u->analyze_err, sizeof u->analyze_err, "out of memory");
		return;
	}
	u->x.po = &u->pc.po;
	u->x.r = u->r;
	u->x.n = u->pc.nv;
	u->x.pick = &u->pick;
	if (!diag_is_ip_literal(u->pc.po.host))
		snprintf(u->x.d->opts.name, sizeof u->x.d->opts.name, "%s", u->pc.po.host);
	memset(&u->a, 0, sizeof u->a);
	if (u->pc.po.port != PROBE_DEFAULT_PORT) {
		u->a.opts.rdp_ports[0] = u->pc.po.port;
		u->a.opts.nports = 1;
	}
	u->a.sink = on_conn;
	u->a.sink_ctx = &u->x;
	if (analyze_file(u->path, &u->a, u->analyze_err, sizeof u->analyze_err) != ANALYZE_OK) {
		analysis_free(&u->a);
		return;
	}
	u->analyzed = 1;
	u->nav = diag_verdicts(u->x.d, &u->a, u->av, VERDICTS_MAX);
}

int cmd_diagnose(int argc, char **argv)
{
	static struct run u;
	struct progress prog = {isatty(STDERR_FILENO), NULL, 0};
	int e;

	memset(&u, 0, sizeof u);
	if ((e = probe_cli_parse(argc, argv, 1, &u.pc)) >= 0)
		return e;
	/*
	 * The password first (a prompt comes before any packet), out of the
	 * environment block before the capture's fork; the capture child wipes
	 * its copy of the buffer at once (child_init).
	 */
	if ((e = probe_cli_password(&u.pc)) >= 0)
		return e;
	if (start_capture(&u)) {
		probe_password_wipe();
		return EXIT_USAGE;
	}
	u.r = calloc((size_t)u.pc.nv, sizeof *u.r);
	if (!u.r) {
		probe_password_wipe();
		fprintf(stderr, "rdprobe: out of memory\n");
		run_free(&u);
		return EXIT_INTERNAL;
	}
	prog.pcap = u.cap ? u.path : NULL;
	u.pc.po.progress = on_progress;
	u.pc.po.progress_ctx = &prog;
	int64_t t0 = probe_now_ms();
	int rc = probe_run(&u.pc.po, u.pc.v, u.pc.nv, u.r, &u.pick) ? EXIT_INTERNAL : EXIT_HEALTHY;
	probe_password_wipe();
	u.pc.po.password = NULL;
	progress_end(&prog);
	double secs = (double)(probe_now_ms() - t0) / 1000;

	if (u.cap) {
		char err[512];
		if (capture_stop(u.cap, &u.st, err, sizeof err) == CAPTURE_OK)
			u.have_stats = 1;
		else
			snprintf(u.notice, sizeof u.notice, "the capture failed: %s", err);
	}
	probe_judge(&u.pc.po, u.r, u.pc.nv, &u.v);
	if (u.have_stats)
		analyze_capture(&u);

	struct evidence ev[EVIDENCE_MAX];
	int ne = u.analyzed ? find_evidence(&u.x, &u.v, ev) : 0;
	/* A temporary capture is kept when it shows a failure, and always with --pcap. */
	u.keep = u.have_stats && (u.pc.pcap || u.v.severity == SEV_FAILURE);
	if (u.pc.json) {
		if (print_json(&u, ev, ne))
			rc = EXIT_INTERNAL;
	} else {
		print_text(&u, ev, ne);
	}
	if (u.pc.junit && write_junit(u.pc.junit, &u.pc.po, u.r, u.pc.nv, &u.v, secs)) {
		fprintf(stderr, "rdprobe: cannot write --junit %s: %s\n", u.pc.junit, strerror(errno));
		rc = EXIT_INTERNAL;
	}
	if (u.cap && !u.keep)
		unlink(u.path);
	int unresolvable = 0, internal = 0;
	for (int i = 0; i < u.pc.nv; i++) {
		unresolvable += u.r[i].unresolvable;
		internal += u.r[i].outcome == PROBE_ERROR;
	}
	enum diag_severity sev = u.v.severity;
	run_free(&u);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "rdprobe: cannot write the report\n");
		return EXIT_INTERNAL;
	}
	if (unresolvable) {
		fprintf(stderr, "rdprobe: cannot resolve %s\n", u.pc.po.host);
		return EXIT_USAGE;
	}
	if (rc != EXIT_HEALTHY || internal)
		return EXIT_INTERNAL;
	return sev == SEV_FAILURE ? EXIT_DIAGNOSED : EXIT_HEALTHY;
}

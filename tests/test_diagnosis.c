/*
 * test_diagnosis.c - the diagnosis of every capture we have, against
 * tests/diagnosis/EXPECTED, with a confusion matrix (expected code against
 * found code) that must be diagonal; and the rules' edge cases on
 * connections built by hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyze.h"
#include "diagnosis.h"
#include "tests.h"
#include "x224.h"


extern int tests_skip_group;

struct run {
	struct diag_state d;
	struct verdict v[VERDICTS_MAX];
	int nv;
};

static void sink(void *ctx, const struct rdp_conn *c)
{
	struct run *r = ctx;
	struct finding f[FINDINGS_MAX];
	int n = diag_conn(c, &r->d.opts, f, FINDINGS_MAX);
	diag_note(&r->d, c, f, n);
}

/* Analyzes and diagnoses `path`; NULL when it cannot be read. */
static struct run *diagnose(const char *path, uint16_t port)
{
	struct run *r = calloc(1, sizeof *r);
	struct analysis a;
	char err[512];
	memset(&a, 0, sizeof a);
	a.sink = sink;
	a.sink_ctx = r;
	if (port) {
		a.opts.rdp_ports[0] = port;
		a.opts.nports = 1;
	}
	if (!r || analyze_file(path, &a, err, sizeof err) != ANALYZE_OK) {
		fprintf(stderr, "\n  %s: %s\n", path, r ? err : "out of memory");
		analysis_free(&a);
		free(r);
		return NULL;
	}
	r->nv = diag_verdicts(&r->d, &a, r->v, VERDICTS_MAX);
	analysis_free(&a);
	return r;
}

static const char *base_dir(const char *base)
{
	if (!strcmp(base, "fixtures"))
		return RDPROBE_SOURCE_DIR "/fixtures";
	if (!strcmp(base, "lab"))
		return RDPROBE_SOURCE_DIR "/fixtures/lab";
	if (!strcmp(base, "corpus"))
		return RDPROBE_SOURCE_DIR "/../shared/corpus";
	return NULL;
}

/* Runs every line of EXPECTED whose base is in `bases`; prints the matrix. */
static void classify(const char *const *bases)
{
	static unsigned matrix[DIAG_CODE_COUNT][DIAG_CODE_COUNT];
	FILE *f = fopen(RDPROBE_SOURCE_DIR "/tests/diagnosis/EXPECTED", "r");
	char line[512];
	int rows = 0, wrong = 0;

	memset(matrix, 0, sizeof matrix);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof line, f)) {
		char base[32], file[256], code[64];
		unsigned port = 0;
		if (line[0] == '#' || sscanf(line, "%31s %255s %63s %u", base, file, code, &port) < 3)
			continue;
		int mine = 0;
		for (const char *const *b = bases; *b; b++)
			mine |= !strcmp(*b, base);
		if (!mine)
			continue;
		enum diag_code want = diag_code_from_name(code);
		CU_ASSERT_NOT_EQUAL(want, DIAG_CODE_COUNT);
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", base_dir(base), file);
		struct run *r = diagnose(path, (uint16_t)port);
		CU_ASSERT_PTR_NOT_NULL(r);
		if (!r || want == DIAG_CODE_COUNT)
			continue;
		enum diag_code got = r->nv ? r->v[0].main.code : DIAG_CODE_COUNT;
		CU_ASSERT(r->nv > 0);
		if (got != DIAG_CODE_COUNT)
			matrix[want][got]++;
		if (got != want) {
			wrong++;
			fprintf(stderr, "\n  %s: expected %s, found %s", file, code,
				got == DIAG_CODE_COUNT ? "(no verdict)" : diag_code_name(got));
		}
		/* Every verdict carries frames, and every failure its fix. */
		for (int i = 0; i < r->nv; i++) {
			const struct finding *m = &r->v[i].main;
			CU_ASSERT(m->nfacts > 0);
			if (m->severity >= SEV_WARNING) {
				CU_ASSERT(m->nframes > 0);
				CU_ASSERT(diag_info(m->code)->fix[0] != '\0');
			}
		}
		rows++;
		free(r);
	}
	fclose(f);
	CU_ASSERT(rows > 0);
	CU_ASSERT_EQUAL(wrong, 0);

	/* The matrix: rows expected, columns found; only codes that occur. */
	int used[DIAG_CODE_COUNT] = {0};
	for (int i = 0; i < DIAG_CODE_COUNT; i++)
		for (int j = 0; j < DIAG_CODE_COUNT; j++)
			if (matrix[i][j])
				used[i] = used[j] = 1;
	printf("\n    confusion matrix (%d captures; rows expected, columns found)\n", rows);
	printf("    %-34s", "");
	for (int j = 0; j < DIAG_CODE_COUNT; j++)
		if (used[j])
			printf(" %3d", j);
	printf("\n");
	for (int i = 0; i < DIAG_CODE_COUNT; i++) {
		if (!used[i])
			continue;
		printf("    %2d %-31s", i, diag_code_name((enum diag_code)i));
		for (int j = 0; j < DIAG_CODE_COUNT; j++)
			if (used[j])
				printf(" %3u", matrix[i][j]);
		printf("\n");
		for (int j = 0; j < DIAG_CODE_COUNT; j++)
			if (j != i)
				CU_ASSERT_EQUAL(matrix[i][j], 0);
	}
}

static void test_fixture_classification(void)
{
	static const char *const bases[] = {"fixtures", "lab", NULL};
	classify(bases);
}

/*
 * Every "reproduce: rdprobe lab run NAME" names a lab scenario whose
 * committed capture (fixtures/lab/NAME.pcap, recorded by that scenario)
 * yields the code: in a verdict, as its cause or among its warnings.
 */
static void test_lab_reproductions(void)
{
	int checked = 0;
	for (int c = 0; c < DIAG_CODE_COUNT; c++) {
		const char *name = diag_lab_scenario((enum diag_code)c);
		if (c == DIAG_HEALTHY || c == DIAG_CAPTURE_INCOMPLETE) {
			CU_ASSERT_PTR_NULL(name);
			continue;
		}
		CU_ASSERT_PTR_NOT_NULL(name);
		if (!name)
			continue;
		char want[128], path[1024];
		snprintf(want, sizeof want, "rdprobe lab run %s", name);
		CU_ASSERT_STRING_EQUAL(diag_reproduce((enum diag_code)c), want);
		struct stat st;
		snprintf(path, sizeof path, "%s/scenarios/%s.sh", base_dir("lab"), name);
		CU_ASSERT(stat(path, &st) == 0);
		snprintf(path, sizeof path, "%s/%s.pcap", base_dir("lab"), name);
		struct run *r = diagnose(path, 0);
		CU_ASSERT_PTR_NOT_NULL(r);
		if (!r)
			continue;
		int found = 0;
		for (int i = 0; i < r->nv; i++) {
			found |= r->v[i].main.code == (enum diag_code)c;
			for (int k = 0; k < r->v[i].nextra; k++)
				found |= r->v[i].extra[k].code == (enum diag_code)c;
		}
		if (!found)
			fprintf(stderr, "\n  %s.pcap does not yield %s", name,
				diag_code_name((enum diag_code)c));
		CU_ASSERT(found);
		checked++;
		free(r);
	}
	CU_ASSERT_EQUAL(checked, DIAG_CODE_COUNT - 2);
}

static void test_corpus_classification(void)
{
	static const char *const bases[] = {"corpus", NULL};
	classify(bases);
}

/* A negotiation failure, then a fallback to standard RDP security. */
static void test_recovered_with_downgrade(void)
{
	struct run *r = diagnose(RDPROBE_SOURCE_DIR
				 "/../shared/corpus/zeek-rdp/rdp-proprietary-encryption.pcap", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->nv, 1);
	CU_ASSERT_EQUAL(r->v[0].main.code, DIAG_HEALTHY);
	CU_ASSERT_EQUAL(r->v[0].recovered, 1);
	CU_ASSERT_EQUAL(r->v[0].nextra, 2);
	CU_ASSERT_EQUAL(r->v[0].extra[0].code, DIAG_SECURITY_NEGOTIATION_FAILURE);
	CU_ASSERT_EQUAL(r->v[0].extra[0].severity, SEV_INFO);
	CU_ASSERT_EQUAL(r->v[0].extra[0].frames[1], 5);
	CU_ASSERT_EQUAL(r->v[0].extra[1].code, DIAG_RDP_SECURITY_DOWNGRADE);
	CU_ASSERT_EQUAL(r->v[0].extra[1].severity, SEV_WARNING);
	free(r);
}

/* ---- rules on hand-made connections ---------------------------------- */

static struct rdp_conn *tls_conn(void)
{
	static struct rdp_conn c;
	memset(&c, 0, sizeof c);
	c.index = 1;
	c.transport = 6;
	c.ipver = 4;
	c.sport = 3389;
	c.first_frame = 1;
	c.first_us = 1700000000LL * 1000000;
	c.last_us = c.first_us + 1000000;
	c.tcp.syn_frame = 1;
	c.tcp.syn_count = 1;
	c.tcp.synack_frame = 2;
	c.cr.frame = 4;
	c.cr.neg_present = 1;
	c.cr.requested = 3;
	c.cc.frame = 5;
	c.cc.neg_type = NEG_RSP;
	c.cc.selected = 1;
	c.tls_seen = 1;
	c.tls.client_hello_frame = 6;
	c.tls.server_hello_frame = 7;
	c.tls.certificate_frame = 7;
	c.tls.ccs_frame[0] = 8;
	c.tls.ccs_frame[1] = 9;
	c.tls.first_app_frame[0] = 10;
	c.tls.first_app_frame[1] = 11;
	c.tls.app_records[0] = 20;
	c.tls.app_records[1] = 30;
	c.tls.cert_stored = c.tls.cert_count = 1;
	struct cert_info *ce = &c.tls.certs[0];
	snprintf(ce->subject_cn, sizeof ce->subject_cn, "srv.example");
	snprintf(ce->sans, sizeof ce->sans, "DNS:srv.example,DNS:*.farm.example");
	ce->der_len = 800;
	ce->not_before = 1600000000;
	ce->not_after = 1800000000;
	return &c;
}

static enum diag_code first_code(const struct rdp_conn *c, const struct diag_opts *o)
{
	struct finding f[FINDINGS_MAX];
	int n = diag_conn(c, o, f, FINDINGS_MAX);
	return n ? f[0].code : DIAG_CODE_COUNT;
}

static void test_rule_edges(void)
{
	struct diag_opts o;
	memset(&o, 0, sizeof o);
	struct rdp_conn *c = tls_conn();
	CU_ASSERT_EQUAL(first_code(c, &o), DIAG_HEALTHY);

	/* Retransmission of a small segment is not an MTU problem. */
	c = tls_conn();
	c->tcp.d[DIR_C2S].retransmissions = 3;
	c->tcp.d[DIR_C2S].max_retransmitted = 40;
	CU_ASSERT_EQUAL(first_code(c, &o), DIAG_HEALTHY);

	/* A RST after a completed, used session is not CLIENT_ABORTED. */
	c = tls_conn();
	c->tcp.d[DIR_C2S].rst_frame = 500;
	c->tcp.close = CLOSE_RST;
	c->tcp.close_frame = 500;
	c->tcp.close_dir = DIR_C2S;
	CU_ASSERT_EQUAL(first_code(c, &o), DIAG_HEALTHY);

	/* The same RST right after the server's flight is. */
	c = tls_conn();
	c->tls.ccs_frame[0] = c->tls.ccs_frame[1] = 0;
	c->tls.first_app_frame[0] = c->tls.first_app_frame[1] = 0;
	c->tls.app_records[0] = c->tls.app_records[1] = 0;
	c->tcp.d[DIR_C2S].rst_frame = 8;
	c->tcp.close = CLOSE_RST;
	c->tcp.close_frame = 8;
	CU_ASSERT_EQUAL(first_code(c, &o), DIAG_CLIENT_ABORTED);

	/* Certificate validity: at the capture's time, or --at. */
	c = tls_conn();
	c->first_us = 1800000001LL * 1000000;
	CU_ASSERT_EQUAL(first_code(c, &o), DIAG_TLS_CERT_EXPIRED);
	c = tls_conn();
	c->first_us = 1599999999LL * 1000000;
	CU_ASSERT_EQUAL(first_code(c, &o), DIAG_TLS_CERT_NOT_YET_VALID);
	c = tls_conn();
	o.at_us = 1800000000LL * 1000000; /* the last valid second */
	CU_ASSERT_EQUAL(first_code(c, &o), DIAG_HEALTHY);
	o.at_us += 1000000;
	CU_ASSERT_EQUAL(first_code(c, &o), DIAG_TLS_CERT_EXPIRED);
	o.at_us = 0;

	/* Names: SAN, wildcard one label deep, IP literals not judged. */
	c = tls_conn();
	snprintf(c->tls.sni, sizeof c->tls.sni, "node1.farm.example");
	CU_ASSERT_EQUAL(first_code(c, &o), DIAG_HEALTHY);
	snprintf(c->tls.sni, sizeof c->tls.sni, "a.node1.farm.example");
	/* The connection completed: the mismatch is a warning beside HEALTHY. */
	struct finding f[FINDINGS_MAX];
	int n = diag_conn(c, &o, f, FINDINGS_MAX);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(f[0].code, DIAG_TLS_CERT_NAME_MISMATCH);
	CU_ASSERT_EQUAL(f[0].severity, SEV_WARNING);
	CU_ASSERT_EQUAL(f[1].code, DIAG_HEALTHY);
	snprintf(c->tls.sni, sizeof c->tls.sni, "10.1.2.3");
	CU_ASSERT_EQUAL(diag_conn(c, &o, f, FINDINGS_MAX), 1);
	snprintf(o.name, sizeof o.name, "other.example");
	CU_ASSERT_EQUAL(diag_conn(c, &o, f, FINDINGS_MAX), 2);
	o.name[0] = '\0';

	/* One unanswered SYN: unreachable, with less confidence. */
	c = tls_conn();
	memset(&c->tls, 0, sizeof c->tls);
	c->tls_seen = 0;
	c->cr.frame = c->cc.frame = 0;
	c->cc.neg_type = NEG_NONE;
	c->tcp.synack_frame = 0;
	n = diag_conn(c, &o, f, FINDINGS_MAX);
	CU_ASSERT_EQUAL(f[0].code, DIAG_TCP_UNREACHABLE);
	CU_ASSERT_EQUAL(f[0].confidence, 60);
	c->tcp.syn_count = 3;
	n = diag_conn(c, &o, f, FINDINGS_MAX);
	CU_ASSERT_EQUAL(f[0].confidence, 90);
	CU_ASSERT_EQUAL(n, 1);
}

/* Rules that must not fire on what only looks like their case. */
static void test_rules_that_must_not_fire(void)
{
	struct diag_opts o;
	memset(&o, 0, sizeof o);

	/* NLA: the server closing after a long session is no logon failure. */
	struct rdp_conn *c = tls_conn();
	c->cc.selected = PROTOCOL_HYBRID_EX;
	c->tcp.close = CLOSE_FIN;
	c->tcp.close_dir = DIR_S2C;
	c->tcp.close_frame = 900;
	CU_ASSERT_EQUAL(first_code(c, &o), DIAG_HEALTHY);
	/* ... but after three CredSSP records it is. */
	c->tls.app_records[0] = 3;
	c->tls.app_records[1] = 2;
	CU_ASSERT_EQUAL(first_code(c, &o), DIAG_NLA_FAILED);

	/* SERVER_DENIED: a server closing a long TLS session is not a denial. */
	c = tls_conn();
	c->tcp.close = CLOSE_FIN;
	c->tcp.close_dir = DIR_S2C;
	c->tcp.close_frame = 5000;
	c->packets = 5000;
	c->last_us = c->first_us + 3600LL * 1000000;
	CU_ASSERT_EQUAL(first_code(c, &o), DIAG_HEALTHY);
	c->packets = 40;
	c->last_us = c->first_us + 800000;
	CU_ASSERT_EQUAL(first_code(c, &o), DIAG_SERVER_DENIED);

	/* MTU: a lost flight with ICMP "fragmentation needed" is PMTUD at work. */
	c = tls_conn();
	c->tls.server_hello_frame = c->tls.certificate_frame = 0;
	c->tls.ccs_frame[0] = c->tls.ccs_frame[1] = 0;
	c->tls.first_app_frame[0] = c->tls.first_app_frame[1] = 0;
	c->tls.app_records[0] = c->tls.app_records[1] = 0;
	c->tls.cert_stored = 0;
	c->tcp.d[DIR_S2C].holes = c->tcp.d[DIR_S2C].holes_stored = 1;
	c->tcp.d[DIR_S2C].hole[0].frame = 12;
	c->tcp.d[DIR_S2C].hole[0].len = 1234;
	c->tcp.d[DIR_C2S].retransmissions = 1;
	CU_ASSERT_EQUAL(first_code(c, &o), DIAG_MTU_BLACKHOLE);
	c->icmp_stored = c->icmp_count = 1;
	c->icmp[0].kind = ICMPK_FRAG_NEEDED;
	c->icmp[0].frame = 11;
	c->icmp[0].mtu = 1200;
	CU_ASSERT_NOT_EQUAL(first_code(c, &o), DIAG_MTU_BLACKHOLE);
	/* A hole the client ACKed is the capture's gap, not the path's. */
	c->icmp_stored = c->icmp_count = 0;
	c->tcp.d[DIR_S2C].hole[0].acked = 1;
	c->tcp.d[DIR_C2S].retransmissions = 0;
	CU_ASSERT_NOT_EQUAL(first_code(c, &o), DIAG_MTU_BLACKHOLE);

	/* RDP-UDP answered is healthy; mid-connection cannot be judged. */
	static struct rdp_conn u;
	memset(&u, 0, sizeof u);
	u.transport = 17;
	u.udp.syn_count = 1;
	u.udp.syn.frame = 1;
	u.udp.synack_count = 1;
	u.udp.synack.frame = 2;
	CU_ASSERT_EQUAL(first_code(&u, &o), DIAG_HEALTHY);
	u.udp.synack_count = 0;
	CU_ASSERT_EQUAL(first_code(&u, &o), DIAG_UDP_BLOCKED);
	u.udp.syn_count = 0;
	u.udp.mid_connection = 1;
	CU_ASSERT_EQUAL(first_code(&u, &o), DIAG_CAPTURE_INCOMPLETE);
}

static void test_names(void)
{
	for (int i = 0; i < DIAG_CODE_COUNT; i++) {
		const struct diag_info *in = diag_info((enum diag_code)i);
		CU_ASSERT_EQUAL(in->code, (enum diag_code)i);
		CU_ASSERT_EQUAL(diag_code_from_name(in->name), (enum diag_code)i);
		CU_ASSERT(strlen(in->symptom) > 0 && strlen(in->fix) > 0);
	}
	CU_ASSERT_EQUAL(diag_code_from_name("NOPE"), DIAG_CODE_COUNT);
	CU_ASSERT_STRING_EQUAL(diag_code_name(DIAG_SERVER_DENIED), "SERVER_DENIED");
	/* Fixes that weaken security say so. */
	CU_ASSERT_PTR_NOT_NULL(diag_info(DIAG_NLA_FAILED)->caution);
	CU_ASSERT_PTR_NOT_NULL(diag_info(DIAG_RDP_SECURITY_DOWNGRADE)->caution);
	CU_ASSERT_PTR_NOT_NULL(diag_info(DIAG_SECURITY_NEGOTIATION_FAILURE)->caution);
	CU_ASSERT_PTR_NOT_NULL(strstr(diag_info(DIAG_SERVER_DENIED)->symptom, "0x904"));
}

static const struct test_case unit_cases[] = {
	{"code names and texts", test_names},
	{"rule edge cases", test_rule_edges},
	{"rules that must not fire", test_rules_that_must_not_fire},
	{NULL, NULL},
};

static const struct test_case fixture_cases[] = {
	{"every fixture classified, matrix diagonal", test_fixture_classification},
	{"every reproduce line's lab capture yields its code", test_lab_reproductions},
	{NULL, NULL},
};

static const struct test_case corpus_cases[] = {
	{"every corpus trace classified, matrix diagonal", test_corpus_classification},
	{"negotiation failure, fallback, downgrade", test_recovered_with_downgrade},
	{NULL, NULL},
};

void register_unit_diagnosis(void)
{
	add_suite("diagnosis rules", unit_cases);
}

void register_fixtures_diagnosis(void)
{
	add_suite("diagnosis of the fixtures", fixture_cases);
}

void register_corpus_diagnosis(void)
{
	struct stat st;
	if (stat(RDPROBE_SOURCE_DIR "/../shared/corpus", &st) != 0)
		return; /* register_corpus already marks the group skipped */
	add_suite("diagnosis of the corpus", corpus_cases);
}

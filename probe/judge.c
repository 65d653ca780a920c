/*
 * judge.c - from the variants' results to one verdict on the host.
 *
 * Each variant leaves at most one finding (a diagnosis code, diagnosis.h).
 * A variant that failed only because the server's policy does not offer
 * that security layer (freerdp-nla against a TLS-only server) leaves none:
 * the host is judged, not each layer.  The verdict is the most severe
 * finding (ties: the first variant in the table); without one, HEALTHY
 * when some RDP path completed, else a failure at the furthest layer.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conn.h"
#include "probe.h"
#include "x509.h"

enum diag_code probe_cert_finding(const struct probe_opts *o, const struct cert_info *c,
				  char *why, size_t cap)
{
	int64_t now = (int64_t)time(NULL);
	char a[32], b[32];
	x509_time_str(c->not_before, a, sizeof a);
	x509_time_str(c->not_after, b, sizeof b);
	if (now > c->not_after) {
		snprintf(why, cap, "certificate CN=%.80s expired %s UTC (%lld days ago)",
			 c->subject_cn[0] ? c->subject_cn : "(none)", b,
			 (long long)((now - c->not_after) / 86400));
		return DIAG_TLS_CERT_EXPIRED;
	}
	if (now < c->not_before) {
		snprintf(why, cap, "certificate CN=%.80s not valid before %s UTC (in %lld days)",
			 c->subject_cn[0] ? c->subject_cn : "(none)", a,
			 (long long)((c->not_before - now) / 86400));
		return DIAG_TLS_CERT_NOT_YET_VALID;
	}
	if (o->host[0] && !diag_is_ip_literal(o->host) && !diag_cert_covers(c, o->host)) {
		snprintf(why, cap, "certificate names CN=%.60s%s%.80s, not %.60s",
			 c->subject_cn[0] ? c->subject_cn : "(none)", c->sans[0] ? ", " : "",
			 c->sans, o->host);
		return DIAG_TLS_CERT_NAME_MISMATCH;
	}
	if (cap)
		why[0] = '\0';
	return DIAG_HEALTHY;
}

static int is_freerdp(const struct probe_result *x)
{
	return !strncmp(x->variant, "freerdp-", 8);
}

/*
 * An RDP path completed: a FreeRDP connection, else TLS (or CredSSP)
 * established.  An X.224 answer alone counts only when no variant that
 * goes further was run: a server that confirms X.224 and never finishes
 * TLS is not healthy.
 */
static int reached(const struct probe_result *r, int n, const char **how)
{
	static const char *const order[] = {"freerdp-nla", "freerdp-tls", "freerdp-rdp", "tls",
					    "ntlm-info", "x224"};
	int further = 0;
	for (int i = 0; i < n; i++)
		further |= !strcmp(r[i].variant, "tls") || !strcmp(r[i].variant, "ntlm-info") ||
			   !strcmp(r[i].variant, "mtu") || is_freerdp(&r[i]);
	for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
		for (int i = 0; i < n; i++)
			if (!strcmp(r[i].variant, order[k]) && r[i].outcome == PROBE_OK &&
			    (strcmp(order[k], "x224") || !further)) {
				*how = order[k];
				return 1;
			}
	return 0;
}

/*
 * How far a layer name (analyzer stage names, FreeRDP's states as
 * freerdp_variant.c names them) is along the TCP path; UDP stages count
 * as barely started.
 */
static int stage_rank_of(const char *layer)
{
	static const struct {
		const char *name;
		int rank;
	} ranks[] = {
		{"dns-answer", 1}, {"udp-syn", 1}, {"udp-established", 1}, {"udp-data", 1},
		{"tcp", 2}, {"tcp-syn", 2}, {"tcp-reset", 3}, {"tcp-established", 4},
		{"x224-request", 5}, {"negotiation", 6}, {"x224-negotiation-failure", 6}, {"x224-confirm", 7},
		{"tls", 8}, {"tls-client-hello", 8}, {"tls-server-hello", 9},
		{"tls-established", 10}, {"nla", 11}, {"credssp", 11}, {"tls-data", 12},
		{"mcs-connect", 13}, {"mcs-connect-initial", 13}, {"mcs-connect-response", 14},
		{"server-error-info", 15}, {"mcs-domain", 15}, {"mcs-attach-user", 15},
		{"mcs-channel-join", 15}, {"security-exchange", 16}, {"secure-settings-exchange", 17},
		{"client-info", 17}, {"licensing", 18}, {"capabilities-exchange", 19},
		{"finalization", 20}, {"active", 21}, {"mcs-connected", 21},
	};
	for (size_t i = 0; i < sizeof ranks / sizeof ranks[0]; i++)
		if (!strcmp(ranks[i].name, layer))
			return ranks[i].rank;
	return 0;
}

static int rank(enum diag_severity s)
{
	return s == SEV_FAILURE ? 3 : s == SEV_WARNING ? 2 : s == SEV_INFO ? 1 : 0;
}

static enum diag_severity severity_of(const struct probe_result *x)
{
	enum diag_severity s = diag_info(x->finding)->severity;
	return x->finding_is_warning && s == SEV_FAILURE ? SEV_WARNING : s;
}

void probe_judge(const struct probe_opts *o, const struct probe_result *r, int n,
		 struct probe_verdict *v)
{
	const char *how = NULL;
	int best = -1, any_freerdp = 0;
	(void)o;

	memset(v, 0, sizeof *v);
	v->code = DIAG_CODE_COUNT;
	for (int i = 0; i < n; i++) {
		any_freerdp |= is_freerdp(&r[i]);
		if (r[i].finding >= DIAG_CODE_COUNT || r[i].finding == DIAG_HEALTHY)
			continue;
		if (best < 0 || rank(severity_of(&r[i])) > rank(severity_of(&r[best])))
			best = i;
	}
	v->reachable = reached(r, n, &how);
	if (v->reachable)
		snprintf(v->reached_by, sizeof v->reached_by, "%s", how);
	if (best >= 0) {
		const struct probe_result *x = &r[best];
		v->code = x->finding;
		v->severity = severity_of(x);
		snprintf(v->variant, sizeof v->variant, "%s", x->variant);
		if (v->severity != SEV_FAILURE && v->reachable)
			snprintf(v->summary, sizeof v->summary,
				 "RDP works (%s completed), with a warning: %s (%s): %.220s", how,
				 diag_code_name(x->finding), x->variant, x->detail);
		else
			snprintf(v->summary, sizeof v->summary, "%s (%s): %.250s",
				 diag_code_name(x->finding), x->variant, x->detail);
		return;
	}
	if (v->reachable) {
		int nla_untried = 0;
		for (int i = 0; i < n; i++)
			nla_untried |= !strcmp(r[i].variant, "freerdp-nla") && r[i].outcome == PROBE_SKIPPED;
		v->code = DIAG_HEALTHY;
		v->severity = SEV_OK;
		snprintf(v->summary, sizeof v->summary, "HEALTHY: %s completed%s%s", how,
			 any_freerdp || !strncmp(how, "freerdp-", 8)
				 ? ""
				 : " (no FreeRDP connection was tried)",
			 nla_untried ? " (the NLA logon was not tried: no --user)" : "");
		return;
	}
	/* Nothing completed and nothing named: the furthest failure says where. */
	int far = -1;
	for (int i = 0; i < n; i++)
		if (r[i].outcome == PROBE_FAILED || r[i].outcome == PROBE_TIMEOUT)
			if (far < 0 || stage_rank_of(r[i].layer) > stage_rank_of(r[far].layer))
				far = i;
	if (far < 0) {
		v->severity = SEV_INFO;
		snprintf(v->summary, sizeof v->summary,
			 "cannot be judged: no variant reached the server (see the table)");
		return;
	}
	v->severity = SEV_FAILURE;
	snprintf(v->variant, sizeof v->variant, "%s", r[far].variant);
	snprintf(v->summary, sizeof v->summary, "no RDP path completed; furthest: %s %s at %s: %.200s",
		 r[far].variant, probe_outcome_name(r[far].outcome), r[far].layer, r[far].detail);
}

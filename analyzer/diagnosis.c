/*
 * diagnosis.c - rules from facts to causes.  See diagnosis.h.
 *
 * Each rule looks at one layer of one connection and, when it fires,
 * writes a finding with the frames that prove it.  The order of the rules
 * is the order of the layers: the first failure on the way up is the
 * cause; what follows from it is not reported again.
 */
#include "diagnosis.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mcs.h"
#include "rdpeudp.h"
#include "tls.h"
#include "x224.h"
#include "x509.h"

#define UDP_SYN_MTU_MIN 1232 /* RDP-UDP's SYN carries 1232 bytes of payload */

static const struct diag_info infos[] = {
	{DIAG_HEALTHY, "HEALTHY", SEV_OK, "all",
	 "none: the connection sequence completed",
	 "nothing to fix", NULL},
	{DIAG_TCP_REFUSED, "TCP_REFUSED", SEV_FAILURE, "tcp",
	 "FreeRDP ERRCONNECT_CONNECT_TRANSPORT_FAILED (0x2000D); mstsc: error 0x204, "
	 "\"Remote Desktop can't connect to the remote computer\"",
	 "nothing listens on that port, or a firewall rejects it: on the server check that the "
	 "Remote Desktop Services service runs (sc query TermService; start: net start "
	 "TermService), that the listener port is the one dialled (HKLM\\SYSTEM\\"
	 "CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp PortNumber) and that "
	 "Remote Desktop is allowed (fDenyTSConnections=0 under HKLM\\SYSTEM\\CurrentControlSet\\"
	 "Control\\Terminal Server; undo: set it back to 1)",
	 NULL},
	{DIAG_TCP_UNREACHABLE, "TCP_UNREACHABLE", SEV_FAILURE, "tcp",
	 "FreeRDP ERRCONNECT_CONNECT_FAILED (0x20006) after about 15 s; mstsc: error 0x204",
	 "the SYN is dropped on the way or the host is down: check routing to the server, the "
	 "firewalls on the path and on the server (inbound TCP 3389, rule \"Remote Desktop - "
	 "User Mode (TCP-In)\"), and the VPN's split-tunnel routes",
	 NULL},
	{DIAG_SECURITY_NEGOTIATION_FAILURE, "SECURITY_NEGOTIATION_FAILURE", SEV_FAILURE, "x224",
	 "FreeRDP ERRCONNECT_SECURITY_NEGO_CONNECT_FAILED (0x2000C); mstsc: \"An authentication "
	 "error has occurred\" or a protocol error",
	 "make the client and the server agree on a security layer: server HKLM\\SYSTEM\\"
	 "CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp SecurityLayer "
	 "(0 RDP, 1 Negotiate, 2 TLS; note the old value to undo) and UserAuthentication (1 "
	 "requires NLA); on the client, allow TLS and NLA (mstsc: \"authentication level\" "
	 "in the .rdp file, authentication level:i:2)",
	 "lowering SecurityLayer to 0 or UserAuthentication to 0 removes TLS or NLA: only as a "
	 "labelled, temporary last resort"},
	{DIAG_TLS_CERT_EXPIRED, "TLS_CERT_EXPIRED", SEV_FAILURE, "tls",
	 "FreeRDP 2.11: \"certificate has expired\" for a CA-issued certificate, only "
	 "\"self-signed\" / name mismatch for a self-signed one; mstsc: 0x904 extended 0x7 or a "
	 "certificate warning",
	 "self-signed: delete the certificate from the \"Remote Desktop\" store of the computer "
	 "(certlm.msc, Remote Desktop\\Certificates) and restart the service (net stop "
	 "termservice /y && net start termservice): it regenerates one (undo: none needed); "
	 "if it keeps failing, check System events 1057/1058 and the permissions of "
	 "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys. CA-issued: renew it where it "
	 "was configured (GPO \"Server authentication certificate template\", or the "
	 "SSLCertificateSHA1Hash value under the RDP-Tcp key)",
	 NULL},
	{DIAG_TLS_CERT_NOT_YET_VALID, "TLS_CERT_NOT_YET_VALID", SEV_FAILURE, "tls",
	 "FreeRDP rejects the certificate; mstsc: certificate warning or 0x904/0x7",
	 "the server's clock or the certificate's notBefore is wrong: fix the server's time "
	 "(w32tm /resync) or reissue the certificate as for an expired one",
	 NULL},
	{DIAG_TLS_CERT_NAME_MISMATCH, "TLS_CERT_NAME_MISMATCH", SEV_WARNING, "tls",
	 "FreeRDP: \"The hostname used for this connection ... does not match\"; mstsc: "
	 "certificate name warning, a failure when the warning is enforced",
	 "connect with a name in the certificate, or issue one whose subjectAltName holds the "
	 "name clients use (the DNS name, not only the NetBIOS name)",
	 NULL},
	{DIAG_TLS_HANDSHAKE_FAILED, "TLS_HANDSHAKE_FAILED", SEV_FAILURE, "tls",
	 "FreeRDP ERRCONNECT_TLS_CONNECT_FAILED (0x20008); mstsc: 0x904 extended 0x7 or an "
	 "internal error",
	 "the TLS versions or ciphers do not meet: check the server's SCHANNEL settings "
	 "(HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols) "
	 "and the client's; for an old server, allow TLS 1.2 on both ends",
	 NULL},
	{DIAG_NLA_FAILED, "NLA_FAILED", SEV_FAILURE, "credssp",
	 "FreeRDP ERRCONNECT_CONNECT_TRANSPORT_FAILED (0x2000D) or ERRCONNECT_LOGON_FAILURE; "
	 "mstsc: \"The logon attempt failed\" or \"An authentication error has occurred\"",
	 "check the user name and password, clear cached credentials on the client (cmdkey "
	 "/delete:TERMSRV/HOST), check the account is not locked and is in Remote Desktop "
	 "Users; for \"encryption oracle remediation\" errors patch both ends (CredSSP "
	 "AllowEncryptionOracle=2 under HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\"
	 "Policies\\System\\CredSSP\\Parameters works around it; undo: delete the value)",
	 "AllowEncryptionOracle=2 re-enables a vulnerable CredSSP: temporary only; turning NLA "
	 "off (UserAuthentication=0) exposes the logon screen to anyone"},
	{DIAG_MTU_BLACKHOLE, "MTU_BLACKHOLE", SEV_FAILURE, "path",
	 "FreeRDP hangs in the TLS handshake (no timeout in 2.11); mstsc: 0x904 extended 0x7 or "
	 "\"An internal error has occurred\" after a long wait",
	 "large packets are dropped and no ICMP \"fragmentation needed\" comes back: lower the "
	 "tunnel MTU or clamp the TCP MSS on the VPN / router (iptables -t mangle -A FORWARD "
	 "-p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss N; undo: -D the same rule), and "
	 "let ICMP type 3 code 4 / ICMPv6 type 2 through (undo: remove the allow rule)",
	 NULL},
	{DIAG_UDP_BLOCKED, "UDP_BLOCKED", SEV_WARNING, "udp",
	 "the client waits, then falls back to TCP (slower start, no UDP transport)",
	 "allow UDP 3389 to the server, or make the client use TCP only: HKLM\\SOFTWARE\\"
	 "Policies\\Microsoft\\Windows NT\\Terminal Services\\Client fClientDisableUDP=1 "
	 "(DWORD; undo: delete the value); server side: SelectTransport=1 under HKLM\\SOFTWARE\\"
	 "Policies\\Microsoft\\Windows NT\\Terminal Services (undo: delete it)",
	 NULL},
	{DIAG_UDP_PORT_UNREACHABLE, "UDP_PORT_UNREACHABLE", SEV_WARNING, "udp",
	 "the client falls back to TCP at once",
	 "nothing listens on UDP 3389: enable the UDP transport on the server (policy \"Select "
	 "RDP transport protocols\" = \"Use both UDP and TCP\", SelectTransport=0; undo: delete "
	 "the value) and open UDP 3389 in its firewall, or disable UDP on the client "
	 "(fClientDisableUDP=1; undo: delete the value)",
	 NULL},
	{DIAG_UDP_MTU_TOO_SMALL, "UDP_MTU_TOO_SMALL", SEV_FAILURE, "path",
	 "RDP-UDP cannot start (its 1232-byte SYN does not fit); with a UDP-only path (VPN, "
	 "Global Secure Access) mstsc fails with 0x904 extended 0x7",
	 "raise the tunnel MTU to at least 1300, or force TCP on the client: HKLM\\SOFTWARE\\"
	 "Policies\\Microsoft\\Windows NT\\Terminal Services\\Client fClientDisableUDP=1 "
	 "(DWORD; undo: delete the value)",
	 NULL},
	{DIAG_RESOLUTION_MISMATCH, "RESOLUTION_MISMATCH", SEV_FAILURE, "dns",
	 "the name fails where the address works; FreeRDP / mstsc: a connection failure by name "
	 "only",
	 "fix the DNS record (or the hosts file entry) so it points at the server that answers, "
	 "flush the client's cache (ipconfig /flushdns), remove a dead AAAA record; meanwhile "
	 "connect by IP address",
	 NULL},
	{DIAG_CLIENT_ABORTED, "CLIENT_ABORTED", SEV_FAILURE, "client",
	 "mstsc: 0x904 extended 0x7 (\"An internal error has occurred\") with nothing in the "
	 "server's logs",
	 "software on the client (security suite, TLS inspection, endpoint firewall) resets "
	 "the connection after the server's TLS flight: allow-list mstsc.exe (or the Windows "
	 "App) in that product, or test with it paused",
	 NULL},
	{DIAG_SERVER_DENIED, "SERVER_DENIED", SEV_FAILURE, "rdp",
	 "mstsc: error 0x904 with extended error 0x7 (ERRINFO_SERVER_DENIED_CONNECTION); "
	 "FreeRDP: ERRINFO_SERVER_DENIED_CONNECTION (0x00010007)",
	 "the server refuses after the handshake: check the service state (sc query "
	 "TermService), the connection limits (MaxOutstandingConnections under HKLM\\SYSTEM\\"
	 "CurrentControlSet\\Control\\Terminal Server; note the old value to undo), the user's "
	 "membership of Remote Desktop Users, and the RD licensing mode and server",
	 NULL},
	{DIAG_RDP_SECURITY_DOWNGRADE, "RDP_SECURITY_DOWNGRADE", SEV_WARNING, "x224",
	 "works, with standard RDP security: RC4 or FIPS encryption, no TLS, no server "
	 "authentication",
	 "require TLS on the server: SecurityLayer=2 under HKLM\\SYSTEM\\CurrentControlSet\\"
	 "Control\\Terminal Server\\WinStations\\RDP-Tcp (undo: restore the old value), with "
	 "a valid certificate, and NLA (UserAuthentication=1)",
	 "standard RDP security can be intercepted: do not keep it"},
	{DIAG_CAPTURE_INCOMPLETE, "CAPTURE_INCOMPLETE", SEV_INFO, "capture",
	 "none: the capture does not show enough to judge",
	 "capture from before the connection starts, with the full snap length (tcpdump -s 0), "
	 "on the client, and check the capture dropped nothing",
	 NULL},
};
_Static_assert(sizeof infos / sizeof infos[0] == DIAG_CODE_COUNT, "infos covers enum diag_code");

static const char *const sev_names[] = {"ok", "info", "warning", "failure"};
_Static_assert(sizeof sev_names / sizeof sev_names[0] == SEV_COUNT, "sev_names covers severities");

const struct diag_info *diag_info(enum diag_code c)
{
	return (unsigned)c < DIAG_CODE_COUNT ? &infos[c] : &infos[0];
}

/*
 * The test lab scenario (fixtures/lab/scenarios/NAME.sh) in which a real
 * client meets the failure; `rdprobe lab run NAME` replays and captures it.
 * test_diagnosis.c checks that every scenario's committed capture yields
 * its code.  Capture damage has no scenario; HEALTHY needs none.
 */
#define LAB_RUN "rdprobe lab run "
static const char *const lab_runs[DIAG_CODE_COUNT] = {
	[DIAG_TCP_REFUSED] = LAB_RUN "tcp-refused",
	[DIAG_TCP_UNREACHABLE] = LAB_RUN "tcp-syn-dropped",
	[DIAG_SECURITY_NEGOTIATION_FAILURE] = LAB_RUN "neg-ssl-required",
	[DIAG_TLS_CERT_EXPIRED] = LAB_RUN "cert-expired",
	[DIAG_TLS_CERT_NOT_YET_VALID] = LAB_RUN "cert-not-yet-valid",
	[DIAG_TLS_CERT_NAME_MISMATCH] = LAB_RUN "cert-name-mismatch",
	[DIAG_TLS_HANDSHAKE_FAILED] = LAB_RUN "tls-version-mismatch",
	[DIAG_NLA_FAILED] = LAB_RUN "nla-wrong-password",
	[DIAG_MTU_BLACKHOLE] = LAB_RUN "mtu-blackhole",
	[DIAG_UDP_BLOCKED] = LAB_RUN "udp-dropped",
	[DIAG_UDP_PORT_UNREACHABLE] = LAB_RUN "udp-port-unreachable",
	[DIAG_UDP_MTU_TOO_SMALL] = LAB_RUN "udp-frag-needed",
	[DIAG_RESOLUTION_MISMATCH] = LAB_RUN "dns-stale",
	[DIAG_CLIENT_ABORTED] = LAB_RUN "client-abort",
	[DIAG_SERVER_DENIED] = LAB_RUN "server-denied",
	[DIAG_RDP_SECURITY_DOWNGRADE] = LAB_RUN "healthy-rdp",
};

const char *diag_reproduce(enum diag_code c)
{
	return (unsigned)c < DIAG_CODE_COUNT ? lab_runs[c] : NULL;
}

const char *diag_lab_scenario(enum diag_code c)
{
	const char *r = diag_reproduce(c);
	return r ? r + sizeof LAB_RUN - 1 : NULL;
}

const char *diag_code_name(enum diag_code c)
{
	return diag_info(c)->name;
}

enum diag_code diag_code_from_name(const char *name)
{
	for (int i = 0; i < DIAG_CODE_COUNT; i++)
		if (!strcmp(infos[i].name, name))
			return (enum diag_code)i;
	return DIAG_CODE_COUNT;
}

const char *diag_severity_name(enum diag_severity s)
{
	return (unsigned)s < SEV_COUNT ? sev_names[s] : "unknown";
}

/* ---- building findings -------------------------------------------------- */

struct out {
	struct finding *f;
	int n, max;
	const struct rdp_conn *c;
};

static struct finding *add(struct out *o, enum diag_code code, int confidence)
{
	if (o->n == o->max)
		return NULL;
	struct finding *f = &o->f[o->n++];
	memset(f, 0, sizeof *f);
	f->code = code;
	f->severity = diag_info(code)->severity;
	f->confidence = confidence;
	f->conn = o->c ? o->c->index : 0;
	return f;
}

static void frame(struct finding *f, uint64_t fr)
{
	if (!f || !fr)
		return;
	for (int i = 0; i < f->nframes; i++)
		if (f->frames[i] == fr)
			return;
	if (f->nframes < FINDING_FRAMES)
		f->frames[f->nframes++] = fr;
}

__attribute__((format(printf, 2, 3))) static void fact(struct finding *f, const char *fmt, ...)
{
	if (!f || f->nfacts == FINDING_FACTS)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->facts[f->nfacts++], FINDING_TEXT, fmt, ap);
	va_end(ap);
}

/* ---- facts the rules share ---------------------------------------------- */

static int is_tls_protocol(uint32_t selected)
{
	return selected != PROTOCOL_RDP;
}

static int tls_established(const struct rdp_conn *c)
{
	const struct tls_facts *t = &c->tls;
	return (t->ccs_frame[0] && t->ccs_frame[1]) ||
	       (t->version == 0x0304 && t->first_app_frame[0] && t->first_app_frame[1]);
}

/* The certificate the server presented for itself (TLS, else RDP X.509). */
static const struct cert_info *server_cert(const struct rdp_conn *c, uint64_t *fr)
{
	if (c->tls.cert_stored && c->tls.certs[0].der_len && c->tls.certs[0].not_after) {
		*fr = c->tls.certificate_frame;
		return &c->tls.certs[0];
	}
	if (c->mcr.x509_stored) {
		/* MS-RDPBCGR 2.2.1.4.3.1.1: the server's own certificate is the last one. */
		const struct cert_info *ce = &c->mcr.x509[c->mcr.x509_stored - 1];
		if (ce->der_len && ce->not_after) {
			*fr = c->mcr.frame;
			return ce;
		}
	}
	return NULL;
}

static int is_ip_literal(const char *s)
{
	int dots = 0, colons = 0, digits = 0;
	for (; *s; s++) {
		if (*s == '.')
			dots++;
		else if (*s == ':')
			colons++;
		else if (*s >= '0' && *s <= '9')
			digits++;
		else if (!((*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
			return 0;
	}
	return colons >= 2 || (dots == 3 && digits);
}

static int ci_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return 1;
}

/* RFC 6125: exact, or "*.rest" matching one leftmost label. */
static int name_matches(const char *pattern, size_t plen, const char *name)
{
	size_t nlen = strlen(name);
	if (plen == nlen && ci_eq(pattern, name, nlen))
		return 1;
	if (plen > 2 && pattern[0] == '*' && pattern[1] == '.') {
		const char *dot = strchr(name, '.');
		size_t rest = plen - 1;
		return dot && dot != name && strlen(dot) == rest && ci_eq(pattern + 1, dot, rest);
	}
	return 0;
}

/* Is `name` among the certificate's DNS names (SANs, else the CN)? */
static int cert_covers(const struct cert_info *ce, const char *name)
{
	int any_dns = 0;
	for (const char *p = ce->sans; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > 4 && !strncmp(p, "DNS:", 4)) {
			any_dns = 1;
			if (name_matches(p + 4, len - 4, name))
				return 1;
		}
		p += len + (end ? 1 : 0);
	}
	return !any_dns && name_matches(ce->subject_cn, strlen(ce->subject_cn), name);
}

int diag_cert_covers(const struct cert_info *ce, const char *name)
{
	return cert_covers(ce, name);
}

int diag_is_ip_literal(const char *s)
{
	return is_ip_literal(s);
}

/* The name the client used: --name, the SNI it sent, the DNS answer. */
static const char *client_name(const struct rdp_conn *c, const struct diag_opts *o)
{
	if (o && o->name[0])
		return o->name;
	if (c->tls.sni[0] && !is_ip_literal(c->tls.sni))
		return c->tls.sni;
	if (c->dns_name[0])
		return c->dns_name;
	return NULL;
}

/* ---- per-connection rules ------------------------------------------------ */

static int rule_capture(struct out *o, const struct rdp_conn *c)
{
	if (!c->tcp.mid_connection && !c->udp.mid_connection)
		return 0;
	struct finding *f = add(o, DIAG_CAPTURE_INCOMPLETE, 90);
	frame(f, c->first_frame);
	fact(f, "the capture starts in the middle of this connection (frame %llu): its handshake "
		"cannot be judged", (unsigned long long)c->first_frame);
	return 1;
}

static int rule_tcp(struct out *o, const struct rdp_conn *c)
{
	const struct tcp_facts *t = &c->tcp;
	if (t->rst_after_syn_frame) {
		struct finding *f = add(o, DIAG_TCP_REFUSED, 95);
		frame(f, t->syn_frame);
		frame(f, t->rst_after_syn_frame);
		fact(f, "SYN (frame %llu) answered by RST (frame %llu): nothing listens on port %u",
		     (unsigned long long)t->syn_frame, (unsigned long long)t->rst_after_syn_frame,
		     c->sport);
		return 1;
	}
	if (t->syn_frame && !t->synack_frame) {
		for (int i = 0; i < c->icmp_stored; i++) {
			if (c->icmp[i].kind != ICMPK_UNREACH)
				continue;
			struct finding *f = add(o, DIAG_TCP_UNREACHABLE, 95);
			frame(f, t->syn_frame);
			frame(f, c->icmp[i].frame);
			fact(f, "SYN (frame %llu) answered by ICMP destination unreachable, code %u "
				"(frame %llu)", (unsigned long long)t->syn_frame, c->icmp[i].code,
			     (unsigned long long)c->icmp[i].frame);
			return 1;
		}
		struct finding *f = add(o, DIAG_TCP_UNREACHABLE, t->syn_count > 1 ? 90 : 60);
		frame(f, t->syn_frame);
		fact(f, "%u SYN%s over %.1f s, never answered", t->syn_count, t->syn_count > 1 ? "s" : "",
		     (double)(c->last_us - c->first_us) / 1e6);
		if (t->syn_count == 1)
			fact(f, "a single SYN: the capture may have ended before a retransmission");
		return 1;
	}
	return 0;
}

/*
 * The server selected a protocol and the client hung up instead of
 * starting it: the client refuses what was chosen (FreeRDP /sec:nla
 * against a server without CredSSP, /sec:tls against an RDP-only one).
 */
static int rule_refused_selection(struct out *o, const struct rdp_conn *c)
{
	const struct tcp_facts *t = &c->tcp;
	if (c->cc.neg_type != NEG_RSP || c->cc.status != DEC_OK || !t->close ||
	    t->close_dir != DIR_C2S || c->tls.client_hello_frame || c->ci.frame)
		return 0;
	char req[64], sel[64];
	struct finding *f = add(o, DIAG_SECURITY_NEGOTIATION_FAILURE, 85);
	frame(f, c->cr.frame);
	frame(f, c->cc.frame);
	frame(f, t->close_frame);
	fact(f, "the client requested %s (frame %llu), the server selected %s (frame %llu), and the "
		"client closed the connection (%s, frame %llu) instead of starting it",
	     x224_protocols_str(c->cr.requested, req, sizeof req), (unsigned long long)c->cr.frame,
	     x224_protocols_str(c->cc.selected, sel, sizeof sel), (unsigned long long)c->cc.frame,
	     t->close == CLOSE_RST ? "RST" : "FIN", (unsigned long long)t->close_frame);
	if (c->cc.selected == PROTOCOL_RDP)
		fact(f, "the server offers only standard RDP security; the client insists on TLS");
	else if ((c->cr.requested & (PROTOCOL_HYBRID | PROTOCOL_HYBRID_EX)) &&
		 !(c->cc.selected & (PROTOCOL_HYBRID | PROTOCOL_HYBRID_EX)))
		fact(f, "the client insists on NLA (CredSSP); the server does not offer it");
	return 1;
}

static int rule_negotiation(struct out *o, const struct rdp_conn *c)
{
	if (c->cc.frame && c->cc.status == DEC_INVALID) {
		struct finding *f = add(o, DIAG_SECURITY_NEGOTIATION_FAILURE, 80);
		frame(f, c->cr.frame);
		frame(f, c->cc.frame);
		fact(f, "the server's X.224 Connection Confirm (frame %llu) is malformed: %s",
		     (unsigned long long)c->cc.frame, c->cc.why ? c->cc.why : "invalid");
		fact(f, "no client can agree on a security layer with it: a broken server, or "
			"something on the path rewriting the negotiation");
		return 1;
	}
	if (c->cc.neg_type != NEG_FAILURE)
		return rule_refused_selection(o, c);
	char req[64];
	struct finding *f = add(o, DIAG_SECURITY_NEGOTIATION_FAILURE, 99);
	frame(f, c->cr.frame);
	frame(f, c->cc.frame);
	fact(f, "the client requested %s (frame %llu); the server answered RDP_NEG_FAILURE %s (%u) "
		"(frame %llu)",
	     c->cr.neg_present ? x224_protocols_str(c->cr.requested, req, sizeof req) : "(legacy)",
	     (unsigned long long)c->cr.frame, x224_failure_name(c->cc.failure_code),
	     c->cc.failure_code, (unsigned long long)c->cc.frame);
	switch (c->cc.failure_code) {
	case 1:
		fact(f, "the server requires TLS; the client offered standard RDP security only");
		break;
	case 2:
		fact(f, "the server is set to standard RDP security (SecurityLayer=0) and refuses TLS");
		break;
	case 3:
		fact(f, "the server has no usable certificate for TLS: regenerate it (delete it from "
			"the Remote Desktop store, restart TermService)");
		break;
	case 5:
		fact(f, "the server requires NLA (CredSSP); the client did not offer HYBRID");
		break;
	case 6:
		fact(f, "the server requires TLS with user authentication (RDSTLS / Remote "
			"Credential Guard)");
		break;
	default:
		break;
	}
	return 1;
}

/* The server's TLS flight never arrived: large segments lost, no ICMP. */
static int rule_mtu(struct out *o, const struct rdp_conn *c)
{
	const struct tcp_dir_facts *s = &c->tcp.d[DIR_S2C], *cl = &c->tcp.d[DIR_C2S];
	if (!c->tls.client_hello_frame || tls_established(c))
		return 0;
	int lost = 0;
	uint32_t lost_bytes = 0;
	uint64_t lost_frame = 0;
	for (int i = 0; i < s->holes_stored; i++)
		if (!s->hole[i].acked) {
			lost++;
			lost_bytes += s->hole[i].len;
			if (!lost_frame)
				lost_frame = s->hole[i].frame;
		}
	/* Seen from the server: its own large segments retransmitted, unanswered. */
	int server_side = s->retransmissions >= 2 && s->max_retransmitted > 1000 && !c->tls.server_hello_frame;
	/* Seen from the client: its ClientHello sent again, the server's reply missing. */
	int client_side = lost || (cl->retransmissions >= 1 && !c->tls.server_hello_frame &&
				   s->out_of_order);
	if (!server_side && !client_side)
		return 0;
	for (int i = 0; i < c->icmp_stored; i++)
		if (c->icmp[i].kind == ICMPK_FRAG_NEEDED)
			return 0; /* PMTUD is told: not a black hole */
	struct finding *f = add(o, DIAG_MTU_BLACKHOLE, lost && cl->retransmissions ? 90 : 75);
	frame(f, c->tls.client_hello_frame);
	frame(f, lost_frame);
	for (int i = 0; i < cl->retx_stored && i < 3; i++)
		frame(f, cl->retx_frames[i]);
	for (int i = 0; i < s->retx_stored && i < 3; i++)
		frame(f, s->retx_frames[i]);
	if (lost)
		fact(f, "%u bytes of the server's TLS flight never arrived (%d gap%s, first seen at "
			"frame %llu); later, smaller segments did",
		     lost_bytes, lost, lost == 1 ? "" : "s", (unsigned long long)lost_frame);
	if (cl->retransmissions)
		fact(f, "the client sent its data again %u time%s (ClientHello unacknowledged by what "
			"it saw)", cl->retransmissions, cl->retransmissions == 1 ? "" : "s");
	if (s->retransmissions)
		fact(f, "the server retransmitted %u segment%s of up to %u bytes", s->retransmissions,
		     s->retransmissions == 1 ? "" : "s", s->max_retransmitted);
	/* The lost segment: at most the client's MSS; its packet adds the headers. */
	uint32_t mss = cl->mss ? cl->mss : 1460;
	uint32_t hdr = (c->ipver == 6 ? 40u : 20u) + 20u;
	uint32_t passed = s->max_packet;
	if (lost) {
		uint32_t seg = lost_bytes < mss ? lost_bytes : mss;
		fact(f, "largest server packet that arrived: %u bytes; lost: about %u bytes; the path "
			"MTU lies between: clamp the TCP MSS below %u (or lower the tunnel MTU); rdprobe "
			"probe --variants mtu measures it", passed, seg + hdr, seg);
	} else {
		fact(f, "largest server packet that arrived: %u bytes; no ICMP \"fragmentation needed\" "
			"was seen", passed);
	}
	return 1;
}

/* The client itself resets right after the server's TLS flight. */
static int rule_client_abort(struct out *o, const struct rdp_conn *c)
{
	const struct tcp_dir_facts *cl = &c->tcp.d[DIR_C2S];
	const struct tls_facts *t = &c->tls;
	if (!cl->rst_frame || !t->server_hello_frame || t->first_app_frame[DIR_C2S])
		return 0;
	if (cl->rst_frame < t->server_hello_frame)
		return 0;
	struct finding *f;
	if (!t->ccs_frame[DIR_C2S]) {
		uint64_t last = t->server_hello_done_frame ? t->server_hello_done_frame
				: t->certificate_frame	   ? t->certificate_frame
							   : t->server_hello_frame;
		f = add(o, DIAG_CLIENT_ABORTED, 85);
		frame(f, t->server_hello_frame);
		frame(f, last);
		frame(f, cl->rst_frame);
		fact(f, "the server sent its TLS flight (ServerHello at frame %llu%s); the client "
			"answered with a TCP RST (frame %llu) instead of its key exchange",
		     (unsigned long long)t->server_hello_frame,
		     t->certificate_frame ? ", certificate included" : "",
		     (unsigned long long)cl->rst_frame);
	} else {
		/* The handshake completed; the client reset before sending a byte of RDP. */
		f = add(o, DIAG_CLIENT_ABORTED, 70);
		frame(f, t->ccs_frame[DIR_S2C]);
		frame(f, cl->rst_frame);
		fact(f, "TLS completed (server Finished at frame %llu), then the client reset the "
			"connection (frame %llu) without sending any RDP data: the client rejected the "
			"server (certificate refused by the user or by local software)",
		     (unsigned long long)t->ccs_frame[DIR_S2C], (unsigned long long)cl->rst_frame);
	}
	fact(f, "the server did nothing wrong on the wire: something on the client side ended "
		"the connection");
	return 1;
}

static int rule_tls_handshake(struct out *o, const struct rdp_conn *c)
{
	const struct tls_facts *t = &c->tls;
	if (!t->client_hello_frame || tls_established(c))
		return 0;
	if (t->alert_frame && !t->alert_encrypted && t->alert_level == 2) {
		struct finding *f = add(o, DIAG_TLS_HANDSHAKE_FAILED, 95);
		frame(f, t->client_hello_frame);
		frame(f, t->server_hello_frame);
		frame(f, t->alert_frame);
		fact(f, "fatal TLS alert %s from the %s (frame %llu) during the handshake",
		     tls_alert_name(t->alert_desc), t->alert_dir ? "server" : "client",
		     (unsigned long long)t->alert_frame);
		return 1;
	}
	const struct tcp_facts *tc = &c->tcp;
	if (tc->close && tc->close_frame > t->client_hello_frame) {
		struct finding *f = add(o, DIAG_TLS_HANDSHAKE_FAILED, 70);
		frame(f, t->client_hello_frame);
		frame(f, t->server_hello_frame);
		frame(f, tc->close_frame);
		fact(f, "the %s closed the connection (%s, frame %llu) during the TLS handshake",
		     tc->close_dir ? "server" : "client", tc->close == CLOSE_RST ? "RST" : "FIN",
		     (unsigned long long)tc->close_frame);
		return 1;
	}
	return 0;
}

static int is_complete(const struct rdp_conn *c);

static int rule_certificate(struct out *o, const struct rdp_conn *c, const struct diag_opts *opt)
{
	uint64_t cf = 0;
	const struct cert_info *ce = server_cert(c, &cf);
	int fired = 0;
	if (!ce) {
		if (c->tls.version == 0x0304 && c->tls.server_hello_frame) {
			struct finding *f = add(o, DIAG_CAPTURE_INCOMPLETE, 60);
			frame(f, c->tls.server_hello_frame);
			fact(f, "the server chose TLS 1.3 (frame %llu): its certificate is encrypted on "
				"the wire and cannot be judged from packets; run rdprobe probe --variants "
				"tls against the server",
			     (unsigned long long)c->tls.server_hello_frame);
		}
		return 0;
	}
	int64_t at = opt && opt->at_us ? opt->at_us / 1000000 : c->first_us / 1000000;
	char nb[32], na[32], now[32];
	x509_time_str(ce->not_before, nb, sizeof nb);
	x509_time_str(ce->not_after, na, sizeof na);
	x509_time_str(at, now, sizeof now);
	if (at > ce->not_after || at < ce->not_before) {
		int expired = at > ce->not_after;
		struct finding *f = add(o, expired ? DIAG_TLS_CERT_EXPIRED : DIAG_TLS_CERT_NOT_YET_VALID, 97);
		frame(f, cf);
		fact(f, "server certificate CN=%s valid %s to %s UTC; %s at %s UTC (%s)",
		     ce->subject_cn[0] ? ce->subject_cn : "(none)", nb, na,
		     expired ? "expired" : "not yet valid", now,
		     opt && opt->at_us ? "--at" : "capture time");
		if (expired && ce->self_signed)
			fact(f, "self-signed and expired: the automatic renewal failed; see System "
				"events 1057/1058 and the MachineKeys folder permissions");
		fired = 1;
	}
	const char *name = client_name(c, opt);
	if (name && !cert_covers(ce, name)) {
		struct finding *f = add(o, DIAG_TLS_CERT_NAME_MISMATCH, 85);
		if (f && !is_complete(c)) {
			f->severity = SEV_FAILURE; /* the client gave up on it */
			fired = 1;
		}
		frame(f, cf);
		fact(f, "the client used the name %s; the certificate names CN=%s%s%s", name,
		     ce->subject_cn[0] ? ce->subject_cn : "(none)", ce->sans[0] ? ", " : "", ce->sans);
	}
	return fired;
}

/* CredSSP inside TLS ended by the server before the RDP layers started. */
static int rule_nla(struct out *o, const struct rdp_conn *c)
{
	const struct tls_facts *t = &c->tls;
	const struct tcp_facts *tc = &c->tcp;
	if (c->cc.neg_type != NEG_RSP || !(c->cc.selected & (PROTOCOL_HYBRID | PROTOCOL_HYBRID_EX)))
		return 0;
	int server_alert = t->alert_frame && t->alert_dir == DIR_S2C && t->alert_encrypted;
	if (!tls_established(c) || !tc->close || (tc->close_dir != DIR_S2C && !server_alert))
		return 0;
	uint64_t end = server_alert ? t->alert_frame : tc->close_frame;
	/* A CredSSP logon takes three client TSRequests; MCS follows with more. */
	if (t->app_records[DIR_C2S] > 4 || t->app_records[DIR_S2C] > 3)
		return 0;
	struct finding *f = add(o, DIAG_NLA_FAILED, 80);
	frame(f, c->cc.frame);
	frame(f, t->first_app_frame[DIR_C2S]);
	for (int i = 0; i < t->rec_stored; i++)
		frame(f, t->recs[i].frame);
	frame(f, end);
	fact(f, "NLA (%s) selected at frame %llu; after %u client and %u server CredSSP records the "
		"server closed the connection (%s, frame %llu)",
	     c->cc.selected & PROTOCOL_HYBRID_EX ? "HYBRID_EX" : "HYBRID",
	     (unsigned long long)c->cc.frame, t->app_records[DIR_C2S], t->app_records[DIR_S2C],
	     server_alert ? "TLS alert" : tc->close == CLOSE_RST ? "RST" : "FIN",
	     (unsigned long long)end);
	fact(f, "the server sends no CredSSP error code before closing: usually a wrong password "
		"or an account not allowed to log on");
	return 1;
}

/* Handshake complete, then the server hangs up: the 0x904 / 0x7 case. */
static int rule_server_denied(struct out *o, const struct rdp_conn *c)
{
	const struct tcp_facts *tc = &c->tcp;
	const struct mcs_domain_facts *d = &c->dom;
	if (d->error_info_frame && d->error_info == 0x7) {
		struct finding *f = add(o, DIAG_SERVER_DENIED, 99);
		frame(f, d->client_info_frame);
		frame(f, d->error_info_frame);
		fact(f, "Set Error Info 0x7 (ERRINFO_SERVER_DENIED_CONNECTION) at frame %llu",
		     (unsigned long long)d->error_info_frame);
		return 1;
	}
	if (!tc->close || tc->close_dir != DIR_S2C)
		return 0;
	/* Short: a denial comes within seconds, not after a session's worth of packets. */
	int brief = c->packets <= 200 && c->last_us - c->first_us < 30 * INT64_C(1000000);
	if (c->tls_seen && tls_established(c) && c->tls.first_app_frame[DIR_C2S] &&
	    c->tls.first_app_frame[DIR_S2C] && !(c->cc.selected & (PROTOCOL_HYBRID | PROTOCOL_HYBRID_EX)) &&
	    brief) {
		struct finding *f = add(o, DIAG_SERVER_DENIED, 65);
		frame(f, c->tls.first_app_frame[DIR_C2S]);
		if (c->tls.rec_stored)
			frame(f, c->tls.recs[c->tls.rec_stored - 1].frame);
		frame(f, tc->close_frame);
		fact(f, "TLS completed and encrypted records went both ways (%u packets in %.1f s); "
			"then the server closed the connection (%s, frame %llu)",
		     (unsigned)c->packets, (double)(c->last_us - c->first_us) / 1e6,
		     tc->close == CLOSE_RST ? "RST" : "FIN", (unsigned long long)tc->close_frame);
		fact(f, "the reason is inside TLS: rdprobe probe (freerdp variants) reads the server's "
			"error info, 0x7 for a denied connection");
		return 1;
	}
	if (d->client_info_frame && d->disconnect_frame && d->disconnect_dir == DIR_S2C) {
		struct finding *f = add(o, DIAG_SERVER_DENIED, 75);
		frame(f, d->client_info_frame);
		frame(f, d->disconnect_frame);
		fact(f, "after the Client Info PDU (frame %llu) the server disconnected (MCS Disconnect "
			"Provider Ultimatum, frame %llu)", (unsigned long long)d->client_info_frame,
		     (unsigned long long)d->disconnect_frame);
		return 1;
	}
	return 0;
}

static int rule_udp(struct out *o, const struct rdp_conn *c)
{
	const struct udp_facts *u = &c->udp;
	if (c->transport != 17 || u->mid_connection)
		return 0;
	if (u->synack_count)
		return 0;
	if (!u->syn_count)
		return 0;
	for (int i = 0; i < c->icmp_stored; i++) {
		const struct icmp_note *n = &c->icmp[i];
		if (n->kind == ICMPK_FRAG_NEEDED) {
			struct finding *f = add(o, DIAG_UDP_MTU_TOO_SMALL, 95);
			frame(f, u->syn.frame);
			frame(f, n->frame);
			fact(f, "RDP-UDP SYN of %u bytes (UDP length %u%s, frame %llu) answered by ICMP "
				"%s with MTU %u (frame %llu)", u->syn.payload_len, u->syn.payload_len + 8,
			     u->syn.df ? ", DF" : "", (unsigned long long)u->syn.frame,
			     n->v6 ? "packet too big" : "fragmentation needed", n->mtu,
			     (unsigned long long)n->frame);
			fact(f, "RDP-UDP needs a path MTU of at least %u (IPv%d); this path has %u",
			     UDP_SYN_MTU_MIN + 8 + (c->ipver == 6 ? 40 : 20), c->ipver, n->mtu);
			return 1;
		}
		if (n->kind == ICMPK_UNREACH) {
			struct finding *f = add(o, DIAG_UDP_PORT_UNREACHABLE, 95);
			frame(f, u->syn.frame);
			frame(f, n->frame);
			fact(f, "RDP-UDP SYN (frame %llu) answered by ICMP unreachable code %u (frame %llu): "
				"no RDP-UDP listener", (unsigned long long)u->syn.frame, n->code,
			     (unsigned long long)n->frame);
			return 1;
		}
	}
	struct finding *f = add(o, DIAG_UDP_BLOCKED, u->syn_count > 1 ? 90 : 60);
	for (uint32_t i = 0; i < u->syn_count && i < 4; i++)
		frame(f, u->syn_frames[i]);
	fact(f, "%u RDP-UDP SYN%s (UDP length %u%s) over %.1f s, no SYN+ACK and no ICMP",
	     u->syn_count, u->syn_count == 1 ? "" : "s", u->syn.payload_len + 8,
	     u->syn.df ? ", DF" : "", (double)(c->last_us - c->first_us) / 1e6);
	return 1;
}

/* Completed: TLS with data both ways, or standard security up to Client Info. */
static int is_complete(const struct rdp_conn *c)
{
	if (c->transport == 17)
		return c->udp.synack_count > 0;
	if (c->stage >= STAGE_CLIENT_INFO)
		return 1;
	if (c->stage >= STAGE_MCS_CONNECT_RESPONSE && c->mcr.result == 0 && !c->tcp.close)
		return 1;
	return c->cc.neg_type == NEG_RSP && is_tls_protocol(c->cc.selected) && tls_established(c) &&
	       c->tls.app_records[DIR_C2S] >= 2 && c->tls.app_records[DIR_S2C] >= 2;
}

static void rule_healthy(struct out *o, const struct rdp_conn *c)
{
	struct finding *f = add(o, DIAG_HEALTHY, 90);
	if (c->transport == 17) {
		frame(f, c->udp.syn.frame);
		frame(f, c->udp.synack.frame);
		fact(f, "RDP-UDP SYN (frame %llu) answered by SYN+ACK (frame %llu), %s",
		     (unsigned long long)c->udp.syn.frame, (unsigned long long)c->udp.synack.frame,
		     rdpeudp_version_name(c->udp.version));
		return;
	}
	frame(f, c->tcp.synack_frame);
	frame(f, c->cc.frame);
	if (c->tls_seen) {
		frame(f, c->tls.server_hello_frame);
		frame(f, c->tls.first_app_frame[DIR_S2C]);
		fact(f, "TCP, X.224 (frame %llu), TLS (frame %llu) complete; encrypted data both ways "
			"(%u client / %u server records)", (unsigned long long)c->cc.frame,
		     (unsigned long long)c->tls.server_hello_frame, c->tls.app_records[DIR_C2S],
		     c->tls.app_records[DIR_S2C]);
	} else {
		frame(f, c->mcr.frame);
		frame(f, c->dom.client_info_frame);
		fact(f, "TCP, X.224 (frame %llu), MCS connect (frame %llu) complete%s",
		     (unsigned long long)c->cc.frame, (unsigned long long)c->mcr.frame,
		     c->dom.client_info_frame ? ", Client Info sent" : "");
	}
}

static void rule_downgrade(struct out *o, const struct rdp_conn *c)
{
	if (c->transport != 6 || c->tls_seen || !c->mcr.frame)
		return;
	struct finding *f = add(o, DIAG_RDP_SECURITY_DOWNGRADE, 99);
	frame(f, c->cc.frame);
	frame(f, c->mcr.frame);
	const char *m = gcc_encryption_method_name(c->mcr.encryption_method);
	fact(f, "standard RDP security: %s (frame %llu), encryption %s",
	     c->cc.neg_type == NEG_RSP ? "PROTOCOL_RDP selected" : "no negotiation (legacy)",
	     (unsigned long long)c->cc.frame, m ? m : "?");
}

int diag_conn(const struct rdp_conn *c, const struct diag_opts *opt, struct finding *out, int max)
{
	struct out o = {out, 0, max, c};

	if (c->transport == 17) {
		if (!rule_capture(&o, c) && !rule_udp(&o, c) && is_complete(c))
			rule_healthy(&o, c);
		return o.n;
	}
	if (rule_capture(&o, c))
		return o.n;
	if (rule_tcp(&o, c) || rule_negotiation(&o, c))
		return o.n;
	/* A bad certificate explains whatever the client did next. */
	int cert_failed = rule_certificate(&o, c, opt);
	if (cert_failed)
		return o.n;
	if (rule_client_abort(&o, c) || rule_mtu(&o, c))
		return o.n;
	if (rule_tls_handshake(&o, c))
		return o.n;
	if (rule_nla(&o, c) || rule_server_denied(&o, c))
		return o.n;
	if (!cert_failed && is_complete(c)) {
		rule_healthy(&o, c);
		rule_downgrade(&o, c);
	}
	if (o.n == 0 && c->stage < STAGE_X224_CONFIRM && c->stage >= STAGE_TCP_ESTABLISHED &&
	    !c->tcp.d[0].acked_unseen && !c->tcp.d[1].acked_unseen) {
		struct finding *f = add(&o, DIAG_CAPTURE_INCOMPLETE, 40);
		frame(f, c->stage_frame);
		fact(f, "the connection stops at %s (frame %llu) with no failure visible: the capture "
			"may have ended too early", stage_name(c->stage), (unsigned long long)c->stage_frame);
	}
	if (c->tcp.d[0].acked_unseen || c->tcp.d[1].acked_unseen) {
		int d = c->tcp.d[0].acked_unseen ? 0 : 1;
		struct finding *f = add(&o, DIAG_CAPTURE_INCOMPLETE, 80);
		frame(f, c->tcp.d[d].acked_unseen_frame);
		fact(f, "%u bytes from the %s were acknowledged but never captured (frame %llu): the "
			"capture dropped packets", c->tcp.d[d].acked_unseen_bytes, d ? "server" : "client",
		     (unsigned long long)c->tcp.d[d].acked_unseen_frame);
	}
	return o.n;
}

/* ---- across connections -------------------------------------------------- */

static struct diag_server *server_of(struct diag_state *d, const struct rdp_conn *c)
{
	uint16_t port = c->transport == 17 ? 0 : c->sport; /* UDP joins its TCP twin */
	for (int i = 0; i < d->nservers; i++) {
		struct diag_server *s = &d->servers[i];
		if (s->ipver == c->ipver && !memcmp(s->addr, c->server, 16) &&
		    (s->port == c->sport || port == 0 || s->port == 0)) {
			if (s->port == 0 && port)
				s->port = port;
			return s;
		}
	}
	if (d->nservers == DIAG_SERVERS_MAX) {
		d->dropped++;
		return NULL;
	}
	struct diag_server *s = &d->servers[d->nservers++];
	memset(s, 0, sizeof *s);
	s->ipver = c->ipver;
	memcpy(s->addr, c->server, 16);
	s->port = c->sport;
	return s;
}

void diag_note(struct diag_state *d, const struct rdp_conn *c, const struct finding *f, int n)
{
	for (int i = 0; i < n; i++)
		d->counts[f[i].code]++;
	struct diag_server *s = server_of(d, c);
	if (!s)
		return;
	if (c->transport == 17) {
		for (int i = 0; i < n; i++)
			if (f[i].severity >= SEV_WARNING && !s->has_udp) {
				s->udp_worst = f[i];
				s->has_udp = 1;
			}
		if (n && f[0].severity >= SEV_WARNING)
			s->udp_failed++;
		if (n && f[0].code == DIAG_HEALTHY)
			s->udp_healthy++;
		return;
	}
	s->connections++;
	int healthy = 0, failed = 0, incomplete = 0;
	for (int i = 0; i < n; i++) {
		if (f[i].code == DIAG_HEALTHY)
			healthy = 1;
		else if (f[i].severity == SEV_FAILURE)
			failed = 1;
		else if (f[i].code == DIAG_CAPTURE_INCOMPLETE)
			incomplete = 1;
		if (f[i].code == DIAG_RDP_SECURITY_DOWNGRADE && !s->downgrade) {
			s->downgrade = 1;
			s->downgrade_finding = f[i];
		}
	}
	if (healthy) {
		s->healthy++;
		if (!s->first_healthy) {
			s->first_healthy = c->index;
			s->first_healthy_frame = c->first_frame;
			s->failures_before_healthy = s->failed;
		}
		s->last_healthy = c->index;
	}
	if (failed)
		s->failed++;
	if (incomplete && !healthy && !failed)
		s->incomplete++;
	if (!s->has_worst) {
		for (int i = 0; i < n; i++) {
			if (f[i].severity == SEV_FAILURE ||
			    (f[i].severity == SEV_WARNING && f[i].code != DIAG_RDP_SECURITY_DOWNGRADE)) {
				s->worst = f[i];
				s->has_worst = 1;
				break;
			}
		}
	}
}

static void extra(struct verdict *v, const struct finding *f)
{
	if (v->nextra < 3)
		v->extra[v->nextra++] = *f;
}

/*
 * RESOLUTION_MISMATCH: a DNS answer in the capture points at an address
 * where RDP fails, while RDP works at an address the answer did not give
 * first (a stale A, a dead AAAA answered first).
 */
static int resolution(struct diag_state *d, const struct analysis *a, struct finding *out)
{
	for (int i = 0; i < a->ndns; i++) {
		const struct dns_note *n = &a->dns[i];
		if (!n->m.is_response)
			continue;
		for (int k = 0; k < n->m.answers_stored; k++) {
			const struct dns_answer *an = &n->m.answers[k];
			int v = an->type == 1 ? 4 : an->type == 28 ? 6 : 0;
			if (!v)
				continue;
			for (int j = 0; j < d->nservers; j++) {
				const struct diag_server *bad = &d->servers[j];
				if (bad->ipver != v || memcmp(bad->addr, an->addr, v == 4 ? 4 : 16) ||
				    !bad->failed || bad->healthy)
					continue;
				/* A working server elsewhere, on the same port. */
				for (int w = 0; w < d->nservers; w++) {
					const struct diag_server *good = &d->servers[w];
					if (!good->healthy || good->port != bad->port || good == bad)
						continue;
					char ba[64], ga[64];
					memset(out, 0, sizeof *out);
					out->code = DIAG_RESOLUTION_MISMATCH;
					out->severity = SEV_FAILURE;
					out->confidence = 85;
					out->conn = bad->worst.conn;
					frame(out, n->frame);
					frame(out, bad->worst.nframes ? bad->worst.frames[0] : 0);
					frame(out, good->first_healthy_frame);
					fact(out, "DNS (frame %llu) answers %s %s %s; RDP to that address fails "
						  "(%s, connection %u)",
					     (unsigned long long)n->frame, n->m.qname, v == 4 ? "A" : "AAAA",
					     addr_str(v, bad->addr, ba, sizeof ba),
					     diag_code_name(bad->worst.code), bad->worst.conn);
					fact(out, "RDP works at %s (connection %u, frame %llu)",
					     addr_str(good->ipver, good->addr, ga, sizeof ga),
					     good->first_healthy, (unsigned long long)good->first_healthy_frame);
					return 1;
				}
			}
		}
	}
	return 0;
}

static int srv_cmp_more(const struct diag_server *x, const struct diag_server *y)
{
	return x->connections > y->connections;
}

int diag_verdicts(struct diag_state *d, const struct analysis *a, struct verdict *out, int max)
{
	int n = 0;
	struct finding res;
	int have_res = resolution(d, a, &res);

	/* Servers by number of connections, most first (stable). */
	int order[DIAG_SERVERS_MAX];
	for (int i = 0; i < d->nservers; i++)
		order[i] = i;
	for (int i = 1; i < d->nservers; i++)
		for (int j = i; j > 0 && srv_cmp_more(&d->servers[order[j]], &d->servers[order[j - 1]]); j--) {
			int t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (int oi = 0; oi < d->nservers && n < max; oi++) {
		struct diag_server *s = &d->servers[order[oi]];
		struct verdict *v = &out[n++];
		memset(v, 0, sizeof *v);
		v->server = s;
		if (s->healthy && !s->failed) {
			v->main.code = DIAG_HEALTHY;
			v->main.severity = SEV_OK;
			v->main.confidence = 90;
			v->main.conn = s->first_healthy;
			frame(&v->main, s->first_healthy_frame);
			fact(&v->main, "%u connection%s, %u complete", s->connections,
			     s->connections == 1 ? "" : "s", s->healthy);
			if (s->has_worst && s->worst.severity == SEV_WARNING)
				extra(v, &s->worst);
		} else if (s->healthy && s->failed) {
			/* Failed, then worked: a retry or a fallback recovered. */
			v->main.code = DIAG_HEALTHY;
			v->main.severity = SEV_OK;
			v->main.confidence = 80;
			v->main.conn = s->first_healthy;
			v->recovered = 1;
			frame(&v->main, s->first_healthy_frame);
			fact(&v->main, "recovered: connection %u failed (%s), connection %u then completed",
			     s->worst.conn, diag_code_name(s->worst.code), s->first_healthy);
			extra(v, &s->worst);
			v->extra[v->nextra - 1].severity = SEV_INFO;
		} else if (s->has_worst) {
			v->main = s->worst;
		} else if (s->connections || s->has_udp) {
			if (s->connections) {
				v->main.code = DIAG_CAPTURE_INCOMPLETE;
				v->main.severity = SEV_INFO;
				v->main.confidence = 50;
				fact(&v->main, "%u connection%s, none that can be judged", s->connections,
				     s->connections == 1 ? "" : "s");
			} else {
				v->main = s->udp_worst; /* only RDP-UDP was seen */
			}
		} else if (s->udp_healthy) {
			/* RDP-UDP only, and it worked. */
			v->main.code = DIAG_HEALTHY;
			v->main.severity = SEV_OK;
			v->main.confidence = 80;
			fact(&v->main, "RDP-UDP handshake completed");
		} else {
			v->main.code = DIAG_CAPTURE_INCOMPLETE;
			v->main.severity = SEV_INFO;
			v->main.confidence = 60;
			fact(&v->main, "RDP-UDP seen only in the middle of a connection: its handshake "
				       "cannot be judged");
		}
		if (s->downgrade)
			extra(v, &s->downgrade_finding);
		if (s->has_udp && v->main.code != s->udp_worst.code) {
			extra(v, &s->udp_worst);
			if (s->healthy)
				fact(&v->extra[v->nextra - 1], "RDP falls back to TCP (a healthy TCP "
							       "connection is in the capture); disable "
							       "UDP on the client to avoid the delay");
		}
		if (have_res && s->worst.conn == res.conn && !s->healthy) {
			/* The server failing is the wrong one: the cause is the name. */
			extra(v, &v->main);
			v->main = res;
			have_res = 0;
		}
	}
	if (have_res && n < max) {
		struct verdict *v = &out[n++];
		memset(v, 0, sizeof *v);
		v->main = res;
	}
	if (a->cap.read_error && n < max) {
		struct verdict *v = &out[n++];
		memset(v, 0, sizeof *v);
		v->main.code = DIAG_CAPTURE_INCOMPLETE;
		v->main.severity = SEV_INFO;
		v->main.confidence = 100;
		fact(&v->main, "%s", a->cap.read_error_text);
	}
	/*
	 * The most severe first: the report's first line is the cause to fix.
	 * "Cannot be judged" ranks below healthy: it is not a cause.
	 */
	static const int rank[SEV_COUNT] = {[SEV_OK] = 1, [SEV_INFO] = 0, [SEV_WARNING] = 2,
					    [SEV_FAILURE] = 3};
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0; j--) {
			const struct verdict *x = &out[j], *y = &out[j - 1];
			int sx = x->recovered ? rank[SEV_OK] : rank[x->main.severity];
			int sy = y->recovered ? rank[SEV_OK] : rank[y->main.severity];
			if (sx <= sy)
				break;
			struct verdict t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

int diag_found(const struct diag_state *d, const struct verdict *v, int nv, enum diag_code c)
{
	if ((unsigned)c >= DIAG_CODE_COUNT)
		return 0;
	if (d->counts[c])
		return 1;
	for (int i = 0; i < nv; i++) {
		if (v[i].main.code == c)
			return 1;
		for (int k = 0; k < v[i].nextra; k++)
			if (v[i].extra[k].code == c)
				return 1;
	}
	return 0;
}

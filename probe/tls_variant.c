/*
 * tls_variant.c - the tls variant: X.224 requesting PROTOCOL_SSL, then an
 * OpenSSL handshake on the same socket, once with TLS 1.2 as the highest
 * version and once with TLS 1.3 only.  Reports version, cipher and the
 * server certificate (x509_parse_der).  No verification, security level 0
 * so that old servers still answer: this is a diagnosis, not a session.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "conn.h"
#include "net.h"
#include "tls.h"
#include "x224.h"
#include "x509.h"

void probe_run_tls(const struct probe_opts *o, struct probe_result *r);

/* SSLKEYLOGFILE lines go here (the child owns it; -1 when not asked). */
static int keylog_fd = -1;

static void keylog_cb(const SSL *ssl, const char *line)
{
	(void)ssl;
	if (keylog_fd < 0)
		return;
	size_t n = strlen(line);
	/* One write per line so that both attempts' lines stay whole. */
	char buf[1024];
	if (n + 1 > sizeof buf)
		return;
	memcpy(buf, line, n);
	buf[n] = '\n';
	if (write(keylog_fd, buf, n + 1) < 0)
		return;
}

/* The alert the server sent, seen through the info callback. */
struct alert_seen {
	int received;
	uint8_t desc;
};

static void info_cb(const SSL *ssl, int where, int ret)
{
	struct alert_seen *a = SSL_get_app_data(ssl);
	if (a && (where & SSL_CB_READ_ALERT) && !a->received) {
		a->received = 1;
		a->desc = (uint8_t)(ret & 0xff);
	}
}

static void attempt_layer(struct probe_tls_attempt *a, enum stage s)
{
	str_copy(a->layer, sizeof a->layer, stage_name(s));
}

static void attempt_error(struct probe_tls_attempt *a, int code, const char *name,
			  const char *detail)
{
	if (code == ETIMEDOUT)
		a->outcome = PROBE_TIMEOUT;
	a->error_code = code;
	str_copy(a->error_name, sizeof a->error_name, name);
	if (detail)
		str_copy(a->detail, sizeof a->detail, detail);
}

static void store_cert(SSL *ssl, struct probe_tls_attempt *a)
{
	X509 *x = SSL_get1_peer_certificate(ssl);
	unsigned char *der = NULL;
	if (!x)
		return;
	int n = i2d_X509(x, &der);
	if (n > 0 && x509_parse_der(der, (size_t)n, &a->cert) == DEC_OK)
		a->have_cert = 1;
	OPENSSL_free(der);
	X509_free(x);
}

/*
 * Reported, never a reason to fail (security level 0 lets old servers
 * answer): protocols before TLS 1.2, RC4 / DES / 3DES / NULL / export
 * ciphers, and the certificate's weak key or signature (x509_weakness).
 */
static void judge_weakness(struct probe_tls_attempt *a)
{
	static const char *const weak_ciphers[] = {"RC4", "DES", "NULL", "EXP", "anon"};
	a->weak[0] = '\0';
	if (!strcmp(a->version, "SSLv3") || !strcmp(a->version, "TLSv1") ||
	    !strcmp(a->version, "TLSv1.1"))
		str_appendf(a->weak, sizeof a->weak, "%s", a->version);
	for (size_t i = 0; i < sizeof weak_ciphers / sizeof weak_ciphers[0]; i++)
		if (strstr(a->cipher, weak_ciphers[i])) {
			str_appendf(a->weak, sizeof a->weak, "%s%s cipher", a->weak[0] ? "; " : "",
				    a->cipher);
			break;
		}
	if (a->have_cert) {
		char w[160];
		if (x509_weakness(&a->cert, w, sizeof w)[0])
			str_appendf(a->weak, sizeof a->weak, "%s%s", a->weak[0] ? "; " : "", w);
	}
}

void probe_tls_attempt(const struct probe_opts *o, const struct probe_target *t, int tls13,
		       int64_t deadline, struct probe_tls_attempt *a)
{
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	int fd = -1, err = 0, ssl_err = 0;
	struct alert_seen alert = {0, 0};
	struct probe_x224_row row;

	str_copy(a->label, sizeof a->label, tls13 ? "tls1.3" : "tls1.2");
	a->ms_connect = a->ms_x224 = a->ms_tls = PROBE_MS_NONE;
	a->outcome = PROBE_FAILED;
	attempt_layer(a, STAGE_TCP_SYN);

	int64_t t0 = probe_now_ms();
	char label[PROBE_CONN_LABEL_MAX];
	if (t->mss)
		snprintf(label, sizeof label, "mss %d", t->mss);
	else
		snprintf(label, sizeof label, "%s", a->label);
	probe_conn_label(label);
	fd = probe_tcp_connect(t, deadline, &err);
	if (fd < 0) {
		if (err == ECONNREFUSED)
			attempt_layer(a, STAGE_TCP_RESET);
		attempt_error(a, err, probe_errno_name(err), strerror(err));
		goto out;
	}
	a->ms_connect = (int32_t)(probe_now_ms() - t0);
	socklen_t sl = sizeof a->mss;
	if (getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &a->mss, &sl) < 0)
		a->mss = 0;
	attempt_layer(a, STAGE_X224_REQUEST);

	/*
	 * SSL|HYBRID as mstsc asks: TLS comes first either way, and a server
	 * that requires NLA still shows its certificate.
	 */
	memset(&row, 0, sizeof row);
	err = probe_x224_exchange(fd, PROTOCOL_SSL | PROTOCOL_HYBRID, deadline, &row);
	if (err) {
		attempt_error(a, err, probe_err_name(err), "no X.224 Connection Confirm");
		goto out;
	}
	a->ms_x224 = row.ms;
	attempt_layer(a, row.neg_type == NEG_FAILURE ? STAGE_X224_FAILURE : STAGE_X224_CONFIRM);
	if (row.neg_type == NEG_FAILURE) {
		attempt_error(a, (int)row.failure_code, x224_failure_name(row.failure_code),
			      "server refused SSL|HYBRID (RDP_NEG_FAILURE)");
		goto out;
	}
	if (row.neg_type != NEG_RSP ||
	    (row.selected != PROTOCOL_SSL && row.selected != PROTOCOL_HYBRID &&
	     row.selected != PROTOCOL_HYBRID_EX)) {
		char buf[40];
		snprintf(a->detail, sizeof a->detail, "server selected %s instead of TLS",
			 row.neg_type == NEG_RSP ? x224_protocols_str(row.selected, buf, sizeof buf)
						 : "standard RDP security (legacy confirm)");
		attempt_error(a, 0, "SSL_NOT_SELECTED", NULL);
		goto out;
	}

	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		a->outcome = PROBE_ERROR;
		attempt_error(a, 0, "OPENSSL_SETUP", "SSL_CTX_new failed");
		goto out;
	}
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT);
	SSL_CTX_set_min_proto_version(ctx, tls13 ? TLS1_3_VERSION : TLS1_VERSION);
	SSL_CTX_set_max_proto_version(ctx, tls13 ? TLS1_3_VERSION : TLS1_2_VERSION);
	if (!tls13)
		SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
	SSL_CTX_set_info_callback(ctx, info_cb);
	if (keylog_fd >= 0)
		SSL_CTX_set_keylog_callback(ctx, keylog_cb);
	ssl = SSL_new(ctx);
	if (!ssl || !SSL_set_fd(ssl, fd)) {
		a->outcome = PROBE_ERROR;
		attempt_error(a, 0, "OPENSSL_SETUP", "SSL_new failed");
		goto out;
	}
	SSL_set_app_data(ssl, &alert);
	/* SNI as mstsc sends it: the name, never an address literal. */
	if (strcmp(o->host, t->text) && strlen(o->host) < 254)
		SSL_set_tlsext_host_name(ssl, o->host);

	attempt_layer(a, STAGE_TLS_CLIENT_HELLO);
	int64_t t1 = probe_now_ms();
	err = probe_tls_handshake(ssl, fd, deadline, &ssl_err);
	if (err) {
		char why[160] = "";
		unsigned long e = ERR_peek_error();
		if (e)
			ERR_error_string_n(e, why, sizeof why);
		if (alert.received) {
			snprintf(a->detail, sizeof a->detail, "server sent TLS alert %u (%s)%s%s",
				 alert.desc, tls_alert_name(alert.desc), why[0] ? ": " : "", why);
			attempt_error(a, alert.desc, tls_alert_name(alert.desc), NULL);
		} else if (err == ETIMEDOUT) {
			attempt_error(a, ETIMEDOUT, "ETIMEDOUT", "TLS handshake did not finish in time");
		} else if (ssl_err == SSL_ERROR_SYSCALL && errno) {
			attempt_error(a, errno, probe_errno_name(errno), "connection lost during TLS handshake");
		} else if (ssl_err == SSL_ERROR_SYSCALL || ssl_err == SSL_ERROR_ZERO_RETURN) {
			attempt_error(a, PROBE_ERR_EOF, "EOF", "server closed during the TLS handshake");
		} else {
			attempt_error(a, ssl_err, "TLS_HANDSHAKE_FAILED", why[0] ? why : "handshake failed");
		}
		goto out;
	}
	a->ms_tls = (int32_t)(probe_now_ms() - t1);
	a->outcome = PROBE_OK;
	attempt_layer(a, STAGE_TLS_ESTABLISHED);
	str_copy(a->version, sizeof a->version, SSL_get_version(ssl));
	str_copy(a->cipher, sizeof a->cipher, SSL_get_cipher_name(ssl));
	store_cert(ssl, a);
	judge_weakness(a);
	SSL_shutdown(ssl); /* best effort close_notify; never waits (non-blocking) */
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
}

/*
 * The certificate as a client would judge it.  Expired and not yet valid
 * make the variant FAILED (mstsc and FreeRDP refuse or warn); a name
 * mismatch is a finding on an OK handshake.
 */
static void judge_cert(const struct probe_opts *o, const struct cert_info *c,
		       struct probe_result *r)
{
	char why[PROBE_DETAIL_MAX];
	enum diag_code d = probe_cert_finding(o, c, why, sizeof why);
	if (d == DIAG_HEALTHY)
		return;
	r->finding = d;
	str_appendf(r->detail, sizeof r->detail, "; %s", why);
	if (d != DIAG_TLS_CERT_NAME_MISMATCH) {
		r->outcome = PROBE_FAILED;
		probe_set_error(r, 0, diag_code_name(d));
	}
}

void probe_run_tls(const struct probe_opts *o, struct probe_result *r)
{
	struct probe_target t[1];

	str_copy(r->layer, sizeof r->layer, stage_name(STAGE_NONE));
	if (probe_pick_target(o, &t[0], r) < 0) {
		r->outcome = PROBE_FAILED;
		return;
	}
	if (o->keylog[0]) {
		keylog_fd = open(o->keylog, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (keylog_fd < 0) {
			r->outcome = PROBE_ERROR;
			probe_set_error(r, errno, probe_errno_name(errno));
			snprintf(r->detail, sizeof r->detail, "--keylog %.150s: %.80s", o->keylog,
				 strerror(errno));
			return;
		}
	}
	for (int i = 0; i < PROBE_TLS_ATTEMPTS; i++) {
		int64_t now = probe_now_ms();
		probe_tls_attempt(o, &t[0], i == 1,
				  now + (o->deadline_ms - now) / (PROBE_TLS_ATTEMPTS - i),
				  &r->tls[r->ntls++]);
	}
	if (keylog_fd >= 0)
		close(keylog_fd);
	keylog_fd = -1;

	/* The summary row: the first attempt that worked, else the first one. */
	const struct probe_tls_attempt *best = &r->tls[0];
	for (int i = 0; i < r->ntls; i++)
		if (r->tls[i].outcome == PROBE_OK) {
			best = &r->tls[i];
			break;
		}
	r->ms_connect = best->ms_connect;
	r->ms_x224 = best->ms_x224;
	r->ms_tls = best->ms_tls;
	r->outcome = best->outcome;
	if (best->outcome == PROBE_OK) {
		str_copy(r->layer, sizeof r->layer, stage_name(STAGE_TLS_ESTABLISHED));
		snprintf(r->detail, sizeof r->detail, "%s %s", best->version, best->cipher);
		const struct probe_tls_attempt *other = &r->tls[best == &r->tls[0] ? 1 : 0];
		if (other->outcome != PROBE_OK)
			str_appendf(r->detail, sizeof r->detail, "; %s: %s", other->label,
				    other->error_name);
		if (best->weak[0])
			str_appendf(r->detail, sizeof r->detail, "; weak: %s", best->weak);
		if (best->have_cert)
			judge_cert(o, &best->cert, r);
		return;
	}
	probe_set_error(r, best->error_code, best->error_name);
	str_copy(r->detail, sizeof r->detail, best->detail);
	str_copy(r->layer, sizeof r->layer, best->layer);
	/* Refused at X.224 or below is the policy's or TCP's business, not TLS's. */
	if (!strcmp(best->layer, stage_name(STAGE_TLS_CLIENT_HELLO)) && best->outcome == PROBE_FAILED)
		r->finding = DIAG_TLS_HANDSHAKE_FAILED;
}

/*
 * ntlm_variant.c - the ntlm-info variant: X.224 asking SSL|HYBRID, TLS,
 * then one CredSSP TSRequest carrying an NTLM NEGOTIATE_MESSAGE.  The
 * server's CHALLENGE_MESSAGE names the machine (NetBIOS and DNS computer
 * name, domain, forest) and its OS build before any credential is sent,
 * as nmap's rdp-ntlm-info shows them.  Here they also feed the name check:
 * the name the user probed, the certificate's names, the NTLM DNS name.
 *
 * No credential is ever sent: the probe stops after the CHALLENGE, so no
 * logon is attempted and no account can be locked out.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "conn.h"
#include "diagnosis.h"
#include "net.h"
#include "ntlm.h"
#include "x224.h"
#include "x509.h"

void probe_run_ntlm_info(const struct probe_opts *o, struct probe_result *r);

/* An OpenSSL-level failure (alert, bad record) in tls_io(); errno values are positive. */
#define ERR_TLS (-2)
#define TLS_IO_ROUNDS_MAX 10000

static void set_layer(struct probe_result *r, enum stage s)
{
	str_copy(r->layer, sizeof r->layer, stage_name(s));
}

static void fail(struct probe_result *r, enum probe_outcome oc, int code, const char *name,
		 const char *detail)
{
	r->outcome = oc;
	probe_set_error(r, code, name);
	str_copy(r->detail, sizeof r->detail, detail);
}

static const char *io_err_name(int e)
{
	return e == ERR_TLS ? "TLS_ERROR" : probe_err_name(e);
}

/* What OpenSSL said last ("" when nothing). */
static void ssl_why(char *buf, size_t cap)
{
	unsigned long e = ERR_peek_last_error();
	buf[0] = '\0';
	if (e)
		ERR_error_string_n(e, buf, cap);
}

/*
 * One SSL_write or SSL_read on the non-blocking socket, retried until it
 * moves bytes or the deadline passes.  Returns the byte count (> 0), or
 * minus an errno / PROBE_ERR_EOF / ERR_TLS in *err with 0.
 */
static int tls_io(SSL *ssl, int fd, int writing, void *buf, int n, int64_t deadline, int *err)
{
	*err = 0;
	for (int i = 0; i < TLS_IO_ROUNDS_MAX; i++) {
		ERR_clear_error();
		errno = 0;
		int k = writing ? SSL_write(ssl, buf, n) : SSL_read(ssl, buf, n);
		if (k > 0)
			return k;
		int e = SSL_get_error(ssl, k);
		short ev;
		if (e == SSL_ERROR_WANT_READ) {
			ev = POLLIN;
		} else if (e == SSL_ERROR_WANT_WRITE) {
			ev = POLLOUT;
		} else {
			if (e == SSL_ERROR_ZERO_RETURN)
				*err = PROBE_ERR_EOF;
			else if (e == SSL_ERROR_SYSCALL)
				*err = errno ? errno : PROBE_ERR_EOF;
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
			/* OpenSSL 3 reports a FIN without close_notify as an SSL error. */
			else if (ERR_GET_REASON(ERR_peek_last_error()) ==
				 SSL_R_UNEXPECTED_EOF_WHILE_READING)
				*err = PROBE_ERR_EOF;
#endif
			else
				*err = ERR_TLS;
			return 0;
		}
		int64_t left = deadline - probe_now_ms();
		if (left <= 0)
			break;
		struct pollfd p = {fd, ev, 0};
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR) {
			*err = errno;
			return 0;
		}
	}
	*err = ETIMEDOUT;
	return 0;
}

/*
 * Reads one whole TSRequest into buf (cap bytes at most): its DER header
 * gives the length.  Returns 0 with *len, or an errno / PROBE_ERR_EOF /
 * ERR_TLS; EMSGSIZE when it declares more than cap, EPROTO when the
 * first bytes cannot start a TSRequest.
 */
static int read_tsrequest(SSL *ssl, int fd, uint8_t *buf, size_t cap, size_t *len,
			  int64_t deadline)
{
	size_t got = 0;
	int err = 0;

	*len = 0;
	for (int i = 0; i < TLS_IO_ROUNDS_MAX; i++) {
		size_t total = 0;
		enum dec_status st = got ? credssp_frame_length(buf, got, &total) : DEC_TRUNCATED;
		if (st == DEC_INVALID)
			return EPROTO;
		if (st == DEC_OK && total > cap)
			return EMSGSIZE;
		if (st == DEC_OK && got >= total) {
			*len = total;
			return 0;
		}
		/* Never more than the frame (when known): what follows is not ours. */
		size_t want = (st == DEC_OK ? total : cap) - got;
		int k = tls_io(ssl, fd, 0, buf + got, want > INT32_MAX ? INT32_MAX : (int)want,
			       deadline, &err);
		if (k <= 0)
			return err;
		got += (size_t)k;
	}
	return ETIMEDOUT;
}

static void store_cert(SSL *ssl, struct probe_ntlm *nt)
{
	X509 *x = SSL_get1_peer_certificate(ssl);
	unsigned char *der = NULL;
	if (!x)
		return;
	int n = i2d_X509(x, &der);
	if (n > 0 && x509_parse_der(der, (size_t)n, &nt->cert) == DEC_OK)
		nt->have_cert = 1;
	OPENSSL_free(der);
	X509_free(x);
}

/* "NetBIOS SRV1 / DNS srv1.example.test, domain EXAMPLE, Windows Server 2019 (10.0.17763)" */
static void summary(const struct ntlm_challenge *ch, char *buf, size_t cap)
{
	char os[96] = "no version";
	const char *domain = ch->nb_domain[0] ? ch->nb_domain : ch->dns_domain;
	if (ch->have_version) {
		char name[64];
		snprintf(os, sizeof os, "%s (%u.%u.%u)",
			 ntlm_os_name(ch->major, ch->minor, ch->build, name, sizeof name), ch->major,
			 ch->minor, ch->build);
	}
	/* Names whole: a cut may only fall at the end, where it is trimmed. */
	int k = snprintf(buf, cap, "NetBIOS %s / DNS %s, domain %s, %s",
			 ch->nb_computer[0] ? ch->nb_computer : "-",
			 ch->dns_computer[0] ? ch->dns_computer : "-", domain[0] ? domain : "-", os);
	if (k < 0 || (size_t)k >= cap)
		ntlm_utf8_trim(buf);
}

/*
 * The name check: o->host (a name, not an address) against the NTLM DNS
 * computer name (a short name matching its first label counts; the
 * NetBIOS name when the server gave no DNS name) and the certificate.
 * Neither: TLS_CERT_NAME_MISMATCH, the warning a client shows.
 */
static void check_names(const struct probe_opts *o, struct probe_result *r)
{
	struct probe_ntlm *nt = &r->ntlm;
	const char *ntlm_name = nt->ch.dns_computer[0] ? nt->ch.dns_computer : nt->ch.nb_computer;

	if (!o->host[0] || diag_is_ip_literal(o->host))
		return;
	nt->names_checked = 1;
	nt->host_matches_ntlm = ntlm_name_matches(o->host, ntlm_name, 1);
	nt->host_in_cert = nt->have_cert && diag_cert_covers(&nt->cert, o->host);
	if (nt->host_matches_ntlm || nt->host_in_cert)
		return;
	r->finding = DIAG_TLS_CERT_NAME_MISMATCH;
	size_t n = strlen(r->detail);
	int k = snprintf(r->detail + n, sizeof r->detail - n,
			 "; %s is neither the NTLM computer name nor in the certificate", o->host);
	if (k < 0 || (size_t)k >= sizeof r->detail - n)
		ntlm_utf8_trim(r->detail);
}

void probe_run_ntlm_info(const struct probe_opts *o, struct probe_result *r)
{
	struct probe_ntlm *nt = &r->ntlm;
	struct probe_target t[1];
	struct probe_x224_row row;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	int fd = -1, err = 0, ssl_err = 0;
	uint8_t req[128], in[CREDSSP_TSREQUEST_MAX];
	char why[160], buf[PROBE_DETAIL_MAX];

	nt->used = 1;
	set_layer(r, STAGE_NONE);
	if (probe_pick_target(o, &t[0], r) < 0) {
		r->outcome = PROBE_FAILED;
		return;
	}

	set_layer(r, STAGE_TCP_SYN);
	int64_t t0 = probe_now_ms();
	fd = probe_tcp_connect(&t[0], o->deadline_ms, &err);
	if (fd < 0) {
		if (err == ECONNREFUSED)
			set_layer(r, STAGE_TCP_RESET);
		fail(r, err == ETIMEDOUT ? PROBE_TIMEOUT : PROBE_FAILED, err, probe_errno_name(err),
		     strerror(err));
		goto out;
	}
	r->ms_connect = (int32_t)(probe_now_ms() - t0);

	set_layer(r, STAGE_X224_REQUEST);
	memset(&row, 0, sizeof row);
	err = probe_x224_exchange(fd, PROTOCOL_SSL | PROTOCOL_HYBRID, o->deadline_ms, &row);
	if (err) {
		fail(r, err == ETIMEDOUT ? PROBE_TIMEOUT : PROBE_FAILED, err, probe_err_name(err),
		     "no X.224 Connection Confirm");
		goto out;
	}
	r->ms_x224 = row.ms;
	if (row.neg_type == NEG_FAILURE) {
		set_layer(r, STAGE_X224_FAILURE);
		snprintf(buf, sizeof buf, "server does not offer NLA: RDP_NEG_FAILURE %s (%u)",
			 x224_failure_name(row.failure_code), row.failure_code);
		fail(r, PROBE_SKIPPED, (int)row.failure_code, x224_failure_name(row.failure_code),
		     buf);
		goto out;
	}
	set_layer(r, STAGE_X224_CONFIRM);
	if (row.neg_type != NEG_RSP ||
	    (row.selected != PROTOCOL_HYBRID && row.selected != PROTOCOL_HYBRID_EX)) {
		char pn[40];
		snprintf(buf, sizeof buf, "server does not offer NLA: selected %s",
			 row.neg_type == NEG_RSP ? x224_protocols_str(row.selected, pn, sizeof pn)
						 : "standard RDP security (legacy confirm)");
		r->outcome = PROBE_SKIPPED;
		str_copy(r->detail, sizeof r->detail, buf);
		goto out;
	}

	/* As tls_variant.c: no verification, security level 0, any version. */
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		fail(r, PROBE_ERROR, 0, "OPENSSL_SETUP", "SSL_CTX_new failed");
		goto out;
	}
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT);
	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
	ssl = SSL_new(ctx);
	if (!ssl || !SSL_set_fd(ssl, fd)) {
		fail(r, PROBE_ERROR, 0, "OPENSSL_SETUP", "SSL_new failed");
		goto out;
	}
	if (!diag_is_ip_literal(o->host) && strlen(o->host) < 254)
		SSL_set_tlsext_host_name(ssl, o->host);

	set_layer(r, STAGE_TLS_CLIENT_HELLO);
	int64_t t1 = probe_now_ms();
	err = probe_tls_handshake(ssl, fd, o->deadline_ms, &ssl_err);
	if (err) {
		int sys = errno;
		ssl_why(why, sizeof why);
		if (err == ETIMEDOUT)
			fail(r, PROBE_TIMEOUT, ETIMEDOUT, "ETIMEDOUT", "TLS handshake did not finish in time");
		else if (ssl_err == SSL_ERROR_SYSCALL && sys)
			fail(r, PROBE_FAILED, sys, probe_errno_name(sys),
			     "connection lost during the TLS handshake");
		else if (ssl_err == SSL_ERROR_SYSCALL || ssl_err == SSL_ERROR_ZERO_RETURN)
			fail(r, PROBE_FAILED, PROBE_ERR_EOF, "EOF", "server closed during the TLS handshake");
		else
			fail(r, PROBE_FAILED, ssl_err, "TLS_HANDSHAKE_FAILED",
			     why[0] ? why : "handshake failed");
		goto out;
	}
	r->ms_tls = (int32_t)(probe_now_ms() - t1);
	set_layer(r, STAGE_TLS_ESTABLISHED);
	str_copy(nt->tls_version, sizeof nt->tls_version, SSL_get_version(ssl));
	store_cert(ssl, nt);

	size_t n = credssp_build_ntlm_negotiate(req, sizeof req);
	if (!n || !tls_io(ssl, fd, 1, req, (int)n, o->deadline_ms, &err)) {
		ssl_why(why, sizeof why);
		snprintf(buf, sizeof buf, "cannot send the CredSSP NEGOTIATE%s%s", why[0] ? ": " : "",
			 why);
		fail(r, err == ETIMEDOUT ? PROBE_TIMEOUT : PROBE_FAILED, err, io_err_name(err), buf);
		goto out;
	}
	size_t len = 0;
	err = read_tsrequest(ssl, fd, in, sizeof in, &len, o->deadline_ms);
	if (err) {
		ssl_why(why, sizeof why);
		const char *what = err == PROBE_ERR_EOF ? "server closed after the NTLM NEGOTIATE"
				 : err == ETIMEDOUT	? "no CredSSP answer in time"
				 : err == EMSGSIZE	? "the server's TSRequest is longer than 16 KiB"
				 : err == EPROTO	? "the server's answer is not a TSRequest"
							: "no CredSSP answer";
		snprintf(buf, sizeof buf, "%s%s%s", what, why[0] ? ": " : "", why);
		fail(r, err == ETIMEDOUT ? PROBE_TIMEOUT : PROBE_FAILED, err, io_err_name(err), buf);
		goto out;
	}
	set_layer(r, STAGE_TLS_DATA);

	struct credssp_tsrequest ts;
	const char *w = NULL;
	struct cur c = cur_make(in, len);
	enum dec_status st = credssp_parse_tsrequest(&c, &ts, &w);
	if (st != DEC_OK) {
		snprintf(buf, sizeof buf, "TSRequest %s: %s", dec_status_name(st), w ? w : "?");
		fail(r, PROBE_FAILED, (int)st, "CREDSSP_MALFORMED", buf);
		goto out;
	}
	nt->have_tsrequest = 1;
	nt->credssp_version = ts.version;
	nt->have_error_code = ts.have_error_code;
	nt->error_code = ts.error_code;
	if (!ts.token) {
		if (ts.have_error_code)
			snprintf(buf, sizeof buf,
				 "CredSSP v%u answered errorCode 0x%08X and no NTLM token", ts.version,
				 ts.error_code);
		else
			snprintf(buf, sizeof buf, "CredSSP v%u answered without a negoToken",
				 ts.version);
		fail(r, PROBE_FAILED, ts.have_error_code ? (int)ts.error_code : 0,
		     ts.have_error_code ? "CREDSSP_ERROR" : "NO_NEGO_TOKEN", buf);
		goto out;
	}
	c = cur_make(ts.token, ts.token_len);
	st = ntlm_parse_challenge(&c, &nt->ch, &w);
	if (st != DEC_OK) {
		snprintf(buf, sizeof buf, "NTLM CHALLENGE %s: %s", dec_status_name(st), w ? w : "?");
		fail(r, PROBE_FAILED, (int)st, "NTLM_MALFORMED", buf);
		goto out;
	}
	nt->have_challenge = 1;
	str_copy(r->layer, sizeof r->layer, "credssp");
	r->outcome = PROBE_OK;
	summary(&nt->ch, r->detail, sizeof r->detail);
	check_names(o, r);
	/* Best-effort close_notify: the server waits for an AUTHENTICATE that never comes. */
	SSL_shutdown(ssl);
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
}

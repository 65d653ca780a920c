/*
 * freerdp_variant.c - freerdp-tls, freerdp-rdp, freerdp-nla: one real
 * libfreerdp2 connection each, with exactly one security layer allowed, so
 * that the probe sees what a FreeRDP client sees (LAB-NOTES.md, "libfreerdp2
 * (2.11.7) as a library").
 *
 * Headless (no GDI): freerdp_connect, then freerdp_disconnect at once.  No
 * prompt ever: the Authenticate callback says no (no credentials yet), the
 * certificate is recorded by VerifyX509Certificate and accepted for this
 * session only, ConfigPath is a private temporary directory removed at the
 * end, WLog is off.
 *
 * Built only with freerdp2-dev (RDPROBE_HAVE_FREERDP, CMakeLists.txt).
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <freerdp/error.h>
#include <freerdp/event.h>
#include <freerdp/freerdp.h>
#include <freerdp/settings.h>
#include <winpr/wlog.h>

#include "conn.h"
#include "net.h"
#include "x509.h"

void probe_run_freerdp_tls(const struct probe_opts *o, struct probe_result *r);
void probe_run_freerdp_rdp(const struct probe_opts *o, struct probe_result *r);
void probe_run_freerdp_nla(const struct probe_opts *o, struct probe_result *r);

enum fr_layer { FR_RDP, FR_TLS, FR_NLA };

/* Largest PEM certificate we parse (the callback's length comes from FreeRDP). */
#define FR_PEM_MAX (64 * 1024)
/* TcpConnectTimeout is capped by what is left of the deadline, at least this. */
#define FR_CONNECT_TIMEOUT_MIN_MS 500

/* The child runs one connection: its state is process-wide. */
static struct {
	struct probe_result *r;
	char config_dir[512];      /* "" when not created */
	int64_t t0;
	int nla;
	freerdp *instance;         /* during freerdp_connect only */
	char state[40];            /* furthest CONNECTION_STATE_ suffix logged */
	int nego_answered;         /* an X.224 Connection Confirm was read */
	int tcp_up;                /* the X.224 request was about to be sent */
	char layer[40];            /* state, lower case with hyphens */
	const struct probe_opts *opts;
	int have_creds;            /* a user and a password were given */
} fr;

/* ConfigPath holds certs/ and server/ (and maybe known_hosts2): all ours. */
static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_config_dir(void)
{
	if (!fr.config_dir[0])
		return;
	nftw(fr.config_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	fr.config_dir[0] = '\0';
}

/* True past CONNECTION_STATE_NEGO; fr.layer is then "mcs-connect", "nla", ... */
static int state_past_nego(void)
{
	size_t i;
	if (!fr.state[0] || !strcmp(fr.state, "NEGO") || !strcmp(fr.state, "INITIAL"))
		return 0;
	for (i = 0; fr.state[i] && i + 1 < sizeof fr.layer; i++) {
		char c = fr.state[i];
		fr.layer[i] = c == '_' ? '-' : (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	fr.layer[i] = '\0';
	return 1;
}

/*
 * Layer reached, from the error alone (LAB-NOTES: the state is reset after a
 * failed connect and ConnectionStateChange is never published in 2.11).
 */
static const char *layer_of(uint32_t err, int nla)
{
	if (err == FREERDP_ERROR_SUCCESS)
		return "mcs-connected";
	if ((err & 0xFFFF0000u) == (FREERDP_ERROR_ERRINFO_CLASS << 16))
		return state_past_nego() ? fr.layer : "server-error-info";
	switch (err) {
	case FREERDP_ERROR_CONNECT_FAILED:
	case FREERDP_ERROR_DNS_ERROR:
	case FREERDP_ERROR_DNS_NAME_NOT_FOUND:
		return "tcp";
	case FREERDP_ERROR_SECURITY_NEGO_CONNECT_FAILED:
		return "negotiation";
	case FREERDP_ERROR_TLS_CONNECT_FAILED:
		return "tls";
	case FREERDP_ERROR_CONNECT_TRANSPORT_FAILED:
		/* Past negotiation: the state FreeRDP logged; before: tcp, tls or nla. */
		if (state_past_nego())
			return fr.layer;
		if (!fr.nego_answered)
			return "tcp";
		return nla ? "nla" : fr.r->fr.certs_seen ? "tls-established" : "tls";
	case FREERDP_ERROR_CONNECT_NO_OR_MISSING_CREDENTIALS:
	case FREERDP_ERROR_AUTHENTICATION_FAILED:
	case FREERDP_ERROR_CONNECT_LOGON_FAILURE:
	case FREERDP_ERROR_CONNECT_WRONG_PASSWORD:
	case FREERDP_ERROR_CONNECT_ACCESS_DENIED:
	case FREERDP_ERROR_CONNECT_ACCOUNT_LOCKED_OUT:
		return "nla";
	default:
		return "unknown";
	}
}

/*
 * FreeRDP's own sockets: every TCP socket of this child connected to the
 * target, by its local port (for diagnose).  Only async-signal-safe calls
 * (getsockopt, getpeername, getsockname): on_deadline uses it too.
 */
#define FR_FD_SCAN_MAX 256
static void note_sockets(void)
{
	for (int fd = 3; fd < FR_FD_SCAN_MAX; fd++) {
		int type = 0;
		socklen_t sl = sizeof type;
		struct sockaddr_storage peer;
		socklen_t pl = sizeof peer;
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &sl) < 0 || type != SOCK_STREAM ||
		    getpeername(fd, (struct sockaddr *)&peer, &pl) < 0)
			continue;
		probe_conn_note(fd, IPPROTO_TCP);
	}
}

/*
 * FreeRDP has no timeout of its own once TCP is up (LAB-NOTES: the TLS
 * loop): at the child's deadline SIGALRM ends it with what is known, a
 * little before the runner's SIGKILL, so that the temporary ConfigPath
 * is removed too.  Only async-signal-safe calls below (str_copy is
 * strlen + memcpy; rmdir, unlink, write, _exit).
 */
static char fr_sub[2][sizeof fr.config_dir + 16]; /* ConfigPath/certs, ConfigPath/server */

static void on_deadline(int sig)
{
	struct probe_result *r = fr.r;
	(void)sig;
	r->outcome = PROBE_TIMEOUT;
	r->error_code = ETIMEDOUT;
	str_copy(r->error_name, sizeof r->error_name, "DEADLINE");
	str_copy(r->detail, sizeof r->detail,
		 "libfreerdp did not return before the deadline (it has no timeout of its own)");
	r->fr.used = 1;
	r->fr.ms = (int32_t)(probe_now_ms() - fr.t0);
	note_sockets();
	if (!state_past_nego())
		str_copy(fr.layer, sizeof fr.layer,
			 !fr.tcp_up	     ? stage_name(STAGE_TCP_SYN)
			 : !fr.nego_answered ? stage_name(STAGE_X224_REQUEST)
			 : fr.nla	     ? "nla"
					     : "tls");
	str_copy(r->layer, sizeof r->layer, fr.layer);
	for (int i = 0; i < 2; i++)
		if (fr_sub[i][0])
			rmdir(fr_sub[i]);
	if (fr.config_dir[0])
		rmdir(fr.config_dir);
	probe_finish_early(r);
}

static void arm_deadline(int64_t deadline)
{
	int64_t left = deadline - probe_now_ms();
	struct itimerval it;
	memset(&it, 0, sizeof it);
	if (left < 1)
		left = 1;
	it.it_value.tv_sec = (time_t)(left / 1000);
	it.it_value.tv_usec = (suseconds_t)(left % 1000) * 1000;
	signal(SIGALRM, on_deadline);
	setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm_deadline(void)
{
	struct itimerval it;
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_REAL, &it, NULL);
	signal(SIGALRM, SIG_DFL);
}

/*
 * Error info codes by which the server refuses the connection itself
 * (MS-RDPBCGR 2.2.5.1.1): DENIED_CONNECTION (0x7, mstsc's 0x904 / extended
 * 0x7), INSUFFICIENT_PRIVILEGES (0x9), FRESH_CREDENTIALS_REQUIRED (0xA).
 * Others (LOGOFF_BY_USER after an empty logon, licensing codes) are
 * reported, not judged.
 */
static int server_refuses(uint32_t info)
{
	return info == 0x7 || info == 0x9 || info == 0xA;
}

/*
 * The finding, if the failure is the host's and not this variant's choice
 * of security layer: the server's error info (0x7: the 0x904/0x7 case), a
 * logon refused with credentials given, a TLS failure, the certificate.
 * Without credentials freerdp-nla stops where the logon would start: it
 * did not fail, it was not tried (SKIPPED).
 */
static void judge(uint32_t err, int connected)
{
	struct probe_result *r = fr.r;
	struct probe_freerdp *f = &r->fr;
	char why[PROBE_DETAIL_MAX];

	if (f->have_error_info && server_refuses(f->error_info)) {
		r->finding = DIAG_SERVER_DENIED;
		return;
	}
	if (!connected && fr.nla && !strcmp(r->layer, "nla")) {
		if (!fr.have_creds) {
			r->outcome = PROBE_SKIPPED;
			snprintf(r->detail, sizeof r->detail,
				 "the server offers NLA; no credentials given (--user), so the logon "
				 "was not tried (0x%08X %s)", err, f->last_error_name);
			return;
		}
		r->finding = DIAG_NLA_FAILED;
		return;
	}
	if (err == FREERDP_ERROR_TLS_CONNECT_FAILED) {
		r->finding = DIAG_TLS_HANDSHAKE_FAILED;
		return;
	}
	if (f->have_cert) {
		enum diag_code d = probe_cert_finding(fr.opts, &f->cert, why, sizeof why);
		if (d != DIAG_HEALTHY) {
			r->finding = d;
			str_appendf(r->detail, sizeof r->detail, "; %s", why);
		}
	}
}

/* Everything known so far into the result (also before an early finish). */
static void fill_result(rdpContext *ctx, int connected, uint32_t err_being_set)
{
	struct probe_result *r = fr.r;
	struct probe_freerdp *f = &r->fr;
	uint32_t err = connected ? FREERDP_ERROR_SUCCESS : freerdp_get_last_error(ctx);
	if (!connected && err == FREERDP_ERROR_SUCCESS)
		err = err_being_set;
	const char *name = freerdp_get_last_error_name(err);
	const char *text = freerdp_get_last_error_string(err);

	f->used = 1;
	f->ms = (int32_t)(probe_now_ms() - fr.t0);
	note_sockets();
	f->last_error = err;
	str_copy(f->last_error_name, sizeof f->last_error_name, name ? name : "?");
	str_copy(f->last_error_string, sizeof f->last_error_string, text ? text : "");
	str_copy(r->layer, sizeof r->layer, layer_of(err, fr.nla));
	if (connected) {
		r->outcome = PROBE_OK;
		r->error_code = 0;
		r->error_name[0] = '\0';
		snprintf(r->detail, sizeof r->detail, "freerdp_connect succeeded in %d ms", f->ms);
	} else {
		r->outcome = PROBE_FAILED;
		probe_set_error(r, (int)err, f->last_error_name);
		snprintf(r->detail, sizeof r->detail, "0x%08X after %d ms: %.120s", err, f->ms,
			 f->last_error_string);
	}
	if (f->have_error_info)
		str_appendf(r->detail, sizeof r->detail, "; error info 0x%X %s", f->error_info,
			    f->error_info_name);
	if (!connected && f->cause[0])
		str_appendf(r->detail, sizeof r->detail, "; %s", f->cause);
	if (f->ended_early)
		str_appendf(r->detail, sizeof r->detail, "; stopped its reconnect");
	judge(err, connected);
}

/*
 * Finishes the child before FreeRDP's silent second connect (LAB-NOTES:
 * after ERRCONNECT_CONNECT_TRANSPORT_FAILED freerdp_connect reconnects
 * once, whatever AutoReconnectionEnabled says; with NLA that would be a
 * second logon).  `err` is the error being set; an earlier one (server
 * error info) is kept, as FreeRDP reports the first.
 */
static void finish_before_reconnect(uint32_t err)
{
	fr.r->fr.ended_early = 1;
	fill_result(fr.instance->context, 0, err);
	remove_config_dir();
	probe_finish_early(fr.r);
}

/*
 * WLog goes to this callback appender and nowhere else, so nothing is
 * printed.  freerdp_set_last_error_ex() logs "freerdp_set_last_error_ex
 * NAME [0x%08X]" at ERROR level just before it sets the code: the one
 * place where the first transport failure can be seen before the
 * reconnect's SYN.
 */
#define FR_TRANSPORT_FAILED_TAG "[0x0002000D]"
#define FR_STATE_TAG "--> CONNECTION_STATE_"
static BOOL log_message(const wLogMessage *m)
{
	if (!fr.instance || !m || !m->TextString)
		return TRUE;
	const char *text = m->TextString, *fn = m->FunctionName ? m->FunctionName : "";
	/*
	 * The furthest state, from the DEBUG line of every transition (2.11
	 * publishes no ConnectionStateChange event), and whether the X.224
	 * negotiation was answered (nego_recv runs only on a confirm).
	 */
	const char *st = strstr(text, FR_STATE_TAG);
	if (st && !strcmp(fn, "rdp_client_transition_to_state") &&
	    strcmp(st + strlen(FR_STATE_TAG), "INITIAL")) /* the reset after a failure */
		str_copy(fr.state, sizeof fr.state, st + strlen(FR_STATE_TAG));
	if (!strncmp(fn, "nego_recv", 9))
		fr.nego_answered = 1;
	/* Logged (DEBUG) just before the X.224 request goes out: TCP is up. */
	if (!strcmp(fn, "nego_send_negotiation_request")) {
		fr.tcp_up = 1;
		note_sockets(); /* before a failure closes it */
	}
	if (m->Level >= WLOG_ERROR && !fr.r->fr.cause[0] && strcmp(fn, "freerdp_set_last_error_ex"))
		snprintf(fr.r->fr.cause, sizeof fr.r->fr.cause, "%.60s: %.150s", fn, text);
	if (m->Level >= WLOG_ERROR && !strcmp(fn, "freerdp_set_last_error_ex") &&
	    strstr(text, FR_TRANSPORT_FAILED_TAG))
		finish_before_reconnect(FREERDP_ERROR_CONNECT_TRANSPORT_FAILED);
	return TRUE;
}

static int quiet_wlog(void)
{
	static wLogCallbacks cb = {.message = log_message};
	wLog *root = WLog_GetRoot();
	if (!root || !WLog_SetLogAppenderType(root, WLOG_APPENDER_CALLBACK))
		return -1;
	wLogAppender *a = WLog_GetLogAppender(root);
	if (!a || !WLog_ConfigureAppender(a, "callbacks", &cb) ||
	    !WLog_SetLogLevel(root, WLOG_DEBUG))
		return -1;
	return 0;
}

/* The first call records the leaf; a second one is FreeRDP's silent reconnect. */
static int verify_x509(freerdp *instance, const BYTE *data, size_t length, const char *hostname,
		       UINT16 port, DWORD flags)
{
	struct probe_freerdp *f = &fr.r->fr;
	(void)instance;
	(void)hostname;
	(void)port;
	(void)flags;
	if (f->certs_seen++ > 0) {
		/* Nothing sent yet on this second TLS connection: stop here. */
		finish_before_reconnect(FREERDP_ERROR_CONNECT_TRANSPORT_FAILED);
	}
	if (!data || length == 0 || length > FR_PEM_MAX)
		return 2;
	BIO *bio = BIO_new_mem_buf(data, (int)length);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	unsigned char *der = NULL;
	int n = x ? i2d_X509(x, &der) : -1;
	if (n > 0 && x509_parse_der(der, (size_t)n, &f->cert) == DEC_OK)
		f->have_cert = 1;
	OPENSSL_free(der);
	X509_free(x);
	BIO_free(bio);
	return 2; /* accept for this session only: nothing stored */
}

static BOOL authenticate(freerdp *instance, char **username, char **password, char **domain)
{
	(void)instance;
	(void)username;
	(void)password;
	(void)domain;
	return FALSE; /* no prompt, no credentials (yet) */
}

static void on_error_info(void *context, ErrorInfoEventArgs *e)
{
	struct probe_freerdp *f = &fr.r->fr;
	const char *name = freerdp_get_error_info_name(e->code);
	(void)context;
	if (e->code == 0 || f->have_error_info)
		return;
	f->have_error_info = 1;
	f->error_info = e->code;
	str_copy(f->error_info_name, sizeof f->error_info_name, name ? name : "?");
}

/*
 * FreeRDP frees its copy without zeroing it: overwrite it with as many
 * zero bytes through the setter's own buffer first (the getter's pointer
 * is const), then drop it.
 */
static void wipe_password(rdpSettings *s)
{
	const char *p = s ? freerdp_settings_get_string(s, FreeRDP_Password) : NULL;
	if (!p)
		return;
	void *mut;
	memcpy(&mut, &p, sizeof mut); /* the string is FreeRDP's heap copy, writable */
	explicit_bzero(mut, strlen(p));
	freerdp_settings_set_string(s, FreeRDP_Password, NULL);
}

static void run_freerdp(const struct probe_opts *o, struct probe_result *r, enum fr_layer layer)
{
	freerdp *instance = NULL;
	int have_context = 0, connected = 0;
	struct probe_target t[1];

	memset(&fr, 0, sizeof fr);
	fr.r = r;
	fr.nla = layer == FR_NLA;
	str_copy(r->layer, sizeof r->layer, stage_name(STAGE_NONE));
	/* The address a client ends up on, as the other variants: FreeRDP gets the literal. */
	if (probe_pick_target(o, &t[0], r) < 0) {
		r->outcome = PROBE_FAILED;
		return;
	}

	if (quiet_wlog() < 0) {
		r->outcome = PROBE_ERROR;
		probe_set_error(r, 0, "FREERDP_SETUP");
		str_copy(r->detail, sizeof r->detail, "cannot redirect WLog");
		return;
	}

	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp || strlen(tmp) > sizeof fr.config_dir - 32)
		tmp = "/tmp";
	snprintf(fr.config_dir, sizeof fr.config_dir, "%s/rdprobe-freerdp-XXXXXX", tmp);
	if (!mkdtemp(fr.config_dir)) {
		fr.config_dir[0] = '\0';
		r->outcome = PROBE_ERROR;
		probe_set_error(r, errno, probe_errno_name(errno));
		snprintf(r->detail, sizeof r->detail, "mkdtemp: %s", strerror(errno));
		goto out;
	}
	snprintf(fr_sub[0], sizeof fr_sub[0], "%s/certs", fr.config_dir);
	snprintf(fr_sub[1], sizeof fr_sub[1], "%s/server", fr.config_dir);
	instance = freerdp_new();
	if (!instance)
		goto setup_failed;
	instance->Authenticate = authenticate;
	instance->VerifyX509Certificate = verify_x509;
	if (!freerdp_context_new(instance))
		goto setup_failed;
	have_context = 1;

	rdpSettings *s = instance->settings;
	int64_t left = o->deadline_ms - probe_now_ms();
	UINT32 tcp_timeout = left > FR_CONNECT_TIMEOUT_MIN_MS ? (UINT32)left : FR_CONNECT_TIMEOUT_MIN_MS;
	if (!freerdp_settings_set_string(s, FreeRDP_ServerHostname, t[0].text) ||
	    !freerdp_settings_set_uint32(s, FreeRDP_ServerPort, o->port) ||
	    !freerdp_settings_set_string(s, FreeRDP_ConfigPath, fr.config_dir) ||
	    !freerdp_settings_set_bool(s, FreeRDP_RdpSecurity, layer == FR_RDP) ||
	    !freerdp_settings_set_bool(s, FreeRDP_TlsSecurity, layer == FR_TLS) ||
	    !freerdp_settings_set_bool(s, FreeRDP_NlaSecurity, layer == FR_NLA) ||
	    !freerdp_settings_set_bool(s, FreeRDP_ExtSecurity, FALSE) ||
	    !freerdp_settings_set_bool(s, FreeRDP_NegotiateSecurityLayer, TRUE) ||
	    (layer == FR_RDP && !freerdp_settings_set_bool(s, FreeRDP_UseRdpSecurityLayer, TRUE)) ||
	    !freerdp_settings_set_bool(s, FreeRDP_ExternalCertificateManagement, TRUE) ||
	    !freerdp_settings_set_bool(s, FreeRDP_AutoReconnectionEnabled, FALSE) ||
	    !freerdp_settings_set_bool(s, FreeRDP_SoftwareGdi, FALSE) ||
	    !freerdp_settings_set_uint32(s, FreeRDP_TcpConnectTimeout, tcp_timeout))
		goto setup_failed;
	/*
	 * Credentials go to freerdp-nla only: with TLS or standard RDP security
	 * they would travel in the Client Info PDU, after the point where this
	 * probe stops anyway, and over RC4 in the second case.
	 */
	if (layer == FR_NLA && o->user[0] && o->password) {
		fr.have_creds = 1;
		if (!freerdp_settings_set_string(s, FreeRDP_Username, o->user) ||
		    (o->domain[0] && !freerdp_settings_set_string(s, FreeRDP_Domain, o->domain)) ||
		    !freerdp_settings_set_string(s, FreeRDP_Password, o->password))
			goto setup_failed;
	}
	if (PubSub_SubscribeErrorInfo(instance->context->pubSub, on_error_info) < 0)
		goto setup_failed;

	fr.t0 = probe_now_ms();
	fr.opts = o;
	fr.instance = instance;
	arm_deadline(o->deadline_ms);
	connected = freerdp_connect(instance) ? 1 : 0;
	disarm_deadline();
	fr.instance = NULL;
	fill_result(instance->context, connected, FREERDP_ERROR_SUCCESS);
	if (connected)
		freerdp_disconnect(instance);
	goto out;

setup_failed:
	r->outcome = PROBE_ERROR;
	probe_set_error(r, 0, "FREERDP_SETUP");
	str_copy(r->detail, sizeof r->detail, "freerdp_new, freerdp_context_new or a setting failed");
out:
	if (have_context)
		wipe_password(instance->settings);
	if (have_context)
		freerdp_context_free(instance);
	if (instance)
		freerdp_free(instance);
	remove_config_dir();
}

void probe_run_freerdp_tls(const struct probe_opts *o, struct probe_result *r)
{
	run_freerdp(o, r, FR_TLS);
}

void probe_run_freerdp_rdp(const struct probe_opts *o, struct probe_result *r)
{
	run_freerdp(o, r, FR_RDP);
}

void probe_run_freerdp_nla(const struct probe_opts *o, struct probe_result *r)
{
	run_freerdp(o, r, FR_NLA);
}

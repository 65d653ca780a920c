/*
 * probe.h - the active probe (DESIGN.md section 4): a table of variants,
 * each run in its own child process with a hard deadline, reporting one
 * fixed-size struct probe_result through a pipe.
 *
 * POSIX only (fork, sockets): linked into the rdprobe binary, never into
 * the analyzer library.
 */
#ifndef RDPROBE_PROBE_H
#define RDPROBE_PROBE_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "diagnosis.h"
#include "facts.h"
#include "ntlm.h"

#define PROBE_SCHEMA_VERSION 1

/* Caps: every array in a result has one (the struct crosses a pipe). */
#define PROBE_NAME_MAX 16
#define PROBE_HOST_MAX 256
#define PROBE_ADDR_TEXT_MAX 48    /* INET6_ADDRSTRLEN + scope */
#define PROBE_ADDR_MAX 8          /* resolved addresses kept */
#define PROBE_ERRNAME_MAX 48
#define PROBE_DETAIL_MAX 256
#define PROBE_X224_ROWS 8
#define PROBE_TLS_ATTEMPTS 2
#define PROBE_UDP_ATTEMPTS 3
#define PROBE_VARIANTS_MAX 16

#define PROBE_USER_MAX 256
#define PROBE_PASSWORD_MAX 512

#define PROBE_DEFAULT_PORT 3389
#define PROBE_DEFAULT_BUDGET_MS 15000
#define PROBE_BUDGET_MAX_MS 600000

enum probe_outcome {
	PROBE_OK = 0,
	PROBE_FAILED,   /* the server or the path said no: a finding */
	PROBE_TIMEOUT,  /* the variant's deadline passed */
	PROBE_ERROR,    /* our own problem (socket(), fork(), OpenSSL setup) */
	PROBE_SKIPPED,
	PROBE_OUTCOME_COUNT
};

const char *probe_outcome_name(enum probe_outcome o);

/* What every variant shares: one target, one budget. */
struct probe_opts {
	char host[PROBE_HOST_MAX];
	uint16_t port;
	int family;                /* AF_UNSPEC, AF_INET (-4) or AF_INET6 (-6) */
	char expect_ip[PROBE_ADDR_TEXT_MAX]; /* "" when not given */
	char pinned[PROBE_ADDR_TEXT_MAX]; /* the address the variants use, picked by probe_run */
	char keylog[4096];         /* "" when not given */
	char user[PROBE_USER_MAX]; /* --user, without "DOMAIN\\"; "" when not given */
	char domain[PROBE_USER_MAX];
	const char *password;      /* NULL without --user; never printed (secret.c) */
	int budget_ms;             /* --timeout */
	/*
	 * When set, called by the runner in the parent about every 250 ms:
	 * variants done of n, one still running, elapsed ms.
	 */
	void (*progress)(void *ctx, int done, int n, const char *running, int64_t elapsed_ms);
	void *progress_ctx;
	int64_t deadline_ms;       /* set by the runner per child: monotonic ms */
};

/* Time in ms where -1 means "layer not reached". */
#define PROBE_MS_NONE (-1)

struct probe_addr {
	char addr[PROBE_ADDR_TEXT_MAX];
	int family;                /* 4 or 6 */
	int tcp_tried;
	int tcp_ok;
	int32_t tcp_ms;
	int error_code;            /* errno */
	char error_name[PROBE_ERRNAME_MAX];
};

/* One row of the server's security policy table. */
struct probe_x224_row {
	uint32_t requested;        /* PROTOCOL_* bits */
	int answered;              /* a Connection Confirm was parsed */
	enum neg_type neg_type;    /* NEG_NONE (legacy), NEG_RSP, NEG_FAILURE */
	uint32_t selected;
	uint32_t failure_code;
	int32_t ms;                /* request to confirm */
	int error_code;
	char error_name[PROBE_ERRNAME_MAX]; /* failure code name, errno name, ... */
};

struct probe_tls_attempt {
	char label[PROBE_NAME_MAX]; /* "tls1.2", "tls1.3" */
	enum probe_outcome outcome;
	char layer[32];            /* analyzer stage name reached */
	int32_t ms_connect, ms_x224, ms_tls;
	int mss;                   /* TCP_MAXSEG after connect: the MSS in use */
	char version[16];
	char cipher[64];
	char weak[160];            /* weak protocol, cipher, key or signature; "" if none */
	int have_cert;
	struct cert_info cert;
	int error_code;
	char error_name[PROBE_ERRNAME_MAX];
	char detail[PROBE_DETAIL_MAX];
};

struct probe_udp_attempt {
	uint32_t size;             /* UDP payload bytes sent */
	int sends;
	int answered;              /* a SYN+ACK was parsed */
	int32_t ms;                /* first send to answer */
	struct rdpeudp_syn_facts synack;
	int path_mtu;              /* IP_MTU after EMSGSIZE, 0 when unknown */
	int error_code;
	char error_name[PROBE_ERRNAME_MAX];
};

/* A libfreerdp2 connection attempt (freerdp-tls, freerdp-rdp, freerdp-nla). */
#define PROBE_FR_STRING_MAX 160
struct probe_freerdp {
	int used;
	uint32_t last_error;       /* freerdp_get_last_error(), 0 on success */
	char last_error_name[PROBE_ERRNAME_MAX];
	char last_error_string[PROBE_FR_STRING_MAX];
	int have_error_info;       /* an ErrorInfo event was published */
	uint32_t error_info;       /* the server's Set Error Info code */
	char error_info_name[PROBE_ERRNAME_MAX];
	int32_t ms;                /* freerdp_connect call to its return */
	int certs_seen;            /* VerifyX509Certificate calls */
	int ended_early;           /* the child stopped a second connect */
	char cause[PROBE_FR_STRING_MAX]; /* FreeRDP's first ERROR log line: "function: text" */
	int have_cert;
	struct cert_info cert;
};

/* ntlm-info: the server's NTLM CHALLENGE through CredSSP (ntlm_variant.c). */
struct probe_ntlm {
	int used;                  /* the variant ran */
	char tls_version[16];      /* "" until TLS was established */
	int have_tsrequest;        /* a TSRequest from the server was parsed */
	uint32_t credssp_version;  /* its version */
	int have_error_code;
	uint32_t error_code;       /* its errorCode (NTSTATUS / HRESULT) */
	int have_challenge;
	struct ntlm_challenge ch;
	int have_cert;             /* the certificate of that TLS handshake */
	struct cert_info cert;
	int names_checked;         /* o->host is a name: the three names compared */
	int host_matches_ntlm;     /* o->host ~ DNS computer name (or its first label) */
	int host_in_cert;          /* the certificate covers o->host */
};

/* The mtu variant's search (mtu_variant.c). */
#define PROBE_MTU_TRIES 12
struct probe_mtu_try {
	int mss;                   /* the SYN's MSS (the system's on the first try) */
	int passed;                /* the TLS handshake finished */
	int32_t ms;
	char layer[32];
};
struct probe_mtu {
	int used;
	int overhead;              /* IP + TCP header bytes: 40 (IPv4), 60 (IPv6) */
	int full_mss;              /* the system's MSS toward the target */
	int largest_ok;            /* largest MSS that passed, 0 if none */
	int smallest_failed;       /* smallest MSS that stalled, 0 if none */
	int path_mtu;              /* largest_ok + overhead when a black hole was found */
	int ntries;
	struct probe_mtu_try tries[PROBE_MTU_TRIES];
};

/*
 * A connection (TCP) or socket (UDP) a variant opened, by its local port:
 * diagnose finds it in its capture by that and the target address.
 */
#define PROBE_CONNS_MAX 16
#define PROBE_CONN_LABEL_MAX 32
struct probe_conn_ref {
	uint8_t proto;             /* 6 TCP, 17 UDP */
	uint16_t lport;
	char label[PROBE_CONN_LABEL_MAX]; /* what it was for: "0x3", "tls1.2", "mss 1160" */
};

/*
 * The one record a child writes to its pipe.  Plain bytes only: no
 * pointers (cert_info and rdpeudp_syn_facts hold none).
 */
struct probe_result {
	char variant[PROBE_NAME_MAX];
	enum probe_outcome outcome;
	char layer[32];            /* analyzer stage name, or "dns-answer" / "none" */
	int32_t ms_dns, ms_connect, ms_x224, ms_tls;
	int error_code;
	char error_name[PROBE_ERRNAME_MAX];
	char detail[PROBE_DETAIL_MAX];
	int unresolvable;          /* getaddrinfo failed: exit status 2 */
	/*
	 * What the variant found, as a diagnosis code (diagnosis.h), or
	 * DIAG_CODE_COUNT for none; judge.c weighs it against the others.
	 */
	enum diag_code finding;
	int finding_is_warning;    /* weigh it as a warning whatever the code's severity */
	char target[PROBE_ADDR_TEXT_MAX]; /* the address the variant used */

	int naddr;                 /* dns, tcp */
	struct probe_addr addrs[PROBE_ADDR_MAX];
	int nx224;                 /* x224 */
	struct probe_x224_row x224[PROBE_X224_ROWS];
	int ntls;                  /* tls */
	struct probe_tls_attempt tls[PROBE_TLS_ATTEMPTS];
	int nudp;                  /* udp */
	struct probe_udp_attempt udp[PROBE_UDP_ATTEMPTS];
	struct probe_freerdp fr;   /* freerdp-* */
	struct probe_mtu mtu;      /* mtu */
	int nconns;                /* every variant: the connections it made */
	struct probe_conn_ref conns[PROBE_CONNS_MAX];
	struct probe_ntlm ntlm;    /* ntlm-info */
};

/*
 * A probe variant, zmap-style.  run() is called in a child process and
 * must return before o->deadline_ms (monotonic clock) with *r filled;
 * r->variant and the ms fields are preset by the runner.  It may block
 * only in poll() bounded by that deadline.
 */
struct probe_variant {
	const char *name;
	const char *help;
	int deadline_ms;           /* the variant's own cap, within the budget */
	void (*run)(const struct probe_opts *o, struct probe_result *r);
};

extern const struct probe_variant probe_variants[];
extern const int probe_variant_count;

/* The variant called `name`, or NULL. */
const struct probe_variant *probe_variant_find(const char *name);

/*
 * For a variant whose library may go on after the answer is known (FreeRDP
 * reconnects once after a transport failure): writes *r to the runner's
 * pipe and _exit()s at once, never returns.  Only from within run(), in
 * the child; the variant releases what outlives the process first
 * (temporary files), nothing else.
 */
void probe_finish_early(struct probe_result *r);

/*
 * First picks the address every variant will use (o->pinned: the one a
 * client ends up on, net.h probe_pick_target, in a child of its own),
 * then runs the n variants in parallel, one child each, and fills
 * out[0..n).  Never returns later than o->budget_ms after it was called
 * (plus the time to reap killed children).  Returns 0, or -1 on an
 * internal error (pipe, fork) with the affected results set to
 * PROBE_ERROR.  *pick (when not NULL) receives the pick's own result (its
 * connections, the address in target).
 */
int probe_run(struct probe_opts *o, const struct probe_variant *const *v, int n,
	      struct probe_result *out, struct probe_result *pick);

/* The host's verdict from all results (judge.c). */
struct probe_verdict {
	enum diag_code code;       /* DIAG_CODE_COUNT: no code fits (see summary) */
	enum diag_severity severity;
	char variant[PROBE_NAME_MAX]; /* the variant that found it, "" for HEALTHY */
	int reachable;             /* some RDP path completed */
	char reached_by[PROBE_NAME_MAX];
	char summary[PROBE_DETAIL_MAX + 64];
};
void probe_judge(const struct probe_opts *o, const struct probe_result *r, int n,
		 struct probe_verdict *v);

/*
 * A server certificate judged now against o->host: TLS_CERT_EXPIRED,
 * TLS_CERT_NOT_YET_VALID, TLS_CERT_NAME_MISMATCH (o->host a name, not an
 * address), else DIAG_HEALTHY; `why` says it in one line.
 */
enum diag_code probe_cert_finding(const struct probe_opts *o, const struct cert_info *c,
				  char *why, size_t cap);

/* Output (output.c). */
/* v NULL: the table without the verdict lines (diagnose prints its own). */
void probe_print_text(FILE *f, const struct probe_opts *o, const struct probe_result *r, int n,
		      const struct probe_verdict *v);
/* The JSON document of probe --json (a new reference), and its verdict object. */
json_t *probe_json(const struct probe_opts *o, const struct probe_result *r, int n,
		   const struct probe_verdict *v);
json_t *probe_verdict_json(const struct probe_verdict *v);
int probe_print_json(FILE *f, const struct probe_opts *o, const struct probe_result *r, int n,
		     const struct probe_verdict *v);

/*
 * The NLA password (secret.c): from `file` when not NULL, else the
 * RDPROBE_PASSWORD variable (then erased from the environment), else a
 * prompt without echo on /dev/tty.  Returns the one locked buffer that
 * holds it, or NULL with a one-line reason in err.  Makes the process
 * non-dumpable.  probe_password_wipe() zeroes the buffer.
 */
const char *probe_password_load(const char *file, const char *prompt, char *err, size_t errcap);
void probe_password_wipe(void);

/*
 * The connections of the running variant (net.c, child-local): the label
 * for those opened from now on, the note of one socket just connected
 * (its local port), and the copy into the result (runner.c does it).
 * Async-signal-safe: probe_conn_note, probe_conns_copy.
 */
void probe_conn_label(const char *label);
void probe_conn_note(int fd, int proto);
void probe_conns_copy(struct probe_result *r);

/* Helpers shared by the variants (net.c). */
int64_t probe_now_ms(void);
const char *probe_errno_name(int e);

#endif

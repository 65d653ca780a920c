/*
 * diagnosis.h - the verdict: from the facts of each connection, a named
 * cause with frames as evidence, the client symptom and the fix; across
 * connections, one verdict per server (retries, fallbacks, DNS).
 *
 * Rules only read struct rdp_conn and the DNS notes; they never touch
 * packets.  Per connection: diag_conn, when the analysis hands the
 * connection over.  Across connections: diag_note keeps a small summary
 * per server address (bounded), diag_verdicts reasons over it at the end.
 */
#ifndef RDPROBE_DIAGNOSIS_H
#define RDPROBE_DIAGNOSIS_H

#include <stdint.h>

#include "analyze.h"
#include "conn.h"

enum diag_code {
	DIAG_HEALTHY = 0,
	DIAG_TCP_REFUSED,
	DIAG_TCP_UNREACHABLE,
	DIAG_SECURITY_NEGOTIATION_FAILURE,
	DIAG_TLS_CERT_EXPIRED,
	DIAG_TLS_CERT_NOT_YET_VALID,
	DIAG_TLS_CERT_NAME_MISMATCH,
	DIAG_TLS_HANDSHAKE_FAILED,
	DIAG_NLA_FAILED,
	DIAG_MTU_BLACKHOLE,
	DIAG_UDP_BLOCKED,
	DIAG_UDP_PORT_UNREACHABLE,
	DIAG_UDP_MTU_TOO_SMALL,
	DIAG_RESOLUTION_MISMATCH,
	DIAG_CLIENT_ABORTED,
	DIAG_SERVER_DENIED,
	DIAG_RDP_SECURITY_DOWNGRADE,
	DIAG_CAPTURE_INCOMPLETE,
	DIAG_CODE_COUNT
};

enum diag_severity {
	SEV_OK = 0,      /* healthy */
	SEV_INFO,        /* cannot be judged, or context */
	SEV_WARNING,     /* works, but weak or fragile */
	SEV_FAILURE,     /* the connection fails for this reason */
	SEV_COUNT
};

const char *diag_code_name(enum diag_code c);
/* DIAG_CODE_COUNT when the name is unknown. */
enum diag_code diag_code_from_name(const char *name);
const char *diag_severity_name(enum diag_severity s);

/* What each code means for the user: constant text (diagnosis.c). */
struct diag_info {
	enum diag_code code;
	const char *name;
	enum diag_severity severity;
	const char *layer;
	const char *symptom;  /* FreeRDP error and, where documented, the Windows code */
	const char *fix;      /* exact settings, each with how to undo it */
	const char *caution;  /* NULL, or why the fix weakens security */
};
const struct diag_info *diag_info(enum diag_code c);
/*
 * How to see the failure happen: "rdprobe lab run NAME", the test lab's
 * scenario where a real client meets it; NULL when there is none.
 * diag_lab_scenario gives NAME alone.
 */
const char *diag_reproduce(enum diag_code c);
const char *diag_lab_scenario(enum diag_code c);

#define FINDING_FRAMES 8
#define FINDING_FACTS 4
#define FINDING_TEXT 200
#define FINDINGS_MAX 6 /* per connection */

struct finding {
	enum diag_code code;
	enum diag_severity severity;
	int confidence;                  /* 0..100 */
	uint32_t conn;                   /* connection index, 0 for capture-wide */
	int nframes;
	uint64_t frames[FINDING_FRAMES];
	int nfacts;
	char facts[FINDING_FACTS][FINDING_TEXT]; /* one-line evidence */
};

struct diag_opts {
	int64_t at_us;    /* judge certificates at this time; 0: the capture's time */
	char name[256];   /* the host name the client used (--name), "" if unknown */
};

/*
 * Is `name` among the certificate's DNS names (SANs, else the CN; RFC 6125
 * wildcards in the leftmost label)?  Case-insensitive.
 */
int diag_cert_covers(const struct cert_info *ce, const char *name);
/* An IPv4 dotted quad or an IPv6 literal (no name check applies to those). */
int diag_is_ip_literal(const char *s);

/* The findings of one connection (at most max); returns how many. */
int diag_conn(const struct rdp_conn *c, const struct diag_opts *o, struct finding *out, int max);

/* ---- across connections ------------------------------------------------ */

#define DIAG_SERVERS_MAX 1024

struct diag_server {
	uint8_t ipver;
	uint8_t addr[16];
	uint16_t port;
	uint32_t connections;
	uint32_t healthy;
	uint32_t failed;
	uint32_t first_healthy;          /* connection index, 0 none */
	uint64_t first_healthy_frame;
	uint32_t last_healthy;
	struct finding worst;            /* the first failure (or warning) seen */
	int has_worst;
	uint32_t failures_before_healthy;
	int downgrade;                   /* a healthy one used standard RDP security */
	struct finding downgrade_finding;
	uint32_t udp_failed;             /* RDP-UDP attempts that failed */
	uint32_t udp_healthy;            /* RDP-UDP handshakes that completed */
	struct finding udp_worst;
	int has_udp;
	int incomplete;                  /* only connections that cannot be judged */
};

struct diag_state {
	struct diag_opts opts;
	struct diag_server servers[DIAG_SERVERS_MAX];
	int nservers;
	uint32_t dropped;
	uint32_t counts[DIAG_CODE_COUNT]; /* findings per code, over all connections */
};

/* Records one connection's findings in the per-server summary. */
void diag_note(struct diag_state *d, const struct rdp_conn *c, const struct finding *f, int n);

struct verdict {
	struct finding main;             /* HEALTHY, or the cause */
	int recovered;                   /* failed first, then worked (retry / fallback) */
	const struct diag_server *server;
	int nextra;
	struct finding extra[3];         /* warnings and context (downgrade, UDP, DNS) */
};

#define VERDICTS_MAX 64

/*
 * One verdict per server (most severe first, then most connections), with the reasoning
 * across connections and DNS (RESOLUTION_MISMATCH).  Capture-wide findings
 * (CAPTURE_INCOMPLETE from a damaged file) are added as verdicts without
 * a server.  Returns how many.
 */
int diag_verdicts(struct diag_state *d, const struct analysis *a, struct verdict *out, int max);

/* Counts a verdict's codes into d->counts as well (for --expect). */
int diag_found(const struct diag_state *d, const struct verdict *v, int nv, enum diag_code c);

#endif

/*
 * analyze.h - one capture file in, every RDP connection out.
 *
 * Streams the file through libpcap once.  Memory is bounded: a flow table
 * of at most FLOW_MAX live flows (least recently used evicted), per-flow
 * buffers capped in tcp_reasm.h, and connections whose handshake outcome
 * is known cost only counters.
 */
#ifndef RDPROBE_ANALYZE_H
#define RDPROBE_ANALYZE_H

#include <stdint.h>

#include "conn.h"
#include "packet.h"

#define FLOW_MAX 65536           /* live flows tracked at once */
#define FLOW_IDLE_US (120LL * 1000000) /* a flow idle this long is finished */
#define FLOW_LINGER_US (2LL * 1000000) /* a closed flow is finished this much later */
#define CONN_HOLD_MAX 1024       /* finished connections held back to keep them in order */
#define DNS_NOTE_MAX 256         /* DNS messages kept */
#define ICMP_LOOSE_MAX 32        /* ICMP errors matching no connection, kept */
#define RDP_PORTS_MAX 16

struct dns_note {
	uint64_t frame;
	int64_t ts_us;
	uint8_t ipver;
	uint8_t client[16];      /* who asked */
	uint8_t server[16];      /* the resolver */
	struct dns_msg m;
};

struct capture_info {
	char path[512];
	int dlt;
	char dlt_name[48];
	uint32_t snaplen;
	uint64_t frames;
	uint64_t bytes;          /* original (wire) lengths */
	int64_t first_us;
	int64_t last_us;
	uint64_t pkt_status[PKT_STATUS_COUNT];
	uint64_t snap_cut;       /* frames shorter than on the wire */
	int read_error;          /* the file ended in the middle of a record */
	char read_error_text[256];
	uint64_t flows_evicted;  /* flows dropped early to stay within FLOW_MAX */
	uint64_t ignored_tcp_flows;
};

struct analyze_opts {
	uint16_t rdp_ports[RDP_PORTS_MAX]; /* besides 3389: attempts to these count */
	int nports;
};

/*
 * Receives each connection once its flow is finished, in order of first
 * frame (unless more than CONN_HOLD_MAX finished ones wait behind a
 * long-lived connection).  The connection is freed when the call returns.
 */
typedef void (*conn_sink_fn)(void *ctx, const struct rdp_conn *c);

struct analysis {
	struct capture_info cap;
	conn_sink_fn sink;       /* set by the caller; without one, conns[] keeps them all */
	void *sink_ctx;
	struct rdp_conn **conns; /* without a sink: every connection, in order of first frame */
	uint32_t nconns;         /* connections reported (with or without a sink) */
	uint32_t conns_cap;
	struct rdp_conn **held;  /* finished, waiting for older ones: a min-heap by first frame */
	uint32_t nheld;
	struct dns_note *dns;
	int ndns;
	uint32_t dns_dropped;
	struct icmp_note icmp[ICMP_LOOSE_MAX];
	int nicmp;
	uint32_t icmp_dropped;
	struct flow_table *ft;   /* private to analyze.c */
	struct analyze_opts opts;
	uint16_t seen_ports[RDP_PORTS_MAX]; /* server ports where RDP was recognised */
	int nseen_ports;
};

enum analyze_result {
	ANALYZE_OK = 0,
	ANALYZE_OPEN_FAILED,     /* missing, unreadable, not a capture */
	ANALYZE_BAD_LINKTYPE,    /* a capture, of a link type we do not decode */
	ANALYZE_NO_MEMORY,
};

/*
 * Reads `path` (pcap or pcapng) into *a (zeroed by the caller; opts may be
 * set).  On failure `err` holds a one-line reason.  A file that ends in
 * the middle of a record is still ANALYZE_OK with cap.read_error set.
 */
enum analyze_result analyze_file(const char *path, struct analysis *a, char *err, size_t errlen);
/*
 * The same for a capture the caller opened (pcap_fopen_offline on an
 * fmemopen stream: the fuzz harness) with PCAP_TSTAMP_PRECISION_MICRO;
 * `path` names it in the report.  The caller closes pc.
 */
struct pcap;
enum analyze_result analyze_pcap(struct pcap *pc, const char *path, struct analysis *a, char *err,
				 size_t errlen);
void analysis_free(struct analysis *a);

#endif

/*
 * mtu_variant.c - the mtu variant: is there a path-MTU black hole between
 * here and the server, and what MTU would work?
 *
 * The server's TLS flight (ServerHello, Certificate, ...) is the first
 * full-size data of an RDP connection and travels toward the client.  When
 * a link on the way has a smaller MTU and the ICMP "fragmentation needed"
 * never reaches the server, those segments vanish and the handshake hangs
 * (MTU_BLACKHOLE, LAB-NOTES).  The MSS the client announces in its SYN
 * bounds the server's segments, so: one handshake with the system's MSS;
 * when it stalls, one at the IPv4/IPv6 minimum; when that passes, a binary
 * search with TCP_MAXSEG for the largest MSS that passes.  The path MTU is
 * that MSS plus the IP and TCP headers.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "conn.h"
#include "net.h"

void probe_run_mtu(const struct probe_opts *o, struct probe_result *r);

/* A handshake that has not finished after this long has stalled. */
#define MTU_STALL_MIN_MS 1000
#define MTU_STALL_MAX_MS 2500
#define MTU_STALL_FACTOR 5           /* ... or 5 times a passing try, if longer */
#define MTU_RESOLUTION 8             /* search until hi - lo <= this */
#define MTU_MSS_MIN_V4 536           /* RFC 879: MTU 576 */
#define MTU_MSS_MIN_V6 1220          /* RFC 8200: MTU 1280 */

static int ip_overhead(int family)
{
	return family == AF_INET6 ? 60 : 40; /* IP + TCP headers without options */
}

/* One try at MSS `mss` (0: the system's), recorded in r->mtu.tries. */
static const struct probe_tls_attempt *try_mss(const struct probe_opts *o, struct probe_target *t,
					       int mss, int stall_ms, struct probe_result *r)
{
	struct probe_mtu *m = &r->mtu;
	static struct probe_tls_attempt a;
	int64_t now = probe_now_ms(), dl = now + stall_ms;

	if (dl > o->deadline_ms)
		dl = o->deadline_ms;
	memset(&a, 0, sizeof a);
	t->mss = mss;
	probe_tls_attempt(o, t, 0, dl, &a);
	if (m->ntries < PROBE_MTU_TRIES) {
		struct probe_mtu_try *x = &m->tries[m->ntries++];
		x->mss = mss ? mss : a.mss;
		x->passed = a.outcome == PROBE_OK;
		x->ms = (int32_t)(probe_now_ms() - now);
		str_copy(x->layer, sizeof x->layer, a.layer);
	}
	return &a;
}

void probe_run_mtu(const struct probe_opts *o, struct probe_result *r)
{
	struct probe_target t[1];
	struct probe_mtu *m = &r->mtu;

	str_copy(r->layer, sizeof r->layer, stage_name(STAGE_NONE));
	if (probe_pick_target(o, &t[0], r) < 0) {
		r->outcome = PROBE_FAILED;
		return;
	}
	m->used = 1;
	m->overhead = ip_overhead(t[0].family);

	/* 1. The system's MSS, with the whole stall budget a first try may need. */
	const struct probe_tls_attempt *a = try_mss(o, &t[0], 0, MTU_STALL_MAX_MS, r);
	m->full_mss = a->mss;
	r->ms_connect = a->ms_connect;
	r->ms_x224 = a->ms_x224;
	r->ms_tls = a->ms_tls;
	str_copy(r->layer, sizeof r->layer, a->layer);
	if (a->outcome == PROBE_OK) {
		r->outcome = PROBE_OK;
		m->largest_ok = a->mss;
		snprintf(r->detail, sizeof r->detail,
			 "the TLS flight passes at the full MSS %d (packets of %d bytes): no black "
			 "hole toward this client",
			 a->mss, a->mss + m->overhead);
		return;
	}
	if (a->outcome != PROBE_TIMEOUT || strcmp(a->layer, stage_name(STAGE_TLS_CLIENT_HELLO))) {
		/* Refused, no TLS, an alert: other variants name it; nothing to measure here. */
		r->outcome = a->outcome == PROBE_TIMEOUT ? PROBE_TIMEOUT : PROBE_SKIPPED;
		probe_set_error(r, a->error_code, a->error_name);
		snprintf(r->detail, sizeof r->detail,
			 "no TLS flight to measure: %.60s at %.30s (%.120s)", a->error_name,
			 a->layer, a->detail);
		return;
	}

	/*
	 * 2. It stalled after the ClientHello.  The minimum MSS tells "too big"
	 * from "the server does not answer TLS at all".
	 */
	int stall = MTU_STALL_MIN_MS;
	int lo = t[0].family == AF_INET6 ? MTU_MSS_MIN_V6 : MTU_MSS_MIN_V4;
	int hi = m->full_mss > lo ? m->full_mss : lo + 1;
	/* A slow server gets longer here: half of what is left. */
	int slow_ms = (int)((o->deadline_ms - probe_now_ms()) / 2);
	a = try_mss(o, &t[0], lo, slow_ms > MTU_STALL_MAX_MS ? slow_ms : MTU_STALL_MAX_MS, r);
	if (a->outcome != PROBE_OK) {
		r->outcome = PROBE_TIMEOUT;
		r->finding = DIAG_TLS_HANDSHAKE_FAILED;
		probe_set_error(r, a->error_code, a->error_name);
		snprintf(r->detail, sizeof r->detail,
			 "the TLS handshake stalls at MSS %d and at MSS %d too: not a path MTU "
			 "problem, the server does not finish TLS",
			 m->full_mss, lo);
		return;
	}
	/*
	 * A try that passes takes about as long as this one did (a loaded
	 * server, a long path): give each try several times that before
	 * calling it stalled.
	 */
	int took = m->tries[m->ntries - 1].ms;
	if (took * MTU_STALL_FACTOR > stall)
		stall = took * MTU_STALL_FACTOR;
	/*
	 * A handshake that slow at the minimum MSS says nothing about the first
	 * try's "stall": the server is slow.  Try the full MSS again with the
	 * time this one needed; if it passes, there is no black hole.
	 */
	if (took * 2 > MTU_STALL_MAX_MS) {
		a = try_mss(o, &t[0], 0, stall, r);
		if (a->outcome == PROBE_OK) {
			r->outcome = PROBE_OK;
			m->largest_ok = a->mss;
			str_copy(r->layer, sizeof r->layer, a->layer);
			snprintf(r->detail, sizeof r->detail,
				 "the TLS flight passes at the full MSS %d given %d ms (a slow "
				 "server, not a black hole)",
				 a->mss, took * MTU_STALL_FACTOR);
			return;
		}
	}
	if (stall > MTU_STALL_MAX_MS && took * 2 <= MTU_STALL_MAX_MS)
		stall = MTU_STALL_MAX_MS; /* still over twice what a pass takes */

	/* 3. Largest MSS that passes, in [lo, hi). */
	while (hi - lo > MTU_RESOLUTION && probe_now_ms() + stall / 4 < o->deadline_ms &&
	       m->ntries < PROBE_MTU_TRIES) {
		int mid = lo + (hi - lo) / 2;
		a = try_mss(o, &t[0], mid, stall, r);
		if (a->outcome == PROBE_OK)
			lo = mid;
		else
			hi = mid;
	}
	m->largest_ok = lo;
	m->smallest_failed = hi;
	m->path_mtu = lo + m->overhead;
	r->outcome = PROBE_FAILED;
	r->finding = DIAG_MTU_BLACKHOLE;
	probe_set_error(r, 0, "MTU_BLACKHOLE");
	snprintf(r->detail, sizeof r->detail,
		 "the TLS flight stalls at MSS %d and passes at MSS %d (fails at %d): path MTU "
		 "%d..%d; set the tunnel/interface MTU to %d or clamp the TCP MSS to %d",
		 m->full_mss, lo, hi, lo + m->overhead, hi + m->overhead - 1, lo + m->overhead, lo);
}

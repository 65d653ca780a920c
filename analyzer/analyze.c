/*
 * analyze.c - the read loop, the flow table and the dispatch of packets
 * to the RDP, DNS and ICMP decoders.
 */
#include "analyze.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "icmp.h"
#include "rdp.h"
#include "rdpeudp.h"
#include "x224.h"

#define RDP_PORT 3389
#define FLOW_BUCKETS (FLOW_MAX * 2)

enum flow_kind {
	FL_PENDING = 0, /* TCP flow not (yet) recognised as RDP */
	FL_RDP,
	FL_IGNORED,     /* carried data that is not RDP */
};

struct flow_key {
	uint8_t ipver;
	uint8_t proto;
	uint16_t pa, pb;
	uint8_t a[16], b[16];
};

/*
 * What every TCP flow learns from its headers (tcp_flags_facts), per
 * direction and for the handshake.  Most flows in a capture are not RDP and
 * the table holds up to FLOW_MAX of them, so a flow keeps only these; an
 * RDP flow's reassembly fills the rest of its connection's struct
 * tcp_facts (retransmissions, holes), and when the flow is finished these
 * are copied in (tcp_hdr_merge).
 */
struct tcp_dir_hdr {
	uint32_t packets;
	uint32_t payload_packets;
	uint64_t payload_bytes;
	uint32_t max_packet;
	uint16_t mss;
	int8_t wscale;           /* -1 when absent */
	uint8_t ttl_min, ttl_max;
	uint64_t fin_frame;
	int64_t fin_us;
	uint64_t rst_frame;
	int64_t rst_us;
};

struct tcp_hdr {
	struct tcp_dir_hdr d[2];
	uint64_t syn_frame;
	int64_t syn_us;
	uint32_t syn_count;
	uint32_t synack_count;
	uint64_t synack_frame;
	int64_t synack_us;
	uint64_t rst_after_syn_frame;
	uint64_t established_frame;
	uint64_t close_frame;
	uint8_t close;           /* enum close_kind */
	uint8_t close_dir;
	uint8_t mid_connection;
};

struct flow {
	struct flow *hnext;
	struct flow *older, *newer; /* LRU list, newest at the head */
	struct flow *cprev, *cnext; /* flows that may still be reported, by creation */
	struct flow *zprev, *znext; /* closed flows, by close time */
	int on_clist, on_zlist;
	int64_t close_us;
	struct flow_key k;
	uint32_t hash;
	enum flow_kind kind;
	int client_is_a;
	uint64_t first_frame, last_frame;
	int64_t first_us, last_us;
	uint64_t packets, bytes;
	int nvlan;
	uint16_t vlan[2];
	struct tcp_hdr tcp;
	uint32_t isn[2];
	uint8_t have_isn[2];
	uint32_t seq_end[2];     /* highest sequence end seen while pending */
	uint8_t have_end[2];
	uint64_t first_payload_frame[2];
	uint8_t first_bytes[2][8];
	uint8_t first_len[2];
	struct rdp_conn *conn;   /* RDP flows; pending flows that drew an ICMP error */
	struct rdp_stream *st;
};

struct flow_table {
	struct flow *bucket[FLOW_BUCKETS];
	struct flow *newest, *oldest;
	struct flow *cfirst, *clast;
	struct flow *zfirst, *zlast;
	uint32_t count;
};

/* ---- flow table -------------------------------------------------------- */

static int ep_cmp(const uint8_t *a, uint16_t pa, const uint8_t *b, uint16_t pb)
{
	int c = memcmp(a, b, 16);
	if (c)
		return c;
	return (int)pa - (int)pb;
}

/* Canonical key: the lower endpoint first.  Returns 1 when src is `a`. */
static int make_key(struct flow_key *k, uint8_t ipver, uint8_t proto, const uint8_t *src,
		    uint16_t sport, const uint8_t *dst, uint16_t dport)
{
	memset(k, 0, sizeof *k);
	k->ipver = ipver;
	k->proto = proto;
	size_t n = ipver == 4 ? 4 : 16;
	uint8_t s[16] = {0}, d[16] = {0};
	memcpy(s, src, n);
	memcpy(d, dst, n);
	if (ep_cmp(s, sport, d, dport) <= 0) {
		memcpy(k->a, s, 16);
		memcpy(k->b, d, 16);
		k->pa = sport;
		k->pb = dport;
		return 1;
	}
	memcpy(k->a, d, 16);
	memcpy(k->b, s, 16);
	k->pa = dport;
	k->pb = sport;
	return 0;
}

/*
 * Every packet hashes its key: five 64-bit words (the key copied out
 * byte-wise, no wider loads of the struct) through a multiply-xorshift mix.
 */
_Static_assert(sizeof(struct flow_key) <= 40, "the flow key fits five words");

static uint32_t key_hash(const struct flow_key *k)
{
	uint64_t w[5] = {0};
	memcpy(w, k, sizeof *k);
	uint64_t h = 0x9e3779b97f4a7c15u;
	for (int i = 0; i < 5; i++) {
		h = (h ^ w[i]) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	h *= 0xc4ceb9fe1a85ec53u;
	h ^= h >> 29;
	return (uint32_t)h;
}

static int key_eq(const struct flow_key *x, const struct flow_key *y)
{
	return x->pa == y->pa && x->pb == y->pb && x->proto == y->proto &&
	       x->ipver == y->ipver && !memcmp(x->a, y->a, 16) && !memcmp(x->b, y->b, 16);
}

static struct flow *ft_find(struct flow_table *t, const struct flow_key *k, uint32_t h)
{
	for (struct flow *f = t->bucket[h % FLOW_BUCKETS]; f; f = f->hnext)
		if (f->hash == h && key_eq(&f->k, k))
			return f;
	return NULL;
}

static void lru_unlink(struct flow_table *t, struct flow *f)
{
	if (f->older)
		f->older->newer = f->newer;
	else
		t->oldest = f->newer;
	if (f->newer)
		f->newer->older = f->older;
	else
		t->newest = f->older;
	f->older = f->newer = NULL;
}

static void lru_push(struct flow_table *t, struct flow *f)
{
	f->older = t->newest;
	f->newer = NULL;
	if (t->newest)
		t->newest->newer = f;
	t->newest = f;
	if (!t->oldest)
		t->oldest = f;
}

/* Generic unlink / append for the two side lists. */
#define LIST_UNLINK(t, f, prev, next, first, last, flag)                                   \
	do {                                                                                 \
		if (!(f)->flag)                                                              \
			break;                                                               \
		if ((f)->prev)                                                               \
			(f)->prev->next = (f)->next;                                         \
		else                                                                         \
			(t)->first = (f)->next;                                              \
		if ((f)->next)                                                               \
			(f)->next->prev = (f)->prev;                                         \
		else                                                                         \
			(t)->last = (f)->prev;                                               \
		(f)->prev = (f)->next = NULL;                                                \
		(f)->flag = 0;                                                               \
	} while (0)

#define LIST_APPEND(t, f, prev, next, first, last, flag)                                   \
	do {                                                                                 \
		(f)->prev = (t)->last;                                                       \
		(f)->next = NULL;                                                            \
		if ((t)->last)                                                               \
			(t)->last->next = (f);                                               \
		else                                                                         \
			(t)->first = (f);                                                    \
		(t)->last = (f);                                                             \
		(f)->flag = 1;                                                               \
	} while (0)

static void clist_remove(struct flow_table *t, struct flow *f)
{
	LIST_UNLINK(t, f, cprev, cnext, cfirst, clast, on_clist);
}

static void zlist_append(struct flow_table *t, struct flow *f)
{
	LIST_APPEND(t, f, zprev, znext, zfirst, zlast, on_zlist);
}

static void ft_remove(struct flow_table *t, struct flow *f)
{
	clist_remove(t, f);
	LIST_UNLINK(t, f, zprev, znext, zfirst, zlast, on_zlist);
	struct flow **pp = &t->bucket[f->hash % FLOW_BUCKETS];
	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	lru_unlink(t, f);
	t->count--;
}

/* ---- connections ------------------------------------------------------- */

static int held_less(const struct rdp_conn *x, const struct rdp_conn *y)
{
	if (x->first_frame != y->first_frame)
		return x->first_frame < y->first_frame;
	return x->transport < y->transport;
}

static void held_push(struct analysis *a, struct rdp_conn *c)
{
	uint32_t i = a->nheld++;
	a->held[i] = c;
	while (i > 0) {
		uint32_t up = (i - 1) / 2;
		if (!held_less(a->held[i], a->held[up]))
			break;
		struct rdp_conn *t = a->held[up];
		a->held[up] = a->held[i];
		a->held[i] = t;
		i = up;
	}
}

static struct rdp_conn *held_pop(struct analysis *a)
{
	struct rdp_conn *top = a->held[0];
	a->held[0] = a->held[--a->nheld];
	uint32_t i = 0;
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < a->nheld && held_less(a->held[l], a->held[m]))
			m = l;
		if (r < a->nheld && held_less(a->held[r], a->held[m]))
			m = r;
		if (m == i)
			break;
		struct rdp_conn *t = a->held[m];
		a->held[m] = a->held[i];
		a->held[i] = t;
		i = m;
	}
	return top;
}

static void match_dns(struct analysis *a, struct rdp_conn *c);

/* Hands over one finished connection: to the sink, or into conns[]. */
static void emit(struct analysis *a, struct rdp_conn *c)
{
	c->index = ++a->nconns;
	match_dns(a, c);
	if (a->sink) {
		a->sink(a->sink_ctx, c);
		free(c);
		return;
	}
	if (a->nconns > a->conns_cap) {
		uint32_t cap = a->conns_cap ? a->conns_cap * 2 : 64;
		struct rdp_conn **n = realloc(a->conns, cap * sizeof *n);
		if (!n) {
			a->nconns--;
			free(c);
			return;
		}
		a->conns = n;
		a->conns_cap = cap;
	}
	a->conns[a->nconns - 1] = c;
}

/*
 * Releases the held connections that no live flow can precede any more:
 * all of them at the end, the oldest when the hold is full.
 */
static void release(struct analysis *a, int all)
{
	while (a->nheld) {
		const struct flow *oldest = a->ft ? a->ft->cfirst : NULL;
		if (!all && a->nheld < CONN_HOLD_MAX && oldest &&
		    oldest->first_frame <= a->held[0]->first_frame)
			break;
		emit(a, held_pop(a));
	}
}

static int keep_conn(struct analysis *a, struct rdp_conn *c)
{
	if (!a->held && !(a->held = malloc(CONN_HOLD_MAX * sizeof *a->held)))
		return -1;
	if (a->nheld == CONN_HOLD_MAX)
		emit(a, held_pop(a));
	held_push(a, c);
	return 0;
}

static void flow_endpoints(const struct flow *f, struct rdp_conn *c)
{
	c->transport = f->k.proto;
	c->ipver = f->k.ipver;
	if (f->client_is_a) {
		memcpy(c->client, f->k.a, 16);
		memcpy(c->server, f->k.b, 16);
		c->cport = f->k.pa;
		c->sport = f->k.pb;
	} else {
		memcpy(c->client, f->k.b, 16);
		memcpy(c->server, f->k.a, 16);
		c->cport = f->k.pb;
		c->sport = f->k.pa;
	}
	c->nvlan = f->nvlan;
	memcpy(c->vlan, f->vlan, sizeof c->vlan);
}

static struct rdp_conn *flow_conn(struct flow *f)
{
	if (!f->conn) {
		f->conn = calloc(1, sizeof *f->conn);
		if (f->conn)
			flow_endpoints(f, f->conn);
	}
	return f->conn;
}

static int port_interesting(const struct analysis *a, uint16_t port)
{
	if (port == RDP_PORT)
		return 1;
	for (int i = 0; i < a->opts.nports; i++)
		if (a->opts.rdp_ports[i] == port)
			return 1;
	for (int i = 0; i < a->nseen_ports; i++)
		if (a->seen_ports[i] == port)
			return 1;
	return 0;
}

static void note_seen_port(struct analysis *a, uint16_t port)
{
	for (int i = 0; i < a->nseen_ports; i++)
		if (a->seen_ports[i] == port)
			return;
	if (a->nseen_ports < RDP_PORTS_MAX)
		a->seen_ports[a->nseen_ports++] = port;
}

/*
 * Orders the ladder by frame.  Stable, so steps of one frame keep the
 * order the decoders gave them (ServerHello before Certificate); qsort is
 * not.  At most EVENT_MAX steps, nearly sorted already: insertion sort.
 */
static void sort_ladder(struct rdp_conn *c)
{
	for (int i = 1; i < c->nev; i++) {
		struct conn_event e = c->ev[i];
		int j = i;
		for (; j > 0 && c->ev[j - 1].frame > e.frame; j--)
			c->ev[j] = c->ev[j - 1];
		c->ev[j] = e;
	}
}

/* The TCP steps of the ladder, from the transport facts. */
static void tcp_ladder(struct rdp_conn *c)
{
	const struct tcp_facts *t = &c->tcp;
	if (t->syn_frame) {
		if (t->d[0].mss)
			conn_event(c, t->syn_frame, t->syn_us, DIR_C2S, "TCP SYN, MSS %u", t->d[0].mss);
		else
			conn_event(c, t->syn_frame, t->syn_us, DIR_C2S, "TCP SYN");
		if (t->syn_count > 1)
			conn_event(c, t->syn_frame, t->syn_us, DIR_C2S, "TCP SYN sent %u times", t->syn_count);
	}
	if (t->synack_frame) {
		if (t->d[1].mss)
			conn_event(c, t->synack_frame, t->synack_us, DIR_S2C, "TCP SYN+ACK, MSS %u",
				   t->d[1].mss);
		else
			conn_event(c, t->synack_frame, t->synack_us, DIR_S2C, "TCP SYN+ACK");
	}
	if (t->rst_after_syn_frame)
		conn_event(c, t->rst_after_syn_frame, t->d[1].rst_us, DIR_S2C,
			   "TCP RST: connection refused");
	for (int d = 0; d < 2; d++) {
		const struct tcp_dir_facts *s = &t->d[d];
		if (s->rst_frame && s->rst_frame != t->rst_after_syn_frame)
			conn_event(c, s->rst_frame, s->rst_us, d, "TCP RST");
		if (s->fin_frame)
			conn_event(c, s->fin_frame, s->fin_us, d, "TCP FIN");
		if (s->holes_stored && !s->hole[0].acked)
			conn_event(c, s->hole[0].frame, 0, d, "TCP: %u bytes before this segment never seen",
				   s->hole[0].len);
	}
}

/* Event timestamps of TCP steps are filled from the frame order. */
static void fill_event_times(struct rdp_conn *c)
{
	int64_t last = c->first_us;
	for (int i = 0; i < c->nev; i++) {
		if (c->ev[i].ts_us == 0)
			c->ev[i].ts_us = last;
		last = c->ev[i].ts_us;
	}
}

/* The header facts of a finished flow into its connection's tcp_facts. */
static void tcp_hdr_merge(const struct tcp_hdr *h, struct tcp_facts *t)
{
	for (int d = 0; d < 2; d++) {
		const struct tcp_dir_hdr *x = &h->d[d];
		struct tcp_dir_facts *y = &t->d[d];
		y->packets = x->packets;
		y->payload_packets = x->payload_packets;
		y->payload_bytes = x->payload_bytes;
		y->max_packet = x->max_packet;
		y->mss = x->mss;
		y->wscale = x->wscale;
		y->ttl_min = x->ttl_min;
		y->ttl_max = x->ttl_max;
		y->fin_frame = x->fin_frame;
		y->fin_us = x->fin_us;
		y->rst_frame = x->rst_frame;
		y->rst_us = x->rst_us;
	}
	t->syn_frame = h->syn_frame;
	t->syn_us = h->syn_us;
	t->syn_count = h->syn_count;
	t->synack_frame = h->synack_frame;
	t->synack_us = h->synack_us;
	t->synack_count = h->synack_count;
	t->rst_after_syn_frame = h->rst_after_syn_frame;
	t->established_frame = h->established_frame;
	t->mid_connection = h->mid_connection;
	t->close = (enum close_kind)h->close;
	t->close_frame = h->close_frame;
	t->close_dir = h->close_dir;
}

static void finalize_flow(struct analysis *a, struct flow *f)
{
	struct rdp_conn *c = f->conn;
	int report = 0;

	if (f->kind == FL_RDP && c) {
		if (f->st)
			rdp_tcp_finish(f->st, &c->tcp);
		report = 1;
	} else if (f->kind == FL_PENDING && f->k.proto == 6 && !f->first_payload_frame[0] &&
		   !f->first_payload_frame[1]) {
		/* A connection attempt that never carried data: RDP's if the port says so. */
		uint16_t sport = f->client_is_a ? f->k.pb : f->k.pa;
		if (port_interesting(a, sport) && (c = flow_conn(f)) != NULL)
			report = 1;
	}
	if (f->k.proto == 17 && c)
		report = 1;
	rdp_stream_free(f->st);
	f->st = NULL;
	if (!report) {
		free(f->conn);
		f->conn = NULL;
		return;
	}
	if (f->k.proto == 6) {
		tcp_hdr_merge(&f->tcp, &c->tcp);
		if (!c->stage || c->stage < STAGE_TCP_ESTABLISHED) {
			if (c->tcp.rst_after_syn_frame)
				conn_stage(c, STAGE_TCP_RESET, c->tcp.rst_after_syn_frame);
			else if (c->tcp.established_frame || c->tcp.synack_frame)
				conn_stage(c, STAGE_TCP_ESTABLISHED,
					   c->tcp.established_frame ? c->tcp.established_frame
								    : c->tcp.synack_frame);
			else if (c->tcp.syn_frame)
				conn_stage(c, STAGE_TCP_SYN, c->tcp.syn_frame);
		}
		tcp_ladder(c);
		sort_ladder(c);
		if (c->stage == STAGE_TCP_RESET || c->stage == STAGE_TCP_SYN)
			conn_mark_failing(c, c->stage_frame);
	}
	c->first_frame = f->first_frame;
	c->last_frame = f->last_frame;
	c->first_us = f->first_us;
	c->last_us = f->last_us;
	c->packets = f->packets;
	c->bytes = f->bytes;
	fill_event_times(c);
	f->conn = NULL;
	if (keep_conn(a, c))
		free(c);
}

static void flow_destroy(struct analysis *a, struct flow *f)
{
	ft_remove(a->ft, f);
	finalize_flow(a, f);
	free(f);
	release(a, 0);
}

static struct flow *flow_create(struct analysis *a, const struct flow_key *k, uint32_t h,
				int client_is_a, const struct pkt *p, int64_t ts_us)
{
	struct flow_table *t = a->ft;
	/* Room first: the least recently used flow goes. */
	while (t->count >= FLOW_MAX && t->oldest) {
		a->cap.flows_evicted++;
		flow_destroy(a, t->oldest);
	}
	struct flow *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->k = *k;
	f->hash = h;
	f->client_is_a = client_is_a;
	f->first_frame = p->frame;
	f->first_us = ts_us;
	f->nvlan = p->nvlan < 2 ? p->nvlan : 2;
	memcpy(f->vlan, p->vlan, sizeof f->vlan);
	f->tcp.d[0].wscale = f->tcp.d[1].wscale = -1;
	f->hnext = t->bucket[h % FLOW_BUCKETS];
	t->bucket[h % FLOW_BUCKETS] = f;
	lru_push(t, f);
	LIST_APPEND(t, f, cprev, cnext, cfirst, clast, on_clist);
	t->count++;
	return f;
}

/* Flows idle for FLOW_IDLE_US are finished (oldest first, cheap to check). */
/*
 * Flows idle for FLOW_IDLE_US, and closed ones FLOW_LINGER_US after their
 * close (late retransmissions still land in them), are finished: oldest
 * first, so the check is cheap.
 */
static void expire(struct analysis *a, int64_t now_us)
{
	struct flow_table *t = a->ft;
	while (t->oldest && now_us - t->oldest->last_us > FLOW_IDLE_US)
		flow_destroy(a, t->oldest);
	while (t->zfirst && now_us - t->zfirst->close_us > FLOW_LINGER_US)
		flow_destroy(a, t->zfirst);
}

/* ---- TCP --------------------------------------------------------------- */

static int become_rdp(struct analysis *a, struct flow *f)
{
	struct rdp_conn *c = flow_conn(f);
	if (!c)
		return -1;
	f->st = rdp_stream_new(c);
	if (!f->st)
		return -1;
	f->kind = FL_RDP;
	c->rdp_seen = 1;
	note_seen_port(a, c->sport);
	for (int d = 0; d < 2; d++) {
		struct reasm_dir *r = rdp_reasm(f->st, d);
		if (f->have_end[d]) {
			/* Bytes already passed by while pending are not followed. */
			r->init = 1;
			r->isn = f->have_isn[d] ? f->isn[d] : f->seq_end[d] - 1;
			r->next = f->seq_end[d];
		} else if (f->have_isn[d]) {
			r->init = 1;
			r->isn = f->isn[d];
			r->next = f->isn[d] + 1;
		}
	}
	if (!f->tcp.syn_frame && !f->tcp.synack_frame) {
		f->tcp.mid_connection = 1;
		conn_violation(c, f->first_frame, DIR_C2S, DEC_TRUNCATED,
			       "capture started mid-connection: no TCP handshake seen");
	}
	return 0;
}

static void tcp_flags_facts(struct flow *f, int dir, const struct pkt *p, int64_t ts_us)
{
	struct tcp_hdr *t = &f->tcp;
	struct tcp_dir_hdr *s = &t->d[dir];
	uint8_t fl = p->tcp_flags;

	s->packets++;
	if (p->ip_len > s->max_packet)
		s->max_packet = p->ip_len;
	if (!s->ttl_min || p->ttl < s->ttl_min)
		s->ttl_min = p->ttl;
	if (p->ttl > s->ttl_max)
		s->ttl_max = p->ttl;
	if (p->payload_wire) {
		s->payload_packets++;
		s->payload_bytes += p->payload_wire;
	}
	if (fl & TCP_SYN) {
		if (p->mss)
			s->mss = p->mss;
		s->wscale = (int8_t)p->wscale;
		if (!f->have_isn[dir]) {
			f->isn[dir] = p->seq;
			f->have_isn[dir] = 1;
		}
		if (dir == DIR_C2S && !(fl & TCP_ACK)) {
			if (!t->syn_count++) {
				t->syn_frame = p->frame;
				t->syn_us = ts_us;
			}
		} else if (dir == DIR_S2C && (fl & TCP_ACK)) {
			if (!t->synack_count++) {
				t->synack_frame = p->frame;
				t->synack_us = ts_us;
			}
		}
	} else if (dir == DIR_C2S && (fl & TCP_ACK) && t->synack_frame && !t->established_frame) {
		t->established_frame = p->frame;
	}
	if (fl & TCP_RST) {
		if (!s->rst_frame) {
			s->rst_frame = p->frame;
			s->rst_us = ts_us;
		}
		if (dir == DIR_S2C && t->syn_frame && !t->synack_frame && !t->rst_after_syn_frame)
			t->rst_after_syn_frame = p->frame;
	}
	if ((fl & TCP_FIN) && !s->fin_frame) {
		s->fin_frame = p->frame;
		s->fin_us = ts_us;
	}
	if ((fl & (TCP_FIN | TCP_RST)) && t->close == CLOSE_NONE) {
		t->close = fl & TCP_RST ? CLOSE_RST : CLOSE_FIN;
		t->close_frame = p->frame;
		t->close_dir = (uint8_t)dir;
	}
}

static int is_cc(const uint8_t *p, size_t len)
{
	unsigned n = tpkt_length(p, len);
	return n && len >= 6 && (p[5] & 0xF0) == X224_TPDU_CC;
}

/* A pending flow's first payload in each direction decides whether it is RDP. */
static void pending_payload(struct analysis *a, struct flow *f, int dir, const struct pkt *p)
{
	uint32_t end = p->seq + ((p->tcp_flags & TCP_SYN) ? 1u : 0u) + p->payload_wire;

	if (!f->first_payload_frame[dir]) {
		f->first_payload_frame[dir] = p->frame;
		size_t n = p->payload_len < 8 ? p->payload_len : 8;
		memcpy(f->first_bytes[dir], p->payload, n);
		f->first_len[dir] = (uint8_t)n;
		int rdp = dir == DIR_C2S ? x224_is_connection_request(p->payload, p->payload_len)
					 : is_cc(p->payload, p->payload_len);
		if (rdp) {
			if (become_rdp(a, f) == 0 && dir == DIR_S2C && f->first_payload_frame[0]) {
				const uint8_t *b = f->first_bytes[0];
				conn_violation(f->conn, f->first_payload_frame[0], DIR_C2S, DEC_INVALID,
					       "client data is not an X.224 Connection Request "
					       "(starts %02x %02x %02x %02x)",
					       b[0], b[1], b[2], b[3]);
			}
			return;
		}
	}
	if (!f->have_end[dir] || (int32_t)(end - f->seq_end[dir]) > 0) {
		f->seq_end[dir] = end;
		f->have_end[dir] = 1;
	}
	if (f->first_payload_frame[0] && f->first_payload_frame[1]) {
		f->kind = FL_IGNORED;
		a->cap.ignored_tcp_flows++;
		clist_remove(a->ft, f); /* never reported: nothing waits for it */
	}
}

static void on_tcp(struct analysis *a, const struct pkt *p, int64_t ts_us)
{
	struct flow_key k;
	int src_is_a = make_key(&k, p->ipver, 6, p->src, p->sport, p->dst, p->dport);
	uint32_t h = key_hash(&k);
	struct flow *f = ft_find(a->ft, &k, h);
	uint8_t fl = p->tcp_flags;

	if (f && (fl & TCP_SYN) && !(fl & TCP_ACK) && f->have_isn[0] && f->tcp.close &&
	    f->isn[0] != p->seq && (f->client_is_a == src_is_a)) {
		/* The same ports again after a close: a new connection. */
		flow_destroy(a, f);
		f = NULL;
	}
	if (!f) {
		int client_is_a;
		int mid = 0;
		if ((fl & TCP_SYN) && !(fl & TCP_ACK))
			client_is_a = src_is_a;
		else if ((fl & TCP_SYN) && (fl & TCP_ACK))
			client_is_a = !src_is_a;
		else if (p->payload_len && x224_is_connection_request(p->payload, p->payload_len))
			client_is_a = src_is_a;
		else if (p->payload_len && is_cc(p->payload, p->payload_len))
			client_is_a = !src_is_a;
		else if (p->payload_len && (p->dport == RDP_PORT || p->sport == RDP_PORT)) {
			client_is_a = p->dport == RDP_PORT ? src_is_a : !src_is_a;
			mid = 1;
		} else
			return;
		f = flow_create(a, &k, h, client_is_a, p, ts_us);
		if (!f)
			return;
		if (mid) {
			/* RDP port, no handshake and no negotiation: judged as RDP mid-stream. */
			if (become_rdp(a, f) == 0) {
				f->conn->decided = 1;
				reasm_stop(rdp_reasm(f->st, 0));
				reasm_stop(rdp_reasm(f->st, 1));
			}
		}
	} else {
		lru_unlink(a->ft, f);
		lru_push(a->ft, f);
	}
	int dir = (src_is_a == f->client_is_a) ? DIR_C2S : DIR_S2C;
	f->last_frame = p->frame;
	f->last_us = ts_us;
	f->packets++;
	f->bytes += p->wirelen;
	tcp_flags_facts(f, dir, p, ts_us);
	if (f->tcp.close && !f->on_zlist && !f->close_us) {
		f->close_us = ts_us;
		zlist_append(a->ft, f);
	}

	switch (f->kind) {
	case FL_PENDING:
		if (p->payload_wire)
			pending_payload(a, f, dir, p);
		if (f->kind != FL_RDP)
			break;
		/* The packet that made it RDP is decoded too. */
		__attribute__((fallthrough));
	case FL_RDP:
		rdp_tcp_segment(f->st, f->conn, &f->conn->tcp, dir, p, ts_us);
		break;
	case FL_IGNORED:
		break;
	}
}

/* ---- UDP: RDP-UDP and DNS ---------------------------------------------- */

static void on_dns(struct analysis *a, const struct pkt *p, int64_t ts_us)
{
	struct dns_msg m;
	memset(&m, 0, sizeof m);
	struct cur c = cur_make(p->payload, p->payload_len);
	enum dec_status st = dns_parse(&c, &m);
	if (st != DEC_OK && st != DEC_TRUNCATED)
		return;
	if (m.qtype != 1 && m.qtype != 28 && m.qtype != 5)
		return;
	if (a->ndns == DNS_NOTE_MAX) {
		a->dns_dropped++;
		return;
	}
	if (!a->dns && !(a->dns = calloc(DNS_NOTE_MAX, sizeof *a->dns)))
		return;
	struct dns_note *n = &a->dns[a->ndns++];
	n->frame = p->frame;
	n->ts_us = ts_us;
	n->ipver = p->ipver;
	memcpy(n->client, m.is_response ? p->dst : p->src, 16);
	memcpy(n->server, m.is_response ? p->src : p->dst, 16);
	n->m = m;
}

static void on_udp(struct analysis *a, const struct pkt *p, int64_t ts_us)
{
	if (p->sport == 53 || p->dport == 53) {
		on_dns(a, p, ts_us);
		return;
	}
	struct flow_key k;
	int src_is_a = make_key(&k, p->ipver, 17, p->src, p->sport, p->dst, p->dport);
	uint32_t h = key_hash(&k);
	struct flow *f = ft_find(a->ft, &k, h);

	if (!f) {
		int client_is_a, mid = 0;
		if (rdpeudp_is_syn(p->payload, p->payload_len)) {
			/* SYN from the client; a lone SYN+ACK comes from the server. */
			uint16_t flags = (uint16_t)((unsigned)p->payload[6] << 8 | p->payload[7]);
			client_is_a = (flags & RDPUDP_FLAG_ACK) ? !src_is_a : src_is_a;
			mid = (flags & RDPUDP_FLAG_ACK) != 0;
		} else if (p->payload_len && (p->dport == RDP_PORT || p->sport == RDP_PORT)) {
			client_is_a = p->dport == RDP_PORT ? src_is_a : !src_is_a;
			mid = 1;
		} else {
			return;
		}
		f = flow_create(a, &k, h, client_is_a, p, ts_us);
		if (!f || !flow_conn(f) || !(f->st = rdp_stream_new(f->conn)))
			return;
		f->kind = FL_RDP;
		if (mid) {
			f->conn->udp.mid_connection = 1;
			conn_violation(f->conn, p->frame, DIR_C2S, DEC_TRUNCATED,
				       "capture started mid-connection: no RDP-UDP SYN seen");
		}
	} else {
		lru_unlink(a->ft, f);
		lru_push(a->ft, f);
	}
	if (!f->st)
		return;
	int dir = (src_is_a == f->client_is_a) ? DIR_C2S : DIR_S2C;
	f->last_frame = p->frame;
	f->last_us = ts_us;
	f->packets++;
	f->bytes += p->wirelen;
	rdp_udp_datagram(f->st, f->conn, dir, p, ts_us);
}

/* ---- ICMP -------------------------------------------------------------- */

static void on_icmp(struct analysis *a, const struct pkt *p, int64_t ts_us)
{
	struct icmp_note n;
	memset(&n, 0, sizeof n);
	struct cur c = cur_make(p->l4, p->l4_len);
	enum dec_status st = icmp_parse(&c, p->ipver == 6, &n);
	if (st != DEC_OK && st != DEC_TRUNCATED)
		return;
	n.frame = p->frame;
	memcpy(n.reporter, p->src, 16);

	struct rdp_conn *conn = NULL;
	if (n.inner_proto == 6 || n.inner_proto == 17) {
		struct flow_key k;
		make_key(&k, p->ipver, n.inner_proto, n.inner_src, n.inner_sport, n.inner_dst,
			 n.inner_dport);
		uint32_t h = key_hash(&k);
		struct flow *f = ft_find(a->ft, &k, h);
		if (f && (conn = flow_conn(f)) != NULL) {
			/* The error belongs to the connection's extent. */
			f->last_frame = p->frame;
			f->last_us = ts_us;
			f->packets++;
			f->bytes += p->wirelen;
		}
	}
	if (!conn) {
		if (a->nicmp < ICMP_LOOSE_MAX)
			a->icmp[a->nicmp++] = n;
		else
			a->icmp_dropped++;
		return;
	}
	conn->icmp_count++;
	if (conn->icmp_stored < ICMP_MAX)
		conn->icmp[conn->icmp_stored++] = n;
	if (conn->icmp_count <= 2) {
		char text[EVENT_TEXT_MAX];
		icmp_describe(&n, text, sizeof text);
		int dir = !memcmp(n.inner_src, conn->client, 16) ? DIR_S2C : DIR_C2S;
		conn_event(conn, p->frame, ts_us, dir, "%s", text);
		conn_mark_failing(conn, p->frame);
	}
}

/* ---- the read loop ----------------------------------------------------- */

/*
 * Limit of frame times, in seconds either side of 1970 (about 146,000
 * years).  pcapng carries 64-bit timestamps and offsets, so libpcap hands
 * over any tv_sec; clamped to this, microseconds do not overflow and any
 * two frame times subtract without overflow.
 */
#define TS_SEC_LIMIT ((INT64_MAX / 2 - INT64_C(0xFFFFFFFF)) / 1000000)

static int64_t frame_time_us(const struct timeval *tv)
{
	int64_t s = (int64_t)tv->tv_sec, us = (int64_t)tv->tv_usec;
	if (s > TS_SEC_LIMIT)
		s = TS_SEC_LIMIT;
	else if (s < -TS_SEC_LIMIT)
		s = -TS_SEC_LIMIT;
	if (us < 0 || us > INT64_C(0xFFFFFFFF)) /* pcap: an unchecked u32 */
		us = 0;
	return s * 1000000 + us;
}

static void on_packet(struct analysis *a, const struct pcap_pkthdr *h, const uint8_t *data)
{
	struct pkt p;
	memset(&p, 0, sizeof p);
	p.frame = a->cap.frames;
	p.ts_sec = h->ts.tv_sec;
	p.ts_usec = (uint32_t)h->ts.tv_usec;
	p.caplen = h->caplen;
	p.wirelen = h->len;
	int64_t ts_us = frame_time_us(&h->ts);

	if (!a->cap.first_us)
		a->cap.first_us = ts_us;
	a->cap.last_us = ts_us;
	a->cap.bytes += h->len;
	if (h->caplen < h->len)
		a->cap.snap_cut++;

	enum pkt_status st = pkt_decode(a->cap.dlt, data, &p);
	a->cap.pkt_status[st]++;
	if (st != PKT_OK)
		return;
	if ((a->cap.frames & 0x3F) == 0)
		expire(a, ts_us);
	switch (p.proto) {
	case 6:
		on_tcp(a, &p, ts_us);
		break;
	case 17:
		on_udp(a, &p, ts_us);
		break;
	case 1:
	case 58:
		on_icmp(a, &p, ts_us);
		break;
	default:
		break;
	}
}

/* Names a connection's server after the DNS answer that pointed at it. */
static void match_dns(struct analysis *a, struct rdp_conn *c)
{
	for (int j = a->ndns - 1; j >= 0; j--) {
		const struct dns_note *n = &a->dns[j];
		if (!n->m.is_response || n->frame > c->first_frame)
			continue;
		for (int k = 0; k < n->m.answers_stored; k++) {
			const struct dns_answer *an = &n->m.answers[k];
			size_t len = an->type == 1 ? 4 : an->type == 28 ? 16 : 0;
			if (len && (an->type == 1) == (c->ipver == 4) &&
			    !memcmp(an->addr, c->server, len)) {
				str_copy(c->dns_name, sizeof c->dns_name, n->m.qname);
				c->dns_frame = n->frame;
				return;
			}
		}
	}
}

enum analyze_result analyze_pcap(pcap_t *pc, const char *path, struct analysis *a, char *err,
				 size_t errlen)
{
	str_copy(a->cap.path, sizeof a->cap.path, path);
	a->cap.dlt = pcap_datalink(pc);
	const char *dn = pcap_datalink_val_to_name(a->cap.dlt);
	str_copy(a->cap.dlt_name, sizeof a->cap.dlt_name, dn ? dn : "unknown");
	a->cap.snaplen = (uint32_t)pcap_snapshot(pc);
	if (!pkt_dlt_supported(a->cap.dlt)) {
		snprintf(err, errlen, "%s: link type %s (%d) is not supported", path,
			 a->cap.dlt_name, a->cap.dlt);
		return ANALYZE_BAD_LINKTYPE;
	}
	a->ft = calloc(1, sizeof *a->ft);
	if (!a->ft) {
		snprintf(err, errlen, "out of memory");
		return ANALYZE_NO_MEMORY;
	}

	struct pcap_pkthdr *h;
	const u_char *data;
	int r;
	while ((r = pcap_next_ex(pc, &h, &data)) == 1) {
		a->cap.frames++;
		on_packet(a, h, data);
	}
	if (r == PCAP_ERROR) {
		a->cap.read_error = 1;
		snprintf(a->cap.read_error_text, sizeof a->cap.read_error_text,
			 "capture file damaged after frame %llu: %s",
			 (unsigned long long)a->cap.frames, pcap_geterr(pc));
	}
	/* End of capture: finish the flows in order of creation. */
	while (a->ft->cfirst)
		flow_destroy(a, a->ft->cfirst);
	while (a->ft->oldest)
		flow_destroy(a, a->ft->oldest);
	release(a, 1);
	return ANALYZE_OK;
}

enum analyze_result analyze_file(const char *path, struct analysis *a, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, ebuf);

	if (!pc) {
		/* libpcap's message names the file itself when fopen failed. */
		size_t n = strlen(path);
		int named = !strncmp(ebuf, path, n) && ebuf[n] == ':';
		snprintf(err, errlen, "%s%s%s", named ? "" : path, named ? "" : ": ",
			 ebuf[0] ? ebuf : "cannot read capture");
		return ANALYZE_OPEN_FAILED;
	}
	enum analyze_result rc = analyze_pcap(pc, path, a, err, errlen);
	pcap_close(pc);
	return rc;
}

void analysis_free(struct analysis *a)
{
	if (a->ft) {
		while (a->ft->oldest) {
			struct flow *f = a->ft->oldest;
			ft_remove(a->ft, f);
			rdp_stream_free(f->st);
			free(f->conn);
			free(f);
		}
		free(a->ft);
		a->ft = NULL;
	}
	for (uint32_t i = 0; i < a->nheld; i++)
		free(a->held[i]);
	free(a->held);
	a->held = NULL;
	a->nheld = 0;
	if (!a->sink)
		for (uint32_t i = 0; i < a->nconns; i++)
			free(a->conns[i]);
	free(a->conns);
	free(a->dns);
	a->conns = NULL;
	a->dns = NULL;
	a->nconns = 0;
}

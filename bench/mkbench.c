/*
 * mkbench - builds a large benchmark capture from the real loopback
 * fixtures.
 *
 *   mkbench [-n CONNECTIONS] [-b BULK] [-g BACKGROUND] [-k INFLIGHT] [-s SEED]
 *           OUT.pcap TEMPLATE.pcap...
 *
 * Each template is one recorded TCP connection (Ethernet, IPv4, one
 * client, one server).  Connection i replays template i mod T with its own
 * client address (10.0.0.0 + 1 + i), client port (1024 + i mod 64512),
 * one of 50 servers (10.200.0.1 .. 10.200.0.50) on port 3389, and its own
 * initial sequence numbers; ACK numbers and SACK blocks follow the shift.
 * INFLIGHT connections (default 64) are open at once and their packets
 * interleave at random, so a flow table sees concurrency.
 *
 * After the TLS handshake of a template that has one (the server sends a
 * TLS handshake record), BULK packets of TLS application_data (about 1400
 * bytes of pseudo-random bytes each, directions alternating, each ACKing
 * everything the peer sent) go in before the template's first FIN or RST;
 * the packets after them are shifted in sequence space.
 *
 * BACKGROUND is the fraction of all frames that is not RDP: HTTP-like TCP
 * flows to ports 80 and 443 (SYN, request, response segments with ACKs,
 * FIN) and DNS-like UDP datagrams on port 53 with random payload.
 *
 * Output timestamps start at 2026-01-01 00:00:00 UTC and advance by 1 to
 * 100 microseconds per frame.  IP total lengths and IP / TCP / UDP
 * checksums are correct.  The same seed gives the same file; memory does
 * not depend on the file size (templates + INFLIGHT connection states).
 */
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "packet.h"

#define TEMPLATE_MAX      32
#define TEMPLATE_PKTS_MAX 100000 /* packets read from one template */
#define FRAME_MAX         65535  /* largest frame written (loopback MTU) */
#define INFLIGHT_MAX      4096
#define BG_FLOWS          16   /* background TCP flows open at once */
#define BULK_MIN          1300 /* TLS record size range of bulk packets */
#define BULK_SPAN         149  /* ... up to BULK_MIN + BULK_SPAN - 1 */
#define RDP_PORT          3389
#define CLIENT_PORT_BASE  1024
#define CLIENT_PORTS      64512 /* 1024 .. 65535 */
#define SERVERS           50
#define CLIENT_NET        0x0A000000u /* 10.0.0.0; connection i is 10.0.0.0 + 1 + i */
#define CLIENT_MAX        0x00C7FFFFu /* stay below 10.200.0.0, the servers */
#define SERVER_NET        0x0AC80000u /* 10.200.0.0 */
#define BG_CLIENT_NET     0xAC100000u /* 172.16.0.0/12 */
#define BG_CLIENTS        0x000FFFFEu
#define BG_SERVER_NET     0xC0000200u  /* 192.0.2.0/24 */
#define DNS_SERVER        0xC6336435u  /* 198.51.100.53 */
#define TS_START          1767225600LL /* 2026-01-01 00:00:00 UTC */
#define OUT_BUFFER        (4 << 20)

#define ETH_LEN 14
#define IP4_LEN 20
#define TCP_LEN 20
#define UDP_LEN 8

enum exit_code { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* ---- bytes ------------------------------------------------------------- */

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* RFC 1071 sum of big-endian 16-bit words, not yet folded. */
static uint64_t sum16(uint64_t s, const uint8_t *p, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		s += (uint64_t)get_be16(p + i) + get_be16(p + i + 2) + get_be16(p + i + 4) +
		     get_be16(p + i + 6);
	for (; i + 1 < n; i += 2)
		s += get_be16(p + i);
	if (i < n)
		s += (uint64_t)p[i] << 8;
	return s;
}

static uint16_t fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xFFFF) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * Fixes the IPv4 total length and header checksum and the TCP / UDP
 * checksum of the IPv4 packet at ip[0..len).
 */
static void ip4_finish(uint8_t *ip, size_t len)
{
	size_t ihl = (size_t)(ip[0] & 0x0F) * 4;
	uint8_t proto = ip[9];
	put_be16(ip + 2, (uint16_t)len);
	put_be16(ip + 10, 0);
	put_be16(ip + 10, fold(sum16(0, ip, ihl)));

	uint8_t *l4 = ip + ihl;
	size_t l4len = len - ihl;
	size_t ck = proto == 6 ? 16 : 6;
	if (proto == 17)
		put_be16(l4 + 4, (uint16_t)l4len);
	put_be16(l4 + ck, 0);
	uint64_t s = sum16(0, ip + 12, 8); /* pseudo-header: addresses, proto, length */
	s += proto + l4len;
	uint16_t c = fold(sum16(s, l4, l4len));
	if (proto == 17 && c == 0)
		c = 0xFFFF;
	put_be16(l4 + ck, c);
}

/* ---- random numbers ---------------------------------------------------- */

struct rng {
	uint64_t s;
};

/* splitmix64: small, fast, and the same sequence everywhere for a seed. */
static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

static void rng_fill(struct rng *r, uint8_t *p, size_t n)
{
	while (n >= 8) {
		uint64_t v = rng_next(r);
		memcpy(p, &v, 8);
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t v = rng_next(r);
		memcpy(p, &v, n);
	}
}

/* ---- templates --------------------------------------------------------- */

struct tpl_pkt {
	uint8_t *data;
	uint32_t len;
	uint16_t ip_off, tcp_off, pay_off;
	uint32_t pay_len;
	uint8_t dir; /* 0 client to server, 1 server to client */
	uint8_t flags;
	uint32_t seq, ack;
	int64_t ts_us;
};

struct tpl {
	const char *path;
	struct tpl_pkt *p;
	size_t n;
	uint16_t server_port;
	int tls;              /* the server sent a TLS handshake record */
	size_t bulk_at;       /* bulk goes in before this packet */
	uint32_t next_seq[2]; /* sequence number after the last byte, before bulk_at */
	size_t proto[2];      /* header prototype of bulk packets, per direction */
	int has_proto[2];
};

static void tpl_free(struct tpl *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->p[i].data);
	free(t->p);
	t->p = NULL;
	t->n = 0;
}

static int tpl_add(struct tpl *t, size_t *cap, const struct pcap_pkthdr *h, const uint8_t *data,
                   int dlt, char *err, size_t errlen)
{
	struct pkt p;
	memset(&p, 0, sizeof p);
	p.caplen = h->caplen;
	p.wirelen = h->len;
	enum pkt_status st = pkt_decode(dlt, data, &p);
	size_t fno = t->n + 1;
	if (st != PKT_OK || p.ipver != 4 || p.proto != 6 || p.ip_options || p.fragment) {
		snprintf(err, errlen, "%s: frame %zu is not a plain IPv4 TCP segment (%s)", t->path,
		         fno, pkt_status_name(st));
		return -1;
	}
	if (h->caplen != h->len || h->len > FRAME_MAX) {
		snprintf(err, errlen, "%s: frame %zu: cut by the snap length or too large", t->path,
		         fno);
		return -1;
	}
	if (t->n == TEMPLATE_PKTS_MAX) {
		snprintf(err, errlen, "%s: more than %d frames", t->path, TEMPLATE_PKTS_MAX);
		return -1;
	}
	if (t->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct tpl_pkt *np = realloc(t->p, nc * sizeof *np);
		if (!np)
			goto nomem;
		t->p = np;
		*cap = nc;
	}
	struct tpl_pkt *q = &t->p[t->n];
	memset(q, 0, sizeof *q);
	q->data = malloc(h->caplen);
	if (!q->data)
		goto nomem;
	memcpy(q->data, data, h->caplen);
	q->len = h->caplen;
	q->tcp_off = (uint16_t)(p.l4 - data);
	q->ip_off = (uint16_t)(q->tcp_off - IP4_LEN);
	q->pay_off = (uint16_t)(p.payload - data);
	q->pay_len = (uint32_t)p.payload_len;
	q->flags = p.tcp_flags;
	q->seq = p.seq;
	q->ack = p.ack;
	q->ts_us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
	if (t->n == 0) {
		if ((p.tcp_flags & (TCP_SYN | TCP_ACK)) != TCP_SYN) {
			snprintf(err, errlen, "%s: does not start with the client's SYN", t->path);
			return -1;
		}
		t->server_port = p.dport;
	}
	if (p.dport == t->server_port)
		q->dir = 0;
	else if (p.sport == t->server_port)
		q->dir = 1;
	else {
		snprintf(err, errlen, "%s: frame %zu belongs to another connection", t->path, fno);
		return -1;
	}
	/* Ethernet padding after the IP packet is dropped: lengths are rewritten. */
	q->len = (uint32_t)q->pay_off + q->pay_len;
	t->n++;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* Where bulk goes and what it continues from. */
static void tpl_plan(struct tpl *t)
{
	int seen[2] = {0, 0};
	t->bulk_at = t->n;
	for (size_t i = 0; i < t->n; i++) {
		const struct tpl_pkt *q = &t->p[i];
		if (q->dir == 1 && q->pay_len >= 3 && q->data[q->pay_off] == 0x16 &&
		    q->data[q->pay_off + 1] == 0x03)
			t->tls = 1;
		if ((q->flags & (TCP_FIN | TCP_RST)) && t->bulk_at == t->n)
			t->bulk_at = i;
	}
	for (size_t i = 0; i < t->bulk_at; i++) {
		const struct tpl_pkt *q = &t->p[i];
		uint32_t end = q->seq + q->pay_len + ((q->flags & TCP_SYN) ? 1u : 0u);
		if (!seen[q->dir] || (int32_t)(end - t->next_seq[q->dir]) > 0)
			t->next_seq[q->dir] = end;
		seen[q->dir] = 1;
		/* A data segment's header (timestamps, no stale SACK) when there is one. */
		if (!(q->flags & TCP_SYN) &&
		    (q->pay_len || !t->has_proto[q->dir] || !t->p[t->proto[q->dir]].pay_len)) {
			t->proto[q->dir] = i;
			t->has_proto[q->dir] = 1;
		}
	}
	if (!t->has_proto[0] || !t->has_proto[1])
		t->tls = 0;
}

/* Reads one template: goto out owns the pcap_t. */
static int tpl_load(struct tpl *t, const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	size_t cap = 0;
	int rc = -1, r;
	struct pcap_pkthdr *h;
	const u_char *data;

	memset(t, 0, sizeof *t);
	t->path = path;
	pcap_t *pc =
	    pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (!pc) {
		snprintf(err, errlen, "%s: %s", path, ebuf);
		return -1;
	}
	int dlt = pcap_datalink(pc);
	if (dlt != DLT_EN10MB) {
		snprintf(err, errlen, "%s: link type %d, want Ethernet", path, dlt);
		goto out;
	}
	while ((r = pcap_next_ex(pc, &h, &data)) == 1)
		if (tpl_add(t, &cap, h, data, dlt, err, errlen))
			goto out;
	if (r == PCAP_ERROR) {
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(pc));
		goto out;
	}
	if (t->n == 0) {
		snprintf(err, errlen, "%s: no packets", path);
		goto out;
	}
	tpl_plan(t);
	rc = 0;
out:
	pcap_close(pc);
	if (rc)
		tpl_free(t);
	return rc;
}

/* ---- output ------------------------------------------------------------ */

struct out {
	pcap_dumper_t *d;
	int64_t ts_us;
	uint64_t frames, bytes;
	uint64_t rdp_frames, bulk_frames, bg_frames;
	uint16_t ip_id;
	int werr; /* the stream failed: stop early (disk full) */
	uint8_t buf[FRAME_MAX];
};

static void emit(struct out *o, struct rng *r, size_t len)
{
	struct pcap_pkthdr h;
	o->ts_us += 1 + rng_below(r, 100);
	h.ts.tv_sec = (time_t)(o->ts_us / 1000000);
	h.ts.tv_usec = (suseconds_t)(o->ts_us % 1000000);
	h.caplen = h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)o->d, &h, o->buf);
	o->frames++;
	o->bytes += len + 16;
	if ((o->frames & 0xFFFF) == 0 && ferror(pcap_dump_file(o->d)))
		o->werr = 1;
}

/* ---- RDP connections from templates ------------------------------------ */

struct conn {
	const struct tpl *t;
	size_t next; /* next template packet */
	uint32_t bulk_left, bulk_done;
	uint32_t extra[2]; /* bulk bytes inserted per direction */
	uint32_t delta[2]; /* sequence shift per direction */
	uint32_t cip, sip;
	uint16_t cport;
};

static void conn_init(struct conn *c, const struct tpl *t, uint64_t i, uint32_t bulk, struct rng *r)
{
	memset(c, 0, sizeof *c);
	c->t = t;
	c->bulk_left = t->tls ? bulk : 0;
	c->delta[0] = (uint32_t)rng_next(r);
	c->delta[1] = (uint32_t)rng_next(r);
	c->cip = CLIENT_NET + 1 + (uint32_t)(i % CLIENT_MAX);
	c->sip = SERVER_NET + 1 + (uint32_t)(i % SERVERS);
	c->cport = (uint16_t)(CLIENT_PORT_BASE + i % CLIENT_PORTS);
}

/* Shifts the SACK blocks (they name the peer's sequence numbers). */
static void shift_sack(uint8_t *tcp, uint32_t shift)
{
	size_t hl = (size_t)(tcp[12] >> 4) * 4;
	size_t i = TCP_LEN;
	while (i < hl) {
		uint8_t kind = tcp[i];
		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hl || tcp[i + 1] < 2 || i + tcp[i + 1] > hl)
			break;
		size_t olen = tcp[i + 1];
		if (kind == 5)
			for (size_t b = i + 2; b + 4 <= i + olen; b += 4)
				put_be32(tcp + b, get_be32(tcp + b) + shift);
		i += olen;
	}
}

/*
 * Writes template packet `q` as connection c's, with payload `pay`
 * (q's own when NULL) of `pay_len` bytes and the given flags.
 */
static void conn_write(struct out *o, struct rng *r, const struct conn *c, const struct tpl_pkt *q,
                       const uint8_t *pay, uint32_t pay_len, uint32_t seq, uint32_t ack,
                       uint8_t flags)
{
	int d = q->dir;
	memcpy(o->buf, q->data, q->pay_off);
	if (pay)
		memcpy(o->buf + q->pay_off, pay, pay_len);
	else
		memcpy(o->buf + q->pay_off, q->data + q->pay_off, pay_len);
	uint8_t *ip = o->buf + q->ip_off;
	uint8_t *tcp = o->buf + q->tcp_off;
	put_be32(ip + 12, d == 0 ? c->cip : c->sip);
	put_be32(ip + 16, d == 0 ? c->sip : c->cip);
	put_be16(tcp + 0, d == 0 ? c->cport : RDP_PORT);
	put_be16(tcp + 2, d == 0 ? RDP_PORT : c->cport);
	put_be32(tcp + 4, seq);
	put_be32(tcp + 8, ack);
	tcp[13] = flags;
	shift_sack(tcp, c->delta[!d] + c->extra[!d]);
	size_t len = (size_t)q->pay_off + pay_len;
	ip4_finish(ip, len - q->ip_off);
	emit(o, r, len);
}

/* Emits the connection's next packet; returns 1 when it has no more. */
static int conn_step(struct out *o, struct rng *r, struct conn *c)
{
	const struct tpl *t = c->t;
	if (c->next == t->bulk_at && c->bulk_left) {
		/* TLS 1.2 application_data record: 17 03 03 length, then "ciphertext". */
		int d = (int)(c->bulk_done & 1);
		uint8_t rec[BULK_MIN + BULK_SPAN];
		uint32_t n = BULK_MIN + rng_below(r, BULK_SPAN);
		rec[0] = 0x17;
		rec[1] = 0x03;
		rec[2] = 0x03;
		put_be16(rec + 3, (uint16_t)(n - 5));
		rng_fill(r, rec + 5, n - 5);
		uint32_t seq = t->next_seq[d] + c->delta[d] + c->extra[d];
		uint32_t ack = t->next_seq[!d] + c->delta[!d] + c->extra[!d];
		conn_write(o, r, c, &t->p[t->proto[d]], rec, n, seq, ack, TCP_ACK | TCP_PSH);
		c->extra[d] += n;
		c->bulk_left--;
		c->bulk_done++;
		o->bulk_frames++;
		return 0;
	}
	const struct tpl_pkt *q = &t->p[c->next++];
	int d = q->dir;
	uint32_t seq = q->seq + c->delta[d] + c->extra[d];
	uint32_t ack = q->ack;
	if (q->flags & TCP_ACK)
		ack += c->delta[!d] + c->extra[!d];
	conn_write(o, r, c, q, NULL, q->pay_len, seq, ack, q->flags);
	o->rdp_frames++;
	return c->next == t->n && !c->bulk_left;
}

/* ---- background: HTTP-like TCP flows, DNS-like datagrams ---------------- */

enum bg_phase {
	BG_SYN,
	BG_SYNACK,
	BG_ACK,
	BG_REQUEST,
	BG_RESPONSE,
	BG_CLIENT_ACK,
	BG_FIN,
	BG_FINACK,
	BG_LAST_ACK,
	BG_DONE
};

struct bg_flow {
	enum bg_phase phase;
	uint32_t cip, sip;
	uint16_t cport, sport;
	uint32_t cseq, sseq; /* next sequence number of each side */
	uint32_t left;       /* response bytes still to send */
	uint32_t since_ack;  /* response segments since the client's last ACK */
};

struct background {
	struct bg_flow f[BG_FLOWS];
	uint64_t flows; /* TCP flows started */
	uint64_t dns;   /* DNS datagrams */
	uint16_t dns_port, dns_id;
};

static void bg_start(struct bg_flow *f, uint64_t i, struct rng *r)
{
	memset(f, 0, sizeof *f);
	f->cip = BG_CLIENT_NET + 1 + (uint32_t)(i % BG_CLIENTS);
	f->sip = BG_SERVER_NET + 1 + rng_below(r, 254);
	f->cport = (uint16_t)(CLIENT_PORT_BASE + rng_below(r, CLIENT_PORTS));
	f->sport = rng_below(r, 2) ? 443 : 80;
	f->cseq = (uint32_t)rng_next(r);
	f->sseq = (uint32_t)rng_next(r);
	f->left = 200 + rng_below(r, 30000);
}

/* Ethernet + IPv4 header at o->buf; returns the IP header. */
static uint8_t *ip4_header(struct out *o, uint32_t src, uint32_t dst, uint8_t proto)
{
	static const uint8_t eth[ETH_LEN] = {0x02, 0, 0, 0, 0,    0x01, 0x02,
	                                     0,    0, 0, 0, 0x02, 0x08, 0x00};
	memcpy(o->buf, eth, ETH_LEN);
	uint8_t *ip = o->buf + ETH_LEN;
	ip[0] = 0x45;
	ip[1] = 0;
	put_be16(ip + 4, o->ip_id++);
	put_be16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = proto;
	put_be32(ip + 12, src);
	put_be32(ip + 16, dst);
	return ip;
}

static void bg_tcp(struct out *o, struct rng *r, const struct bg_flow *f, int from_client,
                   uint8_t flags, uint32_t pay_len)
{
	uint8_t *ip =
	    ip4_header(o, from_client ? f->cip : f->sip, from_client ? f->sip : f->cip, 6);
	uint8_t *tcp = ip + IP4_LEN;
	size_t hl = (flags & TCP_SYN) ? TCP_LEN + 4 : TCP_LEN;
	memset(tcp, 0, hl);
	put_be16(tcp + 0, from_client ? f->cport : f->sport);
	put_be16(tcp + 2, from_client ? f->sport : f->cport);
	put_be32(tcp + 4, from_client ? f->cseq : f->sseq);
	put_be32(tcp + 8, (flags & TCP_ACK) ? (from_client ? f->sseq : f->cseq) : 0);
	tcp[12] = (uint8_t)(hl / 4 << 4);
	tcp[13] = flags;
	put_be16(tcp + 14, 64240);
	if (flags & TCP_SYN) {
		tcp[20] = 2; /* MSS 1460 */
		tcp[21] = 4;
		put_be16(tcp + 22, 1460);
	}
	uint8_t *pay = tcp + hl;
	if (pay_len) {
		static const char get[] = "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n";
		static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n";
		const char *head = f->sport == 80 ? (from_client ? get : ok) : NULL;
		size_t hn = head ? strlen(head) : 5;
		rng_fill(r, pay, pay_len);
		if (hn > pay_len)
			hn = pay_len;
		if (head)
			memcpy(pay, head, hn);
		else if (pay_len >= 5) {
			pay[0] = 0x17; /* port 443: TLS application_data */
			pay[1] = 0x03;
			pay[2] = 0x03;
			put_be16(pay + 3, (uint16_t)(pay_len - 5));
		}
	}
	ip4_finish(ip, IP4_LEN + hl + pay_len);
	emit(o, r, ETH_LEN + IP4_LEN + hl + pay_len);
	o->bg_frames++;
}

static void bg_flow_step(struct out *o, struct rng *r, struct background *b, struct bg_flow *f)
{
	uint32_t n;
	switch (f->phase) {
	case BG_SYN:
		bg_tcp(o, r, f, 1, TCP_SYN, 0);
		f->cseq++;
		f->phase = BG_SYNACK;
		break;
	case BG_SYNACK:
		bg_tcp(o, r, f, 0, TCP_SYN | TCP_ACK, 0);
		f->sseq++;
		f->phase = BG_ACK;
		break;
	case BG_ACK:
		bg_tcp(o, r, f, 1, TCP_ACK, 0);
		f->phase = BG_REQUEST;
		break;
	case BG_REQUEST:
		n = 100 + rng_below(r, 400);
		bg_tcp(o, r, f, 1, TCP_ACK | TCP_PSH, n);
		f->cseq += n;
		f->phase = BG_RESPONSE;
		break;
	case BG_RESPONSE:
		n = f->left < 1460 ? f->left : 1460;
		bg_tcp(o, r, f, 0, TCP_ACK | (n == f->left ? TCP_PSH : 0), n);
		f->sseq += n;
		f->left -= n;
		if (!f->left)
			f->phase = BG_CLIENT_ACK;
		else if (++f->since_ack == 2)
			f->phase = BG_CLIENT_ACK;
		break;
	case BG_CLIENT_ACK:
		bg_tcp(o, r, f, 1, TCP_ACK, 0);
		f->since_ack = 0;
		f->phase = f->left ? BG_RESPONSE : BG_FIN;
		break;
	case BG_FIN:
		bg_tcp(o, r, f, 1, TCP_FIN | TCP_ACK, 0);
		f->cseq++;
		f->phase = BG_FINACK;
		break;
	case BG_FINACK:
		bg_tcp(o, r, f, 0, TCP_FIN | TCP_ACK, 0);
		f->sseq++;
		f->phase = BG_LAST_ACK;
		break;
	case BG_LAST_ACK:
		bg_tcp(o, r, f, 1, TCP_ACK, 0);
		f->phase = BG_DONE;
		break;
	case BG_DONE:
		break;
	}
	if (f->phase == BG_DONE)
		bg_start(f, b->flows++, r);
}

/* DNS-like: a plausible header, then random bytes; query and answer alternate. */
static void bg_dns(struct out *o, struct rng *r, struct background *b)
{
	int query = !(b->dns & 1);
	uint32_t client = BG_CLIENT_NET + 1 + (uint32_t)((b->dns / 2) % BG_CLIENTS);
	if (query) {
		b->dns_port = (uint16_t)(CLIENT_PORT_BASE + rng_below(r, CLIENT_PORTS));
		b->dns_id = (uint16_t)rng_next(r);
	}
	uint8_t *ip = ip4_header(o, query ? client : DNS_SERVER, query ? DNS_SERVER : client, 17);
	uint8_t *udp = ip + IP4_LEN;
	put_be16(udp + 0, query ? b->dns_port : 53);
	put_be16(udp + 2, query ? 53 : b->dns_port);
	uint32_t n = query ? 30 + rng_below(r, 40) : 60 + rng_below(r, 200);
	uint8_t *pay = udp + UDP_LEN;
	rng_fill(r, pay, n);
	put_be16(pay, b->dns_id);
	put_be16(pay + 2, query ? 0x0100 : 0x8180);
	put_be16(pay + 4, 1);             /* one question, of random bytes */
	put_be16(pay + 6, query ? 0 : 1); /* the answer: random bytes too */
	put_be16(pay + 8, 0);
	put_be16(pay + 10, 0);
	ip4_finish(ip, IP4_LEN + UDP_LEN + n);
	emit(o, r, ETH_LEN + IP4_LEN + UDP_LEN + n);
	o->bg_frames++;
	b->dns++;
}

static void bg_step(struct out *o, struct rng *r, struct background *b)
{
	if (rng_below(r, 4) == 0)
		bg_dns(o, r, b);
	else
		bg_flow_step(o, r, b, &b->f[rng_below(r, BG_FLOWS)]);
}

/* ---- main -------------------------------------------------------------- */

static const char usage_text[] =
    "usage: mkbench [-n CONNECTIONS] [-b BULK] [-g BACKGROUND] [-k INFLIGHT] [-s SEED]\n"
    "               OUT.pcap TEMPLATE.pcap...\n"
    "  -n N   RDP connections, templates replayed round-robin (default 100000)\n"
    "  -b N   TLS application_data packets after each TLS handshake (default 0)\n"
    "  -g F   fraction of frames that is non-RDP background, 0 <= F < 1 (default 0.2)\n"
    "  -k N   connections in flight at once, interleaved (default 64)\n"
    "  -s N   random seed: the same seed writes the same file (default 1)\n";

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *end || errno || v > max || *s == '-')
		return -1;
	*out = v;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t nconn = 100000, bulk = 0, inflight = 64, seed = 1;
	double bg = 0.2;
	int c, rc = EXIT_FAIL, ntpl = 0;
	char err[512];
	static struct tpl tpl[TEMPLATE_MAX];
	static struct out o;
	struct conn *slot = NULL;
	pcap_t *dead = NULL;
	FILE *fp = NULL;

	while ((c = getopt(argc, argv, "n:b:g:k:s:h")) != -1) {
		char *end;
		switch (c) {
		case 'n':
			if (parse_u64(optarg, UINT64_C(1) << 32, &nconn) || nconn == 0)
				goto usage;
			break;
		case 'b':
			if (parse_u64(optarg, 1u << 30, &bulk))
				goto usage;
			break;
		case 'g':
			bg = strtod(optarg, &end);
			if (!*optarg || *end || !(bg >= 0 && bg < 1))
				goto usage;
			break;
		case 'k':
			if (parse_u64(optarg, INFLIGHT_MAX, &inflight) || inflight == 0)
				goto usage;
			break;
		case 's':
			if (parse_u64(optarg, UINT64_MAX, &seed))
				goto usage;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			goto usage;
		}
	}
	if (argc - optind < 2 || argc - optind - 1 > TEMPLATE_MAX)
		goto usage;
	if (nconn > CLIENT_MAX) {
		fprintf(stderr, "mkbench: at most %u connections\n", CLIENT_MAX);
		return EXIT_USAGE;
	}
	const char *outpath = argv[optind];
	for (int i = optind + 1; i < argc; i++) {
		if (tpl_load(&tpl[ntpl], argv[i], err, sizeof err)) {
			fprintf(stderr, "mkbench: %s\n", err);
			goto out;
		}
		ntpl++;
	}

	double t0 = now_s();
	struct rng rg = {seed};
	slot = calloc(inflight, sizeof *slot);
	if (!slot) {
		fprintf(stderr, "mkbench: out of memory\n");
		goto out;
	}
	dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, FRAME_MAX,
	                                            PCAP_TSTAMP_PRECISION_MICRO);
	fp = fopen(outpath, "wb");
	if (!dead || !fp) {
		fprintf(stderr, "mkbench: %s: %s\n", outpath, strerror(errno));
		goto out;
	}
	/* Big stdio buffer: the writer should run at disk speed. */
	setvbuf(fp, NULL, _IOFBF, OUT_BUFFER);
	o.d = pcap_dump_fopen(dead, fp);
	if (!o.d) {
		fprintf(stderr, "mkbench: %s: %s\n", outpath, pcap_geterr(dead));
		goto out;
	}
	fp = NULL; /* the dumper owns it now */
	o.ts_us = TS_START * 1000000;
	o.bytes = 24;

	static struct background b;
	for (int i = 0; i < BG_FLOWS; i++)
		bg_start(&b.f[i], b.flows++, &rg);
	uint64_t started = 0, ntls = 0;
	size_t active = 0;
	while (active < inflight && started < nconn) {
		const struct tpl *t = &tpl[started % (uint64_t)ntpl];
		ntls += t->tls;
		conn_init(&slot[active++], t, started++, (uint32_t)bulk, &rg);
	}
	/* Background with probability bg per frame: that fraction of all frames. */
	uint64_t bg_cut = (uint64_t)(bg * 18446744073709551616.0);
	while (active && !o.werr) {
		if (bg > 0 && rng_next(&rg) < bg_cut) {
			bg_step(&o, &rg, &b);
			continue;
		}
		size_t s = rng_below(&rg, (uint32_t)active);
		if (!conn_step(&o, &rg, &slot[s]))
			continue;
		if (started < nconn) {
			const struct tpl *t = &tpl[started % (uint64_t)ntpl];
			ntls += t->tls;
			conn_init(&slot[s], t, started++, (uint32_t)bulk, &rg);
		} else {
			slot[s] = slot[--active];
		}
	}

	if (o.werr || pcap_dump_flush(o.d) || ferror(pcap_dump_file(o.d))) {
		fprintf(stderr, "mkbench: %s: write error: %s\n", outpath, strerror(errno));
		goto out;
	}
	pcap_dump_close(o.d);
	o.d = NULL;
	double secs = now_s() - t0;
	fprintf(stderr,
	        "mkbench: %s: %llu connections (%llu TLS with %llu bulk packets each), "
	        "%llu frames (%llu template, %llu bulk, %llu background), %llu bytes, "
	        "%.2f s, %.0f MB/s\n",
	        outpath, (unsigned long long)nconn, (unsigned long long)ntls,
	        (unsigned long long)bulk, (unsigned long long)o.frames,
	        (unsigned long long)o.rdp_frames, (unsigned long long)o.bulk_frames,
	        (unsigned long long)o.bg_frames, (unsigned long long)o.bytes, secs,
	        secs > 0 ? (double)o.bytes / secs / 1e6 : 0.0);
	rc = EXIT_OK;
out:
	if (o.d) {
		/* A half-written capture goes; a device (/dev/null, /dev/full) stays. */
		struct stat sb;
		pcap_dump_close(o.d);
		o.d = NULL;
		if (stat(outpath, &sb) == 0 && S_ISREG(sb.st_mode))
			remove(outpath);
	}
	if (fp)
		fclose(fp);
	if (dead)
		pcap_close(dead);
	free(slot);
	for (int i = 0; i < ntpl; i++)
		tpl_free(&tpl[i]);
	return rc;
usage:
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

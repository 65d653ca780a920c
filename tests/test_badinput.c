/*
 * test_badinput.c - hostile and damaged captures through analyze_file():
 * snap-length cuts, empty and 1-byte records, libpcap's own record
 * checks, VLAN and IPv6 header chains past their limits, TCP options
 * garbage, TPKT / X.224 / TLS lengths that lie, sequence wraparound,
 * overlapping retransmissions with different bytes, and flow-table
 * pressure (1,000,000 and 70,000 flows).
 *
 * Captures are written with libpcap (pcap_open_dead + pcap_dump) to
 * /tmp/rdprobe-badinput-XXXXXX (mkstemp) and removed after each test.
 * Every test asserts exact counts and frame numbers.
 */
#include <pcap/pcap.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "analyze.h"
#include "report.h"
#include "tests.h"
#include "x224.h"

#define FIXTURE_TLS RDPROBE_SOURCE_DIR "/fixtures/xrdp-tls-loopback.pcap"
#define FRAME_MAX 70000          /* biggest frame built: IPv4 total <= 65535 */
#define FIXTURE_FRAMES_MAX 128

/* Under ASan, shadow memory and the quarantine make RSS say nothing. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* ---- writing captures --------------------------------------------------- */

struct wcap {
	char path[64];
	FILE *f;
	pcap_t *dead;
	pcap_dumper_t *d;
	int64_t us;              /* timestamp of the next frame */
	uint64_t frames;
};

static int wcap_open(struct wcap *w, int dlt, int snaplen)
{
	memset(w, 0, sizeof *w);
	snprintf(w->path, sizeof w->path, "/tmp/rdprobe-badinput-XXXXXX");
	int fd = mkstemp(w->path);
	if (fd < 0)
		return -1;
	w->f = fdopen(fd, "wb");
	if (!w->f) {
		close(fd);
		return -1;
	}
	w->dead = pcap_open_dead(dlt, snaplen);
	if (!w->dead)
		return -1;
	w->d = pcap_dump_fopen(w->dead, w->f);
	if (!w->d)
		return -1;
	w->us = 1700000000LL * 1000000;
	return 0;
}

/* One record: `caplen` bytes of p, `len` on the wire; 100 us apart. */
static void wcap_put(struct wcap *w, const uint8_t *p, uint32_t caplen, uint32_t len)
{
	struct pcap_pkthdr h;
	memset(&h, 0, sizeof h);
	h.ts.tv_sec = (time_t)(w->us / 1000000);
	h.ts.tv_usec = (suseconds_t)(w->us % 1000000);
	h.caplen = caplen;
	h.len = len;
	pcap_dump((u_char *)w->d, &h, p);
	w->us += 100;
	w->frames++;
}

/* One record with the time of `orig` (a frame of an existing capture). */
static void wcap_put_at(struct wcap *w, const struct pcap_pkthdr *orig, const uint8_t *p,
			uint32_t caplen, uint32_t len)
{
	struct pcap_pkthdr h = *orig;
	h.caplen = caplen;
	h.len = len;
	pcap_dump((u_char *)w->d, &h, p);
	w->frames++;
}

/* Closes the file (the path stays until wcap_remove). */
static void wcap_close(struct wcap *w)
{
	if (w->d)
		pcap_dump_close(w->d); /* closes w->f */
	else if (w->f)
		fclose(w->f);
	if (w->dead)
		pcap_close(w->dead);
	w->d = NULL;
	w->f = NULL;
	w->dead = NULL;
}

static void wcap_remove(struct wcap *w)
{
	wcap_close(w);
	if (w->path[0])
		unlink(w->path);
	w->path[0] = '\0';
}

static enum analyze_result analyze(const char *path, struct analysis *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof *a);
	err[0] = '\0';
	return analyze_file(path, a, err, errlen);
}

/* Closes w and analyzes it: 0 when analyze_file said OK. */
static int wcap_analyze(struct wcap *w, struct analysis *a)
{
	char err[512];
	wcap_close(w);
	enum analyze_result r = analyze(w->path, a, err, sizeof err);
	if (r != ANALYZE_OK)
		fprintf(stderr, "\n  analyze %s: %s\n", w->path, err);
	CU_ASSERT_EQUAL(r, ANALYZE_OK);
	return r == ANALYZE_OK ? 0 : -1;
}

/* ---- building frames ---------------------------------------------------- */

static void put16(uint8_t *b, unsigned v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b + 2, v & 0xffff);
}

static uint32_t get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

#define ETH_LEN 14
#define IP4_LEN 20
#define TCP_LEN 20

/* Ethernet II header ending in `ethertype`; returns its length. */
static size_t eth(uint8_t *b, unsigned ethertype)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
	memcpy(b, macs, sizeof macs);
	put16(b + 12, ethertype);
	return ETH_LEN;
}

/* IPv4 header (no options) for `l4_len` bytes of `proto`. */
static size_t ip4(uint8_t *b, uint32_t src, uint32_t dst, uint8_t proto, size_t l4_len)
{
	memset(b, 0, IP4_LEN);
	b[0] = 0x45;
	put16(b + 2, (unsigned)(IP4_LEN + l4_len));
	put16(b + 6, 0x4000); /* DF */
	b[8] = 64;
	b[9] = proto;
	put32(b + 12, src);
	put32(b + 16, dst);
	return IP4_LEN;
}

/* TCP header without options. */
static size_t tcph(uint8_t *b, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		   uint8_t flags)
{
	memset(b, 0, TCP_LEN);
	put16(b, sport);
	put16(b + 2, dport);
	put32(b + 4, seq);
	put32(b + 8, ack);
	b[12] = 5 << 4;
	b[13] = flags;
	put16(b + 14, 65535);
	return TCP_LEN;
}

/* Ethernet + IPv4 + TCP + payload; returns the frame length. */
static size_t tcp4(uint8_t *b, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		   uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *pl, size_t n)
{
	size_t o = eth(b, 0x0800);
	o += ip4(b + o, src, dst, 6, TCP_LEN + n);
	o += tcph(b + o, sport, dport, seq, ack, flags);
	if (n)
		memcpy(b + o, pl, n);
	return o + n;
}

#define CLIENT_IP 0x0a000001u /* 10.0.0.1 */
#define SERVER_IP 0x0a000002u /* 10.0.0.2 */

static void put_syn(struct wcap *w, uint32_t src, uint16_t sport, uint16_t dport)
{
	uint8_t b[128];
	size_t n = tcp4(b, src, sport, SERVER_IP, dport, 1000, 0, TCP_SYN, NULL, 0);
	wcap_put(w, b, (uint32_t)n, (uint32_t)n);
}

/* One TCP connection: sequence numbers kept per direction. */
struct conv {
	struct wcap *w;
	uint32_t ip[2];
	uint16_t port[2];
	uint32_t seq[2];
};

static void conv_init(struct conv *c, struct wcap *w, uint16_t cport, uint16_t sport)
{
	c->w = w;
	c->ip[DIR_C2S] = CLIENT_IP;
	c->ip[DIR_S2C] = SERVER_IP;
	c->port[DIR_C2S] = cport;
	c->port[DIR_S2C] = sport;
	c->seq[DIR_C2S] = 0x10000000;
	c->seq[DIR_S2C] = 0x20000000;
}

static void conv_pkt(struct conv *c, int dir, uint8_t flags, const uint8_t *pl, size_t n)
{
	static uint8_t b[FRAME_MAX];
	size_t len = tcp4(b, c->ip[dir], c->port[dir], c->ip[!dir], c->port[!dir], c->seq[dir],
			  c->seq[!dir], flags, pl, n);
	wcap_put(c->w, b, (uint32_t)len, (uint32_t)len);
	c->seq[dir] += (uint32_t)n + ((flags & (TCP_SYN | TCP_FIN)) ? 1u : 0u);
}

/* Frames 1-3: SYN, SYN+ACK, ACK. */
static void conv_open(struct conv *c)
{
	conv_pkt(c, DIR_C2S, TCP_SYN, NULL, 0);
	conv_pkt(c, DIR_S2C, TCP_SYN | TCP_ACK, NULL, 0);
	conv_pkt(c, DIR_C2S, TCP_ACK, NULL, 0);
}

static void conv_send(struct conv *c, int dir, const uint8_t *pl, size_t n)
{
	conv_pkt(c, dir, TCP_PSH | TCP_ACK, pl, n);
}

/* FIN from the client, FIN from the server, last ACK. */
static void conv_close(struct conv *c)
{
	conv_pkt(c, DIR_C2S, TCP_FIN | TCP_ACK, NULL, 0);
	conv_pkt(c, DIR_S2C, TCP_FIN | TCP_ACK, NULL, 0);
	conv_pkt(c, DIR_C2S, TCP_ACK, NULL, 0);
}

/* TPKT + X.224 CR + "Cookie: mstshash=test\r\n" + RDP_NEG_REQ. */
static size_t x224_cr(uint8_t *b, uint32_t requested)
{
	static const char cookie[] = "Cookie: mstshash=test\r\n";
	size_t ck = sizeof cookie - 1, n = 4 + 1 + 6 + ck + 8;
	b[0] = 3;
	b[1] = 0;
	put16(b + 2, (unsigned)n);
	b[4] = (uint8_t)(6 + ck + 8);
	b[5] = X224_TPDU_CR;
	memset(b + 6, 0, 5);
	memcpy(b + 11, cookie, ck);
	uint8_t *neg = b + 11 + ck;
	neg[0] = NEG_REQ;
	neg[1] = 0;
	neg[2] = 8;
	neg[3] = 0;
	neg[4] = (uint8_t)requested;
	neg[5] = (uint8_t)(requested >> 8);
	neg[6] = (uint8_t)(requested >> 16);
	neg[7] = (uint8_t)(requested >> 24);
	return n;
}

/* TPKT + X.224 CC + RDP_NEG_RSP selecting `selected` (19 bytes). */
static size_t x224_cc(uint8_t *b, uint32_t selected)
{
	static const uint8_t cc[19] = {3, 0, 0, 19, 14, X224_TPDU_CC, 0, 0, 0x12, 0x34, 0,
				       NEG_RSP, 0, 8, 0, 0, 0, 0, 0};
	memcpy(b, cc, sizeof cc);
	b[15] = (uint8_t)selected;
	b[16] = (uint8_t)(selected >> 8);
	return sizeof cc;
}

/* Frames 1-5: handshake, CR requesting `req`, CC selecting `sel`. */
static void conv_negotiate(struct conv *c, uint32_t req, uint32_t sel)
{
	uint8_t b[128];
	conv_open(c);
	conv_send(c, DIR_C2S, b, x224_cr(b, req));
	conv_send(c, DIR_S2C, b, x224_cc(b, sel));
}

/* A TLS record header: type, version 3.3, length. */
static size_t tls_hdr(uint8_t *b, uint8_t type, unsigned len)
{
	b[0] = type;
	b[1] = 3;
	b[2] = 3;
	put16(b + 3, len);
	return 5;
}

/* ---- the fixture, frame by frame ---------------------------------------- */

struct frames {
	int n;
	struct pcap_pkthdr h[FIXTURE_FRAMES_MAX];
	uint8_t *data[FIXTURE_FRAMES_MAX];
};

static int frames_load(struct frames *fr, const char *path)
{
	char eb[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	memset(fr, 0, sizeof *fr);
	pcap_t *pc = pcap_open_offline(path, eb);
	if (!pc)
		return -1;
	while (fr->n < FIXTURE_FRAMES_MAX && pcap_next_ex(pc, &h, &d) == 1) {
		fr->h[fr->n] = *h;
		fr->data[fr->n] = malloc(h->caplen ? h->caplen : 1);
		if (!fr->data[fr->n])
			break;
		memcpy(fr->data[fr->n], d, h->caplen);
		fr->n++;
	}
	pcap_close(pc);
	return 0;
}

static void frames_free(struct frames *fr)
{
	for (int i = 0; i < fr->n; i++)
		free(fr->data[i]);
	fr->n = 0;
}

/* The fixture is Ethernet + IPv4: where its TCP header starts. */
static size_t tcp_off(const uint8_t *f)
{
	return ETH_LEN + (size_t)(f[ETH_LEN] & 0x0f) * 4;
}

static size_t tcp_hdr_len(const uint8_t *f)
{
	return (size_t)(f[tcp_off(f) + 12] >> 4) * 4;
}

static uint16_t tcp_sport(const uint8_t *f)
{
	size_t t = tcp_off(f);
	return (uint16_t)(f[t] << 8 | f[t + 1]);
}

/* Writes the fixture's frames, each cut to `cut` bytes (0: whole). */
static int write_fixture(struct wcap *w, const struct frames *fr, uint32_t cut)
{
	if (wcap_open(w, DLT_EN10MB, cut ? (int)cut : 262144))
		return -1;
	for (int i = 0; i < fr->n; i++) {
		uint32_t cl = fr->h[i].caplen;
		if (cut && cl > cut)
			cl = cut;
		wcap_put_at(w, &fr->h[i], fr->data[i], cl, fr->h[i].len);
	}
	return 0;
}

/* The capture JSON without the file name (which is a temporary path). */
static json_t *capture_json(const struct analysis *a)
{
	json_t *j = report_capture_json(a);
	json_object_del(j, "file");
	return j;
}

static void assert_json_equal(json_t *want, json_t *got)
{
	int ok = want && got && json_equal(want, got);
	if (!ok) {
		char *ws = want ? json_dumps(want, JSON_SORT_KEYS | JSON_INDENT(1)) : NULL;
		char *gs = got ? json_dumps(got, JSON_SORT_KEYS | JSON_INDENT(1)) : NULL;
		fprintf(stderr, "\n  JSON differs\n  want %s\n  got %s\n", ws ? ws : "-", gs ? gs : "-");
		free(ws);
		free(gs);
	}
	CU_ASSERT(ok);
}

/* ---- snap length -------------------------------------------------------- */

/*
 * Every frame of the TLS fixture cut to 60 bytes.  Its TCP headers carry
 * 12 bytes of timestamps (Ethernet 14 + IP 20 + TCP 32 = 66), so 60 bytes
 * cut every TCP header inside its options: every frame is TRUNCATED and
 * no connection can be found.
 */
static void test_snaplen_60(void)
{
	struct frames fr;
	struct wcap w;
	struct analysis a;

	CU_ASSERT_EQUAL_FATAL(frames_load(&fr, FIXTURE_TLS), 0);
	CU_ASSERT_EQUAL(fr.n, 67);
	int longer = 0;
	for (int i = 0; i < fr.n; i++)
		longer += fr.h[i].len > 60;
	CU_ASSERT_EQUAL(longer, 67);
	CU_ASSERT_EQUAL_FATAL(write_fixture(&w, &fr, 60), 0);
	if (wcap_analyze(&w, &a) == 0) {
		CU_ASSERT_EQUAL(a.cap.frames, 67);
		CU_ASSERT_EQUAL(a.cap.snaplen, 60);
		CU_ASSERT_EQUAL(a.cap.snap_cut, 67);
		CU_ASSERT_EQUAL(a.cap.pkt_status[PKT_TRUNCATED], 67);
		CU_ASSERT_EQUAL(a.cap.pkt_status[PKT_OK], 0);
		CU_ASSERT_EQUAL(a.cap.read_error, 0);
		CU_ASSERT_EQUAL(a.nconns, 0);
	}
	analysis_free(&a);
	wcap_remove(&w);
	frames_free(&fr);
}

/*
 * The same cut to 96 bytes: whole headers and the first 30 payload bytes.
 * The SYN (74 bytes) and the Connection Confirm (85) are whole; the
 * Connection Request (45 payload bytes) is cut but still recognised; the
 * TLS records are cut.  Every cut segment is counted and its missing
 * bytes are a hole (never captured, not acknowledged-but-missed).
 */
static void test_snaplen_96(void)
{
	struct frames fr;
	struct wcap w;
	struct analysis a;

	CU_ASSERT_EQUAL_FATAL(frames_load(&fr, FIXTURE_TLS), 0);
	uint32_t longer = 0, cut_seg[2] = {0, 0};
	for (int i = 0; i < fr.n; i++) {
		if (fr.h[i].len <= 96)
			continue;
		longer++;
		cut_seg[tcp_sport(fr.data[i]) == 33888 ? DIR_C2S : DIR_S2C]++;
	}
	CU_ASSERT_EQUAL(longer, 40);
	CU_ASSERT_EQUAL(cut_seg[DIR_C2S], 22);
	CU_ASSERT_EQUAL(cut_seg[DIR_S2C], 18);
	CU_ASSERT_EQUAL_FATAL(write_fixture(&w, &fr, 96), 0);
	if (wcap_analyze(&w, &a) == 0) {
		CU_ASSERT_EQUAL(a.cap.frames, 67);
		CU_ASSERT_EQUAL(a.cap.snaplen, 96);
		CU_ASSERT_EQUAL(a.cap.snap_cut, 40);
		CU_ASSERT_EQUAL(a.cap.pkt_status[PKT_OK], 67);
		CU_ASSERT_EQUAL_FATAL(a.nconns, 1);
		const struct rdp_conn *c = a.conns[0];
		CU_ASSERT_EQUAL(c->rdp_seen, 1);
		CU_ASSERT_EQUAL(c->tcp.syn_frame, 1);
		CU_ASSERT_EQUAL(c->tcp.synack_frame, 2);
		CU_ASSERT_EQUAL(c->tcp.d[0].mss, 65495);
		/* The request was never whole; the confirm was. */
		CU_ASSERT_EQUAL(c->cr_count, 0);
		CU_ASSERT_EQUAL(c->cr.frame, 0);
		CU_ASSERT_EQUAL(c->cc.frame, 6);
		CU_ASSERT_EQUAL(c->cc.neg_type, NEG_RSP);
		CU_ASSERT_EQUAL(c->cc.selected, PROTOCOL_SSL);
		CU_ASSERT_EQUAL(c->stage, STAGE_X224_CONFIRM);
		CU_ASSERT_EQUAL(c->stage_frame, 6);
		/* Cut segments: all but the client's retransmission (frame 64). */
		const struct tcp_dir_facts *d = &c->tcp.d[DIR_C2S];
		CU_ASSERT_EQUAL(d->truncated, 21);
		CU_ASSERT_EQUAL(d->holes, 21);
		CU_ASSERT_EQUAL(d->retransmissions, 1);
		CU_ASSERT_EQUAL(d->hole[0].frame, 4);
		CU_ASSERT_EQUAL(d->hole[0].rel_seq, 30);
		CU_ASSERT_EQUAL(d->hole[0].len, 45 - 30);
		CU_ASSERT_EQUAL(d->hole[0].acked, 0);
		d = &c->tcp.d[DIR_S2C];
		CU_ASSERT_EQUAL(d->truncated, 18);
		CU_ASSERT_EQUAL(d->holes, 18);
		CU_ASSERT_EQUAL(d->hole[0].frame, 9);
		CU_ASSERT_EQUAL(d->hole[0].rel_seq, 19 + 30);
		CU_ASSERT_EQUAL(d->hole[0].len, 1209 - 30);
		/* TLS was expected, its first record header seen, no message whole. */
		CU_ASSERT_EQUAL(c->tls_seen, 1);
		CU_ASSERT_EQUAL(c->tls.status, DEC_OK);
		CU_ASSERT_EQUAL(c->tls.client_hello_frame, 0);
		CU_ASSERT_EQUAL(c->tls.server_hello_frame, 0);
		CU_ASSERT_EQUAL(c->nviol, 0);
	}
	analysis_free(&a);
	wcap_remove(&w);
	frames_free(&fr);
}

/* libpcap keeps a record longer than the file's snaplen to snaplen bytes. */
static void test_caplen_over_snaplen(void)
{
	struct wcap w;
	struct analysis a;
	uint8_t b[256];

	memset(b, 0, sizeof b);
	size_t n = tcp4(b, CLIENT_IP, 40000, SERVER_IP, 3389, 1000, 0, TCP_SYN, NULL, 0);
	CU_ASSERT_EQUAL(n, 54);
	CU_ASSERT_EQUAL_FATAL(wcap_open(&w, DLT_EN10MB, 100), 0);
	wcap_put(&w, b, 200, 200); /* 146 bytes of padding after the SYN */
	put_syn(&w, CLIENT_IP + 1, 40001, 3389);
	if (wcap_analyze(&w, &a) == 0) {
		CU_ASSERT_EQUAL(a.cap.frames, 2);
		CU_ASSERT_EQUAL(a.cap.snap_cut, 1);
		CU_ASSERT_EQUAL(a.cap.pkt_status[PKT_OK], 2);
		CU_ASSERT_EQUAL(a.cap.read_error, 0);
		CU_ASSERT_EQUAL_FATAL(a.nconns, 2);
		CU_ASSERT_EQUAL(a.conns[0]->first_frame, 1);
		CU_ASSERT_EQUAL(a.conns[1]->first_frame, 2);
		CU_ASSERT_EQUAL(a.conns[1]->cport, 40001);
	}
	analysis_free(&a);
	wcap_remove(&w);
}

/* Writes raw bytes to a fresh temporary file. */
static int raw_file(struct wcap *w, const uint8_t *p, size_t n)
{
	memset(w, 0, sizeof *w);
	snprintf(w->path, sizeof w->path, "/tmp/rdprobe-badinput-XXXXXX");
	int fd = mkstemp(w->path);
	if (fd < 0)
		return -1;
	int ok = write(fd, p, n) == (ssize_t)n;
	close(fd);
	return ok ? 0 : -1;
}

/* pcap file header: magic, 2.4, snaplen, link type (little-endian). */
static size_t pcap_file_header(uint8_t *b, uint32_t snaplen, uint32_t dlt)
{
	static const uint8_t h[16] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0};
	memcpy(b, h, sizeof h);
	for (int i = 0; i < 4; i++) {
		b[16 + i] = (uint8_t)(snaplen >> (8 * i));
		b[20 + i] = (uint8_t)(dlt >> (8 * i));
	}
	return 24;
}

static size_t pcap_rec_header(uint8_t *b, uint32_t caplen, uint32_t len)
{
	memset(b, 0, 8);
	for (int i = 0; i < 4; i++) {
		b[8 + i] = (uint8_t)(caplen >> (8 * i));
		b[12 + i] = (uint8_t)(len >> (8 * i));
	}
	return 16;
}

/* A record header claiming 0x7fffffff bytes: libpcap refuses it, we note it. */
static void test_giant_caplen(void)
{
	struct wcap w;
	struct analysis a;
	char err[512];
	uint8_t b[512];
	size_t o = pcap_file_header(b, 65535, 1);

	o += pcap_rec_header(b + o, 54, 54);
	o += tcp4(b + o, CLIENT_IP, 40000, SERVER_IP, 3389, 1000, 0, TCP_SYN, NULL, 0);
	o += pcap_rec_header(b + o, 0x7fffffff, 0x7fffffff);
	memset(b + o, 0xAA, 100);
	o += 100;
	CU_ASSERT_EQUAL_FATAL(raw_file(&w, b, o), 0);
	CU_ASSERT_EQUAL(analyze(w.path, &a, err, sizeof err), ANALYZE_OK);
	CU_ASSERT_EQUAL(a.cap.frames, 1);
	CU_ASSERT_EQUAL(a.cap.read_error, 1);
	CU_ASSERT_STRING_EQUAL(a.cap.read_error_text,
			       "capture file damaged after frame 1: invalid packet capture length "
			       "2147483647, bigger than snaplen of 65535");
	CU_ASSERT_EQUAL(a.nconns, 1); /* the SYN before it, to port 3389 */
	analysis_free(&a);
	wcap_remove(&w);
}

/* The fixture cut inside its last record, and inside a record header. */
static void test_truncated_file(void)
{
	struct frames fr;
	struct wcap w;
	struct analysis a;
	char err[512];

	CU_ASSERT_EQUAL_FATAL(frames_load(&fr, FIXTURE_TLS), 0);
	CU_ASSERT_EQUAL_FATAL(write_fixture(&w, &fr, 0), 0);
	wcap_close(&w);
	FILE *f = fopen(w.path, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	static uint8_t whole[32768];
	size_t n = fread(whole, 1, sizeof whole, f);
	fclose(f);
	wcap_remove(&w);
	CU_ASSERT_EQUAL(n, 17738); /* as the fixture: 24 + 67 * 16 + frame bytes */
	CU_ASSERT_EQUAL(fr.h[66].caplen, 66);

	/* 10 bytes of the last frame missing */
	CU_ASSERT_EQUAL_FATAL(raw_file(&w, whole, n - 10), 0);
	CU_ASSERT_EQUAL(analyze(w.path, &a, err, sizeof err), ANALYZE_OK);
	CU_ASSERT_EQUAL(a.cap.frames, 66);
	CU_ASSERT_EQUAL(a.cap.read_error, 1);
	CU_ASSERT_STRING_EQUAL(a.cap.read_error_text,
			       "capture file damaged after frame 66: truncated dump file; tried to "
			       "read 66 captured bytes, only got 56");
	CU_ASSERT_EQUAL_FATAL(a.nconns, 1);
	CU_ASSERT_EQUAL(a.conns[0]->cr.frame, 4);
	CU_ASSERT_EQUAL(a.conns[0]->cc.frame, 6);
	CU_ASSERT_EQUAL(a.conns[0]->tls.certificate_frame, 9);
	CU_ASSERT_EQUAL(a.conns[0]->last_frame, 66);
	analysis_free(&a);
	wcap_remove(&w);

	/* the last record header cut after 5 of its 16 bytes */
	CU_ASSERT_EQUAL_FATAL(raw_file(&w, whole, n - 66 - 11), 0);
	CU_ASSERT_EQUAL(analyze(w.path, &a, err, sizeof err), ANALYZE_OK);
	CU_ASSERT_EQUAL(a.cap.frames, 66);
	CU_ASSERT_EQUAL(a.cap.read_error, 1);
	CU_ASSERT_STRING_EQUAL(a.cap.read_error_text,
			       "capture file damaged after frame 66: truncated dump file; tried to "
			       "read 16 header bytes, only got 5");
	CU_ASSERT_EQUAL(a.nconns, 1);
	analysis_free(&a);
	wcap_remove(&w);
	frames_free(&fr);
}

/*
 * analyze_pcap on a capture in memory (fmemopen + pcap_fopen_offline, as
 * the fuzz harness reads it) gives the report analyze_file gives for the
 * file; then the same bytes cut 10 short, and a link type we do not decode.
 */
static void test_analyze_from_memory(void)
{
	static uint8_t whole[32768];
	struct analysis a, b;
	char err[512], ebuf[PCAP_ERRBUF_SIZE];

	FILE *f = fopen(FIXTURE_TLS, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	size_t n = fread(whole, 1, sizeof whole, f);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(n, 17738);
	CU_ASSERT_EQUAL_FATAL(analyze(FIXTURE_TLS, &a, err, sizeof err), ANALYZE_OK);

	for (int cut = 0; cut <= 10; cut += 10) {
		FILE *m = fmemopen(whole, n - (size_t)cut, "rb");
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(m, PCAP_TSTAMP_PRECISION_MICRO,
								      ebuf);
		CU_ASSERT_PTR_NOT_NULL_FATAL(pc);
		memset(&b, 0, sizeof b);
		CU_ASSERT_EQUAL(analyze_pcap(pc, FIXTURE_TLS, &b, err, sizeof err), ANALYZE_OK);
		pcap_close(pc); /* closes m */
		CU_ASSERT_EQUAL(b.cap.frames, 67 - (cut != 0));
		CU_ASSERT_EQUAL(b.cap.read_error, cut != 0);
		if (!cut) {
			json_t *want = report_capture_json(&a), *got = report_capture_json(&b);
			assert_json_equal(want, got);
			json_decref(want);
			json_decref(got);
		}
		analysis_free(&b);
	}
	analysis_free(&a);

	pcap_t *dead = pcap_open_dead(DLT_USB_LINUX, 65535);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dead);
	memset(&b, 0, sizeof b);
	CU_ASSERT_EQUAL(analyze_pcap(dead, "usb.pcap", &b, err, sizeof err), ANALYZE_BAD_LINKTYPE);
	CU_ASSERT_STRING_EQUAL(err, "usb.pcap: link type USB_LINUX (189) is not supported");
	analysis_free(&b);
	pcap_close(dead);
}

/* Not captures at all, and captures of a link type we do not decode. */
static void test_unreadable_files(void)
{
	struct wcap w;
	struct analysis a;
	char err[512], want[600];
	uint8_t b[64];

	CU_ASSERT_EQUAL(analyze("/nonexistent/rdprobe.pcap", &a, err, sizeof err),
			ANALYZE_OPEN_FAILED);
	CU_ASSERT_STRING_EQUAL(err, "/nonexistent/rdprobe.pcap: No such file or directory");
	analysis_free(&a);

	CU_ASSERT_EQUAL_FATAL(raw_file(&w, (const uint8_t *)"", 0), 0);
	CU_ASSERT_EQUAL(analyze(w.path, &a, err, sizeof err), ANALYZE_OPEN_FAILED);
	snprintf(want, sizeof want,
		 "%s: truncated dump file; tried to read 4 file header bytes, only got 0", w.path);
	CU_ASSERT_STRING_EQUAL(err, want);
	analysis_free(&a);
	wcap_remove(&w);

	/* the global header cut to 10 bytes */
	pcap_file_header(b, 65535, 1);
	CU_ASSERT_EQUAL_FATAL(raw_file(&w, b, 10), 0);
	CU_ASSERT_EQUAL(analyze(w.path, &a, err, sizeof err), ANALYZE_OPEN_FAILED);
	snprintf(want, sizeof want,
		 "%s: truncated dump file; tried to read 24 file header bytes, only got 6", w.path);
	CU_ASSERT_STRING_EQUAL(err, want);
	analysis_free(&a);
	wcap_remove(&w);

	/* DLT_USER0 */
	CU_ASSERT_EQUAL_FATAL(raw_file(&w, b, pcap_file_header(b, 65535, 147)), 0);
	CU_ASSERT_EQUAL(analyze(w.path, &a, err, sizeof err), ANALYZE_BAD_LINKTYPE);
	snprintf(want, sizeof want, "%s: link type unknown (147) is not supported", w.path);
	CU_ASSERT_STRING_EQUAL(err, want);
	CU_ASSERT_EQUAL(a.nconns, 0);
	analysis_free(&a);
	wcap_remove(&w);

	/* a header only: a capture of no frames */
	CU_ASSERT_EQUAL_FATAL(raw_file(&w, b, pcap_file_header(b, 65535, 1)), 0);
	CU_ASSERT_EQUAL(analyze(w.path, &a, err, sizeof err), ANALYZE_OK);
	CU_ASSERT_EQUAL(a.cap.frames, 0);
	CU_ASSERT_EQUAL(a.cap.read_error, 0);
	CU_ASSERT_EQUAL(a.nconns, 0);
	analysis_free(&a);
	wcap_remove(&w);
}

/* ---- pcapng ------------------------------------------------------------- */

static size_t le16(uint8_t *b, unsigned v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	return 2;
}

static size_t le32(uint8_t *b, uint32_t v)
{
	le16(b, v & 0xffff);
	le16(b + 2, v >> 16);
	return 4;
}

/*
 * pcapng: Section Header, Interface Description (link type `dlt`, with
 * if_tsresol = 10^0 when `seconds`: timestamps count whole seconds).
 */
static size_t pcapng_head(uint8_t *b, unsigned dlt, int seconds)
{
	size_t o = 0;
	o += le32(b + o, 0x0A0D0D0A);
	o += le32(b + o, 28);
	o += le32(b + o, 0x1A2B3C4D);
	o += le16(b + o, 1);
	o += le16(b + o, 0);
	memset(b + o, 0xff, 8); /* section length unknown */
	o += 8;
	o += le32(b + o, 28);
	uint32_t idb = seconds ? 32 : 20;
	o += le32(b + o, 1);
	o += le32(b + o, idb);
	o += le16(b + o, dlt);
	o += le16(b + o, 0);
	o += le32(b + o, 65535);
	if (seconds) {
		o += le16(b + o, 9); /* if_tsresol */
		o += le16(b + o, 1);
		memset(b + o, 0, 4); /* 10^-0, padding */
		o += 4;
		o += le32(b + o, 0); /* opt_endofopt */
	}
	o += le32(b + o, idb);
	return o;
}

/* Enhanced Packet Block with a 64-bit timestamp. */
static size_t pcapng_epb(uint8_t *b, uint64_t ts, const uint8_t *pkt, uint32_t n)
{
	uint32_t padded = (n + 3) & ~3u, len = 32 + padded;
	size_t o = 0;
	o += le32(b + o, 6);
	o += le32(b + o, len);
	o += le32(b + o, 0);
	o += le32(b + o, (uint32_t)(ts >> 32));
	o += le32(b + o, (uint32_t)ts);
	o += le32(b + o, n);
	o += le32(b + o, n);
	memset(b + o, 0, padded);
	memcpy(b + o, pkt, n);
	o += padded;
	o += le32(b + o, len);
	return o;
}

/*
 * Timestamps at the ends of 64 bits (whole seconds): libpcap hands over a
 * tv_sec of INT64_MAX or INT64_MIN.  Times are clamped, durations and
 * deltas computed and rendered without overflow (UBSan watches).
 */
static void test_pcapng_extreme_timestamps(void)
{
	struct wcap w;
	struct analysis a;
	char err[512];
	uint8_t b[1024], syn[64];
	size_t n = tcp4(syn, CLIENT_IP, 40000, SERVER_IP, 3389, 1000, 0, TCP_SYN, NULL, 0);
	size_t o = pcapng_head(b, 1, 1);

	o += pcapng_epb(b + o, 0x7FFFFFFFFFFFFFFFull, syn, (uint32_t)n);
	o += pcapng_epb(b + o, 1, syn, (uint32_t)n);
	o += pcapng_epb(b + o, 0x8000000000000000ull, syn, (uint32_t)n);
	o += pcapng_epb(b + o, 0xFFFFFFFFFFFFFFFFull, syn, (uint32_t)n);
	CU_ASSERT_EQUAL_FATAL(raw_file(&w, b, o), 0);
	CU_ASSERT_EQUAL(analyze(w.path, &a, err, sizeof err), ANALYZE_OK);
	CU_ASSERT_EQUAL(a.cap.frames, 4);
	CU_ASSERT_EQUAL(a.cap.read_error, 0);
	CU_ASSERT(a.cap.first_us > INT64_MAX / 4 && a.cap.first_us <= INT64_MAX / 2);
	CU_ASSERT_EQUAL(a.cap.last_us, -1000000); /* 2^64 - 1 s: tv_sec -1 */
	CU_ASSERT_EQUAL_FATAL(a.nconns, 1);
	CU_ASSERT_EQUAL(a.conns[0]->tcp.syn_count, 4);
	json_t *j = report_capture_json(&a);
	CU_ASSERT_PTR_NOT_NULL(j);
	json_decref(j);
	FILE *devnull = fopen("/dev/null", "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(devnull);
	report_text(devnull, &a);
	fclose(devnull);
	analysis_free(&a);
	wcap_remove(&w);

	/* and a pcapng of a link type we do not decode */
	o = pcapng_head(b, 147, 0);
	CU_ASSERT_EQUAL_FATAL(raw_file(&w, b, o), 0);
	CU_ASSERT_EQUAL(analyze(w.path, &a, err, sizeof err), ANALYZE_BAD_LINKTYPE);
	analysis_free(&a);
	wcap_remove(&w);
}

/* ---- tiny and empty records --------------------------------------------- */

static void test_zero_length_records(void)
{
	struct wcap w;
	struct analysis a;
	uint8_t b[64];

	memset(b, 0, sizeof b);
	CU_ASSERT_EQUAL_FATAL(wcap_open(&w, DLT_EN10MB, 65535), 0);
	wcap_put(&w, b, 0, 0);
	wcap_put(&w, b, 0, 60); /* all of it cut by the snap length */
	put_syn(&w, CLIENT_IP, 40000, 3389);
	wcap_put(&w, b, 0, 0);
	if (wcap_analyze(&w, &a) == 0) {
		CU_ASSERT_EQUAL(a.cap.frames, 4);
		CU_ASSERT_EQUAL(a.cap.bytes, 0 + 60 + 54 + 0);
		CU_ASSERT_EQUAL(a.cap.snap_cut, 1);
		CU_ASSERT_EQUAL(a.cap.pkt_status[PKT_TRUNCATED], 3);
		CU_ASSERT_EQUAL(a.cap.pkt_status[PKT_OK], 1);
		CU_ASSERT_EQUAL_FATAL(a.nconns, 1);
		CU_ASSERT_EQUAL(a.conns[0]->first_frame, 3);
		CU_ASSERT_EQUAL(a.conns[0]->tcp.syn_frame, 3);
		CU_ASSERT_EQUAL(a.conns[0]->stage, STAGE_TCP_SYN);
	}
	analysis_free(&a);
	wcap_remove(&w);
}

/* One byte of every link type we decode. */
static void test_one_byte_frames(void)
{
	static const struct {
		int dlt;
		uint8_t byte;
		enum pkt_status want;
	} cases[] = {
		{DLT_EN10MB, 0x45, PKT_TRUNCATED},
		{DLT_LINUX_SLL, 0x00, PKT_TRUNCATED},
		{276 /* DLT_LINUX_SLL2 */, 0x08, PKT_TRUNCATED},
		{DLT_NULL, 0x02, PKT_TRUNCATED},
		{DLT_LOOP, 0x00, PKT_TRUNCATED},
		{DLT_RAW, 0x45, PKT_TRUNCATED},
		{DLT_RAW, 0x60, PKT_TRUNCATED},
		{DLT_RAW, 0x00, PKT_INVALID}, /* IP version 0: wrong, not short */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct wcap w;
		struct analysis a;
		CU_ASSERT_EQUAL_FATAL(wcap_open(&w, cases[i].dlt, 65535), 0);
		wcap_put(&w, &cases[i].byte, 1, 1);
		wcap_put(&w, &cases[i].byte, 1, 1514);
		if (wcap_analyze(&w, &a) == 0) {
			CU_ASSERT_EQUAL(a.cap.frames, 2);
			CU_ASSERT_EQUAL(a.cap.snap_cut, 1);
			CU_ASSERT_EQUAL(a.cap.pkt_status[cases[i].want], 2);
			CU_ASSERT_EQUAL(a.nconns, 0);
		}
		analysis_free(&a);
		wcap_remove(&w);
	}
}

/* ---- link and network header chains ------------------------------------- */

/* Ethernet with `tags` 802.1Q tags (VLAN 1, 2, ...) then IPv4 + TCP SYN. */
static size_t vlan_syn(uint8_t *b, int tags, uint16_t sport)
{
	size_t o = eth(b, 0x8100);
	for (int i = 0; i < tags; i++) {
		put16(b + o, (unsigned)(i + 1) & 0x0fff);
		put16(b + o + 2, i + 1 < tags ? 0x8100 : 0x0800);
		o += 4;
	}
	o += ip4(b + o, CLIENT_IP, SERVER_IP, 6, TCP_LEN);
	o += tcph(b + o, sport, 3389, 1000, 0, TCP_SYN);
	return o;
}

static void test_vlan_stacks(void)
{
	struct wcap w;
	struct analysis a;
	uint8_t b[512];

	CU_ASSERT_EQUAL_FATAL(wcap_open(&w, DLT_EN10MB, 65535), 0);
	size_t n = vlan_syn(b, 64, 40001);
	CU_ASSERT_EQUAL(n, 12 + 2 + 64 * 4 + 40);
	wcap_put(&w, b, (uint32_t)n, (uint32_t)n);        /* 64 tags */
	n = vlan_syn(b, VLAN_MAX + 1, 40002);
	wcap_put(&w, b, (uint32_t)n, (uint32_t)n);        /* 9 tags: one too many */
	n = vlan_syn(b, 64, 40003);
	wcap_put(&w, b, 14 + 5 * 4 + 1, (uint32_t)n);     /* cut inside the 6th tag */
	n = vlan_syn(b, VLAN_MAX, 40004);
	wcap_put(&w, b, (uint32_t)n, (uint32_t)n);        /* 8 tags: the most followed */
	n = vlan_syn(b, 1, 40005);
	wcap_put(&w, b, (uint32_t)n, (uint32_t)n);
	if (wcap_analyze(&w, &a) == 0) {
		CU_ASSERT_EQUAL(a.cap.frames, 5);
		CU_ASSERT_EQUAL(a.cap.pkt_status[PKT_INVALID], 2);
		CU_ASSERT_EQUAL(a.cap.pkt_status[PKT_TRUNCATED], 1);
		CU_ASSERT_EQUAL(a.cap.pkt_status[PKT_OK], 2);
		CU_ASSERT_EQUAL_FATAL(a.nconns, 2);
		const struct rdp_conn *c = a.conns[0];
		CU_ASSERT_EQUAL(c->first_frame, 4);
		CU_ASSERT_EQUAL(c->cport, 40004);
		CU_ASSERT_EQUAL(c->nvlan, 2); /* the outer two are kept */
		CU_ASSERT_EQUAL(c->vlan[0], 1);
		CU_ASSERT_EQUAL(c->vlan[1], 2);
		c = a.conns[1];
		CU_ASSERT_EQUAL(c->first_frame, 5);
		CU_ASSERT_EQUAL(c->nvlan, 1);
		CU_ASSERT_EQUAL(c->vlan[0], 1);
	}
	analysis_free(&a);
	wcap_remove(&w);
}

/*
 * IPv6 with `ext` extension headers (hop-by-hop first, then destination
 * options, 8 bytes each; the last one `last_len` 8-byte units long), then
 * a TCP SYN to 3389.  Returns the frame length.
 */
static size_t ipv6_chain(uint8_t *b, int ext, unsigned last_units, uint16_t sport)
{
	size_t o = eth(b, 0x86DD);
	uint8_t *ip = b + o;
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[6] = ext ? 0 : 6;
	ip[7] = 64;
	ip[8] = 0xfd;
	ip[23] = 1;
	ip[24] = 0xfd;
	ip[39] = 2;
	o += 40;
	size_t plen = 0;
	for (int i = 0; i < ext; i++) {
		unsigned units = i + 1 == ext ? last_units : 0;
		uint8_t *h = b + o;
		memset(h, 0, 8 * (units + 1));
		h[0] = i + 1 == ext ? 6 : 60;
		h[1] = (uint8_t)units;
		h[2] = 1; /* PadN */
		h[3] = 4;
		o += 8 * (units + 1);
		plen += 8 * (units + 1);
	}
	o += tcph(b + o, sport, 3389, 1000, 0, TCP_SYN);
	plen += TCP_LEN;
	put16(ip + 4, (unsigned)plen);
	return o;
}

static void test_ipv6_extension_chains(void)
{
	struct wcap w;
	struct analysis a;
	static uint8_t b[8192];

	CU_ASSERT_EQUAL_FATAL(wcap_open(&w, DLT_EN10MB, 65535), 0);
	size_t n = ipv6_chain(b, IPV6_EXT_MAX, 0, 40001); /* the most followed */
	CU_ASSERT_EQUAL(n, 14 + 40 + 8 * 8 + 20);
	wcap_put(&w, b, (uint32_t)n, (uint32_t)n);
	n = ipv6_chain(b, IPV6_EXT_MAX + 1, 0, 40002);
	wcap_put(&w, b, (uint32_t)n, (uint32_t)n);
	n = ipv6_chain(b, 500, 0, 40003); /* 4000 bytes of headers */
	wcap_put(&w, b, (uint32_t)n, (uint32_t)n);
	n = ipv6_chain(b, 2, 255, 40004); /* a 2048-byte option header, whole */
	wcap_put(&w, b, (uint32_t)n, (uint32_t)n);
	n = ipv6_chain(b, 2, 255, 40005); /* ... cut by the snap length */
	wcap_put(&w, b, 200, (uint32_t)n);
	n = ipv6_chain(b, 2, 255, 40006); /* ... longer than the payload length says */
	put16(b + 14 + 4, 100);
	wcap_put(&w, b, (uint32_t)n, (uint32_t)n);
	n = ipv6_chain(b, 3, 0, 40007);
	wcap_put(&w, b, 14 + 40 + 8 + 1, (uint32_t)n); /* cut inside the 2nd header */
	if (wcap_analyze(&w, &a) == 0) {
		CU_ASSERT_EQUAL(a.cap.frames, 7);
		CU_ASSERT_EQUAL(a.cap.pkt_status[PKT_OK], 2);
		CU_ASSERT_EQUAL(a.cap.pkt_status[PKT_INVALID], 3);
		CU_ASSERT_EQUAL(a.cap.pkt_status[PKT_TRUNCATED], 2);
		CU_ASSERT_EQUAL_FATAL(a.nconns, 2);
		CU_ASSERT_EQUAL(a.conns[0]->ipver, 6);
		CU_ASSERT_EQUAL(a.conns[0]->cport, 40001);
		CU_ASSERT_EQUAL(a.conns[0]->first_frame, 1);
		CU_ASSERT_EQUAL(a.conns[1]->cport, 40004);
		CU_ASSERT_EQUAL(a.conns[1]->first_frame, 4);
	}
	analysis_free(&a);
	wcap_remove(&w);
}

/* A SYN whose TCP header is `off` words, options filled from `opt`. */
static size_t syn_with_options(uint8_t *b, unsigned off, const uint8_t *opt, size_t optlen,
			       size_t ip_l4, uint16_t sport)
{
	size_t o = eth(b, 0x0800);
	o += ip4(b + o, CLIENT_IP, SERVER_IP, 6, ip_l4);
	o += tcph(b + o, sport, 3389, 1000, 0, TCP_SYN);
	b[o - TCP_LEN + 12] = (uint8_t)(off << 4);
	memcpy(b + o, opt, optlen);
	return o + optlen;
}

static void test_tcp_options_garbage(void)
{
	struct wcap w;
	struct analysis a;
	uint8_t b[256], opt[40];

	CU_ASSERT_EQUAL_FATAL(wcap_open(&w, DLT_EN10MB, 65535), 0);
	/* offset 15: MSS 1460, window scale 7, then kind 254 claiming 255 bytes */
	memset(opt, 0xEE, sizeof opt);
	static const uint8_t good[] = {2, 4, 0x05, 0xb4, 3, 3, 7, 254, 255};
	memcpy(opt, good, sizeof good);
	size_t n = syn_with_options(b, 15, opt, 40, 60, 40001);
	CU_ASSERT_EQUAL(n, 14 + 20 + 60);
	wcap_put(&w, b, (uint32_t)n, (uint32_t)n);
	/* offset 15 in a segment the IP header says is 40 bytes */
	n = syn_with_options(b, 15, opt, 20, 40, 40002);
	wcap_put(&w, b, (uint32_t)n, (uint32_t)n);
	/* offset 15, the options cut by the snap length */
	n = syn_with_options(b, 15, opt, 40, 60, 40003);
	wcap_put(&w, b, 14 + 20 + 30, (uint32_t)n);
	/* offset 4: shorter than the fixed header */
	n = syn_with_options(b, 4, opt, 0, 20, 40004);
	wcap_put(&w, b, (uint32_t)n, (uint32_t)n);
	/* offset 15, every option byte 0xff: kind 255 with length 255 */
	memset(opt, 0xFF, sizeof opt);
	n = syn_with_options(b, 15, opt, 40, 60, 40005);
	wcap_put(&w, b, (uint32_t)n, (uint32_t)n);
	/* offset 15, MSS with length 1 (below 2): the walk stops there */
	memset(opt, 0, sizeof opt);
	opt[0] = 2;
	opt[1] = 1;
	n = syn_with_options(b, 15, opt, 40, 60, 40006);
	wcap_put(&w, b, (uint32_t)n, (uint32_t)n);
	if (wcap_analyze(&w, &a) == 0) {
		CU_ASSERT_EQUAL(a.cap.frames, 6);
		CU_ASSERT_EQUAL(a.cap.pkt_status[PKT_OK], 3);
		CU_ASSERT_EQUAL(a.cap.pkt_status[PKT_INVALID], 2);
		CU_ASSERT_EQUAL(a.cap.pkt_status[PKT_TRUNCATED], 1);
		CU_ASSERT_EQUAL_FATAL(a.nconns, 3);
		CU_ASSERT_EQUAL(a.conns[0]->cport, 40001);
		CU_ASSERT_EQUAL(a.conns[0]->tcp.d[0].mss, 1460);
		CU_ASSERT_EQUAL(a.conns[0]->tcp.d[0].wscale, 7);
		CU_ASSERT_EQUAL(a.conns[1]->cport, 40005);
		CU_ASSERT_EQUAL(a.conns[1]->tcp.d[0].mss, 0);
		CU_ASSERT_EQUAL(a.conns[1]->tcp.d[0].wscale, -1);
		CU_ASSERT_EQUAL(a.conns[2]->cport, 40006);
		CU_ASSERT_EQUAL(a.conns[2]->tcp.d[0].mss, 0);
	}
	analysis_free(&a);
	wcap_remove(&w);
}

/* ---- TPKT and X.224 lengths --------------------------------------------- */

/* After a negotiated connection, a TPKT claims 65535 bytes, 10 follow, FIN. */
static void test_tpkt_65535_then_fin(void)
{
	struct wcap w;
	struct conv cv;
	struct analysis a;
	uint8_t b[16] = {3, 0, 0xff, 0xff, 2, X224_TPDU_DT, 0x80};

	CU_ASSERT_EQUAL_FATAL(wcap_open(&w, DLT_EN10MB, 65535), 0);
	conv_init(&cv, &w, 50000, 3389);
	conv_negotiate(&cv, PROTOCOL_RDP, PROTOCOL_RDP);
	conv_send(&cv, DIR_C2S, b, 4 + 10); /* frame 6 */
	conv_close(&cv);                    /* frames 7-9 */
	if (wcap_analyze(&w, &a) == 0) {
		CU_ASSERT_EQUAL(a.cap.frames, 9);
		CU_ASSERT_EQUAL_FATAL(a.nconns, 1);
		const struct rdp_conn *c = a.conns[0];
		CU_ASSERT_EQUAL(c->cr.frame, 4);
		CU_ASSERT_EQUAL(c->cc.frame, 5);
		CU_ASSERT_EQUAL(c->cc.selected, PROTOCOL_RDP);
		CU_ASSERT_EQUAL(c->tpkt_pdus[DIR_C2S], 1);
		CU_ASSERT_EQUAL(c->tpkt_pdus[DIR_S2C], 1);
		CU_ASSERT_EQUAL(c->stage, STAGE_X224_CONFIRM);
		CU_ASSERT_EQUAL(c->tcp.close, CLOSE_FIN);
		CU_ASSERT_EQUAL(c->tcp.close_frame, 7);
		CU_ASSERT_EQUAL(c->tcp.d[DIR_C2S].holes, 0);
		CU_ASSERT_EQUAL(c->nviol, 0); /* an unfinished PDU is not an error */
		CU_ASSERT_EQUAL(c->last_frame, 9);
	}
	analysis_free(&a);
	wcap_remove(&w);
}

/*
 * A whole 65535-byte TPKT (X.224 Data of 0xff) in 45 segments: it is
 * reassembled and found not to be MCS.
 */
static void test_tpkt_65535_whole(void)
{
	struct wcap w;
	struct conv cv;
	struct analysis a;
	static uint8_t pdu[65535];

	memset(pdu, 0xff, sizeof pdu); /* MCS choice 63: none */
	pdu[0] = 3;
	pdu[1] = 0;
	put16(pdu + 2, 65535);
	pdu[4] = 2;
	pdu[5] = X224_TPDU_DT;
	pdu[6] = 0x80;
	CU_ASSERT_EQUAL_FATAL(wcap_open(&w, DLT_EN10MB, 65535), 0);
	conv_init(&cv, &w, 50000, 3389);
	conv_negotiate(&cv, PROTOCOL_RDP, PROTOCOL_RDP);
	int segs = 0;
	for (size_t o = 0; o < sizeof pdu; o += 1460, segs++) {
		size_t n = sizeof pdu - o < 1460 ? sizeof pdu - o : 1460;
		conv_send(&cv, DIR_C2S, pdu + o, n);
	}
	CU_ASSERT_EQUAL(segs, 45);
	conv_close(&cv);
	if (wcap_analyze(&w, &a) == 0) {
		CU_ASSERT_EQUAL(a.cap.frames, 5 + 45 + 3);
		CU_ASSERT_EQUAL_FATAL(a.nconns, 1);
		const struct rdp_conn *c = a.conns[0];
		CU_ASSERT_EQUAL(c->tpkt_pdus[DIR_C2S], 2);
		CU_ASSERT_EQUAL_FATAL(c->nviol, 1);
		CU_ASSERT_EQUAL(c->viol[0].frame, 5 + 45);
		CU_ASSERT_EQUAL(c->viol[0].status, DEC_INVALID);
		CU_ASSERT_STRING_EQUAL(c->viol[0].text, "X.224 data from the client is not an MCS PDU");
	}
	analysis_free(&a);
	wcap_remove(&w);
}

/* The first client bytes: a Connection Request header claiming 65535. */
static void test_tpkt_65535_request(void)
{
	struct wcap w;
	struct conv cv;
	struct analysis a;
	uint8_t b[16] = {3, 0, 0xff, 0xff, 6, X224_TPDU_CR};

	CU_ASSERT_EQUAL_FATAL(wcap_open(&w, DLT_EN10MB, 65535), 0);
	conv_init(&cv, &w, 50000, 3389);
	conv_open(&cv);
	conv_send(&cv, DIR_C2S, b, 14); /* frame 4 */
	conv_close(&cv);
	if (wcap_analyze(&w, &a) == 0) {
		CU_ASSERT_EQUAL_FATAL(a.nconns, 1);
		const struct rdp_conn *c = a.conns[0];
		CU_ASSERT_EQUAL(c->rdp_seen, 1);
		CU_ASSERT_EQUAL(c->cr_count, 0);
		CU_ASSERT_EQUAL(c->cr.frame, 0);
		CU_ASSERT_EQUAL(c->stage, STAGE_TCP_ESTABLISHED);
		CU_ASSERT_EQUAL(c->nviol, 0);
		CU_ASSERT_EQUAL(c->tcp.close_frame, 5);
	}
	analysis_free(&a);
	wcap_remove(&w);
}

/*
 * X.224 CR with LI 255 (the largest): 6 fixed bytes, a 241-byte cookie
 * line and RDP_NEG_REQ fill it exactly; and an LI of 255 in a TPKT of 11.
 */
static void test_x224_li_255(void)
{
	struct wcap w;
	struct conv cv;
	struct analysis a;
	uint8_t b[300], cc[32];

	CU_ASSERT_EQUAL_FATAL(wcap_open(&w, DLT_EN10MB, 65535), 0);
	conv_init(&cv, &w, 50000, 3389);
	conv_open(&cv);
	b[0] = 3;
	b[1] = 0;
	put16(b + 2, 4 + 1 + 255);
	b[4] = 255;
	b[5] = X224_TPDU_CR;
	memset(b + 6, 0, 5);
	static const char head[] = "Cookie: mstshash=";
	memcpy(b + 11, head, sizeof head - 1);
	memset(b + 11 + sizeof head - 1, 'A', 241 - 2 - (sizeof head - 1));
	b[11 + 239] = '\r';
	b[11 + 240] = '\n';
	static const uint8_t neg[8] = {NEG_REQ, 0, 8, 0, 3, 0, 0, 0};
	memcpy(b + 11 + 241, neg, sizeof neg);
	conv_send(&cv, DIR_C2S, b, 260); /* frame 4 */
	conv_send(&cv, DIR_S2C, cc, x224_cc(cc, PROTOCOL_SSL));
	conv_close(&cv);

	/* LI 255 that does not fit its TPKT; the server confirms anyway */
	struct conv cv2;
	conv_init(&cv2, &w, 50001, 3389);
	conv_open(&cv2); /* frames 9-11 */
	static const uint8_t bad[11] = {3, 0, 0, 11, 255, X224_TPDU_CR, 0, 0, 0, 0, 0};
	conv_send(&cv2, DIR_C2S, bad, sizeof bad); /* frame 12 */
	conv_send(&cv2, DIR_S2C, cc, x224_cc(cc, PROTOCOL_SSL)); /* frame 13 */
	conv_close(&cv2);
	if (wcap_analyze(&w, &a) == 0) {
		CU_ASSERT_EQUAL(a.cap.frames, 16);
		CU_ASSERT_EQUAL_FATAL(a.nconns, 2);
		const struct rdp_conn *c = a.conns[0];
		CU_ASSERT_EQUAL(c->cr_count, 1);
		CU_ASSERT_EQUAL(c->cr.frame, 4);
		CU_ASSERT_EQUAL(c->cr.status, DEC_OK);
		CU_ASSERT_EQUAL(c->cr.cookie_kind, COOKIE_MSTSHASH);
		CU_ASSERT_EQUAL(strlen(c->cr.cookie), sizeof c->cr.cookie - 1); /* kept, cut */
		CU_ASSERT_EQUAL(c->cr.neg_present, 1);
		CU_ASSERT_EQUAL(c->cr.requested, PROTOCOL_SSL | PROTOCOL_HYBRID);
		CU_ASSERT_EQUAL(c->cc.frame, 5);
		CU_ASSERT_EQUAL(c->nviol, 0);

		c = a.conns[1];
		CU_ASSERT_EQUAL(c->first_frame, 9);
		CU_ASSERT_EQUAL(c->cr_count, 0);
		CU_ASSERT_EQUAL(c->cc.frame, 13);
		CU_ASSERT_EQUAL(c->cc.selected, PROTOCOL_SSL);
		CU_ASSERT_EQUAL_FATAL(c->nviol, 1);
		CU_ASSERT_EQUAL(c->viol[0].frame, 12);
		CU_ASSERT_EQUAL(c->viol[0].status, DEC_INVALID);
		CU_ASSERT_STRING_EQUAL(c->viol[0].text,
				       "client data is not an X.224 Connection Request "
				       "(starts 03 00 00 0b)");
	}
	analysis_free(&a);
	wcap_remove(&w);
}

/* ---- TLS lengths -------------------------------------------------------- */

/* A record of 2^14 + 2049 bytes is not TLS; 2^14 + 2048 is (and waits). */
static void test_tls_record_too_long(void)
{
	struct wcap w;
	struct analysis a;
	uint8_t b[64];

	CU_ASSERT_EQUAL_FATAL(wcap_open(&w, DLT_EN10MB, 65535), 0);
	struct conv cv, cv2;
	conv_init(&cv, &w, 50000, 3389);
	conv_negotiate(&cv, PROTOCOL_SSL, PROTOCOL_SSL);
	memset(b, 0x42, sizeof b);
	tls_hdr(b, 22, 16384 + 2049);
	conv_send(&cv, DIR_C2S, b, 25); /* frame 6 */
	conv_close(&cv);
	conv_init(&cv2, &w, 50001, 3389);
	conv_negotiate(&cv2, PROTOCOL_SSL, PROTOCOL_SSL); /* frames 10-14 */
	tls_hdr(b, 22, 16384 + 2048);
	conv_send(&cv2, DIR_C2S, b, 25); /* frame 15 */
	conv_close(&cv2);
	if (wcap_analyze(&w, &a) == 0) {
		CU_ASSERT_EQUAL_FATAL(a.nconns, 2);
		const struct rdp_conn *c = a.conns[0];
		CU_ASSERT_EQUAL(c->tls_seen, 1);
		CU_ASSERT_EQUAL(c->tls.status, DEC_INVALID);
		CU_ASSERT_EQUAL(c->tls.bad_frame, 6);
		CU_ASSERT_EQUAL_FATAL(c->nviol, 1);
		CU_ASSERT_EQUAL(c->viol[0].frame, 6);
		CU_ASSERT_EQUAL(c->viol[0].dir, DIR_C2S);
		CU_ASSERT_EQUAL(c->viol[0].status, DEC_INVALID);
		CU_ASSERT_STRING_EQUAL(c->viol[0].text, "bytes from the client are not TLS records");

		c = a.conns[1];
		CU_ASSERT_EQUAL(c->first_frame, 10);
		CU_ASSERT_EQUAL(c->tls.status, DEC_OK);
		CU_ASSERT_EQUAL(c->tls.client_hello_frame, 0);
		CU_ASSERT_EQUAL(c->nviol, 0);
	}
	analysis_free(&a);
	wcap_remove(&w);
}

/* Handshake bytes of one message, split into records of at most 2^14. */
static void send_handshake(struct conv *cv, int dir, const uint8_t *msg, size_t n)
{
	static uint8_t rec[5 + 16384];
	for (size_t o = 0; o < n;) {
		size_t k = n - o < 16384 ? n - o : 16384;
		tls_hdr(rec, 22, (unsigned)k);
		memcpy(rec + 5, msg + o, k);
		conv_send(cv, dir, rec, 5 + k);
		o += k;
	}
}

/*
 * A Certificate message declaring 2^24 - 1 bytes, really sent (1025
 * records): skipped byte-exactly without being kept, and the
 * ServerHelloDone after it is still found.  Then, on another connection,
 * a small Certificate message whose inner 24-bit lengths claim 16 MB.
 */
static void test_tls_certificate_16mb(void)
{
	struct wcap w;
	struct analysis a;
	struct conv cv, cv2;
	struct rusage before, after;
	const size_t body = 0xFFFFFF, total = 4 + body + 4;
	static const uint8_t head[4] = {11, 0xff, 0xff, 0xff}; /* Certificate */
	static const uint8_t done[4] = {14, 0, 0, 0};          /* ServerHelloDone */
	static uint8_t rec[5 + 16384];

	CU_ASSERT_EQUAL_FATAL(wcap_open(&w, DLT_EN10MB, 65535), 0);
	conv_init(&cv, &w, 50000, 3389);
	conv_negotiate(&cv, PROTOCOL_SSL, PROTOCOL_SSL);
	/* frames 6-1030, written record by record (the test holds no 16 MB) */
	for (size_t o = 0; o < total;) {
		size_t k = total - o < 16384 ? total - o : 16384;
		tls_hdr(rec, 22, (unsigned)k);
		for (size_t i = 0; i < k; i++, o++)
			rec[5 + i] = o < 4 ? head[o] : o < 4 + body ? 0x30 : done[o - 4 - body];
		conv_send(&cv, DIR_S2C, rec, 5 + k);
	}
	conv_close(&cv);

	conv_init(&cv2, &w, 50001, 3389);
	conv_negotiate(&cv2, PROTOCOL_SSL, PROTOCOL_SSL); /* frames 1034-1038 */
	static const uint8_t lying[14] = {11, 0, 0, 10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					  0x30, 0x82, 0xff, 0xff};
	send_handshake(&cv2, DIR_S2C, lying, sizeof lying); /* frame 1039 */
	conv_close(&cv2);

	getrusage(RUSAGE_SELF, &before);
	if (wcap_analyze(&w, &a) == 0) {
		getrusage(RUSAGE_SELF, &after);
		CU_ASSERT_EQUAL(a.cap.frames, 1042);
		CU_ASSERT_EQUAL_FATAL(a.nconns, 2);
		const struct rdp_conn *c = a.conns[0];
		CU_ASSERT_EQUAL(c->tls.status, DEC_UNSUPPORTED);
		CU_ASSERT_EQUAL(c->tls.bad_frame, 6);
		CU_ASSERT_EQUAL(c->tls.certificate_frame, 0);
		CU_ASSERT_EQUAL(c->tls.cert_count, 0);
		CU_ASSERT_EQUAL(c->tls.server_hello_done_frame, 1030);
		CU_ASSERT_EQUAL_FATAL(c->nviol, 1);
		CU_ASSERT_EQUAL(c->viol[0].frame, 6);
		CU_ASSERT_EQUAL(c->viol[0].status, DEC_UNSUPPORTED);
		CU_ASSERT_STRING_EQUAL(c->viol[0].text,
				       "TLS handshake message from the server is unsupported");
		CU_ASSERT_EQUAL(c->tcp.d[DIR_S2C].payload_bytes, 19 + 1025 * 5 + 4 + body + 4);

		c = a.conns[1];
		CU_ASSERT_EQUAL(c->first_frame, 1034);
		CU_ASSERT_EQUAL(c->tls.status, DEC_INVALID);
		CU_ASSERT_EQUAL(c->tls.bad_frame, 1039);
		CU_ASSERT_EQUAL(c->tls.certificate_frame, 1039);
		CU_ASSERT_EQUAL(c->tls.cert_count, 1);
		CU_ASSERT_EQUAL(c->tls.cert_stored, 1);
		CU_ASSERT_EQUAL(c->tls.cert_errors, 1);
		CU_ASSERT_EQUAL_FATAL(c->nviol, 1);
		CU_ASSERT_EQUAL(c->viol[0].frame, 1039);
		CU_ASSERT_STRING_EQUAL(c->viol[0].text,
				       "TLS handshake message from the server is invalid");
		/* Nothing near 16 MB was held: the peak grew by less than 8 MB. */
		printf("(peak +%ld KB) ", after.ru_maxrss - before.ru_maxrss);
		if (!UNDER_ASAN)
			CU_ASSERT(after.ru_maxrss - before.ru_maxrss < 8 * 1024);
	}
	analysis_free(&a);
	wcap_remove(&w);
}

/* ---- sequence numbers and retransmissions ------------------------------- */

/* The fixture with each side's sequence numbers moved to a new ISN. */
static int write_reseq(struct wcap *w, const struct frames *fr, uint32_t isn_c, uint32_t isn_s)
{
	static uint8_t buf[FRAME_MAX];
	uint32_t old[2] = {0, 0}, isn[2] = {isn_c, isn_s};
	int have[2] = {0, 0};

	if (wcap_open(w, DLT_EN10MB, 262144))
		return -1;
	for (int i = 0; i < fr->n; i++) {
		const uint8_t *f = fr->data[i];
		size_t t = tcp_off(f);
		int dir = tcp_sport(f) == 33888 ? DIR_C2S : DIR_S2C;
		uint8_t flags = f[t + 13];
		if (flags & TCP_SYN) {
			old[dir] = get32(f + t + 4);
			have[dir] = 1;
		}
		if (!have[dir] || ((flags & TCP_ACK) && !have[!dir]))
			return -1; /* the fixture starts with SYN, SYN+ACK */
		memcpy(buf, f, fr->h[i].caplen);
		put32(buf + t + 4, get32(f + t + 4) - old[dir] + isn[dir]);
		if (flags & TCP_ACK)
			put32(buf + t + 8, get32(f + t + 8) - old[!dir] + isn[!dir]);
		wcap_put_at(w, &fr->h[i], buf, fr->h[i].caplen, fr->h[i].len);
	}
	return 0;
}

static void test_sequence_wraparound(void)
{
	struct frames fr;
	struct wcap w;
	struct analysis a, orig;
	char err[512];

	CU_ASSERT_EQUAL_FATAL(frames_load(&fr, FIXTURE_TLS), 0);
	CU_ASSERT_EQUAL_FATAL(analyze(FIXTURE_TLS, &orig, err, sizeof err), ANALYZE_OK);
	json_t *want = capture_json(&orig);
	analysis_free(&orig);

	/* The client wraps inside its ClientHello, the server inside its Confirm. */
	static const uint32_t isns[][2] = {
		{0xFFFFFF00u, 0xFFFFFFF0u},
		{0xFFFFFFFFu, 0xFFFFFFFFu},
		{0x7FFFFF00u, 0x80000000u},
	};
	for (size_t k = 0; k < sizeof isns / sizeof isns[0]; k++) {
		if (write_reseq(&w, &fr, isns[k][0], isns[k][1])) {
			CU_FAIL("rewriting the fixture");
			wcap_remove(&w);
			continue;
		}
		if (wcap_analyze(&w, &a) == 0) {
			CU_ASSERT_EQUAL_FATAL(a.nconns, 1);
			const struct rdp_conn *c = a.conns[0];
			CU_ASSERT_EQUAL(c->cr.frame, 4);
			CU_ASSERT_EQUAL(c->cc.frame, 6);
			CU_ASSERT_EQUAL(c->tls.certificate_frame, 9);
			CU_ASSERT_STRING_EQUAL(c->tls.certs[0].subject_cn, "rdprobe-lab.test");
			CU_ASSERT_EQUAL(c->tcp.d[DIR_C2S].holes + c->tcp.d[DIR_S2C].holes, 0);
			json_t *got = capture_json(&a);
			assert_json_equal(want, got); /* every fact, byte for byte */
			json_decref(got);
		}
		analysis_free(&a);
		wcap_remove(&w);
	}
	json_decref(want);
	frames_free(&fr);
}

/* A frame of the fixture rebuilt with another sequence number and payload. */
static size_t refill(uint8_t *buf, const uint8_t *f, uint32_t seq, const uint8_t *pl, size_t n)
{
	size_t t = tcp_off(f), h = t + tcp_hdr_len(f);
	memcpy(buf, f, h);
	put16(buf + ETH_LEN + 2, (unsigned)(h - ETH_LEN + n));
	put32(buf + t + 4, seq);
	buf[t + 13] |= TCP_PSH;
	memcpy(buf + h, pl, n);
	return h + n;
}

static json_t *without(json_t *o, const char *const *keys)
{
	json_t *c = json_deep_copy(o);
	for (; *keys; keys++)
		json_object_del(c, *keys);
	return c;
}

/*
 * Three of the fixture's pure ACKs become retransmissions whose bytes
 * differ from the first copy: frame 7 re-sends the last 20 bytes of the
 * Connection Request as 0xEE (and, early, the first 20 of the
 * ClientHello as they are, so frame 8 now overlaps it by 20), frame 14 a
 * whole other Connection Request (HYBRID_EX, mstshash=evilbox), frame 17
 * 500 bytes of 0xAB inside the server's certificate.  The first copy
 * wins: every fact is unchanged but the TCP counters of retransmissions
 * and bytes.
 */
static void test_overlap_different_bytes(void)
{
	struct frames fr;
	struct wcap w;
	struct analysis a, orig;
	char err[512];
	static uint8_t buf[FRAME_MAX];
	uint8_t pl[600];

	CU_ASSERT_EQUAL_FATAL(frames_load(&fr, FIXTURE_TLS), 0);
	CU_ASSERT_EQUAL_FATAL(analyze(FIXTURE_TLS, &orig, err, sizeof err), ANALYZE_OK);
	json_t *want = capture_json(&orig);
	analysis_free(&orig);

	const uint8_t *f4 = fr.data[3], *f8 = fr.data[7], *f9 = fr.data[8];
	uint32_t cr_seq = get32(f4 + tcp_off(f4) + 4), cert_seq = get32(f9 + tcp_off(f9) + 4);
	const uint8_t *ch = f8 + tcp_off(f8) + tcp_hdr_len(f8);
	CU_ASSERT_EQUAL(fr.h[6].len, 66); /* pure ACKs */
	CU_ASSERT_EQUAL(fr.h[13].len, 66);
	CU_ASSERT_EQUAL(fr.h[16].len, 66);
	CU_ASSERT_EQUAL_FATAL(wcap_open(&w, DLT_EN10MB, 262144), 0);
	for (int i = 0; i < fr.n; i++) {
		size_t n;
		if (i == 6) {
			memset(pl, 0xEE, 20);
			memcpy(pl + 20, ch, 20);
			n = refill(buf, fr.data[i], cr_seq + 25, pl, 40);
		} else if (i == 13) {
			/* "Cookie: mstshash=rdprobe\r\n" -> evilbox, requested 0x1 -> 0x8 */
			memcpy(pl, f4 + tcp_off(f4) + tcp_hdr_len(f4), 45);
			CU_ASSERT_EQUAL(memcmp(pl + 11 + 17, "rdprobe\r\n", 9), 0);
			memcpy(pl + 11 + 17, "evilbox", 7);
			CU_ASSERT_EQUAL(pl[41], PROTOCOL_SSL);
			pl[41] = PROTOCOL_HYBRID_EX;
			n = refill(buf, fr.data[i], cr_seq, pl, 45);
		} else if (i == 16) {
			memset(pl, 0xAB, 500);
			n = refill(buf, fr.data[i], cert_seq + 100, pl, 500);
		} else {
			wcap_put_at(&w, &fr.h[i], fr.data[i], fr.h[i].caplen, fr.h[i].len);
			continue;
		}
		wcap_put_at(&w, &fr.h[i], buf, (uint32_t)n, (uint32_t)n);
	}
	if (wcap_analyze(&w, &a) == 0) {
		CU_ASSERT_EQUAL_FATAL(a.nconns, 1);
		const struct rdp_conn *c = a.conns[0];
		CU_ASSERT_EQUAL(c->cr.frame, 4);
		CU_ASSERT_EQUAL(c->cr.requested, PROTOCOL_SSL);
		CU_ASSERT_STRING_EQUAL(c->cr.cookie, "mstshash=rdprobe");
		CU_ASSERT_EQUAL(c->cr_count, 1);
		CU_ASSERT_EQUAL(c->tls.client_hello_frame, 8);
		CU_ASSERT_EQUAL(c->tls.certificate_frame, 9);
		CU_ASSERT_STRING_EQUAL(c->tls.certs[0].subject_cn, "rdprobe-lab.test");
		const struct tcp_dir_facts *d = &c->tcp.d[DIR_C2S];
		CU_ASSERT_EQUAL(d->retransmissions, 4);
		CU_ASSERT_EQUAL(d->retransmitted_bytes, 20 + 20 + 45 + 39);
		CU_ASSERT_EQUAL(d->max_retransmitted, 45);
		CU_ASSERT_EQUAL_FATAL(d->retx_stored, 4);
		CU_ASSERT_EQUAL(d->retx_frames[0], 7);
		CU_ASSERT_EQUAL(d->retx_lens[0], 20);
		CU_ASSERT_EQUAL(d->retx_frames[1], 8);
		CU_ASSERT_EQUAL(d->retx_lens[1], 20);
		CU_ASSERT_EQUAL(d->retx_frames[2], 14);
		CU_ASSERT_EQUAL(d->retx_lens[2], 45);
		CU_ASSERT_EQUAL(d->retx_frames[3], 64);
		CU_ASSERT_EQUAL(d->retx_lens[3], 39);
		CU_ASSERT_EQUAL(d->holes, 0);
		CU_ASSERT_EQUAL(d->out_of_order, 0);
		d = &c->tcp.d[DIR_S2C];
		CU_ASSERT_EQUAL(d->retransmissions, 1);
		CU_ASSERT_EQUAL(d->retx_frames[0], 17);
		CU_ASSERT_EQUAL(d->retx_lens[0], 500);
		CU_ASSERT_EQUAL(d->holes, 0);

		/* Everything else is the fixture's, byte for byte. */
		static const char *const cap_keys[] = {"bytes", "connections", NULL};
		static const char *const conn_keys[] = {"bytes", "tcp", NULL};
		static const char *const tcp_keys[] = {"client", "server", NULL};
		static const char *const dir_keys[] = {"payload_packets", "payload_bytes",
						       "retransmissions", "retransmitted_bytes",
						       "max_retransmitted", "retransmitted_segments",
						       NULL};
		json_t *got = capture_json(&a);
		json_t *w1 = without(want, cap_keys), *g1 = without(got, cap_keys);
		assert_json_equal(w1, g1);
		json_t *wc = json_array_get(json_object_get(want, "connections"), 0);
		json_t *gc = json_array_get(json_object_get(got, "connections"), 0);
		json_t *w2 = without(wc, conn_keys), *g2 = without(gc, conn_keys);
		assert_json_equal(w2, g2);
		json_t *w4 = without(json_object_get(wc, "tcp"), tcp_keys);
		json_t *g4 = without(json_object_get(gc, "tcp"), tcp_keys);
		assert_json_equal(w4, g4);
		json_decref(w4);
		json_decref(g4);
		static const char *const sides[] = {"client", "server"};
		for (int s = 0; s < 2; s++) {
			json_t *wt = json_object_get(json_object_get(wc, "tcp"), sides[s]);
			json_t *gt = json_object_get(json_object_get(gc, "tcp"), sides[s]);
			json_t *w3 = without(wt, dir_keys), *g3 = without(gt, dir_keys);
			assert_json_equal(w3, g3);
			json_decref(w3);
			json_decref(g3);
		}
		json_decref(w1);
		json_decref(g1);
		json_decref(w2);
		json_decref(g2);
		json_decref(got);
	}
	analysis_free(&a);
	wcap_remove(&w);
	json_decref(want);
	frames_free(&fr);
}

/* ---- flow-table pressure ------------------------------------------------ */

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A small deterministic generator (a 32-bit LCG): the same ports every run. */
static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

/*
 * 1,000,000 SYN-only flows from distinct addresses to random ports other
 * than 3389: none is RDP; the table stays at FLOW_MAX and evicts the rest.
 */
static void test_million_flows(void)
{
	struct wcap w;
	struct analysis a;
	uint32_t s = 12345;
	const uint32_t n = 1000000;

	CU_ASSERT_EQUAL_FATAL(wcap_open(&w, DLT_EN10MB, 65535), 0);
	for (uint32_t i = 0; i < n; i++) {
		uint16_t dport;
		do
			dport = (uint16_t)(1 + lcg(&s) % 65535);
		while (dport == 3389);
		put_syn(&w, 0x0b000000u + i, (uint16_t)(1024 + lcg(&s) % 64000), dport);
	}
	double t0 = now_s();
	if (wcap_analyze(&w, &a) == 0) {
		double dt = now_s() - t0;
		CU_ASSERT_EQUAL(a.cap.frames, n);
		CU_ASSERT_EQUAL(a.cap.pkt_status[PKT_OK], n);
		CU_ASSERT_EQUAL(a.nconns, 0);
		CU_ASSERT_EQUAL(a.cap.flows_evicted, n - FLOW_MAX);
		CU_ASSERT_EQUAL(a.cap.ignored_tcp_flows, 0);
		CU_ASSERT(dt < 60.0);
		printf("(%.2f s) ", dt);
	}
	analysis_free(&a);
	wcap_remove(&w);
}

/*
 * 70,000 SYN-only flows to 3389, more than FLOW_MAX live at once: the
 * oldest are evicted early, and every attempt is still a connection,
 * handed to the sink in order of first frame.  Connections are not kept:
 * the heap in use (mallinfo2) must stay bounded by the flow table and the
 * hold, whatever the number of connections (not measured under ASan).
 */
struct count_sink {
	uint32_t n;
	uint32_t bad;
	size_t heap_max;
};

static void count_conn(void *ctx, const struct rdp_conn *c)
{
	struct count_sink *cs = ctx;
	cs->n++;
	cs->bad += c->index != cs->n || c->first_frame != cs->n || c->sport != 3389 ||
		   c->stage != STAGE_TCP_SYN || c->tcp.syn_count != 1;
	if ((cs->n & 1023) == 0) {
		struct mallinfo2 mi = mallinfo2();
		if (mi.uordblks > cs->heap_max)
			cs->heap_max = mi.uordblks;
	}
}

#define HEAP_BUDGET (160u * 1024 * 1024)

static void test_70000_rdp_attempts(void)
{
	struct wcap w;
	struct analysis a;
	struct count_sink cs = {0, 0, 0};
	const uint32_t n = 70000;

	CU_ASSERT_EQUAL_FATAL(wcap_open(&w, DLT_EN10MB, 65535), 0);
	for (uint32_t i = 0; i < n; i++)
		put_syn(&w, 0x0c000000u + i, (uint16_t)(1024 + i % 60000), 3389);
	wcap_close(&w);
	memset(&a, 0, sizeof a);
	a.sink = count_conn;
	a.sink_ctx = &cs;
	char err[256];
	double t0 = now_s();
	CU_ASSERT_EQUAL_FATAL(analyze_file(w.path, &a, err, sizeof err), ANALYZE_OK);
	double dt = now_s() - t0;
	CU_ASSERT_EQUAL(a.cap.frames, n);
	CU_ASSERT_EQUAL(a.cap.flows_evicted, n - FLOW_MAX);
	CU_ASSERT_EQUAL(a.nconns, n);
	CU_ASSERT_EQUAL(cs.n, n);
	CU_ASSERT_EQUAL(cs.bad, 0);
	CU_ASSERT(dt < 60.0);
	printf("(%.2f s, heap in use at most %zu MB) ", dt, cs.heap_max >> 20);
	if (!UNDER_ASAN) {
		CU_ASSERT(cs.heap_max > 0);
		CU_ASSERT(cs.heap_max < HEAP_BUDGET);
	}
	analysis_free(&a);
	wcap_remove(&w);
}

static const struct test_case badinput_cases[] = {
	{"unreadable files and link types", test_unreadable_files},
	{"file truncated in a record and in a record header", test_truncated_file},
	{"analyze_pcap on a capture in memory", test_analyze_from_memory},
	{"record caplen 0x7fffffff", test_giant_caplen},
	{"record caplen over the file's snaplen", test_caplen_over_snaplen},
	{"pcapng timestamps at the ends of 64 bits", test_pcapng_extreme_timestamps},
	{"fixture cut to 60 bytes a frame", test_snaplen_60},
	{"fixture cut to 96 bytes a frame", test_snaplen_96},
	{"zero-length records", test_zero_length_records},
	{"one-byte frames of every link type", test_one_byte_frames},
	{"VLAN stacks of 1, 8, 9 and 64 tags", test_vlan_stacks},
	{"IPv6 extension header chains", test_ipv6_extension_chains},
	{"TCP data offset 15 and option garbage", test_tcp_options_garbage},
	{"TPKT of 65535 with 10 bytes, then FIN", test_tpkt_65535_then_fin},
	{"TPKT of 65535 whole", test_tpkt_65535_whole},
	{"Connection Request header claiming 65535", test_tpkt_65535_request},
	{"X.224 CR with LI 255", test_x224_li_255},
	{"TLS record of 2^14 + 2049 bytes", test_tls_record_too_long},
	{"TLS Certificate lengths of 16 MB", test_tls_certificate_16mb},
	{"sequence number wraparound", test_sequence_wraparound},
	{"overlapping retransmissions with other bytes", test_overlap_different_bytes},
	{"1,000,000 non-RDP flows", test_million_flows},
	{"70,000 RDP attempts, over FLOW_MAX", test_70000_rdp_attempts},
	{NULL, NULL},
};

void register_unit_badinput(void)
{
	add_suite("badinput", badinput_cases);
}

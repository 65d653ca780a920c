/*
 * seeds.c - fuzz_seeds OUTDIR CAPTURE...: the seed corpora of the fuzz
 * targets, cut from captures at run time (tests/fuzz/run.sh), so that no
 * copy of a capture is kept in the repository.
 *
 * Frames are decoded with the analyzer's own pkt_decode; each target gets
 * the layer it reads, one file per distinct input (named by a hash of its
 * bytes) in OUTDIR/TARGET/:
 *
 *   link     link-type index byte + frame          ip       the IP packet
 *   icmp     v6 byte + ICMP message                dns      UDP port 53 payloads
 *   rdpeudp  RDP-UDP datagrams                     x224     TPKT packets
 *   mcs      X.224 Data user data                  tls      TCP streams (script)
 *   reasm    TCP segments (script)                 x509     DER certificates
 *   ntlm     TSRequests built here (CredSSP runs inside TLS: no clear copy)
 *   capture  the capture files themselves
 *
 * Scripts are in the chunk form of fuzz.h.  TCP flows are told apart by
 * their addresses and ports; the client is the side of the first SYN
 * (else of the first packet).
 */
#include <errno.h>
#include <pcap/dlt.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cursor.h"
#include "ntlm.h"
#include "packet.h"
#include "rdpeudp.h"
#include "tls.h"
#include "x224.h"

#define FLOWS_MAX      512          /* TCP flows followed per capture */
#define SCRIPT_MAX     (256 * 1024) /* bytes of one flow's script kept */
#define SEED_MAX       (64 * 1024)  /* longest seed written (the harnesses' -max_len) */
#define CERT_SCAN_MAX  (64 * 1024)
#define LINK_SEEDS_MAX 64 /* frames per capture for link and ip (then non-TCP only) */

static const char *outdir;
static unsigned long written;

static const char *const targets[] = {"link", "ip",  "icmp",  "dns",  "rdpeudp", "x224",
                                      "mcs",  "tls", "reasm", "x509", "ntlm",    "capture"};

/* Must list the link types in fuzz_link.c's order. */
static const int link_types[] = {
    DLT_EN10MB, DLT_LINUX_SLL, 276 /* DLT_LINUX_SLL2 */, DLT_RAW, DLT_IPV4, DLT_IPV6,
    DLT_NULL,   DLT_LOOP,
};

static uint64_t fnv64(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3u;
	return h;
}

/* Writes one seed (prefix byte optional: -1 for none). */
static void seed(const char *target, int prefix, const uint8_t *p, size_t n)
{
	static uint8_t buf[SEED_MAX + 1];
	size_t o = 0;
	char path[4096];

	if (prefix >= 0)
		buf[o++] = (uint8_t)prefix;
	if (n > SEED_MAX - o)
		n = SEED_MAX - o;
	if (n)
		memcpy(buf + o, p, n);
	o += n;
	if (!o)
		return;
	snprintf(path, sizeof path, "%s/%s/%016llx", outdir, target,
	         (unsigned long long)fnv64(buf, o));
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, o, f) != o) {
		fprintf(stderr, "fuzz_seeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	fclose(f);
	written++;
}

/* ---- TCP flows ---------------------------------------------------------- */

struct script {
	uint8_t *p;
	size_t len;
};

struct flow {
	uint8_t ipver;
	uint8_t a[16], b[16]; /* a: the client */
	uint16_t pa, pb;
	struct script tls;     /* stream chunks, from each side's first TLS record */
	struct script reasm;   /* segments */
	struct script side[2]; /* each side's payload bytes, for the certificate scan */
	int tls_on[2];
};

static struct flow flows[FLOWS_MAX];
static int nflows;

static void put(struct script *s, size_t cap, const void *p, size_t n)
{
	if (!n || n > cap - s->len)
		return;
	if (!s->p && !(s->p = malloc(cap)))
		exit(1);
	memcpy(s->p + s->len, p, n);
	s->len += n;
}

/* One chunk: tag, BE16 length, then hdr (hn bytes) and payload. */
static void put_chunk(struct script *s, uint8_t tag, const uint8_t *hdr, size_t hn,
                      const uint8_t *p, size_t n)
{
	if (n > 65535 - hn)
		n = 65535 - hn;
	uint8_t h[3] = {tag, (uint8_t)((hn + n) >> 8), (uint8_t)(hn + n)};
	if (s->len + 3 + hn + n > SCRIPT_MAX)
		return;
	put(s, SCRIPT_MAX, h, 3);
	put(s, SCRIPT_MAX, hdr, hn);
	put(s, SCRIPT_MAX, p, n);
}

static struct flow *flow_of(const struct pkt *p, int *dir)
{
	size_t al = p->ipver == 4 ? 4 : 16;
	for (int i = 0; i < nflows; i++) {
		struct flow *f = &flows[i];
		if (f->ipver != p->ipver)
			continue;
		if (!memcmp(f->a, p->src, al) && !memcmp(f->b, p->dst, al) && f->pa == p->sport &&
		    f->pb == p->dport) {
			*dir = 0;
			return f;
		}
		if (!memcmp(f->a, p->dst, al) && !memcmp(f->b, p->src, al) && f->pa == p->dport &&
		    f->pb == p->sport) {
			*dir = 1;
			return f;
		}
	}
	if (nflows == FLOWS_MAX)
		return NULL;
	struct flow *f = &flows[nflows++];
	memset(f, 0, sizeof *f);
	f->ipver = p->ipver;
	memcpy(f->a, p->src, al);
	memcpy(f->b, p->dst, al);
	f->pa = p->sport;
	f->pb = p->dport;
	/* A SYN+ACK first: its receiver is the client. */
	int synack = (p->tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK);
	if (synack) {
		memcpy(f->a, p->dst, al);
		memcpy(f->b, p->src, al);
		f->pa = p->dport;
		f->pb = p->sport;
	}
	*dir = synack;
	return f;
}

/* TPKT packets in a segment: x224 seeds, and the Data TPDUs' user data for mcs. */
static void tpkt_seeds(const uint8_t *p, size_t n)
{
	while (n >= TPKT_HEADER_LEN) {
		unsigned tl = tpkt_length(p, n);
		if (!tl)
			return;
		size_t take = tl < n ? tl : n;
		seed("x224", -1, p, take);
		struct cur c = cur_make(p, take), user;
		if (x224_data(&c, &user) == DEC_OK)
			seed("mcs", -1, user.p, cur_left(&user));
		p += take;
		n -= take;
	}
}

static void on_tcp(const struct pkt *p)
{
	int dir;
	struct flow *f = flow_of(p, &dir);
	if (!f)
		return;
	uint8_t hdr[9] = {
	    (uint8_t)(p->seq >> 24), (uint8_t)(p->seq >> 16), (uint8_t)(p->seq >> 8),
	    (uint8_t)p->seq,         (uint8_t)(p->ack >> 24), (uint8_t)(p->ack >> 16),
	    (uint8_t)(p->ack >> 8),  (uint8_t)p->ack,         0,
	};
	uint32_t cut = p->payload_wire - (uint32_t)p->payload_len;
	hdr[8] = (uint8_t)((cut + 63) / 64 > 255 ? 255 : (cut + 63) / 64);
	put_chunk(&f->reasm, (uint8_t)(dir | (p->tcp_flags & 0x1F) << 1), hdr, sizeof hdr,
	          p->payload, p->payload_len);
	if (!p->payload_len)
		return;
	tpkt_seeds(p->payload, p->payload_len);
	if (!f->tls_on[dir] && tls_looks_like_record(p->payload, p->payload_len))
		f->tls_on[dir] = 1;
	if (f->tls_on[dir])
		put_chunk(&f->tls, (uint8_t)dir, NULL, 0, p->payload, p->payload_len);
	if (f->side[dir].len + p->payload_len <= CERT_SCAN_MAX)
		put(&f->side[dir], CERT_SCAN_MAX, p->payload, p->payload_len);
}

/* DER certificates: SEQUENCE (long form, 2 length bytes) opening a SEQUENCE. */
static void cert_seeds(const struct script *s)
{
	for (size_t i = 0; i + 8 <= s->len; i++) {
		const uint8_t *q = s->p + i;
		if (q[0] != 0x30 || q[1] != 0x82 || q[4] != 0x30 || q[5] != 0x82)
			continue;
		size_t n = 4 + ((size_t)q[2] << 8 | q[3]);
		if (n < 64 || n > s->len - i)
			continue;
		seed("x509", -1, q, n);
		i += n - 1;
	}
}

static void flows_flush(void)
{
	for (int i = 0; i < nflows; i++) {
		struct flow *f = &flows[i];
		if (f->tls.len)
			seed("tls", -1, f->tls.p, f->tls.len);
		if (f->reasm.len)
			seed("reasm", -1, f->reasm.p, f->reasm.len);
		cert_seeds(&f->side[0]);
		cert_seeds(&f->side[1]);
		free(f->tls.p);
		free(f->reasm.p);
		free(f->side[0].p);
		free(f->side[1].p);
	}
	nflows = 0;
}

/* ---- frames ------------------------------------------------------------- */

/* Bytes before the IP header, per link type (pkt_decode's layouts). */
static size_t link_header_len(int dlt, const struct pkt *p)
{
	switch (dlt) {
	case DLT_EN10MB:
		return 14 + 4 * (size_t)p->nvlan;
	case DLT_LINUX_SLL:
		return 16;
	case 276:
		return 20;
	case DLT_NULL:
	case DLT_LOOP:
		return 4;
	default:
		return 0;
	}
}

static void on_frame(int dlt, int link_index, const struct pcap_pkthdr *h, const uint8_t *data,
                     unsigned long frames)
{
	struct pkt p;
	memset(&p, 0, sizeof p);
	p.caplen = h->caplen;
	p.wirelen = h->len;
	enum pkt_status st = pkt_decode(dlt, data, &p);

	/* Past the handshakes, TCP frames only repeat each other's headers. */
	if (frames <= LINK_SEEDS_MAX || (st == PKT_OK && p.proto != 6)) {
		seed("link", link_index, data, h->caplen);
		size_t lh = link_header_len(dlt, &p);
		if (st != PKT_NOT_IP && lh < h->caplen)
			seed("ip", -1, data + lh, h->caplen - lh);
	}
	if (st != PKT_OK)
		return;
	switch (p.proto) {
	case 1:
	case 58:
		seed("icmp", p.proto == 58, p.l4, p.l4_len);
		break;
	case 17:
		if (p.sport == 53 || p.dport == 53)
			seed("dns", -1, p.payload, p.payload_len);
		else if (p.sport == 3389 || p.dport == 3389 ||
		         rdpeudp_is_syn(p.payload, p.payload_len))
			seed("rdpeudp", -1, p.payload, p.payload_len);
		break;
	case 6:
		on_tcp(&p);
		break;
	default:
		break;
	}
}

static int read_capture(const char *path)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc =
	    pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (!pc) {
		fprintf(stderr, "fuzz_seeds: %s\n", ebuf);
		return -1;
	}
	int dlt = pcap_datalink(pc), link_index = -1;
	for (size_t i = 0; i < sizeof link_types / sizeof link_types[0]; i++)
		if (link_types[i] == dlt)
			link_index = (int)i;
	if (link_index >= 0) {
		struct pcap_pkthdr *h;
		const u_char *data;
		unsigned long frames = 0;
		while (pcap_next_ex(pc, &h, &data) == 1)
			on_frame(dlt, link_index, h, data, ++frames);
		flows_flush();
	}
	pcap_close(pc);

	/* The file itself, for fuzz_capture. */
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	static uint8_t buf[SEED_MAX];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	seed("capture", -1, buf, n);
	return 0;
}

/* ---- CredSSP / NTLM, built ----------------------------------------------- */

struct out {
	uint8_t b[1024];
	size_t n;
};

static void out_bytes(struct out *o, const void *p, size_t n)
{
	if (n <= sizeof o->b - o->n) {
		memcpy(o->b + o->n, p, n);
		o->n += n;
	}
}

static void out_le(struct out *o, uint32_t v, int bytes)
{
	for (int i = 0; i < bytes; i++) {
		uint8_t b = (uint8_t)(v >> (8 * i));
		out_bytes(o, &b, 1);
	}
}

static void out_utf16(struct out *o, const char *s)
{
	for (; *s; s++)
		out_le(o, (uint8_t)*s, 2);
}

/* DER: tag, length (short or 2-byte long form), contents. */
static void der_wrap(struct out *dst, uint8_t tag, const struct out *in)
{
	uint8_t h[4] = {tag};
	size_t hn = 2;
	if (in->n < 128) {
		h[1] = (uint8_t)in->n;
	} else {
		h[1] = 0x82;
		h[2] = (uint8_t)(in->n >> 8);
		h[3] = (uint8_t)in->n;
		hn = 4;
	}
	out_bytes(dst, h, hn);
	out_bytes(dst, in->b, in->n);
}

static void av(struct out *o, uint16_t id, const char *name)
{
	out_le(o, id, 2);
	out_le(o, (uint32_t)strlen(name) * 2, 2);
	out_utf16(o, name);
}

/* A CHALLENGE_MESSAGE as a Windows server sends it. */
static void build_challenge(struct out *m, int with_version)
{
	static const char target[] = "LAB";
	struct out ti = {{0}, 0};
	av(&ti, MSV_AV_NB_DOMAIN_NAME, "LAB");
	av(&ti, MSV_AV_NB_COMPUTER_NAME, "SRV1");
	av(&ti, MSV_AV_DNS_DOMAIN_NAME, "lab.test");
	av(&ti, MSV_AV_DNS_COMPUTER_NAME, "srv1.lab.test");
	av(&ti, MSV_AV_DNS_TREE_NAME, "lab.test");
	out_le(&ti, MSV_AV_TIMESTAMP, 2);
	out_le(&ti, 8, 2);
	out_le(&ti, 0xd53a1c00u, 4);
	out_le(&ti, 0x01da0b2eu, 4);
	out_le(&ti, MSV_AV_EOL, 4);

	uint32_t flags = NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_REQUEST_TARGET |
	                 NTLMSSP_NEGOTIATE_NTLM | NTLMSSP_TARGET_TYPE_DOMAIN |
	                 NTLMSSP_NEGOTIATE_TARGET_INFO | NTLMSSP_NEGOTIATE_128 |
	                 NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY;
	if (with_version)
		flags |= NTLMSSP_NEGOTIATE_VERSION;
	uint32_t fixed = with_version ? 56 : 48;
	uint32_t tn_len = (uint32_t)strlen(target) * 2;

	m->n = 0;
	out_bytes(m, "NTLMSSP", 8);
	out_le(m, NTLM_TYPE_CHALLENGE, 4);
	out_le(m, tn_len, 2);
	out_le(m, tn_len, 2);
	out_le(m, fixed, 4);
	out_le(m, flags, 4);
	out_bytes(m, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
	out_le(m, 0, 4);
	out_le(m, 0, 4);
	out_le(m, (uint32_t)ti.n, 2);
	out_le(m, (uint32_t)ti.n, 2);
	out_le(m, fixed + tn_len, 4);
	if (with_version)
		out_bytes(m, "\x0a\x00\x63\x45\x00\x00\x00\x0f", 8); /* 10.0.17763, rev 15 */
	out_utf16(m, target);
	out_bytes(m, ti.b, ti.n);
}

/* TSRequest { version [0], negoTokens [1] (one token), errorCode [4] (optional) }. */
static void build_tsrequest(struct out *ts, const struct out *token, int with_error)
{
	struct out v = {{0x02, 0x01, 0x06}, 3}, t0 = {{0}, 0}, t1 = {{0}, 0}, t2 = {{0}, 0},
	           t3 = {{0}, 0}, body = {{0}, 0};
	der_wrap(&body, 0xa0, &v);
	if (token) {
		der_wrap(&t0, 0x04, token); /* negoToken OCTET STRING */
		der_wrap(&t1, 0xa0, &t0);   /* [0] */
		der_wrap(&t2, 0x30, &t1);   /* NegoDataItem */
		der_wrap(&t3, 0x30, &t2);   /* NegoData */
		der_wrap(&body, 0xa1, &t3);
	}
	if (with_error) {
		struct out e = {{0x02, 0x04, 0xc0, 0x00, 0x00, 0x6d}, 6};
		der_wrap(&body, 0xa4, &e);
	}
	ts->n = 0;
	der_wrap(ts, 0x30, &body);
}

static void ntlm_seeds(void)
{
	uint8_t buf[512];
	size_t n = credssp_build_ntlm_negotiate(buf, sizeof buf);
	if (n)
		seed("ntlm", -1, buf, n);

	struct out ch, ts;
	for (int version = 0; version < 2; version++) {
		build_challenge(&ch, version);
		seed("ntlm", -1, ch.b, ch.n);
		build_tsrequest(&ts, &ch, 0);
		seed("ntlm", -1, ts.b, ts.n);
	}
	build_tsrequest(&ts, NULL, 1);
	seed("ntlm", -1, ts.b, ts.n);
}

int main(int argc, char **argv)
{
	char path[4096];
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: fuzz_seeds OUTDIR [CAPTURE...]\n");
		return 2;
	}
	outdir = argv[1];
	mkdir(outdir, 0755);
	for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", outdir, targets[i]);
		if (mkdir(path, 0755) && errno != EEXIST) {
			fprintf(stderr, "fuzz_seeds: %s: %s\n", path, strerror(errno));
			return 1;
		}
	}
	for (int i = 2; i < argc; i++)
		if (read_capture(argv[i]))
			rc = 1;
	ntlm_seeds();
	printf("fuzz_seeds: %lu seeds from %d captures in %s\n", written, argc - 2, outdir);
	return rc;
}

/*
 * fuzz_capture.c - a whole capture file through the public API, as
 * `rdprobe analyze` runs it: analyze_pcap (libpcap reading the input from
 * memory: fmemopen + pcap_fopen_offline), the flow table, every decoder,
 * the diagnosis of each connection and the verdicts, and both renderers
 * (streaming JSON and text, written to /dev/null).
 *
 * Input: a pcap or pcapng file.
 */
#include <pcap/pcap.h>
#include <stddef.h>
#include <stdio.h>

#include "analyze.h"
#include "diagnosis.h"
#include "fuzz.h"
#include "report.h"

/* The fields around servers[] are cleared as two ranges: none between them. */
_Static_assert(offsetof(struct diag_state, nservers) ==
                   offsetof(struct diag_state, servers) + sizeof(((struct diag_state *)0)->servers),
               "diag_state: nservers follows servers[]");

struct sink {
	struct diag_state *d;
	struct json_stream *js;
	FILE *out;
	int begun;
};

static void on_conn(void *ctx, const struct rdp_conn *c)
{
	struct sink *s = ctx;
	struct finding f[FINDINGS_MAX];
	int n = diag_conn(c, &s->d->opts, f, FINDINGS_MAX);
	FUZZ_CHECK(n >= 0 && n <= FINDINGS_MAX);
	diag_note(s->d, c, f, n);
	if (!s->begun)
		report_json_capture_begin(s->js);
	s->begun = 1;
	report_json_conn(s->js, c, f, n);
	report_text_conn(s->out, c, f, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *out;
	static struct diag_state d;
	static struct verdict v[VERDICTS_MAX];
	static struct analysis a;
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	char err[512];
	struct json_stream js;

	if (!size)
		return 0;
	if (!out && !(out = fopen("/dev/null", "w")))
		abort();
	/* fmemopen wants a writable buffer type, never writes in "rb" mode. */
	FILE *f = fmemopen((void *)(uintptr_t)data, size, "rb");
	if (!f)
		return 0;
	pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (!pc) {
		fclose(f);
		return 0;
	}
	memset(&a, 0, sizeof a);
	/* memset(&d) costs 2.8 MB an input: clear what the last one used. */
	int used = d.nservers;
	memset(d.servers, 0, (size_t)used * sizeof d.servers[0]);
	memset(&d, 0, offsetof(struct diag_state, servers));
	memset(&d.nservers, 0, sizeof d - offsetof(struct diag_state, nservers));
	struct sink s = {&d, &js, out, 0};
	a.sink = on_conn;
	a.sink_ctx = &s;
	report_json_stream_begin(&js, out);
	enum analyze_result r = analyze_pcap(pc, "fuzz.pcap", &a, err, sizeof err);
	if (r == ANALYZE_OK) {
		int nv = diag_verdicts(&d, &a, v, VERDICTS_MAX);
		FUZZ_CHECK(nv >= 0 && nv <= VERDICTS_MAX);
		if (!s.begun)
			report_json_capture_begin(&js);
		report_json_capture_end(&js, &a, v, nv);
		report_text_verdicts(out, v, nv);
		report_text_header(out, &a);
		report_text_footer(out, &a);
	} else {
		FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL);
	}
	(void)report_json_stream_end(&js);
	analysis_free(&a);
	pcap_close(pc); /* closes f */
	return 0;
}

/*
 * rdprobe - why does this Remote Desktop connection fail?  With packets
 * as evidence.
 *
 *   rdprobe analyze [--json] [--port N]... FILE.pcap...
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "report.h"

enum exit_code {
	EXIT_HEALTHY = 0,   /* or: the expectation was met */
	EXIT_DIAGNOSED = 1, /* a failure was diagnosed (or the expectation not met) */
	EXIT_USAGE = 2,     /* usage error or unreadable input */
	EXIT_INTERNAL = 3,
};

static const char usage_text[] =
	"usage: rdprobe COMMAND [OPTIONS] ARGS\n"
	"\n"
	"commands:\n"
	"  analyze [--json] [--port N]... FILE...\n"
	"      Read pcap / pcapng captures and report every RDP connection in\n"
	"      them: a ladder diagram of the handshake and its facts.\n"
	"\n"
	"options of analyze:\n"
	"  -j, --json      one JSON document (schema in README) instead of text\n"
	"  -p, --port N    also count connection attempts to TCP port N as RDP\n"
	"                  (3389 and ports where RDP is recognised always are)\n"
	"  -h, --help      this help\n"
	"\n"
	"exit status: 0 analysed, 1 a failure was diagnosed, 2 usage error or\n"
	"unreadable input, 3 internal error\n";

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "rdprobe: %s%s%s\nTry 'rdprobe --help'.\n", what, arg ? " " : "",
		arg ? arg : "");
	return EXIT_USAGE;
}

static int parse_port(const char *s, uint16_t *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 1 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* Connections are written as the analysis finishes them. */
struct sink_ctx {
	struct json_stream *js; /* NULL: text */
	const struct analysis *a;
	int started;
};

static void start_capture(struct sink_ctx *sc)
{
	if (sc->started)
		return;
	sc->started = 1;
	if (sc->js)
		report_json_capture_begin(sc->js);
	else
		report_text_header(stdout, sc->a);
}

static void on_conn(void *ctx, const struct rdp_conn *c)
{
	struct sink_ctx *sc = ctx;
	start_capture(sc);
	if (sc->js)
		report_json_conn(sc->js, c);
	else
		report_text_conn(stdout, c);
}

static int cmd_analyze(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"port", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct analyze_opts ao;
	int json = 0, c, rc = EXIT_HEALTHY;

	memset(&ao, 0, sizeof ao);
	optind = 1;
	while ((c = getopt_long(argc, argv, "jp:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'p':
			if (ao.nports == RDP_PORTS_MAX)
				return usage_error("at most 16 --port options", NULL);
			if (parse_port(optarg, &ao.rdp_ports[ao.nports]))
				return usage_error("bad port:", optarg);
			ao.nports++;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_HEALTHY;
		default:
			fprintf(stderr, "Try 'rdprobe --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind == argc)
		return usage_error("analyze: no capture file given", NULL);

	struct json_stream js;
	struct sink_ctx sc = {json ? &js : NULL, NULL, 0};
	if (json)
		report_json_stream_begin(&js, stdout);
	for (int i = optind; i < argc; i++) {
		struct analysis a;
		char err[512];
		memset(&a, 0, sizeof a);
		a.opts = ao;
		a.sink = on_conn;
		a.sink_ctx = &sc;
		sc.a = &a;
		sc.started = 0;
		enum analyze_result r = analyze_file(argv[i], &a, err, sizeof err);
		if (r != ANALYZE_OK) {
			fprintf(stderr, "rdprobe: %s\n", err);
			analysis_free(&a);
			rc = r == ANALYZE_NO_MEMORY ? EXIT_INTERNAL : EXIT_USAGE;
			continue;
		}
		start_capture(&sc);
		if (json)
			report_json_capture_end(&js, &a);
		else
			report_text_footer(stdout, &a);
		analysis_free(&a);
	}
	if (json && report_json_stream_end(&js))
		rc = EXIT_INTERNAL;
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "rdprobe: cannot write the report\n");
		return EXIT_INTERNAL;
	}
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("no command given", NULL);
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		fputs(usage_text, stdout);
		return EXIT_HEALTHY;
	}
	if (!strcmp(cmd, "--version")) {
		puts("rdprobe " RDPROBE_VERSION);
		return EXIT_HEALTHY;
	}
	if (!strcmp(cmd, "analyze"))
		return cmd_analyze(argc - 1, argv + 1);
	return usage_error("unknown command:", cmd);
}

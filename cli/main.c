/*
 * rdprobe - why does this Remote Desktop connection fail?  With packets
 * as evidence.
 *
 *   rdprobe analyze [--json] [--port N]... [--expect CODE]... [--at TIME] [--name HOST] FILE...
 *   rdprobe probe [--json] [--variants LIST] [--port N] [--timeout S] [-4|-6]
 *                 [--user [DOMAIN\\]USER [--password-file FILE]] [--expect-ip ADDR]
 *                 [--keylog FILE] HOST
 *   rdprobe diagnose [probe's options] [--pcap OUT] [--iface IF] [--junit FILE] HOST
 *   rdprobe diff A.json B.json
 *   rdprobe lab COMMAND ... (lab.c)
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "analyze.h"
#include "cli.h"
#include "probe.h"
#include "report.h"
#include "x509.h"


const char usage_text[] =
	"usage: rdprobe COMMAND [OPTIONS] ARGS\n"
	"\n"
	"commands:\n"
	"  analyze [--json] [--port N]... [--expect CODE]... [--at TIME] [--name HOST] FILE...\n"
	"      Read pcap / pcapng captures, report every RDP connection in them\n"
	"      (a ladder diagram of the handshake, its facts) and say why it\n"
	"      failed: one verdict per server, with frames as evidence and the fix.\n"
	"\n"
	"options of analyze:\n"
	"  -j, --json      one JSON document (schema in README) instead of text\n"
	"  -p, --port N    also count connection attempts to TCP port N as RDP\n"
	"                  (3389 and ports where RDP is recognised always are)\n"
	"  -e, --expect CODE  exit 0 only when diagnosis CODE is found (repeatable):\n"
	"                  HEALTHY, TCP_REFUSED, TLS_CERT_EXPIRED, ... (see README)\n"
	"  -a, --at TIME   judge certificates at TIME (YYYY-MM-DD HH:MM:SS UTC, or\n"
	"                  @SECONDS) instead of the capture's time\n"
	"  -n, --name HOST the host name the client used, when the capture has no DNS\n"
	"  -h, --help      this help\n"
	"\n"
	"  probe [--json] [--variants LIST] [--port N] [--timeout S] [-4|-6]\n"
	"        [--user [DOMAIN\\]USER [--password-file FILE]] [--expect-ip ADDR]\n"
	"        [--keylog FILE] HOST\n"
	"      Probe HOST actively, each variant in its own child process with a\n"
	"      deadline, in parallel: dns, tcp, x224 (security policy table), tls\n"
	"      (TLS 1.2 and 1.3 after X.224: version, cipher, certificate),\n"
	"      ntlm-info (CredSSP/NTLM CHALLENGE: the server's names and OS build),\n"
	"      udp (MS-RDPEUDP SYN of 1232 and 1132 bytes with DF, a small\n"
	"      datagram), mtu (TLS with a clamped MSS when the full-size flight\n"
	"      stalls: the path MTU), and when built with libfreerdp2:\n"
	"      freerdp-tls, freerdp-rdp, freerdp-nla (a real FreeRDP connection per\n"
	"      security layer: last error, server error info, certificate).  Then\n"
	"      one verdict on the host, with the fix.\n"
	"\n"
	"options of probe:\n"
	"  -j, --json          one JSON document (\"probe_schema_version\": 1)\n"
	"  -V, --variants LIST comma-separated variants (default: all)\n"
	"  -p, --port N        TCP and UDP port (default 3389)\n"
	"  -t, --timeout S     total budget in seconds, never exceeded (default 15)\n"
	"  -4, -6              IPv4 / IPv6 addresses only\n"
	"  -u, --user [DOMAIN\\]USER  log on with NLA as USER (freerdp-nla only); the\n"
	"                      password comes from --password-file, else the\n"
	"                      RDPROBE_PASSWORD variable, else a prompt on the\n"
	"                      terminal; never from the command line\n"
	"  -P, --password-file FILE  the password is the first line of FILE\n"
	"  -x, --expect-ip ADDR  the address HOST should resolve to (dns variant)\n"
	"  -k, --keylog FILE   append TLS secrets (SSLKEYLOGFILE format, mode 0600)\n"
	"\n"
	"  diagnose [probe's options] [--pcap OUT] [--iface IF] [--junit FILE] HOST\n"
	"      What to run on a client box: a capture (libpcap, the interface that\n"
	"      routes to HOST, or IF) alongside the probe, the capture analyzed,\n"
	"      each connection joined to the variant that made it, one report:\n"
	"      the verdict with the packets as evidence, the fix, the variant\n"
	"      table, the ladders.  Needs root or CAP_NET_RAW for the capture;\n"
	"      without, the probe runs alone and the report says so.\n"
	"  -w, --pcap OUT      write the capture to OUT (mode 0600; must not exist);\n"
	"                      otherwise a temporary file, kept (its path printed)\n"
	"                      when a failure was diagnosed\n"
	"  -i, --iface IF      capture on IF (\"any\" for all)\n"
	"  -J, --junit FILE    the verdict and each variant as JUnit XML test cases\n"
	"\n"
	"  diff A.json B.json\n"
	"      What changed between two reports of diagnose --json or probe --json\n"
	"      (on the VPN and off it, before and after a change), layer by layer;\n"
	"      exit 0 when nothing changed, 1 when something did.\n"
	"\n"
	"  lab start|stop|status|list\n"
	"  lab run SCENARIO [OUT.pcap]\n"
	"  lab probe|diagnose SCENARIO [OPTIONS]\n"
	"  lab record [SCENARIO...] | lab exec SCENARIO CMD...\n"
	"      The test lab (root; network namespaces, real servers, faults):\n"
	"      run makes a real client meet the scenario's failure, captures it\n"
	"      (./SCENARIO.pcap, 0600) and analyzes it: the \"reproduce:\" line of\n"
	"      a report; probe and diagnose run rdprobe against its server.\n"
	"\n"
	"exit status: 0 healthy (or every --expect met; probe: no failure, warnings\n"
	"allowed), 1 a failure was diagnosed\n"
	"(or an --expect not met), 2 usage error or unreadable input (probe: or\n"
	"HOST does not resolve), 3 internal error\n";

int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "rdprobe: %s%s%s\nTry 'rdprobe --help'.\n", what, arg ? " " : "",
		arg ? arg : "");
	return EXIT_USAGE;
}

int parse_port(const char *s, uint16_t *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 1 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* "YYYY-MM-DD[ HH:MM:SS]" or "...THH:MM:SSZ" (UTC), or "@SECONDS". */
static int parse_time(const char *s, int64_t *us)
{
	if (s[0] == '@') {
		char *end;
		long long v = strtoll(s + 1, &end, 10);
		if (!s[1] || *end)
			return -1;
		*us = (int64_t)v * 1000000;
		return 0;
	}
	int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
	char sep = 0, z = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
		return -1;
	if (s[n]) {
		int m = 0;
		if (sscanf(s + n, "%c%2d:%2d:%2d%n", &sep, &h, &mi, &se, &m) != 4 ||
		    (sep != ' ' && sep != 'T'))
			return -1;
		n += m;
		if (s[n] == 'Z')
			z = 1;
		if (s[n + z])
			return -1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	*us = x509_utc_to_unix(y, mo, d, h, mi, se) * 1000000;
	return 0;
}

/* Connections are diagnosed and written as the analysis finishes them. */
struct sink_ctx {
	struct json_stream *js; /* NULL: text */
	FILE *spool;            /* text: connections, printed after the verdicts */
	struct diag_state *d;
	int begun;              /* JSON: the capture object is open */
};

static void begin_capture(struct sink_ctx *sc)
{
	if (sc->js && !sc->begun)
		report_json_capture_begin(sc->js);
	sc->begun = 1;
}

static void on_conn(void *ctx, const struct rdp_conn *c)
{
	struct sink_ctx *sc = ctx;
	struct finding f[FINDINGS_MAX];
	int n = diag_conn(c, &sc->d->opts, f, FINDINGS_MAX);
	diag_note(sc->d, c, f, n);
	begin_capture(sc);
	if (sc->js)
		report_json_conn(sc->js, c, f, n);
	else
		report_text_conn(sc->spool, c, f, n);
}

/* Copies the spooled text to stdout. */
static int unspool(FILE *spool)
{
	char buf[8192];
	size_t n;
	rewind(spool);
	while ((n = fread(buf, 1, sizeof buf, spool)) > 0)
		if (fwrite(buf, 1, n, stdout) != n)
			return -1;
	return ferror(spool) ? -1 : 0;
}

#define EXPECT_MAX 16

int cmd_analyze(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"port", required_argument, NULL, 'p'},
		{"expect", required_argument, NULL, 'e'},
		{"at", required_argument, NULL, 'a'},
		{"name", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct analyze_opts ao;
	struct diag_opts dopts;
	enum diag_code expect[EXPECT_MAX];
	int nexpect = 0, found[EXPECT_MAX] = {0};
	int json = 0, c, rc = EXIT_HEALTHY, failures = 0;

	memset(&ao, 0, sizeof ao);
	memset(&dopts, 0, sizeof dopts);
	optind = 1;
	while ((c = getopt_long(argc, argv, "jp:e:a:n:h", opts, NULL)) != -1) {
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
		case 'e':
			if (nexpect == EXPECT_MAX)
				return usage_error("at most 16 --expect options", NULL);
			expect[nexpect] = diag_code_from_name(optarg);
			if (expect[nexpect] == DIAG_CODE_COUNT)
				return usage_error("unknown diagnosis code:", optarg);
			nexpect++;
			break;
		case 'a':
			if (parse_time(optarg, &dopts.at_us))
				return usage_error("bad time (YYYY-MM-DD HH:MM:SS UTC, or @SECONDS):",
						   optarg);
			break;
		case 'n':
			if (strlen(optarg) >= sizeof dopts.name)
				return usage_error("name too long:", optarg);
			snprintf(dopts.name, sizeof dopts.name, "%s", optarg);
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

	struct diag_state *d = malloc(sizeof *d);
	struct verdict *v = malloc(VERDICTS_MAX * sizeof *v);
	if (!d || !v) {
		free(d);
		free(v);
		fprintf(stderr, "rdprobe: out of memory\n");
		return EXIT_INTERNAL;
	}
	struct json_stream js;
	struct sink_ctx sc = {json ? &js : NULL, NULL, d, 0};
	if (json)
		report_json_stream_begin(&js, stdout);
	for (int i = optind; i < argc; i++) {
		struct analysis a;
		char err[512];
		memset(&a, 0, sizeof a);
		memset(d, 0, sizeof *d);
		d->opts = dopts;
		a.opts = ao;
		a.sink = on_conn;
		a.sink_ctx = &sc;
		sc.begun = 0;
		if (!json && !(sc.spool = tmpfile())) {
			fprintf(stderr, "rdprobe: cannot create a temporary file\n");
			rc = EXIT_INTERNAL;
			break;
		}
		enum analyze_result r = analyze_file(argv[i], &a, err, sizeof err);
		int nv = r == ANALYZE_OK ? diag_verdicts(d, &a, v, VERDICTS_MAX) : 0;
		for (int k = 0; k < nv; k++)
			failures += v[k].main.severity == SEV_FAILURE && !v[k].recovered;
		for (int k = 0; k < nexpect; k++)
			found[k] |= r == ANALYZE_OK && diag_found(d, v, nv, expect[k]);
		if (json) {
			if (r == ANALYZE_OK) {
				begin_capture(&sc);
				report_json_capture_end(&js, &a, v, nv);
			}
		} else {
			if (r == ANALYZE_OK) {
				report_text_verdicts(stdout, v, nv);
				report_text_header(stdout, &a);
				if (unspool(sc.spool))
					rc = EXIT_INTERNAL;
				report_text_footer(stdout, &a);
			}
			fclose(sc.spool);
			sc.spool = NULL;
		}
		if (r != ANALYZE_OK) {
			fprintf(stderr, "rdprobe: %s\n", err);
			rc = r == ANALYZE_NO_MEMORY ? EXIT_INTERNAL : EXIT_USAGE;
		}
		analysis_free(&a);
	}
	if (json && report_json_stream_end(&js))
		rc = EXIT_INTERNAL;
	free(d);
	free(v);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "rdprobe: cannot write the report\n");
		return EXIT_INTERNAL;
	}
	if (rc != EXIT_HEALTHY)
		return rc;
	if (nexpect) {
		int missing = 0;
		for (int k = 0; k < nexpect; k++)
			if (!found[k]) {
				fprintf(stderr, "rdprobe: expected %s: not found\n",
					diag_code_name(expect[k]));
				missing++;
			}
		return missing ? EXIT_DIAGNOSED : EXIT_HEALTHY;
	}
	return failures ? EXIT_DIAGNOSED : EXIT_HEALTHY;
}

/* "dns,tcp,x224": each name once, in the order given. */
static int parse_variants(const char *list, const struct probe_variant **v, int *n)
{
	char buf[256];
	char *save = NULL;
	if (strlen(list) >= sizeof buf)
		return -1;
	snprintf(buf, sizeof buf, "%s", list);
	*n = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		const struct probe_variant *pv = probe_variant_find(t);
		if (!pv) {
			usage_error("unknown variant:", t);
			return -1;
		}
		int dup = 0;
		for (int k = 0; k < *n; k++)
			dup |= v[k] == pv;
		if (!dup && *n < PROBE_VARIANTS_MAX)
			v[(*n)++] = pv;
	}
	return *n ? 0 : -1;
}

/* "DOMAIN\\USER", "USER@DOMAIN" or "USER" into po->user / po->domain. */
static int parse_user(const char *arg, struct probe_opts *po)
{
	const char *bs = strchr(arg, '\\');
	size_t n = strlen(arg);
	if (!n || n >= sizeof po->user)
		return -1;
	if (bs) {
		size_t dn = (size_t)(bs - arg);
		if (!dn || !bs[1] || strchr(bs + 1, '\\'))
			return -1;
		snprintf(po->domain, sizeof po->domain, "%.*s", (int)dn, arg);
		snprintf(po->user, sizeof po->user, "%s", bs + 1);
		return 0;
	}
	/* USER@DOMAIN is a UPN: FreeRDP passes it through as the user name. */
	snprintf(po->user, sizeof po->user, "%s", arg);
	po->domain[0] = '\0';
	return 0;
}

int probe_cli_parse(int argc, char **argv, int diagnose, struct probe_cli *pc)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"variants", required_argument, NULL, 'V'},
		{"port", required_argument, NULL, 'p'},
		{"timeout", required_argument, NULL, 't'},
		{"expect-ip", required_argument, NULL, 'x'},
		{"keylog", required_argument, NULL, 'k'},
		{"user", required_argument, NULL, 'u'},
		{"password-file", required_argument, NULL, 'P'},
		{"pcap", required_argument, NULL, 'w'},
		{"iface", required_argument, NULL, 'i'},
		{"junit", required_argument, NULL, 'J'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct probe_opts *po = &pc->po;
	const char *cmd = diagnose ? "diagnose" : "probe";
	int c;

	memset(pc, 0, sizeof *pc);
	po->port = PROBE_DEFAULT_PORT;
	po->family = AF_UNSPEC;
	po->budget_ms = PROBE_DEFAULT_BUDGET_MS;
	for (int i = 0; i < probe_variant_count; i++)
		pc->v[pc->nv++] = &probe_variants[i];
	optind = 1;
	while ((c = getopt_long(argc, argv, "jV:p:t:x:k:u:P:w:i:J:46h", opts, NULL)) != -1) {
		if (!diagnose && (c == 'w' || c == 'i' || c == 'J'))
			return usage_error("this option is diagnose's only:", argv[optind - 1]);
		switch (c) {
		case 'j':
			pc->json = 1;
			break;
		case 'V':
			if (parse_variants(optarg, pc->v, &pc->nv))
				return usage_error("bad --variants list:", optarg);
			break;
		case 'p':
			if (parse_port(optarg, &po->port))
				return usage_error("bad port:", optarg);
			break;
		case 't': {
			char *end;
			double s = strtod(optarg, &end);
			if (!*optarg || *end || !(s >= 0.5 && s <= PROBE_BUDGET_MAX_MS / 1000))
				return usage_error("bad --timeout (seconds, 0.5 .. 600):", optarg);
			po->budget_ms = (int)(s * 1000);
			break;
		}
		case 'x':
			if (strlen(optarg) >= sizeof po->expect_ip)
				return usage_error("--expect-ip too long:", optarg);
			snprintf(po->expect_ip, sizeof po->expect_ip, "%s", optarg);
			break;
		case 'k':
			if (strlen(optarg) >= sizeof po->keylog)
				return usage_error("--keylog path too long:", optarg);
			snprintf(po->keylog, sizeof po->keylog, "%s", optarg);
			break;
		case 'u':
			if (parse_user(optarg, po))
				return usage_error("bad --user ([DOMAIN\\]USER or USER@DOMAIN):", optarg);
			break;
		case 'P':
			pc->password_file = optarg;
			break;
		case 'w':
			pc->pcap = optarg;
			break;
		case 'i':
			pc->iface = optarg;
			break;
		case 'J':
			pc->junit = optarg;
			break;
		case '4':
			po->family = AF_INET;
			break;
		case '6':
			po->family = AF_INET6;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_HEALTHY;
		default:
			fprintf(stderr, "Try 'rdprobe --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		char what[64];
		snprintf(what, sizeof what, "%s: %s", cmd, optind == argc ? "no host given" : "one host only");
		return usage_error(what, NULL);
	}
	if (strlen(argv[optind]) >= sizeof po->host)
		return usage_error("host name too long:", argv[optind]);
	snprintf(po->host, sizeof po->host, "%s", argv[optind]);
	if (po->keylog[0]) {
		/* Created here, 0600, so that a bad path is a usage error before any probing. */
		int fd = open(po->keylog, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return usage_error("cannot open --keylog file:", po->keylog);
		close(fd);
	}
	if (pc->password_file && !po->user[0])
		return usage_error("--password-file needs --user", NULL);
	return -1;
}

int probe_cli_password(struct probe_cli *pc)
{
	struct probe_opts *po = &pc->po;
	if (!po->user[0])
		return -1;
	char err[300], prompt[PROBE_USER_MAX + PROBE_HOST_MAX + 32];
	snprintf(prompt, sizeof prompt, "Password for %s@%s: ", po->user, po->host);
	po->password = probe_password_load(pc->password_file, prompt, err, sizeof err);
	if (!po->password) {
		fprintf(stderr, "rdprobe: %s\n", err);
		return EXIT_USAGE;
	}
	return -1;
}

static int cmd_probe(int argc, char **argv)
{
	static struct probe_cli pc;
	int e = probe_cli_parse(argc, argv, 0, &pc);
	if (e >= 0)
		return e;
	if ((e = probe_cli_password(&pc)) >= 0)
		return e;
	struct probe_opts po = pc.po;
	const struct probe_variant *const *v = pc.v;
	int nv = pc.nv, json = pc.json;

	struct probe_result *r = calloc((size_t)nv, sizeof *r);
	if (!r) {
		probe_password_wipe();
		fprintf(stderr, "rdprobe: out of memory\n");
		return EXIT_INTERNAL;
	}
	int rc = probe_run(&po, v, nv, r, NULL) ? EXIT_INTERNAL : EXIT_HEALTHY;
	probe_password_wipe();
	po.password = NULL;
	int internal = 0, unresolvable = 0;
	for (int i = 0; i < nv; i++) {
		internal += r[i].outcome == PROBE_ERROR;
		unresolvable += r[i].unresolvable;
	}
	struct probe_verdict verdict;
	probe_judge(&po, r, nv, &verdict);
	if (json) {
		if (probe_print_json(stdout, &po, r, nv, &verdict))
			rc = EXIT_INTERNAL;
	} else {
		probe_print_text(stdout, &po, r, nv, &verdict);
	}
	free(r);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "rdprobe: cannot write the report\n");
		return EXIT_INTERNAL;
	}
	if (unresolvable) {
		fprintf(stderr, "rdprobe: cannot resolve %s\n", po.host);
		return EXIT_USAGE;
	}
	if (rc != EXIT_HEALTHY || internal)
		return EXIT_INTERNAL;
	return verdict.severity == SEV_FAILURE ? EXIT_DIAGNOSED : EXIT_HEALTHY;
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
	if (!strcmp(cmd, "probe"))
		return cmd_probe(argc - 1, argv + 1);
	if (!strcmp(cmd, "diagnose"))
		return cmd_diagnose(argc - 1, argv + 1);
	if (!strcmp(cmd, "diff"))
		return cmd_diff(argc - 1, argv + 1);
	if (!strcmp(cmd, "lab"))
		return cmd_lab(argc - 1, argv + 1);
	return usage_error("unknown command:", cmd);
}

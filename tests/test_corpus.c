/*
 * test_corpus.c - every fact of the README tables in ../shared/corpus/, asserted on
 * the analyzer's JSON for the real traces of Zeek and nDPI.  The traces
 * are read from ../shared at test time and never copied into the project;
 * without them the group reports itself skipped.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "capture_facts.h"
#include "tests.h"

extern int tests_skip_group;

static char corpus_dir[900];

#define Z "zeek-rdp/"
#define N "ndpi-rdp/"

static const struct fact zeek_facts[] = {
	/* rdp-to-ssl: two NLA connections, both go on encrypted. */
	{Z "rdp-to-ssl.pcap", "connections/#len", "2"},
	{Z "rdp-to-ssl.pcap", "connections/0/x224/request/cookie", "\"mstshash=AWAKECODI\""},
	{Z "rdp-to-ssl.pcap", "connections/0/x224/request/frame", "4"},
	{Z "rdp-to-ssl.pcap", "connections/0/x224/request/requested_protocols", "3"},
	{Z "rdp-to-ssl.pcap", "connections/0/x224/confirm/frame", "6"},
	{Z "rdp-to-ssl.pcap", "connections/0/x224/confirm/selected_protocol", "2"},
	{Z "rdp-to-ssl.pcap", "connections/0/x224/confirm/selected_protocol_names", "\"HYBRID\""},
	{Z "rdp-to-ssl.pcap", "connections/0/stage", "\"tls-data\""},
	{Z "rdp-to-ssl.pcap", "connections/1/x224/request/cookie", "\"mstshash=AWAKECODI\""},
	{Z "rdp-to-ssl.pcap", "connections/1/x224/request/frame", "23"},
	{Z "rdp-to-ssl.pcap", "connections/1/x224/request/requested_protocols", "3"},
	{Z "rdp-to-ssl.pcap", "connections/1/x224/confirm/frame", "25"},
	{Z "rdp-to-ssl.pcap", "connections/1/x224/confirm/selected_protocol", "2"},
	{Z "rdp-to-ssl.pcap", "connections/1/stage", "\"tls-data\""},

	/* rdp-proprietary-encryption: TLS refused, fallback to RDP security. */
	{Z "rdp-proprietary-encryption.pcap", "connections/#len", "2"},
	{Z "rdp-proprietary-encryption.pcap", "connections/0/x224/request/frame", "4"},
	{Z "rdp-proprietary-encryption.pcap", "connections/0/x224/request/requested_protocols", "1"},
	{Z "rdp-proprietary-encryption.pcap", "connections/0/x224/confirm/frame", "5"},
	{Z "rdp-proprietary-encryption.pcap", "connections/0/x224/confirm/type", "\"failure\""},
	{Z "rdp-proprietary-encryption.pcap", "connections/0/x224/confirm/failure_code", "2"},
	{Z "rdp-proprietary-encryption.pcap", "connections/0/x224/confirm/failure_name",
	 "\"SSL_NOT_ALLOWED_BY_SERVER\""},
	{Z "rdp-proprietary-encryption.pcap", "connections/0/stage", "\"x224-negotiation-failure\""},
	{Z "rdp-proprietary-encryption.pcap", "connections/1/x224/request/frame", "12"},
	{Z "rdp-proprietary-encryption.pcap", "connections/1/x224/request/requested_protocols", "0"},
	{Z "rdp-proprietary-encryption.pcap", "connections/1/x224/confirm/frame", "13"},
	{Z "rdp-proprietary-encryption.pcap", "connections/1/x224/confirm/selected_protocol", "0"},
	{Z "rdp-proprietary-encryption.pcap", "connections/1/stage", "\"client-info\""},
	{Z "rdp-proprietary-encryption.pcap", "connections/1/mcs/connect_initial/client_name",
	 "\"FROG-POND\""},
	{Z "rdp-proprietary-encryption.pcap", "connections/1/mcs/connect_initial/client_build_name",
	 "\"RDP 6.0\""},
	{Z "rdp-proprietary-encryption.pcap", "connections/1/mcs/connect_initial/desktop_width", "1152"},
	{Z "rdp-proprietary-encryption.pcap", "connections/1/mcs/connect_initial/desktop_height", "864"},
	{Z "rdp-proprietary-encryption.pcap", "connections/1/mcs/connect_initial/color_depth", "32"},
	{Z "rdp-proprietary-encryption.pcap", "connections/1/mcs/connect_initial/channels",
	 "[\"rdpdr\",\"rdpsnd\",\"drdynvc\",\"cliprdr\"]"},
	{Z "rdp-proprietary-encryption.pcap", "connections/1/mcs/connect_initial/keyboard_layout",
	 "1033"},
	{Z "rdp-proprietary-encryption.pcap",
	 "connections/1/mcs/connect_initial/keyboard_layout_name", "\"English (United States)\""},
	{Z "rdp-proprietary-encryption.pcap", "connections/1/mcs/connect_response/certificate_type",
	 "\"proprietary\""},
	{Z "rdp-proprietary-encryption.pcap",
	 "connections/1/mcs/connect_response/certificate_permanent", "true"},
	{Z "rdp-proprietary-encryption.pcap",
	 "connections/1/mcs/connect_response/encryption_level_name", "\"high\""},
	{Z "rdp-proprietary-encryption.pcap",
	 "connections/1/mcs/connect_response/encryption_method_name", "\"128-bit RC4\""},

	/* rdp-no-cookie-mstshash: no routing cookie, HYBRID_EX selected. */
	{Z "rdp-no-cookie-mstshash.pcap", "connections/0/x224/request/frame", "7"},
	{Z "rdp-no-cookie-mstshash.pcap", "connections/0/x224/request/cookie", "null"},
	{Z "rdp-no-cookie-mstshash.pcap", "connections/0/x224/request/cookie_kind", "\"none\""},
	{Z "rdp-no-cookie-mstshash.pcap", "connections/0/x224/request/requested_protocols", "11"},
	{Z "rdp-no-cookie-mstshash.pcap", "connections/0/x224/request/requested_protocols_names",
	 "\"SSL|HYBRID|HYBRID_EX\""},
	{Z "rdp-no-cookie-mstshash.pcap", "connections/0/x224/confirm/frame", "9"},
	{Z "rdp-no-cookie-mstshash.pcap", "connections/0/x224/confirm/selected_protocol", "8"},

	/* rdp-x509: standard RDP security with an X.509 chain. */
	{Z "rdp-x509.pcap", "connections/0/x224/request/cookie", "\"mstshash=JOHN-PC\""},
	{Z "rdp-x509.pcap", "connections/0/x224/request/frame", "6"},
	{Z "rdp-x509.pcap", "connections/0/x224/request/requested_protocols", "0"},
	{Z "rdp-x509.pcap", "connections/0/x224/confirm/frame", "7"},
	{Z "rdp-x509.pcap", "connections/0/x224/confirm/selected_protocol", "0"},
	{Z "rdp-x509.pcap", "connections/0/mcs/connect_initial/client_build_name", "\"RDP 8.1\""},
	{Z "rdp-x509.pcap", "connections/0/mcs/connect_initial/client_name", "\"JOHN-PC-LAPTOP\""},
	{Z "rdp-x509.pcap", "connections/0/mcs/connect_initial/desktop_width", "1920"},
	{Z "rdp-x509.pcap", "connections/0/mcs/connect_initial/desktop_height", "1080"},
	{Z "rdp-x509.pcap", "connections/0/mcs/connect_initial/color_depth", "16"},
	{Z "rdp-x509.pcap", "connections/0/mcs/connect_initial/channels",
	 "[\"rdpdr\",\"rdpsnd\",\"cliprdr\",\"drdynvc\"]"},
	{Z "rdp-x509.pcap", "connections/0/mcs/connect_response/certificate_type", "\"x509\""},
	{Z "rdp-x509.pcap", "connections/0/mcs/connect_response/x509_chain_length", "2"},
	{Z "rdp-x509.pcap", "connections/0/mcs/connect_response/certificate_permanent", "false"},
	{Z "rdp-x509.pcap", "connections/0/mcs/connect_response/x509_certificates/0/subject_cn",
	 "\"SERVR\""},
	{Z "rdp-x509.pcap", "connections/0/mcs/connect_response/x509_certificates/0/not_before",
	 "\"2015-02-11 14:15:06\""},
	{Z "rdp-x509.pcap", "connections/0/mcs/connect_response/x509_certificates/0/not_after",
	 "\"2015-05-12 00:00:00\""},
	{Z "rdp-x509.pcap", "connections/0/mcs/connect_response/x509_certificates/0/key_type",
	 "\"RSA\""},
	{Z "rdp-x509.pcap", "connections/0/mcs/connect_response/x509_certificates/0/key_bits", "512"},
	/* The server's own certificate, last in the chain, labels its RSA key oddly. */
	{Z "rdp-x509.pcap", "connections/0/mcs/connect_response/x509_certificates/1/subject_cn",
	 "\"ncalrpc:SERVR\""},
	{Z "rdp-x509.pcap", "connections/0/mcs/connect_response/x509_certificates/1/key_type",
	 "\"RSA\""},
	{Z "rdp-x509.pcap", "connections/0/mcs/connect_response/x509_certificates/1/key_bits", "512"},
	{Z "rdp-x509.pcap", "connections/0/mcs/connect_response/encryption_level_name",
	 "\"client compatible\""},
	{Z "rdp-x509.pcap", "connections/0/mcs/connect_response/encryption_method_name",
	 "\"128-bit RC4\""},

	/* rdp-unknown-keyboard: a layout outside the table is kept raw. */
	{Z "rdp-unknown-keyboard.pcap", "connections/0/mcs/connect_initial/client_build_name",
	 "\"RDP 8.1\""},
	{Z "rdp-unknown-keyboard.pcap", "connections/0/mcs/connect_initial/keyboard_layout", "263198"},
	{Z "rdp-unknown-keyboard.pcap", "connections/0/mcs/connect_initial/keyboard_layout_name",
	 "null"},

	/* rdp-invalid-length: the malformed confirm at frame 5, and the run goes on. */
	{Z "rdp-invalid-length.pcap", "frames", "7"},
	{Z "rdp-invalid-length.pcap", "read_error", "null"},
	{Z "rdp-invalid-length.pcap", "connections/#len", "1"},
	{Z "rdp-invalid-length.pcap", "connections/0/x224/confirm/frame", "5"},
	{Z "rdp-invalid-length.pcap", "connections/0/x224/confirm/status", "\"invalid\""},
	{Z "rdp-invalid-length.pcap", "connections/0/x224/confirm/problem",
	 "\"RDP_NEG_RSP length is not 8\""},
	{Z "rdp-invalid-length.pcap", "connections/0/violations/1/frame", "5"},
	{Z "rdp-invalid-length.pcap", "connections/0/violations/1/text",
	 "\"malformed X.224 Connection Confirm: RDP_NEG_RSP length is not 8\""},
	{Z "rdp-invalid-length.pcap", "connections/0/last_frame", "7"},

	/* rdpeudp-handshake-fail: three SYNs, no answer, about 6.2 s. */
	{Z "rdpeudp-handshake-fail.pcap", "connections/#len", "1"},
	{Z "rdpeudp-handshake-fail.pcap", "connections/0/transport", "\"udp\""},
	{Z "rdpeudp-handshake-fail.pcap", "connections/0/client",
	 "{\"address\":\"192.168.38.1\",\"port\":63568}"},
	{Z "rdpeudp-handshake-fail.pcap", "connections/0/server",
	 "{\"address\":\"192.168.38.102\",\"port\":3389}"},
	{Z "rdpeudp-handshake-fail.pcap", "connections/0/rdpeudp/syn_frames", "[1,2,3]"},
	{Z "rdpeudp-handshake-fail.pcap", "connections/0/rdpeudp/syn/flag_names",
	 "\"SYN,CORRELATIONID,SYNEX\""},
	{Z "rdpeudp-handshake-fail.pcap", "connections/0/rdpeudp/syn/udp_length", "1240"},
	{Z "rdpeudp-handshake-fail.pcap", "connections/0/rdpeudp/syn/payload_length", "1232"},
	{Z "rdpeudp-handshake-fail.pcap", "connections/0/rdpeudp/synack", "null"},
	{Z "rdpeudp-handshake-fail.pcap", "connections/0/rdpeudp/established", "false"},
	{Z "rdpeudp-handshake-fail.pcap", "connections/0/stage", "\"udp-syn\""},
	{Z "rdpeudp-handshake-fail.pcap", "connections/0/duration_s", "6.226782"},

	/* rdpeudp-handshake-success: RDP-UDP version 1 over IPv6, TLS inside. */
	{Z "rdpeudp-handshake-success.pcap", "connections/0/client/address", "\"::1\""},
	{Z "rdpeudp-handshake-success.pcap", "connections/0/rdpeudp/syn/frame", "1"},
	{Z "rdpeudp-handshake-success.pcap", "connections/0/rdpeudp/synack/frame", "2"},
	{Z "rdpeudp-handshake-success.pcap", "connections/0/rdpeudp/synack/flag_names",
	 "\"SYN,ACK,SYNEX\""},
	{Z "rdpeudp-handshake-success.pcap", "connections/0/rdpeudp/protocol", "\"RDPEUDP\""},
	{Z "rdpeudp-handshake-success.pcap", "connections/0/tls/certificates/0/subject_cn",
	 "\"dc.windomain.local\""},
	{Z "rdpeudp-handshake-success.pcap", "connections/0/tls/certificates/0/not_before",
	 "\"2019-07-29 19:59:16\""},
	{Z "rdpeudp-handshake-success.pcap", "connections/0/tls/certificates/0/not_after",
	 "\"2020-01-28 19:59:16\""},

	/* rdpeudp2-handshake-success: version 3 moves to RDP-UDP2; TLS follows. */
	{Z "rdpeudp2-handshake-success.pcap", "connections/0/rdpeudp/syn/frame", "1"},
	{Z "rdpeudp2-handshake-success.pcap", "connections/0/rdpeudp/synack/frame", "2"},
	{Z "rdpeudp2-handshake-success.pcap", "connections/0/rdpeudp/established", "true"},
	{Z "rdpeudp2-handshake-success.pcap", "connections/0/rdpeudp/protocol", "\"RDPEUDP2\""},
	{Z "rdpeudp2-handshake-success.pcap", "connections/0/tls/client_hello_frame", "3"},
	{Z "rdpeudp2-handshake-success.pcap", "connections/0/tls/certificates/0/subject_cn",
	 "\"localhost\""},
	{Z "rdpeudp2-handshake-success.pcap", "connections/0/tls/certificates/0/not_before",
	 "\"2020-02-18 18:10:32\""},
	{Z "rdpeudp2-handshake-success.pcap", "connections/0/tls/certificates/0/not_after",
	 "\"2030-02-15 18:10:32\""},
	{NULL, NULL, NULL},
};

static const struct fact ndpi_facts[] = {
	/* rdp.pcap: BSD loopback link type, a tunnel MSS, TLS 1.2 certificate. */
	{N "rdp.pcap", "link_type", "\"NULL\""},
	{N "rdp.pcap", "connections/#len", "1"},
	{N "rdp.pcap", "connections/0/tcp/client/mss", "1273"},
	{N "rdp.pcap", "connections/0/x224/request/frame", "4"},
	{N "rdp.pcap", "connections/0/x224/request/cookie", "null"},
	{N "rdp.pcap", "connections/0/x224/request/requested_protocols", "11"},
	{N "rdp.pcap", "connections/0/x224/confirm/frame", "5"},
	{N "rdp.pcap", "connections/0/x224/confirm/selected_protocol", "8"},
	{N "rdp.pcap", "connections/0/tls/server_hello_frame", "8"},
	{N "rdp.pcap", "connections/0/tls/certificate_frame", "8"},
	{N "rdp.pcap", "connections/0/tls/version", "\"TLS 1.2\""},
	{N "rdp.pcap", "connections/0/tls/cipher", "49200"},
	{N "rdp.pcap", "connections/0/tls/certificates/0/subject_cn", "\"OFFICE-WIN10-VM\""},
	{N "rdp.pcap", "connections/0/tls/certificates/0/not_before", "\"2019-03-19 10:47:11\""},
	{N "rdp.pcap", "connections/0/tls/certificates/0/not_after", "\"2019-09-18 10:47:11\""},

	/* rdp2.pcap: three RDP-UDP flows, two 802.1Q tagged, one mid-connection. */
	{N "rdp2.pcap", "connections/#len", "3"},
	{N "rdp2.pcap", "connections/#54759/client/address", "\"192.168.122.181\""},
	{N "rdp2.pcap", "connections/#54759/server",
	 "{\"address\":\"192.168.122.2\",\"port\":3389}"},
	{N "rdp2.pcap", "connections/#54759/vlan", "[]"},
	{N "rdp2.pcap", "connections/#54759/rdpeudp/syn/frame", "1"},
	{N "rdp2.pcap", "connections/#54759/rdpeudp/syn/flag_names", "\"SYN,CORRELATIONID,SYNEX\""},
	{N "rdp2.pcap", "connections/#54759/rdpeudp/syn/udp_length", "1240"},
	{N "rdp2.pcap", "connections/#54759/rdpeudp/synack/frame", "2"},
	{N "rdp2.pcap", "connections/#54759/tls/client_hello_frame", "3"},
	{N "rdp2.pcap", "connections/#60355/client/address", "\"10.50.181.210\""},
	{N "rdp2.pcap", "connections/#60355/vlan", "[1108]"},
	{N "rdp2.pcap", "connections/#60355/rdpeudp/syn/frame", "33"},
	{N "rdp2.pcap", "connections/#60355/rdpeudp/synack/frame", "34"},
	{N "rdp2.pcap", "connections/#51652/client/address", "\"10.8.37.100\""},
	{N "rdp2.pcap", "connections/#51652/server", "{\"address\":\"10.100.2.87\",\"port\":3389}"},
	{N "rdp2.pcap", "connections/#51652/vlan", "[1308]"},
	{N "rdp2.pcap", "connections/#51652/rdpeudp/syn", "null"},
	{N "rdp2.pcap", "connections/#51652/rdpeudp/mid_connection", "true"},
	{N "rdp2.pcap", "connections/#51652/violations/0/text",
	 "\"capture started mid-connection: no RDP-UDP SYN seen\""},

	/* rdp3.pcap: Windows XP, legacy request, standard RDP security. */
	{N "rdp3.pcap", "connections/0/x224/request/negotiation", "false"},
	{N "rdp3.pcap", "connections/0/x224/request/cookie", "\"mstshash=Administr\""},
	{N "rdp3.pcap", "connections/0/mcs/connect_initial/client_build", "2600"},
	{N "rdp3.pcap", "connections/0/mcs/connect_initial/client_name", "\"SEPTU\""},
	{N "rdp3.pcap", "connections/0/mcs/connect_initial/desktop_width", "1280"},
	{N "rdp3.pcap", "connections/0/mcs/connect_initial/desktop_height", "1024"},
	{N "rdp3.pcap", "connections/0/mcs/connect_initial/keyboard_layout", "1033"},
	{N "rdp3.pcap", "connections/0/mcs/connect_response/encryption_method_name",
	 "\"128-bit RC4\""},
	{N "rdp3.pcap", "connections/0/mcs/connect_response/encryption_level_name",
	 "\"client compatible\""},
	{N "rdp3.pcap", "connections/0/mcs/domain/erect_domain_frame", "8"},
	{N "rdp3.pcap", "connections/0/mcs/domain/attach_user_request_frame", "9"},
	{N "rdp3.pcap", "connections/0/mcs/domain/attach_user_confirm_frame", "11"},
	{N "rdp3.pcap", "connections/0/mcs/domain/channel_join_requests", "5"},
	{N "rdp3.pcap", "connections/0/mcs/domain/channel_join_confirms", "5"},

	/* rdp_over_tls.pcap: 802.1Q VLAN 77, NLA, TLS 1.2 certificate. */
	{N "rdp_over_tls.pcap", "connections/0/vlan", "[77]"},
	{N "rdp_over_tls.pcap", "connections/0/x224/request/frame", "4"},
	{N "rdp_over_tls.pcap", "connections/0/x224/request/cookie", "\"mstshash=WDeployAd\""},
	{N "rdp_over_tls.pcap", "connections/0/x224/request/requested_protocols", "3"},
	{N "rdp_over_tls.pcap", "connections/0/x224/confirm/frame", "5"},
	{N "rdp_over_tls.pcap", "connections/0/x224/confirm/selected_protocol", "2"},
	{N "rdp_over_tls.pcap", "connections/0/tls/certificate_frame", "7"},
	{N "rdp_over_tls.pcap", "connections/0/tls/version", "\"TLS 1.2\""},
	{N "rdp_over_tls.pcap", "connections/0/tls/certificates/0/subject_cn", "\"topsalon\""},
	{N "rdp_over_tls.pcap", "connections/0/tls/certificates/0/not_before",
	 "\"2024-07-26 06:03:40\""},
	{N "rdp_over_tls.pcap", "connections/0/tls/certificates/0/not_after",
	 "\"2025-01-25 06:03:40\""},
	{NULL, NULL, NULL},
};

/*
 * "valid at capture time": the certificate's window holds the capture's
 * first timestamp (README: rdp-x509 2015-02-12, rdpeudp 2019-07-30, ...).
 */
struct validity {
	const char *pcap;
	const char *cert_path;
};

static const struct validity valid_at_capture[] = {
	{Z "rdp-x509.pcap", "connections/0/mcs/connect_response/x509_certificates/0"},
	{Z "rdpeudp-handshake-success.pcap", "connections/0/tls/certificates/0"},
	{N "rdp.pcap", "connections/0/tls/certificates/0"},
	{N "rdp_over_tls.pcap", "connections/0/tls/certificates/0"},
	{NULL, NULL},
};

static void test_zeek_facts(void)
{
	CU_ASSERT(facts_check(corpus_dir, zeek_facts) > 100);
}

static void test_ndpi_facts(void)
{
	CU_ASSERT(facts_check(corpus_dir, ndpi_facts) > 50);
}

static char *lookup_str(json_t *root, const char *path, const char *key, char *buf, size_t cap)
{
	char p[256];
	snprintf(p, sizeof p, "%s%s%s", path, key ? "/" : "", key ? key : "");
	json_t *v = facts_lookup(root, p);
	snprintf(buf, cap, "%s", json_is_string(v) ? json_string_value(v) : "");
	json_decref(v);
	return buf;
}

/* Times as "YYYY-MM-DD HH:MM:SS" compare in order as strings. */
static void test_valid_at_capture_time(void)
{
	for (const struct validity *v = valid_at_capture; v->pcap; v++) {
		char path[1024], start[40], nb[32], na[32];
		snprintf(path, sizeof path, "%s/%s", corpus_dir, v->pcap);
		json_t *root = facts_analyze(path);
		CU_ASSERT_PTR_NOT_NULL_FATAL(root);
		lookup_str(root, "connections/0/start_time", NULL, start, sizeof start);
		lookup_str(root, v->cert_path, "not_before", nb, sizeof nb);
		lookup_str(root, v->cert_path, "not_after", na, sizeof na);
		CU_ASSERT_EQUAL(strlen(start), 27); /* 2015-02-12T15:39:51.055977Z */
		CU_ASSERT_EQUAL(strlen(nb), 19);
		start[10] = ' ';
		start[19] = '\0';
		CU_ASSERT(strcmp(nb, start) <= 0);
		CU_ASSERT(strcmp(start, na) <= 0);
		json_decref(root);
	}
}

static const struct test_case corpus_cases[] = {
	{"zeek-rdp facts", test_zeek_facts},
	{"ndpi-rdp facts", test_ndpi_facts},
	{"certificates valid at capture time", test_valid_at_capture_time},
	{NULL, NULL},
};

void register_corpus(void)
{
	struct stat st;
	snprintf(corpus_dir, sizeof corpus_dir, "%s/../shared/corpus", RDPROBE_SOURCE_DIR);
	if (stat(corpus_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		tests_skip_group = 1;
		return;
	}
	add_suite("corpus", corpus_cases);
}

/*
 * test_fixtures.c - the project's own captures (fixtures/, recorded by
 * fixtures/record-loopback.sh against xrdp on loopback) yield the facts
 * fixtures/README.md lists, read back independently with tshark.
 */
#include <stdio.h>

#include "capture_facts.h"
#include "tests.h"

#define TLS "xrdp-tls-loopback.pcap"
#define SEC "xrdp-rdpsec-loopback.pcap"
#define NEG "xrdp-rdpsec-negotiated-loopback.pcap"
#define FAIL "xrdp-negfail-loopback.pcap"
#define REFUSED "tcp-refused-loopback.pcap"

static const struct fact fixture_facts[] = {
	/* TLS security layer, TLS 1.2, certificate in the clear. */
	{TLS, "frames", "67"},
	{TLS, "connections/#len", "1"},
	{TLS, "connections/0/server/port", "33989"},
	{TLS, "connections/0/tcp/syn_frame", "1"},
	{TLS, "connections/0/tcp/synack_frame", "2"},
	{TLS, "connections/0/x224/request/frame", "4"},
	{TLS, "connections/0/x224/request/cookie", "\"mstshash=rdprobe\""},
	{TLS, "connections/0/x224/request/requested_protocols", "1"},
	{TLS, "connections/0/x224/confirm/frame", "6"},
	{TLS, "connections/0/x224/confirm/selected_protocol", "1"},
	{TLS, "connections/0/x224/confirm/flags", "1"},
	{TLS, "connections/0/tls/client_hello_frame", "8"},
	{TLS, "connections/0/tls/server_hello_frame", "9"},
	{TLS, "connections/0/tls/certificate_frame", "9"},
	{TLS, "connections/0/tls/version", "\"TLS 1.2\""},
	{TLS, "connections/0/tls/cipher", "49200"},
	{TLS, "connections/0/tls/certificates/0/subject_cn", "\"rdprobe-lab.test\""},
	{TLS, "connections/0/tls/certificates/0/san", "\"DNS:rdprobe-lab.test\""},
	{TLS, "connections/0/tls/certificates/0/serial", "\"5244505242\""},
	{TLS, "connections/0/tls/certificates/0/not_before", "\"2026-01-01 00:00:00\""},
	{TLS, "connections/0/tls/certificates/0/not_after", "\"2036-01-01 00:00:00\""},
	{TLS, "connections/0/tls/certificates/0/self_signed", "true"},
	{TLS, "connections/0/tls/client_first_data_frame", "12"},
	{TLS, "connections/0/stage", "\"tls-data\""},
	{TLS, "connections/0/tcp/client/retransmitted_segments/0/frame", "64"},
	{TLS, "connections/0/tcp/close", "\"fin\""},
	{TLS, "connections/0/tcp/close_frame", "66"},
	{TLS, "connections/0/tcp/closed_by", "\"client\""},
	{TLS, "connections/0/violations", "[]"},

	/* Standard RDP security (FIPS), legacy request without RDP_NEG_REQ. */
	{SEC, "connections/0/x224/request/frame", "4"},
	{SEC, "connections/0/x224/request/negotiation", "false"},
	{SEC, "connections/0/x224/confirm/frame", "6"},
	{SEC, "connections/0/x224/confirm/type", "\"none\""},
	{SEC, "connections/0/mcs/connect_initial/frame", "8"},
	{SEC, "connections/0/mcs/connect_initial/server_selected_protocol", "0"},
	{SEC, "connections/0/mcs/connect_response/frame", "9"},
	{SEC, "connections/0/mcs/connect_response/result", "0"},
	{SEC, "connections/0/mcs/connect_response/encryption_method", "16"},
	{SEC, "connections/0/mcs/connect_response/encryption_level", "4"},
	{SEC, "connections/0/mcs/domain/erect_domain_frame", "11"},
	{SEC, "connections/0/mcs/domain/security_exchange_frame", "28"},
	{SEC, "connections/0/mcs/domain/client_info_frame", "29"},
	{SEC, "connections/0/stage", "\"client-info\""},
	{SEC, "connections/0/tcp/client/retransmitted_segments/0/frame", "62"},
	{SEC, "connections/0/tcp/client/fin_frame", "64"},
	{SEC, "connections/0/tls", "null"},

	/* Negotiated down to standard RDP security. */
	{NEG, "connections/0/x224/request/requested_protocols", "3"},
	{NEG, "connections/0/x224/confirm/frame", "6"},
	{NEG, "connections/0/x224/confirm/selected_protocol", "0"},
	{NEG, "connections/0/mcs/connect_initial/frame", "8"},
	{NEG, "connections/0/mcs/connect_response/frame", "9"},
	{NEG, "connections/0/mcs/connect_response/encryption_method", "16"},
	{NEG, "connections/0/mcs/connect_response/client_requested_protocols", "3"},

	/* RDP_NEG_FAILURE code 1, then the server's ultimatum and FIN. */
	{FAIL, "connections/0/x224/request/frame", "4"},
	{FAIL, "connections/0/x224/request/requested_protocols", "0"},
	{FAIL, "connections/0/x224/confirm/frame", "6"},
	{FAIL, "connections/0/x224/confirm/failure_code", "1"},
	{FAIL, "connections/0/x224/confirm/failure_name", "\"SSL_REQUIRED_BY_SERVER\""},
	{FAIL, "connections/0/mcs/domain/disconnect_frame", "8"},
	{FAIL, "connections/0/stage", "\"x224-negotiation-failure\""},
	{FAIL, "connections/0/tcp/server/fin_frame", "10"},
	{FAIL, "connections/0/tcp/client/fin_frame", "11"},
	{FAIL, "connections/0/tcp/closed_by", "\"server\""},
	{NULL, NULL, NULL},
};

/* The refused attempt goes to a port where nothing listens: named with --port. */
static const struct fact refused_facts[] = {
	{REFUSED, "connections/#len", "1"},
	{REFUSED, "connections/0/server/port", "33990"},
	{REFUSED, "connections/0/tcp/syn_frame", "1"},
	{REFUSED, "connections/0/tcp/rst_after_syn_frame", "2"},
	{REFUSED, "connections/0/tcp/synack_frame", "null"},
	{REFUSED, "connections/0/stage", "\"tcp-reset\""},
	{REFUSED, "connections/0/ladder/1/failing", "true"},
	{REFUSED, "connections/0/rdp_recognised", "false"},
	{NULL, NULL, NULL},
};

/* Without the port named, a refused SYN to a non-RDP port is not RDP. */
static const struct fact refused_unnamed[] = {
	{REFUSED, "connections/#len", "0"},
	{NULL, NULL, NULL},
};

static const char *fixture_dir(void)
{
	return RDPROBE_SOURCE_DIR "/fixtures";
}

static void test_fixture_facts(void)
{
	facts_rdp_port = 0;
	CU_ASSERT(facts_check(fixture_dir(), fixture_facts) > 50);
}

static void test_refused(void)
{
	facts_rdp_port = 33990;
	CU_ASSERT(facts_check(fixture_dir(), refused_facts) == 8);
	facts_rdp_port = 0;
	CU_ASSERT(facts_check(fixture_dir(), refused_unnamed) == 1);
}

static const struct test_case fixture_cases[] = {
	{"loopback fixtures facts", test_fixture_facts},
	{"refused attempt on a named port", test_refused},
	{NULL, NULL},
};

void register_fixtures(void)
{
	add_suite("fixtures", fixture_cases);
}

/*
 * fuzz_link.c - link layers (link.c) down through IP and TCP / UDP (ip.c).
 *
 * Input: one byte choosing the link type (index into link_types), then
 * the frame as libpcap hands it over (caplen = the rest of the input).
 */
#include <pcap/dlt.h>

#include "fuzz.h"

static const int link_types[] = {
    DLT_EN10MB, DLT_LINUX_SLL, 276 /* DLT_LINUX_SLL2 */, DLT_RAW, DLT_IPV4, DLT_IPV6,
    DLT_NULL,   DLT_LOOP,
};
#define NLINK (sizeof link_types / sizeof link_types[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int dlt = link_types[data[0] % NLINK];
	const uint8_t *frame = data + 1;
	size_t n = size - 1;
	struct pkt p;

	FUZZ_CHECK(pkt_dlt_supported(dlt));
	memset(&p, 0, sizeof p);
	p.frame = 1;
	p.caplen = (uint32_t)n;
	p.wirelen = (uint32_t)n;
	enum pkt_status st = pkt_decode(dlt, frame, &p);
	FUZZ_CHECK((unsigned)st < PKT_STATUS_COUNT);
	FUZZ_CHECK(pkt_status_name(st) != NULL);
	FUZZ_CHECK(p.nvlan >= 0 && p.nvlan <= VLAN_MAX);
	if (st != PKT_OK)
		return 0;
	fuzz_check_ip(&p, frame, n);
	return 0;
}

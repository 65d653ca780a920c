/*
 * fuzz_ip.c - IPv4 / IPv6 (extension header chains, options, fragments)
 * and the TCP / UDP headers (ip.c): the input is one IP packet.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt p;
	struct cur c = cur_make(data, size);

	memset(&p, 0, sizeof p);
	p.frame = 1;
	p.caplen = (uint32_t)size;
	p.wirelen = (uint32_t)size;
	enum pkt_status st = ip_decode(&c, &p);
	FUZZ_CHECK((unsigned)st < PKT_STATUS_COUNT);
	FUZZ_CHECK(c.p >= data && c.p <= data + size);
	if (st != PKT_OK)
		return 0;
	fuzz_check_ip(&p, data, size);
	return 0;
}

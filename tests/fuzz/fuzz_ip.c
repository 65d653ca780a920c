/*
 * fuzz_ip.c - IPv4 / IPv6 (extension header chains, options, fragments)
 * and the TCP / UDP headers (ip.c): the input is one IP packet.
 */
#include "fuzz.h"
#include "packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt p;
	struct cur c = cur_make(data, size);
	char buf[64];

	memset(&p, 0, sizeof p);
	p.frame = 1;
	p.caplen = (uint32_t)size;
	p.wirelen = (uint32_t)size;
	enum pkt_status st = ip_decode(&c, &p);
	FUZZ_CHECK((unsigned)st < PKT_STATUS_COUNT);
	FUZZ_CHECK(c.p >= data && c.p <= data + size);
	if (st != PKT_OK)
		return 0;
	FUZZ_CHECK(p.ipver == 4 || p.ipver == 6);
	FUZZ_CHECK(fuzz_inside(p.l4, p.l4_len, data, size));
	(void)fuzz_touch(p.l4, p.l4_len);
	if (p.proto == 6 || p.proto == 17) {
		FUZZ_CHECK(fuzz_inside(p.payload, p.payload_len, data, size));
		FUZZ_CHECK(p.payload_len <= p.payload_wire);
		FUZZ_CHECK(p.payload_wire <= p.ip_len);
		/* The payload lies inside the transport window. */
		FUZZ_CHECK(fuzz_inside(p.payload, p.payload_len, p.l4, p.l4_len));
	}
	addr_str(p.ipver, p.src, buf, sizeof buf);
	FUZZ_CHECK_STR(buf);
	return 0;
}

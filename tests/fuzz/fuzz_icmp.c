/*
 * fuzz_icmp.c - ICMP and ICMPv6 errors with the offending packet's
 * headers (icmp.c), and their one-line description.
 *
 * Input: one byte whose low bit says ICMPv6, then the ICMP message.
 */
#include "fuzz.h"
#include "icmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct icmp_note n;
	char buf[256];

	if (size < 1)
		return 0;
	struct cur c = cur_make(data + 1, size - 1);
	memset(&n, 0, sizeof n);
	n.frame = 1;
	n.v6 = data[0] & 1;
	enum dec_status st = icmp_parse(&c, n.v6, &n);
	FUZZ_CHECK((unsigned)st < DEC_STATUS_COUNT);
	FUZZ_CHECK(n.kind >= ICMPK_OTHER && n.kind <= ICMPK_TIME_EXCEEDED);
	if (st == DEC_OK) {
		icmp_describe(&n, buf, sizeof buf);
		FUZZ_CHECK_STR(buf);
	}
	return 0;
}

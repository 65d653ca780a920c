/*
 * fuzz_x224.c - TPKT framing, X.224 Connection Request / Confirm with
 * RDP_NEG_REQ / RSP / FAILURE and the cookie, X.224 Data (x224.c).
 *
 * Input: the bytes of one TPKT packet as rdp.c cuts them from the stream
 * (header included); each parser gets the same bytes, as a server- or a
 * client-side packet would reach it.
 */
#include "fuzz.h"
#include "x224.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[64];

	unsigned tl = tpkt_length(data, size);
	FUZZ_CHECK(tl == 0 || (tl >= TPKT_MIN_LEN && tl <= 65535));
	(void)x224_is_connection_request(data, size);
	uint8_t code = x224_tpdu_code(data, size);
	FUZZ_CHECK(x224_tpdu_name(code) != NULL);

	struct x224_cr_facts cr;
	memset(&cr, 0, sizeof cr);
	struct cur c = cur_make(data, size);
	enum dec_status st = x224_parse_cr(&c, &cr);
	FUZZ_CHECK((unsigned)st < DEC_STATUS_COUNT && st == cr.status);
	FUZZ_CHECK_STR(cr.cookie);
	FUZZ_CHECK(st == DEC_OK || st == DEC_TRUNCATED || cr.why != NULL);
	x224_protocols_str(cr.requested, buf, sizeof buf);
	FUZZ_CHECK_STR(buf);

	struct x224_cc_facts cc;
	memset(&cc, 0, sizeof cc);
	c = cur_make(data, size);
	st = x224_parse_cc(&c, &cc);
	FUZZ_CHECK((unsigned)st < DEC_STATUS_COUNT && st == cc.status);
	FUZZ_CHECK(st == DEC_OK || st == DEC_TRUNCATED || cc.why != NULL);
	FUZZ_CHECK(x224_failure_name(cc.failure_code) != NULL);
	x224_protocols_str(cc.selected, buf, sizeof buf);
	FUZZ_CHECK_STR(buf);

	struct cur user;
	c = cur_make(data, size);
	if (x224_data(&c, &user) == DEC_OK) {
		FUZZ_CHECK(fuzz_inside(user.p, cur_left(&user), data, size));
		(void)fuzz_touch(user.p, cur_left(&user));
	}
	return 0;
}

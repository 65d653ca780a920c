/*
 * fuzz_rdpeudp.c - RDP-UDP datagrams (rdpeudp.c): SYN / SYN+ACK with
 * SYNEX and correlation id, version 1 payloads after the FEC header and
 * the ACK vectors, and RDP-UDP2 packets (first byte and byte 7 swapped).
 *
 * Input: one UDP payload.  The RDP-UDP2 scratch buffer is exactly as long
 * as the datagram (the header's "at least len bytes"), so ASan sees any
 * write past it.
 */
#include "fuzz.h"
#include "rdpeudp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[160];
	struct rdpeudp_syn_facts f;
	struct cur c, payload;
	uint16_t flags;
	uint32_t sn;

	(void)rdpeudp_is_syn(data, size);

	memset(&f, 0, sizeof f);
	c = cur_make(data, size);
	enum dec_status st = rdpeudp_parse_syn(&c, &f);
	FUZZ_CHECK((unsigned)st < DEC_STATUS_COUNT && st == f.status);
	rdpeudp_flags_str(f.flags, buf, sizeof buf);
	FUZZ_CHECK_STR(buf);
	FUZZ_CHECK(rdpeudp_version_name(f.udp_version) != NULL);

	c = cur_make(data, size);
	flags = 0;
	sn = 0;
	if (rdpeudp_v1_payload(&c, &flags, &sn, &payload) == DEC_OK) {
		FUZZ_CHECK(fuzz_inside(payload.p, cur_left(&payload), data, size));
		(void)fuzz_touch(payload.p, cur_left(&payload));
	}

	uint8_t *scratch = malloc(size ? size : 1);
	if (!scratch)
		return 0;
	if (rdpeudp2_payload(data, size, scratch, &flags, &payload) == DEC_OK) {
		FUZZ_CHECK(fuzz_inside(payload.p, cur_left(&payload), scratch, size));
		(void)fuzz_touch(payload.p, cur_left(&payload));
	}
	free(scratch);
	return 0;
}

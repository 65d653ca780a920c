/*
 * fuzz_dns.c - one DNS message (dns.c): header, question, A / AAAA /
 * CNAME answers, compression pointers (loops, forward jumps, chains).
 */
#include "dns.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_msg m;
	struct cur c = cur_make(data, size);

	memset(&m, 0, sizeof m);
	enum dec_status st = dns_parse(&c, &m);
	FUZZ_CHECK((unsigned)st < DEC_STATUS_COUNT);
	FUZZ_CHECK_STR(m.qname);
	FUZZ_CHECK(m.answers_stored >= 0 && m.answers_stored <= DNS_ANSWER_MAX);
	FUZZ_CHECK(m.answers_stored <= m.answer_count);
	for (int i = 0; i < m.answers_stored; i++)
		FUZZ_CHECK_STR(m.answers[i].cname);
	return 0;
}

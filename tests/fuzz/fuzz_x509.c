/*
 * fuzz_x509.c - one DER certificate through x509_parse_der (OpenSSL's
 * d2i_X509, then our text, time and key conversions) twice: the second
 * answer comes from the certificate cache and must equal the first.
 */
#include "fuzz.h"
#include "x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cert_info a, b;
	char buf[32];

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	enum dec_status s1 = x509_parse_der(data, size, &a);
	FUZZ_CHECK(s1 == DEC_OK || s1 == DEC_INVALID || s1 == DEC_UNSUPPORTED);
	fuzz_check_cert(&a);
	enum dec_status s2 = x509_parse_der(data, size, &b);
	FUZZ_CHECK(s1 == s2);
	FUZZ_CHECK(!memcmp(&a, &b, sizeof a));
	x509_time_str(a.not_before, buf, sizeof buf);
	FUZZ_CHECK_STR(buf);
	x509_time_str(a.not_after, buf, sizeof buf);
	FUZZ_CHECK_STR(buf);
	return 0;
}

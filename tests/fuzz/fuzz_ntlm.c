/*
 * fuzz_ntlm.c - CredSSP TSRequest (DER) framing and parsing, the NTLM
 * CHALLENGE_MESSAGE in its first negoToken (payload offsets, AV pairs,
 * UTF-16 names), and the helpers the reports use on what came out
 * (ntlm.c).
 *
 * Input: one TSRequest as a server sends it.  The same bytes are also
 * parsed as a bare CHALLENGE_MESSAGE and converted as UTF-16LE, so seeds
 * of either kind reach every parser.
 */
#include "fuzz.h"
#include "ntlm.h"

static void check_challenge(const struct ntlm_challenge *ch)
{
	char buf[512];

	FUZZ_CHECK_STR(ch->target_name);
	FUZZ_CHECK_STR(ch->nb_computer);
	FUZZ_CHECK_STR(ch->nb_domain);
	FUZZ_CHECK_STR(ch->dns_computer);
	FUZZ_CHECK_STR(ch->dns_domain);
	FUZZ_CHECK_STR(ch->dns_tree);
	FUZZ_CHECK(ch->av_pairs >= 0 && ch->av_pairs <= NTLM_AV_PAIRS_MAX + 1);
	ntlm_flags_str(ch->flags, buf, sizeof buf);
	FUZZ_CHECK_STR(buf);
	ntlm_os_name(ch->major, ch->minor, ch->build, buf, sizeof buf);
	FUZZ_CHECK_STR(buf);
	uint32_t usec = 0;
	(void)ntlm_filetime_to_unix(ch->timestamp, &usec);
	FUZZ_CHECK(usec < 1000000);
	(void)ntlm_name_matches(ch->dns_computer, ch->nb_computer, 1);
	(void)ntlm_name_matches(ch->target_name, ch->dns_domain, 0);
	memcpy(buf, ch->dns_computer, sizeof ch->dns_computer);
	size_t n = ntlm_utf8_trim(buf);
	FUZZ_CHECK(n == strlen(buf));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ntlm_challenge ch;
	struct credssp_tsrequest t;
	const char *why = NULL;
	size_t total = 0;
	char text[NTLM_NAME_MAX];

	enum dec_status st = credssp_frame_length(data, size, &total);
	FUZZ_CHECK((unsigned)st < DEC_STATUS_COUNT);
	FUZZ_CHECK(st != DEC_OK || total >= 2);

	memset(&t, 0, sizeof t);
	struct cur c = cur_make(data, size);
	st = credssp_parse_tsrequest(&c, &t, &why);
	FUZZ_CHECK((unsigned)st < DEC_STATUS_COUNT);
	FUZZ_CHECK(t.tokens >= 0);
	if (t.token) {
		FUZZ_CHECK(fuzz_inside(t.token, t.token_len, data, size));
		memset(&ch, 0, sizeof ch);
		struct cur tok = cur_make(t.token, t.token_len);
		st = ntlm_parse_challenge(&tok, &ch, &why);
		FUZZ_CHECK((unsigned)st < DEC_STATUS_COUNT);
		check_challenge(&ch);
	}

	memset(&ch, 0, sizeof ch);
	c = cur_make(data, size);
	st = ntlm_parse_challenge(&c, &ch, &why);
	FUZZ_CHECK((unsigned)st < DEC_STATUS_COUNT);
	check_challenge(&ch);

	int bits = ntlm_utf16le_to_utf8(text, sizeof text, data, size);
	FUZZ_CHECK((bits & ~(NTLM_STR_REPLACED | NTLM_STR_CUT)) == 0);
	FUZZ_CHECK_STR(text);
	return 0;
}

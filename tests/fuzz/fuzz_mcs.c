/*
 * fuzz_mcs.c - T.125 MCS Connect Initial / Response with the T.124 GCC
 * user data blocks and the server certificates (proprietary and X.509),
 * and the MCS domain PDUs with their security headers (mcs.c).
 *
 * Input: the user data of one X.224 Data TPDU (after 02 F0 80), as rdp.c
 * hands it over; each parser reads the same bytes.
 */
#include "fuzz.h"
#include "mcs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mcs_ci_facts ci;
	static struct mcs_cr_facts cr;
	struct mcs_domain_facts dom;
	struct cur c = cur_make(data, size);

	enum mcs_connect_kind kind = mcs_connect_kind(&c);
	FUZZ_CHECK(kind == MCS_NOT_CONNECT || kind == MCS_CONNECT_INITIAL ||
	           kind == MCS_CONNECT_RESPONSE);

	memset(&ci, 0, sizeof ci);
	c = cur_make(data, size);
	enum dec_status st = mcs_parse_connect_initial(&c, &ci);
	FUZZ_CHECK((unsigned)st < DEC_STATUS_COUNT);
	FUZZ_CHECK_STR(ci.client_name);
	FUZZ_CHECK(ci.channels_stored >= 0 && ci.channels_stored <= CHANNEL_MAX);
	for (int i = 0; i < ci.channels_stored; i++)
		FUZZ_CHECK_STR(ci.channels[i]);
	(void)gcc_keyboard_name(ci.keyboard_layout);
	(void)gcc_rdp_version_name(ci.rdp_version);
	(void)gcc_client_build_name(ci.client_build);

	memset(&cr, 0, sizeof cr);
	c = cur_make(data, size);
	st = mcs_parse_connect_response(&c, &cr);
	FUZZ_CHECK((unsigned)st < DEC_STATUS_COUNT);
	FUZZ_CHECK((unsigned)cr.cert_type <= SRV_CERT_X509);
	FUZZ_CHECK(cr.x509_stored >= 0 && cr.x509_stored <= CERT_MAX);
	for (int i = 0; i < cr.x509_stored; i++)
		fuzz_check_cert(&cr.x509[i]);
	(void)gcc_encryption_method_name(cr.encryption_method);
	(void)gcc_encryption_level_name(cr.encryption_level);

	for (int dir = 0; dir < 2; dir++) {
		memset(&dom, 0, sizeof dom);
		c = cur_make(data, size);
		int choice = mcs_note_domain_pdu(&c, dir, 7, &dom);
		FUZZ_CHECK(choice >= -1 && choice < 64);
		if (choice >= 0)
			(void)mcs_domain_pdu_name(choice);
	}
	return 0;
}

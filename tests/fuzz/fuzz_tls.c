/*
 * fuzz_tls.c - TLS / DTLS records and handshake messages in both
 * directions (tls.c), certificates included (x509.c through OpenSSL).
 *
 * Input: a script (fuzz.h) of the connection's bytes after X.224, each
 * chunk one TCP segment of the direction in the tag's low bit.  Bytes
 * tls_feed leaves (a partial record) wait for the next chunk of the same
 * direction, as rdp.c keeps them in the reassembly buffer; a direction
 * whose framing is lost is fed no more.
 */
#include "fuzz.h"
#include "tcp_reasm.h"
#include "tls.h"

#define HOLD_MAX REASM_BUF_MAX /* what rdp.c can hold undelivered */

static void on_event(void *ctx, int dir, uint64_t frame, const char *text)
{
	(void)ctx;
	(void)frame;
	FUZZ_CHECK(dir == 0 || dir == 1);
	FUZZ_CHECK(text && strlen(text) < 4096);
}

static void check_facts(const struct tls_facts *f)
{
	FUZZ_CHECK_STR(f->sni);
	FUZZ_CHECK(f->cert_stored >= 0 && f->cert_stored <= CERT_MAX);
	FUZZ_CHECK(f->cert_stored <= f->cert_count);
	FUZZ_CHECK(f->rec_stored >= 0 && f->rec_stored <= TLS_REC_MAX);
	FUZZ_CHECK((unsigned)f->status < DEC_STATUS_COUNT);
	for (int i = 0; i < f->cert_stored; i++)
		fuzz_check_cert(&f->certs[i]);
	(void)tls_version_name(f->version);
	(void)tls_version_name(f->client_max_version);
	FUZZ_CHECK(tls_alert_name(f->alert_desc) != NULL);
	(void)tls_cipher_name(f->cipher);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t hold[2][HOLD_MAX];
	size_t held[2] = {0, 0};
	int done[2] = {0, 0};
	struct tls_state st;
	static struct tls_facts f; /* 8 KB of certificate text: not on the stack */
	struct cur c = cur_make(data, size);
	struct fuzz_chunk k;
	uint64_t frame = 0;

	memset(&f, 0, sizeof f);
	tls_init(&st, on_event, NULL);
	while (fuzz_next_chunk(&c, &k)) {
		int dir = k.tag & 1;
		frame++;
		if (done[dir] || !k.n)
			continue;
		if (k.n > HOLD_MAX - held[dir]) {
			done[dir] = 1; /* rdp.c: a PDU over REASM_BUF_MAX is not followed */
			continue;
		}
		memcpy(hold[dir] + held[dir], k.p, k.n);
		held[dir] += k.n;
		size_t n = tls_feed(&st, &f, dir, hold[dir], held[dir], frame);
		FUZZ_CHECK(n <= held[dir]);
		memmove(hold[dir], hold[dir] + n, held[dir] - n);
		held[dir] -= n;
		if (st.d[dir].lost)
			done[dir] = 1;
		check_facts(&f);
		FUZZ_CHECK(st.d[dir].hs_len <= TLS_HS_MSG_MAX);
	}
	tls_free(&st);
	return 0;
}

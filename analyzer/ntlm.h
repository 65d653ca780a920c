/*
 * ntlm.h - CredSSP TSRequest (MS-CSSP 2.2.1, DER) and the NTLM messages
 * a client sees before it has to prove anything (MS-NLMP 2.2.1.1
 * NEGOTIATE_MESSAGE, 2.2.1.2 CHALLENGE_MESSAGE): the server's NetBIOS and
 * DNS names, domain and OS build, without credentials.
 *
 * ISO C, no POSIX.  struct ntlm_challenge is plain bytes (no pointers): the
 * probe sends it through a pipe inside struct probe_result.
 */
#ifndef RDPROBE_NTLM_H
#define RDPROBE_NTLM_H

#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "decode.h"

/* Caps. */
#define CREDSSP_TSREQUEST_MAX (16 * 1024) /* a server TSRequest we accept */
#define CREDSSP_FIELDS_MAX 8              /* TSRequest fields walked */
#define CREDSSP_TOKENS_MAX 8              /* negoTokens entries walked */
#define NTLM_NAME_MAX 128                 /* UTF-8 bytes kept per name, NUL included */
#define NTLM_AV_PAIRS_MAX 32              /* AV pairs walked in TargetInfo */

/* The TSRequest version the probe sends (MS-CSSP 2.2.1: 2 to 6). */
#define CREDSSP_CLIENT_VERSION 6

/* NTLM message types (MS-NLMP 2.2.1). */
#define NTLM_TYPE_NEGOTIATE 1
#define NTLM_TYPE_CHALLENGE 2
#define NTLM_TYPE_AUTHENTICATE 3

/* NegotiateFlags (MS-NLMP 2.2.2.5), least significant bit first. */
#define NTLMSSP_NEGOTIATE_UNICODE 0x00000001u
#define NTLM_NEGOTIATE_OEM 0x00000002u
#define NTLMSSP_REQUEST_TARGET 0x00000004u
#define NTLMSSP_NEGOTIATE_SIGN 0x00000010u
#define NTLMSSP_NEGOTIATE_SEAL 0x00000020u
#define NTLMSSP_NEGOTIATE_DATAGRAM 0x00000040u
#define NTLMSSP_NEGOTIATE_LM_KEY 0x00000080u
#define NTLMSSP_NEGOTIATE_NTLM 0x00000200u
#define NTLMSSP_ANONYMOUS 0x00000800u
#define NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED 0x00001000u
#define NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED 0x00002000u
#define NTLMSSP_NEGOTIATE_ALWAYS_SIGN 0x00008000u
#define NTLMSSP_TARGET_TYPE_DOMAIN 0x00010000u
#define NTLMSSP_TARGET_TYPE_SERVER 0x00020000u
#define NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY 0x00080000u
#define NTLMSSP_NEGOTIATE_IDENTIFY 0x00100000u
#define NTLMSSP_REQUEST_NON_NT_SESSION_KEY 0x00400000u
#define NTLMSSP_NEGOTIATE_TARGET_INFO 0x00800000u
#define NTLMSSP_NEGOTIATE_VERSION 0x02000000u
#define NTLMSSP_NEGOTIATE_128 0x20000000u
#define NTLMSSP_NEGOTIATE_KEY_EXCH 0x40000000u
#define NTLMSSP_NEGOTIATE_56 0x80000000u

/* AV_PAIR ids (MS-NLMP 2.2.2.1). */
enum ntlm_av_id {
	MSV_AV_EOL = 0,
	MSV_AV_NB_COMPUTER_NAME = 1,
	MSV_AV_NB_DOMAIN_NAME = 2,
	MSV_AV_DNS_COMPUTER_NAME = 3,
	MSV_AV_DNS_DOMAIN_NAME = 4,
	MSV_AV_DNS_TREE_NAME = 5,
	MSV_AV_FLAGS = 6,
	MSV_AV_TIMESTAMP = 7,
	MSV_AV_SINGLE_HOST = 8,
	MSV_AV_TARGET_NAME = 9,
	MSV_AV_CHANNEL_BINDINGS = 10,
};

/* What a string conversion had to change (bits of ntlm_challenge.name_issues). */
#define NTLM_STR_REPLACED 1 /* invalid UTF-16, odd length or a control char: U+FFFD */
#define NTLM_STR_CUT 2      /* longer than NTLM_NAME_MAX: cut at a whole character */

struct ntlm_challenge {
	uint32_t flags;                    /* NegotiateFlags */
	uint8_t server_challenge[8];
	char target_name[NTLM_NAME_MAX];   /* UTF-8 (OEM: printable ASCII) */
	char nb_computer[NTLM_NAME_MAX];   /* AV pairs, UTF-8; "" when absent */
	char nb_domain[NTLM_NAME_MAX];
	char dns_computer[NTLM_NAME_MAX];
	char dns_domain[NTLM_NAME_MAX];
	char dns_tree[NTLM_NAME_MAX];
	int have_av_flags;
	uint32_t av_flags;                 /* MsvAvFlags */
	int have_timestamp;
	uint64_t timestamp;                /* MsvAvTimestamp: FILETIME, 100 ns since 1601 UTC */
	int have_version;                  /* NTLMSSP_NEGOTIATE_VERSION was set */
	uint8_t major, minor;              /* ProductMajorVersion, ProductMinorVersion */
	uint16_t build;                    /* ProductBuild */
	uint8_t ntlm_revision;             /* NTLMRevisionCurrent (15 = W2K3) */
	int av_pairs;                      /* AV pairs walked, EOL included */
	int av_eol;                        /* the list ended with MsvAvEOL */
	int name_issues;                   /* NTLM_STR_* bits over every name */
};

/*
 * One TSRequest (MS-CSSP 2.2.1).  token points into the parsed bytes (the
 * first negoToken's OCTET STRING contents), NULL when there is none.
 */
struct credssp_tsrequest {
	uint32_t version;
	int tokens;                        /* negoTokens entries seen */
	const uint8_t *token;
	size_t token_len;
	int have_auth_info, have_pub_key_auth, have_client_nonce;
	int have_error_code;
	uint32_t error_code;               /* errorCode: an NTSTATUS / HRESULT */
};

/*
 * Framing of a TSRequest on a byte stream: when p[0..n) starts a DER
 * SEQUENCE header, *total is the whole element's length (header included)
 * and the result DEC_OK; DEC_TRUNCATED when more bytes are needed to know;
 * DEC_INVALID when the bytes cannot start a TSRequest (another tag, an
 * indefinite length, more than 4 length bytes).  The caller caps *total.
 */
enum dec_status credssp_frame_length(const uint8_t *p, size_t n, size_t *total);

/*
 * Parses the TSRequest at the start of c (its declared length bounds the
 * parse; bytes after it are not read).  DEC_TRUNCATED when c ends inside
 * it, DEC_INVALID for wrong tags, lengths beyond their parent, fields out
 * of order, an INTEGER too wide.  *why (optional) gets static text.
 */
enum dec_status credssp_parse_tsrequest(struct cur *c, struct credssp_tsrequest *t,
					const char **why);

/*
 * Parses one CHALLENGE_MESSAGE occupying all of c (the negoToken: payload
 * offsets are relative to its first byte).  DEC_TRUNCATED when the fixed
 * part (48 bytes, 56 with NTLMSSP_NEGOTIATE_VERSION) is cut; DEC_INVALID
 * for a wrong signature, a field pointing outside the message or an AV
 * pair running past TargetInfo; DEC_UNSUPPORTED for another message type.
 * A list without MsvAvEOL is kept (av_eol = 0, *why says so) and DEC_OK.
 */
enum dec_status ntlm_parse_challenge(struct cur *c, struct ntlm_challenge *ch, const char **why);

/*
 * The probe's first TSRequest: version CREDSSP_CLIENT_VERSION and one
 * negoToken holding an NTLM NEGOTIATE_MESSAGE with ntlm_client_flags().
 * Returns its length, 0 when cap is too small.
 */
size_t credssp_build_ntlm_negotiate(uint8_t *buf, size_t cap);
uint32_t ntlm_client_flags(void);

/*
 * UTF-16LE (n bytes) into NUL-terminated UTF-8: unpaired surrogates, an
 * odd trailing byte, NUL and control characters become U+FFFD; the output
 * stops at a whole character within cap.  Returns NTLM_STR_* bits.
 */
int ntlm_utf16le_to_utf8(char *dst, size_t cap, const uint8_t *src, size_t n);

/*
 * Drops an incomplete UTF-8 sequence at the end of s (what a bounded
 * snprintf leaves when it cuts inside a character), so that JSON
 * encoders accept the text.  Returns the new length.
 */
size_t ntlm_utf8_trim(char *s);

/* "UNICODE|NTLM|..." (unknown bits as hex). */
const char *ntlm_flags_str(uint32_t flags, char *buf, size_t cap);

/*
 * The Windows release of an NTLM Version ("Windows Server 2019 / Windows
 * 10 1809"); "Windows NT MAJOR.MINOR build N" when unknown.
 */
const char *ntlm_os_name(uint8_t major, uint8_t minor, uint16_t build, char *buf, size_t cap);

/* FILETIME to seconds since the Unix epoch; 0 when before 1970 or past 9999. */
int64_t ntlm_filetime_to_unix(uint64_t ft, uint32_t *usec);

/*
 * Host names, as a client compares them: ASCII case-insensitive, a
 * trailing dot ignored; with `short_ok`, a one-label name also matches the
 * first label of a longer one ("srv1" ~ "srv1.example.test").  Empty names
 * never match.
 */
int ntlm_name_matches(const char *a, const char *b, int short_ok);

#endif

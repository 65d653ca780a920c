/*
 * tls.c - TLS and DTLS records and the plaintext handshake messages
 * (RFC 5246, RFC 8446, RFC 6347), seen from the outside.
 *
 * Only what crosses the wire in clear is decoded: the hellos, the server's
 * certificate chain (TLS 1.2 and older), ServerHelloDone, ChangeCipherSpec
 * and plaintext alerts.  Everything after a side's ChangeCipherSpec (and
 * everything after a TLS 1.3 ServerHello) is only counted and measured:
 * with PROTOCOL_HYBRID those encrypted records are the CredSSP exchange.
 *
 * A handshake message that lies whole in one record is decoded where it
 * lies.  Messages that span records are rebuilt in a per-direction buffer
 * that grows to what the message needs, at most TLS_HS_MSG_MAX bytes.  A
 * message that declares more than that is skipped byte-exactly, never
 * buffered.
 */
#include "tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "decode.h"
#include "x509.h"

/* ---- constants and their names ---------------------------------------- */

enum tls_content_type { /* RFC 5246 6.2.1, RFC 6520 */
	CT_CHANGE_CIPHER_SPEC = 20,
	CT_ALERT = 21,
	CT_HANDSHAKE = 22,
	CT_APPLICATION_DATA = 23,
	CT_HEARTBEAT = 24,
};

enum tls_hs_type { /* RFC 5246 7.4, RFC 8446 4, RFC 6347 4.2.2 */
	HS_HELLO_REQUEST = 0,
	HS_CLIENT_HELLO = 1,
	HS_SERVER_HELLO = 2,
	HS_HELLO_VERIFY_REQUEST = 3,
	HS_NEW_SESSION_TICKET = 4,
	HS_END_OF_EARLY_DATA = 5,
	HS_ENCRYPTED_EXTENSIONS = 8,
	HS_CERTIFICATE = 11,
	HS_SERVER_KEY_EXCHANGE = 12,
	HS_CERTIFICATE_REQUEST = 13,
	HS_SERVER_HELLO_DONE = 14,
	HS_CERTIFICATE_VERIFY = 15,
	HS_CLIENT_KEY_EXCHANGE = 16,
	HS_FINISHED = 20,
	HS_CERTIFICATE_URL = 21,
	HS_CERTIFICATE_STATUS = 22,
	HS_SUPPLEMENTAL_DATA = 23,
	HS_KEY_UPDATE = 24,
	HS_MESSAGE_HASH = 254,
};

static const struct tok hs_names[] = {
	{HS_HELLO_REQUEST, "HelloRequest"},
	{HS_CLIENT_HELLO, "ClientHello"},
	{HS_SERVER_HELLO, "ServerHello"},
	{HS_HELLO_VERIFY_REQUEST, "HelloVerifyRequest"},
	{HS_NEW_SESSION_TICKET, "NewSessionTicket"},
	{HS_END_OF_EARLY_DATA, "EndOfEarlyData"},
	{HS_ENCRYPTED_EXTENSIONS, "EncryptedExtensions"},
	{HS_CERTIFICATE, "Certificate"},
	{HS_SERVER_KEY_EXCHANGE, "ServerKeyExchange"},
	{HS_CERTIFICATE_REQUEST, "CertificateRequest"},
	{HS_SERVER_HELLO_DONE, "ServerHelloDone"},
	{HS_CERTIFICATE_VERIFY, "CertificateVerify"},
	{HS_CLIENT_KEY_EXCHANGE, "ClientKeyExchange"},
	{HS_FINISHED, "Finished"},
	{HS_CERTIFICATE_URL, "CertificateURL"},
	{HS_CERTIFICATE_STATUS, "CertificateStatus"},
	{HS_SUPPLEMENTAL_DATA, "SupplementalData"},
	{HS_KEY_UPDATE, "KeyUpdate"},
	{HS_MESSAGE_HASH, "MessageHash"},
	{0, NULL},
};

static const struct tok version_names[] = {
	{0x0002, "SSL 2.0"},
	{0x0300, "SSL 3.0"},
	{0x0301, "TLS 1.0"},
	{0x0302, "TLS 1.1"},
	{0x0303, "TLS 1.2"},
	{0x0304, "TLS 1.3"},
	{0xfeff, "DTLS 1.0"},
	{0xfefd, "DTLS 1.2"},
	{0xfefc, "DTLS 1.3"},
	{0, NULL},
};

/* RFC 8446 6.2 and RFC 5246 7.2.2 (with the values both retired since). */
static const struct tok alert_names[] = {
	{0, "close_notify"},
	{10, "unexpected_message"},
	{20, "bad_record_mac"},
	{21, "decryption_failed"},
	{22, "record_overflow"},
	{30, "decompression_failure"},
	{40, "handshake_failure"},
	{41, "no_certificate"},
	{42, "bad_certificate"},
	{43, "unsupported_certificate"},
	{44, "certificate_revoked"},
	{45, "certificate_expired"},
	{46, "certificate_unknown"},
	{47, "illegal_parameter"},
	{48, "unknown_ca"},
	{49, "access_denied"},
	{50, "decode_error"},
	{51, "decrypt_error"},
	{60, "export_restriction"},
	{70, "protocol_version"},
	{71, "insufficient_security"},
	{80, "internal_error"},
	{86, "inappropriate_fallback"},
	{90, "user_canceled"},
	{100, "no_renegotiation"},
	{109, "missing_extension"},
	{110, "unsupported_extension"},
	{111, "certificate_unobtainable"},
	{112, "unrecognized_name"},
	{113, "bad_certificate_status_response"},
	{114, "bad_certificate_hash_value"},
	{115, "unknown_psk_identity"},
	{116, "certificate_required"},
	{120, "no_application_protocol"},
	{0, NULL},
};

static const struct tok alert_levels[] = {
	{1, "warning"},
	{2, "fatal"},
	{0, NULL},
};

/* IANA TLS Cipher Suites registry names. */
static const struct tok cipher_names[] = {
	{0x0000, "TLS_NULL_WITH_NULL_NULL"},
	{0x0001, "TLS_RSA_WITH_NULL_MD5"},
	{0x0002, "TLS_RSA_WITH_NULL_SHA"},
	{0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"},
	{0x0004, "TLS_RSA_WITH_RC4_128_MD5"},
	{0x0005, "TLS_RSA_WITH_RC4_128_SHA"},
	{0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"},
	{0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA"},
	{0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0009, "TLS_RSA_WITH_DES_CBC_SHA"},
	{0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x000D, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA"},
	{0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA"},
	{0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"},
	{0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"},
	{0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5"},
	{0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"},
	{0x001B, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"},
	{0x002C, "TLS_PSK_WITH_NULL_SHA"},
	{0x002D, "TLS_DHE_PSK_WITH_NULL_SHA"},
	{0x002E, "TLS_RSA_PSK_WITH_NULL_SHA"},
	{0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"},
	{0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA"},
	{0x0031, "TLS_DH_RSA_WITH_AES_128_CBC_SHA"},
	{0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"},
	{0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
	{0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"},
	{0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
	{0x0036, "TLS_DH_DSS_WITH_AES_256_CBC_SHA"},
	{0x0037, "TLS_DH_RSA_WITH_AES_256_CBC_SHA"},
	{0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"},
	{0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
	{0x003A, "TLS_DH_anon_WITH_AES_256_CBC_SHA"},
	{0x003B, "TLS_RSA_WITH_NULL_SHA256"},
	{0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256"},
	{0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
	{0x003E, "TLS_DH_DSS_WITH_AES_128_CBC_SHA256"},
	{0x003F, "TLS_DH_RSA_WITH_AES_128_CBC_SHA256"},
	{0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256"},
	{0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
	{0x0068, "TLS_DH_DSS_WITH_AES_256_CBC_SHA256"},
	{0x0069, "TLS_DH_RSA_WITH_AES_256_CBC_SHA256"},
	{0x006A, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256"},
	{0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
	{0x006C, "TLS_DH_anon_WITH_AES_128_CBC_SHA256"},
	{0x006D, "TLS_DH_anon_WITH_AES_256_CBC_SHA256"},
	{0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0089, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA"},
	{0x008A, "TLS_PSK_WITH_RC4_128_SHA"},
	{0x008B, "TLS_PSK_WITH_3DES_EDE_CBC_SHA"},
	{0x008C, "TLS_PSK_WITH_AES_128_CBC_SHA"},
	{0x008D, "TLS_PSK_WITH_AES_256_CBC_SHA"},
	{0x0090, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA"},
	{0x0091, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA"},
	{0x0094, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA"},
	{0x0095, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA"},
	{0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
	{0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
	{0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
	{0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
	{0x00A0, "TLS_DH_RSA_WITH_AES_128_GCM_SHA256"},
	{0x00A1, "TLS_DH_RSA_WITH_AES_256_GCM_SHA384"},
	{0x00A2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256"},
	{0x00A3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384"},
	{0x00A4, "TLS_DH_DSS_WITH_AES_128_GCM_SHA256"},
	{0x00A5, "TLS_DH_DSS_WITH_AES_256_GCM_SHA384"},
	{0x00A6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"},
	{0x00A7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384"},
	{0x00A8, "TLS_PSK_WITH_AES_128_GCM_SHA256"},
	{0x00A9, "TLS_PSK_WITH_AES_256_GCM_SHA384"},
	{0x00AA, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256"},
	{0x00AB, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384"},
	{0x00AC, "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256"},
	{0x00AD, "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384"},
	{0x00AE, "TLS_PSK_WITH_AES_128_CBC_SHA256"},
	{0x00AF, "TLS_PSK_WITH_AES_256_CBC_SHA384"},
	{0x00B0, "TLS_PSK_WITH_NULL_SHA256"},
	{0x00B1, "TLS_PSK_WITH_NULL_SHA384"},
	{0x00B2, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256"},
	{0x00B3, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384"},
	{0x00B4, "TLS_DHE_PSK_WITH_NULL_SHA256"},
	{0x00B5, "TLS_DHE_PSK_WITH_NULL_SHA384"},
	{0x00B6, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA256"},
	{0x00B7, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA384"},
	{0x00B8, "TLS_RSA_PSK_WITH_NULL_SHA256"},
	{0x00B9, "TLS_RSA_PSK_WITH_NULL_SHA384"},
	{0x00BA, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00BD, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00BE, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00BF, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00C0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00C3, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00C4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00C5, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
	{0x1301, "TLS_AES_128_GCM_SHA256"},
	{0x1302, "TLS_AES_256_GCM_SHA384"},
	{0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
	{0x1304, "TLS_AES_128_CCM_SHA256"},
	{0x1305, "TLS_AES_128_CCM_8_SHA256"},
	{0x5600, "TLS_FALLBACK_SCSV"},
	{0xC001, "TLS_ECDH_ECDSA_WITH_NULL_SHA"},
	{0xC002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA"},
	{0xC003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA"},
	{0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA"},
	{0xC005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA"},
	{0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"},
	{0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"},
	{0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"},
	{0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
	{0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
	{0xC00B, "TLS_ECDH_RSA_WITH_NULL_SHA"},
	{0xC00C, "TLS_ECDH_RSA_WITH_RC4_128_SHA"},
	{0xC00D, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0xC00E, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA"},
	{0xC00F, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA"},
	{0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA"},
	{0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"},
	{0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
	{0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
	{0xC015, "TLS_ECDH_anon_WITH_NULL_SHA"},
	{0xC016, "TLS_ECDH_anon_WITH_RC4_128_SHA"},
	{0xC017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA"},
	{0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"},
	{0xC019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"},
	{0xC01D, "TLS_SRP_SHA_WITH_AES_128_CBC_SHA"},
	{0xC01E, "TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA"},
	{0xC01F, "TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA"},
	{0xC020, "TLS_SRP_SHA_WITH_AES_256_CBC_SHA"},
	{0xC021, "TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA"},
	{0xC022, "TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA"},
	{0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
	{0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
	{0xC025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256"},
	{0xC026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384"},
	{0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
	{0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
	{0xC029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256"},
	{0xC02A, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384"},
	{0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
	{0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
	{0xC02D, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256"},
	{0xC02E, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384"},
	{0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
	{0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
	{0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256"},
	{0xC032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384"},
	{0xC035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA"},
	{0xC036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA"},
	{0xC037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256"},
	{0xC038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384"},
	{0xC039, "TLS_ECDHE_PSK_WITH_NULL_SHA"},
	{0xC03A, "TLS_ECDHE_PSK_WITH_NULL_SHA256"},
	{0xC03B, "TLS_ECDHE_PSK_WITH_NULL_SHA384"},
	{0xC050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0xC051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384"},
	{0xC052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0xC053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384"},
	{0xC056, "TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256"},
	{0xC057, "TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384"},
	{0xC05C, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256"},
	{0xC05D, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384"},
	{0xC060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0xC061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384"},
	{0xC06A, "TLS_PSK_WITH_ARIA_128_GCM_SHA256"},
	{0xC06B, "TLS_PSK_WITH_ARIA_256_GCM_SHA384"},
	{0xC06C, "TLS_DHE_PSK_WITH_ARIA_128_GCM_SHA256"},
	{0xC06D, "TLS_DHE_PSK_WITH_ARIA_256_GCM_SHA384"},
	{0xC06E, "TLS_RSA_PSK_WITH_ARIA_128_GCM_SHA256"},
	{0xC06F, "TLS_RSA_PSK_WITH_ARIA_256_GCM_SHA384"},
	{0xC072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xC073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xC076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xC077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xC094, "TLS_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xC095, "TLS_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xC096, "TLS_DHE_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xC097, "TLS_DHE_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xC098, "TLS_RSA_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xC099, "TLS_RSA_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xC09A, "TLS_ECDHE_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xC09B, "TLS_ECDHE_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xC09C, "TLS_RSA_WITH_AES_128_CCM"},
	{0xC09D, "TLS_RSA_WITH_AES_256_CCM"},
	{0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM"},
	{0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM"},
	{0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8"},
	{0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8"},
	{0xC0A2, "TLS_DHE_RSA_WITH_AES_128_CCM_8"},
	{0xC0A3, "TLS_DHE_RSA_WITH_AES_256_CCM_8"},
	{0xC0A4, "TLS_PSK_WITH_AES_128_CCM"},
	{0xC0A5, "TLS_PSK_WITH_AES_256_CCM"},
	{0xC0A6, "TLS_DHE_PSK_WITH_AES_128_CCM"},
	{0xC0A7, "TLS_DHE_PSK_WITH_AES_256_CCM"},
	{0xC0A8, "TLS_PSK_WITH_AES_128_CCM_8"},
	{0xC0A9, "TLS_PSK_WITH_AES_256_CCM_8"},
	{0xC0AA, "TLS_PSK_DHE_WITH_AES_128_CCM_8"},
	{0xC0AB, "TLS_PSK_DHE_WITH_AES_256_CCM_8"},
	{0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"},
	{0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"},
	{0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"},
	{0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"},
	{0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xCCAB, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xCCAC, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xCCAD, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xCCAE, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0, NULL},
};

const char *tls_version_name(uint16_t v)
{
	return tok_name(version_names, v);
}

const char *tls_alert_name(uint8_t desc)
{
	return tok_str(alert_names, desc, "unknown");
}

const char *tls_cipher_name(uint16_t cipher)
{
	return tok_name(cipher_names, cipher);
}

/* ---- layout limits ------------------------------------------------------ */

#define TLS_MAJOR 3
#define DTLS_MAJOR 0xfe
#define TLS_HDR_LEN 5          /* type, version, length */
#define DTLS_HDR_LEN 13        /* type, version, epoch, seq48, length */
#define DTLS_SEQ_LEN 6
#define HS_HDR_LEN 4           /* msg_type, length24 */
#define DTLS_HS_HDR_LEN 12     /* + message_seq, fragment_offset24, fragment_length24 */
#define TLS_RANDOM_LEN 32
#define SESSION_ID_MAX 32
#define ALERT_LEN 2            /* level, description */
#define TLS13_ALERT_RECORD_LEN 19 /* alert (2) + inner type (1) + AEAD tag (16) */

#define EXT_SERVER_NAME 0          /* RFC 6066 3 */
#define EXT_SUPPORTED_VERSIONS 43  /* RFC 8446 4.2.1 */
#define SNI_HOST_NAME 0

/* RFC 8446 4.1.3: a ServerHello with this random is a HelloRetryRequest. */
static const uint8_t hrr_random[TLS_RANDOM_LEN] = {
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C,
	0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB,
	0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

/* Ladder steps: each is reported once per direction (bits of ev_seen). */
enum ev_kind {
	EV_CLIENT_HELLO,
	EV_SERVER_HELLO,
	EV_HELLO_RETRY,
	EV_CERTIFICATE,
	EV_SERVER_HELLO_DONE,
	EV_CCS,
	EV_ALERT,
	EV_APP_DATA,
	EV_ENCRYPTED_HS,
	EV_TOO_LONG,
	EV_NOT_TLS,
	EV_BAD_MESSAGE,
	EV_KIND_COUNT
};
_Static_assert(EV_KIND_COUNT <= 32, "ev_seen has a bit per kind");

/* One tls_feed call: who is talking and where the facts go. */
struct feed {
	struct tls_state *st;
	struct tls_facts *f;
	struct tls_dir_state *d;
	int dir;
	uint64_t frame;
};

/* ---- helpers ------------------------------------------------------------ */

/* The first bad frame is kept; INVALID replaces a milder outcome. */
static void note_status(struct feed *fd, enum dec_status s)
{
	struct tls_facts *f = fd->f;
	if (s == DEC_OK || f->status == DEC_INVALID)
		return;
	if (f->status == DEC_OK || s == DEC_INVALID) {
		f->status = s;
		f->bad_frame = fd->frame;
	}
}

/* True (once per direction) when a step of this kind is to be reported. */
static int ev_first(struct feed *fd, enum ev_kind k)
{
	uint32_t bit = (uint32_t)1 << k;
	if (fd->d->ev_seen & bit)
		return 0;
	fd->d->ev_seen |= bit;
	return 1;
}

static void ev_send(struct feed *fd, const char *text)
{
	if (fd->st->ev)
		fd->st->ev(fd->st->ev_ctx, fd->dir, fd->frame, text);
}

/* Appends as much of s as fits; the text stays NUL-terminated. */
static void text_add(char *buf, size_t cap, const char *s)
{
	size_t used = strlen(buf);
	if (used + 1 < cap)
		str_copy(buf + used, cap - used, s);
}

/* "TLS " or "DTLS " and the step's name. */
static void text_start(struct feed *fd, char *buf, size_t cap, const char *what)
{
	str_copy(buf, cap, fd->d->dtls ? "DTLS " : "TLS ");
	text_add(buf, cap, what);
}

static void ev_simple(struct feed *fd, enum ev_kind k, const char *what)
{
	char text[EVENT_TEXT_MAX];
	if (!ev_first(fd, k))
		return;
	text_start(fd, text, sizeof text, what);
	ev_send(fd, text);
}

static void text_version(char *buf, size_t cap, uint16_t v)
{
	char hex[8];
	const char *name = tls_version_name(v);
	if (!name) {
		snprintf(hex, sizeof hex, "0x%04x", (unsigned)v);
		name = hex;
	}
	text_add(buf, cap, name);
}

/* RFC 8701 GREASE values (0x0a0a, 0x1a1a, ... 0xfafa) are not versions. */
static int is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* Orders versions of one family: DTLS counts down (0xfeff 1.0, 0xfefd 1.2). */
static unsigned version_rank(uint16_t v)
{
	if ((v >> 8) == DTLS_MAJOR)
		return 0x100u - (v & 0xff);
	return v & 0xff;
}

static int is_tls13(uint16_t v)
{
	/* 0x7fxx: the draft versions of RFC 8446, also fully encrypted */
	return v == 0x0304 || v == 0xfefc || (v >> 8) == 0x7f;
}

/* Room for `need` (<= TLS_HS_MSG_MAX) bytes in d->hs: 0 when out of memory. */
static int hs_reserve(struct tls_dir_state *d, size_t need)
{
	if (need <= d->hs_cap)
		return 1;
	size_t cap = d->hs_cap ? d->hs_cap : 4096;
	while (cap < need)
		cap *= 2;
	if (cap > TLS_HS_MSG_MAX)
		cap = TLS_HS_MSG_MAX;
	uint8_t *n = realloc(d->hs, cap);
	if (!n)
		return 0;
	d->hs = n;
	d->hs_cap = cap;
	return 1;
}

static void rec_note(struct feed *fd, uint8_t type, size_t len)
{
	struct tls_facts *f = fd->f;
	if (f->rec_stored >= TLS_REC_MAX)
		return;
	struct tls_rec_note *r = &f->recs[f->rec_stored++];
	r->frame = fd->frame;
	r->dir = (uint8_t)fd->dir;
	r->content_type = type;
	r->len = (uint16_t)len; /* <= TLS_RECORD_MAX */
}

static int post_handshake(const struct tls_facts *f)
{
	return f->app_records[DIR_C2S] || f->app_records[DIR_S2C];
}

/* ---- handshake messages ------------------------------------------------- */

/*
 * RFC 6066 3: the server_name extension of a ClientHello.
 *
 *   u16 list_len | { u8 name_type (0 host_name) | u16 len | name }*
 */
static enum dec_status parse_sni(struct cur *e, struct tls_facts *f)
{
	int cut = 0;
	uint16_t list_len = cur_be16(e);
	struct cur l = cur_sub(e, list_len, &cut);
	while (cur_left(&l) > 0) {
		uint8_t type = cur_u8(&l);
		uint16_t n = cur_be16(&l);
		const uint8_t *name = cur_bytes(&l, n);
		if (!name)
			return DEC_INVALID;
		if (type == SNI_HOST_NAME && !f->sni[0])
			str_from_bytes(f->sni, sizeof f->sni, name, n);
	}
	if (cut || l.err || e->err || cur_left(e))
		return DEC_INVALID;
	return DEC_OK;
}

/*
 * RFC 8446 4.2.1: supported_versions in a ClientHello.
 *
 *   u8 len | { u16 version }*
 */
static enum dec_status parse_client_versions(struct cur *e, struct tls_facts *f)
{
	int cut = 0;
	uint8_t n = cur_u8(e);
	struct cur l = cur_sub(e, n, &cut);
	if (cut || e->err || cur_left(e) || n % 2)
		return DEC_INVALID;
	uint16_t best = 0;
	while (cur_left(&l) >= 2) {
		uint16_t v = cur_be16(&l);
		if (is_grease(v))
			continue;
		if (!best || version_rank(v) > version_rank(best))
			best = v;
	}
	if (best)
		f->client_max_version = best;
	return DEC_OK;
}

/*
 * Hello extensions (RFC 5246 7.4.1.4, RFC 8446 4.2).
 *
 *   u16 total | { u16 type | u16 len | data }*
 *
 * `server` selects the ServerHello forms; *selected gets its
 * supported_versions choice.
 */
static enum dec_status parse_extensions(struct cur *c, struct tls_facts *f, int server,
					uint16_t *selected)
{
	enum dec_status st = DEC_OK;
	int cut = 0;
	uint16_t total = cur_be16(c);
	struct cur ex = cur_sub(c, total, &cut);
	if (c->err || cut || cur_left(c))
		st = DEC_INVALID;
	while (cur_left(&ex) > 0) {
		uint16_t type = cur_be16(&ex);
		uint16_t n = cur_be16(&ex);
		int ecut = 0;
		struct cur e = cur_sub(&ex, n, &ecut);
		if (ex.err || ecut)
			return DEC_INVALID;
		enum dec_status es = DEC_OK;
		if (!server && type == EXT_SERVER_NAME) {
			es = parse_sni(&e, f);
		} else if (!server && type == EXT_SUPPORTED_VERSIONS) {
			es = parse_client_versions(&e, f);
		} else if (server && type == EXT_SUPPORTED_VERSIONS) {
			*selected = cur_be16(&e);
			if (e.err || cur_left(&e))
				es = DEC_INVALID;
		}
		if (es != DEC_OK)
			st = es;
	}
	return st;
}

/*
 * RFC 5246 7.4.1.2, RFC 8446 4.1.2, RFC 6347 4.2.1 (DTLS adds the cookie).
 *
 *   u16 legacy_version | random[32] | u8 sid_len | session_id[<=32]
 *   [DTLS: u8 cookie_len | cookie] | u16 suites_len | suites[even]
 *   u8 comp_len | methods[>=1] | [extensions]
 */
static enum dec_status parse_client_hello(struct feed *fd, struct cur *c)
{
	struct tls_facts *f = fd->f;
	char text[EVENT_TEXT_MAX];

	if (f->client_hello_frame)
		return DEC_OK; /* a retry (HelloRetryRequest, DTLS cookie) or a resend */
	uint16_t legacy = cur_be16(c);
	cur_skip(c, TLS_RANDOM_LEN);
	uint8_t sid_len = cur_u8(c);
	cur_skip(c, sid_len);
	if (fd->d->dtls)
		cur_skip(c, cur_u8(c));
	uint16_t suites_len = cur_be16(c);
	cur_skip(c, suites_len);
	uint8_t comp_len = cur_u8(c);
	cur_skip(c, comp_len);
	if (c->err || sid_len > SESSION_ID_MAX || suites_len < 2 || suites_len % 2 ||
	    comp_len < 1)
		return DEC_INVALID;

	f->client_hello_frame = fd->frame;
	f->client_version = legacy;
	f->client_max_version = legacy;
	enum dec_status st = DEC_OK;
	if (cur_left(c) > 0) { /* extensions are optional before TLS 1.3 */
		uint16_t unused = 0;
		st = parse_extensions(c, f, 0, &unused);
	}

	if (ev_first(fd, EV_CLIENT_HELLO)) {
		text_start(fd, text, sizeof text, "ClientHello ");
		text_version(text, sizeof text, f->client_max_version);
		if (f->sni[0]) {
			text_add(text, sizeof text, " SNI=");
			text_add(text, sizeof text, f->sni);
		}
		ev_send(fd, text);
	}
	return st;
}

/*
 * RFC 5246 7.4.1.3, RFC 8446 4.1.3 (a HelloRetryRequest has the same form).
 *
 *   u16 legacy_version | random[32] | u8 sid_len | session_id[<=32]
 *   u16 cipher_suite | u8 compression | [extensions]
 */
static enum dec_status parse_server_hello(struct feed *fd, struct cur *c)
{
	struct tls_facts *f = fd->f;
	char text[EVENT_TEXT_MAX];

	uint16_t legacy = cur_be16(c);
	const uint8_t *random = cur_bytes(c, TLS_RANDOM_LEN);
	uint8_t sid_len = cur_u8(c);
	cur_skip(c, sid_len);
	uint16_t cipher = cur_be16(c);
	(void)cur_u8(c); /* compression method */
	if (c->err || sid_len > SESSION_ID_MAX)
		return DEC_INVALID;
	if (memcmp(random, hrr_random, TLS_RANDOM_LEN) == 0) {
		/* the client answers with a second ClientHello, in clear */
		ev_simple(fd, EV_HELLO_RETRY, "HelloRetryRequest");
		return DEC_OK;
	}
	if (f->server_hello_frame)
		return DEC_OK; /* DTLS resends a whole flight when it sees no answer */

	uint16_t selected = 0;
	enum dec_status st = DEC_OK;
	if (cur_left(c) > 0)
		st = parse_extensions(c, f, 1, &selected);
	f->server_hello_frame = fd->frame;
	f->version = selected ? selected : legacy;
	f->cipher = cipher;
	fd->st->server_dir = fd->dir;
	if (is_tls13(f->version)) {
		/* from here on the server's records are all encrypted */
		fd->st->tls13 = 1;
		fd->d->encrypted = 1;
	}

	if (ev_first(fd, EV_SERVER_HELLO)) {
		char hex[8];
		const char *name = tls_cipher_name(cipher);
		if (!name) {
			snprintf(hex, sizeof hex, "0x%04x", (unsigned)cipher);
			name = hex;
		}
		text_start(fd, text, sizeof text, "ServerHello ");
		text_version(text, sizeof text, f->version);
		text_add(text, sizeof text, " ");
		text_add(text, sizeof text, name);
		ev_send(fd, text);
	}
	return st;
}

/*
 * RFC 5246 7.4.2 (TLS 1.3 sends it encrypted, with another layout).
 *
 *   u24 list_len | { u24 cert_len | DER certificate }*
 *
 * Every certificate is counted; the first CERT_MAX are kept, in order,
 * failed ones included (zeroed but for der_len) so that certs[0] is always
 * the server's own.
 */
static enum dec_status parse_certificate(struct feed *fd, struct cur *c)
{
	struct tls_facts *f = fd->f;
	enum dec_status st = DEC_OK;
	char text[EVENT_TEXT_MAX];

	if (f->certificate_frame)
		return DEC_OK; /* the client's own, or a DTLS resend */
	f->certificate_frame = fd->frame;
	int cut = 0;
	uint32_t list_len = cur_be24(c);
	struct cur l = cur_sub(c, list_len, &cut);
	if (c->err || cut || cur_left(c))
		st = DEC_INVALID; /* the list is longer or shorter than the message */
	/* each pass consumes at least the 3-byte length, or stops */
	while (cur_left(&l) > 0) {
		int ccut = 0;
		uint32_t n = cur_be24(&l);
		struct cur der = cur_sub(&l, n, &ccut);
		if (l.err) {
			st = DEC_INVALID; /* 1 or 2 stray bytes */
			break;
		}
		struct cert_info spare;
		struct cert_info *ci = &spare;
		if (f->cert_stored < CERT_MAX)
			ci = &f->certs[f->cert_stored++];
		f->cert_count++;
		size_t have = cur_left(&der);
		if (x509_parse_der(cur_bytes(&der, have), have, ci) != DEC_OK)
			f->cert_errors++;
		if (ccut) {
			/* the length runs past the list: what is there was still tried */
			st = DEC_INVALID;
			break;
		}
	}

	if (ev_first(fd, EV_CERTIFICATE)) {
		char count[32];
		text_start(fd, text, sizeof text, "Certificate ");
		if (f->cert_stored > 0 && f->certs[0].subject_cn[0]) {
			text_add(text, sizeof text, "CN=");
			text_add(text, sizeof text, f->certs[0].subject_cn);
			text_add(text, sizeof text, " ");
		}
		snprintf(count, sizeof count, "(%d cert%s)", f->cert_count,
			 f->cert_count == 1 ? "" : "s");
		text_add(text, sizeof text, count);
		ev_send(fd, text);
	}
	return st;
}

/* RFC 5246 7.4.5: ServerHelloDone has an empty body. */
static enum dec_status parse_server_hello_done(struct feed *fd, struct cur *c)
{
	if (!fd->f->server_hello_done_frame)
		fd->f->server_hello_done_frame = fd->frame;
	ev_simple(fd, EV_SERVER_HELLO_DONE, "ServerHelloDone");
	return cur_left(c) ? DEC_INVALID : DEC_OK;
}

/* Any other message: one ladder line per type and direction. */
static void note_other(struct feed *fd, uint8_t type)
{
	uint32_t bit = (uint32_t)1 << (type < 31 ? type : 31);
	char text[EVENT_TEXT_MAX];
	if (fd->d->hs_seen & bit)
		return;
	fd->d->hs_seen |= bit;
	const char *name = tok_name(hs_names, type);
	if (name) {
		text_start(fd, text, sizeof text, name);
	} else {
		char num[32];
		snprintf(num, sizeof num, "handshake type %u", (unsigned)type);
		text_start(fd, text, sizeof text, num);
	}
	ev_send(fd, text);
}

/* One whole handshake message body in `c`. */
static void handle_message(struct feed *fd, uint8_t type, struct cur *c)
{
	enum dec_status st = DEC_OK;
	switch (type) {
	case HS_CLIENT_HELLO:
		st = parse_client_hello(fd, c);
		break;
	case HS_SERVER_HELLO:
		st = parse_server_hello(fd, c);
		break;
	case HS_CERTIFICATE:
		st = parse_certificate(fd, c);
		break;
	case HS_SERVER_HELLO_DONE:
		st = parse_server_hello_done(fd, c);
		break;
	default:
		note_other(fd, type);
		break;
	}
	if (st != DEC_OK) {
		note_status(fd, st);
		ev_simple(fd, EV_BAD_MESSAGE, "malformed handshake message");
	}
}

static void too_long(struct feed *fd, size_t total)
{
	char text[EVENT_TEXT_MAX];
	char num[48];
	note_status(fd, DEC_UNSUPPORTED);
	if (!ev_first(fd, EV_TOO_LONG))
		return;
	snprintf(num, sizeof num, "handshake message too long (%zu bytes)", total);
	text_start(fd, text, sizeof text, num);
	ev_send(fd, text);
}

/* Header plus body of the message gathered in d->hs (header complete). */
static size_t hs_total(const struct tls_dir_state *d)
{
	struct cur h = cur_make(d->hs, HS_HDR_LEN);
	cur_skip(&h, 1); /* msg_type */
	return HS_HDR_LEN + (size_t)cur_be24(&h);
}

/*
 * TLS handshake protocol (RFC 5246 7.4): a byte stream carried by
 * handshake records, cut anywhere.
 *
 *   u8 msg_type | u24 length | body[length]
 *
 * Bytes are gathered in d->hs until a message is whole; a message longer
 * than TLS_HS_MSG_MAX is counted off in d->hs_skip instead.  Every pass of
 * the loop consumes at least one byte or completes a message.
 */
static void tls_handshake_bytes(struct feed *fd, struct cur *body)
{
	struct tls_dir_state *d = fd->d;
	while (cur_left(body) > 0 && !d->encrypted) {
		size_t left = cur_left(body);
		if (d->hs_skip) {
			size_t n = d->hs_skip < left ? d->hs_skip : left;
			cur_skip(body, n);
			d->hs_skip -= n;
			continue;
		}
		if (d->hs_len == 0 && left >= HS_HDR_LEN) {
			/* A whole message in this record: decoded in place, not copied. */
			struct cur peek = *body;
			uint8_t type = cur_u8(&peek);
			size_t total = HS_HDR_LEN + (size_t)cur_be24(&peek);
			if (!peek.err && total <= left && total <= TLS_HS_MSG_MAX) {
				struct cur m = cur_sub(&peek, total - HS_HDR_LEN, NULL);
				*body = peek;
				handle_message(fd, type, &m);
				continue;
			}
		}
		/* first the header, then (its length known) the rest */
		size_t want = d->hs_len < HS_HDR_LEN ? HS_HDR_LEN : hs_total(d);
		size_t n = want - d->hs_len < left ? want - d->hs_len : left;
		if (!hs_reserve(d, d->hs_len + n)) {
			note_status(fd, DEC_UNSUPPORTED);
			cur_skip(body, left);
			return;
		}
		cur_copy(body, d->hs + d->hs_len, n);
		d->hs_len += n;
		if (d->hs_len < HS_HDR_LEN)
			continue; /* the record ended inside the header */
		size_t total = hs_total(d);
		if (total > TLS_HS_MSG_MAX) {
			too_long(fd, total);
			d->hs_skip = total - d->hs_len;
			d->hs_len = 0;
			continue;
		}
		if (d->hs_len == total) {
			struct cur m = cur_make(d->hs, total);
			uint8_t type = cur_u8(&m);
			cur_skip(&m, HS_HDR_LEN - 1);
			d->hs_len = 0;
			handle_message(fd, type, &m);
		}
	}
}

/*
 * DTLS handshake fragments (RFC 6347 4.2.2): each record carries whole
 * fragments, each with its own header.
 *
 *   u8 msg_type | u24 length | u16 message_seq | u24 fragment_offset
 *   u24 fragment_length | fragment[fragment_length]
 *
 * Fragments of one message arriving in order are joined in d->hs; a gap
 * or reordering drops the message (datagrams get lost; a resend follows).
 */
static void dtls_handshake_record(struct feed *fd, struct cur *body)
{
	struct tls_dir_state *d = fd->d;
	while (cur_left(body) > 0) {
		uint8_t type = cur_u8(body);
		uint32_t len = cur_be24(body);
		uint16_t seq = cur_be16(body);
		uint32_t off = cur_be24(body);
		uint32_t flen = cur_be24(body);
		int cut = 0;
		struct cur frag = cur_sub(body, flen, &cut);
		if (body->err || cut || (uint64_t)off + flen > len) {
			note_status(fd, DEC_INVALID);
			ev_simple(fd, EV_BAD_MESSAGE, "malformed handshake message");
			return;
		}
		if (off == 0 && flen == len) {
			handle_message(fd, type, &frag);
			continue;
		}
		if ((size_t)len > TLS_HS_MSG_MAX - HS_HDR_LEN) {
			too_long(fd, (size_t)len + DTLS_HS_HDR_LEN);
			continue;
		}
		if (off == 0) {
			if (!hs_reserve(d, len)) {
				note_status(fd, DEC_UNSUPPORTED);
				continue;
			}
			d->dtls_msg_active = 1;
			d->dtls_msg_type = type;
			d->dtls_msg_seq = seq;
			d->dtls_msg_len = len;
			d->hs_len = 0;
		} else if (!d->dtls_msg_active || seq != d->dtls_msg_seq ||
			   type != d->dtls_msg_type || len != d->dtls_msg_len ||
			   off != d->hs_len) {
			continue; /* a resend of what we have, or a gap */
		}
		cur_copy(&frag, d->hs + d->hs_len, flen);
		d->hs_len += flen;
		if (d->hs_len == d->dtls_msg_len) {
			struct cur m = cur_make(d->hs, d->hs_len);
			d->dtls_msg_active = 0;
			d->hs_len = 0;
			handle_message(fd, type, &m);
		}
	}
}

/* ---- records ------------------------------------------------------------ */

/* RFC 5246 7.1: the ChangeCipherSpec message is the single byte 1. */
static void on_change_cipher_spec(struct feed *fd, struct cur *body)
{
	uint8_t v = cur_u8(body);
	if (body->err || v != 1 || cur_left(body))
		note_status(fd, DEC_INVALID);
	/* a message cut by the CCS cannot be finished: the rest is encrypted */
	fd->d->encrypted = 1;
	fd->d->hs_len = 0;
	fd->d->hs_skip = 0;
	fd->d->dtls_msg_active = 0;
	if (!fd->f->ccs_frame[fd->dir])
		fd->f->ccs_frame[fd->dir] = fd->frame;
	ev_simple(fd, EV_CCS, "ChangeCipherSpec");
}

/* An alert is recorded once: the first one tells why the session ended. */
static void record_alert(struct feed *fd, int encrypted, uint8_t level, uint8_t desc)
{
	struct tls_facts *f = fd->f;
	char text[EVENT_TEXT_MAX];
	if (!f->alert_frame) {
		f->alert_frame = fd->frame;
		f->alert_dir = (uint8_t)fd->dir;
		f->alert_encrypted = encrypted;
		f->alert_level = encrypted ? 0 : level;
		f->alert_desc = encrypted ? 0 : desc;
	}
	if (!ev_first(fd, EV_ALERT))
		return;
	if (encrypted) {
		text_start(fd, text, sizeof text, "Alert (encrypted)");
	} else {
		char num[8];
		const char *lv = tok_name(alert_levels, level);
		if (!lv) {
			snprintf(num, sizeof num, "%u", (unsigned)level);
			lv = num;
		}
		text_start(fd, text, sizeof text, "Alert ");
		text_add(text, sizeof text, lv);
		text_add(text, sizeof text, " ");
		text_add(text, sizeof text, tls_alert_name(desc));
	}
	ev_send(fd, text);
}

/*
 * RFC 5246 7.2, RFC 8446 6: u8 level | u8 description.  Once the sender
 * encrypts, the record holds ciphertext (longer than 2 bytes).
 */
static void on_alert(struct feed *fd, struct cur *body, int enc)
{
	size_t n = cur_left(body);
	if (enc || n > ALERT_LEN) {
		record_alert(fd, 1, 0, 0);
		if (post_handshake(fd->f))
			rec_note(fd, CT_ALERT, n);
		return;
	}
	uint8_t level = cur_u8(body);
	uint8_t desc = cur_u8(body);
	if (body->err) {
		note_status(fd, DEC_INVALID);
		return;
	}
	record_alert(fd, 0, level, desc);
}

/*
 * application_data: opaque.  With TLS 1.3 the records of type 23 before
 * the client's Finished are the encrypted handshake, not data.
 */
static void on_application_data(struct feed *fd, size_t n)
{
	struct tls_state *st = fd->st;
	struct tls_facts *f = fd->f;
	int client = !st->server_dir;

	if (st->tls13 && !st->d[client].finished13) {
		if (fd->dir != client) {
			ev_simple(fd, EV_ENCRYPTED_HS, "encrypted handshake");
			return;
		}
		if (n == TLS13_ALERT_RECORD_LEN) {
			record_alert(fd, 1, 0, 0);
			return;
		}
		st->d[client].finished13 = 1;
		ev_simple(fd, EV_ENCRYPTED_HS, "encrypted handshake");
		return;
	}
	if (f->app_records[fd->dir] < UINT32_MAX)
		f->app_records[fd->dir]++;
	f->app_bytes[fd->dir] += n;
	if (!f->first_app_frame[fd->dir])
		f->first_app_frame[fd->dir] = fd->frame;
	ev_simple(fd, EV_APP_DATA, "application data (first)");
	rec_note(fd, CT_APPLICATION_DATA, n);
	if (f->app_records[DIR_C2S] && f->app_records[DIR_S2C])
		st->handshake_done = 1;
}

struct rec_hdr {
	uint8_t type;
	int dtls;
	uint16_t version;
	uint16_t epoch;
	size_t len;
};

/*
 * RFC 5246 6.2.1 TLSPlaintext          RFC 6347 4.1 DTLSPlaintext
 *
 *   u8  type (20..24)                    u8  type
 *   u16 version (3, x)                   u16 version (0xfeff, 0xfefd)
 *                                        u16 epoch | u48 sequence_number
 *   u16 length (<= 2^14 + 2048)          u16 length
 *
 * DEC_TRUNCATED: the header is not all there yet; DEC_INVALID: these bytes
 * are no record header (checked as early as the bytes allow).
 */
static enum dec_status read_record_header(struct cur *c, int dtls_dir, struct rec_hdr *h)
{
	memset(h, 0, sizeof *h);
	h->type = cur_u8(c);
	if (c->err)
		return DEC_TRUNCATED;
	if (h->type < CT_CHANGE_CIPHER_SPEC || h->type > CT_HEARTBEAT)
		return DEC_INVALID;
	uint8_t major = cur_u8(c);
	if (c->err)
		return DEC_TRUNCATED;
	if (major == DTLS_MAJOR)
		h->dtls = 1;
	else if (major != TLS_MAJOR || dtls_dir)
		return DEC_INVALID;
	uint8_t minor = cur_u8(c);
	h->version = (uint16_t)(major << 8 | minor);
	if (h->dtls) {
		h->epoch = cur_be16(c);
		cur_skip(c, DTLS_SEQ_LEN);
	}
	h->len = cur_be16(c);
	if (c->err)
		return DEC_TRUNCATED;
	if (h->len > TLS_RECORD_MAX)
		return DEC_INVALID;
	return DEC_OK;
}

static void on_record(struct feed *fd, const struct rec_hdr *h, struct cur *body)
{
	struct tls_dir_state *d = fd->d;
	size_t n = cur_left(body);
	/* DTLS says per record whether it is encrypted: epoch 0 is clear */
	int enc = h->dtls ? h->epoch != 0 : d->encrypted;

	if (n == 0 && h->type != CT_APPLICATION_DATA) {
		/* RFC 5246 6.2.1: only application data may be empty */
		note_status(fd, DEC_INVALID);
		return;
	}
	switch (h->type) {
	case CT_CHANGE_CIPHER_SPEC:
		on_change_cipher_spec(fd, body);
		break;
	case CT_ALERT:
		/* TLS 1.3 encrypts alerts inside type-23 records: 21 is clear */
		on_alert(fd, body, h->dtls ? enc : enc && !fd->st->tls13);
		break;
	case CT_HANDSHAKE:
		if (enc)
			ev_simple(fd, EV_ENCRYPTED_HS, "encrypted handshake");
		else if (h->dtls)
			dtls_handshake_record(fd, body);
		else
			tls_handshake_bytes(fd, body);
		break;
	case CT_APPLICATION_DATA:
		on_application_data(fd, n);
		break;
	case CT_HEARTBEAT:
		if (post_handshake(fd->f))
			rec_note(fd, CT_HEARTBEAT, n);
		break;
	default:
		break;
	}
}

/* ---- entry points ------------------------------------------------------- */

void tls_init(struct tls_state *st, tls_event_fn ev, void *ctx)
{
	memset(st, 0, sizeof *st);
	st->ev = ev;
	st->ev_ctx = ctx;
	st->server_dir = DIR_S2C;
}

void tls_free(struct tls_state *st)
{
	for (int i = 0; i < 2; i++) {
		free(st->d[i].hs);
		st->d[i].hs = NULL;
		st->d[i].hs_cap = 0;
		st->d[i].hs_len = 0;
	}
}

int tls_looks_like_record(const uint8_t *p, size_t len)
{
	struct cur c = cur_make(p, len);
	uint8_t type = cur_u8(&c);
	uint8_t major = cur_u8(&c);
	uint8_t minor = cur_u8(&c);
	if (major == DTLS_MAJOR) {
		if (minor != 0xff && minor != 0xfd && minor != 0xfc)
			return 0;
		cur_skip(&c, 2 + DTLS_SEQ_LEN); /* epoch, sequence number */
	} else if (major != TLS_MAJOR || minor > 4) {
		return 0;
	}
	uint16_t n = cur_be16(&c);
	if (c.err || type < CT_CHANGE_CIPHER_SPEC || type > CT_HEARTBEAT)
		return 0;
	return n <= TLS_RECORD_MAX && (n > 0 || type == CT_APPLICATION_DATA);
}

size_t tls_feed(struct tls_state *st, struct tls_facts *f, int dir,
		const uint8_t *data, size_t len, uint64_t frame)
{
	if (!data || !len)
		return 0;
	struct feed fd = {st, f, NULL, dir, frame};
	if (dir != DIR_C2S && dir != DIR_S2C) {
		f->status = DEC_INVALID;
		f->bad_frame = frame;
		return len;
	}
	fd.d = &st->d[dir];
	if (fd.d->lost)
		return len;

	struct cur c = cur_make(data, len);
	size_t used = 0;
	for (;;) {
		struct rec_hdr h;
		enum dec_status s = read_record_header(&c, fd.d->dtls, &h);
		if (s == DEC_TRUNCATED || (s == DEC_OK && cur_left(&c) < h.len))
			break; /* the rest comes with the next segment */
		if (s != DEC_OK) {
			fd.d->lost = 1;
			note_status(&fd, DEC_INVALID);
			ev_simple(&fd, EV_NOT_TLS, "invalid record header");
			return len;
		}
		if (h.dtls)
			fd.d->dtls = 1;
		struct cur body = cur_sub(&c, h.len, NULL);
		on_record(&fd, &h, &body);
		used = len - cur_left(&c); /* each record moved at least its header */
	}
	return used;
}

/*
 * x509.h - certificate facts through OpenSSL (d2i_X509): the analyzer never
 * parses ASN.1 by hand.
 */
#ifndef RDPROBE_X509_H
#define RDPROBE_X509_H

#include <stddef.h>
#include <stdint.h>

#include "facts.h"

/* Largest DER certificate we hand to OpenSSL (bounds work per cert). */
#define X509_DER_MAX (64 * 1024)

/*
 * Fills *out from one DER certificate of `len` bytes.  Returns DEC_OK, or
 * DEC_INVALID when OpenSSL rejects the bytes (out is then zeroed but for
 * der_len), DEC_UNSUPPORTED when len exceeds X509_DER_MAX.
 */
enum dec_status x509_parse_der(const uint8_t *der, size_t len, struct cert_info *out);

/* Seconds since the Unix epoch of a UTC civil time (month 1..12). */
int64_t x509_utc_to_unix(int64_t y, int mo, int d, int h, int mi, int s);

/* "YYYY-MM-DD HH:MM:SS" (UTC) into buf; "-" for 0. */
const char *x509_time_str(int64_t t, char *buf, size_t cap);

#endif

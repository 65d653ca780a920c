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

/* Certificates whose facts are remembered (x509.c: the certificate cache). */
#define X509_CACHE_SLOTS 64
#define X509_CACHE_DER_MAX 4096  /* longer ones are decoded every time */

/*
 * Fills *out from one DER certificate of `len` bytes.  Returns DEC_OK, or
 * DEC_INVALID when OpenSSL rejects the bytes (out is then zeroed but for
 * der_len), DEC_UNSUPPORTED when len exceeds X509_DER_MAX.  The same bytes
 * give the same facts: the last X509_CACHE_SLOTS certificates seen are
 * answered from a cache (process-wide, not thread-safe).
 */
enum dec_status x509_parse_der(const uint8_t *der, size_t len, struct cert_info *out);
/* Lookups answered from the cache, and decoded. */
void x509_cache_stats(uint64_t *hits, uint64_t *misses);

/*
 * What makes a certificate weak by today's rules: an RSA or DSA key under
 * 2048 bits, an EC key under 224, a signature with MD5 or SHA-1 (not for
 * a self-signed certificate: nobody checks that one by its signature).
 * "; "-separated into buf, "" when none; returns buf.
 */
const char *x509_weakness(const struct cert_info *c, char *buf, size_t cap);

/* Seconds since the Unix epoch of a UTC civil time (month 1..12). */
int64_t x509_utc_to_unix(int64_t y, int mo, int d, int h, int mi, int s);

/* "YYYY-MM-DD HH:MM:SS" (UTC) into buf; "-" for 0. */
const char *x509_time_str(int64_t t, char *buf, size_t cap);

#endif

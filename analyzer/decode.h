/*
 * decode.h - outcomes shared by every decoder, and value-name tables.
 */
#ifndef RDPROBE_DECODE_H
#define RDPROBE_DECODE_H

#include <stddef.h>
#include <stdint.h>

enum dec_status {
	DEC_OK = 0,
	DEC_TRUNCATED,   /* the capture ran out before the PDU did */
	DEC_INVALID,     /* the bytes contradict the specification */
	DEC_UNSUPPORTED, /* valid, but a variant we do not decode */
	DEC_STATUS_COUNT
};

const char *dec_status_name(enum dec_status s);

/* A value-name pair, tcpdump's struct tok. Tables end with {0, NULL}. */
struct tok {
	uint32_t v;
	const char *s;
};

/* The name of v in t, or NULL when the table does not have it. */
const char *tok_name(const struct tok *t, uint32_t v);
/* The name of v in t, or `dflt` when the table does not have it. */
const char *tok_str(const struct tok *t, uint32_t v, const char *dflt);

#if defined(__GNUC__)
#define STR_PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define STR_PRINTF_LIKE(fmt, args)
#endif

/* Safe bounded string helpers: always NUL-terminate, never overrun. */
void str_copy(char *dst, size_t cap, const char *src);
/* Appends formatted text to the NUL-terminated dst (capacity cap), cut to fit. */
void str_appendf(char *dst, size_t cap, const char *fmt, ...) STR_PRINTF_LIKE(3, 4);
/* Copies n untrusted bytes as printable ASCII (others become '.'). */
void str_from_bytes(char *dst, size_t cap, const uint8_t *src, size_t n);
/* Decodes n bytes of UTF-16LE up to the first NUL as ASCII ('?' for the rest). */
void str_from_utf16le(char *dst, size_t cap, const uint8_t *src, size_t n);

#endif

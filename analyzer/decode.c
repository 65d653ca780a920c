/*
 * decode.c - outcome names, value-name tables and bounded strings.
 */
#include "decode.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_names[] = {
	[DEC_OK] = "ok",
	[DEC_TRUNCATED] = "truncated",
	[DEC_INVALID] = "invalid",
	[DEC_UNSUPPORTED] = "unsupported",
};
_Static_assert(sizeof status_names / sizeof status_names[0] == DEC_STATUS_COUNT,
	       "status_names covers enum dec_status");

const char *dec_status_name(enum dec_status s)
{
	if ((unsigned)s < DEC_STATUS_COUNT)
		return status_names[s];
	return "unknown";
}

const char *tok_name(const struct tok *t, uint32_t v)
{
	for (; t->s; t++)
		if (t->v == v)
			return t->s;
	return NULL;
}

const char *tok_str(const struct tok *t, uint32_t v, const char *dflt)
{
	const char *s = tok_name(t, v);
	return s ? s : dflt;
}

void str_copy(char *dst, size_t cap, const char *src)
{
	if (!cap)
		return;
	size_t n = strlen(src);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void str_appendf(char *dst, size_t cap, const char *fmt, ...)
{
	size_t n = cap ? strlen(dst) : 0;
	va_list ap;
	if (n + 1 >= cap)
		return;
	va_start(ap, fmt);
	vsnprintf(dst + n, cap - n, fmt, ap);
	va_end(ap);
}

static char printable(unsigned c)
{
	return (c >= 0x20 && c < 0x7f) ? (char)c : '.';
}

void str_from_bytes(char *dst, size_t cap, const uint8_t *src, size_t n)
{
	if (!cap)
		return;
	size_t i;
	for (i = 0; i < n && i + 1 < cap; i++)
		dst[i] = printable(src[i]);
	dst[i] = '\0';
}

void str_from_utf16le(char *dst, size_t cap, const uint8_t *src, size_t n)
{
	if (!cap)
		return;
	size_t o = 0;
	for (size_t i = 0; i + 1 < n && o + 1 < cap; i += 2) {
		unsigned u = (unsigned)src[i] | (unsigned)src[i + 1] << 8;
		if (u == 0)
			break;
		dst[o++] = u < 0x80 ? printable(u) : '?';
	}
	dst[o] = '\0';
}

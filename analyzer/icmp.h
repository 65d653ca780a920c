/*
 * icmp.h - ICMP (RFC 792, RFC 1191) and ICMPv6 (RFC 4443) errors, with the
 * offending packet's header so they can be matched to their connection.
 */
#ifndef RDPROBE_ICMP_H
#define RDPROBE_ICMP_H

#include "cursor.h"
#include "facts.h"

/*
 * `c` holds the ICMP message (type first).  Returns DEC_OK for an error
 * message whose embedded IP header was read (inner_* set), DEC_UNSUPPORTED
 * for ICMP that is not an error (echo ...), DEC_TRUNCATED / DEC_INVALID.
 */
enum dec_status icmp_parse(struct cur *c, int v6, struct icmp_note *n);

const char *icmp_describe(const struct icmp_note *n, char *buf, size_t cap);

#endif

/*
 * dns.h - DNS messages (RFC 1035): question, A / AAAA / CNAME answers.
 */
#ifndef RDPROBE_DNS_H
#define RDPROBE_DNS_H

#include "cursor.h"
#include "facts.h"

#define DNS_JUMP_MAX 16 /* compression pointers followed per name */

/* `c` holds the UDP payload (or a TCP message after its 2-byte length). */
enum dec_status dns_parse(struct cur *c, struct dns_msg *m);

#endif

/*
 * conn.c - ladder steps, violations and stages of one connection.
 */
#include "conn.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const stage_names[] = {
	[STAGE_NONE] = "none",
	[STAGE_TCP_SYN] = "tcp-syn",
	[STAGE_TCP_RESET] = "tcp-reset",
	[STAGE_TCP_ESTABLISHED] = "tcp-established",
	[STAGE_X224_REQUEST] = "x224-request",
	[STAGE_X224_FAILURE] = "x224-negotiation-failure",
	[STAGE_X224_CONFIRM] = "x224-confirm",
	[STAGE_TLS_CLIENT_HELLO] = "tls-client-hello",
	[STAGE_TLS_SERVER_HELLO] = "tls-server-hello",
	[STAGE_TLS_ESTABLISHED] = "tls-established",
	[STAGE_TLS_DATA] = "tls-data",
	[STAGE_MCS_CONNECT_INITIAL] = "mcs-connect-initial",
	[STAGE_MCS_CONNECT_RESPONSE] = "mcs-connect-response",
	[STAGE_MCS_DOMAIN] = "mcs-domain",
	[STAGE_SECURITY_EXCHANGE] = "security-exchange",
	[STAGE_CLIENT_INFO] = "client-info",
	[STAGE_UDP_SYN] = "udp-syn",
	[STAGE_UDP_ESTABLISHED] = "udp-established",
	[STAGE_UDP_DATA] = "udp-data",
};
_Static_assert(sizeof stage_names / sizeof stage_names[0] == STAGE_COUNT,
	       "stage_names covers enum stage");

const char *stage_name(enum stage s)
{
	return (unsigned)s < STAGE_COUNT ? stage_names[s] : "unknown";
}

void conn_event(struct rdp_conn *c, uint64_t frame, int64_t ts_us, int dir, const char *fmt, ...)
{
	if (c->nev == EVENT_MAX) {
		c->ev_dropped++;
		return;
	}
	struct conn_event *e = &c->ev[c->nev++];
	e->frame = frame;
	e->ts_us = ts_us;
	e->dir = (uint8_t)dir;
	e->failing = 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof e->text, fmt, ap);
	va_end(ap);
}

void conn_violation(struct rdp_conn *c, uint64_t frame, int dir, enum dec_status st,
		    const char *fmt, ...)
{
	if (c->nviol == VIOLATION_MAX) {
		c->viol_dropped++;
		return;
	}
	struct violation *v = &c->viol[c->nviol++];
	v->frame = frame;
	v->dir = (uint8_t)dir;
	v->status = st;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->text, sizeof v->text, fmt, ap);
	va_end(ap);
}

void conn_stage(struct rdp_conn *c, enum stage s, uint64_t frame)
{
	if (s > c->stage) {
		c->stage = s;
		c->stage_frame = frame;
	}
}

void conn_mark_failing(struct rdp_conn *c, uint64_t frame)
{
	for (int i = c->nev - 1; i >= 0; i--)
		if (c->ev[i].frame == frame || frame == 0) {
			c->ev[i].failing = 1;
			return;
		}
}

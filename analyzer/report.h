/*
 * report.h - the analysis rendered: JSON (report_json.c, schema in
 * README) and text with ladder diagrams (report_text.c).  Renderers only
 * read the facts.
 */
#ifndef RDPROBE_REPORT_H
#define RDPROBE_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "analyze.h"
#include "diagnosis.h"

#define RDPROBE_SCHEMA_VERSION 1
#define RDPROBE_VERSION "0.1.0"

/* One capture as a JSON object (caller owns the reference). */
json_t *report_capture_json(const struct analysis *a);
/* One connection as a JSON object (caller owns the reference). */
json_t *report_conn_json(const struct rdp_conn *c);

/*
 * Streaming JSON, for captures too large to hold: the same document as
 * report_document, written as connections are finished.  Per capture:
 * capture_begin, conn for each connection, capture_end.  The capture's
 * "connections" key comes first, the others (known at the end) after it.
 */
struct json_buf {
	char *p;
	size_t len, cap;
};
struct json_stream {
	FILE *out;
	int captures;      /* captures begun */
	int conns;         /* connections written in the current capture */
	int err;
	/* one connection's text as dumped, then indented: reused, freed by stream_end */
	struct json_buf raw, text;
};
void report_json_stream_begin(struct json_stream *js, FILE *out);
void report_json_capture_begin(struct json_stream *js);
/* The connection, with its findings (n may be 0). */
void report_json_conn(struct json_stream *js, const struct rdp_conn *c, const struct finding *f,
		      int n);
/* The capture's totals, with its verdicts (nv may be 0). */
void report_json_capture_end(struct json_stream *js, const struct analysis *a,
			     const struct verdict *v, int nv);
/* Findings and verdicts as JSON arrays (new references). */
json_t *report_findings_json(const struct finding *f, int n);
json_t *report_verdicts_json(const struct verdict *v, int nv);
/* Returns 0, or -1 when a write failed.  Frees what the stream holds. */
int report_json_stream_end(struct json_stream *js);
/* The whole document: {"schema_version", "tool", "captures": [...]}. */
json_t *report_document(json_t *captures);
/* Writes a document with sorted keys and a final newline; 0 or -1. */
int report_json_write(FILE *out, json_t *doc);

/* The whole text report of an analysis that kept its connections. */
void report_text(FILE *out, const struct analysis *a);
/* Streaming: the file line, each connection as it comes, then the totals. */
void report_text_header(FILE *out, const struct analysis *a);
void report_text_conn(FILE *out, const struct rdp_conn *c, const struct finding *f, int n);
/* The verdicts: the report's first lines. */
void report_text_verdicts(FILE *out, const struct verdict *v, int nv);
/* The fix, its caution and the lab reproduction of code c, one line each. */
void report_text_fix(FILE *out, const char *indent, enum diag_code c);
void report_text_footer(FILE *out, const struct analysis *a);

/* "2019-07-30T19:59:16.123456Z" */
const char *report_time_str(int64_t us, char *buf, size_t cap);

#endif

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

#define RDPROBE_SCHEMA_VERSION 1
#define RDPROBE_VERSION "0.1.0"

/* One capture as a JSON object (caller owns the reference). */
json_t *report_capture_json(const struct analysis *a);
/* The whole document: {"schema_version", "tool", "captures": [...]}. */
json_t *report_document(json_t *captures);
/* Writes a document with sorted keys and a final newline; 0 or -1. */
int report_json_write(FILE *out, json_t *doc);

void report_text(FILE *out, const struct analysis *a);

/* "2019-07-30T19:59:16.123456Z" */
const char *report_time_str(int64_t us, char *buf, size_t cap);

#endif

/*
 * capture_facts.c - see capture_facts.h.
 */
#include "capture_facts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "report.h"
#include "tests.h"

uint16_t facts_rdp_port;

json_t *facts_analyze(const char *path)
{
	struct analysis a;
	char err[512];
	memset(&a, 0, sizeof a);
	if (facts_rdp_port) {
		a.opts.rdp_ports[0] = facts_rdp_port;
		a.opts.nports = 1;
	}
	if (analyze_file(path, &a, err, sizeof err) != ANALYZE_OK) {
		fprintf(stderr, "analyze %s: %s\n", path, err);
		analysis_free(&a);
		return NULL;
	}
	json_t *j = report_capture_json(&a);
	analysis_free(&a);
	return j;
}

static json_t *by_client_port(json_t *arr, long port)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		json_t *p = json_object_get(json_object_get(v, "client"), "port");
		if (json_is_integer(p) && json_integer_value(p) == port)
			return v;
	}
	return NULL;
}

json_t *facts_lookup(json_t *root, const char *path)
{
	char buf[256];
	json_t *cur = root;
	snprintf(buf, sizeof buf, "%s", path);
	for (char *save = NULL, *tok = strtok_r(buf, "/", &save); tok && cur;
	     tok = strtok_r(NULL, "/", &save)) {
		if (json_is_array(cur)) {
			if (!strcmp(tok, "#len"))
				return json_integer((json_int_t)json_array_size(cur)); /* new ref */
			if (tok[0] == '#')
				cur = by_client_port(cur, strtol(tok + 1, NULL, 10));
			else
				cur = json_array_get(cur, (size_t)strtoul(tok, NULL, 10));
		} else {
			cur = json_object_get(cur, tok);
		}
	}
	return cur ? json_incref(cur) : NULL;
}

int facts_check(const char *base, const struct fact *table)
{
	int n = 0;
	const char *loaded = NULL;
	json_t *root = NULL;

	for (const struct fact *f = table; f->pcap; f++) {
		if (!loaded || strcmp(loaded, f->pcap)) {
			char path[1024];
			json_decref(root);
			snprintf(path, sizeof path, "%s/%s", base, f->pcap);
			root = facts_analyze(path);
			loaded = f->pcap;
			CU_ASSERT_PTR_NOT_NULL(root);
		}
		if (!root)
			continue;
		json_error_t e;
		json_t *want = json_loads(f->expect, JSON_DECODE_ANY, &e);
		json_t *got = facts_lookup(root, f->path);
		int ok = want && got && json_equal(want, got);
		if (!ok) {
			char *gs = got ? json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
			fprintf(stderr, "\n  FACT %s %s: expected %s, found %s\n", f->pcap, f->path,
				f->expect, gs ? gs : "(absent)");
			free(gs);
		}
		CU_ASSERT(ok);
		json_decref(want);
		json_decref(got);
		n++;
	}
	json_decref(root);
	return n;
}

/*
 * diff.c - rdprobe diff A.json B.json: what changed between two reports of
 * the same host (diagnose --json or probe --json), layer by layer: on the
 * VPN and off it, before and after a change.  The fastest way to prove
 * "it is the tunnel".
 *
 * Compares the verdict, then every variant present in either report by
 * outcome, layer reached, error, finding and the facts that carry the
 * layer (the address used, the X.224 policy, TLS version and certificate,
 * path MTU, RDP-UDP answers, FreeRDP's error info), and the capture.
 * Exit 0 when nothing changed, 1 when something did, 2 when a file is not
 * such a report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

struct diff {
	int changes;
	const char *a_name, *b_name;
};

/* A scalar as short text ("-" for null / missing). */
static void scalar(const json_t *j, char *buf, size_t cap)
{
	if (!j || json_is_null(j))
		snprintf(buf, cap, "-");
	else if (json_is_string(j))
		snprintf(buf, cap, "%s", json_string_value(j));
	else if (json_is_integer(j))
		snprintf(buf, cap, "%lld", (long long)json_integer_value(j));
	else if (json_is_true(j))
		snprintf(buf, cap, "yes");
	else if (json_is_false(j))
		snprintf(buf, cap, "no");
	else {
		char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		snprintf(buf, cap, "%s", s ? s : "?");
		free(s);
	}
}

/* The value at a "/"-separated path of object keys and array indexes. */
static const json_t *at(const json_t *j, const char *path)
{
	char key[64];
	while (j && *path) {
		const char *slash = strchr(path, '/');
		size_t n = slash ? (size_t)(slash - path) : strlen(path);
		if (n >= sizeof key)
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		if (json_is_array(j)) {
			char *end;
			long i = strtol(key, &end, 10);
			j = *end ? NULL : json_array_get(j, (size_t)i);
		} else {
			j = json_object_get(j, key);
		}
		path += n + (slash ? 1 : 0);
	}
	return j;
}

static const char *str_or(const json_t *j, const char *dflt)
{
	const char *s = json_string_value(j);
	return s ? s : dflt;
}

static const json_t *either(const json_t *x, const json_t *y)
{
	return x ? x : y;
}

/* One line when the two values differ. */
static void field(struct diff *d, const char *where, const char *what, const json_t *a,
		  const json_t *b)
{
	char x[256], y[256];
	scalar(a, x, sizeof x);
	scalar(b, y, sizeof y);
	if (strcmp(x, y)) {
		printf("  %-12s %-16s %s  ->  %s\n", where, what, x, y);
		d->changes++;
	}
}

static const json_t *result_of(const json_t *doc, const char *variant)
{
	const json_t *rs = at(doc, "probe/results");
	if (!rs)
		rs = json_object_get(doc, "results"); /* probe --json */
	size_t i;
	const json_t *r;
	json_array_foreach(rs, i, r)
		if (!strcmp(str_or(json_object_get(r, "variant"), ""), variant))
			return r;
	return NULL;
}

/* What each variant's layer facts are: compared besides outcome/layer/error. */
static const struct {
	const char *variant;
	const char *path;
	const char *what;
} facts[] = {
	{"dns", "addresses", "addresses"},
	{"tcp", "addresses", "addresses"},
	{"x224", "policy", "policy"},
	{"tls", "attempts/0/version", "version"},
	{"tls", "attempts/0/certificate/sha256", "certificate"},
	{"tls", "attempts/0/certificate/not_after", "not after"},
	{"ntlm-info", "ntlm/dns_computer", "NTLM name"},
	{"udp", "attempts/0/answered", "1232 answered"},
	{"udp", "attempts/0/path_mtu", "path MTU"},
	{"mtu", "mtu/full_mss", "full MSS"},
	{"mtu", "mtu/path_mtu", "path MTU"},
	{"freerdp-tls", "freerdp/error_info/name", "error info"},
	{"freerdp-rdp", "freerdp/error_info/name", "error info"},
	{"freerdp-nla", "freerdp/error_info/name", "error info"},
};

static int load(const char *path, json_t **out)
{
	json_error_t e;
	*out = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	if (!*out) {
		fprintf(stderr, "rdprobe: %s: not JSON (line %d: %s)\n", path, e.line, e.text);
		return -1;
	}
	if (!json_object_get(*out, "diagnose_schema_version") &&
	    !json_object_get(*out, "probe_schema_version")) {
		fprintf(stderr, "rdprobe: %s: not a report of rdprobe diagnose --json or probe --json\n",
			path);
		json_decref(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int cmd_diff(int argc, char **argv)
{
	json_t *a = NULL, *b = NULL;
	struct diff d = {0, NULL, NULL};

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage_text, stdout);
		return EXIT_HEALTHY;
	}
	if (argc != 3)
		return usage_error("diff: two reports (A.json B.json)", NULL);
	if (load(argv[1], &a) || load(argv[2], &b)) {
		json_decref(a);
		return EXIT_USAGE;
	}
	d.a_name = argv[1];
	d.b_name = argv[2];
	const json_t *ha = json_object_get(a, "host"), *hb = json_object_get(b, "host");
	printf("rdprobe diff %s -> %s (host %s%s%s)\n", argv[1], argv[2], str_or(ha, "?"),
	       json_equal(ha, hb) ? "" : " / ", json_equal(ha, hb) ? "" : str_or(hb, "?"));
	field(&d, "verdict", "code", at(a, "verdict/code"), at(b, "verdict/code"));
	field(&d, "verdict", "severity", at(a, "verdict/severity"), at(b, "verdict/severity"));
	field(&d, "verdict", "found by", at(a, "verdict/variant"), at(b, "verdict/variant"));
	field(&d, "target", "address", either(at(a, "probe/target"), at(a, "target")),
	      either(at(b, "probe/target"), at(b, "target")));

	/* Variants in A's order, then those only in B. */
	for (int pass = 0; pass < 2; pass++) {
		const json_t *rs = at(pass ? b : a, "probe/results");
		if (!rs)
			rs = json_object_get(pass ? b : a, "results");
		size_t i;
		const json_t *r;
		json_array_foreach(rs, i, r) {
			const char *name = json_string_value(json_object_get(r, "variant"));
			if (!name)
				continue;
			const json_t *ra = result_of(a, name), *rb = result_of(b, name);
			if (pass && ra)
				continue; /* done in the first pass */
			field(&d, name, "outcome", at(ra, "outcome"), at(rb, "outcome"));
			field(&d, name, "layer", at(ra, "layer"), at(rb, "layer"));
			field(&d, name, "error", at(ra, "error/name"), at(rb, "error/name"));
			field(&d, name, "finding", at(ra, "finding"), at(rb, "finding"));
			for (size_t k = 0; k < sizeof facts / sizeof facts[0]; k++)
				if (!strcmp(facts[k].variant, name))
					field(&d, name, facts[k].what, at(ra, facts[k].path),
					      at(rb, facts[k].path));
		}
	}
	field(&d, "capture", "taken", at(a, "capture/taken"), at(b, "capture/taken"));
	field(&d, "capture", "interface", at(a, "capture/interface"), at(b, "capture/interface"));
	field(&d, "capture", "kernel drops", at(a, "capture/kernel_drops"),
	      at(b, "capture/kernel_drops"));
	if (!d.changes)
		printf("  no change\n");
	else
		printf("%d change%s\n", d.changes, d.changes == 1 ? "" : "s");
	json_decref(a);
	json_decref(b);
	return d.changes ? EXIT_DIAGNOSED : EXIT_HEALTHY;
}

/*
 * test_report.c - the JSON report's builders insert every object's keys in
 * sorted order, so a connection is dumped without JSON_SORT_KEYS and still
 * matches the documented (sorted) form: checked on every connection and
 * finding of the project's captures (fixtures/, fixtures/lab/) and of the
 * shared corpus when it is there.
 */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "diagnosis.h"
#include "report.h"
#include "tests.h"

static int unsorted; /* objects whose keys were not inserted in order */

/* Objects iterate in insertion order (jansson >= 2.8). */
static void check_sorted(json_t *j)
{
	if (json_is_object(j)) {
		const char *prev = NULL;
		for (void *it = json_object_iter(j); it; it = json_object_iter_next(j, it)) {
			const char *k = json_object_iter_key(it);
			if (prev && strcmp(prev, k) >= 0) {
				fprintf(stderr, "keys out of order: \"%s\" before \"%s\"\n", prev, k);
				unsorted++;
			}
			prev = k;
			check_sorted(json_object_iter_value(it));
		}
	} else if (json_is_array(j)) {
		for (size_t i = 0; i < json_array_size(j); i++)
			check_sorted(json_array_get(j, i));
	}
}

/* Checks every connection of one capture; returns the connections seen. */
static int check_capture(const char *path)
{
	struct analysis a;
	struct diag_opts o;
	struct finding f[FINDINGS_MAX];
	char err[512];
	int n = 0;

	memset(&a, 0, sizeof a);
	memset(&o, 0, sizeof o);
	if (analyze_file(path, &a, err, sizeof err) != ANALYZE_OK) {
		analysis_free(&a);
		return 0;
	}
	for (uint32_t i = 0; i < a.nconns; i++, n++) {
		json_t *c = report_conn_json(a.conns[i]);
		check_sorted(c);
		json_decref(c);
		int nf = diag_conn(a.conns[i], &o, f, FINDINGS_MAX);
		json_t *fj = report_findings_json(f, nf);
		check_sorted(fj);
		json_decref(fj);
	}
	analysis_free(&a);
	return n;
}

/* Every *.pcap of dir (and, with depth, of its subdirectories). */
static int check_dir(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char path[1024];
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (len > 5 && !strcmp(e->d_name + len - 5, ".pcap"))
			n += check_capture(path);
		else if (depth > 0)
			n += check_dir(path, depth - 1);
	}
	closedir(d);
	return n;
}

static void test_sorted_insertion(void)
{
	unsorted = 0;
	int n = check_dir(RDPROBE_SOURCE_DIR "/fixtures", 1);
	n += check_dir(RDPROBE_SOURCE_DIR "/../shared/corpus", 1);
	CU_ASSERT(n >= 30);
	CU_ASSERT_EQUAL(unsorted, 0);
}

static const struct test_case report_cases[] = {
	{"JSON keys inserted in sorted order", test_sorted_insertion},
	{NULL, NULL},
};

void register_fixtures_report(void)
{
	add_suite("report", report_cases);
}

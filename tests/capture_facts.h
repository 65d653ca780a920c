/*
 * capture_facts.h - declarative checks of analyzer output: a capture, a
 * path into its JSON report, and the expected value as JSON text.
 *
 * Paths are '/'-separated object keys and array indexes; an element of
 * "connections" can be picked by its client port with "#PORT" (stable
 * whatever the order of connections).  Examples:
 *   "connections/#49206/x224/request/frame"      -> "4"
 *   "connections/0/tls/certificates/0/subject_cn" -> "\"OFFICE-WIN10-VM\""
 *   "connections/#len"                           -> "2"  (array length)
 */
#ifndef RDPROBE_CAPTURE_FACTS_H
#define RDPROBE_CAPTURE_FACTS_H

#include <jansson.h>
#include <stdint.h>

struct fact {
	const char *pcap;     /* relative to the table's base directory */
	const char *path;
	const char *expect;   /* JSON text; compared with json_equal */
};

/* Extra TCP port counted as RDP by facts_analyze (0: none). */
extern uint16_t facts_rdp_port;

/* Analyzes `path` and returns its capture JSON, or NULL (message printed). */
json_t *facts_analyze(const char *path);

/* The value at `path` in `root` (borrowed), or NULL. */
json_t *facts_lookup(json_t *root, const char *path);

/*
 * Checks every fact of `table` (ends with a NULL pcap) with captures under
 * `base`; each capture is analyzed once.  Failures are CUnit assertion
 * failures naming pcap, path, expected and found.  Returns facts checked.
 */
int facts_check(const char *base, const struct fact *table);

#endif

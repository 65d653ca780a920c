/*
 * tests.h - the suites of rdprobe_tests and small shared helpers.
 *
 * Each test file registers its suites with a register_* function listed in
 * test_main.c.  `rdprobe_tests unit` runs decoder suites; `corpus` the
 * golden tests over ../shared/corpus; `fixtures` the project's own pcaps.
 */
#ifndef RDPROBE_TESTS_H
#define RDPROBE_TESTS_H

#include <CUnit/CUnit.h>
#include <stddef.h>
#include <stdint.h>

/* Adds a suite with the given tests; aborts the run when CUnit fails. */
struct test_case {
	const char *name;
	void (*fn)(void);
};
void add_suite(const char *name, const struct test_case *cases);

/* Decoder suites (unit). */
void register_unit_cursor(void);
void register_unit_x224(void);
void register_unit_tls(void);
void register_unit_mcs(void);
void register_unit_rdpeudp(void);
void register_unit_dns(void);
void register_unit_icmp(void);
void register_unit_pcap(void);
void register_unit_reasm(void);
void register_unit_badinput(void);
void register_unit_ntlm(void);
void register_unit_diagnosis(void);
void register_fixtures_diagnosis(void);
void register_fixtures_report(void);
void register_corpus_diagnosis(void);

/* Whole-capture suites. */
void register_corpus(void);
void register_fixtures(void);

#endif

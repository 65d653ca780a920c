/*
 * cli.h - what the subcommands of rdprobe share (main.c): exit codes,
 * usage errors, the options of probe and diagnose.
 */
#ifndef RDPROBE_CLI_H
#define RDPROBE_CLI_H

#include <stdint.h>

#include "probe.h"

enum exit_code {
	EXIT_HEALTHY = 0,   /* or: the expectation was met */
	EXIT_DIAGNOSED = 1, /* a failure was diagnosed (or the expectation not met) */
	EXIT_USAGE = 2,     /* usage error or unreadable input */
	EXIT_INTERNAL = 3,
};

extern const char usage_text[];

/* "rdprobe: WHAT ARG" and the hint on stderr; returns EXIT_USAGE. */
int usage_error(const char *what, const char *arg);
/* 1..65535; 0 or -1. */
int parse_port(const char *s, uint16_t *out);

/* The options of probe, and of diagnose (which adds --pcap, --iface, --junit). */
struct probe_cli {
	struct probe_opts po;
	const struct probe_variant *v[PROBE_VARIANTS_MAX];
	int nv;
	int json;
	const char *password_file;
	const char *pcap;          /* diagnose: --pcap OUT */
	const char *iface;         /* diagnose: --iface IF */
	const char *junit;         /* diagnose: --junit FILE */
};

/*
 * Parses argv (argv[0] the subcommand); -1 when the run may go on, else
 * the exit status to return (usage error, --help).
 */
int probe_cli_parse(int argc, char **argv, int diagnose, struct probe_cli *pc);
/* With --user: loads the password (secret.c); -1, or EXIT_USAGE. */
int probe_cli_password(struct probe_cli *pc);

/* main.c */
int cmd_analyze(int argc, char **argv);
/* diagnose.c */
int cmd_diagnose(int argc, char **argv);
/* diff.c */
int cmd_diff(int argc, char **argv);
/* lab.c */
int cmd_lab(int argc, char **argv);

#endif

/*
 * capture_tool.c - test driver for capture/ (tests/capture_test.sh): starts
 * a capture, runs one command while it runs, stops it and prints what
 * happened as key=value lines.  Built for the tests only, never installed.
 *
 *   capture_tool [--iface IF] [--pcap OUT] [--port N] [--grace MS]
 *                [--max-bytes N] [--max-ms MS] ADDR... -- COMMAND [ARG...]
 *
 * The command sees CAPTURE_PID (the capture child, for /proc checks) and
 * CAPTURE_PATH in its environment.  Exit status: 0 both ends worked,
 * 10 + enum capture_rc when capture_start failed, 20 when capture_stop
 * failed, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"

static int usage(void)
{
	fprintf(stderr, "usage: capture_tool [--iface IF] [--pcap OUT] [--port N] [--grace MS]\n"
			"                    [--max-bytes N] [--max-ms MS] ADDR... -- COMMAND [ARG...]\n");
	return 2;
}

static int number(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end = NULL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && end != s && !*end && *v <= max && s[0] != '-' ? 0 : -1;
}

static int run_command(char **argv, const struct capture *c)
{
	char pid[32];
	snprintf(pid, sizeof pid, "%ld", (long)capture_pid(c));
	fflush(NULL);
	pid_t p = fork();
	if (p < 0)
		return -1;
	if (p == 0) {
		setenv("CAPTURE_PID", pid, 1);
		setenv("CAPTURE_PATH", capture_path(c), 1);
		execvp(argv[0], argv);
		fprintf(stderr, "capture_tool: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int status = 0;
	while (waitpid(p, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"iface", required_argument, NULL, 'i'},
		{"pcap", required_argument, NULL, 'w'},
		{"port", required_argument, NULL, 'p'},
		{"grace", required_argument, NULL, 'g'},
		{"max-bytes", required_argument, NULL, 'b'},
		{"max-ms", required_argument, NULL, 'm'},
		{NULL, 0, NULL, 0},
	};
	static struct capture_opts o;
	unsigned long long v;
	int c;

	capture_opts_init(&o);
	while ((c = getopt_long(argc, argv, "+i:w:p:g:b:m:", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			snprintf(o.iface, sizeof o.iface, "%s", optarg);
			break;
		case 'w':
			snprintf(o.path, sizeof o.path, "%s", optarg);
			break;
		case 'p':
			if (number(optarg, 65535, &v) < 0)
				return usage();
			o.port = (uint16_t)v;
			break;
		case 'g':
			if (number(optarg, CAPTURE_GRACE_MAX_MS, &v) < 0)
				return usage();
			o.grace_ms = (int)v;
			break;
		case 'b':
			if (number(optarg, UINT64_MAX, &v) < 0)
				return usage();
			o.max_bytes = v;
			break;
		case 'm':
			if (number(optarg, CAPTURE_MAX_MS_LIMIT, &v) < 0)
				return usage();
			o.max_ms = (int)v;
			break;
		default:
			return usage();
		}
	}
	int i = optind;
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (o.naddrs == CAPTURE_ADDR_MAX)
			return usage();
		snprintf(o.addrs[o.naddrs++], sizeof o.addrs[0], "%s", argv[i]);
	}
	if (i >= argc - 1)
		return usage();
	char **cmd = argv + i + 1;

	struct capture *cap = NULL;
	char err[CAPTURE_ERR_MAX];
	enum capture_rc rc = capture_start(&o, &cap, err, sizeof err);
	printf("start=%s\n", capture_rc_name(rc));
	if (rc != CAPTURE_OK) {
		printf("error=%s\n", err);
		return 10 + (int)rc;
	}
	printf("iface=%s\npath=%s\npid=%ld\n", capture_iface(cap), capture_path(cap),
	       (long)capture_pid(cap));
	int status = run_command(cmd, cap);
	printf("command_status=%d\n", status);

	struct capture_stats st;
	rc = capture_stop(cap, &st, err, sizeof err);
	printf("stop=%s\n", capture_rc_name(rc));
	if (rc != CAPTURE_OK) {
		printf("error=%s\n", err);
		capture_free(cap);
		return 20;
	}
	printf("packets=%" PRIu64 "\nbytes=%" PRIu64 "\nfile_bytes=%" PRIu64
	       "\nnot_written=%" PRIu64 "\n",
	       st.packets, st.bytes, st.file_bytes, st.not_written);
	printf("have_pcap_stats=%d\nps_recv=%u\nps_drop=%u\nps_ifdrop=%u\n", st.have_pcap_stats,
	       st.ps_recv, st.ps_drop, st.ps_ifdrop);
	printf("cut=%s\nwrite_errno=%d\nduration_ms=%d\nnote=%s\n", capture_cut_name(st.cut),
	       st.write_errno, (int)st.duration_ms, st.note);
	capture_free(cap);
	return 0;
}

/*
 * lab.c - rdprobe lab: the test lab (fixtures/lab/lab.sh, DESIGN.md
 * section 8) from the tool itself, so that a report's "reproduce:" line
 * is one command away.
 *
 *   rdprobe lab start|stop|status|list
 *   rdprobe lab run SCENARIO [OUT.pcap]   a real client meets the failure,
 *                                         captured to OUT (./SCENARIO.pcap),
 *                                         then analyzed
 *   rdprobe lab record [SCENARIO...]
 *   rdprobe lab probe|diagnose SCENARIO [OPTIONS]
 *                                         rdprobe against the scenario's
 *                                         server (srv.lab.test)
 *   rdprobe lab exec SCENARIO CMD...
 *
 * The scripts are found in $RDPROBE_LAB_DIR, else where the build was
 * configured; the lab's own servers (rdp_deny_server, rdpeudp_responder)
 * next to this executable.  Root, namespaces: lab.sh says what it needs.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "decode.h"

#ifndef RDPROBE_LAB_DIR
#define RDPROBE_LAB_DIR "fixtures/lab"
#endif

#define LAB_ARGS_MAX 64

static int is_file(const char *path, int mode)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, mode) == 0;
}

/* This executable's path; 0, or -1. */
static int self_path(char *out, size_t n)
{
	ssize_t len = readlink("/proc/self/exe", out, n - 1);
	if (len <= 0 || (size_t)len >= n - 1)
		return -1;
	out[len] = '\0';
	return 0;
}

/*
 * lab.sh's path into `script`, and LAB_BUILD_DIR pointed at this
 * executable's directory when the lab's servers were built there.
 */
static int lab_locate(char *script, size_t n, char *self, size_t sn)
{
	const char *dir = getenv("RDPROBE_LAB_DIR");
	if (!dir || !*dir)
		dir = RDPROBE_LAB_DIR;
	if ((size_t)snprintf(script, n, "%s/lab.sh", dir) >= n || !is_file(script, X_OK)) {
		fprintf(stderr, "rdprobe: lab: no executable %s/lab.sh (set RDPROBE_LAB_DIR to "
				"the source tree's fixtures/lab)\n", dir);
		return -1;
	}
	if (self_path(self, sn) < 0) {
		fprintf(stderr, "rdprobe: lab: cannot read /proc/self/exe: %s\n", strerror(errno));
		return -1;
	}
	if (!getenv("LAB_BUILD_DIR")) {
		char build[PATH_MAX], server[PATH_MAX + 32];
		str_copy(build, sizeof build, self);
		char *slash = strrchr(build, '/');
		if (slash) {
			*slash = '\0';
			snprintf(server, sizeof server, "%s/rdp_deny_server", build);
			if (is_file(server, X_OK))
				setenv("LAB_BUILD_DIR", build, 1);
		}
	}
	return 0;
}

/* Runs lab.sh with argv; its exit status, or -1 when it could not run. */
static int lab_spawn(char *const *argv)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execv(argv[0], argv);
		fprintf(stderr, "rdprobe: lab: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static const char lab_usage[] =
	"usage: rdprobe lab start|stop|status|list\n"
	"       rdprobe lab run SCENARIO [OUT.pcap]\n"
	"       rdprobe lab record [SCENARIO...]\n"
	"       rdprobe lab probe|diagnose SCENARIO [OPTIONS]\n"
	"       rdprobe lab exec SCENARIO CMD...\n";

static int lab_usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "rdprobe: lab: %s%s%s\nTry 'rdprobe lab --help'.\n", what, arg ? " " : "",
		arg ? arg : "");
	return EXIT_USAGE;
}

/* A scenario name is a file name of fixtures/lab/scenarios: no path. */
static int scenario_name_ok(const char *s)
{
	if (!*s || *s == '-' || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return 0;
	return 1;
}

/*
 * run: lab.sh run SCENARIO OUT, then the analysis of OUT.  The exit
 * status is the analysis's (1: the failure the scenario reproduces was
 * diagnosed), or 3 when the lab itself failed.
 */
static int lab_run(char *script, int argc, char **argv)
{
	char out[PATH_MAX], rel[PATH_MAX], cwd[PATH_MAX];
	if (argc > 2)
		return lab_usage_error("run takes SCENARIO [OUT.pcap]", NULL);
	char *name = argv[0];
	if (argc == 2)
		str_copy(rel, sizeof rel, argv[1]);
	else
		snprintf(rel, sizeof rel, "%s.pcap", name);
	if (argc == 2 && strlen(argv[1]) >= sizeof rel)
		return lab_usage_error("output path too long:", argv[1]);
	if (rel[0] == '/')
		str_copy(out, sizeof out, rel);
	else if (!getcwd(cwd, sizeof cwd) ||
		 (size_t)snprintf(out, sizeof out, "%s/%s", cwd, rel) >= sizeof out)
		return lab_usage_error("output path too long:", rel);
	char *lav[] = {script, "run", name, out, NULL};
	int rc = lab_spawn(lav);
	if (rc != 0) {
		fprintf(stderr, "rdprobe: lab: run %s failed (lab.sh exit %d)\n", name, rc);
		return EXIT_INTERNAL;
	}
	printf("\nrdprobe analyze %s\n\n", out);
	char *aav[] = {"analyze", out, NULL};
	return cmd_analyze(2, aav);
}

int cmd_lab(int argc, char **argv)
{
	char script[PATH_MAX + 16], self[PATH_MAX];
	if (argc < 2)
		return lab_usage_error("no lab command given", NULL);
	char *sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		fputs(lab_usage, stdout);
		return EXIT_HEALTHY;
	}
	int simple = !strcmp(sub, "start") || !strcmp(sub, "stop") || !strcmp(sub, "status") ||
		     !strcmp(sub, "list");
	int named = !strcmp(sub, "run") || !strcmp(sub, "probe") || !strcmp(sub, "diagnose") ||
		    !strcmp(sub, "exec");
	if (!simple && !named && strcmp(sub, "record"))
		return lab_usage_error("unknown lab command:", sub);
	if (simple && argc != 2)
		return lab_usage_error(sub, "takes no argument");
	if (named && argc < 3)
		return lab_usage_error(sub, "needs a SCENARIO (rdprobe lab list)");
	if (argc > LAB_ARGS_MAX)
		return lab_usage_error("too many arguments", NULL);
	for (int i = 2; i < argc && (named ? i == 2 : 1); i++)
		if (!scenario_name_ok(argv[i]))
			return lab_usage_error("bad scenario name:", argv[i]);
	if (!strcmp(sub, "exec") && argc < 4)
		return lab_usage_error("exec needs SCENARIO CMD...", NULL);
	if (strcmp(sub, "list") && geteuid() != 0) {
		fprintf(stderr, "rdprobe: lab: %s needs root (network namespaces, capture)\n", sub);
		return EXIT_USAGE;
	}
	if (lab_locate(script, sizeof script, self, sizeof self) < 0)
		return EXIT_USAGE;
	if (named) {
		/* script is DIR/lab.sh; the recipe is DIR/scenarios/NAME.sh. */
		char recipe[PATH_MAX + 128];
		int dirlen = (int)(strlen(script) - strlen("lab.sh"));
		snprintf(recipe, sizeof recipe, "%.*sscenarios/%s.sh", dirlen, script, argv[2]);
		if (!is_file(recipe, R_OK))
			return lab_usage_error("no such scenario (rdprobe lab list):", argv[2]);
	}
	if (!strcmp(sub, "run"))
		return lab_run(script, argc - 2, argv + 2);

	/* The rest hands over to lab.sh: its exit status is the command's. */
	char *lav[LAB_ARGS_MAX + 8];
	int n = 0;
	lav[n++] = script;
	if (!strcmp(sub, "probe") || !strcmp(sub, "diagnose")) {
		lav[n++] = "exec";
		lav[n++] = argv[2];
		lav[n++] = self;
		lav[n++] = sub;
		for (int i = 3; i < argc; i++)
			lav[n++] = argv[i];
		lav[n++] = "srv.lab.test";
	} else {
		for (int i = 1; i < argc; i++)
			lav[n++] = argv[i];
	}
	lav[n] = NULL;
	fflush(NULL);
	execv(script, lav);
	fprintf(stderr, "rdprobe: lab: %s: %s\n", script, strerror(errno));
	return EXIT_INTERNAL;
}

/*
 * runner.c - one child process per variant, results back through pipes.
 *
 * Why children: a hung handshake (an MTU black hole, FreeRDP's TLS loop)
 * cannot always be interrupted from inside; a process can always be
 * killed.  Each child writes one fixed-size struct probe_result (plain
 * bytes, no pointers) to its pipe and exits.  The parent polls all pipes
 * against each child's deadline and the global budget; a child past its
 * deadline gets SIGKILL and is reported TIMEOUT.  Every child is reaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"
#include "probe.h"

/* The child stops itself this long before the parent would kill it. */
#ifndef CHILD_MARGIN_MS
#define CHILD_MARGIN_MS 300
#endif
/* How often the progress callback runs, at most. */
#define PROGRESS_MS 250
/* Bounds the poll loop independently of the clock. */
#define RUNNER_POLL_ROUNDS_MAX 100000

static const char *const outcome_names[] = {
	[PROBE_OK] = "OK",
	[PROBE_FAILED] = "FAILED",
	[PROBE_TIMEOUT] = "TIMEOUT",
	[PROBE_ERROR] = "ERROR",
	[PROBE_SKIPPED] = "SKIPPED",
};
_Static_assert(sizeof outcome_names / sizeof outcome_names[0] == PROBE_OUTCOME_COUNT,
	       "outcome_names covers enum probe_outcome");

const char *probe_outcome_name(enum probe_outcome o)
{
	return (unsigned)o < PROBE_OUTCOME_COUNT ? outcome_names[o] : "unknown";
}

struct child {
	pid_t pid;
	int fd;                    /* read end, -1 when closed */
	int64_t deadline;
	size_t got;                /* bytes of the result read so far */
	int done;                  /* EOF seen or killed */
	int killed;
	struct probe_result buf;
};

static void result_init(struct probe_result *r, const char *name)
{
	memset(r, 0, sizeof *r);
	snprintf(r->variant, sizeof r->variant, "%s", name);
	snprintf(r->layer, sizeof r->layer, "none");
	r->ms_dns = r->ms_connect = r->ms_x224 = r->ms_tls = PROBE_MS_NONE;
	r->finding = DIAG_CODE_COUNT;
}

static void fail_result(struct probe_result *r, enum probe_outcome oc, const char *err,
			const char *detail)
{
	r->outcome = oc;
	snprintf(r->error_name, sizeof r->error_name, "%s", err);
	snprintf(r->detail, sizeof r->detail, "%s", detail);
}

/* The child's pipe (write end); -1 in the parent. */
static int child_wfd = -1;

/* Writes the whole struct and exits without atexit handlers. */
static void child_write_exit(const struct probe_result *r)
{
	const uint8_t *p = (const uint8_t *)r;
	size_t off = 0;
	for (int i = 0; child_wfd >= 0 && off < sizeof *r && i < 10000; i++) {
		ssize_t k = write(child_wfd, p + off, sizeof *r - off);
		if (k > 0)
			off += (size_t)k;
		else if (k < 0 && errno != EINTR)
			break;
	}
	_exit(off == sizeof *r ? 0 : 3);
}

void probe_finish_early(struct probe_result *r)
{
	if (child_wfd < 0)
		abort(); /* not in a variant's child: a programming error */
	probe_conns_copy(r);
	child_write_exit(r);
}

/* The child's side: run, then write the result and exit. */
static void child_main(const struct probe_opts *o, const struct probe_variant *v, int64_t deadline,
		       int wfd)
{
	struct probe_opts co = *o;
	struct probe_result *r = malloc(sizeof *r);
	if (!r)
		_exit(3);
	child_wfd = wfd;
	signal(SIGPIPE, SIG_IGN);
	co.deadline_ms = deadline - CHILD_MARGIN_MS;
	result_init(r, v->name);
	r->outcome = PROBE_ERROR;
	probe_conn_label(v->name);
	v->run(&co, r);
	probe_conns_copy(r);
	child_write_exit(r);
}

static void finish(struct child *c, struct probe_result *out, const char *name)
{
	int status = 0;
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	if (c->pid > 0) {
		pid_t w;
		do
			w = waitpid(c->pid, &status, 0);
		while (w < 0 && errno == EINTR);
		c->pid = 0;
	}
	c->done = 1;
	if (c->killed) {
		result_init(out, name);
		fail_result(out, PROBE_TIMEOUT, "DEADLINE", "killed at its deadline");
	} else if (c->got == sizeof c->buf) {
		*out = c->buf;
		out->variant[sizeof out->variant - 1] = '\0';
	} else {
		char why[96];
		if (WIFSIGNALED(status))
			snprintf(why, sizeof why, "child died of signal %d", WTERMSIG(status));
		else
			snprintf(why, sizeof why, "child exited %d with an incomplete result",
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		result_init(out, name);
		fail_result(out, PROBE_ERROR, "CHILD_FAILED", why);
	}
}

static int run_children(const struct probe_opts *o, const struct probe_variant *const *v, int n,
			struct probe_result *out)
{
	struct child *ch = calloc((size_t)(n > 0 ? n : 1), sizeof *ch);
	int rc = 0;
	int64_t start = probe_now_ms();
	int64_t budget_end = start + o->budget_ms;

	if (!ch) {
		for (int i = 0; i < n; i++) {
			result_init(&out[i], v[i]->name);
			fail_result(&out[i], PROBE_ERROR, "ENOMEM", "out of memory");
		}
		return -1;
	}
	fflush(NULL); /* nothing buffered may be written twice */
	for (int i = 0; i < n; i++) {
		int p[2];
		ch[i].fd = -1;
		ch[i].deadline = start + v[i]->deadline_ms;
		if (ch[i].deadline > budget_end)
			ch[i].deadline = budget_end;
		result_init(&out[i], v[i]->name);
		if (pipe(p) < 0) {
			fail_result(&out[i], PROBE_ERROR, "PIPE", strerror(errno));
			ch[i].done = 1;
			rc = -1;
			continue;
		}
		pid_t pid = fork();
		if (pid < 0) {
			fail_result(&out[i], PROBE_ERROR, "FORK", strerror(errno));
			close(p[0]);
			close(p[1]);
			ch[i].done = 1;
			rc = -1;
			continue;
		}
		if (pid == 0) {
			close(p[0]);
			for (int k = 0; k < i; k++)
				if (ch[k].fd >= 0)
					close(ch[k].fd);
			child_main(o, v[i], ch[i].deadline, p[1]);
		}
		close(p[1]);
		fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
		fcntl(p[0], F_SETFD, FD_CLOEXEC);
		ch[i].pid = pid;
		ch[i].fd = p[0];
	}

	struct pollfd pf[PROBE_VARIANTS_MAX];
	int idx[PROBE_VARIANTS_MAX];
	for (int round = 0; round < RUNNER_POLL_ROUNDS_MAX; round++) {
		int np = 0;
		int64_t now = probe_now_ms(), next = INT64_MAX;
		for (int i = 0; i < n && np < PROBE_VARIANTS_MAX; i++) {
			if (ch[i].done)
				continue;
			if (now >= ch[i].deadline) {
				kill(ch[i].pid, SIGKILL);
				ch[i].killed = 1;
				finish(&ch[i], &out[i], v[i]->name);
				continue;
			}
			if (ch[i].deadline < next)
				next = ch[i].deadline;
			pf[np] = (struct pollfd){ch[i].fd, POLLIN, 0};
			idx[np++] = i;
		}
		if (np == 0)
			break;
		int64_t wait = next - now;
		if (o->progress) {
			int done = 0;
			for (int i = 0; i < n; i++)
				done += ch[i].done;
			o->progress(o->progress_ctx, done, n, v[idx[0]]->name, now - start);
			if (wait > PROGRESS_MS)
				wait = PROGRESS_MS;
		}
		int k = poll(pf, (nfds_t)np, (int)wait);
		if (k < 0 && errno != EINTR) {
			rc = -1;
			break;
		}
		for (int j = 0; j < np && k > 0; j++) {
			if (!pf[j].revents)
				continue;
			struct child *c = &ch[idx[j]];
			uint8_t *dst = (uint8_t *)&c->buf;
			ssize_t got = read(c->fd, dst + c->got, sizeof c->buf - c->got);
			if (got > 0) {
				c->got += (size_t)got;
				if (c->got < sizeof c->buf)
					continue;
			} else if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
				continue;
			}
			/* Whole result, EOF or a read error: the child is finished. */
			finish(c, &out[idx[j]], v[idx[j]]->name);
		}
	}
	/* Anything still running (loop cap or poll error): kill and reap. */
	for (int i = 0; i < n; i++)
		if (!ch[i].done) {
			kill(ch[i].pid, SIGKILL);
			ch[i].killed = 1;
			finish(&ch[i], &out[i], v[i]->name);
		}
	free(ch);
	return rc;
}

/* The pick, as a variant: its result carries the address in r->target. */
static void run_pick(const struct probe_opts *o, struct probe_result *r)
{
	struct probe_target t;
	r->outcome = probe_pick_target(o, &t, r) < 0 ? PROBE_FAILED : PROBE_OK;
}

/* Its share of the budget: DNS plus the connect race, at most a third. */
#define PICK_DEADLINE_MS (PROBE_PICK_MS + 1500)

int probe_run(struct probe_opts *o, const struct probe_variant *const *v, int n,
	      struct probe_result *out, struct probe_result *pick_out)
{
	int64_t t0 = probe_now_ms();
	struct probe_variant pick = {.name = "target", .help = "", .run = run_pick};
	const struct probe_variant *pv = &pick;
	struct probe_result pr;

	o->pinned[0] = '\0';
	pick.deadline_ms = o->budget_ms / 3 < PICK_DEADLINE_MS ? o->budget_ms / 3 : PICK_DEADLINE_MS;
	if (run_children(o, &pv, 1, &pr) == 0 && pr.outcome == PROBE_OK && pr.target[0])
		str_copy(o->pinned, sizeof o->pinned, pr.target);
	if (pick_out)
		*pick_out = pr;
	/* The variants get what is left of the budget. */
	struct probe_opts rest = *o;
	rest.budget_ms -= (int)(probe_now_ms() - t0);
	if (rest.budget_ms < 1)
		rest.budget_ms = 1;
	return run_children(&rest, v, n, out);
}

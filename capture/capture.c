/*
 * capture.c - the capture child: libpcap live capture written to a 0600
 * file while the probe runs (contract and rules in capture.h).
 *
 * The parent and the child share one AF_UNIX stream socketpair: the child
 * sends a struct ready_msg, later a struct stats_msg; the parent sends one
 * stop byte (send with MSG_NOSIGNAL on both sides: a dead peer is an error
 * to report, never a SIGPIPE).  The child never prints: every error is a
 * one-line message in those structs.
 */
/* getresuid, setresuid, mkostemps (glibc, Linux). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cap-ng.h>
#include <pcap/pcap.h>

#include "capture.h"

#define MSG_MAGIC_READY 0x52445052u /* "RDPR" */
#define MSG_MAGIC_STATS 0x52445053u /* "RDPS" */

/* The child's poll period: how late it notices a stop or its time limit. */
#define CHILD_POLL_MS 100
/* Packets per pcap_dispatch call: bounds one round of the loop. */
#define CHILD_DISPATCH_MAX 4096
/* Bounds the child's loop independently of the clock. */
#define CHILD_ROUNDS_MAX 100000000L
/* pcap file header and per-record header sizes (the file_bytes count). */
#define PCAP_FILE_HEADER_BYTES 24u
#define PCAP_RECORD_HEADER_BYTES 16u
/* How long a finished child may take to exit before SIGKILL. */
#define REAP_WAIT_MS 1000
/* Bounds the send loops. */
#define SEND_TRIES_MAX 1000
/* The filter text: every address twice at most, plus the fixed parts. */
#define FILTER_MAX (CAPTURE_ADDR_MAX * (CAPTURE_ADDR_TEXT_MAX + 16) + 256)

#define NOBODY_ID 65534u

static const char *const rc_names[] = {
	[CAPTURE_OK] = "OK",
	[CAPTURE_NO_RIGHTS] = "NO_RIGHTS",
	[CAPTURE_BAD_IFACE] = "BAD_IFACE",
	[CAPTURE_BAD_FILE] = "BAD_FILE",
	[CAPTURE_BAD_FILTER] = "BAD_FILTER",
	[CAPTURE_ERROR] = "ERROR",
};
_Static_assert(sizeof rc_names / sizeof rc_names[0] == CAPTURE_RC_COUNT,
	       "rc_names covers enum capture_rc");

static const char *const cut_names[] = {
	[CAPTURE_CUT_NONE] = "none",
	[CAPTURE_CUT_BYTES] = "max_bytes",
	[CAPTURE_CUT_TIME] = "max_time",
	[CAPTURE_CUT_WRITE] = "write_error",
	[CAPTURE_CUT_PARENT] = "parent_gone",
	[CAPTURE_CUT_PCAP] = "pcap_error",
};
_Static_assert(sizeof cut_names / sizeof cut_names[0] == CAPTURE_CUT_COUNT,
	       "cut_names covers enum capture_cut");

const char *capture_rc_name(enum capture_rc rc)
{
	return (unsigned)rc < CAPTURE_RC_COUNT ? rc_names[rc] : "unknown";
}

const char *capture_cut_name(enum capture_cut cut)
{
	return (unsigned)cut < CAPTURE_CUT_COUNT ? cut_names[cut] : "unknown";
}

struct ready_msg {
	uint32_t magic;
	int32_t rc;                /* enum capture_rc */
	int32_t file_created;      /* path names a file the child made */
	char iface[CAPTURE_IFACE_MAX];
	char path[CAPTURE_PATH_MAX];
	char err[CAPTURE_ERR_MAX];
};

struct stats_msg {
	uint32_t magic;
	struct capture_stats st;
};

struct capture {
	pid_t pid;                 /* 0 once reaped */
	int fd;                    /* our end of the socketpair, -1 when closed */
	int grace_ms;
	int stopped;
	char iface[CAPTURE_IFACE_MAX];
	char path[CAPTURE_PATH_MAX];
};

void capture_opts_init(struct capture_opts *o)
{
	memset(o, 0, sizeof *o);
	o->grace_ms = CAPTURE_DEFAULT_GRACE_MS;
	o->max_bytes = CAPTURE_DEFAULT_MAX_BYTES;
	o->max_ms = CAPTURE_DEFAULT_MAX_MS;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Copies at most cap-1 bytes; "" for NULL. */
static void copy_str(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

/* Sends all n bytes or fails (-1): never raises SIGPIPE. */
static int send_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	size_t off = 0;
	for (int i = 0; off < n && i < SEND_TRIES_MAX; i++) {
		ssize_t k = send(fd, p + off, n - off, MSG_NOSIGNAL);
		if (k > 0)
			off += (size_t)k;
		else if (k < 0 && errno != EINTR && errno != EAGAIN)
			return -1;
	}
	return off == n ? 0 : -1;
}

/*
 * Reads exactly n bytes before the monotonic `deadline`.  Returns 0, or -1
 * with errno ETIMEDOUT (deadline), EPIPE (EOF first) or the read error.
 */
static int recv_all(int fd, void *buf, size_t n, int64_t deadline)
{
	uint8_t *p = buf;
	size_t off = 0;
	while (off < n) {
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		struct pollfd pf = {fd, POLLIN, 0};
		int k = poll(&pf, 1, (int)(left > INT_MAX ? INT_MAX : left));
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (k == 0)
			continue;
		ssize_t got = recv(fd, p + off, n - off, 0);
		if (got > 0) {
			off += (size_t)got;
		} else if (got == 0) {
			errno = EPIPE;
			return -1;
		} else if (errno != EINTR && errno != EAGAIN) {
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Child side                                                          */
/* ------------------------------------------------------------------ */

/* The child's whole state; one instance, in child_main's frame. */
struct child {
	int sock;
	pcap_t *p;
	pcap_dumper_t *d;
	uint64_t max_bytes;
	struct ready_msg ready;
	struct capture_stats st;
};

/*
 * An address literal without its "%scope" into `out` (for the filter),
 * its family in *family.  Returns 0, or -1 when it is no IPv4 / IPv6
 * literal: nothing but a checked literal ever reaches the filter text.
 */
static int literal(const char *a, char *out, size_t cap, int *family)
{
	char buf[CAPTURE_ADDR_TEXT_MAX];
	uint8_t bin[sizeof(struct in6_addr)];
	copy_str(buf, sizeof buf, a);
	char *pct = strchr(buf, '%');
	if (inet_pton(AF_INET, buf, bin) == 1) {
		*family = AF_INET;
	} else {
		if (pct)
			*pct = '\0';
		if (inet_pton(AF_INET6, buf, bin) != 1)
			return -1;
		*family = AF_INET6;
	}
	copy_str(out, cap, buf);
	return 0;
}

static int build_filter(const struct capture_opts *o, char *f, size_t cap, char *err,
			size_t errcap)
{
	size_t len = 0;
	int n;
#define FILTER_ADD(...)                                                          \
	do {                                                                     \
		n = snprintf(f + len, cap - len, __VA_ARGS__);                   \
		if (n < 0 || (size_t)n >= cap - len) {                           \
			snprintf(err, errcap, "filter: the expression is too long"); \
			return -1;                                               \
		}                                                                \
		len += (size_t)n;                                                \
	} while (0)

	if (o->naddrs < 1 || o->naddrs > CAPTURE_ADDR_MAX) {
		snprintf(err, errcap, "filter: %d target addresses (1 to %d)", o->naddrs,
			 CAPTURE_ADDR_MAX);
		return -1;
	}
	FILTER_ADD("((");
	for (int i = 0; i < o->naddrs; i++) {
		char a[CAPTURE_ADDR_TEXT_MAX];
		int fam;
		if (literal(o->addrs[i], a, sizeof a, &fam) < 0) {
			snprintf(err, errcap, "filter: '%.*s' is not an IPv4 or IPv6 address",
				 CAPTURE_ADDR_TEXT_MAX, o->addrs[i]);
			return -1;
		}
		FILTER_ADD("%shost %s", i ? " or " : "", a);
	}
	FILTER_ADD(")");
	if (o->port)
		/* Non-first fragments carry no port: keep them. */
		FILTER_ADD(" and (port %u or (ip and ip[6:2] & 0x1fff != 0)"
			   " or (ip6 and ip6[6] == 44))",
			   (unsigned)o->port);
	FILTER_ADD(") or port 53 or icmp or icmp6");
#undef FILTER_ADD
	return 0;
}

static int is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)(const void *)sa;
		return (ntohl(s->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)(const void *)sa;
		return IN6_IS_ADDR_LOOPBACK(&s->sin6_addr);
	}
	return 0;
}

static int same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	if (!a || !b || a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET)
		return !memcmp(&((const struct sockaddr_in *)(const void *)a)->sin_addr,
			       &((const struct sockaddr_in *)(const void *)b)->sin_addr,
			       sizeof(struct in_addr));
	if (a->sa_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr,
			       sizeof(struct in6_addr));
	return 0;
}

/*
 * The interface routing to `addr`: connect() on a UDP socket picks the
 * route and the source address without sending anything; the device that
 * holds that source address is the one.  Loopback, or an address of this
 * host: "lo"; a scoped IPv6 address: its scope's interface; no route or no
 * match: "any" (never an error: the probe will tell what is wrong).
 */
static void route_iface(const char *addr, char *iface, size_t cap)
{
	struct addrinfo hints = {0}, *ai = NULL;
	struct sockaddr_storage local;
	socklen_t llen = sizeof local;
	pcap_if_t *devs = NULL;
	char errbuf[PCAP_ERRBUF_SIZE];
	int s = -1;

	copy_str(iface, cap, "any");
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(addr, "9", &hints, &ai) != 0 || !ai)
		goto out;
	s = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    getsockname(s, (struct sockaddr *)&local, &llen) < 0)
		goto out;
	if (is_loopback(ai->ai_addr) || is_loopback((struct sockaddr *)&local)) {
		copy_str(iface, cap, "lo");
		goto out;
	}
	if (ai->ai_family == AF_INET6) {
		/* fe80::1%eth0: the scope names the interface. */
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)ai->ai_addr;
		char name[IF_NAMESIZE];
		if (s6->sin6_scope_id && if_indextoname(s6->sin6_scope_id, name)) {
			copy_str(iface, cap, name);
			goto out;
		}
	}
	if (pcap_findalldevs(&devs, errbuf) != 0)
		goto out;
	/* One of our own addresses: Linux sends that through lo. */
	for (pcap_if_t *d = devs; d; d = d->next)
		for (pcap_addr_t *pa = d->addresses; pa; pa = pa->next)
			if (same_addr(pa->addr, ai->ai_addr)) {
				copy_str(iface, cap, "lo");
				goto out;
			}
	for (pcap_if_t *d = devs; d; d = d->next)
		for (pcap_addr_t *pa = d->addresses; pa; pa = pa->next)
			if (same_addr(pa->addr, (struct sockaddr *)&local)) {
				copy_str(iface, cap, d->name);
				goto out;
			}
out:
	if (devs)
		pcap_freealldevs(devs);
	if (s >= 0)
		close(s);
	if (ai)
		freeaddrinfo(ai);
}

/* Creates the output file (rules in capture.h); returns the fd or -1. */
static int create_output(const char *want, char *path, size_t cap, char *err, size_t errcap)
{
	int fd;
	if (want[0]) {
		copy_str(path, cap, want);
		fd = open(want, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			if (errno == EEXIST)
				snprintf(err, errcap,
					 "%.300s exists: refusing to overwrite it (remove it or choose another --pcap)",
					 want);
			else
				snprintf(err, errcap, "cannot create %.300s: %s", want, strerror(errno));
			return -1;
		}
	} else {
		const char *dir = getenv("TMPDIR");
		if (!dir || !dir[0])
			dir = "/tmp";
		int n = snprintf(path, cap, "%s/rdprobe-XXXXXX.pcap", dir);
		if (n < 0 || (size_t)n >= cap) {
			snprintf(err, errcap, "cannot create a temporary file: TMPDIR is too long");
			path[0] = '\0';
			return -1;
		}
		fd = mkostemps(path, 5, O_CLOEXEC);
		if (fd < 0) {
			snprintf(err, errcap, "cannot create a temporary file in %.300s: %s", dir,
				 strerror(errno));
			path[0] = '\0';
			return -1;
		}
	}
	/* Exactly 0600 whatever the umask, before any byte is written. */
	if (fchmod(fd, 0600) < 0) {
		snprintf(err, errcap, "cannot set mode 0600 on %.300s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		path[0] = '\0';
		return -1;
	}
	return fd;
}

/* A decimal id from the environment, 0 when absent or not a positive id. */
static unsigned long env_id(const char *name)
{
	const char *v = getenv(name);
	char *end = NULL;
	if (!v || !*v || *v < '0' || *v > '9')
		return 0;
	errno = 0;
	unsigned long id = strtoul(v, &end, 10);
	if (errno || *end || id == 0 || id >= 0xFFFFFFFFUL || (unsigned long)(uid_t)id != id)
		return 0;
	return id;
}

/*
 * Drops every privilege for good (rules in capture.h).  `fd` is the
 * capture file, handed to the user who ran sudo when the child becomes
 * that user.  Returns 0, or -1 with a one-line reason.
 */
static int drop_privileges(int fd, char *err, size_t errcap)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0) {
		snprintf(err, errcap, "privilege drop: getresuid: %s", strerror(errno));
		return -1;
	}
	int rootish = ru == 0 || eu == 0 || su == 0;
	if (rootish) {
		uid_t tu = NOBODY_ID;
		gid_t tg = NOBODY_ID;
		int own = 0;
		unsigned long sudo_uid = env_id("SUDO_UID"), sudo_gid = env_id("SUDO_GID");
		if (ru != 0) {
			tu = ru;
			tg = rg;
			own = 1;
		} else if (sudo_uid && sudo_gid) {
			tu = (uid_t)sudo_uid;
			tg = (gid_t)sudo_gid;
			own = 1;
		} else {
			const struct passwd *pw = getpwnam("nobody");
			const struct group *gr = getgrnam("nogroup");
			if (pw) {
				tu = pw->pw_uid;
				tg = pw->pw_gid;
			}
			if (gr)
				tg = gr->gr_gid;
			if (tu == 0 || tg == 0)
				tu = tg = NOBODY_ID;
		}
		if (own && fd >= 0 && fchown(fd, tu, tg) < 0) {
			snprintf(err, errcap, "privilege drop: cannot hand the capture file to uid %u: %s",
				 (unsigned)tu, strerror(errno));
			return -1;
		}
		/* The bounding set needs CAP_SETPCAP: while still root. */
		capng_clear(CAPNG_SELECT_BOTH);
		if (capng_apply(CAPNG_SELECT_BOUNDS) < 0) {
			snprintf(err, errcap, "privilege drop: cannot clear the capability bounding set");
			return -1;
		}
		if (setgroups(0, NULL) < 0 || setresgid(tg, tg, tg) < 0 ||
		    setresuid(tu, tu, tu) < 0) {
			snprintf(err, errcap, "privilege drop: cannot become uid %u gid %u: %s",
				 (unsigned)tu, (unsigned)tg, strerror(errno));
			return -1;
		}
	} else {
		/* File capabilities: the bounding set only where allowed. */
		capng_clear(CAPNG_SELECT_BOTH);
		(void)capng_apply(CAPNG_SELECT_BOUNDS);
	}
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_apply(CAPNG_SELECT_CAPS) < 0) {
		snprintf(err, errcap, "privilege drop: cannot clear the capability sets");
		return -1;
	}
	/* Ambient capabilities need permitted ones: gone already; make sure. */
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errcap, "privilege drop: PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

	/* Check what the kernel says, not what we asked for. */
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    (rootish && (ru == 0 || eu == 0 || su == 0 || rg == 0 || eg == 0 || sg == 0))) {
		snprintf(err, errcap, "privilege drop: still uid 0 / gid 0 after setresuid");
		return -1;
	}
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_get_caps_process() < 0 || capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
		snprintf(err, errcap, "privilege drop: capabilities are left after clearing them");
		return -1;
	}
	return 0;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct child *c = (struct child *)(void *)user;
	if (c->st.cut != CAPTURE_CUT_NONE) {
		c->st.not_written++;
		return;
	}
	uint64_t rec = PCAP_RECORD_HEADER_BYTES + (uint64_t)h->caplen;
	if (c->st.file_bytes + rec > c->max_bytes) {
		c->st.cut = CAPTURE_CUT_BYTES;
		snprintf(c->st.note, sizeof c->st.note,
			 "stopped writing at %llu bytes (the file size cap)",
			 (unsigned long long)c->st.file_bytes);
		c->st.not_written++;
		return;
	}
	pcap_dump((u_char *)c->d, h, bytes);
	c->st.packets++;
	c->st.bytes += h->caplen;
	c->st.file_bytes += rec;
}

/* Sends the ready message (error or not); an error also ends the child. */
static void child_ready(struct child *c, enum capture_rc rc)
{
	c->ready.magic = MSG_MAGIC_READY;
	c->ready.rc = (int32_t)rc;
	(void)send_all(c->sock, &c->ready, sizeof c->ready);
	if (rc != CAPTURE_OK) {
		/* The file (if any) is the parent's to remove: it has the rights. */
		if (c->d)
			pcap_dump_close(c->d);
		if (c->p)
			pcap_close(c->p);
		_exit(1);
	}
}

static enum capture_rc activate(struct child *c, const char *iface)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	char *err = c->ready.err;
	size_t errcap = sizeof c->ready.err;

	c->p = pcap_create(iface, errbuf);
	if (!c->p) {
		snprintf(err, errcap, "pcap_create %s: %.200s", iface, errbuf);
		return CAPTURE_ERROR;
	}
	if (pcap_set_immediate_mode(c->p, 1) != 0 || pcap_set_snaplen(c->p, CAPTURE_SNAPLEN) != 0 ||
	    pcap_set_buffer_size(c->p, CAPTURE_BUFFER_BYTES) != 0 || pcap_set_promisc(c->p, 0) != 0 ||
	    pcap_set_timeout(c->p, CHILD_POLL_MS) != 0) {
		snprintf(err, errcap, "pcap settings on %s: %s", iface, pcap_geterr(c->p));
		return CAPTURE_ERROR;
	}
	int rc = pcap_activate(c->p);
	if (rc >= 0)
		return CAPTURE_OK; /* a warning (rc > 0) does not stop the capture */
	switch (rc) {
	case PCAP_ERROR_PERM_DENIED:
		snprintf(err, errcap, "no capture rights on %s (%s): " CAPTURE_RIGHTS_HINT, iface,
			 pcap_geterr(c->p));
		return CAPTURE_NO_RIGHTS;
	case PCAP_ERROR_NO_SUCH_DEVICE:
		snprintf(err, errcap, "no such interface: %s", iface);
		return CAPTURE_BAD_IFACE;
	case PCAP_ERROR_IFACE_NOT_UP:
		snprintf(err, errcap, "interface %s is down", iface);
		return CAPTURE_BAD_IFACE;
	default:
		snprintf(err, errcap, "cannot capture on %s: %s", iface, pcap_geterr(c->p));
		return CAPTURE_ERROR;
	}
}

static enum capture_rc child_setup(struct child *c, const struct capture_opts *o)
{
	char *err = c->ready.err;
	size_t errcap = sizeof c->ready.err;
	char filter[FILTER_MAX];
	struct bpf_program prog;

	if (build_filter(o, filter, sizeof filter, err, errcap) < 0)
		return CAPTURE_BAD_FILTER;
	if (o->iface[0])
		copy_str(c->ready.iface, sizeof c->ready.iface, o->iface);
	else
		route_iface(o->addrs[0], c->ready.iface, sizeof c->ready.iface);
	/* Before pcap: a wrong name is a wrong name, with rights or without. */
	if (strcmp(c->ready.iface, "any") != 0 && if_nametoindex(c->ready.iface) == 0) {
		snprintf(err, errcap, "no such interface: %s", c->ready.iface);
		return CAPTURE_BAD_IFACE;
	}
	enum capture_rc rc = activate(c, c->ready.iface);
	if (rc != CAPTURE_OK)
		return rc;
	if (pcap_compile(c->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errcap, "bad filter '%.200s': %.200s", filter, pcap_geterr(c->p));
		return CAPTURE_BAD_FILTER;
	}
	int set = pcap_setfilter(c->p, &prog);
	pcap_freecode(&prog);
	if (set != 0) {
		snprintf(err, errcap, "cannot set the filter on %s: %s", c->ready.iface,
			 pcap_geterr(c->p));
		return CAPTURE_ERROR;
	}
	char errbuf[PCAP_ERRBUF_SIZE];
	if (pcap_setnonblock(c->p, 1, errbuf) != 0) {
		snprintf(err, errcap, "pcap_setnonblock: %.200s", errbuf);
		return CAPTURE_ERROR;
	}

	int fd = create_output(o->path, c->ready.path, sizeof c->ready.path, err, errcap);
	if (fd < 0)
		return CAPTURE_BAD_FILE;
	c->ready.file_created = 1;
	FILE *f = fdopen(fd, "wb");
	if (!f) {
		snprintf(err, errcap, "cannot write %.300s: %.100s", c->ready.path, strerror(errno));
		close(fd);
		return CAPTURE_BAD_FILE;
	}
	c->d = pcap_dump_fopen(c->p, f);
	if (!c->d) {
		snprintf(err, errcap, "cannot write %.300s: %.100s", c->ready.path, pcap_geterr(c->p));
		fclose(f);
		return CAPTURE_BAD_FILE;
	}
	if (pcap_dump_flush(c->d) != 0) {
		snprintf(err, errcap, "cannot write %.300s: %.100s", c->ready.path, strerror(errno));
		return CAPTURE_BAD_FILE;
	}
	c->st.file_bytes = PCAP_FILE_HEADER_BYTES;
	if (drop_privileges(fd, err, errcap) < 0)
		return CAPTURE_ERROR;
	return CAPTURE_OK;
}

static void child_loop(struct child *c, int grace_ms, int max_ms)
{
	int64_t start = now_ms();
	int64_t limit = start + max_ms;
	int64_t stop_at = -1;      /* end of the grace period once asked */
	int sock_open = 1;
	struct pollfd pf[2];
	pf[0] = (struct pollfd){pcap_get_selectable_fd(c->p), POLLIN, 0};

	for (long round = 0; round < CHILD_ROUNDS_MAX; round++) {
		int64_t now = now_ms();
		if (stop_at < 0 && now >= limit) {
			if (c->st.cut == CAPTURE_CUT_NONE) {
				c->st.cut = CAPTURE_CUT_TIME;
				snprintf(c->st.note, sizeof c->st.note,
					 "stopped after %d ms (the capture time limit)", max_ms);
			}
			stop_at = now;
		}
		if (stop_at >= 0 && now >= stop_at)
			break;
		int64_t wait = CHILD_POLL_MS;
		if (stop_at >= 0 && stop_at - now < wait)
			wait = stop_at - now;
		pf[1] = (struct pollfd){sock_open ? c->sock : -1, POLLIN, 0};
		if (poll(pf, 2, (int)wait) < 0 && errno != EINTR)
			break;
		if (sock_open && (pf[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			char b;
			ssize_t k = recv(c->sock, &b, 1, MSG_DONTWAIT);
			if (k == 1 || k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
				if (k != 1 && c->st.cut == CAPTURE_CUT_NONE) {
					c->st.cut = CAPTURE_CUT_PARENT;
					snprintf(c->st.note, sizeof c->st.note,
						 "the control channel closed without a stop request");
				}
				if (stop_at < 0)
					stop_at = now_ms() + grace_ms;
				sock_open = 0; /* asked once: nothing more to read */
			}
		}
		if (c->st.cut == CAPTURE_CUT_PCAP)
			continue;
		uint64_t before = c->st.packets;
		int k = pcap_dispatch(c->p, CHILD_DISPATCH_MAX, on_packet, (u_char *)c);
		if (k < 0) {
			if (c->st.cut == CAPTURE_CUT_NONE || c->st.cut == CAPTURE_CUT_PARENT) {
				c->st.cut = CAPTURE_CUT_PCAP;
				snprintf(c->st.note, sizeof c->st.note, "capture failed: %.200s",
					 pcap_geterr(c->p));
			}
			if (stop_at < 0)
				stop_at = now_ms();
			continue;
		}
		if (c->st.packets != before && c->st.cut != CAPTURE_CUT_WRITE &&
		    pcap_dump_flush(c->d) != 0) {
			c->st.write_errno = errno;
			c->st.cut = CAPTURE_CUT_WRITE;
			snprintf(c->st.note, sizeof c->st.note, "writing the capture file failed: %s",
				 strerror(errno));
		}
	}
	c->st.duration_ms = (int32_t)(now_ms() - start);
}

static void child_main(const struct capture_opts *o, int sock)
{
	struct child c;
	memset(&c, 0, sizeof c);
	c.sock = sock;
	c.max_bytes = o->max_bytes ? o->max_bytes : CAPTURE_DEFAULT_MAX_BYTES;
	int grace = o->grace_ms < 0 ? 0 : o->grace_ms;
	if (grace > CAPTURE_GRACE_MAX_MS)
		grace = CAPTURE_GRACE_MAX_MS;
	int max_ms = o->max_ms > 0 ? o->max_ms : CAPTURE_DEFAULT_MAX_MS;
	if (max_ms > CAPTURE_MAX_MS_LIMIT)
		max_ms = CAPTURE_MAX_MS_LIMIT;

	/* Ctrl-C reaches the whole process group: the parent decides when to stop. */
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);

	child_ready(&c, child_setup(&c, o));
	child_loop(&c, grace, max_ms);

	struct pcap_stat ps;
	if (pcap_stats(c.p, &ps) == 0) {
		c.st.have_pcap_stats = 1;
		c.st.ps_recv = ps.ps_recv;
		c.st.ps_drop = ps.ps_drop;
		c.st.ps_ifdrop = ps.ps_ifdrop;
	}
	FILE *f = pcap_dump_file(c.d);
	if ((fflush(f) != 0 || ferror(f)) && c.st.cut != CAPTURE_CUT_WRITE) {
		c.st.write_errno = errno;
		c.st.cut = CAPTURE_CUT_WRITE;
		snprintf(c.st.note, sizeof c.st.note, "writing the capture file failed: %s",
			 strerror(errno));
	}
	pcap_dump_close(c.d);
	pcap_close(c.p);

	struct stats_msg m;
	memset(&m, 0, sizeof m);
	m.magic = MSG_MAGIC_STATS;
	m.st = c.st;
	_exit(send_all(sock, &m, sizeof m) == 0 ? 0 : 2);
}

/* ------------------------------------------------------------------ */
/* Parent side                                                         */
/* ------------------------------------------------------------------ */

/* Reaps `pid`, waiting up to REAP_WAIT_MS before SIGKILL.  Returns the status. */
static int reap(pid_t pid, int kill_first)
{
	int status = 0;
	if (kill_first)
		kill(pid, SIGKILL);
	int64_t end = now_ms() + REAP_WAIT_MS;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			return status;
		if (now_ms() >= end)
			break;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

static void describe_exit(int status, char *buf, size_t cap)
{
	if (WIFSIGNALED(status))
		snprintf(buf, cap, "signal %d", WTERMSIG(status));
	else if (WIFEXITED(status))
		snprintf(buf, cap, "exit status %d", WEXITSTATUS(status));
	else
		snprintf(buf, cap, "status %d", status);
}

enum capture_rc capture_start(const struct capture_opts *o, struct capture **out, char *err,
			      size_t errcap)
{
	int sv[2];
	struct ready_msg m;
	struct capture *c = NULL;
	enum capture_rc rc = CAPTURE_ERROR;

	*out = NULL;
	if (errcap)
		err[0] = '\0';
	c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errcap, "capture: out of memory");
		return CAPTURE_ERROR;
	}
	c->fd = -1;
	c->grace_ms = o->grace_ms < 0 ? 0
		      : o->grace_ms > CAPTURE_GRACE_MAX_MS ? CAPTURE_GRACE_MAX_MS
							    : o->grace_ms;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(err, errcap, "capture: socketpair: %s", strerror(errno));
		goto fail;
	}
	fflush(NULL); /* nothing buffered may be written twice */
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errcap, "capture: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		goto fail;
	}
	if (pid == 0) {
		if (o->child_init)
			o->child_init();
		close(sv[0]);
		child_main(o, sv[1]);
		_exit(3); /* not reached */
	}
	close(sv[1]);
	c->pid = pid;
	c->fd = sv[0];

	memset(&m, 0, sizeof m);
	int r = recv_all(c->fd, &m, sizeof m, now_ms() + CAPTURE_READY_MS);
	if (r < 0 || m.magic != MSG_MAGIC_READY) {
		int timed_out = r < 0 && errno == ETIMEDOUT;
		char how[48];
		describe_exit(reap(c->pid, timed_out), how, sizeof how);
		c->pid = 0;
		if (timed_out)
			snprintf(err, errcap, "capture: not ready within %d ms (killed)",
				 CAPTURE_READY_MS);
		else
			snprintf(err, errcap, "capture: the capture process ended (%s) before it was ready",
				 how);
		goto fail;
	}
	m.iface[sizeof m.iface - 1] = '\0';
	m.path[sizeof m.path - 1] = '\0';
	m.err[sizeof m.err - 1] = '\0';
	if (m.rc != CAPTURE_OK) {
		reap(c->pid, 0);
		c->pid = 0;
		if (m.file_created && m.path[0])
			unlink(m.path);
		rc = (unsigned)m.rc < CAPTURE_RC_COUNT ? (enum capture_rc)m.rc : CAPTURE_ERROR;
		snprintf(err, errcap, "%s", m.err[0] ? m.err : "capture: failed");
		goto fail;
	}
	copy_str(c->iface, sizeof c->iface, m.iface);
	copy_str(c->path, sizeof c->path, m.path);
	*out = c;
	return CAPTURE_OK;
fail:
	capture_free(c);
	return rc;
}

enum capture_rc capture_stop(struct capture *c, struct capture_stats *st, char *err,
			     size_t errcap)
{
	struct stats_msg m;
	memset(st, 0, sizeof *st);
	if (errcap)
		err[0] = '\0';
	if (!c || c->stopped || c->pid <= 0) {
		snprintf(err, errcap, "capture: not running");
		return CAPTURE_ERROR;
	}
	c->stopped = 1;
	(void)send_all(c->fd, "s", 1); /* a dead child shows below */
	memset(&m, 0, sizeof m);
	int r = recv_all(c->fd, &m, sizeof m, now_ms() + c->grace_ms + CAPTURE_STOP_MARGIN_MS);
	int timed_out = r < 0 && errno == ETIMEDOUT;
	int got = r == 0 && m.magic == MSG_MAGIC_STATS;
	int status = reap(c->pid, timed_out);
	c->pid = 0;
	close(c->fd);
	c->fd = -1;
	if (!got) {
		char how[48];
		describe_exit(status, how, sizeof how);
		if (timed_out)
			snprintf(err, errcap,
				 "capture: no statistics within %d ms (killed); %.300s holds what was flushed",
				 c->grace_ms + CAPTURE_STOP_MARGIN_MS, c->path);
		else
			snprintf(err, errcap,
				 "capture: the capture process ended (%s) without statistics; %.300s holds what was flushed",
				 how, c->path);
		return CAPTURE_ERROR;
	}
	*st = m.st;
	st->note[sizeof st->note - 1] = '\0';
	return CAPTURE_OK;
}

const char *capture_path(const struct capture *c)
{
	return c ? c->path : "";
}

const char *capture_iface(const struct capture *c)
{
	return c ? c->iface : "";
}

pid_t capture_pid(const struct capture *c)
{
	return c ? c->pid : 0;
}

void capture_free(struct capture *c)
{
	if (!c)
		return;
	if (c->pid > 0)
		reap(c->pid, 1);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

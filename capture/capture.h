/*
 * capture.h - libpcap live capture alongside a probe (DESIGN.md section 5),
 * for `rdprobe diagnose`.
 *
 * The capture runs in a child process of its own, so that the caller's
 * loop (the probe runner polling its variants' pipes) stays as it is:
 *
 *   parent                               capture child
 *   capture_start() ---- fork ---------> pick the interface, pcap_create,
 *                                        immediate mode, snaplen 262144,
 *                                        pcap_activate, filter, create the
 *                                        file (0600), drop privileges
 *        <------ ready (or an error) --- (one AF_UNIX socketpair)
 *   ... run the probe ...                poll(pcap fd, socket),
 *                                        pcap_dispatch, pcap_dump, flush
 *   capture_stop()  ---- stop byte ----> capture grace_ms more, pcap_stats,
 *                                        flush, close the file
 *        <------ struct capture_stats -- then _exit
 *   reap (SIGKILL after a bounded wait)
 *
 * Every wait is bounded: capture_start waits at most CAPTURE_READY_MS for
 * the child, capture_stop at most grace_ms + CAPTURE_STOP_MARGIN_MS, the
 * child itself stops on its own after max_ms and writes at most max_bytes
 * (then it goes on counting what it could not write: stats.cut).  The
 * child also stops (after the grace period) when its socket reaches EOF,
 * that is when the parent died (CAPTURE_CUT_PARENT).  The parent's end is
 * SOCK_CLOEXEC; children forked later without exec (the probe's variants)
 * hold a copy, so that EOF comes once they are gone too: they are bounded.
 * capture_stop itself sends a byte and does not depend on EOF.
 *
 * Output file (decided here, one rule for both cases):
 *  - `path` given (--pcap OUT): created with O_CREAT|O_EXCL|O_NOFOLLOW,
 *    mode 0600.  An existing OUT (file, symlink, anything) is refused with
 *    CAPTURE_BAD_FILE: rdprobe may run as root and never truncates or
 *    follows something it did not create.
 *  - `path` empty: a new file $TMPDIR/rdprobe-XXXXXX.pcap (mkostemps,
 *    /tmp without TMPDIR), mode 0600.  The caller removes it once it is
 *    no longer wanted (unlink(capture_path(c))) and keeps it, printing the
 *    path, when the diagnosis failed.
 *  Both are fchmod'ed to exactly 0600 (whatever the umask) before any
 *  packet is written, and, when the child becomes the user who ran sudo,
 *  fchown'ed to that user so that the capture is theirs.
 *
 * Interface: opts.iface, else the one routing to addrs[0]: the source
 * address of a connected (never sent on) UDP socket, matched against
 * pcap_findalldevs; a loopback target or one of this host's own addresses
 * gives "lo" (Linux routes those through lo), a scoped IPv6 address
 * (fe80::1%eth0) its scope's interface; no match gives "any" (Linux
 * cooked capture, which the analyzer reads).  Only the chosen interface is
 * captured: DNS queries to a local stub resolver (127.0.0.53) travel on lo
 * and are not seen when the target is elsewhere; the caller may pass
 * iface "any" to see both.
 *
 * Filter: "host A or host B ... or port 53 or icmp or icmp6" (every
 * ICMPv4 / ICMPv6 message, so the errors routers send about our packets,
 * which are not from or to the target, are kept).  With opts.port set the
 * target part becomes "(host A or ...) and (port P or a non-first IP
 * fragment)": the probe only talks to that port, and a busy other session
 * with the same host (ssh, file shares) stays out of the file.
 *
 * Privileges: the child needs CAP_NET_RAW (root, or the file capability
 * `setcap cap_net_raw,cap_net_admin+ep rdprobe`) only for pcap_activate.
 * Right after the file is open it drops them for good:
 *  - some uid is 0 (root, sudo, set-uid): clears the capability bounding
 *    set (libcap-ng), then setgroups(0), setresgid, setresuid to the real
 *    uid/gid when not 0, else SUDO_UID/SUDO_GID, else nobody/nogroup;
 *  - otherwise (file or ambient capabilities): clears the effective,
 *    permitted, inheritable and ambient sets (libcap-ng), and the bounding
 *    set where that is allowed (it needs CAP_SETPCAP, which a setcap'ed
 *    binary lacks: it stays, harmless under no_new_privs);
 *  - then PR_SET_NO_NEW_PRIVS and PR_SET_DUMPABLE 0, and checks: no uid 0
 *    in getresuid (root case), no capability left (capng_have_capabilities
 *    on the process's own sets); a failed check is an error (the child
 *    exits rather than capture with rights it should not have).
 * The parent keeps its own privileges (the probe may need them).
 *
 * The child is a fork of the caller: it holds a copy of the caller's
 * memory.  Start the capture before loading secrets (the NLA password),
 * or know that the copy lives, non-dumpable, until capture_stop.
 * The caller must not reap children with waitpid(-1) / wait(): the
 * capture child is reaped by capture_stop / capture_free only.
 *
 * POSIX + Linux (prctl, libcap-ng): part of the CLI, never of the analyzer
 * library.
 */
#ifndef RDPROBE_CAPTURE_H
#define RDPROBE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CAPTURE_IFACE_MAX 64
#define CAPTURE_PATH_MAX 4096
#define CAPTURE_ADDR_MAX 8         /* target addresses in the filter */
#define CAPTURE_ADDR_TEXT_MAX 48   /* INET6_ADDRSTRLEN + "%scope" */
#define CAPTURE_ERR_MAX 512        /* one-line messages */

#define CAPTURE_SNAPLEN 262144
#define CAPTURE_BUFFER_BYTES (8 * 1024 * 1024)  /* kernel ring */
#define CAPTURE_READY_MS 3000      /* capture_start's wait for the child */
#define CAPTURE_STOP_MARGIN_MS 3000 /* capture_stop's wait beyond grace_ms */
#define CAPTURE_DEFAULT_GRACE_MS 1000
#define CAPTURE_GRACE_MAX_MS 10000
#define CAPTURE_DEFAULT_MAX_BYTES (1024ULL * 1024 * 1024)  /* 1 GiB */
#define CAPTURE_DEFAULT_MAX_MS (15 * 60 * 1000)
#define CAPTURE_MAX_MS_LIMIT (24 * 60 * 60 * 1000)

/* The hint printed with every "no capture rights" message. */
#define CAPTURE_RIGHTS_HINT \
	"run as root or grant CAP_NET_RAW: setcap cap_net_raw,cap_net_admin+ep rdprobe"

enum capture_rc {
	CAPTURE_OK = 0,
	CAPTURE_NO_RIGHTS,     /* no CAP_NET_RAW: go on probe-only, say so */
	CAPTURE_BAD_IFACE,     /* no such interface / down / not capturable */
	CAPTURE_BAD_FILE,      /* OUT exists, cannot be created or written */
	CAPTURE_BAD_FILTER,    /* an address is no IP literal, or BPF compile failed */
	CAPTURE_ERROR,         /* ours: fork, pipe, pcap, privilege drop, child died */
	CAPTURE_RC_COUNT
};

/* "OK", "NO_RIGHTS", ... */
const char *capture_rc_name(enum capture_rc rc);

struct capture_opts {
	char iface[CAPTURE_IFACE_MAX];     /* "" = the interface routing to addrs[0] */
	char path[CAPTURE_PATH_MAX];       /* "" = a temporary file */
	int naddrs;                        /* 1..CAPTURE_ADDR_MAX */
	char addrs[CAPTURE_ADDR_MAX][CAPTURE_ADDR_TEXT_MAX]; /* IPv4 / IPv6 literals */
	uint16_t port;                     /* 0 = all traffic with the addresses */
	int grace_ms;                      /* captured after capture_stop; 0..GRACE_MAX */
	uint64_t max_bytes;                /* file size cap; 0 = default */
	int max_ms;                        /* the child's own time limit; 0 = default */
	/*
	 * Called in the capture child first thing after the fork (NULL: none):
	 * the caller wipes there what the child must not keep (the NLA
	 * password: diagnose reads it before the capture starts).
	 */
	void (*child_init)(void);
};

/* Defaults: everything empty, grace CAPTURE_DEFAULT_GRACE_MS, the caps. */
void capture_opts_init(struct capture_opts *o);

/* Why the child stopped writing before it was asked to stop. */
enum capture_cut {
	CAPTURE_CUT_NONE = 0,
	CAPTURE_CUT_BYTES,     /* max_bytes reached */
	CAPTURE_CUT_TIME,      /* max_ms reached */
	CAPTURE_CUT_WRITE,     /* writing the file failed (disk full...): write_errno */
	CAPTURE_CUT_PARENT,    /* the socket closed without a stop: the parent is gone */
	CAPTURE_CUT_PCAP,      /* pcap_dispatch failed (interface gone) */
	CAPTURE_CUT_COUNT
};
const char *capture_cut_name(enum capture_cut cut);

/* Plain bytes: crosses the socketpair. */
struct capture_stats {
	uint64_t packets;          /* written to the file */
	uint64_t bytes;            /* captured bytes of those (sum of caplen) */
	uint64_t file_bytes;       /* the file's size: header + records */
	uint64_t not_written;      /* packets seen after the cut, not in the file */
	int have_pcap_stats;       /* pcap_stats succeeded */
	uint32_t ps_recv;          /* pcap_stats: passed the kernel filter (on lo
	                              both copies of a packet: about 2 x packets) */
	uint32_t ps_drop;          /* dropped: buffer full */
	uint32_t ps_ifdrop;        /* dropped by the interface / driver */
	enum capture_cut cut;
	int write_errno;
	int32_t duration_ms;       /* ready to the end of the grace period */
	char note[CAPTURE_ERR_MAX]; /* "" or one line: why cut, pcap's error */
};

struct capture;

/*
 * Starts the capture child and returns once it reports ready (the filter
 * set, the file open and privileges dropped: packets from now on are in
 * the file) or an error, at most CAPTURE_READY_MS later.  On CAPTURE_OK
 * *out is the handle for capture_stop / capture_free; otherwise *out is
 * NULL, err holds one line (CAPTURE_NO_RIGHTS: with CAPTURE_RIGHTS_HINT)
 * and no child is left.  A file the child created before failing is
 * removed.
 */
enum capture_rc capture_start(const struct capture_opts *o, struct capture **out, char *err,
			      size_t errcap);

/*
 * Asks the child to stop, waits while it captures grace_ms more, then for
 * its statistics, and reaps it (SIGKILL when it has not finished within
 * grace_ms + CAPTURE_STOP_MARGIN_MS).  Fills *st (zeroed when none came)
 * and returns CAPTURE_OK, or CAPTURE_ERROR with one line in err (child
 * killed or died without statistics: the file holds what was flushed).
 * Once only; the handle stays valid for capture_path until capture_free.
 */
enum capture_rc capture_stop(struct capture *c, struct capture_stats *st, char *err,
			     size_t errcap);

/* The capture file's path, the interface, the child's pid (0 once reaped). */
const char *capture_path(const struct capture *c);
const char *capture_iface(const struct capture *c);
pid_t capture_pid(const struct capture *c);

/*
 * Releases the handle; a child still running (no capture_stop) is killed
 * and reaped.  Never removes the file.  NULL is fine.
 */
void capture_free(struct capture *c);

#endif

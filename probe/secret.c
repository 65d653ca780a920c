/*
 * secret.c - the password for NLA: from --password-file, the
 * RDPROBE_PASSWORD variable, or a prompt on the terminal; never from argv.
 *
 * It lives in one locked buffer (no swap), the process is made
 * non-dumpable (no core file, no ptrace by other users) once it holds it,
 * the variable's bytes in the environment block are overwritten (so
 * /proc/PID/environ no longer shows it), and the buffer is wiped by
 * probe_password_wipe().  Nothing here ever prints it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include "probe.h"

#define PROBE_ENV_PASSWORD "RDPROBE_PASSWORD"

static char store[PROBE_PASSWORD_MAX];
static int locked;

static void harden(void)
{
	struct rlimit no_core = {0, 0};
	setrlimit(RLIMIT_CORE, &no_core);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (!locked && mlock(store, sizeof store) == 0)
		locked = 1;
}

/* Drops a trailing "\n" or "\r\n"; the first line only. */
static size_t first_line(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\n' || s[i] == '\r') {
			explicit_bzero(s + i, n - i);
			return i;
		}
	return n;
}

/*
 * Reads fd into the store up to a newline (or its end), bounded in bytes
 * and in reads, then keeps the first line, NUL-terminated.  -1 when that
 * line does not fit (the store is wiped); the caller words the error.
 */
static int read_first_line(int fd)
{
	size_t n = 0;
	/* Up to the whole store: a full store means "too long" (no room for NUL). */
	for (int i = 0; i < 64 && n < sizeof store; i++) {
		ssize_t k = read(fd, store + n, sizeof store - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
		if (store[n - 1] == '\n')
			break;
	}
	n = first_line(store, n);
	if (n >= sizeof store) {
		probe_password_wipe();
		return -1;
	}
	store[n] = '\0';
	return 0;
}

static int from_file(const char *path, char *err, size_t errcap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errcap, "cannot open --password-file %.200s: %s", path, strerror(errno));
		return -1;
	}
	int rc = read_first_line(fd);
	close(fd);
	if (rc < 0)
		snprintf(err, errcap, "--password-file %.200s: first line longer than %d bytes", path,
			 PROBE_PASSWORD_MAX - 1);
	return rc;
}

static int from_env(char *err, size_t errcap)
{
	char *v = getenv(PROBE_ENV_PASSWORD);
	size_t n = strlen(v);
	if (n >= sizeof store) {
		snprintf(err, errcap, "%s longer than %d bytes", PROBE_ENV_PASSWORD,
			 PROBE_PASSWORD_MAX - 1);
		return -1;
	}
	memcpy(store, v, n + 1);
	explicit_bzero(v, n); /* the original bytes in the environment block */
	unsetenv(PROBE_ENV_PASSWORD);
	return 0;
}

static int from_tty(const char *prompt, char *err, size_t errcap)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	struct termios old, quiet;
	if (fd < 0 || tcgetattr(fd, &old) < 0) {
		if (fd >= 0)
			close(fd);
		snprintf(err, errcap, "--user needs a password: --password-file FILE, %s, or a "
			 "terminal to ask on", PROBE_ENV_PASSWORD);
		return -1;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (write(fd, prompt, strlen(prompt)) < 0 || tcsetattr(fd, TCSAFLUSH, &quiet) < 0) {
		close(fd);
		snprintf(err, errcap, "cannot prompt on the terminal: %s", strerror(errno));
		return -1;
	}
	int rc = read_first_line(fd);
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
		/* the newline after the hidden input is cosmetic */
	}
	close(fd);
	if (rc < 0)
		snprintf(err, errcap, "password longer than %d bytes", PROBE_PASSWORD_MAX - 1);
	return rc;
}

const char *probe_password_load(const char *file, const char *prompt, char *err, size_t errcap)
{
	int rc;
	harden();
	if (file)
		rc = from_file(file, err, errcap);
	else if (getenv(PROBE_ENV_PASSWORD))
		rc = from_env(err, errcap);
	else
		rc = from_tty(prompt, err, errcap);
	if (rc < 0) {
		probe_password_wipe();
		return NULL;
	}
	return store;
}

void probe_password_wipe(void)
{
	explicit_bzero(store, sizeof store);
}

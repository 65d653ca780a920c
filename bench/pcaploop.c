/*
 * pcaploop - the speed limit of any libpcap-based reader: open a capture,
 * pcap_next_ex() every record, touch it, nothing else.
 *
 *   pcaploop [-c COUNT] FILE
 *
 * Prints one line:
 *   frames=N bytes=B offset=O seconds=S MB/s=M pkts/s=P maxrss_kib=R check=X
 * bytes sums the captured lengths; offset is the position in the file after
 * the last record read (the file size when the whole file was read; with
 * -c, the bytes the first COUNT records take, headers included); MB/s is
 * offset / seconds in units of 10^6 bytes; seconds covers open, loop and
 * close; maxrss_kib is getrusage's peak resident set size.  check (the XOR
 * of the first and last byte of every frame) only keeps the compiler from
 * dropping the loop.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum exit_code { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long long limit = 0, frames = 0, bytes = 0;
	long long offset = -1;
	unsigned check = 0;
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *h;
	const u_char *data;
	int c, r, rc = EXIT_FAIL;

	while ((c = getopt(argc, argv, "c:h")) != -1) {
		char *end;
		switch (c) {
		case 'c':
			errno = 0;
			limit = strtoull(optarg, &end, 10);
			if (!*optarg || *end || errno || *optarg == '-')
				goto usage;
			break;
		case 'h':
			puts("usage: pcaploop [-c COUNT] FILE");
			return EXIT_OK;
		default:
			goto usage;
		}
	}
	if (argc - optind != 1)
		goto usage;

	double t0 = now_s();
	pcap_t *pc = pcap_open_offline(argv[optind], ebuf);
	if (!pc) {
		fprintf(stderr, "pcaploop: %s: %s\n", argv[optind], ebuf);
		return EXIT_FAIL;
	}
	r = 1;
	while (!limit || frames < limit) {
		r = pcap_next_ex(pc, &h, &data);
		if (r != 1)
			break; /* PCAP_ERROR_BREAK: the end of the file */
		frames++;
		bytes += h->caplen;
		if (h->caplen)
			check ^= data[0] ^ data[h->caplen - 1];
	}
	if (r == PCAP_ERROR) {
		fprintf(stderr, "pcaploop: %s: %s\n", argv[optind], pcap_geterr(pc));
		goto out;
	}
	/* libpcap reads records with fread on this stream: its position is exact. */
	offset = (long long)ftello(pcap_file(pc));
	rc = EXIT_OK;
out:
	pcap_close(pc);
	double secs = now_s() - t0;
	if (rc == EXIT_OK) {
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		printf("frames=%llu bytes=%llu offset=%lld seconds=%.3f MB/s=%.1f pkts/s=%.0f "
		       "maxrss_kib=%ld check=%02x\n",
		       frames, bytes, offset, secs, secs > 0 ? (double)offset / secs / 1e6 : 0.0,
		       secs > 0 ? (double)frames / secs : 0.0, ru.ru_maxrss, check);
	}
	return rc;
usage:
	fputs("usage: pcaploop [-c COUNT] FILE\n", stderr);
	return EXIT_USAGE;
}

// SPDX-License-Identifier: MIT
/*
 * Guest-side block benchmark (static aarch64, no libaio): QD threads each doing
 * synchronous O_DIRECT pread/pwrite of BS bytes, random or sequential, for SECS
 * seconds. Prints "@bench ops=N bytes=B ms=T iops=I mbps=M".
 *
 *   blkbench DEV randread|randwrite|seqread|seqwrite BS QD SECS
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static const char *dev;
static int rnd, wr;
static uint64_t bs, devsize, nthreads;
static double secs;
static volatile int stop;

struct worker {
	pthread_t t;
	unsigned idx;
	uint64_t ops;
	int err;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	uint64_t blocks = devsize / bs, region = blocks / nthreads, pos = 0, seed = 0x9e3779b97f4a7c15ULL * (w->idx + 1);
	void *buf;
	int fd = open(dev, (wr ? O_RDWR : O_RDONLY) | O_DIRECT);

	if (fd < 0 || posix_memalign(&buf, 4096, bs)) {
		w->err = errno ? errno : ENOMEM;
		return NULL;
	}
	memset(buf, 0x5a, bs);
	while (!stop) {
		uint64_t blk;
		ssize_t n;

		if (rnd) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			blk = seed % blocks;
		} else {
			blk = w->idx * region + (pos++ % (region ? region : 1));
		}
		n = wr ? pwrite(fd, buf, bs, (off_t)(blk * bs)) : pread(fd, buf, bs, (off_t)(blk * bs));
		if (n != (ssize_t)bs) {
			w->err = n < 0 ? errno : EIO;
			break;
		}
		w->ops++;
	}
	close(fd);
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	struct worker *ws;
	uint64_t ops = 0;
	double t0, t1;
	int fd;

	if (argc != 6) {
		fprintf(stderr, "usage: blkbench DEV randread|randwrite|seqread|seqwrite BS QD SECS\n");
		return 2;
	}
	dev = argv[1];
	rnd = !strncmp(argv[2], "rand", 4);
	wr = strstr(argv[2], "write") != NULL;
	bs = strtoull(argv[3], NULL, 0);
	nthreads = strtoull(argv[4], NULL, 0);
	secs = strtod(argv[5], NULL);
	fd = open(dev, O_RDONLY);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &devsize) < 0 || !bs || !nthreads || devsize < bs * nthreads) {
		perror(dev);
		return 1;
	}
	close(fd);
	ws = calloc(nthreads, sizeof(*ws));
	t0 = now();
	for (unsigned i = 0; i < nthreads; i++) {
		ws[i].idx = i;
		pthread_create(&ws[i].t, NULL, run, &ws[i]);
	}
	usleep((useconds_t)(secs * 1e6));
	stop = 1;
	for (unsigned i = 0; i < nthreads; i++) {
		pthread_join(ws[i].t, NULL);
		if (ws[i].err) {
			fprintf(stderr, "blkbench: %s\n", strerror(ws[i].err));
			return 1;
		}
		ops += ws[i].ops;
	}
	t1 = now();
	printf("@bench ops=%llu bytes=%llu ms=%.0f iops=%.1f mbps=%.2f\n", (unsigned long long)ops,
	       (unsigned long long)(ops * bs), (t1 - t0) * 1e3, (double)ops / (t1 - t0),
	       (double)(ops * bs) / (t1 - t0) / 1e6);
	return 0;
}

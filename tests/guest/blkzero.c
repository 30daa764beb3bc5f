// SPDX-License-Identifier: MIT
/*
 * Guest-side zeroing of a block-device range, the two ways Linux turns into a
 * virtio-blk WRITE_ZEROES (static aarch64):
 *
 *   blkzero ioctl DEV OFF LEN      BLKZEROOUT: WRITE_ZEROES with the UNMAP flag
 *   blkzero fallocate DEV OFF LEN  FALLOC_FL_ZERO_RANGE: WRITE_ZEROES without it
 *
 * Prints "@zero ok" or "@zero error <errno text>" and exits 0 / 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	uint64_t range[2];
	int fd, ret;

	if (argc != 5 || (strcmp(argv[1], "ioctl") && strcmp(argv[1], "fallocate"))) {
		fprintf(stderr, "usage: blkzero ioctl|fallocate DEV OFF LEN\n");
		return 2;
	}
	range[0] = strtoull(argv[3], NULL, 0);
	range[1] = strtoull(argv[4], NULL, 0);
	fd = open(argv[2], O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("@zero error open: %s\n", strerror(errno));
		return 1;
	}
	if (!strcmp(argv[1], "ioctl"))
		ret = ioctl(fd, BLKZEROOUT, range);
	else
		ret = fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)range[0], (off_t)range[1]);
	if (ret < 0) {
		printf("@zero error %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);
	printf("@zero ok\n");
	return 0;
}

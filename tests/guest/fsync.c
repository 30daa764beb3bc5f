// SPDX-License-Identifier: MIT
/* fsync FILE...: open each file (or directory) and fsync(2) it; exit 1 on the first failure.
 * The guest's busybox has no fsync applet. Static aarch64, built by tests/integration/run.py. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);

		if (fd < 0 || fsync(fd) < 0) {
			perror(argv[i]);
			return 1;
		}
		close(fd);
	}
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * gmmio: MMIO accesses the L2 test guest cannot make with busybox devmem.
 *
 *   gmmio ldp ADDR    one `ldp x0, x1, [ADDR]` (a load pair: no valid syndrome
 *                     for the hypervisor, KVM_EXIT_ARM_NISV on an emulated region)
 *   gmmio stp ADDR    one `stp x0, x1, [ADDR]` storing zeros
 *
 * ADDR is a physical address (16-byte aligned), mapped through /dev/mem (the
 * guest kernel needs iomem=relaxed for a range a driver owns). Prints
 * "gmmio: <op> 0x<addr> done" when the access completed; a VMM that injects an
 * external abort makes the kernel end this process with SIGBUS instead.
 * Exit status 2 on bad usage, 3 when /dev/mem cannot be mapped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	uint64_t addr, page, a = 0, b = 0;
	volatile uint8_t *map;
	char *end;
	int fd;

	if (argc != 3 || (strcmp(argv[1], "ldp") && strcmp(argv[1], "stp"))) {
		fprintf(stderr, "usage: gmmio ldp|stp ADDR\n");
		return 2;
	}
	addr = strtoull(argv[2], &end, 0);
	if (*end || (addr & 15)) {
		fprintf(stderr, "gmmio: bad address '%s' (16-byte aligned)\n", argv[2]);
		return 2;
	}
	page = addr & ~(uint64_t)4095;
	fd = open("/dev/mem", O_RDWR | O_SYNC);
	if (fd < 0) {
		fprintf(stderr, "gmmio: /dev/mem: %s\n", strerror(errno));
		return 3;
	}
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)page);
	if (map == MAP_FAILED) {
		fprintf(stderr, "gmmio: mmap 0x%llx: %s\n", (unsigned long long)page, strerror(errno));
		return 3;
	}
	printf("gmmio: %s 0x%llx start\n", argv[1], (unsigned long long)addr);
	fflush(stdout);
#if defined(__aarch64__)
	if (!strcmp(argv[1], "ldp"))
		__asm__ volatile("ldp %0, %1, [%2]" : "=&r"(a), "=&r"(b) : "r"(map + (addr - page)) : "memory");
	else
		__asm__ volatile("stp %0, %1, [%2]" : : "r"(a), "r"(b), "r"(map + (addr - page)) : "memory");
#else
#error "gmmio is an aarch64 guest helper"
#endif
	printf("gmmio: %s 0x%llx done (0x%llx 0x%llx)\n", argv[1], (unsigned long long)addr,
	       (unsigned long long)a, (unsigned long long)b);
	return 0;
}

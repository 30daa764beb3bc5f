/* SPDX-License-Identifier: MIT */
/*
 * Where the boot payload goes in guest RAM. Kernel at the bottom (2 MiB aligned
 * base + text_offset); at the top, from high to low: the device tree (its own
 * 2 MiB block), the firmware hand-over blob (ACPI tables, EFI system table and
 * memory map), then the initrd.
 */
#ifndef VMM_BOOT_PLAN_H
#define VMM_BOOT_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/core/compiler.h"

#define BOOT_FDT_MAX_SIZE SZ_2M

struct boot_plan {
	uint64_t kernel_gpa, kernel_end; /* [kernel_gpa, kernel_end) incl. bss */
	uint64_t initrd_gpa;             /* 0 if no initrd */
	uint64_t initrd_size;
	uint64_t blob_gpa;               /* 0 if no blob */
	uint64_t blob_size;              /* reserved size, 64 KiB multiple */
	uint64_t fdt_gpa;
};

int boot_plan_compute(uint64_t ram_base, uint64_t ram_size, uint64_t text_offset, uint64_t image_size,
		      uint64_t initrd_size, uint64_t blob_size, struct boot_plan *out,
		      char *errbuf, size_t errlen) __must_check;

#endif

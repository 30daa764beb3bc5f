// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>

#include "vmm/arm64/boot_plan.h"

int boot_plan_compute(uint64_t ram_base, uint64_t ram_size, uint64_t text_offset, uint64_t image_size,
		      uint64_t initrd_size, uint64_t blob_size, struct boot_plan *out,
		      char *errbuf, size_t errlen)
{
	uint64_t ram_end = ram_base + ram_size;
	uint64_t low;

	if (!IS_ALIGNED(ram_base, SZ_2M) || ram_size < 2 * SZ_2M) {
		snprintf(errbuf, errlen, "guest RAM too small or misaligned");
		return -EINVAL;
	}
	out->kernel_gpa = ram_base + text_offset;
	out->kernel_end = out->kernel_gpa + image_size;
	out->fdt_gpa = ALIGN_DOWN(ram_end - BOOT_FDT_MAX_SIZE, SZ_2M);
	low = out->fdt_gpa;
	out->blob_size = ALIGN_UP(blob_size, SZ_64K);
	out->blob_gpa = 0;
	if (blob_size) {
		if (out->blob_size > low - ram_base)
			goto too_small;
		out->blob_gpa = low - out->blob_size;
		low = out->blob_gpa;
	}
	out->initrd_size = initrd_size;
	out->initrd_gpa = 0;
	if (initrd_size) {
		if (initrd_size > low - ram_base)
			goto too_small;
		out->initrd_gpa = ALIGN_DOWN(low - initrd_size, SZ_4K);
		low = out->initrd_gpa;
	}
	/* Leave the kernel room to grow past its image (early page tables, bss). */
	if (out->kernel_end > low || out->kernel_end < out->kernel_gpa)
		goto too_small;
	return 0;
too_small:
	snprintf(errbuf, errlen,
		 "--memory: %llu MiB is too small for the kernel (%llu MiB) and initrd (%llu MiB)",
		 (unsigned long long)(ram_size >> 20), (unsigned long long)(image_size >> 20),
		 (unsigned long long)(initrd_size >> 20));
	return -E2BIG;
}

/* SPDX-License-Identifier: MIT */
/*
 * The flattened device tree handed to the kernel in x0. Two shapes:
 *  - full: memory, cpus (the boot vCPUs only: a DT guest cannot hot-plug),
 *    GICv3, timer, PSCI, PMU, UART, chosen;
 *  - ACPI stub: only /chosen, carrying bootargs, the initrd and the EFI hand-over
 *    properties (system table, memory map) that lead the kernel to the ACPI tables.
 */
#ifndef VMM_FDT_H
#define VMM_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/arm64/redist_layout.h"
#include "vmm/core/compiler.h"

struct fdt_efi_handover {
	uint64_t system_table;
	uint64_t mmap;
	uint32_t mmap_size;
	uint32_t desc_size;
	uint32_t desc_version;
};

struct fdt_machine {
	uint64_t ram_base, ram_size;
	const char *bootargs;
	uint64_t initrd_start, initrd_end; /* both 0: no initrd */
	unsigned nr_cpus;                  /* described CPUs (full shape) */
	const uint64_t *mpidrs;
	unsigned nr_redist;
	struct gic_redist_region redist[GIC_MAX_REDIST_REGIONS];
	bool pmu;
	unsigned nr_virtio_mmio;           /* virtio-mmio slots from LAYOUT_VIRTIO_MMIO_BASE (full shape) */
	const struct fdt_efi_handover *efi; /* non-NULL: ACPI stub shape */
};

/* Builds the blob into buf (bufsize bytes, at most BOOT_FDT_MAX_SIZE). */
int fdt_build(const struct fdt_machine *m, void *buf, size_t bufsize) __must_check;

#endif

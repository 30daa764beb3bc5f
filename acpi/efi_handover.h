/* SPDX-License-Identifier: MIT */
/*
 * The firmware-less ACPI boot of arm64 Linux (REFERENCE §3.1): one contiguous
 * blob in guest RAM holding every ACPI table plus the minimal EFI data the
 * kernel's EFI stub would have handed over: an EFI system table whose
 * configuration table points at the RSDP (and says "no runtime services"),
 * and an EFI memory map describing guest RAM.
 *
 * Usage:
 *   struct acpi_blob blob;
 *   uint64_t gpa = ram_base + ram_size - ACPI_BLOB_MAX_SIZE;   // top of RAM
 *   ret = acpi_build_blob(&machine, gpa, ACPI_BLOB_MAX_SIZE, &blob);
 *   copy blob.data (blob.size bytes) to guest physical blob.gpa;
 *   write the DT /chosen stub from blob.systab_gpa, blob.mmap_* (see below);
 *   keep the kernel, DT and initrd out of [blob.gpa, blob.gpa + blob.reserved_size);
 *   acpi_blob_free(&blob);
 *
 * /chosen properties (32- or 64-bit cells are both accepted by Linux):
 *   linux,uefi-system-table   = systab_gpa     (u64)
 *   linux,uefi-mmap-start     = mmap_gpa       (u64)
 *   linux,uefi-mmap-size      = mmap_size      (u32)
 *   linux,uefi-mmap-desc-size = mmap_desc_size (u32)
 *   linux,uefi-mmap-desc-ver  = mmap_desc_ver  (u32)
 *   linux,uefi-secure-boot    = 2 (u32, "disabled": Debian kernels ignore the rest without it)
 * Once the kernel has this memory map it ignores DT /memory nodes.
 */
#ifndef ACPI_EFI_HANDOVER_H
#define ACPI_EFI_HANDOVER_H

#include <stddef.h>
#include <stdint.h>
#include "acpi/acpi.h"
#include "vmm/core/compiler.h"

#define EFI_PAGE_SIZE 4096ULL
#define EFI_MMAP_DESC_SIZE 48
#define EFI_MMAP_DESC_VERSION 1
#define EFI_CONVENTIONAL_MEMORY 7
#define EFI_ACPI_RECLAIM_MEMORY 9
#define EFI_MEMORY_WB 0x8ULL

#define EFI_SYSTEM_TABLE_SIGNATURE 0x5453595320494249ULL /* "IBI SYST" */
#define EFI_SYSTEM_TABLE_REVISION ((2u << 16) | 70u)       /* 2.70 */
#define EFI_SYSTEM_TABLE_SIZE 120
#define EFI_CONFIG_TABLE_ENTRY_SIZE 24

#define EFI_ACPI_20_TABLE_GUID "8868e871-e4f1-11d3-bc22-0080c73c8881"
#define EFI_RT_PROPERTIES_TABLE_GUID "eb66918a-7eef-402a-842e-931d21c38ae9"

/* Enough for any machine acpi_machine_check() accepts; only the pages used are reserved. */
#define ACPI_BLOB_MAX_SIZE SZ_1M

struct acpi_blob {
	uint8_t *data;          /* the image: copy `size` bytes to guest physical `gpa` */
	size_t size;
	uint64_t gpa;
	uint64_t reserved_size; /* page-aligned: [gpa, gpa + reserved_size) is EfiACPIReclaimMemory */
	uint64_t rsdp_gpa;
	/* For the DT /chosen stub. */
	uint64_t systab_gpa;
	uint64_t mmap_gpa;
	uint32_t mmap_size;
	uint32_t mmap_desc_size;
	uint32_t mmap_desc_ver;
};

/*
 * Builds the blob for placement at blob_gpa, which must be 4 KiB-aligned with
 * [blob_gpa, blob_gpa + max_size) inside the machine's RAM. -EINVAL for a bad
 * description or placement, -ENOSPC if the blob exceeds max_size, -ENOMEM.
 * On failure *out is zeroed.
 */
int acpi_build_blob(const struct acpi_machine *m, uint64_t blob_gpa, size_t max_size,
		    struct acpi_blob *out) __must_check;
/* Frees blob->data and zeroes *blob; NULL and zeroed blobs are fine. */
void acpi_blob_free(struct acpi_blob *blob);

#endif

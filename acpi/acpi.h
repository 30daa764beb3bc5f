/* SPDX-License-Identifier: MIT */
/*
 * The ACPI tables of the vmm arm64 machine, built from a plain description of
 * it. Addresses and interrupts come from vmm/arm64/memory_map.h. Every builder appends one
 * complete, checksummed table to `out` at out->len and returns 0 or -errno
 * (-EINVAL for a bad description, -ENOMEM, -E2BIG).
 *
 * Tables: RSDP v2 -> XSDT -> { FADT, MADT, GTDT, SPCR }, FADT -> DSDT.
 * acpi_build_blob() (acpi/efi_handover.h) lays them all out in guest memory.
 */
#ifndef ACPI_ACPI_H
#define ACPI_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "acpi/aml/buf.h"
#include "vmm/arm64/mpidr.h"
#include "vmm/core/compiler.h"

/* Most virtio-mmio slots the DSDT describes (VR00..VR31). */
#define ACPI_MAX_VIRTIO_MMIO 32

struct acpi_cpu {
	uint64_t mpidr;   /* affinity fields only (MPIDR_AFFINITY_MASK) */
	bool cold_booted; /* enabled from boot, never ejected; otherwise hot-pluggable (online-capable) */
};

struct acpi_machine {
	/*
	 * Possible vCPUs, 1..LAYOUT_MAX_VCPUS. cpus[i] is the vCPU whose ACPI
	 * processor UID, DSDT device name (C%03X) and hot-plug selector are i.
	 * cpus[0] is the boot vCPU and must be cold-booted.
	 */
	uint32_t nr_cpus;
	const struct acpi_cpu *cpus;
	/* Guest RAM: one region inside [LAYOUT_RAM_BASE, LAYOUT_RAM_BASE + LAYOUT_RAM_MAX), 4 KiB-aligned. */
	uint64_t ram_base;
	uint64_t ram_size;
	bool pmu;                /* vCPUs have a PMU: GICC performance interrupt INTID 23 */
	uint32_t nr_virtio_mmio; /* virtio-mmio slots from LAYOUT_VIRTIO_MMIO_BASE, 0..ACPI_MAX_VIRTIO_MMIO */
};


/* 0 when `m` is a description the builders accept, else -EINVAL. */
int acpi_machine_check(const struct acpi_machine *m) __must_check;

/* DSDT rev 2: \_SB with COM0, VRxx, PWRB, PRES + CPUS (CPU hot-plug), GED, _OSC. */
int acpi_build_dsdt(const struct acpi_machine *m, struct acpi_buf *out) __must_check;
/* FADT rev 6.5 (276 bytes): HW-reduced, PSCI via HVC, X_DSDT = dsdt_gpa. */
int acpi_build_fadt(uint64_t dsdt_gpa, struct acpi_buf *out) __must_check;
/* MADT rev 6: GICD, one 82-byte GICC per possible vCPU, GICR ranges for all of them. */
int acpi_build_madt(const struct acpi_machine *m, struct acpi_buf *out) __must_check;
/* GTDT rev 2: the architected timer PPIs. */
int acpi_build_gtdt(struct acpi_buf *out) __must_check;
/* SPCR rev 2: the PL011 at LAYOUT_UART_BASE, 115200 8N1. */
int acpi_build_spcr(struct acpi_buf *out) __must_check;
/* XSDT listing n table addresses (n <= 64). */
int acpi_build_xsdt(const uint64_t *table_gpas, size_t n, struct acpi_buf *out) __must_check;
/* RSDP v2 (36 bytes) pointing at the XSDT; RsdtAddress 0. */
int acpi_build_rsdp(uint64_t xsdt_gpa, struct acpi_buf *out) __must_check;

#define ACPI_RSDP_SIZE 36
#define ACPI_FADT_SIZE 276
#define ACPI_MADT_GICC_SIZE 82

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The guest physical memory map and interrupt assignments of the vmm arm64
 * machine. Addresses follow QEMU's `virt` board so Linux drivers and debugging
 * habits carry over. See ARCHITECTURE.md ("Memory map").
 */
#ifndef VMM_LAYOUT_H
#define VMM_LAYOUT_H

#include "vmm/core/compiler.h"

#define LAYOUT_GICD_BASE 0x08000000ULL
#define LAYOUT_GICD_SIZE SZ_64K
/* Redistributors: 128 KiB (RD + SGI frames) per possible vCPU. */
#define LAYOUT_GICR_BASE 0x080A0000ULL
#define LAYOUT_GICR_STRIDE SZ_128K
#define LAYOUT_GICR_LOW_LIMIT 0x09000000ULL
#define LAYOUT_GICR_LOW_MAX_VCPUS ((LAYOUT_GICR_LOW_LIMIT - LAYOUT_GICR_BASE) / LAYOUT_GICR_STRIDE) /* 123 */
/* Second redistributor region for vCPUs beyond the first 123, above the RAM window. */
#define LAYOUT_GICR_HIGH_BASE 0x4000000000ULL /* 256 GiB */

#define LAYOUT_UART_BASE 0x09000000ULL
#define LAYOUT_UART_SIZE SZ_4K
#define LAYOUT_GED_BASE 0x09080000ULL
#define LAYOUT_GED_SIZE 0x4ULL
#define LAYOUT_GED_REGS_BASE 0x09080004ULL /* HW-reduced sleep control/status/reset, 3 bytes */
#define LAYOUT_GED_REGS_SIZE 0x3ULL
#define LAYOUT_CPUHP_BASE 0x090C0000ULL
#define LAYOUT_CPUHP_SIZE 0xCULL
#define LAYOUT_VIRTIO_MMIO_BASE 0x0A000000ULL
#define LAYOUT_VIRTIO_MMIO_STRIDE 0x200ULL

#define LAYOUT_RAM_BASE 0x40000000ULL
/* RAM must end below the high redistributor region. */
#define LAYOUT_RAM_MAX (LAYOUT_GICR_HIGH_BASE - LAYOUT_RAM_BASE)

/* Interrupts: GIC INTIDs. SPIs start at 32. */
#define LAYOUT_SPI_BASE 32
#define LAYOUT_UART_INTID (LAYOUT_SPI_BASE + 1)  /* 33 */
#define LAYOUT_GED_INTID (LAYOUT_SPI_BASE + 9)   /* 41 */
#define LAYOUT_VIRTIO_INTID_BASE (LAYOUT_SPI_BASE + 16)
/* A new machine's GIC: 32 private + 32 SPIs, room for every line above (virtio
 * ones: 48..48+VM_MAX_DISKS-1). A restored or incoming machine keeps the count it
 * was built with (older builds made 256); fewer interrupts mean fewer registers
 * to read and write at a live migration's switchover. */
#define LAYOUT_NR_IRQS 64

/* PPIs (INTID = 16 + PPI number). */
#define LAYOUT_PPI_TIMER_SEC 13  /* INTID 29 */
#define LAYOUT_PPI_TIMER_PHYS 14 /* INTID 30 */
#define LAYOUT_PPI_TIMER_VIRT 11 /* INTID 27 */
#define LAYOUT_PPI_TIMER_HYP 10  /* INTID 26 */
#define LAYOUT_PPI_PMU 7         /* INTID 23 */
#define LAYOUT_PPI_VGIC_MAINT 9  /* INTID 25 */
#define LAYOUT_PPI_INTID(ppi) (16 + (ppi))

/* The most vCPUs the machine describes (KVM may allow fewer: checked at run time). */
#define LAYOUT_MAX_VCPUS 512

/* The top of the guest physical address space of a machine: RAM, and the high
 * redistributor region when the low one cannot hold every possible vCPU. */
static inline uint64_t layout_guest_top(uint64_t ram_size, unsigned max_vcpus)
{
	uint64_t top = LAYOUT_RAM_BASE + ram_size;

	if (max_vcpus > LAYOUT_GICR_LOW_MAX_VCPUS)
		top = MAX(top, LAYOUT_GICR_HIGH_BASE + (max_vcpus - LAYOUT_GICR_LOW_MAX_VCPUS) * LAYOUT_GICR_STRIDE);
	return top;
}

/* The IPA size (bits, 32..52) KVM must offer for addresses below top. */
static inline unsigned layout_ipa_bits(uint64_t top)
{
	unsigned bits = 32;

	while (bits < 52 && (1ULL << bits) < top)
		bits++;
	return bits;
}

#endif

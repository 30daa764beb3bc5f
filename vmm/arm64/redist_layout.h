/* SPDX-License-Identifier: MIT */
/*
 * How the GICv3 redistributors of all possible vCPUs are laid out in guest
 * physical space: one region below the UART for the first vCPUs, a second one
 * above RAM for the rest. The vGIC, the device tree and the MADT all use this.
 * vCPU i gets the i-th 128 KiB frame pair, counting through the regions in order.
 */
#ifndef GIC_REDIST_LAYOUT_H
#define GIC_REDIST_LAYOUT_H

#include <stdint.h>

#define GIC_MAX_REDIST_REGIONS 2

struct gic_redist_region {
	uint64_t base;
	uint32_t count; /* vCPUs */
};

/* Fills regions for max_vcpus vCPUs; returns the number of regions used. */
unsigned gic_redist_layout(unsigned max_vcpus, struct gic_redist_region regions[GIC_MAX_REDIST_REGIONS]);

#endif

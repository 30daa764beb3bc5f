// SPDX-License-Identifier: MIT
#include "vmm/arm64/memory_map.h"
#include "vmm/arm64/redist_layout.h"

unsigned gic_redist_layout(unsigned max_vcpus, struct gic_redist_region regions[GIC_MAX_REDIST_REGIONS])
{
	unsigned low = max_vcpus < LAYOUT_GICR_LOW_MAX_VCPUS ? max_vcpus : (unsigned)LAYOUT_GICR_LOW_MAX_VCPUS;

	regions[0] = (struct gic_redist_region){ .base = LAYOUT_GICR_BASE, .count = low };
	if (max_vcpus == low)
		return 1;
	regions[1] = (struct gic_redist_region){ .base = LAYOUT_GICR_HIGH_BASE, .count = max_vcpus - low };
	return 2;
}

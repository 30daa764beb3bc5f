// SPDX-License-Identifier: MIT
/*
 * GTDT revision 2 (ACPI 6.5 §5.2.25): the architected timer's PPIs. No memory-
 * mapped counter block and no platform timers. Flags follow QEMU's virt board:
 * level-triggered, active-high, and the non-secure EL1 timer marked always-on.
 */
#include "acpi/acpi.h"
#include "acpi/sdt.h"
#include "vmm/arm64/memory_map.h"

#define GTDT_REVISION 2

#define GTDT_TIMER_EDGE (1u << 0)
#define GTDT_TIMER_ACTIVE_LOW (1u << 1)
#define GTDT_TIMER_ALWAYS_ON (1u << 2)

#define GTDT_NO_BLOCK 0xFFFFFFFFFFFFFFFFULL

int acpi_build_gtdt(struct acpi_buf *out)
{
	const uint32_t level_high = 0; /* neither GTDT_TIMER_EDGE nor GTDT_TIMER_ACTIVE_LOW */
	size_t start = acpi_sdt_begin(out, "GTDT", GTDT_REVISION);

	acpi_buf_append_u64(out, GTDT_NO_BLOCK); /* CntControlBase */
	acpi_buf_append_u32(out, 0);             /* reserved */
	acpi_buf_append_u32(out, LAYOUT_PPI_INTID(LAYOUT_PPI_TIMER_SEC));
	acpi_buf_append_u32(out, level_high);
	acpi_buf_append_u32(out, LAYOUT_PPI_INTID(LAYOUT_PPI_TIMER_PHYS));
	acpi_buf_append_u32(out, level_high | GTDT_TIMER_ALWAYS_ON);
	acpi_buf_append_u32(out, LAYOUT_PPI_INTID(LAYOUT_PPI_TIMER_VIRT));
	acpi_buf_append_u32(out, level_high);
	acpi_buf_append_u32(out, LAYOUT_PPI_INTID(LAYOUT_PPI_TIMER_HYP));
	acpi_buf_append_u32(out, level_high);
	acpi_buf_append_u64(out, GTDT_NO_BLOCK); /* CntReadBase */
	acpi_buf_append_u32(out, 0);             /* platform timer count */
	acpi_buf_append_u32(out, 0);             /* platform timer offset */
	if (start == SIZE_MAX)
		return acpi_buf_error(out);
	return acpi_sdt_end(out, start);
}

// SPDX-License-Identifier: MIT
/*
 * MADT ("APIC") revision 6 (ACPI 6.5 §5.2.12): GICD, one GICC per possible vCPU
 * and GICR discovery ranges covering every possible vCPU's redistributor.
 *
 * Hot-plug (Linux Documentation/arch/arm64/cpu-hotplug.rst): cold-booted vCPUs
 * are Enabled; every other possible vCPU is Enabled=0, Online Capable=1, and the
 * guest learns its state from _STA. The table never changes at run time.
 */
#include <errno.h>

#include "acpi/acpi.h"
#include "acpi/sdt.h"
#include "vmm/arm64/memory_map.h"

#define MADT_REVISION 6

#define MADT_TYPE_GICC 0x0B
#define MADT_TYPE_GICD 0x0C
#define MADT_TYPE_GICR 0x0E

#define GICD_SIZE 24
#define GICR_SIZE 16

#define GICC_FLAG_ENABLED (1u << 0)
#define GICC_FLAG_ONLINE_CAPABLE (1u << 3)

#define GIC_VERSION_3 3

static void append_gicd(struct acpi_buf *b)
{
	acpi_buf_append_u8(b, MADT_TYPE_GICD);
	acpi_buf_append_u8(b, GICD_SIZE);
	acpi_buf_append_u16(b, 0);                /* reserved */
	acpi_buf_append_u32(b, 0);                /* GIC ID */
	acpi_buf_append_u64(b, LAYOUT_GICD_BASE); /* physical base address */
	acpi_buf_append_u32(b, 0);                /* system vector base */
	acpi_buf_append_u8(b, GIC_VERSION_3);
	acpi_buf_append_zero(b, 3);               /* reserved */
}

static void append_gicc(struct acpi_buf *b, uint32_t uid, const struct acpi_cpu *cpu, bool pmu)
{
	size_t start = b->len;

	acpi_buf_append_u8(b, MADT_TYPE_GICC);
	acpi_buf_append_u8(b, ACPI_MADT_GICC_SIZE);
	acpi_buf_append_u16(b, 0); /* reserved */
	acpi_buf_append_u32(b, 0); /* CPU interface number: unused with GICv3 system registers */
	acpi_buf_append_u32(b, uid);
	acpi_buf_append_u32(b, cpu->cold_booted ? GICC_FLAG_ENABLED : GICC_FLAG_ONLINE_CAPABLE);
	acpi_buf_append_u32(b, 0); /* parking protocol version: PSCI is used */
	acpi_buf_append_u32(b, pmu ? LAYOUT_PPI_INTID(LAYOUT_PPI_PMU) : 0); /* level-triggered */
	acpi_buf_append_u64(b, 0); /* parked address */
	acpi_buf_append_u64(b, 0); /* GICC base: system register interface */
	acpi_buf_append_u64(b, 0); /* GICV */
	acpi_buf_append_u64(b, 0); /* GICH */
	acpi_buf_append_u32(b, 0); /* VGIC maintenance interrupt: no EL2 for the guest */
	acpi_buf_append_u64(b, 0); /* GICR base: described by GICR structures instead */
	acpi_buf_append_u64(b, cpu->mpidr);
	acpi_buf_append_u8(b, 0);  /* processor power efficiency class */
	acpi_buf_append_u8(b, 0);  /* reserved */
	acpi_buf_append_u16(b, 0); /* SPE overflow interrupt */
	acpi_buf_append_u16(b, 0); /* TRBE interrupt */
	if (!acpi_buf_error(b) && b->len - start != ACPI_MADT_GICC_SIZE)
		acpi_buf_set_error(b, -EINVAL);
}

static void append_gicr(struct acpi_buf *b, uint64_t base, uint64_t len)
{
	if (len > UINT32_MAX) {
		acpi_buf_set_error(b, -E2BIG);
		return;
	}
	acpi_buf_append_u8(b, MADT_TYPE_GICR);
	acpi_buf_append_u8(b, GICR_SIZE);
	acpi_buf_append_u8(b, 0); /* flags: coherent */
	acpi_buf_append_u8(b, 0); /* reserved */
	acpi_buf_append_u64(b, base);
	acpi_buf_append_u32(b, (uint32_t)len);
}

int acpi_build_madt(const struct acpi_machine *m, struct acpi_buf *out)
{
	uint32_t low, high;
	size_t start;
	int ret;

	ret = acpi_machine_check(m);
	if (ret)
		return ret;
	start = acpi_sdt_begin(out, "APIC", MADT_REVISION);
	acpi_buf_append_u32(out, 0); /* local interrupt controller address: x86 only */
	acpi_buf_append_u32(out, 0); /* flags: no PC-AT 8259 */
	append_gicd(out);
	for (uint32_t i = 0; i < m->nr_cpus; i++)
		append_gicc(out, i, &m->cpus[i], m->pmu);

	/* Redistributors: the first vCPUs below the UART, the rest in the high region. */
	low = (uint32_t)MIN((uint64_t)m->nr_cpus, LAYOUT_GICR_LOW_MAX_VCPUS);
	high = m->nr_cpus - low;
	append_gicr(out, LAYOUT_GICR_BASE, (uint64_t)low * LAYOUT_GICR_STRIDE);
	if (high)
		append_gicr(out, LAYOUT_GICR_HIGH_BASE, (uint64_t)high * LAYOUT_GICR_STRIDE);
	return acpi_sdt_end(out, start);
}

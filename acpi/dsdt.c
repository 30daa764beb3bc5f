// SPDX-License-Identifier: MIT
/*
 * DSDT revision 2 (64-bit integers):
 *
 *   Scope(\_SB) {
 *     COM0        PL011 (ARMH0011)
 *     VR00..      virtio-mmio slots (LNRO0005)
 *     PWRB        power button (PNP0C0C), notified by GED
 *     PRES, CPUS  CPU hot-plug (acpi/cpuhp_aml.c)
 *     GED         Generic Event Device (ACPI0013, acpi/ged_aml.c): _EVT dispatches the event bits
 *     _OSC        platform-wide capabilities: grants what the OS asks for
 *   }
 */
#include <stdio.h>

#include "acpi/acpi.h"
#include "acpi/aml/aml.h"
#include "acpi/cpuhp_aml.h"
#include "acpi/ged_aml.h"
#include "acpi/sdt.h"
#include "vmm/arm64/memory_map.h"

#define DSDT_REVISION 2

/* Platform-wide _OSC (ACPI 6.5 §6.2.11.2). */
#define OSC_PLATFORM_UUID "0811b06e-4a27-44f9-8d60-3cbbc22e7b48"
#define OSC_UNRECOGNIZED_UUID 0x04
#define OSC_UNRECOGNIZED_REVISION 0x08

static struct aml *com0_device(void)
{
	const uint32_t irq = LAYOUT_UART_INTID;
	struct aml *dev = aml_device("COM0");
	struct aml *crs = aml_resource_template();

	aml_append(dev, aml_name_decl("_HID", aml_string("ARMH0011")));
	aml_append(dev, aml_name_decl("_UID", aml_zero()));
	aml_append(crs, aml_memory32_fixed((uint32_t)LAYOUT_UART_BASE, (uint32_t)LAYOUT_UART_SIZE,
					   AML_READ_WRITE));
	aml_append(crs, aml_interrupt(AML_CONSUMER, AML_LEVEL, AML_ACTIVE_HIGH, AML_EXCLUSIVE, &irq, 1));
	aml_append(dev, aml_name_decl("_CRS", crs));
	return dev;
}

static struct aml *virtio_mmio_device(uint32_t i)
{
	const uint32_t irq = LAYOUT_VIRTIO_INTID_BASE + i;
	uint64_t base = LAYOUT_VIRTIO_MMIO_BASE + (uint64_t)i * LAYOUT_VIRTIO_MMIO_STRIDE;
	struct aml *crs = aml_resource_template();
	struct aml *dev;
	char name[5];

	snprintf(name, sizeof(name), "VR%02u", (unsigned int)(i % 100));
	dev = aml_device(name);
	aml_append(dev, aml_name_decl("_HID", aml_string("LNRO0005")));
	aml_append(dev, aml_name_decl("_UID", aml_int(i)));
	aml_append(dev, aml_name_decl("_CCA", aml_one())); /* DMA is cache-coherent */
	aml_append(crs, aml_memory32_fixed((uint32_t)base, (uint32_t)LAYOUT_VIRTIO_MMIO_STRIDE,
					   AML_READ_WRITE));
	/* Edge: the device signals through an irqfd, one pulse per event. */
	aml_append(crs, aml_interrupt(AML_CONSUMER, AML_EDGE, AML_ACTIVE_HIGH, AML_EXCLUSIVE, &irq, 1));
	aml_append(dev, aml_name_decl("_CRS", crs));
	return dev;
}

static struct aml *pwrb_device(void)
{
	struct aml *dev = aml_device("PWRB");

	aml_append(dev, aml_name_decl("_HID", aml_eisaid("PNP0C0C")));
	aml_append(dev, aml_name_decl("_UID", aml_zero()));
	return dev;
}

/*
 * \_SB._OSC: for the platform-wide UUID, keep every capability the OS
 * requested (CDW2 unchanged) and flag a revision other than 1; flag other
 * UUIDs as unrecognised.
 */
static struct aml *osc_method(void)
{
	struct aml *method = aml_method("_OSC", 4, AML_NOT_SERIALIZED);
	struct aml *is_platform, *other, *bad_rev;

	aml_append(method, aml_create_dword_field(aml_arg(3), aml_zero(), "CDW1"));
	is_platform = aml_if(aml_lequal(aml_arg(0), aml_touuid(OSC_PLATFORM_UUID)));
	bad_rev = aml_if(aml_lnotequal(aml_arg(1), aml_one()));
	aml_append(bad_rev, aml_or(aml_name("CDW1"), aml_int(OSC_UNRECOGNIZED_REVISION),
				   aml_name("CDW1")));
	aml_append(is_platform, bad_rev);
	aml_append(method, is_platform);
	other = aml_else();
	aml_append(other, aml_or(aml_name("CDW1"), aml_int(OSC_UNRECOGNIZED_UUID), aml_name("CDW1")));
	aml_append(method, other);
	aml_append(method, aml_return(aml_arg(3)));
	return method;
}

int acpi_build_dsdt(const struct acpi_machine *m, struct acpi_buf *out)
{
	struct aml *sb;
	size_t start;
	int ret;

	ret = acpi_machine_check(m);
	if (ret)
		return ret;

	sb = aml_scope("\\_SB");
	aml_append(sb, com0_device());
	for (uint32_t i = 0; i < m->nr_virtio_mmio; i++)
		aml_append(sb, virtio_mmio_device(i));
	aml_append(sb, pwrb_device());
	acpi_cpuhp_aml(sb, m);
	aml_append(sb, acpi_ged_aml());
	aml_append(sb, osc_method());

	start = acpi_sdt_begin(out, "DSDT", DSDT_REVISION);
	ret = aml_emit(sb, out);
	aml_free(sb);
	if (ret)
		return ret;
	if (start == SIZE_MAX)
		return acpi_buf_error(out);
	return acpi_sdt_end(out, start);
}

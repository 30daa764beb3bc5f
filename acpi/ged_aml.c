// SPDX-License-Identifier: MIT
/*
 * AML for the Generic Event Device (ACPI0013) at LAYOUT_GED_BASE: its interrupt,
 * the read-to-clear event selector, and _EVT dispatching the event bits
 * (hotplug/ged_regs.h) to the power button and the CPU hot-plug scan.
 */
#include "acpi/cpuhp_aml.h"
#include "acpi/ged_aml.h"
#include "hotplug/ged_regs.h"
#include "vmm/arm64/memory_map.h"

#define NOTIFY_POWER_BUTTON 0x80

/* If ((Local0 & bit) == bit) { body } */
static struct aml *if_event(uint32_t bit, struct aml *body)
{
	struct aml *cond = aml_if(aml_lequal(aml_and(aml_local(0), aml_int(bit), NULL), aml_int(bit)));

	aml_append(cond, body);
	return cond;
}

struct aml *acpi_ged_aml(void)
{
	const uint32_t irq = LAYOUT_GED_INTID;
	struct aml *dev = aml_device("GED");
	struct aml *crs = aml_resource_template();
	struct aml *field, *evt;

	aml_append(dev, aml_name_decl("_HID", aml_string("ACPI0013")));
	aml_append(dev, aml_name_decl("_UID", aml_zero()));
	aml_append(crs, aml_interrupt(AML_CONSUMER, AML_EDGE, AML_ACTIVE_HIGH, AML_EXCLUSIVE, &irq, 1));
	aml_append(dev, aml_name_decl("_CRS", crs));
	aml_append(dev, aml_operation_region("EREG", AML_SYSTEM_MEMORY, aml_int(LAYOUT_GED_BASE),
					     aml_int(LAYOUT_GED_SIZE)));
	/* The selector is read-to-clear: read it once per event. */
	field = aml_field("EREG", AML_DWORD_ACC, AML_NOLOCK, AML_WRITE_AS_ZEROS);
	aml_field_unit(field, "ESEL", 32);
	aml_append(dev, field);

	evt = aml_method("_EVT", 1, AML_SERIALIZED);
	aml_append(evt, aml_store(aml_name("ESEL"), aml_local(0)));
	aml_append(evt, if_event(GED_EVT_PWR_DOWN,
				 aml_notify(aml_name("\\_SB.PWRB"), aml_int(NOTIFY_POWER_BUTTON))));
	aml_append(evt, if_event(GED_EVT_CPU_HOTPLUG, aml_call0(ACPI_CPUHP_SCAN_METHOD)));
	aml_append(dev, evt);
	return dev;
}

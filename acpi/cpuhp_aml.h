/* SPDX-License-Identifier: MIT */
/*
 * AML for the ACPI CPU hot-plug register block at LAYOUT_CPUHP_BASE (QEMU's
 * "modern" interface, REFERENCE §1): the \_SB.PRES resource device and the
 * \_SB.CPUS container with one processor device per possible vCPU.
 */
#ifndef ACPI_CPUHP_AML_H
#define ACPI_CPUHP_AML_H

#include "acpi/acpi.h"
#include "acpi/aml/aml.h"
#include "hotplug/cpuhp_regs.h"

/* The method GED's _EVT calls for the CPU hot-plug event. */
#define ACPI_CPUHP_SCAN_METHOD "\\_SB.CPUS.CSCN"

/* Appends Device(PRES) and Device(CPUS) to `sb` (the \_SB scope). Errors are sticky in sb. */
void acpi_cpuhp_aml(struct aml *sb, const struct acpi_machine *m);

#endif

/* SPDX-License-Identifier: MIT */
/* AML for the Generic Event Device (hotplug/ged.c): Device(\_SB.GED). */
#ifndef ACPI_GED_AML_H
#define ACPI_GED_AML_H

#include "acpi/aml/aml.h"

/* Device(GED) for the \_SB scope; errors are sticky in the returned node. */
struct aml *acpi_ged_aml(void);

#endif

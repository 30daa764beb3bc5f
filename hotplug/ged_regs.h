/* SPDX-License-Identifier: MIT */
/*
 * The GED event selector's bits (REFERENCE §2.2), written once: the device
 * (hotplug/ged.c) raises them and its AML (acpi/ged_aml.c) dispatches on them.
 */
#ifndef HOTPLUG_GED_REGS_H
#define HOTPLUG_GED_REGS_H

#define GED_EVT_MEM_HOTPLUG 0x1u
#define GED_EVT_PWR_DOWN 0x2u    /* Notify(\_SB.PWRB, 0x80) */
#define GED_EVT_CPU_HOTPLUG 0x8u /* \_SB.CPUS.CSCN() */
#define GED_EVT_SUPPORTED (GED_EVT_PWR_DOWN | GED_EVT_CPU_HOTPLUG)

#endif

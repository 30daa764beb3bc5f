/* SPDX-License-Identifier: MIT */
/*
 * AML for the ACPI CPU hot-plug register block at LAYOUT_CPUHP_BASE (QEMU's
 * "modern" interface, REFERENCE §1): the \_SB.PRES resource device and the
 * \_SB.CPUS container with one processor device per possible vCPU.
 */
#ifndef ACPI_CPUHP_AML_H
#define ACPI_CPUHP_AML_H

#include "acpi/acpi.h"
#include "acpi/aml.h"
#include "hotplug/cpuhp_abi.h"

/* The method GED's _EVT calls for the CPU hot-plug event. */
#define ACPI_CPUHP_SCAN_METHOD "\\_SB.CPUS.CSCN"

/* Register block layout (REFERENCE §1.2). */
#define ACPI_CPUHP_REG_SELECTOR 0x0 /* W: selector; R: command data 2 */
#define ACPI_CPUHP_REG_FLAGS 0x4    /* R: status; W: control */
#define ACPI_CPUHP_REG_CMD 0x5      /* W: command */
#define ACPI_CPUHP_REG_DATA 0x8     /* R/W: command data */
#define ACPI_CPUHP_FLAG_ENABLED (1u << 0)
#define ACPI_CPUHP_FLAG_INSERT (1u << 1)
#define ACPI_CPUHP_FLAG_REMOVE (1u << 2)
#define ACPI_CPUHP_FLAG_EJECT (1u << 3)
#define ACPI_CPUHP_FLAG_FW_EJECT (1u << 4)
#define ACPI_CPUHP_CMD_GET_NEXT_EVENT 0
#define ACPI_CPUHP_CMD_OST_EVENT 1
#define ACPI_CPUHP_CMD_OST_STATUS 2
#define ACPI_CPUHP_CMD_GET_ARCH_ID 3

/* _STA of a possible vCPU: present, shown, functioning; plus enabled when plugged. */
#define ACPI_CPU_STA_ENABLED 0x0F
#define ACPI_CPU_STA_DISABLED 0x0D

/* Appends Device(PRES) and Device(CPUS) to `sb` (the \_SB scope). Errors are sticky in sb. */
void acpi_cpuhp_aml(struct aml *sb, const struct acpi_machine *m);

#endif

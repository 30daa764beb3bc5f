/* SPDX-License-Identifier: MIT */
/*
 * The ACPI CPU hot-plug register block's layout (QEMU's "modern" interface,
 * REFERENCE §1.2), written once: the device (hotplug/cpuhp.c) and its AML
 * (acpi/cpuhp_aml.c) both include it.
 *   0x0 W: CPU selector (index into the possible vCPUs)   R: command data 2
 *   0x4 W: control (bit1 clear insert, bit2 clear remove, bit3 eject, bit4 firmware eject)
 *       R: status  (bit0 enabled, bit1 insert pending, bit2 remove pending)
 *   0x5 W: command (0 next CPU with event, 1 OST event, 2 OST status, 3 arch id)
 *   0x8 W: command data (OST event/status)                R: command data
 */
#ifndef HOTPLUG_CPUHP_REGS_H
#define HOTPLUG_CPUHP_REGS_H

/*
 * The version of the CPU hot-plug ABI between the guest and the VMM: the register
 * block's layout and semantics (hotplug/cpuhp.h, acpi/cpuhp_aml.h) together with
 * the AML methods that drive it (CSCN, CSTA, CEJ0, COST, _STA values). A guest
 * keeps the AML it loaded at boot, so after a migration or restore the AML of the
 * source runs against the destination's register block: both ends must speak the
 * same ABI (QEMU 9.2 had to revert a _STA change for exactly this reason).
 *
 * Bump rules: increment CPUHP_ABI_VERSION whenever a register offset, a bit, a
 * command, a _STA value or the generated AML of \_SB.PRES / \_SB.CPUS changes, and
 * record the new version in the `cpu-hotplug` section (a subsection carrying it)
 * so a stream says which ABI its guest loaded; streams without that record were
 * written with ABI 1. `make check-descriptors` fingerprints the registers and the
 * AML and fails when they change while this number does not.
 */
#define CPUHP_ABI_VERSION 1

#define CPUHP_REG_LEN 12

#define CPUHP_REG_SELECTOR 0x0 /* W: selector; R: command data 2 */
#define CPUHP_REG_FLAGS 0x4    /* R: status; W: control */
#define CPUHP_REG_CMD 0x5      /* W: command */
#define CPUHP_REG_DATA 0x8     /* R/W: command data */

/* Bits of the flags byte: the same bit reads as status and writes as control. */
#define CPUHP_FLAG_ENABLED (1u << 0)  /* R */
#define CPUHP_FLAG_INSERT (1u << 1)   /* R: insert pending; W: clear it */
#define CPUHP_FLAG_REMOVE (1u << 2)   /* R: remove pending; W: clear it */
#define CPUHP_FLAG_EJECT (1u << 3)    /* W: eject the selected CPU */
#define CPUHP_FLAG_FW_EJECT (1u << 4) /* W: firmware eject (ignored) */

enum cpuhp_cmd {
	CPUHP_CMD_GET_NEXT_EVENT = 0,
	CPUHP_CMD_OST_EVENT = 1,
	CPUHP_CMD_OST_STATUS = 2,
	CPUHP_CMD_GET_ARCH_ID = 3,
};

/* _STA of a possible vCPU: present, shown, functioning; plus enabled when plugged
 * (present is always set: arm64 Linux cannot change its present mask). */
#define CPUHP_STA_ENABLED 0x0F
#define CPUHP_STA_DISABLED 0x0D

#endif

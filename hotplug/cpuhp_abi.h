/* SPDX-License-Identifier: MIT */
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
#ifndef HOTPLUG_CPUHP_ABI_H
#define HOTPLUG_CPUHP_ABI_H

#define CPUHP_ABI_VERSION 1

#endif

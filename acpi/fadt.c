// SPDX-License-Identifier: MIT
/*
 * FADT ("FACP") revision 6, minor 5 (ACPI 6.5 §5.2.9), 276 bytes. A HW-reduced
 * arm64 platform: no PM/GPE blocks, no FACS, PSCI through HVC. arm64 Linux
 * needs HW_REDUCED_ACPI and PSCI_COMPLIANT; the minor version selects the
 * 82-byte GICC format in the MADT.
 */
#include <errno.h>

#include "acpi/acpi.h"
#include "acpi/sdt.h"

#define FADT_REVISION 6
#define FADT_MINOR_REVISION 5

/* Field offsets. */
#define FADT_FLAGS 112
#define FADT_ARM_BOOT_ARCH 129
#define FADT_MINOR_VERSION 131
#define FADT_X_DSDT 140

#define FADT_F_PWR_BUTTON (1u << 4)  /* no fixed power button: PWRB device instead */
#define FADT_F_SLP_BUTTON (1u << 5)  /* no fixed sleep button */
#define FADT_F_HW_REDUCED_ACPI (1u << 20)

#define ARM_BOOT_ARCH_PSCI_COMPLIANT (1u << 0)
#define ARM_BOOT_ARCH_PSCI_USE_HVC (1u << 1)

int acpi_build_fadt(uint64_t dsdt_gpa, struct acpi_buf *out)
{
	size_t start;

	if (!dsdt_gpa)
		return -EINVAL;
	start = acpi_sdt_begin(out, "FACP", FADT_REVISION);
	/*
	 * Everything not set below is zero: FIRMWARE_CTRL/X_FIRMWARE_CTRL (no FACS),
	 * the 32-bit DSDT (X_DSDT is used), Preferred_PM_Profile (unspecified),
	 * SCI_INT and all PM/GPE blocks (HW-reduced), RESET_REG, the sleep
	 * registers and the hypervisor vendor identity.
	 */
	acpi_buf_append_zero(out, ACPI_FADT_SIZE - ACPI_SDT_HEADER_SIZE);
	if (start == SIZE_MAX)
		return acpi_buf_error(out);
	acpi_buf_patch_u32(out, start + FADT_FLAGS,
			   FADT_F_HW_REDUCED_ACPI | FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON);
	acpi_buf_patch_u16(out, start + FADT_ARM_BOOT_ARCH,
			   ARM_BOOT_ARCH_PSCI_COMPLIANT | ARM_BOOT_ARCH_PSCI_USE_HVC);
	acpi_buf_patch_u8(out, start + FADT_MINOR_VERSION, FADT_MINOR_REVISION);
	acpi_buf_patch_u64(out, start + FADT_X_DSDT, dsdt_gpa);
	return acpi_sdt_end(out, start);
}

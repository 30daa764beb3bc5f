// SPDX-License-Identifier: MIT
/* The root of the tables: RSDP v2 (ACPI 6.5 §5.2.5) and the XSDT (§5.2.8). */
#include <errno.h>

#include "acpi/acpi.h"
#include "acpi/sdt.h"

#define RSDP_REVISION 2
#define RSDP_V1_SIZE 20
#define RSDP_CHECKSUM 8
#define RSDP_EXT_CHECKSUM 32

#define XSDT_REVISION 1
#define XSDT_MAX_ENTRIES 64

int acpi_build_xsdt(const uint64_t *table_gpas, size_t n, struct acpi_buf *out)
{
	size_t start;

	if ((n && !table_gpas) || n > XSDT_MAX_ENTRIES)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!table_gpas[i])
			return -EINVAL;
	}
	start = acpi_sdt_begin(out, "XSDT", XSDT_REVISION);
	for (size_t i = 0; i < n; i++)
		acpi_buf_append_u64(out, table_gpas[i]);
	if (start == SIZE_MAX)
		return acpi_buf_error(out);
	return acpi_sdt_end(out, start);
}

int acpi_build_rsdp(uint64_t xsdt_gpa, struct acpi_buf *out)
{
	size_t start = out->len;

	if (!xsdt_gpa)
		return -EINVAL;
	acpi_buf_append(out, "RSD PTR ", 8);
	acpi_buf_append_u8(out, 0); /* checksum of the first 20 bytes */
	acpi_buf_append(out, ACPI_OEM_ID, 6);
	acpi_buf_append_u8(out, RSDP_REVISION);
	acpi_buf_append_u32(out, 0); /* RsdtAddress: XSDT only */
	acpi_buf_append_u32(out, ACPI_RSDP_SIZE);
	acpi_buf_append_u64(out, xsdt_gpa);
	acpi_buf_append_u8(out, 0); /* extended checksum of all 36 bytes */
	acpi_buf_append_zero(out, 3);
	if (acpi_buf_error(out))
		return acpi_buf_error(out);
	acpi_buf_patch_u8(out, start + RSDP_CHECKSUM, acpi_checksum(out->data + start, RSDP_V1_SIZE));
	acpi_buf_patch_u8(out, start + RSDP_EXT_CHECKSUM,
			  acpi_checksum(out->data + start, ACPI_RSDP_SIZE));
	return acpi_buf_error(out);
}

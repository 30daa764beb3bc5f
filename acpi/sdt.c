// SPDX-License-Identifier: MIT
#include <errno.h>

#include "acpi/sdt.h"

size_t acpi_sdt_begin(struct acpi_buf *b, const char signature[4], uint8_t revision)
{
	size_t start = b->len;

	acpi_buf_append(b, signature, 4);
	acpi_buf_append_u32(b, 0); /* Length: acpi_sdt_end() */
	acpi_buf_append_u8(b, revision);
	acpi_buf_append_u8(b, 0); /* Checksum: acpi_sdt_end() */
	acpi_buf_append(b, ACPI_OEM_ID, 6);
	acpi_buf_append(b, ACPI_OEM_TABLE_ID, 8);
	acpi_buf_append_u32(b, ACPI_OEM_REVISION);
	acpi_buf_append(b, ACPI_CREATOR_ID, 4);
	acpi_buf_append_u32(b, ACPI_CREATOR_REVISION);
	return acpi_buf_error(b) ? SIZE_MAX : start;
}

uint8_t acpi_checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)-sum;
}

int acpi_sdt_end(struct acpi_buf *b, size_t start)
{
	size_t len;

	if (acpi_buf_error(b))
		return acpi_buf_error(b);
	if (start > b->len || b->len - start < ACPI_SDT_HEADER_SIZE) {
		acpi_buf_set_error(b, -EINVAL);
		return acpi_buf_error(b);
	}
	len = b->len - start;
	if (len > UINT32_MAX) {
		acpi_buf_set_error(b, -E2BIG);
		return acpi_buf_error(b);
	}
	acpi_buf_patch_u32(b, start + ACPI_SDT_LENGTH_OFFSET, (uint32_t)len);
	acpi_buf_patch_u8(b, start + ACPI_SDT_CHECKSUM_OFFSET, 0);
	acpi_buf_patch_u8(b, start + ACPI_SDT_CHECKSUM_OFFSET, acpi_checksum(b->data + start, len));
	return acpi_buf_error(b);
}

void acpi_append_gas(struct acpi_buf *b, enum acpi_gas_space space, uint8_t bit_width,
		     uint8_t bit_offset, enum acpi_gas_access access, uint64_t address)
{
	acpi_buf_append_u8(b, (uint8_t)space);
	acpi_buf_append_u8(b, bit_width);
	acpi_buf_append_u8(b, bit_offset);
	acpi_buf_append_u8(b, (uint8_t)access);
	acpi_buf_append_u64(b, address);
}

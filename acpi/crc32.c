// SPDX-License-Identifier: MIT
#include "acpi/crc32.h"

uint32_t acpi_crc32(const void *data, size_t n)
{
	const uint8_t *p = data;
	uint32_t crc = 0xFFFFFFFFu;

	/* Bitwise: only used on a 120-byte header per VM boot. */
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

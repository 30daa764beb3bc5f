// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "acpi/aml/guid.h"

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int acpi_guid_parse(const char *text, uint8_t out[ACPI_GUID_SIZE])
{
	/* Position in the text of each output byte's first hex digit. */
	static const uint8_t pos[ACPI_GUID_SIZE] = {
		6, 4, 2, 0,         /* Data1, little-endian */
		11, 9,              /* Data2 */
		16, 14,             /* Data3 */
		19, 21,             /* Data4[0..1] */
		24, 26, 28, 30, 32, 34, /* Data4[2..7] */
	};

	if (!text || strlen(text) != 36)
		return -EINVAL;
	if (text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-')
		return -EINVAL;
	for (unsigned int i = 0; i < ACPI_GUID_SIZE; i++) {
		int hi = hex_val(text[pos[i]]);
		int lo = hex_val(text[pos[i] + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320): the one UEFI table headers use. */
#ifndef ACPI_CRC32_H
#define ACPI_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* CRC of n bytes; crc32("123456789") == 0xCBF43926. */
uint32_t acpi_crc32(const void *data, size_t n);

#endif

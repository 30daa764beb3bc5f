/* SPDX-License-Identifier: MIT */
/* The common ACPI system description table header (ACPI 6.5 §5.2.6) and GAS. */
#ifndef ACPI_SDT_H
#define ACPI_SDT_H

#include <stddef.h>
#include <stdint.h>
#include "acpi/aml/buf.h"
#include "vmm/core/compiler.h"

#define ACPI_SDT_HEADER_SIZE 36
#define ACPI_SDT_LENGTH_OFFSET 4
#define ACPI_SDT_CHECKSUM_OFFSET 9

/* Identification written into every table (and the RSDP's OEMID). */
#define ACPI_OEM_ID "VMM   "        /* 6 bytes */
#define ACPI_OEM_TABLE_ID "VMMARM64" /* 8 bytes */
#define ACPI_OEM_REVISION 1
#define ACPI_CREATOR_ID "VMM "       /* 4 bytes */
#define ACPI_CREATOR_REVISION 1

/*
 * Starts a table at the end of `b`: appends a header with Length and Checksum
 * zero and returns the table's offset in `b` (SIZE_MAX if `b` is in error).
 */
size_t acpi_sdt_begin(struct acpi_buf *b, const char signature[4], uint8_t revision);
/* Sets Length (b->len - start) and the checksum of the table at `start`. */
int acpi_sdt_end(struct acpi_buf *b, size_t start) __must_check;
/* The value that makes n bytes at p sum to 0 mod 256 when stored in one of them (which must be 0). */
uint8_t acpi_checksum(const uint8_t *p, size_t n);

/* Generic Address Structure (12 bytes). */
enum acpi_gas_space { ACPI_GAS_SYSTEM_MEMORY = 0, ACPI_GAS_SYSTEM_IO = 1 };
enum acpi_gas_access { ACPI_GAS_ACCESS_UNDEF = 0, ACPI_GAS_ACCESS_BYTE = 1, ACPI_GAS_ACCESS_WORD = 2,
		       ACPI_GAS_ACCESS_DWORD = 3, ACPI_GAS_ACCESS_QWORD = 4 };
void acpi_append_gas(struct acpi_buf *b, enum acpi_gas_space space, uint8_t bit_width,
		     uint8_t bit_offset, enum acpi_gas_access access, uint64_t address);

#endif

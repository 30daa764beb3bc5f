/* SPDX-License-Identifier: MIT */
/*
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the trailer of a state
 * stream. Detects every single-bit error and every burst of up to 32 bits.
 */
#ifndef MIGRATION_CRC32C_H
#define MIGRATION_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues a CRC: start with crc = 0. mig_crc32c(0, "123456789", 9) == 0xE3069283. */
uint32_t mig_crc32c(uint32_t crc, const void *data, size_t n);

#endif

/* SPDX-License-Identifier: MIT */
/* GUIDs in the binary layout that UEFI and ACPI ToUUID() share. */
#ifndef ACPI_GUID_H
#define ACPI_GUID_H

#include <stdint.h>
#include "vmm/core/compiler.h"

#define ACPI_GUID_SIZE 16

/*
 * Parses the text form "aabbccdd-eeff-gghh-iijj-kkllmmnnoopp" (hex digits in
 * either case) into 16 bytes: the first three groups little-endian
 * (dd cc bb aa ff ee hh gg), the last two in text order. -EINVAL if malformed.
 */
int acpi_guid_parse(const char *text, uint8_t out[ACPI_GUID_SIZE]) __must_check;

#endif

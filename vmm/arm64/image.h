/* SPDX-License-Identifier: MIT */
/* The arm64 Linux Image header (Documentation/arch/arm64/booting.rst). */
#ifndef VMM_ARM64_IMAGE_H
#define VMM_ARM64_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/core/compiler.h"

#define ARM64_IMAGE_MAGIC 0x644d5241U /* "ARM\x64" */
#define ARM64_IMAGE_HEADER_SIZE 64

struct arm64_image {
	uint64_t text_offset; /* load offset from a 2 MiB aligned base */
	uint64_t image_size;  /* bytes the kernel needs from its load address (>= file size) */
	uint64_t flags;
};

/*
 * Validates the header of a file of file_size bytes whose first bytes are hdr.
 * Returns -ENOEXEC (not an arm64 Image: bad magic, big-endian, too small) with a
 * reason in errbuf.
 */
int arm64_image_parse(const uint8_t *hdr, size_t hdr_len, uint64_t file_size, struct arm64_image *out,
		      char *errbuf, size_t errlen) __must_check;

#endif

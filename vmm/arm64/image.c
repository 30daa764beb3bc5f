// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/arm64/image.h"

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

int arm64_image_parse(const uint8_t *hdr, size_t hdr_len, uint64_t file_size, struct arm64_image *out,
		      char *errbuf, size_t errlen)
{
	uint32_t magic;

	if (hdr_len < ARM64_IMAGE_HEADER_SIZE || file_size < ARM64_IMAGE_HEADER_SIZE) {
		snprintf(errbuf, errlen, "file is too small to be an arm64 Image (%llu bytes)",
			 (unsigned long long)file_size);
		return -ENOEXEC;
	}
	magic = (uint32_t)hdr[56] | (uint32_t)hdr[57] << 8 | (uint32_t)hdr[58] << 16 | (uint32_t)hdr[59] << 24;
	if (magic != ARM64_IMAGE_MAGIC) {
		snprintf(errbuf, errlen, "not an arm64 Image (no 'ARM\\x64' magic at offset 56%s)",
			 hdr[0] == 0x1f && hdr[1] == 0x8b ? "; the file is gzip-compressed: decompress it first"
			 : hdr[0] == 'M' && hdr[1] == 'Z' ? "; the file looks like a compressed EFI zboot image" : "");
		return -ENOEXEC;
	}
	out->text_offset = le64(hdr + 8);
	out->image_size = le64(hdr + 16);
	out->flags = le64(hdr + 24);
	if (out->image_size == 0) {
		/* Kernels before 3.17: text_offset 0x80000, size unknown. */
		out->text_offset = 0x80000;
		out->image_size = file_size;
	}
	if (out->flags & 1) {
		snprintf(errbuf, errlen, "the arm64 Image is big-endian; only little-endian guests are supported");
		return -ENOEXEC;
	}
	if (out->text_offset >= SZ_2M || !IS_ALIGNED(out->text_offset, SZ_4K)) {
		snprintf(errbuf, errlen, "arm64 Image has an invalid text_offset 0x%llx",
			 (unsigned long long)out->text_offset);
		return -ENOEXEC;
	}
	if (out->image_size < file_size)
		out->image_size = file_size;
	return 0;
}

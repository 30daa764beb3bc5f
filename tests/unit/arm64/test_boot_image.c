// SPDX-License-Identifier: MIT
/* The arm64 Image header and where the boot payload is placed in RAM. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "vmm/arm64/boot_plan.h"
#include "vmm/arm64/image.h"

static void make_header(uint8_t *h, uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
	memset(h, 0, ARM64_IMAGE_HEADER_SIZE);
	for (int i = 0; i < 8; i++) {
		h[8 + i] = (uint8_t)(text_offset >> (8 * i));
		h[16 + i] = (uint8_t)(image_size >> (8 * i));
		h[24 + i] = (uint8_t)(flags >> (8 * i));
	}
	memcpy(h + 56, "ARM\x64", 4);
}

Test(arm64_image, parses_a_modern_header)
{
	uint8_t h[64];
	struct arm64_image img;
	char err[128];

	make_header(h, 0, 0x2a00000, 0xa);
	cr_assert_eq(arm64_image_parse(h, sizeof(h), 0x2000000, &img, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(img.text_offset, 0);
	cr_assert_eq(img.image_size, 0x2a00000);
}

Test(arm64_image, rejects_what_is_not_an_image)
{
	uint8_t h[64];
	struct arm64_image img;
	char err[128];

	memset(h, 0, sizeof(h));
	h[0] = 0x1f;
	h[1] = 0x8b;
	cr_assert_eq(arm64_image_parse(h, sizeof(h), 1000, &img, err, sizeof(err)), -ENOEXEC);
	cr_assert(strstr(err, "not an arm64 Image") && strstr(err, "gzip"), "got: %s", err);
	cr_assert_eq(arm64_image_parse(h, 10, 10, &img, err, sizeof(err)), -ENOEXEC);
	cr_assert(strstr(err, "too small"), "got: %s", err);
	make_header(h, 0, 0x100000, 1);
	cr_assert_eq(arm64_image_parse(h, sizeof(h), 0x1000, &img, err, sizeof(err)), -ENOEXEC);
	cr_assert(strstr(err, "big-endian"), "got: %s", err);
	make_header(h, 0x123, 0x100000, 0);
	cr_assert_eq(arm64_image_parse(h, sizeof(h), 0x1000, &img, err, sizeof(err)), -ENOEXEC);
}

Test(arm64_image, old_kernels_get_the_legacy_offset)
{
	uint8_t h[64];
	struct arm64_image img;
	char err[128];

	make_header(h, 0, 0, 0);
	cr_assert_eq(arm64_image_parse(h, sizeof(h), 0x500000, &img, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(img.text_offset, 0x80000);
	cr_assert_eq(img.image_size, 0x500000);
}

Test(boot_plan, places_everything_without_overlap)
{
	struct boot_plan p;
	char err[256];
	uint64_t base = 0x40000000, size = 512ULL << 20;

	cr_assert_eq(boot_plan_compute(base, size, 0, 0x3000000, 0x1234567, 0x30000, &p, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(p.kernel_gpa, base);
	cr_assert_eq(p.fdt_gpa % SZ_2M, 0);
	cr_assert_eq(p.fdt_gpa + BOOT_FDT_MAX_SIZE, base + size);
	cr_assert_eq(p.blob_size, 0x30000);
	cr_assert_eq(p.blob_gpa + p.blob_size, p.fdt_gpa);
	cr_assert_eq(p.initrd_gpa % SZ_4K, 0);
	cr_assert_leq(p.initrd_gpa + p.initrd_size, p.blob_gpa);
	cr_assert_leq(p.kernel_end, p.initrd_gpa);
}

Test(boot_plan, refuses_when_ram_is_too_small)
{
	struct boot_plan p;
	char err[256];

	cr_assert_eq(boot_plan_compute(0x40000000, 64ULL << 20, 0, 40ULL << 20, 30ULL << 20, 0, &p, err,
				       sizeof(err)), -E2BIG);
	cr_assert(strstr(err, "too small"), "got: %s", err);
	cr_assert_eq(boot_plan_compute(0x40000000, 64ULL << 20, 0, 40ULL << 20, 0, 1ULL << 40, &p, err,
				       sizeof(err)), -E2BIG);
}

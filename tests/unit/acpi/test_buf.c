// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/aml/buf.h"

Test(acpi_buf, appends_little_endian)
{
	static const uint8_t want[] = { 0x11, 0x22, 0x11, 0x44, 0x33, 0x22, 0x11,
					0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
					0xAB, 0xCD, 0x56, 0x34, 0x12 };
	struct acpi_buf b = ACPI_BUF_INIT;

	acpi_buf_append_u8(&b, 0x11);
	acpi_buf_append_u16(&b, 0x1122);
	acpi_buf_append_u32(&b, 0x11223344);
	acpi_buf_append_u64(&b, 0x1122334455667788ULL);
	acpi_buf_append(&b, "\xAB\xCD", 2);
	acpi_buf_append_le(&b, 0x99123456, 3);
	cr_assert_eq(acpi_buf_error(&b), 0);
	cr_assert_eq(b.len, sizeof(want));
	cr_assert_arr_eq(b.data, want, sizeof(want));
	acpi_buf_fini(&b);
}

Test(acpi_buf, grows_past_many_reallocations)
{
	struct acpi_buf b = ACPI_BUF_INIT;

	for (uint32_t i = 0; i < 100000; i++)
		acpi_buf_append_u32(&b, i);
	cr_assert_eq(acpi_buf_error(&b), 0);
	cr_assert_eq(b.len, 400000);
	for (uint32_t i = 0; i < 100000; i += 997)
		cr_assert_eq(acpi_get_le(b.data + 4 * i, 4), i);
	acpi_buf_fini(&b);
}

Test(acpi_buf, alloc_then_patch)
{
	struct acpi_buf b = ACPI_BUF_INIT;
	size_t off;

	acpi_buf_append_u8(&b, 0xEE);
	off = acpi_buf_alloc(&b, 8);
	cr_assert_eq(off, 1);
	acpi_buf_append_u8(&b, 0xFF);
	acpi_buf_patch_u32(&b, off, 0xDEADBEEF);
	acpi_buf_patch_u16(&b, off + 4, 0xCAFE);
	acpi_buf_patch_u8(&b, off + 6, 0x42);
	cr_assert_eq(acpi_buf_error(&b), 0);
	cr_assert_eq(acpi_get_le(b.data + 1, 4), 0xDEADBEEF);
	cr_assert_eq(acpi_get_le(b.data + 5, 2), 0xCAFE);
	cr_assert_eq(b.data[7], 0x42);
	cr_assert_eq(b.data[8], 0x00);
	cr_assert_eq(b.data[9], 0xFF);
	acpi_buf_patch_u64(&b, 2, 0x0807060504030201ULL);
	cr_assert_eq(acpi_get_le(b.data + 2, 8), 0x0807060504030201ULL);
	acpi_buf_fini(&b);
}

Test(acpi_buf, patch_out_of_range_is_a_sticky_error)
{
	struct acpi_buf b = ACPI_BUF_INIT;

	acpi_buf_append_zero(&b, 4);
	acpi_buf_patch_u32(&b, 1, 0x12345678);
	cr_assert_eq(acpi_buf_error(&b), -ERANGE);
	cr_assert_eq(b.data[1], 0, "an out-of-range patch must write nothing");
	/* Every later operation is a no-op and the first error stays. */
	acpi_buf_append_u32(&b, 1);
	cr_assert_eq(b.len, 4);
	cr_assert_eq(acpi_buf_alloc(&b, 4), SIZE_MAX);
	acpi_buf_set_error(&b, -ENOMEM);
	cr_assert_eq(acpi_buf_error(&b), -ERANGE);
	acpi_buf_fini(&b);
	cr_assert_eq(acpi_buf_error(&b), 0);
	cr_assert_null(b.data);
}

Test(acpi_buf, patch_offset_overflow_is_rejected)
{
	struct acpi_buf b = ACPI_BUF_INIT;

	acpi_buf_append_zero(&b, 16);
	acpi_buf_patch(&b, SIZE_MAX - 1, "ab", 2);
	cr_assert_eq(acpi_buf_error(&b), -ERANGE);
	acpi_buf_fini(&b);
}

Test(acpi_buf, size_cap)
{
	struct acpi_buf b = ACPI_BUF_INIT;

	acpi_buf_append_u8(&b, 1);
	cr_assert_eq(acpi_buf_reserve(&b, ACPI_BUF_MAX), -E2BIG);
	cr_assert_eq(acpi_buf_error(&b), -E2BIG);
	acpi_buf_fini(&b);

	acpi_buf_append_zero(&b, SIZE_MAX);
	cr_assert_eq(acpi_buf_error(&b), -E2BIG);
	acpi_buf_fini(&b);
}

Test(acpi_buf, bad_widths)
{
	struct acpi_buf b = ACPI_BUF_INIT;

	acpi_buf_append_le(&b, 0, 9);
	cr_assert_eq(acpi_buf_error(&b), -EINVAL);
	acpi_buf_fini(&b);
	acpi_buf_append_zero(&b, 3);
	acpi_buf_patch_le(&b, 0, 0, 0);
	cr_assert_eq(acpi_buf_error(&b), -EINVAL);
	acpi_buf_fini(&b);
	acpi_buf_align(&b, 3);
	cr_assert_eq(acpi_buf_error(&b), -EINVAL);
	acpi_buf_fini(&b);
}

Test(acpi_buf, align_and_sum)
{
	struct acpi_buf b = ACPI_BUF_INIT;

	acpi_buf_append(&b, "\x01\x02\x03", 3);
	acpi_buf_align(&b, 16);
	cr_assert_eq(b.len, 16);
	acpi_buf_align(&b, 16);
	cr_assert_eq(b.len, 16, "aligning an aligned buffer adds nothing");
	cr_assert_eq(acpi_buf_sum(&b, 0, 16), 6);
	cr_assert_eq(acpi_buf_sum(&b, 1, 2), 5);
	cr_assert_eq(acpi_buf_error(&b), 0);
	(void)acpi_buf_sum(&b, 10, 7);
	cr_assert_eq(acpi_buf_error(&b), -ERANGE);
	acpi_buf_fini(&b);
}

Test(acpi_buf, take_transfers_ownership)
{
	struct acpi_buf b = ACPI_BUF_INIT;
	uint8_t *data;
	size_t len;

	acpi_buf_append_u32(&b, 0xAABBCCDD);
	cr_assert_eq(acpi_buf_take(&b, &data, &len), 0);
	cr_assert_eq(len, 4);
	cr_assert_eq(acpi_get_le(data, 4), 0xAABBCCDD);
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0);
	free(data);

	acpi_buf_append_u32(&b, 1);
	acpi_buf_set_error(&b, -ENOMEM);
	data = NULL;
	cr_assert_eq(acpi_buf_take(&b, &data, &len), -ENOMEM);
	cr_assert_null(data);
	cr_assert_null(b.data, "a failed take frees the storage");
}

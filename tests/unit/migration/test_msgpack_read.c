// SPDX-License-Identifier: MIT
/* The bounded msgpack reader: every encoding, and hostile headers that must fail
 * without allocating or reading past the end. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "migration/format/msgpack_read.h"
#include "tests/unit/migration/mig_test.h"

TestSuite(migration_msgpack, .timeout = 30);

static struct mig_err err;

Test(migration_msgpack, every_encoding)
{
	struct mp_out o;
	struct mpr r;
	struct mpr_item it;

	mp_out_init(&o);
	msgpack_pack_array(&o.pk, 12);
	msgpack_pack_nil(&o.pk);
	msgpack_pack_true(&o.pk);
	msgpack_pack_uint64(&o.pk, UINT64_MAX);
	msgpack_pack_int64(&o.pk, INT64_MIN);
	msgpack_pack_int8(&o.pk, -100);
	msgpack_pack_float(&o.pk, 2.5f);
	msgpack_pack_double(&o.pk, -0.25);
	msgpack_pack_str(&o.pk, 40), msgpack_pack_str_body(&o.pk, "0123456789012345678901234567890123456789", 40);
	msgpack_pack_bin(&o.pk, 300);
	for (int i = 0; i < 300; i++)
		msgpack_pack_bin_body(&o.pk, "z", 1);
	msgpack_pack_ext(&o.pk, 2, 5), msgpack_pack_ext_body(&o.pk, "ab", 2);
	msgpack_pack_map(&o.pk, 20);
	for (int i = 0; i < 20; i++)
		msgpack_pack_int16(&o.pk, (int16_t)-i), msgpack_pack_uint16(&o.pk, (uint16_t)(i * 1000));
	msgpack_pack_int32(&o.pk, 7);

	mpr_init(&r, o.sb.data, o.sb.size, 0);
	cr_assert_eq(mpr_next(&r, &it, &err), 0);
	cr_expect_eq(it.kind, MPR_ARRAY);
	cr_expect_eq(it.n, 12);
	cr_assert_eq(mpr_next(&r, &it, &err), 0);
	cr_expect_eq(it.kind, MPR_NIL);
	cr_assert_eq(mpr_next(&r, &it, &err), 0);
	cr_expect(it.kind == MPR_BOOL && it.b);
	cr_assert_eq(mpr_next(&r, &it, &err), 0);
	cr_expect(it.kind == MPR_UINT && it.u == UINT64_MAX);
	cr_assert_eq(mpr_next(&r, &it, &err), 0);
	cr_expect(it.kind == MPR_INT && it.i == INT64_MIN);
	cr_assert_eq(mpr_next(&r, &it, &err), 0);
	cr_expect(it.kind == MPR_INT && it.i == -100);
	cr_assert_eq(mpr_next(&r, &it, &err), 0);
	cr_expect(it.kind == MPR_FLOAT && it.f == 2.5);
	cr_assert_eq(mpr_next(&r, &it, &err), 0);
	cr_expect(it.kind == MPR_FLOAT && it.f == -0.25);
	cr_assert_eq(mpr_next(&r, &it, &err), 0);
	cr_expect(it.kind == MPR_STR && it.s.len == 40);
	cr_assert_eq(mpr_next(&r, &it, &err), 0);
	cr_expect(it.kind == MPR_BIN && it.s.len == 300);
	cr_assert_eq(mpr_next(&r, &it, &err), 0);
	cr_expect(it.kind == MPR_EXT && it.s.ext_type == 5);
	cr_assert_eq(mpr_skip(&r, &err), 0, "%s", err.msg);
	cr_assert_eq(mpr_next(&r, &it, &err), 0);
	cr_expect(it.kind == MPR_UINT && it.u == 7);
	cr_expect_eq(r.pos, r.len);
	mp_out_fini(&o);
}

Test(migration_msgpack, hostile_headers)
{
	/* array32 / map32 / bin32 / str32 claiming 4 G entries or bytes: no allocation, an error. */
	static const uint8_t arr[] = { 0xdd, 0xff, 0xff, 0xff, 0xff, 0x00 };
	static const uint8_t map[] = { 0xdf, 0x7f, 0xff, 0xff, 0xff, 0x00, 0x00 };
	static const uint8_t bin[] = { 0xc6, 0xff, 0xff, 0xff, 0xff, 0x00 };
	static const uint8_t str[] = { 0xdb, 0x00, 0x01, 0x00, 0x00, 0x00 };
	static const uint8_t never[] = { 0xc1 };
	static const uint8_t u64_cut[] = { 0xcf, 1, 2, 3 };
	struct mpr r;
	struct mpr_item it;

	mpr_init(&r, arr, sizeof(arr), 100);
	cr_expect_eq(mpr_next(&r, &it, &err), -EBADMSG);
	cr_expect(strstr(err.msg, "truncated at byte 106") != NULL, "%s", err.msg);
	mpr_init(&r, map, sizeof(map), 0);
	cr_expect_eq(mpr_next(&r, &it, &err), -EBADMSG);
	mpr_init(&r, bin, sizeof(bin), 0);
	cr_expect_eq(mpr_next(&r, &it, &err), -EBADMSG);
	mpr_init(&r, str, sizeof(str), 0);
	cr_expect_eq(mpr_next(&r, &it, &err), -E2BIG);
	mpr_init(&r, never, sizeof(never), 0);
	cr_expect_eq(mpr_next(&r, &it, &err), -EBADMSG);
	cr_expect(strstr(err.msg, "invalid msgpack type byte 0xc1") != NULL, "%s", err.msg);
	mpr_init(&r, u64_cut, sizeof(u64_cut), 0);
	cr_expect_eq(mpr_next(&r, &it, &err), -EBADMSG);
}

Test(migration_msgpack, nesting_cap)
{
	uint8_t deep[MPR_MAX_DEPTH + 2];
	struct mpr r;

	memset(deep, 0x91, sizeof(deep)); /* [[[[...]]]] */
	deep[sizeof(deep) - 1] = 0xc0;
	mpr_init(&r, deep, sizeof(deep), 0);
	cr_expect_eq(mpr_skip(&r, &err), -E2BIG);
	cr_expect(strstr(err.msg, "nesting deeper than") != NULL, "%s", err.msg);
	mpr_init(&r, deep + 3, sizeof(deep) - 3, 0);
	cr_expect_eq(mpr_skip(&r, &err), 0, "%s", err.msg);
}

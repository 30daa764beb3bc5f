// SPDX-License-Identifier: MIT
/*
 * Descriptor tables and body encoding: round trips of every field type, the
 * version window, since_version fields, subsections (needed / not needed / unknown
 * optional / unknown mandatory), order-independent keys, unknown keys, and every
 * kind of bad value, each rejected with a message naming the field.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "migration/format/vmstate.h"
#include "tests/unit/migration/mig_test.h"

TestSuite(migration_vmstate, .timeout = 30);

static struct mig_err err;

static int load_buf(const void *body, size_t len, uint32_t version, struct sample_state *out)
{
	memset(&err, 0, sizeof(err));
	return vmstate_load(&sample_vmstate, out, version, body, len, 0, &err);
}

static int load_out(struct mp_out *o, uint32_t version, struct sample_state *out)
{
	return load_buf(o->sb.data, o->sb.size, version, out);
}

#define expect_err(ret, want_ret, substr) \
	do { \
		cr_expect_eq((ret), (want_ret), "ret %d, expected %d (%s)", (ret), (want_ret), err.msg); \
		cr_expect(strstr(err.msg, (substr)) != NULL, "message '%s' lacks '%s'", err.msg, (substr)); \
	} while (0)

Test(migration_vmstate, descriptors_are_valid)
{
	cr_assert_eq(vmstate_desc_check(&sample_vmstate, &err), 0, "%s", err.msg);
}

Test(migration_vmstate, round_trip_every_type)
{
	struct sample_state in, out = { 0 };
	uint8_t *body;
	size_t len;

	for (unsigned seed = 0; seed < 3; seed++) {
		sample_fill(&in, seed);
		cr_assert_eq(mig_test_encode(&sample_vmstate, &in, &body, &len), 0);
		memset(&out, 0xcc, sizeof(out));
		out.reject = false;
		cr_assert_eq(load_buf(body, len, 2, &out), 0, "%s", err.msg);
		cr_expect(sample_equal(&in, &out), "seed %u: state differs after a round trip", seed);
		cr_expect_eq(out.post_loads, 0xcccccccc + 1, "post_load ran once");
		free(body);
	}
}

Test(migration_vmstate, round_trip_zero_and_full_varray)
{
	struct sample_state in, out = { 0 };
	uint8_t *body;
	size_t len;

	for (uint32_t n = 0; n <= SAMPLE_MAX_ITEMS; n += SAMPLE_MAX_ITEMS) {
		sample_fill(&in, 1);
		in.nr_items = n;
		for (uint32_t i = 0; i < n; i++)
			in.items[i].a = i * 3;
		cr_assert_eq(mig_test_encode(&sample_vmstate, &in, &body, &len), 0);
		memset(&out, 0, sizeof(out));
		out.nr_items = 5;
		cr_assert_eq(load_buf(body, len, 2, &out), 0, "%s", err.msg);
		cr_expect_eq(out.nr_items, n);
		cr_expect(sample_equal(&in, &out));
		free(body);
	}
}

Test(migration_vmstate, save_rejects_count_above_maximum)
{
	struct sample_state in;
	uint8_t *body;
	size_t len;

	sample_fill(&in, 0);
	in.nr_items = SAMPLE_MAX_ITEMS + 1;
	cr_expect_eq(mig_test_encode(&sample_vmstate, &in, &body, &len), -ERANGE);
}

Test(migration_vmstate, version_window)
{
	struct sample_state in, out = { 0 };
	uint8_t *body;
	size_t len;

	sample_fill(&in, 0);
	cr_assert_eq(mig_test_encode(&sample_vmstate, &in, &body, &len), 0);
	expect_err(load_buf(body, len, 3, &out), -EPROTO, "version 3 outside [1, 2]");
	expect_err(load_buf(body, len, 0, &out), -EPROTO, "version 0 outside [1, 2]");
	cr_expect_eq(load_buf(body, len, 1, &out), 0, "%s", err.msg);
	free(body);
}

Test(migration_vmstate, since_version_field)
{
	static const char *const skip[] = { "added_v2", NULL };
	struct sample_state in, out = { 0 };
	struct mp_out o;

	sample_fill(&in, 0);
	mp_out_init(&o);
	mp_sample_fields(&o, &in, skip, 0);
	/* A version-1 stream has no added_v2: the pre_load default stands. */
	memset(&out, 0, sizeof(out));
	cr_assert_eq(load_out(&o, 1, &out), 0, "%s", err.msg);
	cr_expect_eq(out.added_v2, 0xdead);
	/* At version 2 it is required. */
	expect_err(load_out(&o, 2, &out), -ENODATA, "missing field 'added_v2' (required at version 2)");
	mp_out_fini(&o);
}

Test(migration_vmstate, missing_required_field)
{
	static const char *const skip[] = { "u16", NULL };
	struct sample_state in, out = { 0 };
	struct mp_out o;

	sample_fill(&in, 0);
	mp_out_init(&o);
	mp_sample_fields(&o, &in, skip, 0);
	expect_err(load_out(&o, 1, &out), -ENODATA, "missing field 'u16'");
	mp_out_fini(&o);
}

Test(migration_vmstate, missing_nested_field_names_path)
{
	static const char *const skip[] = { "items", NULL };
	struct sample_state in, out = { 0 };
	struct mp_out o;

	sample_fill(&in, 0);
	mp_out_init(&o);
	mp_sample_fields(&o, &in, skip, 1);
	mp_key(&o, "items");
	msgpack_pack_array(&o.pk, 2);
	msgpack_pack_map(&o.pk, 3);
	mp_key(&o, "a"), msgpack_pack_uint32(&o.pk, 1);
	mp_key(&o, "b"), msgpack_pack_int64(&o.pk, 1);
	mp_key(&o, "tag"), msgpack_pack_bin(&o.pk, 4), msgpack_pack_bin_body(&o.pk, "abcd", 4);
	msgpack_pack_map(&o.pk, 1);
	mp_key(&o, "a"), msgpack_pack_uint32(&o.pk, 1);
	expect_err(load_out(&o, 2, &out), -ENODATA, "missing field 'items[1].b'");
	mp_out_fini(&o);
}

/* Keys in reverse table order (mp_sample_fields) load like the writer's order. */
Test(migration_vmstate, reordered_keys)
{
	struct sample_state in, out = { 0 };
	struct mp_out o;

	sample_fill(&in, 2);
	mp_out_init(&o);
	mp_sample_fields(&o, &in, NULL, 0);
	memset(&out, 0, sizeof(out));
	cr_assert_eq(load_out(&o, 2, &out), 0, "%s", err.msg);
	cr_expect(sample_equal(&in, &out));
	mp_out_fini(&o);
}

Test(migration_vmstate, unknown_fields_skipped)
{
	struct sample_state in, out = { 0 };
	struct mp_out o;

	sample_fill(&in, 0);
	mp_out_init(&o);
	mp_sample_fields(&o, &in, NULL, 3);
	mp_key(&o, "from_the_future");
	msgpack_pack_array(&o.pk, 2);
	msgpack_pack_map(&o.pk, 1), mp_key(&o, "deep"), msgpack_pack_array(&o.pk, 1), msgpack_pack_nil(&o.pk);
	msgpack_pack_double(&o.pk, 1.5);
	mp_key(&o, "another"), msgpack_pack_str(&o.pk, 3), msgpack_pack_str_body(&o.pk, "abc", 3);
	mp_key(&o, "neg"), msgpack_pack_int64(&o.pk, -5);
	memset(&out, 0, sizeof(out));
	cr_assert_eq(load_out(&o, 2, &out), 0, "%s", err.msg);
	cr_expect(sample_equal(&in, &out));
	mp_out_fini(&o);
}

Test(migration_vmstate, duplicate_field_rejected)
{
	struct sample_state in, out = { 0 };
	struct mp_out o;

	sample_fill(&in, 0);
	mp_out_init(&o);
	mp_sample_fields(&o, &in, NULL, 1);
	mp_key(&o, "u8"), msgpack_pack_uint8(&o.pk, 1);
	expect_err(load_out(&o, 2, &out), -EINVAL, "duplicate field 'u8'");
	mp_out_fini(&o);
}

/* Replaces field `name` of a valid body by a hand-packed value. */
typedef void (*pack_fn)(struct mp_out *o);

static int load_with(const char *name, pack_fn fn, struct sample_state *out)
{
	const char *skip[] = { name, NULL };
	struct sample_state in;
	struct mp_out o;
	int ret;

	sample_fill(&in, 0);
	mp_out_init(&o);
	mp_sample_fields(&o, &in, skip, 1);
	mp_key(&o, name);
	fn(&o);
	ret = load_out(&o, 2, out);
	mp_out_fini(&o);
	return ret;
}

static void pk_256(struct mp_out *o) { msgpack_pack_uint16(&o->pk, 256); }
static void pk_neg(struct mp_out *o) { msgpack_pack_int64(&o->pk, -1); }
static void pk_str(struct mp_out *o) { msgpack_pack_str(&o->pk, 1), msgpack_pack_str_body(&o->pk, "x", 1); }
static void pk_2p31(struct mp_out *o) { msgpack_pack_uint64(&o->pk, 1ULL << 31); }
static void pk_min33(struct mp_out *o) { msgpack_pack_int64(&o->pk, -(1LL << 31) - 1); }
static void pk_one(struct mp_out *o) { msgpack_pack_uint8(&o->pk, 1); }
static void pk_float(struct mp_out *o) { msgpack_pack_double(&o->pk, 1.0); }
static void pk_u16_70000(struct mp_out *o) { msgpack_pack_uint32(&o->pk, 70000); }
static void pk_u32_big(struct mp_out *o) { msgpack_pack_uint64(&o->pk, 1ULL << 32); }
static void pk_i64_big(struct mp_out *o) { msgpack_pack_uint64(&o->pk, 1ULL << 63); }

static void pk_regs33(struct mp_out *o)
{
	msgpack_pack_array(&o->pk, 33);
	for (int i = 0; i < 33; i++)
		msgpack_pack_uint8(&o->pk, 0);
}

static void pk_regs31(struct mp_out *o)
{
	msgpack_pack_array(&o->pk, 31);
	for (int i = 0; i < 31; i++)
		msgpack_pack_uint8(&o->pk, 0);
}

static void pk_regs_bad_elem(struct mp_out *o)
{
	msgpack_pack_array(&o->pk, 32);
	for (int i = 0; i < 32; i++) {
		if (i == 7)
			msgpack_pack_true(&o->pk);
		else
			msgpack_pack_uint8(&o->pk, 0);
	}
}

static void pk_blob15(struct mp_out *o) { msgpack_pack_bin(&o->pk, 15), msgpack_pack_bin_body(&o->pk, "123456789012345", 15); }
static void pk_blob_as_array(struct mp_out *o) { msgpack_pack_array(&o->pk, 0); }

static void pk_items9(struct mp_out *o)
{
	msgpack_pack_array(&o->pk, SAMPLE_MAX_ITEMS + 1);
	for (int i = 0; i < SAMPLE_MAX_ITEMS + 1; i++)
		msgpack_pack_map(&o->pk, 0);
}

static void pk_items_bad_nested(struct mp_out *o)
{
	msgpack_pack_array(&o->pk, 2);
	msgpack_pack_map(&o->pk, 3);
	mp_key(o, "a"), msgpack_pack_uint32(&o->pk, 1);
	mp_key(o, "b"), msgpack_pack_int64(&o->pk, 1);
	mp_key(o, "tag"), msgpack_pack_bin(&o->pk, 4), msgpack_pack_bin_body(&o->pk, "abcd", 4);
	msgpack_pack_map(&o->pk, 3);
	mp_key(o, "a"), msgpack_pack_int64(&o->pk, -3);
	mp_key(o, "b"), msgpack_pack_int64(&o->pk, 1);
	mp_key(o, "tag"), msgpack_pack_bin(&o->pk, 4), msgpack_pack_bin_body(&o->pk, "abcd", 4);
}

static void pk_inner_not_map(struct mp_out *o) { msgpack_pack_array(&o->pk, 1), msgpack_pack_uint8(&o->pk, 1); }

static void pk_pair3(struct mp_out *o)
{
	msgpack_pack_array(&o->pk, 3);
	for (int i = 0; i < 3; i++)
		msgpack_pack_map(&o->pk, 0);
}

Test(migration_vmstate, bad_values_name_the_field)
{
	struct sample_state out = { 0 };
	int ret;

	ret = load_with("u8", pk_256, &out);
	expect_err(ret, -ERANGE, "field 'u8': value 256 out of range");
	ret = load_with("u16", pk_u16_70000, &out);
	expect_err(ret, -ERANGE, "field 'u16': value 70000 out of range");
	ret = load_with("u32", pk_u32_big, &out);
	expect_err(ret, -ERANGE, "field 'u32': value 4294967296 out of range");
	ret = load_with("u64", pk_neg, &out);
	expect_err(ret, -ERANGE, "field 'u64': value -1 out of range");
	ret = load_with("i32", pk_2p31, &out);
	expect_err(ret, -ERANGE, "field 'i32': value 2147483648 out of range");
	ret = load_with("i32", pk_min33, &out);
	expect_err(ret, -ERANGE, "field 'i32': value -2147483649 out of range");
	ret = load_with("i64", pk_i64_big, &out);
	expect_err(ret, -ERANGE, "field 'i64'");
	ret = load_with("u32", pk_str, &out);
	expect_err(ret, -EINVAL, "field 'u32': expected unsigned integer, got string");
	ret = load_with("b", pk_one, &out);
	expect_err(ret, -EINVAL, "field 'b': expected boolean, got unsigned integer");
	ret = load_with("i64", pk_float, &out);
	expect_err(ret, -EINVAL, "field 'i64': expected integer, got float");
	ret = load_with("regs", pk_regs33, &out);
	expect_err(ret, -E2BIG, "field 'regs': expected an array of 32 elements, got 33");
	ret = load_with("regs", pk_regs31, &out);
	expect_err(ret, -EINVAL, "field 'regs': expected an array of 32 elements, got 31");
	ret = load_with("regs", pk_regs_bad_elem, &out);
	expect_err(ret, -EINVAL, "field 'regs[7]': expected unsigned integer, got boolean");
	ret = load_with("regs", pk_one, &out);
	expect_err(ret, -EINVAL, "field 'regs': expected array, got unsigned integer");
	ret = load_with("blob", pk_blob15, &out);
	expect_err(ret, -EINVAL, "field 'blob': expected 16 bytes, got 15");
	ret = load_with("blob", pk_blob_as_array, &out);
	expect_err(ret, -EINVAL, "field 'blob': expected byte string, got array");
	ret = load_with("items", pk_items9, &out);
	expect_err(ret, -E2BIG, "field 'items': 9 elements, above the maximum 8");
	ret = load_with("items", pk_items_bad_nested, &out);
	expect_err(ret, -ERANGE, "field 'items[1].a': value -3 out of range");
	ret = load_with("inner", pk_inner_not_map, &out);
	expect_err(ret, -EINVAL, "field 'inner': expected map, got array");
	ret = load_with("pair", pk_pair3, &out);
	expect_err(ret, -E2BIG, "field 'pair': expected an array of 2 elements, got 3");
}

Test(migration_vmstate, failed_load_leaves_state_untouched)
{
	struct sample_state in, out, before;
	uint8_t *body;
	size_t len;

	sample_fill(&in, 0);
	in.reject = true; /* not migrated: post_load sees out's flag */
	cr_assert_eq(mig_test_encode(&sample_vmstate, &in, &body, &len), 0);
	memset(&out, 0x5a, sizeof(out));
	out.reject = true;
	before = out;
	expect_err(load_buf(body, len, 2, &out), -EINVAL, "rejected by post_load");
	cr_expect(memcmp(&out, &before, sizeof(out)) == 0, "state changed by a failed load");
	/* A truncated body too. */
	out.reject = false;
	before = out;
	cr_expect_neq(load_buf(body, len - 1, 2, &out), 0);
	cr_expect(memcmp(&out, &before, sizeof(out)) == 0);
	free(body);
}

Test(migration_vmstate, trailing_garbage_rejected)
{
	struct sample_state in, out = { 0 };
	uint8_t *body;
	size_t len;

	sample_fill(&in, 0);
	cr_assert_eq(mig_test_encode(&sample_vmstate, &in, &body, &len), 0);
	body = realloc(body, len + 1);
	body[len] = 0xc0;
	expect_err(load_buf(body, len + 1, 2, &out), -EBADMSG, "garbage after the body");
	free(body);
}

/* --- Subsections -------------------------------------------------------------- */

static bool has_key(const uint8_t *body, size_t len, const char *key)
{
	return memmem(body, len, key, strlen(key)) != NULL;
}

Test(migration_vmstate, subsection_not_needed_is_absent_and_defaults_apply)
{
	struct sample_state in, out = { 0 };
	uint8_t *body;
	size_t len;

	sample_fill(&in, 0); /* extra == default, strict false */
	cr_assert_eq(mig_test_encode(&sample_vmstate, &in, &body, &len), 0);
	cr_expect(!has_key(body, len, "subsections"));
	memset(&out, 0, sizeof(out));
	out.extra = 1234;
	out.strict = true;
	out.strict_level = 9;
	cr_assert_eq(load_buf(body, len, 2, &out), 0, "%s", err.msg);
	cr_expect_eq(out.extra, SAMPLE_EXTRA_DEFAULT, "pre_load default of an absent subsection");
	cr_expect(!out.strict);
	cr_expect_eq(out.strict_level, 0);
	free(body);
}

Test(migration_vmstate, subsection_needed_round_trips)
{
	struct sample_state in, out = { 0 };
	uint8_t *body;
	size_t len;

	sample_fill(&in, 0);
	in.extra = 0xabcdef;
	in.strict = true;
	in.strict_level = 3;
	cr_assert_eq(mig_test_encode(&sample_vmstate, &in, &body, &len), 0);
	cr_expect(has_key(body, len, "sample/extra"));
	cr_expect(has_key(body, len, "sample/strict"));
	memset(&out, 0, sizeof(out));
	cr_assert_eq(load_buf(body, len, 2, &out), 0, "%s", err.msg);
	cr_expect(sample_equal(&in, &out));
	free(body);
}

/* Appends a "subsections" entry with one subsection. */
static void pack_sub(struct mp_out *o, const char *name, uint32_t flags, uint32_t version, bool body_first)
{
	mp_key(o, "subsections");
	msgpack_pack_map(&o->pk, 1);
	mp_key(o, name);
	msgpack_pack_map(&o->pk, 3);
	if (body_first) {
		mp_key(o, "body");
		msgpack_pack_map(&o->pk, 1);
		mp_key(o, "extra");
		msgpack_pack_uint64(&o->pk, 99);
	}
	mp_key(o, "version"), msgpack_pack_uint32(&o->pk, version);
	mp_key(o, "flags"), msgpack_pack_uint32(&o->pk, flags);
	if (!body_first) {
		mp_key(o, "body");
		msgpack_pack_map(&o->pk, 1);
		mp_key(o, "extra");
		msgpack_pack_uint64(&o->pk, 99);
	}
}

Test(migration_vmstate, subsection_keys_in_any_order)
{
	struct sample_state in, out = { 0 };
	struct mp_out o;

	sample_fill(&in, 0);
	mp_out_init(&o);
	mp_sample_fields(&o, &in, NULL, 1);
	pack_sub(&o, "sample/extra", 0, 1, true);
	memset(&out, 0, sizeof(out));
	cr_assert_eq(load_out(&o, 2, &out), 0, "%s", err.msg);
	cr_expect_eq(out.extra, 99);
	mp_out_fini(&o);
}

Test(migration_vmstate, unknown_optional_subsection_skipped)
{
	struct sample_state in, out = { 0 };
	struct mp_out o;

	sample_fill(&in, 0);
	mp_out_init(&o);
	mp_sample_fields(&o, &in, NULL, 1);
	pack_sub(&o, "sample/future", 0, 5, false);
	memset(&out, 0, sizeof(out));
	cr_assert_eq(load_out(&o, 2, &out), 0, "%s", err.msg);
	cr_expect(sample_equal(&in, &out));
	mp_out_fini(&o);
}

Test(migration_vmstate, unknown_mandatory_subsection_fails)
{
	struct sample_state in, out = { 0 };
	struct mp_out o;

	sample_fill(&in, 0);
	mp_out_init(&o);
	mp_sample_fields(&o, &in, NULL, 1);
	pack_sub(&o, "sample/future", VMS_SUB_MANDATORY, 1, false);
	expect_err(load_out(&o, 2, &out), -ENOENT, "unknown mandatory subsection 'sample/future'");
	mp_out_fini(&o);
}

Test(migration_vmstate, subsection_version_window)
{
	struct sample_state in, out = { 0 };
	struct mp_out o;

	sample_fill(&in, 0);
	mp_out_init(&o);
	mp_sample_fields(&o, &in, NULL, 1);
	pack_sub(&o, "sample/extra", 0, 2, false);
	expect_err(load_out(&o, 2, &out), -EPROTO, "subsection 'sample/extra': version 2 outside [1, 1]");
	mp_out_fini(&o);
}

Test(migration_vmstate, subsection_field_error_is_located)
{
	struct sample_state in, out = { 0 };
	struct mp_out o;

	sample_fill(&in, 0);
	mp_out_init(&o);
	mp_sample_fields(&o, &in, NULL, 1);
	mp_key(&o, "subsections");
	msgpack_pack_map(&o.pk, 1);
	mp_key(&o, "sample/extra");
	msgpack_pack_map(&o.pk, 2);
	mp_key(&o, "version"), msgpack_pack_uint32(&o.pk, 1);
	mp_key(&o, "body"), msgpack_pack_map(&o.pk, 1), mp_key(&o, "extra"), msgpack_pack_true(&o.pk);
	expect_err(load_out(&o, 2, &out), -EINVAL,
		   "subsection 'sample/extra': field 'extra': expected unsigned integer, got boolean");
	mp_out_fini(&o);
}

/* --- Descriptor checks ---------------------------------------------------------- */

struct small {
	uint32_t a;
	uint32_t b;
};

static const struct vmstate_field dup_fields[] = {
	VMS_U32(struct small, a),
	{ .name = "a", .type = VMS_T_U32, .offset = 4, .elem_size = 4, .count = 1 },
	VMS_END,
};

static const struct vmstate_field oob_fields[] = {
	{ .name = "a", .type = VMS_T_U64, .offset = 4, .elem_size = 8, .count = 1 },
	VMS_END,
};

static const struct vmstate_field reserved_fields[] = {
	{ .name = "subsections", .type = VMS_T_U32, .offset = 0, .elem_size = 4, .count = 1 },
	VMS_END,
};

static const struct vmstate_field late_fields[] = {
	VMS_U32_V(struct small, a, 3),
	VMS_END,
};

Test(migration_vmstate, bad_descriptors_rejected)
{
	struct vmstate_desc d = { .name = "small", .version = 1, .min_version = 1, .size = sizeof(struct small) };

	d.fields = dup_fields;
	expect_err(vmstate_desc_check(&d, &err), -EINVAL, "duplicate field 'a'");
	d.fields = oob_fields;
	expect_err(vmstate_desc_check(&d, &err), -EINVAL, "outside the 8-byte state");
	d.fields = reserved_fields;
	expect_err(vmstate_desc_check(&d, &err), -EINVAL, "bad field name 'subsections'");
	d.fields = late_fields;
	expect_err(vmstate_desc_check(&d, &err), -EINVAL, "since version 3 is after the current version 1");
	d.fields = NULL;
	d.min_version = 2;
	expect_err(vmstate_desc_check(&d, &err), -EINVAL, "bad version window");
	d.min_version = 1;
	d.name = "bad name";
	expect_err(vmstate_desc_check(&d, &err), -EINVAL, "bad descriptor name");
}

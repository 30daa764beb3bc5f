// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/migration/mig_test.h"

static const struct vmstate_field sample_inner_fields[] = {
	VMS_U16(struct sample_inner, x),
	VMS_BOOL_ARRAY(struct sample_inner, flags),
	VMS_END,
};

static const struct vmstate_desc sample_inner_vmstate = {
	.name = "sample-inner", .version = 1, .min_version = 1,
	.size = sizeof(struct sample_inner), .fields = sample_inner_fields,
};

static const struct vmstate_field sample_item_fields[] = {
	VMS_U32(struct sample_item, a),
	VMS_I64(struct sample_item, b),
	VMS_BUFFER(struct sample_item, tag),
	VMS_END,
};

static const struct vmstate_desc sample_item_vmstate = {
	.name = "sample-item", .version = 1, .min_version = 1,
	.size = sizeof(struct sample_item), .fields = sample_item_fields,
};

static const struct vmstate_field sample_extra_fields[] = {
	VMS_U64(struct sample_state, extra),
	VMS_END,
};

static void sample_extra_pre_load(void *opaque)
{
	struct sample_state *s = opaque;

	s->extra = SAMPLE_EXTRA_DEFAULT;
}

static bool sample_extra_needed(const void *opaque)
{
	const struct sample_state *s = opaque;

	return s->extra != SAMPLE_EXTRA_DEFAULT;
}

const struct vmstate_desc sample_extra_vmstate = {
	.name = "sample/extra", .version = 1, .min_version = 1,
	.size = sizeof(struct sample_state), .fields = sample_extra_fields,
	.pre_load = sample_extra_pre_load,
};

static const struct vmstate_field sample_strict_fields[] = {
	VMS_BOOL(struct sample_state, strict),
	VMS_U32(struct sample_state, strict_level),
	VMS_END,
};

static void sample_strict_pre_load(void *opaque)
{
	struct sample_state *s = opaque;

	s->strict = false;
	s->strict_level = 0;
}

static bool sample_strict_needed(const void *opaque)
{
	const struct sample_state *s = opaque;

	return s->strict;
}

static const struct vmstate_desc sample_strict_vmstate = {
	.name = "sample/strict", .version = 1, .min_version = 1,
	.size = sizeof(struct sample_state), .fields = sample_strict_fields,
	.pre_load = sample_strict_pre_load, .needed = sample_strict_needed,
};

static const struct vmstate_subsection sample_subsections[] = {
	{ .desc = &sample_extra_vmstate, .needed = sample_extra_needed },
	{ .desc = &sample_strict_vmstate, .flags = VMS_SUB_MANDATORY },
	VMS_SUB_END,
};

static const struct vmstate_field sample_fields[] = {
	VMS_BOOL(struct sample_state, b),
	VMS_U8(struct sample_state, u8),
	VMS_U16(struct sample_state, u16),
	VMS_U32(struct sample_state, u32),
	VMS_U64(struct sample_state, u64),
	VMS_I32(struct sample_state, i32),
	VMS_I64(struct sample_state, i64),
	VMS_BOOL_ARRAY(struct sample_state, ba),
	VMS_U8_ARRAY(struct sample_state, u8a),
	VMS_U16_ARRAY(struct sample_state, u16a),
	VMS_U32_ARRAY(struct sample_state, u32a),
	VMS_U64_ARRAY(struct sample_state, regs),
	VMS_I32_ARRAY(struct sample_state, i32a),
	VMS_I64_ARRAY(struct sample_state, i64a),
	VMS_BUFFER(struct sample_state, blob),
	VMS_STRUCT(struct sample_state, inner, sample_inner_vmstate, struct sample_inner),
	VMS_STRUCT_ARRAY(struct sample_state, pair, sample_inner_vmstate, struct sample_inner),
	VMS_STRUCT_VARRAY(struct sample_state, items, nr_items, sample_item_vmstate, struct sample_item),
	VMS_U32_V(struct sample_state, added_v2, 2),
	VMS_END,
};

static void sample_pre_load(void *opaque)
{
	struct sample_state *s = opaque;

	s->added_v2 = 0xdead;
}

static int sample_post_load(void *opaque, uint32_t version, struct mig_err *err)
{
	struct sample_state *s = opaque;

	(void)version;
	if (s->reject) {
		mig_err_set(err, "sample rejected by post_load");
		return -EINVAL;
	}
	s->post_loads++;
	return 0;
}

const struct vmstate_desc sample_vmstate = {
	.name = "sample", .version = 2, .min_version = 1,
	.size = sizeof(struct sample_state), .fields = sample_fields, .subsections = sample_subsections,
	.pre_load = sample_pre_load, .post_load = sample_post_load,
};

void sample_fill(struct sample_state *s, unsigned seed)
{
	memset(s, 0, sizeof(*s));
	s->b = true;
	s->u8 = (uint8_t)(0xf0 + seed);
	s->u16 = (uint16_t)(0xfff0 + seed);
	s->u32 = 0xfffffff0u + seed;
	s->u64 = UINT64_MAX - seed;
	s->i32 = INT32_MIN + (int32_t)seed;
	s->i64 = INT64_MIN + seed;
	s->ba[1] = true;
	for (unsigned i = 0; i < 3; i++)
		s->u8a[i] = (uint8_t)(i * 100 + seed);
	s->u16a[0] = 0x8000;
	s->u16a[1] = (uint16_t)seed;
	s->u32a[0] = 1;
	s->u32a[1] = UINT32_MAX;
	for (unsigned i = 0; i < 32; i++)
		s->regs[i] = 0x0123456789abcdefULL * (i + 1) + seed;
	s->i32a[0] = -1;
	s->i32a[1] = INT32_MAX;
	s->i64a[0] = INT64_MAX;
	s->i64a[1] = -(int64_t)seed - 2;
	for (unsigned i = 0; i < 16; i++)
		s->blob[i] = (uint8_t)(0xa0 + i + seed);
	s->inner.x = 0x1234;
	s->inner.flags[2] = true;
	s->pair[0].x = 1;
	s->pair[1].x = 2;
	s->pair[1].flags[0] = true;
	s->nr_items = 3;
	for (unsigned i = 0; i < s->nr_items; i++) {
		s->items[i].a = i + 10;
		s->items[i].b = -(int64_t)i * 1000;
		memcpy(s->items[i].tag, "tag", 3);
		s->items[i].tag[3] = (uint8_t)('0' + i);
	}
	s->added_v2 = 77 + seed;
	s->extra = SAMPLE_EXTRA_DEFAULT;
}

static bool inner_equal(const struct sample_inner *a, const struct sample_inner *b)
{
	return a->x == b->x && memcmp(a->flags, b->flags, sizeof(a->flags)) == 0;
}

#define SAME(f) (memcmp(&a->f, &b->f, sizeof(a->f)) == 0)

/* Field by field: padding is not migrated. */
bool sample_equal(const struct sample_state *a, const struct sample_state *b)
{
	if (!(SAME(b) && SAME(u8) && SAME(u16) && SAME(u32) && SAME(u64) && SAME(i32) && SAME(i64) && SAME(ba) &&
	      SAME(u8a) && SAME(u16a) && SAME(u32a) && SAME(regs) && SAME(i32a) && SAME(i64a) && SAME(blob) &&
	      SAME(nr_items) && SAME(added_v2) && SAME(extra) && SAME(strict) && SAME(strict_level)))
		return false;
	if (!inner_equal(&a->inner, &b->inner) || !inner_equal(&a->pair[0], &b->pair[0]) ||
	    !inner_equal(&a->pair[1], &b->pair[1]))
		return false;
	for (uint32_t i = 0; i < a->nr_items && i < SAMPLE_MAX_ITEMS; i++) {
		const struct sample_item *x = &a->items[i], *y = &b->items[i];

		if (x->a != y->a || x->b != y->b || memcmp(x->tag, y->tag, sizeof(x->tag)))
			return false;
	}
	return true;
}

int mig_test_encode(const struct vmstate_desc *d, const void *s, uint8_t **body, size_t *len)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct mig_err err;
	int ret;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	ret = vmstate_save(d, s, &pk, &err);
	if (ret) {
		msgpack_sbuffer_destroy(&sb);
		return ret;
	}
	*len = sb.size;
	*body = (uint8_t *)msgpack_sbuffer_release(&sb);
	return 0;
}

void mp_out_init(struct mp_out *o)
{
	msgpack_sbuffer_init(&o->sb);
	msgpack_packer_init(&o->pk, &o->sb, msgpack_sbuffer_write);
}

void mp_out_fini(struct mp_out *o)
{
	msgpack_sbuffer_destroy(&o->sb);
}

void mp_key(struct mp_out *o, const char *k)
{
	msgpack_pack_str(&o->pk, strlen(k));
	msgpack_pack_str_body(&o->pk, k, strlen(k));
}

static bool skipped(const char *name, const char *const *skip)
{
	for (; skip && *skip; skip++)
		if (strcmp(*skip, name) == 0)
			return true;
	return false;
}

/* Packs one field's value by hand, the way vmstate_save does. */
static void pack_field(struct mp_out *o, const struct vmstate_field *f, const struct sample_state *s)
{
	const uint8_t *p = (const uint8_t *)s + f->offset;
	uint32_t n = f->count;

	if (f->type == VMS_T_BUFFER) {
		msgpack_pack_bin(&o->pk, n);
		msgpack_pack_bin_body(&o->pk, p, n);
		return;
	}
	if (f->type == VMS_T_STRUCT || f->type == VMS_T_VARRAY) {
		/* Encode with the element descriptor. */
		if (f->type == VMS_T_VARRAY)
			memcpy(&n, (const uint8_t *)s + f->count_offset, sizeof(n));
		if (f->flags & VMS_F_ARRAY)
			msgpack_pack_array(&o->pk, n);
		for (uint32_t i = 0; i < n; i++) {
			struct mig_err err;

			if (vmstate_save(f->desc, p + i * f->elem_size, &o->pk, &err))
				abort();
		}
		return;
	}
	if (f->flags & VMS_F_ARRAY)
		msgpack_pack_array(&o->pk, n);
	for (uint32_t i = 0; i < n; i++, p += f->elem_size) {
		switch (f->type) {
		case VMS_T_BOOL:
			if (*(const bool *)p)
				msgpack_pack_true(&o->pk);
			else
				msgpack_pack_false(&o->pk);
			break;
		case VMS_T_U8:
			msgpack_pack_uint8(&o->pk, *p);
			break;
		case VMS_T_U16:
			msgpack_pack_uint16(&o->pk, *(const uint16_t *)p);
			break;
		case VMS_T_U32:
			msgpack_pack_uint32(&o->pk, *(const uint32_t *)p);
			break;
		case VMS_T_U64:
			msgpack_pack_uint64(&o->pk, *(const uint64_t *)p);
			break;
		case VMS_T_I32:
			msgpack_pack_int32(&o->pk, *(const int32_t *)p);
			break;
		case VMS_T_I64:
			msgpack_pack_int64(&o->pk, *(const int64_t *)p);
			break;
		default:
			abort();
		}
	}
}

void mp_sample_fields(struct mp_out *o, const struct sample_state *s, const char *const *skip, unsigned extra)
{
	const struct vmstate_field *f;
	unsigned n = 0;

	for (f = sample_vmstate.fields; f->name; f++)
		n += !skipped(f->name, skip);
	msgpack_pack_map(&o->pk, n + extra);
	while (f != sample_vmstate.fields) {
		f--;
		if (skipped(f->name, skip))
			continue;
		mp_key(o, f->name);
		pack_field(o, f, s);
	}
}

int mig_test_read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	long n;
	int ret = 0;

	if (!fp)
		return -errno;
	if (fseek(fp, 0, SEEK_END) || (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET)) {
		fclose(fp);
		return -EIO;
	}
	*buf = malloc((size_t)n + 1);
	if (!*buf)
		ret = -ENOMEM;
	else if (fread(*buf, 1, (size_t)n, fp) != (size_t)n)
		ret = -EIO;
	fclose(fp);
	if (ret) {
		free(*buf);
		return ret;
	}
	*len = (size_t)n;
	return 0;
}

// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "migration/format/msgpack_read.h"

void mpr_init(struct mpr *r, const void *buf, size_t len, size_t base)
{
	*r = (struct mpr){ .buf = buf, .len = len, .base = base };
}

const char *mpr_kind_name(enum mpr_kind kind)
{
	static const char *const names[] = {
		[MPR_NIL] = "nil",       [MPR_BOOL] = "boolean",         [MPR_UINT] = "unsigned integer",
		[MPR_INT] = "negative integer", [MPR_FLOAT] = "float",  [MPR_STR] = "string",
		[MPR_BIN] = "byte string", [MPR_ARRAY] = "array",        [MPR_MAP] = "map",
		[MPR_EXT] = "extension",
	};

	return (unsigned)kind < ARRAY_SIZE(names) ? names[kind] : "?";
}

static int need(struct mpr *r, size_t n, struct mig_err *err)
{
	if (n > r->len - r->pos) {
		mig_err_set(err, "truncated at byte %zu (a value needs %zu more bytes, %zu left)",
			    r->base + r->len, n, r->len - r->pos);
		return -EBADMSG;
	}
	return 0;
}

static uint64_t be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Reads an n-byte big-endian length/value after the type byte. */
static int rd(struct mpr *r, unsigned n, uint64_t *v, struct mig_err *err)
{
	int ret = need(r, n, err);

	if (ret)
		return ret;
	*v = be(r->buf + r->pos, n);
	r->pos += n;
	return 0;
}

static int payload(struct mpr *r, struct mpr_item *it, uint64_t len, struct mig_err *err)
{
	int ret;

	if (it->kind == MPR_STR && len > MPR_MAX_STR) {
		mig_err_set(err, "string of %llu bytes at byte %zu is longer than %u", (unsigned long long)len,
			    r->base + r->pos, MPR_MAX_STR);
		return -E2BIG;
	}
	ret = need(r, len, err);
	if (ret)
		return ret;
	it->s.ptr = r->buf + r->pos;
	it->s.len = (uint32_t)len;
	r->pos += len;
	return 0;
}

/* A container declares n children; each needs at least one byte, so a count above
 * the bytes left is a lie (checked here so callers may loop on n safely). */
static int count(struct mpr *r, struct mpr_item *it, uint64_t n, struct mig_err *err)
{
	uint64_t min = it->kind == MPR_MAP ? 2 * n : n;

	if (min > r->len - r->pos) {
		mig_err_set(err, "truncated at byte %zu (%s of %llu entries at byte %zu)", r->base + r->len,
			    mpr_kind_name(it->kind), (unsigned long long)n, r->base + r->pos);
		return -EBADMSG;
	}
	it->n = (uint32_t)n;
	return 0;
}

int mpr_next(struct mpr *r, struct mpr_item *it, struct mig_err *err)
{
	uint64_t v = 0;
	uint8_t t;
	int ret;

	ret = need(r, 1, err);
	if (ret)
		return ret;
	t = r->buf[r->pos++];
	memset(it, 0, sizeof(*it));
	if (t <= 0x7f) {
		it->kind = MPR_UINT;
		it->u = t;
		return 0;
	}
	if (t >= 0xe0) {
		it->kind = MPR_INT;
		it->i = (int8_t)t;
		return 0;
	}
	if ((t & 0xf0) == 0x80) {
		it->kind = MPR_MAP;
		return count(r, it, t & 0x0f, err);
	}
	if ((t & 0xf0) == 0x90) {
		it->kind = MPR_ARRAY;
		return count(r, it, t & 0x0f, err);
	}
	if ((t & 0xe0) == 0xa0) {
		it->kind = MPR_STR;
		return payload(r, it, t & 0x1f, err);
	}
	switch (t) {
	case 0xc0:
		it->kind = MPR_NIL;
		return 0;
	case 0xc2:
	case 0xc3:
		it->kind = MPR_BOOL;
		it->b = t == 0xc3;
		return 0;
	case 0xc4: case 0xc5: case 0xc6: /* bin 8/16/32 */
		it->kind = MPR_BIN;
		ret = rd(r, 1u << (t - 0xc4), &v, err);
		return ret ? ret : payload(r, it, v, err);
	case 0xc7: case 0xc8: case 0xc9: /* ext 8/16/32 */
		it->kind = MPR_EXT;
		ret = rd(r, 1u << (t - 0xc7), &v, err);
		if (!ret)
			ret = need(r, 1, err);
		if (ret)
			return ret;
		it->s.ext_type = (int8_t)r->buf[r->pos++];
		return payload(r, it, v, err);
	case 0xca:
	case 0xcb: {
		it->kind = MPR_FLOAT;
		ret = rd(r, t == 0xca ? 4 : 8, &v, err);
		if (ret)
			return ret;
		if (t == 0xca) {
			uint32_t w = (uint32_t)v;
			float f;

			memcpy(&f, &w, sizeof(f));
			it->f = f;
		} else {
			memcpy(&it->f, &v, sizeof(it->f));
		}
		return 0;
	}
	case 0xcc: case 0xcd: case 0xce: case 0xcf: /* uint 8/16/32/64 */
		it->kind = MPR_UINT;
		return rd(r, 1u << (t - 0xcc), &it->u, err);
	case 0xd0: case 0xd1: case 0xd2: case 0xd3: { /* int 8/16/32/64 */
		unsigned n = 1u << (t - 0xd0);

		ret = rd(r, n, &v, err);
		if (ret)
			return ret;
		if (n < 8 && (v >> (8 * n - 1)) & 1)
			v |= ~0ULL << (8 * n); /* sign-extend */
		it->i = (int64_t)v;
		it->kind = it->i < 0 ? MPR_INT : MPR_UINT;
		if (it->kind == MPR_UINT)
			it->u = v;
		return 0;
	}
	case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: /* fixext 1..16 */
		it->kind = MPR_EXT;
		ret = need(r, 1, err);
		if (ret)
			return ret;
		it->s.ext_type = (int8_t)r->buf[r->pos++];
		return payload(r, it, 1u << (t - 0xd4), err);
	case 0xd9: case 0xda: case 0xdb: /* str 8/16/32 */
		it->kind = MPR_STR;
		ret = rd(r, 1u << (t - 0xd9), &v, err);
		return ret ? ret : payload(r, it, v, err);
	case 0xdc: case 0xdd: /* array 16/32 */
		it->kind = MPR_ARRAY;
		ret = rd(r, t == 0xdc ? 2 : 4, &v, err);
		return ret ? ret : count(r, it, v, err);
	case 0xde: case 0xdf: /* map 16/32 */
		it->kind = MPR_MAP;
		ret = rd(r, t == 0xde ? 2 : 4, &v, err);
		return ret ? ret : count(r, it, v, err);
	default: /* 0xc1: never used */
		mig_err_set(err, "invalid msgpack type byte 0x%02x at byte %zu", t, r->base + r->pos - 1);
		return -EBADMSG;
	}
}

int mpr_skip_rest(struct mpr *r, const struct mpr_item *it, struct mig_err *err)
{
	/* Items still to read at each open nesting level. */
	uint64_t left[MPR_MAX_DEPTH + 1];
	unsigned depth = 0;
	struct mpr_item child;
	int ret;

	if (it->kind != MPR_ARRAY && it->kind != MPR_MAP)
		return 0;
	left[0] = it->kind == MPR_MAP ? 2ULL * it->n : it->n;
	for (;;) {
		while (left[depth] == 0) {
			if (depth == 0)
				return 0;
			depth--;
		}
		left[depth]--;
		ret = mpr_next(r, &child, err);
		if (ret)
			return ret;
		if (child.kind != MPR_ARRAY && child.kind != MPR_MAP)
			continue;
		if (depth + 1 >= MPR_MAX_DEPTH) {
			mig_err_set(err, "nesting deeper than %u at byte %zu", MPR_MAX_DEPTH, r->base + r->pos);
			return -E2BIG;
		}
		left[++depth] = child.kind == MPR_MAP ? 2ULL * child.n : child.n;
	}
}

int mpr_skip(struct mpr *r, struct mig_err *err)
{
	struct mpr_item it;
	int ret = mpr_next(r, &it, err);

	return ret ? ret : mpr_skip_rest(r, &it, err);
}

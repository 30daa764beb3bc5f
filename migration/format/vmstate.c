// SPDX-License-Identifier: MIT
/* Saving and loading state bodies from descriptor tables (see vmstate.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "migration/format/msgpack_read.h"
#include "migration/format/vmstate.h"

/* Keys of a subsection entry. */
#define SUB_FLAGS "flags"
#define SUB_VERSION "version"
#define SUB_BODY "body"

/* --------------------------------------------------------------------------
 * Save
 * -------------------------------------------------------------------------- */

struct save_ctx {
	msgpack_packer *pk;
	struct mig_err *err;
	unsigned depth;
};

static int save_struct(struct save_ctx *c, const struct vmstate_desc *d, const uint8_t *base);

static int pack_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);

	if (msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s, n))
		return -ENOMEM;
	return 0;
}

static bool sub_needed(const struct vmstate_subsection *s, const void *state)
{
	if (s->needed)
		return s->needed(state);
	return vmstate_needed(s->desc, state);
}

bool vmstate_needed(const struct vmstate_desc *d, const void *state)
{
	return !d->needed || d->needed(state);
}

static int save_scalar(msgpack_packer *pk, enum vms_type t, const uint8_t *p)
{
	switch (t) {
	case VMS_T_BOOL: {
		bool b;

		memcpy(&b, p, sizeof(b));
		return b ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
	}
	case VMS_T_U8:
		return msgpack_pack_uint64(pk, *p);
	case VMS_T_U16: {
		uint16_t v;

		memcpy(&v, p, sizeof(v));
		return msgpack_pack_uint64(pk, v);
	}
	case VMS_T_U32: {
		uint32_t v;

		memcpy(&v, p, sizeof(v));
		return msgpack_pack_uint64(pk, v);
	}
	case VMS_T_U64: {
		uint64_t v;

		memcpy(&v, p, sizeof(v));
		return msgpack_pack_uint64(pk, v);
	}
	case VMS_T_I32: {
		int32_t v;

		memcpy(&v, p, sizeof(v));
		return msgpack_pack_int64(pk, v);
	}
	case VMS_T_I64: {
		int64_t v;

		memcpy(&v, p, sizeof(v));
		return msgpack_pack_int64(pk, v);
	}
	default:
		return -EINVAL;
	}
}

static int save_field(struct save_ctx *c, const struct vmstate_field *f, const uint8_t *base)
{
	const uint8_t *p = base + f->offset;
	uint32_t n = f->count;

	if (f->type == VMS_T_BUFFER) {
		if (msgpack_pack_bin(c->pk, n) || msgpack_pack_bin_body(c->pk, p, n))
			return -ENOMEM;
		return 0;
	}
	if (f->type == VMS_T_VARRAY) {
		memcpy(&n, base + f->count_offset, sizeof(n));
		if (n > f->count) {
			mig_err_set(c->err, "field '%s': count %" PRIu32 " above the maximum %" PRIu32, f->name, n,
				    f->count);
			return -ERANGE;
		}
	}
	if ((f->flags & VMS_F_ARRAY) && msgpack_pack_array(c->pk, n))
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++, p += f->elem_size) {
		int ret;

		if (f->type == VMS_T_STRUCT || f->type == VMS_T_VARRAY) {
			ret = save_struct(c, f->desc, p);
			if (ret) {
				if (f->flags & VMS_F_ARRAY)
					mig_err_prefix(c->err, "field '%s[%" PRIu32 "]'", f->name, i);
				else
					mig_err_prefix(c->err, "field '%s'", f->name);
				return ret;
			}
		} else if (save_scalar(c->pk, f->type, p)) {
			return -ENOMEM;
		}
	}
	return 0;
}

static int save_subsections(struct save_ctx *c, const struct vmstate_desc *d, const uint8_t *base,
			    uint64_t needed, unsigned nr)
{
	const struct vmstate_subsection *s;
	unsigned i;
	int ret;

	if (pack_str(c->pk, VMS_SUBSECTIONS_KEY) || msgpack_pack_map(c->pk, nr))
		return -ENOMEM;
	for (s = d->subsections, i = 0; s->desc; s++, i++) {
		if (!(needed & (1ULL << i)))
			continue;
		if (pack_str(c->pk, s->desc->name) || msgpack_pack_map(c->pk, 3) ||
		    pack_str(c->pk, SUB_FLAGS) || msgpack_pack_uint64(c->pk, s->flags) ||
		    pack_str(c->pk, SUB_VERSION) || msgpack_pack_uint64(c->pk, s->desc->version) ||
		    pack_str(c->pk, SUB_BODY))
			return -ENOMEM;
		ret = save_struct(c, s->desc, base);
		if (ret) {
			mig_err_prefix(c->err, "subsection '%s'", s->desc->name);
			return ret;
		}
	}
	return 0;
}

static int save_struct(struct save_ctx *c, const struct vmstate_desc *d, const uint8_t *base)
{
	const struct vmstate_subsection *s;
	const struct vmstate_field *f;
	uint64_t needed = 0;
	unsigned nfields = 0, nsubs = 0, i;
	int ret = 0;

	if (++c->depth > VMS_MAX_DEPTH) {
		mig_err_set(c->err, "'%s': nesting deeper than %u", d->name, VMS_MAX_DEPTH);
		return -ELOOP;
	}
	for (f = d->fields; f && f->name; f++)
		nfields++;
	for (s = d->subsections, i = 0; s && s->desc && i < VMS_MAX_SUBSECTIONS; s++, i++) {
		if (sub_needed(s, base)) {
			needed |= 1ULL << i;
			nsubs++;
		}
	}
	if (msgpack_pack_map(c->pk, nfields + (nsubs ? 1 : 0))) {
		ret = -ENOMEM;
		goto out;
	}
	for (f = d->fields; f && f->name; f++) {
		if (pack_str(c->pk, f->name)) {
			ret = -ENOMEM;
			goto out;
		}
		ret = save_field(c, f, base);
		if (ret)
			goto out;
	}
	if (nsubs)
		ret = save_subsections(c, d, base, needed, nsubs);
out:
	if (ret == -ENOMEM)
		mig_err_set(c->err, "'%s': out of memory while encoding", d->name);
	c->depth--;
	return ret;
}

int vmstate_save(const struct vmstate_desc *d, const void *state, msgpack_packer *pk, struct mig_err *err)
{
	struct save_ctx c = { .pk = pk, .err = err };

	return save_struct(&c, d, state);
}

/* --------------------------------------------------------------------------
 * Load
 * -------------------------------------------------------------------------- */

struct load_ctx {
	struct mpr *r;
	struct mig_err *err;
	unsigned depth;
	bool located;    /* the message already names the field path */
	char path[160];  /* field path of the value being decoded, e.g. "cpus[3].regs" */
	size_t plen;
};

static int load_struct(struct load_ctx *c, const struct vmstate_desc *d, uint8_t *base, uint32_t version);

static void path_add(struct load_ctx *c, int n)
{
	if (n > 0)
		c->plen = MIN(c->plen + (size_t)n, sizeof(c->path) - 1);
}

static void path_push_name(struct load_ctx *c, const char *name)
{
	path_add(c, snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "%s%s", c->plen ? "." : "", name));
}

static void path_push_index(struct load_ctx *c, uint32_t i)
{
	path_add(c, snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "[%" PRIu32 "]", i));
}

static void path_pop(struct load_ctx *c, size_t plen)
{
	c->plen = plen;
	c->path[plen] = '\0';
}

/* Puts the current path in front of a detail message (once, at the innermost level). */
static int locate(struct load_ctx *c, int ret)
{
	if (ret && !c->located && c->plen) {
		mig_err_prefix(c->err, "field '%s'", c->path);
		c->located = true;
	}
	return ret;
}

static int bad_type(struct load_ctx *c, const char *want, const struct mpr_item *it)
{
	mig_err_set(c->err, "expected %s, got %s", want, mpr_kind_name(it->kind));
	return -EINVAL;
}

/* Calls pre_load of d and of all its subsections, recursively (their defaults
 * stand when the stream lacks them). */
static void defaults(const struct vmstate_desc *d, uint8_t *base, unsigned depth)
{
	const struct vmstate_subsection *s;

	if (depth > VMS_MAX_DEPTH)
		return;
	if (d->pre_load)
		d->pre_load(base);
	for (s = d->subsections; s && s->desc; s++)
		defaults(s->desc, base, depth + 1);
}

static int load_scalar(struct load_ctx *c, enum vms_type t, uint8_t *p)
{
	static const uint64_t umax[] = {
		[VMS_T_U8] = UINT8_MAX, [VMS_T_U16] = UINT16_MAX, [VMS_T_U32] = UINT32_MAX, [VMS_T_U64] = UINT64_MAX,
	};
	struct mpr_item it;
	int ret = mpr_next(c->r, &it, c->err);

	if (ret)
		return ret;
	switch (t) {
	case VMS_T_BOOL: {
		if (it.kind != MPR_BOOL)
			return bad_type(c, "boolean", &it);
		memcpy(p, &it.b, sizeof(it.b));
		return 0;
	}
	case VMS_T_U8:
	case VMS_T_U16:
	case VMS_T_U32:
	case VMS_T_U64:
		if (it.kind == MPR_INT) {
			mig_err_set(c->err, "value %" PRId64 " out of range for an unsigned field", it.i);
			return -ERANGE;
		}
		if (it.kind != MPR_UINT)
			return bad_type(c, "unsigned integer", &it);
		if (it.u > umax[t]) {
			mig_err_set(c->err, "value %" PRIu64 " out of range (maximum %" PRIu64 ")", it.u, umax[t]);
			return -ERANGE;
		}
		if (t == VMS_T_U8) {
			*p = (uint8_t)it.u;
		} else if (t == VMS_T_U16) {
			uint16_t v = (uint16_t)it.u;

			memcpy(p, &v, sizeof(v));
		} else if (t == VMS_T_U32) {
			uint32_t v = (uint32_t)it.u;

			memcpy(p, &v, sizeof(v));
		} else {
			memcpy(p, &it.u, sizeof(it.u));
		}
		return 0;
	case VMS_T_I32:
	case VMS_T_I64: {
		int64_t min = t == VMS_T_I32 ? INT32_MIN : INT64_MIN;
		int64_t max = t == VMS_T_I32 ? INT32_MAX : INT64_MAX;
		int64_t v;

		if (it.kind == MPR_UINT) {
			if (it.u > (uint64_t)max) {
				mig_err_set(c->err, "value %" PRIu64 " out of range (maximum %" PRId64 ")", it.u, max);
				return -ERANGE;
			}
			v = (int64_t)it.u;
		} else if (it.kind == MPR_INT) {
			if (it.i < min) {
				mig_err_set(c->err, "value %" PRId64 " out of range (minimum %" PRId64 ")", it.i, min);
				return -ERANGE;
			}
			v = it.i;
		} else {
			return bad_type(c, "integer", &it);
		}
		if (t == VMS_T_I32) {
			int32_t w = (int32_t)v;

			memcpy(p, &w, sizeof(w));
		} else {
			memcpy(p, &v, sizeof(v));
		}
		return 0;
	}
	default:
		mig_err_set(c->err, "bad field type %d in descriptor", (int)t);
		return -EINVAL;
	}
}

/* One element of a STRUCT/VARRAY field: its defaults, its map, its post_load. */
static int load_elem(struct load_ctx *c, const struct vmstate_desc *d, uint8_t *p, uint32_t version)
{
	int ret;

	defaults(d, p, c->depth);
	ret = load_struct(c, d, p, version);
	if (!ret && d->post_load)
		ret = d->post_load(p, version, c->err);
	return ret;
}

static int load_field(struct load_ctx *c, const struct vmstate_field *f, uint8_t *base, uint32_t version)
{
	uint8_t *p = base + f->offset;
	struct mpr_item it;
	uint32_t n;
	int ret;

	if (f->type == VMS_T_BUFFER) {
		ret = mpr_next(c->r, &it, c->err);
		if (ret)
			return ret;
		if (it.kind != MPR_BIN)
			return bad_type(c, "byte string", &it);
		if (it.s.len != f->count) {
			mig_err_set(c->err, "expected %" PRIu32 " bytes, got %" PRIu32, f->count, it.s.len);
			return -EINVAL;
		}
		memcpy(p, it.s.ptr, f->count);
		return 0;
	}
	if (!(f->flags & VMS_F_ARRAY)) {
		if (f->type == VMS_T_STRUCT)
			return load_elem(c, f->desc, p, version);
		return load_scalar(c, f->type, p);
	}

	ret = mpr_next(c->r, &it, c->err);
	if (ret)
		return ret;
	if (it.kind != MPR_ARRAY)
		return bad_type(c, "array", &it);
	n = it.n;
	if (f->type == VMS_T_VARRAY && n > f->count) {
		mig_err_set(c->err, "%" PRIu32 " elements, above the maximum %" PRIu32, n, f->count);
		return -E2BIG;
	}
	if (f->type != VMS_T_VARRAY && n != f->count) {
		mig_err_set(c->err, "expected an array of %" PRIu32 " elements, got %" PRIu32, f->count, n);
		return n > f->count ? -E2BIG : -EINVAL;
	}
	for (uint32_t i = 0; i < n; i++, p += f->elem_size) {
		size_t plen = c->plen;

		path_push_index(c, i);
		if (f->type == VMS_T_STRUCT || f->type == VMS_T_VARRAY)
			ret = load_elem(c, f->desc, p, version);
		else
			ret = load_scalar(c, f->type, p);
		ret = locate(c, ret);
		path_pop(c, plen);
		if (ret)
			return ret;
	}
	if (f->type == VMS_T_VARRAY)
		memcpy(base + f->count_offset, &n, sizeof(n));
	return 0;
}

static int read_key(struct load_ctx *c, struct mpr_item *key)
{
	int ret = mpr_next(c->r, key, c->err);

	if (ret)
		return ret;
	if (key->kind != MPR_STR) {
		mig_err_set(c->err, "map key at byte %zu is a %s, expected a string",
			    c->r->base + c->r->pos, mpr_kind_name(key->kind));
		return -EINVAL;
	}
	return 0;
}

static bool key_is(const struct mpr_item *key, const char *name)
{
	size_t n = strlen(name);

	return key->s.len == n && memcmp(key->s.ptr, name, n) == 0;
}

static int read_u32(struct load_ctx *c, uint32_t *v, const char *what)
{
	struct mpr_item it;
	int ret = mpr_next(c->r, &it, c->err);

	if (ret)
		return ret;
	if (it.kind != MPR_UINT || it.u > UINT32_MAX) {
		mig_err_set(c->err, "'%s' must be an unsigned 32-bit integer", what);
		return -EINVAL;
	}
	*v = (uint32_t)it.u;
	return 0;
}

/* One entry of the "subsections" map: name → { flags, version, body }. */
static int load_subsection(struct load_ctx *c, const struct vmstate_desc *d, uint8_t *base,
			   const struct mpr_item *name, uint64_t *seen)
{
	const struct vmstate_subsection *s = NULL;
	uint32_t flags = 0, version = 0, i = 0, k;
	bool have_version = false;
	struct mpr body_r = { 0 };
	struct mpr_item it, key;
	char saved[sizeof(c->path)];
	struct mpr *outer;
	bool located;
	size_t plen;
	int ret;

	ret = mpr_next(c->r, &it, c->err);
	if (ret)
		return ret;
	if (it.kind != MPR_MAP)
		return bad_type(c, "map", &it);
	for (k = 0; k < it.n; k++) {
		ret = read_key(c, &key);
		if (ret)
			return ret;
		if (key_is(&key, SUB_FLAGS)) {
			ret = read_u32(c, &flags, SUB_FLAGS);
		} else if (key_is(&key, SUB_VERSION)) {
			ret = read_u32(c, &version, SUB_VERSION);
			have_version = true;
		} else if (key_is(&key, SUB_BODY)) {
			size_t start = c->r->pos;

			ret = mpr_skip(c->r, c->err);
			mpr_init(&body_r, c->r->buf + start, c->r->pos - start, c->r->base + start);
		} else {
			ret = mpr_skip(c->r, c->err);
		}
		if (ret)
			return ret;
	}

	for (s = d->subsections; s && s->desc && i < VMS_MAX_SUBSECTIONS; s++, i++)
		if (key_is(name, s->desc->name))
			break;
	if (!s || !s->desc || i >= VMS_MAX_SUBSECTIONS) {
		if (flags & VMS_SUB_MANDATORY) {
			mig_err_set(c->err, "unknown mandatory subsection '%.*s'", (int)name->s.len, name->s.ptr);
			return -ENOENT;
		}
		return 0; /* unknown optional: skipped */
	}
	if (seen[i / 64] & (1ULL << (i % 64))) {
		mig_err_set(c->err, "duplicate subsection '%s'", s->desc->name);
		return -EINVAL;
	}
	seen[i / 64] |= 1ULL << (i % 64);
	if (!have_version || !body_r.buf) {
		mig_err_set(c->err, "subsection '%s' lacks its '%s'", s->desc->name,
			    have_version ? SUB_BODY : SUB_VERSION);
		return -EINVAL;
	}
	if (version < s->desc->min_version || version > s->desc->version) {
		mig_err_set(c->err, "subsection '%s': version %" PRIu32 " outside [%" PRIu32 ", %" PRIu32 "]",
			    s->desc->name, version, s->desc->min_version, s->desc->version);
		return -EPROTO;
	}

	/* The subsection's fields get paths of their own; the caller's path (the
	 * struct holding the subsection) is put in front by the caller's locate(). */
	memcpy(saved, c->path, sizeof(saved));
	plen = c->plen;
	located = c->located;
	path_pop(c, 0);
	outer = c->r;
	c->r = &body_r;
	ret = load_struct(c, s->desc, base, version);
	if (!ret && s->desc->post_load)
		ret = s->desc->post_load(base, version, c->err);
	if (ret)
		mig_err_prefix(c->err, "subsection '%s'", s->desc->name);
	memcpy(c->path, saved, sizeof(saved));
	c->plen = plen;
	c->located = located;
	c->r = outer;
	return ret;
}

static int load_subsections(struct load_ctx *c, const struct vmstate_desc *d, uint8_t *base)
{
	uint64_t seen[VMS_MAX_SUBSECTIONS / 64] = { 0 };
	struct mpr_item it, name;
	int ret;

	ret = mpr_next(c->r, &it, c->err);
	if (ret)
		return ret;
	if (it.kind != MPR_MAP)
		return bad_type(c, "map of subsections", &it);
	for (uint32_t k = 0; k < it.n; k++) {
		ret = read_key(c, &name);
		if (!ret)
			ret = load_subsection(c, d, base, &name, seen);
		if (ret)
			return ret;
	}
	return 0;
}

static int load_struct(struct load_ctx *c, const struct vmstate_desc *d, uint8_t *base, uint32_t version)
{
	uint64_t seen[VMS_MAX_FIELDS / 64] = { 0 };
	const struct vmstate_field *f;
	bool subs_seen = false;
	struct mpr_item it, key;
	unsigned i;
	int ret;

	if (++c->depth > VMS_MAX_DEPTH) {
		mig_err_set(c->err, "'%s': nesting deeper than %u", d->name, VMS_MAX_DEPTH);
		ret = -ELOOP;
		goto out;
	}
	ret = mpr_next(c->r, &it, c->err);
	if (ret)
		goto out;
	if (it.kind != MPR_MAP) {
		ret = bad_type(c, "map", &it);
		goto out;
	}
	for (uint32_t k = 0; k < it.n; k++) {
		ret = read_key(c, &key);
		if (ret)
			goto out;
		if (key_is(&key, VMS_SUBSECTIONS_KEY)) {
			if (subs_seen) {
				mig_err_set(c->err, "duplicate key '%s'", VMS_SUBSECTIONS_KEY);
				ret = -EINVAL;
				goto out;
			}
			subs_seen = true;
			ret = load_subsections(c, d, base);
			if (ret)
				goto out;
			continue;
		}
		for (f = d->fields, i = 0; f && f->name && i < VMS_MAX_FIELDS; f++, i++)
			if (key_is(&key, f->name))
				break;
		if (!f || !f->name || i >= VMS_MAX_FIELDS) {
			ret = mpr_skip(c->r, c->err); /* a newer version's field */
			if (ret)
				goto out;
			continue;
		}
		if (seen[i / 64] & (1ULL << (i % 64))) {
			mig_err_set(c->err, "duplicate field '%s'", f->name);
			ret = -EINVAL;
			goto out;
		}
		seen[i / 64] |= 1ULL << (i % 64);
		{
			size_t plen = c->plen;

			path_push_name(c, f->name);
			ret = locate(c, load_field(c, f, base, version));
			path_pop(c, plen);
		}
		if (ret)
			goto out;
	}
	for (f = d->fields, i = 0; f && f->name && i < VMS_MAX_FIELDS; f++, i++) {
		if (seen[i / 64] & (1ULL << (i % 64)) || f->since_version > version)
			continue;
		mig_err_set(c->err, "missing field '%s%s%s' (required at version %" PRIu32 ")", c->path,
			    c->plen ? "." : "", f->name, version);
		c->located = true;
		ret = -ENODATA;
		goto out;
	}
out:
	c->depth--;
	return ret;
}

int vmstate_load(const struct vmstate_desc *d, void *state, uint32_t version, const void *body, size_t len,
		 size_t base, struct mig_err *err)
{
	struct load_ctx c = { .err = err };
	struct mpr r;
	uint8_t *tmp;
	int ret;

	if (version < d->min_version || version > d->version) {
		mig_err_set(err, "version %" PRIu32 " outside [%" PRIu32 ", %" PRIu32 "]", version, d->min_version,
			    d->version);
		return -EPROTO;
	}
	tmp = malloc(d->size);
	if (!tmp) {
		mig_err_set(err, "out of memory");
		return -ENOMEM;
	}
	memcpy(tmp, state, d->size);
	mpr_init(&r, body, len, base);
	c.r = &r;
	defaults(d, tmp, 0);
	ret = load_struct(&c, d, tmp, version);
	if (!ret && r.pos != r.len) {
		mig_err_set(err, "%zu bytes of garbage after the body at byte %zu", r.len - r.pos, base + r.pos);
		ret = -EBADMSG;
	}
	if (!ret && d->post_load)
		ret = d->post_load(tmp, version, err);
	if (!ret)
		memcpy(state, tmp, d->size);
	free(tmp);
	return ret;
}

bool vmstate_name_ok(const char *name, size_t n)
{
	if (n == 0 || n > VMS_MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      (ch && strchr("_-./:", ch))))
			return false;
	}
	return true;
}

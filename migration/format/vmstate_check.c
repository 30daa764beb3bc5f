// SPDX-License-Identifier: MIT
/* Sanity checks of descriptor tables: a bad table is a programming error, caught
 * at registration (and by each device's unit test), never by a guest. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "migration/format/vmstate.h"

static int check_desc(const struct vmstate_desc *d, unsigned depth, struct mig_err *err);

static int check_field(const struct vmstate_desc *d, const struct vmstate_field *f, unsigned depth,
		       struct mig_err *err)
{
	uint64_t end = (uint64_t)f->offset + (uint64_t)f->elem_size * f->count;

	if (!vmstate_name_ok(f->name, f->name ? strlen(f->name) : 0) || strcmp(f->name, VMS_SUBSECTIONS_KEY) == 0) {
		mig_err_set(err, "bad field name '%s'", f->name);
		return -EINVAL;
	}
	if (f->type < VMS_T_BOOL || f->type > VMS_T_VARRAY) {
		mig_err_set(err, "field '%s': bad type %d", f->name, (int)f->type);
		return -EINVAL;
	}
	if (f->count == 0 || f->elem_size == 0 || end > d->size) {
		mig_err_set(err, "field '%s': [%" PRIu32 ", %" PRIu64 ") outside the %zu-byte state", f->name,
			    f->offset, end, d->size);
		return -EINVAL;
	}
	if (f->count > 1 && !(f->flags & VMS_F_ARRAY) && f->type != VMS_T_BUFFER) {
		mig_err_set(err, "field '%s': %" PRIu32 " elements but not an array", f->name, f->count);
		return -EINVAL;
	}
	if (f->since_version > d->version) {
		mig_err_set(err, "field '%s': since version %" PRIu32 " is after the current version %" PRIu32,
			    f->name, f->since_version, d->version);
		return -EINVAL;
	}
	if (f->type == VMS_T_VARRAY) {
		uint64_t cend = (uint64_t)f->count_offset + sizeof(uint32_t);

		if (cend > d->size || (f->count_offset < end && cend > f->offset)) {
			mig_err_set(err, "field '%s': bad count offset %" PRIu32, f->name, f->count_offset);
			return -EINVAL;
		}
	}
	if (f->type == VMS_T_STRUCT || f->type == VMS_T_VARRAY) {
		int ret;

		if (!f->desc || f->desc->size != f->elem_size) {
			mig_err_set(err, "field '%s': element descriptor missing or of the wrong size", f->name);
			return -EINVAL;
		}
		ret = check_desc(f->desc, depth + 1, err);
		if (ret) {
			mig_err_prefix(err, "field '%s'", f->name);
			return ret;
		}
	} else if (f->desc) {
		mig_err_set(err, "field '%s': a descriptor on a non-struct field", f->name);
		return -EINVAL;
	}
	return 0;
}

static int check_subsections(const struct vmstate_desc *d, unsigned depth, struct mig_err *err)
{
	const struct vmstate_subsection *s, *t;
	unsigned n = 0;
	int ret;

	for (s = d->subsections; s && s->desc; s++) {
		if (++n > VMS_MAX_SUBSECTIONS) {
			mig_err_set(err, "more than %u subsections", VMS_MAX_SUBSECTIONS);
			return -E2BIG;
		}
		if (s->desc->size != d->size) {
			mig_err_set(err, "subsection '%s' describes a struct of another size", s->desc->name);
			return -EINVAL;
		}
		for (t = d->subsections; t != s; t++) {
			if (strcmp(t->desc->name ? t->desc->name : "", s->desc->name ? s->desc->name : "") == 0) {
				mig_err_set(err, "duplicate subsection '%s'", s->desc->name);
				return -EINVAL;
			}
		}
		ret = check_desc(s->desc, depth + 1, err);
		if (ret) {
			mig_err_prefix(err, "subsection '%s'", s->desc->name ? s->desc->name : "?");
			return ret;
		}
	}
	return 0;
}

static int check_desc(const struct vmstate_desc *d, unsigned depth, struct mig_err *err)
{
	const struct vmstate_field *f, *g;
	unsigned n = 0;
	int ret;

	if (depth >= VMS_MAX_DEPTH) {
		mig_err_set(err, "'%s': nested deeper than %u", d->name ? d->name : "?", VMS_MAX_DEPTH);
		return -ELOOP;
	}
	if (!vmstate_name_ok(d->name, d->name ? strlen(d->name) : 0)) {
		mig_err_set(err, "bad descriptor name '%s'", d->name ? d->name : "(null)");
		return -EINVAL;
	}
	if (d->min_version < 1 || d->min_version > d->version || d->size == 0 || d->size > UINT32_MAX) {
		mig_err_set(err, "'%s': bad version window [%" PRIu32 ", %" PRIu32 "] or size %zu", d->name,
			    d->min_version, d->version, d->size);
		return -EINVAL;
	}
	for (f = d->fields; f && f->name; f++) {
		if (++n > VMS_MAX_FIELDS) {
			mig_err_set(err, "'%s': more than %u fields", d->name, VMS_MAX_FIELDS);
			return -E2BIG;
		}
		ret = check_field(d, f, depth, err);
		if (!ret) {
			for (g = d->fields; g != f; g++) {
				if (strcmp(g->name, f->name) == 0) {
					mig_err_set(err, "duplicate field '%s'", f->name);
					ret = -EINVAL;
				}
			}
		}
		if (ret) {
			mig_err_prefix(err, "'%s'", d->name);
			return ret;
		}
	}
	ret = check_subsections(d, depth, err);
	if (ret)
		mig_err_prefix(err, "'%s'", d->name);
	return ret;
}

int vmstate_desc_check(const struct vmstate_desc *d, struct mig_err *err)
{
	if (!d) {
		mig_err_set(err, "no descriptor");
		return -EINVAL;
	}
	return check_desc(d, 0, err);
}

// SPDX-License-Identifier: MIT
/* Dumping this build's section descriptors as JSON (descriptors.h). */
#include <errno.h>
#include <json-c/json.h>

#include "hotplug/cpuhp_regs.h"
#include "migration/compat/build.h"
#include "migration/compat/descriptors.h"
#include "migration/format/stream.h"
#include "vmm/core/json_util.h"

static const char *const type_names[] = {
	[VMS_T_BOOL] = "bool", [VMS_T_U8] = "u8", [VMS_T_U16] = "u16", [VMS_T_U32] = "u32",
	[VMS_T_U64] = "u64", [VMS_T_I32] = "i32", [VMS_T_I64] = "i64", [VMS_T_BUFFER] = "buffer",
	[VMS_T_STRUCT] = "struct", [VMS_T_VARRAY] = "varray",
};

static int array_push(struct json_object *a, struct json_object *v)
{
	if (!v || json_object_array_add(a, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int desc_to_json(const struct vmstate_desc *d, struct json_object *o)
{
	struct json_object *fields = json_object_new_array(), *subs = json_object_new_array();
	const struct vmstate_field *f;
	const struct vmstate_subsection *s;
	int ret = json_add_str(o, "name", d->name);

	if (!ret)
		ret = json_add_int(o, "version", d->version);
	if (!ret)
		ret = json_add_int(o, "min_version", d->min_version);
	if (!ret)
		ret = json_add_obj(o, "fields", fields);
	else
		json_object_put(fields);
	if (!ret)
		ret = json_add_obj(o, "subsections", subs);
	else
		json_object_put(subs);
	for (f = d->fields; !ret && f && f->name; f++) {
		struct json_object *e = json_object_new_object(), *st;

		ret = array_push(fields, e);
		if (!ret)
			ret = json_add_str(e, "name", f->name);
		if (!ret)
			ret = json_add_str(e, "type", f->type < ARRAY_SIZE(type_names) && type_names[f->type]
							     ? type_names[f->type] : "unknown");
		if (!ret)
			ret = json_add_int(e, "count", f->count);
		if (!ret)
			ret = json_add_obj(e, "array", json_object_new_boolean(f->flags & VMS_F_ARRAY));
		if (!ret)
			ret = json_add_int(e, "since_version", f->since_version);
		if (!ret && f->desc) {
			st = json_object_new_object();
			ret = json_add_obj(e, "struct", st);
			if (!ret)
				ret = desc_to_json(f->desc, st);
		}
	}
	for (s = d->subsections; !ret && s && s->desc; s++) {
		struct json_object *e = json_object_new_object(), *sd;

		ret = array_push(subs, e);
		if (!ret)
			ret = json_add_int(e, "flags", s->flags);
		if (!ret)
			ret = json_add_obj(e, "mandatory", json_object_new_boolean(s->flags & VMS_SUB_MANDATORY));
		if (!ret) {
			sd = json_object_new_object();
			ret = json_add_obj(e, "desc", sd);
			if (!ret)
				ret = desc_to_json(s->desc, sd);
		}
	}
	return ret;
}

static int dump_registry(const struct mig_registry *reg, void *ctx)
{
	struct json_object *sections = ctx;
	size_t i, j;
	int ret = 0;

	for (i = 0; !ret && i < reg->nr; i++) {
		const struct mig_entry *e = &reg->entries[i];
		struct json_object *o;

		for (j = 0; j < i && reg->entries[j].desc != e->desc; j++)
			;
		if (j < i)
			continue; /* another instance of the same kind */
		o = json_object_new_object();
		ret = array_push(sections, o);
		if (!ret)
			ret = desc_to_json(e->desc, o);
		if (!ret)
			ret = json_add_obj(o, "optional", json_object_new_boolean(e->flags & MIG_ENTRY_OPTIONAL));
		if (!ret)
			ret = json_add_int(o, "priority", e->priority);
	}
	return ret;
}

int compat_descriptors_dump(struct json_object **out, struct mig_err *err)
{
	struct json_object *o = json_object_new_object(), *f = json_object_new_object(),
			   *abi = json_object_new_object(), *sections = json_object_new_array();
	uint32_t regs = 0, aml = 0;
	int ret = json_add_str(o, "schema", DESCRIPTORS_SCHEMA);

	if (!ret)
		ret = json_add_obj(o, "format", f);
	else
		json_object_put(f);
	if (!ret)
		ret = json_add_int(f, "major", MIG_FORMAT_MAJOR);
	if (!ret)
		ret = json_add_int(f, "minor", MIG_FORMAT_MINOR);
	if (!ret)
		ret = json_add_obj(o, "hotplug_abi", abi);
	else
		json_object_put(abi);
	if (!ret)
		ret = compat_hotplug_fingerprint(&regs, &aml);
	if (!ret)
		ret = json_add_int(abi, "version", CPUHP_ABI_VERSION);
	if (!ret)
		ret = dj_add_hex(abi, "registers", regs);
	if (!ret)
		ret = dj_add_hex(abi, "aml", aml);
	if (!ret)
		ret = json_add_obj(o, "sections", sections);
	else
		json_object_put(sections);
	if (!ret)
		ret = compat_build_registry(dump_registry, sections, err);
	if (ret) {
		if (!err || !err->msg[0])
			mig_err_set(err, "cannot dump the descriptors: %s", ret == -ENOMEM ? "out of memory" : "error");
		json_object_put(o);
		return ret;
	}
	*out = o;
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * What breaks between two descriptor dumps (descriptors.h). Both directions
 * matter: a new build restoring an old build's snapshot (new loads old), and a
 * migration back to an old build (old loads new). The rules follow what
 * vmstate_load does: unknown keys are skipped, a field is required from its
 * since_version on, a section loads only inside [min_version, version], an
 * unknown section or mandatory subsection is refused.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "migration/compat/descriptors.h"

#define BRK COMPAT_INCOMPATIBLE

struct ddesc {
	char name[COMPAT_NAME_MAX + 1];
	uint32_t version, min_version;
	struct json_object *fields, *subs;
	size_t nr_fields, nr_subs;
};

struct dfield {
	char name[COMPAT_NAME_MAX + 1];
	char type[16];
	uint32_t count, since;
	bool array;
	struct json_object *st;
};

static int get_desc(struct json_object *o, struct ddesc *d, unsigned depth, struct mig_err *err)
{
	int ret;

	if (depth > 8 || !json_object_is_type(o, json_type_object)) {
		mig_err_set(err, depth > 8 ? "nested too deep" : "a descriptor is not an object");
		return -EINVAL;
	}
	ret = dj_str(o, "name", true, d->name, sizeof(d->name), err);
	if (!ret)
		ret = dj_u32(o, "version", true, UINT32_MAX, &d->version, err);
	if (!ret)
		ret = dj_u32(o, "min_version", true, d->version, &d->min_version, err);
	if (!ret)
		ret = dj_array(o, "fields", true, 1024, &d->fields, &d->nr_fields, err);
	if (!ret)
		ret = dj_array(o, "subsections", true, 1024, &d->subs, &d->nr_subs, err);
	return ret;
}

static int get_field(struct json_object *a, size_t i, struct dfield *f, struct mig_err *err)
{
	struct json_object *o = json_object_array_get_idx(a, i);
	int ret;

	memset(f, 0, sizeof(*f));
	if (!json_object_is_type(o, json_type_object)) {
		mig_err_set(err, "fields[%zu]: not an object", i);
		return -EINVAL;
	}
	ret = dj_str(o, "name", true, f->name, sizeof(f->name), err);
	if (!ret)
		ret = dj_str(o, "type", true, f->type, sizeof(f->type), err);
	if (!ret)
		ret = dj_u32(o, "count", true, UINT32_MAX, &f->count, err);
	if (!ret)
		ret = dj_bool(o, "array", false, &f->array, err);
	if (!ret)
		ret = dj_u32(o, "since_version", false, UINT32_MAX, &f->since, err);
	if (!ret)
		ret = dj_obj(o, "struct", false, &f->st, err);
	return ret;
}

static int find_field(const struct ddesc *d, const char *name, struct dfield *f, struct mig_err *err)
{
	size_t i;
	int ret;

	for (i = 0; i < d->nr_fields; i++) {
		ret = get_field(d->fields, i, f, err);
		if (ret)
			return ret;
		if (!strcmp(f->name, name))
			return 1;
	}
	return 0;
}

/* The subsection named `name` of d: its object, or NULL. */
static struct json_object *find_sub(const struct ddesc *d, const char *name, bool *mandatory)
{
	size_t i;

	for (i = 0; i < d->nr_subs; i++) {
		struct json_object *s = json_object_array_get_idx(d->subs, i), *sd, *n;

		if (json_object_object_get_ex(s, "desc", &sd) && json_object_object_get_ex(sd, "name", &n) &&
		    json_object_is_type(n, json_type_string) && !strcmp(json_object_get_string(n), name)) {
			*mandatory = false;
			if (dj_bool(s, "mandatory", false, mandatory, NULL))
				*mandatory = false;
			return sd;
		}
	}
	return NULL;
}

static int diff_desc(struct json_object *oj, struct json_object *nj, const char *path, bool versioned,
		     uint32_t ov, uint32_t nv, unsigned depth, struct compat_report *r, struct mig_err *err);

static int diff_fields(const struct ddesc *o, const struct ddesc *n, const char *path, uint32_t ov, uint32_t nv,
		       unsigned depth, struct compat_report *r, struct mig_err *err)
{
	struct dfield a, b;
	char sub[160];
	size_t i;
	int ret;

	for (i = 0; i < o->nr_fields; i++) {
		ret = get_field(o->fields, i, &a, err);
		if (ret)
			return ret;
		snprintf(sub, sizeof(sub), "%s.%s", path, a.name);
		ret = find_field(n, a.name, &b, err);
		if (ret < 0)
			return ret;
		if (!ret) {
			if (nv == ov)
				compat_report_add(r, "field-removed", BRK, sub, "bump the section version (old builds then refuse the new stream cleanly) or keep the field",
						  "field '%s' removed without a version bump: an old build requires it in the new build's streams", sub);
			continue;
		}
		if (strcmp(a.type, b.type) || a.array != b.array ||
		    (strcmp(a.type, "varray") ? a.count != b.count : b.count < a.count)) {
			compat_report_add(r, "field-retyped", BRK, sub, "add a new field (with since_version) instead of changing this one",
					  "field '%s' changed from %s[%u] to %s[%u]", sub, a.type, a.count, b.type, b.count);
			continue;
		}
		if (a.st && b.st) {
			ret = diff_desc(a.st, b.st, sub, false, ov, nv, depth + 1, r, err);
			if (ret)
				return ret;
		}
	}
	for (i = 0; i < n->nr_fields; i++) {
		ret = get_field(n->fields, i, &b, err);
		if (ret)
			return ret;
		ret = find_field(o, b.name, &a, err);
		if (ret < 0)
			return ret;
		if (!ret && b.since <= ov) {
			snprintf(sub, sizeof(sub), "%s.%s", path, b.name);
			compat_report_add(r, "field-added", BRK, sub, "give the field a since_version above the old version (and bump the version), or put it in a subsection",
					  "field '%s' added with since_version %u: the new build requires it in the old build's version-%u streams", sub, b.since, ov);
		}
	}
	return 0;
}

static int diff_window(const struct ddesc *o, const struct ddesc *n, const char *path, struct compat_report *r)
{
	if (n->min_version > o->version || o->min_version > n->version) {
		compat_report_add(r, "window", BRK, path, "keep min_version at or below the other build's version",
				  "'%s' version windows no longer overlap: old [%u, %u], new [%u, %u]", path, o->min_version,
				  o->version, n->min_version, n->version);
		return 1;
	}
	if (n->version > o->version)
		compat_report_add(r, "version-bump", BRK, path, "prefer a subsection; record the bump in the allow-list if deliberate",
				  "'%s' version %u -> %u: old builds refuse the new build's streams (no migration back)", path,
				  o->version, n->version);
	return 0;
}

static int diff_desc(struct json_object *oj, struct json_object *nj, const char *path, bool versioned, uint32_t ov,
		     uint32_t nv, unsigned depth, struct compat_report *r, struct mig_err *err)
{
	struct ddesc o, n;
	char sub[160];
	size_t i;
	int ret;

	ret = get_desc(oj, &o, depth, err);
	if (!ret)
		ret = get_desc(nj, &n, depth, err);
	if (ret) {
		mig_err_prefix(err, "%s", path);
		return ret;
	}
	if (versioned) {
		if (diff_window(&o, &n, path, r))
			return 0;
		ov = o.version;
		nv = n.version;
	}
	ret = diff_fields(&o, &n, path, ov, nv, depth, r, err);
	for (i = 0; !ret && i < n.nr_subs; i++) {
		struct json_object *s = json_object_array_get_idx(n.subs, i), *sd, *osd;
		struct ddesc x;
		bool mand = false, omand = false;

		if (!json_object_is_type(s, json_type_object) || dj_obj(s, "desc", true, &sd, err) ||
		    dj_bool(s, "mandatory", false, &mand, err) || get_desc(sd, &x, depth + 1, err)) {
			mig_err_prefix(err, "%s: subsections[%zu]", path, i);
			return -EINVAL;
		}
		snprintf(sub, sizeof(sub), "%s/%s", path, x.name);
		osd = find_sub(&o, x.name, &omand);
		if (mand && (!osd || !omand))
			compat_report_add(r, "subsection-mandatory", BRK, sub, "make it optional (old builds skip unknown optional subsections)",
					  "subsection '%s' is mandatory in the new build: old builds refuse streams carrying it", sub);
		if (osd)
			ret = diff_desc(osd, sd, sub, true, 0, 0, depth + 1, r, err);
	}
	return ret;
}

static struct json_object *find_section(struct json_object *a, const char *name)
{
	size_t i, n = json_object_array_length(a);

	for (i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(a, i), *nm;

		if (json_object_object_get_ex(s, "name", &nm) && json_object_is_type(nm, json_type_string) &&
		    !strcmp(json_object_get_string(nm), name))
			return s;
	}
	return NULL;
}

static int diff_abi(struct json_object *o, struct json_object *n, struct compat_report *r, struct mig_err *err)
{
	struct json_object *a, *b;
	uint32_t av = 0, bv = 0;
	uint64_t ar = 0, br = 0, aa = 0, ba = 0;
	int ret = dj_obj(o, "hotplug_abi", true, &a, err);

	if (!ret)
		ret = dj_obj(n, "hotplug_abi", true, &b, err);
	if (!ret)
		ret = dj_u32(a, "version", true, UINT32_MAX, &av, err);
	if (!ret)
		ret = dj_u32(b, "version", true, UINT32_MAX, &bv, err);
	if (!ret)
		ret = dj_u64(a, "registers", true, UINT32_MAX, &ar, err);
	if (!ret)
		ret = dj_u64(b, "registers", true, UINT32_MAX, &br, err);
	if (!ret)
		ret = dj_u64(a, "aml", true, UINT32_MAX, &aa, err);
	if (!ret)
		ret = dj_u64(b, "aml", true, UINT32_MAX, &ba, err);
	if (ret) {
		mig_err_prefix(err, "hotplug_abi");
		return ret;
	}
	if (av != bv)
		compat_report_add(r, "hotplug-abi", BRK, "cpu-hotplug", "record it in the allow-list if deliberate",
				  "CPU hot-plug ABI version %u -> %u: guests keep the AML they booted with", av, bv);
	else if (ar != br || aa != ba)
		compat_report_add(r, "hotplug-abi-unversioned", BRK, "cpu-hotplug", "bump CPUHP_ABI_VERSION (hotplug/cpuhp_regs.h)",
				  "the CPU hot-plug %s changed but CPUHP_ABI_VERSION stayed %u",
				  ar != br ? "register block" : "AML", av);
	return 0;
}

int compat_descriptors_diff(struct json_object *old_dump, struct json_object *new_dump, struct compat_report *r,
			    struct mig_err *err)
{
	struct json_object *os, *ns, *side[2] = { old_dump, new_dump };
	char schema[32];
	uint32_t maj[2] = { 0, 0 };
	size_t i, on, nn;
	int ret = 0, k;

	r->nr = r->truncated = 0;
	for (k = 0; k < 2 && !ret; k++) {
		struct json_object *f;

		ret = dj_str(side[k], "schema", true, schema, sizeof(schema), err);
		if (!ret && strcmp(schema, DESCRIPTORS_SCHEMA)) {
			mig_err_set(err, "'schema' is '%s', expected '%s'", schema, DESCRIPTORS_SCHEMA);
			ret = -EINVAL;
		}
		if (!ret)
			ret = dj_obj(side[k], "format", true, &f, err);
		if (!ret)
			ret = dj_u32(f, "major", true, UINT16_MAX, &maj[k], err);
		if (ret)
			mig_err_prefix(err, "%s dump", k ? "new" : "old");
	}
	if (!ret)
		ret = dj_array(old_dump, "sections", true, COMPAT_MAX_SECTIONS, &os, &on, err);
	if (!ret)
		ret = dj_array(new_dump, "sections", true, COMPAT_MAX_SECTIONS, &ns, &nn, err);
	if (!ret)
		ret = diff_abi(old_dump, new_dump, r, err);
	if (ret)
		return ret;
	if (maj[0] != maj[1])
		compat_report_add(r, "format-major", BRK, "format", "record it in the allow-list if deliberate",
				  "state format major %u -> %u: no stream loads across it", maj[0], maj[1]);
	for (i = 0; i < on; i++) {
		struct json_object *o = json_object_array_get_idx(os, i), *n;
		char name[COMPAT_NAME_MAX + 1];
		bool oopt = false, nopt = false;

		if (!json_object_is_type(o, json_type_object) || dj_str(o, "name", true, name, sizeof(name), err) ||
		    dj_bool(o, "optional", false, &oopt, err)) {
			mig_err_prefix(err, "old dump: sections[%zu]", i);
			return -EINVAL;
		}
		n = find_section(ns, name);
		if (!n) {
			if (!oopt)
				compat_report_add(r, "section-removed", BRK, name, "keep loading it (an empty section) or record the break",
						  "section '%s' removed: the new build refuses old streams that carry it", name);
			continue;
		}
		if (dj_bool(n, "optional", false, &nopt, err))
			return -EINVAL;
		if (oopt && !nopt)
			compat_report_add(r, "section-made-mandatory", BRK, name, "keep it optional",
					  "section '%s' made mandatory: old streams without it no longer load", name);
		ret = diff_desc(o, n, name, true, 0, 0, 0, r, err);
		if (ret)
			return ret;
	}
	for (i = 0; i < nn; i++) {
		struct json_object *n = json_object_array_get_idx(ns, i);
		char name[COMPAT_NAME_MAX + 1];
		bool nopt = false;

		if (!json_object_is_type(n, json_type_object) || dj_str(n, "name", true, name, sizeof(name), err) ||
		    dj_bool(n, "optional", false, &nopt, err)) {
			mig_err_prefix(err, "new dump: sections[%zu]", i);
			return -EINVAL;
		}
		if (!find_section(os, name) && !nopt)
			compat_report_add(r, "section-added", BRK, name, "register it optional (MIG_ENTRY_OPTIONAL)",
					  "mandatory section '%s' added: old streams lack it and old builds refuse it", name);
	}
	return 0;
}

/* Whether "code subject" is a line of the allow-list text. */
bool compat_finding_allowed(const char *list, const struct compat_finding *f)
{
	char want[128];
	const char *p = list;
	size_t n;

	if (!list)
		return false;
	n = (size_t)snprintf(want, sizeof(want), "%s %s", f->code, f->subject);
	while (p && *p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		while (len && (p[len - 1] == ' ' || p[len - 1] == '\r' || p[len - 1] == '\t'))
			len--;
		if (len == n && !strncmp(p, want, n))
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

// SPDX-License-Identifier: MIT
/* Source descriptions: from a state stream, JSON encode/decode (vm_desc.h). */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "migration/compat/arm64_regs.h"
#include "migration/compat/build.h"
#include "migration/compat/vm_desc.h"
#include "migration/format/stream.h"
#include "migration/vm/sections.h"
#include "vmm/core/json_util.h"

/* Streams that do not record their hot-plug ABI were written with ABI 1
 * (hotplug/cpuhp_regs.h). */
#define VM_DESC_UNRECORDED_HOTPLUG_ABI 1

static struct compat_section *section_slot(struct vm_desc *d, const struct mig_section *sec, struct mig_err *err)
{
	uint32_t i;

	for (i = 0; i < d->nr_sections; i++) {
		struct compat_section *s = &d->sections[i];

		if (!strcmp(s->name, sec->name)) {
			s->min_version = MIN(s->min_version, sec->version);
			s->version = MAX(s->version, sec->version);
			s->count++;
			return s;
		}
	}
	if (d->nr_sections == COMPAT_MAX_SECTIONS) {
		mig_err_set(err, "more than %u kinds of section", COMPAT_MAX_SECTIONS);
		return NULL;
	}
	d->sections[i] = (struct compat_section){
		.min_version = sec->version, .version = sec->version, .count = 1,
		.optional = sec->flags & MIG_SEC_OPTIONAL,
	};
	snprintf(d->sections[i].name, sizeof(d->sections[i].name), "%s", sec->name);
	d->nr_sections++;
	return &d->sections[i];
}

static bool in_window(const struct vmstate_desc *v, const struct mig_section *sec)
{
	return !strcmp(v->name, sec->name) && sec->version >= v->min_version && sec->version <= v->version;
}

static int add_reg(struct vm_desc *d, uint64_t id, struct mig_err *err)
{
	uint32_t i;

	for (i = 0; i < d->nr_regs; i++)
		if (d->regs[i] == id)
			return 0;
	if (d->nr_regs == COMPAT_MAX_REGS) {
		mig_err_set(err, "more than %u distinct registers", COMPAT_MAX_REGS);
		return -E2BIG;
	}
	d->regs[d->nr_regs++] = id;
	return 0;
}

static int add_vcpu(struct vm_desc *d, const struct vcpu_state *v, bool first, struct mig_err *err)
{
	uint32_t i;
	int ret;

	for (i = 0; i < v->nr_regs; i++) {
		ret = add_reg(d, v->regs[i].id, err);
		if (ret)
			return ret;
		if (first && a64_is_id_reg(v->regs[i].id) && d->nr_id_regs < COMPAT_MAX_ID_REGS)
			d->id_regs[d->nr_id_regs++] = (struct compat_id_reg){ .id = v->regs[i].id,
									     .value = v->regs[i].lo };
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct scratch {
	struct vm_config_state config;
	struct topology_state topology;
	struct gic_dist_state dist;
	struct cpuhp_saved cpuhp;
	struct vcpu_state vcpu;
};

static int describe(struct mig_reader *r, struct vm_desc *d, struct scratch *s, struct mig_err *err)
{
	struct mig_section sec;
	bool have_cfg = false, have_topo = false, have_vcpu = false;
	uint32_t i;
	int ret;

	while ((ret = mig_reader_next(r, &sec, err)) == 1) {
		if (!section_slot(d, &sec, err))
			return -E2BIG;
		if (in_window(&config_vmstate, &sec)) {
			ret = mig_section_load(&sec, &config_vmstate, &s->config, err);
			have_cfg = true;
		} else if (in_window(&topology_vmstate, &sec)) {
			ret = mig_section_load(&sec, &topology_vmstate, &s->topology, err);
			have_topo = !ret;
		} else if (in_window(&gic_dist_vmstate, &sec)) {
			ret = mig_section_load(&sec, &gic_dist_vmstate, &s->dist, err);
			d->gic.nr_irqs = s->dist.nr_irqs;
		} else if (in_window(&cpuhp_vmstate, &sec)) {
			ret = mig_section_load(&sec, &cpuhp_vmstate, &s->cpuhp, err);
			if (!ret && s->cpuhp.nr_cpus)
				d->hotplug_abi = VM_DESC_UNRECORDED_HOTPLUG_ABI;
		} else if (in_window(&vcpu_vmstate, &sec)) {
			ret = mig_section_load(&sec, &vcpu_vmstate, &s->vcpu, err);
			if (!ret)
				ret = add_vcpu(d, &s->vcpu, !have_vcpu, err);
			have_vcpu = true;
		}
		if (ret < 0)
			return ret;
	}
	if (ret < 0)
		return ret;
	if (have_cfg) {
		d->memory = s->config.mem_size;
		d->boot_vcpus = s->config.boot_vcpus;
		d->max_vcpus = s->config.max_vcpus;
		d->acpi = s->config.acpi;
		if (!d->gic.nr_irqs)
			d->gic.nr_irqs = s->config.gic_irqs; /* an offer: the machine section says it */
	}
	if (have_topo) {
		d->max_vcpus = s->topology.max_vcpus;
		for (i = 0; i < s->topology.max_vcpus; i++) {
			const struct topology_vcpu *t = &s->topology.vcpus[i];

			d->mpidrs[i] = t->mpidr;
			d->enabled_vcpus += t->enabled;
			d->hotplugged_vcpus += t->enabled && !t->cold_booted;
		}
	}
	qsort(d->regs, d->nr_regs, sizeof(d->regs[0]), cmp_u64);
	return 0;
}

int vm_desc_from_stream(const void *buf, size_t len, struct vm_desc *d, struct mig_err *err)
{
	struct scratch *s;
	struct mig_reader r;
	int ret;

	memset(d, 0, sizeof(*d));
	ret = mig_reader_open(&r, buf, len, 0, MIG_READ_ANY_ARCH, err);
	if (ret)
		return ret;
	d->format_major = r.hdr.major;
	d->format_minor = r.hdr.minor;
	d->arch = r.hdr.arch;
	compat_build_gic(&d->gic); /* format 1 machines use this layout */
	d->gic.nr_irqs = d->gic.nr_irqs_min = 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	ret = describe(&r, d, s, err);
	free(s);
	return ret;
}

int vm_desc_from_snapshot(const char *dir, struct vm_desc *d, struct mig_err *err)
{
	char path[4096];
	struct stat st;
	uint8_t *buf;
	size_t n;
	FILE *f;
	int ret;

	if (snprintf(path, sizeof(path), "%s/state", dir) >= (int)sizeof(path)) {
		mig_err_set(err, "snapshot directory path too long");
		return -ENAMETOOLONG;
	}
	f = fopen(path, "rb");
	if (!f) {
		ret = -errno;
		mig_err_set(err, "cannot open %s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > MIG_MAX_STREAM_LEN) {
		mig_err_set(err, "%s is not a snapshot state file", path);
		fclose(f);
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	ret = n == (size_t)st.st_size ? vm_desc_from_stream(buf, n, d, err) : -EIO;
	if (ret == -EIO)
		mig_err_set(err, "cannot read %s", path);
	else if (ret)
		mig_err_prefix(err, "%s", path);
	free(buf);
	return ret;
}

int vm_desc_to_json(const struct vm_desc *d, struct json_object **out)
{
	struct json_object *o = json_object_new_object(), *a, *req;
	uint32_t i;
	int ret = o ? 0 : -ENOMEM;

	if (!ret)
		ret = json_add_str(o, "schema", VM_DESC_SCHEMA);
	if (!ret)
		ret = dj_put_format(o, d->format_major, d->format_minor, d->arch);
	if (!ret)
		ret = dj_put_sections(o, d->sections, d->nr_sections);
	if (!ret)
		ret = json_add_int(o, "max_vcpus", d->max_vcpus);
	if (!ret)
		ret = json_add_int(o, "boot_vcpus", d->boot_vcpus);
	if (!ret)
		ret = json_add_int(o, "enabled_vcpus", d->enabled_vcpus);
	if (!ret)
		ret = json_add_int(o, "hotplugged_vcpus", d->hotplugged_vcpus);
	if (!ret)
		ret = json_add_int(o, "memory", (int64_t)d->memory);
	if (!ret)
		ret = dj_add_bool(o, "acpi", d->acpi);
	if (!ret)
		ret = json_add_int(o, "hotplug_abi", d->hotplug_abi);
	if (!ret)
		ret = dj_put_gic(o, &d->gic);
	a = json_object_new_array();
	if (!ret)
		ret = json_add_obj(o, "mpidrs", a);
	else
		json_object_put(a);
	for (i = 0; !ret && i < d->max_vcpus && i < LAYOUT_MAX_VCPUS; i++) {
		struct json_object *v = dj_hex(d->mpidrs[i]);

		if (!v || json_object_array_add(a, v) < 0) {
			json_object_put(v);
			ret = -ENOMEM;
		}
	}
	if (!ret)
		ret = dj_put_regs(o, d->regs, d->nr_regs);
	if (!ret)
		ret = dj_put_id_regs(o, d->id_regs, d->nr_id_regs, false);
	req = json_object_new_object();
	if (!ret)
		ret = json_add_obj(o, "requires", req);
	else
		json_object_put(req);
	if (!ret)
		ret = dj_add_bool(req, "dirty_log", d->needs_dirty_log);
	if (!ret)
		ret = dj_add_bool(req, "nisv", d->needs_nisv);
	if (ret) {
		json_object_put(o);
		return ret;
	}
	*out = o;
	return 0;
}

static int get_mpidrs(struct json_object *o, struct vm_desc *d, struct mig_err *err)
{
	struct json_object *a;
	size_t i, n;
	int ret = dj_array(o, "mpidrs", false, LAYOUT_MAX_VCPUS, &a, &n, err);

	if (ret || !a)
		return ret;
	if (n != d->max_vcpus) {
		mig_err_set(err, "'mpidrs': %zu entries for %u possible vCPUs", n, d->max_vcpus);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (dj_hex_value(json_object_array_get_idx(a, i), &d->mpidrs[i])) {
			mig_err_set(err, "mpidrs[%zu]: not a \"0x...\" value", i);
			return -EINVAL;
		}
	}
	return 0;
}

int vm_desc_from_json(struct json_object *o, struct vm_desc *d, struct mig_err *err)
{
	struct json_object *req;
	char schema[32];
	int ret;

	memset(d, 0, sizeof(*d));
	ret = dj_str(o, "schema", true, schema, sizeof(schema), err);
	if (!ret && strcmp(schema, VM_DESC_SCHEMA)) {
		mig_err_set(err, "'schema' is '%s', expected '%s'", schema, VM_DESC_SCHEMA);
		ret = -EINVAL;
	}
	if (!ret)
		ret = dj_get_format(o, &d->format_major, &d->format_minor, &d->arch, err);
	if (!ret)
		ret = dj_get_sections(o, d->sections, &d->nr_sections, err);
	if (!ret)
		ret = dj_u32(o, "max_vcpus", true, LAYOUT_MAX_VCPUS, &d->max_vcpus, err);
	if (!ret)
		ret = dj_u32(o, "boot_vcpus", true, d->max_vcpus, &d->boot_vcpus, err);
	if (!ret)
		ret = dj_u32(o, "enabled_vcpus", false, d->max_vcpus, &d->enabled_vcpus, err);
	if (!ret)
		ret = dj_u32(o, "hotplugged_vcpus", false, d->max_vcpus, &d->hotplugged_vcpus, err);
	if (!ret)
		ret = dj_u64(o, "memory", true, INT64_MAX, &d->memory, err);
	if (!ret)
		ret = dj_bool(o, "acpi", false, &d->acpi, err);
	if (!ret)
		ret = dj_u32(o, "hotplug_abi", false, UINT32_MAX, &d->hotplug_abi, err);
	if (!ret)
		ret = dj_get_gic(o, &d->gic, err);
	if (!ret)
		ret = get_mpidrs(o, d, err);
	if (!ret)
		ret = dj_get_regs(o, d->regs, &d->nr_regs, err);
	if (!ret)
		ret = dj_get_id_regs(o, d->id_regs, &d->nr_id_regs, err);
	if (!ret)
		ret = dj_obj(o, "requires", false, &req, err);
	if (!ret && req) {
		ret = dj_bool(req, "dirty_log", false, &d->needs_dirty_log, err);
		if (!ret)
			ret = dj_bool(req, "nisv", false, &d->needs_nisv, err);
		if (ret)
			mig_err_prefix(err, "requires");
	}
	if (ret)
		mig_err_prefix(err, "source description");
	return ret;
}

int vm_desc_parse(const char *text, size_t len, struct vm_desc *d, struct mig_err *err)
{
	struct json_object *o;
	int ret = dj_parse(text, len, &o, err);

	if (ret) {
		mig_err_prefix(err, "source description");
		return ret;
	}
	ret = vm_desc_from_json(o, d, err);
	json_object_put(o);
	return ret;
}

// SPDX-License-Identifier: MIT
/* Host descriptions: this build's part, JSON encode/decode (host_desc.h). */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "hotplug/cpuhp_regs.h"
#include "migration/compat/build.h"
#include "migration/compat/host_desc.h"
#include "migration/format/stream.h"
#include "vmm/core/json_util.h"
#include "vmm/arm64/memory_map.h"
#include "vmm/core/version.h"

int host_desc_init_build(struct host_desc *h, struct mig_err *err)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->vmm_version, sizeof(h->vmm_version), "%s", VMM_VERSION);
	h->format_major = MIG_FORMAT_MAJOR;
	h->format_minor = MIG_FORMAT_MINOR;
	h->arch = MIG_ARCH_AARCH64;
	h->hotplug_abi = CPUHP_ABI_VERSION;
	h->max_vcpus = LAYOUT_MAX_VCPUS;
	h->max_memory = LAYOUT_RAM_MAX;
	compat_build_gic(&h->gic);
	return compat_build_sections(h->sections, COMPAT_MAX_SECTIONS, &h->nr_sections, err);
}

static int kvm_to_json(const struct host_kvm *k, struct json_object *o)
{
	int ret = json_add_int(o, "max_vcpus", k->max_vcpus);

	if (!ret)
		ret = json_add_int(o, "ipa_bits", k->ipa_bits);
	if (!ret)
		ret = dj_add_bool(o, "smccc_filter", k->smccc_filter);
	if (!ret)
		ret = dj_add_bool(o, "nisv", k->nisv);
	if (!ret)
		ret = dj_add_bool(o, "dirty_log_ring", k->dirty_log_ring);
	if (!ret)
		ret = dj_add_bool(o, "manual_dirty_log", k->manual_dirty_log);
	if (!ret)
		ret = dj_add_bool(o, "pmu", k->pmu);
	if (!ret)
		ret = dj_add_bool(o, "sve", k->sve);
	if (!ret)
		ret = dj_add_bool(o, "ptrauth", k->ptrauth);
	if (!ret)
		ret = dj_add_bool(o, "writable_masks", k->writable_masks);
	if (!ret)
		ret = json_add_int(o, "memory", (int64_t)k->memory);
	if (!ret)
		ret = dj_put_regs(o, k->regs, k->nr_regs);
	if (!ret)
		ret = dj_put_id_regs(o, k->id_regs, k->nr_id_regs, true);
	return ret;
}

int host_desc_to_json(const struct host_desc *h, struct json_object **out)
{
	struct json_object *o = json_object_new_object(), *k;
	int ret = o ? 0 : -ENOMEM;

	if (!ret)
		ret = json_add_str(o, "schema", HOST_DESC_SCHEMA);
	if (!ret)
		ret = json_add_str(o, "vmm_version", h->vmm_version);
	if (!ret)
		ret = dj_put_format(o, h->format_major, h->format_minor, h->arch);
	if (!ret)
		ret = dj_put_sections(o, h->sections, h->nr_sections);
	if (!ret)
		ret = json_add_int(o, "hotplug_abi", h->hotplug_abi);
	if (!ret)
		ret = json_add_int(o, "max_vcpus", h->max_vcpus);
	if (!ret)
		ret = json_add_int(o, "max_memory", (int64_t)h->max_memory);
	if (!ret)
		ret = dj_put_gic(o, &h->gic);
	if (!ret && h->has_kvm) {
		k = json_object_new_object();
		ret = json_add_obj(o, "kvm", k);
		if (!ret)
			ret = kvm_to_json(&h->kvm, k);
	}
	if (ret) {
		json_object_put(o);
		return ret;
	}
	*out = o;
	return 0;
}

static int kvm_from_json(struct json_object *o, struct host_kvm *k, struct mig_err *err)
{
	int ret = dj_u32(o, "max_vcpus", true, 1u << 20, &k->max_vcpus, err);

	if (!ret)
		ret = dj_u32(o, "ipa_bits", true, 64, &k->ipa_bits, err);
	if (!ret)
		ret = dj_bool(o, "smccc_filter", true, &k->smccc_filter, err);
	if (!ret)
		ret = dj_bool(o, "nisv", false, &k->nisv, err);
	if (!ret)
		ret = dj_bool(o, "dirty_log_ring", false, &k->dirty_log_ring, err);
	if (!ret)
		ret = dj_bool(o, "manual_dirty_log", false, &k->manual_dirty_log, err);
	if (!ret)
		ret = dj_bool(o, "pmu", false, &k->pmu, err);
	if (!ret)
		ret = dj_bool(o, "sve", false, &k->sve, err);
	if (!ret)
		ret = dj_bool(o, "ptrauth", false, &k->ptrauth, err);
	if (!ret)
		ret = dj_bool(o, "writable_masks", false, &k->writable_masks, err);
	if (!ret)
		ret = dj_u64(o, "memory", true, INT64_MAX, &k->memory, err);
	if (!ret)
		ret = dj_get_regs(o, k->regs, &k->nr_regs, err);
	if (!ret)
		ret = dj_get_id_regs(o, k->id_regs, &k->nr_id_regs, err);
	return ret;
}

int host_desc_from_json(struct json_object *o, struct host_desc *h, struct mig_err *err)
{
	struct json_object *k;
	char schema[32];
	int ret;

	memset(h, 0, sizeof(*h));
	ret = dj_str(o, "schema", true, schema, sizeof(schema), err);
	if (!ret && strcmp(schema, HOST_DESC_SCHEMA)) {
		mig_err_set(err, "'schema' is '%s', expected '%s'", schema, HOST_DESC_SCHEMA);
		ret = -EINVAL;
	}
	if (!ret)
		ret = dj_str(o, "vmm_version", true, h->vmm_version, sizeof(h->vmm_version), err);
	if (!ret)
		ret = dj_get_format(o, &h->format_major, &h->format_minor, &h->arch, err);
	if (!ret)
		ret = dj_get_sections(o, h->sections, &h->nr_sections, err);
	if (!ret)
		ret = dj_u32(o, "hotplug_abi", true, UINT32_MAX, &h->hotplug_abi, err);
	if (!ret)
		ret = dj_u32(o, "max_vcpus", true, 1u << 20, &h->max_vcpus, err);
	if (!ret)
		ret = dj_u64(o, "max_memory", true, INT64_MAX, &h->max_memory, err);
	if (!ret)
		ret = dj_get_gic(o, &h->gic, err);
	if (!ret)
		ret = dj_obj(o, "kvm", false, &k, err);
	if (!ret && k) {
		h->has_kvm = true;
		ret = kvm_from_json(k, &h->kvm, err);
		if (ret)
			mig_err_prefix(err, "kvm");
	}
	if (ret)
		mig_err_prefix(err, "host description");
	return ret;
}

int host_desc_parse(const char *text, size_t len, struct host_desc *h, struct mig_err *err)
{
	struct json_object *o;
	int ret = dj_parse(text, len, &o, err);

	if (ret) {
		mig_err_prefix(err, "host description");
		return ret;
	}
	ret = host_desc_from_json(o, h, err);
	json_object_put(o);
	return ret;
}

/* SPDX-License-Identifier: MIT */
/*
 * A destination: what a vmm build on a host can load and run (`vmm describe-host`).
 *
 * JSON ("schema": "vmm-host/1"):
 *   { "schema", "vmm_version", "format": {"major","minor"}, "arch",
 *     "sections": [{"name","min_version","version","optional"}],   windows it loads
 *     "hotplug_abi", "max_vcpus" (machine limit of the build), "max_memory" (bytes),
 *     "gic": {"version","nr_irqs","redist_base","redist_stride","redist_low_limit",
 *             "redist_high_base"},
 *     "kvm": { "max_vcpus", "ipa_bits", "smccc_filter", "nisv", "dirty_log_ring",
 *              "manual_dirty_log", "pmu", "sve", "ptrauth", "memory" (bytes),
 *              "reg_list": ["0x..."],                                KVM_GET_REG_LIST
 *              "id_regs": [{"id","value","writable"}] }              values + masks
 *   }
 * "kvm" is absent in a build-only description (no KVM queried): the checker then
 * checks only what the build decides.
 */
#ifndef MIGRATION_COMPAT_HOST_DESC_H
#define MIGRATION_COMPAT_HOST_DESC_H

#include "migration/compat/desc_json.h"

#define HOST_DESC_SCHEMA "vmm-host/1"

struct host_kvm {
	uint32_t max_vcpus;
	uint32_t ipa_bits;
	bool smccc_filter;
	bool nisv;
	bool dirty_log_ring;
	bool manual_dirty_log;
	bool pmu;
	bool sve;
	bool ptrauth;
	bool writable_masks; /* id_regs[].writable came from KVM_ARM_GET_REG_WRITABLE_MASKS */
	uint64_t memory;
	uint32_t nr_regs;
	uint64_t regs[COMPAT_MAX_REGS]; /* sorted */
	uint32_t nr_id_regs;
	struct compat_id_reg id_regs[COMPAT_MAX_ID_REGS];
};

struct host_desc {
	char vmm_version[32];
	uint16_t format_major;
	uint16_t format_minor;
	uint32_t arch;
	uint32_t hotplug_abi;
	uint32_t max_vcpus;
	uint64_t max_memory;
	struct compat_gic gic;
	uint32_t nr_sections;
	struct compat_section sections[COMPAT_MAX_SECTIONS];
	bool has_kvm;
	struct host_kvm kvm;
};

/* What this build loads (no KVM): version, format, sections, hot-plug ABI, layout. */
int host_desc_init_build(struct host_desc *h, struct mig_err *err) __must_check;
/* Queries this host's KVM into h->kvm (vmm/kvm/describe_host.c, aarch64 only). */
int host_desc_query_kvm(struct host_desc *h, struct mig_err *err) __must_check;

int host_desc_to_json(const struct host_desc *h, struct json_object **out) __must_check;
int host_desc_from_json(struct json_object *o, struct host_desc *h, struct mig_err *err) __must_check;
int host_desc_parse(const char *text, size_t len, struct host_desc *h, struct mig_err *err) __must_check;

#endif

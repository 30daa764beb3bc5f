/* SPDX-License-Identifier: MIT */
/*
 * A source: what a saved or running VM needs from wherever it goes next. Built from
 * a state stream (a snapshot's DIR/state, or the stream of a migration) or read
 * from JSON ("schema": "vmm-source/1"):
 *   { "schema", "format": {"major","minor"}, "arch",
 *     "sections": [{"name","min_version","version","count","optional"}],  present
 *     "max_vcpus", "boot_vcpus", "enabled_vcpus", "hotplugged_vcpus",
 *     "memory" (bytes), "acpi", "hotplug_abi" (0: no hot-plug block),
 *     "gic": {... as in a host description},
 *     "mpidrs": ["0x..."] (one per possible vCPU),
 *     "reg_list": ["0x..."] (every register id saved in a vcpu section),
 *     "id_regs": [{"id","value"}] (ID registers of the first saved vCPU),
 *     "requires": {"dirty_log", "nisv"} (live sources)
 *   }
 */
#ifndef MIGRATION_COMPAT_VM_DESC_H
#define MIGRATION_COMPAT_VM_DESC_H

#include "migration/compat/desc_json.h"
#include "vmm/arm64/memory_map.h"

#define VM_DESC_SCHEMA "vmm-source/1"

struct vm_desc {
	uint16_t format_major;
	uint16_t format_minor;
	uint32_t arch;
	uint32_t nr_sections;
	struct compat_section sections[COMPAT_MAX_SECTIONS];
	uint32_t max_vcpus;
	uint32_t boot_vcpus;
	uint32_t enabled_vcpus;
	uint32_t hotplugged_vcpus; /* enabled but not cold-booted */
	uint64_t memory;
	bool acpi;
	uint32_t hotplug_abi;
	struct compat_gic gic;
	uint64_t mpidrs[LAYOUT_MAX_VCPUS];
	uint32_t nr_regs;
	uint64_t regs[COMPAT_MAX_REGS]; /* sorted */
	uint32_t nr_id_regs;
	struct compat_id_reg id_regs[COMPAT_MAX_ID_REGS];
	bool needs_dirty_log;
	bool needs_nisv;
};

/* From a whole state stream (validated like a restore: framing, CRC). Sections
 * this build cannot decode are listed but not decoded. */
int vm_desc_from_stream(const void *buf, size_t len, struct vm_desc *d, struct mig_err *err) __must_check;
/* From DIR/state. */
int vm_desc_from_snapshot(const char *dir, struct vm_desc *d, struct mig_err *err) __must_check;

int vm_desc_to_json(const struct vm_desc *d, struct json_object **out) __must_check;
int vm_desc_from_json(struct json_object *o, struct vm_desc *d, struct mig_err *err) __must_check;
int vm_desc_parse(const char *text, size_t len, struct vm_desc *d, struct mig_err *err) __must_check;

#endif

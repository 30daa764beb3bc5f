/* SPDX-License-Identifier: MIT */
/*
 * The registry of a VM's state sections: {desc, instance, state pointer, save
 * priority}. Saving writes every entry in priority order (lower first, then in
 * registration order); the destination loads in stream order, so the order is the
 * load order too (REFERENCE §6.5: topology, VM/vGIC distributor, CPU hot-plug,
 * GED, vCPUs, per-vCPU GIC state, devices).
 *
 * Loading dispatches each section to the entry with its (name, instance) and is
 * all-or-nothing: every section is decoded into a scratch copy first, and the
 * registered state is written only when the whole stream loaded. It fails on an
 * unknown section unless the stream flags it optional, on a duplicate, and on a
 * registered section that is missing (unless registered optional).
 */
#ifndef MIGRATION_REGISTRY_H
#define MIGRATION_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "migration/format/error.h"
#include "migration/format/stream.h"
#include "migration/format/vmstate.h"
#include "vmm/core/compiler.h"

enum mig_priority {
	MIG_PRI_TOPOLOGY = 0,
	MIG_PRI_VM = 100,      /* clocks, vGIC distributor */
	MIG_PRI_CPUHP = 200,
	MIG_PRI_GED = 300,
	MIG_PRI_VCPU = 400,
	MIG_PRI_GIC_CPU = 500, /* redistributor + ICC + accessible, per possible vCPU */
	MIG_PRI_DEVICE = 1000,
};

/* Entry flags. */
/* Written only when desc->needed() says so, flagged MIG_SEC_OPTIONAL in the
 * stream, and may be absent on load (the state is then left as it is). */
#define MIG_ENTRY_OPTIONAL 0x1u

struct mig_entry {
	const struct vmstate_desc *desc;
	uint32_t instance;
	void *state;
	int priority;
	uint32_t flags;
	uint32_t seq; /* registration order */
};

struct mig_registry {
	struct mig_entry *entries;
	size_t nr;
	size_t cap;
};

void mig_registry_init(struct mig_registry *reg);
void mig_registry_fini(struct mig_registry *reg);
/* Checks desc (vmstate_desc_check) and refuses a duplicate (name, instance). */
int mig_registry_add(struct mig_registry *reg, const struct vmstate_desc *desc, uint32_t instance, void *state,
		     int priority, uint32_t flags, struct mig_err *err) __must_check;
const struct mig_entry *mig_registry_find(const struct mig_registry *reg, const char *name, uint32_t instance);
/* Appends every entry's section to w (which the caller then finishes). */
int mig_registry_save(const struct mig_registry *reg, struct mig_writer *w, struct mig_err *err) __must_check;
/* Validates the stream (mig_reader_open with arch and read_flags) and loads it. */
int mig_registry_load(const struct mig_registry *reg, const void *buf, size_t len, uint32_t arch,
		      uint32_t read_flags, struct mig_err *err) __must_check;

#endif

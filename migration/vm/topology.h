/* SPDX-License-Identifier: MIT */
/*
 * The topology record: the first section of every stream (REFERENCE §6.2, §6.5).
 * The destination reads it before anything else, checks max_vcpus against its own
 * configuration, creates every possible vCPU, enables the listed ones, and only
 * then loads per-vCPU and GIC state. One entry per possible vCPU, indexed by id.
 */
#ifndef MIGRATION_TOPOLOGY_H
#define MIGRATION_TOPOLOGY_H

#include <stdbool.h>
#include <stdint.h>

#include "migration/format/error.h"
#include "migration/format/vmstate.h"
#include "vmm/arm64/memory_map.h"
#include "vmm/core/compiler.h"

#define TOPOLOGY_MAX_VCPUS LAYOUT_MAX_VCPUS
#define TOPOLOGY_NUMA_NONE UINT32_MAX
#define TOPOLOGY_SECTION "topology"

struct topology_vcpu {
	uint32_t id;
	uint32_t numa_node;  /* TOPOLOGY_NUMA_NONE: no NUMA */
	uint64_t mpidr;
	bool enabled;        /* admin state: plugged (device_add), else parked */
	bool accessible;     /* GIC CPU interface accessible */
	bool powered_on;     /* PSCI power state */
	bool cold_booted;    /* one of --cpus boot: never unpluggable */
};

struct topology_state {
	uint32_t max_vcpus;
	uint32_t nr_vcpus; /* entries in use in vcpus[]: always max_vcpus */
	struct topology_vcpu vcpus[TOPOLOGY_MAX_VCPUS];
};

extern const struct vmstate_desc topology_vmstate;

/* Consistency: 1 ≤ max_vcpus ≤ TOPOLOGY_MAX_VCPUS, one entry per possible vCPU
 * with id == index, unique MPIDRs, powered_on/cold_booted ⇒ enabled ⇒ accessible,
 * at least one vCPU enabled. The post_load hook; also for writers. */
int topology_check(const struct topology_state *t, struct mig_err *err) __must_check;

#endif

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

/*
 * A vCPU whose unplug completed on a live migration's source at the switchover
 * (the guest ejected it just before the pause; the source parked it while it
 * settled the state): the destination emits DEVICE_DELETED for it once it runs
 * the guest, so a device_del issued on the source right before the stop-and-copy
 * completes on the destination whichever side the eject landed on. Only
 * migration streams carry them (optional subsection 'unplugged').
 */
#define TOPOLOGY_MAX_UNPLUGS 64
#define TOPOLOGY_DEV_ID_LEN 32
struct topology_unplug {
	uint32_t id;                          /* the vCPU, parked now */
	uint8_t dev_id[TOPOLOGY_DEV_ID_LEN];  /* its QMP device id then, NUL-terminated */
};

struct topology_state {
	uint32_t max_vcpus;
	uint32_t nr_vcpus; /* entries in use in vcpus[]: always max_vcpus */
	struct topology_vcpu vcpus[TOPOLOGY_MAX_VCPUS];
	uint32_t nr_unplugged;
	struct topology_unplug unplugged[TOPOLOGY_MAX_UNPLUGS];
};

extern const struct vmstate_desc topology_vmstate;

/* Consistency: 1 ≤ max_vcpus ≤ TOPOLOGY_MAX_VCPUS, one entry per possible vCPU
 * with id == index, unique MPIDRs, powered_on/cold_booted ⇒ enabled ⇒ accessible,
 * at least one vCPU enabled; each unplugged entry names a parked vCPU with a
 * terminated, non-empty device id. The post_load hook; also for writers. */
int topology_check(const struct topology_state *t, struct mig_err *err) __must_check;

#endif

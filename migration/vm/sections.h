/* SPDX-License-Identifier: MIT */
/*
 * The sections of a VM's state stream, in load order (REFERENCE §6.5): machine
 * configuration, topology, vGIC distributor, CPU hot-plug block, GED, the
 * registers of every enabled vCPU, the GIC state of every possible vCPU, UART.
 * Shared by snapshot, restore, live migration and the golden-file test.
 */
#ifndef MIGRATION_VM_SECTIONS_H
#define MIGRATION_VM_SECTIONS_H

#include "gic/gic_state.h"
#include "hotplug/cpuhp.h"
#include "hotplug/ged.h"
#include "migration/format/registry.h"
#include "migration/vm/machine_state.h"
#include "migration/vm/topology.h"
#include "migration/vm/vcpu_state.h"
#include "storage/blk_state.h"
#include "vmm/devices/pl011.h"

/* Everything a VM's state stream holds, as plain structs (large: heap only). */
struct vm_saved {
	struct vm_config_state config;
	struct topology_state topology;
	struct gic_dist_state dist;
	struct cpuhp_saved cpuhp;
	struct ged_state ged;
	struct pl011_state uart;
	struct gic_cpu_state gic_cpus[LAYOUT_MAX_VCPUS];
	struct vcpu_state *vcpus[LAYOUT_MAX_VCPUS]; /* enabled vCPUs only */
	struct blk_saved disks[VM_MAX_DISKS];       /* size 0: no disk in that slot (optional sections) */
};

/* Registers every section of s; the non-NULL vcpus[] decide the vCPU sections. */
int vm_sections_register(struct mig_registry *reg, struct vm_saved *s, unsigned max_vcpus,
			 struct mig_err *err) __must_check;
/* For a load: allocates vcpus[] for the enabled vCPUs of s->topology. */
int vm_saved_alloc_vcpus(struct vm_saved *s) __must_check;
void vm_saved_free(struct vm_saved *s);

#endif

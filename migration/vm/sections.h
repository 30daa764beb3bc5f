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

/*
 * Cross-checks of a decoded state that no single section can make (a crafted
 * stream with a valid CRC must not reach KVM): every enabled vCPU has its
 * register section and no parked one has; each register section's id and saved
 * MPIDR_EL1 match the topology; the GIC CPU states match it; the hot-plug
 * block's enabled/insert/remove/eject-allowed bits agree with it (no pending
 * event on a cold-booted vCPU, none but a stale remove on a parked one, remove
 * only with eject-allowed, insert never with an unplug in progress); a
 * hot-plugged vCPU has a unique device id.
 */
int vm_saved_check(const struct vm_saved *s, struct mig_err *err) __must_check;

/*
 * Decodes a whole VM state stream into s (zeroed by the caller): the machine and
 * topology sections first (instance 0, each exactly once), then every section
 * through the registry, then vm_saved_check. The one decoder restore and the
 * fuzzer use.
 */
int vm_saved_decode(struct vm_saved *s, const void *buf, size_t len, uint32_t read_flags,
		    struct mig_err *err) __must_check;

#endif

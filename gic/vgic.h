/* SPDX-License-Identifier: MIT */
/*
 * The in-kernel vGICv3. It must be created and initialised after every possible
 * vCPU exists (KVM refuses new vCPUs once it is initialised), with
 * redistributors for all of them (vmm/arm64/redist_layout.h).
 */
#ifndef GIC_VGIC_H
#define GIC_VGIC_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/arm64/redist_layout.h"
#include "vmm/core/compiler.h"

struct vgic {
	int fd;
	unsigned nr_vcpus;
	unsigned nr_irqs;
	unsigned nr_redist;
	struct gic_redist_region redist[GIC_MAX_REDIST_REGIONS];
	/* Per possible vCPU: may the guest use this CPU interface (the vCPU is
	 * enabled)? KVM keeps every redistributor; this is the VMM's view, saved
	 * with the GIC state. */
	bool *accessible;
};

/* Creates the device and sets its addresses; call after creating all vCPUs. */
int vgic_create(int vm_fd, unsigned nr_vcpus, struct vgic *out) __must_check;
/* Sets the interrupt count (private ones included) and initialises it; no vCPU
 * may be created after this. */
int vgic_init(struct vgic *g, uint32_t nr_irqs) __must_check;
/* Raises or lowers a shared peripheral interrupt (INTID >= 32). */
int vgic_set_spi(int vm_fd, unsigned intid, bool level) __must_check;
void vgic_destroy(struct vgic *g);

struct gic_dist_state;
struct gic_cpu_state;
/* Reads the whole GIC state; cpus[] has nr_vcpus entries (every possible vCPU),
 * mpidrs[] their MPIDRs. Every vCPU must be stopped. */
int vgic_save(struct vgic *g, const uint64_t *mpidrs, struct gic_dist_state *dist,
	      struct gic_cpu_state *cpus) __must_check;
/* Writes it back into a freshly initialised vGIC of the same shape. */
int vgic_restore(struct vgic *g, const struct gic_dist_state *dist, const struct gic_cpu_state *cpus) __must_check;
/* Puts one vCPU's redistributor and CPU interface back to their reset state
 * (gic_cpu_reset_state), e.g. when a parked vCPU is plugged. Every vCPU must be stopped. */
int vgic_reset_cpu(struct vgic *g, uint64_t mpidr) __must_check;

#endif

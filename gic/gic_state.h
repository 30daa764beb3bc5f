/* SPDX-License-Identifier: MIT */
/*
 * The vGICv3 state as saved in a snapshot: the distributor, and for every
 * *possible* vCPU (parked ones too) its redistributor, its CPU interface system
 * registers and the VMM's "accessible" flag. Plain data, no KVM types.
 * Its arrays hold GIC_STATE_MAX_IRQS interrupts, the most a saved GIC has (every
 * build before the machine's GIC shrank to LAYOUT_NR_IRQS made that many);
 * nr_irqs says how many are real, and the rest stays 0.
 */
#ifndef GIC_GIC_STATE_H
#define GIC_GIC_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/arm64/memory_map.h"

/* The interrupt counts a machine's GIC may have: a multiple of 32 in this range. */
#define GIC_STATE_MIN_IRQS 64
#define GIC_STATE_MAX_IRQS 256
#define GIC_STATE_IRQ_WORDS (GIC_STATE_MAX_IRQS / 32)  /* one bit per interrupt */
#define GIC_STATE_PRIO_WORDS (GIC_STATE_MAX_IRQS / 4)  /* one byte per interrupt */
#define GIC_STATE_CFG_WORDS (GIC_STATE_MAX_IRQS / 16)  /* two bits per interrupt */
#define GIC_STATE_NR_SPIS (GIC_STATE_MAX_IRQS - 32)

#define GIC_STATE_IRQS_VALID(n) ((n) >= GIC_STATE_MIN_IRQS && (n) <= GIC_STATE_MAX_IRQS && (n) % 32 == 0)

_Static_assert(GIC_STATE_IRQS_VALID(LAYOUT_NR_IRQS), "the machine's GIC must fit the saved state");

struct gic_dist_state {
	uint32_t ctlr;
	uint32_t nr_irqs;
	/* Word 0 (SGIs/PPIs) is banked in the redistributors and stays 0 here. */
	uint32_t group[GIC_STATE_IRQ_WORDS];
	uint32_t grpmod[GIC_STATE_IRQ_WORDS];
	uint32_t enable[GIC_STATE_IRQ_WORDS];
	uint32_t pending[GIC_STATE_IRQ_WORDS];
	uint32_t active[GIC_STATE_IRQ_WORDS];
	uint32_t level[GIC_STATE_IRQ_WORDS];   /* line levels of level-triggered SPIs */
	uint32_t priority[GIC_STATE_PRIO_WORDS];
	uint32_t config[GIC_STATE_CFG_WORDS];
	uint64_t irouter[GIC_STATE_NR_SPIS];
};

#define GIC_ICC_AP_REGS 4

struct gic_cpu_state {
	uint64_t mpidr;       /* which redistributor: must match on restore */
	bool accessible;      /* the vCPU is enabled: its CPU interface is usable */
	/* Redistributor SGI/PPI frame. */
	uint32_t group0, grpmod0, enable0, pending0, active0;
	uint32_t priority0[8];
	uint32_t config0, config1;
	/* CPU interface (ICC_*_EL1). */
	uint64_t icc_sre, icc_ctlr, icc_pmr, icc_bpr0, icc_bpr1, icc_igrpen0, icc_igrpen1;
	uint64_t icc_ap0r[GIC_ICC_AP_REGS];
	uint64_t icc_ap1r[GIC_ICC_AP_REGS];
};

/* ICC_CTLR_EL1: the bits the guest can write (CBPR, EOImode, PMHE); the rest is read-only. */
#define GIC_ICC_CTLR_RW_MASK 0x43ULL

/*
 * The state a fresh KVM vCPU's redistributor and CPU interface start with
 * (Linux's kvm_vgic_vcpu_init for a GICv3: private interrupts in group 1, SGIs
 * enabled and edge, PPIs level, priorities 0, nothing pending or active; the
 * CPU interface's writable fields 0). cur holds what KVM reports now: the
 * read-only parts (ICC_SRE_EL1, ICC_CTLR_EL1's ID fields), the MPIDR and the
 * accessible flag are kept; everything a guest may have written is reset.
 */
void gic_cpu_reset_state(struct gic_cpu_state *c);

struct vmstate_desc;
extern const struct vmstate_desc gic_dist_vmstate;
extern const struct vmstate_desc gic_cpu_vmstate;

#endif

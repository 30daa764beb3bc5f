// SPDX-License-Identifier: MIT
/*
 * Save and restore of the in-kernel vGICv3 through its device attributes.
 * Every vCPU must be stopped (KVM answers EBUSY otherwise). The write order
 * follows the architecture's dependencies: the distributor's control first (it
 * decides the register layout), then the banked redistributor registers, then
 * the shared ones, line levels, and the CPU interfaces with ICC_SRE_EL1 first.
 * "Set" registers are restored by clearing everything and setting the saved bits.
 */
#define LOG_PREFIX "vgic"
#include <errno.h>
#include <string.h>

#include "gic/gic_state.h"
#include "gic/vgic.h"
#include "vmm/core/log.h"
#include "vmm/kvm/kvm_arm.h"

/* Distributor offsets. */
#define GICD_CTLR 0x0000
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ISPENDR 0x0200
#define GICD_ICPENDR 0x0280
#define GICD_ISACTIVER 0x0300
#define GICD_ICACTIVER 0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR 0x0c00
#define GICD_IGRPMODR 0x0d00
#define GICD_IROUTER 0x6000

/* Redistributor SGI frame offsets (as KVM numbers them: RD frame + 64 KiB). */
#define GICR_SGI 0x10000
#define GICR_IGROUPR0 (GICR_SGI + 0x0080)
#define GICR_ISENABLER0 (GICR_SGI + 0x0100)
#define GICR_ICENABLER0 (GICR_SGI + 0x0180)
#define GICR_ISPENDR0 (GICR_SGI + 0x0200)
#define GICR_ICPENDR0 (GICR_SGI + 0x0280)
#define GICR_ISACTIVER0 (GICR_SGI + 0x0300)
#define GICR_ICACTIVER0 (GICR_SGI + 0x0380)
#define GICR_IPRIORITYR0 (GICR_SGI + 0x0400)
#define GICR_ICFGR0 (GICR_SGI + 0x0c00)
#define GICR_IGRPMODR0 (GICR_SGI + 0x0d00)

#define SYSREG(op0, op1, crn, crm, op2) \
	(((uint64_t)(op0) << 14) | ((uint64_t)(op1) << 11) | ((uint64_t)(crn) << 7) | ((uint64_t)(crm) << 3) | (op2))
#define ICC_PMR_EL1 SYSREG(3, 0, 4, 6, 0)
#define ICC_BPR0_EL1 SYSREG(3, 0, 12, 8, 3)
#define ICC_AP0R_EL1(n) SYSREG(3, 0, 12, 8, 4 + (n))
#define ICC_AP1R_EL1(n) SYSREG(3, 0, 12, 9, (n))
#define ICC_BPR1_EL1 SYSREG(3, 0, 12, 12, 3)
#define ICC_CTLR_EL1 SYSREG(3, 0, 12, 12, 4)
#define ICC_SRE_EL1 SYSREG(3, 0, 12, 12, 5)
#define ICC_IGRPEN0_EL1 SYSREG(3, 0, 12, 12, 6)
#define ICC_IGRPEN1_EL1 SYSREG(3, 0, 12, 12, 7)

/* ICC_CTLR_EL1.PRIbits [10:8]: priority bits - 1. */
#define ICC_CTLR_PRIBITS(v) ((((v) >> 8) & 7) + 1)

static uint64_t mpidr_attr(uint64_t mpidr)
{
	/* Aff3 [63:56] Aff2 [55:48] Aff1 [47:40] Aff0 [39:32] */
	uint64_t aff = ((mpidr >> 32) & 0xff) << 24 | (mpidr & 0xffffff);

	return aff << KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT;
}

static int dist_rw(struct vgic *g, uint32_t off, uint32_t *v, bool write)
{
	struct kvm_device_attr a = {
		.group = KVM_DEV_ARM_VGIC_GRP_DIST_REGS, .attr = off, .addr = (uint64_t)(uintptr_t)v,
	};

	return kvm_ioctl(g->fd, write ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &a);
}

static int redist_rw(struct vgic *g, uint64_t mpidr, uint32_t off, uint32_t *v, bool write)
{
	struct kvm_device_attr a = {
		.group = KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, .attr = mpidr_attr(mpidr) | off,
		.addr = (uint64_t)(uintptr_t)v,
	};

	return kvm_ioctl(g->fd, write ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &a);
}

static int icc_rw(struct vgic *g, uint64_t mpidr, uint64_t reg, uint64_t *v, bool write)
{
	struct kvm_device_attr a = {
		.group = KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, .attr = mpidr_attr(mpidr) | reg,
		.addr = (uint64_t)(uintptr_t)v,
	};

	return kvm_ioctl(g->fd, write ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &a);
}

static int level_rw(struct vgic *g, uint32_t intid, uint32_t *v, bool write)
{
	struct kvm_device_attr a = {
		.group = KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO,
		.attr = ((uint64_t)VGIC_LEVEL_INFO_LINE_LEVEL << KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT) | intid,
		.addr = (uint64_t)(uintptr_t)v,
	};

	return kvm_ioctl(g->fd, write ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &a);
}

#define TRY(what, expr)                                                         \
	do {                                                                    \
		int __r = (expr);                                               \
		if (__r < 0) {                                                  \
			log_err("%s: %s", what, strerror(-__r));                \
			return __r;                                             \
		}                                                               \
	} while (0)

/* Per-interrupt bit registers: words 1.. (SPIs). */
static int dist_bits(struct vgic *g, uint32_t set_off, uint32_t clr_off, uint32_t *words, bool write)
{
	unsigned w, n = g->nr_irqs / 32;

	for (w = 1; w < n && w < GIC_STATE_IRQ_WORDS; w++) {
		if (write && clr_off) {
			uint32_t all = ~0u;

			TRY("clear distributor bits", dist_rw(g, clr_off + 4 * w, &all, true));
		}
		TRY("distributor bits", dist_rw(g, set_off + 4 * w, &words[w], write));
	}
	return 0;
}

static int dist_access(struct vgic *g, struct gic_dist_state *d, bool write)
{
	unsigned i, n = g->nr_irqs;

	if (write && d->nr_irqs != n) {
		log_err("snapshot GIC has %u interrupts, this one %u", d->nr_irqs, n);
		return -EINVAL;
	}
	d->nr_irqs = n;
	TRY("GICD_CTLR", dist_rw(g, GICD_CTLR, &d->ctlr, write));
	TRY("GICD_IGROUPR", dist_bits(g, GICD_IGROUPR, 0, d->group, write));
	TRY("GICD_IGRPMODR", dist_bits(g, GICD_IGRPMODR, 0, d->grpmod, write));
	for (i = 32 / 4; i < n / 4 && i < GIC_STATE_PRIO_WORDS; i++)
		TRY("GICD_IPRIORITYR", dist_rw(g, GICD_IPRIORITYR + 4 * i, &d->priority[i], write));
	for (i = 32 / 16; i < n / 16 && i < GIC_STATE_CFG_WORDS; i++)
		TRY("GICD_ICFGR", dist_rw(g, GICD_ICFGR + 4 * i, &d->config[i], write));
	for (i = 0; i + 32 < n && i < GIC_STATE_NR_SPIS; i++) {
		uint32_t lo = (uint32_t)d->irouter[i], hi = (uint32_t)(d->irouter[i] >> 32);
		uint32_t off = GICD_IROUTER + 8 * (32 + i);

		TRY("GICD_IROUTER", dist_rw(g, off, &lo, write));
		TRY("GICD_IROUTER", dist_rw(g, off + 4, &hi, write));
		if (!write)
			d->irouter[i] = (uint64_t)hi << 32 | lo;
	}
	/* Line levels before pending state: a level interrupt's pending bit follows its line. */
	for (i = 1; i < n / 32 && i < GIC_STATE_IRQ_WORDS; i++)
		TRY("line level", level_rw(g, 32 * i, &d->level[i], write));
	TRY("GICD_ISPENDR", dist_bits(g, GICD_ISPENDR, GICD_ICPENDR, d->pending, write));
	TRY("GICD_ISACTIVER", dist_bits(g, GICD_ISACTIVER, GICD_ICACTIVER, d->active, write));
	TRY("GICD_ISENABLER", dist_bits(g, GICD_ISENABLER, GICD_ICENABLER, d->enable, write));
	return 0;
}

static int redist_set_clear(struct vgic *g, uint64_t mpidr, uint32_t set_off, uint32_t clr_off, uint32_t *v,
			    bool write)
{
	if (write) {
		uint32_t all = ~0u;

		TRY("clear redistributor bits", redist_rw(g, mpidr, clr_off, &all, true));
	}
	TRY("redistributor bits", redist_rw(g, mpidr, set_off, v, write));
	return 0;
}

static int cpu_access(struct vgic *g, struct gic_cpu_state *c, bool write)
{
	uint64_t m = c->mpidr;
	unsigned i, nap;

	TRY("GICR_IGROUPR0", redist_rw(g, m, GICR_IGROUPR0, &c->group0, write));
	TRY("GICR_IGRPMODR0", redist_rw(g, m, GICR_IGRPMODR0, &c->grpmod0, write));
	for (i = 0; i < 8; i++)
		TRY("GICR_IPRIORITYR", redist_rw(g, m, GICR_IPRIORITYR0 + 4 * i, &c->priority0[i], write));
	TRY("GICR_ICFGR0", redist_rw(g, m, GICR_ICFGR0, &c->config0, write));
	TRY("GICR_ICFGR1", redist_rw(g, m, GICR_ICFGR0 + 4, &c->config1, write));
	TRY("GICR_ISPENDR0", redist_set_clear(g, m, GICR_ISPENDR0, GICR_ICPENDR0, &c->pending0, write));
	TRY("GICR_ISACTIVER0", redist_set_clear(g, m, GICR_ISACTIVER0, GICR_ICACTIVER0, &c->active0, write));
	TRY("GICR_ISENABLER0", redist_set_clear(g, m, GICR_ISENABLER0, GICR_ICENABLER0, &c->enable0, write));

	TRY("ICC_SRE_EL1", icc_rw(g, m, ICC_SRE_EL1, &c->icc_sre, write));
	TRY("ICC_CTLR_EL1", icc_rw(g, m, ICC_CTLR_EL1, &c->icc_ctlr, write));
	TRY("ICC_IGRPEN0_EL1", icc_rw(g, m, ICC_IGRPEN0_EL1, &c->icc_igrpen0, write));
	TRY("ICC_IGRPEN1_EL1", icc_rw(g, m, ICC_IGRPEN1_EL1, &c->icc_igrpen1, write));
	TRY("ICC_PMR_EL1", icc_rw(g, m, ICC_PMR_EL1, &c->icc_pmr, write));
	TRY("ICC_BPR0_EL1", icc_rw(g, m, ICC_BPR0_EL1, &c->icc_bpr0, write));
	TRY("ICC_BPR1_EL1", icc_rw(g, m, ICC_BPR1_EL1, &c->icc_bpr1, write));
	/* Active-priority registers that exist for this many priority bits. */
	switch (ICC_CTLR_PRIBITS(c->icc_ctlr)) {
	case 7: nap = 4; break;
	case 6: nap = 2; break;
	default: nap = 1; break;
	}
	for (i = 0; i < nap; i++) {
		TRY("ICC_AP0R_EL1", icc_rw(g, m, ICC_AP0R_EL1(i), &c->icc_ap0r[i], write));
		TRY("ICC_AP1R_EL1", icc_rw(g, m, ICC_AP1R_EL1(i), &c->icc_ap1r[i], write));
	}
	return 0;
}

int vgic_save(struct vgic *g, const uint64_t *mpidrs, struct gic_dist_state *dist, struct gic_cpu_state *cpus)
{
	unsigned i;
	int ret;

	memset(dist, 0, sizeof(*dist));
	/* Flush LPI pending state into guest RAM before RAM is copied (a no-op while no
	 * LPIs exist; done anyway so the order is right when an ITS arrives). */
	ret = kvm_set_attr(g->fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, NULL);
	if (ret < 0 && ret != -ENXIO) {
		log_err("cannot flush the GIC pending tables: %s", strerror(-ret));
		return ret;
	}
	ret = dist_access(g, dist, false);
	for (i = 0; ret >= 0 && i < g->nr_vcpus; i++) {
		memset(&cpus[i], 0, sizeof(cpus[i]));
		cpus[i].mpidr = mpidrs[i];
		cpus[i].accessible = g->accessible[i];
		ret = cpu_access(g, &cpus[i], false);
	}
	return ret;
}

int vgic_restore(struct vgic *g, const struct gic_dist_state *dist, const struct gic_cpu_state *cpus)
{
	struct gic_dist_state d = *dist;
	unsigned i;
	int ret;

	ret = dist_access(g, &d, true);
	for (i = 0; ret >= 0 && i < g->nr_vcpus; i++) {
		struct gic_cpu_state c = cpus[i];

		ret = cpu_access(g, &c, true);
		g->accessible[i] = cpus[i].accessible;
	}
	return ret;
}

int vgic_reset_cpu(struct vgic *g, uint64_t mpidr)
{
	struct gic_cpu_state c = { .mpidr = mpidr };
	int ret;

	ret = cpu_access(g, &c, false);
	if (ret < 0)
		return ret;
	gic_cpu_reset_state(&c);
	return cpu_access(g, &c, true);
}

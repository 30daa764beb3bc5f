// SPDX-License-Identifier: MIT
/* The descriptors of the vGICv3 state (gic/gic_state.h). */
#include <errno.h>

#include "gic/gic_state.h"
#include "migration/format/vmstate.h"

static const struct vmstate_field dist_fields[] = {
	VMS_U32(struct gic_dist_state, ctlr),
	VMS_U32(struct gic_dist_state, nr_irqs),
	VMS_U32_ARRAY(struct gic_dist_state, group),
	VMS_U32_ARRAY(struct gic_dist_state, grpmod),
	VMS_U32_ARRAY(struct gic_dist_state, enable),
	VMS_U32_ARRAY(struct gic_dist_state, pending),
	VMS_U32_ARRAY(struct gic_dist_state, active),
	VMS_U32_ARRAY(struct gic_dist_state, level),
	VMS_U32_ARRAY(struct gic_dist_state, priority),
	VMS_U32_ARRAY(struct gic_dist_state, config),
	VMS_U64_ARRAY(struct gic_dist_state, irouter),
	VMS_END,
};

static int dist_post_load(void *opaque, uint32_t version, struct mig_err *err)
{
	const struct gic_dist_state *d = opaque;

	(void)version;
	if (!GIC_STATE_IRQS_VALID(d->nr_irqs)) {
		mig_err_set(err, "the GIC has %u interrupts, this vmm builds %u to %u in steps of 32", d->nr_irqs,
			    GIC_STATE_MIN_IRQS, GIC_STATE_MAX_IRQS);
		return -EINVAL;
	}
	return 0;
}

const struct vmstate_desc gic_dist_vmstate = {
	.name = "gicv3-dist", .version = 1, .min_version = 1,
	.size = sizeof(struct gic_dist_state), .fields = dist_fields, .post_load = dist_post_load,
};

static const struct vmstate_field cpu_fields[] = {
	VMS_U64(struct gic_cpu_state, mpidr),
	VMS_BOOL(struct gic_cpu_state, accessible),
	VMS_U32(struct gic_cpu_state, group0),
	VMS_U32(struct gic_cpu_state, grpmod0),
	VMS_U32(struct gic_cpu_state, enable0),
	VMS_U32(struct gic_cpu_state, pending0),
	VMS_U32(struct gic_cpu_state, active0),
	VMS_U32_ARRAY(struct gic_cpu_state, priority0),
	VMS_U32(struct gic_cpu_state, config0),
	VMS_U32(struct gic_cpu_state, config1),
	VMS_U64(struct gic_cpu_state, icc_sre),
	VMS_U64(struct gic_cpu_state, icc_ctlr),
	VMS_U64(struct gic_cpu_state, icc_pmr),
	VMS_U64(struct gic_cpu_state, icc_bpr0),
	VMS_U64(struct gic_cpu_state, icc_bpr1),
	VMS_U64(struct gic_cpu_state, icc_igrpen0),
	VMS_U64(struct gic_cpu_state, icc_igrpen1),
	VMS_U64_ARRAY(struct gic_cpu_state, icc_ap0r),
	VMS_U64_ARRAY(struct gic_cpu_state, icc_ap1r),
	VMS_END,
};

const struct vmstate_desc gic_cpu_vmstate = {
	.name = "gicv3-cpu", .version = 1, .min_version = 1,
	.size = sizeof(struct gic_cpu_state), .fields = cpu_fields,
};

void gic_cpu_reset_state(struct gic_cpu_state *c)
{
	struct gic_cpu_state r = {
		.mpidr = c->mpidr,
		.accessible = c->accessible,
		.group0 = 0xffffffffu,   /* every SGI/PPI in group 1 (KVM's GICv3 model) */
		.enable0 = 0x0000ffffu,  /* SGIs enabled, PPIs disabled */
		.config0 = 0xaaaaaaaau,  /* SGIs edge-triggered */
		.config1 = 0,            /* PPIs level-sensitive */
		.icc_sre = c->icc_sre,   /* SRE, DFB, DIB: fixed by KVM */
		.icc_ctlr = c->icc_ctlr & ~GIC_ICC_CTLR_RW_MASK,
	};

	*c = r;
}

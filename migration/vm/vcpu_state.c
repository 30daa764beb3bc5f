// SPDX-License-Identifier: MIT
/* The descriptor of struct vcpu_state (migration/vm/vcpu_state.h). */
#include <errno.h>
#include <string.h>

#include "migration/format/vmstate.h"
#include "migration/vm/vcpu_state.h"

static const struct vmstate_field vcpu_reg_fields[] = {
	VMS_U64(struct vcpu_reg, id),
	VMS_U64(struct vcpu_reg, lo),
	VMS_U64(struct vcpu_reg, hi),
	VMS_END,
};

static const struct vmstate_desc vcpu_reg_vmstate = {
	.name = "vcpu-reg", .version = 1, .min_version = 1,
	.size = sizeof(struct vcpu_reg), .fields = vcpu_reg_fields,
};

static const struct vmstate_field vcpu_cpu_on_fields[] = {
	VMS_U32(struct vcpu_state, on_pending),
	VMS_U64(struct vcpu_state, on_entry),
	VMS_U64(struct vcpu_state, on_ctx),
	VMS_END,
};

static bool vcpu_cpu_on_needed(const void *opaque)
{
	return ((const struct vcpu_state *)opaque)->on_pending != 0;
}

/* A stream without the subsection has no pending CPU_ON. */
static void vcpu_cpu_on_pre_load(void *opaque)
{
	struct vcpu_state *s = opaque;

	s->on_pending = 0;
	s->on_entry = s->on_ctx = 0;
}

static const struct vmstate_desc vcpu_cpu_on_vmstate = {
	.name = "cpu-on", .version = 1, .min_version = 1,
	.size = sizeof(struct vcpu_state), .fields = vcpu_cpu_on_fields, .needed = vcpu_cpu_on_needed,
	.pre_load = vcpu_cpu_on_pre_load,
};

static const struct vmstate_subsection vcpu_subsections[] = {
	{ .desc = &vcpu_cpu_on_vmstate },
	VMS_SUB_END,
};

static const struct vmstate_field vcpu_fields[] = {
	VMS_U32(struct vcpu_state, id),
	VMS_U32(struct vcpu_state, mp_state),
	VMS_U32(struct vcpu_state, power_on),
	VMS_BUFFER(struct vcpu_state, dev_id),
	VMS_STRUCT_VARRAY(struct vcpu_state, regs, nr_regs, vcpu_reg_vmstate, struct vcpu_reg),
	VMS_END,
};

static int vcpu_post_load(void *opaque, uint32_t version, struct mig_err *err)
{
	const struct vcpu_state *s = opaque;
	uint32_t i;

	(void)version;
	if (s->on_pending > 1 || (s->on_pending && s->power_on)) {
		mig_err_set(err, "vCPU %u: a pending CPU_ON on a vCPU that is %s", s->id,
			    s->on_pending > 1 ? "in no known state" : "already on");
		return -EINVAL;
	}
	if (!memchr(s->dev_id, 0, sizeof(s->dev_id))) {
		mig_err_set(err, "vCPU %u: unterminated device id", s->id);
		return -EINVAL;
	}
	for (i = 0; i < s->nr_regs; i++) {
		/* arm64 register ids only, at most 128 bits wide. */
		uint64_t id = s->regs[i].id;
		unsigned size = 1u << ((id >> 52) & 0xf);

		if ((id >> 56) != 0x60 || size > 16) {
			mig_err_set(err, "vCPU %u: register id 0x%llx is not an arm64 register of at most 128 bits",
				    s->id, (unsigned long long)id);
			return -EINVAL;
		}
	}
	return 0;
}

const struct vmstate_desc vcpu_vmstate = {
	.name = "vcpu", .version = 1, .min_version = 1,
	.size = sizeof(struct vcpu_state), .fields = vcpu_fields, .post_load = vcpu_post_load,
	.subsections = vcpu_subsections,
};

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
};

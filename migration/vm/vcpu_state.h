/* SPDX-License-Identifier: MIT */
/*
 * A vCPU's architectural state as saved in a snapshot: every register KVM lists
 * (KVM_GET_REG_LIST: core, FP/SIMD, system registers, timer, firmware
 * pseudo-registers), the MP state and the VMM's PSCI power state.
 */
#ifndef VMM_VCPU_STATE_H
#define VMM_VCPU_STATE_H

#include <stdint.h>

#define VCPU_STATE_MAX_REGS 1024

struct vcpu_reg {
	uint64_t id;     /* KVM register id (encodes the size) */
	uint64_t lo, hi; /* value; hi only for 128-bit registers */
};

struct vcpu_state {
	uint32_t id;
	uint32_t mp_state;
	uint32_t power_on;
	uint8_t dev_id[32];   /* QMP device id of a plugged vCPU, NUL-terminated */
	uint32_t nr_regs;
	struct vcpu_reg regs[VCPU_STATE_MAX_REGS];
};

struct vmstate_desc;
extern const struct vmstate_desc vcpu_vmstate;

#endif

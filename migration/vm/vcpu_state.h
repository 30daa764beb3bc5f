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
	/* A PSCI CPU_ON accepted for this (off) vCPU and not yet applied when it was
	 * paused: re-armed on load, so the guest's accepted call is never lost.
	 * Subsection "cpu-on", written only when on_pending; optional, so old
	 * builds still load the stream (and lose the call, as they always did). */
	uint32_t on_pending;
	uint64_t on_entry, on_ctx;
	uint32_t nr_regs;
	struct vcpu_reg regs[VCPU_STATE_MAX_REGS];
};

struct vmstate_desc;
extern const struct vmstate_desc vcpu_vmstate;

#endif

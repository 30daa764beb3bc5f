// SPDX-License-Identifier: MIT
/*
 * The PSCI policy: which calls the SMCCC filter forwards, how a forwarded call
 * decodes, and the CPU_ON decision. The vCPU thread (vmm/kvm/vcpu.c) only moves
 * registers and takes the target's lock around psci_cpu_on_decision().
 */
#include "hotplug/psci.h"

int psci_cpu_on_decision(const struct psci_target_view *t)
{
	if (!t->exists)
		return PSCI_RET_INVALID_PARAMS;
	if (!t->enabled)
		return PSCI_RET_DENIED;
	if (t->on)
		return PSCI_RET_ALREADY_ON;
	if (t->on_pending)
		return PSCI_RET_ON_PENDING;
	if (!t->entry_in_ram)
		return PSCI_RET_INVALID_ADDRESS;
	return PSCI_RET_SUCCESS;
}

const uint32_t psci_forwarded_fns[PSCI_NR_FORWARDED] = {
	PSCI_0_2_FN_CPU_OFF,
	PSCI_0_2_FN_CPU_ON,
	PSCI_0_2_FN64_CPU_ON,
};

enum psci_call psci_decode(uint64_t fn, const uint64_t x[4], struct psci_cpu_on_args *on)
{
	switch (fn) {
	case PSCI_0_2_FN_CPU_ON:
		*on = (struct psci_cpu_on_args){
			.target_mpidr = x[1] & 0xffffffffULL, .entry = x[2] & 0xffffffffULL, .context = x[3] & 0xffffffffULL,
		};
		return PSCI_CALL_CPU_ON;
	case PSCI_0_2_FN64_CPU_ON:
		*on = (struct psci_cpu_on_args){ .target_mpidr = x[1], .entry = x[2], .context = x[3] };
		return PSCI_CALL_CPU_ON;
	case PSCI_0_2_FN_CPU_OFF:
		return PSCI_CALL_CPU_OFF;
	default:
		return PSCI_CALL_UNKNOWN;
	}
}

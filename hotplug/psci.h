/* SPDX-License-Identifier: MIT */
/*
 * PSCI as vmm answers it. KVM handles most of PSCI in the kernel; CPU_ON and
 * CPU_OFF are forwarded to userspace through the SMCCC filter so that the
 * hot-plug policy holds: only an *enabled* vCPU may be powered on, anything else
 * gets DENIED (Documentation/arch/arm64/cpu-hotplug.rst).
 */
#ifndef HOTPLUG_PSCI_H
#define HOTPLUG_PSCI_H

#include <stdbool.h>
#include <stdint.h>

#define PSCI_0_2_FN_CPU_OFF 0x84000002U
#define PSCI_0_2_FN_CPU_ON 0x84000003U
#define PSCI_0_2_FN64_CPU_ON 0xC4000003U

#define PSCI_RET_SUCCESS 0
#define PSCI_RET_NOT_SUPPORTED (-1)
#define PSCI_RET_INVALID_PARAMS (-2)
#define PSCI_RET_DENIED (-3)
#define PSCI_RET_ALREADY_ON (-4)
#define PSCI_RET_ON_PENDING (-5)
#define PSCI_RET_INTERNAL_FAILURE (-6)
#define PSCI_RET_NOT_PRESENT (-7)
#define PSCI_RET_DISABLED (-8)
#define PSCI_RET_INVALID_ADDRESS (-9)

struct psci_target_view {
	bool exists;       /* the MPIDR names a possible vCPU */
	bool enabled;      /* admin state */
	bool on;           /* powered on */
	bool on_pending;   /* CPU_ON accepted, not applied yet */
	bool entry_in_ram; /* the entry point is guest RAM */
};

/* The policy for CPU_ON: PSCI_RET_SUCCESS means "power it on". */
int psci_cpu_on_decision(const struct psci_target_view *t);

/* The PSCI functions the SMCCC filter forwards to userspace (everything else stays in KVM). */
#define PSCI_NR_FORWARDED 3
extern const uint32_t psci_forwarded_fns[PSCI_NR_FORWARDED];

enum psci_call { PSCI_CALL_UNKNOWN = 0, PSCI_CALL_CPU_ON, PSCI_CALL_CPU_OFF };

struct psci_cpu_on_args {
	uint64_t target_mpidr, entry, context;
};

/*
 * Decodes a forwarded call: function id fn with arguments x[1..3] (x1..x3).
 * For CPU_ON fills *on; the 32-bit form uses the low 32 bits of each argument.
 */
enum psci_call psci_decode(uint64_t fn, const uint64_t x[4], struct psci_cpu_on_args *on);

#endif

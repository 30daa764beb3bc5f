// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>

#include "hotplug/psci.h"

Test(psci, cpu_on_policy)
{
	struct psci_target_view t = { .exists = true, .enabled = true, .entry_in_ram = true };

	cr_assert_eq(psci_cpu_on_decision(&t), PSCI_RET_SUCCESS);
	t.enabled = false;
	cr_assert_eq(psci_cpu_on_decision(&t), PSCI_RET_DENIED, "a disabled (parked) vCPU is DENIED");
	t.on = true;
	cr_assert_eq(psci_cpu_on_decision(&t), PSCI_RET_DENIED, "DENIED wins over ALREADY_ON");
	t.enabled = true;
	cr_assert_eq(psci_cpu_on_decision(&t), PSCI_RET_ALREADY_ON);
	t.on = false;
	t.on_pending = true;
	cr_assert_eq(psci_cpu_on_decision(&t), PSCI_RET_ON_PENDING);
	t.on_pending = false;
	t.entry_in_ram = false;
	cr_assert_eq(psci_cpu_on_decision(&t), PSCI_RET_INVALID_ADDRESS);
	t.exists = false;
	cr_assert_eq(psci_cpu_on_decision(&t), PSCI_RET_INVALID_PARAMS);
}

Test(psci, decode_forwarded_calls)
{
	const uint64_t x[4] = { 0, 0xAA00000004ULL, 0x1234567840080000ULL, 0xFFFFFFFF00000010ULL };
	struct psci_cpu_on_args on;

	cr_assert_eq(psci_decode(PSCI_0_2_FN64_CPU_ON, x, &on), PSCI_CALL_CPU_ON);
	cr_assert_eq(on.target_mpidr, x[1]);
	cr_assert_eq(on.entry, x[2]);
	cr_assert_eq(on.context, x[3]);
	cr_assert_eq(psci_decode(PSCI_0_2_FN_CPU_ON, x, &on), PSCI_CALL_CPU_ON);
	cr_assert_eq(on.target_mpidr, 0x4, "the 32-bit form uses the low 32 bits");
	cr_assert_eq(on.entry, 0x40080000);
	cr_assert_eq(on.context, 0x10);
	cr_assert_eq(psci_decode(PSCI_0_2_FN_CPU_OFF, x, &on), PSCI_CALL_CPU_OFF);
	cr_assert_eq(psci_decode(0x84000008U, x, &on), PSCI_CALL_UNKNOWN, "SYSTEM_OFF stays in KVM");
	for (unsigned i = 0; i < PSCI_NR_FORWARDED; i++)
		cr_assert_neq(psci_decode(psci_forwarded_fns[i], x, &on), PSCI_CALL_UNKNOWN,
			      "every forwarded function is handled");
}

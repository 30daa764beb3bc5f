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

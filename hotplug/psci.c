// SPDX-License-Identifier: MIT
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

// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>

#include "migration/vm/sections.h"

void vm_saved_free(struct vm_saved *s)
{
	unsigned i;

	if (!s)
		return;
	for (i = 0; i < LAYOUT_MAX_VCPUS; i++)
		free(s->vcpus[i]);
	free(s);
}

int vm_saved_alloc_vcpus(struct vm_saved *s)
{
	unsigned i;

	for (i = 0; i < s->topology.max_vcpus && i < LAYOUT_MAX_VCPUS; i++) {
		if (!s->topology.vcpus[i].enabled || s->vcpus[i])
			continue;
		s->vcpus[i] = calloc(1, sizeof(*s->vcpus[i]));
		if (!s->vcpus[i])
			return -ENOMEM;
	}
	return 0;
}

int vm_sections_register(struct mig_registry *reg, struct vm_saved *s, unsigned max_vcpus, struct mig_err *err)
{
	unsigned i;
	int ret;

	if (max_vcpus > LAYOUT_MAX_VCPUS)
		return -EINVAL;
	ret = mig_registry_add(reg, &config_vmstate, 0, &s->config, MIG_PRI_TOPOLOGY - 1, 0, err);
	if (!ret)
		ret = mig_registry_add(reg, &topology_vmstate, 0, &s->topology, MIG_PRI_TOPOLOGY, 0, err);
	if (!ret)
		ret = mig_registry_add(reg, &gic_dist_vmstate, 0, &s->dist, MIG_PRI_VM, 0, err);
	if (!ret)
		ret = mig_registry_add(reg, &cpuhp_vmstate, 0, &s->cpuhp, MIG_PRI_CPUHP, 0, err);
	if (!ret)
		ret = mig_registry_add(reg, &ged_vmstate, 0, &s->ged, MIG_PRI_GED, 0, err);
	for (i = 0; !ret && i < max_vcpus; i++)
		if (s->vcpus[i])
			ret = mig_registry_add(reg, &vcpu_vmstate, i, s->vcpus[i], MIG_PRI_VCPU, 0, err);
	for (i = 0; !ret && i < max_vcpus; i++)
		ret = mig_registry_add(reg, &gic_cpu_vmstate, i, &s->gic_cpus[i], MIG_PRI_GIC_CPU, 0, err);
	if (!ret)
		ret = mig_registry_add(reg, &pl011_vmstate, 0, &s->uart, MIG_PRI_DEVICE, 0, err);
	for (i = 0; !ret && i < VM_MAX_DISKS; i++)
		ret = mig_registry_add(reg, &blk_vmstate, i, &s->disks[i], MIG_PRI_DEVICE, MIG_ENTRY_OPTIONAL, err);
	return ret;
}

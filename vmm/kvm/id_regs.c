// SPDX-License-Identifier: MIT
/*
 * The ID registers a plugged vCPU must share with the boot vCPUs: cached from
 * the boot vCPU before any vCPU runs, compared after a parked vCPU is reset.
 */
#define LOG_PREFIX "hotplug"
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/core/errbuf.h"
#include "vmm/kvm/kvm_arm.h"
#include "vmm/kvm/vm.h"
#include "vmm/kvm/vm_internal.h"

/* ID registers that must match between a plugged vCPU and the boot vCPUs. */
static const struct {
	const char *name;
	uint64_t id;
} id_regs[] = {
	{ "ID_AA64PFR0_EL1", ARM64_SYS_REG(3, 0, 0, 4, 0) },
	{ "ID_AA64PFR1_EL1", ARM64_SYS_REG(3, 0, 0, 4, 1) },
	{ "ID_AA64ZFR0_EL1", ARM64_SYS_REG(3, 0, 0, 4, 4) },
	{ "ID_AA64DFR0_EL1", ARM64_SYS_REG(3, 0, 0, 5, 0) },
	{ "ID_AA64DFR1_EL1", ARM64_SYS_REG(3, 0, 0, 5, 1) },
	{ "ID_AA64ISAR0_EL1", ARM64_SYS_REG(3, 0, 0, 6, 0) },
	{ "ID_AA64ISAR1_EL1", ARM64_SYS_REG(3, 0, 0, 6, 1) },
	{ "ID_AA64ISAR2_EL1", ARM64_SYS_REG(3, 0, 0, 6, 2) },
	{ "ID_AA64MMFR0_EL1", ARM64_SYS_REG(3, 0, 0, 7, 0) },
	{ "ID_AA64MMFR1_EL1", ARM64_SYS_REG(3, 0, 0, 7, 1) },
	{ "ID_AA64MMFR2_EL1", ARM64_SYS_REG(3, 0, 0, 7, 2) },
};

/*
 * The boot vCPU's ID registers, read once before any vCPU runs: a running vCPU's
 * registers cannot be read without stopping it (KVM_RUN holds its lock).
 */
int vm_id_regs_cache(struct vm *vm)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(id_regs) && i < VM_MAX_ID_REGS; i++) {
		int ret = kvm_get_reg(vm->vcpus[0].fd, id_regs[i].id, &vm->boot_id_regs[i]);

		if (ret == -ENOENT)
			vm->boot_id_regs[i] = UINT64_MAX; /* not exposed by this KVM */
		else if (ret < 0)
			return ret;
	}
	return 0;
}

/* The reset vCPU must expose exactly the boot vCPU's features. */
int vm_id_regs_check(struct vm *vm, struct vcpu *v, char *errbuf, size_t errlen)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(id_regs) && i < VM_MAX_ID_REGS; i++) {
		uint64_t want = vm->boot_id_regs[i], got;
		int ret = kvm_get_reg(v->fd, id_regs[i].id, &got);

		if (ret == -ENOENT && want == UINT64_MAX)
			continue;
		if (ret < 0) {
			ERR("cannot read %s of vCPU %u: %s", id_regs[i].name, v->id, strerror(-ret));
			return ret;
		}
		if (want != got) {
			ERR("vCPU %u's %s (0x%llx) differs from the boot vCPU's (0x%llx): refusing to plug it", v->id,
			    id_regs[i].name, (unsigned long long)got, (unsigned long long)want);
			return -EINVAL;
		}
	}
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * The KVM part of a host description (migration/compat/host_desc.h): capabilities,
 * limits, and a scratch VM with one vCPU for KVM_GET_REG_LIST, the ID-register
 * values and KVM_ARM_GET_REG_WRITABLE_MASKS. The scratch VM is configured like
 * vm.c configures a real one (PSCI 0.2, PMUv3 and pointer authentication when
 * offered) so the register list is the one a restore will meet.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migration/compat/arm64_regs.h"
#include "migration/compat/host_desc.h"
#include "vmm/arm64/vm_config.h"
#include "vmm/kvm/kvm_arm.h"

/* Linux 6.7 UAPI, absent from Debian 12's 6.1 headers. */
#ifndef KVM_ARM_GET_REG_WRITABLE_MASKS
#define KVM_ARM_FEATURE_ID_RANGE 0
struct reg_mask_range {
	__u64 addr;
	__u32 range;
	__u32 reserved[13];
};
#define KVM_ARM_GET_REG_WRITABLE_MASKS _IOR(KVMIO, 0xb6, struct reg_mask_range)
#endif
#ifndef KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES
#define KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES 230
#endif

static int cap(int fd, long c)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, c);

	return r < 0 ? 0 : r;
}

static int scratch_vcpu(int vm_fd, struct host_kvm *k, int *vcpu_fd, struct mig_err *err)
{
	struct kvm_vcpu_init init;
	int ret;

	ret = kvm_ioctl(vm_fd, KVM_ARM_PREFERRED_TARGET, &init);
	if (ret < 0) {
		mig_err_set(err, "KVM_ARM_PREFERRED_TARGET: %s", strerror(-ret));
		return ret;
	}
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (k->pmu)
		init.features[0] |= 1u << KVM_ARM_VCPU_PMU_V3;
	if (k->ptrauth)
		init.features[0] |= (1u << KVM_ARM_VCPU_PTRAUTH_ADDRESS) | (1u << KVM_ARM_VCPU_PTRAUTH_GENERIC);
	*vcpu_fd = kvm_ioctl(vm_fd, KVM_CREATE_VCPU, (void *)0UL);
	if (*vcpu_fd < 0) {
		ret = *vcpu_fd;
		mig_err_set(err, "KVM_CREATE_VCPU: %s", strerror(-ret));
		return ret;
	}
	ret = kvm_ioctl(*vcpu_fd, KVM_ARM_VCPU_INIT, &init);
	if (ret < 0)
		mig_err_set(err, "KVM_ARM_VCPU_INIT: %s", strerror(-ret));
	return ret;
}

static int read_regs(int vm_fd, int vcpu_fd, struct host_kvm *k, struct mig_err *err)
{
	struct kvm_reg_list probe = { .n = 0 }, *list;
	uint64_t *masks = NULL;
	uint32_t i;
	int ret;

	ret = kvm_ioctl(vcpu_fd, KVM_GET_REG_LIST, &probe);
	if (ret != -E2BIG || probe.n > COMPAT_MAX_REGS) {
		mig_err_set(err, "KVM_GET_REG_LIST: %s", ret == -E2BIG ? "too many registers" : strerror(-ret));
		return ret < 0 ? ret : -EIO;
	}
	list = calloc(1, sizeof(*list) + probe.n * sizeof(__u64));
	if (!list)
		return -ENOMEM;
	list->n = probe.n;
	ret = kvm_ioctl(vcpu_fd, KVM_GET_REG_LIST, list);
	if (ret < 0) {
		mig_err_set(err, "KVM_GET_REG_LIST: %s", strerror(-ret));
		goto out;
	}
	if (cap(vm_fd, KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES) & (1 << KVM_ARM_FEATURE_ID_RANGE)) {
		struct reg_mask_range range = { .range = KVM_ARM_FEATURE_ID_RANGE };

		masks = calloc(A64_ID_SPACE_SIZE, sizeof(*masks));
		if (!masks) {
			ret = -ENOMEM;
			goto out;
		}
		range.addr = (uint64_t)(uintptr_t)masks;
		k->writable_masks = kvm_ioctl(vm_fd, KVM_ARM_GET_REG_WRITABLE_MASKS, &range) == 0;
	}
	for (i = 0; i < list->n; i++) {
		uint64_t id = list->reg[i], val = 0;

		k->regs[k->nr_regs++] = id;
		if (!a64_is_id_reg(id) || k->nr_id_regs == COMPAT_MAX_ID_REGS || kvm_get_reg(vcpu_fd, id, &val) < 0)
			continue;
		k->id_regs[k->nr_id_regs++] = (struct compat_id_reg){
			.id = id, .value = val,
			.writable = k->writable_masks ? masks[a64_id_reg_index(id)] : 0,
		};
	}
	ret = 0;
out:
	free(masks);
	free(list);
	return ret;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int host_desc_query_kvm(struct host_desc *h, struct mig_err *err)
{
	struct host_kvm *k = &h->kvm;
	int kvm_fd, vm_fd = -1, vcpu_fd = -1, ret;

	memset(k, 0, sizeof(*k));
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0) {
		ret = -errno;
		mig_err_set(err, "cannot open /dev/kvm: %s", strerror(-ret));
		return ret;
	}
	vm_fd = kvm_ioctl(kvm_fd, KVM_CREATE_VM, (void *)0UL);
	if (vm_fd < 0) {
		ret = vm_fd;
		mig_err_set(err, "KVM_CREATE_VM: %s", strerror(-ret));
		goto out;
	}
	k->max_vcpus = (uint32_t)cap(vm_fd, KVM_CAP_MAX_VCPUS);
	k->ipa_bits = (uint32_t)cap(kvm_fd, KVM_CAP_ARM_VM_IPA_SIZE);
	if (!k->ipa_bits)
		k->ipa_bits = 40;
	k->nisv = cap(vm_fd, KVM_CAP_ARM_NISV_TO_USER) > 0;
	k->dirty_log_ring = cap(vm_fd, KVM_CAP_DIRTY_LOG_RING) > 0 || cap(vm_fd, KVM_CAP_DIRTY_LOG_RING_ACQ_REL) > 0;
	k->manual_dirty_log = cap(vm_fd, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) > 0;
	k->pmu = cap(vm_fd, KVM_CAP_ARM_PMU_V3) > 0;
	k->sve = cap(vm_fd, KVM_CAP_ARM_SVE) > 0;
	k->ptrauth = cap(vm_fd, KVM_CAP_ARM_PTRAUTH_ADDRESS) > 0 && cap(vm_fd, KVM_CAP_ARM_PTRAUTH_GENERIC) > 0;
	k->smccc_filter = kvm_has_attr(vm_fd, KVM_ARM_VM_SMCCC_CTRL, KVM_ARM_VM_SMCCC_FILTER);
	k->memory = host_mem_bytes();
	ret = scratch_vcpu(vm_fd, k, &vcpu_fd, err);
	if (!ret)
		ret = read_regs(vm_fd, vcpu_fd, k, err);
	if (!ret) {
		qsort(k->regs, k->nr_regs, sizeof(k->regs[0]), cmp_u64);
		h->has_kvm = true;
	}
out:
	if (vcpu_fd >= 0)
		close(vcpu_fd);
	if (vm_fd >= 0)
		close(vm_fd);
	close(kvm_fd);
	return ret;
}

/* SPDX-License-Identifier: MIT */
/*
 * arm64 KVM definitions and checked ioctl helpers. Debian 12's kernel headers
 * (6.1) lack a few newer UAPI items; they are defined here, guarded, with the
 * values of <linux/kvm.h> / <asm/kvm.h> in Linux 6.12.
 */
#ifndef VMM_KVM_ARM_H
#define VMM_KVM_ARM_H

#include <errno.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "vmm/core/compiler.h"

#ifndef KVM_ARM_VM_SMCCC_CTRL
#define KVM_ARM_VM_SMCCC_CTRL 0
#define KVM_ARM_VM_SMCCC_FILTER 0
enum kvm_smccc_filter_action {
	KVM_SMCCC_FILTER_HANDLE = 0,
	KVM_SMCCC_FILTER_DENY,
	KVM_SMCCC_FILTER_FWD_TO_USER,
};
struct kvm_smccc_filter {
	__u32 base;
	__u32 nr_functions;
	__u8 action;
	__u8 pad[15];
};
#endif
#ifndef KVM_HYPERCALL_EXIT_SMC
#define KVM_HYPERCALL_EXIT_SMC (1U << 0)
#define KVM_HYPERCALL_EXIT_16BIT (1U << 1)
#endif
#ifndef KVM_CAP_ARM_VM_IPA_SIZE
#define KVM_CAP_ARM_VM_IPA_SIZE 165
#endif

/* MPIDR_EL1 as seen by KVM_GET_ONE_REG: op0=3 op1=0 CRn=0 CRm=0 op2=5. */
#define KVM_REG_MPIDR_EL1 ARM64_SYS_REG(3, 0, 0, 0, 5)

#define KVM_CORE_REG64(name) \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(name))

/* ioctl returning -errno. */
static inline int kvm_ioctl(int fd, unsigned long req, void *arg)
{
	int ret = ioctl(fd, req, arg);

	return ret < 0 ? -errno : ret;
}

static inline int kvm_get_reg(int vcpu_fd, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)val };

	return kvm_ioctl(vcpu_fd, KVM_GET_ONE_REG, &r);
}

static inline int kvm_set_reg(int vcpu_fd, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)&val };

	return kvm_ioctl(vcpu_fd, KVM_SET_ONE_REG, &r);
}

static inline int kvm_set_attr(int fd, uint32_t group, uint64_t attr, const void *addr)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)addr };

	return kvm_ioctl(fd, KVM_SET_DEVICE_ATTR, &a);
}

static inline int kvm_has_attr(int fd, uint32_t group, uint64_t attr)
{
	struct kvm_device_attr a = { .group = group, .attr = attr };

	return kvm_ioctl(fd, KVM_HAS_DEVICE_ATTR, &a) == 0;
}

#endif

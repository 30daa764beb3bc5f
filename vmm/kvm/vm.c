// SPDX-License-Identifier: MIT
#define LOG_PREFIX "vm"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hotplug/psci.h"
#include "vmm/arm64/memory_map.h"
#include "vmm/arm64/vm_config.h"
#include "vmm/core/errbuf.h"
#include "vmm/core/log.h"
#include "vmm/kvm/kvm_arm.h"
#include "vmm/kvm/vm.h"
#include "vmm/kvm/vm_internal.h"

static int open_kvm(struct vm *vm, char *errbuf, size_t errlen)
{
	int ret;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		ret = -errno;
		ERR("cannot open /dev/kvm: %s", strerror(-ret));
		return ret;
	}
	ret = kvm_ioctl(vm->kvm_fd, KVM_GET_API_VERSION, NULL);
	if (ret != KVM_API_VERSION) {
		ERR("/dev/kvm speaks API version %d, expected %d", ret, KVM_API_VERSION);
		return -ENOTSUP;
	}
	return 0;
}

static int check_extension(struct vm *vm, long cap)
{
	int ret = ioctl(vm->vm_fd >= 0 ? vm->vm_fd : vm->kvm_fd, KVM_CHECK_EXTENSION, cap);

	return ret < 0 ? 0 : ret;
}

static int create_vm_fd(struct vm *vm, char *errbuf, size_t errlen)
{
	unsigned long type = 0;
	unsigned need, host_max;
	int ret;

	need = layout_ipa_bits(layout_guest_top(vm->ram_size, vm->max_vcpus));
	host_max = (unsigned)check_extension(vm, KVM_CAP_ARM_VM_IPA_SIZE);
	if (host_max) {
		if (need > host_max) {
			ERR("the guest address space needs %u bits, this host's KVM supports %u (less --memory or --cpus max)",
			    need, host_max);
			return -E2BIG;
		}
		/* 0 means the 40-bit default; ask explicitly when the host offers less. */
		if (need > 40 || host_max < 40)
			type = need & 0xff;
	}
	vm->vm_fd = kvm_ioctl(vm->kvm_fd, KVM_CREATE_VM, (void *)type);
	if (vm->vm_fd < 0) {
		ret = vm->vm_fd;
		vm->vm_fd = -1;
		ERR("KVM_CREATE_VM failed: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

static int choose_vcpu_features(struct vm *vm, char *errbuf, size_t errlen)
{
	struct kvm_vcpu_init pref;
	int ret;

	ret = kvm_ioctl(vm->vm_fd, KVM_ARM_PREFERRED_TARGET, &pref);
	if (ret < 0) {
		ERR("KVM_ARM_PREFERRED_TARGET failed: %s", strerror(-ret));
		return ret;
	}
	vm->vcpu_target = pref.target;
	memset(vm->vcpu_features, 0, sizeof(vm->vcpu_features));
	vm->vcpu_features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (vm->cfg.pmu != VM_PMU_OFF && check_extension(vm, KVM_CAP_ARM_PMU_V3)) {
		vm->vcpu_features[0] |= 1u << KVM_ARM_VCPU_PMU_V3;
		vm->pmu = true;
	} else if (vm->cfg.pmu == VM_PMU_ON) {
		ERR("this host's KVM has no PMUv3 for guests (KVM_CAP_ARM_PMU_V3), but the machine has one "
		    "(--pmu on, or a snapshot or migration of a VM with a PMU)");
		return -EOPNOTSUPP;
	}
	if (check_extension(vm, KVM_CAP_ARM_PTRAUTH_ADDRESS) && check_extension(vm, KVM_CAP_ARM_PTRAUTH_GENERIC))
		vm->vcpu_features[0] |= (1u << KVM_ARM_VCPU_PTRAUTH_ADDRESS) | (1u << KVM_ARM_VCPU_PTRAUTH_GENERIC);
	return 0;
}

/* Creates every possible vCPU, then the vGIC sized for all of them (REFERENCE §5.1 order). */
static int create_vcpus_and_gic(struct vm *vm, char *errbuf, size_t errlen)
{
	unsigned i, nr_irqs = vm->cfg.gic_irqs ? vm->cfg.gic_irqs : LAYOUT_NR_IRQS;
	int ret;

	vm->vcpus = calloc(vm->max_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -ENOMEM;
	for (i = 0; i < vm->max_vcpus; i++)
		vm->vcpus[i].fd = -1;
	for (i = 0; i < vm->max_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		ret = vcpu_create(vm, i, v);
		if (ret < 0) {
			ERR("cannot create vCPU %u of %u: %s", i, vm->max_vcpus, strerror(-ret));
			return ret;
		}
		/* Only vCPU 0 starts powered on; the others wait for PSCI CPU_ON. */
		ret = vcpu_arch_init(v, i != 0);
		if (ret < 0) {
			ERR("cannot initialise vCPU %u: %s", i, strerror(-ret));
			return ret;
		}
		v->cold_booted = i < vm->cfg.boot_vcpus;
		v->admin = v->cold_booted ? VCPU_ENABLED : VCPU_PARKED;
	}
	ret = vgic_create(vm->vm_fd, vm->max_vcpus, &vm->gic);
	if (ret < 0) {
		ERR("cannot create the GICv3 for %u vCPUs: %s", vm->max_vcpus, strerror(-ret));
		return ret;
	}
	ret = vgic_init(&vm->gic, nr_irqs);
	if (ret < 0) {
		ERR("cannot initialise the GICv3 with %u interrupts: %s", nr_irqs, strerror(-ret));
		return ret;
	}
	for (i = 0; i < vm->max_vcpus; i++) {
		ret = vcpu_late_init(&vm->vcpus[i]);
		if (ret < 0) {
			ERR("cannot finish vCPU %u set-up: %s", i, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/*
 * Forwards PSCI CPU_ON and CPU_OFF to userspace (Linux 6.4+), so a vCPU that is
 * not enabled can be refused with DENIED. Must happen before any vCPU runs.
 */
static int install_psci_filter(struct vm *vm, char *errbuf, size_t errlen)
{
	const uint32_t *fns = psci_forwarded_fns;
	unsigned i;
	int ret;

	if (!kvm_has_attr(vm->vm_fd, KVM_ARM_VM_SMCCC_CTRL, KVM_ARM_VM_SMCCC_FILTER)) {
		log_warn("this KVM cannot forward PSCI calls (SMCCC filter, Linux >= 6.4): vCPU hot-plug is disabled");
		return 0;
	}
	for (i = 0; i < PSCI_NR_FORWARDED; i++) {
		struct kvm_smccc_filter f = {
			.base = fns[i], .nr_functions = 1, .action = KVM_SMCCC_FILTER_FWD_TO_USER,
		};

		ret = kvm_set_attr(vm->vm_fd, KVM_ARM_VM_SMCCC_CTRL, KVM_ARM_VM_SMCCC_FILTER, &f);
		if (ret < 0) {
			ERR("cannot forward PSCI function 0x%x to userspace: %s", fns[i], strerror(-ret));
			return ret;
		}
	}
	vm->psci_user = true;
	return 0;
}

/*
 * A guest access to emulated MMIO that KVM cannot decode (no valid syndrome:
 * ldp/stp, writeback, ...) makes KVM_RUN fail with ENOSYS unless it is handed
 * to userspace, which would let any guest end the VMM. With the capability the
 * vCPU exits with KVM_EXIT_ARM_NISV and vcpu.c injects an external data abort,
 * as real hardware does for an access the bus cannot complete.
 */
static int enable_nisv_to_user(struct vm *vm, char *errbuf, size_t errlen)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_NISV_TO_USER };
	int ret;

	if (!check_extension(vm, KVM_CAP_ARM_NISV_TO_USER) || !check_extension(vm, KVM_CAP_ARM_INJECT_EXT_DABT)) {
		log_warn("this KVM cannot report undecodable MMIO accesses to userspace: such a guest access stops the VM");
		return 0;
	}
	ret = kvm_ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap);
	if (ret < 0) {
		ERR("cannot enable KVM_CAP_ARM_NISV_TO_USER: %s", strerror(-ret));
		return ret;
	}
	vm->nisv_user = true;
	return 0;
}

/* Boot vCPU 0 runs; the other enabled ones wait for CPU_ON. Without userspace
 * PSCI, KVM powers them on itself, so their threads must sit in KVM_RUN. */
static void set_initial_power(struct vm *vm)
{
	unsigned i;

	for (i = 0; i < vm->max_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		v->power = (i == 0 || !vm->psci_user) ? VCPU_POWER_ON : VCPU_POWER_OFF;
		if (v->admin == VCPU_ENABLED) {
			char id[sizeof(v->dev_id)];

			snprintf(id, sizeof(id), "core%u", i);
			vcpu_enable(v, id);
		}
	}
}

static void uart_set_irq(void *ctx, bool level)
{
	struct vm *vm = ctx;
	int ret = vgic_set_spi(vm->vm_fd, LAYOUT_UART_INTID, level);

	if (ret < 0)
		log_warn_ratelimited("cannot set the UART interrupt: %s", strerror(-ret));
}

static void uart_tx(void *ctx, uint8_t byte)
{
	struct vm *vm = ctx;

	if (vm->hooks && vm->hooks->output)
		vm->hooks->output(vm->hooks_ctx, byte);
}

static void uart_rx_space(void *ctx)
{
	struct vm *vm = ctx;

	if (vm->hooks && vm->hooks->rx_space)
		vm->hooks->rx_space(vm->hooks_ctx);
}

static const struct pl011_ops vm_uart_ops = {
	.set_irq = uart_set_irq,
	.tx = uart_tx,
	.rx_space = uart_rx_space,
};

static int setup_devices(struct vm *vm, char *errbuf, size_t errlen)
{
	int ret;

	ret = pl011_init(&vm->uart, &vm_uart_ops, vm);
	if (ret < 0) {
		ERR("cannot create the UART: %s", strerror(-ret));
		return ret;
	}
	vm->uart_ready = true;
	ret = mmio_bus_register(&vm->bus, &(struct mmio_region){
		.name = "pl011", .base = LAYOUT_UART_BASE, .size = LAYOUT_UART_SIZE,
		.min_access = 1, .max_access = 4, .fn = pl011_mmio, .opaque = &vm->uart,
	});
	if (ret < 0)
		ERR("cannot map the UART: %s", strerror(-ret));
	return ret;
}

int vm_create(const struct vm_config *cfg, const struct vm_hooks *hooks, void *hooks_ctx,
	      struct vm **out, char *errbuf, size_t errlen)
{
	return vm_create_ex(cfg, hooks, hooks_ctx, -1, out, errbuf, errlen);
}

int vm_create_ex(const struct vm_config *cfg, const struct vm_hooks *hooks, void *hooks_ctx, int mem_fd,
		 struct vm **out, char *errbuf, size_t errlen)
{
	struct vm *vm;
	int ret, max;

	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		ERR("out of memory");
		return -ENOMEM;
	}
	vm->cfg = *cfg;
	vm->kvm_fd = vm->vm_fd = vm->event_fd = vm->ram_fd = -1;
	vm->gic.fd = -1;
	vm->max_vcpus = cfg->max_vcpus;
	vm->ram_gpa = LAYOUT_RAM_BASE;
	vm->ram_size = cfg->mem_size;
	vm->hooks = hooks;
	vm->hooks_ctx = hooks_ctx;
	ret = mmio_bus_init(&vm->bus);
	if (ret < 0) {
		free(vm);
		ERR("cannot create the MMIO bus: %s", strerror(-ret));
		return ret;
	}
	vm->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->event_fd < 0) {
		ret = -errno;
		ERR("eventfd: %s", strerror(-ret));
		goto err;
	}
	ret = open_kvm(vm, errbuf, errlen);
	if (ret < 0)
		goto err;
	max = check_extension(vm, KVM_CAP_MAX_VCPUS);
	ret = vm_config_check_host(cfg, host_mem_bytes(), max > 0 ? (unsigned)max : 0, errbuf, errlen);
	if (ret < 0)
		goto err;
	ret = create_vm_fd(vm, errbuf, errlen);
	if (ret < 0)
		goto err;
	ret = vm_memory_setup(vm, mem_fd, errbuf, errlen);
	if (ret < 0)
		goto err;
	ret = choose_vcpu_features(vm, errbuf, errlen);
	if (ret < 0)
		goto err;
	ret = enable_nisv_to_user(vm, errbuf, errlen);
	if (ret < 0)
		goto err;
	ret = create_vcpus_and_gic(vm, errbuf, errlen);
	if (ret < 0)
		goto err;
	ret = install_psci_filter(vm, errbuf, errlen);
	if (ret < 0)
		goto err;
	set_initial_power(vm);
	ret = setup_devices(vm, errbuf, errlen);
	if (ret < 0)
		goto err;
	ret = vm_hotplug_setup(vm, errbuf, errlen);
	if (ret < 0)
		goto err;
	ret = vm_disks_setup(vm, cfg->disks_defer_open, errbuf, errlen);
	if (ret < 0)
		goto err;
	if (mem_fd >= 0 || mem_fd == VM_MEM_INCOMING) {
		/* Restore or incoming migration: RAM holds (or will hold) the guest; the caller loads the state. */
		*out = vm;
		return 0;
	}
	ret = vm_boot_prepare(vm, errbuf, errlen);
	if (ret < 0)
		goto err;
	*out = vm;
	return 0;
err:
	vm_destroy(vm);
	return ret;
}

int vm_host_limits(uint64_t *mem_bytes, unsigned *max_vcpus)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), n;

	if (fd < 0)
		return -errno;
	n = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	close(fd);
	*max_vcpus = n > 0 ? (unsigned)n : 0;
	*mem_bytes = host_mem_bytes();
	return 0;
}

int vm_start(struct vm *vm)
{
	unsigned i;
	int ret;

	for (i = 0; i < vm->max_vcpus; i++) {
		if (vm->vcpus[i].admin != VCPU_ENABLED)
			continue;
		ret = vcpu_start(&vm->vcpus[i]);
		if (ret < 0) {
			vm_stop(vm);
			return ret;
		}
	}
	return 0;
}

void vm_stop(struct vm *vm)
{
	unsigned i;

	if (!vm->vcpus)
		return;
	vm_throttle_stop(vm);
	for (i = 0; i < vm->max_vcpus; i++)
		if (vm->vcpus[i].fd >= 0)
			vcpu_stop(&vm->vcpus[i]);
}

void vm_destroy(struct vm *vm)
{
	unsigned i;

	if (!vm)
		return;
	vm_stop(vm);
	if (vm->vcpus) {
		for (i = 0; i < vm->max_vcpus; i++)
			vcpu_destroy(&vm->vcpus[i]);
		free(vm->vcpus);
	}
	vm_disks_teardown(vm);
	vm_hotplug_teardown(vm);
	vgic_destroy(&vm->gic);
	if (vm->uart_ready)
		pl011_fini(&vm->uart);
	mmio_bus_fini(&vm->bus);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	if (vm->ram_fd >= 0)
		close(vm->ram_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->event_fd >= 0)
		close(vm->event_fd);
	free(vm);
}

void vm_request_exit(struct vm *vm, enum vm_exit why)
{
	int expected = VM_EXIT_NONE;
	uint64_t one = 1;

	if (why != VM_EXIT_NONE)
		__atomic_compare_exchange_n(&vm->exit_reason, &expected, (int)why, false, __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST);
	if (write(vm->event_fd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow in practice; the reason is recorded anyway. */
	}
}

enum vm_exit vm_process_events(struct vm *vm)
{
	uint64_t v;

	if (read(vm->event_fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing pending. */
	}
	vm_hotplug_process(vm);
	return (enum vm_exit)__atomic_load_n(&vm->exit_reason, __ATOMIC_SEQ_CST);
}

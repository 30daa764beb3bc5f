// SPDX-License-Identifier: MIT
#define LOG_PREFIX "vcpu"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hotplug/psci.h"
#include "vmm/arm64/memory_map.h"
#include "vmm/arm64/mpidr.h"
#include "vmm/core/log.h"
#include "vmm/kvm/kvm_arm.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/kvm/vm.h"

int vcpu_create(struct vm *vm, unsigned id, struct vcpu *v)
{
	int mmap_size, ret;

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->id = id;
	v->fd = -1;
	ret = kvm_ioctl(vm->vm_fd, KVM_CREATE_VCPU, (void *)(uintptr_t)id);
	if (ret < 0) {
		log_err("cannot create vCPU %u: %s", id, strerror(-ret));
		return ret;
	}
	v->fd = ret;
	mmap_size = kvm_ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (mmap_size < 0) {
		ret = mmap_size;
		goto err_close;
	}
	v->run = mmap(NULL, (size_t)mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		ret = -errno;
		v->run = NULL;
		log_err("cannot map kvm_run of vCPU %u: %s", id, strerror(-ret));
		goto err_close;
	}
	ret = -pthread_mutex_init(&v->lock, NULL);
	if (ret)
		goto err_unmap;
	ret = -pthread_cond_init(&v->cond, NULL);
	if (ret)
		goto err_mutex;
	return 0;
err_mutex:
	pthread_mutex_destroy(&v->lock);
err_unmap:
	munmap(v->run, (size_t)mmap_size);
	v->run = NULL;
err_close:
	close(v->fd);
	v->fd = -1;
	return ret;
}

int vcpu_arch_init(struct vcpu *v, bool power_off)
{
	struct kvm_vcpu_init init = { .target = v->vm->vcpu_target };
	uint64_t mpidr;
	int ret;

	vcpu_regs_forget(v);
	memcpy(init.features, v->vm->vcpu_features, sizeof(init.features));
	if (power_off)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	ret = kvm_ioctl(v->fd, KVM_ARM_VCPU_INIT, &init);
	if (ret < 0) {
		log_err("KVM_ARM_VCPU_INIT of vCPU %u failed: %s", v->id, strerror(-ret));
		return ret;
	}
	ret = kvm_get_reg(v->fd, KVM_REG_MPIDR_EL1, &mpidr);
	if (ret < 0) {
		log_err("cannot read MPIDR of vCPU %u: %s", v->id, strerror(-ret));
		return ret;
	}
	/* Other vCPU threads look vCPUs up by MPIDR: only ever store the final value. */
	mpidr &= MPIDR_AFFINITY_MASK;
	if (v->mpidr != mpidr)
		__atomic_store_n(&v->mpidr, mpidr, __ATOMIC_RELEASE);
	return 0;
}

int vcpu_late_init(struct vcpu *v)
{
	int irq = LAYOUT_PPI_INTID(LAYOUT_PPI_PMU);
	int ret;

	if (!v->vm->pmu)
		return 0;
	ret = kvm_set_attr(v->fd, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_IRQ, &irq);
	if (ret >= 0)
		ret = kvm_set_attr(v->fd, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_INIT, NULL);
	if (ret < 0)
		log_err("cannot set up the PMU of vCPU %u: %s", v->id, strerror(-ret));
	return ret;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->fd < 0)
		return;
	if (v->state != VCPU_THREAD_NONE)
		vcpu_stop(v);
	vcpu_regs_forget(v);
	if (v->run) {
		int sz = kvm_ioctl(v->vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);

		if (sz > 0)
			munmap(v->run, (size_t)sz);
	}
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->lock);
	close(v->fd);
	v->fd = -1;
}

static int apply_power_on(struct vcpu *v, uint64_t entry, uint64_t ctx);

/*
 * Lets KVM finish an MMIO exit we already emulated (write the read data to the
 * destination register, step the PC): KVM_RUN with immediate_exit set completes
 * it and returns EINTR without entering the guest. A vCPU must never be paused,
 * saved or parked half-way through an access.
 */
static void complete_mmio(struct vcpu *v, bool *mmio_incomplete)
{
	if (!*mmio_incomplete)
		return;
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELEASE);
	if (ioctl(v->fd, KVM_RUN, 0) == 0 || errno != EINTR)
		log_warn("vCPU %u: completing an MMIO access before a pause did not return EINTR", v->id);
	*mmio_incomplete = false;
}

/*
 * Waits until the thread may enter the guest: handles pause and stop requests,
 * idles while the vCPU is powered off (or the VM is ending), and applies a
 * pending PSCI CPU_ON (only while nothing is requested). Returns true when the
 * thread must end. Before it acknowledges a request, an emulated MMIO access is
 * completed; an accepted CPU_ON not yet applied stays pending (vcpu_save_state
 * records it), so a paused vCPU's saved state is what the guest was told.
 */
static bool wait_until_runnable(struct vcpu *v, bool *mmio_incomplete)
{
	uint64_t entry, ctx;

	pthread_mutex_lock(&v->lock);
	for (;;) {
		if (v->req != VCPU_REQ_NONE && *mmio_incomplete) {
			pthread_mutex_unlock(&v->lock);
			complete_mmio(v, mmio_incomplete);
			pthread_mutex_lock(&v->lock);
			continue;
		}
		/* While a pause (or stop) is requested nothing changes this vCPU: an
		 * accepted CPU_ON stays pending (it is saved and re-armed on load). */
		if (v->req == VCPU_REQ_NONE && v->on_pending && !v->halted) {
			entry = v->on_entry;
			ctx = v->on_ctx;
			pthread_mutex_unlock(&v->lock);
			if (apply_power_on(v, entry, ctx) < 0) {
				log_err("vCPU %u: power-on at 0x%llx failed", v->id, (unsigned long long)entry);
				vm_request_exit(v->vm, VM_EXIT_ERROR);
				v->halted = true;
			}
			pthread_mutex_lock(&v->lock);
			continue;
		}
		if (v->req == VCPU_REQ_STOP) {
			v->state = VCPU_THREAD_STOPPED;
			pthread_cond_broadcast(&v->cond);
			pthread_mutex_unlock(&v->lock);
			return true;
		}
		if (v->req == VCPU_REQ_PAUSE) {
			if (v->state != VCPU_THREAD_PAUSED) {
				v->state = VCPU_THREAD_PAUSED;
				pthread_cond_broadcast(&v->cond);
			}
			pthread_cond_wait(&v->cond, &v->lock);
			continue;
		}
		v->state = VCPU_THREAD_RUNNING;
		if (v->halted || v->power == VCPU_POWER_OFF) {
			pthread_cond_wait(&v->cond, &v->lock);
			continue;
		}
		break;
	}
	__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&v->lock);
	return false;
}

/* PSCI CPU_ON reached this vCPU: reset it and start it at entry with x0 = ctx. */
static int apply_power_on(struct vcpu *v, uint64_t entry, uint64_t ctx)
{
	int ret;

	ret = vcpu_arch_init(v, false);
	if (ret >= 0)
		ret = kvm_set_reg(v->fd, KVM_CORE_REG64(regs.pc), entry);
	if (ret >= 0)
		ret = kvm_set_reg(v->fd, KVM_CORE_REG64(regs.regs[0]), ctx);
	pthread_mutex_lock(&v->lock);
	v->on_pending = false;
	v->power = ret < 0 ? VCPU_POWER_OFF : VCPU_POWER_ON;
	pthread_mutex_unlock(&v->lock);
	if (ret < 0)
		log_err("cannot power on vCPU %u: %s", v->id, strerror(-ret));
	else
		log_debug("vCPU %u powered on at 0x%llx", v->id, (unsigned long long)entry);
	return ret;
}

static struct vcpu *find_by_mpidr(struct vm *vm, uint64_t mpidr)
{
	unsigned i;

	mpidr &= MPIDR_AFFINITY_MASK;
	for (i = 0; i < vm->max_vcpus; i++)
		if (vm->vcpus[i].fd >= 0 && vm->vcpus[i].mpidr == mpidr)
			return &vm->vcpus[i];
	return NULL;
}

int64_t vcpu_psci_cpu_on(struct vcpu *target, uint64_t entry, uint64_t ctx)
{
	struct vm *vm = target->vm;
	struct psci_target_view view = { .exists = true };
	int ret;

	view.entry_in_ram = entry >= vm->ram_gpa && entry - vm->ram_gpa < vm->ram_size;
	pthread_mutex_lock(&target->lock);
	view.enabled = target->admin == VCPU_ENABLED && !target->eject_pending;
	view.on = target->power == VCPU_POWER_ON;
	view.on_pending = target->on_pending;
	ret = psci_cpu_on_decision(&view);
	if (ret == PSCI_RET_SUCCESS) {
		target->on_pending = true;
		target->on_entry = entry;
		target->on_ctx = ctx;
		pthread_cond_broadcast(&target->cond);
	}
	pthread_mutex_unlock(&target->lock);
	return ret;
}

/* A PSCI call forwarded by the SMCCC filter (KVM has already stepped past the HVC/SMC). */
static void handle_hypercall(struct vcpu *v)
{
	uint64_t fn = v->run->hypercall.nr, x[4] = { 0 };
	struct psci_cpu_on_args on;
	int64_t result = PSCI_RET_NOT_SUPPORTED;
	struct vcpu *target;
	unsigned i;
	int ret = 0;

	for (i = 1; i < 4 && ret >= 0; i++)
		ret = kvm_get_reg(v->fd, KVM_CORE_REG64(regs.regs[i]), &x[i]);
	if (ret < 0) {
		log_err("vCPU %u: cannot read the PSCI arguments: %s", v->id, strerror(-ret));
		vm_request_exit(v->vm, VM_EXIT_ERROR);
		v->halted = true;
		return;
	}
	switch (psci_decode(fn, x, &on)) {
	case PSCI_CALL_CPU_ON:
		target = find_by_mpidr(v->vm, on.target_mpidr);
		if (!target) {
			struct psci_target_view none = { 0 };

			result = psci_cpu_on_decision(&none);
		} else {
			result = vcpu_psci_cpu_on(target, on.entry, on.context);
		}
		if (result == PSCI_RET_DENIED)
			log_info_ratelimited("vCPU %u: CPU_ON for MPIDR 0x%llx denied: that vCPU is not enabled", v->id,
				 (unsigned long long)on.target_mpidr);
		break;
	case PSCI_CALL_CPU_OFF: {
		struct kvm_mp_state st = { .mp_state = KVM_MP_STATE_STOPPED };

		pthread_mutex_lock(&v->lock);
		v->power = VCPU_POWER_OFF;
		pthread_mutex_unlock(&v->lock);
		/* So that the in-kernel AFFINITY_INFO reports it off. */
		ret = kvm_ioctl(v->fd, KVM_SET_MP_STATE, &st);
		if (ret < 0)
			log_warn("vCPU %u: cannot mark it stopped: %s", v->id, strerror(-ret));
		log_debug("vCPU %u powered off", v->id);
		return; /* CPU_OFF does not return */
	}
	case PSCI_CALL_UNKNOWN:
		log_warn_ratelimited("vCPU %u: unexpected forwarded SMCCC call 0x%llx", v->id,
				     (unsigned long long)fn);
		break;
	}
	ret = kvm_set_reg(v->fd, KVM_CORE_REG64(regs.regs[0]), (uint64_t)result);
	if (ret < 0) {
		log_err("vCPU %u: cannot return the PSCI result: %s", v->id, strerror(-ret));
		vm_request_exit(v->vm, VM_EXIT_ERROR);
		v->halted = true;
	}
}

static void handle_system_event(struct vcpu *v)
{
	struct vm *vm = v->vm;

	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		log_info("guest powered off (vCPU %u)", v->id);
		vm_request_exit(vm, VM_EXIT_POWEROFF);
		break;
	case KVM_SYSTEM_EVENT_RESET:
		log_info("guest requested a reset (vCPU %u)", v->id);
		vm_request_exit(vm, VM_EXIT_RESET);
		break;
	case KVM_SYSTEM_EVENT_CRASH:
		log_err("guest reported a crash (vCPU %u)", v->id);
		vm_request_exit(vm, VM_EXIT_CRASH);
		break;
	default:
		log_warn("unknown system event %u on vCPU %u: stopping the VM", v->run->system_event.type, v->id);
		vm_request_exit(vm, VM_EXIT_ERROR);
		break;
	}
	v->halted = true;
}

static void fail(struct vcpu *v, const char *what, unsigned long long detail)
{
	log_err("vCPU %u: %s (0x%llx)", v->id, what, detail);
	vm_request_exit(v->vm, VM_EXIT_ERROR);
	v->halted = true;
}

/*
 * KVM_EXIT_ARM_NISV: the guest accessed emulated MMIO (or nothing) with an
 * instruction whose syndrome KVM cannot decode (ldp/stp, post-index, ...). We
 * cannot emulate it either: the guest gets a synchronous external data abort,
 * what a real bus does for an access it cannot complete. Guest-triggered: the
 * log is rate-limited, the count is kept (QMP x-query-guest-errors).
 */
static void handle_nisv(struct vcpu *v)
{
	struct kvm_vcpu_events ev;
	int ret;

	__atomic_add_fetch(&v->vm->guest_nisv_aborts, 1, __ATOMIC_RELAXED);
	log_warn_ratelimited("vCPU %u: guest access at 0x%llx cannot be emulated (ESR ISS 0x%llx): external abort injected",
			     v->id, (unsigned long long)v->run->arm_nisv.fault_ipa,
			     (unsigned long long)v->run->arm_nisv.esr_iss);
	memset(&ev, 0, sizeof(ev));
	ev.exception.ext_dabt_pending = 1;
	ret = kvm_ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev);
	if (ret < 0)
		fail(v, "cannot inject an external data abort", (unsigned long long)-ret);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct kvm_run *run = v->run;
	bool mmio_incomplete = false;
	sigset_t set;
	char name[16];

	v->tid = (int)gettid();
	snprintf(name, sizeof(name), "vcpu%u", v->id);
	pthread_setname_np(pthread_self(), name);
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	for (;;) {
		int ret;

		if (wait_until_runnable(v, &mmio_incomplete))
			break;
		mmio_incomplete = false;
		ret = ioctl(v->fd, KVM_RUN, 0);
		if (ret < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				vcpu_throttle_point(v);
				continue;
			}
			fail(v, "KVM_RUN failed", (unsigned long long)errno);
			continue;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_MMIO:
			mmio_bus_access(&v->vm->bus, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
					run->mmio.is_write);
			mmio_incomplete = true;
			break;
		case KVM_EXIT_HYPERCALL:
			handle_hypercall(v);
			break;
		case KVM_EXIT_ARM_NISV:
			handle_nisv(v);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			handle_system_event(v);
			break;
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_FAIL_ENTRY:
			fail(v, "failed to enter the guest", run->fail_entry.hardware_entry_failure_reason);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			fail(v, "KVM internal error", run->internal.suberror);
			break;
		default:
			fail(v, "unhandled exit reason", run->exit_reason);
			break;
		}
	}
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	sigset_t all, old;
	int ret;

	v->req = VCPU_REQ_NONE;
	v->halted = false;
	v->state = VCPU_THREAD_RUNNING;
	v->run->immediate_exit = 0;
	/* The thread starts with every signal blocked and unblocks only the kick. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&v->thread, NULL, vcpu_thread, v);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		v->state = VCPU_THREAD_NONE;
		log_err("cannot start the thread of vCPU %u: %s", v->id, strerror(-ret));
	}
	return ret;
}

void vcpu_stop(struct vcpu *v)
{
	if (v->state == VCPU_THREAD_NONE)
		return;
	pthread_mutex_lock(&v->lock);
	v->req = VCPU_REQ_STOP;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	vcpu_kick(v);
	pthread_join(v->thread, NULL);
	v->state = VCPU_THREAD_NONE;
	v->req = VCPU_REQ_NONE;
	v->run->immediate_exit = 0;
}

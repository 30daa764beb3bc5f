// SPDX-License-Identifier: MIT
#define LOG_PREFIX "vcpu"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/kvm/kvm_arm.h"
#include "vmm/layout.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

/* The kick signal: its handler does nothing; its only job is to make KVM_RUN return. */
#define VCPU_KICK_SIGNAL (SIGRTMIN + 1)

static void kick_handler(int sig)
{
	(void)sig;
}

int vcpu_signal_setup(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigemptyset(&sa.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0)
		return -errno;
	return 0;
}

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
	int ret;

	memcpy(init.features, v->vm->vcpu_features, sizeof(init.features));
	if (power_off)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	ret = kvm_ioctl(v->fd, KVM_ARM_VCPU_INIT, &init);
	if (ret < 0) {
		log_err("KVM_ARM_VCPU_INIT of vCPU %u failed: %s", v->id, strerror(-ret));
		return ret;
	}
	ret = kvm_get_reg(v->fd, KVM_REG_MPIDR_EL1, &v->mpidr);
	if (ret < 0) {
		log_err("cannot read MPIDR of vCPU %u: %s", v->id, strerror(-ret));
		return ret;
	}
	v->mpidr &= MPIDR_AFFINITY_MASK;
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

/*
 * Handles the requests of the control thread. Called after KVM_RUN returned
 * EINTR, i.e. with no exit left half-done (KVM completes a pending MMIO read before
 * it honours immediate_exit). Returns true when the thread must end.
 */
static bool handle_requests(struct vcpu *v)
{
	bool stop;

	pthread_mutex_lock(&v->lock);
	while (v->req == VCPU_REQ_PAUSE) {
		v->state = VCPU_THREAD_PAUSED;
		pthread_cond_broadcast(&v->cond);
		pthread_cond_wait(&v->cond, &v->lock);
	}
	stop = v->req == VCPU_REQ_STOP;
	v->state = stop ? VCPU_THREAD_STOPPED : VCPU_THREAD_RUNNING;
	if (!stop)
		__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	return stop;
}

/* The VM is ending: stay out of the guest until told to stop (or pause). */
static void wait_while_halted(struct vcpu *v)
{
	pthread_mutex_lock(&v->lock);
	while (v->req == VCPU_REQ_NONE)
		pthread_cond_wait(&v->cond, &v->lock);
	pthread_mutex_unlock(&v->lock);
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
		vm_request_exit(vm, VM_EXIT_POWEROFF);
		break;
	default:
		log_warn("unknown system event %u on vCPU %u: stopping the VM", v->run->system_event.type, v->id);
		vm_request_exit(vm, VM_EXIT_ERROR);
		break;
	}
	v->halted = true;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct kvm_run *run = v->run;
	sigset_t set;
	char name[16];

	snprintf(name, sizeof(name), "vcpu%u", v->id);
	pthread_setname_np(pthread_self(), name);
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	for (;;) {
		int ret;

		if (v->halted) {
			wait_while_halted(v);
			if (handle_requests(v))
				break;
			continue;
		}
		ret = ioctl(v->fd, KVM_RUN, 0);
		if (ret < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				if (handle_requests(v))
					break;
				continue;
			}
			log_err("KVM_RUN on vCPU %u failed: %s", v->id, strerror(errno));
			vm_request_exit(v->vm, VM_EXIT_ERROR);
			v->halted = true;
			continue;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_MMIO:
			mmio_bus_access(&v->vm->bus, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
					run->mmio.is_write);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			handle_system_event(v);
			break;
		case KVM_EXIT_INTR:
			if (handle_requests(v))
				goto out;
			break;
		case KVM_EXIT_FAIL_ENTRY:
			log_err("vCPU %u failed to enter the guest (reason 0x%llx)", v->id,
				(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			vm_request_exit(v->vm, VM_EXIT_ERROR);
			v->halted = true;
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			log_err("KVM internal error on vCPU %u (suberror %u)", v->id, run->internal.suberror);
			vm_request_exit(v->vm, VM_EXIT_ERROR);
			v->halted = true;
			break;
		default:
			log_err("unhandled exit reason %u on vCPU %u", run->exit_reason, v->id);
			vm_request_exit(v->vm, VM_EXIT_ERROR);
			v->halted = true;
			break;
		}
	}
out:
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

static void kick(struct vcpu *v)
{
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELEASE);
	pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

void vcpu_pause(struct vcpu *v)
{
	if (v->state == VCPU_THREAD_NONE)
		return;
	pthread_mutex_lock(&v->lock);
	if (v->req == VCPU_REQ_NONE)
		v->req = VCPU_REQ_PAUSE;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	kick(v);
}

void vcpu_wait_paused(struct vcpu *v)
{
	if (v->state == VCPU_THREAD_NONE)
		return;
	pthread_mutex_lock(&v->lock);
	while (v->state != VCPU_THREAD_PAUSED && v->state != VCPU_THREAD_STOPPED)
		pthread_cond_wait(&v->cond, &v->lock);
	pthread_mutex_unlock(&v->lock);
}

void vcpu_resume(struct vcpu *v)
{
	if (v->state == VCPU_THREAD_NONE)
		return;
	pthread_mutex_lock(&v->lock);
	if (v->req == VCPU_REQ_PAUSE)
		v->req = VCPU_REQ_NONE;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

void vcpu_stop(struct vcpu *v)
{
	if (v->state == VCPU_THREAD_NONE)
		return;
	pthread_mutex_lock(&v->lock);
	v->req = VCPU_REQ_STOP;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	kick(v);
	pthread_join(v->thread, NULL);
	v->state = VCPU_THREAD_NONE;
	v->req = VCPU_REQ_NONE;
	v->run->immediate_exit = 0;
}

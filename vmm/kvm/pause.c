// SPDX-License-Identifier: MIT
/*
 * The pause protocol (ARCHITECTURE.md): the control thread sets a request under
 * the vCPU's mutex, stores kvm_run->immediate_exit = 1 and kicks the thread with
 * a real-time signal whose handler is empty; the thread acknowledges from
 * vcpu.c's wait loop, after it has finished what the guest already started
 * (an emulated MMIO access, an accepted CPU_ON). Resume clears the request and
 * broadcasts. No locks or allocation in the signal handler.
 */
#define LOG_PREFIX "vcpu"
#include <errno.h>
#include <signal.h>

#include "vmm/kvm/kvm_arm.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/kvm/virtio_disks.h"
#include "vmm/kvm/vm.h"

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

void vcpu_kick(struct vcpu *v)
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
	vcpu_kick(v);
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

void vm_pause_all(struct vm *vm)
{
	unsigned i;

	for (i = 0; i < vm->max_vcpus; i++)
		vcpu_pause(&vm->vcpus[i]);
	for (i = 0; i < vm->max_vcpus; i++)
		vcpu_wait_paused(&vm->vcpus[i]);
	(void)vm_disks_pause(vm); /* result in vm->disks_pause_err, checked before saving */
}

void vm_resume_all(struct vm *vm)
{
	unsigned i;

	vm_disks_resume(vm);
	for (i = 0; i < vm->max_vcpus; i++)
		vcpu_resume(&vm->vcpus[i]);
}

bool vm_pause_if_running(struct vm *vm)
{
	bool running = false;
	unsigned i;

	for (i = 0; i < vm->max_vcpus && !running; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (v->state == VCPU_THREAD_NONE)
			continue;
		pthread_mutex_lock(&v->lock);
		running = v->req == VCPU_REQ_NONE;
		pthread_mutex_unlock(&v->lock);
	}
	if (running)
		vm_pause_all(vm);
	return running;
}

enum vm_exit vm_pause_settled(struct vm *vm, bool pause)
{
	enum vm_exit why;

	if (pause)
		vm_pause_all(vm);
	/* Finish what the guest already did (an eject) so the saved topology is settled. */
	why = vm_process_events(vm);
	if (why != VM_EXIT_NONE && pause)
		vm_resume_all(vm);
	return why;
}

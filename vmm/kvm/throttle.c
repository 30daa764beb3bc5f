// SPDX-License-Identifier: MIT
/*
 * vCPU throttling for a migration that does not converge (auto-converge): every
 * 10 ms a throttle thread asks each running vCPU to sleep pct % of the period.
 * The request is a per-vCPU sleep time plus the usual kick; the vCPU's own thread
 * sleeps at its next return from KVM_RUN, outside every lock, so a pause or stop
 * request waits at most one period.
 */
#define LOG_PREFIX "throttle"
#include <errno.h>
#include <string.h>
#include <time.h>

#include "vmm/core/log.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/kvm/vm.h"

#define THROTTLE_PERIOD_NS 10000000ull

static void *throttle_thread(void *arg)
{
	struct vm *vm = arg;

	pthread_setname_np(pthread_self(), "throttle");
	for (;;) {
		unsigned pct = __atomic_load_n(&vm->throttle_pct, __ATOMIC_ACQUIRE), i;
		struct timespec ts = { 0, (long)THROTTLE_PERIOD_NS };

		if (!pct)
			break;
		for (i = 0; i < vm->max_vcpus; i++) {
			struct vcpu *v = &vm->vcpus[i];
			bool running;

			pthread_mutex_lock(&v->lock);
			running = v->state == VCPU_THREAD_RUNNING && v->power == VCPU_POWER_ON && v->req == VCPU_REQ_NONE;
			pthread_mutex_unlock(&v->lock);
			if (!running)
				continue;
			__atomic_store_n(&v->throttle_ns, THROTTLE_PERIOD_NS * pct / 100, __ATOMIC_RELEASE);
			vcpu_kick(v);
		}
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int vm_throttle_set(struct vm *vm, unsigned pct)
{
	int ret;

	if (pct > 99)
		pct = 99;
	if (pct == __atomic_load_n(&vm->throttle_pct, __ATOMIC_ACQUIRE))
		return 0;
	if (!pct) {
		vm_throttle_stop(vm);
		return 0;
	}
	__atomic_store_n(&vm->throttle_pct, pct, __ATOMIC_RELEASE);
	if (vm->throttle_running)
		return 0;
	ret = -pthread_create(&vm->throttle_thread, NULL, throttle_thread, vm);
	if (ret < 0) {
		__atomic_store_n(&vm->throttle_pct, 0, __ATOMIC_RELEASE);
		log_warn("cannot start the throttle thread: %s", strerror(-ret));
		return ret;
	}
	vm->throttle_running = true;
	log_info("vCPUs throttled to %u %%", 100 - pct);
	return 0;
}

void vm_throttle_stop(struct vm *vm)
{
	__atomic_store_n(&vm->throttle_pct, 0, __ATOMIC_RELEASE);
	if (vm->throttle_running)
		pthread_join(vm->throttle_thread, NULL);
	vm->throttle_running = false;
}

void vcpu_throttle_point(struct vcpu *v)
{
	uint64_t ns = __atomic_exchange_n(&v->throttle_ns, 0, __ATOMIC_ACQ_REL);
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };

	if (ns)
		nanosleep(&ts, NULL);
}

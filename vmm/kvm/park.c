// SPDX-License-Identifier: MIT
/*
 * Parking: the admin state of a possible vCPU. A parked vCPU has its KVM fd and
 * kvm_run mapping and no thread, and its GIC CPU interface is inaccessible; an
 * enabled one has a device id and an accessible CPU interface. These two
 * functions are the only places that move a vCPU between the two, so the
 * admin state and the GIC's accessible flag always agree.
 */
#define LOG_PREFIX "hotplug"
#include <stdio.h>

#include "vmm/kvm/vcpu.h"
#include "vmm/kvm/vm.h"

void vcpu_enable(struct vcpu *v, const char *dev_id)
{
	pthread_mutex_lock(&v->lock);
	v->admin = VCPU_ENABLED;
	snprintf(v->dev_id, sizeof(v->dev_id), "%s", dev_id);
	pthread_mutex_unlock(&v->lock);
	v->vm->gic.accessible[v->id] = true;
}

void vcpu_park(struct vcpu *v, char *dev_id, size_t len)
{
	vcpu_stop(v);
	pthread_mutex_lock(&v->lock);
	v->eject_pending = false;
	v->admin = VCPU_PARKED;
	v->power = VCPU_POWER_OFF;
	v->on_pending = false;
	if (dev_id)
		snprintf(dev_id, len, "%s", v->dev_id);
	v->dev_id[0] = 0;
	pthread_mutex_unlock(&v->lock);
	v->vm->gic.accessible[v->id] = false;
}

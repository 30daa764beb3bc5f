// SPDX-License-Identifier: MIT
/*
 * The VM's side of CPU hot-plug: the register block and the GED wired to the bus
 * and the GED interrupt (ACPI boot only), the guest's eject accepted on its vCPU
 * thread, its _OST reports queued (hotplug/ost.c), and the control thread's work
 * when event_fd fires: park the ejected vCPUs, forward the _OST reports. The plug
 * and unplug requests themselves are hotplug/kvm/cpu_plug.c.
 */
#define LOG_PREFIX "hotplug"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hotplug/cpuhp.h"
#include "hotplug/ged.h"
#include "vmm/arm64/memory_map.h"
#include "vmm/core/clock.h"
#include "vmm/core/errbuf.h"
#include "vmm/core/log.h"
#include "vmm/kvm/vm.h"
#include "vmm/kvm/vm_internal.h"

static int ged_pulse(void *ctx)
{
	struct vm *vm = ctx;
	int ret = vgic_set_spi(vm->vm_fd, LAYOUT_GED_INTID, true);

	if (ret >= 0)
		ret = vgic_set_spi(vm->vm_fd, LAYOUT_GED_INTID, false);
	return ret;
}

static int hp_eject(void *ctx, unsigned idx)
{
	return vm_cpu_eject(ctx, idx);
}

static void hp_ost(void *ctx, unsigned idx, uint32_t event, uint32_t status)
{
	vm_queue_ost(ctx, idx, event, status);
}

static const struct cpuhp_ops vm_cpuhp_ops = { .eject = hp_eject, .ost = hp_ost };

struct vcpu *vm_find_vcpu_by_dev_id(struct vm *vm, const char *id)
{
	unsigned i;

	for (i = 0; i < vm->max_vcpus; i++)
		if (vm->vcpus[i].dev_id[0] && !strcmp(vm->vcpus[i].dev_id, id))
			return &vm->vcpus[i];
	return NULL;
}

int vm_hotplug_setup(struct vm *vm, char *errbuf, size_t errlen)
{
	uint64_t *ids;
	unsigned i;
	int ret;

	ret = ost_queue_init(&vm->ost);
	if (ret)
		return ret;
	vm->ost_ready = true;
	if (!vm->cfg.acpi)
		return 0; /* a device-tree guest cannot see hot-plugged vCPUs */
	ids = calloc(vm->max_vcpus, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (i = 0; i < vm->max_vcpus; i++)
		ids[i] = vm->vcpus[i].mpidr;
	ret = cpuhp_init(&vm->cpuhp, vm->max_vcpus, ids, &vm_cpuhp_ops, vm);
	free(ids);
	if (ret < 0) {
		ERR("cannot create the CPU hot-plug registers: %s", strerror(-ret));
		return ret;
	}
	vm->cpuhp_ready = true;
	for (i = 0; i < vm->max_vcpus; i++)
		cpuhp_set_enabled(&vm->cpuhp, i, vm->vcpus[i].admin == VCPU_ENABLED);
	ret = ged_init(&vm->ged, ged_pulse, vm);
	if (ret < 0)
		return ret;
	vm->ged_ready = true;
	ret = mmio_bus_register(&vm->bus, &(struct mmio_region){
		.name = "cpu-hotplug", .base = LAYOUT_CPUHP_BASE, .size = LAYOUT_CPUHP_SIZE,
		.min_access = 1, .max_access = 4, .fn = cpuhp_mmio, .opaque = &vm->cpuhp,
	});
	if (ret >= 0)
		ret = mmio_bus_register(&vm->bus, &(struct mmio_region){
			.name = "ged", .base = LAYOUT_GED_BASE, .size = LAYOUT_GED_SIZE,
			.min_access = 1, .max_access = 4, .fn = ged_mmio, .opaque = &vm->ged,
		});
	if (ret < 0) {
		ERR("cannot map the hot-plug registers: %s", strerror(-ret));
		return ret;
	}
	ret = vm_id_regs_cache(vm);
	if (ret < 0) {
		ERR("cannot read the boot vCPU's ID registers: %s", strerror(-ret));
		return ret;
	}
	vm->hotplug_ready = vm->psci_user;
	return 0;
}

void vm_hotplug_teardown(struct vm *vm)
{
	if (vm->ged_ready)
		ged_fini(&vm->ged);
	if (vm->cpuhp_ready)
		cpuhp_fini(&vm->cpuhp);
	vm->ged_ready = vm->cpuhp_ready = vm->hotplug_ready = false;
	if (vm->ost_ready)
		ost_queue_fini(&vm->ost);
	vm->ost_ready = false;
}

int vm_cpu_set_plugged(struct vm *vm, unsigned idx, const char *id)
{
	struct vcpu *v;

	if (!vm->hotplug_ready || idx >= vm->max_vcpus || !id || !*id)
		return -EINVAL;
	v = &vm->vcpus[idx];
	if (v->admin == VCPU_ENABLED || v->state != VCPU_THREAD_NONE || vm_find_vcpu_by_dev_id(vm, id))
		return -EEXIST;
	v->power = VCPU_POWER_OFF;
	vcpu_enable(v, id);
	cpuhp_set_enabled(&vm->cpuhp, idx, true);
	return 0;
}

int vm_cpu_eject(struct vm *vm, unsigned idx)
{
	struct vcpu *v;
	int ret = 0;

	if (idx >= vm->max_vcpus)
		return -EINVAL;
	v = &vm->vcpus[idx];
	pthread_mutex_lock(&v->lock);
	if (v->cold_booted || v->admin != VCPU_ENABLED) {
		ret = -EPERM;
	} else if (v->power == VCPU_POWER_ON || v->on_pending) {
		ret = -EBUSY;
	} else {
		/* From now on CPU_ON for it is DENIED. */
		v->eject_pending = true;
	}
	pthread_mutex_unlock(&v->lock);
	if (ret == -EBUSY)
		log_warn_ratelimited("guest ejected vCPU %u while it is still online: ignored", idx);
	if (ret == 0)
		vm_request_exit(vm, VM_EXIT_NONE); /* just wakes the control thread */
	return ret;
}

void vm_queue_ost(struct vm *vm, unsigned idx, uint32_t event, uint32_t status)
{
	struct ost_report r = { .vcpu = idx, .event = event, .status = status };

	/* Guest-sourced: coalesced and rate-limited before they become QMP events. */
	switch (ost_queue_offer(&vm->ost, r, clock_now_ns())) {
	case OST_COALESCED:
		return; /* an equal report is already on its way */
	case OST_LIMITED:
		log_warn_ratelimited("guest _OST reports over %u/s: dropped (x-query-guest-errors counts them)",
				     OST_RATE_PER_S);
		return;
	case OST_DISPLACED:
		log_warn_ratelimited("too many _OST reports: dropping the oldest");
		break;
	case OST_QUEUED:
		break;
	}
	vm_request_exit(vm, VM_EXIT_NONE);
}

static void device_deleted(struct vm *vm, const char *id)
{
	char path[96];

	snprintf(path, sizeof(path), "/machine/peripheral/%s", id);
	if (vm->hooks && vm->hooks->device_deleted)
		vm->hooks->device_deleted(vm->hooks_ctx, id, path);
}

void vm_unplug_log_start(struct vm *vm)
{
	vm->unplug_log_on = true;
	vm->nr_unplugs = 0;
}

void vm_unplug_log_stop(struct vm *vm)
{
	vm->unplug_log_on = false;
	vm->nr_unplugs = 0;
}

void vm_announce_migrated_unplugs(struct vm *vm)
{
	for (uint32_t i = 0; i < vm->nr_unplugs; i++) {
		log_info("vCPU %u ('%s') was unplugged on the source during the migration",
			 (unsigned)vm->unplugs[i].id, (const char *)vm->unplugs[i].dev_id);
		device_deleted(vm, (const char *)vm->unplugs[i].dev_id);
	}
	vm->nr_unplugs = 0;
}

void vm_hotplug_process(struct vm *vm)
{
	unsigned i;

	if (!vm->cpuhp_ready)
		return;
	for (i = 0; i < vm->max_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		char id[sizeof(v->dev_id)];
		bool eject;

		pthread_mutex_lock(&v->lock);
		eject = v->eject_pending;
		pthread_mutex_unlock(&v->lock);
		if (!eject)
			continue;
		vcpu_park(v, id, sizeof(id));
		log_info("vCPU %u ('%s') unplugged and parked", i, id);
		if (vm->unplug_log_on && id[0]) {
			if (vm->nr_unplugs < TOPOLOGY_MAX_UNPLUGS) {
				struct topology_unplug *u = &vm->unplugs[vm->nr_unplugs++];

				u->id = i;
				snprintf((char *)u->dev_id, sizeof(u->dev_id), "%s", id);
			} else {
				log_warn("more than %u vCPUs unplugged at the switch-over: the destination "
					 "announces the first %u", TOPOLOGY_MAX_UNPLUGS, TOPOLOGY_MAX_UNPLUGS);
			}
		}
		device_deleted(vm, id);
	}
	for (struct ost_report r; ost_queue_pop(&vm->ost, &r);) {
		char id[32];

		if (r.vcpu >= vm->max_vcpus)
			continue;
		pthread_mutex_lock(&vm->vcpus[r.vcpu].lock);
		snprintf(id, sizeof(id), "%s", vm->vcpus[r.vcpu].dev_id);
		pthread_mutex_unlock(&vm->vcpus[r.vcpu].lock);
		if (vm->hooks && vm->hooks->acpi_ost)
			vm->hooks->acpi_ost(vm->hooks_ctx, r.vcpu, id, r.event, r.status);
	}
}

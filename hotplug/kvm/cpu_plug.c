// SPDX-License-Identifier: MIT
/*
 * vCPU hot-plug and hot-unplug on a running VM (seed V.E.7 and V.E.8).
 *
 * Plug (control thread): reset the parked KVM vCPU, check its ID registers
 * against the boot vCPU's, start its thread powered off, mark its GIC CPU
 * interface accessible, set enabled + insert in the register block, raise the
 * GED event. The guest scans, registers the CPU, and onlines it with PSCI CPU_ON.
 *
 * Unplug: raise the remove event; the guest offlines the CPU (CPU_OFF) and ejects
 * it (_EJ0 → register block), on a vCPU thread; the control thread then stops the
 * vCPU's thread, parks it, marks its CPU interface inaccessible and reports
 * DEVICE_DELETED.
 */
#define LOG_PREFIX "hotplug"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hotplug/cpuhp.h"
#include "hotplug/ged.h"
#include "vmm/arm64/memory_map.h"
#include "vmm/core/log.h"
#include "vmm/kvm/vm.h"
#include "vmm/kvm/vm_internal.h"
#include "vmm/core/clock.h"
#include "vmm/core/errbuf.h"

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

static struct vcpu *find_by_dev_id(struct vm *vm, const char *id)
{
	unsigned i;

	for (i = 0; i < vm->max_vcpus; i++)
		if (vm->vcpus[i].dev_id[0] && !strcmp(vm->vcpus[i].dev_id, id))
			return &vm->vcpus[i];
	return NULL;
}

static int check_props(struct vm *vm, const struct cpu_props *p, char *errbuf, size_t errlen)
{
	if (p->pmu >= 0 && (bool)p->pmu != vm->pmu) {
		ERR("property pmu=%s differs from the boot vCPUs (pmu=%s): all vCPUs must have the same features",
		    p->pmu ? "on" : "off", vm->pmu ? "on" : "off");
		return -EINVAL;
	}
	if (p->sve > 0) {
		ERR("property sve=on differs from the boot vCPUs (sve=off): all vCPUs must have the same features");
		return -EINVAL;
	}
	if (p->socket_id > 0 || p->cluster_id > 0 || p->thread_id > 0) {
		ERR("this machine has one socket, one cluster and one thread per core: socket-id, cluster-id and "
		    "thread-id must be 0");
		return -EINVAL;
	}
	return 0;
}

int vm_cpu_plug(struct vm *vm, unsigned idx, const char *id, const struct cpu_props *props, char *errbuf,
		size_t errlen)
{
	uint64_t t0 = clock_now_ns();
	struct vcpu *v;
	int ret;

	if (!vm->hotplug_ready) {
		ERR(vm->cfg.acpi ? "vCPU hot-plug is not available: this KVM cannot forward PSCI calls (Linux >= 6.4)"
				 : "vCPU hot-plug needs an ACPI guest (--acpi on)");
		return -ENOTSUP;
	}
	if (idx >= vm->max_vcpus) {
		ERR("core-id %u is out of range: this VM has %u possible vCPUs (core-id 0-%u)", idx, vm->max_vcpus,
		    vm->max_vcpus - 1);
		return -ERANGE;
	}
	if (!id || !*id || strlen(id) >= sizeof(v->dev_id)) {
		ERR("a device id of 1 to %zu characters is required", sizeof(v->dev_id) - 1);
		return -EINVAL;
	}
	v = &vm->vcpus[idx];
	if (find_by_dev_id(vm, id) == v && v->admin == VCPU_ENABLED) {
		ERR("vCPU %u is already plugged%s", idx, v->cold_booted ? " (cold-booted)" : "");
		return -EEXIST;
	}
	if (find_by_dev_id(vm, id)) {
		ERR("Duplicate device ID '%s'", id);
		return -EEXIST;
	}
	ret = check_props(vm, props, errbuf, errlen);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&v->lock);
	ret = v->admin == VCPU_ENABLED ? -EEXIST : v->eject_pending ? -EBUSY : 0;
	pthread_mutex_unlock(&v->lock);
	if (ret == -EEXIST) {
		ERR("vCPU %u is already plugged", idx);
		return ret;
	}
	if (ret == -EBUSY) {
		ERR("vCPU %u is still being unplugged", idx);
		return ret;
	}
	/* Reset: a plugged vCPU starts from its architectural reset state, powered off. */
	ret = vcpu_arch_init(v, true);
	if (ret < 0) {
		ERR("cannot reset vCPU %u: %s", idx, strerror(-ret));
		return ret;
	}
	ret = vm_id_regs_check(vm, v, errbuf, errlen);
	if (ret < 0)
		return ret;
	v->power = VCPU_POWER_OFF;
	v->on_pending = false;
	v->halted = false;
	ret = vcpu_start(v);
	if (ret < 0) {
		ERR("cannot start vCPU %u's thread: %s", idx, strerror(-ret));
		return ret;
	}
	vcpu_enable(v, id);
	ret = cpuhp_plug(&vm->cpuhp, idx);
	if (ret == 0)
		ret = ged_raise(&vm->ged, GED_EVT_CPU_HOTPLUG);
	vm->last_plug_ns = clock_now_ns() - t0;
	if (ret < 0) {
		/* Roll back: the guest has not been told. */
		cpuhp_set_enabled(&vm->cpuhp, idx, false);
		vcpu_park(v, NULL, 0);
		ERR("cannot notify the guest of vCPU %u: %s", idx, strerror(-ret));
		return ret;
	}
	log_info("vCPU %u plugged as '%s' (%.3f ms to the GED interrupt)", idx, id, vm->last_plug_ns / 1e6);
	return 0;
}

int vm_cpu_set_plugged(struct vm *vm, unsigned idx, const char *id)
{
	struct vcpu *v;

	if (!vm->hotplug_ready || idx >= vm->max_vcpus || !id || !*id)
		return -EINVAL;
	v = &vm->vcpus[idx];
	if (v->admin == VCPU_ENABLED || v->state != VCPU_THREAD_NONE || find_by_dev_id(vm, id))
		return -EEXIST;
	v->power = VCPU_POWER_OFF;
	vcpu_enable(v, id);
	cpuhp_set_enabled(&vm->cpuhp, idx, true);
	return 0;
}

int vm_cpu_unplug(struct vm *vm, const char *id, char *errbuf, size_t errlen)
{
	struct vcpu *v;
	int ret;

	if (!vm->hotplug_ready) {
		ERR(vm->cfg.acpi ? "vCPU hot-unplug is not available: this KVM cannot forward PSCI calls"
				 : "vCPU hot-unplug needs an ACPI guest (--acpi on)");
		return -ENOTSUP;
	}
	v = id ? find_by_dev_id(vm, id) : NULL;
	if (!v) {
		ERR("Device '%s' not found", id ? id : "");
		return -ENOENT;
	}
	if (v->cold_booted) {
		ERR("vCPU %u ('%s') was cold-booted: the guest's MADT marks it Enabled, so it can never be unplugged",
		    v->id, id);
		return -EPERM;
	}
	pthread_mutex_lock(&v->lock);
	ret = v->eject_pending ? -EBUSY : 0;
	pthread_mutex_unlock(&v->lock);
	if (ret < 0) {
		ERR("vCPU %u ('%s') is already being unplugged", v->id, id);
		return ret;
	}
	ret = cpuhp_request_unplug(&vm->cpuhp, v->id);
	if (ret == 0)
		ret = ged_raise(&vm->ged, GED_EVT_CPU_HOTPLUG);
	if (ret < 0) {
		cpuhp_cancel_unplug(&vm->cpuhp, v->id);
		ERR("cannot ask the guest to remove vCPU %u: %s", v->id, strerror(-ret));
		return ret;
	}
	log_info("unplug of vCPU %u ('%s') requested", v->id, id);
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
	if (ost_queue_push(&vm->ost, (struct ost_report){ .vcpu = idx, .event = event, .status = status }))
		log_warn_ratelimited("too many _OST reports: dropping the oldest");
	vm_request_exit(vm, VM_EXIT_NONE);
}

void vm_hotplug_process(struct vm *vm)
{
	unsigned i;

	if (!vm->cpuhp_ready)
		return;
	for (i = 0; i < vm->max_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		char id[sizeof(v->dev_id)], path[96];
		bool eject;

		pthread_mutex_lock(&v->lock);
		eject = v->eject_pending;
		pthread_mutex_unlock(&v->lock);
		if (!eject)
			continue;
		vcpu_park(v, id, sizeof(id));
		log_info("vCPU %u ('%s') unplugged and parked", i, id);
		snprintf(path, sizeof(path), "/machine/peripheral/%s", id);
		if (vm->hooks && vm->hooks->device_deleted)
			vm->hooks->device_deleted(vm->hooks_ctx, id, path);
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

// SPDX-License-Identifier: MIT
/*
 * vCPU hot-plug and hot-unplug requests on a running VM (seed V.E.7 and V.E.8):
 * the checks, then the VM's side (vmm/kvm/hotplug.c, park.c) does the work.
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
#include "hotplug/kvm/cpu_plug.h"
#include "vmm/arm64/memory_map.h"
#include "vmm/core/clock.h"
#include "vmm/core/errbuf.h"
#include "vmm/core/log.h"
#include "vmm/kvm/vm.h"
#include "vmm/kvm/vm_internal.h"

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
	bool paused;
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
	if (vm_find_vcpu_by_dev_id(vm, id) == v && v->admin == VCPU_ENABLED) {
		ERR("vCPU %u is already plugged%s", idx, v->cold_booted ? " (cold-booted)" : "");
		return -EEXIST;
	}
	if (vm_find_vcpu_by_dev_id(vm, id)) {
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
	/* A parked vCPU's redistributor stays live in KVM (the guest can write it) and
	 * its CPU interface keeps what the guest left when it was last unplugged:
	 * neither may reach the plugged vCPU. KVM changes vGIC registers only while
	 * no vCPU runs, so the VM pauses for the reset. */
	paused = vm_pause_if_running(vm);
	ret = vgic_reset_cpu(&vm->gic, v->mpidr);
	if (paused)
		vm_resume_all(vm);
	if (ret < 0) {
		ERR("cannot reset the GIC redistributor of vCPU %u: %s", idx, strerror(-ret));
		return ret;
	}
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

int vm_cpu_unplug(struct vm *vm, const char *id, char *errbuf, size_t errlen)
{
	struct vcpu *v;
	int ret;

	if (!vm->hotplug_ready) {
		ERR(vm->cfg.acpi ? "vCPU hot-unplug is not available: this KVM cannot forward PSCI calls"
				 : "vCPU hot-unplug needs an ACPI guest (--acpi on)");
		return -ENOTSUP;
	}
	v = id ? vm_find_vcpu_by_dev_id(vm, id) : NULL;
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


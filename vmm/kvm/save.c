// SPDX-License-Identifier: MIT
/*
 * The VM's state as plain sections (migration/vm/sections.h), collected from a
 * paused VM and applied to a freshly built one: the one implementation that
 * snapshot/restore (migration/kvm/snapshot.c) and live migration use.
 */
#define LOG_PREFIX "snapshot"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migration/vm/sections.h"
#include "vmm/core/clock.h"
#include "vmm/core/errbuf.h"
#include "vmm/kvm/save.h"
#include "vmm/kvm/virtio_disks.h"
#include "vmm/kvm/vm.h"

/* Collects the state of a paused VM. */
/* The registers of the enabled vCPUs, shared out among a few threads. */
struct reg_jobs {
	struct vm *vm;
	struct vm_saved *s;
	unsigned next;             /* atomic: the next vCPU index to take */
	int ret;                   /* the first failure (-errno), with its vCPU in failed */
	unsigned failed;
	pthread_mutex_t lock;
};

static void *reg_worker(void *arg)
{
	struct reg_jobs *j = arg;
	unsigned i;

	while ((i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED)) < j->vm->max_vcpus) {
		int ret;

		if (!j->s->vcpus[i])
			continue;
		ret = vcpu_save_state(&j->vm->vcpus[i], j->s->vcpus[i]);
		if (ret < 0) {
			pthread_mutex_lock(&j->lock);
			if (!j->ret) {
				j->ret = ret;
				j->failed = i;
			}
			pthread_mutex_unlock(&j->lock);
		}
	}
	return NULL;
}

#define REG_WORKERS 8

/*
 * One ONE_REG ioctl per register, hundreds per vCPU, each taking only that vCPU's
 * lock: read side by side by up to REG_WORKERS threads (this one included), as many
 * as there are enabled vCPUs and online host CPUs.
 */
static int collect_vcpus(struct vm *vm, struct vm_saved *s, char *errbuf, size_t errlen)
{
	struct reg_jobs j = { .vm = vm, .s = s };
	pthread_t th[REG_WORKERS - 1];
	unsigned n = 0, want = 0, i;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	for (i = 0; i < vm->max_vcpus; i++)
		want += s->vcpus[i] != NULL;
	want = MIN(want, (unsigned)REG_WORKERS);
	if (cpus > 0)
		want = MIN(want, (unsigned)cpus);
	pthread_mutex_init(&j.lock, NULL);
	for (i = 0; i + 1 < want; i++)
		if (pthread_create(&th[n], NULL, reg_worker, &j) == 0)
			n++;
	reg_worker(&j);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&j.lock);
	if (j.ret < 0) {
		ERR("cannot read the registers of vCPU %u: %s", j.failed, strerror(-j.ret));
		return j.ret;
	}
	return 0;
}

int vm_state_collect(struct vm *vm, struct vm_saved *s, char *errbuf, size_t errlen)
{
	uint64_t mpidrs[LAYOUT_MAX_VCPUS], t0, t1, t2;
	unsigned i;
	int ret;

	ret = config_state_from(&vm->cfg, &s->config);
	if (ret < 0) {
		ERR("the kernel path, initrd path or command line is too long to save");
		return ret;
	}
	s->config.pmu = vm->pmu ? VM_PMU_ON : VM_PMU_OFF; /* what was built, not what was asked */
	s->config.gic_irqs = vm->gic.nr_irqs;
	s->topology.max_vcpus = s->topology.nr_vcpus = vm->max_vcpus;
	/* Only a migration's source logs unplugs; a snapshot carries none. */
	s->topology.nr_unplugged = vm->unplug_log_on ? vm->nr_unplugs : 0;
	memcpy(s->topology.unplugged, vm->unplugs, s->topology.nr_unplugged * sizeof(vm->unplugs[0]));
	for (i = 0; i < vm->max_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		bool enabled = v->admin == VCPU_ENABLED;

		mpidrs[i] = v->mpidr;
		s->topology.vcpus[i] = (struct topology_vcpu){
			.id = i, .numa_node = TOPOLOGY_NUMA_NONE, .mpidr = v->mpidr, .enabled = enabled,
			.accessible = vm->gic.accessible[i], .powered_on = enabled && v->power == VCPU_POWER_ON,
			.cold_booted = v->cold_booted,
		};
		if (!enabled)
			continue;
		s->vcpus[i] = calloc(1, sizeof(*s->vcpus[i]));
		if (!s->vcpus[i])
			return -ENOMEM;
	}
	t0 = clock_now_ns();
	ret = collect_vcpus(vm, s, errbuf, errlen);
	if (ret < 0)
		return ret;
	t1 = clock_now_ns();
	/* After every vCPU ioctl: KVM's GIC attributes need all vCPU locks (EBUSY otherwise). */
	ret = vgic_save(&vm->gic, mpidrs, &s->dist, s->gic_cpus);
	if (ret < 0) {
		ERR("cannot read the GIC state: %s", strerror(-ret));
		return ret;
	}
	if (vm->cpuhp_ready)
		cpuhp_save(&vm->cpuhp, &s->cpuhp);
	else
		s->cpuhp.nr_cpus = 0;
	if (vm->ged_ready)
		ged_save(&vm->ged, &s->ged);
	t2 = clock_now_ns();
	pl011_save(&vm->uart, &s->uart);
	ret = vm_disks_collect(vm, s, errbuf, errlen);
	vm->collect_times = (struct vm_collect_times){
		.vcpus_ns = t1 - t0, .gic_ns = t2 - t1, .devices_ns = clock_now_ns() - t2,
	};
	return ret;
}

/* Checks that the machine KVM built is the one the snapshot describes. */
int vm_state_check(struct vm *vm, const struct vm_saved *s, char *errbuf, size_t errlen)
{
	unsigned i;

	for (i = 0; i < vm->max_vcpus; i++) {
		const struct topology_vcpu *t = &s->topology.vcpus[i];

		if (t->mpidr != vm->vcpus[i].mpidr) {
			ERR("vCPU %u has MPIDR 0x%llx here but 0x%llx in the snapshot", i,
			    (unsigned long long)vm->vcpus[i].mpidr, (unsigned long long)t->mpidr);
			return -EINVAL;
		}
		if (t->cold_booted != vm->vcpus[i].cold_booted) {
			ERR("vCPU %u: cold-booted flag differs from the snapshot's", i);
			return -EINVAL;
		}
		if (s->gic_cpus[i].mpidr != t->mpidr || s->gic_cpus[i].accessible != t->accessible ||
		    t->accessible != t->enabled) {
			ERR("bad snapshot state: vCPU %u's GIC state does not match the topology", i);
			return -EINVAL;
		}
		if (vm->cpuhp_ready && (s->cpuhp.nr_cpus != vm->max_vcpus || s->cpuhp.cpus[i].enabled != t->enabled)) {
			ERR("bad snapshot state: the CPU hot-plug block does not match the topology for vCPU %u", i);
			return -EINVAL;
		}
		if (t->enabled && !t->cold_booted && !vm->hotplug_ready) {
			ERR("the snapshot has hot-plugged vCPUs but this host cannot hot-plug (SMCCC filter missing)");
			return -ENOTSUP;
		}
	}
	return vm_disks_check(vm, s, errbuf, errlen);
}

int vm_state_apply(struct vm *vm, struct vm_saved *s, char *errbuf, size_t errlen)
{
	unsigned i;
	int ret;

	for (i = 0; i < vm->max_vcpus; i++) {
		const struct topology_vcpu *t = &s->topology.vcpus[i];
		struct vcpu *v = &vm->vcpus[i];

		if (t->enabled && !t->cold_booted) {
			ret = vm_cpu_set_plugged(vm, i, (const char *)s->vcpus[i]->dev_id);
			if (ret < 0) {
				ERR("cannot plug vCPU %u ('%s'): %s", i, (const char *)s->vcpus[i]->dev_id,
				    strerror(-ret));
				return ret;
			}
		}
		if (!t->enabled)
			continue;
		ret = vcpu_load_state(v, s->vcpus[i]);
		if (ret < 0) {
			ERR("cannot restore the registers of vCPU %u: %s", i, strerror(-ret));
			return ret;
		}
	}
	ret = vgic_restore(&vm->gic, &s->dist, s->gic_cpus);
	if (ret < 0) {
		ERR("cannot restore the GIC: %s", strerror(-ret));
		return ret;
	}
	/* Announced once the guest runs here (vm_announce_migrated_unplugs). */
	vm->nr_unplugs = s->topology.nr_unplugged;
	memcpy(vm->unplugs, s->topology.unplugged, vm->nr_unplugs * sizeof(vm->unplugs[0]));
	if (vm->cpuhp_ready) {
		ret = cpuhp_load(&vm->cpuhp, &s->cpuhp);
		if (ret < 0) {
			ERR("the CPU hot-plug block in the snapshot has %u vCPUs, this VM %u", s->cpuhp.nr_cpus,
			    vm->max_vcpus);
			return ret;
		}
	}
	if (vm->ged_ready)
		ged_load(&vm->ged, &s->ged);
	pl011_load(&vm->uart, &s->uart);
	return vm_disks_apply(vm, s, errbuf, errlen);
}

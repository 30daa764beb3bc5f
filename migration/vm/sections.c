// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "migration/vm/sections.h"
#include "vmm/arm64/mpidr.h"

/* KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG | (3, 0, 0, 0, 5): MPIDR_EL1. */
#define VCPU_REG_MPIDR_EL1 0x603000000013c005ULL

void vm_saved_free(struct vm_saved *s)
{
	unsigned i;

	if (!s)
		return;
	for (i = 0; i < LAYOUT_MAX_VCPUS; i++)
		free(s->vcpus[i]);
	free(s);
}

int vm_saved_alloc_vcpus(struct vm_saved *s)
{
	unsigned i;

	for (i = 0; i < s->topology.max_vcpus && i < LAYOUT_MAX_VCPUS; i++) {
		if (!s->topology.vcpus[i].enabled || s->vcpus[i])
			continue;
		s->vcpus[i] = calloc(1, sizeof(*s->vcpus[i]));
		if (!s->vcpus[i])
			return -ENOMEM;
	}
	return 0;
}

int vm_sections_register(struct mig_registry *reg, struct vm_saved *s, unsigned max_vcpus, struct mig_err *err)
{
	unsigned i;
	int ret;

	if (max_vcpus > LAYOUT_MAX_VCPUS)
		return -EINVAL;
	ret = mig_registry_add(reg, &config_vmstate, 0, &s->config, MIG_PRI_TOPOLOGY - 1, 0, err);
	if (!ret)
		ret = mig_registry_add(reg, &topology_vmstate, 0, &s->topology, MIG_PRI_TOPOLOGY, 0, err);
	if (!ret)
		ret = mig_registry_add(reg, &gic_dist_vmstate, 0, &s->dist, MIG_PRI_VM, 0, err);
	if (!ret)
		ret = mig_registry_add(reg, &cpuhp_vmstate, 0, &s->cpuhp, MIG_PRI_CPUHP, 0, err);
	if (!ret)
		ret = mig_registry_add(reg, &ged_vmstate, 0, &s->ged, MIG_PRI_GED, 0, err);
	for (i = 0; !ret && i < max_vcpus; i++)
		if (s->vcpus[i])
			ret = mig_registry_add(reg, &vcpu_vmstate, i, s->vcpus[i], MIG_PRI_VCPU, 0, err);
	for (i = 0; !ret && i < max_vcpus; i++)
		ret = mig_registry_add(reg, &gic_cpu_vmstate, i, &s->gic_cpus[i], MIG_PRI_GIC_CPU, 0, err);
	if (!ret)
		ret = mig_registry_add(reg, &pl011_vmstate, 0, &s->uart, MIG_PRI_DEVICE, 0, err);
	for (i = 0; !ret && i < VM_MAX_DISKS; i++)
		ret = mig_registry_add(reg, &blk_vmstate, i, &s->disks[i], MIG_PRI_DEVICE, MIG_ENTRY_OPTIONAL, err);
	return ret;
}

static int check_vcpu_regs(const struct vcpu_state *v, const struct topology_vcpu *t, struct mig_err *err)
{
	bool have_mpidr = false;

	if (v->id != t->id) {
		mig_err_set(err, "the register section of vCPU %" PRIu32 " says vCPU %" PRIu32, t->id, v->id);
		return -EINVAL;
	}
	for (uint32_t r = 0; r < v->nr_regs && r < VCPU_STATE_MAX_REGS; r++) {
		if (v->regs[r].id != VCPU_REG_MPIDR_EL1)
			continue;
		if (have_mpidr || (v->regs[r].lo & MPIDR_AFFINITY_MASK) != t->mpidr) {
			mig_err_set(err, "vCPU %" PRIu32 ": saved MPIDR_EL1 0x%" PRIx64 " is not the topology's 0x%" PRIx64,
				    t->id, v->regs[r].lo, t->mpidr);
			return -EINVAL;
		}
		have_mpidr = true;
	}
	if (!have_mpidr) {
		mig_err_set(err, "vCPU %" PRIu32 ": no MPIDR_EL1 among its saved registers", t->id);
		return -EINVAL;
	}
	return 0;
}

static int check_cpuhp(const struct vm_saved *s, uint32_t i, struct mig_err *err)
{
	const struct topology_vcpu *t = &s->topology.vcpus[i];
	const struct cpuhp_cpu_state *c = &s->cpuhp.cpus[i];
	const char *why = NULL;

	if (c->enabled != t->enabled)
		why = "enabled differs from the topology";
	else if (t->cold_booted && (c->inserting || c->removing || c->eject_allowed))
		why = "a cold-booted vCPU has a hot-plug event or an unplug in progress";
	else if (!t->enabled && (c->inserting || c->eject_allowed))
		why = "a parked vCPU has an insert event or may be ejected";
	else if (t->enabled && c->removing && !c->eject_allowed)
		why = "a remove event without an unplug request";
	else if (c->inserting && (c->removing || c->eject_allowed))
		why = "an insert event while an unplug is in progress";
	if (why) {
		mig_err_set(err, "the CPU hot-plug block does not match the topology for vCPU %" PRIu32 ": %s", i, why);
		return -EINVAL;
	}
	return 0;
}

int vm_saved_check(const struct vm_saved *s, struct mig_err *err)
{
	const struct topology_state *topo = &s->topology;
	int ret;

	ret = topology_check(topo, err);
	if (ret)
		return ret;
	if (topo->max_vcpus != s->config.max_vcpus) {
		mig_err_set(err, "topology has %" PRIu32 " vCPUs, the machine %" PRIu32, topo->max_vcpus,
			    s->config.max_vcpus);
		return -EINVAL;
	}
	if (s->cpuhp.nr_cpus && s->cpuhp.nr_cpus != topo->max_vcpus) {
		mig_err_set(err, "the CPU hot-plug block has %" PRIu32 " vCPUs, the topology %" PRIu32,
			    s->cpuhp.nr_cpus, topo->max_vcpus);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < LAYOUT_MAX_VCPUS; i++) {
		const struct topology_vcpu *t = &topo->vcpus[i];
		const struct vcpu_state *v = s->vcpus[i];

		if (i >= topo->max_vcpus) {
			if (v) {
				mig_err_set(err, "registers for vCPU %" PRIu32 ", beyond the %" PRIu32 " possible", i,
					    topo->max_vcpus);
				return -EINVAL;
			}
			continue;
		}
		if (t->enabled != (v != NULL)) {
			mig_err_set(err, "vCPU %" PRIu32 " is %s but %s register section", i,
				    t->enabled ? "enabled" : "parked", v ? "has a" : "has no");
			return -EINVAL;
		}
		if (s->gic_cpus[i].mpidr != t->mpidr || s->gic_cpus[i].accessible != t->accessible ||
		    t->accessible != t->enabled) {
			mig_err_set(err, "vCPU %" PRIu32 "'s GIC state does not match the topology", i);
			return -EINVAL;
		}
		if (s->cpuhp.nr_cpus) {
			ret = check_cpuhp(s, i, err);
			if (ret)
				return ret;
		}
		if (!v)
			continue;
		ret = check_vcpu_regs(v, t, err);
		if (ret)
			return ret;
		if (!memchr(v->dev_id, 0, sizeof(v->dev_id))) {
			mig_err_set(err, "vCPU %" PRIu32 ": unterminated device id", i);
			return -EINVAL;
		}
		if (v->on_pending && (t->powered_on || v->on_entry < LAYOUT_RAM_BASE ||
				      v->on_entry - LAYOUT_RAM_BASE >= s->config.mem_size)) {
			mig_err_set(err, "vCPU %" PRIu32 ": pending CPU_ON at 0x%" PRIx64 " %s", i, v->on_entry,
				    t->powered_on ? "for a vCPU that is on" : "outside guest RAM");
			return -EINVAL;
		}
		if (t->cold_booted)
			continue;
		if (!v->dev_id[0]) {
			mig_err_set(err, "hot-plugged vCPU %" PRIu32 " has no device id", i);
			return -EINVAL;
		}
		for (uint32_t j = 0; j < i; j++) {
			if (s->vcpus[j] && !strcmp((const char *)s->vcpus[j]->dev_id, (const char *)v->dev_id)) {
				mig_err_set(err, "vCPUs %" PRIu32 " and %" PRIu32 " share the device id '%s'", j, i,
					    (const char *)v->dev_id);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* The machine and topology sections, each exactly once and instance 0 (what the
 * registry loads), before anything else is decoded. */
static int decode_head(struct vm_saved *s, const void *buf, size_t len, uint32_t read_flags, struct mig_err *err)
{
	struct mig_reader r;
	struct mig_section sec;
	bool have_cfg = false, have_topo = false;
	int ret;

	ret = mig_reader_open(&r, buf, len, MIG_ARCH_AARCH64, read_flags, err);
	while (ret >= 0 && (ret = mig_reader_next(&r, &sec, err)) == 1) {
		bool is_cfg = !strcmp(sec.name, config_vmstate.name);
		bool is_topo = !strcmp(sec.name, topology_vmstate.name);

		if (!is_cfg && !is_topo)
			continue;
		if (sec.instance != 0) {
			mig_err_set(err, "section '%s' instance %" PRIu32 ": only instance 0 exists", sec.name,
				    sec.instance);
			return -EINVAL;
		}
		if ((is_cfg && have_cfg) || (is_topo && have_topo)) {
			mig_err_set(err, "duplicate section '%s'", sec.name);
			return -EINVAL;
		}
		if (is_cfg) {
			ret = mig_section_load(&sec, &config_vmstate, &s->config, err);
			have_cfg = true;
		} else {
			ret = mig_section_load(&sec, &topology_vmstate, &s->topology, err);
			have_topo = true;
		}
	}
	if (ret < 0)
		return ret;
	if (!have_cfg || !have_topo) {
		mig_err_set(err, "the '%s' section is missing", have_cfg ? "topology" : "machine");
		return -EINVAL;
	}
	if (s->topology.max_vcpus != s->config.max_vcpus) {
		mig_err_set(err, "topology has %" PRIu32 " vCPUs, the machine %" PRIu32, s->topology.max_vcpus,
			    s->config.max_vcpus);
		return -EINVAL;
	}
	return 0;
}

static bool topology_same(const struct topology_state *a, const struct topology_state *b)
{
	if (a->max_vcpus != b->max_vcpus || a->nr_vcpus != b->nr_vcpus || a->nr_vcpus > TOPOLOGY_MAX_VCPUS)
		return false;
	for (uint32_t i = 0; i < a->nr_vcpus; i++) {
		const struct topology_vcpu *x = &a->vcpus[i], *y = &b->vcpus[i];

		if (x->id != y->id || x->numa_node != y->numa_node || x->mpidr != y->mpidr ||
		    x->enabled != y->enabled || x->accessible != y->accessible || x->powered_on != y->powered_on ||
		    x->cold_booted != y->cold_booted)
			return false;
	}
	return true;
}

int vm_saved_decode(struct vm_saved *s, const void *buf, size_t len, uint32_t read_flags, struct mig_err *err)
{
	struct topology_state *head = NULL;
	struct mig_registry reg;
	int ret;

	mig_registry_init(&reg);
	ret = decode_head(s, buf, len, read_flags, err);
	if (ret < 0)
		return ret;
	head = malloc(sizeof(*head));
	if (!head) {
		mig_err_set(err, "out of memory");
		return -ENOMEM;
	}
	*head = s->topology;
	ret = vm_saved_alloc_vcpus(s);
	if (ret < 0)
		mig_err_set(err, "out of memory");
	if (!ret)
		ret = vm_sections_register(&reg, s, s->topology.max_vcpus, err);
	if (!ret)
		ret = mig_registry_load(&reg, buf, len, MIG_ARCH_AARCH64, read_flags, err);
	/* The registry loaded the same (instance 0) topology: the vCPU sections were chosen from it. */
	if (!ret && !topology_same(head, &s->topology)) {
		mig_err_set(err, "the topology changed while loading");
		ret = -EINVAL;
	}
	if (!ret)
		ret = vm_saved_check(s, err);
	mig_registry_fini(&reg);
	free(head);
	return ret;
}

// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "migration/vm/topology.h"

static const struct vmstate_field topology_vcpu_fields[] = {
	VMS_U32(struct topology_vcpu, id),
	VMS_U64(struct topology_vcpu, mpidr),
	VMS_BOOL(struct topology_vcpu, enabled),
	VMS_BOOL(struct topology_vcpu, accessible),
	VMS_BOOL(struct topology_vcpu, powered_on),
	VMS_BOOL(struct topology_vcpu, cold_booted),
	VMS_U32(struct topology_vcpu, numa_node),
	VMS_END,
};

static const struct vmstate_desc topology_vcpu_vmstate = {
	.name = "topology-vcpu",
	.version = 1,
	.min_version = 1,
	.size = sizeof(struct topology_vcpu),
	.fields = topology_vcpu_fields,
};

static const struct vmstate_field topology_fields[] = {
	VMS_U32(struct topology_state, max_vcpus),
	VMS_STRUCT_VARRAY(struct topology_state, vcpus, nr_vcpus, topology_vcpu_vmstate, struct topology_vcpu),
	VMS_END,
};

int topology_check(const struct topology_state *t, struct mig_err *err)
{
	bool any = false;

	if (t->max_vcpus < 1 || t->max_vcpus > TOPOLOGY_MAX_VCPUS) {
		mig_err_set(err, "max_vcpus %" PRIu32 " outside [1, %u]", t->max_vcpus, TOPOLOGY_MAX_VCPUS);
		return -EINVAL;
	}
	if (t->nr_vcpus != t->max_vcpus) {
		mig_err_set(err, "%" PRIu32 " vCPU entries for max_vcpus %" PRIu32, t->nr_vcpus, t->max_vcpus);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < t->nr_vcpus; i++) {
		const struct topology_vcpu *v = &t->vcpus[i];

		if (v->id != i) {
			mig_err_set(err, "vcpus[%" PRIu32 "] has id %" PRIu32, i, v->id);
			return -EINVAL;
		}
		if ((v->powered_on || v->cold_booted) && !v->enabled) {
			mig_err_set(err, "vCPU %" PRIu32 " is %s but not enabled", i,
				    v->powered_on ? "powered on" : "cold-booted");
			return -EINVAL;
		}
		if (v->enabled && !v->accessible) {
			mig_err_set(err, "vCPU %" PRIu32 " is enabled but its GIC CPU interface is not accessible", i);
			return -EINVAL;
		}
		for (uint32_t j = 0; j < i; j++) {
			if (t->vcpus[j].mpidr == v->mpidr) {
				mig_err_set(err, "vCPUs %" PRIu32 " and %" PRIu32 " share MPIDR 0x%" PRIx64, j, i,
					    v->mpidr);
				return -EINVAL;
			}
		}
		any |= v->enabled;
	}
	if (!any) {
		mig_err_set(err, "no vCPU is enabled");
		return -EINVAL;
	}
	if (t->nr_unplugged > TOPOLOGY_MAX_UNPLUGS) {
		mig_err_set(err, "%" PRIu32 " unplugged vCPUs listed, at most %u", t->nr_unplugged,
			    TOPOLOGY_MAX_UNPLUGS);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < t->nr_unplugged; i++) {
		const struct topology_unplug *u = &t->unplugged[i];

		if (u->id >= t->max_vcpus || t->vcpus[u->id].enabled) {
			mig_err_set(err, "unplugged vCPU %" PRIu32 " is not a parked vCPU", u->id);
			return -EINVAL;
		}
		if (!u->dev_id[0] || !memchr(u->dev_id, 0, sizeof(u->dev_id))) {
			mig_err_set(err, "unplugged vCPU %" PRIu32 " has no terminated device id", u->id);
			return -EINVAL;
		}
	}
	return 0;
}

static int topology_post_load(void *opaque, uint32_t version __unused, struct mig_err *err)
{
	return topology_check(opaque, err);
}

static const struct vmstate_field unplug_fields[] = {
	VMS_U32(struct topology_unplug, id),
	VMS_BUFFER(struct topology_unplug, dev_id),
	VMS_END,
};

static const struct vmstate_desc unplug_vmstate = {
	.name = "topology-unplug", .version = 1, .min_version = 1,
	.size = sizeof(struct topology_unplug), .fields = unplug_fields,
};

static const struct vmstate_field unplugged_fields[] = {
	VMS_STRUCT_VARRAY(struct topology_state, unplugged, nr_unplugged, unplug_vmstate, struct topology_unplug),
	VMS_END,
};

static bool unplugged_needed(const void *opaque)
{
	return ((const struct topology_state *)opaque)->nr_unplugged > 0;
}

static void unplugged_pre_load(void *opaque)
{
	((struct topology_state *)opaque)->nr_unplugged = 0;
}

/* Optional: a destination that predates it runs the guest the same, without the events. */
static const struct vmstate_desc unplugged_vmstate = {
	.name = "unplugged", .version = 1, .min_version = 1, .size = sizeof(struct topology_state),
	.fields = unplugged_fields, .needed = unplugged_needed, .pre_load = unplugged_pre_load,
};

static const struct vmstate_subsection topology_subsections[] = {
	{ .desc = &unplugged_vmstate },
	VMS_SUB_END,
};

const struct vmstate_desc topology_vmstate = {
	.name = TOPOLOGY_SECTION,
	.version = 1,
	.min_version = 1,
	.size = sizeof(struct topology_state),
	.fields = topology_fields,
	.post_load = topology_post_load,
	.subsections = topology_subsections,
};

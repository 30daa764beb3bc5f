// SPDX-License-Identifier: MIT
/* The topology record: round trip and the consistency checks of its post_load. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "migration/format/registry.h"
#include "migration/vm/topology.h"
#include "tests/unit/migration/mig_test.h"

TestSuite(migration_topology, .timeout = 30);

static struct mig_err err;

#define expect_err(ret, want_ret, substr) \
	do { \
		cr_expect_eq((ret), (want_ret), "ret %d, expected %d (%s)", (ret), (want_ret), err.msg); \
		cr_expect(strstr(err.msg, (substr)) != NULL, "message '%s' lacks '%s'", err.msg, (substr)); \
	} while (0)

static void fill(struct topology_state *t, uint32_t max, uint32_t boot, uint32_t plugged)
{
	memset(t, 0, sizeof(*t));
	t->max_vcpus = max;
	t->nr_vcpus = max;
	for (uint32_t i = 0; i < max; i++) {
		struct topology_vcpu *v = &t->vcpus[i];

		v->id = i;
		v->mpidr = (uint64_t)(i / 16) << 8 | (i % 16);
		v->cold_booted = i < boot;
		v->enabled = i < boot + plugged;
		v->accessible = v->enabled;
		v->powered_on = v->enabled && i % 2 == 0;
		v->numa_node = i < max / 2 ? 0 : 1;
	}
}

static int round_trip(const struct topology_state *in, struct topology_state *out)
{
	uint8_t *body;
	size_t len;
	int ret;

	ret = mig_test_encode(&topology_vmstate, in, &body, &len);
	if (ret)
		return ret;
	memset(&err, 0, sizeof(err));
	ret = vmstate_load(&topology_vmstate, out, 1, body, len, 0, &err);
	free(body);
	return ret;
}

Test(migration_topology, descriptor_is_valid)
{
	cr_assert_eq(vmstate_desc_check(&topology_vmstate, &err), 0, "%s", err.msg);
}

Test(migration_topology, round_trip_max_vcpus)
{
	static struct topology_state in, out;

	for (uint32_t max = 1; max <= TOPOLOGY_MAX_VCPUS; max += TOPOLOGY_MAX_VCPUS - 1) {
		fill(&in, max, 1, max / 2);
		memset(&out, 0xff, sizeof(out));
		cr_assert_eq(round_trip(&in, &out), 0, "max %u: %s", max, err.msg);
		cr_expect_eq(out.max_vcpus, max);
		cr_expect_eq(out.nr_vcpus, max);
		for (uint32_t i = 0; i < max; i++) {
			const struct topology_vcpu *a = &in.vcpus[i], *b = &out.vcpus[i];

			cr_expect(a->id == b->id && a->mpidr == b->mpidr && a->enabled == b->enabled &&
				  a->accessible == b->accessible && a->powered_on == b->powered_on &&
				  a->cold_booted == b->cold_booted && a->numa_node == b->numa_node,
				  "vCPU %u differs", i);
		}
	}
}

Test(migration_topology, inconsistent_states_rejected)
{
	static struct topology_state in, out;

	fill(&in, 4, 2, 1);
	in.vcpus[3].powered_on = true;
	expect_err(round_trip(&in, &out), -EINVAL, "vCPU 3 is powered on but not enabled");
	fill(&in, 4, 2, 1);
	in.vcpus[1].accessible = false;
	expect_err(round_trip(&in, &out), -EINVAL, "vCPU 1 is enabled but its GIC CPU interface is not accessible");
	fill(&in, 4, 2, 1);
	in.vcpus[2].id = 7;
	expect_err(round_trip(&in, &out), -EINVAL, "vcpus[2] has id 7");
	fill(&in, 4, 2, 1);
	in.vcpus[3].mpidr = in.vcpus[0].mpidr;
	expect_err(round_trip(&in, &out), -EINVAL, "vCPUs 0 and 3 share MPIDR 0x0");
	fill(&in, 4, 2, 1);
	in.max_vcpus = 5;
	expect_err(round_trip(&in, &out), -EINVAL, "4 vCPU entries for max_vcpus 5");
	fill(&in, 4, 0, 0);
	expect_err(round_trip(&in, &out), -EINVAL, "no vCPU is enabled");
	fill(&in, 4, 2, 1);
	in.max_vcpus = 0;
	expect_err(round_trip(&in, &out), -EINVAL, "max_vcpus 0 outside [1, 512]");
}

/* Unplugs a migration's source completed travel to the destination (optional
 * subsection 'unplugged'); a stream without them loads none; each must name a
 * parked vCPU and a terminated device id. */
Test(migration_topology, unplugged_during_migration)
{
	static struct topology_state in, out;

	fill(&in, 6, 2, 2); /* 0-1 boot, 2-3 plugged, 4-5 parked */
	in.nr_unplugged = 2;
	in.unplugged[0] = (struct topology_unplug){ .id = 5, .dev_id = "core5" };
	in.unplugged[1] = (struct topology_unplug){ .id = 4, .dev_id = "core4" };
	memset(&out, 0xff, sizeof(out));
	cr_assert_eq(round_trip(&in, &out), 0, "%s", err.msg);
	cr_assert_eq(out.nr_unplugged, 2);
	cr_assert_eq(memcmp(out.unplugged, in.unplugged, 2 * sizeof(in.unplugged[0])), 0);
	/* None: not written, and a loaded state has none. */
	in.nr_unplugged = 0;
	memset(&out, 0xff, sizeof(out));
	cr_assert_eq(round_trip(&in, &out), 0, "%s", err.msg);
	cr_assert_eq(out.nr_unplugged, 0);
	/* An enabled vCPU, a vCPU beyond max, an empty or unterminated id: refused. */
	in.nr_unplugged = 1;
	in.unplugged[0] = (struct topology_unplug){ .id = 3, .dev_id = "core3" };
	expect_err(round_trip(&in, &out), -EINVAL, "not a parked vCPU");
	in.unplugged[0] = (struct topology_unplug){ .id = 6, .dev_id = "core6" };
	expect_err(round_trip(&in, &out), -EINVAL, "not a parked vCPU");
	in.unplugged[0] = (struct topology_unplug){ .id = 4 };
	expect_err(round_trip(&in, &out), -EINVAL, "device id");
	memset(in.unplugged[0].dev_id, 'x', sizeof(in.unplugged[0].dev_id));
	expect_err(round_trip(&in, &out), -EINVAL, "device id");
}

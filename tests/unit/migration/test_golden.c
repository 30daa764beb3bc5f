// SPDX-License-Identifier: MIT
/*
 * The golden stream tests/data/snapshot-format-v1.bin: written by format 1.0 with
 * a topology section and sample sections (every field type, subsections). Every
 * later vmm must keep loading it to the values below.
 *
 * Regenerate only for a deliberate change of what format 1.0 writes (which should
 * not happen):  VMM_REGEN_GOLDEN=1 build/native/unit-tests --filter migration_golden/regenerate
 * When the writer legitimately changes (a new format minor, a new section
 * version), keep this file and its load test, and add a new golden file.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migration/format/registry.h"
#include "migration/format/stream.h"
#include "migration/vm/topology.h"
#include "tests/unit/migration/mig_test.h"

TestSuite(migration_golden, .timeout = 30);

#define GOLDEN_PATH "tests/data/snapshot-format-v1.bin"

/* Expected values. sample_fill() is part of this definition: do not change it. */
static void expected(struct topology_state *t, struct sample_state s[2])
{
	memset(t, 0, sizeof(*t));
	t->max_vcpus = 4;
	t->nr_vcpus = 4;
	for (uint32_t i = 0; i < 4; i++) {
		struct topology_vcpu *v = &t->vcpus[i];

		v->id = i;
		v->mpidr = i;
		v->cold_booted = i < 2;
		v->enabled = i < 3; /* vCPU 2 hot-plugged, vCPU 3 parked */
		v->accessible = v->enabled;
		v->powered_on = i != 1 && v->enabled;
		v->numa_node = i < 2 ? 0 : 1;
	}
	sample_fill(&s[0], 0);
	sample_fill(&s[1], 7);
	s[1].extra = 0x1122334455667788ULL;
	s[1].strict = true;
	s[1].strict_level = 2;
}

static void registry(struct mig_registry *reg, struct topology_state *t, struct sample_state s[2])
{
	struct mig_err err = { 0 };

	mig_registry_init(reg);
	cr_assert_eq(mig_registry_add(reg, &topology_vmstate, 0, t, MIG_PRI_TOPOLOGY, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(mig_registry_add(reg, &sample_vmstate, 0, &s[0], MIG_PRI_DEVICE, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(mig_registry_add(reg, &sample_vmstate, 1, &s[1], MIG_PRI_DEVICE, 0, &err), 0, "%s", err.msg);
}

static void write_current(struct mig_writer *w)
{
	static struct topology_state t;
	struct sample_state s[2];
	struct mig_registry reg;
	struct mig_err err = { 0 };

	expected(&t, s);
	registry(&reg, &t, s);
	cr_assert_eq(mig_writer_init(w, MIG_ARCH_AARCH64, 0), 0);
	cr_assert_eq(mig_registry_save(&reg, w, &err), 0, "%s", err.msg);
	cr_assert_eq(mig_writer_finish(w, &err), 0, "%s", err.msg);
	mig_registry_fini(&reg);
}

Test(migration_golden, regenerate)
{
	struct mig_writer w;
	FILE *fp;

	if (!getenv("VMM_REGEN_GOLDEN"))
		cr_skip_test("set VMM_REGEN_GOLDEN=1 to rewrite " GOLDEN_PATH);
	write_current(&w);
	fp = fopen(GOLDEN_PATH, "wb");
	cr_assert_not_null(fp, "cannot write " GOLDEN_PATH " (run from the top of the tree)");
	cr_assert_eq(fwrite(w.buf, 1, w.len, fp), w.len);
	cr_assert_eq(fclose(fp), 0);
	mig_writer_fini(&w);
}

Test(migration_golden, still_loads)
{
	static struct topology_state t, want_t;
	struct sample_state s[2], want_s[2];
	struct mig_registry reg;
	struct mig_err err = { 0 };
	uint8_t *buf;
	size_t len;

	cr_assert_eq(mig_test_read_file(GOLDEN_PATH, &buf, &len), 0,
		     "cannot read " GOLDEN_PATH " (run the tests from the top of the tree)");
	expected(&want_t, want_s);
	memset(&t, 0, sizeof(t));
	memset(s, 0, sizeof(s));
	registry(&reg, &t, s);
	cr_assert_eq(mig_registry_load(&reg, buf, len, MIG_ARCH_AARCH64, 0, &err), 0, "%s", err.msg);
	cr_expect_eq(t.max_vcpus, 4);
	cr_expect_eq(t.nr_vcpus, 4);
	for (uint32_t i = 0; i < 4; i++) {
		const struct topology_vcpu *a = &t.vcpus[i], *b = &want_t.vcpus[i];

		cr_expect(a->id == b->id && a->mpidr == b->mpidr && a->enabled == b->enabled &&
			  a->accessible == b->accessible && a->powered_on == b->powered_on &&
			  a->cold_booted == b->cold_booted && a->numa_node == b->numa_node, "vCPU %u differs", i);
	}
	cr_expect(sample_equal(&s[0], &want_s[0]), "sample 0 differs");
	cr_expect(sample_equal(&s[1], &want_s[1]), "sample 1 differs");
	cr_expect_eq(s[1].extra, 0x1122334455667788ULL);
	cr_expect(s[1].strict);
	mig_registry_fini(&reg);
	free(buf);
}

/* A canary: this build still writes exactly the golden bytes. When that changes on
 * purpose, add a new golden file (see the top of this file). */
Test(migration_golden, writer_unchanged)
{
	struct mig_writer w;
	uint8_t *buf;
	size_t len;

	cr_assert_eq(mig_test_read_file(GOLDEN_PATH, &buf, &len), 0);
	write_current(&w);
	cr_expect_eq(w.len, len);
	cr_expect(w.len == len && memcmp(w.buf, buf, len) == 0, "the writer's output differs from " GOLDEN_PATH);
	mig_writer_fini(&w);
	free(buf);
}

// SPDX-License-Identifier: MIT
/*
 * Compatibility: a real VM state written by vmm 0.2 (format 1.0: a 2-of-4 guest
 * with vCPU 3 hot-plugged, snapshot taken in the arm64 test host) must keep
 * loading with the current descriptors. If this fails, a change broke old
 * snapshots: keep them loading (subsections, defaults) or bump the major format.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migration/format/stream.h"
#include "migration/vm/sections.h"

#define GOLDEN "tests/data/snapshot-vm-state-v1.bin"

static uint8_t *read_golden(size_t *len)
{
	FILE *f = fopen(GOLDEN, "rb");
	uint8_t *buf = malloc(1 << 20);

	cr_assert_not_null(f, "cannot open %s (run from the repository root)", GOLDEN);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

TestSuite(vm_golden, .timeout = 30);

Test(vm_golden, real_vm_state_still_loads)
{
	struct vm_saved *s = calloc(1, sizeof(*s));
	struct mig_registry reg;
	struct mig_reader r;
	struct mig_section sec;
	struct mig_err err = { "" };
	size_t len;
	uint8_t *buf = read_golden(&len);
	int ret;

	/* The topology first, as a restore does, to know which vCPU sections exist. */
	cr_assert_eq(mig_reader_open(&r, buf, len, MIG_ARCH_AARCH64, 0, &err), 0, "%s", err.msg);
	while ((ret = mig_reader_next(&r, &sec, &err)) == 1)
		if (!strcmp(sec.name, "topology"))
			cr_assert_eq(mig_section_load(&sec, &topology_vmstate, &s->topology, &err), 0, "%s", err.msg);
	cr_assert_eq(ret, 0, "%s", err.msg);
	cr_assert_eq(vm_saved_alloc_vcpus(s), 0);

	mig_registry_init(&reg);
	cr_assert_eq(vm_sections_register(&reg, s, s->topology.max_vcpus, &err), 0, "%s", err.msg);
	cr_assert_eq(mig_registry_load(&reg, buf, len, MIG_ARCH_AARCH64, 0, &err), 0, "%s", err.msg);

	cr_assert_eq(s->config.max_vcpus, 4);
	cr_assert_eq(s->config.boot_vcpus, 2);
	cr_assert_eq(s->config.mem_size, 128ULL << 20);
	cr_assert(s->config.acpi);
	cr_assert_str_eq((const char *)s->config.kernel, "/vmm/Image");
	cr_assert_eq(s->topology.max_vcpus, 4);
	for (unsigned i = 0; i < 4; i++) {
		cr_assert_eq(s->topology.vcpus[i].mpidr, i, "vCPU %u MPIDR", i);
		cr_assert_eq(s->topology.vcpus[i].enabled, i != 2, "vCPU %u enabled", i);
		cr_assert_eq(s->topology.vcpus[i].cold_booted, i < 2, "vCPU %u cold-booted", i);
		cr_assert_eq(s->gic_cpus[i].accessible, i != 2, "vCPU %u GIC accessible", i);
		cr_assert_eq(s->gic_cpus[i].mpidr, i);
	}
	cr_assert_null(s->vcpus[2], "a parked vCPU has no register section");
	cr_assert_str_eq((const char *)s->vcpus[3]->dev_id, "core3");
	cr_assert_gt(s->vcpus[0]->nr_regs, 100, "the full KVM register list");
	cr_assert_eq(s->dist.nr_irqs, 256);
	cr_assert_eq(s->cpuhp.nr_cpus, 4);
	cr_assert(s->cpuhp.cpus[3].enabled);
	cr_assert_not(s->cpuhp.cpus[2].enabled);
	mig_registry_fini(&reg);
	vm_saved_free(s);
	free(buf);
}

// SPDX-License-Identifier: MIT
/*
 * Crafted VM state streams: a valid CRC (an attacker recomputes it, as
 * tests/l1/snapfix.c does) on a stream whose sections contradict each other must
 * be refused by vm_saved_decode() before restore builds anything. Each case
 * starts from the golden real VM state (2 of 4 vCPUs cold-booted, vCPU 3
 * hot-plugged as core3, vCPU 2 parked), changes one thing, re-encodes it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migration/format/stream.h"
#include "migration/vm/sections.h"

#define GOLDEN "tests/data/snapshot-vm-state-v1.bin"
#define MPIDR_EL1 0x603000000013c005ULL

static struct vm_saved *golden(void)
{
	FILE *f = fopen(GOLDEN, "rb");
	uint8_t *buf = malloc(1 << 20);
	struct vm_saved *s = calloc(1, sizeof(*s));
	struct mig_err err = { "" };
	size_t len;

	cr_assert_not_null(f, "cannot open %s (run from the repository root)", GOLDEN);
	len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	cr_assert_eq(vm_saved_decode(s, buf, len, 0, &err), 0, "the golden state: %s", err.msg);
	free(buf);
	return s;
}

typedef void (*extra_fn)(struct mig_writer *w, struct vm_saved *s);

/* Encodes s (every section, as a snapshot does), extra sections after, a valid CRC;
 * decodes it again and returns the result with the error message. */
static int reencode_decode(struct vm_saved *s, extra_fn extra, char *msg, size_t len)
{
	struct mig_registry reg;
	struct mig_writer w;
	struct mig_err err = { "" };
	struct vm_saved *d = calloc(1, sizeof(*d));
	int ret;

	mig_registry_init(&reg);
	cr_assert_eq(mig_writer_init(&w, MIG_ARCH_AARCH64, 0), 0);
	cr_assert_eq(vm_sections_register(&reg, s, s->topology.max_vcpus, &err), 0, "%s", err.msg);
	cr_assert_eq(mig_registry_save(&reg, &w, &err), 0, "%s", err.msg);
	if (extra)
		extra(&w, s);
	cr_assert_eq(mig_writer_finish(&w, &err), 0, "%s", err.msg);
	ret = vm_saved_decode(d, w.buf, w.len, 0, &err);
	snprintf(msg, len, "%s", err.msg);
	mig_writer_fini(&w);
	mig_registry_fini(&reg);
	vm_saved_free(d);
	return ret;
}

static void expect_refused(struct vm_saved *s, extra_fn extra, const char *word)
{
	char msg[256];

	cr_assert_lt(reencode_decode(s, extra, msg, sizeof(msg)), 0, "a crafted stream was accepted (expected '%s')",
		     word);
	cr_assert(strstr(msg, word), "error '%s' does not name '%s'", msg, word);
	vm_saved_free(s);
}

TestSuite(vm_crafted, .timeout = 30);

Test(vm_crafted, golden_reencoded_is_accepted)
{
	struct vm_saved *s = golden();
	char msg[256];

	cr_assert_eq(reencode_decode(s, NULL, msg, sizeof(msg)), 0, "%s", msg);
	vm_saved_free(s);
}

/* The old restore took the last topology of any instance while the registry loaded
 * instance 0: this one says vCPU 3 is parked, so no register section was expected for
 * it and apply() dereferenced NULL. */
static void second_topology(struct mig_writer *w, struct vm_saved *s)
{
	struct topology_state t = s->topology;
	struct mig_err err = { "" };

	t.vcpus[3].enabled = t.vcpus[3].accessible = t.vcpus[3].powered_on = false;
	cr_assert_eq(mig_writer_add(w, &topology_vmstate, 1, &t, MIG_SEC_OPTIONAL, &err), 0, "%s", err.msg);
}

Test(vm_crafted, second_optional_topology_instance)
{
	expect_refused(golden(), second_topology, "only instance 0");
}

static void duplicate_topology(struct mig_writer *w, struct vm_saved *s)
{
	struct mig_err err = { "" };

	cr_assert_eq(mig_writer_add(w, &topology_vmstate, 0, &s->topology, 0, &err), 0, "%s", err.msg);
}

Test(vm_crafted, duplicate_topology)
{
	expect_refused(golden(), duplicate_topology, "duplicate");
}

static void parked_vcpu_regs(struct mig_writer *w, struct vm_saved *s)
{
	struct mig_err err = { "" };

	s->vcpus[0]->id = 2;
	cr_assert_eq(mig_writer_add(w, &vcpu_vmstate, 2, s->vcpus[0], 0, &err), 0, "%s", err.msg);
	s->vcpus[0]->id = 0;
}

Test(vm_crafted, registers_for_a_parked_vcpu)
{
	expect_refused(golden(), parked_vcpu_regs, "vcpu");
}

Test(vm_crafted, enabled_vcpu_without_registers)
{
	struct vm_saved *s = golden();

	free(s->vcpus[3]);
	s->vcpus[3] = NULL; /* not written; the topology still says enabled */
	expect_refused(s, NULL, "missing");
}

Test(vm_crafted, cold_booted_vcpu_ejectable)
{
	struct vm_saved *s = golden();

	s->cpuhp.cpus[1].removing = s->cpuhp.cpus[1].eject_allowed = true;
	expect_refused(s, NULL, "cold-booted");
}

Test(vm_crafted, parked_vcpu_ejectable)
{
	struct vm_saved *s = golden();

	s->cpuhp.cpus[2].eject_allowed = true;
	expect_refused(s, NULL, "parked");
}

Test(vm_crafted, remove_without_unplug_request)
{
	struct vm_saved *s = golden();

	s->cpuhp.cpus[3].removing = true;
	s->cpuhp.cpus[3].eject_allowed = false;
	expect_refused(s, NULL, "without an unplug request");
}

Test(vm_crafted, hotplug_block_enabled_differs)
{
	struct vm_saved *s = golden();

	s->cpuhp.cpus[2].enabled = true;
	expect_refused(s, NULL, "enabled differs");
}

Test(vm_crafted, saved_mpidr_el1_differs)
{
	struct vm_saved *s = golden();
	bool found = false;

	for (uint32_t i = 0; i < s->vcpus[3]->nr_regs; i++) {
		if (s->vcpus[3]->regs[i].id == MPIDR_EL1) {
			s->vcpus[3]->regs[i].lo ^= 0x100; /* Aff1 */
			found = true;
		}
	}
	cr_assert(found, "the golden vCPU 3 has no MPIDR_EL1");
	expect_refused(s, NULL, "MPIDR_EL1");
}

Test(vm_crafted, register_section_of_another_vcpu)
{
	struct vm_saved *s = golden();

	s->vcpus[3]->id = 1;
	expect_refused(s, NULL, "says vCPU 1");
}

Test(vm_crafted, hot_plugged_vcpu_without_device_id)
{
	struct vm_saved *s = golden();

	s->vcpus[3]->dev_id[0] = 0;
	expect_refused(s, NULL, "device id");
}

Test(vm_crafted, gic_state_of_a_parked_vcpu_accessible)
{
	struct vm_saved *s = golden();

	s->gic_cpus[2].accessible = true;
	expect_refused(s, NULL, "GIC state");
}

Test(vm_crafted, pending_cpu_on_outside_ram)
{
	struct vm_saved *s = golden();

	s->vcpus[3]->on_pending = 1;
	s->vcpus[3]->power_on = 0;
	s->topology.vcpus[3].powered_on = false;
	s->vcpus[3]->on_entry = 0x1000;
	expect_refused(s, NULL, "outside guest RAM");
}

Test(vm_crafted, pending_cpu_on_inside_ram_is_accepted)
{
	struct vm_saved *s = golden();
	char msg[256];

	s->vcpus[3]->on_pending = 1;
	s->vcpus[3]->power_on = 0;
	s->topology.vcpus[3].powered_on = false;
	s->vcpus[3]->on_entry = 0x40200000;
	cr_assert_eq(reencode_decode(s, NULL, msg, sizeof(msg)), 0, "%s", msg);
	vm_saved_free(s);
}

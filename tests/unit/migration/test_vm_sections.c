// SPDX-License-Identifier: MIT
/* Round trip of every VM state struct through its descriptor, and their descriptor checks. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "migration/format/stream.h"
#include "migration/vm/sections.h"

static void fill(void *p, size_t n, unsigned seed)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)((i * 131 + seed * 7) ^ (i >> 8));
}

/* Saves `in` with d, loads into `out`. */
static void roundtrip(const struct vmstate_desc *d, const void *in, void *out)
{
	struct mig_writer w;
	struct mig_reader r;
	struct mig_section sec;
	struct mig_err err = { "" };

	cr_assert_eq(vmstate_desc_check(d, &err), 0, "%s: %s", d->name, err.msg);
	cr_assert_eq(mig_writer_init(&w, MIG_ARCH_AARCH64, 0), 0);
	cr_assert_eq(mig_writer_add(&w, d, 0, in, 0, &err), 0, "%s: %s", d->name, err.msg);
	cr_assert_eq(mig_writer_finish(&w, &err), 0, "%s", err.msg);
	cr_assert_eq(mig_reader_open(&r, w.buf, w.len, MIG_ARCH_AARCH64, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(mig_reader_next(&r, &sec, &err), 1, "%s", err.msg);
	cr_assert_eq(mig_section_load(&sec, d, out, &err), 0, "%s: %s", d->name, err.msg);
	mig_writer_fini(&w);
}

TestSuite(vm_sections, .timeout = 30);

Test(vm_sections, vcpu_state)
{
	struct vcpu_state *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));

	a->id = 3;
	a->mp_state = 5;
	a->power_on = 1;
	strcpy((char *)a->dev_id, "core3");
	a->nr_regs = VCPU_STATE_MAX_REGS;
	for (uint32_t i = 0; i < a->nr_regs; i++)
		a->regs[i] = (struct vcpu_reg){ .id = 0x6030000000100000ULL + i, .lo = i * 0x1111ULL, .hi = ~0ULL - i };
	roundtrip(&vcpu_vmstate, a, b);
	cr_assert_eq(memcmp(a, b, sizeof(*a)), 0);
	/* A register id that is not an arm64 one is refused on load. */
	a->nr_regs = 1;
	a->regs[0].id = 0x1234;
	{
		struct mig_writer w;
		struct mig_reader r;
		struct mig_section sec;
		struct mig_err err = { "" };

		cr_assert_eq(mig_writer_init(&w, MIG_ARCH_AARCH64, 0), 0);
		cr_assert_eq(mig_writer_add(&w, &vcpu_vmstate, 0, a, 0, &err), 0);
		cr_assert_eq(mig_writer_finish(&w, &err), 0);
		cr_assert_eq(mig_reader_open(&r, w.buf, w.len, MIG_ARCH_AARCH64, 0, &err), 0);
		cr_assert_eq(mig_reader_next(&r, &sec, &err), 1);
		cr_assert_lt(mig_section_load(&sec, &vcpu_vmstate, b, &err), 0);
		cr_assert(strstr(err.msg, "not an arm64 register"), "%s", err.msg);
		mig_writer_fini(&w);
	}
	free(a);
	free(b);
}

static int load_as(const struct vmstate_desc *writer, const struct vmstate_desc *reader, const void *in, void *out,
		   struct mig_err *err);

Test(vm_sections, gic_states)
{
	struct gic_dist_state d1, d2;
	struct gic_cpu_state c1, c2;

	fill(&d1, sizeof(d1), 1);
	d1.nr_irqs = LAYOUT_NR_IRQS;
	memset(&d2, 0, sizeof(d2));
	roundtrip(&gic_dist_vmstate, &d1, &d2);
	cr_assert_eq(memcmp(&d1, &d2, sizeof(d1)), 0);
	/* The sizes a GIC may have load (an older build's 256 too); others are refused. */
	for (unsigned n = 0; n <= 320; n += 8) {
		struct mig_err err = { "" };

		d1.nr_irqs = n;
		cr_assert_eq(load_as(&gic_dist_vmstate, &gic_dist_vmstate, &d1, &d2, &err) == 0,
			     n >= 64 && n <= 256 && n % 32 == 0, "%u interrupts: %s", n, err.msg);
	}
	memset(&c1, 0, sizeof(c1));
	fill(&c1.priority0, sizeof(c1.priority0), 2);
	c1.mpidr = 0x100000102ULL;
	c1.accessible = true;
	c1.icc_sre = 7;
	c1.icc_ap1r[3] = 0xdeadbeef;
	memset(&c2, 0, sizeof(c2));
	roundtrip(&gic_cpu_vmstate, &c1, &c2);
	cr_assert_eq(memcmp(&c1, &c2, sizeof(c1)), 0);
}

Test(vm_sections, devices_and_machine)
{
	struct cpuhp_saved *h1 = calloc(1, sizeof(*h1)), *h2 = calloc(1, sizeof(*h2));
	struct pl011_state u1, u2;
	struct ged_state g1 = { .sel = 0xa }, g2 = { 0 };
	struct vm_config_state m1, m2;
	struct vm_config cfg = { .kernel = "/k/Image", .initrd = NULL, .cmdline = "console=ttyAMA0",
				 .boot_vcpus = 2, .max_vcpus = 6, .mem_size = 512ULL << 20, .acpi = true }, back;

	h1->selector = 4;
	h1->command = 3;
	h1->nr_cpus = 6;
	h1->cpus[4] = (struct cpuhp_cpu_state){ .enabled = true, .inserting = true, .ost_event = 1, .ost_status = 0x80 };
	roundtrip(&cpuhp_vmstate, h1, h2);
	cr_assert_eq(memcmp(h1, h2, sizeof(*h1)), 0);
	memset(&u1, 0, sizeof(u1));
	u1.cr = 0x301;
	u1.rx_count = 3;
	u1.rx_head = 30;
	memcpy(u1.rx_fifo + 30, "ab", 2);
	u1.rx_fifo[0] = 'c';
	memset(&u2, 0, sizeof(u2));
	roundtrip(&pl011_vmstate, &u1, &u2);
	cr_assert_eq(memcmp(&u1, &u2, sizeof(u1)), 0);
	roundtrip(&ged_vmstate, &g1, &g2);
	cr_assert_eq(g2.sel, 0xa);
	cr_assert_eq(config_state_from(&cfg, &m1), 0);
	memset(&m2, 0, sizeof(m2));
	roundtrip(&config_vmstate, &m1, &m2);
	config_state_to(&m2, &back);
	cr_assert_str_eq(back.kernel, "/k/Image");
	cr_assert_null(back.initrd);
	cr_assert_str_eq(back.cmdline, "console=ttyAMA0");
	cr_assert(back.boot_vcpus == 2 && back.max_vcpus == 6 && back.mem_size == 512ULL << 20 && back.acpi);
	free(h1);
	free(h2);
}

static int load_as(const struct vmstate_desc *writer, const struct vmstate_desc *reader, const void *in, void *out,
		   struct mig_err *err)
{
	struct mig_writer w;
	struct mig_reader r;
	struct mig_section sec;
	int ret;

	cr_assert_eq(mig_writer_init(&w, MIG_ARCH_AARCH64, 0), 0);
	cr_assert_eq(mig_writer_add(&w, writer, 0, in, 0, err), 0, "%s", err->msg);
	cr_assert_eq(mig_writer_finish(&w, err), 0, "%s", err->msg);
	cr_assert_eq(mig_reader_open(&r, w.buf, w.len, MIG_ARCH_AARCH64, 0, err), 0, "%s", err->msg);
	cr_assert_eq(mig_reader_next(&r, &sec, err), 1, "%s", err->msg);
	ret = mig_section_load(&sec, reader, out, err);
	mig_writer_fini(&w);
	return ret;
}

/* --pmu on/off travels in the machine section; a stream without the choice (an
 * older build's) loads as AUTO; a build that predates the choice (the same desc
 * without its subsections) still loads a VM with a PMU and refuses one without. */
Test(vm_sections, machine_pmu_choice)
{
	static const enum vm_pmu choices[] = { VM_PMU_AUTO, VM_PMU_ON, VM_PMU_OFF };
	struct vmstate_desc old = config_vmstate;
	struct vm_config_state m1, m2;
	/* 256 interrupts: no 'gic-irqs' subsection, so the older reader sees the PMU choice alone. */
	struct vm_config cfg = { .kernel = "/k/Image", .cmdline = "c", .boot_vcpus = 1, .max_vcpus = 2,
				 .mem_size = 512ULL << 20, .gic_irqs = 256 }, back;
	struct mig_err err = { "" };
	unsigned i;

	old.subsections = NULL;
	for (i = 0; i < 3; i++) {
		cfg.pmu = choices[i];
		cr_assert_eq(config_state_from(&cfg, &m1), 0);
		memset(&m2, 0x55, sizeof(m2));
		roundtrip(&config_vmstate, &m1, &m2);
		config_state_to(&m2, &back);
		cr_assert_eq(back.pmu, choices[i], "choice %u came back as %u", choices[i], back.pmu);
		err.msg[0] = 0;
		cr_assert_eq(load_as(&config_vmstate, &old, &m1, &m2, &err) < 0, choices[i] == VM_PMU_OFF,
			     "choice %u: %s", choices[i], err.msg);
		if (choices[i] == VM_PMU_OFF)
			cr_assert(strstr(err.msg, "pmu-off"), "got: %s", err.msg);
	}
	/* An older stream (no subsection at all) read by this build. */
	cfg.pmu = VM_PMU_ON;
	cr_assert_eq(config_state_from(&cfg, &m1), 0);
	cr_assert_eq(load_as(&old, &config_vmstate, &m1, &m2, &err), 0, "%s", err.msg);
	cr_assert_eq(m2.pmu, VM_PMU_AUTO);
}

/* The GIC's size travels in the machine section ('gic-irqs', mandatory) unless it is
 * the 256 every older build made: an older build refuses a smaller one, a stream
 * without it (an older build's) loads as 256, and a count no GIC can have is refused. */
Test(vm_sections, machine_gic_irqs)
{
	static const unsigned counts[] = { 0, 64, 96, 256 };
	struct vmstate_desc old = config_vmstate;
	struct vm_config_state m1, m2;
	struct vm_config cfg = { .kernel = "/k/Image", .cmdline = "c", .boot_vcpus = 1, .max_vcpus = 2,
				 .mem_size = 512ULL << 20, .pmu = VM_PMU_ON }, back;
	struct mig_err err = { "" };
	unsigned i;

	old.subsections = NULL;
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		unsigned want = counts[i] ? counts[i] : LAYOUT_NR_IRQS;

		cfg.gic_irqs = counts[i];
		cr_assert_eq(config_state_from(&cfg, &m1), 0);
		memset(&m2, 0x55, sizeof(m2));
		roundtrip(&config_vmstate, &m1, &m2);
		config_state_to(&m2, &back);
		cr_assert_eq(back.gic_irqs, want, "%u interrupts came back as %u", want, back.gic_irqs);
		err.msg[0] = 0;
		cr_assert_eq(load_as(&config_vmstate, &old, &m1, &m2, &err) < 0, want != 256, "%u: %s", want,
			     err.msg);
		if (want != 256)
			cr_assert(strstr(err.msg, "gic-irqs"), "got: %s", err.msg);
	}
	/* An older stream (no subsection at all) read by this build. */
	cr_assert_eq(config_state_from(&cfg, &m1), 0);
	cr_assert_eq(load_as(&old, &config_vmstate, &m1, &m2, &err), 0, "%s", err.msg);
	cr_assert_eq(m2.gic_irqs, 256);
	/* Counts no GIC can have. */
	for (i = 0; i < 3; i++) {
		static const unsigned bad[] = { 32, 72, 288 };

		cfg.gic_irqs = bad[i];
		cr_assert_eq(config_state_from(&cfg, &m1), 0);
		err.msg[0] = 0;
		cr_assert_lt(load_as(&config_vmstate, &config_vmstate, &m1, &m2, &err), 0, "%u loaded", bad[i]);
		cr_assert(strstr(err.msg, "GIC with"), "%u: %s", bad[i], err.msg);
	}
}

/* A CPU_ON accepted but not applied when the vCPU paused is saved and loads back
 * (subsection "cpu-on"); a stream without it has none; "pending while on" is refused. */
Test(vm_sections, vcpu_state_pending_cpu_on)
{
	struct vcpu_state *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct mig_writer w;
	struct mig_reader r;
	struct mig_section sec;
	struct mig_err err = { "" };

	a->id = 4;
	a->mp_state = 1; /* KVM_MP_STATE_STOPPED */
	a->on_pending = 1;
	a->on_entry = 0x40201000;
	a->on_ctx = 0x1234;
	a->nr_regs = 1;
	a->regs[0] = (struct vcpu_reg){ .id = 0x603000000013c005ULL, .lo = 4 };
	roundtrip(&vcpu_vmstate, a, b);
	cr_assert_eq(memcmp(a, b, sizeof(*a)), 0, "the pending CPU_ON did not survive the round trip");
	/* Not pending: the subsection is not written, and a loaded state has none pending. */
	a->on_pending = 0;
	a->on_entry = a->on_ctx = 0;
	memset(b, 0xff, sizeof(*b));
	b->nr_regs = 0;
	roundtrip(&vcpu_vmstate, a, b);
	cr_assert_eq(b->on_pending, 0);
	cr_assert_eq(b->on_entry, 0);
	/* Pending for a vCPU that is on: refused. */
	a->on_pending = 1;
	a->power_on = 1;
	cr_assert_eq(mig_writer_init(&w, MIG_ARCH_AARCH64, 0), 0);
	cr_assert_eq(mig_writer_add(&w, &vcpu_vmstate, 0, a, 0, &err), 0);
	cr_assert_eq(mig_writer_finish(&w, &err), 0);
	cr_assert_eq(mig_reader_open(&r, w.buf, w.len, MIG_ARCH_AARCH64, 0, &err), 0);
	cr_assert_eq(mig_reader_next(&r, &sec, &err), 1);
	cr_assert_lt(mig_section_load(&sec, &vcpu_vmstate, b, &err), 0);
	cr_assert(strstr(err.msg, "already on"), "%s", err.msg);
	mig_writer_fini(&w);
	free(a);
	free(b);
}

// SPDX-License-Identifier: MIT
/*
 * The pattern for a device's state, start to finish. A device keeps a plain state
 * struct (fixed-width data, no pointers or fds), describes it with a static const
 * descriptor next to it, registers it with the VM's registry, and has a round-trip
 * test like this one beside it.
 *
 * Evolving it later:
 *   - new state that is usually at its default: a subsection with needed() and a
 *     pre_load default (old streams load, old readers skip it unless mandatory);
 *   - a new always-present field: add VMS_*_V(..., N+1), bump .version to N+1,
 *     set its default in pre_load for streams of version ≤ N;
 *   - never change a field's type or meaning under the same name.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "migration/format/registry.h"
#include "migration/format/stream.h"
#include "migration/format/vmstate.h"

TestSuite(migration_example, .timeout = 30);

/* --- In the device's file (e.g. vmm/example.c) --------------------------------- */

#define EXAMPLE_NR_REGS 4

struct example_state {
	uint32_t ctrl;
	uint64_t regs[EXAMPLE_NR_REGS];
	bool irq_level;
	uint16_t fifo_len;       /* version 2 */
	uint8_t fifo[16];
	uint32_t wakeup_delay;   /* subsection "example/wakeup": needed when not 0 */
};

static const struct vmstate_field example_wakeup_fields[] = {
	VMS_U32(struct example_state, wakeup_delay),
	VMS_END,
};

static void example_wakeup_pre_load(void *opaque)
{
	struct example_state *s = opaque;

	s->wakeup_delay = 0; /* what a stream without the subsection means */
}

static bool example_wakeup_needed(const void *opaque)
{
	const struct example_state *s = opaque;

	return s->wakeup_delay != 0;
}

static const struct vmstate_desc example_wakeup_vmstate = {
	.name = "example/wakeup",
	.version = 1,
	.min_version = 1,
	.size = sizeof(struct example_state),
	.fields = example_wakeup_fields,
	.pre_load = example_wakeup_pre_load,
	.needed = example_wakeup_needed,
};

static const struct vmstate_subsection example_subsections[] = {
	{ .desc = &example_wakeup_vmstate },
	VMS_SUB_END,
};

static const struct vmstate_field example_fields[] = {
	VMS_U32(struct example_state, ctrl),
	VMS_U64_ARRAY(struct example_state, regs),
	VMS_BOOL(struct example_state, irq_level),
	VMS_U16_V(struct example_state, fifo_len, 2),
	VMS_BUFFER_V(struct example_state, fifo, 2),
	VMS_END,
};

static void example_pre_load(void *opaque)
{
	struct example_state *s = opaque;

	s->fifo_len = 0; /* version-1 streams had no FIFO */
	memset(s->fifo, 0, sizeof(s->fifo));
}

static int example_post_load(void *opaque, uint32_t version, struct mig_err *err)
{
	struct example_state *s = opaque;

	(void)version;
	if (s->fifo_len > sizeof(s->fifo)) { /* never trust the stream */
		mig_err_set(err, "fifo_len %u above %zu", s->fifo_len, sizeof(s->fifo));
		return -EINVAL;
	}
	return 0;
}

static const struct vmstate_desc example_vmstate = {
	.name = "example",
	.version = 2,
	.min_version = 1,
	.size = sizeof(struct example_state),
	.fields = example_fields,
	.subsections = example_subsections,
	.pre_load = example_pre_load,
	.post_load = example_post_load,
};

/* --- In the VM's wiring: one registration per instance -------------------------- */

static int example_register(struct mig_registry *reg, struct example_state *s, uint32_t instance,
			    struct mig_err *err)
{
	return mig_registry_add(reg, &example_vmstate, instance, s, MIG_PRI_DEVICE, 0, err);
}

/* --- The round-trip test beside it ---------------------------------------------- */

Test(migration_example, round_trip)
{
	struct example_state src = { .ctrl = 0x81, .regs = { 1, 2, 3, UINT64_MAX }, .irq_level = true,
				     .fifo_len = 3, .fifo = "abc", .wakeup_delay = 250 };
	struct example_state dst = { 0 };
	struct mig_registry out, in;
	struct mig_writer w;
	struct mig_err err = { 0 };

	mig_registry_init(&out);
	mig_registry_init(&in);
	cr_assert_eq(example_register(&out, &src, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(example_register(&in, &dst, 0, &err), 0, "%s", err.msg);

	cr_assert_eq(mig_writer_init(&w, MIG_ARCH_AARCH64, 0), 0);
	cr_assert_eq(mig_registry_save(&out, &w, &err), 0, "%s", err.msg);
	cr_assert_eq(mig_writer_finish(&w, &err), 0, "%s", err.msg);
	cr_assert_eq(mig_registry_load(&in, w.buf, w.len, MIG_ARCH_AARCH64, 0, &err), 0, "%s", err.msg);

	cr_expect_eq(dst.ctrl, src.ctrl);
	cr_expect_arr_eq(dst.regs, src.regs, sizeof(src.regs));
	cr_expect_eq(dst.irq_level, src.irq_level);
	cr_expect_eq(dst.fifo_len, 3);
	cr_expect_arr_eq(dst.fifo, src.fifo, sizeof(src.fifo));
	cr_expect_eq(dst.wakeup_delay, 250);

	mig_writer_fini(&w);
	mig_registry_fini(&out);
	mig_registry_fini(&in);
}

Test(migration_example, post_load_rejects_bad_state)
{
	struct example_state src = { .fifo_len = 17 }, dst = { .ctrl = 5 };
	struct mig_writer w;
	struct mig_reader r;
	struct mig_section sec;
	struct mig_err err = { 0 };

	cr_assert_eq(mig_writer_init(&w, MIG_ARCH_AARCH64, 0), 0);
	cr_assert_eq(mig_writer_add(&w, &example_vmstate, 0, &src, 0, &err), 0);
	cr_assert_eq(mig_writer_finish(&w, &err), 0);
	cr_assert_eq(mig_reader_open(&r, w.buf, w.len, MIG_ARCH_AARCH64, 0, &err), 0);
	cr_assert_eq(mig_reader_next(&r, &sec, &err), 1);
	cr_expect_eq(mig_section_load(&sec, &example_vmstate, &dst, &err), -EINVAL);
	cr_expect_str_eq(err.msg, "section 'example' instance 0: fifo_len 17 above 16");
	cr_expect_eq(dst.ctrl, 5, "untouched");
	mig_writer_fini(&w);
}

// SPDX-License-Identifier: MIT
/*
 * The section registry: save order by priority, dispatch by (name, instance),
 * optional entries, unknown/duplicate/missing sections, all-or-nothing loads.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "migration/format/registry.h"
#include "migration/format/stream.h"
#include "tests/unit/migration/mig_test.h"

TestSuite(migration_registry, .timeout = 30);

static struct mig_err err;

#define expect_err(ret, want_ret, substr) \
	do { \
		cr_expect_eq((ret), (want_ret), "ret %d, expected %d (%s)", (ret), (want_ret), err.msg); \
		cr_expect(strstr(err.msg, (substr)) != NULL, "message '%s' lacks '%s'", err.msg, (substr)); \
	} while (0)

struct counter {
	uint32_t value;
	bool wanted;
};

static const struct vmstate_field counter_fields[] = {
	VMS_U32(struct counter, value),
	VMS_END,
};

static bool counter_needed(const void *opaque)
{
	const struct counter *c = opaque;

	return c->wanted;
}

static const struct vmstate_desc counter_vmstate = {
	.name = "counter", .version = 1, .min_version = 1,
	.size = sizeof(struct counter), .fields = counter_fields, .needed = counter_needed,
};

static const struct vmstate_desc early_vmstate = {
	.name = "early", .version = 1, .min_version = 1,
	.size = sizeof(struct counter), .fields = counter_fields,
};

struct stream {
	uint8_t *buf;
	size_t len;
};

static struct stream save(const struct mig_registry *reg)
{
	struct mig_writer w;
	struct stream s;

	cr_assert_eq(mig_writer_init(&w, MIG_ARCH_AARCH64, 0), 0);
	cr_assert_eq(mig_registry_save(reg, &w, &err), 0, "%s", err.msg);
	cr_assert_eq(mig_writer_finish(&w, &err), 0);
	s.buf = w.buf;
	s.len = w.len;
	w.buf = NULL;
	mig_writer_fini(&w);
	return s;
}

static int load(const struct mig_registry *reg, struct stream s)
{
	memset(&err, 0, sizeof(err));
	return mig_registry_load(reg, s.buf, s.len, MIG_ARCH_AARCH64, 0, &err);
}

/* Section names and instances in stream order, as "name:inst " pairs. */
static void order_of(struct stream s, char *out, size_t n)
{
	struct mig_reader r;
	struct mig_section sec;
	size_t at = 0;

	out[0] = '\0';
	cr_assert_eq(mig_reader_open(&r, s.buf, s.len, MIG_ARCH_AARCH64, 0, &err), 0);
	while (mig_reader_next(&r, &sec, &err) > 0)
		at += (size_t)snprintf(out + at, n - at, "%s:%u ", sec.name, sec.instance);
}

Test(migration_registry, save_in_priority_order_and_load)
{
	struct counter c[3] = { { 10, true }, { 11, true }, { 12, true } }, e = { 99, true };
	struct counter c2[3] = { 0 }, e2 = { 0 };
	struct mig_registry reg, dst;
	struct stream s;
	char order[256];

	mig_registry_init(&reg);
	for (uint32_t i = 0; i < 3; i++)
		cr_assert_eq(mig_registry_add(&reg, &counter_vmstate, i, &c[i], MIG_PRI_DEVICE, 0, &err), 0);
	cr_assert_eq(mig_registry_add(&reg, &early_vmstate, 0, &e, MIG_PRI_TOPOLOGY, 0, &err), 0);
	s = save(&reg);
	order_of(s, order, sizeof(order));
	cr_expect_str_eq(order, "early:0 counter:0 counter:1 counter:2 ");

	/* The destination registers in another order: dispatch is by name and instance. */
	mig_registry_init(&dst);
	for (uint32_t i = 3; i-- > 0;)
		cr_assert_eq(mig_registry_add(&dst, &counter_vmstate, i, &c2[i], MIG_PRI_DEVICE, 0, &err), 0);
	cr_assert_eq(mig_registry_add(&dst, &early_vmstate, 0, &e2, MIG_PRI_TOPOLOGY, 0, &err), 0);
	cr_assert_eq(load(&dst, s), 0, "%s", err.msg);
	for (unsigned i = 0; i < 3; i++)
		cr_expect_eq(c2[i].value, 10 + i);
	cr_expect_eq(e2.value, 99);
	mig_registry_fini(&reg);
	mig_registry_fini(&dst);
	free(s.buf);
}

Test(migration_registry, registration_errors)
{
	static const struct vmstate_desc bad = { .name = "bad", .version = 1, .min_version = 2, .size = 4 };
	struct mig_registry reg;
	struct counter c;

	mig_registry_init(&reg);
	cr_assert_eq(mig_registry_add(&reg, &counter_vmstate, 0, &c, 0, 0, &err), 0);
	expect_err(mig_registry_add(&reg, &counter_vmstate, 0, &c, 0, 0, &err), -EEXIST,
		   "section 'counter' instance 0 is already registered");
	expect_err(mig_registry_add(&reg, &bad, 0, &c, 0, 0, &err), -EINVAL, "bad version window");
	expect_err(mig_registry_add(&reg, &counter_vmstate, 1, NULL, 0, 0, &err), -EINVAL, "no state");
	cr_expect_not_null(mig_registry_find(&reg, "counter", 0));
	cr_expect_null(mig_registry_find(&reg, "counter", 1));
	mig_registry_fini(&reg);
}

Test(migration_registry, optional_entry_written_only_when_needed)
{
	struct counter a = { 1, false }, b = { 2, true }, a2 = { 55, false }, b2 = { 0 };
	struct mig_registry reg, dst;
	struct stream s;
	char order[128];

	mig_registry_init(&reg);
	cr_assert_eq(mig_registry_add(&reg, &counter_vmstate, 0, &a, 0, MIG_ENTRY_OPTIONAL, &err), 0);
	cr_assert_eq(mig_registry_add(&reg, &counter_vmstate, 1, &b, 0, MIG_ENTRY_OPTIONAL, &err), 0);
	s = save(&reg);
	order_of(s, order, sizeof(order));
	cr_expect_str_eq(order, "counter:1 ");

	/* Absent optional entry: left as it is. */
	mig_registry_init(&dst);
	cr_assert_eq(mig_registry_add(&dst, &counter_vmstate, 0, &a2, 0, MIG_ENTRY_OPTIONAL, &err), 0);
	cr_assert_eq(mig_registry_add(&dst, &counter_vmstate, 1, &b2, 0, MIG_ENTRY_OPTIONAL, &err), 0);
	cr_assert_eq(load(&dst, s), 0, "%s", err.msg);
	cr_expect_eq(a2.value, 55);
	cr_expect_eq(b2.value, 2);
	mig_registry_fini(&reg);
	mig_registry_fini(&dst);
	free(s.buf);
}

Test(migration_registry, missing_required_section)
{
	struct counter a = { 1, true }, a2 = { 0 }, x = { 0 };
	struct mig_registry reg, dst;
	struct stream s;

	mig_registry_init(&reg);
	cr_assert_eq(mig_registry_add(&reg, &counter_vmstate, 0, &a, 0, 0, &err), 0);
	s = save(&reg);
	mig_registry_init(&dst);
	cr_assert_eq(mig_registry_add(&dst, &counter_vmstate, 0, &a2, 0, 0, &err), 0);
	cr_assert_eq(mig_registry_add(&dst, &early_vmstate, 4, &x, 0, 0, &err), 0);
	expect_err(load(&dst, s), -ENODATA, "section 'early' instance 4 is missing from the stream");
	cr_expect_eq(a2.value, 0, "nothing committed");
	mig_registry_fini(&reg);
	mig_registry_fini(&dst);
	free(s.buf);
}

Test(migration_registry, unknown_sections)
{
	struct counter a = { 1, true }, a2 = { 0 };
	struct mig_registry dst;
	struct mig_writer w;
	struct stream s;

	mig_registry_init(&dst);
	cr_assert_eq(mig_registry_add(&dst, &counter_vmstate, 0, &a2, 0, 0, &err), 0);

	/* Optional: skipped. */
	cr_assert_eq(mig_writer_init(&w, MIG_ARCH_AARCH64, 0), 0);
	cr_assert_eq(mig_writer_add(&w, &counter_vmstate, 0, &a, 0, &err), 0);
	cr_assert_eq(mig_writer_add_raw(&w, "virtio-future", 0, 1, MIG_SEC_OPTIONAL, "\x80", 1, &err), 0);
	cr_assert_eq(mig_writer_finish(&w, &err), 0);
	s = (struct stream){ w.buf, w.len };
	cr_expect_eq(load(&dst, s), 0, "%s", err.msg);
	cr_expect_eq(a2.value, 1);
	mig_writer_fini(&w);

	/* Mandatory: fails, naming it. */
	a2.value = 0;
	cr_assert_eq(mig_writer_init(&w, MIG_ARCH_AARCH64, 0), 0);
	cr_assert_eq(mig_writer_add(&w, &counter_vmstate, 0, &a, 0, &err), 0);
	cr_assert_eq(mig_writer_add_raw(&w, "x", 0, 1, 0, "\x80", 1, &err), 0);
	cr_assert_eq(mig_writer_finish(&w, &err), 0);
	s = (struct stream){ w.buf, w.len };
	expect_err(load(&dst, s), -ENOENT, "unknown mandatory section 'x' instance 0");
	cr_expect_eq(a2.value, 0, "nothing committed");
	mig_writer_fini(&w);

	/* A known name with an unknown instance is unknown too. */
	cr_assert_eq(mig_writer_init(&w, MIG_ARCH_AARCH64, 0), 0);
	cr_assert_eq(mig_writer_add(&w, &counter_vmstate, 0, &a, 0, &err), 0);
	cr_assert_eq(mig_writer_add(&w, &counter_vmstate, 7, &a, 0, &err), 0);
	cr_assert_eq(mig_writer_finish(&w, &err), 0);
	s = (struct stream){ w.buf, w.len };
	expect_err(load(&dst, s), -ENOENT, "unknown mandatory section 'counter' instance 7");
	mig_writer_fini(&w);
	mig_registry_fini(&dst);
}

Test(migration_registry, duplicate_section_in_stream)
{
	struct counter a = { 1, true }, a2 = { 0 };
	struct mig_registry dst;
	struct mig_writer w;

	mig_registry_init(&dst);
	cr_assert_eq(mig_registry_add(&dst, &counter_vmstate, 0, &a2, 0, 0, &err), 0);
	cr_assert_eq(mig_writer_init(&w, MIG_ARCH_AARCH64, 0), 0);
	cr_assert_eq(mig_writer_add(&w, &counter_vmstate, 0, &a, 0, &err), 0);
	cr_assert_eq(mig_writer_add(&w, &counter_vmstate, 0, &a, 0, &err), 0);
	cr_assert_eq(mig_writer_finish(&w, &err), 0);
	expect_err(load(&dst, ((struct stream){ w.buf, w.len })), -EINVAL, "duplicate section 'counter' instance 0");
	mig_writer_fini(&w);
	mig_registry_fini(&dst);
}

Test(migration_registry, wrong_arch_refused)
{
	struct counter a = { 1, true };
	struct mig_registry reg;
	struct stream s;

	mig_registry_init(&reg);
	cr_assert_eq(mig_registry_add(&reg, &counter_vmstate, 0, &a, 0, 0, &err), 0);
	s = save(&reg);
	expect_err(mig_registry_load(&reg, s.buf, s.len, MIG_ARCH_X86_64, 0, &err), -EXDEV, "arch 183 (aarch64)");
	mig_registry_fini(&reg);
	free(s.buf);
}

// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "vmm/devices/mmio_bus.h"

struct dev {
	uint64_t last_off;
	uint32_t last_len;
	bool last_write;
	uint8_t last_data[8];
	unsigned calls;
};

static void dev_fn(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct dev *d = opaque;

	d->calls++;
	d->last_off = off;
	d->last_len = len;
	d->last_write = is_write;
	if (is_write)
		memcpy(d->last_data, data, len);
	else
		memset(data, 0xab, len);
}

static struct mmio_bus bus;

static void setup(void)
{
	cr_assert_eq(mmio_bus_init(&bus), 0);
	log_set_level(LOG_ERR); /* the bus warns about bad accesses by design */
}

static void teardown(void)
{
	mmio_bus_fini(&bus);
	log_set_level(LOG_INFO);
}

static struct mmio_region region(uint64_t base, uint64_t size, struct dev *d)
{
	return (struct mmio_region){ .name = "t", .base = base, .size = size, .fn = dev_fn, .opaque = d };
}

TestSuite(mmio_bus, .init = setup, .fini = teardown);

Test(mmio_bus, overlapping_regions_rejected)
{
	struct dev d = { 0 };
	struct mmio_region r;

	r = region(0x1000, 0x100, &d);
	cr_assert_eq(mmio_bus_register(&bus, &r), 0);
	r = region(0x1000, 0x100, &d);
	cr_assert_eq(mmio_bus_register(&bus, &r), -EEXIST, "same range");
	r = region(0x10ff, 0x10, &d);
	cr_assert_eq(mmio_bus_register(&bus, &r), -EEXIST, "overlaps the end");
	r = region(0xff0, 0x11, &d);
	cr_assert_eq(mmio_bus_register(&bus, &r), -EEXIST, "overlaps the start");
	r = region(0x800, 0x2000, &d);
	cr_assert_eq(mmio_bus_register(&bus, &r), -EEXIST, "covers it");
	r = region(0x1100, 0x10, &d);
	cr_assert_eq(mmio_bus_register(&bus, &r), 0, "adjacent after");
	r = region(0xf00, 0x100, &d);
	cr_assert_eq(mmio_bus_register(&bus, &r), 0, "adjacent before");
	cr_assert_eq(bus.nr, 3);
}

Test(mmio_bus, invalid_regions_rejected)
{
	struct dev d = { 0 };
	struct mmio_region r = region(0x1000, 0, &d);

	cr_assert_eq(mmio_bus_register(&bus, &r), -EINVAL, "empty");
	r = region(UINT64_MAX - 0xf, 0x20, &d);
	cr_assert_eq(mmio_bus_register(&bus, &r), -EINVAL, "wraps");
	r = region(0x1000, 0x10, &d);
	r.min_access = 3;
	cr_assert_eq(mmio_bus_register(&bus, &r), -EINVAL, "size 3");
	r.min_access = 8;
	r.max_access = 4;
	cr_assert_eq(mmio_bus_register(&bus, &r), -EINVAL, "min > max");
	r = region(0x1000, 0x10, NULL);
	r.fn = NULL;
	cr_assert_eq(mmio_bus_register(&bus, &r), -EINVAL, "no handler");
}

Test(mmio_bus, dispatch_to_the_right_region_with_offsets)
{
	struct dev a = { 0 }, b = { 0 };
	struct mmio_region r;
	uint8_t data[8] = { 1, 2, 3, 4 };

	r = region(0x9000000, 0x1000, &a);
	cr_assert_eq(mmio_bus_register(&bus, &r), 0);
	r = region(0x8000000, 0x1000, &b);
	cr_assert_eq(mmio_bus_register(&bus, &r), 0);

	cr_assert_eq(mmio_bus_access(&bus, 0x9000018, data, 4, true), 0);
	cr_assert_eq(a.calls, 1);
	cr_assert_eq(b.calls, 0);
	cr_assert_eq(a.last_off, 0x18);
	cr_assert_eq(a.last_len, 4);
	cr_assert(a.last_write);
	cr_assert_arr_eq(a.last_data, data, 4);

	memset(data, 0, sizeof(data));
	cr_assert_eq(mmio_bus_access(&bus, 0x8000ffc, data, 4, false), 0);
	cr_assert_eq(b.calls, 1);
	cr_assert_eq(b.last_off, 0xffc);
	cr_assert_eq(data[0], 0xab);
	cr_assert_eq(data[3], 0xab);
	cr_assert_eq(data[4], 0, "bytes beyond len untouched");
}

Test(mmio_bus, unassigned_reads_zero_and_drops_writes)
{
	struct dev a = { 0 };
	struct mmio_region r = region(0x1000, 0x100, &a);
	uint8_t data[8];

	cr_assert_eq(mmio_bus_register(&bus, &r), 0);
	memset(data, 0xff, sizeof(data));
	cr_assert_eq(mmio_bus_access(&bus, 0x2000, data, 8, false), -ENOENT);
	for (int i = 0; i < 8; i++)
		cr_assert_eq(data[i], 0);
	cr_assert_eq(mmio_bus_access(&bus, 0xfff, data, 1, true), -ENOENT, "just below");
	cr_assert_eq(mmio_bus_access(&bus, 0x1100, data, 1, true), -ENOENT, "just past the end");
	cr_assert_eq(a.calls, 0);
	cr_assert_eq(bus.bad_accesses, 3);
}

Test(mmio_bus, straddling_and_odd_sizes_are_refused)
{
	struct dev a = { 0 };
	struct mmio_region r = region(0x1000, 0x10, &a);
	uint8_t data[8];

	r.min_access = 1;
	r.max_access = 4;
	r.aligned = true;
	cr_assert_eq(mmio_bus_register(&bus, &r), 0);
	cr_assert_eq(mmio_bus_access(&bus, 0x100c, data, 8, false), -EINVAL, "runs past the end");
	cr_assert_eq(mmio_bus_access(&bus, 0x1000, data, 8, false), -EINVAL, "above max_access");
	cr_assert_eq(mmio_bus_access(&bus, 0x1001, data, 2, false), -EINVAL, "unaligned");
	cr_assert_eq(mmio_bus_access(&bus, 0x1000, data, 3, false), -EINVAL, "size 3");
	cr_assert_eq(mmio_bus_access(&bus, 0x1000, data, 0, false), -EINVAL, "size 0");
	cr_assert_eq(mmio_bus_access(&bus, 0x1000, data, 16, false), -EINVAL, "size 16");
	cr_assert_eq(a.calls, 0);
	cr_assert_eq(mmio_bus_access(&bus, 0x100f, data, 1, false), 0, "last byte");
	cr_assert_eq(mmio_bus_access(&bus, 0x100c, data, 4, true), 0, "last word");
	cr_assert_eq(a.calls, 2);
}

Test(mmio_bus, unaligned_allowed_when_region_permits)
{
	struct dev a = { 0 };
	struct mmio_region r = region(0x1000, 0x10, &a);
	uint8_t data[8] = { 0 };

	cr_assert_eq(mmio_bus_register(&bus, &r), 0);
	cr_assert_eq(mmio_bus_access(&bus, 0x1003, data, 4, true), 0);
	cr_assert_eq(a.last_off, 3);
}

Test(mmio_bus, unregister_then_unassigned)
{
	struct dev a = { 0 };
	struct mmio_region r = region(0x1000, 0x10, &a);
	uint8_t data[4];

	cr_assert_eq(mmio_bus_register(&bus, &r), 0);
	cr_assert_eq(mmio_bus_unregister(&bus, 0x1004), -ENOENT, "not a region base");
	cr_assert_eq(mmio_bus_unregister(&bus, 0x1000), 0);
	cr_assert_eq(mmio_bus_unregister(&bus, 0x1000), -ENOENT);
	cr_assert_eq(mmio_bus_access(&bus, 0x1000, data, 4, false), -ENOENT);
	cr_assert_eq(a.calls, 0);
	cr_assert_eq(mmio_bus_register(&bus, &r), 0, "the range can be reused");
}

Test(mmio_bus, many_regions_stay_sorted)
{
	struct dev d[64] = { 0 };
	uint8_t data[4];
	int i;

	/* Register in a scrambled order. */
	for (i = 0; i < 64; i++) {
		int k = (i * 37) % 64;
		struct mmio_region r = region(0x10000 + (uint64_t)k * 0x100, 0x80, &d[k]);

		cr_assert_eq(mmio_bus_register(&bus, &r), 0);
	}
	for (i = 1; i < 64; i++)
		cr_assert_lt(bus.regions[i - 1].base, bus.regions[i].base);
	for (i = 0; i < 64; i++) {
		cr_assert_eq(mmio_bus_access(&bus, 0x10000 + (uint64_t)i * 0x100 + 0x7c, data, 4, false), 0);
		cr_assert_eq(d[i].calls, 1);
		cr_assert_eq(mmio_bus_access(&bus, 0x10000 + (uint64_t)i * 0x100 + 0x80, data, 4, false), -ENOENT,
			     "the hole after region %d", i);
	}
}

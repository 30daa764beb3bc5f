// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hotplug/cpuhp.h"
#include "vmm/core/log.h"

struct rec {
	int ejected[8];
	unsigned nej;
	int refuse;
	unsigned ost_idx;
	uint32_t ost_ev, ost_st;
	unsigned nost;
};

static int r_eject(void *ctx, unsigned idx)
{
	struct rec *r = ctx;

	if (r->refuse)
		return -EBUSY;
	r->ejected[r->nej++] = (int)idx;
	return 0;
}

static void r_ost(void *ctx, unsigned idx, uint32_t ev, uint32_t st)
{
	struct rec *r = ctx;

	r->ost_idx = idx;
	r->ost_ev = ev;
	r->ost_st = st;
	r->nost++;
}

static const struct cpuhp_ops ops = { .eject = r_eject, .ost = r_ost };
static const uint64_t ids[6] = { 0x0, 0x1, 0x2, 0x3, 0x100000004ULL, 0x5 };

static void w(struct cpuhp *h, uint64_t off, uint32_t v, uint32_t len)
{
	uint8_t d[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	cpuhp_mmio(h, off, d, len, true);
}

static uint32_t r(struct cpuhp *h, uint64_t off, uint32_t len)
{
	uint8_t d[4] = { 0 };

	cpuhp_mmio(h, off, d, len, false);
	return (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
}

static struct cpuhp h;
static struct rec rec;

static void setup(void)
{
	memset(&rec, 0, sizeof(rec));
	cr_assert_eq(cpuhp_init(&h, 6, ids, &ops, &rec), 0);
	cpuhp_set_enabled(&h, 0, true);
	cpuhp_set_enabled(&h, 1, true);
	log_set_level(LOG_ERR);
}

static void teardown(void)
{
	cpuhp_fini(&h);
	log_set_level(LOG_INFO);
}

TestSuite(cpuhp, .init = setup, .fini = teardown);

Test(cpuhp, status_of_each_cpu)
{
	for (uint32_t i = 0; i < 6; i++) {
		w(&h, 0, i, 4);
		cr_assert_eq(r(&h, 4, 1), i < 2 ? 1u : 0u, "cpu %u", i);
	}
}

Test(cpuhp, plug_event_is_found_by_scan_and_cleared)
{
	cr_assert_eq(cpuhp_plug(&h, 4), 0);
	cr_assert_eq(cpuhp_plug(&h, 4), -EEXIST, "already enabled");
	w(&h, 0, 0, 4);
	w(&h, 5, CPUHP_CMD_GET_NEXT_EVENT, 1);
	cr_assert_eq(r(&h, 8, 4), 4, "the scan lands on CPU 4");
	cr_assert_eq(r(&h, 4, 1), 0x3, "enabled + insert pending");
	w(&h, 4, 1u << 1, 1);
	cr_assert_eq(r(&h, 4, 1), 0x1, "insert cleared");
	/* No more events: the selector stays. */
	w(&h, 5, CPUHP_CMD_GET_NEXT_EVENT, 1);
	cr_assert_eq(r(&h, 8, 4), 4);
}

Test(cpuhp, scan_wraps_around)
{
	cr_assert_eq(cpuhp_plug(&h, 2), 0);
	w(&h, 0, 3, 4);
	w(&h, 5, 0, 1);
	cr_assert_eq(r(&h, 8, 4), 2);
}

Test(cpuhp, arch_id_command)
{
	w(&h, 0, 4, 4);
	w(&h, 5, CPUHP_CMD_GET_ARCH_ID, 1);
	cr_assert_eq(r(&h, 8, 4), 0x4);
	cr_assert_eq(r(&h, 0, 4), 0x1, "high half in command data 2");
	w(&h, 5, CPUHP_CMD_GET_NEXT_EVENT, 1);
	cr_assert_eq(r(&h, 0, 4), 0, "data 2 is 0 after command 0");
}

Test(cpuhp, unplug_then_eject)
{
	cr_assert_eq(cpuhp_plug(&h, 3), 0);
	cr_assert_eq(cpuhp_request_unplug(&h, 5), -ENODEV, "not enabled");
	cr_assert_eq(cpuhp_request_unplug(&h, 3), 0);
	w(&h, 0, 0, 4);
	w(&h, 5, 0, 1);
	cr_assert_eq(r(&h, 8, 4), 3);
	cr_assert_eq(r(&h, 4, 1), 0x5, "enabled + remove pending");
	w(&h, 4, 1u << 2, 1);
	cr_assert_eq(r(&h, 4, 1), 0x1);
	w(&h, 4, 1u << 3, 1);
	cr_assert_eq(rec.nej, 1);
	cr_assert_eq(rec.ejected[0], 3);
	cr_assert_eq(r(&h, 4, 1), 0x0, "disabled right after the eject");
	w(&h, 4, 1u << 3, 1);
	cr_assert_eq(rec.nej, 1, "a second eject is ignored");
}

Test(cpuhp, eject_without_request_is_ignored)
{
	w(&h, 0, 1, 4);
	w(&h, 4, 1u << 3, 1);
	cr_assert_eq(rec.nej, 0);
	cr_assert(cpuhp_is_enabled(&h, 1));
}

Test(cpuhp, refused_eject_keeps_cpu_enabled)
{
	cr_assert_eq(cpuhp_plug(&h, 3), 0);
	cr_assert_eq(cpuhp_request_unplug(&h, 3), 0);
	rec.refuse = 1;
	w(&h, 0, 3, 4);
	w(&h, 4, 1u << 3, 1);
	cr_assert(cpuhp_is_enabled(&h, 3));
}

Test(cpuhp, ost_report)
{
	w(&h, 0, 1, 4);
	w(&h, 5, CPUHP_CMD_OST_EVENT, 1);
	w(&h, 8, 0x3, 4);
	w(&h, 5, CPUHP_CMD_OST_STATUS, 1);
	w(&h, 8, 0x80, 4);
	cr_assert_eq(rec.nost, 1);
	cr_assert_eq(rec.ost_idx, 1);
	cr_assert_eq(rec.ost_ev, 3);
	cr_assert_eq(rec.ost_st, 0x80);
}

Test(cpuhp, out_of_range_selector_reads_zero_and_drops_writes)
{
	cr_assert_eq(cpuhp_plug(&h, 4), 0);
	w(&h, 0, 6, 4);
	for (uint64_t off = 0; off < 12; off++)
		cr_assert_eq(r(&h, off, 1), 0, "offset %llu", (unsigned long long)off);
	w(&h, 4, 0xff, 1);
	w(&h, 5, 0, 1);
	w(&h, 0, 0xffffffff, 4);
	w(&h, 5, 0, 1);
	cr_assert_eq(r(&h, 8, 4), 0);
	w(&h, 0, 4, 4);
	cr_assert_eq(r(&h, 4, 1), 0x3, "state of CPU 4 untouched");
}

Test(cpuhp, hostile_random_accesses)
{
	srand(1234);
	cr_assert_eq(cpuhp_plug(&h, 4), 0);
	/* An unplug of CPU 4 is in progress: random accesses may eject it, and only it. */
	cr_assert_eq(cpuhp_request_unplug(&h, 4), 0);
	for (int i = 0; i < 100000; i++) {
		uint8_t d[8];
		uint64_t off = (uint64_t)(rand() % 16);
		uint32_t len = 1u << (rand() % 4);

		for (int k = 0; k < 8; k++)
			d[k] = (uint8_t)rand();
		if (rand() & 1) { /* half the values small: selectors of real CPUs, single flag bits */
			d[0] %= 8;
			d[1] = d[2] = d[3] = 0;
		}
		cpuhp_mmio(&h, off, d, len, rand() & 1);
	}
	/* The eject path was reached (this seed does it), and only the CPU with an
	 * unplug request was ejected, once: CPUs without one (the cold-booted ones
	 * included) never are. */
	cr_assert_eq(rec.nej, 1, "random accesses ejected %u CPUs (expected exactly CPU 4, once)", rec.nej);
	cr_assert_eq(rec.ejected[0], 4, "ejected CPU %d, which had no unplug request", rec.ejected[0]);
	cr_assert_not(cpuhp_is_enabled(&h, 4));
	cr_assert(cpuhp_is_enabled(&h, 0));
	cr_assert(cpuhp_is_enabled(&h, 1));
}

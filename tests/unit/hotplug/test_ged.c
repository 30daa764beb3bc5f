// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "hotplug/ged.h"
#include "vmm/core/log.h"

static unsigned pulses;
static int pulse(void *ctx)
{
	(void)ctx;
	pulses++;
	return 0;
}

Test(ged, selector_is_read_to_clear)
{
	struct ged g;
	uint8_t d[4];

	pulses = 0;
	cr_assert_eq(ged_init(&g, pulse, NULL), 0);
	cr_assert_eq(ged_raise(&g, GED_EVT_CPU_HOTPLUG), 0);
	cr_assert_eq(ged_raise(&g, GED_EVT_PWR_DOWN), 0);
	cr_assert_eq(ged_raise(&g, 0x40), -EINVAL);
	cr_assert_eq(pulses, 2);
	ged_mmio(&g, 0, d, 4, false);
	cr_assert_eq(d[0], 0xa);
	ged_mmio(&g, 0, d, 4, false);
	cr_assert_eq(d[0], 0);
	log_set_level(LOG_ERR);
	cr_assert_eq(ged_raise(&g, GED_EVT_CPU_HOTPLUG), 0);
	memset(d, 0xff, 4);
	ged_mmio(&g, 0, d, 1, false);
	ged_mmio(&g, 0, d, 4, true);
	ged_mmio(&g, 2, d, 2, false);
	ged_mmio(&g, 0, d, 4, false);
	cr_assert_eq(d[0], 0x8, "narrow/odd accesses and writes do not clear it");
	log_set_level(LOG_INFO);
	ged_fini(&g);
}

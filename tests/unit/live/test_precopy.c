// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>

#include "migration/live/precopy.h"

Test(precopy, downtime_counts_device_state_load_and_round_trip)
{
	struct precopy p;

	precopy_init(&p, 300);
	p.pause_ms = 5;
	p.dest_load_ms = 20;
	p.rtt_ms = 2;
	p.state_bytes = 100000;
	precopy_pass_done(&p, 100 << 20, 100 << 20, 1000, 0); /* ~104858 B/ms, no compression */
	/* 0 dirty: pause + state/bw (~0.95 ms -> 0) + load + rtt */
	cr_assert_eq(precopy_expected_downtime(&p, 0), 5 + 0 + 20 + 2);
	/* 10 MiB dirty at ~100 MiB/s: +100 ms */
	cr_assert_eq(precopy_expected_downtime(&p, 10 << 20), 5 + 100 + 20 + 2 + 0);
	cr_assert(precopy_should_switch(&p, 10 << 20));
	cr_assert_not(precopy_should_switch(&p, 40 << 20), "400 ms of RAM is over a 300 ms limit");
}

Test(precopy, compression_shrinks_the_estimate)
{
	struct precopy p;

	precopy_init(&p, 300);
	precopy_pass_done(&p, 100 << 20, 25 << 20, 250, 0); /* 4:1 on the wire */
	cr_assert_lt(p.wire_ratio, 0.7);
	cr_assert_lt(precopy_expected_downtime(&p, 40 << 20), 300);
}

Test(precopy, throttles_after_two_passes_the_guest_outruns)
{
	struct precopy p;

	precopy_init(&p, 300);
	precopy_pass_done(&p, 10 << 20, 10 << 20, 100, 9 << 20);
	cr_assert_eq(p.throttle_pct, 0, "one pass is not a trend");
	precopy_pass_done(&p, 10 << 20, 10 << 20, 100, 9 << 20);
	cr_assert_eq(p.throttle_pct, PRECOPY_THROTTLE_INITIAL);
	precopy_pass_done(&p, 10 << 20, 10 << 20, 100, 9 << 20);
	precopy_pass_done(&p, 10 << 20, 10 << 20, 100, 9 << 20);
	cr_assert_eq(p.throttle_pct, PRECOPY_THROTTLE_INITIAL + PRECOPY_THROTTLE_STEP);
	precopy_pass_done(&p, 10 << 20, 10 << 20, 100, 1 << 20);
	cr_assert_eq(p.over_count, 0, "a pass that keeps up resets the trend");
	for (int i = 0; i < 40; i++)
		precopy_pass_done(&p, 10 << 20, 10 << 20, 100, 9 << 20);
	cr_assert_eq(p.throttle_pct, PRECOPY_THROTTLE_MAX);
}

Test(precopy, gives_up_converging_only_at_full_throttle_after_many_passes)
{
	struct precopy p;

	precopy_init(&p, 1);
	p.dest_load_ms = 50;
	for (unsigned i = 0; i < PRECOPY_MAX_PASSES; i++)
		precopy_pass_done(&p, 10 << 20, 10 << 20, 100, 9 << 20);
	cr_assert_eq(p.throttle_pct, PRECOPY_THROTTLE_MAX);
	cr_assert(precopy_should_switch(&p, 9 << 20));
	p.throttle_pct = 50;
	cr_assert_not(precopy_should_switch(&p, 9 << 20));
}

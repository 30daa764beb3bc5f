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
	cr_assert(precopy_should_switch(&p, 1 << 20), "1 MiB left, within the limit");
	cr_assert_not(precopy_should_switch(&p, 40 << 20), "400 ms of RAM is over a 300 ms limit");
}

Test(precopy, within_the_limit_passes_go_on_while_they_shrink_the_rest)
{
	struct precopy p;

	precopy_init(&p, 300);
	precopy_pass_done(&p, 512u << 20, 512u << 20, 4000, 16 << 20); /* pass 0: 16 MiB dirtied meanwhile */
	cr_assert_lt(precopy_expected_downtime(&p, 16 << 20), 300);
	cr_assert_not(precopy_should_switch(&p, 16 << 20), "one pass says nothing about the trend");
	precopy_pass_done(&p, 16 << 20, 16 << 20, 130, 8 << 20);
	cr_assert_not(precopy_should_switch(&p, 8 << 20), "16 -> 8 MiB: another pass halves the downtime");
	precopy_pass_done(&p, 8 << 20, 8 << 20, 65, 7 << 20);
	cr_assert(precopy_should_switch(&p, 7 << 20), "8 -> 7 MiB: converged");
	/* A guest that keeps shrinking is still switched after PRECOPY_SETTLE_PASSES. */
	precopy_init(&p, 300);
	uint64_t d = 64ull << 20;

	for (unsigned i = 0; i < PRECOPY_SETTLE_PASSES - 1; i++, d /= 2) {
		precopy_pass_done(&p, d, d, 100, d / 2);
		cr_assert_not(precopy_should_switch(&p, d / 2) && d / 2 > PRECOPY_SMALL_BYTES, "pass %u", i);
	}
	precopy_pass_done(&p, d, d, 100, d / 2);
	cr_assert(precopy_should_switch(&p, d / 2));
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

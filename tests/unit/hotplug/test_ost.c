// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>

#include "hotplug/ost.h"

Test(ost, reports_come_out_in_order)
{
	struct ost_queue q;
	struct ost_report r;

	cr_assert_eq(ost_queue_init(&q), 0);
	cr_assert_not(ost_queue_pop(&q, &r));
	cr_assert_not(ost_queue_push(&q, (struct ost_report){ .vcpu = 4, .event = 1, .status = 0x80 }));
	cr_assert_not(ost_queue_push(&q, (struct ost_report){ .vcpu = 5, .event = 3, .status = 0 }));
	cr_assert(ost_queue_pop(&q, &r));
	cr_assert_eq(r.vcpu, 4);
	cr_assert_eq(r.status, 0x80);
	cr_assert(ost_queue_pop(&q, &r));
	cr_assert_eq(r.vcpu, 5);
	cr_assert_not(ost_queue_pop(&q, &r));
	ost_queue_fini(&q);
}

Test(ost, full_queue_drops_the_oldest)
{
	struct ost_queue q;
	struct ost_report r;
	unsigned i, dropped = 0;

	cr_assert_eq(ost_queue_init(&q), 0);
	for (i = 0; i < OST_QUEUE_LEN + 3; i++)
		dropped += ost_queue_push(&q, (struct ost_report){ .vcpu = i });
	cr_assert_eq(dropped, 3);
	cr_assert(ost_queue_pop(&q, &r));
	cr_assert_eq(r.vcpu, 3, "the three oldest were dropped");
	for (i = 1; ost_queue_pop(&q, &r); i++)
		;
	cr_assert_eq(i, OST_QUEUE_LEN);
	ost_queue_fini(&q);
}

Test(ost, equal_reports_still_queued_are_coalesced)
{
	struct ost_queue q;
	struct ost_report r, a = { .vcpu = 4, .event = 1, .status = 0x80 };
	uint64_t c, l, d;

	cr_assert_eq(ost_queue_init(&q), 0);
	cr_assert_eq(ost_queue_offer(&q, a, 1000), OST_QUEUED);
	cr_assert_eq(ost_queue_offer(&q, a, 2000), OST_COALESCED);
	cr_assert_eq(ost_queue_offer(&q, (struct ost_report){ .vcpu = 4, .event = 1, .status = 0 }, 3000), OST_QUEUED);
	cr_assert(ost_queue_pop(&q, &r));
	cr_assert(ost_queue_pop(&q, &r));
	cr_assert_not(ost_queue_pop(&q, &r));
	/* Once forwarded, the same report is a new one. */
	cr_assert_eq(ost_queue_offer(&q, a, 4000), OST_QUEUED);
	ost_queue_counts(&q, &c, &l, &d);
	cr_assert_eq(c, 1);
	cr_assert_eq(l, 0);
	cr_assert_eq(d, 0);
	ost_queue_fini(&q);
}

Test(ost, a_flood_is_rate_limited)
{
	struct ost_queue q;
	struct ost_report r;
	uint64_t t = 5000000000ULL, c, l, d;
	unsigned i, queued = 0, popped = 0;

	cr_assert_eq(ost_queue_init(&q), 0);
	/* 10000 distinct reports within one millisecond, drained as they come. */
	for (i = 0; i < 10000; i++) {
		if (ost_queue_offer(&q, (struct ost_report){ .vcpu = 1, .event = 1, .status = i }, t + i * 100) ==
		    OST_QUEUED)
			queued++;
		while (ost_queue_pop(&q, &r))
			popped++;
	}
	cr_assert_eq(queued, OST_BURST, "a burst of %u, then the rate (saw %u)", OST_BURST, queued);
	cr_assert_eq(popped, queued);
	ost_queue_counts(&q, &c, &l, &d);
	cr_assert_eq(l, 10000 - OST_BURST);
	/* One second later OST_RATE_PER_S more get through, not more. */
	t += 1000000000ULL + 10000 * 100;
	for (i = 0, queued = 0; i < 100; i++) {
		queued += ost_queue_offer(&q, (struct ost_report){ .vcpu = 2, .status = i }, t) == OST_QUEUED;
		while (ost_queue_pop(&q, &r))
			;
	}
	cr_assert_eq(queued, OST_RATE_PER_S, "saw %u", queued);
	/* A long quiet spell refills the bucket to the burst, no further. */
	t += 3600ULL * 1000000000ULL;
	for (i = 0, queued = 0; i < 100; i++) {
		queued += ost_queue_offer(&q, (struct ost_report){ .vcpu = 3, .status = i }, t) == OST_QUEUED;
		while (ost_queue_pop(&q, &r))
			;
	}
	cr_assert_eq(queued, OST_BURST, "saw %u", queued);
	ost_queue_fini(&q);
}

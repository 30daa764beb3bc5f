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

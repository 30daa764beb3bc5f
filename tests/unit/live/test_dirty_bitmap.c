// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>

#include "migration/live/dirty_bitmap.h"

Test(dirty_bitmap, init_rejects_unaligned_and_empty)
{
	struct dirty_bitmap b;

	cr_assert_eq(dirty_bitmap_init(&b, 0), -EINVAL);
	cr_assert_eq(dirty_bitmap_init(&b, 4097), -EINVAL);
	cr_assert_eq(dirty_bitmap_init(&b, 4096), 0);
	cr_assert_eq(b.npages, 1);
	dirty_bitmap_fini(&b);
}

Test(dirty_bitmap, mark_covers_every_touched_page_and_clamps)
{
	struct dirty_bitmap b;

	cr_assert_eq(dirty_bitmap_init(&b, 100 * DIRTY_PAGE_SIZE), 0);
	dirty_bitmap_mark(&b, 4095, 2); /* straddles pages 0 and 1 */
	cr_assert(dirty_bitmap_test(&b, 0) && dirty_bitmap_test(&b, 1) && !dirty_bitmap_test(&b, 2));
	dirty_bitmap_mark(&b, 99 * DIRTY_PAGE_SIZE, 1ULL << 40); /* runs past the end */
	cr_assert(dirty_bitmap_test(&b, 99));
	dirty_bitmap_mark(&b, 100 * DIRTY_PAGE_SIZE, 10); /* outside: ignored */
	dirty_bitmap_mark(&b, 5 * DIRTY_PAGE_SIZE, 0);    /* empty: ignored */
	cr_assert_eq(dirty_bitmap_count(&b), 3);
	dirty_bitmap_fini(&b);
}

Test(dirty_bitmap, merge_masks_bits_past_the_last_page)
{
	struct dirty_bitmap b;
	uint64_t src[2] = { ~0ULL, ~0ULL };

	cr_assert_eq(dirty_bitmap_init(&b, 70 * DIRTY_PAGE_SIZE), 0);
	dirty_bitmap_merge(&b, 0, src, 2);
	cr_assert_eq(dirty_bitmap_count(&b), 70, "got %llu", (unsigned long long)dirty_bitmap_count(&b));
	dirty_bitmap_merge(&b, 3, src, 1);   /* misaligned: refused */
	dirty_bitmap_merge(&b, 128, src, 1); /* past the end: refused */
	cr_assert_eq(dirty_bitmap_count(&b), 70);
	dirty_bitmap_fini(&b);
}

Test(dirty_bitmap, take_clears_what_it_returns)
{
	struct dirty_bitmap b;
	uint64_t out[4], cursor = 0, n, total = 0, i;

	cr_assert_eq(dirty_bitmap_init(&b, 256 * DIRTY_PAGE_SIZE), 0);
	dirty_bitmap_set_all(&b);
	while ((n = dirty_bitmap_take(&b, &cursor, out, 3)) > 0)
		for (i = 0; i < n; i++)
			total += (uint64_t)__builtin_popcountll(out[i]);
	cr_assert_eq(total, 256);
	cr_assert_eq(dirty_bitmap_count(&b), 0);
	/* A page marked after it was taken is there for the next pass. */
	dirty_bitmap_mark(&b, 7 * DIRTY_PAGE_SIZE, 1);
	cursor = 0;
	cr_assert_eq(dirty_bitmap_take(&b, &cursor, out, 4), 4);
	cr_assert_eq(out[0], 1ULL << 7);
	dirty_bitmap_fini(&b);
}

struct marker {
	struct dirty_bitmap *b;
	unsigned first;
};

static void *mark_half(void *arg)
{
	struct marker *m = arg;
	unsigned p;

	for (p = m->first; p < 4096; p += 2)
		dirty_bitmap_mark(m->b, (uint64_t)p * DIRTY_PAGE_SIZE, 1);
	return NULL;
}

Test(dirty_bitmap, concurrent_marks_are_not_lost)
{
	struct dirty_bitmap b;
	struct marker m0 = { &b, 0 }, m1 = { &b, 1 };
	pthread_t t0, t1;

	cr_assert_eq(dirty_bitmap_init(&b, 4096 * DIRTY_PAGE_SIZE), 0);
	pthread_create(&t0, NULL, mark_half, &m0);
	pthread_create(&t1, NULL, mark_half, &m1);
	pthread_join(t0, NULL);
	pthread_join(t1, NULL);
	cr_assert_eq(dirty_bitmap_count(&b), 4096);
	dirty_bitmap_fini(&b);
}

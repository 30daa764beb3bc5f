// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "migration/live/dirty_bitmap.h"

int dirty_bitmap_init(struct dirty_bitmap *b, uint64_t bytes)
{
	memset(b, 0, sizeof(*b));
	if (bytes == 0 || bytes % DIRTY_PAGE_SIZE)
		return -EINVAL;
	b->npages = bytes >> DIRTY_PAGE_SHIFT;
	b->nwords = (b->npages + 63) / 64;
	b->words = calloc(b->nwords, sizeof(*b->words));
	if (!b->words) {
		memset(b, 0, sizeof(*b));
		return -ENOMEM;
	}
	return 0;
}

void dirty_bitmap_fini(struct dirty_bitmap *b)
{
	free(b->words);
	memset(b, 0, sizeof(*b));
}

static void set_range(struct dirty_bitmap *b, uint64_t first, uint64_t last)
{
	uint64_t p;

	for (p = first; p <= last; p++)
		__atomic_fetch_or(&b->words[p / 64], 1ULL << (p % 64), __ATOMIC_RELAXED);
}

void dirty_bitmap_mark(struct dirty_bitmap *b, uint64_t offset, uint64_t len)
{
	uint64_t first, last;

	if (!len || !b->words || offset >= b->npages << DIRTY_PAGE_SHIFT)
		return;
	first = offset >> DIRTY_PAGE_SHIFT;
	last = len > (b->npages << DIRTY_PAGE_SHIFT) - offset ? b->npages - 1 : (offset + len - 1) >> DIRTY_PAGE_SHIFT;
	set_range(b, first, last);
}

void dirty_bitmap_set_all(struct dirty_bitmap *b)
{
	if (b->npages)
		set_range(b, 0, b->npages - 1);
}

void dirty_bitmap_merge(struct dirty_bitmap *b, uint64_t first_page, const uint64_t *src, uint64_t nwords)
{
	uint64_t w0 = first_page / 64, i;

	if (first_page % 64 || w0 >= b->nwords)
		return;
	if (nwords > b->nwords - w0)
		nwords = b->nwords - w0;
	for (i = 0; i < nwords; i++) {
		uint64_t bits = src[i];

		if (w0 + i == b->nwords - 1 && b->npages % 64)
			bits &= (1ULL << (b->npages % 64)) - 1;
		if (bits)
			__atomic_fetch_or(&b->words[w0 + i], bits, __ATOMIC_RELAXED);
	}
}

uint64_t dirty_bitmap_count(const struct dirty_bitmap *b)
{
	uint64_t i, n = 0;

	for (i = 0; i < b->nwords; i++)
		n += (uint64_t)__builtin_popcountll(__atomic_load_n(&b->words[i], __ATOMIC_RELAXED));
	return n;
}

bool dirty_bitmap_test(const struct dirty_bitmap *b, uint64_t page)
{
	return page < b->npages && (__atomic_load_n(&b->words[page / 64], __ATOMIC_RELAXED) >> (page % 64)) & 1;
}

uint64_t dirty_bitmap_take(struct dirty_bitmap *b, uint64_t *cursor, uint64_t *out, uint64_t max_words)
{
	uint64_t n = 0;

	while (*cursor < b->nwords && n < max_words) {
		out[n++] = __atomic_exchange_n(&b->words[*cursor], 0, __ATOMIC_ACQ_REL);
		(*cursor)++;
	}
	return n;
}

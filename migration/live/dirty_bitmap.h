/* SPDX-License-Identifier: MIT */
/*
 * The set of guest pages a migration pass must (re)send: one bit per 4 KiB page
 * of a RAM region.
 *
 * Three writers feed it: the first pass (every page), KVM's dirty log (merged in
 * at each sync), and the VMM itself — a device that writes guest RAM marks the
 * pages with dirty_bitmap_mark(), from any thread, lock-free. The migration
 * thread takes the set with dirty_bitmap_take(), which clears what it returns, so
 * a page marked while it is being sent is sent again in the next pass.
 */
#ifndef MIGRATION_LIVE_DIRTY_BITMAP_H
#define MIGRATION_LIVE_DIRTY_BITMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "migration/live/live.h"

#define DIRTY_PAGE_SHIFT 12
#define DIRTY_PAGE_SIZE (1ULL << DIRTY_PAGE_SHIFT)

struct dirty_bitmap {
	uint64_t *words;
	uint64_t npages;
	uint64_t nwords;
};

/* A bitmap for `bytes` of RAM (a multiple of the page size), all clear. */
int dirty_bitmap_init(struct dirty_bitmap *b, uint64_t bytes) __must_check;
void dirty_bitmap_fini(struct dirty_bitmap *b);

/* Marks the pages that [offset, offset + len) touches (clamped to the region). Thread-safe. */
void dirty_bitmap_mark(struct dirty_bitmap *b, uint64_t offset, uint64_t len);
void dirty_bitmap_set_all(struct dirty_bitmap *b);
/* ORs `nwords` words of a KVM-format bitmap (bit i = page first_page + i) in; first_page % 64 == 0. */
void dirty_bitmap_merge(struct dirty_bitmap *b, uint64_t first_page, const uint64_t *src, uint64_t nwords);
uint64_t dirty_bitmap_count(const struct dirty_bitmap *b);
bool dirty_bitmap_test(const struct dirty_bitmap *b, uint64_t page);

/*
 * Moves the set bits of words [*cursor, *cursor + max_words) into `out` (cleared in b)
 * and advances *cursor; returns the number of words copied (0 at the end).
 */
uint64_t dirty_bitmap_take(struct dirty_bitmap *b, uint64_t *cursor, uint64_t *out, uint64_t max_words);

#endif

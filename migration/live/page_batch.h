/* SPDX-License-Identifier: MIT */
/*
 * One batch of guest RAM pages on the wire: a span of up to PAGE_BATCH_MAX_PAGES
 * pages starting at a page-aligned GPA, a bitmap of the pages carried, a bitmap of
 * those that are zero (sent as a bit, never as data) and the other pages, zstd
 * compressed as one frame when that makes them smaller, raw otherwise.
 *
 * Wire format (little endian), PAGE_BATCH_HDR_LEN + 16 * words bytes, then data:
 *   0  u32 magic   PAGE_BATCH_MAGIC ("PGB1")
 *   4  u16 npages  1..PAGE_BATCH_MAX_PAGES, npages << page_shift <= PAGE_BATCH_MAX_SPAN
 *   6  u8  page_shift 12..16
 *   7  u8  flags   PAGE_BATCH_F_ZSTD; other bits must be 0
 *   8  u64 gpa     page aligned
 *  16  u32 raw_len bytes of the carried non-zero pages (count << page_shift)
 *  20  u32 data_len bytes that follow the bitmaps (== raw_len when not compressed,
 *                  < raw_len when compressed)
 *  24  u64 carried[words], u64 zero[words]   words = ceil(npages / 64);
 *                  zero is a subset of carried, bits past npages are 0
 *  ..  data        the non-zero carried pages in GPA order (or one zstd frame of them)
 *
 * The decoder treats its input as hostile: every length, count, bit and the GPA
 * range are checked and the batch is fully decoded into scratch before a single
 * byte of guest RAM is written, so a refused batch changes nothing.
 */
#ifndef MIGRATION_LIVE_PAGE_BATCH_H
#define MIGRATION_LIVE_PAGE_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "migration/live/live.h"

#define PAGE_BATCH_MAGIC 0x31424750u /* "PGB1" */
#define PAGE_BATCH_HDR_LEN 24u
#define PAGE_BATCH_MAX_PAGES 256u
#define PAGE_BATCH_MAX_SPAN (1u << 20)
#define PAGE_BATCH_MIN_SHIFT 12u
#define PAGE_BATCH_MAX_SHIFT 16u
#define PAGE_BATCH_F_ZSTD 0x01u

/* A compression level of 0 turns zstd off; otherwise any level zstd accepts. */
#define PAGE_BATCH_LEVEL_OFF 0

/*
 * A guest RAM region the decoder may write: [gpa, gpa + size) at host. written is
 * optional: one bit per 4 KiB of the region, all clear while the region is known
 * to be zero (a fresh mapping). The decoder then sets the bits of the pages it
 * writes and leaves zero pages over never-written memory untouched, so they are
 * neither read (page fault) nor allocated on the destination.
 */
struct ram_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
	uint64_t *written;
};

/* What one batch held (encoder output or decoder result). */
struct page_batch_info {
	uint64_t gpa;
	uint32_t npages;     /* span length */
	uint32_t carried;    /* pages in the batch */
	uint32_t zero;       /* of those, zero pages */
	uint32_t raw_len;    /* bytes of non-zero pages */
	uint32_t data_len;   /* bytes of data on the wire */
	bool compressed;
};

struct page_batch_enc;
struct page_batch_dec;

/* Largest encoding of a span of npages pages of 1 << page_shift bytes. */
size_t page_batch_max_len(unsigned npages, unsigned page_shift);

/* Encoder with its zstd context; level PAGE_BATCH_LEVEL_OFF never compresses. */
int page_batch_enc_create(struct page_batch_enc **out, int level, struct mig_err *e) __must_check;
void page_batch_enc_destroy(struct page_batch_enc *enc);
/* The next page_batch_encode() sends its pages raw without trying zstd (the caller
 * measured raw to move RAM faster: compress_ctl.h); the back-off is unchanged. */
void page_batch_enc_raw_next(struct page_batch_enc *enc);

/*
 * Encodes the pages of the span [gpa, gpa + npages pages) found at host (the span's
 * first page) whose bit is set in carried (NULL: every page) into out (out_cap >=
 * page_batch_max_len()). Writes the encoded length to *out_len and, if info is
 * not NULL, what was encoded. A batch that zstd does not shrink goes raw; after
 * such a batch the encoder backs off (skips the attempt for a growing number of
 * batches, at most 32) and probes again, so incompressible memory costs little.
 */
int page_batch_encode(struct page_batch_enc *enc, uint64_t gpa, unsigned page_shift, unsigned npages,
		      const uint64_t *carried, const void *host, uint8_t *out, size_t out_cap,
		      size_t *out_len, struct page_batch_info *info, struct mig_err *e) __must_check;

int page_batch_dec_create(struct page_batch_dec **out, struct mig_err *e) __must_check;
void page_batch_dec_destroy(struct page_batch_dec *dec);

/*
 * Checks the batch in buf[0, len) (exactly one batch), decodes it and writes its
 * pages into the region of regions[0, nregions) that holds the whole span. Zero pages
 * are cleared only when not already zero (an untouched destination page stays
 * unallocated). -EBADMSG for a malformed batch, -ERANGE for a span outside every
 * region, with the reason in e; guest RAM is untouched on any error.
 */
int page_batch_decode(struct page_batch_dec *dec, const uint8_t *buf, size_t len,
		      const struct ram_region *regions, unsigned nregions,
		      struct page_batch_info *info, struct mig_err *e) __must_check;

/* True when the len bytes at p (len a multiple of 64, p 8-byte aligned) are all zero. */
bool page_is_zero(const void *p, size_t len);

#endif

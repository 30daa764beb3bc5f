// SPDX-License-Identifier: MIT
/*
 * RAM page batches: round trips of random, zero, mixed, compressible and
 * incompressible spans at several levels (zero pages never carried as data,
 * compression skipped when it does not shrink), and refusal of every class of
 * damaged input (truncation at every byte, bad counts, bitmaps, lengths, GPA
 * outside RAM, bad zstd data) without touching guest RAM.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "migration/live/page_batch.h"
#include "migration/live/wire.h"

TestSuite(live_page_batch, .timeout = 30);

#define PS 4096u
#define NP 64u
#define GPA 0x40000000ull

static struct mig_err err;
static uint8_t *src, *dst, *out;
static size_t out_cap;
static struct page_batch_enc *enc;
static struct page_batch_dec *dec;
static struct ram_region ram;

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 8 <= n; i += 8) {
		uint64_t v = next_rand();

		memcpy(p + i, &v, 8);
	}
}

/* Page i: zero if kind 'z', random if 'r', text-like (compressible) if 't'. */
static void fill_page(uint8_t *p, char kind, unsigned i)
{
	if (kind == 'z')
		memset(p, 0, PS);
	else if (kind == 'r')
		fill_random(p, PS);
	else
		for (unsigned j = 0; j < PS; j++)
			p[j] = (uint8_t)("guest kernel text "[(i + j) % 18]);
}

static void setup_level(int level)
{
	out_cap = page_batch_max_len(NP, 12);
	src = aligned_alloc(PS, NP * PS);
	dst = aligned_alloc(PS, NP * PS);
	out = malloc(out_cap);
	cr_assert(src && dst && out);
	memset(dst, 0xee, NP * PS);
	cr_assert_eq(page_batch_enc_create(&enc, level, &err), 0, "%s", err.msg);
	cr_assert_eq(page_batch_dec_create(&dec, &err), 0, "%s", err.msg);
	ram = (struct ram_region){ .gpa = GPA, .size = NP * PS, .host = dst };
}

static void setup(void)
{
	setup_level(1);
}

static void teardown(void)
{
	page_batch_enc_destroy(enc);
	page_batch_dec_destroy(dec);
	free(src);
	free(dst);
	free(out);
	enc = NULL;
	dec = NULL;
}

static size_t encode(const char *pattern, const uint64_t *carried, struct page_batch_info *info)
{
	size_t len = 0;

	for (unsigned i = 0; i < NP; i++)
		fill_page(src + i * PS, pattern[i % strlen(pattern)], i);
	cr_assert_eq(page_batch_encode(enc, GPA, 12, NP, carried, src, out, out_cap, &len, info, &err), 0, "%s",
		     err.msg);
	return len;
}

static void decode_ok(size_t len, struct page_batch_info *info)
{
	int ret = page_batch_decode(dec, out, len, &ram, 1, info, &err);

	cr_assert_eq(ret, 0, "decode: %d %s", ret, err.msg);
}

Test(live_page_batch, random_pages_go_raw, .init = setup, .fini = teardown)
{
	struct page_batch_info ei, di;
	size_t len = encode("r", NULL, &ei);

	cr_expect_not(ei.compressed, "random pages must not be sent compressed");
	cr_expect_eq(ei.zero, 0);
	cr_expect_eq(len, page_batch_max_len(NP, 12));
	decode_ok(len, &di);
	cr_expect_eq(memcmp(src, dst, NP * PS), 0);
	cr_expect_eq(di.carried, NP);
}

Test(live_page_batch, zero_pages_are_markers, .init = setup, .fini = teardown)
{
	struct page_batch_info ei;
	size_t len = encode("z", NULL, &ei);

	cr_expect_eq(ei.zero, NP);
	cr_expect_eq(ei.data_len, 0, "zero pages carried %u data bytes", ei.data_len);
	cr_expect_eq(len, PAGE_BATCH_HDR_LEN + 16, "zero batch is %zu bytes", len);
	decode_ok(len, NULL);
	cr_expect_eq(memcmp(src, dst, NP * PS), 0);
}

Test(live_page_batch, mixed_pages_round_trip, .init = setup, .fini = teardown)
{
	struct page_batch_info ei;
	size_t len = encode("rztzzt", NULL, &ei);

	cr_expect(ei.compressed, "text pages should compress");
	cr_expect_lt(len, (size_t)(NP - ei.zero) * PS);
	decode_ok(len, NULL);
	cr_expect_eq(memcmp(src, dst, NP * PS), 0);
}

Test(live_page_batch, sparse_carried_mask, .init = setup, .fini = teardown)
{
	uint64_t mask = 0x00f0f0f0f0f0f0ffull;
	struct page_batch_info ei, di;
	size_t len = encode("tzr", &mask, &ei);

	cr_expect_eq(ei.carried, (uint32_t)__builtin_popcountll(mask));
	decode_ok(len, &di);
	for (unsigned i = 0; i < NP; i++) {
		bool want = (mask >> i) & 1;
		uint8_t fill[PS];

		memset(fill, 0xee, PS);
		cr_expect_eq(memcmp(dst + i * PS, want ? src + i * PS : fill, PS), 0, "page %u", i);
	}
}

Test(live_page_batch, compression_off)
{
	struct page_batch_info ei;

	setup_level(PAGE_BATCH_LEVEL_OFF);
	size_t len = encode("t", NULL, &ei);

	cr_expect_not(ei.compressed);
	decode_ok(len, NULL);
	cr_expect_eq(memcmp(src, dst, NP * PS), 0);
	teardown();
}

Test(live_page_batch, higher_level_not_larger)
{
	size_t len1, len19;

	setup_level(1);
	len1 = encode("trtt", NULL, NULL);
	teardown();
	setup_level(19);
	len19 = encode("trtt", NULL, NULL);
	decode_ok(len19, NULL);
	cr_expect_eq(memcmp(src, dst, NP * PS), 0);
	teardown();
	cr_expect_leq(len19, len1, "level 19: %zu bytes, level 1: %zu", len19, len1);
}

Test(live_page_batch, bad_level_refused)
{
	cr_expect_eq(page_batch_enc_create(&enc, 1000, &err), -EINVAL);
	cr_expect(strstr(err.msg, "level 1000"), "%s", err.msg);
}

Test(live_page_batch, incompressible_backs_off_then_probes, .init = setup, .fini = teardown)
{
	struct page_batch_info ei;
	unsigned compressed = 0;

	for (int i = 0; i < 8; i++)
		encode("r", NULL, NULL);
	/* Compressible again: within the back-off window (≤ 32 batches) it recovers. */
	for (int i = 0; i < 40; i++) {
		encode("t", NULL, &ei);
		compressed += ei.compressed;
	}
	cr_expect_gt(compressed, 0, "encoder never probed again");
}

/* --- damaged input: each must fail with a reason and leave RAM as it was --- */

static void expect_refused(size_t len, int want, const char *substr)
{
	uint8_t *before = malloc(NP * PS);

	memcpy(before, dst, NP * PS);
	int ret = page_batch_decode(dec, out, len, &ram, 1, NULL, &err);

	cr_expect_eq(ret, want, "ret %d, expected %d (%s)", ret, want, err.msg);
	if (substr)
		cr_expect(strstr(err.msg, substr), "message '%s' lacks '%s'", err.msg, substr);
	cr_expect_eq(memcmp(before, dst, NP * PS), 0, "RAM changed by a refused batch");
	free(before);
}

Test(live_page_batch, truncation_at_every_byte, .init = setup, .fini = teardown)
{
	size_t len = encode("tzr", NULL, NULL);

	for (size_t l = 0; l < len; l++) {
		int ret = page_batch_decode(dec, out, l, &ram, 1, NULL, &err);

		cr_assert_eq(ret, -EBADMSG, "truncated to %zu of %zu: %d", l, len, ret);
	}
	cr_expect_eq(dst[0], 0xee);
}

Test(live_page_batch, trailing_byte_refused, .init = setup, .fini = teardown)
{
	size_t len = encode("tz", NULL, NULL);

	expect_refused(len + 1, -EBADMSG, "follow the header");
}

Test(live_page_batch, header_fields_refused, .init = setup, .fini = teardown)
{
	size_t len = encode("tzr", NULL, NULL);
	uint8_t *good = malloc(len);

	memcpy(good, out, len);
	out[0] ^= 1;
	expect_refused(len, -EBADMSG, "magic");
	memcpy(out, good, len);
	wire_put16(out + 4, 0);
	expect_refused(len, -EBADMSG, "exceed");
	wire_put16(out + 4, PAGE_BATCH_MAX_PAGES + 1);
	expect_refused(len, -EBADMSG, "exceed");
	memcpy(out, good, len);
	out[6] = 11;
	expect_refused(len, -EBADMSG, "shift");
	out[6] = 20;
	expect_refused(len, -EBADMSG, "shift");
	memcpy(out, good, len);
	out[7] |= 0x80;
	expect_refused(len, -EBADMSG, "flags");
	memcpy(out, good, len);
	wire_put64(out + 8, GPA + 1);
	expect_refused(len, -EBADMSG, "aligned");
	memcpy(out, good, len);
	wire_put32(out + 16, wire_get32(out + 16) + PS);
	expect_refused(len, -EBADMSG, "raw length");
	memcpy(out, good, len);
	wire_put32(out + 20, wire_get32(out + 20) - 1);
	expect_refused(len, -EBADMSG, "data length");
	free(good);
}

Test(live_page_batch, bitmaps_refused, .init = setup, .fini = teardown)
{
	size_t len = encode("z", NULL, NULL);
	uint64_t c = wire_get64(out + PAGE_BATCH_HDR_LEN);

	/* A zero page that is not carried. */
	wire_put64(out + PAGE_BATCH_HDR_LEN, c & ~1ull);
	expect_refused(len, -EBADMSG, "not marked");
	wire_put64(out + PAGE_BATCH_HDR_LEN, c);
	/* Bits past npages. */
	wire_put16(out + 4, NP - 1);
	expect_refused(len, -EBADMSG, "past page");
}

Test(live_page_batch, gpa_out_of_range, .init = setup, .fini = teardown)
{
	size_t len = encode("tz", NULL, NULL);

	wire_put64(out + 8, GPA + PS);
	expect_refused(len, -ERANGE, "outside guest RAM");
	wire_put64(out + 8, GPA - PS);
	expect_refused(len, -ERANGE, "outside guest RAM");
	wire_put64(out + 8, 0xfffffffffffff000ull);
	expect_refused(len, -ERANGE, "outside guest RAM");
	cr_expect_eq(page_batch_decode(dec, out, len, &ram, 0, NULL, &err), -ERANGE);
}

Test(live_page_batch, bad_zstd_data, .init = setup, .fini = teardown)
{
	struct page_batch_info ei;
	size_t len = encode("t", NULL, &ei), hlen = PAGE_BATCH_HDR_LEN + 16;

	cr_assert(ei.compressed);
	uint8_t *good = malloc(len);

	memcpy(good, out, len);
	/* Flip bits all over the frame body (past its header, keeping the size field). */
	for (size_t off = hlen + 6; off < len; off++) {
		memcpy(out, good, len);
		out[off] ^= 0x5a;
		int ret = page_batch_decode(dec, out, len, &ram, 1, NULL, &err);

		/* Bit flips inside literals may still decompress to a valid size: accept
		 * only 0 (RAM then written with wrong data, which TLS prevents) or -EBADMSG. */
		cr_assert(ret == 0 || ret == -EBADMSG, "offset %zu: %d", off, ret);
	}
	memcpy(out, good, len);
	memset(out + hlen, 0, 4);
	expect_refused(len, -EBADMSG, "zstd");
	free(good);
}

Test(live_page_batch, written_map_skips_fresh_zero_pages, .init = setup, .fini = teardown)
{
	uint64_t written[1] = { 0 }, one = 1;
	struct ram_region r = { .gpa = GPA, .size = NP * PS, .host = dst, .written = written };
	size_t len;

	/* Zero pages over never-written memory: not touched at all. */
	len = encode("z", NULL, NULL);
	cr_assert_eq(page_batch_decode(dec, out, len, &r, 1, NULL, &err), 0, "%s", err.msg);
	cr_expect_eq(dst[0], 0xee, "a zero page over never-written memory was written");
	/* Data then zero at page 0: the data marks it written, the zero page clears it. */
	len = encode("t", &one, NULL);
	cr_assert_eq(page_batch_decode(dec, out, len, &r, 1, NULL, &err), 0, "%s", err.msg);
	cr_expect_eq(written[0], 1);
	len = encode("z", &one, NULL);
	cr_assert_eq(page_batch_decode(dec, out, len, &r, 1, NULL, &err), 0, "%s", err.msg);
	cr_expect_eq(written[0], 0);
	cr_expect(page_is_zero(dst, PS), "written page not cleared by a zero page");
}

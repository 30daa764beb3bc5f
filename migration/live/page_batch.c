// SPDX-License-Identifier: MIT
/* Encoder and hostile-input decoder of one RAM page batch (format in page_batch.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "migration/live/page_batch.h"
#include "migration/live/wire.h"

#define WORDS(n) (((n) + 63u) / 64u)
#define BACKOFF_MAX 32u

struct page_batch_enc {
	ZSTD_CCtx *cctx;
	int level;
	unsigned backoff;  /* next skip length after a batch that did not shrink */
	unsigned skip;     /* batches left to send raw without trying */
	bool raw_next;     /* the next batch goes raw (page_batch_enc_raw_next) */
};

struct page_batch_dec {
	ZSTD_DCtx *dctx;
	uint8_t *scratch; /* PAGE_BATCH_MAX_SPAN: decompressed pages before they are applied */
};

size_t page_batch_max_len(unsigned npages, unsigned page_shift)
{
	return PAGE_BATCH_HDR_LEN + 16u * WORDS(npages) + ((size_t)npages << page_shift);
}

bool page_is_zero(const void *p, size_t len)
{
	const uint64_t *w = p;

	/* The first word rejects most non-zero pages at once. */
	if (w[0])
		return false;
	for (size_t i = 0; i < len / 8; i += 8) {
		uint64_t acc = w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7];

		if (acc)
			return false;
	}
	return true;
}

static bool bit(const uint64_t *map, unsigned i)
{
	return (map[i / 64] >> (i % 64)) & 1;
}

int page_batch_enc_create(struct page_batch_enc **out, int level, struct mig_err *e)
{
	struct page_batch_enc *enc = calloc(1, sizeof(*enc));

	if (!enc) {
		mig_err_set(e, "page batch encoder: out of memory");
		return -ENOMEM;
	}
	enc->level = level;
	enc->backoff = 1;
	if (level != PAGE_BATCH_LEVEL_OFF) {
		if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel()) {
			mig_err_set(e, "zstd level %d outside [%d, %d]", level, ZSTD_minCLevel(), ZSTD_maxCLevel());
			free(enc);
			return -EINVAL;
		}
		enc->cctx = ZSTD_createCCtx();
		if (!enc->cctx ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(enc->cctx, ZSTD_c_compressionLevel, level)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(enc->cctx, ZSTD_c_checksumFlag, 0))) {
			mig_err_set(e, "page batch encoder: cannot set up zstd");
			ZSTD_freeCCtx(enc->cctx);
			free(enc);
			return -ENOMEM;
		}
	}
	*out = enc;
	return 0;
}

void page_batch_enc_raw_next(struct page_batch_enc *enc)
{
	enc->raw_next = true;
}

void page_batch_enc_destroy(struct page_batch_enc *enc)
{
	if (!enc)
		return;
	ZSTD_freeCCtx(enc->cctx);
	free(enc);
}

/*
 * Compresses the non-zero carried pages as one zstd frame straight from guest
 * memory (no gather copy) into dst, at most cap bytes. Returns the frame length,
 * 0 when it would not fit (did not shrink), -errno on a zstd failure.
 */
static long compress_pages(struct page_batch_enc *enc, const uint8_t *host, unsigned npages, unsigned shift,
			   const uint64_t *carried, const uint64_t *zero, uint32_t raw_len, uint8_t *dst, size_t cap)
{
	ZSTD_outBuffer ob = { .dst = dst, .size = cap, .pos = 0 };
	size_t psz = (size_t)1 << shift;

	ZSTD_CCtx_reset(enc->cctx, ZSTD_reset_session_only);
	if (ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(enc->cctx, raw_len)))
		return -EIO;
	for (unsigned i = 0; i < npages; i++) {
		if (!bit(carried, i) || bit(zero, i))
			continue;
		ZSTD_inBuffer ib = { .src = host + ((size_t)i << shift), .size = psz, .pos = 0 };

		while (ib.pos < ib.size) {
			size_t r = ZSTD_compressStream2(enc->cctx, &ob, &ib, ZSTD_e_continue);

			if (ZSTD_isError(r))
				return -EIO;
			if (ob.pos == ob.size)
				return 0;
		}
	}
	for (;;) {
		ZSTD_inBuffer none = { .src = NULL, .size = 0, .pos = 0 };
		size_t r = ZSTD_compressStream2(enc->cctx, &ob, &none, ZSTD_e_end);

		if (ZSTD_isError(r))
			return ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall ? 0 : -EIO;
		if (r == 0)
			break;
		if (ob.pos == ob.size)
			return 0;
	}
	return ob.pos < cap ? (long)ob.pos : 0;
}

int page_batch_encode(struct page_batch_enc *enc, uint64_t gpa, unsigned page_shift, unsigned npages,
		      const uint64_t *carried, const void *host, uint8_t *out, size_t out_cap,
		      size_t *out_len, struct page_batch_info *info, struct mig_err *e)
{
	uint64_t cmap[WORDS(PAGE_BATCH_MAX_PAGES)] = { 0 }, zmap[WORDS(PAGE_BATCH_MAX_PAGES)] = { 0 };
	size_t psz = (size_t)1 << page_shift, words = WORDS(npages), hlen;
	uint32_t ncarried = 0, nzero = 0, raw_len, data_len;
	const uint8_t *base = host;
	uint8_t *data;
	bool compressed = false;

	if (page_shift < PAGE_BATCH_MIN_SHIFT || page_shift > PAGE_BATCH_MAX_SHIFT || npages == 0 ||
	    npages > PAGE_BATCH_MAX_PAGES || ((size_t)npages << page_shift) > PAGE_BATCH_MAX_SPAN ||
	    (gpa & (psz - 1)) || gpa + ((uint64_t)npages << page_shift) < gpa) {
		mig_err_set(e, "page batch: bad span gpa 0x%llx, %u pages of 2^%u", (unsigned long long)gpa,
			    npages, page_shift);
		return -EINVAL;
	}
	if (out_cap < page_batch_max_len(npages, page_shift)) {
		mig_err_set(e, "page batch: output buffer of %zu bytes is too small", out_cap);
		return -ENOSPC;
	}
	hlen = PAGE_BATCH_HDR_LEN + 16 * words;
	data = out + hlen;
	for (unsigned i = 0; i < npages; i++) {
		if (carried && !bit(carried, i))
			continue;
		cmap[i / 64] |= 1ull << (i % 64);
		ncarried++;
		if (page_is_zero(base + i * psz, psz)) {
			zmap[i / 64] |= 1ull << (i % 64);
			nzero++;
		}
	}
	raw_len = (uint32_t)((ncarried - nzero) * psz);
	data_len = raw_len;
	if (enc->raw_next) {
		enc->raw_next = false;
	} else if (raw_len && enc->cctx && enc->skip == 0) {
		long n = compress_pages(enc, base, npages, page_shift, cmap, zmap, raw_len, data, raw_len - 1);

		if (n < 0) {
			mig_err_set(e, "page batch: zstd compression failed");
			return (int)n;
		}
		if (n > 0) {
			compressed = true;
			data_len = (uint32_t)n;
			enc->backoff = 1;
		} else {
			enc->skip = enc->backoff;
			enc->backoff = MIN(enc->backoff * 2, BACKOFF_MAX);
		}
	} else if (raw_len && enc->skip) {
		enc->skip--;
	}
	if (!compressed) {
		uint8_t *p = data;

		for (unsigned i = 0; i < npages; i++) {
			if (bit(cmap, i) && !bit(zmap, i)) {
				memcpy(p, base + i * psz, psz);
				p += psz;
			}
		}
	}
	wire_put32(out, PAGE_BATCH_MAGIC);
	wire_put16(out + 4, (uint16_t)npages);
	out[6] = (uint8_t)page_shift;
	out[7] = compressed ? PAGE_BATCH_F_ZSTD : 0;
	wire_put64(out + 8, gpa);
	wire_put32(out + 16, raw_len);
	wire_put32(out + 20, data_len);
	for (size_t w = 0; w < words; w++) {
		wire_put64(out + PAGE_BATCH_HDR_LEN + 8 * w, cmap[w]);
		wire_put64(out + PAGE_BATCH_HDR_LEN + 8 * (words + w), zmap[w]);
	}
	*out_len = hlen + data_len;
	if (info)
		*info = (struct page_batch_info){ .gpa = gpa, .npages = npages, .carried = ncarried, .zero = nzero,
						  .raw_len = raw_len, .data_len = data_len, .compressed = compressed };
	return 0;
}

int page_batch_dec_create(struct page_batch_dec **out, struct mig_err *e)
{
	struct page_batch_dec *dec = calloc(1, sizeof(*dec));

	if (!dec)
		goto err_nomem;
	dec->dctx = ZSTD_createDCtx();
	dec->scratch = malloc(PAGE_BATCH_MAX_SPAN);
	if (!dec->dctx || !dec->scratch)
		goto err_free;
	*out = dec;
	return 0;

err_free:
	page_batch_dec_destroy(dec);
err_nomem:
	mig_err_set(e, "page batch decoder: out of memory");
	return -ENOMEM;
}

void page_batch_dec_destroy(struct page_batch_dec *dec)
{
	if (!dec)
		return;
	ZSTD_freeDCtx(dec->dctx);
	free(dec->scratch);
	free(dec);
}

/* Tests (any) or sets/clears the written bits of [off, off + len) of a region. */
static bool written_any(const uint64_t *w, uint64_t off, size_t len)
{
	for (uint64_t b = off >> 12; b < (off + len) >> 12; b++)
		if ((w[b / 64] >> (b % 64)) & 1)
			return true;
	return false;
}

static void written_set(uint64_t *w, uint64_t off, size_t len, bool v)
{
	for (uint64_t b = off >> 12; b < (off + len) >> 12; b++)
		w[b / 64] = v ? w[b / 64] | (1ull << (b % 64)) : w[b / 64] & ~(1ull << (b % 64));
}

static const struct ram_region *find_region(const struct ram_region *r, unsigned n, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < n; i++)
		if (gpa >= r[i].gpa && gpa - r[i].gpa <= r[i].size && len <= r[i].size - (gpa - r[i].gpa))
			return &r[i];
	return NULL;
}

int page_batch_decode(struct page_batch_dec *dec, const uint8_t *buf, size_t len,
		      const struct ram_region *regions, unsigned nregions,
		      struct page_batch_info *info, struct mig_err *e)
{
	uint64_t cmap[WORDS(PAGE_BATCH_MAX_PAGES)] = { 0 }, zmap[WORDS(PAGE_BATCH_MAX_PAGES)] = { 0 };
	uint32_t npages, shift, flags, raw_len, data_len, ncarried = 0, nzero = 0;
	const struct ram_region *reg;
	const uint8_t *data;
	uint64_t gpa, span;
	size_t words, hlen, psz;

	if (len < PAGE_BATCH_HDR_LEN) {
		mig_err_set(e, "page batch: %zu bytes, shorter than its header", len);
		return -EBADMSG;
	}
	if (wire_get32(buf) != PAGE_BATCH_MAGIC) {
		mig_err_set(e, "page batch: bad magic 0x%08x", wire_get32(buf));
		return -EBADMSG;
	}
	npages = wire_get16(buf + 4);
	shift = buf[6];
	flags = buf[7];
	gpa = wire_get64(buf + 8);
	raw_len = wire_get32(buf + 16);
	data_len = wire_get32(buf + 20);
	if (shift < PAGE_BATCH_MIN_SHIFT || shift > PAGE_BATCH_MAX_SHIFT) {
		mig_err_set(e, "page batch: page shift %u outside [%u, %u]", shift, PAGE_BATCH_MIN_SHIFT,
			    PAGE_BATCH_MAX_SHIFT);
		return -EBADMSG;
	}
	psz = (size_t)1 << shift;
	if (npages == 0 || npages > PAGE_BATCH_MAX_PAGES || ((size_t)npages << shift) > PAGE_BATCH_MAX_SPAN) {
		mig_err_set(e, "page batch: %u pages of %zu bytes exceed the limit", npages, psz);
		return -EBADMSG;
	}
	if (flags & ~PAGE_BATCH_F_ZSTD) {
		mig_err_set(e, "page batch: unknown flags 0x%02x", flags);
		return -EBADMSG;
	}
	if (gpa & (psz - 1)) {
		mig_err_set(e, "page batch: gpa 0x%llx not page aligned", (unsigned long long)gpa);
		return -EBADMSG;
	}
	words = WORDS(npages);
	hlen = PAGE_BATCH_HDR_LEN + 16 * words;
	if (len < hlen) {
		mig_err_set(e, "page batch: %zu bytes, shorter than its bitmaps", len);
		return -EBADMSG;
	}
	for (size_t w = 0; w < words; w++) {
		cmap[w] = wire_get64(buf + PAGE_BATCH_HDR_LEN + 8 * w);
		zmap[w] = wire_get64(buf + PAGE_BATCH_HDR_LEN + 8 * (words + w));
	}
	if (npages % 64 && ((cmap[words - 1] | zmap[words - 1]) >> (npages % 64))) {
		mig_err_set(e, "page batch: bitmap bits set past page %u", npages);
		return -EBADMSG;
	}
	for (size_t w = 0; w < words; w++) {
		if (zmap[w] & ~cmap[w]) {
			mig_err_set(e, "page batch: zero page not marked as carried");
			return -EBADMSG;
		}
		ncarried += (uint32_t)__builtin_popcountll(cmap[w]);
		nzero += (uint32_t)__builtin_popcountll(zmap[w]);
	}
	if (raw_len != (uint64_t)(ncarried - nzero) << shift) {
		mig_err_set(e, "page batch: raw length %u for %u non-zero pages", raw_len, ncarried - nzero);
		return -EBADMSG;
	}
	if (data_len != len - hlen) {
		mig_err_set(e, "page batch: data length %u but %zu bytes follow the header", data_len, len - hlen);
		return -EBADMSG;
	}
	if ((flags & PAGE_BATCH_F_ZSTD) ? (data_len == 0 || data_len >= raw_len) : data_len != raw_len) {
		mig_err_set(e, "page batch: data length %u does not fit raw length %u%s", data_len, raw_len,
			    (flags & PAGE_BATCH_F_ZSTD) ? " (compressed)" : "");
		return -EBADMSG;
	}
	span = (uint64_t)npages << shift;
	reg = find_region(regions, nregions, gpa, span);
	if (!reg) {
		mig_err_set(e, "page batch: gpa range [0x%llx, 0x%llx) outside guest RAM", (unsigned long long)gpa,
			    (unsigned long long)(gpa + span));
		return -ERANGE;
	}
	data = buf + hlen;
	if (flags & PAGE_BATCH_F_ZSTD) {
		unsigned long long fsz = ZSTD_getFrameContentSize(data, data_len);
		size_t r;

		if (fsz != raw_len) {
			mig_err_set(e, "page batch: zstd frame declares %lld bytes, expected %u", (long long)fsz,
				    raw_len);
			return -EBADMSG;
		}
		r = ZSTD_decompressDCtx(dec->dctx, dec->scratch, raw_len, data, data_len);
		if (ZSTD_isError(r) || r != raw_len) {
			mig_err_set(e, "page batch: bad zstd data (%s)",
				    ZSTD_isError(r) ? ZSTD_getErrorName(r) : "short output");
			return -EBADMSG;
		}
		data = dec->scratch;
	}
	/* Everything is checked: apply. */
	uint64_t roff = gpa - reg->gpa;
	uint8_t *dst = reg->host + roff;

	for (unsigned i = 0; i < npages; i++) {
		uint64_t off = roff + i * psz;

		if (!bit(cmap, i))
			continue;
		if (bit(zmap, i)) {
			if (reg->written && !written_any(reg->written, off, psz))
				continue;
			if (!page_is_zero(dst + i * psz, psz))
				memset(dst + i * psz, 0, psz);
			if (reg->written)
				written_set(reg->written, off, psz, false);
		} else {
			memcpy(dst + i * psz, data, psz);
			data += psz;
			if (reg->written)
				written_set(reg->written, off, psz, true);
		}
	}
	if (info)
		*info = (struct page_batch_info){ .gpa = gpa, .npages = npages, .carried = ncarried, .zero = nzero,
						  .raw_len = raw_len, .data_len = data_len,
						  .compressed = flags & PAGE_BATCH_F_ZSTD };
	return 0;
}

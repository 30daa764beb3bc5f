// SPDX-License-Identifier: MIT
/* RAM batches spread over N channels with bounded in-flight sends (see ram_sender.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "migration/live/compress_ctl.h"
#include "migration/live/ram_sender.h"
#include "migration/live/wire.h"
#include "vmm/core/clock.h"

#define LAST_WORD_MS 2000 /* how long a failed transfer waits for the receiver's reason */

struct ram_sender {
	struct ram_xfer x;
	struct page_batch_enc *enc;
	unsigned max_inflight;
	bool adaptive;          /* cfg->adaptive and zstd on */
	struct compress_ctl ctl;
	uint64_t *pass_batches; /* per channel, batches of the current pass */
	int64_t acked_pass;     /* last SYNC_ACK received, -1 before any */
	struct mig_err err;     /* why a frame from the receiver was refused */
};

/* A step of the ring; a frame refused by sender_on_frame explains itself, and so does
 * a refusal from the receiver that arrives just behind the close of another channel. */
static int sender_step(struct ram_sender *s, struct mig_err *e)
{
	int ret = ram_xfer_step(&s->x, e);
	struct mig_err ignore;
	char why[1024];

	if (!ret)
		return 0;
	if (s->err.msg[0])
		mig_err_prefix(e, "%s", s->err.msg);
	if (ram_xfer_last_word(&s->x, LAST_WORD_MS) &&
	    (s->x.ctrl.kind == CTRL_REFUSE || s->x.ctrl.kind == CTRL_FAILED) &&
	    ctrl_parse_text(s->x.ctrl.buf, s->x.ctrl.len, why, sizeof(why), &ignore) == 0)
		mig_err_set(e, "the destination %s: %s", s->x.ctrl.kind == CTRL_REFUSE ? "refused" : "failed", why);
	return ret;
}

static int sender_on_frame(void *ctx, struct channel *ch, unsigned type, const uint8_t *p, size_t len)
{
	struct ram_sender *s = ctx;

	if (type == LIVE_FRAME_CTRL) {
		int ret = ram_xfer_feed_ctrl(&s->x, ch, p, len, &s->err);

		return ret < 0 ? ret : 0;
	}
	if (type != LIVE_FRAME_RAM_SYNC_ACK || len != 4) {
		mig_err_set(&s->err, "unexpected frame type %u from the receiver", type);
		return -EPROTO;
	}
	s->acked_pass = wire_get32(p);
	return 0;
}

int ram_sender_create(struct ram_sender **out, struct channel **chans, unsigned n,
		      const struct ram_sender_cfg *cfg, struct mig_err *e)
{
	struct ram_sender *s = calloc(1, sizeof(*s));
	int ret;

	if (!s) {
		for (unsigned i = 0; i < n; i++)
			channel_destroy(chans[i]);
		mig_err_set(e, "ram sender: out of memory");
		return -ENOMEM;
	}
	s->acked_pass = -1;
	s->max_inflight = cfg->max_inflight ? MIN(cfg->max_inflight, 16u) : 4;
	s->adaptive = cfg->adaptive && cfg->zstd_level != PAGE_BATCH_LEVEL_OFF;
	compress_ctl_init(&s->ctl, n * s->max_inflight);
	/* In flight per channel, plus one batch being encoded and its TLS records. */
	ret = ram_xfer_init(&s->x, chans, n, n * s->max_inflight + 2, cfg->timeout_ms, sender_on_frame, s, e);
	if (ret)
		goto err_free;
	s->pass_batches = calloc(n, sizeof(*s->pass_batches));
	if (!s->pass_batches) {
		ret = -ENOMEM;
		mig_err_set(e, "ram sender: out of memory");
		goto err_xfer;
	}
	ret = page_batch_enc_create(&s->enc, cfg->zstd_level, e);
	if (ret)
		goto err_xfer;
	*out = s;
	return 0;

err_xfer:
	ram_xfer_fini(&s->x);
err_free:
	free(s->pass_batches);
	free(s);
	return ret;
}

void ram_sender_destroy(struct ram_sender *s)
{
	if (!s)
		return;
	ram_xfer_fini(&s->x);
	page_batch_enc_destroy(s->enc);
	free(s->pass_batches);
	free(s);
}

const struct ram_xfer_stats *ram_sender_stats(const struct ram_sender *s)
{
	return &s->x.stats;
}

const struct compress_ctl *ram_sender_ctl(const struct ram_sender *s)
{
	return &s->ctl;
}

/* The channel with the fewest sends out, below the limit; runs the ring until one is. */
static int pick_channel(struct ram_sender *s, unsigned *out, struct mig_err *e)
{
	for (;;) {
		unsigned best = s->x.n, need;
		int ret;

		for (unsigned i = 0; i < s->x.n; i++) {
			unsigned f = channel_inflight(s->x.ch[i]);

			if (f < s->max_inflight && (best == s->x.n || f < channel_inflight(s->x.ch[best])))
				best = i;
		}
		if (best < s->x.n) {
			need = channel_send_bufs(s->x.ch[best]);
			if (uring_io_free_bufs(s->x.io) >= need) {
				*out = best;
				return 0;
			}
		}
		ret = ram_xfer_step(&s->x, e);
		if (ret)
			return ret;
	}
}

/* Takes a pool buffer for a frame on the picked channel. */
static int frame_begin(struct ram_sender *s, unsigned *ci, unsigned *buf, struct mig_err *e)
{
	int ret = ram_xfer_check(&s->x, e);

	if (!ret)
		ret = pick_channel(s, ci, e);
	if (!ret)
		ret = uring_io_buf_get(s->x.io, buf);
	return ret;
}

int ram_sender_send(struct ram_sender *s, uint64_t gpa, const void *host, unsigned page_shift, unsigned npages,
		    const uint64_t *carried, struct mig_err *e)
{
	struct page_batch_info info;
	unsigned ci, buf;
	size_t len;
	int ret = frame_begin(s, &ci, &buf, e);

	if (ret)
		return ret;
	if (s->adaptive && !compress_ctl_use_zstd(&s->ctl)) {
		page_batch_enc_raw_next(s->enc);
		s->x.stats.raw_chosen_batches++;
	}
	ret = page_batch_encode(s->enc, gpa, page_shift, npages, carried, host,
				uring_io_buf(s->x.io, buf) + LIVE_FRAME_HDR_LEN,
				uring_io_buf_size(s->x.io) - LIVE_FRAME_HDR_LEN, &len, &info, e);
	if (ret) {
		uring_io_buf_put(s->x.io, buf);
		return ret;
	}
	ret = channel_send(s->x.ch[ci], LIVE_FRAME_RAM_BATCH, buf, len, e);
	if (ret)
		return ret;
	if (s->adaptive)
		compress_ctl_sent(&s->ctl, info.raw_len, clock_now_ns());
	s->pass_batches[ci]++;
	s->x.stats.batches++;
	s->x.stats.pages += info.carried;
	s->x.stats.zero_pages += info.zero;
	s->x.stats.compressed_batches += info.compressed;
	s->x.stats.raw_bytes += info.raw_len;
	s->x.stats.wire_bytes += len;
	return 0;
}

int ram_sender_send_range(struct ram_sender *s, uint64_t gpa, const void *host, uint64_t size, unsigned page_shift,
			  unsigned batch_pages, struct mig_err *e)
{
	uint64_t psz = 1ull << page_shift, pages = size >> page_shift;

	if (size & (psz - 1) || batch_pages == 0 || batch_pages > PAGE_BATCH_MAX_PAGES ||
	    ((uint64_t)batch_pages << page_shift) > PAGE_BATCH_MAX_SPAN) {
		mig_err_set(e, "ram sender: bad range of %llu bytes in batches of %u pages", (unsigned long long)size,
			    batch_pages);
		return -EINVAL;
	}
	for (uint64_t p = 0; p < pages; p += batch_pages) {
		unsigned np = (unsigned)MIN((uint64_t)batch_pages, pages - p);
		int ret = ram_sender_send(s, gpa + (p << page_shift), (const uint8_t *)host + (p << page_shift),
					  page_shift, np, NULL, e);

		if (ret)
			return ret;
	}
	return 0;
}

/* Queues a small control frame on channel ci (waiting for a buffer and a send slot there). */
static int send_ctrl(struct ram_sender *s, unsigned ci, unsigned type, const uint8_t *p, size_t len,
		     struct mig_err *e)
{
	struct channel *ch = s->x.ch[ci];
	unsigned buf;
	int ret;

	while (channel_inflight(ch) >= s->max_inflight || uring_io_free_bufs(s->x.io) < channel_send_bufs(ch)) {
		ret = ram_xfer_step(&s->x, e);
		if (ret)
			return ret;
	}
	ret = uring_io_buf_get(s->x.io, &buf);
	if (ret)
		return ret;
	if (len)
		memcpy(uring_io_buf(s->x.io, buf) + LIVE_FRAME_HDR_LEN, p, len);
	return channel_send(ch, type, buf, len, e);
}

int ram_sender_sync(struct ram_sender *s, uint32_t pass, struct mig_err *e)
{
	uint8_t m[12];
	int ret;

	for (unsigned i = 0; i < s->x.n; i++) {
		wire_put32(m, pass);
		wire_put64(m + 4, s->pass_batches[i]);
		ret = send_ctrl(s, i, LIVE_FRAME_RAM_SYNC, m, sizeof(m), e);
		if (ret)
			return ret;
		s->pass_batches[i] = 0;
	}
	while (s->acked_pass != (int64_t)pass) {
		ret = sender_step(s, e);
		if (ret) {
			mig_err_prefix(e, "pass %u not acknowledged", pass);
			return ret;
		}
	}
	return 0;
}

void ram_sender_final(struct ram_sender *s)
{
	if (s->adaptive)
		compress_ctl_final(&s->ctl);
}

int ram_sender_finish(struct ram_sender *s, struct mig_err *e)
{
	int ret;

	for (unsigned i = 0; i < s->x.n; i++) {
		ret = send_ctrl(s, i, LIVE_FRAME_END, NULL, 0, e);
		if (ret)
			return ret;
	}
	for (;;) {
		unsigned out = 0;

		for (unsigned i = 0; i < s->x.n; i++)
			out += channel_inflight(s->x.ch[i]);
		if (!out)
			return ram_xfer_check(&s->x, e);
		ret = ram_xfer_step(&s->x, e);
		if (ret)
			return ret;
	}
}

int ram_sender_ctrl_send(struct ram_sender *s, unsigned kind, const void *data, size_t len, struct mig_err *e)
{
	return ram_xfer_send_ctrl(&s->x, s->max_inflight, kind, data, len, e);
}

int ram_sender_ctrl_recv(struct ram_sender *s, unsigned *kind, const uint8_t **data, size_t *len, struct mig_err *e)
{
	while (!s->x.ctrl.complete) {
		int ret = sender_step(s, e);

		if (ret && !s->x.ctrl.complete)
			return ret;
	}
	ctrl_asm_take(&s->x.ctrl, kind, data, len);
	return 0;
}

void ram_sender_abort(struct ram_sender *s)
{
	ram_xfer_abort(&s->x);
}

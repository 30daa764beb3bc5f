// SPDX-License-Identifier: MIT
/* Ring and channel set-up shared by the RAM sender and receiver. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "migration/live/ram_xfer.h"

int ram_xfer_init(struct ram_xfer *x, struct channel **chans, unsigned n, unsigned extra_bufs, int timeout_ms,
		  channel_frame_fn on_frame, void *ctx, struct mig_err *e)
{
	int ret;

	*x = (struct ram_xfer){ .n = n, .timeout_ms = timeout_ms > 0 ? timeout_ms : 30000 };
	ctrl_asm_init(&x->ctrl);
	x->ch = calloc(n ? n : 1, sizeof(*x->ch));
	if (!x->ch || n == 0) {
		ret = x->ch ? -EINVAL : -ENOMEM;
		mig_err_set(e, "ram transfer: %s", x->ch ? "no channel" : "out of memory");
		goto err_chans;
	}
	memcpy(x->ch, chans, n * sizeof(*x->ch));
	/* A plaintext and a ciphertext receive buffer per channel, then the senders' share. */
	ret = uring_io_create(&x->io, 2 * n + extra_bufs, LIVE_CHANNEL_BUF_SIZE, e);
	if (ret)
		goto err_chans;
	for (unsigned i = 0; i < n; i++) {
		ret = channel_start(x->ch[i], x->io, on_frame, ctx, e);
		if (ret)
			goto err_io;
	}
	return 0;

err_io:
	uring_io_destroy(x->io);
	x->io = NULL;
err_chans:
	for (unsigned i = 0; i < n; i++)
		channel_destroy(chans[i]);
	free(x->ch);
	x->ch = NULL;
	return ret;
}

void ram_xfer_fini(struct ram_xfer *x)
{
	ctrl_asm_fini(&x->ctrl);
	uring_io_destroy(x->io);
	for (unsigned i = 0; x->ch && i < x->n; i++)
		channel_destroy(x->ch[i]);
	free(x->ch);
	x->ch = NULL;
	x->io = NULL;
}

int ram_xfer_check(const struct ram_xfer *x, struct mig_err *e)
{
	for (unsigned i = 0; i < x->n; i++) {
		int ret = channel_error(x->ch[i], e);

		if (ret)
			return ret;
	}
	return 0;
}

int ram_xfer_step(struct ram_xfer *x, struct mig_err *e)
{
	int ret = uring_io_run(x->io, 1, x->timeout_ms);

	if (ret < 0) {
		mig_err_set(e, "ram transfer: io_uring: %s", strerror(-ret));
		return ret;
	}
	if (ret == 0) {
		mig_err_set(e, "ram transfer: no progress for %d ms", x->timeout_ms);
		return -ETIMEDOUT;
	}
	return ram_xfer_check(x, e);
}

bool ram_xfer_last_word(struct ram_xfer *x, int grace_ms)
{
	struct mig_err ignore;
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!x->ctrl.complete && channel_error(x->ch[0], &ignore) == 0) {
		int ret;

		clock_gettime(CLOCK_MONOTONIC, &t);
		ret = grace_ms - (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (ret <= 0 || uring_io_run(x->io, 1, ret) <= 0)
			break;
	}
	return x->ctrl.complete;
}

int ram_xfer_send_ctrl(struct ram_xfer *x, unsigned max_inflight, unsigned kind, const void *data, size_t len,
		       struct mig_err *e)
{
	struct channel *ch = x->ch[0];
	size_t off = 0;

	if (len > CTRL_MAX_LEN) {
		mig_err_set(e, "control message '%s' of %zu bytes is too large", ctrl_kind_name(kind), len);
		return -EMSGSIZE;
	}
	do {
		unsigned buf;
		size_t n;
		int ret;

		while (channel_inflight(ch) >= max_inflight || uring_io_free_bufs(x->io) < channel_send_bufs(ch) + 1) {
			ret = ram_xfer_step(x, e);
			if (ret)
				return ret;
		}
		ret = uring_io_buf_get(x->io, &buf);
		if (ret) {
			mig_err_set(e, "no buffer for a control message");
			return ret;
		}
		n = ctrl_chunk(kind, data, len, off, uring_io_buf(x->io, buf) + LIVE_FRAME_HDR_LEN,
			       LIVE_FRAME_MAX_PAYLOAD);
		ret = channel_send(ch, LIVE_FRAME_CTRL, buf, n + CTRL_CHUNK_HDR_LEN, e);
		if (ret)
			return ret;
		off += n;
	} while (off < len);
	return 0;
}

int ram_xfer_feed_ctrl(struct ram_xfer *x, struct channel *ch, const uint8_t *p, size_t len, struct mig_err *e)
{
	if (channel_index(ch) != 0) {
		mig_err_set(e, "control message on channel %u (only channel 0 carries them)", channel_index(ch));
		return -EPROTO;
	}
	return ctrl_asm_feed(&x->ctrl, p, len, e);
}

void ram_xfer_abort(struct ram_xfer *x)
{
	for (unsigned i = 0; x->ch && i < x->n; i++)
		channel_shutdown(x->ch[i]);
}

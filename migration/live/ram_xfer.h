/* SPDX-License-Identifier: MIT */
/* What both ends of a RAM transfer share: the ring, its channels, progress and counters. */
#ifndef MIGRATION_LIVE_RAM_XFER_H
#define MIGRATION_LIVE_RAM_XFER_H

#include <stdint.h>

#include "migration/live/channel.h"
#include "migration/live/ctrl.h"

struct ram_xfer_stats {
	uint64_t batches, pages, zero_pages, compressed_batches;
	uint64_t raw_chosen_batches; /* sent raw untried: raw moved RAM faster (compress_ctl.h) */
	uint64_t raw_bytes;  /* non-zero page bytes */
	uint64_t wire_bytes; /* batch bytes before TLS */
};

struct ram_xfer {
	struct uring_io *io;
	struct channel **ch;
	unsigned n;
	int timeout_ms;
	struct ram_xfer_stats stats;
	struct ctrl_asm ctrl; /* control message arriving on channel 0 */
};

/*
 * Takes ownership of chans[0, n) (destroys them on failure), creates the ring with
 * a pool of extra_bufs buffers on top of the channels' receive buffers, and starts
 * every channel with on_frame(ctx, ...).
 */
int ram_xfer_init(struct ram_xfer *x, struct channel **chans, unsigned n, unsigned extra_bufs, int timeout_ms,
		  channel_frame_fn on_frame, void *ctx, struct mig_err *e) __must_check;
void ram_xfer_fini(struct ram_xfer *x);
/* The first channel error, with its reason in e. */
int ram_xfer_check(const struct ram_xfer *x, struct mig_err *e) __must_check;
/* Runs the ring once, waiting up to timeout_ms for a completion; -ETIMEDOUT if none came. */
int ram_xfer_step(struct ram_xfer *x, struct mig_err *e) __must_check;

/*
 * After a failure: the peer's last control message (a refusal, say) may still be on its
 * way on channel 0 when another channel's close was seen first. Runs the ring up to
 * grace_ms while channel 0 is healthy; true when x->ctrl holds a complete message.
 */
bool ram_xfer_last_word(struct ram_xfer *x, int grace_ms);

/* Queues a control message on channel 0, in chunks, waiting for buffers and send slots. */
int ram_xfer_send_ctrl(struct ram_xfer *x, unsigned max_inflight, unsigned kind, const void *data, size_t len,
		       struct mig_err *e) __must_check;
/* A LIVE_FRAME_CTRL chunk arrived: 1 when it completed a message (in x->ctrl), 0, or -errno (e set). */
int ram_xfer_feed_ctrl(struct ram_xfer *x, struct channel *ch, const uint8_t *p, size_t len,
		       struct mig_err *e) __must_check;
/* Shuts every channel down (any thread): the transfer fails at once. */
void ram_xfer_abort(struct ram_xfer *x);

#endif

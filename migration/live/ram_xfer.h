/* SPDX-License-Identifier: MIT */
/* What both ends of a RAM transfer share: the ring, its channels, progress and counters. */
#ifndef MIGRATION_LIVE_RAM_XFER_H
#define MIGRATION_LIVE_RAM_XFER_H

#include <stdint.h>

#include "migration/live/channel.h"

struct ram_xfer_stats {
	uint64_t batches, pages, zero_pages, compressed_batches;
	uint64_t raw_bytes;  /* non-zero page bytes */
	uint64_t wire_bytes; /* batch bytes before TLS */
};

struct ram_xfer {
	struct uring_io *io;
	struct channel **ch;
	unsigned n;
	int timeout_ms;
	struct ram_xfer_stats stats;
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

#endif

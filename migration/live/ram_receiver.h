/* SPDX-License-Identifier: MIT */
/*
 * The destination side of RAM transfer: the N channels of one migration (same
 * session id, indices 0..N-1 each once) served by one io_uring; batches are checked
 * and written into guest RAM through the caller's regions only (page_batch_decode),
 * SYNC frames are counted per channel and a pass is acknowledged on channel 0 once
 * every channel has delivered its SYNC with the batch count it announced.
 */
#ifndef MIGRATION_LIVE_RAM_RECEIVER_H
#define MIGRATION_LIVE_RAM_RECEIVER_H

#include <stdint.h>

#include "migration/live/ram_xfer.h"

struct ram_receiver;

struct ram_receiver_cfg {
	const struct ram_region *regions;
	unsigned nregions;
	int timeout_ms; /* no progress for this long fails the transfer */
	/* A control message arrived (NULL: none are expected); -errno with e set ends the transfer. */
	int (*on_ctrl)(void *ctx, struct ram_receiver *r, unsigned kind, const uint8_t *data, size_t len,
		       struct mig_err *e);
	void *ctrl_ctx;
};

/* Takes ownership of the n channels (also on failure); checks they form one migration. */
int ram_receiver_create(struct ram_receiver **out, struct channel **chans, unsigned n,
			const struct ram_receiver_cfg *cfg, struct mig_err *e) __must_check;
void ram_receiver_destroy(struct ram_receiver *r);

/* Receives until every channel delivered END. */
int ram_receiver_run(struct ram_receiver *r, struct mig_err *e) __must_check;

const struct ram_xfer_stats *ram_receiver_stats(const struct ram_receiver *r);
uint32_t ram_receiver_passes(const struct ram_receiver *r);

/* Where batches go from now on (the destination builds its RAM after the offer). */
void ram_receiver_set_regions(struct ram_receiver *r, const struct ram_region *regions, unsigned n);
/* A control message to the sender, on channel 0 (also from inside on_ctrl). */
int ram_receiver_ctrl_send(struct ram_receiver *r, unsigned kind, const void *data, size_t len,
			   struct mig_err *e) __must_check;
/* Runs the ring until every control message sent is on the wire. */
int ram_receiver_flush(struct ram_receiver *r, struct mig_err *e) __must_check;
/* From any thread: ends every connection. */
void ram_receiver_abort(struct ram_receiver *r);

#endif

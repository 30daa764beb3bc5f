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

struct ram_receiver_cfg {
	const struct ram_region *regions;
	unsigned nregions;
	int timeout_ms; /* no progress for this long fails the transfer */
};

struct ram_receiver;

/* Takes ownership of the n channels (also on failure); checks they form one migration. */
int ram_receiver_create(struct ram_receiver **out, struct channel **chans, unsigned n,
			const struct ram_receiver_cfg *cfg, struct mig_err *e) __must_check;
void ram_receiver_destroy(struct ram_receiver *r);

/* Receives until every channel delivered END. */
int ram_receiver_run(struct ram_receiver *r, struct mig_err *e) __must_check;

const struct ram_xfer_stats *ram_receiver_stats(const struct ram_receiver *r);
uint32_t ram_receiver_passes(const struct ram_receiver *r);

#endif

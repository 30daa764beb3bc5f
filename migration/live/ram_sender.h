/* SPDX-License-Identifier: MIT */
/*
 * The source side of RAM transfer over N channels and one io_uring: each batch is
 * encoded (zero pages as bits, zstd when it shrinks) straight into a pool buffer
 * and queued on the least-loaded channel that has fewer than max_inflight sends
 * out; when every channel is at its limit or the pool is empty, the sender runs
 * the ring until a send completes (back-pressure, bounded by timeout_ms).
 *
 * A pass ends with ram_sender_sync: a SYNC frame on every channel carrying the
 * number of batches that channel carried in the pass; the receiver answers
 * SYNC_ACK once every channel's batches of the pass are applied.
 */
#ifndef MIGRATION_LIVE_RAM_SENDER_H
#define MIGRATION_LIVE_RAM_SENDER_H

#include <stdint.h>

#include "migration/live/ram_xfer.h"

struct ram_sender_cfg {
	int zstd_level;        /* PAGE_BATCH_LEVEL_OFF: no compression */
	/* zstd only while it moves RAM faster than raw batches do, as measured by
	 * alternating probes of both (compress_ctl.h); false: always try zstd. */
	bool adaptive;
	unsigned max_inflight; /* frames queued per channel, at most 16; 0: 4 */
	int timeout_ms;        /* no progress for this long fails the transfer */
};

struct ram_sender;
struct compress_ctl;

/* Takes ownership of the n started-or-not channels (all of them, also on failure). */
int ram_sender_create(struct ram_sender **out, struct channel **chans, unsigned n,
		      const struct ram_sender_cfg *cfg, struct mig_err *e) __must_check;
void ram_sender_destroy(struct ram_sender *s);

/* One batch: the pages of [gpa, gpa + npages pages) at host selected by carried (NULL: all). */
int ram_sender_send(struct ram_sender *s, uint64_t gpa, const void *host, unsigned page_shift, unsigned npages,
		    const uint64_t *carried, struct mig_err *e) __must_check;
/* Every page of [gpa, gpa + size), in batches of batch_pages (<= PAGE_BATCH_MAX_PAGES). */
int ram_sender_send_range(struct ram_sender *s, uint64_t gpa, const void *host, uint64_t size, unsigned page_shift,
			  unsigned batch_pages, struct mig_err *e) __must_check;
/* Ends pass `pass` (0, 1, ...) on every channel and waits until the receiver applied it. */
int ram_sender_sync(struct ram_sender *s, uint32_t pass, struct mig_err *e) __must_check;
/* The guest is paused: the rest goes in the faster mode, no more probes (compress_ctl_final). */
void ram_sender_final(struct ram_sender *s);
/* Sends END on every channel and waits until every send is out. */
int ram_sender_finish(struct ram_sender *s, struct mig_err *e) __must_check;

const struct ram_xfer_stats *ram_sender_stats(const struct ram_sender *s);
/* The zstd-or-raw controller (compress_ctl.h): how often each mode won. */
const struct compress_ctl *ram_sender_ctl(const struct ram_sender *s);

/* A control message to the receiver (migration/live/ctrl.h), on channel 0. */
int ram_sender_ctrl_send(struct ram_sender *s, unsigned kind, const void *data, size_t len,
			 struct mig_err *e) __must_check;
/* Waits for the receiver's next control message; data stays valid until the next call. */
int ram_sender_ctrl_recv(struct ram_sender *s, unsigned *kind, const uint8_t **data, size_t *len,
			 struct mig_err *e) __must_check;
/* From any thread: ends every connection, so whatever the sender waits for fails now. */
void ram_sender_abort(struct ram_sender *s);

#endif

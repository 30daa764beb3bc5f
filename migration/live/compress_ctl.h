/* SPDX-License-Identifier: MIT */
/*
 * Whether the next RAM batch is worth compressing, decided by measurement: zstd
 * pays when the cost of a byte on the wire (the link, and the encryption that
 * runs inline in the send path: OpenSSL in this thread or kernel TLS inside
 * sendmsg) is higher than the cost of compressing it, which depends on the
 * machine, the link, the cipher and the guest's data. So the sender alternates
 * short probes of both modes and then runs the one that moved more guest RAM per
 * second (input bytes of non-zero pages per wall-clock second, all waiting on the
 * link included) for a longer stretch, and probes again:
 *
 *   probe zstd (warm-up + COMPRESS_CTL_PROBE batches) -> probe raw (the same)
 *   -> run the faster for COMPRESS_CTL_RUN batches -> probe again ...
 *
 * The warm-up batches of each probe (as many as the sends that can be queued)
 * are not timed: they still wait behind the previous mode's frames. A raw rate
 * within COMPRESS_CTL_TIE_PCT percent of zstd's counts as a tie, and a tie goes
 * to zstd (fewer bytes on the wire). Pure logic on a caller's clock: unit-tested
 * with synthetic times.
 */
#ifndef MIGRATION_LIVE_COMPRESS_CTL_H
#define MIGRATION_LIVE_COMPRESS_CTL_H

#include <stdbool.h>
#include <stdint.h>

#define COMPRESS_CTL_PROBE 16u
#define COMPRESS_CTL_RUN 192u
#define COMPRESS_CTL_TIE_PCT 5u

enum compress_ctl_phase { COMPRESS_CTL_PROBE_ZSTD, COMPRESS_CTL_PROBE_RAW, COMPRESS_CTL_RUN_BEST };

struct compress_ctl {
	enum compress_ctl_phase phase;
	unsigned warmup;    /* untimed batches at the start of each probe */
	unsigned done;      /* batches of the current phase so far */
	uint64_t t0;        /* when the timed part of the probe began */
	uint64_t bytes;     /* input bytes of the timed part */
	double rate[2];     /* bytes per ns measured by the last probes: [0] raw, [1] zstd */
	bool best_zstd;     /* the mode of the current run */
	uint64_t runs_zstd, runs_raw; /* how often each mode won */
};

/* warmup: the sends that can be queued at once (channels x frames per channel). */
void compress_ctl_init(struct compress_ctl *c, unsigned warmup);
/* The mode for the next batch. */
bool compress_ctl_use_zstd(const struct compress_ctl *c);
/* A batch of raw_bytes input bytes was handed to its channel at now_ns. */
void compress_ctl_sent(struct compress_ctl *c, uint64_t raw_bytes, uint64_t now_ns);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Whether the next RAM batch is worth compressing, decided by measurement: zstd
 * pays when the cost of a byte on the wire (the link, and the encryption that
 * runs inline in the send path: OpenSSL in this thread or kernel TLS inside
 * sendmsg) is higher than the cost of compressing it, which depends on the
 * machine, the link, the cipher and the guest's data. So the sender probes both:
 * COMPRESS_CTL_ROUNDS rounds of a zstd window and a raw window, interleaved so
 * that both modes see similar stretches of guest RAM, then runs the mode that
 * moved more guest RAM per second (input bytes of non-zero pages per wall-clock
 * second of its windows, all waiting on the link included) for COMPRESS_CTL_RUN
 * batches, and probes again.
 *
 * A window is a warm-up (as many batches as sends can be queued: they still wait
 * behind the previous window's frames, so they are not timed) and
 * COMPRESS_CTL_PROBE timed batches. Raw must be more than COMPRESS_CTL_TIE_PCT
 * percent faster; anything closer goes to zstd, because bytes on the wire cost
 * more than time (a shared link, egress) and a probe compares neighbouring, not
 * identical, stretches of RAM. Measured in the test host: plain TCP gave raw 1.7 to
 * 5.6 times zstd's rate, kernel TLS 1.15 to 1.21 on the first probe and 0.2 to 0.3
 * later, where always trying zstd was 10 to 15 % faster overall. Pure logic on a
 * caller's clock: unit-tested with synthetic times.
 */
#ifndef MIGRATION_LIVE_COMPRESS_CTL_H
#define MIGRATION_LIVE_COMPRESS_CTL_H

#include <stdbool.h>
#include <stdint.h>

#define COMPRESS_CTL_PROBE 8u
#define COMPRESS_CTL_ROUNDS 3u
#define COMPRESS_CTL_RUN 256u
#define COMPRESS_CTL_TIE_PCT 30u

enum compress_ctl_phase { COMPRESS_CTL_PROBING, COMPRESS_CTL_RUN_BEST, COMPRESS_CTL_FINAL };

struct compress_ctl {
	enum compress_ctl_phase phase;
	unsigned warmup;    /* untimed batches at the start of each window */
	unsigned window;    /* probe windows done this round of probing (even: zstd) */
	unsigned done;      /* batches of the current window or run so far */
	uint64_t t0;        /* when the timed part of the window began */
	uint64_t bytes[2];  /* input bytes of the timed batches: [0] raw, [1] zstd */
	uint64_t ns[2];     /* their time */
	bool best_zstd;     /* the mode of the current run */
	uint64_t runs_zstd, runs_raw; /* how often each mode won */
	double raw_vs_zstd[4];        /* raw's rate over zstd's in the first probes (logged) */
	uint64_t all_bytes[2], all_ns[2]; /* bytes[] and ns[] summed over every finished probe */
};

/* warmup: the sends that can be queued at once (channels x frames per channel). */
void compress_ctl_init(struct compress_ctl *c, unsigned warmup);
/* The mode for the next batch. */
bool compress_ctl_use_zstd(const struct compress_ctl *c);
/* A batch of raw_bytes input bytes was handed to its channel at now_ns. */
void compress_ctl_sent(struct compress_ctl *c, uint64_t raw_bytes, uint64_t now_ns);
/*
 * The guest is paused: what is left is the downtime, not the bytes. From now on
 * every batch goes in the mode that moved RAM faster over all the probes of the
 * migration (all of their bytes over all of their time: the guest's RAM as a
 * whole, not the one stretch the latest probe saw), with no margin for zstd and
 * no more probing; before any probe finished, the current mode stays.
 */
void compress_ctl_final(struct compress_ctl *c);

#endif

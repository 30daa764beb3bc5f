/* SPDX-License-Identifier: MIT */
/*
 * When to stop copying RAM and switch over, and when to slow the guest down.
 *
 * Expected downtime counts everything the guest waits for once its vCPUs are
 * paused, not RAM alone (QEMU and Cloud Hypervisor count RAM only):
 *
 *   pause (measured at the offer) + remaining dirty RAM on the wire / bandwidth
 *   + device state on the wire / bandwidth + the destination's load time (it
 *   reported decoding the offer's state) + one round trip (the acknowledgement)
 *
 * Bandwidth is what the last passes achieved (bytes on the wire per ms, smoothed);
 * the wire size of dirty RAM uses the compression ratio seen so far.
 *
 * Throttling (auto-converge): when the guest dirtied more than half of what a pass
 * could send, two passes in a row, the vCPUs are throttled 20 %, then 10 % more
 * per pass, at most 99 %.
 */
#ifndef MIGRATION_LIVE_PRECOPY_H
#define MIGRATION_LIVE_PRECOPY_H

#include <stdbool.h>
#include <stdint.h>

#define PRECOPY_THROTTLE_INITIAL 20u
#define PRECOPY_THROTTLE_STEP 10u
#define PRECOPY_THROTTLE_MAX 99u
#define PRECOPY_MAX_PASSES 60u
/* Within the limit, another pass is made while passes keep shrinking what the switchover
 * must send by a quarter or more, up to this many passes, unless that is this small already. */
#define PRECOPY_SETTLE_PASSES 8u
#define PRECOPY_SMALL_BYTES (1ull << 20)

struct precopy {
	/* Fixed for the migration. */
	uint64_t downtime_limit_ms;
	uint64_t pause_ms;      /* measured when the offer was collected */
	uint64_t dest_load_ms;  /* the destination's decode and check of the offer */
	uint64_t state_bytes;   /* device state size (the offer's) */
	/* Measured. */
	double bw_bytes_per_ms; /* smoothed wire bandwidth */
	double wire_ratio;      /* wire bytes per raw RAM byte so far (<= 1 with compression, zero pages) */
	uint64_t rtt_ms;
	uint64_t passes;
	unsigned over_count;    /* consecutive passes where the guest dirtied faster than half the link */
	unsigned throttle_pct;
	uint64_t expected_downtime_ms;
	uint64_t dirty_bytes, prev_dirty_bytes; /* found dirty after the last pass, and the one before */
};

void precopy_init(struct precopy *p, uint64_t downtime_limit_ms);
/* A pass ended: raw RAM bytes it carried, wire bytes, its duration, and the pages
 * found dirty right after it (what the next pass, or the switchover, must send). */
void precopy_pass_done(struct precopy *p, uint64_t raw_bytes, uint64_t wire_bytes, uint64_t ms,
		       uint64_t dirty_bytes_next);
/* Expected downtime if the switchover sent dirty_bytes of RAM now. */
uint64_t precopy_expected_downtime(const struct precopy *p, uint64_t dirty_bytes);
/* Switch over now? Within the limit and no longer shrinking much (or small, or after
 * PRECOPY_SETTLE_PASSES); or after PRECOPY_MAX_PASSES at the maximum throttle. */
bool precopy_should_switch(const struct precopy *p, uint64_t dirty_bytes);

#endif

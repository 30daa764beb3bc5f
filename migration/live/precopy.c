// SPDX-License-Identifier: MIT
/* Switchover estimate and auto-converge throttle (see precopy.h). */
#include <string.h>

#include "migration/live/precopy.h"

void precopy_init(struct precopy *p, uint64_t downtime_limit_ms)
{
	memset(p, 0, sizeof(*p));
	p->downtime_limit_ms = downtime_limit_ms;
	p->wire_ratio = 1.0;
}

void precopy_pass_done(struct precopy *p, uint64_t raw_bytes, uint64_t wire_bytes, uint64_t ms,
		       uint64_t dirty_bytes_next)
{
	double bw;

	if (ms == 0)
		ms = 1;
	bw = (double)wire_bytes / (double)ms;
	/* A pass of a few pages says little about the link: weigh passes by what they carried. */
	if (wire_bytes >= (1u << 20) || p->bw_bytes_per_ms <= 0) {
		if (p->bw_bytes_per_ms <= 0)
			p->bw_bytes_per_ms = bw;
		else
			p->bw_bytes_per_ms = 0.5 * p->bw_bytes_per_ms + 0.5 * bw;
	}
	if (raw_bytes)
		p->wire_ratio = 0.5 * p->wire_ratio + 0.5 * ((double)wire_bytes / (double)raw_bytes);
	p->passes++;
	p->prev_dirty_bytes = p->dirty_bytes;
	p->dirty_bytes = dirty_bytes_next;
	/* The guest dirtied more than half of what this pass could have sent. */
	if ((double)dirty_bytes_next * p->wire_ratio > 0.5 * bw * (double)ms)
		p->over_count++;
	else
		p->over_count = 0;
	if (p->over_count >= 2) {
		p->throttle_pct = p->throttle_pct ? p->throttle_pct + PRECOPY_THROTTLE_STEP : PRECOPY_THROTTLE_INITIAL;
		if (p->throttle_pct > PRECOPY_THROTTLE_MAX)
			p->throttle_pct = PRECOPY_THROTTLE_MAX;
		p->over_count = 0;
	}
	p->expected_downtime_ms = precopy_expected_downtime(p, dirty_bytes_next);
}

uint64_t precopy_expected_downtime(const struct precopy *p, uint64_t dirty_bytes)
{
	double bw = p->bw_bytes_per_ms > 0 ? p->bw_bytes_per_ms : 1.0;
	double wire = (double)dirty_bytes * p->wire_ratio + (double)p->state_bytes;

	return p->pause_ms + (uint64_t)(wire / bw) + p->dest_load_ms + p->rtt_ms;
}

bool precopy_should_switch(const struct precopy *p, uint64_t dirty_bytes)
{
	if (precopy_expected_downtime(p, dirty_bytes) <= p->downtime_limit_ms) {
		/* Within the limit; a shorter downtime is still worth a pass while passes shrink it. */
		bool shrinking = p->passes < 2 || dirty_bytes * 4 <= p->prev_dirty_bytes * 3;

		return dirty_bytes <= PRECOPY_SMALL_BYTES || p->passes >= PRECOPY_SETTLE_PASSES || !shrinking;
	}
	return p->passes >= PRECOPY_MAX_PASSES && p->throttle_pct >= PRECOPY_THROTTLE_MAX;
}

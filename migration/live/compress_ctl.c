// SPDX-License-Identifier: MIT
/* Probe-and-run choice between zstd and raw RAM batches (see compress_ctl.h). */
#include <string.h>

#include "migration/live/compress_ctl.h"

void compress_ctl_init(struct compress_ctl *c, unsigned warmup)
{
	memset(c, 0, sizeof(*c));
	c->phase = COMPRESS_CTL_PROBE_ZSTD;
	c->warmup = warmup ? warmup : 1; /* the last untimed batch starts the clock */
	c->best_zstd = true;
}

bool compress_ctl_use_zstd(const struct compress_ctl *c)
{
	switch (c->phase) {
	case COMPRESS_CTL_PROBE_ZSTD:
		return true;
	case COMPRESS_CTL_PROBE_RAW:
		return false;
	default:
		return c->best_zstd;
	}
}

/* Ends a probe: its rate is the timed bytes over the time from its first timed batch. */
static void end_probe(struct compress_ctl *c, uint64_t now_ns)
{
	uint64_t dt = now_ns > c->t0 ? now_ns - c->t0 : 1;

	c->rate[c->phase == COMPRESS_CTL_PROBE_ZSTD] = (double)c->bytes / (double)dt;
}

void compress_ctl_sent(struct compress_ctl *c, uint64_t raw_bytes, uint64_t now_ns)
{
	c->done++;
	if (c->phase == COMPRESS_CTL_RUN_BEST) {
		if (c->done >= COMPRESS_CTL_RUN) {
			c->phase = COMPRESS_CTL_PROBE_ZSTD;
			c->done = 0;
		}
		return;
	}
	/* A probe: warm-up batches, then COMPRESS_CTL_PROBE timed ones. */
	if (c->done == c->warmup) {
		c->t0 = now_ns;
		c->bytes = 0;
		return;
	}
	if (c->done < c->warmup)
		return;
	c->bytes += raw_bytes;
	if (c->done < c->warmup + COMPRESS_CTL_PROBE)
		return;
	end_probe(c, now_ns);
	c->done = 0;
	if (c->phase == COMPRESS_CTL_PROBE_ZSTD) {
		c->phase = COMPRESS_CTL_PROBE_RAW;
		return;
	}
	/* raw must beat zstd by more than the tie margin. */
	c->best_zstd = c->rate[0] * 100.0 <= c->rate[1] * (100.0 + COMPRESS_CTL_TIE_PCT);
	if (c->best_zstd)
		c->runs_zstd++;
	else
		c->runs_raw++;
	c->phase = COMPRESS_CTL_RUN_BEST;
}

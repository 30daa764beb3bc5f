// SPDX-License-Identifier: MIT
/* Probe-and-run choice between zstd and raw RAM batches (see compress_ctl.h). */
#include <string.h>

#include "migration/live/compress_ctl.h"

void compress_ctl_init(struct compress_ctl *c, unsigned warmup)
{
	memset(c, 0, sizeof(*c));
	c->phase = COMPRESS_CTL_PROBING;
	c->warmup = warmup ? warmup : 1; /* the last untimed batch starts the clock */
	c->best_zstd = true;
}

/* Probe windows alternate zstd, raw, zstd, raw, ... */
static bool probe_zstd(const struct compress_ctl *c)
{
	return c->window % 2 == 0;
}

bool compress_ctl_use_zstd(const struct compress_ctl *c)
{
	return c->phase == COMPRESS_CTL_PROBING ? probe_zstd(c) : c->best_zstd;
}

/* raw's rate over zstd's as bytes[0] / ns[0] against bytes[1] / ns[1], cross-multiplied. */
static void rates(const uint64_t bytes[2], const uint64_t ns[2], double *raw, double *zstd)
{
	*raw = (double)bytes[0] * (double)ns[1];
	*zstd = (double)bytes[1] * (double)ns[0];
}

void compress_ctl_final(struct compress_ctl *c)
{
	double raw, zstd;

	rates(c->all_bytes, c->all_ns, &raw, &zstd);
	c->best_zstd = raw > 0 || zstd > 0 ? zstd >= raw : compress_ctl_use_zstd(c);
	c->phase = COMPRESS_CTL_FINAL;
}

void compress_ctl_sent(struct compress_ctl *c, uint64_t raw_bytes, uint64_t now_ns)
{
	bool z = probe_zstd(c);
	double raw, zstd;

	if (c->phase == COMPRESS_CTL_FINAL)
		return;
	c->done++;
	if (c->phase == COMPRESS_CTL_RUN_BEST) {
		if (c->done >= COMPRESS_CTL_RUN) {
			c->phase = COMPRESS_CTL_PROBING;
			c->done = 0;
			c->window = 0;
			memset(c->ns, 0, sizeof(c->ns));
			memset(c->bytes, 0, sizeof(c->bytes));
		}
		return;
	}
	/* A window: warm-up batches, then COMPRESS_CTL_PROBE timed ones. */
	if (c->done == c->warmup) {
		c->t0 = now_ns;
		return;
	}
	if (c->done < c->warmup)
		return;
	c->bytes[z] += raw_bytes;
	if (c->done < c->warmup + COMPRESS_CTL_PROBE)
		return;
	c->ns[z] += now_ns > c->t0 ? now_ns - c->t0 : 1;
	c->done = 0;
	if (++c->window < 2 * COMPRESS_CTL_ROUNDS)
		return;
	/* Raw must move RAM faster than zstd by more than the tie margin. */
	rates(c->bytes, c->ns, &raw, &zstd);
	c->best_zstd = raw * 100.0 <= zstd * (100.0 + COMPRESS_CTL_TIE_PCT);
	if (c->runs_zstd + c->runs_raw < 4 && zstd > 0)
		c->raw_vs_zstd[c->runs_zstd + c->runs_raw] = raw / zstd;
	for (unsigned m = 0; m < 2; m++) {
		c->all_bytes[m] += c->bytes[m];
		c->all_ns[m] += c->ns[m];
	}
	if (c->best_zstd)
		c->runs_zstd++;
	else
		c->runs_raw++;
	c->phase = COMPRESS_CTL_RUN_BEST;
	c->done = 0;
}

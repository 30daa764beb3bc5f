// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>

#include "migration/live/compress_ctl.h"

#define WARMUP 8u
#define BATCH (1u << 20)

/*
 * Drives the controller through one probe of each mode and returns the mode of
 * the run that follows; a zstd batch takes zstd_ns, a raw one raw_ns (the clock is
 * the caller's, as in ram_sender.c).
 */
static bool run_probes(struct compress_ctl *c, uint64_t *now, uint64_t zstd_ns, uint64_t raw_ns)
{
	unsigned n;

	for (n = 0; c->phase != COMPRESS_CTL_RUN_BEST; n++) {
		cr_assert_lt(n, 2 * COMPRESS_CTL_ROUNDS * (WARMUP + COMPRESS_CTL_PROBE), "the probes never end");
		*now += compress_ctl_use_zstd(c) ? zstd_ns : raw_ns;
		compress_ctl_sent(c, BATCH, *now);
	}
	cr_assert_eq(n, 2 * COMPRESS_CTL_ROUNDS * (WARMUP + COMPRESS_CTL_PROBE),
		     "%u rounds of two windows of warm-up + %u timed batches", COMPRESS_CTL_ROUNDS, COMPRESS_CTL_PROBE);
	return compress_ctl_use_zstd(c);
}

Test(compress_ctl, probe_windows_alternate_zstd_and_raw)
{
	struct compress_ctl c;
	uint64_t now = 1000;
	unsigned i;

	compress_ctl_init(&c, WARMUP);
	for (i = 0; i < 2 * COMPRESS_CTL_ROUNDS * (WARMUP + COMPRESS_CTL_PROBE); i++) {
		bool want = (i / (WARMUP + COMPRESS_CTL_PROBE)) % 2 == 0;

		cr_assert_eq(compress_ctl_use_zstd(&c), want, "batch %u of the probes", i);
		compress_ctl_sent(&c, BATCH, now += 100);
	}
	cr_assert_eq(c.phase, COMPRESS_CTL_RUN_BEST);
}

/* A fast link next to a slow compressor: raw wins and runs, then both are probed again. */
Test(compress_ctl, raw_wins_when_zstd_is_the_bottleneck)
{
	struct compress_ctl c;
	uint64_t now = 0;
	unsigned i;

	compress_ctl_init(&c, WARMUP);
	cr_assert_not(run_probes(&c, &now, 4000, 1000));
	cr_assert_eq(c.runs_raw, 1);
	for (i = 0; i < COMPRESS_CTL_RUN; i++) {
		cr_assert_not(compress_ctl_use_zstd(&c), "run batch %u", i);
		compress_ctl_sent(&c, BATCH, now += 1000);
	}
	cr_assert(compress_ctl_use_zstd(&c), "after the run, zstd is probed again");
	/* The data became compressible / the link slow: zstd wins the next round. */
	cr_assert(run_probes(&c, &now, 1000, 3000));
	cr_assert_eq(c.runs_zstd, 1);
}

/* Raw must be more than COMPRESS_CTL_TIE_PCT faster; a tie keeps the wire small. */
Test(compress_ctl, a_tie_goes_to_zstd)
{
	struct compress_ctl c;
	uint64_t now = 0;

	compress_ctl_init(&c, WARMUP);
	cr_assert(run_probes(&c, &now, 1000 + 10 * (COMPRESS_CTL_TIE_PCT - 2), 1000), "a little faster raw is a tie");
	compress_ctl_init(&c, WARMUP);
	cr_assert_not(run_probes(&c, &now, 1000 + 10 * (COMPRESS_CTL_TIE_PCT + 5), 1000), "much faster raw wins");
}

/* One window of the probes: its warm-up batches warm_ns apart, its timed ones timed_ns apart. */
static void window(struct compress_ctl *c, uint64_t *now, uint64_t warm_ns, uint64_t timed_ns)
{
	unsigned i;

	for (i = 0; i < WARMUP + COMPRESS_CTL_PROBE; i++)
		compress_ctl_sent(c, BATCH, *now += i < WARMUP ? warm_ns : timed_ns);
}

/* The warm-up is not timed: a slow start (frames of the previous mode) does not count. */
Test(compress_ctl, warmup_batches_are_not_timed)
{
	struct compress_ctl c;
	uint64_t now = 0;
	unsigned r;

	compress_ctl_init(&c, WARMUP);
	for (r = 0; r < COMPRESS_CTL_ROUNDS; r++) {
		window(&c, &now, 1000000, 1000); /* zstd: very slow warm-up, then fast */
		window(&c, &now, 10, 2000);      /* raw: fast warm-up, then slower */
	}
	cr_assert_eq(c.phase, COMPRESS_CTL_RUN_BEST);
	cr_assert(compress_ctl_use_zstd(&c), "zstd was faster once warm");
}

/* One odd window does not decide: the rounds are summed. */
Test(compress_ctl, the_rounds_are_summed)
{
	struct compress_ctl c;
	uint64_t now = 0;
	unsigned r;

	compress_ctl_init(&c, WARMUP);
	for (r = 0; r < COMPRESS_CTL_ROUNDS; r++) {
		uint64_t raw_ns = r == 0 ? 100 : 2000; /* raw: fast once */

		window(&c, &now, 1000, 1000); /* zstd */
		window(&c, &now, raw_ns, raw_ns);
	}
	cr_assert(compress_ctl_use_zstd(&c), "raw was faster in one window of %u only", COMPRESS_CTL_ROUNDS);
}

/* Batches of zero pages only (0 input bytes) do not divide by zero or decide anything odd. */
Test(compress_ctl, empty_batches_and_no_warmup)
{
	struct compress_ctl c;
	uint64_t now = 0;
	unsigned i;

	compress_ctl_init(&c, 0);
	for (i = 0; i < 2 * COMPRESS_CTL_ROUNDS * (1 + COMPRESS_CTL_PROBE); i++)
		compress_ctl_sent(&c, 0, now);
	cr_assert_eq(c.phase, COMPRESS_CTL_RUN_BEST);
	cr_assert(compress_ctl_use_zstd(&c), "no evidence: zstd");
}

/* At the switch-over the mode that was faster over all probes runs, without the
 * tie margin, and nothing is probed any more. */
Test(compress_ctl, the_switchover_takes_the_faster_mode)
{
	struct compress_ctl c;
	uint64_t now = 0;
	unsigned i;

	/* Raw a little faster: a tie during the passes (zstd runs), raw at the switch-over. */
	compress_ctl_init(&c, WARMUP);
	cr_assert(run_probes(&c, &now, 1000 + 10 * (COMPRESS_CTL_TIE_PCT - 2), 1000));
	compress_ctl_final(&c);
	for (i = 0; i < 4 * COMPRESS_CTL_RUN; i++) {
		cr_assert_not(compress_ctl_use_zstd(&c), "final batch %u", i);
		compress_ctl_sent(&c, BATCH, now += 10);
	}
	cr_assert_eq(c.phase, COMPRESS_CTL_FINAL);
	/* zstd faster: it stays. */
	compress_ctl_init(&c, WARMUP);
	cr_assert(run_probes(&c, &now, 1000, 3000));
	compress_ctl_final(&c);
	cr_assert(compress_ctl_use_zstd(&c));
	/* Mid-probe, the latest finished probe decides, not the window under way. */
	compress_ctl_init(&c, WARMUP);
	cr_assert_not(run_probes(&c, &now, 4000, 1000));
	for (i = 0; i < COMPRESS_CTL_RUN + 1; i++)
		compress_ctl_sent(&c, BATCH, now += 1000);
	cr_assert_eq(c.phase, COMPRESS_CTL_PROBING);
	cr_assert(compress_ctl_use_zstd(&c), "a zstd window is under way");
	compress_ctl_final(&c);
	cr_assert_not(compress_ctl_use_zstd(&c), "raw won the finished probe");
	/* All probes count, not the latest alone: raw 4 times as fast, then zstd 1.5 times. */
	compress_ctl_init(&c, WARMUP);
	cr_assert_not(run_probes(&c, &now, 4000, 1000));
	for (i = 0; i < COMPRESS_CTL_RUN; i++)
		compress_ctl_sent(&c, BATCH, now += 1000);
	cr_assert(run_probes(&c, &now, 1000, 1500), "zstd wins the second probe");
	compress_ctl_final(&c);
	cr_assert_not(compress_ctl_use_zstd(&c), "raw moved more RAM per second over both probes");
	/* No probe finished yet: the current mode stays. */
	compress_ctl_init(&c, WARMUP);
	compress_ctl_sent(&c, BATCH, now += 10);
	compress_ctl_final(&c);
	cr_assert(compress_ctl_use_zstd(&c));
}

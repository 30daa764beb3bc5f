/* SPDX-License-Identifier: MIT */
/* The one monotonic clock (CLOCK_MONOTONIC): latencies, timeouts, log time stamps. */
#ifndef VMM_CORE_CLOCK_H
#define VMM_CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline int64_t clock_now_ms(void)
{
	return (int64_t)(clock_now_ns() / 1000000);
}

#endif

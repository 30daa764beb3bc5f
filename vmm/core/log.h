/* SPDX-License-Identifier: MIT */
/*
 * Logging: log_err/warn/info/debug with a per-file LOG_PREFIX, and a rate-limited
 * variant for anything a guest can trigger. Messages go to stderr (or the sink a
 * test installs); the VM console owns stdout.
 */
#ifndef VMM_LOG_H
#define VMM_LOG_H

#include <stdint.h>
#include "vmm/core/compiler.h"

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

#ifndef LOG_PREFIX
#define LOG_PREFIX "vmm"

#endif

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Redirects log output (tests); fd < 0 restores stderr. */
void log_set_fd(int fd);
void log_msg(enum log_level level, const char *prefix, const char *fmt, ...) __printf(3, 4);

/* State for a rate-limited message site: at most `burst` messages per `interval_ms`. */
struct log_ratelimit {
	uint64_t window_start_ms;
	uint32_t printed;
	uint32_t suppressed;
};
/* Returns 1 when the caller may print; thread-safe enough for diagnostics (racy counters are fine). */
int log_ratelimit_ok(struct log_ratelimit *rl, uint32_t burst, uint32_t interval_ms);

#define log_err(...) log_msg(LOG_ERR, LOG_PREFIX, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, LOG_PREFIX, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, LOG_PREFIX, __VA_ARGS__)
#define log_debug(...) \
	do { \
		if (log_get_level() >= LOG_DEBUG) \
			log_msg(LOG_DEBUG, LOG_PREFIX, __VA_ARGS__); \
	} while (0)

/* At most 10 messages per 5 s from this call site: for guest-triggerable events. */
#define log_ratelimited(level, ...) \
	do { \
		static struct log_ratelimit __rl; \
		if (log_ratelimit_ok(&__rl, 10, 5000)) \
			log_msg(level, LOG_PREFIX, __VA_ARGS__); \
	} while (0)
#define log_warn_ratelimited(...) log_ratelimited(LOG_WARN, __VA_ARGS__)
#define log_info_ratelimited(...) log_ratelimited(LOG_INFO, __VA_ARGS__)

#endif

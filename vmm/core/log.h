/* SPDX-License-Identifier: MIT */
/*
 * Logging: log_err/warn/info/debug with a per-file LOG_PREFIX, and a rate-limited
 * variant for anything a guest can trigger. Messages go to stderr (or the sink a
 * test installs); the VM console owns stdout.
 */
#ifndef VMM_LOG_H
#define VMM_LOG_H

#include <stdbool.h>
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

/*
 * Asynchronous mode (`vmm run`): the thread that calls log_async_start owns the
 * log fd; lines logged by any other thread (vCPU threads: guest-triggerable)
 * go to a bounded buffer instead of a write that could block on a stalled
 * stderr. The owner drains it (log_async_drain, when the returned eventfd
 * fires or the log fd becomes writable) and writes its own lines directly,
 * after the buffered ones. When the buffer is full the oldest lines are
 * dropped and the next drain reports how many.
 */
#define LOG_ASYNC_LEN (64 * 1024)
/* Returns the eventfd that signals buffered lines, or -errno. */
int log_async_start(void) __must_check;
/* Owner thread: writes what the log fd takes now without blocking; returns true
 * when lines are still buffered (wait until the log fd is writable, then call again). */
bool log_async_drain(void);
/* Owner thread: writes what is left (waiting at most timeout_ms) and returns to synchronous logging. */
void log_async_stop(int timeout_ms);
/* Lines dropped because the buffer was full, since the start. */
uint64_t log_async_dropped(void);
/* The fd log lines are written to. */
int log_get_fd(void);

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

// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/core/clock.h"
#include "vmm/core/log.h"

/* Process-wide logging configuration: not VM state. */
static enum log_level log_level = LOG_INFO;
static int log_fd = STDERR_FILENO;

void log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level log_get_level(void)
{
	return log_level;
}

void log_set_fd(int fd)
{
	log_fd = fd < 0 ? STDERR_FILENO : fd;
}

void log_msg(enum log_level level, const char *prefix, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char buf[1024];
	va_list ap;
	int n;

	if (level > log_level)
		return;
	n = snprintf(buf, sizeof(buf), "%s: %s: ", prefix, names[level]);
	if (n < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	n = (int)strlen(buf);
	if (n < (int)sizeof(buf) - 1 && (n == 0 || buf[n - 1] != '\n'))
		buf[n++] = '\n';
	/* One write per message so lines from different threads do not interleave. */
	if (write(log_fd, buf, (size_t)n) < 0) {
		/* Nowhere left to report it. */
	}
}

int log_ratelimit_ok(struct log_ratelimit *rl, uint32_t burst, uint32_t interval_ms)
{
	uint64_t now = (uint64_t)clock_now_ms();

	if (now - rl->window_start_ms >= interval_ms) {
		if (rl->suppressed)
			log_msg(LOG_WARN, "vmm", "%u similar messages suppressed", rl->suppressed);
		rl->window_start_ms = now;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	if (rl->printed < burst) {
		rl->printed++;
		return 1;
	}
	rl->suppressed++;
	return 0;
}

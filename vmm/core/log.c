// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
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

int log_get_fd(void)
{
	return log_fd;
}

/* The asynchronous buffer (process-wide, like the log fd). */
static struct {
	pthread_mutex_t lock;
	bool on;
	pthread_t owner;
	int wake_fd;
	char buf[LOG_ASYNC_LEN];
	size_t head, len;
	uint64_t dropped, reported;
} la = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake_fd = -1 };

int log_async_start(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0)
		return -errno;
	pthread_mutex_lock(&la.lock);
	la.wake_fd = fd;
	la.owner = pthread_self();
	la.head = la.len = 0;
	la.on = true;
	pthread_mutex_unlock(&la.lock);
	return fd;
}

/* Drops the oldest whole line; la.lock held. */
static void drop_oldest_locked(void)
{
	size_t i;

	for (i = 0; i < la.len; i++)
		if (la.buf[(la.head + i) % LOG_ASYNC_LEN] == '\n')
			break;
	i = i < la.len ? i + 1 : la.len;
	la.head = (la.head + i) % LOG_ASYNC_LEN;
	la.len -= i;
	la.dropped++;
}

/* Queues a line for the owner; returns false when not in asynchronous mode or on the owner thread. */
static bool async_push(const char *line, size_t n)
{
	bool was_empty;
	uint64_t one = 1;
	size_t i;

	pthread_mutex_lock(&la.lock);
	if (!la.on || pthread_equal(la.owner, pthread_self()) || n > LOG_ASYNC_LEN) {
		pthread_mutex_unlock(&la.lock);
		return false;
	}
	while (la.len + n > LOG_ASYNC_LEN)
		drop_oldest_locked();
	was_empty = la.len == 0;
	for (i = 0; i < n; i++)
		la.buf[(la.head + la.len + i) % LOG_ASYNC_LEN] = line[i];
	la.len += n;
	pthread_mutex_unlock(&la.lock);
	if (was_empty && write(la.wake_fd, &one, sizeof(one)) < 0) {
		/* Counter full: a wake-up is pending anyway. */
	}
	return true;
}

/* Writes buffered lines while the log fd takes them without blocking (poll first;
 * at most PIPE_BUF bytes per write, which a writable pipe takes whole). la.lock held. */
static bool drain_locked(int wait_ms)
{
	uint64_t v;

	if (la.wake_fd >= 0 && read(la.wake_fd, &v, sizeof(v)) < 0) {
		/* Nothing signalled. */
	}
	while (la.len) {
		struct pollfd p = { .fd = log_fd, .events = POLLOUT };
		size_t chunk = la.len < LOG_ASYNC_LEN - la.head ? la.len : LOG_ASYNC_LEN - la.head;
		ssize_t n;

		if (poll(&p, 1, wait_ms) != 1 || !(p.revents & POLLOUT))
			break;
		if (chunk > 4096)
			chunk = 4096;
		n = write(log_fd, la.buf + la.head, chunk);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			n = (ssize_t)chunk; /* the log fd is broken: nowhere to report it */
		la.head = (la.head + (size_t)n) % LOG_ASYNC_LEN;
		la.len -= (size_t)n;
	}
	return la.len > 0;
}

static void report_dropped_locked(void)
{
	char line[128];
	int n;

	if (la.dropped == la.reported || la.len)
		return;
	n = snprintf(line, sizeof(line), "vmm: warning: %llu log lines dropped: the log output stalled\n",
		     (unsigned long long)(la.dropped - la.reported));
	la.reported = la.dropped;
	if (n > 0 && write(log_fd, line, (size_t)n) < 0) {
		/* Nowhere left to report it. */
	}
}

bool log_async_drain(void)
{
	bool left;

	pthread_mutex_lock(&la.lock);
	left = drain_locked(0);
	report_dropped_locked();
	pthread_mutex_unlock(&la.lock);
	return left;
}

void log_async_stop(int timeout_ms)
{
	pthread_mutex_lock(&la.lock);
	if (la.on) {
		drain_locked(timeout_ms);
		report_dropped_locked();
		la.on = false;
		la.head = la.len = 0;
		close(la.wake_fd);
		la.wake_fd = -1;
	}
	pthread_mutex_unlock(&la.lock);
}

uint64_t log_async_dropped(void)
{
	uint64_t d;

	pthread_mutex_lock(&la.lock);
	d = la.dropped;
	pthread_mutex_unlock(&la.lock);
	return d;
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
	/* Another thread than the owner in asynchronous mode: never blocks. */
	if (async_push(buf, (size_t)n))
		return;
	/* The owner writes its own lines after the buffered ones. */
	if (__atomic_load_n(&la.on, __ATOMIC_RELAXED))
		log_async_drain();
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

// SPDX-License-Identifier: MIT
#define LOG_PREFIX "console"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/core/clock.h"
#include "vmm/core/event_loop.h"
#include "vmm/core/log.h"
#include "vmm/devices/console.h"

#define CTRL_A 0x01

static void watch(struct console *c, bool on)
{
	if (c->eof || c->watching == on)
		return;
	if (event_loop_modify(c->loop, c->in_fd, on ? EPOLLIN : 0) == 0)
		c->watching = on;
}

/* Pushes held-back input to the sink; resumes reading stdin when all is taken. */
static void flush_input(struct console *c)
{
	while (c->off < c->len && c->sink) {
		size_t n = c->sink->feed(c->sink_ctx, c->buf + c->off, c->len - c->off);

		if (n == 0)
			break;
		c->off += n;
	}
	if (c->off == c->len) {
		c->off = c->len = 0;
		watch(c, true);
	} else {
		watch(c, false);
	}
}

/* Copies n input bytes to out (room for 2n), handling the Ctrl-A escape, which may
 * span reads. Returns the number of bytes for the guest. */
static size_t filter_escape(struct console *c, const uint8_t *in, size_t n, uint8_t *out, bool *quit)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (c->escape) {
			c->escape = false;
			if (in[i] == 'x' || in[i] == 'X') {
				*quit = true;
				return o;
			}
			if (in[i] != CTRL_A)
				out[o++] = CTRL_A; /* not an escape: pass both keys */
			out[o++] = in[i];
		} else if (in[i] == CTRL_A) {
			c->escape = true;
		} else {
			out[o++] = in[i];
		}
	}
	return o;
}

static void on_input(struct event_loop *loop, int fd, uint32_t events, void *opaque)
{
	struct console *c = opaque;
	uint8_t raw[sizeof(c->buf) / 2];
	bool quit = false;
	ssize_t n;

	(void)loop;
	(void)events;

	if (c->len)
		return;
	n = read(fd, raw, sizeof(raw));
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		log_warn("reading the console input failed: %s; input closed", strerror(errno));
		n = 0;
	}
	if (n == 0) {
		/* End of input: the guest keeps running, it just gets no more keys. */
		event_loop_remove(c->loop, c->in_fd);
		c->eof = true;
		c->watching = false;
		return;
	}
	if (c->tty) {
		c->len = filter_escape(c, raw, (size_t)n, c->buf, &quit);
	} else {
		memcpy(c->buf, raw, (size_t)n);
		c->len = (size_t)n;
	}
	c->off = 0;
	flush_input(c);
	if (quit && c->sink && c->sink->quit)
		c->sink->quit(c->sink_ctx);
}

static void on_wake(struct event_loop *loop, int fd, uint32_t events, void *opaque)
{
	struct console *c = opaque;
	uint64_t v;

	(void)loop;
	(void)events;
	if (read(fd, &v, sizeof(v)) < 0) {
		/* Spurious wake-up. */
	}
	flush_input(c);
}

/* Reports drops (rate-limited: at most one line per 5 s). Control thread. */
static void report_drops(struct console *c)
{
	uint64_t d = __atomic_load_n(&c->dropped, __ATOMIC_RELAXED);
	int64_t now;

	if (d == c->dropped_reported)
		return;
	now = clock_now_ms();
	if (c->drop_log_ms && now - c->drop_log_ms < 5000)
		return;
	log_warn("console output stalled: %llu bytes of guest output dropped (%llu in all)",
		 (unsigned long long)(d - c->dropped_reported), (unsigned long long)d);
	c->dropped_reported = d;
	c->drop_log_ms = now;
	pthread_mutex_lock(&c->out_lock);
	c->drop_wake = false; /* the next drop reports again (rate-limited) */
	pthread_mutex_unlock(&c->out_lock);
}

static void watch_out(struct console *c, bool on)
{
	if (!c->out_polled || c->out_waiting == on)
		return;
	if (event_loop_modify(c->loop, c->out_fd, on ? EPOLLOUT : 0) == 0)
		c->out_waiting = on;
}

size_t console_flush_output(struct console *c)
{
	size_t left;

	pthread_mutex_lock(&c->out_lock);
	while (c->out_len) {
		size_t chunk = c->out_len, pos = c->out_head, done;
		uint64_t dropped_before = c->dropped, k;
		uint8_t tmp[4096];
		ssize_t n;

		if (chunk > CONSOLE_OUT_LEN - pos)
			chunk = CONSOLE_OUT_LEN - pos;
		if (chunk > sizeof(tmp))
			chunk = sizeof(tmp);
		memcpy(tmp, c->out + pos, chunk);
		/* The write happens without the lock: vCPU threads never wait for stdout. */
		pthread_mutex_unlock(&c->out_lock);
		n = c->out_broken ? (ssize_t)chunk : write(c->out_fd, tmp, chunk);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			log_warn("writing the console output failed: %s; guest output is discarded", strerror(errno));
			c->out_broken = true;
			n = (ssize_t)chunk;
		}
		pthread_mutex_lock(&c->out_lock);
		if (n <= 0)
			break;
		/* Drop-oldest may have consumed k of the bytes just written meanwhile. */
		k = c->dropped - dropped_before;
		done = (uint64_t)n > k ? (size_t)((uint64_t)n - k) : 0;
		if (done > c->out_len)
			done = c->out_len;
		c->out_head = (c->out_head + done) % CONSOLE_OUT_LEN;
		c->out_len -= done;
	}
	left = c->out_len;
	pthread_mutex_unlock(&c->out_lock);
	watch_out(c, left > 0);
	report_drops(c);
	return left;
}

static void on_out_wake(struct event_loop *loop, int fd, uint32_t events, void *opaque)
{
	struct console *c = opaque;
	uint64_t v;

	(void)loop;
	(void)events;
	if (read(fd, &v, sizeof(v)) < 0) {
		/* Spurious wake-up. */
	}
	console_flush_output(c);
}

static void on_out_ready(struct event_loop *loop, int fd, uint32_t events, void *opaque)
{
	(void)loop;
	(void)fd;
	(void)events;
	console_flush_output(opaque);
}

static int output_init(struct console *c)
{
	int ret;

	ret = -pthread_mutex_init(&c->out_lock, NULL);
	if (ret)
		return ret;
	c->out_wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->out_wake_fd < 0) {
		ret = -errno;
		goto err_mutex;
	}
	ret = event_loop_add(c->loop, c->out_wake_fd, EPOLLIN, on_out_wake, c);
	if (ret < 0)
		goto err_close;
	/* stdout non-blocking (restored by console_fini); a regular file cannot be
	 * polled and never fills, so it is written directly. */
	c->out_flags = fcntl(c->out_fd, F_GETFL);
	if (c->out_flags >= 0 && !(c->out_flags & O_NONBLOCK))
		fcntl(c->out_fd, F_SETFL, c->out_flags | O_NONBLOCK);
	c->out_polled = event_loop_add(c->loop, c->out_fd, 0, on_out_ready, c) == 0;
	return 0;
err_close:
	close(c->out_wake_fd);
err_mutex:
	pthread_mutex_destroy(&c->out_lock);
	return ret;
}

static void output_fini(struct console *c)
{
	int i;

	/* What stdout takes within a second; the rest is lost with the process. */
	for (i = 0; i < 100 && console_flush_output(c); i++)
		usleep(10000);
	if (c->out_polled)
		event_loop_remove(c->loop, c->out_fd);
	event_loop_remove(c->loop, c->out_wake_fd);
	close(c->out_wake_fd);
	if (c->out_flags >= 0 && !(c->out_flags & O_NONBLOCK))
		fcntl(c->out_fd, F_SETFL, c->out_flags);
	pthread_mutex_destroy(&c->out_lock);
}

int console_init(struct console *c, struct event_loop *loop, int in_fd, int out_fd)
{
	int ret;

	memset(c, 0, sizeof(*c));
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->loop = loop;
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0)
		return -errno;
	ret = event_loop_add(loop, c->wake_fd, EPOLLIN, on_wake, c);
	if (ret < 0)
		goto err_close;
	ret = output_init(c);
	if (ret < 0)
		goto err_remove;
	if (isatty(in_fd) && tcgetattr(in_fd, &c->saved) == 0) {
		struct termios raw = c->saved;

		cfmakeraw(&raw);
		if (tcsetattr(in_fd, TCSANOW, &raw) == 0)
			c->tty = true;
	}
	/* Start with input held back until a sink is set. */
	ret = event_loop_add(loop, in_fd, 0, on_input, c);
	if (ret < 0) {
		/* stdin that epoll cannot watch (a regular file, /dev/null): no input. */
		c->eof = true;
	}
	return 0;
err_remove:
	event_loop_remove(loop, c->wake_fd);
err_close:
	close(c->wake_fd);
	return ret;
}

void console_fini(struct console *c)
{
	output_fini(c);
	if (!c->eof)
		event_loop_remove(c->loop, c->in_fd);
	event_loop_remove(c->loop, c->wake_fd);
	close(c->wake_fd);
	if (c->tty)
		tcsetattr(c->in_fd, TCSANOW, &c->saved);
}

void console_set_sink(struct console *c, const struct console_sink *sink, void *ctx)
{
	c->sink = sink;
	c->sink_ctx = ctx;
	if (sink)
		flush_input(c);
	else
		watch(c, false);
}

void console_wake(struct console *c)
{
	uint64_t one = 1;

	if (write(c->wake_fd, &one, sizeof(one)) < 0) {
		/* Counter full: a wake-up is pending anyway. */
	}
}

void console_output(struct console *c, uint8_t byte)
{
	bool was_empty, report = false;
	uint64_t one = 1;

	pthread_mutex_lock(&c->out_lock);
	if (c->out_len == CONSOLE_OUT_LEN) {
		/* stdout stalled for a whole buffer: drop the oldest byte. */
		c->out_head = (c->out_head + 1) % CONSOLE_OUT_LEN;
		c->out_len--;
		__atomic_add_fetch(&c->dropped, 1, __ATOMIC_RELAXED);
		/* Nothing else wakes the control thread while stdout stays full: once per report. */
		report = !c->drop_wake;
		c->drop_wake = true;
	}
	was_empty = c->out_len == 0;
	c->out[(c->out_head + c->out_len) % CONSOLE_OUT_LEN] = byte;
	c->out_len++;
	pthread_mutex_unlock(&c->out_lock);
	/* Wake the control thread when output starts waiting; while stdout is full,
	 * EPOLLOUT wakes it instead. */
	if ((was_empty || report) && write(c->out_wake_fd, &one, sizeof(one)) < 0) {
		/* Counter full: a wake-up is pending anyway. */
	}
}

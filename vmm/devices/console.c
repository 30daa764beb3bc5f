// SPDX-License-Identifier: MIT
#define LOG_PREFIX "console"
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

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
err_close:
	close(c->wake_fd);
	return ret;
}

void console_fini(struct console *c)
{
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
	/*
	 * A blocking write from the vCPU's thread. If stdout stalls (a full pipe, a
	 * terminal stopped with Ctrl-S), the only signal a vCPU thread takes is the
	 * kick of a pause or stop request: it interrupts the write (no SA_RESTART) and
	 * the byte is dropped, so a stalled reader can never wedge pause, snapshot or
	 * shutdown.
	 */
	ssize_t n = write(c->out_fd, &byte, 1);

	if (n < 0 && errno == EINTR)
		__atomic_add_fetch(&c->dropped, 1, __ATOMIC_RELAXED);
	/* Other errors (EPIPE: nobody reads): the guest keeps running, output is lost. */
}

/* SPDX-License-Identifier: MIT */
/*
 * The host side of the guest console: stdin feeds the UART, the UART's output
 * goes to stdout. On a terminal, stdin is put in raw mode and Ctrl-A x quits
 * (Ctrl-A Ctrl-A sends a literal Ctrl-A). Input the UART cannot take yet is held
 * back (stdin is not read) until the guest drains its FIFO: nothing is dropped.
 */
#ifndef VMM_CONSOLE_H
#define VMM_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h>

#include "vmm/core/compiler.h"

struct event_loop;

struct console_sink {
	/* Offers input bytes; returns how many were taken. */
	size_t (*feed)(void *ctx, const uint8_t *buf, size_t len);
	/* The user asked to quit (escape sequence). */
	void (*quit)(void *ctx);
};

struct console {
	int in_fd, out_fd;
	int wake_fd;              /* eventfd: "the sink has room again" */
	bool tty;
	bool eof;
	bool watching;
	bool escape;
	struct termios saved;
	uint8_t buf[512];         /* input for the guest: twice a read (escape expansion) */
	uint64_t dropped;         /* output bytes dropped while stdout stalled */
	size_t len, off;
	struct event_loop *loop;
	const struct console_sink *sink;
	void *sink_ctx;
};

int console_init(struct console *c, struct event_loop *loop, int in_fd, int out_fd) __must_check;
void console_fini(struct console *c);
/* Where input goes; sink NULL holds input back (e.g. while the VM is rebuilt). */
void console_set_sink(struct console *c, const struct console_sink *sink, void *ctx);
/* From any thread: the sink has room again. */
void console_wake(struct console *c);
/* From any thread: one byte of guest output. */
void console_output(struct console *c, uint8_t byte);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The host side of the guest console: stdin feeds the UART, the UART's output
 * goes to stdout. On a terminal, stdin is put in raw mode and Ctrl-A x quits
 * (Ctrl-A Ctrl-A sends a literal Ctrl-A). Input the UART cannot take yet is held
 * back (stdin is not read) until the guest drains its FIFO: nothing is dropped.
 *
 * Output never blocks the guest: vCPU threads append to a bounded buffer
 * (console_output) and the control thread drains it to a non-blocking stdout,
 * waiting for EPOLLOUT while stdout is full. Only when the buffer itself is
 * full (stdout stalled for CONSOLE_OUT_LEN bytes) is the oldest output dropped,
 * counted, and reported in a rate-limited log line.
 */
#ifndef VMM_CONSOLE_H
#define VMM_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h>

#include "vmm/core/compiler.h"

struct event_loop;

#define CONSOLE_OUT_LEN (64 * 1024)

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
	size_t len, off;

	/* Output: ring buffer filled by vCPU threads, drained by the control thread. */
	pthread_mutex_t out_lock;
	uint8_t out[CONSOLE_OUT_LEN];
	size_t out_head, out_len;         /* protected by out_lock */
	uint64_t dropped;                 /* output bytes dropped (buffer full); atomic */
	uint64_t dropped_reported;        /* control thread */
	int out_wake_fd;                  /* eventfd: output is waiting */
	int out_flags;                    /* out_fd's file status flags before init (restored) */
	bool out_polled;                  /* out_fd is in the event loop */
	bool out_waiting;                 /* EPOLLOUT armed: stdout was full */
	bool out_broken;                  /* stdout failed (EPIPE, ...): output is discarded */
	int64_t drop_log_ms;
	bool drop_wake;                   /* out_lock: a drop woke the control thread to report it */
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
/* From any thread, never blocks: one byte of guest output. */
void console_output(struct console *c, uint8_t byte);
/* Control thread: writes what stdout takes now of the buffered output (also run
 * by the event loop); returns the bytes still buffered. */
size_t console_flush_output(struct console *c);

#endif

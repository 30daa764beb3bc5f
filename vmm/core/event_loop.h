/* SPDX-License-Identifier: MIT */
/*
 * The control thread's event loop: an epoll set of file descriptors, each with a
 * callback. Only the control thread calls these functions.
 */
#ifndef VMM_EVENT_LOOP_H
#define VMM_EVENT_LOOP_H

#include <stdint.h>
#include "vmm/core/compiler.h"

struct event_loop;

/* Called with the epoll events (EPOLLIN, EPOLLOUT, EPOLLHUP, ...) that fired on fd. */
typedef void (*event_fn)(struct event_loop *loop, int fd, uint32_t events, void *opaque);

int event_loop_create(struct event_loop **out) __must_check;
void event_loop_destroy(struct event_loop *loop);
/* Watches fd for `events` (EPOLLIN etc.). One registration per fd. */
int event_loop_add(struct event_loop *loop, int fd, uint32_t events, event_fn fn, void *opaque) __must_check;
int event_loop_modify(struct event_loop *loop, int fd, uint32_t events) __must_check;
/* Safe to call from inside a callback, also for the fd being dispatched. */
void event_loop_remove(struct event_loop *loop, int fd);
/* Runs one round: waits up to timeout_ms (-1: forever), dispatches. Returns the number
 * of callbacks run, or -errno. */
int event_loop_run_once(struct event_loop *loop, int timeout_ms) __must_check;

#endif

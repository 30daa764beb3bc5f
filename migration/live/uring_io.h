/* SPDX-License-Identifier: MIT */
/*
 * One io_uring serving every connection of one side of a migration, and the pool
 * of buffers registered with it. Callers queue sends and receives on sockets; the
 * SQEs go to the kernel in one io_uring_submit per uring_io_run (batched), and
 * completions are dispatched to per-operation callbacks on the calling thread, so
 * N connections need no thread each. A send completes only when all its bytes are
 * out (short writes are resubmitted); a receive completes with what arrived.
 *
 * Back-pressure: the pool is finite. A producer that finds no free buffer runs the
 * ring until sends complete (see uring_io_buf_wait); a connection that stops
 * reading therefore stalls its producer instead of growing memory, and the wait
 * times out.
 *
 * Receives use IORING_OP_READ_FIXED on the registered buffers (no per-request
 * page lookup). Sends use IORING_OP_SENDMSG with MSG_NOSIGNAL from the same memory:
 * WRITE_FIXED on a socket raises SIGPIPE when the peer is gone, and the only
 * fixed-buffer send, SEND_ZC (Linux 6.0), is refused on kTLS sockets and absent on
 * older hosts; a copying send gains nothing measurable from registration. If the
 * kernel refuses registration (RLIMIT_MEMLOCK on old kernels) receives fall back
 * to plain READ on the same memory.
 */
#ifndef MIGRATION_LIVE_URING_IO_H
#define MIGRATION_LIVE_URING_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "migration/live/live.h"

struct uring_io;

/* res: bytes transferred (a receive: 0 at end of stream) or -errno; buf: the receive's buffer. */
typedef void (*uring_io_done_fn)(void *ctx, unsigned buf, int res);

int uring_io_create(struct uring_io **out, unsigned nbufs, size_t buf_size, struct mig_err *e) __must_check;
void uring_io_destroy(struct uring_io *io);

size_t uring_io_buf_size(const struct uring_io *io);
uint8_t *uring_io_buf(struct uring_io *io, unsigned buf);
bool uring_io_buffers_registered(const struct uring_io *io);
unsigned uring_io_free_bufs(const struct uring_io *io);

/* Takes a free buffer; -ENOBUFS when none is free. */
int uring_io_buf_get(struct uring_io *io, unsigned *buf) __must_check;
void uring_io_buf_put(struct uring_io *io, unsigned buf);
/* Runs the ring until at least `count` buffers are free; -ETIMEDOUT after timeout_ms of no progress. */
int uring_io_buf_wait(struct uring_io *io, unsigned count, int timeout_ms) __must_check;

/* Queues one sendmsg of iov[0, n) on fd; iov and the memory stay untouched until done runs. */
int uring_io_sendv(struct uring_io *io, int fd, const struct iovec *iov, unsigned n,
		   uring_io_done_fn done, void *ctx) __must_check;
/* Queues one receive into buf[off, off + len) from fd. */
int uring_io_recv(struct uring_io *io, int fd, unsigned buf, size_t off, size_t len,
		  uring_io_done_fn done, void *ctx) __must_check;

/*
 * Submits everything queued, waits until at least `wait` completions arrived or
 * timeout_ms passed (< 0: no limit), and dispatches what completed. Returns the
 * number of completions dispatched (0 on a timeout) or -errno.
 */
int uring_io_run(struct uring_io *io, unsigned wait, int timeout_ms) __must_check;
/* Operations queued or in flight. */
unsigned uring_io_pending(const struct uring_io *io);

#endif

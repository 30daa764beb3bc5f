// SPDX-License-Identifier: MIT
/* The shared io_uring and its registered buffer pool (see uring_io.h). */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>

#include "migration/live/uring_io.h"

enum op_kind { OP_SEND, OP_RECV };

struct uring_op {
	uring_io_done_fn done;
	void *ctx;
	int fd;
	unsigned buf;
	enum op_kind kind;
	size_t off, len;
	struct msghdr msg;
	struct uring_op *next_free;
};

struct uring_io {
	struct io_uring ring;
	uint8_t *arena;
	size_t buf_size, arena_size;
	unsigned nbufs;
	bool fixed;
	unsigned *free_bufs; /* stack */
	unsigned nfree;
	struct uring_op *ops;
	struct uring_op *free_ops;
	unsigned pending;
};

/* Room for a send and a receive per buffer. */
#define OPS_PER_BUF 2u

int uring_io_create(struct uring_io **out, unsigned nbufs, size_t buf_size, struct mig_err *e)
{
	struct uring_io *io = calloc(1, sizeof(*io));
	unsigned nops = nbufs * OPS_PER_BUF, entries = 1;
	struct iovec *iov = NULL;
	int ret;

	if (!io || nbufs == 0 || buf_size == 0) {
		ret = io ? -EINVAL : -ENOMEM;
		mig_err_set(e, "uring: %s", io ? "empty buffer pool" : "out of memory");
		free(io);
		return ret;
	}
	while (entries < nops)
		entries <<= 1;
	io->buf_size = ALIGN_UP(buf_size, SZ_4K);
	io->nbufs = nbufs;
	io->arena_size = io->buf_size * nbufs;
	io->arena = mmap(NULL, io->arena_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (io->arena == MAP_FAILED) {
		ret = -errno;
		io->arena = NULL;
		mig_err_set(e, "uring: cannot map %zu bytes of buffers: %s", io->arena_size, strerror(-ret));
		goto err_free;
	}
	io->free_bufs = calloc(nbufs, sizeof(*io->free_bufs));
	io->ops = calloc(nops, sizeof(*io->ops));
	iov = calloc(nbufs, sizeof(*iov));
	if (!io->free_bufs || !io->ops || !iov) {
		ret = -ENOMEM;
		mig_err_set(e, "uring: out of memory");
		goto err_free;
	}
	for (unsigned i = 0; i < nbufs; i++) {
		io->free_bufs[i] = nbufs - 1 - i;
		iov[i] = (struct iovec){ .iov_base = io->arena + i * io->buf_size, .iov_len = io->buf_size };
	}
	io->nfree = nbufs;
	for (unsigned i = 0; i < nops; i++) {
		io->ops[i].next_free = io->free_ops;
		io->free_ops = &io->ops[i];
	}
	ret = io_uring_queue_init(entries, &io->ring, 0);
	if (ret < 0) {
		mig_err_set(e, "uring: io_uring_queue_init(%u): %s", entries, strerror(-ret));
		goto err_free;
	}
	io->fixed = io_uring_register_buffers(&io->ring, iov, nbufs) == 0;
	free(iov);
	*out = io;
	return 0;

err_free:
	free(iov);
	free(io->ops);
	free(io->free_bufs);
	if (io->arena)
		munmap(io->arena, io->arena_size);
	free(io);
	return ret;
}

void uring_io_destroy(struct uring_io *io)
{
	if (!io)
		return;
	io_uring_queue_exit(&io->ring); /* cancels what is still in flight */
	munmap(io->arena, io->arena_size);
	free(io->ops);
	free(io->free_bufs);
	free(io);
}

size_t uring_io_buf_size(const struct uring_io *io)
{
	return io->buf_size;
}

uint8_t *uring_io_buf(struct uring_io *io, unsigned buf)
{
	return io->arena + (size_t)buf * io->buf_size;
}

bool uring_io_buffers_registered(const struct uring_io *io)
{
	return io->fixed;
}

unsigned uring_io_free_bufs(const struct uring_io *io)
{
	return io->nfree;
}

unsigned uring_io_pending(const struct uring_io *io)
{
	return io->pending;
}

int uring_io_buf_get(struct uring_io *io, unsigned *buf)
{
	if (io->nfree == 0)
		return -ENOBUFS;
	*buf = io->free_bufs[--io->nfree];
	return 0;
}

void uring_io_buf_put(struct uring_io *io, unsigned buf)
{
	io->free_bufs[io->nfree++] = buf;
}

static struct io_uring_sqe *get_sqe(struct uring_io *io)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&io->ring);

	if (!sqe && io_uring_submit(&io->ring) >= 0)
		sqe = io_uring_get_sqe(&io->ring);
	return sqe;
}

static int queue_op(struct uring_io *io, struct uring_op *op)
{
	struct io_uring_sqe *sqe = get_sqe(io);
	uint8_t *p = uring_io_buf(io, op->buf) + op->off;
	unsigned len = (unsigned)op->len;

	if (!sqe)
		return -EBUSY;
	if (op->kind == OP_SEND) {
		io_uring_prep_sendmsg(sqe, op->fd, &op->msg, MSG_NOSIGNAL);
	} else {
		if (io->fixed)
			io_uring_prep_read_fixed(sqe, op->fd, p, len, 0, (int)op->buf);
		else
			io_uring_prep_read(sqe, op->fd, p, len, 0);
	}
	io_uring_sqe_set_data(sqe, op);
	return 0;
}

static int start_op(struct uring_io *io, const struct uring_op *tmpl)
{
	struct uring_op *op = io->free_ops;
	int ret;

	if (!op)
		return -EBUSY;
	io->free_ops = op->next_free;
	*op = *tmpl;
	ret = queue_op(io, op);
	if (ret) {
		op->next_free = io->free_ops;
		io->free_ops = op;
		return ret;
	}
	io->pending++;
	return 0;
}

int uring_io_sendv(struct uring_io *io, int fd, const struct iovec *iov, unsigned n, uring_io_done_fn done,
		   void *ctx)
{
	struct uring_op op = { .done = done, .ctx = ctx, .fd = fd, .kind = OP_SEND,
			       .msg = { .msg_iov = (struct iovec *)iov, .msg_iovlen = n } };

	if (n == 0)
		return -EINVAL;
	return start_op(io, &op);
}

int uring_io_recv(struct uring_io *io, int fd, unsigned buf, size_t off, size_t len, uring_io_done_fn done,
		  void *ctx)
{
	struct uring_op op = { .done = done, .ctx = ctx, .fd = fd, .buf = buf, .kind = OP_RECV, .off = off,
			       .len = len };

	if (buf >= io->nbufs || off > io->buf_size || len > io->buf_size - off || len == 0 || len > INT32_MAX)
		return -EINVAL;
	return start_op(io, &op);
}

/* One completion: retries an interrupted op, else finishes it. */
static void complete(struct uring_io *io, struct uring_op *op, int res)
{
	if (res == -EAGAIN || res == -EINTR) {
		if (queue_op(io, op) == 0)
			return;
		res = -EBUSY;
	}
	io->pending--;
	uring_io_done_fn done = op->done;
	void *ctx = op->ctx;
	unsigned buf = op->buf;

	op->next_free = io->free_ops;
	io->free_ops = op;
	done(ctx, buf, res);
}

int uring_io_run(struct uring_io *io, unsigned wait, int timeout_ms)
{
	struct __kernel_timespec ts = { .tv_sec = timeout_ms / 1000, .tv_nsec = (timeout_ms % 1000) * 1000000L };
	struct io_uring_cqe *cqe;
	int ret, n = 0;

	if (wait > io->pending)
		wait = io->pending;
	if (wait)
		ret = io_uring_submit_and_wait_timeout(&io->ring, &cqe, wait, timeout_ms < 0 ? NULL : &ts, NULL);
	else
		ret = io_uring_submit(&io->ring);
	if (ret < 0 && ret != -ETIME && ret != -EINTR)
		return ret;
	/* Dispatch one at a time: a callback may queue (and submit) new work. */
	while (io_uring_peek_cqe(&io->ring, &cqe) == 0) {
		struct uring_op *op = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(&io->ring, cqe);
		complete(io, op, res);
		n++;
	}
	return n;
}

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int uring_io_buf_wait(struct uring_io *io, unsigned count, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;

	while (io->nfree < count) {
		int64_t left = deadline - now_ms();
		int ret;

		if (io->pending == 0)
			return -ENOBUFS; /* nothing in flight will ever free one */
		if (left <= 0)
			return -ETIMEDOUT;
		ret = uring_io_run(io, 1, (int)left);
		if (ret < 0)
			return ret;
		if (ret > 0)
			deadline = now_ms() + timeout_ms;
	}
	return 0;
}

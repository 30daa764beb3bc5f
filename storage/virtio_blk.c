// SPDX-License-Identifier: MIT
/* virtio-blk over io_uring (blk.h). */
#define LOG_PREFIX "virtio-blk"
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "storage/blk.h"
#include "storage/blk_state.h"
#include "vmm/core/errbuf.h"

/* Registered files: the image, the control eventfd, then one ioeventfd per queue. */
#define FILE_DISK 0
#define FILE_CTL 1
#define FILE_KICK0 2

/* user_data: requests are (queue << 16 | head); eventfd reads carry TAG_FD. */
#define TAG_FD (1ULL << 40)

#define CONFIG_SIZE 0x48

struct blk_slot {
	uint32_t type;
	uint8_t *status;
	uint64_t status_gpa;
	uint64_t data_len;    /* the SQE's bytes (this request and the ones merged into it) */
	uint64_t own_len;     /* this request's bytes */
	int32_t next;         /* head of the next request merged into this SQE, or -1 */
	unsigned niov;
	struct iovec iov[VQ_MAX_SEGS];
	uint64_t gpa[VQ_MAX_SEGS];
	/* A WRITE_ZEROES: the next byte and what is left; zchunk != 0 while a writev of
	 * zeros (the file could not fallocate them) is in flight. */
	uint64_t zoff, zleft, zchunk;
	bool zunmap;          /* the guest allowed a hole (VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) */
};

/* What writes zeros where fallocate cannot: ZERO_IOV entries of this per writev. */
#define ZERO_IOV 64
static const uint8_t zero_chunk[256 << 10];

/* The last IN/OUT SQE prepared and not yet submitted: an adjacent request of the
 * same type on the same queue joins it (one readv/writev for both, as QEMU's
 * multireq merging), e.g. the two halves of a 1 MiB write split at seg_max. */
struct blk_merge {
	bool valid;
	unsigned q;
	uint16_t head, tail;
	uint32_t type;
	uint64_t end;         /* byte offset after the SQE's data */
	struct io_uring_sqe *sqe;
};

struct blk_dev {
	struct virtio_mmio t;         /* t.lock protects everything below that changes */
	struct vm_disk_cfg cfg;
	struct disk_file file;
	struct blk_limits lim;
	struct blk_wiring w;
	uint8_t config[CONFIG_SIZE];

	struct io_uring ring;
	bool ring_ready;
	pthread_t thread;
	bool thread_started;
	int ctl_fd;
	uint64_t ctl_buf;
	uint64_t kick_buf[VIRTIO_MMIO_MAX_QUEUES];

	pthread_cond_t cond;          /* inflight dropped / state changed (with t.lock) */
	unsigned inflight;
	bool active;                  /* DRIVER_OK: serve the queues */
	bool paused;                  /* pause protocol: take no new requests */
	bool resetting;
	bool stopping;
	struct blk_slot *slots[VIRTIO_MMIO_MAX_QUEUES]; /* [VQ_MAX_SIZE], by head */
	struct vq_chain chain;        /* scratch, I/O thread */
	struct blk_req req;           /* scratch, I/O thread */
	struct blk_merge last;        /* I/O thread */
	struct blk_stats stats;
	/* The image's filesystem refused (EOPNOTSUPP) ZERO_RANGE / PUNCH_HOLE: a WRITE_ZEROES
	 * needing it writes zeros straight away (a DISCARD, a hint, succeeds without effect). */
	bool no_zero_range, no_punch;
};

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void build_config(struct blk_dev *d)
{
	uint8_t *c = d->config;

	memset(c, 0, sizeof(d->config));
	put_le(c + 0x00, d->lim.capacity, 8);
	put_le(c + 0x0c, BLK_SEG_MAX, 4);
	put_le(c + 0x14, BLK_SECTOR, 4);
	put_le(c + 0x22, d->cfg.num_queues, 2);
	put_le(c + 0x24, 0xffffffffu, 4);  /* max_discard_sectors */
	put_le(c + 0x28, 1, 4);            /* max_discard_seg */
	put_le(c + 0x2c, 1, 4);            /* discard_sector_alignment */
	put_le(c + 0x30, 0xffffffffu, 4);  /* max_write_zeroes_sectors */
	put_le(c + 0x34, 1, 4);            /* max_write_zeroes_seg */
	c[0x38] = 1;                       /* write_zeroes_may_unmap */
}

static void cfg_read(void *opaque, uint32_t off, uint8_t *data, uint32_t len)
{
	struct blk_dev *d = opaque;

	if (off < CONFIG_SIZE && len <= CONFIG_SIZE - off)
		memcpy(data, d->config + off, len);
}

static void cfg_write(void *opaque, uint32_t off, const uint8_t *data, uint32_t len)
{
	(void)opaque;
	(void)data;
	log_warn_ratelimited("guest write of %u bytes to the read-only config space at 0x%x (ignored)", len, off);
}

static void wake(struct blk_dev *d)
{
	uint64_t one = 1;

	if (d->ctl_fd >= 0 && write(d->ctl_fd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow in practice. */
	}
}

static void activate(void *opaque)
{
	struct blk_dev *d = opaque;

	d->active = true;
	wake(d);
}

static void notify(void *opaque, unsigned queue)
{
	(void)queue;
	wake(opaque);
}

/* Guest reset (lock held): in-flight requests finish first (their buffers are the
 * guest's until then), without touching the rings. */
static void reset(void *opaque)
{
	struct blk_dev *d = opaque;

	d->resetting = true;
	d->active = false;
	while (d->inflight)
		pthread_cond_wait(&d->cond, &d->t.lock);
	d->resetting = false;
}

static const struct virtio_dev_ops blk_ops = {
	.config_read = cfg_read,
	.config_write = cfg_write,
	.activate = activate,
	.reset = reset,
	.notify = notify,
};

static void raise_irq(void *ctx)
{
	struct blk_dev *d = ctx;
	uint64_t one = 1;

	d->stats.interrupts++;
	if (d->w.irq_fd >= 0 && write(d->w.irq_fd, &one, sizeof(one)) < 0)
		log_warn_ratelimited("cannot raise the interrupt: %s", strerror(errno));
}

static void mark(struct blk_dev *d, uint64_t gpa, uint64_t len)
{
	if (d->t.mem.mark_dirty && len)
		d->t.mem.mark_dirty(d->t.mem.dirty_ctx, gpa, len);
}

/* Returns a finished request to the guest (lock held). */
static void finish(struct blk_dev *d, unsigned q, uint16_t head, uint8_t *status, uint64_t status_gpa,
		   uint8_t st, uint32_t len, bool *pushed)
{
	if (status) {
		*status = st;
		mark(d, status_gpa, 1);
	}
	if (vq_push(&d->t.vqs[q], &d->t.mem, head, len) < 0)
		virtio_mmio_needs_reset_locked(&d->t);
	*pushed = true;
	d->stats.requests++;
	d->stats.queue_requests[q]++;
}

/* Per-kind counters of a request the backend completed (lock held). */
static void count(struct blk_dev *d, const struct blk_slot *m, bool ok)
{
	struct blk_stats *st = &d->stats;

	if (!ok) {
		st->failed_ops++;
		return;
	}
	switch (m->type) {
	case VIRTIO_BLK_T_IN:
		st->rd_ops++;
		st->rd_bytes += m->own_len;
		break;
	case VIRTIO_BLK_T_OUT:
		st->wr_ops++;
		st->wr_bytes += m->own_len;
		break;
	case VIRTIO_BLK_T_FLUSH:
		st->flush_ops++;
		break;
	case VIRTIO_BLK_T_DISCARD:
		st->discard_ops++;
		break;
	default:
		st->wz_ops++;
		break;
	}
}

static struct io_uring_sqe *get_sqe(struct blk_dev *d)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&d->ring);

	if (!sqe) {
		d->last.valid = false; /* submitted: no longer extendable */
		(void)io_uring_submit(&d->ring);
		d->stats.submits++;
		sqe = io_uring_get_sqe(&d->ring);
	}
	return sqe;
}

static void arm_read(struct blk_dev *d, unsigned file, uint64_t *buf)
{
	struct io_uring_sqe *sqe = get_sqe(d);

	if (!sqe)
		return;
	io_uring_prep_read(sqe, (int)file, buf, sizeof(*buf), 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, TAG_FD | file);
}

/* A request's SQE: on the registered image, tagged with its queue and head. */
static void tag_request(struct io_uring_sqe *sqe, unsigned q, uint16_t head)
{
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, ((uint64_t)q << 16) | head);
}

/* The next writev of zeros of a WRITE_ZEROES the file could not fallocate. */
static void prep_zero_write(struct blk_slot *s, struct io_uring_sqe *sqe)
{
	unsigned n = 0;
	uint64_t left = s->zleft;

	while (left && n < ZERO_IOV) {
		uint64_t len = MIN(left, (uint64_t)sizeof(zero_chunk));

		s->iov[n].iov_base = (void *)zero_chunk;
		s->iov[n++].iov_len = len;
		left -= len;
	}
	s->niov = 0; /* nothing of guest RAM to mark */
	s->zchunk = s->zleft - left;
	io_uring_prep_writev(sqe, FILE_DISK, s->iov, n, s->zoff);
}

/*
 * A WRITE_ZEROES or DISCARD completion: true when the request goes on (the next chunk of
 * zeros, or zeros after a fallocate the filesystem does not support), with *res the
 * outcome otherwise. DISCARD is a hint: where holes cannot be punched it succeeds as is.
 */
static bool zeroes_continue(struct blk_dev *d, unsigned q, uint16_t head, struct blk_slot *s, int *res)
{
	struct io_uring_sqe *sqe;

	if (s->type == VIRTIO_BLK_T_DISCARD) {
		if (*res == -EOPNOTSUPP) {
			d->no_punch = true;
			*res = 0;
		}
		return false;
	}
	if (s->zchunk) { /* a chunk of zeros was written */
		if (*res < 0 || (uint64_t)*res != s->zchunk) {
			*res = *res < 0 ? *res : -EIO;
			return false;
		}
		s->zoff += s->zchunk;
		s->zleft -= s->zchunk;
		s->zchunk = 0;
		if (!s->zleft)
			return false;
	} else if (*res == -EOPNOTSUPP) { /* the fallocate: write zeros from now on */
		bool *no = s->zunmap ? &d->no_punch : &d->no_zero_range;

		if (!*no)
			log_info("disk '%s': its filesystem cannot fallocate %s: WRITE_ZEROES writes zeros", d->file.path,
				 s->zunmap ? "holes" : "zero ranges");
		*no = true;
	} else {
		return false;
	}
	sqe = get_sqe(d);
	if (!sqe) {
		*res = -EBUSY;
		return false;
	}
	prep_zero_write(s, sqe);
	tag_request(sqe, q, head);
	return true;
}

/* Submits a parsed request; false when the ring refused it (request failed). */
static bool submit(struct blk_dev *d, unsigned q, uint16_t head, const struct blk_req *r)
{
	struct blk_slot *s = &d->slots[q][head];
	struct io_uring_sqe *sqe;
	uint64_t off = r->sector * BLK_SECTOR;

	if (r->type == VIRTIO_BLK_T_GET_ID) {
		uint8_t id[VIRTIO_BLK_ID_BYTES] = { 0 };
		uint64_t left = MIN(r->data_len, (uint64_t)VIRTIO_BLK_ID_BYTES), done = 0;

		memcpy(id, d->cfg.serial, strnlen(d->cfg.serial, VIRTIO_BLK_ID_BYTES));
		for (unsigned i = 0; i < r->niov && left; i++) {
			uint64_t n = MIN(left, (uint64_t)r->iov[i].iov_len);

			memcpy(r->iov[i].iov_base, id + done, n);
			mark(d, r->iov_gpa[i], n);
			done += n;
			left -= n;
		}
		return false; /* completed inline by the caller */
	}
	s->type = r->type;
	s->status = r->status;
	s->status_gpa = r->status_gpa;
	s->own_len = r->data_len;
	s->next = -1;
	if ((r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_OUT) && d->last.valid && d->last.q == q &&
	    d->last.type == r->type && d->last.end == off) {
		struct blk_slot *lead = &d->slots[q][d->last.head];

		if (lead->niov + r->niov <= VQ_MAX_SEGS && lead->data_len + r->data_len <= (1ULL << 30)) {
			memcpy(lead->iov + lead->niov, r->iov, r->niov * sizeof(r->iov[0]));
			memcpy(lead->gpa + lead->niov, r->iov_gpa, r->niov * sizeof(r->iov_gpa[0]));
			lead->niov += r->niov;
			lead->data_len += r->data_len;
			d->last.sqe->len = lead->niov;
			s->niov = 0;
			s->data_len = 0;
			d->slots[q][d->last.tail].next = head;
			d->last.tail = head;
			d->last.end += r->data_len;
			d->inflight++;
			return true;
		}
	}
	d->last.valid = false;
	sqe = get_sqe(d);
	if (!sqe)
		return false;
	s->data_len = r->data_len;
	s->niov = r->niov;
	memcpy(s->iov, r->iov, r->niov * sizeof(r->iov[0]));
	memcpy(s->gpa, r->iov_gpa, r->niov * sizeof(r->iov_gpa[0]));
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		io_uring_prep_readv(sqe, FILE_DISK, s->iov, s->niov, off);
		break;
	case VIRTIO_BLK_T_OUT:
		io_uring_prep_writev(sqe, FILE_DISK, s->iov, s->niov, off);
		break;
	case VIRTIO_BLK_T_FLUSH:
		io_uring_prep_fsync(sqe, FILE_DISK, 0);
		break;
	case VIRTIO_BLK_T_DISCARD:
		io_uring_prep_fallocate(sqe, FILE_DISK, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					r->seg_sector * BLK_SECTOR, (uint64_t)r->seg_sectors * BLK_SECTOR);
		break;
	default: { /* WRITE_ZEROES */
		bool unmap = r->seg_flags & VIRTIO_BLK_WZ_F_UNMAP;

		s->zoff = r->seg_sector * BLK_SECTOR;
		s->zleft = (uint64_t)r->seg_sectors * BLK_SECTOR;
		s->zchunk = 0;
		s->zunmap = unmap;
		if (unmap ? d->no_punch : d->no_zero_range) {
			prep_zero_write(s, sqe);
			break;
		}
		io_uring_prep_fallocate(sqe, FILE_DISK,
					unmap ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE :
						FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
					s->zoff, s->zleft);
		break;
	}
	}
	tag_request(sqe, q, head);
	d->inflight++;
	if (r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_OUT)
		d->last = (struct blk_merge){ .valid = true, .q = q, .head = head, .tail = head, .type = r->type,
					      .end = off + r->data_len, .sqe = sqe };
	return true;
}

/* Takes every available request of queue q (lock held). */
static void process_queue(struct blk_dev *d, unsigned q, bool *pushed)
{
	struct virtqueue *vq = &d->t.vqs[q];

	if (!vq->s.ready)
		return;
	for (;;) {
		vq_enable_notify(vq, &d->t.mem, false);
		for (;;) {
			struct vq_chain *c = &d->chain;
			struct blk_req *r = &d->req;
			int ret = vq_pop(vq, &d->t.mem, c);

			if (ret == 0)
				break;
			if (ret == VQ_BROKEN) {
				virtio_mmio_needs_reset_locked(&d->t);
				return;
			}
			if (ret == VQ_BAD_CHAIN) {
				log_warn_ratelimited("queue %u: bad descriptor chain (head %u) failed", q, c->head);
				finish(d, q, c->head, NULL, 0, 0, 0, pushed);
				continue;
			}
			ret = blk_req_parse(c, &d->lim, r);
			if (ret < 0) {
				log_warn_ratelimited("queue %u: request without a status byte (head %u) failed", q, c->head);
				finish(d, q, c->head, NULL, 0, 0, 0, pushed);
			} else if (ret > 0) {
				finish(d, q, c->head, r->status, r->status_gpa, (uint8_t)(ret - 1), 1, pushed);
			} else if (!submit(d, q, c->head, r)) {
				bool ok = r->type == VIRTIO_BLK_T_GET_ID;

				finish(d, q, c->head, r->status, r->status_gpa, ok ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR,
				       blk_req_used_len(r, ok), pushed);
			}
		}
		if (!vq_enable_notify(vq, &d->t.mem, true))
			break;
	}
}

static void complete(struct blk_dev *d, uint64_t tag, int res, bool *pushed)
{
	unsigned q = (unsigned)(tag >> 16) & 0xff;
	uint16_t head = (uint16_t)tag;
	struct blk_slot *s;
	bool ok;
	unsigned i;

	if (q >= d->t.nr_queues || head >= VQ_MAX_SIZE)
		return;
	s = &d->slots[q][head];
	if (d->resetting || !d->active) {
		/* The guest reset the device meanwhile: its rings are gone. */
		for (int32_t h = head; h >= 0 && h < VQ_MAX_SIZE; h = d->slots[q][h].next)
			d->inflight--;
		if (!d->inflight)
			pthread_cond_broadcast(&d->cond);
		return;
	}
	if ((s->type == VIRTIO_BLK_T_WRITE_ZEROES || s->type == VIRTIO_BLK_T_DISCARD) &&
	    zeroes_continue(d, q, head, s, &res))
		return;
	if (s->type == VIRTIO_BLK_T_IN || s->type == VIRTIO_BLK_T_OUT)
		ok = res >= 0 && (uint64_t)res == s->data_len;
	else
		ok = res >= 0;
	if (!ok)
		log_warn_ratelimited("request type %u on '%s' failed: %s", s->type, d->file.path,
				     res < 0 ? strerror(-res) : "short transfer");
	if (ok && s->type == VIRTIO_BLK_T_IN)
		for (i = 0; i < s->niov; i++)
			mark(d, s->gpa[i], s->iov[i].iov_len);
	/* This request and every one merged into its SQE. */
	for (int32_t h = head; h >= 0 && h < VQ_MAX_SIZE;) {
		struct blk_slot *m = &d->slots[q][h];
		int32_t next = m->next;

		d->inflight--;
		count(d, m, ok);
		finish(d, q, (uint16_t)h, m->status, m->status_gpa, ok ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR,
		       (ok && m->type == VIRTIO_BLK_T_IN) ? (uint32_t)(m->own_len + 1) : 1, pushed);
		h = next;
	}
	if (!d->inflight)
		pthread_cond_broadcast(&d->cond);
}

static void *io_thread(void *arg)
{
	struct blk_dev *d = arg;
	unsigned q;

	pthread_mutex_lock(&d->t.lock);
	arm_read(d, FILE_CTL, &d->ctl_buf);
	for (q = 0; q < d->t.nr_queues; q++)
		if (d->w.kick_fds[q] >= 0)
			arm_read(d, FILE_KICK0 + q, &d->kick_buf[q]);
	pthread_mutex_unlock(&d->t.lock);
	for (;;) {
		struct io_uring_cqe *cqe;
		bool pushed[VIRTIO_MMIO_MAX_QUEUES] = { false };
		unsigned head, n = 0;
		int ret;

		ret = io_uring_submit_and_wait(&d->ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -EBUSY && ret != -EAGAIN) {
			log_err("io_uring on '%s': %s", d->file.path, strerror(-ret));
			break;
		}
		pthread_mutex_lock(&d->t.lock);
		d->stats.submits++; /* read by blk_get_stats under the lock */
		d->last.valid = false; /* everything prepared so far was submitted */
		io_uring_for_each_cqe(&d->ring, head, cqe) {
			uint64_t tag = io_uring_cqe_get_data64(cqe);

			n++;
			if (tag & TAG_FD) {
				unsigned f = (unsigned)(tag & 0xff);

				if (f == FILE_CTL)
					arm_read(d, FILE_CTL, &d->ctl_buf);
				else if (f - FILE_KICK0 < d->t.nr_queues)
					arm_read(d, f, &d->kick_buf[f - FILE_KICK0]);
				continue;
			}
			complete(d, tag, cqe->res, &pushed[(tag >> 16) & (VIRTIO_MMIO_MAX_QUEUES - 1)]);
		}
		io_uring_cq_advance(&d->ring, n);
		if (d->stopping && !d->inflight) {
			pthread_mutex_unlock(&d->t.lock);
			break;
		}
		if (d->active && !d->paused && !d->stopping && virtio_mmio_running(&d->t))
			for (q = 0; q < d->t.nr_queues; q++)
				process_queue(d, q, &pushed[q]);
		for (q = 0; q < d->t.nr_queues; q++)
			if (pushed[q] && vq_need_notify(&d->t.vqs[q], &d->t.mem))
				virtio_mmio_interrupt_locked(&d->t, VIRTIO_INT_USED);
		pthread_mutex_unlock(&d->t.lock);
	}
	return NULL;
}

/* Raw io_uring_register: Debian 12's liburing 2.3 shared library does not export
 * io_uring_register_restrictions / io_uring_enable_rings (its static one does). */
static int uring_register(struct io_uring *ring, unsigned op, const void *arg, unsigned n)
{
	long r = syscall(__NR_io_uring_register, ring->ring_fd, op, arg, n);

	return r < 0 ? -errno : (int)r;
}

/* The ring: disabled at creation, registered files, an opcode allow-list, enabled. */
static int ring_setup(struct blk_dev *d)
{
	struct io_uring_params p = { .flags = IORING_SETUP_R_DISABLED };
	struct io_uring_restriction res[] = {
		{ .opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_READV },
		{ .opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_WRITEV },
		{ .opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_FSYNC },
		{ .opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_FALLOCATE },
		{ .opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_READ },
		{ .opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED, .sqe_flags = IOSQE_FIXED_FILE },
		{ .opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED, .sqe_flags = IOSQE_FIXED_FILE },
	};
	int fds[FILE_KICK0 + VIRTIO_MMIO_MAX_QUEUES];
	unsigned i, nfds = FILE_KICK0 + d->t.nr_queues;
	int ret;

	ret = io_uring_queue_init_params(VQ_MAX_SIZE * d->t.nr_queues + 16, &d->ring, &p);
	if (ret < 0)
		return ret;
	d->ring_ready = true;
	fds[FILE_DISK] = d->file.fd;
	fds[FILE_CTL] = d->ctl_fd;
	for (i = 0; i < d->t.nr_queues; i++)
		fds[FILE_KICK0 + i] = d->w.kick_fds[i] >= 0 ? d->w.kick_fds[i] : d->ctl_fd;
	ret = io_uring_register_files(&d->ring, fds, nfds);
	if (ret < 0)
		return ret;
	ret = uring_register(&d->ring, IORING_REGISTER_RESTRICTIONS, res, ARRAY_SIZE(res));
	if (ret < 0)
		return ret;
	return uring_register(&d->ring, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
}

static int start_io(struct blk_dev *d, char *errbuf, size_t errlen)
{
	int ret;

	ret = ring_setup(d);
	if (ret < 0) {
		ERR("disk '%s': cannot set up its io_uring: %s", d->cfg.path, strerror(-ret));
		return ret;
	}
	ret = pthread_create(&d->thread, NULL, io_thread, d);
	if (ret) {
		ERR("disk '%s': cannot start its I/O thread: %s", d->cfg.path, strerror(ret));
		return -ret;
	}
	d->thread_started = true;
	return 0;
}

struct virtio_mmio *blk_transport(struct blk_dev *d)
{
	return &d->t;
}

int blk_create(const struct vm_disk_cfg *cfg, const struct blk_wiring *w, bool defer_open, struct blk_dev **out,
	       char *errbuf, size_t errlen)
{
	struct blk_dev *d;
	uint64_t features;
	unsigned nq = cfg->num_queues ? cfg->num_queues : 1, i;
	int ret;

	if (nq > VIRTIO_MMIO_MAX_QUEUES) {
		ERR("disk '%s': num_queues=%u, at most %u", cfg->path, nq, VIRTIO_MMIO_MAX_QUEUES);
		return -EINVAL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cfg = *cfg;
	d->cfg.num_queues = nq;
	d->w = *w;
	d->file.fd = -1;
	d->ctl_fd = -1;
	features = (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_FLUSH) |
		   (1ULL << VIRTIO_F_EVENT_IDX) | (1ULL << VIRTIO_F_INDIRECT_DESC);
	if (cfg->readonly)
		features |= 1ULL << VIRTIO_BLK_F_RO;
	else
		features |= (1ULL << VIRTIO_BLK_F_DISCARD) | (1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
	if (nq > 1)
		features |= 1ULL << VIRTIO_BLK_F_MQ;
	ret = virtio_mmio_init(&d->t, VIRTIO_ID_BLOCK, features, nq, &blk_ops, d);
	if (ret < 0) {
		free(d);
		return ret;
	}
	d->t.mem = w->mem;
	d->t.raise_irq = raise_irq;
	d->t.irq_ctx = d;
	pthread_cond_init(&d->cond, NULL);
	for (i = 0; i < nq; i++) {
		d->slots[i] = calloc(VQ_MAX_SIZE, sizeof(struct blk_slot));
		if (!d->slots[i]) {
			ret = -ENOMEM;
			goto err;
		}
	}
	d->ctl_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->ctl_fd < 0) {
		ret = -errno;
		goto err;
	}
	if (defer_open) {
		struct stat st;

		if (stat(cfg->path, &st) < 0) {
			ret = -errno;
			ERR("disk '%s': %s", cfg->path, strerror(-ret));
			goto err;
		}
		snprintf(d->file.path, sizeof(d->file.path), "%s", cfg->path);
		d->file.readonly = cfg->readonly;
		d->file.direct = cfg->cache_none;
		d->file.size = (uint64_t)st.st_size;
	} else {
		ret = disk_file_open(&d->file, cfg->path, cfg->readonly, cfg->cache_none, errbuf, errlen);
		if (ret < 0)
			goto err;
	}
	d->lim = (struct blk_limits){
		.capacity = d->file.size / BLK_SECTOR, .readonly = cfg->readonly,
		.discard = !cfg->readonly, .write_zeroes = !cfg->readonly,
	};
	build_config(d);
	if (!defer_open) {
		ret = start_io(d, errbuf, errlen);
		if (ret < 0)
			goto err;
	}
	*out = d;
	return 0;
err:
	blk_destroy(d);
	return ret;
}

void blk_destroy(struct blk_dev *d)
{
	unsigned i;

	if (!d)
		return;
	if (d->thread_started) {
		pthread_mutex_lock(&d->t.lock);
		d->stopping = true;
		pthread_mutex_unlock(&d->t.lock);
		wake(d);
		pthread_join(d->thread, NULL);
	}
	if (d->ring_ready)
		io_uring_queue_exit(&d->ring);
	disk_file_close(&d->file);
	if (d->ctl_fd >= 0)
		close(d->ctl_fd);
	for (i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		free(d->slots[i]);
	pthread_cond_destroy(&d->cond);
	virtio_mmio_fini(&d->t);
	free(d);
}

int blk_pause(struct blk_dev *d, unsigned timeout_ms)
{
	struct timespec dl;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&d->t.lock);
	d->paused = true;
	while (d->inflight && ret == 0)
		ret = pthread_cond_timedwait(&d->cond, &d->t.lock, &dl);
	if (d->inflight) {
		log_err("disk '%s': %u requests still in flight after %u ms: cannot pause", d->file.path, d->inflight,
			timeout_ms);
		d->paused = false;
		pthread_mutex_unlock(&d->t.lock);
		wake(d);
		return -ETIMEDOUT;
	}
	pthread_mutex_unlock(&d->t.lock);
	/* Every completion is in the used ring and signalled; now the image itself. */
	if (d->file.fd >= 0 && !d->file.readonly && fsync(d->file.fd) < 0) {
		ret = -errno;
		log_err("disk '%s': flush failed: %s", d->file.path, strerror(-ret));
		blk_resume(d);
		return ret;
	}
	return 0;
}

void blk_resume(struct blk_dev *d)
{
	pthread_mutex_lock(&d->t.lock);
	d->paused = false;
	pthread_mutex_unlock(&d->t.lock);
	wake(d);
}

bool blk_is_drained(struct blk_dev *d)
{
	bool r;

	pthread_mutex_lock(&d->t.lock);
	r = d->paused && !d->inflight;
	pthread_mutex_unlock(&d->t.lock);
	return r;
}

void blk_info(struct blk_dev *d, struct blk_disk_info *out)
{
	*out = (struct blk_disk_info){
		.path = d->file.path, .size = d->file.size, .serial = d->cfg.serial, .readonly = d->cfg.readonly,
	};
}

int blk_release_for_migration(struct blk_dev *d)
{
	if (!blk_is_drained(d))
		return -EBUSY;
	if (d->file.fd >= 0 && !d->file.readonly && fsync(d->file.fd) < 0)
		return -errno;
	disk_file_unlock(&d->file);
	return 0;
}

int blk_reclaim_after_failed_migration(struct blk_dev *d)
{
	return d->file.locked ? 0 : disk_file_lock(&d->file);
}

int blk_acquire_at_switchover(struct blk_dev *d, char *errbuf, size_t errlen)
{
	int ret;

	if (d->file.fd >= 0)
		return d->file.locked ? 0 : disk_file_lock(&d->file);
	ret = disk_file_open(&d->file, d->cfg.path, d->cfg.readonly, d->cfg.cache_none, errbuf, errlen);
	if (ret < 0)
		return ret;
	if (d->file.size / BLK_SECTOR != d->lim.capacity) {
		ERR("disk '%s' changed size before the switch-over", d->cfg.path);
		disk_file_close(&d->file);
		return -EINVAL;
	}
	return start_io(d, errbuf, errlen);
}

void blk_set_dirty_hook(struct blk_dev *d, void (*mark_dirty)(void *ctx, uint64_t gpa, uint64_t len), void *ctx)
{
	pthread_mutex_lock(&d->t.lock);
	d->t.mem.mark_dirty = mark_dirty;
	d->t.mem.dirty_ctx = ctx;
	pthread_mutex_unlock(&d->t.lock);
}

void blk_get_stats(struct blk_dev *d, struct blk_stats *out)
{
	pthread_mutex_lock(&d->t.lock);
	*out = d->stats;
	pthread_mutex_unlock(&d->t.lock);
}

int blk_save(struct blk_dev *d, struct blk_saved *out)
{
	memset(out, 0, sizeof(*out));
	if (snprintf((char *)out->path, sizeof(out->path), "%s", d->cfg.path) >= (int)sizeof(out->path))
		return -ENAMETOOLONG;
	memcpy(out->serial, d->cfg.serial, sizeof(out->serial));
	out->serial[VM_DISK_SERIAL_MAX] = 0;
	out->size = d->file.size;
	out->readonly = d->cfg.readonly;
	out->cache_none = d->cfg.cache_none;
	out->num_queues = d->t.nr_queues;
	pthread_mutex_lock(&d->t.lock);
	if (d->inflight) {
		pthread_mutex_unlock(&d->t.lock);
		return -EBUSY; /* never save half-done requests */
	}
	pthread_mutex_unlock(&d->t.lock);
	virtio_mmio_save(&d->t, &out->transport, out->queues);
	return 0;
}

int blk_load(struct blk_dev *d, const struct blk_saved *in)
{
	int ret;

	if (in->num_queues != d->t.nr_queues)
		return -EINVAL;
	ret = virtio_mmio_load(&d->t, &in->transport, in->queues);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&d->t.lock);
	d->active = virtio_mmio_running(&d->t);
	pthread_mutex_unlock(&d->t.lock);
	wake(d); /* requests the guest queued before the snapshot are served now */
	return 0;
}

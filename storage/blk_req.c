// SPDX-License-Identifier: MIT
/* virtio-blk request parsing (blk_req.h). */
#include <errno.h>
#include <string.h>

#include "storage/blk_req.h"

#define DONE(st) (1 + (st))

/* Copies n device-readable bytes starting at byte `skip` of the readable part. */
static int read_out(const struct vq_chain *c, uint64_t skip, void *dst, uint64_t n)
{
	uint8_t *d = dst;
	unsigned i;

	for (i = 0; i < c->n && n; i++) {
		const struct vq_buf *b = &c->bufs[i];
		uint64_t take;

		if (b->write)
			break;
		if (skip >= b->len) {
			skip -= b->len;
			continue;
		}
		take = MIN(n, b->len - skip);
		memcpy(d, (uint8_t *)b->host + skip, take);
		d += take;
		n -= take;
		skip = 0;
	}
	return n ? -1 : 0;
}

static int add_iov(struct blk_req *r, void *host, uint64_t gpa, uint64_t len)
{
	if (!len)
		return 0;
	if (r->niov >= VQ_MAX_SEGS)
		return -1;
	r->iov[r->niov].iov_base = host;
	r->iov[r->niov].iov_len = len;
	r->iov_gpa[r->niov] = gpa;
	r->niov++;
	r->data_len += len;
	return 0;
}

/* The readable bytes after the 16-byte header. */
static int collect_out(const struct vq_chain *c, struct blk_req *r)
{
	uint64_t skip = 16;
	unsigned i;

	for (i = 0; i < c->n && !c->bufs[i].write; i++) {
		const struct vq_buf *b = &c->bufs[i];

		if (skip >= b->len) {
			skip -= b->len;
			continue;
		}
		if (add_iov(r, (uint8_t *)b->host + skip, b->gpa + skip, b->len - skip) < 0)
			return -1;
		skip = 0;
	}
	return 0;
}

/* The writable bytes except the status byte (the last writable byte). */
static int collect_in(const struct vq_chain *c, struct blk_req *r)
{
	uint64_t left = c->in_len - 1;
	unsigned i;

	for (i = 0; i < c->n && left; i++) {
		const struct vq_buf *b = &c->bufs[i];
		uint64_t take;

		if (!b->write)
			continue;
		take = MIN(left, (uint64_t)b->len);
		if (add_iov(r, b->host, b->gpa, take) < 0)
			return -1;
		left -= take;
	}
	return 0;
}

static bool range_ok(uint64_t sector, uint64_t sectors, uint64_t capacity)
{
	return sector <= capacity && sectors <= capacity - sector;
}

int blk_req_parse(const struct vq_chain *c, const struct blk_limits *lim, struct blk_req *r)
{
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr;
	const struct vq_buf *last;
	unsigned i;

	r->niov = 0;
	r->data_len = 0;
	r->status = NULL;
	/* The status byte: the last byte of the last (writable) buffer. */
	if (c->n == 0 || c->in_len == 0)
		return -EBADMSG;
	last = NULL;
	for (i = c->n; i-- > 0;) {
		if (c->bufs[i].write && c->bufs[i].len) {
			last = &c->bufs[i];
			break;
		}
	}
	if (!last)
		return -EBADMSG;
	r->status = (uint8_t *)last->host + last->len - 1;
	r->status_gpa = last->gpa + last->len - 1;
	if (c->out_len < 16 || read_out(c, 0, &hdr, 16) < 0)
		return DONE(VIRTIO_BLK_S_IOERR);
	r->type = hdr.type;
	r->sector = hdr.sector;
	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
		if (c->out_len != 16 || collect_in(c, r) < 0)
			return DONE(VIRTIO_BLK_S_IOERR);
		goto rw;
	case VIRTIO_BLK_T_OUT:
		if (c->in_len != 1 || collect_out(c, r) < 0)
			return DONE(VIRTIO_BLK_S_IOERR);
		if (lim->readonly)
			return DONE(VIRTIO_BLK_S_IOERR); /* §5.2.6.2: MUST NOT write */
rw:
		if (r->data_len % BLK_SECTOR || !range_ok(r->sector, r->data_len / BLK_SECTOR, lim->capacity))
			return DONE(VIRTIO_BLK_S_IOERR);
		if (r->data_len == 0)
			return DONE(VIRTIO_BLK_S_OK);
		return 0;
	case VIRTIO_BLK_T_FLUSH:
		if (lim->readonly)
			return DONE(VIRTIO_BLK_S_OK); /* nothing was written */
		return 0;
	case VIRTIO_BLK_T_GET_ID:
		if (collect_in(c, r) < 0)
			return DONE(VIRTIO_BLK_S_IOERR);
		return 0;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES: {
		struct {
			uint64_t sector;
			uint32_t num, flags;
		} seg;

		if ((hdr.type == VIRTIO_BLK_T_DISCARD && !lim->discard) ||
		    (hdr.type == VIRTIO_BLK_T_WRITE_ZEROES && !lim->write_zeroes))
			return DONE(VIRTIO_BLK_S_UNSUPP);
		if (c->in_len != 1 || c->out_len != 32 || read_out(c, 16, &seg, 16) < 0)
			return DONE(VIRTIO_BLK_S_IOERR); /* exactly one segment */
		if (lim->readonly)
			return DONE(VIRTIO_BLK_S_IOERR);
		if (seg.flags & ~VIRTIO_BLK_WZ_F_UNMAP ||
		    (hdr.type == VIRTIO_BLK_T_DISCARD && seg.flags))
			return DONE(VIRTIO_BLK_S_UNSUPP);
		if (!range_ok(seg.sector, seg.num, lim->capacity))
			return DONE(VIRTIO_BLK_S_IOERR);
		r->seg_sector = seg.sector;
		r->seg_sectors = seg.num;
		r->seg_flags = seg.flags;
		if (seg.num == 0)
			return DONE(VIRTIO_BLK_S_OK);
		return 0;
	}
	default:
		return DONE(VIRTIO_BLK_S_UNSUPP);
	}
}

uint32_t blk_req_used_len(const struct blk_req *r, bool ok)
{
	if (ok && (r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_GET_ID))
		return (uint32_t)(r->data_len + 1);
	return 1;
}

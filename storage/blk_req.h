/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk requests (virtio 1.2 §5.2.6): the parser of a descriptor chain into
 * a request, with every guest-controlled value checked (header and status
 * placement, data length, sector range against the capacity, read-only).
 * Portable and allocation-free: the fuzz target drives it over fake guest memory.
 */
#ifndef STORAGE_BLK_REQ_H
#define STORAGE_BLK_REQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/core/compiler.h"
#include "vmm/devices/virtqueue.h"

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_WZ_F_UNMAP 1u
#define VIRTIO_BLK_ID_BYTES 20
#define BLK_SECTOR 512ULL

struct blk_req {
	uint32_t type;
	uint64_t sector;
	/* IN/OUT data, GET_ID buffer: host addresses of the guest buffers. */
	struct iovec iov[VQ_MAX_SEGS];
	uint64_t iov_gpa[VQ_MAX_SEGS];
	unsigned niov;
	uint64_t data_len;
	/* DISCARD / WRITE_ZEROES: the one segment (max_discard_seg = 1). */
	uint64_t seg_sector;
	uint32_t seg_sectors, seg_flags;
	uint8_t *status;      /* the status byte in guest memory */
	uint64_t status_gpa;
};

struct blk_limits {
	uint64_t capacity;    /* sectors */
	bool readonly;
	bool discard, write_zeroes; /* offered */
};

/*
 * Parses chain c. Returns:
 *   0   the request is valid: r filled, to be executed;
 *   >0  (1 + VIRTIO_BLK_S_x) the request is complete already with that status
 *       (rejected request, or nothing to do), r->status set;
 *   -EBADMSG  no usable status byte: return the chain with len 0.
 */
int blk_req_parse(const struct vq_chain *c, const struct blk_limits *lim, struct blk_req *r) __must_check;
/* Bytes to report in the used ring for a completed request (data written + status). */
uint32_t blk_req_used_len(const struct blk_req *r, bool ok);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueues (virtio 1.2 §2.7), device side. Everything the guest wrote is
 * untrusted: every ring and buffer access goes through the guest-memory accessor
 * (whole range inside guest RAM or NULL), chains are bounded by the queue size,
 * indirect tables follow §2.7.5.3, and a head that is already in flight is
 * refused. Not thread-safe: the owner (the device) serialises calls.
 */
#ifndef VMM_VIRTQUEUE_H
#define VMM_VIRTQUEUE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/core/compiler.h"

#define VQ_MAX_SIZE 256   /* QueueNumMax we offer */
#define VQ_MAX_SEGS 256   /* longest chain we accept (SEG_MAX 254 + header + status) */

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

/* Guest memory as a device sees it. gpa() returns the host address of
 * [gpa, gpa + len) when all of it is guest RAM, else NULL. mark_dirty (may be
 * NULL) is told about every range the device writes (live migration). */
struct vq_mem {
	void *(*gpa)(void *ctx, uint64_t gpa, uint64_t len);
	void *ctx;
	void (*mark_dirty)(void *ctx, uint64_t gpa, uint64_t len);
	void *dirty_ctx;
};

/* Driver-visible configuration and device progress: what a snapshot saves. */
struct vq_state {
	uint32_t num;         /* QueueNum, a power of two <= VQ_MAX_SIZE */
	uint32_t ready;
	uint64_t desc, avail, used;
	uint32_t last_avail;  /* next avail entry to take (u16 ring index, kept in 32 bits) */
	uint32_t used_idx;    /* next used entry to write */
	uint32_t signalled;   /* used_idx at the last notification (EVENT_IDX) */
};

struct virtqueue {
	struct vq_state s;
	bool event_idx;       /* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;        /* VIRTIO_F_INDIRECT_DESC negotiated */
	bool signalled_valid;
	uint8_t inflight[VQ_MAX_SIZE / 8]; /* heads taken and not yet returned */
	uint32_t nr_inflight;
};

struct vq_buf {
	uint64_t gpa;
	uint32_t len;
	bool write;           /* device-writable */
	void *host;
};

struct vq_chain {
	uint16_t head;
	unsigned n;
	uint64_t out_len, in_len; /* device-readable / device-writable bytes */
	struct vq_buf bufs[VQ_MAX_SEGS];
};

/* vq_pop results besides 1 (a chain) and 0 (nothing available). */
#define VQ_BAD_CHAIN (-EBADMSG) /* chain rejected: return chain->head with len 0 */
#define VQ_BROKEN (-EPROTO)     /* the ring itself is unusable: the device needs a reset */

void vq_reset(struct virtqueue *vq);
/* Checks the addresses and size the driver configured before the queue goes live. */
int vq_validate(const struct virtqueue *vq, const struct vq_mem *mem) __must_check;
/* Takes the next available chain. */
int vq_pop(struct virtqueue *vq, const struct vq_mem *mem, struct vq_chain *c) __must_check;
/* Returns a chain taken by vq_pop with len bytes written. -EINVAL: head not in flight. */
int vq_push(struct virtqueue *vq, const struct vq_mem *mem, uint16_t head, uint32_t len) __must_check;
/* After pushes: whether the driver wants an interrupt now (used_event / NO_INTERRUPT). */
bool vq_need_notify(struct virtqueue *vq, const struct vq_mem *mem);
/* Notification suppression while the device is busy: enable=false asks the driver
 * not to kick; enable=true re-arms (avail_event = last_avail) and returns true when
 * more buffers arrived meanwhile (the caller must poll again). */
bool vq_enable_notify(struct virtqueue *vq, const struct vq_mem *mem, bool enable);
/* Whether buffers are available. */
bool vq_has_avail(struct virtqueue *vq, const struct vq_mem *mem);
/* After a restore: rebuilds in-flight state (none: a snapshot is taken drained). */
void vq_restore(struct virtqueue *vq);


#endif

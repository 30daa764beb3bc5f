// SPDX-License-Identifier: MIT
/* The virtio-blk state section (blk_state.h). */
#include <errno.h>
#include <string.h>

#include "migration/format/vmstate.h"
#include "storage/blk_state.h"

static const struct vmstate_field transport_fields[] = {
	VMS_U32(struct virtio_mmio_state, status),
	VMS_U32(struct virtio_mmio_state, dev_features_sel),
	VMS_U32(struct virtio_mmio_state, drv_features_sel),
	VMS_U32(struct virtio_mmio_state, queue_sel),
	VMS_U64(struct virtio_mmio_state, driver_features),
	VMS_U32(struct virtio_mmio_state, interrupt_status),
	VMS_U32(struct virtio_mmio_state, config_generation),
	VMS_END,
};

static const struct vmstate_desc transport_vmstate = {
	.name = "virtio-mmio", .version = 1, .min_version = 1,
	.size = sizeof(struct virtio_mmio_state), .fields = transport_fields,
};

static const struct vmstate_field queue_fields[] = {
	VMS_U32(struct vq_state, num),
	VMS_U32(struct vq_state, ready),
	VMS_U64(struct vq_state, desc),
	VMS_U64(struct vq_state, avail),
	VMS_U64(struct vq_state, used),
	VMS_U32(struct vq_state, last_avail),
	VMS_U32(struct vq_state, used_idx),
	VMS_U32(struct vq_state, signalled),
	VMS_END,
};

static const struct vmstate_desc queue_vmstate = {
	.name = "virtqueue", .version = 1, .min_version = 1,
	.size = sizeof(struct vq_state), .fields = queue_fields,
};

static const struct vmstate_field blk_fields[] = {
	VMS_BUFFER(struct blk_saved, path),
	VMS_BUFFER(struct blk_saved, serial),
	VMS_U64(struct blk_saved, size),
	VMS_BOOL(struct blk_saved, readonly),
	VMS_BOOL(struct blk_saved, cache_none),
	VMS_U32(struct blk_saved, num_queues),
	VMS_STRUCT(struct blk_saved, transport, transport_vmstate, struct virtio_mmio_state),
	VMS_STRUCT_ARRAY(struct blk_saved, queues, queue_vmstate, struct vq_state),
	VMS_END,
};

static int blk_post_load(void *opaque, uint32_t version, struct mig_err *err)
{
	struct blk_saved *b = opaque;
	unsigned i;

	(void)version;
	if (!memchr(b->path, 0, sizeof(b->path)) || !memchr(b->serial, 0, sizeof(b->serial)) || !b->path[0]) {
		mig_err_set(err, "virtio-blk: unterminated or empty path or serial");
		return -EINVAL;
	}
	if (b->size < 512 || b->size % 512 || b->num_queues == 0 || b->num_queues > VIRTIO_MMIO_MAX_QUEUES) {
		mig_err_set(err, "virtio-blk: invalid size %llu or queue count %u", (unsigned long long)b->size,
			    b->num_queues);
		return -EINVAL;
	}
	for (i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++) {
		const struct vq_state *q = &b->queues[i];

		if (q->num > VQ_MAX_SIZE || (q->num & (q->num - 1)) || q->ready > 1 || q->last_avail > 0xffff ||
		    q->used_idx > 0xffff || (q->ready && (i >= b->num_queues || !q->num))) {
			mig_err_set(err, "virtio-blk: queue %u state is invalid", i);
			return -EINVAL;
		}
	}
	return 0;
}

static bool blk_needed(const void *opaque)
{
	return ((const struct blk_saved *)opaque)->size != 0;
}

const struct vmstate_desc blk_vmstate = {
	.name = "virtio-blk", .version = 1, .min_version = 1,
	.size = sizeof(struct blk_saved), .fields = blk_fields,
	.post_load = blk_post_load, .needed = blk_needed,
};

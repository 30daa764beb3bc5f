/* SPDX-License-Identifier: MIT */
/*
 * The saved state of one virtio-blk disk (section "virtio-blk", instance = slot):
 * the disk's identity (path, size, serial: never its data) and the transport and
 * queue state, taken after the device drained (blk_pause). Plain data.
 */
#ifndef STORAGE_BLK_STATE_H
#define STORAGE_BLK_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/arm64/vm_config.h"
#include "vmm/devices/virtio_mmio.h"

struct blk_saved {
	uint8_t path[VM_DISK_PATH_MAX];       /* NUL-terminated */
	uint8_t serial[VM_DISK_SERIAL_MAX + 1];
	uint64_t size;                        /* bytes; 0: no disk in this slot */
	bool readonly;
	bool cache_none;
	uint32_t num_queues;
	struct virtio_mmio_state transport;
	struct vq_state queues[VIRTIO_MMIO_MAX_QUEUES];
};

struct vmstate_desc;
extern const struct vmstate_desc blk_vmstate;

#endif

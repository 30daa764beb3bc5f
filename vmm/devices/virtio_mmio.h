/* SPDX-License-Identifier: MIT */
/*
 * virtio-mmio version 2 transport (virtio 1.2 §4.2): the register block, feature
 * negotiation with the device-status state machine enforced (§2.1, §3.1.1), the
 * queue configuration and the interrupt status. The device behind it (virtio-blk)
 * plugs in through struct virtio_dev_ops. One mutex (lock) protects the transport
 * and the device's queues: the vCPU thread (register accesses) and the device's
 * I/O thread both take it.
 */
#ifndef VMM_VIRTIO_MMIO_H
#define VMM_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/core/compiler.h"
#include "vmm/core/log.h"
#include "vmm/devices/virtqueue.h"

#define VIRTIO_MMIO_MAGIC 0x74726976u
#define VIRTIO_MMIO_VERSION 2u
#define VIRTIO_MMIO_VENDOR 0x554d4551u /* "QEMU", what Linux guests expect to see */
#define VIRTIO_MMIO_MAX_QUEUES 8

enum {
	VIRTIO_MMIO_MAGIC_VALUE = 0x000,
	VIRTIO_MMIO_VERSION_REG = 0x004,
	VIRTIO_MMIO_DEVICE_ID = 0x008,
	VIRTIO_MMIO_VENDOR_ID = 0x00c,
	VIRTIO_MMIO_DEVICE_FEATURES = 0x010,
	VIRTIO_MMIO_DEVICE_FEATURES_SEL = 0x014,
	VIRTIO_MMIO_DRIVER_FEATURES = 0x020,
	VIRTIO_MMIO_DRIVER_FEATURES_SEL = 0x024,
	VIRTIO_MMIO_QUEUE_SEL = 0x030,
	VIRTIO_MMIO_QUEUE_NUM_MAX = 0x034,
	VIRTIO_MMIO_QUEUE_NUM = 0x038,
	VIRTIO_MMIO_QUEUE_READY = 0x044,
	VIRTIO_MMIO_QUEUE_NOTIFY = 0x050,
	VIRTIO_MMIO_INTERRUPT_STATUS = 0x060,
	VIRTIO_MMIO_INTERRUPT_ACK = 0x064,
	VIRTIO_MMIO_STATUS = 0x070,
	VIRTIO_MMIO_QUEUE_DESC_LOW = 0x080,
	VIRTIO_MMIO_QUEUE_DESC_HIGH = 0x084,
	VIRTIO_MMIO_QUEUE_AVAIL_LOW = 0x090,
	VIRTIO_MMIO_QUEUE_AVAIL_HIGH = 0x094,
	VIRTIO_MMIO_QUEUE_USED_LOW = 0x0a0,
	VIRTIO_MMIO_QUEUE_USED_HIGH = 0x0a4,
	VIRTIO_MMIO_SHM_SEL = 0x0ac,
	VIRTIO_MMIO_SHM_LEN_LOW = 0x0b0,
	VIRTIO_MMIO_SHM_LEN_HIGH = 0x0b4,
	VIRTIO_MMIO_SHM_BASE_LOW = 0x0b8,
	VIRTIO_MMIO_SHM_BASE_HIGH = 0x0bc,
	VIRTIO_MMIO_QUEUE_RESET = 0x0c0,
	VIRTIO_MMIO_CONFIG_GENERATION = 0x0fc,
	VIRTIO_MMIO_CONFIG = 0x100,
};

#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

#define VIRTIO_INT_USED 1u
#define VIRTIO_INT_CONFIG 2u

#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

struct virtio_mmio;

/* The device behind the transport. Called with the transport's lock held. */
struct virtio_dev_ops {
	/* Device-specific config space (after 0x100): reads fill data, writes may be ignored. */
	void (*config_read)(void *opaque, uint32_t off, uint8_t *data, uint32_t len);
	void (*config_write)(void *opaque, uint32_t off, const uint8_t *data, uint32_t len);
	/* DRIVER_OK was set with valid queues: start serving them. */
	void (*activate)(void *opaque);
	/* The driver reset the device: stop serving, wait for in-flight I/O. The lock is
	 * held; the device may wait on a condition variable tied to it. */
	void (*reset)(void *opaque);
	/* QueueNotify by MMIO (when no ioeventfd catches it). */
	void (*notify)(void *opaque, unsigned queue);
};

/* Transport state: plain data, what a snapshot saves. */
struct virtio_mmio_state {
	uint32_t status;
	uint32_t dev_features_sel, drv_features_sel, queue_sel;
	uint64_t driver_features;
	uint32_t interrupt_status;
	uint32_t config_generation;
};

struct virtio_mmio {
	pthread_mutex_t lock;
	struct virtio_mmio_state s;
	uint32_t device_id;
	uint64_t device_features;
	unsigned nr_queues;
	struct virtqueue vqs[VIRTIO_MMIO_MAX_QUEUES];
	const struct virtio_dev_ops *ops;
	void *opaque;
	struct vq_mem mem;
	/* Raises the (edge-triggered) interrupt line: an irqfd write, or a test hook. */
	void (*raise_irq)(void *ctx);
	void *irq_ctx;
	struct log_ratelimit rl;
};

int virtio_mmio_init(struct virtio_mmio *t, uint32_t device_id, uint64_t features, unsigned nr_queues,
		     const struct virtio_dev_ops *ops, void *opaque) __must_check;
void virtio_mmio_fini(struct virtio_mmio *t);
/* MMIO handler (struct mmio_region callback); opaque is the transport. */
void virtio_mmio_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* With the lock held: sets InterruptStatus bits and raises the line. */
void virtio_mmio_interrupt_locked(struct virtio_mmio *t, uint32_t bits);
/* With the lock held: the device found a broken ring (§2.1.2): DEVICE_NEEDS_RESET
 * and a configuration-change interrupt. */
void virtio_mmio_needs_reset_locked(struct virtio_mmio *t);
/* Whether the driver negotiated feature bit (lock held or device quiescent). */
bool virtio_mmio_has_feature(const struct virtio_mmio *t, unsigned bit);
bool virtio_mmio_running(const struct virtio_mmio *t);
/* Snapshot: the transport registers and every queue's state. */
void virtio_mmio_save(struct virtio_mmio *t, struct virtio_mmio_state *s, struct vq_state *qs);
int virtio_mmio_load(struct virtio_mmio *t, const struct virtio_mmio_state *s, const struct vq_state *qs) __must_check;

#endif

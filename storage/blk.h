/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk (virtio 1.2 §5.2) over the virtio-mmio transport, served by io_uring
 * on one I/O thread per disk. The ring is created disabled, with the image and the
 * eventfds as registered files and an opcode allow-list, then enabled: seccomp
 * cannot see io_uring submissions, the restrictions can.
 *
 * Threads: the vCPU threads reach the registers (vmm/devices/virtio_mmio.c);
 * queue notifications arrive on ioeventfds read by the I/O thread, interrupts
 * leave through an irqfd; the control thread creates, pauses, resumes and
 * destroys. The transport's mutex protects the queues and the in-flight table.
 *
 * Pause (snapshot, migration, stop): blk_pause stops taking requests, waits for
 * every submitted request (bounded), has written their used entries and raised
 * the interrupt, then flushes the image; only then may the transport state be
 * saved. blk_resume takes requests again.
 */
#ifndef STORAGE_BLK_H
#define STORAGE_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "storage/blk_req.h"
#include "vmm/arm64/vm_config.h"
#include "vmm/core/compiler.h"
#include "vmm/devices/virtio_mmio.h"

#define VIRTIO_ID_BLOCK 2

#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define BLK_SEG_MAX (VQ_MAX_SEGS - 2)
#define BLK_PAUSE_TIMEOUT_MS 10000

struct blk_dev;

/* The image file: opened, sized and locked (storage/disk_file.c). */
struct disk_file {
	char path[4096];
	int fd;                 /* -1: not open (a migration destination before switch-over) */
	bool readonly, direct;
	bool locked;            /* holds the OFD lock */
	uint64_t size;          /* bytes */
};

/* Opens path (O_DIRECT with direct), sizes it and takes the OFD lock: a write lock,
 * or a read lock for a read-only disk, so two VMs cannot both open it for writing. */
int disk_file_open(struct disk_file *f, const char *path, bool readonly, bool direct, char *errbuf,
		   size_t errlen) __must_check;
/* Takes (again) the OFD lock on an open image; -EBUSY when another process holds it. */
int disk_file_lock(struct disk_file *f) __must_check;
/* Releases the lock; the image stays open. */
void disk_file_unlock(struct disk_file *f);
void disk_file_close(struct disk_file *f);

/* Where a device sits and how it reaches the VM. */
struct blk_wiring {
	struct vq_mem mem;      /* guest RAM accessor (+ mark_dirty, NULL-safe) */
	int irq_fd;             /* irqfd (eventfd) that raises the device's SPI */
	int kick_fds[VIRTIO_MMIO_MAX_QUEUES]; /* ioeventfds on QueueNotify, one per queue */
};

/* Creates the device for cfg. With defer_open the image is not opened yet
 * (blk_acquire_at_switchover does it): a live-migration destination. */
int blk_create(const struct vm_disk_cfg *cfg, const struct blk_wiring *w, bool defer_open, struct blk_dev **out,
	       char *errbuf, size_t errlen) __must_check;
void blk_destroy(struct blk_dev *d);
/* The transport (for the MMIO bus). */
struct virtio_mmio *blk_transport(struct blk_dev *d);

/* Pause protocol (control thread, vCPUs already paused). -ETIMEDOUT: a request
 * did not complete within timeout_ms (the device keeps running, nothing saved);
 * -EIO: the flush failed. */
int blk_pause(struct blk_dev *d, unsigned timeout_ms) __must_check;
void blk_resume(struct blk_dev *d);
bool blk_is_drained(struct blk_dev *d);

struct blk_saved;
/* Snapshot / migration (device paused by blk_pause, or not started yet). */
int blk_save(struct blk_dev *d, struct blk_saved *out) __must_check;
/* Loads transport and queue state into a device built with the same configuration
 * and starts serving the queues if the driver had set DRIVER_OK. */
int blk_load(struct blk_dev *d, const struct blk_saved *in) __must_check;

/* What a snapshot records of a disk (not its data). */
struct blk_disk_info {
	const char *path;
	uint64_t size;
	const char *serial;
	bool readonly;
};
void blk_info(struct blk_dev *d, struct blk_disk_info *out);

/*
 * Live migration with shared storage (the migration engine calls these):
 *  - source, at switch-over, with the VM paused and blk_pause done:
 *    blk_release_for_migration() flushes and drops the OFD lock (image stays open);
 *  - destination, at switch-over, after the source released:
 *    blk_acquire_at_switchover() opens the image (if deferred) and takes the lock;
 *  - source, when the migration failed: blk_reclaim_after_failed_migration()
 *    takes the lock again before the VM resumes (the source keeps the disk).
 *  - blk_set_dirty_hook(): every guest-RAM range the device writes (read data,
 *    used ring, avail_event, status bytes, GET_ID) is reported to fn (NULL disables).
 *    fn runs on the disk's I/O thread (and on a vCPU thread for nothing: only the
 *    I/O thread writes guest RAM), with the device's lock held: it must be
 *    thread-safe, must not block, and must not call back into the device. Set it
 *    before dirty logging starts; the pages written before are in the first pass.
 */
int blk_release_for_migration(struct blk_dev *d) __must_check;
int blk_acquire_at_switchover(struct blk_dev *d, char *errbuf, size_t errlen) __must_check;
int blk_reclaim_after_failed_migration(struct blk_dev *d) __must_check;
void blk_set_dirty_hook(struct blk_dev *d, void (*mark_dirty)(void *ctx, uint64_t gpa, uint64_t len), void *ctx);

/* Counters (benchmarks: CPU time per I/O is measured by the caller). */
/* Counters since the device was built (QMP query-blockstats). */
struct blk_stats {
	uint64_t requests, submits, interrupts;
	uint64_t rd_ops, wr_ops, flush_ops, discard_ops, wz_ops, failed_ops;
	uint64_t rd_bytes, wr_bytes;
	uint64_t queue_requests[VIRTIO_MMIO_MAX_QUEUES]; /* requests completed, by virtqueue */
};
void blk_get_stats(struct blk_dev *d, struct blk_stats *out);

#endif

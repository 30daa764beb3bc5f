// SPDX-License-Identifier: MIT
/* virtio-mmio v2 transport (virtio_mmio.h). */
#define LOG_PREFIX "virtio-mmio"
#include <errno.h>
#include <string.h>

#include "vmm/devices/virtio_mmio.h"

#define BAD(t, ...) \
	do { \
		if (log_ratelimit_ok(&(t)->rl, 10, 5000)) \
			log_warn(__VA_ARGS__); \
	} while (0)

int virtio_mmio_init(struct virtio_mmio *t, uint32_t device_id, uint64_t features, unsigned nr_queues,
		     const struct virtio_dev_ops *ops, void *opaque)
{
	int ret;

	if (nr_queues == 0 || nr_queues > VIRTIO_MMIO_MAX_QUEUES)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	ret = pthread_mutex_init(&t->lock, NULL);
	if (ret)
		return -ret;
	t->device_id = device_id;
	t->device_features = features | (1ULL << VIRTIO_F_VERSION_1);
	t->nr_queues = nr_queues;
	t->ops = ops;
	t->opaque = opaque;
	return 0;
}

void virtio_mmio_fini(struct virtio_mmio *t)
{
	pthread_mutex_destroy(&t->lock);
}

bool virtio_mmio_has_feature(const struct virtio_mmio *t, unsigned bit)
{
	return bit < 64 && (t->s.driver_features & (1ULL << bit));
}

bool virtio_mmio_running(const struct virtio_mmio *t)
{
	return (t->s.status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(t->s.status & (VIRTIO_STATUS_FAILED | VIRTIO_STATUS_NEEDS_RESET));
}

void virtio_mmio_interrupt_locked(struct virtio_mmio *t, uint32_t bits)
{
	t->s.interrupt_status |= bits;
	if (t->raise_irq)
		t->raise_irq(t->irq_ctx);
}

void virtio_mmio_needs_reset_locked(struct virtio_mmio *t)
{
	if (t->s.status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	BAD(t, "device %u: the driver broke a virtqueue, the device needs a reset", t->device_id);
	t->s.status |= VIRTIO_STATUS_NEEDS_RESET;
	if (t->s.status & VIRTIO_STATUS_DRIVER_OK)
		virtio_mmio_interrupt_locked(t, VIRTIO_INT_CONFIG);
}

static void do_reset(struct virtio_mmio *t)
{
	unsigned i;

	if (t->ops->reset)
		t->ops->reset(t->opaque);
	for (i = 0; i < t->nr_queues; i++)
		vq_reset(&t->vqs[i]);
	t->s.status = 0;
	t->s.dev_features_sel = t->s.drv_features_sel = t->s.queue_sel = 0;
	t->s.driver_features = 0;
	t->s.interrupt_status = 0;
}

/* The status state machine (§2.1, §3.1.1). */
static void write_status(struct virtio_mmio *t, uint32_t v)
{
	uint32_t old = t->s.status, added;
	unsigned i;

	if (v == 0) {
		do_reset(t);
		return;
	}
	v &= ~VIRTIO_STATUS_NEEDS_RESET;
	v |= old & VIRTIO_STATUS_NEEDS_RESET;
	if ((v & old) != old) {
		BAD(t, "device %u: status 0x%x -> 0x%x clears bits without a reset (ignored)", t->device_id, old, v);
		return;
	}
	added = v & ~old;
	if (added & VIRTIO_STATUS_FAILED) {
		t->s.status = old | VIRTIO_STATUS_FAILED;
		return;
	}
	if (((added & VIRTIO_STATUS_DRIVER) && !(v & VIRTIO_STATUS_ACKNOWLEDGE)) ||
	    ((added & VIRTIO_STATUS_FEATURES_OK) && !(v & VIRTIO_STATUS_DRIVER)) ||
	    ((added & VIRTIO_STATUS_DRIVER_OK) && !(v & VIRTIO_STATUS_FEATURES_OK))) {
		BAD(t, "device %u: status 0x%x -> 0x%x skips a step (ignored)", t->device_id, old, v);
		return;
	}
	if (added & VIRTIO_STATUS_FEATURES_OK) {
		uint64_t f = t->s.driver_features;

		if ((f & ~t->device_features) || !(f & (1ULL << VIRTIO_F_VERSION_1))) {
			/* FEATURES_OK stays clear: the driver sees the subset was refused. */
			BAD(t, "device %u: refused driver features 0x%llx (offered 0x%llx)", t->device_id,
			    (unsigned long long)f, (unsigned long long)t->device_features);
			v &= ~VIRTIO_STATUS_FEATURES_OK;
			added &= ~VIRTIO_STATUS_FEATURES_OK;
			if (added & VIRTIO_STATUS_DRIVER_OK)
				return;
		}
		for (i = 0; i < t->nr_queues; i++) {
			t->vqs[i].event_idx = f & (1ULL << VIRTIO_F_EVENT_IDX);
			t->vqs[i].indirect = f & (1ULL << VIRTIO_F_INDIRECT_DESC);
		}
	}
	t->s.status = v;
	if (added & VIRTIO_STATUS_DRIVER_OK) {
		for (i = 0; i < t->nr_queues; i++) {
			if (t->vqs[i].s.ready && vq_validate(&t->vqs[i], &t->mem) < 0) {
				virtio_mmio_needs_reset_locked(t);
				return;
			}
		}
		if (t->ops->activate)
			t->ops->activate(t->opaque);
	}
}

static struct virtqueue *sel_queue(struct virtio_mmio *t)
{
	return t->s.queue_sel < t->nr_queues ? &t->vqs[t->s.queue_sel] : NULL;
}

/* Queue configuration may change only after FEATURES_OK, before DRIVER_OK or while
 * the queue is not ready, and never after FAILED. */
static struct virtqueue *writable_queue(struct virtio_mmio *t, uint64_t off)
{
	struct virtqueue *vq = sel_queue(t);

	if (!vq || !(t->s.status & VIRTIO_STATUS_FEATURES_OK) || (t->s.status & VIRTIO_STATUS_FAILED) ||
	    vq->s.ready) {
		BAD(t, "device %u: write to queue register 0x%llx now (queue %u, status 0x%x) ignored", t->device_id,
		    (unsigned long long)off, t->s.queue_sel, t->s.status);
		return NULL;
	}
	return vq;
}

static uint32_t reg_read(struct virtio_mmio *t, uint64_t off)
{
	struct virtqueue *vq = sel_queue(t);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION_REG:
		return VIRTIO_MMIO_VERSION;
	case VIRTIO_MMIO_DEVICE_ID:
		return t->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return t->s.dev_features_sel < 2 ? (uint32_t)(t->device_features >> (32 * t->s.dev_features_sel)) : 0;
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return vq ? VQ_MAX_SIZE : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return vq ? vq->s.ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return t->s.interrupt_status;
	case VIRTIO_MMIO_STATUS:
		return t->s.status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return 0xffffffffu; /* no shared memory regions */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return t->s.config_generation;
	case VIRTIO_MMIO_QUEUE_NUM:
		return vq ? vq->s.num : 0;
	default:
		BAD(t, "device %u: read of write-only or unknown register 0x%llx", t->device_id, (unsigned long long)off);
		return 0;
	}
}

static void set_lo(uint64_t *p, uint32_t v)
{
	*p = (*p & 0xffffffff00000000ULL) | v;
}

static void set_hi(uint64_t *p, uint32_t v)
{
	*p = (*p & 0xffffffffULL) | ((uint64_t)v << 32);
}

static void reg_write(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	struct virtqueue *vq;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		t->s.dev_features_sel = v;
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (!(t->s.status & VIRTIO_STATUS_DRIVER) || (t->s.status & VIRTIO_STATUS_FEATURES_OK)) {
			BAD(t, "device %u: driver features written in status 0x%x (ignored)", t->device_id, t->s.status);
			return;
		}
		if (t->s.drv_features_sel == 0)
			set_lo(&t->s.driver_features, v);
		else if (t->s.drv_features_sel == 1)
			set_hi(&t->s.driver_features, v);
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		t->s.drv_features_sel = v;
		return;
	case VIRTIO_MMIO_QUEUE_SEL:
		t->s.queue_sel = v;
		return;
	case VIRTIO_MMIO_QUEUE_NUM:
		vq = writable_queue(t, off);
		if (vq) {
			if (v == 0 || v > VQ_MAX_SIZE || (v & (v - 1)))
				BAD(t, "device %u: queue size %u refused", t->device_id, v);
			else
				vq->s.num = v;
		}
		return;
	case VIRTIO_MMIO_QUEUE_READY:
		vq = sel_queue(t);
		if (!vq)
			return;
		if (v == 0) {
			vq->s.ready = 0;
			return;
		}
		vq = writable_queue(t, off);
		if (vq) {
			if (vq_validate(vq, &t->mem) < 0) {
				BAD(t, "device %u: queue %u has a bad size or rings outside RAM", t->device_id, t->s.queue_sel);
				if (t->s.status & VIRTIO_STATUS_DRIVER_OK)
					virtio_mmio_needs_reset_locked(t);
				return;
			}
			vq->s.ready = 1;
			if ((t->s.status & VIRTIO_STATUS_DRIVER_OK) && t->ops->activate)
				t->ops->activate(t->opaque);
		}
		return;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		if (v < t->nr_queues && virtio_mmio_running(t) && t->ops->notify)
			t->ops->notify(t->opaque, v);
		return;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		t->s.interrupt_status &= ~v;
		return;
	case VIRTIO_MMIO_STATUS:
		write_status(t, v);
		return;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH: {
		uint64_t *p;

		vq = writable_queue(t, off);
		if (!vq)
			return;
		p = off < VIRTIO_MMIO_QUEUE_AVAIL_LOW ? &vq->s.desc :
		    off < VIRTIO_MMIO_QUEUE_USED_LOW  ? &vq->s.avail : &vq->s.used;
		if (off & 4)
			set_hi(p, v);
		else
			set_lo(p, v);
		return;
	}
	case VIRTIO_MMIO_SHM_SEL:
		return;
	default:
		BAD(t, "device %u: write of read-only or unknown register 0x%llx (ignored)", t->device_id,
		    (unsigned long long)off);
	}
}

void virtio_mmio_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct virtio_mmio *t = opaque;
	uint32_t v = 0;

	pthread_mutex_lock(&t->lock);
	if (offset >= VIRTIO_MMIO_CONFIG) {
		if (is_write) {
			if (t->ops->config_write)
				t->ops->config_write(t->opaque, (uint32_t)(offset - VIRTIO_MMIO_CONFIG), data, len);
		} else if (t->ops->config_read) {
			t->ops->config_read(t->opaque, (uint32_t)(offset - VIRTIO_MMIO_CONFIG), data, len);
		}
		goto out;
	}
	if (len != 4 || (offset & 3)) {
		BAD(t, "device %u: %u-byte access at 0x%llx (registers are 32-bit, aligned)", t->device_id, len,
		    (unsigned long long)offset);
		goto out;
	}
	if (is_write) {
		memcpy(&v, data, 4);
		reg_write(t, offset, v);
	} else {
		v = reg_read(t, offset);
		memcpy(data, &v, 4);
	}
out:
	pthread_mutex_unlock(&t->lock);
}

void virtio_mmio_save(struct virtio_mmio *t, struct virtio_mmio_state *s, struct vq_state *qs)
{
	unsigned i;

	pthread_mutex_lock(&t->lock);
	*s = t->s;
	for (i = 0; i < t->nr_queues; i++)
		qs[i] = t->vqs[i].s;
	pthread_mutex_unlock(&t->lock);
}

int virtio_mmio_load(struct virtio_mmio *t, const struct virtio_mmio_state *s, const struct vq_state *qs)
{
	unsigned i;

	if (s->driver_features & ~t->device_features)
		return -EINVAL;
	pthread_mutex_lock(&t->lock);
	t->s = *s;
	for (i = 0; i < t->nr_queues; i++) {
		vq_reset(&t->vqs[i]);
		t->vqs[i].s = qs[i];
		t->vqs[i].s.last_avail &= 0xffff;
		t->vqs[i].s.used_idx &= 0xffff;
		t->vqs[i].event_idx = virtio_mmio_has_feature(t, VIRTIO_F_EVENT_IDX);
		t->vqs[i].indirect = virtio_mmio_has_feature(t, VIRTIO_F_INDIRECT_DESC);
		if (qs[i].ready && vq_validate(&t->vqs[i], &t->mem) < 0) {
			pthread_mutex_unlock(&t->lock);
			return -EINVAL;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return 0;
}

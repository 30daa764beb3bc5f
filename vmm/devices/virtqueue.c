// SPDX-License-Identifier: MIT
/* Split virtqueues, device side (virtqueue.h). */
#define LOG_PREFIX "virtq"
#include <errno.h>
#include <string.h>

#include "vmm/core/log.h"
#include "vmm/devices/virtqueue.h"

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
} __attribute__((packed));

static inline uint16_t ld16(const void *p)
{
	return __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);
}

static inline void st16(void *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, v, __ATOMIC_RELEASE);
}

static void *mem_at(const struct vq_mem *mem, uint64_t gpa, uint64_t len)
{
	if (len == 0 || gpa + len < gpa)
		return NULL;
	return mem->gpa(mem->ctx, gpa, len);
}

static void dirty(const struct vq_mem *mem, uint64_t gpa, uint64_t len)
{
	if (mem->mark_dirty && len)
		mem->mark_dirty(mem->dirty_ctx, gpa, len);
}

void vq_reset(struct virtqueue *vq)
{
	memset(vq, 0, sizeof(*vq));
}

void vq_restore(struct virtqueue *vq)
{
	memset(vq->inflight, 0, sizeof(vq->inflight));
	vq->nr_inflight = 0;
	vq->signalled_valid = false;
}

static uint64_t avail_size(uint32_t num)
{
	return 6 + 2ULL * num;
}

static uint64_t used_size(uint32_t num)
{
	return 6 + 8ULL * num;
}

int vq_validate(const struct virtqueue *vq, const struct vq_mem *mem)
{
	uint32_t num = vq->s.num;

	if (num == 0 || num > VQ_MAX_SIZE || (num & (num - 1)))
		return -EINVAL;
	if ((vq->s.desc & 15) || (vq->s.avail & 1) || (vq->s.used & 3))
		return -EINVAL;
	if (!mem_at(mem, vq->s.desc, 16ULL * num) || !mem_at(mem, vq->s.avail, avail_size(num)) ||
	    !mem_at(mem, vq->s.used, used_size(num)))
		return -EFAULT;
	return 0;
}

/* Appends one buffer; -1 when it is bad (outside RAM, too many, order). */
static int add_buf(struct vq_chain *c, const struct vq_mem *mem, uint64_t addr, uint32_t len, bool write)
{
	struct vq_buf *b;

	if (c->n >= VQ_MAX_SEGS)
		return -1;
	/* §2.7.4.2: device-writable buffers come after the device-readable ones. */
	if (!write && c->in_len)
		return -1;
	b = &c->bufs[c->n];
	b->gpa = addr;
	b->len = len;
	b->write = write;
	b->host = NULL;
	if (len) {
		b->host = mem_at(mem, addr, len);
		if (!b->host)
			return -1;
	}
	if (write)
		c->in_len += len;
	else
		c->out_len += len;
	if (c->in_len + c->out_len > 0xffffffffULL)
		return -1;
	c->n++;
	return 0;
}

/* Walks an indirect table (§2.7.5.3.2). */
static int walk_indirect(struct vq_chain *c, const struct vq_mem *mem, const struct virtq_desc *d, uint32_t num)
{
	const struct virtq_desc *tbl;
	uint32_t n, i = 0, steps = 0;

	if (d->len == 0 || d->len % 16 || (d->flags & VIRTQ_DESC_F_NEXT))
		return -1;
	n = d->len / 16;
	if (n > num)
		return -1;
	tbl = mem_at(mem, d->addr, d->len);
	if (!tbl)
		return -1;
	for (;;) {
		struct virtq_desc e;

		memcpy(&e, &tbl[i], sizeof(e));
		if (e.flags & VIRTQ_DESC_F_INDIRECT)
			return -1;
		if (add_buf(c, mem, e.addr, e.len, e.flags & VIRTQ_DESC_F_WRITE) < 0)
			return -1;
		if (!(e.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		if (e.next >= n || ++steps >= n)
			return -1; /* out of the table, or a loop */
		i = e.next;
	}
}

int vq_pop(struct virtqueue *vq, const struct vq_mem *mem, struct vq_chain *c)
{
	uint32_t num = vq->s.num, steps = 0;
	const uint8_t *avail;
	const struct virtq_desc *desc;
	uint16_t avail_idx, head, i;

	if (!vq->s.ready)
		return 0;
	avail = mem_at(mem, vq->s.avail, avail_size(num));
	desc = mem_at(mem, vq->s.desc, 16ULL * num);
	if (!avail || !desc)
		return VQ_BROKEN;
	avail_idx = ld16(avail + 2);
	if (avail_idx == (uint16_t)vq->s.last_avail)
		return 0;
	if ((uint16_t)(avail_idx - (uint16_t)vq->s.last_avail) > num)
		return VQ_BROKEN; /* the driver claims more buffers than the ring holds */
	head = ld16(avail + 4 + 2 * ((uint16_t)vq->s.last_avail % num));
	if (head >= num)
		return VQ_BROKEN;
	if (vq->inflight[head / 8] & (1u << (head % 8)))
		return VQ_BROKEN; /* a head the device still owns */
	vq->s.last_avail = (uint16_t)(vq->s.last_avail + 1);
	vq->inflight[head / 8] |= (uint8_t)(1u << (head % 8));
	vq->nr_inflight++;
	c->head = head;
	c->n = 0;
	c->in_len = c->out_len = 0;
	i = head;
	for (;;) {
		struct virtq_desc d;

		memcpy(&d, &desc[i], sizeof(d));
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (!vq->indirect || walk_indirect(c, mem, &d, num) < 0)
				return VQ_BAD_CHAIN;
			return 1; /* the indirect descriptor ends the chain (no NEXT allowed) */
		}
		if (add_buf(c, mem, d.addr, d.len, d.flags & VIRTQ_DESC_F_WRITE) < 0)
			return VQ_BAD_CHAIN;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 1;
		if (d.next >= num || ++steps >= num)
			return VQ_BAD_CHAIN;
		i = d.next;
	}
}

int vq_push(struct virtqueue *vq, const struct vq_mem *mem, uint16_t head, uint32_t len)
{
	uint32_t num = vq->s.num;
	uint8_t *used;
	uint64_t slot;

	if (head >= VQ_MAX_SIZE || !(vq->inflight[head / 8] & (1u << (head % 8))))
		return -EINVAL;
	vq->inflight[head / 8] &= (uint8_t)~(1u << (head % 8));
	vq->nr_inflight--;
	used = mem_at(mem, vq->s.used, used_size(num));
	if (!used || !num)
		return -EFAULT;
	slot = 4 + 8ULL * ((uint16_t)vq->s.used_idx % num);
	/* §2.7.8.2: the element (len included) before the index. */
	memcpy(used + slot, &(uint32_t){ head }, 4);
	memcpy(used + slot + 4, &len, 4);
	vq->s.used_idx = (uint16_t)(vq->s.used_idx + 1);
	st16(used + 2, (uint16_t)vq->s.used_idx);
	dirty(mem, vq->s.used + slot, 8);
	dirty(mem, vq->s.used + 2, 2);
	return 0;
}

bool vq_need_notify(struct virtqueue *vq, const struct vq_mem *mem)
{
	uint32_t num = vq->s.num;
	const uint8_t *avail = mem_at(mem, vq->s.avail, avail_size(num));
	uint16_t new_idx = (uint16_t)vq->s.used_idx, old = (uint16_t)vq->s.signalled, event;
	bool valid = vq->signalled_valid;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!avail)
		return true;
	if (!vq->event_idx)
		return !(ld16(avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	vq->s.signalled = new_idx;
	vq->signalled_valid = true;
	if (!valid)
		return true;
	event = ld16(avail + 4 + 2 * num);
	/* virtq_need_event(used_event, new, old) */
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

bool vq_enable_notify(struct virtqueue *vq, const struct vq_mem *mem, bool enable)
{
	uint32_t num = vq->s.num;
	uint8_t *used = mem_at(mem, vq->s.used, used_size(num));
	const uint8_t *avail = mem_at(mem, vq->s.avail, avail_size(num));

	if (!used || !avail)
		return false;
	if (vq->event_idx) {
		if (enable) {
			st16(used + 4 + 8 * num, (uint16_t)vq->s.last_avail);
			dirty(mem, vq->s.used + 4 + 8ULL * num, 2);
		}
	} else {
		uint16_t f = ld16(used);

		f = enable ? (uint16_t)(f & ~VIRTQ_USED_F_NO_NOTIFY) : (uint16_t)(f | VIRTQ_USED_F_NO_NOTIFY);
		st16(used, f);
		dirty(mem, vq->s.used, 2);
	}
	if (!enable)
		return false;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return ld16(avail + 2) != (uint16_t)vq->s.last_avail;
}

bool vq_has_avail(struct virtqueue *vq, const struct vq_mem *mem)
{
	const uint8_t *avail = mem_at(mem, vq->s.avail, avail_size(vq->s.num));

	return vq->s.ready && avail && ld16(avail + 2) != (uint16_t)vq->s.last_avail;
}

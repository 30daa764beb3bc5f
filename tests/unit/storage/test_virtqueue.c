// SPDX-License-Identifier: MIT
/* Split virtqueues, the virtio-mmio transport and the virtio-blk request parser over fake guest RAM. */
#include <criterion/criterion.h>
#include <string.h>

#include "storage/blk_req.h"
#include "vmm/devices/virtio_mmio.h"
#include "vmm/devices/virtqueue.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (1ULL << 20)
static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));

static void *fake_gpa(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	if (gpa < RAM_BASE || gpa - RAM_BASE > RAM_SIZE || len > RAM_SIZE - (gpa - RAM_BASE))
		return NULL;
	return ram + (gpa - RAM_BASE);
}

static uint64_t dirty_bytes;
static void fake_dirty(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	(void)gpa;
	dirty_bytes += len;
}

static const struct vq_mem mem = { .gpa = fake_gpa, .mark_dirty = fake_dirty };

#define QS 16
#define DESC (RAM_BASE + 0x0000)
#define AVAIL (RAM_BASE + 0x1000)
#define USED (RAM_BASE + 0x2000)
#define BUF (RAM_BASE + 0x10000)

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static struct desc *D(unsigned i) { return (struct desc *)(ram + (DESC - RAM_BASE)) + i; }
static uint16_t *A(unsigned off) { return (uint16_t *)(ram + (AVAIL - RAM_BASE) + off); }
static uint8_t *U(void) { return ram + (USED - RAM_BASE); }

static struct virtqueue vq;
static uint16_t avail_idx;

static void setup(void)
{
	memset(ram, 0, sizeof(ram));
	vq_reset(&vq);
	vq.s = (struct vq_state){ .num = QS, .ready = 1, .desc = DESC, .avail = AVAIL, .used = USED };
	vq.indirect = true;
	avail_idx = 0;
	dirty_bytes = 0;
}

static void offer(uint16_t head)
{
	*A(4 + 2 * (avail_idx % QS)) = head;
	avail_idx++;
	*A(2) = avail_idx;
}

TestSuite(virtqueue, .init = setup);

Test(virtqueue, simple_chain_pop_push)
{
	struct vq_chain c;

	*D(0) = (struct desc){ BUF, 16, VIRTQ_DESC_F_NEXT, 1 };
	*D(1) = (struct desc){ BUF + 512, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2 };
	*D(2) = (struct desc){ BUF + 4096, 1, VIRTQ_DESC_F_WRITE, 0 };
	offer(0);
	cr_assert_eq(vq_pop(&vq, &mem, &c), 1);
	cr_assert_eq(c.n, 3);
	cr_assert_eq(c.out_len, 16);
	cr_assert_eq(c.in_len, 513);
	cr_assert_eq(vq_pop(&vq, &mem, &c), 0);
	cr_assert_eq(vq_push(&vq, &mem, 0, 513), 0);
	cr_assert_eq(*(uint16_t *)(U() + 2), 1);
	cr_assert_eq(*(uint32_t *)(U() + 4), 0);
	cr_assert_eq(*(uint32_t *)(U() + 8), 513);
	cr_assert(dirty_bytes >= 10);
	cr_assert_eq(vq_push(&vq, &mem, 0, 1), -EINVAL, "a head pushed twice");
}

Test(virtqueue, loop_rejected)
{
	struct vq_chain c;

	*D(0) = (struct desc){ BUF, 16, VIRTQ_DESC_F_NEXT, 1 };
	*D(1) = (struct desc){ BUF, 16, VIRTQ_DESC_F_NEXT, 0 };
	offer(0);
	cr_assert_eq(vq_pop(&vq, &mem, &c), VQ_BAD_CHAIN);
	cr_assert_eq(c.head, 0);
	cr_assert_eq(vq_push(&vq, &mem, c.head, 0), 0);
}

Test(virtqueue, outside_ram_rejected)
{
	struct vq_chain c;

	*D(0) = (struct desc){ RAM_BASE + RAM_SIZE - 8, 16, 0, 0 };
	offer(0);
	cr_assert_eq(vq_pop(&vq, &mem, &c), VQ_BAD_CHAIN);
	*D(1) = (struct desc){ UINT64_MAX - 4, 16, 0, 0 };
	offer(1);
	cr_assert_eq(vq_pop(&vq, &mem, &c), VQ_BAD_CHAIN);
}

Test(virtqueue, next_out_of_range_rejected)
{
	struct vq_chain c;

	*D(0) = (struct desc){ BUF, 16, VIRTQ_DESC_F_NEXT, QS };
	offer(0);
	cr_assert_eq(vq_pop(&vq, &mem, &c), VQ_BAD_CHAIN);
}

Test(virtqueue, bad_head_and_avail_idx_break_the_ring)
{
	struct vq_chain c;

	offer(QS + 3);
	cr_assert_eq(vq_pop(&vq, &mem, &c), VQ_BROKEN);
	setup();
	*A(2) = QS + 1; /* more buffers than the ring holds */
	cr_assert_eq(vq_pop(&vq, &mem, &c), VQ_BROKEN);
}

Test(virtqueue, reused_inflight_head_breaks_the_ring)
{
	struct vq_chain c;

	*D(0) = (struct desc){ BUF, 16, 0, 0 };
	offer(0);
	offer(0);
	cr_assert_eq(vq_pop(&vq, &mem, &c), 1);
	cr_assert_eq(vq_pop(&vq, &mem, &c), VQ_BROKEN);
}

Test(virtqueue, indirect_rules)
{
	struct vq_chain c;
	struct desc *tbl = (struct desc *)(ram + 0x8000);

	tbl[0] = (struct desc){ BUF, 16, VIRTQ_DESC_F_NEXT, 1 };
	tbl[1] = (struct desc){ BUF + 64, 1, VIRTQ_DESC_F_WRITE, 0 };
	*D(0) = (struct desc){ RAM_BASE + 0x8000, 32, VIRTQ_DESC_F_INDIRECT, 0 };
	offer(0);
	cr_assert_eq(vq_pop(&vq, &mem, &c), 1);
	cr_assert_eq(c.n, 2);
	/* nested indirect */
	tbl[1].flags = VIRTQ_DESC_F_INDIRECT;
	*D(1) = (struct desc){ RAM_BASE + 0x8000, 32, VIRTQ_DESC_F_INDIRECT, 0 };
	offer(1);
	cr_assert_eq(vq_pop(&vq, &mem, &c), VQ_BAD_CHAIN);
	/* INDIRECT together with NEXT */
	tbl[1].flags = VIRTQ_DESC_F_WRITE;
	*D(2) = (struct desc){ RAM_BASE + 0x8000, 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 3 };
	offer(2);
	cr_assert_eq(vq_pop(&vq, &mem, &c), VQ_BAD_CHAIN);
	/* table length not a multiple of 16 / loop inside the table */
	*D(3) = (struct desc){ RAM_BASE + 0x8000, 24, VIRTQ_DESC_F_INDIRECT, 0 };
	offer(3);
	cr_assert_eq(vq_pop(&vq, &mem, &c), VQ_BAD_CHAIN);
	tbl[1] = (struct desc){ BUF, 16, VIRTQ_DESC_F_NEXT, 0 };
	*D(4) = (struct desc){ RAM_BASE + 0x8000, 32, VIRTQ_DESC_F_INDIRECT, 0 };
	offer(4);
	cr_assert_eq(vq_pop(&vq, &mem, &c), VQ_BAD_CHAIN);
	/* not negotiated */
	vq.indirect = false;
	tbl[1] = (struct desc){ BUF + 64, 1, VIRTQ_DESC_F_WRITE, 0 };
	*D(5) = (struct desc){ RAM_BASE + 0x8000, 32, VIRTQ_DESC_F_INDIRECT, 0 };
	offer(5);
	cr_assert_eq(vq_pop(&vq, &mem, &c), VQ_BAD_CHAIN);
}

Test(virtqueue, event_idx_notification)
{
	struct vq_chain c;

	vq.event_idx = true;
	for (unsigned i = 0; i < 3; i++) {
		*D(i) = (struct desc){ BUF, 16, 0, 0 };
		offer((uint16_t)i);
		cr_assert_eq(vq_pop(&vq, &mem, &c), 1);
	}
	*A(4 + 2 * QS) = 1; /* used_event: interrupt when used idx passes 1 */
	cr_assert_eq(vq_push(&vq, &mem, 0, 0), 0);
	cr_assert(vq_need_notify(&vq, &mem)); /* first one always */
	cr_assert_eq(vq_push(&vq, &mem, 1, 0), 0);
	cr_assert(vq_need_notify(&vq, &mem));
	cr_assert_eq(vq_push(&vq, &mem, 2, 0), 0);
	cr_assert_not(vq_need_notify(&vq, &mem));
	cr_assert_not(vq_enable_notify(&vq, &mem, true));
	cr_assert_eq(*(uint16_t *)(U() + 4 + 8 * QS), 3, "avail_event = last_avail");
}

static struct blk_limits lim = { .capacity = 2048, .discard = true, .write_zeroes = true };

static int parse_chain(struct desc *ds, unsigned n, struct blk_req *r)
{
	struct vq_chain c;

	for (unsigned i = 0; i < n; i++) {
		*D(i) = ds[i];
		if (i + 1 < n) {
			D(i)->flags |= VIRTQ_DESC_F_NEXT;
			D(i)->next = (uint16_t)(i + 1);
		}
	}
	offer(0);
	cr_assert_eq(vq_pop(&vq, &mem, &c), 1);
	cr_assert_eq(vq_push(&vq, &mem, 0, 0), 0);
	return blk_req_parse(&c, &lim, r);
}

static void hdr(uint32_t type, uint64_t sector)
{
	memcpy(ram + 0x10000, &type, 4);
	memset(ram + 0x10004, 0, 4);
	memcpy(ram + 0x10008, &sector, 8);
}

TestSuite(blk_req, .init = setup);

Test(blk_req, read_write_flush)
{
	static struct blk_req r;
	struct desc rd[] = { { BUF, 16, 0, 0 }, { BUF + 4096, 4096, VIRTQ_DESC_F_WRITE, 0 },
			     { BUF + 8192, 1, VIRTQ_DESC_F_WRITE, 0 } };
	struct desc wr[] = { { BUF, 16, 0, 0 }, { BUF + 4096, 1024, 0, 0 }, { BUF + 8192, 1, VIRTQ_DESC_F_WRITE, 0 } };

	hdr(VIRTIO_BLK_T_IN, 8);
	cr_assert_eq(parse_chain(rd, 3, &r), 0);
	cr_assert_eq(r.data_len, 4096);
	cr_assert_eq(r.sector, 8);
	cr_assert_eq(blk_req_used_len(&r, true), 4097);
	hdr(VIRTIO_BLK_T_OUT, 2046);
	cr_assert_eq(parse_chain(wr, 3, &r), 0);
	cr_assert_eq(r.data_len, 1024);
	hdr(VIRTIO_BLK_T_OUT, 2047); /* past the end */
	cr_assert_eq(parse_chain(wr, 3, &r), 1 + VIRTIO_BLK_S_IOERR);
	hdr(VIRTIO_BLK_T_OUT, UINT64_MAX);
	cr_assert_eq(parse_chain(wr, 3, &r), 1 + VIRTIO_BLK_S_IOERR);
	lim.readonly = true;
	hdr(VIRTIO_BLK_T_OUT, 0);
	cr_assert_eq(parse_chain(wr, 3, &r), 1 + VIRTIO_BLK_S_IOERR, "write to a read-only disk");
	lim.readonly = false;
	wr[1].len = 1000; /* not a multiple of 512 */
	cr_assert_eq(parse_chain(wr, 3, &r), 1 + VIRTIO_BLK_S_IOERR);
	hdr(VIRTIO_BLK_T_FLUSH, 0);
	cr_assert_eq(parse_chain((struct desc[]){ { BUF, 16, 0, 0 }, { BUF + 8192, 1, VIRTQ_DESC_F_WRITE, 0 } }, 2, &r), 0);
	hdr(77, 0);
	cr_assert_eq(parse_chain((struct desc[]){ { BUF, 16, 0, 0 }, { BUF + 8192, 1, VIRTQ_DESC_F_WRITE, 0 } }, 2, &r),
		     1 + VIRTIO_BLK_S_UNSUPP);
}

Test(blk_req, split_header_and_no_status)
{
	static struct blk_req r;
	struct desc split[] = { { BUF, 8, 0, 0 }, { BUF + 8, 8, 0, 0 }, { BUF + 4096, 512, VIRTQ_DESC_F_WRITE, 0 },
				{ BUF + 8192, 1, VIRTQ_DESC_F_WRITE, 0 } };

	hdr(VIRTIO_BLK_T_IN, 3);
	cr_assert_eq(parse_chain(split, 4, &r), 0);
	cr_assert_eq(r.sector, 3);
	cr_assert_eq(r.status_gpa, BUF + 8192);
	cr_assert_eq(parse_chain((struct desc[]){ { BUF, 16, 0, 0 } }, 1, &r), -EBADMSG);
	cr_assert_eq(parse_chain((struct desc[]){ { BUF, 4, 0, 0 }, { BUF + 8192, 1, VIRTQ_DESC_F_WRITE, 0 } }, 2, &r),
		     1 + VIRTIO_BLK_S_IOERR, "short header");
}

Test(blk_req, discard_write_zeroes)
{
	static struct blk_req r;
	struct desc ds[] = { { BUF, 16, 0, 0 }, { BUF + 16, 16, 0, 0 }, { BUF + 8192, 1, VIRTQ_DESC_F_WRITE, 0 } };
	struct { uint64_t sector; uint32_t num, flags; } seg = { 100, 8, 0 };

	memcpy(ram + 0x10010, &seg, 16);
	hdr(VIRTIO_BLK_T_WRITE_ZEROES, 0);
	cr_assert_eq(parse_chain(ds, 3, &r), 0);
	cr_assert_eq(r.seg_sector, 100);
	cr_assert_eq(r.seg_sectors, 8);
	seg.flags = VIRTIO_BLK_WZ_F_UNMAP;
	memcpy(ram + 0x10010, &seg, 16);
	hdr(VIRTIO_BLK_T_DISCARD, 0);
	cr_assert_eq(parse_chain(ds, 3, &r), 1 + VIRTIO_BLK_S_UNSUPP, "unmap on discard");
	seg = (typeof(seg)){ 2044, 8, 0 };
	memcpy(ram + 0x10010, &seg, 16);
	cr_assert_eq(parse_chain(ds, 3, &r), 1 + VIRTIO_BLK_S_IOERR, "past the end");
}

/* The transport: the status state machine and hostile register writes. */
static unsigned irqs;
static void t_irq(void *ctx) { (void)ctx; irqs++; }
static unsigned activations, resets;
static void t_act(void *o) { (void)o; activations++; }
static void t_reset(void *o) { (void)o; resets++; }
static const struct virtio_dev_ops tops = { .activate = t_act, .reset = t_reset };

static void w32(struct virtio_mmio *t, uint64_t off, uint32_t v) { virtio_mmio_access(t, off, (uint8_t *)&v, 4, true); }
static uint32_t r32(struct virtio_mmio *t, uint64_t off)
{
	uint32_t v = 0;

	virtio_mmio_access(t, off, (uint8_t *)&v, 4, false);
	return v;
}

static void negotiate(struct virtio_mmio *t, uint32_t hi)
{
	w32(t, VIRTIO_MMIO_STATUS, 0);
	w32(t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	w32(t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	w32(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	w32(t, VIRTIO_MMIO_DRIVER_FEATURES, 1u << VIRTIO_F_EVENT_IDX);
	w32(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	w32(t, VIRTIO_MMIO_DRIVER_FEATURES, hi);
	w32(t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
}

Test(virtio_mmio, negotiation_and_state_machine)
{
	struct virtio_mmio t;

	memset(ram, 0, sizeof(ram));
	cr_assert_eq(virtio_mmio_init(&t, 2, 1ULL << VIRTIO_F_EVENT_IDX, 1, &tops, NULL), 0);
	t.mem = mem;
	t.raise_irq = t_irq;
	cr_assert_eq(r32(&t, VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
	cr_assert_eq(r32(&t, VIRTIO_MMIO_VERSION_REG), 2);
	/* DRIVER_OK before FEATURES_OK: ignored */
	w32(&t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
	cr_assert_eq(r32(&t, VIRTIO_MMIO_STATUS), 0);
	/* without VERSION_1: FEATURES_OK refused */
	negotiate(&t, 0);
	cr_assert_eq(r32(&t, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK, 0);
	/* a feature we do not offer: refused */
	negotiate(&t, 1 | 4);
	cr_assert_eq(r32(&t, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK, 0);
	negotiate(&t, 1);
	cr_assert_neq(r32(&t, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK, 0);
	/* queue with rings outside RAM: not ready */
	w32(&t, VIRTIO_MMIO_QUEUE_NUM, 16);
	w32(&t, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000);
	w32(&t, VIRTIO_MMIO_QUEUE_READY, 1);
	cr_assert_eq(r32(&t, VIRTIO_MMIO_QUEUE_READY), 0);
	w32(&t, VIRTIO_MMIO_QUEUE_NUM, 17); /* not a power of two */
	cr_assert_eq(r32(&t, VIRTIO_MMIO_QUEUE_NUM), 16);
	w32(&t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)DESC);
	w32(&t, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)AVAIL);
	w32(&t, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)USED);
	w32(&t, VIRTIO_MMIO_QUEUE_READY, 1);
	cr_assert_eq(r32(&t, VIRTIO_MMIO_QUEUE_READY), 1);
	w32(&t, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1234); /* while ready: ignored */
	cr_assert_eq(t.vqs[0].s.desc, DESC);
	w32(&t, VIRTIO_MMIO_STATUS, 0xf & ~0u);
	cr_assert_eq(activations, 1);
	cr_assert(virtio_mmio_running(&t));
	cr_assert(t.vqs[0].event_idx);
	/* clearing bits without a reset: ignored */
	w32(&t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	cr_assert(virtio_mmio_running(&t));
	virtio_mmio_needs_reset_locked(&t);
	cr_assert_neq(r32(&t, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET, 0);
	cr_assert_eq(r32(&t, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_CONFIG);
	cr_assert_eq(irqs, 1);
	unsigned before = resets;

	w32(&t, VIRTIO_MMIO_STATUS, 0);
	cr_assert_eq(resets, before + 1);
	cr_assert_eq(r32(&t, VIRTIO_MMIO_STATUS), 0);
	cr_assert_eq(r32(&t, VIRTIO_MMIO_QUEUE_READY), 0);
	cr_assert_eq(r32(&t, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	/* garbage: odd sizes, unknown offsets, every register */
	for (uint64_t off = 0; off < 0x100; off += 2) {
		uint8_t junk[4] = { 0xff, 0xff, 0xff, 0xff };

		virtio_mmio_access(&t, off, junk, (off & 2) ? 2 : 4, true);
		virtio_mmio_access(&t, off, junk, 4, false);
	}
	virtio_mmio_fini(&t);
}

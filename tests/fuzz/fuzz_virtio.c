// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the guest-facing virtio parsers over fake guest memory:
 * the split-virtqueue descriptor walker (vmm/devices/virtqueue.c) and the
 * virtio-blk request parser (storage/blk_req.c), plus the virtio-mmio register
 * block (vmm/devices/virtio_mmio.c). The input is: a control header choosing
 * the queue layout and flags, a list of register writes, then guest RAM.
 * Every byte of every buffer a parsed request names is touched, so ASan catches
 * any pointer outside the fake RAM.
 *
 *   make fuzz-virtio FUZZ_TIME=60
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "storage/blk_req.h"
#include "vmm/core/log.h"
#include "vmm/devices/virtio_mmio.h"
#include "vmm/devices/virtqueue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A device logs a guest's mistakes at most 10 per 5 s, but every input is a new device:
 * unfiltered, 30 s of fuzzing wrote hundreds of MB of warnings into the CI log. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_ERR);
	return 0;
}

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE 0x10000ULL

static uint8_t ram[RAM_SIZE];

static void *fz_gpa(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	if (gpa < RAM_BASE || gpa - RAM_BASE > RAM_SIZE || len > RAM_SIZE - (gpa - RAM_BASE))
		return NULL;
	return ram + (gpa - RAM_BASE);
}

static volatile uint8_t sink;

static void touch(void *p, uint64_t len)
{
	uint8_t *b = p;

	for (uint64_t i = 0; i < len; i++)
		sink ^= b[i];
	if (len)
		b[len - 1] = sink;
}

static void fz_irq(void *ctx)
{
	(void)ctx;
}

static const struct virtio_dev_ops fz_ops;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vq_chain c;
	static struct blk_req r;
	static struct virtio_mmio t;
	const struct vq_mem mem = { .gpa = fz_gpa };
	struct blk_limits lim = { .capacity = 1 << 20, .discard = true, .write_zeroes = true };
	struct virtqueue vq;
	uint8_t hdr[16] = { 0 };
	unsigned nregs, i;

	memcpy(hdr, data, size < sizeof(hdr) ? size : sizeof(hdr));
	data += size < sizeof(hdr) ? size : sizeof(hdr);
	size -= size < sizeof(hdr) ? size : sizeof(hdr);

	/* Register writes to a transport (the hostile-driver path). */
	if (virtio_mmio_init(&t, 2, 1ULL << VIRTIO_F_EVENT_IDX, 2, &fz_ops, NULL) == 0) {
		t.mem = mem;
		t.raise_irq = fz_irq;
		nregs = hdr[15] % 32;
		for (i = 0; i < nregs && size >= 6; i++) {
			uint64_t off = (uint64_t)(data[0] | (data[1] << 8)) % 0x200;
			uint8_t buf[4];

			memcpy(buf, data + 2, 4);
			virtio_mmio_access(&t, off, buf, (data[0] & 0x80) ? 4 : 1u << (data[1] & 3) % 3, !(data[1] & 0x80));
			data += 6;
			size -= 6;
		}
		virtio_mmio_fini(&t);
	}

	memset(ram, 0, sizeof(ram));
	memcpy(ram, data, size < RAM_SIZE ? size : RAM_SIZE);
	vq_reset(&vq);
	vq.s.num = 1u << (hdr[0] % 9);
	vq.s.desc = RAM_BASE + ((uint64_t)(hdr[1] | (hdr[2] << 8)) & ~15ULL);
	vq.s.avail = RAM_BASE + ((uint64_t)(hdr[3] | (hdr[4] << 8)) & ~1ULL);
	vq.s.used = RAM_BASE + ((uint64_t)(hdr[5] | (hdr[6] << 8)) & ~3ULL);
	vq.s.last_avail = hdr[7];
	vq.s.used_idx = hdr[8];
	vq.s.ready = 1;
	vq.event_idx = hdr[9] & 1;
	vq.indirect = hdr[9] & 2;
	lim.readonly = hdr[9] & 4;
	if (vq_validate(&vq, &mem) < 0)
		return 0;
	for (i = 0; i < 2 * VQ_MAX_SIZE; i++) {
		int ret = vq_pop(&vq, &mem, &c);

		if (ret == 0 || ret == VQ_BROKEN)
			break;
		if (ret == 1) {
			for (unsigned j = 0; j < c.n; j++)
				touch(c.bufs[j].host, c.bufs[j].len);
			ret = blk_req_parse(&c, &lim, &r);
			if (ret >= 0 && r.status)
				touch(r.status, 1);
			if (ret == 0)
				for (unsigned j = 0; j < r.niov; j++)
					touch(r.iov[j].iov_base, r.iov[j].iov_len);
		}
		if (vq_push(&vq, &mem, c.head, 1) < 0)
			break;
		(void)vq_need_notify(&vq, &mem);
		if (hdr[10] & 1)
			(void)vq_enable_notify(&vq, &mem, true);
	}
	return 0;
}

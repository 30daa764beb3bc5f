// SPDX-License-Identifier: MIT
/*
 * The whole virtio-blk device over fake guest RAM: the driver's side through the
 * virtio-mmio registers, kicks on the queue's eventfd, the real io_uring I/O
 * thread and a real image file. WRITE_ZEROES and DISCARD on tmpfs (/dev/shm),
 * which punches holes but has no FALLOC_FL_ZERO_RANGE: zeros are written instead,
 * in chunks, and the guest reads zeros either way. A read-only disk refuses every
 * write a driver sends it anyway (the device's own check, not the guest's).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storage/blk.h"
#include "storage/blk_req.h"
#include "vmm/devices/virtio_mmio.h"
#include "vmm/devices/virtqueue.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (1ULL << 20)
#define QS 16
#define DESC (RAM_BASE + 0x0000)
#define AVAIL (RAM_BASE + 0x1000)
#define USED (RAM_BASE + 0x2000)
#define HDR (RAM_BASE + 0x3000)
#define SEG (RAM_BASE + 0x3100)
#define STATUS (RAM_BASE + 0x3200)
#define IMG_MB 48

static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static char img[64];
static int irq_fd, kick_fd;
static struct blk_dev *dev;
static struct virtio_mmio *t;
static uint16_t avail_idx;

static void *fake_gpa(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	if (gpa < RAM_BASE || gpa - RAM_BASE > RAM_SIZE || len > RAM_SIZE - (gpa - RAM_BASE))
		return NULL;
	return ram + (gpa - RAM_BASE);
}

static void *at(uint64_t gpa) { return ram + (gpa - RAM_BASE); }

static void w32(uint64_t off, uint32_t v) { virtio_mmio_access(t, off, (uint8_t *)&v, 4, true); }

static uint32_t r32(uint64_t off)
{
	uint32_t v = 0;

	virtio_mmio_access(t, off, (uint8_t *)&v, 4, false);
	return v;
}

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static void setup_disk(bool readonly)
{
	struct vm_disk_cfg cfg = { .num_queues = 1, .readonly = readonly };
	struct blk_wiring w = { .mem = { .gpa = fake_gpa } };
	char err[256] = "";
	uint8_t *fill = malloc(1 << 20);
	int fd;

	memset(ram, 0, sizeof(ram));
	avail_idx = 0;
	snprintf(img, sizeof(img), "/dev/shm/vmm-blk-test-%d.img", getpid());
	fd = open(img, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
	cr_assert(fd >= 0 && fill, "cannot create %s: %s", img, strerror(errno));
	memset(fill, 0xaa, 1 << 20);
	for (int i = 0; i < IMG_MB; i++)
		cr_assert_eq(write(fd, fill, 1 << 20), 1 << 20);
	close(fd);
	free(fill);
	irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	cr_assert(irq_fd >= 0 && kick_fd >= 0);
	w.irq_fd = irq_fd;
	for (unsigned i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		w.kick_fds[i] = -1;
	w.kick_fds[0] = kick_fd;
	snprintf(cfg.path, sizeof(cfg.path), "%s", img);
	cr_assert_eq(blk_create(&cfg, &w, false, &dev, err, sizeof(err)), 0, "%s", err);
	t = blk_transport(dev);
	/* The driver: features (all offered ones, VERSION_1 included), one queue, DRIVER_OK. */
	w32(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	w32(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	for (uint32_t sel = 0; sel < 2; sel++) {
		w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, sel);
		uint32_t f = r32(VIRTIO_MMIO_DEVICE_FEATURES);

		if (sel == 0)
			f &= ~(1u << VIRTIO_F_EVENT_IDX); /* the test reads every used entry */
		w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, sel);
		w32(VIRTIO_MMIO_DRIVER_FEATURES, f);
	}
	w32(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	cr_assert_neq(r32(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK, 0);
	w32(VIRTIO_MMIO_QUEUE_SEL, 0);
	w32(VIRTIO_MMIO_QUEUE_NUM, QS);
	w32(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)DESC);
	w32(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(DESC >> 32));
	w32(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)AVAIL);
	w32(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(AVAIL >> 32));
	w32(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)USED);
	w32(VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(USED >> 32));
	w32(VIRTIO_MMIO_QUEUE_READY, 1);
	cr_assert_eq(r32(VIRTIO_MMIO_QUEUE_READY), 1);
	w32(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
					  VIRTIO_STATUS_DRIVER_OK);
}

static void setup(void)
{
	setup_disk(false);
}

static void setup_ro(void)
{
	setup_disk(true);
}

static void teardown(void)
{
	blk_destroy(dev);
	close(irq_fd);
	close(kick_fd);
	unlink(img);
}

TestSuite(virtio_blk, .init = setup, .fini = teardown, .timeout = 60);

/* One request: header, a device-readable segment, the status byte; returns the status. */
static uint8_t request(uint32_t type, uint64_t sector, const void *seg, uint32_t seg_len)
{
	struct desc *d = at(DESC);
	uint16_t *avail = at(AVAIL);
	volatile uint16_t *used_idx = (uint16_t *)((uint8_t *)at(USED) + 2);
	uint8_t *status = at(STATUS);
	uint32_t hdr[4] = { type, 0, (uint32_t)sector, (uint32_t)(sector >> 32) };
	struct timespec t0, now;
	uint64_t one = 1;

	memcpy(at(HDR), hdr, sizeof(hdr));
	memcpy(at(SEG), seg, seg_len);
	*status = 0xff;
	d[0] = (struct desc){ .addr = HDR, .len = 16, .flags = 1 /* NEXT */, .next = 1 };
	d[1] = (struct desc){ .addr = SEG, .len = seg_len, .flags = 1, .next = 2 };
	d[2] = (struct desc){ .addr = STATUS, .len = 1, .flags = 2 /* WRITE */ };
	avail[2 + avail_idx % QS] = 0;
	__atomic_store_n(&avail[1], (uint16_t)(avail_idx + 1), __ATOMIC_RELEASE);
	cr_assert_eq(write(kick_fd, &one, sizeof(one)), (ssize_t)sizeof(one));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (__atomic_load_n(used_idx, __ATOMIC_ACQUIRE) != (uint16_t)(avail_idx + 1)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		cr_assert_lt(now.tv_sec - t0.tv_sec, 20, "request type %u never completed", type);
		usleep(1000);
	}
	avail_idx++;
	return *status;
}

static uint8_t zeroes(uint32_t type, uint64_t sector, uint32_t sectors, uint32_t flags)
{
	uint32_t seg[4] = { (uint32_t)sector, (uint32_t)(sector >> 32), sectors, flags };

	return request(type, sector, seg, sizeof(seg));
}

/* Bytes of the image in [off, off + len) that are not c. */
static uint64_t not_byte(uint64_t off, uint64_t len, uint8_t c)
{
	uint8_t buf[65536];
	uint64_t bad = 0;
	int fd = open(img, O_RDONLY | O_CLOEXEC);

	cr_assert(fd >= 0);
	while (len) {
		size_t n = len < sizeof(buf) ? (size_t)len : sizeof(buf);

		cr_assert_eq(pread(fd, buf, n, (off_t)off), (ssize_t)n);
		for (size_t i = 0; i < n; i++)
			bad += buf[i] != c;
		off += n;
		len -= n;
	}
	close(fd);
	return bad;
}

static long long blocks(void)
{
	struct stat st;

	cr_assert_eq(stat(img, &st), 0);
	return (long long)st.st_blocks;
}

Test(virtio_blk, write_zeroes_without_zero_range_writes_zeros_in_chunks)
{
	/* 33 MiB + 3 sectors from sector 9: more than two chunks of written zeros, unaligned. */
	uint64_t sector = 9, sectors = (33u << 11) + 3;

	cr_assert_eq(zeroes(VIRTIO_BLK_T_WRITE_ZEROES, sector, (uint32_t)sectors, 0), VIRTIO_BLK_S_OK);
	cr_expect_eq(not_byte(sector * 512, sectors * 512, 0), 0, "the range does not read back as zeros");
	cr_expect_eq(not_byte(0, sector * 512, 0xaa), 0, "bytes before the range changed");
	cr_expect_eq(not_byte((sector + sectors) * 512, ((uint64_t)IMG_MB << 20) - (sector + sectors) * 512, 0xaa),
		     0, "bytes after the range changed");
	/* A second one takes the fallback straight away. */
	cr_assert_eq(zeroes(VIRTIO_BLK_T_WRITE_ZEROES, 1, 1, 0), VIRTIO_BLK_S_OK);
	cr_expect_eq(not_byte(512, 512, 0), 0);
	cr_expect_eq(not_byte(0, 512, 0xaa), 0);
	struct blk_stats st;

	blk_get_stats(dev, &st);
	cr_expect_eq(st.wz_ops, 2);
	cr_expect_eq(st.failed_ops, 0);
	cr_expect_eq(st.queue_requests[0], 2);
}

Test(virtio_blk, write_zeroes_with_unmap_and_discard_punch_holes)
{
	long long before = blocks();

	cr_assert_eq(zeroes(VIRTIO_BLK_T_WRITE_ZEROES, 2048, 8 << 11, VIRTIO_BLK_WZ_F_UNMAP), VIRTIO_BLK_S_OK);
	cr_expect_eq(not_byte(1 << 20, 8 << 20, 0), 0, "the unmapped range does not read back as zeros");
	cr_expect_lt(blocks(), before - (7 << 11), "no hole: %lld -> %lld blocks", before, blocks());
	before = blocks();
	cr_assert_eq(zeroes(VIRTIO_BLK_T_DISCARD, 20 << 11, 4 << 11, 0), VIRTIO_BLK_S_OK);
	cr_expect_lt(blocks(), before - (3 << 11), "discard punched no hole: %lld -> %lld", before, blocks());
	cr_expect_eq(not_byte(0, 1 << 20, 0xaa), 0);
	cr_expect_eq(not_byte(9 << 20, 11 << 20, 0xaa), 0);
}

Test(virtio_blk, write_zeroes_beyond_the_disk_fails)
{
	struct blk_stats st;

	cr_expect_eq(zeroes(VIRTIO_BLK_T_WRITE_ZEROES, ((uint64_t)IMG_MB << 11) - 1, 2, 0), VIRTIO_BLK_S_IOERR);
	cr_expect_eq(not_byte(((uint64_t)IMG_MB << 20) - 1024, 1024, 0xaa), 0, "a refused request wrote");
	blk_get_stats(dev, &st);
	cr_expect_eq(st.wz_ops, 0);
	cr_expect_eq(st.queue_requests[0], 1);
}

TestSuite(virtio_blk_ro, .init = setup_ro, .fini = teardown, .timeout = 60);

/* Past any guest's own check: a write that reaches a read-only disk fails and changes nothing. */
Test(virtio_blk_ro, write_discard_and_write_zeroes_refused_by_the_device)
{
	uint8_t data[4096];
	struct blk_stats st;

	memset(data, 0x55, sizeof(data));
	cr_expect_eq(request(VIRTIO_BLK_T_OUT, 8, data, sizeof(data)), VIRTIO_BLK_S_IOERR);
	/* Not offered on a read-only disk (no DISCARD / WRITE_ZEROES feature): unsupported. */
	cr_expect_eq(zeroes(VIRTIO_BLK_T_DISCARD, 0, 2048, 0), VIRTIO_BLK_S_UNSUPP);
	cr_expect_eq(zeroes(VIRTIO_BLK_T_WRITE_ZEROES, 0, 2048, VIRTIO_BLK_WZ_F_UNMAP), VIRTIO_BLK_S_UNSUPP);
	cr_expect_eq(not_byte(0, 2 << 20, 0xaa), 0, "the read-only image changed");
	blk_get_stats(dev, &st);
	cr_expect_eq(st.wr_ops + st.discard_ops + st.wz_ops, 0);
	cr_expect_eq(st.queue_requests[0], 3);
	cr_expect_eq(st.failed_ops, 0, "refused before the backend, not failed by it");
}

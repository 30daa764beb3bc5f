// SPDX-License-Identifier: MIT
/* Image locks and the live-migration hand-over (storage/disk_file.c, blk_*_migration). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/blk.h"

static char path[64];

static void mkimg(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/vmm-disk-test-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, 1 << 20), 0);
	close(fd);
}

static void rmimg(void)
{
	unlink(path);
}

TestSuite(disk_lock, .init = mkimg, .fini = rmimg);

Test(disk_lock, second_writer_and_reader_refused)
{
	struct disk_file a, b;
	char err[256];

	cr_assert_eq(disk_file_open(&a, path, false, false, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(a.size, 1 << 20);
	cr_assert_eq(disk_file_open(&b, path, false, false, err, sizeof(err)), -EBUSY);
	cr_assert(strstr(err, "in use"), "%s", err);
	cr_assert_eq(disk_file_open(&b, path, true, false, err, sizeof(err)), -EBUSY);
	disk_file_close(&a);
	cr_assert_eq(disk_file_open(&b, path, true, false, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(disk_file_open(&a, path, true, false, err, sizeof(err)), 0, "two readers share");
	disk_file_close(&a);
	disk_file_close(&b);
}

Test(disk_lock, migration_hand_over)
{
	struct disk_file src, dst;
	char err[256];

	cr_assert_eq(disk_file_open(&src, path, false, false, err, sizeof(err)), 0, "%s", err);
	/* switch-over: the source releases, the destination opens and locks */
	disk_file_unlock(&src);
	cr_assert_eq(disk_file_open(&dst, path, false, false, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(disk_file_lock(&src), -EBUSY, "the source cannot take it back while the destination runs");
	/* a failed migration: the destination goes away, the source takes the lock again */
	disk_file_close(&dst);
	cr_assert_eq(disk_file_lock(&src), 0);
	cr_assert_eq(disk_file_open(&dst, path, false, false, err, sizeof(err)), -EBUSY);
	disk_file_close(&src);
}

Test(disk_lock, deferred_open_at_switchover)
{
	struct vm_disk_cfg cfg = { .num_queues = 1 };
	struct blk_wiring w = { .irq_fd = -1, .kick_fds = { -1 } };
	struct disk_file other;
	struct blk_dev *d;
	char err[256];

	snprintf(cfg.path, sizeof(cfg.path), "%s", path);
	cr_assert_eq(disk_file_open(&other, path, false, false, err, sizeof(err)), 0, "%s", err);
	/* the destination is built while the source still holds the image */
	cr_assert_eq(blk_create(&cfg, &w, true, &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(blk_acquire_at_switchover(d, err, sizeof(err)), -EBUSY);
	disk_file_close(&other);
	if (blk_acquire_at_switchover(d, err, sizeof(err)) == -EPERM) {
		blk_destroy(d); /* io_uring not permitted here */
		cr_skip_test("io_uring is not available: %s", err);
	}
	cr_assert_eq(blk_acquire_at_switchover(d, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(disk_file_open(&other, path, false, false, err, sizeof(err)), -EBUSY);
	blk_destroy(d);
}

// SPDX-License-Identifier: MIT
/*
 * The VM's side of the virtio-blk disks: one virtio-mmio slot each
 * (LAYOUT_VIRTIO_MMIO_BASE + i * stride, SPI 16 + i), an irqfd for its interrupt
 * and an ioeventfd per queue on QueueNotify, so I/O never goes through the vCPU
 * thread's MMIO exit handling; the register block itself is on the MMIO bus.
 * Also the pause hook (drain before any state is saved) and the live-migration
 * entry points (vm_disks_*).
 */
#define LOG_PREFIX "disk"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "migration/vm/sections.h"
#include "storage/blk.h"
#include "storage/blk_state.h"
#include "vmm/core/log.h"
#include "vmm/arm64/memory_map.h"
#include "vmm/core/errbuf.h"
#include "vmm/kvm/kvm_arm.h"
#include "vmm/kvm/virtio_disks.h"
#include "vmm/kvm/vm.h"
#include "vmm/kvm/vm_internal.h"

static void *guest_ram(void *ctx, uint64_t gpa, uint64_t len)
{
	return vm_gpa(ctx, gpa, len);
}

static uint64_t slot_base(unsigned i)
{
	return LAYOUT_VIRTIO_MMIO_BASE + (uint64_t)i * LAYOUT_VIRTIO_MMIO_STRIDE;
}

static int set_ioeventfd(struct vm *vm, unsigned i, unsigned q, int fd, bool deassign)
{
	struct kvm_ioeventfd ev = {
		.datamatch = q, .addr = slot_base(i) + VIRTIO_MMIO_QUEUE_NOTIFY, .len = 4, .fd = fd,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH | (deassign ? KVM_IOEVENTFD_FLAG_DEASSIGN : 0),
	};

	return kvm_ioctl(vm->vm_fd, KVM_IOEVENTFD, &ev);
}

static int set_irqfd(struct vm *vm, unsigned i, int fd, bool deassign)
{
	struct kvm_irqfd irq = {
		.fd = (uint32_t)fd, .gsi = LAYOUT_VIRTIO_INTID_BASE - LAYOUT_SPI_BASE + i,
		.flags = deassign ? KVM_IRQFD_FLAG_DEASSIGN : 0,
	};

	return kvm_ioctl(vm->vm_fd, KVM_IRQFD, &irq);
}

static int setup_one(struct vm *vm, unsigned i, bool defer_open, char *errbuf, size_t errlen)
{
	const struct vm_disk_cfg *cfg = &vm->cfg.disks[i];
	unsigned nq = cfg->num_queues ? cfg->num_queues : 1, q;
	struct blk_wiring w = { .mem = { .gpa = guest_ram, .ctx = vm }, .irq_fd = -1 };
	char name[24];
	int ret;

	vm->disk_irq_fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->disk_irq_fds[i] < 0) {
		ret = -errno;
		ERR("eventfd: %s", strerror(-ret));
		return ret;
	}
	ret = set_irqfd(vm, i, vm->disk_irq_fds[i], false);
	if (ret < 0) {
		ERR("disk %u: KVM_IRQFD failed: %s", i, strerror(-ret));
		return ret;
	}
	w.irq_fd = vm->disk_irq_fds[i];
	for (q = 0; q < nq && q < 8; q++) {
		vm->disk_kick_fds[i][q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vm->disk_kick_fds[i][q] < 0) {
			ret = -errno;
			ERR("eventfd: %s", strerror(-ret));
			return ret;
		}
		ret = set_ioeventfd(vm, i, q, vm->disk_kick_fds[i][q], false);
		if (ret < 0) {
			close(vm->disk_kick_fds[i][q]);
			vm->disk_kick_fds[i][q] = -1;
			ERR("disk %u: KVM_IOEVENTFD failed: %s", i, strerror(-ret));
			return ret;
		}
		w.kick_fds[q] = vm->disk_kick_fds[i][q];
	}
	ret = blk_create(cfg, &w, defer_open, &vm->disks[i], errbuf, errlen);
	if (ret < 0)
		return ret;
	snprintf(name, sizeof(name), "virtio-blk%u", i);
	ret = mmio_bus_register(&vm->bus, &(struct mmio_region){
		.name = "virtio-mmio", .base = slot_base(i), .size = LAYOUT_VIRTIO_MMIO_STRIDE,
		.min_access = 1, .max_access = 4, .fn = virtio_mmio_access, .opaque = blk_transport(vm->disks[i]),
	});
	if (ret < 0)
		ERR("cannot map %s: %s", name, strerror(-ret));
	return ret;
}

int vm_disks_setup(struct vm *vm, bool defer_open, char *errbuf, size_t errlen)
{
	unsigned i, q;
	int ret;

	for (i = 0; i < vm->cfg.nr_disks && i < VM_MAX_DISKS; i++) {
		vm->disks[i] = NULL;
		vm->disk_irq_fds[i] = -1;
		for (q = 0; q < 8; q++)
			vm->disk_kick_fds[i][q] = -1;
		vm->nr_disks_up = i + 1;
		ret = setup_one(vm, i, defer_open, errbuf, errlen);
		if (ret < 0)
			return ret;
	}
	return 0;
}

void vm_disks_teardown(struct vm *vm)
{
	unsigned i, q;

	for (i = 0; i < vm->nr_disks_up; i++) {
		if (vm->disks[i] && mmio_bus_unregister(&vm->bus, slot_base(i)) < 0) {
			/* Never registered (set-up failed half-way). */
		}
		blk_destroy(vm->disks[i]);
		vm->disks[i] = NULL;
		for (q = 0; q < 8; q++) {
			if (vm->disk_kick_fds[i][q] < 0)
				continue;
			(void)set_ioeventfd(vm, i, q, vm->disk_kick_fds[i][q], true);
			close(vm->disk_kick_fds[i][q]);
		}
		if (vm->disk_irq_fds[i] >= 0) {
			(void)set_irqfd(vm, i, vm->disk_irq_fds[i], true);
			close(vm->disk_irq_fds[i]);
		}
	}
	vm->nr_disks_up = 0;
}

int vm_disks_pause(struct vm *vm)
{
	unsigned i;
	int ret = 0;

	for (i = 0; i < vm->nr_disks_up && ret == 0; i++)
		if (vm->disks[i])
			ret = blk_pause(vm->disks[i], BLK_PAUSE_TIMEOUT_MS);
	if (ret < 0)
		while (i-- > 0)
			if (vm->disks[i])
				blk_resume(vm->disks[i]);
	vm->disks_pause_err = ret;
	return ret;
}

void vm_disks_resume(struct vm *vm)
{
	unsigned i;

	for (i = 0; i < vm->nr_disks_up; i++)
		if (vm->disks[i])
			blk_resume(vm->disks[i]);
}

int vm_disks_release_for_migration(struct vm *vm)
{
	unsigned i;
	int ret;

	for (i = 0; i < vm->nr_disks_up; i++) {
		ret = blk_release_for_migration(vm->disks[i]);
		if (ret < 0) {
			while (i-- > 0)
				if (blk_reclaim_after_failed_migration(vm->disks[i]) < 0)
					log_err("disk %u: cannot take its lock back", i);
			return ret;
		}
	}
	return 0;
}

int vm_disks_acquire_at_switchover(struct vm *vm, char *errbuf, size_t errlen)
{
	unsigned i;
	int ret;

	for (i = 0; i < vm->nr_disks_up; i++) {
		ret = blk_acquire_at_switchover(vm->disks[i], errbuf, errlen);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int vm_disks_reclaim_after_failed_migration(struct vm *vm)
{
	unsigned i;
	int ret, first = 0;

	for (i = 0; i < vm->nr_disks_up; i++) {
		ret = blk_reclaim_after_failed_migration(vm->disks[i]);
		if (ret < 0 && !first)
			first = ret;
	}
	return first;
}

void vm_disks_set_dirty_hook(struct vm *vm, void (*mark_dirty)(void *ctx, uint64_t gpa, uint64_t len), void *ctx)
{
	unsigned i;

	for (i = 0; i < vm->nr_disks_up; i++)
		blk_set_dirty_hook(vm->disks[i], mark_dirty, ctx);
}

int vm_disks_collect(struct vm *vm, struct vm_saved *s, char *errbuf, size_t errlen)
{
	unsigned i;
	int ret;

	memset(s->disks, 0, sizeof(s->disks));
	if (vm->disks_pause_err == -ETIMEDOUT) {
		ERR("a disk could not drain its in-flight requests: the host did not complete them within %u ms "
		    "(nothing was saved)", BLK_PAUSE_TIMEOUT_MS);
		return vm->disks_pause_err;
	}
	if (vm->disks_pause_err) {
		ERR("a disk could not drain its in-flight requests: %s", strerror(-vm->disks_pause_err));
		return vm->disks_pause_err;
	}
	for (i = 0; i < vm->nr_disks_up; i++) {
		ret = blk_save(vm->disks[i], &s->disks[i]);
		if (ret < 0) {
			ERR("disk %u ('%s'): cannot save its state: %s", i, vm->cfg.disks[i].path, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int vm_disks_check(struct vm *vm, const struct vm_saved *s, char *errbuf, size_t errlen)
{
	unsigned i;

	for (i = 0; i < VM_MAX_DISKS; i++) {
		const struct blk_saved *b = &s->disks[i];
		struct blk_disk_info info;

		if (!b->size && i >= vm->nr_disks_up)
			continue;
		if (!b->size || i >= vm->nr_disks_up) {
			ERR("the snapshot has %s disk in slot %u than this VM", b->size ? "a" : "no", i);
			return -EINVAL;
		}
		blk_info(vm->disks[i], &info);
		if (info.size != b->size) {
			ERR("disk %u: '%s' is %llu bytes, the snapshot's disk ('%s') was %llu", i, info.path,
			    (unsigned long long)info.size, (const char *)b->path, (unsigned long long)b->size);
			return -EINVAL;
		}
		if (strcmp(info.serial, (const char *)b->serial)) {
			ERR("disk %u: serial '%s' differs from the snapshot's '%s'", i, info.serial, (const char *)b->serial);
			return -EINVAL;
		}
	}
	return 0;
}

int vm_disks_apply(struct vm *vm, const struct vm_saved *s, char *errbuf, size_t errlen)
{
	unsigned i;
	int ret;

	for (i = 0; i < vm->nr_disks_up; i++) {
		ret = blk_load(vm->disks[i], &s->disks[i]);
		if (ret < 0) {
			ERR("disk %u: cannot restore its queues: %s", i, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int vm_disks_cfg_from_saved(const struct vm_saved *s, const struct vm_config *overrides, struct vm_config *cfg,
			    char *errbuf, size_t errlen)
{
	unsigned i, n = 0;

	for (i = 0; i < VM_MAX_DISKS && s->disks[i].size; i++)
		n = i + 1;
	if (overrides && overrides->nr_disks > n) {
		ERR("%u --disk given, the snapshot has %u disks", overrides->nr_disks, n);
		return -EINVAL;
	}
	cfg->nr_disks = n;
	for (i = 0; i < n; i++) {
		const struct blk_saved *b = &s->disks[i];
		struct vm_disk_cfg *d = &cfg->disks[i];

		memset(d, 0, sizeof(*d));
		snprintf(d->path, sizeof(d->path), "%s", (const char *)b->path);
		memcpy(d->serial, b->serial, sizeof(d->serial));
		d->readonly = b->readonly;
		d->cache_none = b->cache_none;
		d->num_queues = b->num_queues;
		if (overrides && i < overrides->nr_disks) {
			const struct vm_disk_cfg *o = &overrides->disks[i];

			if (o->serial[0] && strcmp(o->serial, d->serial)) {
				ERR("--disk %s: serial '%s' is not the snapshot's '%s'", o->path, o->serial, d->serial);
				return -EINVAL;
			}
			snprintf(d->path, sizeof(d->path), "%s", o->path);
		}
	}
	return 0;
}

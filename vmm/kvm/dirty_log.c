// SPDX-License-Identifier: MIT
/* KVM dirty-page logging of one memslot (see dirty_log.h). */
#define LOG_PREFIX "dirty-log"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/kvm/dirty_log.h"
#include "vmm/kvm/kvm_arm.h"
#include "vmm/core/log.h"

static int set_slot_flags(struct kvm_dirty_log_slot *d, uint32_t flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = d->slot,
		.flags = flags,
		.guest_phys_addr = d->gpa,
		.memory_size = d->size,
		.userspace_addr = (uint64_t)(uintptr_t)d->hva,
	};

	return kvm_ioctl(d->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
}

int kvm_dirty_log_start(struct kvm_dirty_log_slot *d, int vm_fd, uint32_t slot, uint64_t gpa, void *hva,
			uint64_t size)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 };
	uint64_t words = (size / DIRTY_PAGE_SIZE + 63) / 64;
	int ret;

	memset(d, 0, sizeof(*d));
	d->vm_fd = vm_fd;
	d->slot = slot;
	d->gpa = gpa;
	d->size = size;
	d->hva = hva;
	d->scratch = calloc(words, sizeof(uint64_t));
	if (!d->scratch)
		return -ENOMEM;
	/*
	 * Manual protection, without INITIALLY_SET: the first pass sends every page
	 * anyway (the caller sets its own bitmap), and enabling logging then
	 * write-protects the whole slot at once, so nothing written during the first
	 * pass can be missed.
	 */
	if (kvm_ioctl(vm_fd, KVM_CHECK_EXTENSION, (void *)(uintptr_t)KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) > 0) {
		cap.args[0] = 1; /* KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE */
		ret = kvm_ioctl(vm_fd, KVM_ENABLE_CAP, &cap);
		d->manual = ret == 0;
		if (ret < 0)
			log_warn("manual re-protection unavailable (%s): using KVM_GET_DIRTY_LOG alone",
				 strerror(-ret));
	}
	ret = set_slot_flags(d, KVM_MEM_LOG_DIRTY_PAGES);
	if (ret < 0) {
		log_err("cannot enable dirty logging on slot %u: %s", slot, strerror(-ret));
		free(d->scratch);
		d->scratch = NULL;
		return ret;
	}
	d->active = true;
	return 0;
}

int kvm_dirty_log_sync(struct kvm_dirty_log_slot *d, struct dirty_bitmap *into, bool rearm)
{
	struct kvm_dirty_log get = { .slot = d->slot };
	uint64_t words = (d->size / DIRTY_PAGE_SIZE + 63) / 64, npages = d->size / DIRTY_PAGE_SIZE, w;
	int ret;

	if (!d->active)
		return -EINVAL;
	get.dirty_bitmap = d->scratch;
	ret = kvm_ioctl(d->vm_fd, KVM_GET_DIRTY_LOG, &get);
	if (ret < 0)
		return ret;
	if (d->manual && rearm) {
		/* Re-protect in runs of set words: the mmu lock is held only briefly each time. */
		for (w = 0; w < words;) {
			struct kvm_clear_dirty_log clr = { .slot = d->slot };
			uint64_t end = w;

			if (!d->scratch[w]) {
				w++;
				continue;
			}
			while (end < words && d->scratch[end] && end - w < 4096)
				end++;
			clr.first_page = w * 64;
			clr.num_pages = (uint32_t)((end * 64 > npages ? npages : end * 64) - w * 64);
			clr.dirty_bitmap = &d->scratch[w];
			ret = kvm_ioctl(d->vm_fd, KVM_CLEAR_DIRTY_LOG, &clr);
			if (ret < 0)
				return ret;
			w = end;
		}
	}
	dirty_bitmap_merge(into, 0, d->scratch, words);
	return 0;
}

void kvm_dirty_log_stop(struct kvm_dirty_log_slot *d)
{
	int ret;

	if (d->active) {
		ret = set_slot_flags(d, 0);
		if (ret < 0)
			log_warn("cannot turn dirty logging off on slot %u: %s", d->slot, strerror(-ret));
	}
	free(d->scratch);
	d->scratch = NULL;
	d->active = false;
}

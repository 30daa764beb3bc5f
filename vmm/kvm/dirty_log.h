/* SPDX-License-Identifier: MIT */
/*
 * KVM dirty-page logging of one memslot, with manual re-protection
 * (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2): KVM_GET_DIRTY_LOG only reports, and the
 * pages about to be sent are write-protected again with KVM_CLEAR_DIRTY_LOG just
 * before they are read, so a write that lands while a page is being copied is
 * reported in the next pass (never lost, at worst sent twice).
 *
 * Chosen over the dirty ring: the ring must be sized before vCPUs exist, a parked
 * vCPU's ring still has to be harvested, and arm64 needs the bitmap anyway for
 * the vGIC's writes (KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP).
 */
#ifndef VMM_KVM_DIRTY_LOG_H
#define VMM_KVM_DIRTY_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "migration/live/dirty_bitmap.h"
#include "vmm/core/compiler.h"

struct kvm_dirty_log_slot {
	int vm_fd;
	uint32_t slot;
	uint64_t gpa;
	uint64_t size;
	void *hva;
	uint64_t *scratch; /* KVM's bitmap for the whole slot */
	bool manual;       /* MANUAL_PROTECT2 enabled */
	bool active;
};

/* Turns logging on for the memslot; every page starts dirty (the first pass sends all). */
int kvm_dirty_log_start(struct kvm_dirty_log_slot *d, int vm_fd, uint32_t slot, uint64_t gpa, void *hva,
			uint64_t size) __must_check;
/*
 * Fetches what the guest dirtied since the last sync, re-protects it (manual
 * mode: KVM_CLEAR_DIRTY_LOG) and ORs it into `into`.
 */
/* rearm false: the last read of a paused VM (nothing will run before logging stops), so the
 * pages are not write-protected again (KVM_CLEAR_DIRTY_LOG skipped). */
int kvm_dirty_log_sync(struct kvm_dirty_log_slot *d, struct dirty_bitmap *into, bool rearm) __must_check;
/* Turns logging off again (a cancelled or failed migration: the guest runs on). */
void kvm_dirty_log_stop(struct kvm_dirty_log_slot *d);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The VM's virtio-blk disks as a whole (vmm/kvm/virtio_disks.c): the pause hook
 * and the entry points the live-migration code calls. All on the control thread.
 */
#ifndef VMM_KVM_VIRTIO_DISKS_H
#define VMM_KVM_VIRTIO_DISKS_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/core/compiler.h"

struct vm;

/* After every vCPU is paused (vm_pause_all): drain and flush every disk. Records
 * the result in vm->disks_pause_err (vm_state_collect refuses to save without a drain). */
int vm_disks_pause(struct vm *vm);
/* Before the vCPUs resume (vm_resume_all). */
void vm_disks_resume(struct vm *vm);

/* Live migration, shared storage (see storage/blk.h):
 * source at switch-over (VM paused, state sent):   vm_disks_release_for_migration
 * destination at switch-over (before vm_start):    vm_disks_acquire_at_switchover
 * source after a failed migration (before resume): vm_disks_reclaim_after_failed_migration
 * dirty-page tracking (any time the VM is paused): vm_disks_set_dirty_hook (NULL: off) */
int vm_disks_release_for_migration(struct vm *vm) __must_check;
int vm_disks_acquire_at_switchover(struct vm *vm, char *errbuf, size_t errlen) __must_check;
int vm_disks_reclaim_after_failed_migration(struct vm *vm) __must_check;
void vm_disks_set_dirty_hook(struct vm *vm, void (*mark_dirty)(void *ctx, uint64_t gpa, uint64_t len), void *ctx);

/* Snapshot and restore (vmm/kvm/save.c, migration/kvm/snapshot.c). */
struct vm_saved;
struct vm_config;
/* The disks' sections; fails when the last pause could not drain them. */
int vm_disks_collect(struct vm *vm, struct vm_saved *s, char *errbuf, size_t errlen) __must_check;
/* The images this VM opened have the snapshot's sizes and serials. */
int vm_disks_check(struct vm *vm, const struct vm_saved *s, char *errbuf, size_t errlen) __must_check;
int vm_disks_apply(struct vm *vm, const struct vm_saved *s, char *errbuf, size_t errlen) __must_check;
/* cfg->disks from the snapshot; overrides->disks[i].path (vmm restore --disk) replaces disk i's path. */
int vm_disks_cfg_from_saved(const struct vm_saved *s, const struct vm_config *overrides, struct vm_config *cfg,
			    char *errbuf, size_t errlen) __must_check;

#endif

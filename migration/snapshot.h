/* SPDX-License-Identifier: MIT */
/* Snapshot and restore of a VM (migration/kvm/snapshot.c). */
#ifndef MIGRATION_SNAPSHOT_H
#define MIGRATION_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/core/compiler.h"

struct vm;
struct vm_hooks;
struct vm_config;
struct vm_config_state;

struct snapshot_stats {
	uint64_t state_bytes;
	uint64_t memory_size;
	uint64_t memory_written; /* bytes of RAM actually written (the rest are holes) */
};

/* Writes DIR/state and DIR/memory. Every vCPU must be paused. */
int vm_snapshot_save(struct vm *vm, const char *dir, struct snapshot_stats *stats, char *errbuf,
		     size_t errlen) __must_check;
/*
 * Builds a VM from DIR, ready for vm_start(). *cfg_out (whose strings live in
 * *cfg_storage) is the saved configuration, for booting again after a reset.
 * On error nothing is left behind and errbuf names the problem.
 */
int vm_snapshot_restore(const char *dir, const struct vm_hooks *hooks, void *hooks_ctx, struct vm_config *cfg_out,
			struct vm_config_state *cfg_storage, struct vm **out, char *errbuf,
			size_t errlen) __must_check;

#endif

/* SPDX-License-Identifier: MIT */
/*
 * A whole VM's state as one versioned stream (migration/format/stream.h): the one
 * encoder and decoder that snapshot/restore (migration/kvm/snapshot.c) and live
 * migration (migration/kvm/migrate_*.c) share.
 */
#ifndef MIGRATION_KVM_VM_STREAM_H
#define MIGRATION_KVM_VM_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "migration/format/stream.h"
#include "migration/vm/sections.h"
#include "vmm/arm64/vm_config.h"
#include "vmm/core/compiler.h"

struct vm;

/* Collects the state of a VM whose vCPUs are all paused and encodes it into w (initialised here). */
int vm_stream_save(struct vm *vm, struct mig_writer *w, char *errbuf, size_t errlen) __must_check;
/*
 * Decodes and validates a whole stream into *out (allocated) before anything is
 * built from it, and fills cfg with the machine it describes (its strings point
 * into (*out)->config). `what` names the source in errors ("snapshot", "migration").
 */
int vm_stream_load(const uint8_t *buf, size_t len, const char *what, struct vm_saved **out, struct vm_config *cfg,
		   char *errbuf, size_t errlen) __must_check;

/* Can this host's KVM provide the machine cfg describes? (memory, vCPU limit) */
int vm_stream_check_host(const struct vm_config *cfg, const char *what, char *errbuf, size_t errlen) __must_check;

/*
 * The compatibility check (migration/compat/check.h) of a whole stream against
 * this host, before anything is built: restore and the incoming side of a live
 * migration refuse with the same reasons `vmm-compat` prints. On a refusal every
 * incompatible finding is in errbuf, one per "; ".
 */
int vm_stream_check_compat(const uint8_t *buf, size_t len, const char *what, char *errbuf,
			   size_t errlen) __must_check;

#endif

/* SPDX-License-Identifier: MIT */
/* Collect and apply a VM's state sections (vmm/kvm/save.c). Errors are -errno with errbuf set. */
#ifndef VMM_KVM_SAVE_H
#define VMM_KVM_SAVE_H

#include <stddef.h>

#include "vmm/core/compiler.h"

struct vm;
struct vm_saved;

/* Where the last vm_state_collect() of a VM spent its time (a switch-over log line). */
struct vm_collect_times {
	uint64_t vcpus_ns;   /* the enabled vCPUs' registers */
	uint64_t gic_ns;     /* distributor and every redistributor / CPU interface */
	uint64_t devices_ns; /* hot-plug block, GED, UART, disks */
};

/* Fills s from a VM whose vCPUs are all paused (allocates s->vcpus[] of the enabled ones). */
int vm_state_collect(struct vm *vm, struct vm_saved *s, char *errbuf, size_t errlen) __must_check;
/* Checks that the machine KVM built is the one s describes (before vm_state_apply). */
int vm_state_check(struct vm *vm, const struct vm_saved *s, char *errbuf, size_t errlen) __must_check;
/* Loads s into a VM built with the same configuration and not yet started. */
int vm_state_apply(struct vm *vm, struct vm_saved *s, char *errbuf, size_t errlen) __must_check;

#endif

/* SPDX-License-Identifier: MIT */
/* Pieces of the VM object implemented in other files (hotplug/kvm/cpu_plug.c). */
#ifndef VMM_VM_INTERNAL_H
#define VMM_VM_INTERNAL_H

#include <stddef.h>

#include "vmm/core/compiler.h"

struct vm;

/* Creates the CPU hot-plug register block and the GED (ACPI boot only). */
int vm_hotplug_setup(struct vm *vm, char *errbuf, size_t errlen) __must_check;
void vm_hotplug_teardown(struct vm *vm);
/* Caches the boot vCPU's ID registers (before any vCPU runs). */
int vm_hotplug_snapshot_id_regs(struct vm *vm) __must_check;
/* Control thread: finishes ejects and forwards _OST reports. */
void vm_hotplug_process(struct vm *vm);

#endif

/* SPDX-License-Identifier: MIT */
/* Pieces of the VM object implemented in other files of vmm/kvm/. */
#ifndef VMM_VM_INTERNAL_H
#define VMM_VM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/core/compiler.h"

struct vcpu;
struct vm;

/* Guest RAM (vmm/kvm/memory.c). mem_fd >= 0: a private mapping of a snapshot's memory file. */
int vm_memory_setup(struct vm *vm, int mem_fd, char *errbuf, size_t errlen) __must_check;
/* Reads size bytes of fd (path, for messages) into guest RAM at gpa. */
int vm_load_file(struct vm *vm, const char *path, int fd, uint64_t gpa, uint64_t size, char *errbuf,
		 size_t errlen) __must_check;

/* Loads the payload, builds the DTB and ACPI tables, sets the boot registers (vmm/kvm/boot.c). */
int vm_boot_prepare(struct vm *vm, char *errbuf, size_t errlen) __must_check;

/* The VM's hot-plug devices (vmm/kvm/hotplug.c). Creates the CPU hot-plug register
 * block and the GED (ACPI boot only). */
int vm_hotplug_setup(struct vm *vm, char *errbuf, size_t errlen) __must_check;
void vm_hotplug_teardown(struct vm *vm);
/* ID registers (vmm/kvm/id_regs.c): cached from the boot vCPU before any vCPU runs,
 * then compared with a reset vCPU's before it is plugged. */
int vm_id_regs_cache(struct vm *vm) __must_check;
int vm_id_regs_check(struct vm *vm, struct vcpu *v, char *errbuf, size_t errlen) __must_check;
/* Control thread: finishes ejects and forwards _OST reports. */
void vm_hotplug_process(struct vm *vm);

/* virtio-blk disks (vmm/kvm/virtio_disks.c): devices, irqfds, ioeventfds, MMIO regions.
 * defer_open: a live-migration destination opens the images at switch-over. */
int vm_disks_setup(struct vm *vm, bool defer_open, char *errbuf, size_t errlen) __must_check;
void vm_disks_teardown(struct vm *vm);

/* The vCPU whose QMP device id is id, or NULL. */
struct vcpu *vm_find_vcpu_by_dev_id(struct vm *vm, const char *id);

#endif

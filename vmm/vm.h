/* SPDX-License-Identifier: MIT */
/*
 * The VM object: everything one virtual machine owns. No global state: a process
 * could run two (the unit tests build parts of one without KVM).
 */
#ifndef VMM_VM_H
#define VMM_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "gic/vgic.h"
#include "vmm/boot_plan.h"
#include "vmm/compiler.h"
#include "vmm/config.h"
#include "vmm/mmio_bus.h"
#include "vmm/pl011.h"
#include "vmm/vcpu.h"

struct kvm_vcpu_init;

/* Why the VM stopped running. */
enum vm_exit {
	VM_EXIT_NONE = 0,
	VM_EXIT_POWEROFF, /* guest PSCI SYSTEM_OFF */
	VM_EXIT_RESET,    /* guest PSCI SYSTEM_RESET: rebuild and boot again */
	VM_EXIT_SHUTDOWN, /* host asked (signal, QMP quit) */
	VM_EXIT_ERROR,    /* a vCPU failed */
};

struct vm_console_ops {
	void (*output)(void *ctx, uint8_t byte); /* from a vCPU thread */
	void (*rx_space)(void *ctx);             /* from a vCPU thread */
};

struct vm {
	struct vm_config cfg;
	int kvm_fd;
	int vm_fd;
	int event_fd;          /* vCPU threads → control thread */
	int exit_reason;       /* enum vm_exit, atomically set once */

	uint8_t *ram;          /* host mapping of guest RAM */
	uint64_t ram_gpa;
	uint64_t ram_size;

	unsigned max_vcpus;
	struct vcpu *vcpus;    /* [max_vcpus], indexed by vCPU id */
	uint32_t vcpu_features[7];
	uint32_t vcpu_target;
	bool pmu;

	struct vgic gic;
	struct mmio_bus bus;
	struct pl011 uart;
	bool uart_ready;

	struct boot_plan plan;
	const struct vm_console_ops *console;
	void *console_ctx;
};

/* Builds the whole machine from cfg, loads the kernel, leaves it ready to start. */
int vm_create(const struct vm_config *cfg, const struct vm_console_ops *console, void *console_ctx,
	      struct vm **out, char *errbuf, size_t errlen) __must_check;
/* Starts the threads of the enabled vCPUs. */
int vm_start(struct vm *vm) __must_check;
/* Stops every vCPU thread (the VM can be destroyed afterwards). */
void vm_stop(struct vm *vm);
void vm_destroy(struct vm *vm);

/* Records why the VM must end (first reason wins) and wakes the control thread. */
void vm_request_exit(struct vm *vm, enum vm_exit why);
/* Reads and clears the event counter; returns the pending exit reason. */
enum vm_exit vm_poll_exit(struct vm *vm);

void vm_pause_all(struct vm *vm);
void vm_resume_all(struct vm *vm);

#endif

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
#include "hotplug/cpuhp.h"
#include "hotplug/ged.h"
#include "hotplug/ost.h"
#include "migration/vm/topology.h"
#include "vmm/arm64/boot_plan.h"
#include "vmm/arm64/vm_config.h"
#include "vmm/core/compiler.h"
#include "vmm/devices/mmio_bus.h"
#include "vmm/devices/pl011.h"
#include "vmm/kvm/save.h"
#include "vmm/kvm/vcpu.h"

struct kvm_vcpu_init;
struct dirty_bitmap;
struct blk_dev;

/* Why the VM stopped running. */
enum vm_exit {
	VM_EXIT_NONE = 0,
	VM_EXIT_POWEROFF, /* guest PSCI SYSTEM_OFF */
	VM_EXIT_RESET,    /* guest PSCI SYSTEM_RESET: rebuild and boot again */
	VM_EXIT_SHUTDOWN, /* the host asked through QMP (quit, snapshot-save stop=true) */
	VM_EXIT_ERROR,    /* the VMM failed (a vCPU ioctl, the event loop) */
	VM_EXIT_SIGNAL,   /* the host sent SIGINT/SIGTERM/SIGHUP */
	VM_EXIT_UI,       /* Ctrl-A x on the console */
	VM_EXIT_CRASH,    /* the guest reported a crash (KVM_SYSTEM_EVENT_CRASH) */
	VM_EXIT_MIGRATED, /* the guest runs on a live migration's destination now */
};

/* How the VM talks back to its owner (the runner: console, QMP events). */
struct vm_hooks {
	void (*output)(void *ctx, uint8_t byte); /* vCPU thread: console output */
	void (*rx_space)(void *ctx);             /* vCPU thread: the UART can take input */
	/* Control thread: an unplug finished (QMP DEVICE_DELETED). */
	void (*device_deleted)(void *ctx, const char *id, const char *qom_path);
	/* Control thread: the guest reported _OST for a vCPU (QMP ACPI_DEVICE_OST). */
	void (*acpi_ost)(void *ctx, unsigned vcpu, const char *id, uint32_t event, uint32_t status);
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
	int ram_fd;            /* the snapshot memory file RAM maps (after a restore), or -1 */

	unsigned max_vcpus;
	struct vcpu *vcpus;    /* [max_vcpus], indexed by vCPU id */
	uint32_t vcpu_features[7];
	uint32_t vcpu_target;
	bool pmu;
	bool nisv_user;        /* KVM_CAP_ARM_NISV_TO_USER on: MMIO without syndrome exits to us */

	/* Guest misbehaviour the VMM absorbed (atomic counters; QMP x-query-guest-errors).
	 * The bus counts unassigned and malformed accesses itself (bus.bad_accesses). */
	uint64_t guest_nisv_aborts;  /* MMIO access KVM cannot decode (ldp/stp, ...): external abort injected */

	struct vgic gic;
	struct mmio_bus bus;
	struct pl011 uart;
	bool uart_ready;

	/* vCPU hot-plug (ACPI boot with PSCI CPU_ON/OFF in userspace). */
	bool psci_user;        /* the SMCCC filter forwards CPU_ON/CPU_OFF to us */
	bool hotplug_ready;
	struct cpuhp cpuhp;
	bool cpuhp_ready;
	struct ged ged;
	bool ged_ready;
	struct ost_queue ost;   /* guest _OST reports, for the control thread */
	bool ost_ready;
	uint64_t last_plug_ns;  /* device_add received → GED interrupt raised */
	/* Unplugs for a live migration's destination (topology 'unplugged'): on the source,
	 * those completed at the switchover (vm_unplug_log_start; collected with the state);
	 * on the destination, those to announce once it runs the guest. */
	bool unplug_log_on;
	uint32_t nr_unplugs;
	struct topology_unplug unplugs[TOPOLOGY_MAX_UNPLUGS];
#define VM_MAX_ID_REGS 16
	uint64_t boot_id_regs[VM_MAX_ID_REGS];

	/* Migration: auto-converge throttle (throttle.c) and pages the VMM itself writes. */
	unsigned throttle_pct;      /* atomic, 0: off */
	bool throttle_running;
	pthread_t throttle_thread;
	struct dirty_bitmap *vmm_dirty; /* atomic pointer; NULL while no migration logs dirty pages */
	struct vm_collect_times collect_times; /* of the last state collect (save.c) */
	/* virtio-blk disks (vmm/kvm/virtio_disks.c), cfg.disks[] order = virtio-mmio slot. */
	struct blk_dev *disks[VM_MAX_DISKS];
	int disk_kick_fds[VM_MAX_DISKS][8];
	int disk_irq_fds[VM_MAX_DISKS];
	unsigned nr_disks_up;  /* disks[0..nr_disks_up) exist (their fds are valid or -1) */
	int disks_pause_err;   /* the last vm_pause_all could not drain a disk (-errno) */

	struct boot_plan plan;
	const struct vm_hooks *hooks;
	void *hooks_ctx;
};

/* Builds the whole machine from cfg, loads the kernel, leaves it ready to start. */
int vm_create(const struct vm_config *cfg, const struct vm_hooks *hooks, void *hooks_ctx,
	      struct vm **out, char *errbuf, size_t errlen) __must_check;
/* Same; with mem_fd >= 0 the machine is built for a restore: RAM maps mem_fd
 * (MAP_PRIVATE) and no payload is loaded; with VM_MEM_INCOMING, for an incoming
 * migration: anonymous RAM that the migration fills, no payload. */
#define VM_MEM_INCOMING (-2)
int vm_create_ex(const struct vm_config *cfg, const struct vm_hooks *hooks, void *hooks_ctx, int mem_fd,
		 struct vm **out, char *errbuf, size_t errlen) __must_check;
/* What this host's KVM can give a VM (0: unknown). */
int vm_host_limits(uint64_t *mem_bytes, unsigned *max_vcpus) __must_check;
/* Starts the threads of the enabled vCPUs. */
int vm_start(struct vm *vm) __must_check;
/* Stops every vCPU thread (the VM can be destroyed afterwards). */
void vm_stop(struct vm *vm);
void vm_destroy(struct vm *vm);

/* Records why the VM must end (first reason wins) and wakes the control thread;
 * VM_EXIT_NONE only wakes it (hot-plug work is pending). */
void vm_request_exit(struct vm *vm, enum vm_exit why);
/* Control thread, when event_fd fires: finishes ejects, forwards _OST reports,
 * and returns the pending exit reason. */
enum vm_exit vm_process_events(struct vm *vm);

/* vCPU hot-plug, the VM's side (vmm/kvm/hotplug.c); the requests: hotplug/kvm/cpu_plug.h. */
/* Before vm_start: vCPU idx is plugged from the start (kept across a guest reset),
 * without a hot-plug event. */
int vm_cpu_set_plugged(struct vm *vm, unsigned idx, const char *id) __must_check;
/* The guest ejected vCPU idx (a vCPU thread): accept it if the vCPU is off. */
int vm_cpu_eject(struct vm *vm, unsigned idx);
/* A live migration's switchover: the unplugs the guest's ejects complete from now
 * on are logged, and the state collected carries them, until vm_unplug_log_stop
 * (after the final collect). Control thread. */
void vm_unplug_log_start(struct vm *vm);
void vm_unplug_log_stop(struct vm *vm);
/* The destination runs the guest: DEVICE_DELETED (the device_deleted hook) for every
 * unplug the source completed during the migration. Control thread. */
void vm_announce_migrated_unplugs(struct vm *vm);
/* Queues a guest _OST report (any thread). */
void vm_queue_ost(struct vm *vm, unsigned idx, uint32_t event, uint32_t status);

/* The host address of guest RAM [gpa, gpa + len), or NULL when it is not all RAM. */
void *vm_gpa(struct vm *vm, uint64_t gpa, uint64_t len);
/* The VMM wrote guest RAM [gpa, gpa + len) (a device's DMA): a live migration resends it. Any thread. */
void vm_mark_dirty(struct vm *vm, uint64_t gpa, uint64_t len);

/* Auto-converge (vmm/kvm/throttle.c): the vCPUs sleep pct % of the time (0: off). Control or migration thread. */
int vm_throttle_set(struct vm *vm, unsigned pct) __must_check;
void vm_throttle_stop(struct vm *vm);

void vm_pause_all(struct vm *vm);
void vm_resume_all(struct vm *vm);
/*
 * Pauses every vCPU (pause false: the VM is paused already) and finishes the hot-plug
 * work the guest already did (an eject), so the topology read next is settled. Returns
 * VM_EXIT_NONE, or the end the guest asked for: then the VM is as it was (resumed if
 * this call paused it) and the caller hands the reason to the runner.
 */
enum vm_exit vm_pause_settled(struct vm *vm, bool pause);
/* Control thread: pauses the VM unless it already is (QMP stop, a snapshot);
 * returns true when it paused it, and then the caller resumes it (vm_resume_all). */
bool vm_pause_if_running(struct vm *vm);

#endif

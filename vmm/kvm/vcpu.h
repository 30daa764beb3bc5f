/* SPDX-License-Identifier: MIT */
/*
 * vCPUs. Every possible vCPU is created in KVM at VM init (KVM cannot add vCPUs
 * once the vGIC is initialised); each has two independent states:
 *   admin: PARKED (not plugged: a KVM fd and its kvm_run mapping, no thread) or
 *          ENABLED (plugged: has a thread);
 *   power: OFF (waiting for PSCI CPU_ON) or ON (running guest code).
 * A thread additionally moves through RUNNING / PAUSED / STOPPED on requests of
 * the control thread (pause protocol in ARCHITECTURE.md).
 */
#ifndef VMM_VCPU_H
#define VMM_VCPU_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/core/compiler.h"

struct vm;
struct kvm_run;

enum vcpu_admin { VCPU_PARKED = 0, VCPU_ENABLED };
enum vcpu_power { VCPU_POWER_OFF = 0, VCPU_POWER_ON };

enum vcpu_request { VCPU_REQ_NONE = 0, VCPU_REQ_PAUSE, VCPU_REQ_STOP };
enum vcpu_thread_state { VCPU_THREAD_NONE = 0, VCPU_THREAD_RUNNING, VCPU_THREAD_PAUSED, VCPU_THREAD_STOPPED };

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	uint64_t mpidr;               /* as KVM reports it (affinity bits) */
	bool cold_booted;             /* enabled at boot: never unpluggable */
	char dev_id[32];              /* QMP device id ("core4"); empty when parked */

	/* Protected by lock: changed by the control thread (admin) and by PSCI calls
	 * of the guest (power), read by both. */
	enum vcpu_admin admin;
	enum vcpu_power power;
	bool on_pending;              /* CPU_ON accepted, not yet applied by the thread */
	uint64_t on_entry, on_ctx;
	bool eject_pending;           /* the guest ejected it; the control thread parks it */

	pthread_t thread;
	int tid;                      /* host thread id, for query-cpus-fast */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum vcpu_request req;        /* protected by lock */
	enum vcpu_thread_state state; /* protected by lock */
	bool halted;                  /* the VM is ending: do not re-enter the guest */
	uint64_t throttle_ns;         /* atomic: sleep this long at the next KVM_RUN return (throttle.c) */
	/* What cannot change between two saves (the register list, the ID registers' values):
	 * read by the first save, reused by the next ones (vcpu_regs.c; control thread). */
	struct vcpu_reg_cache *regcache;
};

/* Creates the KVM vCPU (not yet initialised). */
int vcpu_create(struct vm *vm, unsigned id, struct vcpu *v) __must_check;
/* KVM_ARM_VCPU_INIT with the VM's feature set; power_off for all but the boot vCPU.
 * Resets the architectural state: used at creation and when a parked vCPU is plugged. */
int vcpu_arch_init(struct vcpu *v, bool power_off) __must_check;
/* Per-vCPU setup that needs the initialised vGIC (PMU). */
int vcpu_late_init(struct vcpu *v) __must_check;
void vcpu_destroy(struct vcpu *v);
/* The vCPU thread, back from KVM_RUN: sleeps what the throttle asked for (vmm/kvm/throttle.c). */
void vcpu_throttle_point(struct vcpu *v);

/* Parking (vmm/kvm/park.c), control thread. Enabled: admin ENABLED with its
 * device id, GIC CPU interface accessible (the thread is started separately). */
void vcpu_enable(struct vcpu *v, const char *dev_id);
/* Stops the thread and parks the vCPU: admin PARKED, off, no device id (copied to
 * dev_id when not NULL), GIC CPU interface inaccessible. */
void vcpu_park(struct vcpu *v, char *dev_id, size_t len);

/* Starts the thread of an enabled vCPU. */
int vcpu_start(struct vcpu *v) __must_check;
/* Asks the thread to stop and joins it. The vCPU keeps its KVM fd (parkable). */
void vcpu_stop(struct vcpu *v);
/* Pause protocol (vmm/kvm/pause.c). The kick signal's handler does nothing; its
 * only job is to make KVM_RUN return. */
#define VCPU_KICK_SIGNAL (SIGRTMIN + 1)
/* immediate_exit = 1, then the kick signal to the vCPU's thread. */
void vcpu_kick(struct vcpu *v);
void vcpu_pause(struct vcpu *v);       /* request + kick; does not wait */
void vcpu_wait_paused(struct vcpu *v); /* waits for the acknowledgement */
void vcpu_resume(struct vcpu *v);

/* PSCI CPU_ON from the guest for this target (any thread): returns a PSCI code. */
int64_t vcpu_psci_cpu_on(struct vcpu *target, uint64_t entry, uint64_t ctx);

struct vcpu_state;
/* Register state (the vCPU must be paused or parked). */
int vcpu_save_state(struct vcpu *v, struct vcpu_state *s) __must_check;
int vcpu_load_state(struct vcpu *v, const struct vcpu_state *s) __must_check;
/* Drops what vcpu_save_state cached (the vCPU was reset or its registers set). */
void vcpu_regs_forget(struct vcpu *v);

/* Installs the (empty) kick signal handler; call once per process. */
int vcpu_signal_setup(void) __must_check;

#endif

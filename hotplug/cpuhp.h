/* SPDX-License-Identifier: MIT */
/*
 * The ACPI CPU hot-plug register block (QEMU's "modern" interface, REFERENCE §1.2),
 * 12 bytes of MMIO that the DSDT's CSCN/CSTA/CEJ0/COST methods drive:
 *   0x0 W: CPU selector (index into the possible vCPUs)   R: command data 2
 *   0x4 W: control (bit1 clear insert, bit2 clear remove, bit3 eject)
 *       R: status  (bit0 enabled, bit1 insert pending, bit2 remove pending)
 *   0x5 W: command (0 next CPU with event, 1 OST event, 2 OST status, 3 arch id)
 *   0x8 W: command data (OST event/status)                R: command data
 * A selector beyond the possible vCPUs reads 0 and drops writes (but a new
 * selector). Everything the guest can write is bounds-checked: this block is
 * guest-facing. Thread-safe; the callbacks run on the writing vCPU's thread
 * without the lock held.
 */
#ifndef HOTPLUG_CPUHP_H
#define HOTPLUG_CPUHP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hotplug/cpuhp_abi.h"
#include "vmm/compiler.h"
#include "vmm/layout.h"

#define CPUHP_REG_LEN 12

enum cpuhp_cmd {
	CPUHP_CMD_GET_NEXT_EVENT = 0,
	CPUHP_CMD_OST_EVENT = 1,
	CPUHP_CMD_OST_STATUS = 2,
	CPUHP_CMD_GET_ARCH_ID = 3,
};

/* Per possible vCPU: what the guest observes and what is migrated. */
struct cpuhp_cpu_state {
	bool enabled;
	bool inserting;
	bool removing;
	bool eject_allowed;   /* a device_del is in progress: the guest may eject */
	uint32_t ost_event;
	uint32_t ost_status;
};

/* The whole block as saved in a snapshot (descriptor cpuhp_vmstate). */
struct cpuhp_saved {
	uint32_t selector;
	uint8_t command;
	uint32_t nr_cpus;
	struct cpuhp_cpu_state cpus[LAYOUT_MAX_VCPUS];
};

struct cpuhp_ops {
	/* The guest ejected vCPU idx (after a device_del). Return 0 to accept:
	 * the CPU then reads as disabled at once. Called with the block's lock
	 * held: it must not call back into the block. */
	int (*eject)(void *ctx, unsigned idx);
	/* The guest reported _OST for vCPU idx. */
	void (*ost)(void *ctx, unsigned idx, uint32_t event, uint32_t status);
};

struct cpuhp {
	pthread_mutex_t lock;
	uint32_t selector;
	uint8_t command;
	unsigned nr;
	struct cpuhp_cpu_state *cpus; /* [nr] */
	uint64_t *arch_ids;           /* [nr] MPIDR affinity */
	const struct cpuhp_ops *ops;
	void *ctx;
};

int cpuhp_init(struct cpuhp *h, unsigned nr, const uint64_t *arch_ids, const struct cpuhp_ops *ops,
	       void *ctx) __must_check;
void cpuhp_fini(struct cpuhp *h);
/* MMIO handler; opaque is the cpuhp. */
void cpuhp_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

/* VMM side (control thread). */
void cpuhp_set_enabled(struct cpuhp *h, unsigned idx, bool enabled);
bool cpuhp_is_enabled(struct cpuhp *h, unsigned idx);
/* Marks vCPU idx for insertion (enabled + insert event). */
int cpuhp_plug(struct cpuhp *h, unsigned idx) __must_check;
/* Asks the guest to remove vCPU idx (remove event, eject allowed). */
int cpuhp_request_unplug(struct cpuhp *h, unsigned idx) __must_check;
/* Withdraws a pending unplug request (e.g. the VM is being reset). */
void cpuhp_cancel_unplug(struct cpuhp *h, unsigned idx);

void cpuhp_save(struct cpuhp *h, struct cpuhp_saved *out);
/* -EINVAL when the saved block has a different number of possible vCPUs. */
int cpuhp_load(struct cpuhp *h, const struct cpuhp_saved *in) __must_check;
struct vmstate_desc;
extern const struct vmstate_desc cpuhp_vmstate;

#endif

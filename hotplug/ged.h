/* SPDX-License-Identifier: MIT */
/*
 * The ACPI Generic Event Device (ACPI0013): a 32-bit event selector that reads
 * and clears in one access, and an edge-triggered interrupt. The DSDT's _EVT
 * reads the selector and dispatches (CPU hot-plug scan, power button).
 */
#ifndef HOTPLUG_GED_H
#define HOTPLUG_GED_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hotplug/ged_regs.h"
#include "vmm/core/compiler.h"


struct ged_state {
	uint32_t sel;
};

struct ged {
	pthread_mutex_t lock;
	struct ged_state s;
	/* Pulses the interrupt (edge). */
	int (*pulse)(void *ctx);
	void *ctx;
};

int ged_init(struct ged *g, int (*pulse)(void *ctx), void *ctx) __must_check;
void ged_fini(struct ged *g);
/* Latches events and pulses the interrupt. Returns the pulse's result. */
int ged_raise(struct ged *g, uint32_t events) __must_check;
/* MMIO handler for the 4-byte selector; opaque is the ged. */
void ged_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

void ged_save(struct ged *g, struct ged_state *out);
void ged_load(struct ged *g, const struct ged_state *in);
struct vmstate_desc;
extern const struct vmstate_desc ged_vmstate;

#endif

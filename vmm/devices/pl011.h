/* SPDX-License-Identifier: MIT */
/*
 * ARM PrimeCell UART (PL011) model: the guest console. Transmit is immediate
 * (one byte out per DR write); receive goes through a 32-byte FIFO filled by the
 * control thread. The interrupt line is level-triggered: (RIS & IMSC) != 0.
 * Thread-safe: vCPU threads access registers, the control thread feeds input.
 */
#ifndef VMM_PL011_H
#define VMM_PL011_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/core/compiler.h"

#define PL011_FIFO_DEPTH 32

struct pl011_ops {
	void (*set_irq)(void *ctx, bool level);       /* drive the interrupt line */
	void (*tx)(void *ctx, uint8_t byte);          /* a byte the guest sent */
	void (*rx_space)(void *ctx);                  /* the RX FIFO has room again */
};

/* Register state: plain data, what a snapshot saves. */
struct pl011_state {
	uint32_t rsr, lcr_h, cr, ifls, imsc, ris, ilpr, ibrd, fbrd, dmacr;
	uint32_t rx_count, rx_head;
	uint8_t rx_fifo[PL011_FIFO_DEPTH];
};

struct pl011 {
	pthread_mutex_t lock;
	struct pl011_state s;
	bool irq_level;
	const struct pl011_ops *ops;
	void *ctx;
};

int pl011_init(struct pl011 *u, const struct pl011_ops *ops, void *ctx) __must_check;
void pl011_fini(struct pl011 *u);
void pl011_reset(struct pl011 *u);
/* MMIO handler (struct mmio_region callback); opaque is the pl011. */
void pl011_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* Queues input bytes; returns how many fit (the rest must be offered again later). */
size_t pl011_receive(struct pl011 *u, const uint8_t *buf, size_t len);
size_t pl011_rx_room(struct pl011 *u);
/* Snapshot state (descriptor pl011_vmstate). load re-drives the interrupt line. */
void pl011_save(struct pl011 *u, struct pl011_state *out);
void pl011_load(struct pl011 *u, const struct pl011_state *in);
struct vmstate_desc;
extern const struct vmstate_desc pl011_vmstate;

#endif

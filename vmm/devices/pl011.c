// SPDX-License-Identifier: MIT
#define LOG_PREFIX "pl011"
#include <errno.h>
#include <string.h>

#include "migration/format/vmstate.h"
#include "vmm/core/log.h"
#include "vmm/devices/pl011.h"

/* Register offsets. */
#define UARTDR 0x000
#define UARTRSR 0x004
#define UARTFR 0x018
#define UARTILPR 0x020
#define UARTIBRD 0x024
#define UARTFBRD 0x028
#define UARTLCR_H 0x02c
#define UARTCR 0x030
#define UARTIFLS 0x034
#define UARTIMSC 0x038
#define UARTRIS 0x03c
#define UARTMIS 0x040
#define UARTICR 0x044
#define UARTDMACR 0x048
#define UARTPERIPHID0 0xfe0

/* Flag register bits. */
#define FR_TXFE (1u << 7)
#define FR_RXFF (1u << 6)
#define FR_RXFE (1u << 4)

/* Interrupt bits. */
#define INT_RX (1u << 4)
#define INT_TX (1u << 5)
#define INT_RT (1u << 6)
#define INT_ALL 0x7ffu

#define LCR_FEN (1u << 4)

/* PrimeCell identification: PL011 r1p5, then the PrimeCell id. */
static const uint8_t pl011_id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

int pl011_init(struct pl011 *u, const struct pl011_ops *ops, void *ctx)
{
	int ret;

	memset(u, 0, sizeof(*u));
	ret = pthread_mutex_init(&u->lock, NULL);
	if (ret)
		return -ret;
	u->ops = ops;
	u->ctx = ctx;
	pl011_reset(u);
	return 0;
}

void pl011_fini(struct pl011 *u)
{
	pthread_mutex_destroy(&u->lock);
}

/* Called with u->lock held. */
static void update_irq_locked(struct pl011 *u)
{
	bool level = (u->s.ris & u->s.imsc) != 0;

	if (level != u->irq_level) {
		u->irq_level = level;
		u->ops->set_irq(u->ctx, level);
	}
}

void pl011_reset(struct pl011 *u)
{
	pthread_mutex_lock(&u->lock);
	memset(&u->s, 0, sizeof(u->s));
	u->s.cr = 0x300; /* TXE | RXE */
	u->s.ifls = 0x12;
	/* Transmit is instantaneous, so the TX FIFO always sits below its level. */
	u->s.ris = INT_TX;
	update_irq_locked(u);
	pthread_mutex_unlock(&u->lock);
}

/* Called with u->lock held. */
static uint32_t fifo_capacity_locked(const struct pl011 *u)
{
	return (u->s.lcr_h & LCR_FEN) ? PL011_FIFO_DEPTH : 1;
}

/* Called with u->lock held. */
static uint32_t read_dr_locked(struct pl011 *u, bool *drained)
{
	uint32_t v;

	if (u->s.rx_count == 0)
		return 0;
	v = u->s.rx_fifo[u->s.rx_head];
	u->s.rx_head = (u->s.rx_head + 1) % PL011_FIFO_DEPTH;
	u->s.rx_count--;
	if (u->s.rx_count == 0) {
		u->s.ris &= ~(INT_RX | INT_RT);
		*drained = true; /* tell the feeder once, when the FIFO runs empty */
	}
	return v;
}

static uint32_t read_reg_locked(struct pl011 *u, uint64_t off, bool *drained)
{
	switch (off) {
	case UARTDR:
		return read_dr_locked(u, drained);
	case UARTRSR:
		return u->s.rsr;
	case UARTFR:
		return FR_TXFE | (u->s.rx_count == 0 ? FR_RXFE : 0) |
		       (u->s.rx_count >= fifo_capacity_locked(u) ? FR_RXFF : 0);
	case UARTILPR:
		return u->s.ilpr;
	case UARTIBRD:
		return u->s.ibrd;
	case UARTFBRD:
		return u->s.fbrd;
	case UARTLCR_H:
		return u->s.lcr_h;
	case UARTCR:
		return u->s.cr;
	case UARTIFLS:
		return u->s.ifls;
	case UARTIMSC:
		return u->s.imsc;
	case UARTRIS:
		return u->s.ris;
	case UARTMIS:
		return u->s.ris & u->s.imsc;
	case UARTDMACR:
		return u->s.dmacr;
	default:
		if (off >= UARTPERIPHID0 && off < UARTPERIPHID0 + 0x20 && (off & 3) == 0)
			return pl011_id[(off - UARTPERIPHID0) / 4];
		return 0;
	}
}

static void write_reg_locked(struct pl011 *u, uint64_t off, uint32_t v, int *tx)
{
	switch (off) {
	case UARTDR:
		*tx = (int)(v & 0xff);
		u->s.ris |= INT_TX;
		break;
	case UARTRSR:
		u->s.rsr = 0; /* write clears the error flags */
		break;
	case UARTILPR:
		u->s.ilpr = v & 0xff;
		break;
	case UARTIBRD:
		u->s.ibrd = v & 0xffff;
		break;
	case UARTFBRD:
		u->s.fbrd = v & 0x3f;
		break;
	case UARTLCR_H:
		/* Turning the FIFO off flushes what is beyond one entry. */
		if ((u->s.lcr_h & LCR_FEN) && !(v & LCR_FEN) && u->s.rx_count > 1)
			u->s.rx_count = 1;
		u->s.lcr_h = v & 0xff;
		break;
	case UARTCR:
		u->s.cr = v & 0xffff;
		break;
	case UARTIFLS:
		u->s.ifls = v & 0x3f;
		break;
	case UARTIMSC:
		u->s.imsc = v & INT_ALL;
		break;
	case UARTICR:
		u->s.ris &= ~(v & INT_ALL);
		/* Pending input re-asserts its interrupt. */
		if (u->s.rx_count)
			u->s.ris |= INT_RX | INT_RT;
		break;
	case UARTDMACR:
		u->s.dmacr = v & 0x7;
		break;
	default:
		log_warn_ratelimited("guest write 0x%x to read-only/reserved offset 0x%llx", v,
				     (unsigned long long)off);
		break;
	}
}

void pl011_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct pl011 *u = opaque;
	bool drained = false;
	int tx = -1;
	uint32_t v = 0;
	uint32_t i;

	/* Registers are 32-bit; narrower accesses see the low bits of the word. */
	if (offset & 3) {
		log_warn_ratelimited("unaligned %s at offset 0x%llx ignored", is_write ? "write" : "read",
				     (unsigned long long)offset);
		return;
	}
	pthread_mutex_lock(&u->lock);
	if (is_write) {
		for (i = 0; i < len && i < 4; i++)
			v |= (uint32_t)data[i] << (8 * i);
		write_reg_locked(u, offset, v, &tx);
	} else {
		v = read_reg_locked(u, offset, &drained);
		for (i = 0; i < len && i < 4; i++)
			data[i] = (uint8_t)(v >> (8 * i));
	}
	update_irq_locked(u);
	pthread_mutex_unlock(&u->lock);
	/* Outside the lock: the sinks may block or take their own locks. */
	if (tx >= 0)
		u->ops->tx(u->ctx, (uint8_t)tx);
	if (drained && u->ops->rx_space)
		u->ops->rx_space(u->ctx);
}

size_t pl011_receive(struct pl011 *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	while (n < len && u->s.rx_count < fifo_capacity_locked(u)) {
		u->s.rx_fifo[(u->s.rx_head + u->s.rx_count) % PL011_FIFO_DEPTH] = buf[n++];
		u->s.rx_count++;
	}
	if (n)
		u->s.ris |= INT_RX | INT_RT;
	update_irq_locked(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

size_t pl011_rx_room(struct pl011 *u)
{
	size_t room;

	pthread_mutex_lock(&u->lock);
	room = fifo_capacity_locked(u) - u->s.rx_count;
	pthread_mutex_unlock(&u->lock);
	return room;
}

static const struct vmstate_field pl011_fields[] = {
	VMS_U32(struct pl011_state, rsr),
	VMS_U32(struct pl011_state, lcr_h),
	VMS_U32(struct pl011_state, cr),
	VMS_U32(struct pl011_state, ifls),
	VMS_U32(struct pl011_state, imsc),
	VMS_U32(struct pl011_state, ris),
	VMS_U32(struct pl011_state, ilpr),
	VMS_U32(struct pl011_state, ibrd),
	VMS_U32(struct pl011_state, fbrd),
	VMS_U32(struct pl011_state, dmacr),
	VMS_U32(struct pl011_state, rx_count),
	VMS_U32(struct pl011_state, rx_head),
	VMS_BUFFER(struct pl011_state, rx_fifo),
	VMS_END,
};

static int pl011_post_load(void *opaque, uint32_t version, struct mig_err *err)
{
	const struct pl011_state *s = opaque;

	(void)version;
	if (s->rx_count > PL011_FIFO_DEPTH || s->rx_head >= PL011_FIFO_DEPTH) {
		mig_err_set(err, "UART receive FIFO out of range (count %u, head %u)", s->rx_count, s->rx_head);
		return -EINVAL;
	}
	return 0;
}

const struct vmstate_desc pl011_vmstate = {
	.name = "pl011", .version = 1, .min_version = 1,
	.size = sizeof(struct pl011_state), .fields = pl011_fields, .post_load = pl011_post_load,
};

void pl011_save(struct pl011 *u, struct pl011_state *out)
{
	pthread_mutex_lock(&u->lock);
	*out = u->s;
	pthread_mutex_unlock(&u->lock);
}

void pl011_load(struct pl011 *u, const struct pl011_state *in)
{
	pthread_mutex_lock(&u->lock);
	u->s = *in;
	u->irq_level = !((u->s.ris & u->s.imsc) != 0); /* force the line to be driven */
	update_irq_locked(u);
	pthread_mutex_unlock(&u->lock);
}

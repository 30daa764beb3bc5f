// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <string.h>

#include "vmm/core/log.h"

#include "vmm/devices/pl011.h"

struct sink {
	bool level;
	unsigned irq_changes;
	uint8_t out[64];
	size_t nout;
	unsigned rx_space;
};

static void s_irq(void *ctx, bool level)
{
	struct sink *s = ctx;

	s->level = level;
	s->irq_changes++;
}

static void s_tx(void *ctx, uint8_t b)
{
	struct sink *s = ctx;

	s->out[s->nout++] = b;
}

static void s_space(void *ctx)
{
	((struct sink *)ctx)->rx_space++;
}

static const struct pl011_ops ops = { .set_irq = s_irq, .tx = s_tx, .rx_space = s_space };

static uint32_t rd(struct pl011 *u, uint64_t off)
{
	uint8_t d[4] = { 0 };

	pl011_mmio(u, off, d, 4, false);
	return (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
}

static void wr(struct pl011 *u, uint64_t off, uint32_t v)
{
	uint8_t d[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	pl011_mmio(u, off, d, 4, true);
}

Test(pl011, primecell_id_registers)
{
	struct sink s = { 0 };
	struct pl011 u;

	cr_assert_eq(pl011_init(&u, &ops, &s), 0);
	cr_assert_eq(rd(&u, 0xfe0), 0x11);
	cr_assert_eq(rd(&u, 0xfe4), 0x10);
	cr_assert_eq(rd(&u, 0xfe8), 0x14);
	cr_assert_eq(rd(&u, 0xff0), 0x0d);
	cr_assert_eq(rd(&u, 0xff4), 0xf0);
	cr_assert_eq(rd(&u, 0xff8), 0x05);
	cr_assert_eq(rd(&u, 0xffc), 0xb1);
	pl011_fini(&u);
}

Test(pl011, transmit_and_tx_interrupt)
{
	struct sink s = { 0 };
	struct pl011 u;

	cr_assert_eq(pl011_init(&u, &ops, &s), 0);
	cr_assert_not(s.level, "masked at reset");
	wr(&u, 0x38, 1u << 5); /* TXIM */
	cr_assert(s.level, "TX FIFO empty raises TXIS when unmasked");
	wr(&u, 0x44, 1u << 5); /* clear */
	cr_assert_not(s.level);
	wr(&u, 0x00, 'h');
	wr(&u, 0x00, 'i');
	cr_assert_eq(s.nout, 2);
	cr_assert_eq(memcmp(s.out, "hi", 2), 0);
	cr_assert(s.level, "TXIS again after a write");
	cr_assert(rd(&u, 0x18) & (1u << 7), "TXFE");
	pl011_fini(&u);
}

Test(pl011, receive_fifo_and_flow_control)
{
	struct sink s = { 0 };
	struct pl011 u;
	uint8_t in[40];
	size_t n;

	cr_assert_eq(pl011_init(&u, &ops, &s), 0);
	for (int i = 0; i < 40; i++)
		in[i] = (uint8_t)('a' + i % 26);
	cr_assert_eq(pl011_receive(&u, in, 5), 1, "FIFO disabled: one character");
	cr_assert_eq(rd(&u, 0x00), 'a');
	cr_assert_eq(s.rx_space, 1, "drained notification");
	wr(&u, 0x2c, 1u << 4); /* FEN */
	wr(&u, 0x38, (1u << 4) | (1u << 6)); /* RXIM | RTIM */
	n = pl011_receive(&u, in, sizeof(in));
	cr_assert_eq(n, PL011_FIFO_DEPTH);
	cr_assert(s.level, "RX interrupt");
	cr_assert(rd(&u, 0x18) & (1u << 6), "RXFF");
	cr_assert_eq(pl011_rx_room(&u), 0);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(rd(&u, 0x00), in[i], "byte %zu in order", i);
	cr_assert(rd(&u, 0x18) & (1u << 4), "RXFE");
	cr_assert_not(s.level, "RX interrupt cleared when empty");
	cr_assert_eq(rd(&u, 0x00), 0, "reading an empty FIFO is harmless");
	pl011_fini(&u);
}

Test(pl011, hostile_accesses_do_not_break_it)
{
	struct sink s = { 0 };
	struct pl011 u;
	uint8_t d[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	log_set_level(LOG_ERR);
	cr_assert_eq(pl011_init(&u, &ops, &s), 0);
	for (uint64_t off = 0; off < 0x1000; off++) {
		pl011_mmio(&u, off, d, (uint32_t)(1u << (off % 4)), off & 1);
		pl011_mmio(&u, off, d, 1, false);
	}
	wr(&u, 0x2c, 0);
	wr(&u, 0x38, 0);
	wr(&u, 0x44, 0x7ff);
	cr_assert_not(s.level);
	cr_assert_eq(pl011_receive(&u, (const uint8_t *)"x", 1), 1);
	cr_assert_eq(rd(&u, 0x00), 'x');
	pl011_fini(&u);
	log_set_level(LOG_INFO);
}

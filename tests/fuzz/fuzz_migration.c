// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: what a live-migration destination parses from the network
 * (the source is hostile). The input is a sequence of records
 *   u8 what | u16 length | bytes
 * what = 0: a control-message chunk (reassembly, then the offer / u32 / text parsers);
 * what = 1: a RAM page batch decoded into a small guest RAM (GPA 0x40000000, 1 MiB),
 * with and without the written-page map. Nothing may crash, hang or write outside
 * the region; a refused batch must leave the region untouched.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "migration/live/ctrl.h"
#include "migration/live/page_batch.h"

#define RAM_GPA 0x40000000ull
#define RAM_SIZE (1u << 20)

static uint8_t ram[RAM_SIZE], shadow[RAM_SIZE];
static uint64_t written[RAM_SIZE / 4096 / 64];

static void control(struct ctrl_asm *a, const uint8_t *p, size_t n)
{
	struct mig_err e = { "" };
	const uint8_t *data;
	unsigned kind;
	size_t len;
	int ret = ctrl_asm_feed(a, p, n, &e);

	if (ret <= 0)
		return;
	ctrl_asm_take(a, &kind, &data, &len);
	if (kind == CTRL_OFFER) {
		struct ctrl_offer o;

		if (ctrl_offer_parse(data, len, &o, &e) == 0 && (o.state < data || o.state + o.state_len > data + len))
			abort();
	} else if (kind == CTRL_ACCEPT || kind == CTRL_LOADED) {
		uint32_t v;

		(void)ctrl_parse_u32(kind, data, len, &v, &e);
	} else {
		char text[256];

		if (ctrl_parse_text(data, len, text, sizeof(text), &e) == 0 && strlen(text) >= sizeof(text))
			abort();
	}
}

static void batch(struct page_batch_dec *dec, const uint8_t *p, size_t n, int with_map)
{
	struct ram_region r = { .gpa = RAM_GPA, .size = RAM_SIZE, .host = ram, .written = with_map ? written : NULL };
	struct page_batch_info info;
	struct mig_err e = { "" };

	memcpy(shadow, ram, sizeof(ram));
	if (page_batch_decode(dec, p, n, &r, 1, &info, &e) != 0 && memcmp(shadow, ram, sizeof(ram)))
		abort(); /* a refused batch wrote guest RAM */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct page_batch_dec *dec;
	struct ctrl_asm a;
	struct mig_err e;
	size_t off = 0;

	if (!dec && page_batch_dec_create(&dec, &e))
		abort();
	ctrl_asm_init(&a);
	while (size - off >= 3) {
		unsigned what = data[off];
		size_t n = (size_t)data[off + 1] | (size_t)data[off + 2] << 8;

		off += 3;
		if (n > size - off)
			n = size - off;
		if (what % 3 == 0)
			control(&a, data + off, n);
		else
			batch(dec, data + off, n, what % 3 == 2);
		off += n;
	}
	ctrl_asm_fini(&a);
	return 0;
}

// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "migration/live/ctrl.h"

/* Splits msg into chunks of at most cap bytes and feeds them; returns the last feed's result. */
static int feed_all(struct ctrl_asm *a, unsigned kind, const uint8_t *msg, size_t len, size_t cap)
{
	uint8_t chunk[256];
	size_t off = 0;
	int ret;

	do {
		size_t n = ctrl_chunk(kind, msg, len, off, chunk, cap);

		ret = ctrl_asm_feed(a, chunk, n + CTRL_CHUNK_HDR_LEN, NULL);
		off += n;
		if (ret < 0)
			return ret;
	} while (off < len);
	return ret;
}

Test(ctrl, chunks_reassemble_in_order)
{
	struct ctrl_asm a;
	uint8_t msg[1000];
	const uint8_t *data;
	unsigned kind;
	size_t len;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7);
	ctrl_asm_init(&a);
	cr_assert_eq(feed_all(&a, CTRL_STATE, msg, sizeof(msg), 64), 1);
	ctrl_asm_take(&a, &kind, &data, &len);
	cr_assert_eq(kind, CTRL_STATE);
	cr_assert_eq(len, sizeof(msg));
	cr_assert_eq(memcmp(data, msg, len), 0);
	/* An empty message is one chunk without MORE. */
	cr_assert_eq(feed_all(&a, CTRL_COMMIT, NULL, 0, 64), 1);
	ctrl_asm_take(&a, &kind, &data, &len);
	cr_assert_eq(kind, CTRL_COMMIT);
	cr_assert_eq(len, 0);
	ctrl_asm_fini(&a);
}

Test(ctrl, hostile_chunks_are_refused)
{
	struct ctrl_asm a;
	struct mig_err e = { "" };
	uint8_t c[8] = { CTRL_STATE, CTRL_FLAG_MORE, 0, 0, 1, 2, 3, 4 };

	ctrl_asm_init(&a);
	cr_assert_eq(ctrl_asm_feed(&a, c, 3, &e), -EBADMSG, "short chunk");
	c[0] = 0;
	cr_assert_eq(ctrl_asm_feed(&a, c, 8, &e), -EBADMSG, "kind 0");
	c[0] = CTRL_KIND_MAX + 1;
	cr_assert_eq(ctrl_asm_feed(&a, c, 8, &e), -EBADMSG, "unknown kind");
	c[0] = CTRL_STATE;
	c[1] = 0x80;
	cr_assert_eq(ctrl_asm_feed(&a, c, 8, &e), -EBADMSG, "unknown flag");
	c[1] = CTRL_FLAG_MORE;
	c[2] = 1;
	cr_assert_eq(ctrl_asm_feed(&a, c, 8, &e), -EBADMSG, "reserved bits");
	c[2] = 0;
	cr_assert_eq(ctrl_asm_feed(&a, c, 8, &e), 0);
	c[0] = CTRL_OFFER;
	cr_assert_eq(ctrl_asm_feed(&a, c, 8, &e), -EPROTO, "a chunk of another kind inside a message");
	cr_assert(strstr(e.msg, "inside"), "%s", e.msg);
	ctrl_asm_fini(&a);
	/* A second message before the first was taken. */
	ctrl_asm_init(&a);
	c[0] = CTRL_RUNNING;
	c[1] = 0;
	cr_assert_eq(ctrl_asm_feed(&a, c, 4, &e), 1);
	cr_assert_eq(ctrl_asm_feed(&a, c, 4, &e), -EPROTO);
	ctrl_asm_fini(&a);
}

Test(ctrl, offer_round_trip_and_refusals)
{
	struct ctrl_offer o = { .version = CTRL_PROTOCOL_VERSION, .ram_size = 512ull << 20, .downtime_ms = 300 }, p;
	struct mig_err e = { "" };
	uint8_t buf[CTRL_OFFER_HDR_LEN + 3] = { 0 };

	ctrl_offer_put_hdr(&o, buf);
	memcpy(buf + CTRL_OFFER_HDR_LEN, "abc", 3);
	cr_assert_eq(ctrl_offer_parse(buf, sizeof(buf), &p, &e), 0, "%s", e.msg);
	cr_assert_eq(p.ram_size, o.ram_size);
	cr_assert_eq(p.downtime_ms, 300);
	cr_assert_eq(p.state_len, 3);
	cr_assert_eq(ctrl_offer_parse(buf, CTRL_OFFER_HDR_LEN, &p, &e), -EBADMSG, "no state");
	cr_assert_eq(ctrl_offer_parse(buf, 5, &p, &e), -EBADMSG, "truncated");
	o.version = 99;
	ctrl_offer_put_hdr(&o, buf);
	cr_assert_eq(ctrl_offer_parse(buf, sizeof(buf), &p, &e), -EPROTONOSUPPORT);
	cr_assert(strstr(e.msg, "version 99"), "%s", e.msg);
}

Test(ctrl, text_is_made_printable_and_bounded)
{
	char out[8];
	const uint8_t evil[] = { 'o', 'k', 0x1b, '[', '2', 'J', 0, 'x', 'y', 'z' };

	cr_assert_eq(ctrl_parse_text(evil, sizeof(evil), out, sizeof(out), NULL), 0);
	cr_assert_str_eq(out, "ok?[2J?");
}

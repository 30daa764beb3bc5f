// SPDX-License-Identifier: MIT
/* Control messages of a live migration: chunking and hostile-input parsing (see ctrl.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "migration/live/ctrl.h"
#include "migration/live/wire.h"

static const char *const kind_names[] = {
	[CTRL_OFFER] = "offer",     [CTRL_ACCEPT] = "accept", [CTRL_REFUSE] = "refuse",
	[CTRL_STATE] = "state",     [CTRL_LOADED] = "loaded", [CTRL_FAILED] = "failed",
	[CTRL_COMMIT] = "commit",   [CTRL_RUNNING] = "running", [CTRL_CANCEL] = "cancel",
};

const char *ctrl_kind_name(unsigned kind)
{
	return kind >= 1 && kind <= CTRL_KIND_MAX ? kind_names[kind] : "unknown";
}

void ctrl_asm_init(struct ctrl_asm *a)
{
	memset(a, 0, sizeof(*a));
}

void ctrl_asm_fini(struct ctrl_asm *a)
{
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

int ctrl_asm_feed(struct ctrl_asm *a, const uint8_t *chunk, size_t len, struct mig_err *e)
{
	unsigned kind, flags;
	size_t n;

	if (a->complete) {
		mig_err_set(e, "control message: a second one arrived before the first was handled");
		return -EPROTO;
	}
	if (len < CTRL_CHUNK_HDR_LEN) {
		mig_err_set(e, "control message: chunk of %zu bytes", len);
		return -EBADMSG;
	}
	kind = chunk[0];
	flags = chunk[1];
	if (kind < 1 || kind > CTRL_KIND_MAX || (flags & ~CTRL_FLAG_MORE) || wire_get16(chunk + 2)) {
		mig_err_set(e, "control message: bad chunk header (kind %u, flags 0x%02x)", kind, flags);
		return -EBADMSG;
	}
	if (a->kind && a->kind != kind) {
		mig_err_set(e, "control message: a '%s' chunk inside a '%s' message", ctrl_kind_name(kind),
			    ctrl_kind_name(a->kind));
		return -EPROTO;
	}
	n = len - CTRL_CHUNK_HDR_LEN;
	if (n > CTRL_MAX_LEN - a->len) {
		mig_err_set(e, "control message '%s' exceeds %u bytes", ctrl_kind_name(kind), CTRL_MAX_LEN);
		return -EMSGSIZE;
	}
	if (a->len + n > a->cap) {
		size_t cap = a->cap ? a->cap : 65536;
		uint8_t *nb;

		while (cap < a->len + n)
			cap *= 2;
		nb = realloc(a->buf, cap);
		if (!nb) {
			mig_err_set(e, "control message: out of memory");
			return -ENOMEM;
		}
		a->buf = nb;
		a->cap = cap;
	}
	if (n)
		memcpy(a->buf + a->len, chunk + CTRL_CHUNK_HDR_LEN, n);
	a->len += n;
	a->kind = kind;
	if (flags & CTRL_FLAG_MORE)
		return 0;
	a->complete = true;
	return 1;
}

void ctrl_asm_take(struct ctrl_asm *a, unsigned *kind, const uint8_t **data, size_t *len)
{
	*kind = a->kind;
	*data = a->buf;
	*len = a->len;
	/* The next feed starts a new message in the same buffer. */
	a->complete = false;
	a->kind = 0;
	a->len = 0;
}

size_t ctrl_chunk(unsigned kind, const uint8_t *data, size_t len, size_t off, uint8_t *out, size_t cap)
{
	size_t n = len - off;

	if (n > cap - CTRL_CHUNK_HDR_LEN)
		n = cap - CTRL_CHUNK_HDR_LEN;
	out[0] = (uint8_t)kind;
	out[1] = off + n < len ? CTRL_FLAG_MORE : 0;
	wire_put16(out + 2, 0);
	if (n)
		memcpy(out + CTRL_CHUNK_HDR_LEN, data + off, n);
	return n;
}

void ctrl_offer_put_hdr(const struct ctrl_offer *o, uint8_t *out)
{
	wire_put32(out, o->version);
	wire_put32(out + 4, o->flags);
	wire_put64(out + 8, o->ram_size);
	wire_put32(out + 16, o->downtime_ms);
}

int ctrl_offer_parse(const uint8_t *data, size_t len, struct ctrl_offer *o, struct mig_err *e)
{
	if (len < CTRL_OFFER_HDR_LEN) {
		mig_err_set(e, "offer of %zu bytes is truncated", len);
		return -EBADMSG;
	}
	o->version = wire_get32(data);
	o->flags = wire_get32(data + 4);
	o->ram_size = wire_get64(data + 8);
	o->downtime_ms = wire_get32(data + 16);
	o->state = data + CTRL_OFFER_HDR_LEN;
	o->state_len = len - CTRL_OFFER_HDR_LEN;
	if (o->version != CTRL_PROTOCOL_VERSION) {
		mig_err_set(e, "migration protocol version %u, this vmm speaks %u", o->version, CTRL_PROTOCOL_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (o->flags) {
		mig_err_set(e, "offer with unknown flags 0x%x", o->flags);
		return -EBADMSG;
	}
	if (!o->state_len) {
		mig_err_set(e, "offer carries no VM state");
		return -EBADMSG;
	}
	return 0;
}

int ctrl_parse_u32(unsigned kind, const uint8_t *data, size_t len, uint32_t *v, struct mig_err *e)
{
	if (len != 4) {
		mig_err_set(e, "'%s' message of %zu bytes (expected 4)", ctrl_kind_name(kind), len);
		return -EBADMSG;
	}
	*v = wire_get32(data);
	return 0;
}

int ctrl_parse_text(const uint8_t *data, size_t len, char *out, size_t cap, struct mig_err *e)
{
	size_t i, n = len < cap - 1 ? len : cap - 1;

	if (len > CTRL_MAX_TEXT) {
		mig_err_set(e, "control text of %zu bytes", len);
		return -EBADMSG;
	}
	for (i = 0; i < n; i++)
		out[i] = (data[i] >= 0x20 && data[i] < 0x7f) || data[i] == '\n' ? (char)data[i] : '?';
	out[n] = 0;
	return 0;
}

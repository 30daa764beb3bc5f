/* SPDX-License-Identifier: MIT */
/*
 * Control messages of a live migration: the handshake, the device state, the
 * acknowledgement and the commit. They travel on channel 0 as LIVE_FRAME_CTRL
 * frames, each carrying a chunk:
 *
 *   u8 kind | u8 flags (bit 0: more chunks follow) | u16 zero | data
 *
 * and a message is the data of its chunks in order (all of one kind), at most
 * CTRL_MAX_LEN bytes. The receiving end treats every chunk as hostile input.
 *
 * Message bodies (little endian):
 *   OFFER    u32 protocol version | u32 flags | u64 RAM bytes | u32 downtime limit ms | state stream
 *            (the source's whole VM state, collected in a brief pause: the destination
 *            checks it as a restore would and builds the machine from it)
 *   ACCEPT   u32 µs the destination took to decode and check the offer
 *   REFUSE   text: every reason, one per line
 *   STATE    the final state stream (vCPUs paused on the source)
 *   LOADED   u32 µs the destination took to load it: the acknowledgement, after
 *            which the destination owns the guest and the source never resumes it
 *   FAILED   text: why the destination could not load the state
 *   COMMIT   empty: the source will not resume; the destination resumes the guest
 *   RUNNING  empty: the guest runs on the destination
 *   CANCEL   text: the source gave up (cancel, error); the destination discards the VM
 */
#ifndef MIGRATION_LIVE_CTRL_H
#define MIGRATION_LIVE_CTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "migration/live/live.h"

enum ctrl_kind {
	CTRL_OFFER = 1,
	CTRL_ACCEPT,
	CTRL_REFUSE,
	CTRL_STATE,
	CTRL_LOADED,
	CTRL_FAILED,
	CTRL_COMMIT,
	CTRL_RUNNING,
	CTRL_CANCEL,
	CTRL_KIND_MAX = CTRL_CANCEL,
};

#define CTRL_CHUNK_HDR_LEN 4u
#define CTRL_FLAG_MORE 0x01u
#define CTRL_MAX_LEN (64u << 20)
#define CTRL_PROTOCOL_VERSION 1u
#define CTRL_OFFER_HDR_LEN 20u
#define CTRL_MAX_TEXT 65536u

const char *ctrl_kind_name(unsigned kind);

/* Reassembly of one message at a time. */
struct ctrl_asm {
	uint8_t *buf;
	size_t len, cap;
	unsigned kind;  /* of the message being assembled, 0: none */
	bool complete;  /* buf/len/kind hold a whole message until ctrl_asm_take */
};

void ctrl_asm_init(struct ctrl_asm *a);
void ctrl_asm_fini(struct ctrl_asm *a);
/* Feeds one chunk: 1 when it completed a message, 0 when more must follow, -errno (e set) when bad. */
int ctrl_asm_feed(struct ctrl_asm *a, const uint8_t *chunk, size_t len, struct mig_err *e) __must_check;
/* Hands the completed message over (valid until the next feed) and clears `complete`. */
void ctrl_asm_take(struct ctrl_asm *a, unsigned *kind, const uint8_t **data, size_t *len);

/* Writes the chunk of [off, off + n) of a message into out; n = min(len - off, cap - header). */
size_t ctrl_chunk(unsigned kind, const uint8_t *data, size_t len, size_t off, uint8_t *out, size_t cap);

struct ctrl_offer {
	uint32_t version, flags, downtime_ms;
	uint64_t ram_size;
	const uint8_t *state;
	size_t state_len;
};

/* out must hold CTRL_OFFER_HDR_LEN bytes (the state follows it). */
void ctrl_offer_put_hdr(const struct ctrl_offer *o, uint8_t *out);
int ctrl_offer_parse(const uint8_t *data, size_t len, struct ctrl_offer *o, struct mig_err *e) __must_check;
/* A u32 body (ACCEPT, LOADED). */
int ctrl_parse_u32(unsigned kind, const uint8_t *data, size_t len, uint32_t *v, struct mig_err *e) __must_check;
/* A text body (REFUSE, FAILED, CANCEL) as a printable NUL-terminated copy in out. */
int ctrl_parse_text(const uint8_t *data, size_t len, char *out, size_t cap, struct mig_err *e) __must_check;

#endif

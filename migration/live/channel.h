/* SPDX-License-Identifier: MIT */
/*
 * One migration connection: TCP connect/accept with a deadline, the TLS 1.3
 * handshake, the channel hello, then framed messages driven by the shared io_uring.
 *
 * Set-up (connect/accept, handshake, hello) is a bounded loop over poll(2) on the
 * non-blocking socket: a few round trips per connection, once, with one deadline
 * (cfg->timeout_ms). After it the socket is only touched through uring_io:
 *  - kernel TLS (OpenSSL SSL_OP_ENABLE_KTLS, when the kernel has the "tls" ULP and
 *    the suite): plaintext frames go straight to io_uring send/recv on the socket,
 *    the kernel encrypts; TX and RX are decided separately;
 *  - otherwise OpenSSL encrypts in user space through a memory BIO into a
 *    registered buffer that io_uring sends, and decrypts what io_uring received.
 * Plain TCP only when cfg->plain is set explicitly.
 *
 * Hello (client → server): version, channel index, channel count and a 16-byte
 * session id, so the receiver can group the N connections of one migration (as
 * QEMU's multifd MultiFDInit_t does). The server answers HELLO_ACK; a client whose
 * certificate the server refused learns it here, inside channel_connect, not on
 * its first data write (TLS 1.3 finishes the client handshake a flight early).
 *
 * Framing, 12-byte header (little endian) before every message:
 *   0 u32 magic LIVE_FRAME_MAGIC ("VMLF")   4 u8 type   5 u8 flags (0)
 *   6 u16 reserved (0)                       8 u32 payload length (<= LIVE_FRAME_MAX_PAYLOAD)
 * The END frame is the authenticated end of a stream (a truncated TLS stream never
 * looks complete), so no close_notify is needed.
 */
#ifndef MIGRATION_LIVE_CHANNEL_H
#define MIGRATION_LIVE_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "migration/live/live.h"
#include "migration/live/page_batch.h"
#include "migration/live/tls_creds.h"
#include "migration/live/uring_io.h"

#define LIVE_FRAME_MAGIC 0x464c4d56u /* "VMLF" */
#define LIVE_FRAME_HDR_LEN 12u
#define LIVE_FRAME_MAX_PAYLOAD (PAGE_BATCH_HDR_LEN + 16u * (PAGE_BATCH_MAX_PAGES / 64u) + PAGE_BATCH_MAX_SPAN)
/* A pool buffer holds one frame, or its TLS records (<= 22 bytes per 16 KiB record). */
#define LIVE_CHANNEL_BUF_SIZE (LIVE_FRAME_HDR_LEN + LIVE_FRAME_MAX_PAYLOAD + 4096u)
#define LIVE_SESSION_LEN 16u
#define LIVE_PROTOCOL_VERSION 1u

enum live_frame_type {
	LIVE_FRAME_HELLO = 1,
	LIVE_FRAME_HELLO_ACK = 2,
	LIVE_FRAME_RAM_BATCH = 3,    /* payload: one page batch */
	LIVE_FRAME_RAM_SYNC = 4,     /* u32 pass, u64 batches sent on this channel in the pass */
	LIVE_FRAME_RAM_SYNC_ACK = 5, /* u32 pass: receiver applied the pass on every channel */
	LIVE_FRAME_END = 6,
	LIVE_FRAME_CTRL = 7,         /* channel 0 only: a chunk of a control message (migration/live/ctrl.h) */
};
#define LIVE_FRAME_TYPE_MAX LIVE_FRAME_CTRL

struct channel_cfg {
	const struct tls_creds *tls; /* NULL only together with plain */
	bool plain;                  /* explicit request for unencrypted TCP */
	bool ktls;                   /* try kernel TLS after the handshake */
	const char *tls_hostname;    /* client: name the server certificate must carry (NULL: any) */
	int timeout_ms;              /* connect + handshake + hello */
	/* Client only: what the hello announces. */
	uint32_t index, count;
	uint8_t session[LIVE_SESSION_LEN];
};

struct channel;

/* A message arrived: payload[0, len) is valid during the call only. < 0 stops the channel. */
typedef int (*channel_frame_fn)(void *ctx, struct channel *ch, unsigned type, const uint8_t *payload,
				size_t len);

/* Listens on host:port (port 0: any; the port taken is written to *port_out). */
int channel_listen(const char *host, uint16_t port, int *fd_out, uint16_t *port_out, struct mig_err *e) __must_check;
int channel_connect(struct channel **out, const char *host, uint16_t port, const struct channel_cfg *cfg,
		    struct mig_err *e) __must_check;
/* Accepts one connection within cfg->timeout_ms and completes its handshake and hello. */
int channel_accept(struct channel **out, int listen_fd, const struct channel_cfg *cfg, struct mig_err *e) __must_check;
/* A started channel is destroyed after its uring_io (which cancels its receive). */
void channel_destroy(struct channel *ch);
/* Ends the connection at once from any thread (a cancel): pending I/O completes with an error. */
void channel_shutdown(struct channel *ch);

uint32_t channel_index(const struct channel *ch);
uint32_t channel_count(const struct channel *ch);
const uint8_t *channel_session(const struct channel *ch);
bool channel_is_tls(const struct channel *ch);
bool channel_ktls_tx(const struct channel *ch);
bool channel_ktls_rx(const struct channel *ch);

/* Hands the socket to io: takes its receive buffers from the pool and starts receiving. */
int channel_start(struct channel *ch, struct uring_io *io, channel_frame_fn on_frame, void *ctx,
		  struct mig_err *e) __must_check;
/* Free pool buffers one channel_send needs (2 when OpenSSL encrypts in user space). */
unsigned channel_send_bufs(const struct channel *ch);
/*
 * Sends a frame whose payload the caller wrote at uring_io_buf(io, buf) +
 * LIVE_FRAME_HDR_LEN. The channel owns buf from here on and returns it to the pool.
 */
int channel_send(struct channel *ch, unsigned type, unsigned buf, size_t payload_len, struct mig_err *e) __must_check;
/*
 * Frames queued or in flight (at most 32). The channel keeps one sendmsg of all
 * queued frames out at a time: io_uring does not order two sends on one socket.
 */
unsigned channel_inflight(const struct channel *ch);
/* 0, or the -errno that stopped the channel, with its reason in e. */
int channel_error(const struct channel *ch, struct mig_err *e);
bool channel_eof(const struct channel *ch);

#endif

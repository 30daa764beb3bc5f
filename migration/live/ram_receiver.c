// SPDX-License-Identifier: MIT
/* RAM batches from N channels into guest RAM, pass barriers (see ram_receiver.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "migration/live/ram_receiver.h"
#include "migration/live/wire.h"

struct ram_receiver {
	struct ram_xfer x;
	struct page_batch_dec *dec;
	const struct ram_region *regions;
	unsigned nregions;
	uint64_t *pass_batches; /* per channel index */
	bool *synced;
	unsigned nsynced, nended;
	uint32_t pass;          /* the pass being received */
	struct mig_err err;     /* why a frame was refused */
	int (*on_ctrl)(void *ctx, struct ram_receiver *r, unsigned kind, const uint8_t *data, size_t len,
		       struct mig_err *e);
	void *ctrl_ctx;
};

static int send_ack(struct ram_receiver *r, uint32_t pass)
{
	unsigned buf;
	int ret = uring_io_buf_get(r->x.io, &buf);

	if (ret) {
		mig_err_set(&r->err, "no buffer for the pass acknowledgement");
		return ret;
	}
	wire_put32(uring_io_buf(r->x.io, buf) + LIVE_FRAME_HDR_LEN, pass);
	return channel_send(r->x.ch[0], LIVE_FRAME_RAM_SYNC_ACK, buf, 4, &r->err);
}

static int on_sync(struct ram_receiver *r, unsigned ci, const uint8_t *p, size_t len)
{
	uint32_t pass;
	uint64_t count;

	if (len != 12) {
		mig_err_set(&r->err, "sync of %zu bytes", len);
		return -EPROTO;
	}
	pass = wire_get32(p);
	count = wire_get64(p + 4);
	if (pass != r->pass || r->synced[ci]) {
		mig_err_set(&r->err, "sync for pass %u while receiving pass %u", pass, r->pass);
		return -EPROTO;
	}
	if (count != r->pass_batches[ci]) {
		mig_err_set(&r->err, "pass %u: sender counted %llu batches, %llu arrived", pass,
			    (unsigned long long)count, (unsigned long long)r->pass_batches[ci]);
		return -EPROTO;
	}
	r->synced[ci] = true;
	r->pass_batches[ci] = 0;
	if (++r->nsynced < r->x.n)
		return 0;
	memset(r->synced, 0, r->x.n * sizeof(*r->synced));
	r->nsynced = 0;
	r->pass++;
	return send_ack(r, pass);
}

static int receiver_on_frame(void *ctx, struct channel *ch, unsigned type, const uint8_t *p, size_t len)
{
	struct ram_receiver *r = ctx;
	unsigned ci = channel_index(ch);
	struct page_batch_info info;
	int ret;

	switch (type) {
	case LIVE_FRAME_RAM_BATCH:
		if (r->synced[ci]) {
			mig_err_set(&r->err, "batch after the sync of pass %u", r->pass);
			return -EPROTO;
		}
		ret = page_batch_decode(r->dec, p, len, r->regions, r->nregions, &info, &r->err);
		if (ret)
			return ret;
		r->pass_batches[ci]++;
		r->x.stats.batches++;
		r->x.stats.pages += info.carried;
		r->x.stats.zero_pages += info.zero;
		r->x.stats.compressed_batches += info.compressed;
		r->x.stats.raw_bytes += info.raw_len;
		r->x.stats.wire_bytes += len;
		return 0;
	case LIVE_FRAME_RAM_SYNC:
		return on_sync(r, ci, p, len);
	case LIVE_FRAME_CTRL: {
		unsigned kind;
		const uint8_t *data;
		size_t dlen;

		ret = ram_xfer_feed_ctrl(&r->x, ch, p, len, &r->err);
		if (ret <= 0)
			return ret;
		ctrl_asm_take(&r->x.ctrl, &kind, &data, &dlen);
		if (!r->on_ctrl) {
			mig_err_set(&r->err, "unexpected control message '%s'", ctrl_kind_name(kind));
			return -EPROTO;
		}
		return r->on_ctrl(r->ctrl_ctx, r, kind, data, dlen, &r->err);
	}
	case LIVE_FRAME_END:
		if (len) {
			mig_err_set(&r->err, "end frame with %zu payload bytes", len);
			return -EPROTO;
		}
		r->nended++;
		return 0;
	default:
		mig_err_set(&r->err, "unexpected frame type %u", type);
		return -EPROTO;
	}
}

/* The channels must be indices 0..n-1 of one session announcing n channels. */
static int check_channels(struct channel **chans, unsigned n, struct mig_err *e)
{
	for (unsigned i = 0; i < n; i++) {
		if (channel_count(chans[i]) != n || channel_index(chans[i]) >= n) {
			mig_err_set(e, "ram receiver: channel %u of %u, but %u connected", channel_index(chans[i]),
				    channel_count(chans[i]), n);
			return -EPROTO;
		}
		if (memcmp(channel_session(chans[i]), channel_session(chans[0]), LIVE_SESSION_LEN)) {
			mig_err_set(e, "ram receiver: channel %u belongs to another migration", channel_index(chans[i]));
			return -EPROTO;
		}
		for (unsigned j = 0; j < i; j++)
			if (channel_index(chans[j]) == channel_index(chans[i])) {
				mig_err_set(e, "ram receiver: channel %u connected twice", channel_index(chans[i]));
				return -EPROTO;
			}
	}
	return 0;
}

int ram_receiver_create(struct ram_receiver **out, struct channel **chans, unsigned n,
			const struct ram_receiver_cfg *cfg, struct mig_err *e)
{
	struct ram_receiver *r = calloc(1, sizeof(*r));
	struct channel *sorted[256];
	int ret = r ? 0 : -ENOMEM;

	if (!ret && (n == 0 || n > ARRAY_SIZE(sorted)))
		ret = -EINVAL;
	if (!ret)
		ret = check_channels(chans, n, e);
	else
		mig_err_set(e, "ram receiver: %s", r ? "bad channel count" : "out of memory");
	if (ret) {
		for (unsigned i = 0; i < n; i++)
			channel_destroy(chans[i]);
		free(r);
		return ret;
	}
	for (unsigned i = 0; i < n; i++)
		sorted[channel_index(chans[i])] = chans[i];
	r->regions = cfg->regions;
	r->nregions = cfg->nregions;
	r->on_ctrl = cfg->on_ctrl;
	r->ctrl_ctx = cfg->ctrl_ctx;
	ret = ram_xfer_init(&r->x, sorted, n, 4, cfg->timeout_ms, receiver_on_frame, r, e);
	if (ret)
		goto err_free;
	r->pass_batches = calloc(n, sizeof(*r->pass_batches));
	r->synced = calloc(n, sizeof(*r->synced));
	if (!r->pass_batches || !r->synced) {
		ret = -ENOMEM;
		mig_err_set(e, "ram receiver: out of memory");
		goto err_xfer;
	}
	ret = page_batch_dec_create(&r->dec, e);
	if (ret)
		goto err_xfer;
	*out = r;
	return 0;

err_xfer:
	ram_xfer_fini(&r->x);
err_free:
	free(r->pass_batches);
	free(r->synced);
	free(r);
	return ret;
}

void ram_receiver_destroy(struct ram_receiver *r)
{
	if (!r)
		return;
	ram_xfer_fini(&r->x);
	page_batch_dec_destroy(r->dec);
	free(r->pass_batches);
	free(r->synced);
	free(r);
}

int ram_receiver_run(struct ram_receiver *r, struct mig_err *e)
{
	while (r->nended < r->x.n) {
		int ret = ram_xfer_step(&r->x, e);

		if (ret) {
			if (r->err.msg[0])
				mig_err_prefix(e, "%s", r->err.msg);
			return ret;
		}
	}
	/* Let the last acknowledgement leave before the caller closes the sockets. */
	while (channel_inflight(r->x.ch[0])) {
		int ret = ram_xfer_step(&r->x, e);

		if (ret)
			return ret;
	}
	return 0;
}

const struct ram_xfer_stats *ram_receiver_stats(const struct ram_receiver *r)
{
	return &r->x.stats;
}

uint32_t ram_receiver_passes(const struct ram_receiver *r)
{
	return r->pass;
}

void ram_receiver_set_regions(struct ram_receiver *r, const struct ram_region *regions, unsigned n)
{
	r->regions = regions;
	r->nregions = n;
}

int ram_receiver_ctrl_send(struct ram_receiver *r, unsigned kind, const void *data, size_t len, struct mig_err *e)
{
	return ram_xfer_send_ctrl(&r->x, 8, kind, data, len, e);
}

int ram_receiver_flush(struct ram_receiver *r, struct mig_err *e)
{
	while (channel_inflight(r->x.ch[0])) {
		int ret = ram_xfer_step(&r->x, e);

		if (ret)
			return ret;
	}
	return 0;
}

void ram_receiver_abort(struct ram_receiver *r)
{
	ram_xfer_abort(&r->x);
}

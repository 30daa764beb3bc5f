// SPDX-License-Identifier: MIT
#define LOG_PREFIX "ged"
#include <errno.h>
#include <string.h>

#include "hotplug/ged.h"
#include "migration/format/vmstate.h"
#include "vmm/core/log.h"

int ged_init(struct ged *g, int (*pulse)(void *ctx), void *ctx)
{
	memset(g, 0, sizeof(*g));
	g->pulse = pulse;
	g->ctx = ctx;
	return -pthread_mutex_init(&g->lock, NULL);
}

void ged_fini(struct ged *g)
{
	pthread_mutex_destroy(&g->lock);
}

int ged_raise(struct ged *g, uint32_t events)
{
	if (events & ~GED_EVT_SUPPORTED)
		return -EINVAL;
	pthread_mutex_lock(&g->lock);
	g->s.sel |= events;
	pthread_mutex_unlock(&g->lock);
	return g->pulse ? g->pulse(g->ctx) : 0;
}

void ged_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct ged *g = opaque;
	uint32_t sel;

	if (offset != 0 || len != 4) {
		log_warn_ratelimited("guest %s of %u bytes at offset 0x%llx ignored (the selector is one 32-bit word)",
				     is_write ? "write" : "read", len, (unsigned long long)offset);
		return;
	}
	if (is_write)
		return; /* the selector is read-only */
	pthread_mutex_lock(&g->lock);
	sel = g->s.sel;
	g->s.sel = 0;
	pthread_mutex_unlock(&g->lock);
	for (int i = 0; i < 4; i++)
		data[i] = (uint8_t)(sel >> (8 * i));
}

void ged_save(struct ged *g, struct ged_state *out)
{
	pthread_mutex_lock(&g->lock);
	*out = g->s;
	pthread_mutex_unlock(&g->lock);
}

void ged_load(struct ged *g, const struct ged_state *in)
{
	pthread_mutex_lock(&g->lock);
	g->s = *in;
	pthread_mutex_unlock(&g->lock);
}

static const struct vmstate_field ged_fields[] = {
	VMS_U32(struct ged_state, sel),
	VMS_END,
};

const struct vmstate_desc ged_vmstate = {
	.name = "acpi-ged", .version = 1, .min_version = 1,
	.size = sizeof(struct ged_state), .fields = ged_fields,
};

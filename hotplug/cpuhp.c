// SPDX-License-Identifier: MIT
#define LOG_PREFIX "cpuhp"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hotplug/cpuhp.h"
#include "migration/format/vmstate.h"
#include "vmm/core/log.h"

int cpuhp_init(struct cpuhp *h, unsigned nr, const uint64_t *arch_ids, const struct cpuhp_ops *ops, void *ctx)
{
	int ret;

	memset(h, 0, sizeof(*h));
	if (nr == 0)
		return -EINVAL;
	h->cpus = calloc(nr, sizeof(*h->cpus));
	h->arch_ids = calloc(nr, sizeof(*h->arch_ids));
	if (!h->cpus || !h->arch_ids) {
		ret = -ENOMEM;
		goto err;
	}
	memcpy(h->arch_ids, arch_ids, nr * sizeof(*arch_ids));
	ret = -pthread_mutex_init(&h->lock, NULL);
	if (ret)
		goto err;
	h->nr = nr;
	h->ops = ops;
	h->ctx = ctx;
	return 0;
err:
	free(h->cpus);
	free(h->arch_ids);
	h->cpus = NULL;
	h->arch_ids = NULL;
	return ret;
}

void cpuhp_fini(struct cpuhp *h)
{
	if (!h->cpus)
		return;
	pthread_mutex_destroy(&h->lock);
	free(h->cpus);
	free(h->arch_ids);
	h->cpus = NULL;
	h->arch_ids = NULL;
}

/* The 12-byte register file as the guest reads it. Called with h->lock held. */
static void read_image_locked(struct cpuhp *h, uint8_t img[CPUHP_REG_LEN])
{
	uint32_t data = 0, data2 = 0;

	memset(img, 0, CPUHP_REG_LEN);
	if (h->selector >= h->nr)
		return;
	if (h->command == CPUHP_CMD_GET_NEXT_EVENT) {
		data = h->selector;
	} else if (h->command == CPUHP_CMD_GET_ARCH_ID) {
		data = (uint32_t)h->arch_ids[h->selector];
		data2 = (uint32_t)(h->arch_ids[h->selector] >> 32);
	}
	const struct cpuhp_cpu_state *c = &h->cpus[h->selector];

	img[CPUHP_REG_FLAGS] = (uint8_t)((c->enabled ? CPUHP_FLAG_ENABLED : 0) | (c->inserting ? CPUHP_FLAG_INSERT : 0) |
				   (c->removing ? CPUHP_FLAG_REMOVE : 0));
	for (int i = 0; i < 4; i++) {
		img[CPUHP_REG_SELECTOR + i] = (uint8_t)(data2 >> (8 * i));
		img[CPUHP_REG_DATA + i] = (uint8_t)(data >> (8 * i));
	}
}

/* Command 0: from the selector on, wrapping, the first CPU with an event. */
static void find_next_event_locked(struct cpuhp *h)
{
	unsigned i;

	for (i = 0; i < h->nr; i++) {
		unsigned idx = (h->selector + i) % h->nr;

		if (h->cpus[idx].inserting || h->cpus[idx].removing) {
			h->selector = idx;
			return;
		}
	}
}

struct deferred {
	int ost;            /* vCPU index with a completed OST report, or -1 */
	uint32_t ost_event, ost_status;
};

static void write_flags_locked(struct cpuhp *h, uint8_t v)
{
	struct cpuhp_cpu_state *c = &h->cpus[h->selector];

	/* Only the first set bit counts, in this order. */
	if (v & CPUHP_FLAG_INSERT) {
		c->inserting = false;
	} else if (v & CPUHP_FLAG_REMOVE) {
		c->removing = false;
	} else if (v & CPUHP_FLAG_EJECT) {
		if (!c->eject_allowed || !c->enabled) {
			log_warn_ratelimited("guest ejected vCPU %u, which has no unplug request: ignored",
					     h->selector);
			return;
		}
		/* Decided and applied in one critical section: once accepted, the CPU
		 * reads as disabled to every vCPU (lock order: cpuhp, then vcpu). */
		if (h->ops && h->ops->eject && h->ops->eject(h->ctx, h->selector) == 0) {
			c->enabled = false;
			c->eject_allowed = false;
		}
	} else if (v & CPUHP_FLAG_FW_EJECT) {
		log_warn_ratelimited("firmware eject (CEJF) is not supported: ignored");
	}
}

void cpuhp_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct cpuhp *h = opaque;
	struct deferred d = { .ost = -1 };
	uint32_t v = 0;
	uint32_t i;

	if (offset >= CPUHP_REG_LEN || len > CPUHP_REG_LEN - offset)
		return;
	pthread_mutex_lock(&h->lock);
	if (!is_write) {
		uint8_t img[CPUHP_REG_LEN];

		read_image_locked(h, img);
		memcpy(data, img + offset, len);
		goto out;
	}
	for (i = 0; i < len && i < 4; i++)
		v |= (uint32_t)data[i] << (8 * i);
	if (offset == CPUHP_REG_SELECTOR) {
		h->selector = v;
		goto out;
	}
	if (h->selector >= h->nr)
		goto out;
	switch (offset) {
	case CPUHP_REG_FLAGS:
		write_flags_locked(h, (uint8_t)v);
		/* A wider write also carries the command byte. */
		if (len < 2)
			break;
		v >>= 8;
		__attribute__((fallthrough)); /* the command byte */
	case CPUHP_REG_CMD:
		h->command = (uint8_t)v;
		if (h->command == CPUHP_CMD_GET_NEXT_EVENT)
			find_next_event_locked(h);
		break;
	case CPUHP_REG_DATA:
		if (h->command == CPUHP_CMD_OST_EVENT) {
			h->cpus[h->selector].ost_event = v;
		} else if (h->command == CPUHP_CMD_OST_STATUS) {
			h->cpus[h->selector].ost_status = v;
			d.ost = (int)h->selector;
			d.ost_event = h->cpus[h->selector].ost_event;
			d.ost_status = v;
		}
		break;
	default:
		break; /* reserved */
	}
out:
	pthread_mutex_unlock(&h->lock);
	if (d.ost >= 0 && h->ops && h->ops->ost)
		h->ops->ost(h->ctx, (unsigned)d.ost, d.ost_event, d.ost_status);
}

void cpuhp_set_enabled(struct cpuhp *h, unsigned idx, bool enabled)
{
	if (idx >= h->nr)
		return;
	pthread_mutex_lock(&h->lock);
	h->cpus[idx].enabled = enabled;
	if (!enabled) /* no event may stay pending for a CPU that is gone */
		h->cpus[idx].inserting = h->cpus[idx].removing = h->cpus[idx].eject_allowed = false;
	pthread_mutex_unlock(&h->lock);
}

bool cpuhp_is_enabled(struct cpuhp *h, unsigned idx)
{
	bool en;

	if (idx >= h->nr)
		return false;
	pthread_mutex_lock(&h->lock);
	en = h->cpus[idx].enabled;
	pthread_mutex_unlock(&h->lock);
	return en;
}

int cpuhp_plug(struct cpuhp *h, unsigned idx)
{
	int ret = 0;

	if (idx >= h->nr)
		return -EINVAL;
	pthread_mutex_lock(&h->lock);
	if (h->cpus[idx].enabled) {
		ret = -EEXIST;
	} else {
		h->cpus[idx].enabled = true;
		h->cpus[idx].inserting = true;
		h->cpus[idx].removing = false;
		h->cpus[idx].eject_allowed = false;
	}
	pthread_mutex_unlock(&h->lock);
	return ret;
}

int cpuhp_request_unplug(struct cpuhp *h, unsigned idx)
{
	int ret = 0;

	if (idx >= h->nr)
		return -EINVAL;
	pthread_mutex_lock(&h->lock);
	if (!h->cpus[idx].enabled) {
		ret = -ENODEV;
	} else {
		h->cpus[idx].removing = true;
		h->cpus[idx].inserting = false;
		h->cpus[idx].eject_allowed = true;
	}
	pthread_mutex_unlock(&h->lock);
	return ret;
}

void cpuhp_cancel_unplug(struct cpuhp *h, unsigned idx)
{
	if (idx >= h->nr)
		return;
	pthread_mutex_lock(&h->lock);
	h->cpus[idx].removing = false;
	h->cpus[idx].eject_allowed = false;
	pthread_mutex_unlock(&h->lock);
}

void cpuhp_save(struct cpuhp *h, struct cpuhp_saved *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&h->lock);
	out->selector = h->selector;
	out->command = h->command;
	out->nr_cpus = h->nr;
	memcpy(out->cpus, h->cpus, h->nr * sizeof(h->cpus[0]));
	pthread_mutex_unlock(&h->lock);
}

int cpuhp_load(struct cpuhp *h, const struct cpuhp_saved *in)
{
	if (in->nr_cpus != h->nr)
		return -EINVAL;
	pthread_mutex_lock(&h->lock);
	h->selector = in->selector;
	h->command = in->command;
	memcpy(h->cpus, in->cpus, h->nr * sizeof(h->cpus[0]));
	pthread_mutex_unlock(&h->lock);
	return 0;
}

static const struct vmstate_field cpuhp_cpu_fields[] = {
	VMS_BOOL(struct cpuhp_cpu_state, enabled),
	VMS_BOOL(struct cpuhp_cpu_state, inserting),
	VMS_BOOL(struct cpuhp_cpu_state, removing),
	VMS_BOOL(struct cpuhp_cpu_state, eject_allowed),
	VMS_U32(struct cpuhp_cpu_state, ost_event),
	VMS_U32(struct cpuhp_cpu_state, ost_status),
	VMS_END,
};

static const struct vmstate_desc cpuhp_cpu_vmstate = {
	.name = "cpu-hotplug-cpu", .version = 1, .min_version = 1,
	.size = sizeof(struct cpuhp_cpu_state), .fields = cpuhp_cpu_fields,
};

static const struct vmstate_field cpuhp_fields[] = {
	VMS_U32(struct cpuhp_saved, selector),
	VMS_U8(struct cpuhp_saved, command),
	VMS_STRUCT_VARRAY(struct cpuhp_saved, cpus, nr_cpus, cpuhp_cpu_vmstate, struct cpuhp_cpu_state),
	VMS_END,
};

const struct vmstate_desc cpuhp_vmstate = {
	.name = "cpu-hotplug", .version = 1, .min_version = 1,
	.size = sizeof(struct cpuhp_saved), .fields = cpuhp_fields,
};

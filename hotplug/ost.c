// SPDX-License-Identifier: MIT
#include <string.h>

#include "hotplug/ost.h"

int ost_queue_init(struct ost_queue *q)
{
	memset(q, 0, sizeof(*q));
	return -pthread_mutex_init(&q->lock, NULL);
}

void ost_queue_fini(struct ost_queue *q)
{
	pthread_mutex_destroy(&q->lock);
}

static bool push_locked(struct ost_queue *q, struct ost_report r)
{
	bool dropped = false;

	if (q->count == OST_QUEUE_LEN) {
		q->head = (q->head + 1) % OST_QUEUE_LEN;
		q->count--;
		q->dropped++;
		dropped = true;
	}
	q->r[(q->head + q->count) % OST_QUEUE_LEN] = r;
	q->count++;
	return dropped;
}

bool ost_queue_push(struct ost_queue *q, struct ost_report r)
{
	bool dropped;

	pthread_mutex_lock(&q->lock);
	dropped = push_locked(q, r);
	pthread_mutex_unlock(&q->lock);
	return dropped;
}

static bool queued_locked(const struct ost_queue *q, struct ost_report r)
{
	unsigned i;

	for (i = 0; i < q->count; i++) {
		const struct ost_report *o = &q->r[(q->head + i) % OST_QUEUE_LEN];

		if (o->vcpu == r.vcpu && o->event == r.event && o->status == r.status)
			return true;
	}
	return false;
}

/* Refills the bucket for the time since the last offer; takes one token if there is one. */
static bool take_token_locked(struct ost_queue *q, uint64_t now_ns)
{
	const uint64_t cap = (uint64_t)OST_BURST * 1000;

	if (!q->started) {
		q->started = true;
		q->tokens_milli = cap;
	} else if (now_ns > q->last_ns) {
		uint64_t add = (now_ns - q->last_ns) / (1000000ULL / OST_RATE_PER_S);

		q->tokens_milli = add >= cap - q->tokens_milli ? cap : q->tokens_milli + add;
	}
	if (now_ns > q->last_ns)
		q->last_ns = now_ns;
	if (q->tokens_milli < 1000)
		return false;
	q->tokens_milli -= 1000;
	return true;
}

enum ost_offer ost_queue_offer(struct ost_queue *q, struct ost_report r, uint64_t now_ns)
{
	enum ost_offer res;

	pthread_mutex_lock(&q->lock);
	if (queued_locked(q, r)) {
		q->coalesced++;
		res = OST_COALESCED;
	} else if (!take_token_locked(q, now_ns)) {
		q->limited++;
		res = OST_LIMITED;
	} else {
		res = push_locked(q, r) ? OST_DISPLACED : OST_QUEUED;
	}
	pthread_mutex_unlock(&q->lock);
	return res;
}

void ost_queue_counts(struct ost_queue *q, uint64_t *coalesced, uint64_t *limited, uint64_t *dropped)
{
	pthread_mutex_lock(&q->lock);
	*coalesced = q->coalesced;
	*limited = q->limited;
	*dropped = q->dropped;
	pthread_mutex_unlock(&q->lock);
}

bool ost_queue_pop(struct ost_queue *q, struct ost_report *out)
{
	bool some;

	pthread_mutex_lock(&q->lock);
	some = q->count > 0;
	if (some) {
		*out = q->r[q->head];
		q->head = (q->head + 1) % OST_QUEUE_LEN;
		q->count--;
	}
	pthread_mutex_unlock(&q->lock);
	return some;
}

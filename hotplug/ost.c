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

bool ost_queue_push(struct ost_queue *q, struct ost_report r)
{
	bool dropped = false;

	pthread_mutex_lock(&q->lock);
	if (q->count == OST_QUEUE_LEN) {
		q->head = (q->head + 1) % OST_QUEUE_LEN;
		q->count--;
		dropped = true;
	}
	q->r[(q->head + q->count) % OST_QUEUE_LEN] = r;
	q->count++;
	pthread_mutex_unlock(&q->lock);
	return dropped;
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

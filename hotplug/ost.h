/* SPDX-License-Identifier: MIT */
/*
 * The _OST queue: the guest's _OST reports (written to the CPU hot-plug block on
 * a vCPU thread) wait here until the control thread forwards them as QMP
 * ACPI_DEVICE_OST events. Bounded: when full, the oldest report is dropped.
 * Thread-safe.
 */
#ifndef HOTPLUG_OST_H
#define HOTPLUG_OST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/core/compiler.h"

#define OST_QUEUE_LEN 64

struct ost_report {
	unsigned vcpu;
	uint32_t event, status;
};

struct ost_queue {
	pthread_mutex_t lock;
	struct ost_report r[OST_QUEUE_LEN];
	unsigned head, count;
};

int ost_queue_init(struct ost_queue *q) __must_check;
void ost_queue_fini(struct ost_queue *q);
/* Any thread. Returns true when the queue was full and the oldest report was dropped. */
bool ost_queue_push(struct ost_queue *q, struct ost_report r);
/* Takes the oldest report; false when there is none. */
bool ost_queue_pop(struct ost_queue *q, struct ost_report *out);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The _OST queue: the guest's _OST reports (written to the CPU hot-plug block on
 * a vCPU thread) wait here until the control thread forwards them as QMP
 * ACPI_DEVICE_OST events. Bounded: when full, the oldest report is dropped.
 * Guest-sourced, so ost_queue_offer also coalesces a report equal to one still
 * queued and rate-limits the rest (a token bucket: OST_BURST at once, then
 * OST_RATE_PER_S): a guest writing _OST in a loop cannot flood QMP clients.
 * Thread-safe.
 */
#ifndef HOTPLUG_OST_H
#define HOTPLUG_OST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/core/compiler.h"

#define OST_QUEUE_LEN 64
#define OST_BURST 32
#define OST_RATE_PER_S 10

struct ost_report {
	unsigned vcpu;
	uint32_t event, status;
};

struct ost_queue {
	pthread_mutex_t lock;
	struct ost_report r[OST_QUEUE_LEN];
	unsigned head, count;
	/* Token bucket of ost_queue_offer, in milli-tokens (1000 = one report). */
	uint64_t tokens_milli, last_ns;
	bool started;
	/* Counters (read with ost_queue_counts). */
	uint64_t coalesced, limited, dropped;
};

enum ost_offer {
	OST_QUEUED,     /* queued */
	OST_COALESCED,  /* equal to a report still queued: not queued again */
	OST_LIMITED,    /* over the rate: not queued */
	OST_DISPLACED,  /* queued; the queue was full and the oldest report was dropped */
};

int ost_queue_init(struct ost_queue *q) __must_check;
void ost_queue_fini(struct ost_queue *q);
/* Any thread. Returns true when the queue was full and the oldest report was dropped. */
bool ost_queue_push(struct ost_queue *q, struct ost_report r);
/* A guest's report at now_ns (any thread): coalesced, rate-limited, then queued. */
enum ost_offer ost_queue_offer(struct ost_queue *q, struct ost_report r, uint64_t now_ns);
/* How many reports were coalesced, rate-limited and dropped (queue full) so far. */
void ost_queue_counts(struct ost_queue *q, uint64_t *coalesced, uint64_t *limited, uint64_t *dropped);
/* Takes the oldest report; false when there is none. */
bool ost_queue_pop(struct ost_queue *q, struct ost_report *out);

#endif

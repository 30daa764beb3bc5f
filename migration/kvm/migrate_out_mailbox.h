/* SPDX-License-Identifier: MIT */
/*
 * The source side of a live migration, shared by its two threads: the state of one
 * migration (struct migrate_out) and the one-slot mailbox through which the
 * migration thread (migrate_out.c) has the control thread pause, collect state
 * and resume (migrate_out_mailbox.c), so that those serialise with QMP hot-plug
 * requests. Internal to migration/kvm.
 */
#ifndef MIGRATION_KVM_MIGRATE_OUT_MAILBOX_H
#define MIGRATION_KVM_MIGRATE_OUT_MAILBOX_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "migration/format/stream.h"
#include "migration/kvm/migrate_out.h"

#define MIG_MAIL_MAX_EVENTS 64

struct event_loop;
struct ram_sender;

/* Work the migration thread hands to the control thread. */
enum mail_op {
	MAIL_NONE = 0,
	MAIL_COLLECT_OFFER, /* pause briefly, encode the whole state, resume */
	MAIL_SWITCHOVER,    /* pause, settle, encode the final state (frozen from then on) */
	MAIL_RESUME,        /* a failure before the acknowledgement: run on as before */
};

struct queued_event {
	char name[24];
	enum migrate_status status;
	uint64_t pass;
};

struct migrate_out {
	struct vm *vm;
	struct event_loop *loop;
	struct migrate_params p;
	const struct migrate_out_hooks *hooks;
	void *ctx;
	pthread_t thread;
	bool thread_started;

	pthread_mutex_t lock; /* everything below */
	pthread_cond_t cond;
	int mail_fd;
	enum mail_op op;
	bool op_done;
	bool op_paused;          /* MAIL_SWITCHOVER: the VM is paused and settled, the state being encoded */
	int op_ret;
	char op_err[512];
	struct mig_writer state; /* what the last collect produced */
	uint64_t pause_ns;       /* when the switchover paused the vCPUs */
	uint64_t op_ms;          /* how long the collect took */
	uint64_t paused_ns;      /* the switchover's pause and settle done */
	uint64_t op_end_ns;      /* the last operation done */
	bool paused_by_us;
	bool disks_released;     /* the switchover handed the disks' locks over */
	bool frozen;
	bool cancel;
	bool acked;              /* the destination acknowledged the state: no cancel, no resume */
	bool hold;
	bool finished_reported;
	struct ram_sender *sender; /* for an abort from the control thread */
	struct migrate_stats st;
	struct queued_event events[MIG_MAIL_MAX_EVENTS];
	unsigned nevents;
	uint64_t t0_ns;
};

/* The control thread's side: the event-loop callback of the mailbox's eventfd. Serves
 * what the migration thread posted, emits its queued events, reports its end once. */
void mig_mail_on_event(struct event_loop *loop, int fd, uint32_t events, void *opaque);
/* Serves op now, on the calling (control) thread: also while the migration is torn down. */
void mig_mail_serve(struct migrate_out *m, enum mail_op op);

/* The migration thread's side. */
void mig_mail_wake(struct migrate_out *m);
void mig_mail_queue_event_locked(struct migrate_out *m, const char *name, enum migrate_status st, uint64_t pass);
/* Sets the status and queues a MIGRATION event for it. */
void mig_mail_set_status(struct migrate_out *m, enum migrate_status st);
/* Posts op to the control thread. */
void mig_mail_post(struct migrate_out *m, enum mail_op op);
/* Waits for the posted operation to end (or, with until_paused, for a switchover's pause). */
int mig_mail_wait(struct migrate_out *m, bool until_paused, char *errbuf, size_t errlen);
/* Posts op and waits for it. */
int mig_mail_call(struct migrate_out *m, enum mail_op op, char *errbuf, size_t errlen) __must_check;

#endif

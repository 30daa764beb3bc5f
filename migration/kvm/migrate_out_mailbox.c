// SPDX-License-Identifier: MIT
/* The mailbox between a migration's two threads (see migrate_out_mailbox.h). */
#define LOG_PREFIX "migrate"
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "migration/kvm/migrate_out_mailbox.h"
#include "migration/kvm/vm_stream.h"
#include "vmm/core/clock.h"
#include "vmm/core/errbuf.h"
#include "vmm/core/eventfd.h"
#include "vmm/core/event_loop.h"
#include "vmm/core/log.h"
#include "vmm/kvm/virtio_disks.h"
#include "vmm/kvm/vm.h"

/* ---- control thread --------------------------------------------------------- */

static void mig_mail_emit_events(struct migrate_out *m)
{
	struct queued_event ev[MIG_MAIL_MAX_EVENTS];
	unsigned n, i;

	pthread_mutex_lock(&m->lock);
	n = m->nevents;
	memcpy(ev, m->events, n * sizeof(ev[0]));
	m->nevents = 0;
	pthread_mutex_unlock(&m->lock);
	for (i = 0; i < n; i++) {
		struct json_object *d = json_object_new_object();

		if (!strcmp(ev[i].name, "MIGRATION_PASS"))
			json_object_object_add(d, "pass", json_object_new_int64((int64_t)ev[i].pass));
		else
			json_object_object_add(d, "status", json_object_new_string(migrate_status_name(ev[i].status)));
		m->hooks->event(m->ctx, ev[i].name, d);
	}
}

static void mig_mail_disk_dirty(void *ctx, uint64_t gpa, uint64_t len)
{
	vm_mark_dirty(ctx, gpa, len);
}

/* Pauses the VM for the migration (unless the user already has) and settles pending
 * hot-plug work, so that the topology collected is final. */
static int mig_mail_pause_and_settle(struct migrate_out *m)
{
	enum vm_exit why;

	m->paused_by_us = !m->hooks->user_paused(m->ctx);
	why = vm_pause_settled(m->vm, m->paused_by_us);
	if (why != VM_EXIT_NONE) {
		m->hooks->request_exit(m->ctx, why);
		m->paused_by_us = false;
		snprintf(m->op_err, sizeof(m->op_err), "the guest is shutting down");
		return -ECANCELED;
	}
	return 0;
}

void mig_mail_serve(struct migrate_out *m, enum mail_op op)
{
	char err[512] = "";
	uint64_t t0 = clock_now_ns();
	int ret = 0;

	switch (op) {
	case MAIL_COLLECT_OFFER:
		ret = mig_mail_pause_and_settle(m);
		if (!ret) {
			/* Pages the disks write into guest RAM are resent (vm_mark_dirty is a no-op until
			 * the dirty log starts). */
			vm_disks_set_dirty_hook(m->vm, mig_mail_disk_dirty, m->vm);
			ret = vm_stream_save(m->vm, &m->state, err, sizeof(err));
			if (m->paused_by_us)
				vm_resume_all(m->vm);
			m->paused_by_us = false;
		}
		break;
	case MAIL_SWITCHOVER:
		/* An eject the guest made before the pause but the control thread had not yet
		 * turned into a park completes in this settle, as the source stops running the
		 * guest: its DEVICE_DELETED goes to the destination's clients too. */
		vm_unplug_log_start(m->vm);
		ret = mig_mail_pause_and_settle(m);
		if (!ret) {
			/* Paused and drained: nothing writes guest RAM any more, so the migration thread
			 * sends the last dirty pages while the state is encoded here. */
			pthread_mutex_lock(&m->lock);
			m->frozen = true;
			m->pause_ns = t0;
			m->paused_ns = clock_now_ns();
			m->op_paused = true;
			pthread_cond_broadcast(&m->cond);
			pthread_mutex_unlock(&m->lock);
			ret = vm_stream_save(m->vm, &m->state, err, sizeof(err));
			/* Shared storage: flushed, and the lock handed to the destination. */
			if (!ret) {
				ret = vm_disks_release_for_migration(m->vm);
				if (ret)
					snprintf(err, sizeof(err), "cannot release the disks for the destination: %s",
						 strerror(-ret));
				else
					m->disks_released = true;
			}
		}
		vm_unplug_log_stop(m->vm);
		break;
	case MAIL_RESUME:
		pthread_mutex_lock(&m->lock);
		m->frozen = false;
		pthread_mutex_unlock(&m->lock);
		/* The source keeps its disks: take their locks back before the guest runs again. */
		if (m->disks_released && vm_disks_reclaim_after_failed_migration(m->vm) < 0)
			log_err("cannot take the disks' locks back after the failed migration");
		m->disks_released = false;
		if (m->paused_by_us && !m->hooks->user_paused(m->ctx))
			vm_resume_all(m->vm);
		m->paused_by_us = false;
		break;
	default:
		break;
	}
	pthread_mutex_lock(&m->lock);
	if (ret && !m->op_err[0])
		snprintf(m->op_err, sizeof(m->op_err), "%s", err[0] ? err : strerror(-ret));
	m->op_ret = ret;
	m->op_end_ns = clock_now_ns();
	m->op_ms = (m->op_end_ns - t0) / 1000000;
	m->op_done = true;
	m->op = MAIL_NONE;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

/* ---- the migration thread's side ------------------------------------------------ */

void mig_mail_wake(struct migrate_out *m)
{
	eventfd_signal(m->mail_fd);
}

void mig_mail_queue_event_locked(struct migrate_out *m, const char *name, enum migrate_status st, uint64_t pass)
{
	if (m->nevents == MIG_MAIL_MAX_EVENTS)
		return;
	snprintf(m->events[m->nevents].name, sizeof(m->events[0].name), "%s", name);
	m->events[m->nevents].status = st;
	m->events[m->nevents].pass = pass;
	m->nevents++;
}

void mig_mail_set_status(struct migrate_out *m, enum migrate_status st)
{
	pthread_mutex_lock(&m->lock);
	if (m->st.status != st) {
		m->st.status = st;
		mig_mail_queue_event_locked(m, "MIGRATION", st, 0);
	}
	pthread_mutex_unlock(&m->lock);
	mig_mail_wake(m);
}

/* Runs op on the control thread and waits for it. */
void mig_mail_post(struct migrate_out *m, enum mail_op op)
{
	pthread_mutex_lock(&m->lock);
	m->op = op;
	m->op_done = false;
	m->op_paused = false;
	m->op_err[0] = 0;
	pthread_mutex_unlock(&m->lock);
	mig_mail_wake(m);
}

/* Waits for the posted operation to end (or, with until_paused, for a switchover's pause). */
int mig_mail_wait(struct migrate_out *m, bool until_paused, char *errbuf, size_t errlen)
{
	int ret = 0;

	pthread_mutex_lock(&m->lock);
	while (!m->op_done && !(until_paused && m->op_paused))
		pthread_cond_wait(&m->cond, &m->lock);
	if (m->op_done) {
		ret = m->op_ret;
		if (ret)
			ERR("%s", m->op_err);
	}
	pthread_mutex_unlock(&m->lock);
	return ret;
}

int mig_mail_call(struct migrate_out *m, enum mail_op op, char *errbuf, size_t errlen)
{
	mig_mail_post(m, op);
	return mig_mail_wait(m, false, errbuf, errlen);
}

/* The mailbox: serve what the migration thread asked for, emit its events, and
 * report its end once. */
void mig_mail_on_event(struct event_loop *loop, int fd, uint32_t events, void *opaque)
{
	struct migrate_out *m = opaque;
	enum migrate_status st;
	enum mail_op op;
	bool report;

	(void)loop;
	(void)events;
	eventfd_drain(fd);
	pthread_mutex_lock(&m->lock);
	op = m->op_done ? MAIL_NONE : m->op;
	pthread_mutex_unlock(&m->lock);
	if (op != MAIL_NONE)
		mig_mail_serve(m, op);
	mig_mail_emit_events(m);
	pthread_mutex_lock(&m->lock);
	st = m->st.status;
	report = migrate_status_finished(st) && st != MIGRATE_NONE && !m->finished_reported;
	if (report)
		m->finished_reported = true;
	pthread_mutex_unlock(&m->lock);
	if (report) {
		pthread_join(m->thread, NULL);
		m->thread_started = false;
		m->hooks->finished(m->ctx, st, m->p.keep);
	}
}

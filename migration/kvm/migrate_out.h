/* SPDX-License-Identifier: MIT */
/* The source side of a live migration (see migration/migrate.h). Control thread API. */
#ifndef MIGRATION_KVM_MIGRATE_OUT_H
#define MIGRATION_KVM_MIGRATE_OUT_H

#include <stdbool.h>

#include "migration/migrate.h"
#include "vmm/core/compiler.h"

struct event_loop;
struct json_object;
struct migrate_out;
struct vm;

/* The owner's side (the runner), all called on the control thread. */
struct migrate_out_hooks {
	/* A QMP event (MIGRATION, MIGRATION_PASS); takes the reference to data. */
	void (*event)(void *ctx, const char *name, struct json_object *data);
	/* Whether the user paused the VM (QMP stop): then a failed migration leaves it paused. */
	bool (*user_paused)(void *ctx);
	/* The migration ended: completed (the destination runs the guest), failed or cancelled
	 * (the source runs on as before). */
	void (*finished)(void *ctx, enum migrate_status st, bool keep);
	/* The guest asked to end (poweroff, reset) while the migration had it paused. */
	void (*request_exit)(void *ctx, int why);
};

/* Starts migrating vm to p->host:p->port on a new thread; returns at once. */
int migrate_out_start(struct vm *vm, struct event_loop *loop, const struct migrate_params *p,
		      const struct migrate_out_hooks *hooks, void *ctx, struct migrate_out **out, char *errbuf,
		      size_t errlen) __must_check;
/* migrate_cancel: before the acknowledgement the source resumes; after it, too late. */
int migrate_out_cancel(struct migrate_out *m, char *errbuf, size_t errlen) __must_check;
/* migrate-continue: leave pre-switchover. */
int migrate_out_continue(struct migrate_out *m, char *errbuf, size_t errlen) __must_check;
/* migrate-set-parameters while running: the downtime limit. */
void migrate_out_set_downtime(struct migrate_out *m, unsigned ms);
void migrate_out_stats(struct migrate_out *m, struct migrate_stats *st);
/* Still running (not completed, failed or cancelled). */
bool migrate_out_active(struct migrate_out *m);
/*
 * The VM's state has been (or is being) collected for the switchover: from now on
 * nothing may change its topology or resume it on the source.
 */
bool migrate_out_frozen(struct migrate_out *m);
/* Cancels if still running, waits for the thread and frees m. NULL is a no-op. */
void migrate_out_destroy(struct migrate_out *m);

#endif

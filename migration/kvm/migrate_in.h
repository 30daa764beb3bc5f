/* SPDX-License-Identifier: MIT */
/* The destination side of a live migration (see migration/migrate.h). Control thread API. */
#ifndef MIGRATION_KVM_MIGRATE_IN_H
#define MIGRATION_KVM_MIGRATE_IN_H

#include <stdint.h>

#include "migration/migrate.h"
#include "vmm/core/compiler.h"

struct event_loop;
struct json_object;
struct migrate_in;
struct vm;
struct vm_config;
struct vm_config_state;
struct vm_hooks;

/* The owner's side (the runner), called on the control thread. */
struct migrate_in_hooks {
	void (*event)(void *ctx, const char *name, struct json_object *data);
	/*
	 * The source committed: take the VM (loaded, not started) and start it; cfg's
	 * strings point into *cfg_storage, which the owner keeps. Returns 0 or -errno
	 * (then the guest is lost: the source no longer runs it either).
	 */
	int (*take_vm)(void *ctx, struct vm *vm, const struct vm_config_state *cfg_storage);
	/* The incoming migration ended (completed, or failed with error). */
	void (*finished)(void *ctx, enum migrate_status st, const char *error);
};

/*
 * Listens on p->host:p->port (TLS with the server credentials in p->tls_dir unless
 * p->plain) and receives a VM on a new thread. The VM is built with vm_hooks /
 * vm_hooks_ctx, so it can be handed over as it is. Returns at once.
 */
int migrate_in_start(const struct migrate_params *p, const struct vm_hooks *vm_hooks, void *vm_hooks_ctx,
		     struct event_loop *loop, const struct migrate_in_hooks *hooks, void *ctx, struct migrate_in **out,
		     char *errbuf, size_t errlen) __must_check;
/* The port it listens on (p->port 0 picks one). */
uint16_t migrate_in_port(const struct migrate_in *m);
void migrate_in_stats(struct migrate_in *m, struct migrate_stats *st);
/* Stops listening or receiving (the VM, unless already handed over, is discarded) and frees m. */
void migrate_in_destroy(struct migrate_in *m);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The QMP commands of a running VM, one file per area (vm, cpu, snapshot; migrate
 * and block come next), served on the runner's socket. Control thread only.
 */
#ifndef VMM_API_API_H
#define VMM_API_API_H

#include "vmm/core/compiler.h"
#include "vmm/qmp/qmp.h"

struct runner;
struct vm;

#define API_MAX_COMMANDS 64

/* Each area's commands, ended by an entry without a name. */
extern const struct qmp_command api_vm_commands[];
extern const struct qmp_command api_cpu_commands[];
extern const struct qmp_command api_snapshot_commands[];
extern const struct qmp_command api_migrate_commands[];

/* Starts the QMP server on socket_path with every area's commands. */
int api_start(struct runner *r, const char *socket_path) __must_check;
void api_stop(struct runner *r);

/* The runner's VM, or NULL with a QMP error while it is being rebuilt. */
struct vm *api_live_vm(struct runner *r, struct qmp_error *err);
/* Non-zero (err set) when the VM must not change or resume here: a migration's
 * switchover has collected its state, or the guest already moved away. */
int api_topology_frozen(struct runner *r, struct qmp_error *err) __must_check;

#endif

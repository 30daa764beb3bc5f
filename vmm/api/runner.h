/* SPDX-License-Identifier: MIT */
/*
 * The control thread of `vmm run`: owns the event loop, the console, the QMP
 * server and the current VM, and rebuilds the VM when the guest resets.
 */
#ifndef VMM_RUNNER_H
#define VMM_RUNNER_H

#include <stdbool.h>

#include "vmm/arm64/vm_config.h"
#include "vmm/core/compiler.h"
#include "vmm/devices/console.h"
#include "vmm/kvm/vm.h"

struct event_loop;
struct json_object;
struct migrate_in;
struct migrate_out;
struct migrate_params;
struct qmp_server;
struct vm_config_state;

struct runner {
	struct event_loop *loop;
	struct console console;
	struct qmp_server *qmp;
	struct vm *vm;          /* NULL while the VM is rebuilt */
	enum vm_exit exit;      /* why the current VM must end */
	bool paused;            /* by QMP stop */
	int sig_fd;
	int log_wake_fd;        /* log lines of other threads wait (vmm/core/log.h asynchronous mode) */
	bool log_polled;        /* the log fd is in the event loop (EPOLLOUT while lines wait) */

	/* Live migration (vmm/api/migrate_commands.c, migration/kvm/migrate_*.c). */
	struct migrate_out *mig_out;      /* outgoing, NULL: none */
	struct migrate_params *mig_params; /* migrate-set-parameters */
	bool migrated;                    /* the guest runs on the destination: never resume it here */
	struct migrate_in *mig_in;        /* incoming (vmm run --incoming) */
	bool in_waiting;                  /* --incoming defer: waiting for QMP migrate-incoming */
	bool in_done;                     /* the incoming migration ended */
	char in_error[512];
	struct vm_config_state *in_cfg;   /* the incoming machine (the config's strings point here) */
	struct vm_config *in_vm_cfg;
};

/* Runs the VM described by cfg (or, with restore_dir, the snapshot there) until
 * it powers off or is shut down. Returns why it ended (an enum vm_exit other than
 * NONE, RESET and ERROR), or -errno after printing one "vmm: error:" line (a VMM
 * failure). vmm/cli/main.c maps that to the exit status. */
int runner_run(const struct vm_config *cfg, const char *restore_dir) __must_check;
/* Waits for a live migration on `incoming` (vmm run --incoming), then runs the VM it brings. */
int runner_run_incoming(const struct vm_config *cfg, const struct migrate_params *incoming) __must_check;
/* QMP migrate-incoming on a `--incoming defer` runner. */
int runner_incoming_start(struct runner *r, const struct migrate_params *p, char *err, size_t errlen) __must_check;
/* Registers the current VM with the control loop and starts its vCPUs. */
int runner_start_vm(struct runner *r) __must_check;
/* Ends the current VM (control thread). */
void runner_request_exit(struct runner *r, enum vm_exit why);
/* The source side of migrations: ends an outgoing one (control thread). */
void runner_migrate_fini(struct runner *r);
/* QMP events (control thread); data may be NULL, its reference is taken. */
void runner_emit(struct runner *r, const char *event, struct json_object *data);

#endif

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
struct qmp_server;

struct runner {
	struct event_loop *loop;
	struct console console;
	struct qmp_server *qmp;
	struct vm *vm;          /* NULL while the VM is rebuilt */
	enum vm_exit exit;      /* why the current VM must end */
	bool paused;            /* by QMP stop */
	int sig_fd;
};

/* Runs the VM described by cfg (or, with restore_dir, the snapshot there) until
 * it powers off or is shut down. Returns why it ended (an enum vm_exit other than
 * NONE, RESET and ERROR), or -errno after printing one "vmm: error:" line (a VMM
 * failure). vmm/cli/main.c maps that to the exit status. */
int runner_run(const struct vm_config *cfg, const char *restore_dir) __must_check;
/* Ends the current VM (control thread). */
void runner_request_exit(struct runner *r, enum vm_exit why);
/* QMP events (control thread); data may be NULL, its reference is taken. */
void runner_emit(struct runner *r, const char *event, struct json_object *data);

#endif

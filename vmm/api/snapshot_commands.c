// SPDX-License-Identifier: MIT
/* The QMP command snapshot-save (migration/snapshot.h). Control thread. */
#define LOG_PREFIX "api"
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "migration/snapshot.h"
#include "vmm/api/api.h"
#include "vmm/api/runner.h"
#include "vmm/core/clock.h"
#include "vmm/core/log.h"
#include "vmm/qmp/qmp.h"

/* snapshot-save {"path": DIR, "stop": bool}: pause, write DIR/state + DIR/memory,
 * then resume (or end the VM with stop). */
static int cmd_snapshot_save(void *opaque, struct json_object *args, struct json_object **ret,
			     struct qmp_error *err)
{
	struct runner *r = opaque;
	struct vm *vm = api_live_vm(r, err);
	struct snapshot_stats stats = { 0 };
	const char *path = NULL;
	bool stop = false, was_paused;
	enum vm_exit why;
	char msg[512] = "";
	uint64_t t0, t1;
	int rc;

	if (!vm)
		return -EAGAIN;
	if (qmp_arg_str(args, "path", true, &path, err) < 0 || qmp_arg_bool(args, "stop", false, &stop, err) < 0)
		return -EINVAL;
	was_paused = r->paused;
	t0 = clock_now_ns();
	why = vm_pause_settled(vm, !was_paused);
	if (why != VM_EXIT_NONE) {
		/* The event was consumed here: hand it to the runner. */
		runner_request_exit(r, why);
		return qmp_error_set(err, QMP_ERROR_GENERIC, "the VM is shutting down: no snapshot taken");
	}
	rc = vm_snapshot_save(vm, path, &stats, msg, sizeof(msg));
	t1 = clock_now_ns();
	if (rc < 0) {
		if (!was_paused)
			vm_resume_all(vm);
		return qmp_error_set(err, QMP_ERROR_GENERIC, "snapshot failed (the VM keeps running): %s", msg);
	}
	if (stop)
		runner_request_exit(r, VM_EXIT_SHUTDOWN);
	else if (!was_paused)
		vm_resume_all(vm);
	log_info("snapshot written to %s in %.1f ms (state %llu bytes, %llu of %llu MiB of RAM written)", path,
		 (double)(t1 - t0) / 1e6, (unsigned long long)stats.state_bytes,
		 (unsigned long long)(stats.memory_written >> 20), (unsigned long long)(stats.memory_size >> 20));
	*ret = json_object_new_object();
	json_object_object_add(*ret, "duration-ms", json_object_new_double((double)(t1 - t0) / 1e6));
	json_object_object_add(*ret, "state-bytes", json_object_new_int64((int64_t)stats.state_bytes));
	json_object_object_add(*ret, "memory-bytes-written", json_object_new_int64((int64_t)stats.memory_written));
	return 0;
}

static const char *const snapshot_args[] = { "path", "stop", NULL };

const struct qmp_command api_snapshot_commands[] = {
	{ .name = "snapshot-save", .fn = cmd_snapshot_save, .args = snapshot_args },
	{ 0 },
};

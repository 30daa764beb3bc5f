// SPDX-License-Identifier: MIT
/*
 * The QMP commands of the VM as a whole: query-status, stop/cont, quit,
 * system_powerdown, x-query-guest-errors, query-blockstats. Control thread; bad requests get a QMP error
 * and change nothing.
 */
#define LOG_PREFIX "api"
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "storage/blk.h"
#include "vmm/api/api.h"
#include "vmm/api/runner.h"
#include "vmm/core/log.h"
#include "vmm/qmp/qmp.h"

static int cmd_query_status(void *opaque, struct json_object *args, struct json_object **ret,
			    struct qmp_error *err)
{
	struct runner *r = opaque;
	struct json_object *o = json_object_new_object();

	(void)args;
	(void)err;
	json_object_object_add(o, "running", json_object_new_boolean(r->vm && !r->paused));
	json_object_object_add(o, "singlestep", json_object_new_boolean(false));
	json_object_object_add(o, "status", json_object_new_string(!r->vm ? "prelaunch" : r->paused ? "paused"
												  : "running"));
	*ret = o;
	return 0;
}

static int cmd_stop(void *opaque, struct json_object *args, struct json_object **ret, struct qmp_error *err)
{
	struct runner *r = opaque;
	struct vm *vm = api_live_vm(r, err);

	(void)args;
	(void)ret;
	if (!vm)
		return -EAGAIN;
	if (!r->paused) {
		vm_pause_all(vm);
		r->paused = true;
		runner_emit(r, "STOP", NULL);
	}
	return 0;
}

static int cmd_cont(void *opaque, struct json_object *args, struct json_object **ret, struct qmp_error *err)
{
	struct runner *r = opaque;
	struct vm *vm = api_live_vm(r, err);

	(void)args;
	(void)ret;
	if (!vm)
		return -EAGAIN;
	if (api_topology_frozen(r, err))
		return -EBUSY;
	if (r->paused) {
		vm_resume_all(vm);
		r->paused = false;
		runner_emit(r, "RESUME", NULL);
	}
	return 0;
}

static int cmd_quit(void *opaque, struct json_object *args, struct json_object **ret, struct qmp_error *err)
{
	(void)args;
	(void)ret;
	(void)err;
	runner_request_exit(opaque, VM_EXIT_SHUTDOWN);
	return 0;
}

static int cmd_system_powerdown(void *opaque, struct json_object *args, struct json_object **ret,
				struct qmp_error *err)
{
	struct runner *r = opaque;
	struct vm *vm = api_live_vm(r, err);
	int rc;

	(void)args;
	(void)ret;
	if (!vm)
		return -EAGAIN;
	if (!vm->ged_ready)
		return qmp_error_set(err, QMP_ERROR_GENERIC,
				     "system_powerdown needs an ACPI guest (--acpi on): it presses the ACPI power button");
	rc = ged_raise(&vm->ged, GED_EVT_PWR_DOWN);
	if (rc < 0)
		return qmp_error_set(err, QMP_ERROR_GENERIC, "cannot raise the power button event: %s",
				     strerror(-rc));
	return 0;
}

static void add_count(struct json_object *o, const char *key, const uint64_t *counter)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)__atomic_load_n(counter, __ATOMIC_RELAXED)));
}

/*
 * What the guest did wrong that the VMM absorbed, since this VM was built
 * (counters; the matching log lines are rate-limited). Lets a test or an
 * operator see that hostile accesses reached the VMM and were contained.
 */
static int cmd_x_query_guest_errors(void *opaque, struct json_object *args, struct json_object **ret,
				    struct qmp_error *err)
{
	struct runner *r = opaque;
	struct vm *vm = api_live_vm(r, err);
	struct json_object *o;

	(void)args;
	if (!vm)
		return -EAGAIN;
	o = json_object_new_object();
	add_count(o, "mmio-bad-accesses", &vm->bus.bad_accesses);
	add_count(o, "mmio-nisv-aborts", &vm->guest_nisv_aborts);
	if (vm->ost_ready) {
		uint64_t coalesced, limited, dropped;

		ost_queue_counts(&vm->ost, &coalesced, &limited, &dropped);
		add_count(o, "ost-coalesced", &coalesced);
		add_count(o, "ost-rate-limited", &limited);
		add_count(o, "ost-dropped", &dropped);
	}
	add_count(o, "console-output-dropped", &r->console.dropped);
	json_object_object_add(o, "nisv-to-user", json_object_new_boolean(vm->nisv_user));
	*ret = o;
	return 0;
}

/*
 * query-blockstats: one entry per disk with QEMU's counter names (rd_/wr_bytes,
 * rd_/wr_/flush_/unmap_operations) plus write-zeroes, failed requests and the
 * requests completed on each virtqueue.
 */
static int cmd_query_blockstats(void *opaque, struct json_object *args, struct json_object **ret,
				struct qmp_error *err)
{
	struct runner *r = opaque;
	struct vm *vm = api_live_vm(r, err);
	struct json_object *list;

	(void)args;
	if (!vm)
		return -EAGAIN;
	list = json_object_new_array();
	for (unsigned i = 0; i < vm->nr_disks_up; i++) {
		struct json_object *e = json_object_new_object(), *st = json_object_new_object(), *qs;
		struct blk_disk_info info;
		struct blk_stats bs;

		if (!vm->disks[i])
			continue;
		blk_info(vm->disks[i], &info);
		blk_get_stats(vm->disks[i], &bs);
		json_object_object_add(e, "device", json_object_new_string(info.path));
		json_object_object_add(e, "x-serial", json_object_new_string(info.serial ? info.serial : ""));
		add_count(st, "rd_bytes", &bs.rd_bytes);
		add_count(st, "wr_bytes", &bs.wr_bytes);
		add_count(st, "rd_operations", &bs.rd_ops);
		add_count(st, "wr_operations", &bs.wr_ops);
		add_count(st, "flush_operations", &bs.flush_ops);
		add_count(st, "unmap_operations", &bs.discard_ops);
		add_count(st, "x-write-zeroes-operations", &bs.wz_ops);
		add_count(st, "x-failed-operations", &bs.failed_ops);
		qs = json_object_new_array();
		for (unsigned q = 0; q < vm->cfg.disks[i].num_queues && q < VIRTIO_MMIO_MAX_QUEUES; q++)
			json_object_array_add(qs, json_object_new_int64((int64_t)bs.queue_requests[q]));
		json_object_object_add(st, "x-queue-requests", qs);
		json_object_object_add(e, "stats", st);
		json_object_array_add(list, e);
	}
	*ret = list;
	return 0;
}

const struct qmp_command api_vm_commands[] = {
	{ .name = "query-status", .fn = cmd_query_status, .args = qmp_no_args },
	{ .name = "stop", .fn = cmd_stop, .args = qmp_no_args },
	{ .name = "cont", .fn = cmd_cont, .args = qmp_no_args },
	{ .name = "quit", .fn = cmd_quit, .args = qmp_no_args },
	{ .name = "system_powerdown", .fn = cmd_system_powerdown, .args = qmp_no_args },
	{ .name = "x-query-guest-errors", .fn = cmd_x_query_guest_errors, .args = qmp_no_args },
	{ .name = "query-blockstats", .fn = cmd_query_blockstats, .args = qmp_no_args },
	{ 0 },
};

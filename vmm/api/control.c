// SPDX-License-Identifier: MIT
/*
 * The QMP commands of a running VM: status, stop/cont, CPU queries, vCPU
 * device_add/device_del, system_powerdown, quit. Everything runs on the control
 * thread. Bad requests get a QMP error and change nothing.
 */
#define LOG_PREFIX "control"
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "migration/snapshot.h"

#include "vmm/core/log.h"
#include "vmm/qmp/qmp.h"
#include "vmm/api/runner.h"
#include "vmm/core/clock.h"

#define CPU_DRIVER "host-arm-cpu"

static struct vm *live_vm(struct runner *r, struct qmp_error *err)
{
	if (!r->vm)
		qmp_error_set(err, QMP_ERROR_GENERIC, "the VM is being reset; try again");
	return r->vm;
}

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
	struct vm *vm = live_vm(r, err);

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
	struct vm *vm = live_vm(r, err);

	(void)args;
	(void)ret;
	if (!vm)
		return -EAGAIN;
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
	struct vm *vm = live_vm(r, err);
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

static struct json_object *cpu_props_json(unsigned idx)
{
	struct json_object *p = json_object_new_object();

	json_object_object_add(p, "core-id", json_object_new_int64(idx));
	json_object_object_add(p, "thread-id", json_object_new_int64(0));
	json_object_object_add(p, "cluster-id", json_object_new_int64(0));
	json_object_object_add(p, "socket-id", json_object_new_int64(0));
	return p;
}

static void qom_path(const struct vcpu *v, char *buf, size_t len)
{
	if (v->cold_booted)
		snprintf(buf, len, "/machine/unattached/device[%u]", v->id);
	else
		snprintf(buf, len, "/machine/peripheral/%s", v->dev_id);
}

/* A consistent view of one vCPU's state for the queries. */
struct vcpu_view {
	bool enabled, on;
	int tid;
	char path[96];
};

static void view_vcpu(struct vcpu *v, struct vcpu_view *out)
{
	pthread_mutex_lock(&v->lock);
	out->enabled = v->admin == VCPU_ENABLED;
	out->on = v->power == VCPU_POWER_ON;
	out->tid = v->tid;
	qom_path(v, out->path, sizeof(out->path));
	pthread_mutex_unlock(&v->lock);
}

static int cmd_query_cpus_fast(void *opaque, struct json_object *args, struct json_object **ret,
			       struct qmp_error *err)
{
	struct runner *r = opaque;
	struct vm *vm = live_vm(r, err);
	struct json_object *a;
	unsigned i;

	(void)args;
	if (!vm)
		return -EAGAIN;
	a = json_object_new_array();
	for (i = 0; i < vm->max_vcpus; i++) {
		struct json_object *o;
		struct vcpu_view w;

		view_vcpu(&vm->vcpus[i], &w);
		if (!w.enabled)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "cpu-index", json_object_new_int64(i));
		json_object_object_add(o, "qom-path", json_object_new_string(w.path));
		json_object_object_add(o, "thread-id", json_object_new_int64(w.tid));
		json_object_object_add(o, "props", cpu_props_json(i));
		json_object_object_add(o, "target", json_object_new_string("aarch64"));
		/* vmm extension: the PSCI power state. */
		json_object_object_add(o, "powered-on", json_object_new_boolean(w.on));
		json_object_array_add(a, o);
	}
	*ret = a;
	return 0;
}

static int cmd_query_hotpluggable_cpus(void *opaque, struct json_object *args, struct json_object **ret,
				       struct qmp_error *err)
{
	struct runner *r = opaque;
	struct vm *vm = live_vm(r, err);
	struct json_object *a;
	unsigned i;

	(void)args;
	if (!vm)
		return -EAGAIN;
	a = json_object_new_array();
	for (i = 0; i < vm->max_vcpus; i++) {
		struct json_object *o = json_object_new_object();
		struct vcpu_view w;

		view_vcpu(&vm->vcpus[i], &w);
		json_object_object_add(o, "type", json_object_new_string(CPU_DRIVER));
		json_object_object_add(o, "vcpus-count", json_object_new_int64(1));
		json_object_object_add(o, "props", cpu_props_json(i));
		if (w.enabled)
			json_object_object_add(o, "qom-path", json_object_new_string(w.path));
		json_object_array_add(a, o);
	}
	*ret = a;
	return 0;
}

/* A boolean CPU property given as true/false or "on"/"off". */
static int prop_onoff(struct json_object *args, const char *key, int *out, struct qmp_error *err)
{
	struct json_object *v;
	const char *s;

	*out = -1;
	if (!json_object_object_get_ex(args, key, &v))
		return 0;
	if (json_object_is_type(v, json_type_boolean)) {
		*out = json_object_get_boolean(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		if (!strcmp(s, "on") || !strcmp(s, "true")) {
			*out = 1;
			return 0;
		}
		if (!strcmp(s, "off") || !strcmp(s, "false")) {
			*out = 0;
			return 0;
		}
	}
	return qmp_error_set(err, QMP_ERROR_GENERIC, "Parameter '%s' expects 'on' or 'off'", key);
}

static int topo_id(struct json_object *args, const char *key, int *out, struct qmp_error *err)
{
	int64_t v = -1;
	int rc = qmp_arg_int(args, key, false, &v, err);

	if (rc < 0)
		return rc;
	if (rc == 1 && (v < 0 || v > 65535))
		return qmp_error_set(err, QMP_ERROR_GENERIC, "Parameter '%s' is out of range", key);
	*out = (int)v;
	return 0;
}

static int cmd_device_add(void *opaque, struct json_object *args, struct json_object **ret,
			  struct qmp_error *err)
{
	/* Starts the clock for the plug latency as soon as the request is here. */
	struct runner *r = opaque;
	struct vm *vm = live_vm(r, err);
	struct cpu_props props = { .pmu = -1, .sve = -1, .socket_id = -1, .cluster_id = -1, .thread_id = -1 };
	const char *driver = NULL, *id = NULL;
	int64_t core = -1;
	char msg[256] = "";
	int rc;

	(void)ret;
	if (!vm)
		return -EAGAIN;
	if (qmp_arg_str(args, "driver", true, &driver, err) < 0)
		return -EINVAL;
	if (strcmp(driver, CPU_DRIVER))
		return qmp_error_set(err, QMP_ERROR_GENERIC,
				     "'%s' is not a valid device model name (this machine hot-plugs '" CPU_DRIVER "')",
				     driver);
	if (qmp_arg_str(args, "id", true, &id, err) < 0 || qmp_arg_int(args, "core-id", true, &core, err) < 0 ||
	    topo_id(args, "socket-id", &props.socket_id, err) < 0 ||
	    topo_id(args, "cluster-id", &props.cluster_id, err) < 0 ||
	    topo_id(args, "thread-id", &props.thread_id, err) < 0 || prop_onoff(args, "pmu", &props.pmu, err) < 0 ||
	    prop_onoff(args, "sve", &props.sve, err) < 0)
		return -EINVAL;
	if (core < 0 || core > UINT32_MAX)
		return qmp_error_set(err, QMP_ERROR_GENERIC, "core-id %lld is out of range (0-%u)", (long long)core,
				     vm->max_vcpus - 1);
	rc = vm_cpu_plug(vm, (unsigned)core, id, &props, msg, sizeof(msg));
	if (rc < 0)
		return qmp_error_set(err, QMP_ERROR_GENERIC, "%s", msg);
	if (r->paused)
		vcpu_pause(&vm->vcpus[core]);
	/* vmm extension: time from the request to the GED interrupt. */
	*ret = json_object_new_object();
	json_object_object_add(*ret, "x-plug-latency-ns", json_object_new_int64((int64_t)vm->last_plug_ns));
	return 0;
}

static int cmd_device_del(void *opaque, struct json_object *args, struct json_object **ret,
			  struct qmp_error *err)
{
	struct runner *r = opaque;
	struct vm *vm = live_vm(r, err);
	const char *id = NULL;
	char msg[256] = "";
	int rc;

	(void)ret;
	if (!vm)
		return -EAGAIN;
	if (qmp_arg_str(args, "id", true, &id, err) < 0)
		return -EINVAL;
	rc = vm_cpu_unplug(vm, id, msg, sizeof(msg));
	if (rc < 0)
		return qmp_error_set(err, rc == -ENOENT ? QMP_ERROR_DEVICE_NOT_FOUND : QMP_ERROR_GENERIC, "%s", msg);
	return 0;
}

/* snapshot-save {"path": DIR, "stop": bool}: pause, write DIR/state + DIR/memory,
 * then resume (or end the VM with stop). */
static int cmd_snapshot_save(void *opaque, struct json_object *args, struct json_object **ret,
			     struct qmp_error *err)
{
	struct runner *r = opaque;
	struct vm *vm = live_vm(r, err);
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
	if (!was_paused)
		vm_pause_all(vm);
	/* Finish what the guest already did (an eject) so the saved topology is settled. */
	why = vm_process_events(vm);
	if (why != VM_EXIT_NONE) {
		/* The event was consumed here: hand it to the runner. */
		runner_request_exit(r, why);
		if (!was_paused)
			vm_resume_all(vm);
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
static const char *const device_add_args[] = { "driver", "id", "core-id", "socket-id", "cluster-id",
					       "thread-id", "pmu", "sve", NULL };
static const char *const device_del_args[] = { "id", NULL };

static const struct qmp_command control_cmds[] = {
	{ .name = "query-status", .fn = cmd_query_status, .args = qmp_no_args },
	{ .name = "stop", .fn = cmd_stop, .args = qmp_no_args },
	{ .name = "cont", .fn = cmd_cont, .args = qmp_no_args },
	{ .name = "quit", .fn = cmd_quit, .args = qmp_no_args },
	{ .name = "system_powerdown", .fn = cmd_system_powerdown, .args = qmp_no_args },
	{ .name = "query-cpus-fast", .fn = cmd_query_cpus_fast, .args = qmp_no_args },
	{ .name = "query-hotpluggable-cpus", .fn = cmd_query_hotpluggable_cpus, .args = qmp_no_args },
	{ .name = "device_add", .fn = cmd_device_add, .args = device_add_args },
	{ .name = "device_del", .fn = cmd_device_del, .args = device_del_args },
	{ .name = "snapshot-save", .fn = cmd_snapshot_save, .args = snapshot_args },
};

int control_start(struct runner *r, const char *socket_path)
{
	return qmp_server_create(r->loop, socket_path, control_cmds, ARRAY_SIZE(control_cmds), r, &r->qmp);
}

void control_stop(struct runner *r)
{
	if (r->qmp)
		qmp_server_destroy(r->qmp);
	r->qmp = NULL;
}

// SPDX-License-Identifier: MIT
/*
 * The QMP commands of vCPUs: query-cpus-fast, query-hotpluggable-cpus, and
 * device_add/device_del of a host-arm-cpu (plug and unplug, hotplug/). Control
 * thread; bad requests get a QMP error and change nothing.
 */
#define LOG_PREFIX "api"
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "hotplug/kvm/cpu_plug.h"
#include "vmm/api/api.h"
#include "vmm/api/runner.h"
#include "vmm/core/log.h"
#include "vmm/qmp/qmp.h"

#define CPU_DRIVER "host-arm-cpu"

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
	struct vm *vm = api_live_vm(r, err);
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
	struct vm *vm = api_live_vm(r, err);
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
	struct vm *vm = api_live_vm(r, err);
	struct cpu_props props = { .pmu = -1, .sve = -1, .socket_id = -1, .cluster_id = -1, .thread_id = -1 };
	const char *driver = NULL, *id = NULL;
	int64_t core = -1;
	char msg[256] = "";
	int rc;

	(void)ret;
	if (!vm)
		return -EAGAIN;
	/* Hot-plug during a migration is fine until the switchover collects the state. */
	if (api_topology_frozen(r, err))
		return -EBUSY;
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
	struct vm *vm = api_live_vm(r, err);
	const char *id = NULL;
	char msg[256] = "";
	int rc;

	(void)ret;
	if (!vm)
		return -EAGAIN;
	/* Hot-plug during a migration is fine until the switchover collects the state. */
	if (api_topology_frozen(r, err))
		return -EBUSY;
	if (qmp_arg_str(args, "id", true, &id, err) < 0)
		return -EINVAL;
	rc = vm_cpu_unplug(vm, id, msg, sizeof(msg));
	if (rc < 0)
		return qmp_error_set(err, rc == -ENOENT ? QMP_ERROR_DEVICE_NOT_FOUND : QMP_ERROR_GENERIC, "%s", msg);
	return 0;
}

static const char *const device_add_args[] = { "driver", "id", "core-id", "socket-id", "cluster-id",
					       "thread-id", "pmu", "sve", NULL };
static const char *const device_del_args[] = { "id", NULL };

const struct qmp_command api_cpu_commands[] = {
	{ .name = "query-cpus-fast", .fn = cmd_query_cpus_fast, .args = qmp_no_args },
	{ .name = "query-hotpluggable-cpus", .fn = cmd_query_hotpluggable_cpus, .args = qmp_no_args },
	{ .name = "device_add", .fn = cmd_device_add, .args = device_add_args },
	{ .name = "device_del", .fn = cmd_device_del, .args = device_del_args },
	{ 0 },
};

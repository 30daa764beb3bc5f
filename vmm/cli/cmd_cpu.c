// SPDX-License-Identifier: MIT
/*
 * Client commands that talk to a running vmm over its QMP socket:
 *   vmm cpu list --api PATH
 *   vmm cpu add N [--id ID] --api PATH
 *   vmm cpu del N [--no-wait] [--timeout SEC] --api PATH
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/cli/cmd.h"
#include "vmm/core/clock.h"
#include "vmm/qmp/client.h"


static const char cpu_usage[] = "usage: vmm cpu list --api PATH\n"
				"       vmm cpu add N [--id ID] --api PATH\n"
				"       vmm cpu del N [--no-wait] [--timeout SEC] --api PATH\n";

static int parse_index(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *end || v > 4095) {
		fprintf(stderr, "vmm: error: '%s' is not a vCPU number\n", s);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

static int cpu_list(struct qmp_client *c)
{
	struct json_object *hp = NULL, *fast = NULL;
	size_t i, j;
	int rc;

	rc = cmd_execute(c, "query-hotpluggable-cpus", NULL, &hp);
	if (rc == 0)
		rc = cmd_execute(c, "query-cpus-fast", NULL, &fast);
	if (rc < 0)
		goto out;
	printf("%-5s %-9s %-9s %-8s %s\n", "vcpu", "state", "power", "thread", "qom-path");
	for (i = 0; i < json_object_array_length(hp); i++) {
		struct json_object *o = json_object_array_get_idx(hp, i), *props, *core, *path;
		const char *state = "parked", *power = "-";
		int64_t idx, tid = 0;

		if (!json_object_object_get_ex(o, "props", &props) ||
		    !json_object_object_get_ex(props, "core-id", &core))
			continue;
		idx = json_object_get_int64(core);
		if (json_object_object_get_ex(o, "qom-path", &path)) {
			state = strstr(json_object_get_string(path), "/unattached/") ? "cold" : "plugged";
			for (j = 0; j < json_object_array_length(fast); j++) {
				struct json_object *f = json_object_array_get_idx(fast, j), *ci, *t, *on;

				if (json_object_object_get_ex(f, "cpu-index", &ci) && json_object_get_int64(ci) == idx) {
					if (json_object_object_get_ex(f, "thread-id", &t))
						tid = json_object_get_int64(t);
					if (json_object_object_get_ex(f, "powered-on", &on))
						power = json_object_get_boolean(on) ? "on" : "off";
				}
			}
		}
		printf("%-5lld %-9s %-9s %-8lld %s\n", (long long)idx, state, power, (long long)tid,
		       json_object_object_get_ex(o, "qom-path", &path) ? json_object_get_string(path) : "-");
	}
out:
	json_object_put(hp);
	json_object_put(fast);
	return rc;
}

/* The device id of the vCPU with core-id idx, from query-hotpluggable-cpus. */
static int find_id(struct qmp_client *c, unsigned idx, char *id, size_t len)
{
	struct json_object *hp = NULL;
	size_t i;
	int rc = cmd_execute(c, "query-hotpluggable-cpus", NULL, &hp);

	if (rc < 0)
		return rc;
	rc = -ENOENT;
	for (i = 0; i < json_object_array_length(hp); i++) {
		struct json_object *o = json_object_array_get_idx(hp, i), *props, *core, *path;
		const char *p, *slash;

		if (!json_object_object_get_ex(o, "props", &props) ||
		    !json_object_object_get_ex(props, "core-id", &core) || json_object_get_int64(core) != idx)
			continue;
		if (!json_object_object_get_ex(o, "qom-path", &path)) {
			fprintf(stderr, "vmm: error: vCPU %u is not plugged\n", idx);
			rc = -ENODEV;
			break;
		}
		p = json_object_get_string(path);
		slash = strrchr(p, '/');
		if (strstr(p, "/unattached/"))
			snprintf(id, len, "core%u", idx); /* cold-booted: the server explains the refusal */
		else
			snprintf(id, len, "%s", slash ? slash + 1 : p);
		rc = 0;
		break;
	}
	if (rc == -ENOENT)
		fprintf(stderr, "vmm: error: vCPU %u does not exist in this VM\n", idx);
	json_object_put(hp);
	return rc;
}

int cmd_cpu(int argc, char **argv)
{
	const char *api = NULL, *id = NULL, *sub;
	struct qmp_client *c = NULL;
	bool wait, no_wait = false;
	int timeout_s = 60, i, rc;
	unsigned idx = 0;
	char buf[64];
	const char *pos[2] = { NULL, NULL };
	const struct cmd_opt opts[] = {
		{ "--api", .str = &api }, { "--id", .str = &id }, { "--timeout", .num = &timeout_s },
		{ "--no-wait", .set = &no_wait }, { 0 },
	};

	i = cmd_parse_args(argc, argv, opts, pos, 2, false);
	if (i) {
		fprintf(stderr, "vmm: error: unexpected argument '%s'\n%s", argv[i], cpu_usage);
		return 2;
	}
	wait = !no_wait;
	sub = pos[0];
	if (!sub || (strcmp(sub, "list") && (!pos[1] || parse_index(pos[1], &idx) < 0))) {
		fprintf(stderr, "%s", cpu_usage);
		return 2;
	}
	if (cmd_connect(api, &c) < 0)
		return 1;
	if (!strcmp(sub, "list")) {
		rc = cpu_list(c);
	} else if (!strcmp(sub, "add")) {
		struct json_object *a = json_object_new_object();

		if (!id) {
			snprintf(buf, sizeof(buf), "core%u", idx);
			id = buf;
		}
		json_object_object_add(a, "driver", json_object_new_string("host-arm-cpu"));
		json_object_object_add(a, "id", json_object_new_string(id));
		json_object_object_add(a, "core-id", json_object_new_int64(idx));
		struct json_object *r = NULL, *lat;

		rc = cmd_execute(c, "device_add", a, &r);
		json_object_put(a);
		if (rc == 0) {
			if (json_object_object_get_ex(r, "x-plug-latency-ns", &lat))
				printf("vCPU %u plugged as '%s' (%.3f ms to the guest notification)\n", idx, id,
				       (double)json_object_get_int64(lat) / 1e6);
			else
				printf("vCPU %u plugged as '%s'\n", idx, id);
		}
		json_object_put(r);
	} else if (!strcmp(sub, "del")) {
		struct json_object *a, *ev = NULL;

		uint64_t t0 = 0;

		rc = find_id(c, idx, buf, sizeof(buf));
		t0 = clock_now_ns();
		if (rc == 0) {
			a = json_object_new_object();
			json_object_object_add(a, "id", json_object_new_string(buf));
			rc = cmd_execute(c, "device_del", a, NULL);
			json_object_put(a);
		}
		if (rc == 0 && wait) {
			for (;;) {
				struct json_object *data, *dev;

				rc = qmp_client_wait_event(c, "DEVICE_DELETED", timeout_s * 1000, &ev);
				if (rc < 0)
					break;
				if (json_object_object_get_ex(ev, "data", &data) &&
				    json_object_object_get_ex(data, "device", &dev) &&
				    !strcmp(json_object_get_string(dev), buf)) {
					json_object_put(ev);
					break;
				}
				json_object_put(ev);
			}
			if (rc == -ETIMEDOUT)
				fprintf(stderr, "vmm: error: the guest did not release vCPU %u within %d s "
						"(is it ACPI-aware and the CPU offlinable?)\n", idx, timeout_s);
			else if (rc < 0)
				fprintf(stderr, "vmm: error: waiting for DEVICE_DELETED: %s\n", strerror(-rc));
		}
		if (rc == 0 && wait)
			printf("vCPU %u unplugged (%.1f ms from the request to DEVICE_DELETED)\n", idx,
			       (double)(clock_now_ns() - t0) / 1e6);
		else if (rc == 0)
			printf("vCPU %u unplug requested\n", idx);
	} else {
		fprintf(stderr, "%s", cpu_usage);
		rc = -EINVAL;
	}
	qmp_client_close(c);
	return rc < 0 ? 1 : 0;
}

// SPDX-License-Identifier: MIT
/*
 *   vmm snapshot --api PATH --to DIR [--stop]   checkpoint a running VM (a QMP client)
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/cli/cmd.h"
#include "vmm/qmp/client.h"

#define SNAPSHOT_TIMEOUT_MS 600000

int cmd_snapshot(int argc, char **argv)
{
	const char *api = NULL, *dir = NULL;
	struct json_object *args, *ret = NULL, *v;
	struct qmp_client *c;
	char *desc = NULL;
	bool stop = false;
	int rc;

	const struct cmd_opt opts[] = {
		{ "--api", .str = &api }, { "--to", .str = &dir }, { "--stop", .set = &stop }, { 0 },
	};

	if (cmd_parse_args(argc, argv, opts, NULL, 0, false)) {
		fprintf(stderr, "usage: vmm snapshot --api PATH --to DIR [--stop]\n");
		return 2;
	}
	if (!api || !dir) {
		fprintf(stderr, "usage: vmm snapshot --api PATH --to DIR [--stop]\n");
		return 2;
	}
	if (cmd_connect(api, &c) < 0)
		return 1;
	args = json_object_new_object();
	json_object_object_add(args, "path", json_object_new_string(dir));
	json_object_object_add(args, "stop", json_object_new_boolean(stop));
	rc = qmp_client_execute(c, "snapshot-save", args, SNAPSHOT_TIMEOUT_MS, &ret, &desc);
	json_object_put(args);
	if (rc == -EREMOTEIO)
		fprintf(stderr, "vmm: error: %s\n", desc ? desc : "snapshot failed");
	else if (rc < 0)
		fprintf(stderr, "vmm: error: snapshot-save: %s\n", strerror(-rc));
	else
		printf("snapshot written to %s (%.1f ms)\n", dir,
		       json_object_object_get_ex(ret, "duration-ms", &v) ? json_object_get_double(v) : 0.0);
	free(desc);
	json_object_put(ret);
	qmp_client_close(c);
	return rc < 0 ? 1 : 0;
}

// SPDX-License-Identifier: MIT
/*
 * vmm qmp --api PATH [--wait-event NAME [--timeout SEC]] COMMAND ['{"json": "arguments"}']
 * Sends one QMP command to a running VM (or to QEMU) and prints the answer; with
 * --wait-event, also waits for that event and prints it.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/cli/cmd.h"
#include "vmm/qmp/client.h"

int cmd_qmp(int argc, char **argv)
{
	struct json_object *args = NULL, *ret = NULL;
	struct qmp_client *c = NULL;
	const char *api = NULL, *cmd = NULL, *json = NULL, *wait_event = NULL;
	int rc, timeout_s = 60;
	const struct cmd_opt opts[] = {
		{ "--api", .str = &api }, { "--wait-event", .str = &wait_event }, { "--timeout", .num = &timeout_s }, { 0 },
	};
	const char *pos[2] = { NULL, NULL };

	if (cmd_parse_args(argc, argv, opts, pos, 2, true)) {
		fprintf(stderr, "usage: vmm qmp --api PATH [--wait-event NAME [--timeout SEC]] COMMAND ['{json}']\n");
		return 2;
	}
	cmd = pos[0];
	json = pos[1];
	if (!cmd) {
		fprintf(stderr, "usage: vmm qmp --api PATH COMMAND ['{json arguments}']\n");
		return 2;
	}
	if (json) {
		args = json_tokener_parse(json);
		if (!args || !json_object_is_type(args, json_type_object)) {
			fprintf(stderr, "vmm: error: the arguments must be a JSON object\n");
			json_object_put(args);
			return 2;
		}
	}
	if (cmd_connect(api, &c) < 0) {
		json_object_put(args);
		return 1;
	}
	rc = cmd_execute(c, cmd, args, &ret);
	if (rc == 0)
		printf("%s\n", json_object_to_json_string_ext(ret, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	if (rc == 0 && wait_event) {
		struct json_object *ev = NULL;

		/* Events that arrived with or after the answer. */
		rc = qmp_client_wait_event(c, wait_event, timeout_s * 1000, &ev);
		if (rc == 0)
			printf("%s\n", json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN |
									  JSON_C_TO_STRING_NOSLASHESCAPE));
		else
			fprintf(stderr, "vmm: error: no %s event within %d s: %s\n", wait_event, timeout_s,
				strerror(-rc));
		json_object_put(ev);
	}
	json_object_put(ret);
	json_object_put(args);
	qmp_client_close(c);
	return rc < 0 ? 1 : 0;
}

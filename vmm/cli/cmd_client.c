// SPDX-License-Identifier: MIT
/* Shared by the client commands: connect to a VM's QMP socket, run a command. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/cli/cmd.h"
#include "vmm/qmp/client.h"

int cmd_connect(const char *path, struct qmp_client **c)
{
	int ret;

	if (!path) {
		fprintf(stderr, "vmm: error: --api PATH (the VM's --api-socket) is required\n");
		return -EINVAL;
	}
	ret = qmp_client_connect(path, CMD_TIMEOUT_MS, c);
	if (ret < 0)
		fprintf(stderr, "vmm: error: cannot connect to %s: %s\n", path, strerror(-ret));
	return ret;
}

int cmd_execute(struct qmp_client *c, const char *cmd, struct json_object *args, struct json_object **ret)
{
	char *desc = NULL;
	int rc = qmp_client_execute(c, cmd, args, CMD_TIMEOUT_MS, ret, &desc);

	if (rc == -EREMOTEIO)
		fprintf(stderr, "vmm: error: %s\n", desc ? desc : "command failed");
	else if (rc < 0)
		fprintf(stderr, "vmm: error: %s: %s\n", cmd, strerror(-rc));
	free(desc);
	return rc;
}


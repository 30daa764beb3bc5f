// SPDX-License-Identifier: MIT
/*
 *   vmm snapshot --api PATH --to DIR [--stop]   checkpoint a running VM
 *   vmm restore --from DIR [--api-socket PATH]  resume one
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/cli/cmd.h"
#include "vmm/qmp/client.h"
#include "vmm/api/runner.h"

#define SNAPSHOT_TIMEOUT_MS 600000

int cmd_snapshot(int argc, char **argv)
{
	const char *api = NULL, *dir = NULL;
	struct json_object *args, *ret = NULL, *v;
	struct qmp_client *c;
	char *desc = NULL;
	bool stop = false;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--api") && i + 1 < argc)
			api = argv[++i];
		else if (!strcmp(argv[i], "--to") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--stop"))
			stop = true;
		else {
			fprintf(stderr, "usage: vmm snapshot --api PATH --to DIR [--stop]\n");
			return 2;
		}
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

/* `vmm run` flags that describe the machine: a snapshot already fixes them. */
static bool restore_fixed_flag(const char *arg)
{
	static const char *const fixed[] = { "--cpus", "--memory", "--kernel", "--initrd", "--cmdline", "--acpi" };
	size_t i, n;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		n = strlen(fixed[i]);
		if (!strncmp(arg, fixed[i], n) && (arg[n] == '\0' || arg[n] == '='))
			return true;
	}
	return false;
}

int cmd_restore(int argc, char **argv)
{
	struct vm_config cfg = { 0 };
	const char *dir = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--from") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--api-socket") && i + 1 < argc)
			cfg.api_socket = argv[++i];
		else if (restore_fixed_flag(argv[i])) {
			fprintf(stderr,
				"vmm: error: %s cannot be given to restore: the snapshot fixes the machine's shape "
				"(vCPUs, memory, kernel and boot configuration)\n",
				argv[i]);
			return 2;
		} else {
			fprintf(stderr, "usage: vmm restore --from DIR [--api-socket PATH]\n");
			return 2;
		}
	}
	if (!dir) {
		fprintf(stderr, "usage: vmm restore --from DIR [--api-socket PATH]\n");
		return 2;
	}
	return runner_run(&cfg, dir) < 0 ? 1 : 0;
}

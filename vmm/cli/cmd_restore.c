// SPDX-License-Identifier: MIT
/*
 *   vmm restore --from DIR [--api-socket PATH]  resume a VM from a snapshot:
 *   runs it in this process, as `vmm run` does.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "vmm/api/runner.h"
#include "vmm/cli/cmd.h"

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
	const struct cmd_opt opts[] = {
		{ "--from", .str = &dir }, { "--api-socket", .str = &cfg.api_socket }, { 0 },
	};
	int i = cmd_parse_args(argc, argv, opts, NULL, 0, false);

	if (i && restore_fixed_flag(argv[i])) {
		fprintf(stderr,
			"vmm: error: %s cannot be given to restore: the snapshot fixes the machine's shape "
			"(vCPUs, memory, kernel and boot configuration)\n",
			argv[i]);
		return 2;
	}
	if (i) {
		fprintf(stderr, "usage: vmm restore --from DIR [--api-socket PATH]\n");
		return 2;
	}
	if (!dir) {
		fprintf(stderr, "usage: vmm restore --from DIR [--api-socket PATH]\n");
		return 2;
	}
	return vmm_exit_status(runner_run(&cfg, dir));
}

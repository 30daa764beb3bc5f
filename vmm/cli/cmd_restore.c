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
#include "vmm/cli/run_args.h"

/* `vmm run` flags that describe the machine: a snapshot already fixes them. */
static bool restore_fixed_flag(const char *arg)
{
	static const char *const fixed[] = { "--cpus", "--memory", "--kernel", "--initrd", "--cmdline", "--acpi", "--pmu" };
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
	static struct vm_config cfg;
	const char *dir = NULL;
	char errbuf[256];
	int j, k;

	/* --disk path=FILE[,serial=S] (repeatable, in slot order): the snapshot's disk i is at FILE now. */
	for (j = 1, k = 1; j < argc; j++) {
		if (!strcmp(argv[j], "--disk") && j + 1 < argc) {
			if (cfg.nr_disks >= VM_MAX_DISKS ||
			    cli_parse_disk(argv[++j], &cfg.disks[cfg.nr_disks], errbuf, sizeof(errbuf))) {
				fprintf(stderr, "vmm: error: %s\n", cfg.nr_disks >= VM_MAX_DISKS ? "too many --disk" : errbuf);
				return 2;
			}
			cfg.nr_disks++;
			continue;
		}
		argv[k++] = argv[j];
	}
	argc = k;
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
		fprintf(stderr, "usage: vmm restore --from DIR [--api-socket PATH] [--disk path=FILE[,serial=S]]...\n");
		return 2;
	}
	if (!dir) {
		fprintf(stderr, "usage: vmm restore --from DIR [--api-socket PATH] [--disk path=FILE[,serial=S]]...\n");
		return 2;
	}
	return vmm_exit_status(runner_run(&cfg, dir));
}

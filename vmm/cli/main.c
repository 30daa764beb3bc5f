// SPDX-License-Identifier: MIT
/* vmm: the command-line entry point. The only place that decides the exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/api/runner.h"
#include "vmm/cli/cmd.h"
#include "vmm/cli/run_args.h"
#include "vmm/core/crash_report.h"
#include "vmm/core/log.h"
#include "vmm/core/version.h"

/*
 * The exit status of `vmm run` and `vmm restore` (README, "Exit status"): what
 * ended the VM, from runner_run()'s result.
 */
int vmm_exit_status(int runner_ret)
{
	if (runner_ret < 0)
		return VMM_EXIT_FAILURE;
	switch ((enum vm_exit)runner_ret) {
	case VM_EXIT_POWEROFF: return VMM_EXIT_POWEROFF;
	case VM_EXIT_CRASH: return VMM_EXIT_GUEST_CRASH;
	case VM_EXIT_SIGNAL: return VMM_EXIT_HOST_SIGNAL;
	case VM_EXIT_SHUTDOWN:
	case VM_EXIT_UI: return VMM_EXIT_HOST_QUIT;
	case VM_EXIT_MIGRATED: return VMM_EXIT_MIGRATED;
	default: return VMM_EXIT_FAILURE;
	}
}

static int cmd_run(int argc, char **argv)
{
	struct migrate_params in;
	struct vm_config cfg;
	bool incoming = false;
	char err[512] = "";
	int ret;

	ret = cli_parse_run_ex(argc, argv, &cfg, &in, &incoming, err, sizeof(err));
	if (ret == 1) {
		fputs(err, stdout);
		return 0;
	}
	if (ret < 0) {
		fprintf(stderr, "vmm: error: %s\n", err);
		return 2;
	}
	if (incoming)
		return vmm_exit_status(runner_run_incoming(&cfg, &in));
	return vmm_exit_status(runner_run(&cfg, NULL));
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vmm <command> [options]\n"
		   "commands:\n"
		   "  run       boot a virtual machine (vmm run --help)\n"
		   "  cpu       list, plug or unplug vCPUs of a running VM (vmm cpu list --api PATH)\n"
		   "  qmp       send one QMP command to a running VM\n"
		   "  snapshot  checkpoint a running VM to a directory (vmm snapshot --api PATH --to DIR [--stop])\n"
		   "  restore   resume a VM from a snapshot (vmm restore --from DIR [--api-socket PATH])\n"
		   "  migrate   live-migrate a running VM (vmm migrate --api PATH --to HOST[:PORT] --tls-dir DIR)\n"
		   "  describe-host  print what this host can load and run, as JSON (for vmm-compat)\n"
		   "  --dump-descriptors FILE  write the state section descriptors as JSON\n"
		   "  version   print the version\n");
}

/* VMM_LOG=error|warn|info|debug sets the log level (default info). */
static void log_level_from_env(void)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	const char *v = getenv("VMM_LOG");
	unsigned i;

	for (i = 0; v && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(v, names[i]))
			log_set_level((enum log_level)i);
}

int main(int argc, char **argv)
{
	crash_report_install();
	log_level_from_env();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "cpu"))
		return cmd_cpu(argc - 1, argv + 1);
	if (!strcmp(argv[1], "qmp"))
		return cmd_qmp(argc - 1, argv + 1);
	if (!strcmp(argv[1], "snapshot"))
		return cmd_snapshot(argc - 1, argv + 1);
	if (!strcmp(argv[1], "migrate"))
		return cmd_migrate(argc - 1, argv + 1);
	if (!strcmp(argv[1], "restore"))
		return cmd_restore(argc - 1, argv + 1);
	if (!strcmp(argv[1], "describe-host"))
		return cmd_describe_host(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--dump-descriptors"))
		return cmd_dump_descriptors(argc - 1, argv + 1);
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("vmm %s\n", VMM_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "vmm: error: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}

/* SPDX-License-Identifier: MIT */
/* The `vmm` subcommands; each returns the process exit status. */
#ifndef VMM_CMD_H
#define VMM_CMD_H

#include <stdbool.h>

struct json_object;
struct qmp_client;

/* An option of a subcommand: "--name VALUE" into *str or *num (atoi), or "--name" setting *set. */
struct cmd_opt {
	const char *name;
	const char **str;
	int *num;
	bool *set;
};

/*
 * Parses argv[1..argc-1]: the options of opts (terminated by a zeroed entry),
 * and up to max_pos positional arguments into pos[] (which may start with '-'
 * only when dash_pos; an option missing its value counts as positional).
 * Returns 0, or the index of the first argument it cannot place.
 */
int cmd_parse_args(int argc, char **argv, const struct cmd_opt *opts, const char **pos, int max_pos,
		   bool dash_pos);

#define CMD_TIMEOUT_MS 10000

/* Connects to a VM's QMP socket (--api PATH); prints a "vmm: error:" line on failure. */
int cmd_connect(const char *path, struct qmp_client **c);
/* Runs cmd; prints a "vmm: error:" line naming the server's error on failure. */
int cmd_execute(struct qmp_client *c, const char *cmd, struct json_object *args, struct json_object **ret);

int cmd_cpu(int argc, char **argv);
int cmd_qmp(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_restore(int argc, char **argv);

/* Exit statuses of `vmm run` / `vmm restore` (README, "Exit status"). */
#define VMM_EXIT_POWEROFF 0    /* the guest powered off */
#define VMM_EXIT_FAILURE 1     /* the VMM failed, or bad host/KVM/payload input */
#define VMM_EXIT_USAGE 2       /* bad command line */
#define VMM_EXIT_GUEST_CRASH 3 /* the guest reported a crash (KVM_SYSTEM_EVENT_CRASH) */
#define VMM_EXIT_HOST_SIGNAL 4 /* SIGINT, SIGTERM or SIGHUP */
#define VMM_EXIT_HOST_QUIT 5   /* QMP quit, snapshot-save stop=true, Ctrl-A x */
#define VMM_EXIT_MIGRATED 6    /* the guest migrated away: it runs on the destination */
/* Maps runner_run()'s result to one of the above (vmm/cli/main.c). */
int vmm_exit_status(int runner_ret);
int cmd_describe_host(int argc, char **argv);
int cmd_dump_descriptors(int argc, char **argv);

#endif

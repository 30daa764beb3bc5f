/* SPDX-License-Identifier: MIT */
/* The `vmm` subcommands; each returns the process exit status. */
#ifndef VMM_CMD_H
#define VMM_CMD_H

struct json_object;
struct qmp_client;

#define CMD_TIMEOUT_MS 10000

/* Connects to a VM's QMP socket (--api PATH); prints a "vmm: error:" line on failure. */
int cmd_connect(const char *path, struct qmp_client **c);
/* Runs cmd; prints a "vmm: error:" line naming the server's error on failure. */
int cmd_execute(struct qmp_client *c, const char *cmd, struct json_object *args, struct json_object **ret);

int cmd_cpu(int argc, char **argv);
int cmd_qmp(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_describe_host(int argc, char **argv);
int cmd_dump_descriptors(int argc, char **argv);

#endif

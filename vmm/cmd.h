/* SPDX-License-Identifier: MIT */
/* The `vmm` subcommands; each returns the process exit status. */
#ifndef VMM_CMD_H
#define VMM_CMD_H

int cmd_cpu(int argc, char **argv);
int cmd_qmp(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_restore(int argc, char **argv);

#endif

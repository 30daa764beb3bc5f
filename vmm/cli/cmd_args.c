// SPDX-License-Identifier: MIT
/* The one argument parser of the subcommands other than `run` (vmm/cli/cmd.h). */
#include <stdlib.h>
#include <string.h>

#include "vmm/cli/cmd.h"

static const struct cmd_opt *find_opt(const struct cmd_opt *opts, const char *arg)
{
	for (; opts && opts->name; opts++)
		if (!strcmp(opts->name, arg))
			return opts;
	return NULL;
}

int cmd_parse_args(int argc, char **argv, const struct cmd_opt *opts, const char **pos, int max_pos,
		   bool dash_pos)
{
	int i, npos = 0;

	for (i = 1; i < argc; i++) {
		const struct cmd_opt *o = find_opt(opts, argv[i]);

		if (o && o->set) {
			*o->set = true;
			continue;
		}
		if (o && i + 1 < argc) {
			if (o->str)
				*o->str = argv[++i];
			else
				*o->num = atoi(argv[++i]);
			continue;
		}
		/* Not an option, or an option that lacks its value: a positional argument. */
		if (npos < max_pos && (dash_pos || argv[i][0] != '-')) {
			pos[npos++] = argv[i];
			continue;
		}
		return i;
	}
	return 0;
}

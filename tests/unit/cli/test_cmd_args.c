// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <string.h>

#include "vmm/cli/cmd.h"

static int parse(const char *const *args, const struct cmd_opt *opts, const char **pos, int max_pos, bool dash_pos)
{
	char *argv[16];
	int argc = 0;

	while (*args)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	return cmd_parse_args(argc, argv, opts, pos, max_pos, dash_pos);
}

#define ARGS(...) (const char *const[]){ __VA_ARGS__, NULL }

Test(cmd_args, options_flags_and_positionals)
{
	const char *api = NULL, *pos[2] = { NULL, NULL };
	bool stop = false;
	int timeout = 60;
	const struct cmd_opt opts[] = {
		{ "--api", .str = &api }, { "--timeout", .num = &timeout }, { "--stop", .set = &stop }, { 0 },
	};

	cr_assert_eq(parse(ARGS("cpu", "add", "--api", "/s", "--stop", "4", "--timeout", "9"), opts, pos, 2, false),
		     0);
	cr_assert_str_eq(api, "/s");
	cr_assert(stop);
	cr_assert_eq(timeout, 9);
	cr_assert_str_eq(pos[0], "add");
	cr_assert_str_eq(pos[1], "4");
}

Test(cmd_args, first_unplaceable_argument)
{
	const char *api = NULL, *pos[1] = { NULL };
	const struct cmd_opt opts[] = { { "--api", .str = &api }, { 0 } };

	cr_assert_eq(parse(ARGS("x", "--bogus"), opts, pos, 1, false), 1);
	cr_assert_eq(parse(ARGS("x", "a", "b"), opts, pos, 1, false), 2);
	cr_assert_eq(parse(ARGS("x", "a"), opts, NULL, 0, false), 1);
	/* An option without its value is a positional argument (where those may start with '-'). */
	cr_assert_eq(parse(ARGS("x", "--api"), opts, pos, 1, true), 0);
	cr_assert_str_eq(pos[0], "--api");
	cr_assert_null(api);
}

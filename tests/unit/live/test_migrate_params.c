// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>

#include "migration/migrate.h"

Test(migrate_params, addresses)
{
	struct migrate_params p;
	char err[256];

	migrate_params_default(&p);
	cr_assert_eq(migrate_parse_address("10.0.0.2", &p, err, sizeof(err)), 0);
	cr_assert_str_eq(p.host, "10.0.0.2");
	cr_assert_eq(p.port, MIGRATE_DEFAULT_PORT);
	cr_assert_eq(migrate_parse_address("tcp:10.0.0.2:5000", &p, err, sizeof(err)), 0);
	cr_assert_str_eq(p.host, "10.0.0.2");
	cr_assert_eq(p.port, 5000);
	cr_assert_eq(migrate_parse_address("[::1]:7000", &p, err, sizeof(err)), 0);
	cr_assert_str_eq(p.host, "::1");
	cr_assert_eq(p.port, 7000);
	cr_assert_eq(migrate_parse_address("host2", &p, err, sizeof(err)), 0);
	cr_assert_str_eq(p.host, "host2");
}

Test(migrate_params, bad_addresses_name_the_problem)
{
	static const char *const bad[] = { "", ":5000", "h:0", "h:65536", "h:12x", "[::1", "[::1]x", "tcp:" };
	struct migrate_params p;
	char err[256];

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		cr_assert_eq(migrate_parse_address(bad[i], &p, err, sizeof(err)), -EINVAL, "'%s' accepted", bad[i]);
		cr_assert(err[0], "no message for '%s'", bad[i]);
	}
}

Test(migrate_params, status_names_are_qemus)
{
	cr_assert_str_eq(migrate_status_name(MIGRATE_PRE_SWITCHOVER), "pre-switchover");
	cr_assert_str_eq(migrate_status_name(MIGRATE_COMPLETED), "completed");
	cr_assert(migrate_status_finished(MIGRATE_FAILED));
	cr_assert_not(migrate_status_finished(MIGRATE_ACTIVE));
}

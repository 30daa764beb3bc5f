// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "vmm/arm64/vm_config.h"

Test(vm_config, host_limits)
{
	struct vm_config cfg = { .max_vcpus = 8, .mem_size = 8ULL << 30 };
	char err[256];

	cr_assert_eq(vm_config_check_host(&cfg, 4ULL << 30, 0, err, sizeof(err)), -E2BIG);
	cr_assert(strstr(err, "more than this host has"), "got: %s", err);
	cr_assert_eq(vm_config_check_host(&cfg, 16ULL << 30, 4, err, sizeof(err)), -E2BIG);
	cr_assert(strstr(err, "KVM allows"), "got: %s", err);
	cr_assert_eq(vm_config_check_host(&cfg, 16ULL << 30, 512, err, sizeof(err)), 0);
	cr_assert_eq(vm_config_check_host(&cfg, 0, 0, err, sizeof(err)), 0, "unknown limits do not refuse");
	cfg.mem_size = 1ULL << 40;
	cr_assert_eq(vm_config_check_host(&cfg, 4ULL << 40, 0, err, sizeof(err)), -E2BIG);
	cr_assert(strstr(err, "machine limit"), "got: %s", err);
}

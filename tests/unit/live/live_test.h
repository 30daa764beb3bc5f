/* SPDX-License-Identifier: MIT */
/* Shared fixtures of the live transport tests: certificates made with the openssl CLI. */
#ifndef TESTS_UNIT_LIVE_LIVE_TEST_H
#define TESTS_UNIT_LIVE_LIVE_TEST_H

#include <limits.h>

struct test_pki {
	char root[256];        /* temp dir */
	char good[300];       /* full credentials directory, CA "A" */
	char other[300];     /* full credentials directory, another CA */
};

/* Creates both directories with `openssl`; -errno on failure. */
int test_pki_make(struct test_pki *pki);
void test_pki_remove(struct test_pki *pki);

#endif

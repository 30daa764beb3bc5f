// SPDX-License-Identifier: MIT
/* Test certificates (unit tests and the native bench): a CA, a server and a client certificate per directory, made by `openssl`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/unit/live/live_test.h"

static const char MAKE_DIR[] =
	"set -e; cd '%s'; q() { \"$@\" >/dev/null 2>&1; }; "
	"q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca-key.pem "
	"  -out ca-cert.pem -days 2 -subj /CN=%s; "
	"printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext; "
	"for r in server client; do "
	"  q openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout $r-key.pem "
	"    -out $r.csr -subj /CN=localhost; "
	"  q openssl x509 -req -in $r.csr -CA ca-cert.pem -CAkey ca-key.pem -CAcreateserial -days 2 "
	"    -extfile san.ext -out $r-cert.pem; "
	"done";

static int make_dir(const char *dir, const char *ca_name)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dir);
	if (system(cmd) != 0)
		return -EIO;
	snprintf(cmd, sizeof(cmd), MAKE_DIR, dir, ca_name);
	if (system(cmd) != 0) {
		fprintf(stderr, "openssl could not make test certificates in %s\n", dir);
		return -EIO;
	}
	return 0;
}

int test_pki_make(struct test_pki *pki)
{
	int ret;

	snprintf(pki->root, sizeof(pki->root), "%s/vmm-live-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(pki->root))
		return -errno;
	snprintf(pki->good, sizeof(pki->good), "%s/good", pki->root);
	snprintf(pki->other, sizeof(pki->other), "%s/other", pki->root);
	ret = make_dir(pki->good, "test-ca-a");
	if (!ret)
		ret = make_dir(pki->other, "test-ca-b");
	return ret;
}

void test_pki_remove(struct test_pki *pki)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", pki->root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", pki->root);
}

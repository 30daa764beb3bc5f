// SPDX-License-Identifier: MIT
/* Mutual-TLS 1.3 contexts from a credentials directory (see tls_creds.h). */
#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migration/live/tls_creds.h"

struct tls_creds {
	SSL_CTX *ctx;
	enum tls_role role;
};

void tls_error_take(char *buf, size_t len)
{
	unsigned long code, last = 0;

	while ((code = ERR_get_error()) != 0)
		last = code; /* the last one is the most specific in OpenSSL 3 */
	if (last)
		ERR_error_string_n(last, buf, len);
	else if (len)
		buf[0] = '\0';
}

static int file_path(char *out, const char *dir, const char *name, struct mig_err *e)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= PATH_MAX) {
		mig_err_set(e, "tls: path of %s in '%s' too long", name, dir);
		return -ENAMETOOLONG;
	}
	if (access(out, R_OK) != 0) {
		int ret = -errno;

		mig_err_set(e, "tls: %s: %s", out, strerror(-ret));
		return ret;
	}
	return 0;
}

static int tls_fail(struct mig_err *e, const char *what, const char *path)
{
	char detail[256];

	tls_error_take(detail, sizeof(detail));
	mig_err_set(e, "tls: %s %s: %s", what, path, detail[0] ? detail : "rejected");
	return -EINVAL;
}

int tls_creds_load(struct tls_creds **out, const char *dir, enum tls_role role, struct mig_err *e)
{
	const char *cert = role == TLS_ROLE_SERVER ? "server-cert.pem" : "client-cert.pem";
	const char *key = role == TLS_ROLE_SERVER ? "server-key.pem" : "client-key.pem";
	char ca_path[PATH_MAX], cert_path[PATH_MAX], key_path[PATH_MAX];
	struct tls_creds *c;
	int ret;

	ERR_clear_error();
	ret = file_path(ca_path, dir, "ca-cert.pem", e);
	if (!ret)
		ret = file_path(cert_path, dir, cert, e);
	if (!ret)
		ret = file_path(key_path, dir, key, e);
	if (ret)
		return ret;
	c = calloc(1, sizeof(*c));
	if (!c) {
		mig_err_set(e, "tls: out of memory");
		return -ENOMEM;
	}
	c->role = role;
	c->ctx = SSL_CTX_new(role == TLS_ROLE_SERVER ? TLS_server_method() : TLS_client_method());
	if (!c->ctx) {
		ret = tls_fail(e, "cannot create a context for", dir);
		goto err_free;
	}
	if (!SSL_CTX_set_min_proto_version(c->ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(c->ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_ciphersuites(c->ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
					      "TLS_CHACHA20_POLY1305_SHA256")) {
		ret = tls_fail(e, "cannot restrict to TLS 1.3 in", dir);
		goto err_ctx;
	}
	if (SSL_CTX_load_verify_locations(c->ctx, ca_path, NULL) != 1) {
		ret = tls_fail(e, "bad CA certificate", ca_path);
		goto err_ctx;
	}
	if (SSL_CTX_use_certificate_chain_file(c->ctx, cert_path) != 1) {
		ret = tls_fail(e, "bad certificate", cert_path);
		goto err_ctx;
	}
	if (SSL_CTX_use_PrivateKey_file(c->ctx, key_path, SSL_FILETYPE_PEM) != 1) {
		ret = tls_fail(e, "bad private key", key_path);
		goto err_ctx;
	}
	if (SSL_CTX_check_private_key(c->ctx) != 1) {
		ret = tls_fail(e, "private key does not match the certificate:", key_path);
		goto err_ctx;
	}
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER | (role == TLS_ROLE_SERVER ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
			   NULL);
	SSL_CTX_set_num_tickets(c->ctx, 0);
	SSL_CTX_set_session_cache_mode(c->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(c->ctx, SSL_OP_NO_RENEGOTIATION);
	*out = c;
	return 0;

err_ctx:
	SSL_CTX_free(c->ctx);
err_free:
	free(c);
	return ret;
}

void tls_creds_destroy(struct tls_creds *c)
{
	if (!c)
		return;
	SSL_CTX_free(c->ctx);
	free(c);
}

SSL_CTX *tls_creds_ctx(const struct tls_creds *c)
{
	return c->ctx;
}

enum tls_role tls_creds_role(const struct tls_creds *c)
{
	return c->role;
}

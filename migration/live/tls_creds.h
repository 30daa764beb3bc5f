/* SPDX-License-Identifier: MIT */
/*
 * TLS credentials of one side of a migration, loaded from a directory laid out as
 * QEMU and Cloud Hypervisor do: ca-cert.pem, server-cert.pem, server-key.pem,
 * client-cert.pem, client-key.pem (each side reads only its own pair and the CA).
 * The context allows TLS 1.3 only, with AES-GCM / ChaCha20 suites (all of which
 * Linux kTLS accepts), verifies the peer against ca-cert.pem in both directions
 * (the server requires a client certificate), issues no session tickets, and
 * leaves kernel TLS to be enabled per connection.
 */
#ifndef MIGRATION_LIVE_TLS_CREDS_H
#define MIGRATION_LIVE_TLS_CREDS_H

#include <openssl/ssl.h>
#include <stddef.h>

#include "migration/live/live.h"

enum tls_role { TLS_ROLE_SERVER, TLS_ROLE_CLIENT };

struct tls_creds;

/* Errors name the file and the reason ("/d/client-cert.pem: No such file or directory"). */
int tls_creds_load(struct tls_creds **out, const char *dir, enum tls_role role, struct mig_err *e) __must_check;
void tls_creds_destroy(struct tls_creds *c);

SSL_CTX *tls_creds_ctx(const struct tls_creds *c);
enum tls_role tls_creds_role(const struct tls_creds *c);

/* Empties the OpenSSL error queue of this thread into buf ("" when empty). */
void tls_error_take(char *buf, size_t len);

#endif
